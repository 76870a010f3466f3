r"""Verified float64 bounds of ``tanh``: one rounded evaluation with an a-priori relative error.

The error model is that of :mod:`symcert.numeric.engine.elementary` (IEEE 754 binary64, round to
nearest: ``fl(a op b) = (a op b)(1 + d)``, ``|d| <= u = 2^-53``, plus an absolute ``2^-1075`` when
the result is subnormal; multiplying by a power of two with a normal result is exact). Instead of
carrying a lower and an upper bound through every step (two pipelines, one-ulp widenings
after each operation), ``tanh(s)`` for exact ``s >= 0`` is computed *once*, as ``t``, and the two
bounds are ``t -+ E`` with ``E = t (K1 (1 - t) + K0)`` (the relative error shrinks as ``tanh``
saturates), constants that cover the whole computation's error, proved below and checked exactly
with fractions at import.

The computation, for ``2^-500 <= s`` (``s`` clipped to ``19``; ``x = 2 s <= 38`` is exact):

1. ``k = rint(fl(x / ln 2))`` in ``[0, 55]``, ``r = (x - k C1) - k C2`` as in ``elementary``:
   ``|r| <= 0.3467`` and ``|r - (x - k ln 2)| <= E_R`` (for ``k = 0``, ``r = x`` exactly).
2. ``m = fl(r q)``, ``q`` the Horner value of ``sum_{i <= 11} r^i/(i+1)!`` (so ``m ~ expm1(r)``):
   relative error of ``q`` at most ``gamma_23 q(|r|)/q(-|r|)`` plus the remainder
   ``|r|^12/13!/(1 - |r|)``, below ``P_Q = 5e-15``.
3. ``e = fl(m + c_k) 2^k`` with ``c_k = fl(1 - 2^-k)`` (a table; exact for ``k <= 53``, within
   ``2^-54`` above): ``expm1(x) = 2^k (expm1(r*) + 1 - 2^-k)`` for ``r* = x - k ln 2``. For
   ``k = 0`` this is ``m`` itself, relative error ``(1 + P_Q)(1 + u) - 1``; for ``k >= 1`` the
   error of the exact sum ``m + c_k`` against ``g = expm1(r*) + 1 - 2^-k >= e^-0.3467 - 1/2 > 0.2064``
   is at most ``1.42 E_R + 0.42 ((1 + P_Q)(1 + u) - 1) + 2^-1075 + 2^-54`` (``|expm1'| <= e^0.3467
   <= 1.42``; ``m`` may underflow), i.e. ``RHO g``, and the sum's rounding adds ``(1 + u)``. So
   ``e = expm1(x) lam`` with ``|lam - 1| <= EPS_E = max((1 + P_Q)(1 + u) - 1, (1 + RHO)(1 + u) - 1)``.
4. ``t = fl(e / fl(e + 2))``. ``f(e) = e/(e + 2)`` is increasing and
   ``f(lam e)/f(e) - 1 = (lam - 1) 2/(lam e + 2)``, at most ``EPS' (1 - tanh s)`` in magnitude
   (``EPS' = EPS_E/(1 - EPS_E)``): the error shrinks where ``tanh`` saturates. With the two
   roundings, ``nu = t/tanh(s)`` is within ``C0 = (1 + EPS')(1 + u)/(1 - u) - 1`` of 1, so
   ``1 - tanh s <= (1 - t) + C0 <= g (1 + u) + C0`` for ``g = fl(1 - t)``, and
   ``|t/tanh(s) - 1| <= 2u + h`` to first order, ``h = EPS' (g (1 + u) + C0)``; exactly,
   ``tanh(s)`` lies in ``t (1 -+ (K1 g + K0))`` with ``K1 = EPS' (1 + u)(1 + 1e-13)`` and
   ``K0 = (2u + EPS' C0)(1 + 1e-13)`` (checked below). No step underflows (``t >= 2^-502``) or
   overflows (``e < 2^55``).
5. ``E = fl(t fl(fl(g K1') + K0'))`` with ``K1' >= K1 (1 + 8u)``, ``K0' >= (K0 + u)(1 + 8u)``
   is at least ``t (K1 g + K0 + u)/(1 - u)`` (three roundings down, each ``>= (1 - u)``), so
   ``hi = fl(t + E) >= (t + E)(1 - u) >= tanh(s)`` and ``lo = fl(t - E) <= t - E + u t <= tanh(s)``.

Above ``19``: ``tanh(19) > 1 - 2^-53`` (``e^38 > 2^54``), so ``hi``, a float ``>= tanh(19)``, is
``>= 1``, and is then set to ``1``; ``lo`` at ``19`` is below ``tanh(s)``. Below ``2^-500`` (and
0, subnormals): ``down(s) <= tanh(s) <= s``, because ``tanh s >= s - s^3/3`` and ``s^2/3`` is far
below the relative spacing. NaN gives NaN.

>>> lo, hi = tanh_abs_bounds(np.array([0.0, 0.5, 25.0]))
>>> bool(lo[1] < 0.46211715726000974 < hi[1]), float(lo[0]), float(hi[0]), float(hi[2])
(True, 0.0, 0.0, 1.0)
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from symcert.numeric.engine.elementary import _C1, _C2, _INV_LN2, _LN2, _LN2_ERROR, U, down, up_nonneg

__all__ = [
    "tanh_abs_bounds",
    "tanh_point_bounds",
    "tanh_point_ball",
    "tanh_ball_bounds",
    "tanh_interval_bounds",
    "TANGENT_WIDTH",
]

_CLIP = 19.0
_TINY = 2.0**-500
_K_MAX = 55  # rint(38 / ln 2) = 55
_Q = [1.0 / math.factorial(i + 1) for i in range(12)]  # q(r) = sum_{i <= 11} r^i/(i+1)!, rounded
_POW2 = np.array([2.0**k for k in range(_K_MAX + 1)])
_CK = np.array([1.0 - 2.0**-k for k in range(_K_MAX + 1)])  # fl(1 - 2^-k), c_0 = 0

# -- the constants, checked exactly ----------------------------------------------------------------
_u = Fraction(U)
_RB = Fraction(3467, 10000)  # |r| bound (elementary: |r| < 0.3467)
assert _K_MAX == round(38 * _INV_LN2) and all(
    abs(Fraction(float(c)) - (1 - Fraction(1, 2**k))) <= Fraction(1, 2**54) for k, c in enumerate(_CK)
)
assert float(_CK[0]) == 0.0
assert all(Fraction(float(c)) == 1 - Fraction(1, 2**k) for k, c in enumerate(_CK[:54]))


def _gamma(n: int) -> Fraction:
    return n * _u / (1 - n * _u)


# q(|r|) <= 1 + r/2 + r^2/6/(1 - r) and q(-|r|) >= 1 - r/2 (alternating, decreasing terms).
_Q_ABS = 1 + _RB / 2 + _RB**2 / 6 / (1 - _RB)
_Q_MIN = 1 - _RB / 2
_REMAINDER = _RB**12 / math.factorial(13) / (1 - _RB)
#: Relative error of Horner's q: gamma_23 sum |c_i||r|^i (rounded coefficients), the remainder, and
#: at most 12 subnormal products (each below 2^-1075), all relative to q >= _Q_MIN.
_P_Q = Fraction(5, 10**15)
assert (_gamma(23) * _Q_ABS + _REMAINDER + 12 * Fraction(1, 2**1075)) / _Q_MIN <= _P_Q
#: The reduced argument's error (elementary's bound with |k| <= 55, |k C2| <= 55 2^-32 (1 + u)).
_E_R = _u * (2 * _RB + 3 * 56 * Fraction(1, 2**32)) + 56 * Fraction(_LN2_ERROR)
assert abs(Fraction(_C2)) < Fraction(1, 2**32) and abs(_LN2 - Fraction(_C1) - Fraction(_C2)) <= Fraction(
    _LN2_ERROR
)
# e^-a >= 1 - a + a^2/2 - a^3/6 (alternating); e^a <= 1 + a + a^2/2/(1 - a/3) <= 1.42
# (a^n/n! <= a^2/2 (a/3)^(n-2)).
_G_MIN = 1 - _RB + _RB**2 / 2 - _RB**3 / 6 - Fraction(1, 2)
assert _G_MIN > Fraction(2064, 10000) and 1 + _RB + _RB**2 / 2 / (1 - _RB / 3) <= Fraction(142, 100)
_THETA = (1 + _P_Q) * (1 + _u) - 1  # relative error of m against expm1(r)
#: k >= 1: |(m + c_k) - g| / g <= _RHO; then fl(m + c_k) adds one rounding (1 + u).
_DELTA = Fraction(142, 100) * _E_R + Fraction(42, 100) * _THETA + Fraction(1, 2**1075) + Fraction(1, 2**54)
_RHO = _DELTA / Fraction(2064, 10000)
_EPS_E = max(_THETA, (1 + _RHO) * (1 + _u) - 1)
_EPS1 = _EPS_E / (1 - _EPS_E)
_C0 = (1 + _EPS1) * (1 + _u) / (1 - _u) - 1
assert 1 - (1 - _EPS1) * (1 - _u) / (1 + _u) <= _C0
_SLACK = 1 + Fraction(1, 10**13)
_K1 = _EPS1 * (1 + _u) * _SLACK
_K0 = (2 * _u + _EPS1 * _C0) * _SLACK
# (1 + u)/((1 - u)(1 - h)) <= 1 + (2u + h) SLACK for 0 <= h <= H_MAX: true at h = 0, and the right
# side grows faster (slope SLACK > (1 + u)/((1 - u)(1 - H_MAX)^2)); the lower side
# (1 - u)/((1 + u)(1 + h)) >= 1 - 2u - h holds for all h >= 0.
_H_MAX = _EPS1 * ((1 + _u) + _C0)
assert (1 + _u) / (1 - _u) <= 1 + 2 * _u * _SLACK and _SLACK > (1 + _u) / ((1 - _u) * (1 - _H_MAX) ** 2)
_K1F = float(np.nextafter(float(_K1 * (1 + 8 * _u)), 1.0))
_K0F = float(np.nextafter(float((_K0 + _u) * (1 + 8 * _u)), 1.0))
assert Fraction(_K1F) >= _K1 * (1 + 8 * _u) and Fraction(_K0F) >= (_K0 + _u) * (1 + 8 * _u)
assert (1 + 8 * _u) * (1 - _u) ** 4 >= 1
assert 54 * _LN2 < 2 * Fraction(_CLIP)  # e^38 > 2^54: tanh(19) > 1 - 2^-53
assert _EPS_E < Fraction(2, 10**14)  # the bounds stay within about 4e-14 relative


def tanh_abs_bounds(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounds ``0 <= lo <= tanh(s) <= hi <= 1`` at exact ``s >= 0`` (NaN gives NaN); see the module.

    Any shape; the input is taken as float64 (exact for float32 and smaller floats), since the error
    analysis is that of binary64 and the tiny-path fix-up below indexes the flattened array.
    """
    s = np.asarray(s, dtype=np.float64)
    if s.ndim != 1:
        lo, hi = tanh_abs_bounds(s.reshape(-1))
        return lo.reshape(s.shape), hi.reshape(s.shape)
    with np.errstate(all="ignore"):
        t, g = _tanh_core(s)
        lo = np.subtract(t, g)
        hi = np.add(t, g, out=t)
        np.minimum(hi, 1.0, out=hi)
        tiny = np.flatnonzero(s < _TINY)  # 0 and subnormals: [down(s), s]
        if tiny.size:
            st = s[tiny]
            lo[tiny] = np.maximum(down(st), 0.0)
            hi[tiny] = st
    return lo, hi


