"""The checker's verified float64 intervals (numpy): a fast first rung with its own error bounds.

An :class:`Interval` holds two float64 arrays ``lo <= exact <= hi`` (entrywise). Nothing here is
shared with the prover's engine; every bound rests on IEEE 754 arithmetic as the standard states it
(round to nearest, even), never on the accuracy of numpy's or libm's elementary functions:

1. One basic operation (``+ - * /``) rounded to nearest lies within half an ulp of the exact result,
   so moving it past its neighbour towards ``-inf`` (``+inf``) gives a lower (upper) bound: :func:`down`,
   :func:`up`. Every elementwise operation here is one basic operation followed by one of them.
2. Matrix products (BLAS) and sums (numpy), in any order and with or without fused multiply-adds, obey
   the standard model ``|fl(x . y) - x . y| <= gamma_n |x| . |y| + n eta`` (``gamma_n = n u / (1 - n u)``,
   ``u = 2^-53``, ``eta = 2^-1074`` for underflow): :func:`matmul` and :func:`total` bound the error of
   the midpoint product from the products of absolute values, themselves bounded through the same model.
3. Elementary functions from basic operations only: ``expm1`` on ``[0, 1/2]`` by its Taylor polynomial
   (positive terms: a relative error bound for Horner's rule, the remainder ``y^18 e^y / 18!``), then
   the doubling ``expm1(2y) = expm1(y) (expm1(y) + 2)`` (its relative error at most doubles); ``exp``,
   ``tanh x = E / (E + 2)`` with ``E = expm1(2|x|)``, odd; ``log`` by ``frexp`` and ``2 atanh((M-1)/(M+1))``.
   The constants (``1/k!``, ``1/(2k+1)``, ``ln 2``) are exact rationals rounded outward and checked exactly.

A non-finite end (overflow, ``0 * inf``) raises :class:`ArithmeticError`: the caller then falls back
to Arb. Ends are one or two ulps wider than the exact interval even for exact results.

>>> x = Interval.point(np.array([0.0, 0.5, -3.0]))
>>> t = tanh(x)
>>> bool(t.lo[0] <= 0 <= t.hi[0]) and bool(t.lo[1] <= 0.46211715726000974 <= t.hi[1])
True
>>> bool(t.hi[1] - t.lo[1] < 1e-14)
True
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from math import factorial

import numpy as np

__all__ = [
    "Interval",
    "down",
    "up",
    "from_fractions",
    "matmul",
    "total",
    "expm1_bounds",
    "exp_end",
    "log_end",
    "exp",
    "tanh",
    "log",
    "outward_float",
]

U = Fraction(1, 2**53)
ETA = 2.0**-1074


#: Added to every widening: a normal number, so that no end or radius is ever subnormal (subnormal
#: arithmetic is a hundred times slower); an absolute error of 2^-600 per operation is far below any bound.
TINY = 2.0**-600
_ULP = 2.0**-52  # ulp(x) <= 2^-52 |x| for normal x: the gap from x to either neighbour


def down(x: np.ndarray) -> np.ndarray:
    """A lower bound of the exact result of which ``x`` is one rounded-to-nearest basic operation.

    ``x - (2^-52 |x| + TINY)``: the subtracted amount is computed to at least ``(1 - u)`` times the gap
    from ``x`` to its predecessor, more than half of it, so rounding to nearest lands at or below the
    predecessor, itself at or below the exact result (which lies within half a gap of ``x``).
    """
    if np.ndim(x) == 0:
        return x - (np.abs(x) * _ULP + TINY)
    t = np.abs(x)  # the same operations in one temporary array
    t *= _ULP
    t += TINY
    return np.subtract(x, t, out=t)


def up(x: np.ndarray) -> np.ndarray:
    """An upper bound of the exact result of which ``x`` is one rounded-to-nearest basic operation
    (``x + (2^-52 |x| + TINY)``, as :func:`down`)."""
    if np.ndim(x) == 0:
        return x + (np.abs(x) * _ULP + TINY)
    t = np.abs(x)
    t *= _ULP
    t += TINY
    return np.add(x, t, out=t)


def outward_float(q: Fraction, upward: bool) -> float:
    """A float ``>= q`` (``upward``) or ``<= q``, checked exactly.

    >>> third = Fraction(1, 3)
    >>> Fraction(outward_float(third, True)) > third > Fraction(outward_float(third, False))
    True
    """
    f = float(q)
    if upward and Fraction(f) < q:
        f = float(np.nextafter(f, np.inf))
    if not upward and Fraction(f) > q:
        f = float(np.nextafter(f, -np.inf))
    return f


def _finite(*arrays: np.ndarray) -> None:
    for a in arrays:
        if not np.all(np.isfinite(a)):
            raise ArithmeticError("a float64 enclosure is not finite")


class Interval:
    """Arrays ``lo <= hi`` holding exact values entrywise (see the module's rules)."""

    __slots__ = ("hi", "lo")

    def __init__(self, lo: np.ndarray, hi: np.ndarray) -> None:
        self.lo, self.hi = lo, hi

    @classmethod
    def point(cls, x: np.ndarray) -> Interval:
        """Exact float values."""
        return cls(x, x)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.lo.shape

    def __neg__(self) -> Interval:
        return Interval(-self.hi, -self.lo)

    def __add__(self, other: Interval | float) -> Interval:
        if isinstance(other, Interval):
            return Interval(down(self.lo + other.lo), up(self.hi + other.hi))
        return Interval(down(self.lo + other), up(self.hi + other))

    __radd__ = __add__

    def __sub__(self, other: Interval | float) -> Interval:
        if isinstance(other, Interval):
            return Interval(down(self.lo - other.hi), up(self.hi - other.lo))
        return Interval(down(self.lo - other), up(self.hi - other))

    def __rsub__(self, other: float) -> Interval:
        return Interval(down(other - self.hi), up(other - self.lo))

    def __mul__(self, other: Interval | float) -> Interval:
        """Moore's product: the smallest and largest of the four products of the ends."""
        if not isinstance(other, Interval):
            other = Interval.point(np.asarray(other, dtype=float))
        a, b, c, d = self.lo * other.lo, self.lo * other.hi, self.hi * other.lo, self.hi * other.hi
        lo = np.minimum(np.minimum(a, b), np.minimum(c, d))
        hi = np.maximum(np.maximum(a, b), np.maximum(c, d))
        return Interval(down(lo), up(hi))

    __rmul__ = __mul__

    def square(self) -> Interval:
        """``x^2``, 0 from below when the interval holds 0 (``x * x`` of ``[-1, 1]`` reaches -1)."""
        a, b = self.lo * self.lo, self.hi * self.hi
        lo = np.where(self.lo >= 0, a, np.where(self.hi <= 0, b, 0.0))
        hi = np.maximum(a, b)
        return Interval(np.where(lo > 0, down(lo), 0.0), up(hi))

    def clip(self, low: float, high: float) -> Interval:
        """Intersect with ``[low, high]``, a range known to hold the exact values."""
        return Interval(np.clip(self.lo, low, high), np.clip(self.hi, low, high))


def from_fractions(values: list, shape: tuple[int, ...]) -> Interval:
    """Exact rationals as floats, widened by one ulp on each side where the float is not exact.

    ``n / d`` of Python integers is correctly rounded, so within half an ulp.

    >>> x = from_fractions([Fraction(1, 2), Fraction(1, 3)], (2,))
    >>> bool(x.lo[0] == x.hi[0] == 0.5) and bool(x.lo[1] < 1 / 3 < x.hi[1])
    True
    """
    floats, exact = [], []
    for q in values:
        n, d = q.numerator, q.denominator
        floats.append(n / d)
        # exact for a power-of-two denominator and a numerator of at most 53 bits (no underflow below
        # 2^-1000); anything else is widened, which is never wrong
        exact.append(d & (d - 1) == 0 and -(2**53) <= n <= 2**53 and d <= 2**1000)
    mid = np.array(floats, dtype=float).reshape(shape)
    same = np.array(exact, dtype=bool).reshape(shape)
    _finite(mid)
    return Interval(np.where(same, mid, down(mid)), np.where(same, mid, up(mid)))


@lru_cache(maxsize=256)
def _gamma(n: int) -> tuple[float, float]:
    """Floats ``g >= gamma_n`` and ``k >= 1 / (1 - gamma_n)``, checked exactly (kept per ``n``)."""
    if n * U >= Fraction(1, 4):
        raise ArithmeticError("a product too long for the float64 error bound")
    gamma = n * U / (1 - n * U)
    return outward_float(gamma, True), outward_float(1 / (1 - gamma), True)


def _midrad(x: Interval) -> tuple[np.ndarray, np.ndarray]:
    mid = 0.5 * x.lo + 0.5 * x.hi
    return mid, np.maximum(up(x.hi - mid), up(mid - x.lo))


def matmul(a: Interval, b: Interval) -> Interval:
    """An enclosure of every product ``x y`` with ``x`` in ``a`` and ``y`` in ``b`` (2-D).

    Midpoint-radius: with ``x = a_m + e``, ``|e| <= a_r`` (and ``y`` alike), ``|x y - fl(a_m b_m)|`` is at
    most ``|a_m| (gamma_n |b_m| + b_r) + a_r (|b_m| + b_r) + n eta``; each of those two products of
    nonnegative matrices ``T`` is computed with ``T_exact <= (fl(T) + n eta) / (1 - gamma_n)``: three
    products in all (two when ``a`` is a point).

    >>> b = Interval(np.array([[1.0], [0.0]]), np.array([[2.0], [1.0]]))
    >>> m = matmul(Interval.point(np.array([[1.0, 2.0]])), b)
    >>> bool(m.lo[0, 0] <= 1.0) and bool(m.hi[0, 0] >= 4.0) and bool(m.hi[0, 0] < 4.0 + 1e-12)
    True
    """
    _finite(a.lo, a.hi, b.lo, b.hi)
    n = a.shape[1]
    g, k = _gamma(n)
    point_a = bool(np.all(a.lo == a.hi))
    am, ar = (a.lo, None) if point_a else _midrad(a)
    br: np.ndarray | float
    if bool(np.all(b.lo == b.hi)):
        bm, br = b.lo, 0.0
    else:
        bm, br = _midrad(b)
    mid = am @ bm
    abs_b = np.abs(bm)
    rad = np.abs(am) @ up(up(g * abs_b) + br)
    if ar is not None:
        rad = up(rad + ar @ up(abs_b + br))
    rad = up(up(rad + 3 * n * ETA) * k)  # TINY >> 3 n eta keeps it normal
    _finite(mid, rad)
    return Interval(down(mid - rad), up(mid + rad))


def _sum_error(x: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """``fl(sum x)`` along ``axis`` and an upper bound of its error (any order of summation)."""
    n = max(x.shape[axis] - 1, 1)
    g, k = _gamma(n)
    s = np.sum(x, axis=axis)
    return s, up(up(g * np.sum(np.abs(x), axis=axis)) * k)


def total(x: Interval, axis: int = -1) -> Interval:
    """The sum along ``axis`` (``|fl(sum) - sum| <= gamma_{n-1} sum |x|``; additions never underflow).

    >>> s = total(Interval.point(np.full(10, 0.1)))
    >>> bool(s.lo[()] <= 1.0 <= s.hi[()]) and bool(s.hi[()] - s.lo[()] < 1e-14)
    True
    """
    _finite(x.lo, x.hi)
    s_lo, e_lo = _sum_error(x.lo, axis)
    s_hi, e_hi = _sum_error(x.hi, axis)
    return Interval(down(s_lo - e_lo), up(s_hi + e_hi))


# -- constants: exact rationals rounded outward ---------------------------------------------

_ORDER = 17  # Taylor terms of expm1 on [0, 1/2]: the remainder y^18 e^y / 18! is below u relative
_TAYLOR = [float(Fraction(1, factorial(j))) for j in range(1, _ORDER + 1)]  # each within u of 1/j!
_MAX_DOUBLINGS = 8  # 64 / 2^8 <= 1/2


def _relative_errors() -> tuple[list[float], list[float]]:
    """Factors ``L_h <= 1 / (1 + r_h)`` and ``H_h >= 1 / (1 - r_h)``: ``r_h`` bounds the relative error
    of ``expm1`` computed (rounded to nearest) by Horner's rule and ``h`` doublings.

    Horner's rule on a polynomial with positive coefficients at ``y >= 0`` (coefficients each rounded,
    then ``2 N`` operations, then the product by ``y``) errs by at most ``gamma_{2N+2}`` relative, the
    truncation by ``y^17 e^y / 18! <= 2^-17 2 / 18! < 2^-60`` of ``expm1(y) >= y``: ``r_0``. A doubling
    ``e (e + 2)`` of ``e (1 + theta)``, ``|theta| <= r`` (``e >= 0``, so ``e + 2`` errs by at most
    ``r`` relative too), two roundings: ``r' = (1 + r)^2 (1 + u)^2 - 1``.
    """
    n = 2 * _ORDER + 2
    r = n * U / (1 - n * U) + Fraction(1, 2**60)
    low, high = [], []
    for _ in range(_MAX_DOUBLINGS + 1):
        low.append(outward_float(1 / (1 + r), False))
        high.append(outward_float(1 / (1 - r), True))
        r = (1 + r) ** 2 * (1 + U) ** 2 - 1
    return low, high


_LOW_FACTOR, _HIGH_FACTOR = (np.array(f) for f in _relative_errors())
_ATANH_TERMS = 12  # atanh(r) = r sum_k r^(2k) / (2k + 1), |r| <= 0.18: the tail is below u relative
_ATANH_LO = [outward_float(Fraction(1, 2 * j + 1), False) for j in range(_ATANH_TERMS)]
# tail: sum_{j >= J} a^(2j) / (2j + 1) <= a^(2J) / ((2J + 1) (1 - a^2)), a^2 <= 0.0324
_ATANH_HI = [outward_float(Fraction(1, 2 * j + 1), True) for j in range(_ATANH_TERMS)] + [
    outward_float(Fraction(1, 2 * _ATANH_TERMS + 1) / (1 - Fraction(324, 10000)), True)
]


def _ln2() -> tuple[float, float]:
    # ln 2 = sum_{k >= 1} 1 / (k 2^k); the tail after K terms is at most 1 / ((K + 1) 2^K)
    partial = sum((Fraction(1, k * 2**k) for k in range(1, 71)), Fraction(0))
    return outward_float(partial, False), outward_float(partial + Fraction(1, 71 * 2**70), True)


LN2_LO, LN2_HI = _ln2()


def _horner(y: np.ndarray, coefficients: list[float], rounding) -> np.ndarray:
    """``sum_j c_j y^j`` for ``y >= 0`` and ``c_j >= 0``, each operation rounded by ``rounding``."""
    acc = np.full_like(y, coefficients[-1])
    for c in reversed(coefficients[:-1]):
        acc = rounding(rounding(acc * y) + c)
    return acc


def expm1_bounds(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of ``expm1(x)`` for floats ``0 <= x <= 64`` (one pair per entry).

    ``y = x / 2^h <= 1/2`` (exact), Horner's rule rounded to nearest, ``h`` doublings, then the computed
    value times the factors of :func:`_relative_errors` for ``h`` (rounded outward; underflow in
    Horner's rule for a tiny ``x`` errs by a few ``eta``, inside ``TINY``).

    >>> lo, hi = expm1_bounds(np.array([0.0, 1.0, 40.0]))
    >>> bool(lo[0] <= 0 <= hi[0]) and bool(lo[1] <= 1.718281828459045 <= hi[1])
    True
    >>> bool(hi[2] / lo[2] - 1 < 2e-12)
    True
    """
    _finite(x)
    if np.any(x < 0) or np.any(x > 64):
        raise ArithmeticError("expm1 bounds need 0 <= x <= 64")
    _, e = np.frexp(x)  # x < 2^e
    halvings = np.clip(e + 1, 0, _MAX_DOUBLINGS)  # x / 2^halvings <= 1/2
    y = np.ldexp(x, -halvings)  # exact: a power of two, no underflow for x >= 1/4
    # the same roundings as acc = acc * y + c, in place (one array for the whole recurrence)
    value = np.full_like(y, _TAYLOR[-1])
    for c in reversed(_TAYLOR[:-1]):
        value *= y
        value += c
    value *= y
    for i in range(int(halvings.max(initial=0))):
        value = np.where(halvings > i, value * (value + 2.0), value)
    return down(value * _LOW_FACTOR[halvings]), up(value * _HIGH_FACTOR[halvings])


def exp(x: Interval) -> Interval:
    """``exp`` (increasing): a lower bound at ``lo``, an upper at ``hi`` (see :func:`exp_end`)."""
    return Interval(exp_end(x.lo, lower=True), exp_end(x.hi, lower=False))


def exp_end(x: np.ndarray, lower: bool) -> np.ndarray:
    """A lower (``lower``) or upper bound of ``exp(x)`` for floats ``x``: ``1 + expm1(x)`` for ``x >= 0``,
    ``1 / (1 + expm1(-x))`` below. Below -64 the bounds are ``[0, e^-64]``; above 64 the lower bound is
    ``e^64``'s and an upper bound does not exist in float64 here (:class:`ArithmeticError`).

    >>> lo, hi = exp_end(np.array([-1.0, 2.0, -100.0]), True), exp_end(np.array([-1.0, 2.0, -100.0]), False)
    >>> bool(lo[0] <= 0.36787944117144233 <= hi[0]) and bool(lo[1] <= 7.38905609893065 <= hi[1])
    True
    >>> bool(lo[2] == 0) and bool(0 < hi[2] < 1e-27)
    True
    """
    _finite(x)
    if not lower and np.any(x > 64):
        raise ArithmeticError("exp above e^64 in a float64 upper bound")
    a = np.minimum(np.abs(x), 64.0)
    e_lo, e_hi = expm1_bounds(a)
    pos = down(1.0 + e_lo) if lower else up(1.0 + e_hi)  # e^a for x >= 0
    neg = down(1.0 / up(1.0 + e_hi)) if lower else up(1.0 / down(1.0 + e_lo))  # e^-a for x < 0
    out = np.where(x >= 0, pos, neg)
    return np.where(x < -64, 0.0, out) if lower else out


def _tanh_abs(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of ``tanh(a)`` for ``a >= 0``: ``E / (E + 2)``, increasing in ``E = expm1(2a)``; for
    ``a > 20``, ``1 - 2 e^-40 > 1 - 2^-53`` from below and 1 above."""
    c = np.minimum(a, 20.0)
    e_lo, e_hi = expm1_bounds(2.0 * c)
    lo = down(e_lo / up(e_lo + 2.0))
    hi = np.minimum(up(e_hi / down(e_hi + 2.0)), 1.0)
    return lo, np.where(a > 20, 1.0, hi)


def tanh(x: Interval) -> Interval:
    """``tanh`` (increasing, odd), its ends from :func:`_tanh_abs` in one pass."""
    _finite(x.lo, x.hi)
    both = np.concatenate([x.lo.ravel(), x.hi.ravel()])
    lo, hi = _tanh_abs(np.abs(both))
    low = np.where(both >= 0, lo, -hi)  # tanh(-a) = -tanh(a)
    high = np.where(both >= 0, hi, -lo)
    n = x.lo.size
    return Interval(low[:n].reshape(x.shape), high[n:].reshape(x.shape)).clip(-1.0, 1.0)


def _atanh_bounds(r: np.ndarray, upper: bool) -> np.ndarray:
    """A bound of ``atanh(r)`` for ``|r| <= 0.18`` (odd, increasing; positive series in ``r^2``)."""
    a = np.abs(r)
    sq_lo, sq_hi = down(a * a), up(a * a)
    small = down(a * _horner(sq_lo, _ATANH_LO, down))  # atanh(a) from below
    large = up(a * _horner(sq_hi, _ATANH_HI, up))  # from above (the last coefficient bounds the tail)
    if upper:
        return np.where(r >= 0, large, -small)
    return np.where(r >= 0, small, -large)


def log_end(x: np.ndarray, upper: bool) -> np.ndarray:
    """A bound of ``log(x)`` for floats ``x > 0``: ``x = M 2^k`` (exact), ``log M = 2 atanh((M-1)/(M+1))``."""
    f, e = np.frexp(x)  # x = f 2^e, 1/2 <= f < 1
    low = f < 0.7071067811865476
    m = np.where(low, 2.0 * f, f)  # in [0.7071, 1.4143): |r| <= 0.1716
    k = (e - low).astype(float)
    num = m - 1.0  # exact (Sterbenz: m/2 <= 1 <= 2m)
    if upper:
        r = up(num / np.where(num >= 0, down(m + 1.0), up(m + 1.0)))
        part = up(k * np.where(k >= 0, LN2_HI, LN2_LO))
        return up(part + up(2.0 * _atanh_bounds(r, upper=True)))
    r = down(num / np.where(num >= 0, up(m + 1.0), down(m + 1.0)))
    part = down(k * np.where(k >= 0, LN2_LO, LN2_HI))
    return down(part + down(2.0 * _atanh_bounds(r, upper=False)))


def log(x: Interval) -> Interval:
    """``log`` (increasing) of an interval with ``lo > 0``.

    >>> v = log(Interval.point(np.array([1.0, 10.0, 1e-300])))
    >>> bool(v.lo[0] <= 0 <= v.hi[0]) and bool(v.lo[1] <= 2.302585092994046 <= v.hi[1])
    True
    """
    _finite(x.lo, x.hi)
    if not np.all(x.lo > 0):
        raise ArithmeticError("log of an interval reaching 0")
    return Interval(log_end(x.lo, upper=False), log_end(x.hi, upper=True))
