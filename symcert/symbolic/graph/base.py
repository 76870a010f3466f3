r"""What every layer type declares, once: its shape rule, its axis ties and how it commutes with symmetries.

A layer type is a frozen dataclass that states local facts only (cvxpy's atoms, symcert's activation
entries); everything global (which axes form a permutation group, which sign flips and rescalings are
symmetries, the order of the group) is derived from these facts in :mod:`symcert.symbolic.graph.symmetry`.

Shapes are per example: a dense layer sees ``(n,)``, a 2-D convolution ``(C, H, W)``; the batch axis
is never part of a shape. Ports name the axes a layer touches: ``("in", i, axis)`` for axis ``axis`` of
input ``i``, ``("out", axis)`` for its output and ``("param", name, axis)`` for a parameter.

The facts:

- :meth:`Layer.output_shape` and :meth:`Layer.parameter_shapes` (the shape rule);
- :meth:`Layer.ties`: which axes must be permuted together, as :class:`Tie` values. A tie may carry a
  Kronecker position ``(outer, inner)``: a permutation ``P`` of the first axis acts on the second as
  ``I_outer (x) P (x) I_inner`` (a flatten sends channel ``c`` of ``(C, H, W)`` to the block
  ``c H W ... c H W + H W - 1``, so ``inner = H W``). Every axis a layer touches and does not tie is
  *fixed*: the layer does not commute with a permutation of it (spatial axes of a convolution);
- :attr:`Layer.sign` and :attr:`Layer.scale`: how the layer commutes with a per-channel sign flip
  and a per-channel positive rescaling of a tied axis, as a set of :data:`CARRIES`:
  ``transmit`` (a flipped input gives a flipped output, no parameter changes: odd activations,
  average pooling, flatten, add), ``absorb`` (a flipped input is undone by the layer's parameters:
  the columns of a dense layer, an even activation), ``emit`` (the layer's parameters can flip its
  output: the rows of a dense layer, the scale of a batch norm), ``complement`` (the logistic
  sigmoid: ``s(-u) = 1 - s(u)``, the constant absorbed by a later bias). A layer with none of these
  blocks the flip (ReLU for signs, max pooling for signs, layer norm's input).
- :meth:`Layer.commute`: the layer's equivariance rule, stated once per layer type: given what a
  candidate symmetry does to its inputs and its output (:class:`~symcert.symbolic.graph.moves.Local`),
  the lemma that makes it commute and the change of its parameters that needs, or why it cannot
  (:mod:`symcert.symbolic.graph.moves`; the composition is in :mod:`symcert.proofs.graph_invariance`);
- :attr:`Layer.translation`: how the layer treats one constant added to every entry (the softmax
  translation): ``"transmit"`` (max pooling, flatten: the output shifts by the same constant),
  ``"emit"`` (a bias that every output entry receives: dense, conv, batch norm, layer norm),
  ``"absorb"`` (softmax: ``softmax(z + c 1) = softmax(z)``) or None (blocks it);
- :meth:`Layer.act` applies a per-channel diagonal action to the layer's parameters (the change that
  makes ``absorb`` and ``emit`` true), and :meth:`Layer.forward` evaluates the layer on an
  arithmetic (float64, exact rationals, mpmath): the one formula serving every arithmetic.

>>> from symcert.symbolic.graph.layers import Dense
>>> layer = Dense(3)
>>> layer.output_shape([(2,)]), layer.parameter_shapes([(2,)])
((3,), {'weight': (3, 2), 'bias': (3,)})
>>> sorted(layer.sign)
['absorb', 'emit']
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from symcert.errors import SpecificationError
from symcert.symbolic.graph.moves import Blocked, Local, Step

__all__ = ["Layer", "Tie", "Port", "CARRIES", "Shape", "check_positive_tuple"]

Shape = tuple[int, ...]
Port = tuple  # ("in", i, axis) | ("out", axis) | ("param", name, axis)

#: How a layer may commute with a per-channel sign flip or positive rescaling (see the module text).
CARRIES = ("transmit", "absorb", "emit", "complement")


@dataclass(frozen=True)
class Tie:
    """Two axes permuted together: ``P`` on ``first`` acts on ``second`` as ``I_outer (x) P (x) I_inner``."""

    first: Port
    second: Port
    outer: int = 1
    inner: int = 1


class Layer:
    """Base class of the layer types: each subclass declares its facts (see the module text).

    Subclasses are frozen dataclasses; their fields are the layer's hyper-parameters, checked in
    ``__post_init__``.
    """

    #: The number of inputs.
    arity: int = 1
    #: The layer's sign and rescaling facts (subsets of :data:`CARRIES`).
    sign: frozenset[str] = frozenset()
    scale: frozenset[str] = frozenset()
    #: The degree ``k`` with ``f(c x) = c^k f(x)`` for ``c > 0`` where ``scale`` has ``transmit``.
    degree: int = 1
    #: A constant ``1 - x`` on the input passes through as ``1 - f(x)`` (complement flips, see above).
    affine_safe: bool = False
    #: A consumer that absorbs a constant shift of its input into its bias (complement flips).
    absorbs_constant: bool = False
    #: How the layer treats one constant added to every entry: "transmit", "emit", "absorb" or None.
    translation: str | None = None

    @property
    def kind(self) -> str:
        """The layer type's name, e.g. ``"Dense"``."""
        return type(self).__name__

    def output_shape(self, inputs: list[Shape]) -> Shape:
        """The output shape for the given input shapes; raises :class:`SpecificationError` on a mismatch."""
        raise NotImplementedError

    def parameter_shapes(self, inputs: list[Shape]) -> dict[str, Shape]:
        """The shape of each parameter, by local name (``weight``, ``bias``, ...)."""
        return {}

    def ties(self, inputs: list[Shape]) -> list[Tie]:
        """The axes this layer permutes together (every other axis it touches is fixed)."""
        return []

    def carries(self, kind: str, axes: dict[Port, tuple[int, int]]) -> frozenset[str]:
        """How the layer commutes with a per-channel ``kind`` (``"sign"`` or ``"scale"``) on the given axes.

        ``axes`` maps each port in the group (``("in", i)``, ``("out",)``) to ``(axis, ndim)``: the axis
        that carries it and the number of axes of that tensor.
        The default is the layer's :attr:`sign` or :attr:`scale`; a layer that treats some axes
        differently (a dense layer's leading axes) overrides this.
        """
        return self.sign if kind == "sign" else self.scale

    def act(self, params: dict[str, Any], ins: list[Any], out: Any, out_axis: int | None) -> dict[str, Any]:
        """Parameters after a diagonal action: ``ins[i]``, ``out`` are multipliers on the tied axis, or None.

        A multiplier ``v`` on an input means the input became ``v * x`` along that axis (the layer
        absorbs it); on the output, that the output must become ``v * y`` (the layer emits it), on
        axis ``out_axis`` counted from the end (``-1`` is the last). Called only where :meth:`carries`
        allows it. Layers without parameters return ``params``.
        """
        return params

    def commute(self, local: Local) -> Step | Blocked:
        """The layer's equivariance rule for the actions in ``local`` (:mod:`~symcert.symbolic.graph.moves`).

        Called only where some action is not the identity. The base class knows no rule.
        """
        return Blocked(f"{self.describe()} states no rule for how it commutes with {local.described()}")

    def forward(self, ar: Any, params: dict[str, Any], inputs: list[Any]) -> Any:
        """The layer on a batch: ``inputs[i]`` has shape ``(N, *shape_i)``; ``ar`` is the arithmetic."""
        raise NotImplementedError

    def describe(self) -> str:
        """The layer in a few words, for messages and printouts."""
        return self.kind


def check_positive_tuple(value: object, name: str, layer: str, length: int | None = None) -> tuple[int, ...]:
    """``value`` as a tuple of positive ints (an int is repeated to ``length``), or a one-line error.

    >>> check_positive_tuple(3, "kernel", "Conv", 2)
    (3, 3)
    >>> check_positive_tuple((0, 1), "stride", "Conv")
    Traceback (most recent call last):
    ...
    symcert.errors.SpecificationError: Conv: stride must be positive integers, got (0, 1); give e.g. (1, 1)
    """
    if isinstance(value, int) and not isinstance(value, bool) and length is not None:
        value = (value,) * length
    items = tuple(value) if isinstance(value, (tuple, list)) else None
    if not items or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in items):
        raise SpecificationError(
            f"{layer}: {name} must be positive integers, got {value!r}; give e.g. {(1,) * (length or 2)}"
        )
    if length is not None and len(items) != length:
        raise SpecificationError(f"{layer}: {name} needs {length} entries, got {len(items)} in {items!r}")
    return items


def size(shape: Shape) -> int:
    """The number of entries of a tensor of ``shape``."""
    return math.prod(shape)
