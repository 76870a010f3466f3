r"""The empirical loss of a layer graph on exact data, and its rigorous enclosure.

A :class:`GraphLoss` is ``factor * scale * sum_i ell(z(x_i; theta), y_i)``, where ``ell`` is one of
symcert's loss objects (:func:`~symcert.symbolic.losses.loss_function`: its engine form is reused as
is) and ``z`` the graph's *logits*: a final ``Softmax`` or sigmoid ``Activation`` node is the loss's
output activation (so ``cross_entropy`` is taken on the logits before it, as the loss entry
computes it), anything else ends in logits (PyTorch's ``CrossEntropyLoss`` and
``BCEWithLogitsLoss`` on a model that outputs logits). ``scale`` is the loss's own mean
(``1/N`` or ``1/(N m)``, or 1 for a sum). Data and parameters are exact.

>>> from fractions import Fraction
>>> from symcert.numeric.engine.backends import F64Backend
>>> from symcert.symbolic.graph import Dense, Graph, Node
>>> g = Graph((1,), [Node("fc", Dense(1))])
>>> loss = GraphLoss(g, [[1], [2]], [[0], [1]], "sse")
>>> p = {"fc.weight": [[1]], "fc.bias": [0]}
>>> lo, hi = loss_enclosure(F64Backend(), loss, p)     # (1 - 0)^2 + (2 - 1)^2 = 2
>>> lo <= 2 <= hi, loss.output
(True, 'identity')
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from symcert.errors import SpecificationError
from symcert.numeric.engine.network import _SIGMOID, _activation, _add, _mul, _probabilities, _softmax, _total
from symcert.numeric.graph.forward import enclose_graph
from symcert.numeric.graph.tensors import enclose
from symcert.symbolic.graph import Activation, Conv, Graph, Softmax, exact_array
from symcert.symbolic.loss_entries import EngineOps
from symcert.symbolic.losses import loss_function

__all__ = ["GraphLoss", "loss_enclosure", "float_loss"]

Bounds = tuple[Fraction, Fraction]


def _output_of(graph: Graph) -> str:
    last = graph.nodes[-1].layer
    if (
        isinstance(last, Softmax)
        and last.axis % len(graph.shapes[graph.output]) == len(graph.shapes[graph.output]) - 1
    ):
        return "softmax"
    if isinstance(last, Activation) and last.function.name == "sigmoid":
        return "sigmoid"
    return "identity"


@dataclass(frozen=True, eq=False)
class GraphLoss:
    """The loss ``kind`` of ``graph`` on exact inputs ``X`` (``(N, *input_shape)``) and targets ``Y``
    (``(N, m)``), times ``factor`` (see the module text)."""

    graph: Graph
    X: Any
    Y: Any
    kind: str = "mse"
    factor: Fraction = Fraction(1)
    output: str = field(init=False)

    def __post_init__(self) -> None:
        if not isinstance(self.graph, Graph):
            raise SpecificationError(f"graph must be a Graph, got {type(self.graph).__name__}")
        function = loss_function(self.kind)
        X, Y = exact_array(self.X, "X"), exact_array(self.Y, "Y")
        if X.ndim < 2 or X.shape[1:] != self.graph.input_shape:
            raise SpecificationError(
                f"X must have shape (N, {', '.join(map(str, self.graph.input_shape))}) for this model, got "
                f"{X.shape}; reshape the inputs to the model's input shape"
            )
        out_shape = self.graph.shapes[self.graph.output]
        if len(out_shape) != 1:
            raise SpecificationError(
                f"the model's output must be a vector per example, got shape {out_shape}; flatten it"
            )
        if Y.shape != (X.shape[0], out_shape[0]):
            raise SpecificationError(
                f"Y must have shape ({X.shape[0]}, {out_shape[0]}) (one row per input, one column per "
                f"output), got {Y.shape}"
            )
        output = _output_of(self.graph)
        if function.requires_output and output not in ("identity", function.output_activation):
            raise SpecificationError(
                f"the {function.name} loss goes with a {function.output_activation} output (or logits), but "
                f"the model ends in {output}; choose another --loss"
            )
        if function.requires_output:
            output = function.output_activation
        if out_shape[0] < function.min_outputs:
            raise SpecificationError(function.outputs_reason)
        factor = Fraction(self.factor)
        if factor <= 0:
            raise SpecificationError(f"factor must be > 0, got {factor}")
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "Y", Y)
        object.__setattr__(self, "kind", function.name)
        object.__setattr__(self, "factor", factor)
        object.__setattr__(self, "output", output)

    @property
    def function(self) -> Any:
        """The loss object (:class:`~symcert.symbolic.losses.LossFunction`)."""
        return loss_function(self.kind)

    @property
    def n_points(self) -> int:
        return int(self.X.shape[0])

    @property
    def logits_stop(self) -> int | None:
        """Where the forward pass stops: before a final softmax or sigmoid node (None: the end)."""
        return len(self.graph.nodes) - 1 if _output_of(self.graph) != "identity" else None

    @property
    def scale(self) -> Fraction:
        """``factor`` times the loss's mean (``1/N``, ``1/(N m)`` or 1)."""
        s = self.function.base_scale(self.n_points, int(self.Y.shape[1]))
        return self.factor * Fraction(int(s.p), int(s.q))

    def logits_name(self) -> str:
        """The tensor the loss reads (the graph's output, or the input of its final softmax/sigmoid)."""
        stop = self.logits_stop
        return self.graph.output if stop is None else self.graph.nodes[-1].sources[0]

    def describe(self) -> str:
        times = f"{self.factor} * " if self.factor != 1 else ""
        return f"{times}{self.kind} loss of the {self.graph.describe()} on {self.n_points} data points"


