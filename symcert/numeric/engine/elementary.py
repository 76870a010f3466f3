r"""Verified float64 bounds for exp, expm1, log and log1p, resting only on IEEE basic operations.

Each function takes a float64 array ``x`` and returns arrays ``(lo, hi)`` with
``lo <= f(x) <= hi`` for every entry (``x`` itself exact). Nothing here trusts the
platform's libm: ``exp`` is an exact-in-structure range reduction and a Taylor
polynomial whose rounding error and remainder are bounded a priori; ``log`` takes
libm's value only as a *candidate*, moves it outward and *verifies* it with the
verified ``exp`` (an unverified candidate gives an infinite bound, never a wrong one).

Assumptions (the error model, Higham ch. 2-3): IEEE 754 binary64, round to
nearest, so each basic operation ``+ - * /`` returns ``x op y (1 + d)``, ``|d| <= u = 2^-53``
for normal results, with an absolute error below ``2^-1075`` when the result is
subnormal; ``np.nextafter`` moves one unit in the last place; ``np.rint``,
``np.ldexp`` and ``np.abs`` are exact (``ldexp`` exact while the result is a
normal number, which the ranges below guarantee); rounding is monotone. The widening
by at least one ulp after each rounded operation (:func:`down`, :func:`up`) covers its
error in every case, including subnormal results and overflow to infinity.

The exp algorithm, for ``-700 <= x <= 709``: ``k = rint(x / ln 2)``;
``r = (x - k C1) - k C2`` with ``C1`` the first 32 bits of ``ln 2`` (so ``k C1`` is
exact for ``|k| < 2^21``) and ``C2 = fl(ln 2 - C1)``; the error of ``r`` is at most
``u (|x - k C1| + |k C2| + |r|) + |k| |ln 2 - C1 - C2|``, bounded with a factor 2 of slack.
Then ``exp(r)`` by Horner on ``sum_{i<=13} r^i/i!`` (``|r| < 0.3467``): the remainder is
below ``|r|^14/14! e^{2|r|} < 1e-17`` relative, and Horner's rounding error with rounded
coefficients is at most ``gamma_{27} sum |c_i| |r|^i <= gamma_{27} e^{|r|}``, i.e. below
``gamma_{27} e^{2|r|} < 6.1e-15`` relative to ``e^r``: both together below ``1e-14``.
Outside that range: ``exp(x) <= exp(-700)`` below, ``exp(x) >= exp(709)`` above.

>>> lo, hi = exp_bounds(np.array([0.0, 1.0, -1.0]))
>>> bool(np.all(lo <= np.exp([0.0, 1.0, -1.0]))) and bool(np.all(hi >= np.exp([0.0, 1.0, -1.0])))
True
>>> lo, hi = log_bounds(np.array([2.0]))
>>> float(lo[0]) < 0.6931471805599453 < float(hi[0])
True
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, TypeVar

import numpy as np

__all__ = [
    "down",
    "up",
    "up_nonneg",
    "exp_bounds",
    "expm1_bounds",
    "log_bounds",
    "log1p_bounds",
    "blockwise",
    "blockwise_all",
    "U",
]

_Floats = TypeVar("_Floats", np.ndarray, float)  # an array, or one float

U = 2.0**-53
_INF = np.inf
_ULP = 2.0**-52
_ETA = 2.0**-1074

#: ``ln 2`` split: ``C1`` has 32 significant bits, ``C2`` is ``ln 2 - C1`` correctly rounded.
_LN2 = Fraction("0.69314718055994530941723212145817656807550013436025525412068000949339362196969")
_C1 = math.ldexp(math.floor(math.ldexp(math.log(2), 32)), -32)
_C2 = float(_LN2 - Fraction(_C1))
#: ``|ln 2 - C1 - C2| <= u |C2| + 1e-76 < 2^-84`` (``C2 < 2^-32``).
_LN2_ERROR = 2.0**-84
_INV_LN2 = 1.4426950408889634
_X_MAX, _X_MIN = 709.0, -700.0
_DEGREE = 13
_COEFFS = [1.0 / math.factorial(i) for i in range(_DEGREE + 1)]  # each within u relative of 1/i!
# Relative error bound of the reduced exp: Horner gamma_{2n+1} e^{2|r|} (|r| <= 0.3467 + 1e-9),
# plus the Taylor remainder; 1e-14 exceeds both with margin (gamma_27 e^0.7 < 6.1e-15).
_POLY_REL = 1.0e-14
_SMALL = 0.3
#: The error of the reduced argument, a priori: ``|r| <= 0.3468``, ``|k| <= 1023`` and ``|C2| < 2^-32``
#: give ``|t1| + |t2| + |r| < 0.6942``, so ``err_r <= 2 u 0.6942 + 1023 |ln 2 - C1 - C2|``, and the
#: relative error of ``2^k p`` is at most ``_POLY_REL + 2.5 err_r``: below ``_REL`` (checked exactly here).
_REL = 1.04e-14
assert abs(Fraction(_C2)) < Fraction(1, 2**32)
assert Fraction(_POLY_REL) + Fraction(5, 2) * (
    2 * Fraction(U) * Fraction(6942, 10000) + 1023 * Fraction(_LN2_ERROR)
) <= Fraction(_REL)
#: ``fl(p F_LO) <= p (1 - _REL)`` and ``fl(p F_HI) >= p (1 + _REL)`` for normal ``p`` (one rounding, ``u``).
_F_LO = float(np.nextafter((1 - _REL) / (1 + U), 0.0))
_F_HI = float(np.nextafter((1 + _REL) / (1 - U), 2.0))
assert Fraction(_F_LO) * (1 + Fraction(U)) <= 1 - Fraction(_REL)
assert Fraction(_F_HI) * (1 - Fraction(U)) >= 1 + Fraction(_REL)
#: Entries per block in :func:`blockwise`: a block's temporaries stay in the cache.
_BLOCK = 16384


def down(x: np.ndarray) -> np.ndarray:
    """At most ``pred(x)`` (the float below ``x``): a lower bound of any real that rounds to ``x``.

    Computed as ``x - (|x| 2^-52 + 2^-1074)`` in round-to-nearest: the spacing below a
    finite ``x`` is a float at most ``|x| 2^-52`` (or ``2^-1074`` near 0), so by the
    monotonicity of rounding the subtrahend is at least that spacing and the result at
    most ``pred(x)``. (Eight times faster than ``np.nextafter``, in one temporary array;
    ``down(+inf)`` is NaN, which makes the rung undecided.)
    """
    if np.ndim(x) == 0:
        return x - (np.abs(x) * _ULP + _ETA)
    t = np.abs(x)
    t *= _ULP
    t += _ETA
    return np.subtract(x, t, out=t)


def up(x: _Floats) -> _Floats:
    """At least ``succ(x)``: an upper bound of any real that rounds to ``x`` (see :func:`down`)."""
    if np.ndim(x) == 0:
        return x + (np.abs(x) * _ULP + _ETA)
    t = np.abs(x)
    t *= _ULP
    t += _ETA
    return np.add(x, t, out=t)


def up_nonneg(x: _Floats) -> _Floats:
    """At least ``succ(x)`` for ``x >= 0`` (or NaN, +inf), in two passes: ``x (1 + 2^-52) + 2^-1074``.

    For normal ``x`` in ``[2^e, 2^(e+1))`` the spacing above ``x`` is ``2^(e-52) <= x 2^-52``, so the
    exact product is ``>= succ(x)``, a float (or overflows to +inf), and by the monotonicity of
    rounding so is its rounded value and adding ``2^-1074`` keeps it. For subnormal ``x`` (or 0) the
    rounded product is ``>= x`` and ``x + 2^-1074 = succ(x)`` is exact. ``+inf`` and NaN stay.
    Same guarantee as :func:`up` on this range, half the passes; for ``x < 0`` it is *not* one.

    >>> bool(up_nonneg(np.array([1.0]))[0] > 1.0), float(up_nonneg(np.array([0.0]))[0])
    (True, 5e-324)
    """
    if np.ndim(x) == 0:
        return x * (1.0 + _ULP) + _ETA
    t = np.multiply(x, 1.0 + _ULP)
    t += _ETA
    return t


def blockwise(block: Any, *arrays: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``block(*arrays) -> (lo, hi)`` for elementwise ``block``, run on consecutive one-dimensional
    blocks of the flattened (same-shape) arrays (:func:`blockwise_all`, with two outputs).

    >>> lo, hi = blockwise(lambda x: (x - 1, x + 1), np.arange(40000.0).reshape(200, 200))
    >>> lo.shape, float(hi[199, 199])
    ((200, 200), 40000.0)
    """
    lo, hi = blockwise_all(block, *arrays)
    return lo, hi


