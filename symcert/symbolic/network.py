"""The network specification :class:`MLP`, its parameters and its closed form.

Parameters are ordered layer by layer, ``l = 1, ..., L``: first the weights
``W^{(l)}`` row by row (``W{l}_{j}{k}``, from unit ``k`` of layer ``l-1`` to unit
``j`` of layer ``l``, 1-based), then the biases ``b{l}_{j}``; in a layer with ten or more rows
or columns the two indices are separated (``W1_12_3``). The scheme is stated once, as
:class:`ParameterName`; the LaTeX printer writes the same parts as ``W^{(1)}_{12,3}``.

>>> net = MLP((1, 2, 1))
>>> net.symbols
(W1_11, W1_21, b1_1, b1_2, W2_11, W2_12, b2_1)
>>> net.output([sympy.Symbol("x")])
[W2_11*tanh(W1_11*x + b1_1) + W2_12*tanh(W1_21*x + b1_2) + b2_1]
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, NamedTuple

import sympy

from symcert.errors import SpecificationError
from symcert.limits import MAX_LAYERS, MAX_WIDTH
from symcert.symbolic.activations import (
    Activation,
    OutputActivation,
)
from symcert.symbolic.activations import (
    activation as _activation,
)
from symcert.symbolic.activations import (
    output_activation as _output_activation,
)
from symcert.symbolic.exact import to_rational

if TYPE_CHECKING:
    from symcert.symbolic.group import SymmetryGroup
    from symcert.symbolic.point import Point

__all__ = ["MLP", "Layer", "ParameterName", "forward"]

#: Widest layer accepted (closed forms grow fast; the numeric layer has its own limits).


class ParameterName(NamedTuple):
    """One parameter's place in the naming scheme: ``letter`` (``"W"`` or ``"b"``), ``layer``,
    the 1-based ``indices`` (row and column of a weight, the unit of a bias), and whether the
    indices are ``separated`` (a layer with ten or more rows or columns).

    >>> name = ParameterName("W", 1, (12, 3), True)
    >>> str(name), name.indices_text(",")
    ('W1_12_3', '12,3')
    """

    letter: str
    layer: int
    indices: tuple[int, ...]
    separated: bool = False

    def indices_text(self, separator: str) -> str:
        """The indices written one after the other, with ``separator`` between them when separated."""
        return (separator if self.separated else "").join(str(i) for i in self.indices)

    def __str__(self) -> str:
        return f"{self.letter}{self.layer}_{self.indices_text('_')}"


@dataclass(frozen=True)
class Layer:
    """The parameters of one layer: ``weights`` (rows) and ``biases`` (or None)."""

    weights: tuple[tuple[Any, ...], ...]
    biases: tuple[Any, ...] | None


@dataclass(frozen=True, init=False)
class MLP:
    """A multilayer perceptron: a frozen, validated specification.

    Args:
        widths: input, hidden and output sizes; two entries mean no hidden layer.
        activation: the hidden activation, a name from
            :data:`~symcert.symbolic.activations.ACTIVATION_NAMES`
            (``"leaky_relu:1/10"`` sets the leaky slope).
        bias: whether the layers have biases: one bool for every layer, or one per weight layer
            (``(True, False)``: hidden biases, no output bias, as in Fukumizu and Amari). Stored
            normalised: one bool when every layer agrees (so ``bias`` reads as before), else the
            tuple; :attr:`biases` always has one bool per layer, :meth:`has_bias` reads one.
        output_activation: ``"identity"``, ``"sigmoid"`` or ``"softmax"``.

    >>> MLP((2, 3, 1), "relu").symmetry_group().order
    6
    >>> MLP((1, 2, 1), bias=(True, False)).parameter_names
    ('W1_11', 'W1_21', 'b1_1', 'b1_2', 'W2_11', 'W2_12')
    >>> MLP((2, 0, 1))
    Traceback (most recent call last):
    ...
    symcert.errors.SpecificationError: widths must be positive integers, got (2, 0, 1)
    """

    widths: tuple[int, ...]
    activation: Activation
    bias: bool | tuple[bool, ...]
    output_activation: OutputActivation

    def __init__(
        self,
        widths: Sequence[int],
        activation: str | Activation = "tanh",
        *,
        bias: bool | Sequence[bool] = True,
        output_activation: str | OutputActivation = "identity",
    ) -> None:
        checked = _check_widths(widths)
        object.__setattr__(self, "widths", checked)
        object.__setattr__(self, "activation", _activation(activation))
        biases = _check_bias(bias, len(checked) - 1)
        object.__setattr__(self, "bias", biases[0] if len(set(biases)) == 1 else biases)
        object.__setattr__(self, "output_activation", _output_activation(output_activation))

    def __repr__(self) -> str:
        extra = "" if self.bias is True else f", bias={self.bias!r}"
        if self.output_activation.name != "identity":
            extra += f", output_activation={self.output_activation.name!r}"
        return f"MLP({self.widths}, {self.activation.label!r}{extra})"

    @property
    def biases(self) -> tuple[bool, ...]:
        """Whether each weight layer ``1, ..., depth`` has biases (:attr:`bias` is one bool when all agree).

        >>> MLP((1, 2, 1)).biases, MLP((1, 2, 1), bias=(True, False)).bias
        ((True, True), (True, False))
        """
        return (self.bias,) * self.depth if isinstance(self.bias, bool) else self.bias

    def has_bias(self, layer: int) -> bool:
        """Whether weight layer ``layer`` (``1, ..., depth``) has biases.

        >>> net = MLP((1, 2, 1), bias=(True, False))
        >>> net.has_bias(1), net.has_bias(2)
        (True, False)
        """
        if not 1 <= layer <= self.depth:
            raise SpecificationError(f"layer must be between 1 and {self.depth}, got {layer!r}")
        return self.biases[layer - 1]

    @property
    def depth(self) -> int:
        """The number of layers with parameters, ``L``."""
        return len(self.widths) - 1

    @property
    def hidden_layers(self) -> range:
        """Indices (into ``widths``) of the hidden layers: ``1, ..., L-1``."""
        return range(1, self.depth)

    @property
    def n_parameters(self) -> int:
        """The number of parameters."""
        return sum(self.widths[l] * (self.widths[l - 1] + self.has_bias(l)) for l in range(1, self.depth + 1))

    def describe(self) -> str:
        """One line for people: ``1-2-1 tanh network (7 parameters)``."""
        shape = "-".join(map(str, self.widths))
        out = self.output_activation.name
        tail = "" if out == "identity" else f", {out} output"
        tail += _bias_note(self.biases)
        kind = self.activation.label if self.hidden_layers else "single-layer (no hidden units)"
        return f"{shape} {kind} network ({self.n_parameters} parameters{tail})"

    # -- parameters -----------------------------------------------------------

    @cached_property
    def symbols(self) -> tuple[sympy.Symbol, ...]:
        """The parameters as real SymPy symbols, in the documented order."""
        return tuple(sympy.Symbol(name, real=True) for name in self.parameter_names)

    @cached_property
    def parameter_names(self) -> tuple[str, ...]:
        """The parameter names, e.g. ``W1_21`` and ``b2_1``."""
        return tuple(str(name) for name in self.parameter_parts)

    @cached_property
    def parameter_parts(self) -> tuple[ParameterName, ...]:
        """Each parameter's :class:`ParameterName`, in the order of :attr:`symbols`.

        >>> MLP((1, 2, 1)).parameter_parts[1]
        ParameterName(letter='W', layer=1, indices=(2, 1), separated=False)
        """
        parts: list[ParameterName] = []
        for l in range(1, self.depth + 1):
            rows, cols = self.widths[l], self.widths[l - 1]
            separated = rows >= 10 or cols >= 10
            for j in range(1, rows + 1):
                parts.extend(ParameterName("W", l, (j, k), separated) for k in range(1, cols + 1))
            if self.has_bias(l):
                parts.extend(ParameterName("b", l, (j,), separated) for j in range(1, rows + 1))
        return tuple(parts)

    @cached_property
    def index(self) -> dict[str, int]:
        """Position of each parameter name in :attr:`symbols`."""
        return {name: i for i, name in enumerate(self.parameter_names)}

    def layers(self, values: Sequence[Any]) -> list[Layer]:
        """Split a flat parameter sequence (any number type) into its layers.

        >>> MLP((1, 2, 1)).layers(range(7))[1]
        Layer(weights=((4, 5),), biases=(6,))
        """
        if len(values) != self.n_parameters:
            raise SpecificationError(
                f"a point of {self.describe()} has {self.n_parameters} values, got {len(values)}"
            )
        layers, position = [], 0
        for l in range(1, self.depth + 1):
            rows, cols = self.widths[l], self.widths[l - 1]
            weights = tuple(
                tuple(values[position + j * cols : position + (j + 1) * cols]) for j in range(rows)
            )
            position += rows * cols
            biases = None
            if self.has_bias(l):
                biases = tuple(values[position : position + rows])
                position += rows
            layers.append(Layer(weights, biases))
        return layers

    def flatten(self, layers: Sequence[Layer]) -> tuple[Any, ...]:
        """The inverse of :meth:`layers`."""
        values: list[Any] = []
        for l, layer in enumerate(layers, start=1):
            for row in layer.weights:
                values.extend(row)
            if self.has_bias(l):
                if layer.biases is None:
                    raise SpecificationError(f"layer {l} of {self.describe()} needs biases, got None")
                values.extend(layer.biases)
        return tuple(values)

    def point(self, **arrays: Any) -> Point:
        """A parameter point with exact values: ``point(W1=[[...]], b1=[...], W2=...)``.

        Each ``W{l}`` is a nested list of shape ``widths[l] x widths[l-1]``, each
        ``b{l}`` a list of length ``widths[l]``; entries are anything
        :func:`~symcert.symbolic.exact.to_rational` accepts.

        >>> MLP((1, 2, 1)).point(W1=[[1], [2]], b1=[0, "1/2"], W2=[[3, -1]], b2=[0])
        Point(W1=[[1], [2]], b1=[0, 1/2], W2=[[3, -1]], b2=[0])
        """
        from symcert.symbolic.point import Point

        expected = [f"W{l}" for l in range(1, self.depth + 1)]
        expected += [f"b{l}" for l in range(1, self.depth + 1) if self.has_bias(l)]
        missing = [key for key in expected if key not in arrays]
        unknown = [key for key in arrays if key not in expected]
        if missing or unknown:
            raise SpecificationError(
                f"a point of {self.describe()} needs exactly {', '.join(sorted(expected))}; "
                f"missing {missing or 'none'}, unexpected {unknown or 'none'}"
            )
        if all(_numeric_array(arrays[key]) for key in expected):
            return self._array_point(arrays)
        layers = []
        for l in range(1, self.depth + 1):
            rows, cols = self.widths[l], self.widths[l - 1]
            weights = _matrix(arrays[f"W{l}"], rows, cols, f"W{l}")
            biases = _vector(arrays[f"b{l}"], rows, f"b{l}") if self.has_bias(l) else None
            layers.append(Layer(weights, biases))
        return Point(self, self.flatten(layers))

    def _array_point(self, arrays: dict[str, Any]) -> Point:
        """The point of numpy arrays, kept as exact integer arrays (SymPy values built on first use)."""
        from symcert.symbolic.array_point import ArrayPoint, exact_integers

        layers = []
        for l in range(1, self.depth + 1):
            rows, cols = self.widths[l], self.widths[l - 1]
            W = arrays[f"W{l}"]
            if W.shape != (rows, cols):
                raise SpecificationError(f"W{l} must have shape {rows}x{cols}, got {_shape(W)}")
            b = None
            if self.has_bias(l):
                if arrays[f"b{l}"].shape != (rows,):
                    raise SpecificationError(f"b{l} must have {rows} entries, got {_shape(arrays[f'b{l}'])}")
                b = exact_integers(arrays[f"b{l}"], f"b{l}")
            layers.append((exact_integers(W, f"W{l}"), b))
        return ArrayPoint.from_layers(self, layers)

    def point_from_values(self, values: Sequence[Any]) -> Point:
        """A point from a flat sequence of values in the order of :attr:`symbols`."""
        from symcert.symbolic.point import Point

        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
            raise SpecificationError(f"values must be a sequence of numbers, got {values!r}")
        self.layers(values)  # checks the length
        return Point(self, tuple(to_rational(v, self.parameter_names[i]) for i, v in enumerate(values)))

    def random_point(self, seed: int = 0, *, scale: int = 2, denominator: int = 8) -> Point:
        """A reproducible random point with entries ``p/denominator`` in ``[-scale, scale]``.

        >>> net = MLP((1, 2, 1))
        >>> net.random_point(3) == net.random_point(3)
        True
        """
        rng = random.Random(seed)
        top = scale * denominator
        return self.point_from_values(
            [sympy.Rational(rng.randint(-top, top), denominator) for _ in range(self.n_parameters)]
        )

    # -- closed form ------------------------------------------------------------

    def output(self, x: Sequence[Any], point: Point | None = None) -> list[sympy.Expr]:
        """The closed-form output, one SymPy expression per output unit.

        ``x`` holds symbols or exact numbers; with ``point`` the parameters take
        its exact values, otherwise they stay symbols.

        >>> net = MLP((1, 1, 1), "relu")
        >>> net.output([2], net.point(W1=[[1]], b1=[-1], W2=[[3]], b2=[0]))
        [3]
        """
        inputs = self._inputs(x)
        values = self.symbols if point is None else self._values_of(point)
        return forward(self, values, inputs, self.activation.sympy, self.output_activation.sympy)

    def _inputs(self, x: Sequence[Any]) -> list[sympy.Expr]:
        if isinstance(x, (str, bytes)) or not isinstance(x, Sequence):
            raise SpecificationError(f"x must be a sequence of {self.widths[0]} inputs, got {x!r}")
        if len(x) != self.widths[0]:
            raise SpecificationError(f"x must have {self.widths[0]} entries (the input width), got {len(x)}")
        return [v if isinstance(v, sympy.Expr) and not v.is_number else to_rational(v, "x") for v in x]

    def _values_of(self, point: Point) -> tuple[sympy.Rational, ...]:
        if point.mlp != self:
            raise SpecificationError(f"the point belongs to {point.mlp.describe()}, not to {self.describe()}")
        return point.values

    def symmetry_group(self) -> SymmetryGroup:
        """The discrete symmetry group of hidden units, with its continuous families."""
        from symcert.symbolic.group import SymmetryGroup

        return SymmetryGroup.of(self)


def forward(
    mlp: MLP,
    values: Sequence[Any],
    x: Sequence[Any],
    hidden: Callable[[Any], Any],
    output: Callable[[list[Any]], list[Any]],
) -> list[Any]:
    """The network's output for flat parameters ``values`` and input ``x``.

    Generic in the number type: SymPy expressions, exact rationals, mpmath
    numbers or intervals, given the matching ``hidden`` and ``output`` maps.

    >>> forward(MLP((1, 1, 1)), [2, 0, 3, 1], [5], lambda u: u, lambda z: z)
    [31]
    """
    a = list(x)
    layers = mlp.layers(values)
    for l, layer in enumerate(layers, start=1):
        z = []
        for j, row in enumerate(layer.weights):
            terms = [w * v for w, v in zip(row, a)]
            if layer.biases is not None:
                terms.append(layer.biases[j])
            z.append(_total(terms))
        a = [hidden(v) for v in z] if l < mlp.depth else output(z)
    return a


def _total(terms: list[Any]) -> Any:
    if terms and isinstance(terms[0], sympy.Basic):
        return sympy.Add(*terms)
    return math.fsum(terms) if terms and isinstance(terms[0], float) else sum(terms[1:], terms[0])


def _check_widths(widths: object) -> tuple[int, ...]:
    if isinstance(widths, (str, bytes)) or not isinstance(widths, Sequence):
        raise SpecificationError(f"widths must be a sequence of positive integers, got {widths!r}")
    if not all(isinstance(w, int) and not isinstance(w, bool) for w in widths):
        raise SpecificationError(f"widths must be positive integers, got {tuple(widths)!r}")
    checked = tuple(int(w) for w in widths)
    if len(checked) < 2:
        raise SpecificationError(f"widths needs at least two entries (input and output), got {checked!r}")
    if any(w <= 0 for w in checked):
        raise SpecificationError(f"widths must be positive integers, got {checked!r}")
    if any(w > MAX_WIDTH for w in checked):
        raise SpecificationError(f"widths above {MAX_WIDTH} are not supported, got {checked!r}")
    if len(checked) > MAX_LAYERS + 1:
        raise SpecificationError(
            f"networks have at most {MAX_LAYERS} layers ({MAX_LAYERS + 1} widths), got {len(checked)} widths"
        )
    return checked


def _check_bias(bias: object, depth: int) -> tuple[bool, ...]:
    """``bias`` as one bool per weight layer (a single bool is repeated)."""
    if isinstance(bias, bool):
        return (bias,) * depth
    if isinstance(bias, (str, bytes)) or not isinstance(bias, Sequence):
        raise SpecificationError(
            f"bias must be True, False or one bool per weight layer ({depth} of them), got {bias!r}"
        )
    if not all(isinstance(b, bool) for b in bias):
        raise SpecificationError(f"bias must hold True or False for each weight layer, got {tuple(bias)!r}")
    if len(bias) != depth:
        raise SpecificationError(
            f"bias needs one entry per weight layer: {depth} for {depth + 1} widths, got {len(bias)} "
            f"({tuple(bias)!r})"
        )
    return tuple(bias)


def _bias_note(biases: tuple[bool, ...]) -> str:
    """The part of :meth:`MLP.describe` about biases: nothing when every layer has them."""
    if all(biases):
        return ""
    if not any(biases):
        return ", no biases"
    without = [str(l) for l, b in enumerate(biases, start=1) if not b]
    return f", no biases in layer{'s' if len(without) > 1 else ''} {', '.join(without)}"


def _numeric_array(value: Any) -> bool:
    """A numpy array of integers or floats (read exactly as integer arrays, without SymPy)."""
    import numpy as np

    return isinstance(value, np.ndarray) and value.dtype.kind in "iuf"


def _matrix(array: Any, rows: int, cols: int, name: str) -> tuple[tuple[sympy.Rational, ...], ...]:
    rows_in = _rows(array, name)
    if len(rows_in) != rows or any(len(_rows(r, name)) != cols for r in rows_in):
        raise SpecificationError(f"{name} must have shape {rows}x{cols}, got {_shape(array)}")
    return tuple(
        tuple(to_rational(v, f"{name}[{j}][{k}]") for k, v in enumerate(_rows(r, name)))
        for j, r in enumerate(rows_in)
    )


def _vector(array: Any, length: int, name: str) -> tuple[sympy.Rational, ...]:
    items = _rows(array, name)
    if len(items) != length:
        raise SpecificationError(f"{name} must have {length} entries, got {_shape(array)}")
    return tuple(to_rational(v, f"{name}[{j}]") for j, v in enumerate(items))


def _rows(array: Any, name: str) -> list[Any]:
    if hasattr(array, "tolist"):  # numpy arrays and SymPy matrices
        array = array.tolist()
    if isinstance(array, (str, bytes)) or not isinstance(array, Sequence):
        raise SpecificationError(f"{name} must be a list (of lists) of numbers, got {array!r}")
    return list(array)


def _shape(array: Any) -> str:
    if hasattr(array, "tolist"):
        array = array.tolist()
    if isinstance(array, Sequence) and not isinstance(array, str):
        inner = {len(r) if isinstance(r, Sequence) and not isinstance(r, str) else None for r in array}
        if inner == {None}:
            return f"length {len(array)}"
        return f"{len(array)} rows of lengths {sorted(i or 0 for i in inner)}"
    return repr(array)
