"""Weight-space symmetries: group elements, their action, and the group of a network.

Elements act on hidden layer ``layer`` (an index into ``widths``, so ``1`` is
the first hidden layer; units are 0-based): on row ``j`` of ``W_layer``, entry
``j`` of ``b_layer`` and column ``j`` of ``W_{layer+1}``. Which elements are
symmetries is derived here, once, from the activation's declared facts.

>>> from symcert import MLP
>>> group = MLP((1, 3, 1), "tanh").symmetry_group()
>>> group.order, group.generators
(48, (swap(1, 0, 1), swap(1, 1, 2), flip(1, 0)))
>>> MLP((2, 2, 2, 1), "relu").symmetry_group().continuous[0].kind
'rescale'
"""

from __future__ import annotations

import math
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
    "Rescale",
    "swap",
    "flip",
    "rescale",
    "parse_element",
    "SymmetryGroup",
    "LayerSymmetries",
    "ContinuousFamily",
]


def _check_index(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SpecificationError(f"{what} must be a non-negative integer, got {value!r}")
    return value


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
            Layer([list(row) for row in layer.weights], None if layer.biases is None else list(layer.biases))
            for layer in mlp.layers(values)
        ]
        self._act(mlp, layers[self.layer - 1], layers[self.layer])
        return mlp.flatten(layers)

    def _act(self, mlp: MLP, here: Layer, after: Layer) -> None:
        raise NotImplementedError

    def __call__(self, point: Point) -> Point:
        """The image ``g(point)`` of an exact point."""
        from symcert.symbolic.point import Point

        if not isinstance(point, Point):
            raise SpecificationError(
                f"{self} acts on a Point (or on an expression through .substitution), got {point!r}"
            )
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

    def _act(self, mlp, here, after):
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

    def _act(self, mlp, here, after):
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
class Rescale(GroupElement):
    """Scale unit ``unit`` of layer ``layer``: its row and bias by ``alpha > 0``,
    its outgoing column by ``1 / alpha``."""

    layer: int
    unit: int
    alpha: sympy.Rational

    def __post_init__(self) -> None:
        _check_index(self.layer, "layer")
        _check_index(self.unit, "unit")
        alpha = to_rational(self.alpha, "alpha")
        if alpha <= 0:
            raise SpecificationError(f"rescale needs alpha > 0, got {alpha}")
        object.__setattr__(self, "alpha", alpha)

    @property
    def units(self) -> tuple[int, ...]:
        return (self.unit,)

    def _act(self, mlp, here, after):
        u, alpha = self.unit, self.alpha
        here.weights[u] = [alpha * w for w in here.weights[u]]
        if here.biases is not None:
            here.biases[u] = alpha * here.biases[u]
        for row in after.weights:
            row[u] = row[u] / alpha

    def __str__(self) -> str:
        return f"rescale:{self.layer}:{self.unit}:{self.alpha}"

    def __repr__(self) -> str:
        return f"rescale({self.layer}, {self.unit}, {self.alpha})"


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


def rescale(layer: int, unit: int, alpha: object) -> Rescale:
    """Scale ``unit`` of hidden layer ``layer`` by ``alpha > 0`` (exact).

    >>> rescale(1, 0, "1/2")
    rescale(1, 0, 1/2)
    """
    return Rescale(layer, unit, alpha)


def parse_element(text: str) -> GroupElement:
    """Read ``swap:L:I,J``, ``flip:L:U`` or ``rescale:L:U:ALPHA`` (the CLI syntax).

    >>> parse_element("swap:1:0,1"), parse_element("rescale:2:1:3/2")
    (swap(1, 0, 1), rescale(2, 1, 3/2))
    """
    usage = "write swap:LAYER:I,J, flip:LAYER:UNIT or rescale:LAYER:UNIT:ALPHA, e.g. swap:1:0,1"
    if not isinstance(text, str):
        raise SpecificationError(f"an element is text ({usage}), got {text!r}")
    kind, *fields = text.strip().split(":")
    try:
        if kind == "swap" and len(fields) == 2:
            i, _, j = fields[1].partition(",")
            return swap(int(fields[0]), int(i), int(j))
        if kind == "flip" and len(fields) == 2:
            return flip(int(fields[0]), int(fields[1]))
        if kind == "rescale" and len(fields) == 3:
            return rescale(int(fields[0]), int(fields[1]), fields[2])
    except ValueError as error:
        if isinstance(error, SpecificationError):
            raise
        raise SpecificationError(f"cannot read the element {text!r}: {usage}") from None
    raise SpecificationError(f"cannot read the element {text!r}: {usage}")


@dataclass(frozen=True)
class ContinuousFamily:
    """A continuous family of symmetries, e.g. rescaling the units of a ReLU layer."""

    layer: int
    kind: str
    dimension: int
    description: str


@dataclass(frozen=True)
class LayerSymmetries:
    """What one hidden layer contributes to the group."""

    layer: int
    width: int
    flips: bool
    flip_reason: str
    rescaling: bool

    @property
    def order(self) -> int:
        """``n!`` or, with sign flips, ``n! 2^n``."""
        return math.factorial(self.width) * (2**self.width if self.flips else 1)


