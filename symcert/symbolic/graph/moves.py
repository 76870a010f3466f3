r"""What a candidate symmetry does to one tensor, and the local step each layer's equivariance rule returns.

A symmetry of a graph acts on its tensors (per example) as a :class:`TensorAction`: on one or more axes
a :class:`Perm` (new entry ``i`` along the axis is old entry ``index[i]``) or on one axis a
:class:`Diag` (entry ``j`` times ``factor[j]``, or ``1 - x_j`` where ``complement[j]``: the sigmoid's
``s(-u) = 1 - s(u)``), then a constant ``shift`` added to every entry (the softmax translation).

Each layer type states once how it commutes with such actions: :meth:`Layer.commute
<symcert.symbolic.graph.base.Layer.commute>` takes a :class:`Local` (the actions on the layer's
inputs and output) and returns a :class:`Step` (the lemma that makes the layer commute, and the change
of its parameters that it needs) or a :class:`Blocked` (why no change of its parameters can make it
commute). :func:`symcert.proofs.graph_invariance.prove_graph_invariance` composes the steps along the
graph, like a DCP calculus composes the curvature rules of its atoms.

>>> a = TensorAction(((0, Perm((1, 0, 2))),))
>>> index, factor, offset = entry_map((3, 2), a)
>>> index.tolist()
[[2, 3], [0, 1], [4, 5]]
>>> TensorAction(((0, Perm((0, 1))),)).is_identity
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

__all__ = [
    "Perm",
    "Diag",
    "TensorAction",
    "IDENTITY",
    "Local",
    "Step",
    "Blocked",
    "entry_map",
    "entry_rule",
    "same_axes",
    "axis_of",
    "action_text",
]

_ONE = Fraction(1)


@dataclass(frozen=True)
class Perm:
    """A permutation of one axis: new entry ``i`` is old entry ``index[i]``."""

    index: tuple[int, ...]

    @property
    def is_identity(self) -> bool:
        return self.index == tuple(range(len(self.index)))


@dataclass(frozen=True)
class Diag:
    """Entry ``j`` of one axis times ``factor[j]``; where ``complement[j]``, ``x_j`` becomes ``1 - x_j``.

    >>> Diag((-1, 2), (True, False)) == Diag((1, 2), (True, False))
    True
    """

    factor: tuple[Fraction, ...]
    complement: tuple[bool, ...] = ()

    def __post_init__(self) -> None:
        complement = tuple(bool(c) for c in self.complement) or (False,) * len(self.factor)
        # canonical: a complemented entry has factor 1 (its multiplier is -1, its offset 1)
        factor = tuple(
            Fraction(1) if c else Fraction(v) for v, c in zip(self.factor, complement, strict=True)
        )
        object.__setattr__(self, "factor", factor)
        object.__setattr__(self, "complement", complement)

    @property
    def is_identity(self) -> bool:
        return all(f == 1 for f in self.factor) and not any(self.complement)

    @property
    def any_complement(self) -> bool:
        return any(self.complement)

    def multiplier(self) -> np.ndarray:
        """The multiplier of each entry (``-1`` for a complement entry), an object array."""
        return np.array(
            [-_ONE if c else f for f, c in zip(self.factor, self.complement, strict=True)], dtype=object
        )


@dataclass(frozen=True)
class TensorAction:
    """Axis actions (``(axis, Perm | Diag)``, in axis order, identities dropped), then ``+ shift``."""

    axes: tuple[tuple[int, Perm | Diag], ...] = ()
    shift: Fraction = Fraction(0)

    def __post_init__(self) -> None:
        kept = tuple(sorted(((a, act) for a, act in self.axes if not act.is_identity), key=lambda p: p[0]))
        object.__setattr__(self, "axes", kept)
        object.__setattr__(self, "shift", Fraction(self.shift))

    @property
    def is_identity(self) -> bool:
        return not self.axes and self.shift == 0

    def on(self, axis: int) -> Perm | Diag | None:
        """The action on ``axis``, or None."""
        return next((act for a, act in self.axes if a == axis), None)

    def without(self, axis: int) -> TensorAction:
        """The action with ``axis`` left alone (and no shift)."""
        return TensorAction(tuple((a, act) for a, act in self.axes if a != axis))


IDENTITY = TensorAction()


@dataclass(frozen=True)
class Local:
    """The actions a candidate symmetry puts on one node's inputs and output, with their shapes."""

    node: str
    ins: tuple[TensorAction, ...]
    out: TensorAction
    in_shapes: tuple[tuple[int, ...], ...]
    out_shape: tuple[int, ...]
    in_names: tuple[str, ...] = ()

    def described(self) -> str:
        names = self.in_names or tuple(f"input {i}" for i in range(len(self.ins)))
        parts = [f"{n} {action_text(a)}" for n, a in zip(names, self.ins, strict=True)]
        return "; ".join(parts) + f"; output {action_text(self.out)}"