def blockwise_all(block: Any, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """``block(*arrays)``, a tuple of any number of outputs, for elementwise ``block``, run on
    consecutive one-dimensional blocks of the flattened (same-shape) arrays, so that the many passes of
    a bound stay in the cache. Only the speed changes: each entry's outputs are those of ``block`` on
    that entry.

    >>> mid, rad, twice = blockwise_all(lambda x: (x, x + 1, 2 * x), np.arange(40000.0).reshape(200, 200))
    >>> mid.shape, float(twice[199, 199])
    ((200, 200), 79998.0)
    """
    arrays = tuple(np.asarray(a, dtype=np.float64) for a in arrays)
    shape = arrays[0].shape
    flat = [a.ravel() for a in arrays]  # a block sees one-dimensional arrays
    if flat[0].size <= _BLOCK:
        return tuple(out.reshape(shape) for out in block(*flat))
    outs: list[np.ndarray] | None = None
    for i in range(0, flat[0].size, _BLOCK):
        j = i + _BLOCK
        parts = block(*(f[i:j] for f in flat))
        if outs is None:
            outs = [np.empty_like(flat[0]) for _ in parts]
        for out, part in zip(outs, parts):
            out[i:j] = part
    assert outs is not None
    return tuple(out.reshape(shape) for out in outs)


def _horner(coeffs: list[float], r: np.ndarray) -> np.ndarray:
    """``sum c_i r^i`` by Horner's rule, in place (the same roundings as ``acc = acc r + c``)."""
    acc = r * coeffs[-1]
    acc += coeffs[-2]
    for c in reversed(coeffs[:-2]):
        acc *= r
        acc += c
    return acc


def exp_bounds(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounds ``lo <= exp(x) <= hi`` (NaN in, NaN out; +inf above 709)."""
    return blockwise(_exp_block, x)


def _exp_block(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(all="ignore"):
        inside = x.size > 0 and bool(x.min() >= _X_MIN) and bool(x.max() <= _X_MAX)  # False on NaN
        xc = x if inside else np.clip(x, _X_MIN, _X_MAX)
        k = np.rint(xc * _INV_LN2)
        r = xc - k * _C1  # t1 (k C1 is exact)
        r -= k * _C2  # r = t1 - t2
        p = _horner(_COEFFS, r)
        # exp(x) = 2^k p (1 + e), |e| <= _REL; p in [0.7, 1.42] and 2^k p normal: ldexp is exact.
        ki = k.astype(np.int32)
        lo = np.ldexp(p * _F_LO, ki)
        hi = np.ldexp(np.multiply(p, _F_HI, out=p), ki)
        if not inside:
            lo = np.where(x < _X_MIN, 0.0, lo)
            hi = np.where(x > _X_MAX, _INF, hi)
            nan = np.isnan(x)
            lo, hi = np.where(nan, np.nan, lo), np.where(nan, np.nan, hi)
    return lo, hi


def expm1_bounds(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of ``exp(x) - 1``, accurate in relative terms also for tiny ``x``.

    For ``|x| <= 0.3``, ``expm1(x) = x q(x)`` with ``q(x) = sum_{i>=0} x^i/(i+1)!`` in
    ``[0.86, 1.17]``, evaluated on its terms ``i <= 12``: Horner's error is at most
    ``gamma_{25} e^{|x|} / 0.86 < 4.4e-15`` relative to ``q`` and the remainder below
    ``0.3^13/14! < 2e-18``; elsewhere ``exp(x) - 1`` from :func:`exp_bounds`.

    >>> lo, hi = expm1_bounds(np.array([1e-300, -1e-20]))
    >>> bool(lo[0] <= 1e-300 <= hi[0]) and bool(lo[1] <= -1e-20 <= hi[1])
    True
    """
    return blockwise(_expm1_block, x)


def _expm1_block(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(all="ignore"):
        small = np.abs(x) <= _SMALL
        if small.all():
            lo, hi = np.empty_like(x), np.empty_like(x)
        else:
            elo, ehi = _exp_block(x)
            lo, hi = down(elo - 1.0), up(ehi - 1.0)
        if not small.any():
            return lo, hi
        xs = x[small]  # the polynomial only where it is used
        q = _horner(_COEFFS[1:], xs)
        a, b = down(q * (1.0 - _POLY_REL)), up(q * (1.0 + _POLY_REL))
        # x q is increasing in q when x >= 0, decreasing when x < 0.
        slo = np.where(xs >= 0, down(xs * a), down(xs * b))
        shi = np.where(xs >= 0, up(xs * b), up(xs * a))
        # x exactly 0 (or a subnormal product): bounds stay on the right side of 0.
        lo[small] = np.where(xs == 0, 0.0, slo)
        hi[small] = np.where(xs == 0, 0.0, shi)
    return lo, hi


def log_bounds(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounds ``lo <= log(y) <= hi`` for ``y > 0``: libm candidates verified by :func:`exp_bounds`.

    ``log(0) = -inf`` below; ``y < 0`` or NaN gives NaN. An unverified candidate gives
    ``-inf`` (lower) or ``+inf`` (upper): sound, and the caller's decision escalates.
    """
    y = np.asarray(y, dtype=np.float64)
    with np.errstate(all="ignore"):
        c = np.log(np.where(y > 0, y, 1.0))
        lo = np.full_like(y, -_INF)
        hi = np.full_like(y, _INF)
        for slack in (2.0**-50, 2.0**-44, 2.0**-36):
            step = slack * (np.abs(c) + 1.0)
            cand_lo, cand_hi = c - step, c + step
            ok_lo = exp_bounds(cand_lo)[1] <= y  # exp(cand) <= y  =>  cand <= log(y)
            ok_hi = exp_bounds(cand_hi)[0] >= y  # exp(cand) >= y  =>  cand >= log(y)
            lo = np.where(ok_lo & (lo == -_INF), cand_lo, lo)
            hi = np.where(ok_hi & (hi == _INF), cand_hi, hi)
        # Below exp(-700) the verified exp is clamped: y >= 2^-1074 > e^-745.2 bounds log(y) below.
        lo = np.where((y > 0) & (y < 1e-300) & (lo == -_INF), -746.0, lo)
        hi = np.where((y > 0) & (y < 1e-300) & (hi == _INF), -690.0, hi)  # log(1e-300) < -690.7
        lo = np.where(y == 0, -_INF, lo)
        hi = np.where(y == _INF, _INF, hi)
        bad = ~(y >= 0)
    return np.where(bad, np.nan, lo), np.where(bad, np.nan, hi)


def log1p_bounds(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of ``log(1 + w)`` for ``w >= 0``, accurate in relative terms for tiny ``w``.

    For ``0 <= w < 2^-20``: ``w - w^2/2 <= log(1 + w) <= w``; otherwise the log
    of the rounded-outward ``1 + w`` (:func:`log_bounds`).

    >>> lo, hi = log1p_bounds(np.array([1e-30, 1.0]))
    >>> bool(lo[0] <= 1e-30 <= hi[0]) and bool(lo[1] <= 0.6931471805599453 <= hi[1])
    True
    """
    w = np.asarray(w, dtype=np.float64)
    with np.errstate(all="ignore"):
        small = (w >= 0) & (w < 2.0**-20)
        slo = down(w - up(up(w * w) * 0.5))
        slo = np.where(w == 0, 0.0, np.maximum(slo, 0.0))
        llo = log_bounds(down(1.0 + w))[0]
        lhi = log_bounds(up(1.0 + w))[1]
        bad = ~(w >= 0)
    lo = np.where(small, slo, llo)
    hi = np.where(small, w, lhi)
    return np.where(bad, np.nan, lo), np.where(bad, np.nan, hi)
