"""Union-find over tensor and parameter axes, with Kronecker positions as weights.

Each element is an axis; a weight ``(outer, inner)`` on an element says how a permutation ``P`` of its
class's base acts on it: as ``I_outer (x) P (x) I_inner``. Weights compose by multiplying both entries,
so a flatten (``inner = H W``) after a tie of equal axes (``(1, 1)``) gives ``(1, H W)``. A tie that
contradicts the weights already known (a cycle of ties with different positions) marks the class
inconsistent, which the symmetry derivation treats as fixed: sound, never a false symmetry.

>>> uf = AxisUnion()
>>> uf.tie("a", "b", 1, 4)
>>> uf.tie("b", "c")
>>> uf.find("c")[1], uf.same("a", "c")
((Fraction(1, 1), Fraction(4, 1)), True)
"""

from __future__ import annotations

from collections.abc import Hashable
from fractions import Fraction
from typing import Generic, TypeVar

__all__ = ["AxisUnion"]

Weight = tuple[Fraction, Fraction]
_ONE: Weight = (Fraction(1), Fraction(1))
_Axis = TypeVar("_Axis", bound=Hashable)  # what names an axis: a tuple, a tensor's name


def _mul(a: Weight, b: Weight) -> Weight:
    return (a[0] * b[0], a[1] * b[1])


def _div(a: Weight, b: Weight) -> Weight:
    return (a[0] / b[0], a[1] / b[1])


class AxisUnion(Generic[_Axis]):
    """Weighted union-find: ``find(x)`` gives ``(root, weight of x relative to the root)``."""

    def __init__(self) -> None:
        self._parent: dict[_Axis, _Axis] = {}
        self._weight: dict[_Axis, Weight] = {}
        self.conflicts: set[_Axis] = set()  # roots of classes with contradicting ties

    def add(self, x: _Axis) -> None:
        """Make ``x`` an element (its own class) if it is not one yet."""
        if x not in self._parent:
            self._parent[x], self._weight[x] = x, _ONE

    def find(self, x: _Axis) -> tuple[_Axis, Weight]:
        """The root of ``x``'s class and ``x``'s weight relative to it (with path compression)."""
        self.add(x)
        parent = self._parent[x]
        if parent == x:
            return x, _ONE
        root, above = self.find(parent)
        weight = _mul(self._weight[x], above)
        self._parent[x], self._weight[x] = root, weight
        return root, weight

    def tie(self, a: _Axis, b: _Axis, outer: int = 1, inner: int = 1) -> None:
        """Tie ``b`` to ``a``: ``P`` on ``a`` acts on ``b`` as ``I_outer (x) P (x) I_inner``."""
        ra, wa = self.find(a)
        rb, wb = self.find(b)
        want = _mul(wa, (Fraction(outer), Fraction(inner)))  # b's weight relative to ra
        if ra == rb:
            if wb != want:
                self.conflicts.add(ra)
            return
        self._parent[rb], self._weight[rb] = ra, _div(want, wb)
        if rb in self.conflicts:
            self.conflicts.discard(rb)
            self.conflicts.add(ra)

    def same(self, a: _Axis, b: _Axis) -> bool:
        """Whether ``a`` and ``b`` are in one class."""
        return self.find(a)[0] == self.find(b)[0]

    def classes(self) -> dict[_Axis, list[tuple[_Axis, Weight]]]:
        """Every class by root: its elements with their weights, in insertion order."""
        out: dict[_Axis, list[tuple[_Axis, Weight]]] = {}
        for x in list(self._parent):
            root, weight = self.find(x)
            out.setdefault(root, []).append((x, weight))
        return out

    def conflicted(self, root: _Axis) -> bool:
        """Whether the class of ``root`` holds contradicting ties."""
        return self.find(root)[0] in {self.find(r)[0] for r in self.conflicts}