@dataclass(frozen=True)
class Step:
    """One layer commutes: the lemma (``rule``), its instance (``text``) and the parameter change ``act``.

    ``act`` maps the node's parameters (by local name) to the changed ones; ``changes`` says in words
    what it changes (empty: no parameter changes).
    """

    rule: str
    text: str
    changes: tuple[str, ...] = ()
    act: Callable[[dict[str, Any]], dict[str, Any]] | None = None


@dataclass(frozen=True)
class Blocked:
    """One layer does not commute with the actions on its ports: ``reason`` says which fact is missing."""

    reason: str


def action_text(action: TensorAction) -> str:
    """The action in words, e.g. ``permuted on axis 0`` or ``unchanged``.

    >>> action_text(TensorAction(((0, Diag((-1, 1))),)))
    'times (-1, 1) on axis 0'
    """
    if action.is_identity:
        return "unchanged"
    words = []
    for axis, act in action.axes:
        if isinstance(act, Perm):
            words.append(f"permuted on axis {axis}")
        else:
            factors = ", ".join(
                "1-x" if c else str(f) for f, c in zip(act.factor, act.complement, strict=True)
            )
            words.append(
                f"times ({factors}) on axis {axis}" if len(act.factor) <= 6 else f"scaled on axis {axis}"
            )
    if action.shift:
        words.append(f"plus {action.shift} on every entry")
    return ", ".join(words)


def diag_text(d: Diag) -> str:
    """The multipliers as text: ``(-1, 1-x, 3/2)``."""
    return "(" + ", ".join("1-x" if c else str(f) for f, c in zip(d.factor, d.complement, strict=True)) + ")"


def axis_of(action: TensorAction) -> int | None:
    """The single axis an action touches (None if none; the first if several)."""
    return action.axes[0][0] if action.axes else None


def entry_map(shape: tuple[int, ...], action: TensorAction) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(index, factor, offset)``: the image is ``T'[q] = factor[q] * T.flat[index[q]] + offset[q]``.

    >>> [v.tolist() for v in entry_map((2,), TensorAction(((0, Diag((-1, 2), (True, False))),), 3))[1:]]
    [[Fraction(-1, 1), Fraction(2, 1)], [Fraction(4, 1), Fraction(3, 1)]]
    """
    index = np.arange(int(np.prod(shape))).reshape(shape)
    factor = np.full(shape, _ONE, dtype=object)
    offset = np.full(shape, action.shift, dtype=object)
    for axis, act in action.axes:
        if isinstance(act, Perm):
            index = np.take(index, list(act.index), axis=axis)
        else:
            view = [1] * len(shape)
            view[axis] = -1
            factor = factor * act.multiplier().reshape(view)
            offset = offset + np.array(
                [_ONE if c else 0 * _ONE for c in act.complement], dtype=object
            ).reshape(view)
    return index, factor, offset


def same_axes(a: TensorAction, b: TensorAction, axes: range | list[int]) -> bool:
    """Whether ``a`` and ``b`` act alike on every axis in ``axes``."""
    return all(a.on(axis) == b.on(axis) for axis in axes)


def entry_rule(
    local: Local, move: Callable[[np.ndarray], np.ndarray], rule: str, what: str
) -> Step | Blocked:
    """The rule of a layer that only moves entries (``move`` maps a per-example array to its output).

    ``move(A_in(T)) = A_out(move(T))`` holds for every ``T`` iff the index, factor and offset maps agree
    through ``move``: ``move(index_in) = M[index_out]`` with ``M = move(arange)``, ``move(factor_in) =
    factor_out`` and ``move(offset_in) = offset_out``; each is a finite comparison of arrays.
    """
    (shape,), action = local.in_shapes, local.ins[0]
    index, factor, offset = entry_map(shape, action)
    out_index, out_factor, out_offset = entry_map(local.out_shape, local.out)
    mapped = move(np.arange(int(np.prod(shape))).reshape(shape))
    if not np.array_equal(move(index), mapped.reshape(-1)[out_index]):
        return Blocked(
            f"{what} sends the input's permutation to a rearrangement of its output that is not the one "
            f"g applies there ({action_text(local.out)})"
        )
    if not (np.array_equal(move(factor), out_factor) and np.array_equal(move(offset), out_offset)):
        return Blocked(
            f"{what} sends the input's multipliers to different multipliers than g's on the output"
        )
    return Step(rule, f"{what} moves entries without arithmetic: the input's action arrives as the output's")
