r"""The checker's own verified float64 balls: arrays of midpoints ``m`` and radii ``r`` (numpy float64)
standing for every real ``x`` with ``|x - m| <= r`` (in exact real arithmetic), and the operations the
fast rung (:mod:`symcert.checker.graph.fast`) needs, each with its own rounding-error bound.

The rounding argument, stated once. IEEE 754 binary64, round to nearest (numpy's default, no
flush-to-zero), ``u = 2^-53``. For one basic operation whose exact result ``s`` is neither
subnormal nor beyond the largest float (Higham, *Accuracy and Stability*, 2.2 and 2.5)::

    fl(s) = s (1 + d) = s / (1 + e),   |d|, |e| <= u,   so |fl(s) - s| <= u |fl(s)|,
    and nextafter(fl(s), +inf) >= s   (the next float up is past the half-gap of fl(s)).

A sum of two floats is exact when its result is subnormal, so only products need the range guard.
A dot product of length ``n`` computed *in any order, with or without FMA* (any BLAS that forms
each entry as a sum of its ``n`` products: OpenBLAS, MKL, reference BLAS; not Strassen-like
algorithms) satisfies ``|fl(x.y) - x.y| <= gamma_n |x|.|y|``, ``gamma_n = n u / (1 - n u)``
(Higham 3.1), and for nonnegative terms ``x.y <= fl(x.y) / (1 - gamma_n)``.

The range guard (:func:`tame`) keeps every nonzero ``|m|`` and every nonzero ``r`` in
``[2^-480, 2^480]``: a midpoint below ``2^-480`` becomes ``0`` with its radius grown by ``2^-480``
(``|x - 0| <= r + |m|``); anything larger, infinite or NaN makes the rung undecided
(:class:`Undecided`). So a product of two such numbers, or of one with a constant in
``[2^-60, 1]``, lies in ``[2^-1020, 2^960]``: no product underflows or overflows, and the model
above holds for every operation here. Where a sum could still overflow, the result is checked
finite. Radii are made of nonnegative terms, each rounded up: after a single operation by
``nextafter(., +inf)`` (:func:`up`), after a dot product of length ``n`` by a factor ``F_n`` with
``F_n (1 - u) (1 - gamma_n) >= 1``, checked in exact rationals (:func:`dot_factor`).

Products (``matmul``): for ``X = <Xm, Xr>`` and ``W = <Wm, Wr>`` with inner size ``n``::

    XW in fl(Xm Wm) +- [ (gamma_n |Xm| + Xr) |Wm| + (|Xm| + Xr) Wr ]

(``|XW - Xm Wm| <= |Xm| Wr + Xr |Wm| + Xr Wr``), each bracketed product computed by BLAS and
multiplied by ``F_n``; the second is skipped when ``Wr`` is 0 (exact weights). Products may be
split into blocks of the inner axis whose balls are then added (:func:`add`): the bound then has
``gamma`` of the block size, not of the whole axis, which makes the checker's enclosures tighter
than a single product's.

Nothing here comes from the prover; Fractions enter through :func:`from_fractions` (correctly
rounded ``Fraction.__float__``, radius the exact rounding error rounded up) and leave through
:func:`to_fractions` (exact dyadic ends).

>>> from fractions import Fraction
>>> x = from_fractions([Fraction(1, 3), Fraction(2)])
>>> s = total(x, (0,), keepdims=False)
>>> lo, hi = to_fractions(float(s.m), float(s.r))
>>> lo <= Fraction(7, 3) <= hi
True
>>> y = matmul(x.reshape(1, 2), from_fractions([[Fraction(3)], [Fraction(1, 7)]]))
>>> lo, hi = to_fractions(float(y.m[0, 0]), float(y.r[0, 0]))
>>> lo <= Fraction(1) + Fraction(2, 7) <= hi
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any

import numpy as np

__all__ = [
    "Ball",
    "Undecided",
    "U",
    "TINY",
    "HUGE",
    "up",
    "grow",
    "shrink",
    "midpoint",
    "down",
    "gamma",
    "dot_factor",
    "tame",
    "from_fractions",
    "to_fractions",
    "add",
    "mul",
    "matmul",
    "left_operand",
    "matmul_left",
    "Accumulator",
    "total",
    "exact_sum",
    "scale",
    "square",
    "relu",
    "from_ends",
    "ends",
    "maximum",
]

U = 2.0**-53
TINY = 2.0**-480
HUGE = 2.0**480
_INF = np.inf


class Undecided(ArithmeticError):
    """The float64 rung cannot bound this computation (out of range, not finite): use Arb."""


@dataclass
class Ball:
    """Midpoints and radii of one shape: the reals ``x`` with ``|x - m| <= r``."""

    m: np.ndarray
    r: np.ndarray

    @property
    def shape(self) -> tuple[int, ...]:
        return self.m.shape

    def reshape(self, *shape: Any) -> Ball:
        return Ball(self.m.reshape(*shape), self.r.reshape(*shape))

    def take(self, key: Any) -> Ball:
        return Ball(self.m[key], self.r[key])

    def moveaxis(self, a: int, b: int) -> Ball:
        return Ball(np.moveaxis(self.m, a, b), np.moveaxis(self.r, a, b))

    def transpose(self, axes: tuple[int, ...]) -> Ball:
        return Ball(np.transpose(self.m, axes), np.transpose(self.r, axes))


def up(x: Any) -> np.ndarray:
    """The next float up: an upper bound of a value that ``x`` is the rounding of (one operation)."""
    return np.nextafter(x, _INF)


_GROW = 1.0 + 4 * U  # exactly a float


def grow(x: Any) -> np.ndarray:
    """``fl(x (1 + 4u))`` for ``x >= 0``: at least ``s`` when ``x = fl(s)`` and that rounding was exact
    or ``x`` is normal (``s <= x / (1 - u) <= x (1 + 4u)(1 - u)``); one multiplication, several
    times faster than ``nextafter``. Every radius here is such a value: a sum of nonnegative floats
    (exact when subnormal) or a product of guarded numbers (normal, see :func:`tame`)."""
    return x * _GROW


_SHRINK = 1.0 - 4 * U  # exactly a float


def shrink(x: Any) -> np.ndarray:
    """``fl(x (1 - 4u))`` for ``x > 0``: at most ``s`` when ``x = fl(s)`` is normal (``s >= x / (1 + u)
    >= x (1 - 4u)(1 + u)``); the counterpart of :func:`grow`."""
    return x * _SHRINK


def down(x: Any) -> np.ndarray:
    return np.nextafter(x, -_INF)


def _float_up(q: Fraction) -> float:
    """A float ``>= q`` (``q >= 0``), exactly checked."""
    f = float(q)
    return f if Fraction(f) >= q else float(up(f))


def gamma(n: int) -> float:
    """A float ``>= gamma_n = n u / (1 - n u)`` (checked in exact rationals)."""
    if n * U > 1e-6:
        raise Undecided(f"dot products of length {n} are beyond the float64 rung")
    un = Fraction(n, 2**53)
    return _float_up(un / (1 - un))


@lru_cache(maxsize=256)
def dot_factor(n: int) -> float:
    """A float ``F_n`` with ``F_n (1 - u) (1 - gamma_n) >= 1`` (exact check): for a nonnegative dot
    product of length ``n`` computed as ``s``, the exact value is at most ``fl(s F_n)``."""
    g, u = Fraction(gamma(n)), Fraction(1, 2**53)
    k = n + 4
    while True:
        f = 1 + Fraction(2 * k, 2**53)  # an even multiple of u above 1: exactly a float
        if f * (1 - u) * (1 - g) >= 1:
            assert Fraction(float(f)) == f
            return float(f)
        k *= 2


def _dot_up(s: np.ndarray, n: int) -> np.ndarray:
    return s * dot_factor(max(n, 1))


def tame(m: np.ndarray, r: np.ndarray) -> Ball:
    """The range guard of the module text: flush tiny midpoints into the radius, raise tiny radii to
    ``TINY``, refuse anything beyond ``HUGE`` or not finite (NaN fails the comparisons)."""
    abs_m = np.abs(m)
    if not (abs_m.max(initial=0.0) <= HUGE and r.max(initial=0.0) <= HUGE):
        raise Undecided("a value or radius is beyond 2^480 or not finite")
    if np.min(r, where=r > 0, initial=np.inf) < TINY:
        r = np.where(r == 0, 0.0, np.maximum(r, TINY))
    if np.min(abs_m, where=m != 0, initial=np.inf) < TINY:
        small = (abs_m < TINY) & (m != 0)
        r = np.where(small, up(r + 2 * TINY), r)  # |x| <= |m| + r, with TINY to spare (see grow)
        m = np.where(small, 0.0, m)
    return Ball(m, r)


def from_fractions(values: Any) -> Ball:
    """Nested lists of ``Fraction`` as balls: the nearest float, and the exact error rounded up."""
    array = np.array(values, dtype=object)
    flat = array.ravel()
    mids = np.empty(flat.shape, dtype=np.float64)
    rads = np.zeros(flat.shape, dtype=np.float64)
    seen: dict[tuple[int, int], tuple[float, float]] = {}  # data repeat few values
    for i, q in enumerate(flat):
        key = q.numerator, q.denominator  # cheaper to hash than the Fraction
        known = seen.get(key)
        if known is None:
            known = seen[key] = _ball_of(q)
        mids[i], rads[i] = known
    return tame(mids.reshape(array.shape), rads.reshape(array.shape))


def _ball_of(q: Fraction) -> tuple[float, float]:
    num, den = q.numerator, q.denominator
    try:
        f = num / den  # correctly rounded (CPython's true division of integers)
    except OverflowError:
        raise Undecided("a number is beyond float64") from None
    if den & (den - 1) or abs(num).bit_length() > 53 or den.bit_length() > 1000:  # perhaps inexact
        error = abs(Fraction(f) - q)
        if error:
            return f, _float_up(error)
    return f, 0.0


def midpoint(a: Ball, b: Ball) -> Ball:
    """``(a + b) / 2``; for exact floats the rounding error of ``a + b`` is found exactly (Knuth's
    TwoSum), so the radius is 0 where the sum is exact."""
    if a.r.any() or b.r.any():
        return scale(add(a, b), Fraction(1, 2))
    s = a.m + b.m
    bb = s - a.m
    error = (a.m - (s - bb)) + (b.m - bb)  # exactly a + b - s (round to nearest, no overflow)
    return tame(0.5 * s, np.abs(error))  # |error| >= |error| / 2; halving s is exact unless tiny


def to_fractions(m: float, r: float) -> tuple[Fraction, Fraction]:
    """The exact ends ``m - r``, ``m + r`` of one ball."""
    if not (math.isfinite(m) and math.isfinite(r)):
        raise Undecided("an enclosure is not finite")
    return Fraction(m) - Fraction(r), Fraction(m) + Fraction(r)


def add(a: Ball, b: Ball, sign: int = 1) -> Ball:
    """``a + b`` (``a - b`` with ``sign=-1``): radius ``ra + rb + u |fl(ma + mb)|``, rounded up."""
    m = a.m + b.m if sign > 0 else a.m - b.m
    return tame(m, grow(grow(a.r + b.r) + U * np.abs(m)))


def mul(a: Ball, b: Ball) -> Ball:
    """Elementwise ``a b``: ``|ab - ma mb| <= |ma| rb + ra (|mb| + rb)``, plus ``u |fl(ma mb)|``."""
    m = a.m * b.m
    spread = grow(grow(np.abs(a.m) * b.r) + grow(a.r * grow(np.abs(b.m) + b.r)))
    return tame(m, grow(spread + U * np.abs(m)))


def left_operand(x: Ball, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The parts of a left factor for products of inner size ``n``: ``m``, ``up(gamma_n |m| + r)``
    and ``up(|m| + r)`` (made once, then sliced, e.g. at every kernel offset of a convolution)."""
    abs_m = np.abs(x.m)
    return x.m, grow(grow(gamma(n) * abs_m) + x.r), grow(abs_m + x.r)


