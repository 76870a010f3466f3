r"""Tensors on the engine's two rigorous backends, behind the few moves a layer graph needs.

A tensor is an :class:`~symcert.numeric.engine.f64.F64` on the float64 rung (arrays ``lo <= hi``)
or a numpy object array of Arb balls on the Arb rung. The arithmetic itself (``+ - * /``, products,
sums, the elementary functions) is the engine's (:mod:`symcert.numeric.engine.backends`), with its
rounding bounds stated there once; here are only moves that do not round (reshape, axes, slices,
stacking, zero padding, ``where``), and the two operations a graph adds: the maximum of two
intervals (exact: ``[max(a, c), max(b, d)]`` encloses ``max(x, y)`` for ``x in [a, b]``,
``y in [c, d]``, since ``max`` is increasing in each argument) and the square root (IEEE's
``sqrt`` is correctly rounded, so one ulp outward encloses it; Arb's is rigorous).

>>> from fractions import Fraction
>>> from symcert.numeric.engine.backends import F64Backend
>>> bk = F64Backend()
>>> x = enclose(bk, np.array([[Fraction(1, 3), Fraction(4)]], dtype=object))
>>> r = sqrt(bk, x)
>>> bool(r.lo[0, 1] <= 2.0 <= r.hi[0, 1]), shape(moveaxis(x, 1, 0))
(True, (2, 1))
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from symcert.numeric.engine.elementary import down, up
from symcert.numeric.engine.f64 import F64, LeftOperand, left_operand, matmul_left
from symcert.numeric.engine.layout import Exact

__all__ = [
    "enclose",
    "shape",
    "reshape",
    "moveaxis",
    "transpose",
    "stack",
    "pad",
    "where",
    "maximum",
    "total",
    "sqrt",
    "matmul2d",
    "prepare_left",
    "take",
    "unfold",
]


def _map(x: Any, f: Any) -> Any:
    """``f`` applied to the arrays of ``x`` (both endpoints of an :class:`F64`, every part of a
    :class:`~symcert.numeric.engine.f64.LeftOperand`)."""
    if isinstance(x, F64):
        return F64(f(x.lo), f(x.hi))
    if isinstance(x, LeftOperand):
        return LeftOperand._make([*(None if a is None else f(a) for a in x[:4]), x.n])
    return f(x)


def take(x: Any, index: tuple) -> Any:
    """``x[index]`` (basic indexing: slices)."""
    return _map(x, lambda a: a[index])


def enclose(bk: Any, values: np.ndarray) -> Any:
    """An enclosure of an exact array (an object array of ``Fraction``) in the backend ``bk``.

    On the float64 rung an array of dyadic rationals with numerators below ``2^53`` (a float32 or
    float64 model's parameters, data read from floats) is a float array exactly: no rounding.
    """
    values = np.asarray(values, dtype=object)
    if bk.name == "float64":
        floats = _dyadic_floats(values)
        if floats is not None:
            return F64.exact(floats)
    return bk.array(Exact.of(list(values.ravel()), values.shape))


def _dyadic_floats(values: np.ndarray) -> np.ndarray | None:
    """``values`` as float64 if every entry is ``p / 2^k`` with ``|p| < 2^53`` and ``k <= 1022`` (each
    such rational is a float, and ``float()`` of a ``Fraction`` is then exact), else None."""
    out = np.empty(values.shape, dtype=np.float64)
    flat = out.reshape(-1)
    for i, v in enumerate(values.flat):
        d = v.denominator
        if d & (d - 1) or abs(v.numerator) >= _TWO53 or d.bit_length() > 1023:
            return None
        flat[i] = v.numerator / d
    return out


_TWO53 = 2**53


def shape(x: Any) -> tuple[int, ...]:
    """The tensor's shape."""
    return tuple(x.mid.shape if isinstance(x, LeftOperand) else x.shape)


def reshape(x: Any, new: tuple[int, ...]) -> Any:
    """The same entries in a new shape (C order)."""
    return _map(x, lambda a: a.reshape(new))


def moveaxis(x: Any, source: int, destination: int) -> Any:
    """numpy's ``moveaxis`` on a tensor."""
    return _map(x, lambda a: np.moveaxis(a, source, destination))


def transpose(x: Any, axes: tuple[int, ...]) -> Any:
    """numpy's ``transpose`` with ``axes``."""
    return _map(x, lambda a: np.transpose(a, axes))


def stack(items: list[Any], axis: int) -> Any:
    """numpy's ``stack`` of tensors of one backend (or of left operands)."""
    if isinstance(items[0], F64):
        return F64(np.stack([i.lo for i in items], axis), np.stack([i.hi for i in items], axis))
    if isinstance(items[0], LeftOperand):
        parts = [None if items[0][k] is None else np.stack([i[k] for i in items], axis) for k in range(4)]
        return LeftOperand._make([*parts, items[0].n])
    return np.stack(items, axis)


def _zero_like(x: Any) -> Any:
    if isinstance(x, F64):
        return 0.0
    from flint import arb

    return arb(0)


def pad(x: Any, pads: tuple[tuple[int, int], ...]) -> Any:
    """Zeros around the trailing axes (one ``(begin, end)`` pair each); the leading axes are kept."""
    if all(p == (0, 0) for p in pads):
        return x
    full = ((0, 0),) * (len(shape(x)) - len(pads)) + tuple(pads)
    if isinstance(x, (F64, LeftOperand)):  # 0 in every part: an exact zero
        return _map(x, lambda a: np.pad(a, full, constant_values=0.0))
    zero = _zero_like(x)
    out = np.empty(tuple(n + b + e for n, (b, e) in zip(shape(x), full)), dtype=object)
    out[...] = zero
    out[tuple(slice(b, b + n) for n, (b, _) in zip(shape(x), full))] = x
    return out


def unfold(x: Any, kernel: tuple, stride: tuple, dilation: tuple, out: tuple) -> Any:
    """im2col: the patches of an already padded ``x`` (``(N, C, *spatial)``) as a matrix of
    ``N * prod(out)`` rows and ``C * prod(kernel)`` columns (column ``c K + k``, ``k`` the kernel offset
    in C order, as ``W.reshape(C_out, C K)``): one copy, from a strided view."""
    dims = len(kernel)
    span = tuple((k - 1) * d + 1 for k, d in zip(kernel, dilation))

    def patches(a: np.ndarray) -> np.ndarray:
        win = np.lib.stride_tricks.sliding_window_view(a, span, axis=tuple(range(2, 2 + dims)))
        positions = tuple(slice(0, s * (m - 1) + 1, s) for s, m in zip(stride, out))
        offsets = tuple(slice(None, None, d) for d in dilation)
        taps = (slice(None), slice(None), *positions, *offsets)  # no star in a subscript: 3.10
        win = win[taps]  # (N, C, *out, *kernel)
        order = (0, *range(2, 2 + dims), 1, *range(2 + dims, 2 + 2 * dims))
        return np.transpose(win, order).reshape(-1, a.shape[1] * math.prod(kernel))

    return _map(x, patches)


def where(mask: np.ndarray, a: Any, b: Any) -> Any:
    """``a`` where ``mask`` (a boolean array broadcast to both), else ``b``."""
    if isinstance(a, F64):
        return F64(np.where(mask, a.lo, b.lo), np.where(mask, a.hi, b.hi))
    return np.where(mask, a, b)


def maximum(a: Any, b: Any) -> Any:
    """An enclosure of ``max(x, y)``, entry by entry: ``[max(a_lo, b_lo), max(a_hi, b_hi)]``, exact."""
    if isinstance(a, F64):
        return F64(np.maximum(a.lo, b.lo), np.maximum(a.hi, b.hi))
    return np.frompyfunc(_arb_max, 2, 1)(a, b)


def _arb_max(x: Any, y: Any) -> Any:
    from flint import arb

    xl, xh, yl, yh = x.lower(), x.upper(), y.lower(), y.upper()  # exact endpoints
    lo = yl if yl > xl else xl
    hi = yh if yh > xh else xh
    return arb.union(arb(lo), arb(hi))


def total(bk: Any, x: Any, axes: tuple[int, ...], keepdims: bool = False) -> Any:
    """The sum over ``axes`` (the engine's bound: ``gamma_{n-1}`` in float64, balls in Arb)."""
    if isinstance(x, F64):
        return x.sum(axes, keepdims=keepdims)
    from flint import arb

    return np.sum(x, axis=axes, keepdims=keepdims, initial=arb(0))  # type: ignore[call-overload]  # arb balls


def sqrt(bk: Any, x: Any) -> Any:
    """An enclosure of ``sqrt`` (entries whose lower end is below 0 start at 0; NaN if all of it is)."""
    if isinstance(x, F64):
        with np.errstate(all="ignore"):
            lo = np.where(x.lo > 0, np.maximum(down(np.sqrt(np.maximum(x.lo, 0.0))), 0.0), 0.0)
            hi = np.where(x.hi >= 0, up(np.sqrt(x.hi)), np.nan)
        return F64(lo, hi)
    return np.frompyfunc(lambda v: v.sqrt(), 1, 1)(x)


def matmul2d(bk: Any, a: Any, b: Any) -> Any:
    """``a @ b`` for matrices: the engine's verified product (``gamma_n`` with ``n`` the inner size);
    ``a`` may be a left operand prepared by :func:`prepare_left` and rearranged."""
    if isinstance(a, LeftOperand):
        return matmul_left(a, b)
    return bk.matmul(a, b)


def prepare_left(bk: Any, x: Any, n: int) -> Any:
    """On the float64 rung, ``x``'s parts as the left factor of products of inner size ``n`` (made once
    per entry; unfold them with the moves here); elsewhere ``x`` itself."""
    return left_operand(x, n) if isinstance(x, F64) else x
