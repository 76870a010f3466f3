"""Whole-layer permutations and products of group elements, with their inverses.

A :class:`Permutation` reorders all units of one hidden layer at once (the swaps
generate it; acting in one step keeps large networks cheap). A :class:`Product`
applies its factors in order, left to right: the element ``align`` returns is a
product of flips and permutations. Text forms (read by
:func:`~symcert.symbolic.elements.parse_element`):

- ``perm:L:S0,S1,...`` unit ``i`` of the image is unit ``Si`` of the argument;
- ``E1;E2;...`` apply ``E1``, then ``E2``, ...; ``identity`` is the empty product.

>>> from symcert import MLP, flip
>>> net = MLP((1, 3, 1), "tanh")
>>> A = net.point(W1=[[1], [2], [3]], b1=[4, 5, 6], W2=[[7, 8, 9]], b2=[0])
>>> permutation(1, (2, 0, 1))(A)
Point(W1=[[3], [1], [2]], b1=[6, 4, 5], W2=[[9, 7, 8]], b2=[0])
>>> g = product(flip(1, 0), permutation(1, (2, 0, 1)))
>>> print(g)
flip:1:0;perm:1:2,0,1
>>> inverse(g)(g(A)) == A
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from symcert.errors import SpecificationError
from symcert.symbolic.elements import Flip, FlipIn, GroupElement, LayerSign, Rescale, Swap, rescale

if TYPE_CHECKING:
    from symcert.symbolic.elements import MutableLayer
    from symcert.symbolic.network import MLP

__all__ = ["Permutation", "Product", "permutation", "product", "inverse"]


@dataclass(frozen=True)
class Permutation(GroupElement):
    """Reorder the units of hidden layer ``layer``: unit ``i`` of the image is unit ``source[i]``.

    Rows of ``W_layer``, entries of ``b_layer`` and columns of ``W_{layer+1}``
    move together, so this is a product of swaps and always a symmetry.
    """

    layer: int
    source: tuple[int, ...]

    def __post_init__(self) -> None:
        if isinstance(self.layer, bool) or not isinstance(self.layer, int) or self.layer < 0:
            raise SpecificationError(f"layer must be a non-negative integer, got {self.layer!r}")
        source = tuple(self.source) if isinstance(self.source, Sequence) else None
        if (
            source is None
            or not all(isinstance(s, int) and not isinstance(s, bool) for s in source)
            or sorted(source) != list(range(len(source)))
        ):
            raise SpecificationError(
                f"a permutation lists each unit 0..n-1 exactly once, got {self.source!r}; e.g. (2, 0, 1)"
            )
        object.__setattr__(self, "source", source)

    @property
    def units(self) -> tuple[int, ...]:
        return tuple(i for i, s in enumerate(self.source) if s != i)

    def check(self, mlp: MLP) -> None:
        super().check(mlp)
        width = mlp.widths[self.layer]
        if len(self.source) != width:
            raise SpecificationError(
                f"{self} lists {len(self.source)} units, but layer {self.layer} of {mlp.describe()} "
                f"has {width}; list every unit once"
            )

    def _act(self, mlp: MLP, here: MutableLayer, after: MutableLayer) -> None:
        source = self.source
        here.weights[:] = [here.weights[s] for s in source]
        if here.biases is not None:
            here.biases[:] = [here.biases[s] for s in source]
        for row in after.weights:
            row[:] = [row[s] for s in source]

    def inverse(self) -> Permutation:
        """The permutation that undoes this one."""
        back = [0] * len(self.source)
        for i, s in enumerate(self.source):
            back[s] = i
        return Permutation(self.layer, tuple(back))

    def __str__(self) -> str:
        return f"perm:{self.layer}:" + ",".join(str(s) for s in self.source)

    def __repr__(self) -> str:
        return f"permutation({self.layer}, {self.source})"


@dataclass(frozen=True)
class Product(GroupElement):
    """The factors applied in order, left to right (the empty product is the identity).

    It is a symmetry when every factor is one; :func:`symcert.prove_invariance`
    proves it factor by factor.
    """

    factors: tuple[GroupElement, ...]

    def __post_init__(self) -> None:
        factors = tuple(self.factors) if isinstance(self.factors, Sequence) else None
        if factors is None or not all(
            isinstance(f, GroupElement) and not isinstance(f, Product) for f in factors
        ):
            raise SpecificationError(
                f"a product holds group elements other than products, got {self.factors!r}; "
                "use product(...), which flattens nested products"
            )
        object.__setattr__(self, "factors", factors)

    @property
    def layer(self) -> int:  # type: ignore[override]
        """The first layer a factor acts on (0 for the identity)."""
        return min((f.layer for f in self.factors), default=0)

    @property
    def units(self) -> tuple[int, ...]:
        return ()

    def check(self, mlp: MLP) -> None:
        for factor in self.factors:
            factor.check(mlp)

    def _act_layers(self, mlp: MLP, layers: list[MutableLayer]) -> None:
        for factor in self.factors:
            factor._act_layers(mlp, layers)

    def __str__(self) -> str:
        return ";".join(str(f) for f in self.factors) or "identity"

    def __repr__(self) -> str:
        return "product(" + ", ".join(repr(f) for f in self.factors) + ")"


def permutation(layer: int, source: Sequence[int]) -> Permutation:
    """Reorder hidden layer ``layer``: unit ``i`` of the image is unit ``source[i]`` (0-based).

    >>> permutation(1, [1, 0]), str(permutation(2, (2, 0, 1)))
    (permutation(1, (1, 0)), 'perm:2:2,0,1')
    """
    return Permutation(layer, tuple(source))


def product(*factors: GroupElement) -> Product:
    """The element applying ``factors`` in order (nested products are flattened).

    >>> from symcert import swap, flip
    >>> product(swap(1, 0, 1), product(flip(1, 0)))
    product(swap(1, 0, 1), flip(1, 0))
    """
    flat: list[GroupElement] = []
    for factor in factors:
        flat.extend(factor.factors if isinstance(factor, Product) else (factor,))
    return Product(tuple(flat))


def inverse(element: GroupElement) -> GroupElement:
    """The element undoing ``element`` (swaps, flips and signs are involutions; rescaling by ``1/alpha``).

    >>> from symcert import rescale
    >>> inverse(rescale(1, 0, 3)), inverse(permutation(1, (1, 2, 0)))
    (rescale(1, 0, 1/3), permutation(1, (2, 0, 1)))
    """
    if isinstance(element, (Swap, Flip, FlipIn, LayerSign)):
        return element
    if isinstance(element, Rescale):
        return rescale(element.layer, element.unit, 1 / element.alpha, element.degree)
    if isinstance(element, Permutation):
        return element.inverse()
    if isinstance(element, Product):
        return Product(tuple(inverse(f) for f in reversed(element.factors)))
    raise SpecificationError(f"no inverse is known for {element!r}")