def matmul_left(m: np.ndarray, left: np.ndarray, full: np.ndarray | None, w: Ball) -> Ball:
    """``X @ w`` from the parts of :func:`left_operand` (2-D, inner size ``n = w.shape[0]``); ``full``
    may be None when ``w`` is exact (all its radii 0)."""
    n = w.shape[0]
    with np.errstate(over="ignore", invalid="ignore"):
        mid = m @ w.m
        r = _dot_up(left @ np.abs(w.m), n)
        if w.r.any():
            if full is None:
                raise ValueError("an inexact right factor needs the left factor's |m| + r")
            r = grow(r + _dot_up(full @ w.r, n))
    return tame(mid, r)


def matmul(x: Ball, w: Ball) -> Ball:
    """``x @ w`` (2-D) with the bound of the module text (``gamma_n``, ``n`` the inner size)."""
    return matmul_left(*left_operand(x, x.shape[-1]), w)


class Accumulator:
    """A sum of ``k`` balls added one at a time: midpoints summed in order (error at most
    ``gamma_{k-1} sum |m_i|``, Higham 4.2), their absolute values and the radii summed too (each sum
    of nonnegative terms bounded by :func:`dot_factor`)."""

    def __init__(self) -> None:
        self.count = 0
        self.m: Any = None
        self.a: Any = None
        self.r: Any = None

    def add(self, x: Ball) -> None:
        if self.count == 0:
            self.m, self.a, self.r = x.m.copy(), np.abs(x.m), x.r.copy()
        else:
            self.m += x.m
            self.a += np.abs(x.m)
            self.r += x.r
        self.count += 1

    def ball(self) -> Ball:
        k = self.count
        if k == 1:
            return Ball(self.m, self.r)
        with np.errstate(over="ignore", invalid="ignore"):
            spread = grow(gamma(k) * _dot_up(self.a, k))
            return tame(self.m, grow(_dot_up(self.r, k) + spread))


