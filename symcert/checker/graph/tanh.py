r"""The checker's own rigorous tanh on float64 balls, for the fast rung (no libm, nothing from the prover).

``tanh`` is odd, so only ``T(t) = tanh(t)`` for ``t >= 0`` is bounded (:func:`tanh_bounds`), at the
ball's midpoint; the radius grows by ``r`` times a bound of ``tanh'`` on the ball (:func:`tanh`):

- ``t < 2^-26``: ``t - t^3/3 <= T(t) <= t``, and ``t^3/3`` is below the float step under ``t``, so
  ``[nextafter(t, 0), t]``;
- ``t >= 19.1``: ``1 - 2 e^{-2t} >= 1 - 2^-54``, so ``[1 - 2^-53, 1]``;
- otherwise ``T = E / (E + 2)`` with ``E = expm1(2t) > 0``, increasing in ``E``: from a ball of
  ``E``, ``[shrink(E_lo / grow(E_lo + 2)), grow(E_hi / shrink(E_hi + 2))]`` (each a single rounding
  with a normal result, bounded by :func:`~symcert.checker.graph.balls.grow` and ``shrink``).

``expm1(y)`` for ``y = 2t`` in ``[2^-25, 38.2]``: ``k = rint(y / ln 2)`` (``0 <= k <= 56``), ``ln 2 =
L1 + L2`` with ``L1`` of 40 bits (so ``k L1`` is exact) and ``L2`` enclosed from Arb;
``r = y - k ln 2`` as a ball (the rounding error of ``y - k L1`` found exactly by TwoSum, the rest
bounded by ``u``), ``|r| <= 7/20`` (checked). Then ``expm1(r) = r q(r)``, ``q(r) = sum_j r^j / (j+1)!``,
evaluated by Horner in plain float64 at the midpoint with the a-priori bound (Higham 5.1, each
coefficient rounded once more) ``|q^(r) - q_d(r)| <= sum_j gamma_{2j+2} rho^j / (j+1)!`` for
``|r| <= rho = 7/20``, plus ``2^-1000`` for underflow; the tail ``sum_{j>d}`` and the slope bound of
``q_d`` on ``|r| <= rho`` (for the radius of ``r``) are exact rationals rounded up. Finally
``expm1(y) = 2^k (1 + r q) - 1`` for ``k >= 1`` in ball arithmetic
(:mod:`symcert.checker.graph.balls`).

>>> import numpy as np
>>> lo, hi = tanh_bounds(np.array([0.0, 1e-30, 0.5, 3.0, 40.0]))
>>> bool(np.all(lo <= hi)), float(lo[2]) <= 0.46211715726000974 <= float(hi[2])
(True, True)
>>> from symcert.checker.graph.balls import Ball
>>> t = tanh(Ball(np.array([-0.5, 0.0]), np.array([0.0, 1e-3])))
>>> bool(t.m[0] - t.r[0] <= -0.46211715726000974 <= t.m[0] + t.r[0])
True
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache

import flint
import numpy as np

from symcert.checker.graph.balls import (
    Ball,
    U,
    Undecided,
    add,
    down,
    from_ends,
    from_fractions,
    grow,
    mul,
    shrink,
    tame,
    up,
)
from symcert.checker.reading import dyadic

__all__ = ["tanh", "tanh_bounds", "exp_ball", "EXP_FLOOR"]

_DEGREE = 13  # q_d has the terms j = 0 .. d
_RHO = Fraction(7, 20)


def _f_up(q: Fraction) -> float:
    f = float(q)
    return f if Fraction(f) >= q else float(np.nextafter(f, np.inf))


@lru_cache(maxsize=1)
def _constants() -> dict:
    """The coefficients of ``q``, the bounds of the module text, and ``ln 2 = L1 + L2`` (from Arb)."""
    u = Fraction(1, 2**53)

    def gamma(n: int) -> Fraction:
        return n * u / (1 - n * u)

    coefficients = [Fraction(1, math.factorial(j + 1)) for j in range(_DEGREE + 1)]
    horner = sum((gamma(2 * j + 2) * c * _RHO**j for j, c in enumerate(coefficients)), Fraction(0))
    tail = _RHO ** (_DEGREE + 1) / math.factorial(_DEGREE + 2) / (1 - _RHO)
    slope = sum((j * c * _RHO ** (j - 1) for j, c in enumerate(coefficients) if j), Fraction(0))
    saved = flint.ctx.prec
    flint.ctx.prec = 200
    try:
        ln2 = flint.arb(2).log()
        (mm, me), (rm, re) = ln2.mid().man_exp(), ln2.rad().man_exp()
        mid, rad = dyadic(int(mm), int(me), "ln2"), dyadic(int(rm), int(re), "ln2")
    finally:
        flint.ctx.prec = saved
    l1 = Fraction(round(mid * 2**40), 2**40)
    l2 = float(mid - l1)
    return {
        "c": [float(c) for c in coefficients],  # correctly rounded
        "error": _f_up(horner + tail + Fraction(1, 2**1000)),
        "slope": _f_up(slope),
        "L1": float(l1),
        "L2": l2,
        "L2_error": _f_up(abs(mid - l1 - Fraction(l2)) + rad),
        "one": from_fractions([Fraction(1)]),
    }


def _reduced(y: np.ndarray) -> tuple[np.ndarray, Ball]:
    """``k`` and a ball of ``e^r = 1 + r q(r)``, ``r = y - k ln 2``, for floats ``|y| <= 64`` (the module
    text): ``|k| <= 93``, so ``k L1`` (``L1`` of 40 bits) is exact."""
    c = _constants()
    k = np.rint(y / c["L1"])
    a = k * c["L1"]  # exact: |k| < 2^7, L1 has 40 bits
    d1 = y - a
    bb = d1 - y
    e1 = (y - (d1 - bb)) + (-a - bb)  # TwoSum: exactly y - a - d1
    b = k * c["L2"]
    rm = d1 - b
    rad = grow(np.abs(e1) + grow(np.abs(k) * c["L2_error"]))
    rad = grow(grow(rad + U * np.abs(b)) + U * np.abs(rm)) + 2.0**-1000
    if not np.all(np.abs(rm) + rad <= float(_RHO)):
        raise Undecided("the reduced argument of expm1 is out of range")
    q = np.full_like(rm, c["c"][-1])
    for coefficient in reversed(c["c"][:-1]):
        q = q * rm + coefficient
    q_ball = tame(q, grow(c["error"] + grow(c["slope"] * rad)))
    return k, mul(tame(rm, rad), q_ball)


def _expm1(y: np.ndarray) -> Ball:
    """A ball of ``expm1(y)`` for floats ``y`` in ``[2^-25, 38.2]`` (the module text)."""
    c = _constants()
    k, rq = _reduced(y)
    one = Ball(np.broadcast_to(c["one"].m, rq.shape), np.broadcast_to(c["one"].r, rq.shape))
    big = add(one, rq)
    scaled = Ball(np.ldexp(big.m, k.astype(int)), np.ldexp(big.r, k.astype(int)))  # exact: k <= 56
    big = add(scaled, one, -1)
    use = k == 0
    return Ball(np.where(use, rq.m, big.m), np.where(use, rq.r, big.r))


#: Below this, ``exp`` is bounded by ``[0, e^EXP_FLOOR]`` (its upper bound from :func:`exp_ball`).
EXP_FLOOR = -64.0


def exp_ball(y: np.ndarray) -> Ball:
    """A ball of ``exp(y)`` for floats ``y <= 64``: ``2^k e^r`` from the reduction of the module text
    (``e^r = 1 + r q(r)`` as a ball, then scaled by ``2^k`` exactly: ``|k| <= 93`` and ``e^r >= 1/2``,
    so neither the midpoint nor a radius of at least ``2^-480`` leaves the normal range). The relative
    radius is a few tens of ``u`` whatever ``y``, where halving and doubling (:mod:`symcert.checker.f64`)
    loses a factor of two per doubling (up to 2,400 ``u`` near ``y = -9``). Below :data:`EXP_FLOOR`
    the ball holds ``[0, e^-64]`` (``exp`` is increasing), above 64 it is undecided.

    >>> e = exp_ball(np.array([0.0, -1.0, 3.5, -100.0]))
    >>> bool(np.all(np.abs(e.m[:3] - np.exp([0.0, -1.0, 3.5])) <= e.r[:3]))
    True
    >>> bool(np.all(e.r[:3] <= 64 * 2.0**-53 * e.m[:3]))  # tight: tens of u relative
    True
    >>> bool(e.m[3] - e.r[3] <= 0 < 3.7e-44 <= e.m[3] + e.r[3] < 1e-27)
    True
    """
    y = np.asarray(y, dtype=np.float64)
    if not (np.all(np.isfinite(y)) and np.all(y <= 64.0)):
        raise Undecided("exp of a float beyond 64 (or not finite) is beyond the float64 rung")
    floor = y < EXP_FLOOR
    at = np.where(floor, EXP_FLOOR, y)
    c = _constants()
    k, rq = _reduced(at)
    one = Ball(np.broadcast_to(c["one"].m, rq.shape), np.broadcast_to(c["one"].r, rq.shape))
    big = add(one, rq)  # e^r in [0.7, 1.42]
    scale_k = k.astype(int)
    value = Ball(np.ldexp(big.m, scale_k), np.ldexp(big.r, scale_k))  # exact (the docstring)
    if not floor.any():
        return value
    top = up(value.m + value.r)  # >= e^-64 >= exp(y) for y below the floor
    return Ball(np.where(floor, 0.5 * top, value.m), np.where(floor, up(0.5 * top), value.r))


def tanh_bounds(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Floats ``lo <= tanh(t) <= hi`` for floats ``t >= 0`` (the three ranges of the module text)."""
    t = np.asarray(t, dtype=np.float64)
    lo, hi = t.copy(), t.copy()
    small = t < 2.0**-26
    lo[small] = np.nextafter(t[small], 0.0)
    large = t >= 19.1
    lo[large], hi[large] = 1.0 - U, 1.0
    middle = ~small & ~large
    if middle.any():
        e = _expm1(2.0 * t[middle])  # doubling is exact
        v = e.m - e.r
        e_lo = np.where(v > 0, shrink(v), 0.0)  # shrink, grow: one rounding each, normal results
        e_hi = grow(e.m + e.r)
        lo[middle] = shrink(e_lo / grow(e_lo + 2.0))
        hi[middle] = np.minimum(grow(e_hi / shrink(e_hi + 2.0)), 1.0)
    return lo, hi


def tanh(x: Ball) -> Ball:
    """``tanh`` of every ball: bounds at the midpoint ``m`` (odd: from ``|m|``), widened by ``r`` times
    a bound of ``tanh' = 1 - tanh^2`` on the ball (mean value theorem): ``tanh`` is 1-Lipschitz, so
    ``tanh(max(0, |m| - r)) >= d = max(0, lower tanh(|m|) - r)`` and ``tanh' <= 1 - d^2`` there."""
    low, high = tanh_bounds(np.abs(x.m))
    negative = x.m < 0
    at_m = from_ends(np.where(negative, -high, low), np.where(negative, -low, high))
    d = np.maximum(down(low - x.r), 0.0)
    square = np.where(d < 2.0**-500, 0.0, shrink(d * d))  # <= d^2
    slope = grow(1.0 - square)  # exact when square >= 1/2 (Sterbenz), else normal
    return tame(at_m.m, grow(at_m.r + grow(x.r * slope)))
