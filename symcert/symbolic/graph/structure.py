"""Layers that move entries without arithmetic, and the residual add.

- :class:`Flatten`: ``(d0, d1, ...)`` to ``(d0 d1 ...,)`` in C order, so a permutation ``P`` of axis 0
  acts on the result as ``P (x) I`` (one block of ``d1 d2 ...`` entries per channel); the other axes
  are fixed (a permutation of them would interleave the blocks).
- :class:`Reshape`: the same rule where the first axis grows by a whole factor ``k``
  (``P (x) I_k``); every other reshape fixes all the axes it touches.
- :class:`Transpose`: permutes axes, so it ties output axis ``i`` to input axis ``perm[i]``.
- :class:`Add`: ``a + b`` of equal shapes ties both inputs and the output axis by axis: the residual
  stream is one group.

All of them transmit sign flips and rescalings.

>>> Flatten().ties([(4, 3, 3)])
[Tie(first=('in', 0, 0), second=('out', 0), outer=1, inner=9)]
>>> Reshape((8, 2)).ties([(4, 2, 2)])
[Tie(first=('in', 0, 0), second=('out', 0), outer=1, inner=2)]
>>> Add().output_shape([(2, 3), (3, 2)])
Traceback (most recent call last):
...
symcert.errors.SpecificationError: Add: both inputs need the same shape, got (2, 3) and (3, 2); \
reshape one of them (broadcasting is not supported)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from symcert.errors import SpecificationError
from symcert.symbolic.graph.base import Layer, Shape, Tie
from symcert.symbolic.graph.moves import Blocked, Local, Perm, Step, entry_map, entry_rule

__all__ = ["Flatten", "Reshape", "Transpose", "Add"]

_T = frozenset({"transmit"})


class _Moves(Layer):
    sign = _T
    scale = _T
    affine_safe = True
    translation = "transmit"

    def commute(self, local: Local) -> Step | Blocked:
        def move(a: Any) -> Any:
            return self.forward(None, {}, [a[None]])[0]

        step = entry_rule(local, move, "entries moved", f"{local.node} ({self.describe()})")
        first, shape = local.ins[0].on(0), local.in_shapes[0]
        if isinstance(step, Step) and first is not None and len(shape) > 1 and self.kind == "Flatten":
            block = math.prod(shape[1:])
            what = "P (x) I" if isinstance(first, Perm) else "D (x) I"
            step = Step(
                "block action",
                f"C order keeps each channel's {block} entries together: the action on axis 0 of {shape} "
                f"arrives as {what}_{block} on the output's first axis; " + step.text,
            )
        return step


@dataclass(frozen=True)
class Flatten(_Moves):
    """All per-example axes into one, in C order (ONNX ``Flatten`` with ``axis=1``)."""

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return (math.prod(inputs[0]),)

    def ties(self, inputs: list[Shape]) -> list[Tie]:
        return [Tie(("in", 0, 0), ("out", 0), 1, math.prod(inputs[0][1:]))]

    def forward(self, ar: Any, params: dict[str, Any], inputs: list[Any]) -> Any:
        x = inputs[0]
        return x.reshape((x.shape[0], -1))


@dataclass(frozen=True)
class Reshape(_Moves):
    """A reshape to ``shape`` (per example, no ``-1``), in C order."""

    shape: tuple[int, ...]

    def __post_init__(self) -> None:
        try:
            shape = tuple(int(v) for v in self.shape)
        except (TypeError, ValueError):
            raise SpecificationError(
                f"Reshape: shape must be positive integers, got {self.shape!r}"
            ) from None
        if not shape or any(v < 1 for v in shape):
            raise SpecificationError(f"Reshape: shape must be positive integers, got {self.shape!r}")
        object.__setattr__(self, "shape", shape)

    def output_shape(self, inputs: list[Shape]) -> Shape:
        if math.prod(inputs[0]) != math.prod(self.shape):
            raise SpecificationError(
                f"Reshape: cannot reshape {inputs[0]} ({math.prod(inputs[0])} entries) to {self.shape} "
                f"({math.prod(self.shape)} entries); give a shape with the same number of entries"
            )
        return self.shape

    def ties(self, inputs: list[Shape]) -> list[Tie]:
        source, target = inputs[0], self.shape
        rest_in, rest_out = math.prod(source[1:]), math.prod(target[1:])
        if target[0] % source[0] == 0 and rest_in == (target[0] // source[0]) * rest_out:
            return [Tie(("in", 0, 0), ("out", 0), 1, target[0] // source[0])]
        return []

    def forward(self, ar: Any, params: dict[str, Any], inputs: list[Any]) -> Any:
        x = inputs[0]
        return x.reshape((x.shape[0], *self.shape))

    def describe(self) -> str:
        return f"Reshape({self.shape})"


@dataclass(frozen=True)
class Transpose(_Moves):
    """Output axis ``i`` is input axis ``perm[i]`` (per-example axes, numbered from 0)."""

    perm: tuple[int, ...]

    def __post_init__(self) -> None:
        perm = tuple(self.perm)
        if sorted(perm) != list(range(len(perm))):
            raise SpecificationError(
                f"Transpose: perm must be a permutation of 0..{len(perm) - 1}, got {self.perm!r}"
            )
        object.__setattr__(self, "perm", perm)

    def output_shape(self, inputs: list[Shape]) -> Shape:
        if len(inputs[0]) != len(self.perm):
            raise SpecificationError(
                f"Transpose: perm {self.perm} has {len(self.perm)} axes, the input {inputs[0]} has "
                f"{len(inputs[0])}; give one entry per axis (batch axis excluded)"
            )
        return tuple(inputs[0][p] for p in self.perm)

    def ties(self, inputs: list[Shape]) -> list[Tie]:
        return [Tie(("in", 0, p), ("out", i)) for i, p in enumerate(self.perm)]

    def forward(self, ar: Any, params: dict[str, Any], inputs: list[Any]) -> Any:
        return inputs[0].transpose((0, *(p + 1 for p in self.perm)))

    def describe(self) -> str:
        return f"Transpose({self.perm})"


@dataclass(frozen=True)
class Add(Layer):
    """The residual add ``a + b`` of two tensors of one shape."""

    arity = 2
    sign = _T
    scale = _T

    def output_shape(self, inputs: list[Shape]) -> Shape:
        a, b = inputs
        if a != b:
            raise SpecificationError(
                f"Add: both inputs need the same shape, got {a} and {b}; reshape one of them "
                "(broadcasting is not supported)"
            )
        return a

    def ties(self, inputs: list[Shape]) -> list[Tie]:
        axes = range(len(inputs[0]))
        return [Tie(("in", 0, a), ("out", a)) for a in axes] + [Tie(("in", 1, a), ("out", a)) for a in axes]

    def commute(self, local: Local) -> Step | Blocked:
        r"""``A a + A b = A (a + b)`` for one linear action ``A``; constants added to the inputs add up."""
        what = f"{local.node} (Add)"
        (i0, f0, o0), (i1, f1, o1) = (
            entry_map(s, a) for s, a in zip(local.in_shapes, local.ins, strict=True)
        )
        io, fo, oo = entry_map(local.out_shape, local.out)
        if not (np.array_equal(i0, i1) and np.array_equal(f0, f1)):
            return Blocked(
                f"{what} needs both inputs permuted (or flipped, rescaled) by the same g, got "
                f"{local.described()}"
            )
        if not (np.array_equal(i0, io) and np.array_equal(f0, fo) and np.array_equal(o0 + o1, oo)):
            return Blocked(f"{what}: g acts on the sum differently than on the inputs ({local.described()})")
        return Step(
            "linear", "A a + A b = A (a + b): the residual add commutes with one action on both inputs"
        )

    def forward(self, ar: Any, params: dict[str, Any], inputs: list[Any]) -> Any:
        return inputs[0] + inputs[1]