def total(x: Ball, axis: tuple[int, ...], keepdims: bool = True) -> Ball:
    """The sum over ``axis``: ``gamma_n sum |m| + sum r`` (``n`` terms, any order)."""
    n = math.prod(x.shape[a] for a in axis)
    g = gamma(n)
    with np.errstate(over="ignore", invalid="ignore"):
        m = np.sum(x.m, axis=axis, keepdims=keepdims)
        r = _dot_up(np.sum(grow(grow(g * np.abs(x.m)) + x.r), axis=axis, keepdims=keepdims), n)
    return tame(m, r)


def exact_sum(x: Ball) -> Ball:
    """The sum of every entry, as a 0-d ball: the midpoints by ``math.fsum`` (the correctly rounded sum
    of the floats, so within ``u |s|`` of their exact sum ``s``; Shewchuk's algorithm, exact partials),
    the radii summed with :func:`dot_factor`'s bound, then ``u |fsum|`` added, rounded up. Where
    :func:`total` bounds the rounding by ``gamma_n sum |m|`` (1,000 terms: ``10^-13`` relative), this
    is ``u`` relative: for the final sum of a loss's terms, whose rounding would otherwise dominate.

    >>> from fractions import Fraction
    >>> s = exact_sum(from_fractions([[Fraction(1, 10)] * 1000]))
    >>> lo, hi = to_fractions(float(s.m), float(s.r))
    >>> lo <= 100 <= hi and hi - lo < Fraction(1, 10**11)
    True
    """
    n = max(int(np.prod(x.shape)), 1)
    try:
        m = math.fsum(x.m.ravel().tolist())
    except (OverflowError, ValueError):  # an intermediate sum beyond float64; inf - inf
        raise Undecided("a sum is not finite") from None
    if not math.isfinite(m):
        raise Undecided("a sum is not finite")
    with np.errstate(over="ignore", invalid="ignore"):
        r = float(_dot_up(np.sum(x.r), n))
    return tame(np.array(m), np.array(grow(grow(r) + U * abs(m))))