@dataclass(frozen=True)
class SymmetryGroup:
    """The discrete group of hidden-unit symmetries of a network, and its continuous families.

    ``order`` is the product over hidden layers of ``n!`` (permutations) or
    ``n! 2^n`` (signed permutations); ``generators`` are the adjacent swaps and,
    where valid, one sign flip per layer; ``continuous`` lists rescaling families.
    """

    mlp: MLP
    layers: tuple[LayerSymmetries, ...]

    @classmethod
    def of(cls, mlp: MLP) -> SymmetryGroup:
        """Derive the group of ``mlp`` from its activation's facts (the one place this is done)."""
        facts = mlp.activation
        layers = []
        for l in mlp.hidden_layers:
            if facts.odd:
                flips, reason = True, f"{facts.name} is odd: s(-u) = -s(u)"
            elif facts.complement and mlp.bias:
                flips, reason = (
                    True,
                    (
                        f"{facts.name}(-u) = 1 - {facts.name}(u): a flip with the shift "
                        f"b{l + 1} += W{l + 1}[:, j]"
                    ),
                )
            elif facts.complement:
                flips, reason = (
                    False,
                    f"{facts.name}(-u) = 1 - {facts.name}(u) needs a bias to absorb the shift",
                )
            else:
                flips, reason = False, f"{facts.name} is not odd"
            layers.append(LayerSymmetries(l, mlp.widths[l], flips, reason, facts.positively_homogeneous))
        return cls(mlp, tuple(layers))

    @property
    def order(self) -> int:
        """The order of the discrete group (an ``int``)."""
        return math.prod(layer.order for layer in self.layers)

    @property
    def generators(self) -> tuple[GroupElement, ...]:
        """Adjacent swaps and, where a flip is a symmetry, one flip per hidden layer."""
        out: list[GroupElement] = []
        for layer in self.layers:
            out.extend(swap(layer.layer, i, i + 1) for i in range(layer.width - 1))
            if layer.flips:
                out.append(flip(layer.layer, 0))
        return tuple(out)

    @property
    def continuous(self) -> tuple[ContinuousFamily, ...]:
        """Continuous families of symmetries (rescaling for positively homogeneous activations)."""
        name = self.mlp.activation.name
        return tuple(
            ContinuousFamily(
                layer.layer,
                "rescale",
                layer.width,
                f"rescale:{layer.layer}:j:alpha for each unit j and alpha > 0 "
                f"(row j of W{layer.layer} and b{layer.layer}_j times alpha, column j of "
                f"W{layer.layer + 1} over alpha), since {name}(alpha u) = alpha {name}(u)",
            )
            for layer in self.layers
            if layer.rescaling
        )

    def contains(self, element: GroupElement) -> bool:
        """Whether the activation's facts make ``element`` a symmetry (a claim to prove)."""
        element.check(self.mlp)
        facts = self.layers[element.layer - 1]
        if isinstance(element, Swap):
            return True
        if isinstance(element, Flip):
            return facts.flips
        if isinstance(element, Rescale):
            return facts.rescaling or element.alpha == 1
        return False

    def _repr_latex_(self) -> str:
        from symcert.proofs.latex import group_repr_latex  # the printer lives with the other renderers

        return group_repr_latex(self)

    def generation_argument(self) -> str:
        """Why invariance under the generators gives invariance under the whole group."""
        if not self.layers:
            return "The network has no hidden layer: the group is trivial."
        parts = []
        for layer in self.layers:
            if layer.flips:
                parts.append(
                    f"layer {layer.layer}: the adjacent swaps and one sign flip generate the "
                    f"signed permutations of {layer.width} units (order {layer.order})"
                )
            else:
                parts.append(
                    f"layer {layer.layer}: the adjacent swaps generate all permutations of "
                    f"{layer.width} units (order {layer.order})"
                )
        return (
            "; ".join(parts) + ". Elements acting on different layers commute, so the group is the product "
            f"(order {self.order}), and a function invariant under every generator is invariant "
            "under every product of generators, that is, under the whole group."
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description (key ``order`` and the rest; stable)."""
        return {
            "network": {
                "widths": list(self.mlp.widths),
                "activation": self.mlp.activation.label,
                "bias": self.mlp.bias,
                "output_activation": self.mlp.output_activation.name,
            },
            "order": self.order,
            "layers": [
                {
                    "layer": layer.layer,
                    "width": layer.width,
                    "order": layer.order,
                    "sign_flips": layer.flips,
                    "sign_flip_reason": layer.flip_reason,
                    "rescaling": layer.rescaling,
                }
                for layer in self.layers
            ],
            "generators": [str(g) for g in self.generators],
            "continuous": [
                {"layer": f.layer, "kind": f.kind, "dimension": f.dimension, "description": f.description}
                for f in self.continuous
            ],
        }