def _tanh_core(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(t, E)`` at exact ``s >= 0`` (one-dimensional): steps 1-5 of the module, so that for
    ``2^-500 <= s <= 19`` the real interval ``t -+ E`` holds ``tanh(s)`` and ``fl(t - E) <= tanh(s) <=
    fl(t + E)``; above ``19`` they are those of ``tanh(19)``, below ``2^-500`` no claim (NaN gives NaN).
    New arrays, ``s`` unchanged; call inside ``np.errstate(all="ignore")``.
    """
    x = np.minimum(s, _CLIP)
    x += x  # 2 min(s, 19), exact
    k = x * _INV_LN2
    np.rint(k, out=k)
    r = k * _C1  # exact
    np.subtract(x, r, out=r)
    x = np.multiply(k, _C2, out=x)
    r -= x  # r = (x - k C1) - k C2
    q = r * _Q[-1]
    q += _Q[-2]
    for c in reversed(_Q[:-2]):
        q *= r
        q += c
    q *= r  # m ~ expm1(r)
    ki = k.astype(np.intp)
    q += _CK.take(ki, mode="clip")
    e = np.multiply(q, _POW2.take(ki, mode="clip"), out=q)  # ~ expm1(2 s), exact scaling
    d = np.add(e, 2.0, out=r)
    t = np.divide(e, d, out=e)
    g = np.subtract(1.0, t, out=d)  # exact for t >= 1/2
    g *= _K1F
    g += _K0F
    g *= t  # E >= t (K1 (1 - t) + K0 + u)/(1 - u)
    return t, g


def tanh_point_ball(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(mid, rad)`` with ``|tanh(z) - mid| <= rad`` (reals) at exact one-dimensional ``z``, from one
    evaluation: the midpoint-radius form a product wants. :func:`tanh_ball_bounds` gives the bounds.

    ``tanh`` is odd: with ``(t, E)`` of :func:`_tanh_core` at ``s = |z|``, ``mid = sign(z) t`` and
    ``rad = E``, except at ``s > 19``, where ``tanh(s)`` lies in ``[l, 1]`` with ``l = fl(t - E)``
    (that of ``tanh(19)``), taken as ``1 -+ up(1 - l)``; and at ``s < 2^-500`` (0, subnormals),
    where ``tanh(s)`` lies in ``[l, s]``, ``l = max(down(s), 0)``, taken as ``s -+ up(s - l)``
    (exactly ``0 -+ 0`` at 0). NaN gives NaN.

    >>> mid, rad = tanh_point_ball(np.array([-0.5, 0.0, 30.0]))
    >>> bool(abs(mid[0] + 0.46211715726000974) <= rad[0] < 1e-14), float(mid[1]), float(rad[1])
    (True, 0.0, 0.0)
    >>> bool(mid[2] - rad[2] <= np.tanh(30.0) <= mid[2] + rad[2]), bool(rad[2] < 1e-15)
    (True, True)
    """
    z = np.asarray(z, dtype=np.float64)
    with np.errstate(all="ignore"):
        s = np.abs(z)
        t, rad = _tanh_core(s)
        saturated = np.flatnonzero(s > _CLIP)  # tanh(s) in [tanh(19), 1]
        if saturated.size:
            low = t[saturated] - rad[saturated]  # fl(t - E) <= tanh(19)
            t[saturated] = 1.0
            rad[saturated] = up_nonneg(1.0 - low)  # 1 -+ (1 - low) holds [low, 1]
        tiny = np.flatnonzero(s < _TINY)  # 0 and subnormals: tanh(s) in [max(down(s), 0), s]
        if tiny.size:
            st = s[tiny]
            low = np.maximum(down(st), 0.0)
            t[tiny] = st
            rad[tiny] = np.where(st == 0, 0.0, up_nonneg(st - low))  # tanh(0) = 0 exactly
        mid = np.copysign(t, z, out=t)
    return mid, rad


def tanh_ball_bounds(mid: np.ndarray, rad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounds ``lo <= tanh(z) <= hi`` from :func:`tanh_point_ball`'s ``(mid, rad)``: ``fl(mid -+ rad)``
    clipped to ``[-1, 1]``, without widening.

    Where ``mid = sign(z) t``, ``rad = E`` these are :func:`tanh_abs_bounds`' ``fl(t - E)`` and
    ``fl(t + E)`` (step 5 of the module), mirrored for ``z < 0`` (rounding to nearest is symmetric).
    At the fixed-up entries ``mid -+ rad`` holds ``[l, u]`` with floats ``l <= tanh <= u`` at its
    ends (``[l, 1]`` for ``s > 19``, ``[l, s]`` for tiny ``s``, mirrored), so by the monotonicity of
    rounding ``fl(mid - rad) <= l`` and ``fl(mid + rad) >= u``. Clipping to ``[-1, 1]`` keeps them.

    >>> lo, hi = tanh_ball_bounds(*tanh_point_ball(np.array([-0.5, 30.0])))
    >>> bool(lo[0] < -0.46211715726000974 < hi[0]), float(hi[1])
    (True, 1.0)
    """
    with np.errstate(all="ignore"):
        lo = np.subtract(mid, rad)
        np.maximum(lo, -1.0, out=lo)
        hi = np.add(mid, rad)
        np.minimum(hi, 1.0, out=hi)
    return lo, hi


def tanh_point_bounds(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of ``tanh(z)`` at exact ``z``: odd, so computed at ``|z|``.

    >>> lo, hi = tanh_point_bounds(np.array([-0.5]))
    >>> bool(lo[0] < -0.46211715726000974 < hi[0])
    True
    """
    lo, hi = tanh_abs_bounds(np.abs(z))
    neg = z < 0
    return np.where(neg, -hi, lo), np.where(neg, -lo, hi)


#: Widths up to which :func:`tanh_interval_bounds` takes the far endpoint from the tangent at the
#: near one (wider intervals evaluate both endpoints, which is tighter for them).
TANGENT_WIDTH = 2.0**-26
_D_PAD = 2.0**-50
_V_GROW = 1.0 + 2.0**-51
_ETA = 2.0**-1074


def tanh_interval_bounds(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of ``tanh`` over ``[lo, hi]`` with one evaluation per narrow interval.

    ``tanh`` is concave on ``[0, inf)`` and odd. Let ``a = max(lo, -hi)``: ``lo`` if ``lo >= 0``,
    ``|hi|`` if ``hi <= 0`` (the end nearest 0), negative exactly when ``lo < 0 < hi``. With
    ``[tl, th]`` the bounds of ``tanh(a)`` and ``w >= hi - lo`` (:func:`up_nonneg`), concavity gives
    ``tanh(a) <= tanh(a + w) <= tanh(a) + tanh'(a) w``, and ``tanh'(a) = 1 - tanh(a)^2 <= 1 - tl^2``.
    That bound, as computed: ``y = fl(tl^2)`` is within ``u tl^2 + 2^-1075 < 2^-52`` of ``tl^2``
    (``tl <= 1``) and ``fl(1 - y)`` within ``2^-53`` of ``1 - y``, so ``D = fl(fl(1 - y) + 2^-50)``
    (rounding loses under ``2^-53 (1 + 2^-50)``) is ``>= 1 - tl^2``. Then with ``v = fl(th + fl(w D))``,
    ``th + w D <= v (1 + 2u) + 2^-1075``
    (each rounding has ``|fl(z) - z| <= u |fl(z)| + 2^-1075``, sums of nonnegative floats do not
    underflow inexactly: ``wD <= fl(wD)(1 + u) + 2^-1075``, ``th + fl(wD) <= v (1 + u)``, ``fl(wD) <= v``),
    and ``far = fl(z + 2^-1074)``, ``z = fl(v (1 + 2^-51))``, is at least that: if ``z < 2^-1021``,
    ``z >= v (1 + 4u) - 2^-1075`` and adding ``2^-1074`` is exact; otherwise ``v >= 2^-1021 (1 - 5u)``
    and ``z >= v (1 + 4u)(1 - u) >= v (1 + 2u) + v (u - 4u^2) >= v (1 + 2u) + 2^-1075``. So
    ``lo >= 0`` gives ``[tl, min(far, 1)]``, ``hi <= 0 > lo`` the mirror ``[-min(far, 1), -tl]``,
    and ``lo < 0 < hi`` gives ``[max(lo, -1), min(hi, 1)]`` (``|tanh z| <= |z|``).
    Wider intervals (or NaN, or infinite ends) take both endpoints' bounds, entry by entry.

    >>> lo, hi = tanh_interval_bounds(np.array([0.5, -0.5, -1e-9]), np.array([0.5 + 1e-12, -0.5, 1e-9]))
    >>> bool(lo[0] < 0.46211715726000974 < hi[0]) and bool(lo[1] < -0.46211715726000974 < hi[1])
    True
    """
    lo, hi = np.broadcast_arrays(np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64))
    if lo.ndim != 1:  # the entry-by-entry fix-ups below index the flattened arrays
        out_lo, out_hi = tanh_interval_bounds(lo.reshape(-1), hi.reshape(-1))
        return out_lo.reshape(lo.shape), out_hi.reshape(lo.shape)
    if (lo == hi).all():  # exact arguments: one evaluation each (and no subnormal width 2^-1074 below)
        return tanh_point_bounds(lo)
    with np.errstate(all="ignore"):
        w = up_nonneg(hi - lo)  # hi >= lo, so fl(hi - lo) >= 0 (NaN stays NaN)
        wide = np.flatnonzero(~(w <= TANGENT_WIDTH))  # NaN and infinite widths too
        n = lo.size
        if wide.size == n:
            both_lo, both_hi = tanh_point_bounds(np.concatenate([lo, hi]))
            return both_lo[:n], both_hi[n:]
        a = np.negative(hi)
        np.maximum(a, lo, out=a)
        tl, th = tanh_abs_bounds(a)  # entries with a < 0 (straddling 0) are replaced below
        d = np.multiply(tl, tl)
        np.subtract(1.0, d, out=d)
        d += _D_PAD  # D >= 1 - tl^2 >= tanh'(a)
        d *= w
        d += th  # v
        d *= _V_GROW
        d += _ETA
        far = np.minimum(d, 1.0, out=d)  # >= tanh(|far end|)
        neg = lo < 0
        out_lo = np.where(neg, np.negative(far), tl)
        out_hi = np.where(neg, np.negative(tl, out=tl), far)
        straddle = np.flatnonzero(a < 0)
        if straddle.size:
            out_lo[straddle] = np.maximum(lo[straddle], -1.0)
            out_hi[straddle] = np.minimum(hi[straddle], 1.0)
        if wide.size:
            out_lo[wide] = tanh_point_bounds(lo[wide])[0]
            out_hi[wide] = tanh_point_bounds(hi[wide])[1]
    return out_lo, out_hi