def scale(x: Ball, q: Fraction) -> Ball:
    """``x q`` for an exact rational ``q``: a power of two exactly, else as a product with a ball."""
    num, den = abs(q.numerator), q.denominator
    if num & (num - 1) == 0 and den & (den - 1) == 0 and q != 0:
        k = num.bit_length() - den.bit_length()
        if abs(k) <= 400:
            f = math.ldexp(1.0 if q > 0 else -1.0, k)  # exact; the guard keeps the result normal
            return tame(x.m * f, x.r * abs(f))
    c = from_fractions([q])
    return mul(x, Ball(np.broadcast_to(c.m, x.shape), np.broadcast_to(c.r, x.shape)))


def square(x: Ball) -> Ball:
    """``x^2``: ``|x^2 - m^2| <= r (2 |m| + r)``, plus ``u fl(m^2)``."""
    m = x.m * x.m
    return tame(m, grow(grow(x.r * grow(2 * np.abs(x.m) + x.r)) + U * m))


def relu(x: Ball) -> Ball:
    """``max(x, 0)`` exactly on the interval ends: the ball where it is sure positive (``m >= r``),
    ``0`` where sure negative (``fl(m + r) <= 0``, which holds exactly when ``m + r <= 0``: a sum is
    exact when subnormal), else ``[0, t]`` with ``t = grow(fl(m + r)) >= m + r`` as centre
    ``c = t / 2`` (exact unless below ``TINY``, where :func:`tame` flushes it with room to spare) and
    radius ``grow(c) >= c``."""
    s = x.m + x.r
    positive, negative = x.m >= x.r, s <= 0
    c = 0.5 * grow(s)
    m = np.where(positive, x.m, np.where(negative, 0.0, c))
    r = np.where(positive, x.r, np.where(negative, 0.0, grow(c)))
    return tame(m, r)


def ends(x: Ball) -> tuple[np.ndarray, np.ndarray]:
    """Floats ``lo <= m - r`` and ``hi >= m + r``."""
    return down(x.m - x.r), up(x.m + x.r)


def from_ends(lo: np.ndarray, hi: np.ndarray) -> Ball:
    """A ball holding ``[lo, hi]`` (floats): centre ``fl((lo + hi)/2)``, radius the larger distance,
    rounded up."""
    c = 0.5 * lo + 0.5 * hi
    return tame(c, np.maximum(up(hi - c), up(c - lo)))


def maximum(a: Ball, b: Ball) -> Ball:
    """``max(a, b)`` of two balls: exact on the ends (``max`` is increasing in both)."""
    alo, ahi = ends(a)
    blo, bhi = ends(b)
    return from_ends(np.maximum(alo, blo), np.maximum(ahi, bhi))
