"""Group elements: the maps on parameters that may be symmetries, their action and their text form.

Unit elements act on hidden layer ``layer`` (an index into ``widths``, so ``1``
is the first hidden layer; units are 0-based): on row ``j`` of ``W_layer``,
entry ``j`` of ``b_layer`` and column ``j`` of ``W_{layer+1}``. Text forms (the
CLI syntax, read by :func:`parse_element`):

- ``swap:L:I,J`` exchange units ``I`` and ``J``;
- ``flip:L:U`` negate the unit's row, bias and column (and, for an activation
  with ``s(-u) = 1 - s(u)``, shift the next biases by the column);
- ``flip_in:L:U`` negate the unit's row and bias only (its incoming side);
- ``rescale:L:U:ALPHA`` and ``rescale:L:U:ALPHA:K`` multiply the row and bias by
  ``ALPHA > 0`` and the column by ``ALPHA^-K`` (``K = 1`` by default);
- ``sign:F:T`` negate the whole weight matrices ``W_F`` and ``W_T`` (``F < T``),
  nothing else: a sign carried from layer ``F`` to layer ``T``;
- ``perm:L:S0,S1,...`` and products ``E1;E2`` (:mod:`symcert.symbolic.permutations`).

Whether an element is a symmetry is decided from the activation's facts in
:mod:`symcert.symbolic.group`, and proved by :func:`symcert.prove_invariance`.

>>> parse_element("flip_in:1:0"), parse_element("rescale:1:0:3:2"), parse_element("sign:1:2")
(flip_in(1, 0), rescale(1, 0, 3, degree=2), layer_sign(1, 2))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sympy

from symcert.errors import SpecificationError
from symcert.symbolic.exact import to_rational
from symcert.symbolic.network import Layer

if TYPE_CHECKING:
    from symcert.symbolic.network import MLP
    from symcert.symbolic.point import Point

__all__ = [
    "GroupElement",
    "Swap",
    "Flip",
    "FlipIn",
    "Rescale",
    "LayerSign",
    "swap",
    "flip",
    "flip_in",
    "rescale",
    "layer_sign",
    "parse_element",
]


def _check_index(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SpecificationError(f"{what} must be a non-negative integer, got {value!r}")
    return value


@dataclass
class MutableLayer:
    """A layer's parameters as lists, which a group element changes in place while it acts."""

    weights: list[list[Any]]
    biases: list[Any] | None

    def frozen(self) -> Layer:
        """The same parameters as a :class:`Layer` of tuples."""
        biases = None if self.biases is None else tuple(self.biases)
        return Layer(tuple(tuple(row) for row in self.weights), biases)


class GroupElement:
    """Base class of the group elements; subclasses implement :meth:`_act`."""

    layer: int

    def check(self, mlp: MLP) -> None:
        """Raise :class:`SpecificationError` unless this element fits ``mlp``."""
        if self.layer not in mlp.hidden_layers:
            hidden = f"1 to {mlp.depth - 1}" if mlp.depth > 1 else "none: it has no hidden layer"
            raise SpecificationError(
                f"{self} acts on layer {self.layer}, but the hidden layers of "
                f"{mlp.describe()} are {hidden} (layer 0 is the input, {mlp.depth} the output)"
            )
        width = mlp.widths[self.layer]
        for unit in self.units:
            if unit >= width:
                raise SpecificationError(
                    f"{self} uses unit {unit}, but layer {self.layer} has {width} "
                    f"unit{'s' if width != 1 else ''} (0 to {width - 1})"
                )

    @property
    def units(self) -> tuple[int, ...]:
        """The units the element touches."""
        raise NotImplementedError

    def act(self, mlp: MLP, values: tuple[Any, ...]) -> tuple[Any, ...]:
        """The image of flat parameters ``values`` (symbols or numbers)."""
        self.check(mlp)
        layers = [
            MutableLayer(
                [list(row) for row in layer.weights], None if layer.biases is None else list(layer.biases)
            )
            for layer in mlp.layers(values)
        ]
        self._act_layers(mlp, layers)
        return mlp.flatten([layer.frozen() for layer in layers])

    def _act_layers(self, mlp: MLP, layers: list[MutableLayer]) -> None:
        self._act(mlp, layers[self.layer - 1], layers[self.layer])

    def _act(self, mlp: MLP, here: MutableLayer, after: MutableLayer) -> None:
        raise NotImplementedError

    def __call__(self, point: Point) -> Point:
        """The image ``g(point)`` of an exact point."""
        from symcert.symbolic.point import Point

        if not isinstance(point, Point):
            raise SpecificationError(
                f"{self} acts on a Point (or on an expression through .substitution), got {point!r}"
            )
        from symcert.symbolic.array_point import ArrayPoint, act_on_arrays

        if isinstance(point, ArrayPoint):  # integer arrays: moved and negated exactly, no SymPy
            image = act_on_arrays(self, point)
            if image is not None:
                return image
        return Point(point.mlp, tuple(sympy.Rational(v) for v in self.act(point.mlp, point.values)))

    def substitution(self, mlp: MLP) -> dict[sympy.Symbol, sympy.Expr]:
        """The substitution ``theta -> g(theta)`` on ``mlp.symbols`` (changed symbols only)."""
        image = self.act(mlp, mlp.symbols)
        return {s: v for s, v in zip(mlp.symbols, image) if s != v}

    def apply(self, expr: sympy.Expr, mlp: MLP) -> sympy.Expr:
        """The expression ``expr(g(theta))``: every parameter replaced, simultaneously."""
        return sympy.sympify(expr).xreplace(self.substitution(mlp))