def _ops(bk: Any, output: str) -> EngineOps:
    def out(jets: tuple) -> tuple:
        if output == "identity":
            return jets
        if output == "sigmoid":
            return _activation(bk, _SIGMOID, jets, 0)
        return _softmax(bk, jets, 0)

    return EngineOps(
        output=out,
        probabilities=lambda z0, e: _probabilities(bk, z0, e),
        total=lambda x: _total(bk, x),
        add=_add,
        mul=_mul,
    )


#: Entries of the largest intermediate array (an unfolded convolution) per chunk of data points.
CHUNK_ENTRIES = 2**22


def chunk_size(graph: Graph) -> int:
    """Data points per pass: the unfolded patches of the widest layer stay below :data:`CHUNK_ENTRIES`."""
    widest = 1
    for node in graph.nodes:
        size = math.prod(graph.shapes[node.name])
        if isinstance(node.layer, Conv):  # positions x (C_in k k): the unfolded patches per example
            positions = size // node.layer.channels
            size = positions * graph.shapes[node.sources[0]][0] * math.prod(node.layer.kernel)
        widest = max(widest, size, math.prod(graph.shapes[node.sources[0]]))
    return max(1, CHUNK_ENTRIES // widest)


def _chunks(loss: GraphLoss, bk: Any) -> list:
    """The data's enclosures in ``bk``, chunk by chunk, made once per loss and backend (precision)."""
    key = (bk.name, getattr(bk, "prec", 53))
    store = loss.__dict__.setdefault("_enclosures", {})
    if key not in store:
        step = chunk_size(loss.graph)
        store[key] = [
            (enclose(bk, loss.X[i : i + step]), enclose(bk, loss.Y[i : i + step]))
            for i in range(0, loss.n_points, step)
        ]
    return store[key]


def loss_value(bk: Any, loss: GraphLoss, params: Mapping[str, Any]) -> Any:
    """The loss at exact ``params`` as a scalar enclosure in ``bk`` (call inside ``bk.active()``).

    The data pass in chunks (:func:`chunk_size`); the sums over the chunks are enclosed as they add up.
    """
    exact = loss.graph.check_parameters(params)
    converted = {name: enclose(bk, v) for name, v in exact.items()}
    total = None
    for X, Y in _chunks(loss, bk):
        values = enclose_graph(bk, loss.graph, exact, X, upto=loss.logits_stop, converted=converted)
        z = values[loss.logits_name()]
        v = loss.function.engine(bk, (z, None, None), Y, 0, _ops(bk, loss.output))[0]
        total = v if total is None else total + v
    return total * bk.constant(loss.scale)


def loss_enclosure(bk: Any, loss: GraphLoss, params: Mapping[str, Any]) -> Bounds:
    """Exact endpoints enclosing the loss at the exact point ``params`` (``ArithmeticError`` if unbounded)."""
    with bk.active():
        return bk.endpoints(loss_value(bk, loss, params))


def float_loss(loss: GraphLoss, params: Mapping[str, Any]) -> float:
    """The loss in plain float64 (symcert's own graph evaluation): evidence for search, never proof."""
    from symcert.symbolic.graph import evaluate_all

    X = np.asarray(loss.X, dtype=float)
    values = evaluate_all(loss.graph, params, X)
    z = values[loss.logits_name()]
    v = loss.function.float64(z[None], np.asarray(loss.Y, dtype=float)[None], loss.output)[0]
    return float(v[0]) * float(loss.scale)
