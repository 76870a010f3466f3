"""Exact parameter points of a network, with exact interpolation.

>>> from symcert import MLP
>>> net = MLP((1, 2, 1))
>>> A = net.point(W1=[[1], [-1]], b1=[0, 0], W2=[[1, 2]], b2=[0])
>>> B = net.point(W1=[[-1], [1]], b1=[0, 0], W2=[[2, 1]], b2=[0])
>>> A.midpoint(B)
Point(W1=[[0], [0]], b1=[0, 0], W2=[[3/2, 3/2]], b2=[0])
>>> A.interpolate(B, "1/4")["W2_11"]
5/4
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sympy

from symcert.errors import SpecificationError
from symcert.symbolic.exact import format_rational, to_rational

if TYPE_CHECKING:
    from symcert.symbolic.network import MLP, Layer

__all__ = ["Point"]


@dataclass(frozen=True)
class Point:
    """A point of parameter space: exact rationals in the order of ``mlp.symbols``.

    Build points with :meth:`MLP.point <symcert.symbolic.network.MLP.point>`.
    """

    mlp: MLP
    values: tuple[sympy.Rational, ...]

    def __post_init__(self) -> None:
        if len(self.values) != self.mlp.n_parameters or not all(
            isinstance(v, sympy.Rational) for v in self.values
        ):
            raise SpecificationError(
                f"a Point holds {self.mlp.n_parameters} exact rationals; build it with MLP.point(...)"
            )

    def __getitem__(self, name: str | sympy.Symbol) -> sympy.Rational:
        key = str(name)
        if key not in self.mlp.index:
            raise SpecificationError(
                f"{key!r} is not a parameter of {self.mlp.describe()}; "
                f"parameters look like {self.mlp.parameter_names[0]}"
            )
        return self.values[self.mlp.index[key]]

    @property
    def layers(self) -> list[Layer]:
        """The values split by layer (weights by rows, biases)."""
        return self.mlp.layers(self.values)

    def W(self, layer: int) -> sympy.ImmutableMatrix:
        """The weight matrix of ``layer`` (1-based, as in ``W1``)."""
        return sympy.ImmutableMatrix(self._layer(layer).weights)

    def b(self, layer: int) -> sympy.ImmutableMatrix:
        """The bias vector of ``layer`` (1-based) as a column."""
        biases = self._layer(layer).biases
        if biases is None:
            raise SpecificationError(f"{self.mlp.describe()} has no biases")
        return sympy.ImmutableMatrix(biases)

    def _layer(self, layer: int) -> Layer:
        if isinstance(layer, bool) or not isinstance(layer, int) or not 1 <= layer <= self.mlp.depth:
            raise SpecificationError(f"layer must be an integer from 1 to {self.mlp.depth}, got {layer!r}")
        return self.layers[layer - 1]

    def as_dict(self) -> dict[sympy.Symbol, sympy.Rational]:
        """The substitution ``{symbol: value}``."""
        return dict(zip(self.mlp.symbols, self.values))

    def arrays(self) -> dict[str, list[Any]]:
        """The values as ``{"W1": [[...]], "b1": [...], ...}`` of exact strings."""
        out: dict[str, list[Any]] = {}
        for l, layer in enumerate(self.layers, start=1):
            out[f"W{l}"] = [[format_rational(v) for v in row] for row in layer.weights]
            if layer.biases is not None:
                out[f"b{l}"] = [format_rational(v) for v in layer.biases]
        return out

    def __repr__(self) -> str:
        parts = ", ".join(f"{k}={_plain(v)}" for k, v in self.arrays().items())
        return f"Point({parts})"

    def _check_same_network(self, other: object) -> Point:
        if not isinstance(other, Point):
            raise SpecificationError(f"expected a Point, got {type(other).__name__}")
        if other.mlp != self.mlp:
            raise SpecificationError(
                f"points of different networks: {self.mlp.describe()} and {other.mlp.describe()}"
            )
        return other

    def interpolate(self, other: Point, t: Any) -> Point:
        """The exact point ``self + t (other - self)`` (``t`` exact; ``t = 1/2`` is the midpoint)."""
        other = self._check_same_network(other)
        t = to_rational(t, "t")
        return Point(self.mlp, tuple(a + t * (b - a) for a, b in zip(self.values, other.values)))

    def midpoint(self, other: Point) -> Point:
        """The exact midpoint ``(self + other) / 2``."""
        return self.interpolate(other, sympy.Rational(1, 2))

    def direction(self, other: Point) -> tuple[sympy.Rational, ...]:
        """The exact difference ``other - self`` as a flat tuple."""
        other = self._check_same_network(other)
        return tuple(b - a for a, b in zip(self.values, other.values))


def _plain(value: Any) -> str:
    if isinstance(value, Sequence) and not isinstance(value, str):
        return "[" + ", ".join(_plain(v) for v in value) + "]"
    return str(value)