@dataclass(frozen=True)
class Swap(GroupElement):
    """Exchange units ``i`` and ``j`` of hidden layer ``layer``."""

    layer: int
    i: int
    j: int

    def __post_init__(self) -> None:
        _check_index(self.layer, "layer")
        _check_index(self.i, "i")
        _check_index(self.j, "j")
        if self.i == self.j:
            raise SpecificationError(f"a swap needs two different units, got {self.i} twice")

    @property
    def units(self) -> tuple[int, ...]:
        return (self.i, self.j)

    def _act(self, mlp: MLP, here: MutableLayer, after: MutableLayer) -> None:
        i, j = self.i, self.j
        here.weights[i], here.weights[j] = here.weights[j], here.weights[i]
        if here.biases is not None:
            here.biases[i], here.biases[j] = here.biases[j], here.biases[i]
        for row in after.weights:
            row[i], row[j] = row[j], row[i]

    def __str__(self) -> str:
        return f"swap:{self.layer}:{self.i},{self.j}"

    def __repr__(self) -> str:
        return f"swap({self.layer}, {self.i}, {self.j})"


@dataclass(frozen=True)
class Flip(GroupElement):
    """Flip the sign of unit ``unit`` of hidden layer ``layer``.

    Row and bias of the unit and its outgoing column change sign. When the
    activation satisfies ``s(-u) = 1 - s(u)`` (the logistic sigmoid), the next
    layer's biases also move by the original column, ``b += W[:, unit]``.
    """

    layer: int
    unit: int

    def __post_init__(self) -> None:
        _check_index(self.layer, "layer")
        _check_index(self.unit, "unit")

    @property
    def units(self) -> tuple[int, ...]:
        return (self.unit,)

    def _act(self, mlp: MLP, here: MutableLayer, after: MutableLayer) -> None:
        u = self.unit
        here.weights[u] = [-w for w in here.weights[u]]
        if here.biases is not None:
            here.biases[u] = -here.biases[u]
        column = [row[u] for row in after.weights]
        for row in after.weights:
            row[u] = -row[u]
        if mlp.activation.complement and after.biases is not None:
            for m, w in enumerate(column):
                after.biases[m] = after.biases[m] + w

    def __str__(self) -> str:
        return f"flip:{self.layer}:{self.unit}"

    def __repr__(self) -> str:
        return f"flip({self.layer}, {self.unit})"


@dataclass(frozen=True)
class FlipIn(GroupElement):
    """Flip the sign of the incoming side of unit ``unit``: its row of ``W_layer`` and its bias.

    A symmetry when the activation is even, ``s(-u) = s(u)`` (square): the unit's
    output, and so everything after it, is unchanged.
    """

    layer: int
    unit: int

    def __post_init__(self) -> None:
        _check_index(self.layer, "layer")
        _check_index(self.unit, "unit")

    @property
    def units(self) -> tuple[int, ...]:
        return (self.unit,)

    def _act(self, mlp: MLP, here: MutableLayer, after: MutableLayer) -> None:
        u = self.unit
        here.weights[u] = [-w for w in here.weights[u]]
        if here.biases is not None:
            here.biases[u] = -here.biases[u]

    def __str__(self) -> str:
        return f"flip_in:{self.layer}:{self.unit}"

    def __repr__(self) -> str:
        return f"flip_in({self.layer}, {self.unit})"


