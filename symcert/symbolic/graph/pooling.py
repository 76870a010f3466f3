r"""Pooling: average, global average and max, over the spatial axes of ``(C, *spatial)``.

Each pools every channel on its own, so it carries a permutation of the channels through (the channel
axis in and out are tied; the spatial axes are fixed). Averaging is linear: it transmits a sign flip and
a rescaling. Max pooling commutes with a positive rescaling (``max(c x) = c max(x)`` for ``c > 0``) but
not with a sign flip (``max(-x) = -min(x)``): it blocks flips.

>>> pool = MaxPool((2, 2))
>>> pool.output_shape([(3, 4, 4)]), sorted(pool.sign), sorted(pool.scale)
((3, 2, 2), [], ['transmit'])
>>> GlobalAveragePool().output_shape([(3, 4, 4)])
(3, 1, 1)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from symcert.errors import SpecificationError
from symcert.symbolic.graph.base import Layer, Shape, Tie, check_positive_tuple
from symcert.symbolic.graph.linear import check_padding, normalised, window_shape, windows
from symcert.symbolic.graph.moves import Blocked, Diag, Local, Step


def pool_rule(layer: Layer, local: Local, *, signs: bool, affine: bool) -> Step | Blocked:
    r"""The rule of a layer that pools each channel on its own over the spatial axes.

    A permutation of the channels commutes (``pool(x[p]) = pool(x)[p]``); the spatial axes are fixed.
    A positive multiplier per channel commutes (averages are linear; ``max(c x) = c max(x)``, ``c > 0``);
    a negative one only where ``signs`` (averaging; ``max(-x) = -min(x)``); ``1 - x`` and a constant
    shift only where ``affine`` (a mean or max of ``x + c`` is the mean or max of ``x`` plus ``c``).
    """
    x, y, what = local.ins[0], local.out, f"{local.node} ({layer.describe()})"
    if any(a != 0 for a, _ in x.axes + y.axes):
        return Blocked(f"{what} does not commute with a rearrangement or rescaling of a spatial axis")
    d = x.on(0)
    if not signs and isinstance(d, Diag) and (d.any_complement or any(f < 0 for f in d.factor)):
        return Blocked(
            f"{what} does not commute with a sign flip: max(-x) = -min(x), max(1 - x) = 1 - min(x)"
        )
    if x.is_identity:
        return Blocked(f"{what} has no parameters to make a sign flip, rescaling or shift of its output")
    if x != y:
        return Blocked(
            f"{what} pools each channel on its own: g must act alike on its input and output channels"
        )
    facts = ["each channel is pooled on its own: pool(x[p]) = pool(x)[p]"]
    if isinstance(d, Diag):
        facts.append("pool(c x) = c pool(x) per channel" + (" for c > 0" if not signs else ""))
    if (isinstance(d, Diag) and d.any_complement) or x.shift:
        if not affine:
            return Blocked(
                f"{what} counts zero padding, so a constant added to its input does not pass through"
            )
        facts.append("pool(x + c) = pool(x) + c")
    return Step("per-channel pooling", "; ".join(facts))


__all__ = ["AveragePool", "MaxPool", "GlobalAveragePool"]

_T = frozenset({"transmit"})


def _spatial(shape: Shape, layer: str) -> None:
    if len(shape) < 2:
        raise SpecificationError(
            f"{layer}: needs inputs (channels, *spatial), got shape {shape}; pool before flattening"
        )


@dataclass(frozen=True)
class _Pool(Layer):
    kernel: tuple[int, ...]
    stride: tuple[int, ...] | int | None = None
    padding: tuple[tuple[int, int], ...] | int = 0

    def __post_init__(self) -> None:
        kernel = check_positive_tuple(self.kernel, "kernel", self.kind)
        dims = len(kernel)
        object.__setattr__(self, "kernel", kernel)
        stride = kernel if self.stride is None else self.stride
        object.__setattr__(self, "stride", check_positive_tuple(stride, "stride", self.kind, dims))
        object.__setattr__(self, "padding", check_padding(self.padding, dims, self.kind))
        if any(max(b, e) >= k for (b, e), k in zip(normalised(self.padding), kernel, strict=True)):
            raise SpecificationError(
                f"{self.kind}: padding {self.padding} must be smaller than the kernel {kernel} on each side"
            )

    def output_shape(self, inputs: list[Shape]) -> Shape:
        (shape,) = inputs
        _spatial(shape, self.kind)
        if len(shape) - 1 != len(self.kernel):
            raise SpecificationError(
                f"{self.kind}: kernel {self.kernel} has {len(self.kernel)} axes, the input {shape} has "
                f"{len(shape) - 1} spatial axes; give one kernel entry per spatial axis"
            )
        dilation, stride = (1,) * len(self.kernel), normalised(self.stride)
        return (
            shape[0],
            *window_shape(
                shape[1:], self.kernel, stride, normalised(self.padding), dilation, self.kind, shape
            ),
        )

    def ties(self, inputs: list[Shape]) -> list[Tie]:
        return [Tie(("in", 0, 0), ("out", 0))]

    def _windows(self, ar: Any, x: Any):
        out = self.output_shape([x.shape[1:]])[1:]
        stride, padding = normalised(self.stride), normalised(self.padding)
        return windows(ar, x, self.kernel, stride, padding, (1,) * len(self.kernel), out)

    def describe(self) -> str:
        return f"{self.kind}(kernel={self.kernel}, stride={self.stride})"


@dataclass(frozen=True)
class AveragePool(_Pool):
    """The mean over each window; padded entries are left out of the count unless ``count_include_pad``."""

    count_include_pad: bool = False

    sign = _T
    scale = _T

    @property
    def affine_safe(self) -> bool:  # type: ignore[override]
        return self.count_include_pad is False or all(p == (0, 0) for p in normalised(self.padding))

    @property
    def translation(self) -> str | None:  # type: ignore[override]
        return "transmit" if self.affine_safe else None

    def commute(self, local: Local) -> Step | Blocked:
        return pool_rule(self, local, signs=True, affine=self.affine_safe)

    def forward(self, ar: Any, params: dict[str, Any], inputs: list[Any]) -> Any:
        total, count = None, None
        for _, seen, mask in self._windows(ar, inputs[0]):
            total = seen if total is None else total + seen
            count = mask.astype(int) if count is None else count + mask
        assert total is not None and count is not None  # a kernel has at least one offset
        if self.count_include_pad:
            count = np.full(count.shape, int(np.prod(self.kernel)))
        return total / ar.integers(count)


@dataclass(frozen=True)
class MaxPool(_Pool):
    """The maximum over each window (padded entries never win)."""

    scale = _T
    translation = "transmit"

    def commute(self, local: Local) -> Step | Blocked:
        return pool_rule(self, local, signs=False, affine=True)

    def forward(self, ar: Any, params: dict[str, Any], inputs: list[Any]) -> Any:
        best, have = None, None
        for _, seen, mask in self._windows(ar, inputs[0]):
            if best is None:
                best, have = seen.copy(), mask.copy()
                continue
            assert have is not None  # set with best
            larger = np.where(seen > best, seen, best)
            best = np.where(mask & ~have, seen, np.where(mask, larger, best))
            have = have | mask
        return best


@dataclass(frozen=True)
class GlobalAveragePool(Layer):
    """The mean over all spatial axes: ``(C, *spatial)`` to ``(C, 1, ..., 1)`` (as ONNX keeps them)."""

    sign = _T
    scale = _T
    affine_safe = True
    translation = "transmit"

    def commute(self, local: Local) -> Step | Blocked:
        return pool_rule(self, local, signs=True, affine=True)

    def output_shape(self, inputs: list[Shape]) -> Shape:
        (shape,) = inputs
        _spatial(shape, self.kind)
        return (shape[0],) + (1,) * (len(shape) - 1)

    def ties(self, inputs: list[Shape]) -> list[Tie]:
        return [Tie(("in", 0, 0), ("out", 0))]

    def forward(self, ar: Any, params: dict[str, Any], inputs: list[Any]) -> Any:
        (x,) = inputs
        axes = tuple(range(2, x.ndim))
        return x.sum(axis=axes, keepdims=True) / ar.integers(np.array(int(np.prod(x.shape[2:]))))