@dataclass(frozen=True)
class Rescale(GroupElement):
    """Scale unit ``unit`` of layer ``layer``: its row and bias by ``alpha > 0``,
    its outgoing column by ``alpha^-degree``.

    A symmetry when the activation is positively homogeneous of degree ``degree``:
    ``s(alpha u) = alpha^degree s(u)``.
    """

    layer: int
    unit: int
    alpha: sympy.Rational
    degree: int = 1

    def __post_init__(self) -> None:
        _check_index(self.layer, "layer")
        _check_index(self.unit, "unit")
        alpha = to_rational(self.alpha, "alpha")
        if alpha <= 0:
            raise SpecificationError(f"rescale needs alpha > 0, got {alpha}")
        if isinstance(self.degree, bool) or not isinstance(self.degree, int) or self.degree < 1:
            raise SpecificationError(
                f"rescale needs a degree that is a positive integer, got {self.degree!r}"
            )
        object.__setattr__(self, "alpha", alpha)

    @property
    def units(self) -> tuple[int, ...]:
        return (self.unit,)

    def _act(self, mlp: MLP, here: MutableLayer, after: MutableLayer) -> None:
        u, alpha = self.unit, self.alpha
        here.weights[u] = [alpha * w for w in here.weights[u]]
        if here.biases is not None:
            here.biases[u] = alpha * here.biases[u]
        shrink = alpha**self.degree
        for row in after.weights:
            row[u] = row[u] / shrink

    def __str__(self) -> str:
        tail = "" if self.degree == 1 else f":{self.degree}"
        return f"rescale:{self.layer}:{self.unit}:{self.alpha}{tail}"

    def __repr__(self) -> str:
        tail = "" if self.degree == 1 else f", degree={self.degree}"
        return f"rescale({self.layer}, {self.unit}, {self.alpha}{tail})"


@dataclass(frozen=True)
class LayerSign(GroupElement):
    """Negate the whole weight matrices ``W_first`` and ``W_last`` (biases untouched), ``first < last``.

    In a network without biases the first negation puts a sign on every
    pre-activation of layer ``first``; an odd activation passes it on through
    the layers in between and an even one absorbs it; the second negation cancels
    a sign arriving at layer ``last`` or puts a new one there, to be absorbed in
    turn. :class:`~symcert.symbolic.group.SymmetryGroup` decides which of these
    are symmetries from the activation's facts.
    """

    layer: int
    last: int

    def __post_init__(self) -> None:
        _check_index(self.layer, "layer")
        _check_index(self.last, "last")
        if self.last <= self.layer:
            raise SpecificationError(
                f"sign needs a later second layer, got sign:{self.layer}:{self.last}; "
                "write sign:F:T with F < T"
            )

    @property
    def first(self) -> int:
        """The first layer whose weights are negated (a hidden layer)."""
        return self.layer

    @property
    def units(self) -> tuple[int, ...]:
        return ()

    def check(self, mlp: MLP) -> None:
        super().check(mlp)
        if self.last > mlp.depth:
            raise SpecificationError(
                f"{self} negates W{self.last}, but {mlp.describe()} has weight matrices W1 to W{mlp.depth}"
            )

    def _act_layers(self, mlp: MLP, layers: list[MutableLayer]) -> None:
        for l in (self.layer, self.last):
            layer = layers[l - 1]
            for j, row in enumerate(layer.weights):
                layer.weights[j] = [-w for w in row]

    def __str__(self) -> str:
        return f"sign:{self.layer}:{self.last}"

    def __repr__(self) -> str:
        return f"layer_sign({self.layer}, {self.last})"


def swap(layer: int, i: int, j: int) -> Swap:
    """Exchange units ``i`` and ``j`` (0-based) of hidden layer ``layer``.

    >>> from symcert import MLP
    >>> net = MLP((1, 2, 1))
    >>> swap(1, 0, 1)(net.point(W1=[[1], [2]], b1=[3, 4], W2=[[5, 6]], b2=[7]))
    Point(W1=[[2], [1]], b1=[4, 3], W2=[[6, 5]], b2=[7])
    """
    return Swap(layer, i, j)


def flip(layer: int, unit: int) -> Flip:
    """Flip the sign of ``unit`` (0-based) of hidden layer ``layer``.

    >>> from symcert import MLP
    >>> net = MLP((1, 1, 1), "sigmoid")
    >>> flip(1, 0)(net.point(W1=[[1]], b1=[2], W2=[[3]], b2=[4]))
    Point(W1=[[-1]], b1=[-2], W2=[[-3]], b2=[7])
    """
    return Flip(layer, unit)


def flip_in(layer: int, unit: int) -> FlipIn:
    """Flip the sign of the incoming weights and bias of ``unit`` (0-based) of hidden layer ``layer``.

    >>> from symcert import MLP
    >>> net = MLP((1, 1, 1), "square")
    >>> flip_in(1, 0)(net.point(W1=[[1]], b1=[2], W2=[[3]], b2=[4]))
    Point(W1=[[-1]], b1=[-2], W2=[[3]], b2=[4])
    """
    return FlipIn(layer, unit)


def rescale(layer: int, unit: int, alpha: object, degree: int = 1) -> Rescale:
    """Scale ``unit`` of layer ``layer``: incoming by exact ``alpha > 0``, outgoing by ``alpha^-degree``.

    >>> rescale(1, 0, "1/2")
    rescale(1, 0, 1/2)
    >>> from symcert import MLP
    >>> net = MLP((1, 1, 1), "square")
    >>> rescale(1, 0, 2, degree=2)(net.point(W1=[[1]], b1=[3], W2=[[8]], b2=[0]))
    Point(W1=[[2]], b1=[6], W2=[[2]], b2=[0])
    """
    return Rescale(layer, unit, alpha, degree)


def layer_sign(first: int, last: int) -> LayerSign:
    """Negate the weight matrices ``W_first`` and ``W_last`` (``first`` a hidden layer, ``first < last``).

    >>> from symcert import MLP
    >>> net = MLP((1, 1, 1), "square", bias=False)
    >>> layer_sign(1, 2)(net.point(W1=[[1]], W2=[[3]]))
    Point(W1=[[-1]], W2=[[-3]])
    """
    return LayerSign(first, last)


def parse_element(text: str) -> GroupElement:
    """Read ``swap:L:I,J``, ``flip:L:U``, ``flip_in:L:U``, ``rescale:L:U:ALPHA[:K]``, ``sign:F:T``,
    ``perm:L:S0,S1,...``, or a product ``E1;E2;...`` (applied left to right; ``identity`` is empty).

    >>> parse_element("swap:1:0,1"), parse_element("rescale:2:1:3/2")
    (swap(1, 0, 1), rescale(2, 1, 3/2))
    >>> parse_element("flip:1:0;perm:1:2,0,1"), parse_element("identity")
    (product(flip(1, 0), permutation(1, (2, 0, 1))), product())
    """
    usage = (
        "write swap:LAYER:I,J, flip:LAYER:UNIT, flip_in:LAYER:UNIT, rescale:LAYER:UNIT:ALPHA[:DEGREE], "
        "sign:FIRST:LAST, translate:C[:K1,K2], perm:LAYER:S0,S1,... or a product E1;E2, e.g. swap:1:0,1"
    )
    if not isinstance(text, str):
        raise SpecificationError(f"an element is text ({usage}), got {text!r}")
    from symcert.symbolic.permutations import permutation, product

    if ";" in text or text.strip() == "identity":
        parts = [] if text.strip() == "identity" else text.split(";")
        if any(not part.strip() or ";" in part or part.strip() == "identity" for part in parts):
            raise SpecificationError(f"cannot read the element {text!r}: {usage}")
        return product(*(parse_element(part) for part in parts))
    kind, *fields = text.strip().split(":")
    try:
        if kind == "perm" and len(fields) == 2:
            return permutation(int(fields[0]), [int(s) for s in fields[1].split(",")])
        if kind == "swap" and len(fields) == 2:
            i, _, j = fields[1].partition(",")
            return swap(int(fields[0]), int(i), int(j))
        if kind == "flip" and len(fields) == 2:
            return flip(int(fields[0]), int(fields[1]))
        if kind == "flip_in" and len(fields) == 2:
            return flip_in(int(fields[0]), int(fields[1]))
        if kind == "rescale" and len(fields) in (3, 4):
            degree = int(fields[3]) if len(fields) == 4 else 1
            return rescale(int(fields[0]), int(fields[1]), fields[2], degree)
        if kind == "sign" and len(fields) == 2:
            return layer_sign(int(fields[0]), int(fields[1]))
        if kind == "translate":
            from symcert.symbolic.translation import parse_translation

            return parse_translation(text)
    except ValueError as error:
        if isinstance(error, SpecificationError):
            raise
        raise SpecificationError(f"cannot read the element {text!r}: {usage}") from None
    raise SpecificationError(f"cannot read the element {text!r}: {usage}")
