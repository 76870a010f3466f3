"""Adversarial soundness tests of the checker's float64 ball primitives against Arb.

Every ball (midpoint ``m``, radius ``r``) or interval these functions return must contain the exact
image of their input, for every finite input they accept, including the hard regions: subnormals and
``1e-300``, exact zeros and negative zero, tanh's saturation near 19-20 and beyond, exp near its range
limits, radius 0 and radii near the largest float. Inputs outside a function's range must be refused
(an exception: ``Undecided``/``ArithmeticError``) or give a radius that is not finite, never a finite
ball that misses the value.

The reference is Arb (python-flint) at 200 bits, the float64 ends taken exactly (2,200 bits hold any
float64 sum): a ball passes only when Arb *certainly* has the exact value inside it. For a monotone
function the image of a ball is the interval between the values at its ends; for tanh' (``1 - tanh^2``),
softmax and products the extremes at the ends or corners (and at 0 where the ball holds it).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import flint
import numpy as np
import pytest
from flint import arb, fmpq
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from symcert.checker import f64
from symcert.checker.f64_tanh import tanh_ball
from symcert.checker.f64_tanh import tanh_bounds as table_tanh_bounds
from symcert.checker.graph import balls
from symcert.checker.graph.balls import Ball, Undecided, exact_sum, tame
from symcert.checker.graph.fast_segment import wide_mul, wide_softmax_rows, wide_tanh
from symcert.checker.graph.smooth import lse_rows, sigmoid, softmax_rows, softplus
from symcert.checker.graph.tanh import exp_ball, tanh
from symcert.checker.graph.tanh import tanh_bounds as graph_tanh_bounds

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
REFUSED = (ArithmeticError, ValueError, IndexError)  # Undecided is an ArithmeticError
BIG = 1.7976931348623157e308

# -- the hard regions ------------------------------------------------------------------------------

_EDGES = [
    0.0,
    5e-324,
    3 * 5e-324,
    2.0**-1022,
    np.nextafter(2.0**-1022, 0.0),
    1e-300,
    2.0**-480,
    2.0**-60,
    2.0**-26,
    np.nextafter(2.0**-26, 0.0),
    2.0**-25,
    2.0**-10,
    2.0**-10 - 2.0**-60,
    0.35,
    0.5,
    1.0,
    19.0,
    np.nextafter(19.1, 0.0),
    19.1,
    19.999999,
    np.nextafter(20.0, 0.0),
    20.0,
    np.nextafter(20.0, 21.0),
    20.5,
    32.0,
    38.2,
    np.nextafter(64.0, 0.0),
    64.0,
    np.nextafter(64.0, 65.0),
    700.0,
    709.78,
    710.0,
    745.2,
    2.0**480,
    1e300,
    BIG,
]


def _signed(values: st.SearchStrategy[float]) -> st.SearchStrategy[float]:
    return st.tuples(values, st.booleans()).map(lambda p: -p[0] if p[1] else p[0])


MAGNITUDES = st.one_of(
    st.sampled_from([float(e) for e in _EDGES]),
    st.floats(0.0, 30.0),
    st.floats(18.0, 21.0),
    st.floats(5e-324, 1e-290),
    st.floats(0.0, BIG),
)
FLOATS = _signed(MAGNITUDES)  # -0.0 is among them (the sign of 0.0)
RADII = st.one_of(
    st.just(0.0),
    st.sampled_from([5e-324, 1e-300, 2.0**-480, 2.0**-56, 1e-17, 1e-8, 0.5, 20.0, 1e300, BIG]),
    st.floats(0.0, 1e-12),
    st.floats(0.0, 40.0),
    st.floats(0.0, BIG),
)
# Within the balls' range guard (|m|, r in [2^-480, 2^480] or 0): what the ball operations assume.
TAME = _signed(
    st.one_of(
        st.just(0.0),
        st.floats(2.0**-480, 2.0**480),
        st.floats(2.0**-480, 1e-100),
        st.floats(0.5, 64.0),
        st.sampled_from([2.0**-480, 2.0**480, 1.0, 1 / 3]),
    )
)
TAME_RADII = st.one_of(
    st.just(0.0),
    st.floats(2.0**-480, 2.0**480),
    st.floats(2.0**-480, 1e-10),
    st.sampled_from([2.0**-480, 2.0**480]),
)


@pytest.fixture(autouse=True)
def _quiet_floats() -> Iterator[None]:
    """Overflow to an infinite radius is a legitimate answer (the callers run under the same setting)."""
    with np.errstate(all="ignore"):
        yield


def _exact(x: float) -> arb:
    return arb(float(x))  # a float is exact in Arb


def _ends(m: float, r: float) -> tuple[arb, arb]:
    """``m - r`` and ``m + r`` exactly (2,200 bits hold the sum of any two floats)."""
    with flint.ctx.workprec(2200):
        return _exact(m) - _exact(r), _exact(m) + _exact(r)


Ref = tuple[arb, arb]  # exact lower and upper bounds of one exact value


def _ref(value: arb | tuple) -> Ref:
    """Exact points below and above every point of an Arb ball (or a pair of such points)."""
    if isinstance(value, tuple):
        return value
    assert value.is_finite()
    with flint.ctx.workprec(4400):  # the ends exactly (every value here is made at 4,400 bits or fewer)
        return value.lower(), value.upper()


def _clamp(value: arb | tuple, low: float | arb, high: float | arb) -> Ref:
    """Bounds of a value known to lie in ``[low, high]`` too (a ball cannot end exactly at 1)."""
    lo, hi = _ref(value)
    low, high = arb(low), arb(high)
    return (lo if lo >= low else low), (hi if hi <= high else high)


def _holds(value: arb | tuple, m: float, r: float) -> bool:
    """``[m - r, m + r]`` (floats, its ends exact) certainly holds the value Arb encloses."""
    lo, hi = _ref(value)
    a, b = _ends(m, r)
    return bool(a <= lo and hi <= b)


def _between(value: arb | tuple, lo: float, hi: float) -> bool:
    a, b = _ref(value)
    return bool(_exact(lo) <= a and b <= _exact(hi))


def _tanh(x: arb) -> Ref:
    """``tanh(x)`` at 4,000 bits (it separates ``tanh(t)`` from ``t`` at subnormal ``t``, and from 1 up
    to ``t = 1000``), clamped to what is known: ``0 <= tanh(x) <= min(x, 1)`` for ``x >= 0`` (odd).
    For ``|x| > 1000`` the whole range ``[tanh(1000), 1]`` (with the sign): stricter than the value."""
    with flint.ctx.workprec(4000):
        if abs(x) > 1000:
            lo, hi = arb(1000).tanh().lower(), arb(1)
            return (lo, hi) if x > 0 else (-hi, -lo)
        if x >= 0:
            return _clamp(x.tanh(), 0, x if x <= 1 else arb(1))
        return _clamp(x.tanh(), x if x >= -1 else arb(-1), 0)


def _ball_of(ref: Ref) -> arb:
    """An Arb ball holding ``[lo, hi]`` (for arithmetic on a reference value)."""
    return ref[0].union(ref[1])


def _exp(x: arb) -> arb:
    with flint.ctx.workprec(400):
        return x.exp()


def _finite(*xs: float) -> bool:
    return all(math.isfinite(float(x)) for x in xs)


# -- tanh ------------------------------------------------------------------------------------------


@FAST
@given(FLOATS, RADII)
def test_table_tanh_ball_holds_the_image_of_the_ball(m: float, r: float) -> None:
    """:func:`symcert.checker.f64_tanh.tanh_ball`: ``[tanh(m - r), tanh(m + r)]`` inside ``t +- s``."""
    t, s = tanh_ball(np.array([m]), np.array([r]))
    t0, s0 = float(t[0]), float(s[0])
    if not math.isfinite(s0):
        return  # an infinite radius holds everything
    assert s0 >= 0 and math.isfinite(t0)
    lo, hi = _ends(m, r)
    assert _holds(_tanh(lo), t0, s0) and _holds(_tanh(hi), t0, s0), (m, r, t0, s0)


@FAST
@given(FLOATS)
def test_table_tanh_bounds_at_floats(x: float) -> None:
    lo, hi = table_tanh_bounds(np.array([x]))
    assert _between(_tanh(_exact(x)), float(lo[0]), float(hi[0])), x


def test_table_tanh_ball_across_its_blocks_and_refusals() -> None:
    """More entries than one block (:data:`~symcert.checker.f64_tanh.BLOCK`): each the same ball as
    alone, and the entries at the block boundary hold tanh; NaN is refused (an exception), an infinite
    radius stays infinite, and an infinite midpoint (outside the contract: callers refuse it) still
    holds the limit."""
    from symcert.checker.f64_tanh import BLOCK

    rng = np.random.default_rng(5)
    m = rng.normal(0, 8, BLOCK + 17)
    r = np.abs(rng.normal(0, 1e-3, m.size))
    t, s = tanh_ball(m, r)
    for i in (0, BLOCK - 1, BLOCK, BLOCK + 16):
        ti, si = tanh_ball(m[i : i + 1].copy(), r[i : i + 1].copy())
        assert (t[i], s[i]) == (ti[0], si[0])
        lo, hi = _ends(m[i], r[i])
        assert _holds(_tanh(lo), t[i], s[i]) and _holds(_tanh(hi), t[i], s[i])
    with np.errstate(invalid="ignore"), pytest.raises(REFUSED):
        tanh_ball(np.array([np.nan]), np.array([0.0]))
    for radius in (np.inf, np.nan):
        _, s = tanh_ball(np.array([1.0]), np.array([radius]))
        assert not np.isfinite(s[0])
    t, s = tanh_ball(np.array([np.inf, -np.inf]), np.array([0.0, 0.0]))
    assert t[0] - s[0] <= 1 <= t[0] + s[0] and t[1] - s[1] <= -1 <= t[1] + s[1]


@FAST
@given(MAGNITUDES)
def test_graph_tanh_bounds_at_nonnegative_floats(x: float) -> None:
    """:func:`symcert.checker.graph.tanh.tanh_bounds` (``t >= 0``): ``lo <= tanh(t) <= hi``."""
    x = abs(x)
    lo, hi = graph_tanh_bounds(np.array([x]))
    assert lo[0] <= hi[0] and _between(_tanh(_exact(x)), float(lo[0]), float(hi[0])), x


@FAST
@given(FLOATS, RADII)
def test_graph_tanh_ball_holds_the_image_of_the_ball(m: float, r: float) -> None:
    """:func:`symcert.checker.graph.tanh.tanh` of a ball (not passed through the range guard first:
    the function must hold for any finite ball, or refuse)."""
    try:
        y = tanh(Ball(np.array([m]), np.array([r])))
    except Undecided:
        return
    t0, s0 = float(y.m[0]), float(y.r[0])
    assert _finite(t0, s0) and s0 >= 0
    lo, hi = _ends(m, r)
    assert _holds(_tanh(lo), t0, s0) and _holds(_tanh(hi), t0, s0), (m, r, t0, s0)


def test_graph_tanh_refuses_what_is_not_finite() -> None:
    for m, r in ((np.nan, 0.0), (1.0, np.inf), (1.0, np.nan), (0.0, 2.0**481)):
        with np.errstate(invalid="ignore"), pytest.raises(Undecided):
            tanh(Ball(np.array([m]), np.array([r])))


@FAST
@given(FLOATS, RADII)
def test_wide_tanh_holds_tanh_and_its_slope_over_the_ball(m: float, r: float) -> None:
    """:func:`symcert.checker.graph.fast_segment.wide_tanh`: ``[tanh(lo), tanh(hi)]`` and the range of
    ``1 - tanh^2`` on the ball (largest at the point nearest 0, smallest at the end farthest from it)."""
    assume(_finite(m - r, m + r))  # the ends are computed in float64 (ends(): rounded outward)
    try:
        value, slope = wide_tanh(Ball(np.array([m]), np.array([r])))
    except Undecided:
        return
    lo, hi = _ends(m, r)
    v0, v1 = float(value.m[0]), float(value.r[0])
    assert _holds(_tanh(lo), v0, v1) and _holds(_tanh(hi), v0, v1)
    nearest = arb(0) if (lo <= 0 and hi >= 0) else (lo if abs(lo) < abs(hi) else hi)
    farthest = lo if abs(lo) > abs(hi) else hi
    with flint.ctx.workprec(4000):
        extremes = [_clamp(1 - _ball_of(_tanh(v)) ** 2, 0, 1) for v in (nearest, farthest)]
    assert all(_holds(e, float(slope.m[0]), float(slope.r[0])) for e in extremes), (m, r)


# -- exp, expm1, log -------------------------------------------------------------------------------


@FAST
@given(FLOATS)
def test_exp_ball_holds_exp_or_refuses(y: float) -> None:
    """:func:`symcert.checker.graph.tanh.exp_ball`: above 64 undecided; below -64 ``[0, e^-64]``."""
    if y > 64:
        with pytest.raises(Undecided):
            exp_ball(np.array([y]))
        return
    e = exp_ball(np.array([y]))
    m, r = float(e.m[0]), float(e.r[0])
    assert _finite(m, r) and r >= 0
    if y < -64:  # exp(y) in (0, e^-64): the ball must hold the whole range
        lo, hi = _ends(m, r)
        assert lo <= 0 and _exp(arb(-64)) <= hi
    else:
        assert _holds(_exp(_exact(y)), m, r), y


def test_exp_ball_refuses_what_is_not_finite() -> None:
    for y in (np.nan, np.inf, -np.inf, 709.79, 1e308):
        with np.errstate(invalid="ignore"), pytest.raises(Undecided):
            exp_ball(np.array([y]))


@FAST
@given(MAGNITUDES)
def test_expm1_bounds_on_zero_to_64(x: float) -> None:
    """:func:`symcert.checker.f64.expm1_bounds` on ``[0, 64]`` (refused beyond)."""
    x = abs(x)
    if x > 64:
        with pytest.raises(ArithmeticError):
            f64.expm1_bounds(np.array([x]))
        return
    lo, hi = f64.expm1_bounds(np.array([x]))
    with flint.ctx.workprec(400):
        value = _exact(x).expm1()
    assert _between(value, float(lo[0]), float(hi[0])), x


@FAST
@given(FLOATS)
def test_exp_ends_bound_exp(y: float) -> None:
    """:func:`symcert.checker.f64.exp_end`: a lower bound everywhere, an upper bound up to 64."""
    low = float(f64.exp_end(np.array([y]), lower=True)[0])
    value = _exp(_exact(y)) if -1e4 <= y <= 1e4 else None
    if value is not None:
        assert _exact(low) <= value, y
    else:
        assert low <= 0.0 if y < 0 else _exact(low) <= _exp(arb(64)), y
    if y > 64:
        with pytest.raises(ArithmeticError):
            f64.exp_end(np.array([y]), lower=False)
        return
    high = float(f64.exp_end(np.array([y]), lower=False)[0])
    assert math.isfinite(high)
    assert value <= _exact(high) if value is not None else high > 0, y


@FAST
@given(MAGNITUDES)
def test_log_ends_bound_log(x: float) -> None:
    """:func:`symcert.checker.f64.log`: subnormals to the largest float."""
    assume(x > 0)
    v = f64.log(f64.Interval.point(np.array([x])))
    with flint.ctx.workprec(400):
        value = _exact(x).log()
    assert _between(value, float(v.lo[0]), float(v.hi[0])), x


def test_f64_refuses_what_is_not_finite() -> None:
    with pytest.raises(ArithmeticError):
        f64.exp_end(np.array([np.inf]), lower=True)
    with pytest.raises(ArithmeticError):
        f64.expm1_bounds(np.array([np.nan]))
    for bad in (np.inf, np.nan):
        with pytest.raises(ArithmeticError):
            f64.log(f64.Interval(np.array([1.0]), np.array([bad])))
        with pytest.raises(ArithmeticError):
            f64.tanh(f64.Interval(np.array([bad]), np.array([bad])))
    for reach in (0.0, -0.0, -1.0):
        with pytest.raises(ArithmeticError):
            f64.log(f64.Interval(np.array([reach]), np.array([1.0])))


@FAST
@given(FLOATS, FLOATS)
def test_f64_interval_tanh_holds_the_image(a: float, b: float) -> None:
    lo, hi = min(a, b), max(a, b)
    t = f64.tanh(f64.Interval(np.array([lo]), np.array([hi])))
    assert _between(_tanh(_exact(lo)), float(t.lo[0]), float(t.hi[0]))
    assert _between(_tanh(_exact(hi)), float(t.lo[0]), float(t.hi[0]))


# -- the balls' own operations ---------------------------------------------------------------------


def _ball(m: float, r: float) -> Ball:
    return Ball(np.array([m]), np.array([r]))


@FAST
@given(FLOATS, RADII)
def test_the_range_guard_widens_or_refuses(m: float, r: float) -> None:
    """:func:`~symcert.checker.graph.balls.tame`: the guarded ball holds the whole input ball."""
    try:
        b = tame(np.array([m]), np.array([r]))
    except Undecided:
        assert abs(m) > balls.HUGE or r > balls.HUGE
        return
    lo, hi = _ends(m, r)
    with flint.ctx.workprec(2200):
        m2, r2 = _exact(float(b.m[0])), _exact(float(b.r[0]))
        assert m2 - r2 <= lo and hi <= m2 + r2


def _tamed(m: float, r: float) -> Ball:
    return tame(np.array([m]), np.array([r]))


def _corners(a: Ball, b: Ball) -> list[arb]:
    with flint.ctx.workprec(4400):  # products of exact ends, exactly
        return [
            x * y for x in _ends(float(a.m[0]), float(a.r[0])) for y in _ends(float(b.m[0]), float(b.r[0]))
        ]


def _holds_ball(value: arb | tuple, b: Ball) -> bool:
    return _holds(value, float(b.m[0]), float(b.r[0]))


@FAST
@given(TAME, TAME_RADII, TAME, TAME_RADII)
def test_ball_add_mul_square_and_interval_products_hold_every_corner(
    am: float, ar: float, bm: float, br: float
) -> None:
    """``add``, ``mul``, ``square`` and fast_segment's ``wide_mul`` on guarded balls: the image of a
    sum, a product (its extremes are corner products) and a square (0 where the ball holds 0)."""
    a, b = _tamed(am, ar), _tamed(bm, br)
    try:
        s, d = balls.add(a, b), balls.add(a, b, -1)
        p, w = balls.mul(a, b), wide_mul(a, b)
        q = balls.square(a)
    except Undecided:
        return  # a result beyond the guard
    (alo, ahi), (blo, bhi) = _ends(float(a.m[0]), float(a.r[0])), _ends(float(b.m[0]), float(b.r[0]))
    with flint.ctx.workprec(4400):
        assert _holds_ball(alo + blo, s) and _holds_ball(ahi + bhi, s)
        assert _holds_ball(alo - bhi, d) and _holds_ball(ahi - blo, d)
        squares = [alo * alo, ahi * ahi] + ([arb(0)] if alo <= 0 <= ahi else [])
    for corner in _corners(a, b):
        assert _holds_ball(corner, p) and _holds_ball(corner, w)
    assert all(_holds_ball(v, q) for v in squares)


@FAST
@given(TAME, TAME_RADII, TAME, TAME_RADII)
def test_relu_maximum_midpoint_and_ends_hold_the_image(am: float, ar: float, bm: float, br: float) -> None:
    a, b = _tamed(am, ar), _tamed(bm, br)
    (alo, ahi), (blo, bhi) = _ends(float(a.m[0]), float(a.r[0])), _ends(float(b.m[0]), float(b.r[0]))
    zero = arb(0)
    with contextlib.suppress(Undecided):  # a result beyond the guard
        y = balls.relu(a)
        assert _holds_ball(alo if alo > 0 else zero, y) and _holds_ball(ahi if ahi > 0 else zero, y)
    with contextlib.suppress(Undecided):
        top = balls.maximum(a, b)
        assert _holds_ball(alo if alo >= blo else blo, top) and _holds_ball(ahi if ahi >= bhi else bhi, top)
    if a.r[0] == 0 and b.r[0] == 0:  # exact balls: the TwoSum path
        try:
            half = balls.midpoint(a, b)
        except Undecided:
            return
        with flint.ctx.workprec(2200):
            assert _holds_ball((_exact(float(a.m[0])) + _exact(float(b.m[0]))) / 2, half)


@FAST
@given(st.lists(st.tuples(TAME, TAME_RADII), min_size=1, max_size=12), st.integers(0, 3))
def test_exact_sum_and_total_hold_the_sum_of_the_balls(entries: list, cancel: int) -> None:
    """:func:`~symcert.checker.graph.balls.exact_sum` and ``total``: ``[sum m - sum r, sum m + sum r]``
    inside the result; ``cancel`` appends negated copies of the first entries (cancellation)."""
    entries = entries + [(-m, r) for m, r in entries[:cancel]]
    x = tame(np.array([m for m, _ in entries]), np.array([r for _, r in entries]))
    with flint.ctx.workprec(4400):
        mid = sum((_exact(v) for v in x.m.tolist()), arb(0))
        rad = sum((_exact(v) for v in x.r.tolist()), arb(0))
        lo, hi = mid - rad, mid + rad
    for fn in (exact_sum, lambda b: balls.total(b, (0,), keepdims=False)):
        try:
            s = fn(x)
        except Undecided:
            continue
        assert _holds_ball(lo, s.reshape(1)) and _holds_ball(hi, s.reshape(1)), entries


def test_exact_sum_refuses_what_is_not_finite() -> None:
    """Midpoints beyond the guard are refused as :class:`Undecided` (the caller's cue for Arb), never
    returned as a finite ball and never an unexpected exception."""
    for values in ([BIG, BIG], [np.inf], [np.nan, 1.0], [np.inf, -np.inf], [BIG, -np.inf]):
        with pytest.raises(Undecided):
            exact_sum(Ball(np.array(values), np.zeros(len(values))))
    with pytest.raises(Undecided):
        exact_sum(Ball(np.array([1.0, 2.0]), np.array([BIG, BIG])))
    with pytest.raises(Undecided):
        exact_sum(Ball(np.array([1.0]), np.array([np.nan])))


RATIONALS = st.one_of(
    st.fractions(max_denominator=10**6),
    st.builds(Fraction, st.integers(-(2**80), 2**80), st.integers(1, 2**80)),
    st.builds(
        lambda n, k: Fraction(n, 2**k) if k >= 0 else Fraction(n * 2 ** (-k)),
        st.integers(-(2**60), 2**60),
        st.integers(-1100, 1200),
    ),
    st.builds(lambda n, k: Fraction(n, 3 * 2**k), st.integers(-(2**60), 2**60), st.integers(0, 1200)),
)


@FAST
@given(RATIONALS)
def test_rationals_become_balls_holding_them_or_are_refused(q: Fraction) -> None:
    """:func:`~symcert.checker.graph.balls.from_fractions` (and :func:`symcert.checker.f64.from_fractions`):
    the exact rational inside (checked in ``Fraction``), or refused beyond the range."""
    try:
        b = balls.from_fractions([q])
    except Undecided:
        assert abs(q) > balls.HUGE / 2
    else:
        lo, hi = balls.to_fractions(float(b.m[0]), float(b.r[0]))
        assert lo <= q <= hi
    try:
        v = f64.from_fractions([q], (1,))
    except (ArithmeticError, OverflowError):
        assert abs(q) > 1e300
    else:
        assert Fraction(float(v.lo[0])) <= q <= Fraction(float(v.hi[0]))


# -- smooth functions of balls ---------------------------------------------------------------------


SMOOTH = _signed(
    st.one_of(
        st.floats(0, 60),
        st.floats(2.0**-480, 1e-100),
        st.floats(0, 2.0**40),
        st.sampled_from([0.0, 2.0**-480, 19.1, 20.0, 40.0, 64.0, 700.0, 1e30]),
    )
)
SMOOTH_RADII = st.one_of(st.just(0.0), st.floats(2.0**-480, 1e-10), st.floats(2.0**-480, 10.0))


@FAST
@given(SMOOTH, SMOOTH_RADII)
def test_sigmoid_and_softplus_balls_hold_the_image(m: float, r: float) -> None:
    """:mod:`symcert.checker.graph.smooth`: both increasing, so the values at the ends."""
    x = _tamed(m, r)
    lo, hi = _ends(float(x.m[0]), float(x.r[0]))
    for fn, exact in (
        (sigmoid, lambda v: _clamp(1 / (1 + (-v).exp()), 0, 1)),
        (softplus, lambda v: (1 + v.exp()).log() if v < 0 else v + (-v).exp().log1p()),
    ):
        try:
            y = fn(x)
        except Undecided:
            continue
        with flint.ctx.workprec(400):
            ends = exact(lo), exact(hi)
        assert all(_holds_ball(e, y) for e in ends), (fn.__name__, m, r)


def _lse(row: list[arb]) -> arb:
    top = max(row, key=lambda v: float(v.mid()))
    with flint.ctx.workprec(2200):
        shifts = [v - top for v in row]  # exact
    with flint.ctx.workprec(400):
        return top + sum((v.exp() for v in shifts), arb(0)).log()


def _softmax(row: list[arb], k: int) -> Ref:
    """``p_k = 1 / sum_j e^{z_j - z_k}`` (the differences exact), within ``[0, 1]``."""
    with flint.ctx.workprec(2200):
        shifts = [v - row[k] for v in row]
    with flint.ctx.workprec(400):
        return _clamp(1 / sum((v.exp() for v in shifts), arb(0)), 0, 1)


@FAST
@given(st.lists(st.tuples(SMOOTH, SMOOTH_RADII), min_size=1, max_size=5))
def test_softmax_and_lse_rows_hold_the_extremes_over_the_box(row: list) -> None:
    """``lse_rows`` (increasing in each entry: at the box's lowest and highest corners), ``softmax_rows``
    and ``wide_softmax_rows`` (``p_k`` extreme at the corners ``(lo_k, hi_others)`` and
    ``(hi_k, lo_others)``, which lie in the box)."""
    z = tame(np.array([[m for m, _ in row]]), np.array([[r for _, r in row]]))
    ends = [_ends(float(m), float(r)) for m, r in zip(z.m[0].tolist(), z.r[0].tolist())]
    lows, highs = [a for a, _ in ends], [b for _, b in ends]
    try:
        s = lse_rows(z)
    except Undecided:
        pass
    else:
        assert _holds_ball(_lse(lows), s) and _holds_ball(_lse(highs), s)
    found = []
    for fn in (softmax_rows, wide_softmax_rows):
        try:
            found.append(fn(z))
        except (Undecided, ArithmeticError):
            continue
    for k in range(len(row)):
        corner_low = [lows[k] if j == k else highs[j] for j in range(len(row))]
        corner_high = [highs[k] if j == k else lows[j] for j in range(len(row))]
        p_low, p_high = _softmax(corner_low, k), _softmax(corner_high, k)
        for p in found:
            m, r = float(p.m[0, k]), float(p.r[0, k])
            assert _holds(p_low, m, r) and _holds(p_high, m, r), (row, k)


# -- convolution by patches (the float64 jets' one-product convolution) ----------------------------


def _conv_case(draw: st.DrawFn, dilated: bool) -> tuple:
    """A random small convolution record (1-3 spatial axes, asymmetric padding, strides 1-2, kernels
    1-3) and exact rational inputs and weights with mixed magnitudes (inexact thirds and sevenths)."""
    from symcert.checker.graph.spec import read_graph

    dims = draw(st.integers(1, 3))
    kernel = [draw(st.integers(1, 3)) for _ in range(dims)]
    stride = [draw(st.integers(1, 2)) for _ in range(dims)]
    dilation = [draw(st.integers(1, 2)) if dilated else 1 for _ in range(dims)]
    padding = [[draw(st.integers(0, 2)), draw(st.integers(0, 2))] for _ in range(dims)]
    span = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    sizes = [max(1, s - b - e + draw(st.integers(0, 3))) for s, (b, e) in zip(span, padding)]
    sizes = [max(n, s - b - e) for n, s, (b, e) in zip(sizes, span, padding)]
    channels, features, batch = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
    layer = {"type": "Conv", "channels": features, "kernel": kernel, "stride": stride}
    layer |= {"padding": padding, "dilation": dilation, "bias": False}
    graph = read_graph(
        {
            "format": "symcert-graph",
            "version": 1,
            "input_shape": [channels, *sizes],
            "nodes": [{"name": "c", "inputs": ["x"], "layer": layer}],
        }
    )
    node = graph.nodes[0]
    scales = draw(st.sampled_from([(0, 0), (-40, 30), (60, -60), (-300, 200)]))
    dens = draw(st.sampled_from([(1, 1), (3, 1), (3, 7), (1, 7), (2**60, 3)]))

    def tensor(shape: tuple[int, ...], den: int, scale: int) -> np.ndarray:
        count = math.prod(shape)
        ints = draw(st.lists(st.integers(-(2**20), 2**20), min_size=count, max_size=count))
        k = Fraction(2) ** scale
        return np.array([Fraction(v, den) * k for v in ints], dtype=object).reshape(shape)

    x = tensor((batch, channels, *sizes), dens[0], scales[0])
    w = tensor(graph.parameters["c.weight"], dens[1], scales[1])
    return node.fields, graph.shapes["c"], x, w


@st.composite
def _undilated(draw: st.DrawFn) -> tuple:
    return _conv_case(draw, False)


@st.composite
def _dilated(draw: st.DrawFn) -> tuple:
    return _conv_case(draw, True)


def _exact_conv(f: dict, x: np.ndarray, w: np.ndarray, out: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The convolution in ``Fraction`` from its definition (zero padding), and ``sum |w| |x|``."""
    import itertools

    batch, channels, *sizes = x.shape
    y = np.empty((batch, *out), dtype=object)
    size = np.empty((batch, *out), dtype=object)
    for n, o, *at in itertools.product(range(batch), range(out[0]), *(range(s) for s in out[1:])):
        value = magnitude = Fraction(0)
        for c, *k in itertools.product(range(channels), *(range(a) for a in f["kernel"])):
            index = [
                p * s + a * d - b
                for p, s, a, d, (b, _) in zip(at, f["stride"], k, f["dilation"], f["padding"])
            ]
            if all(0 <= i < s for i, s in zip(index, sizes)):
                w_at, x_at = (o, c, *k), (n, c, *index)  # tuples built outside the subscripts (3.10)
                term = w[w_at] * x[x_at]
                value += term
                magnitude += abs(term)
        y_at = (n, o, *at)
        y[y_at], size[y_at] = value, magnitude
    return y, size


def _check_conv(y: Ball, exact: np.ndarray, size: np.ndarray, slack: float) -> None:
    assert y.shape == exact.shape
    for m, r, v, s in zip(y.m.ravel().tolist(), y.r.ravel().tolist(), exact.ravel(), size.ravel()):
        lo, hi = balls.to_fractions(m, r)
        assert lo <= v <= hi, (m, r, v)
        assert Fraction(r) <= Fraction(slack) * s + Fraction(2.0**-470)  # not vacuous: a few u wide


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_undilated())
def test_conv_patches_hold_the_exact_convolution_and_agree_with_the_blocked_one(case: tuple) -> None:
    """:func:`symcert.checker.graph.fast_jets._conv_patches` (one product of the patch matrix) against
    the exact ``Fraction`` convolution and the fast rung's own blocked
    :func:`~symcert.checker.graph.fast._conv`: every exact entry inside both balls, each ball a few
    ``u`` of ``sum |w| |x|`` wide."""
    from symcert.checker.graph.fast import _conv
    from symcert.checker.graph.fast_jets import _conv_patches

    f, out, x, w = case
    xb, wb = balls.from_fractions(x.tolist()), balls.from_fractions(w.tolist())
    exact, size = _exact_conv(f, x, w, out)
    f = {**f, "bias": False}
    patches = _conv_patches(f, wb, xb, out)
    assert patches is not None  # fan-in at most 3 * 27 = 81 <= BLOCK, no dilation
    _check_conv(patches, exact, size, 1e-13)
    _check_conv(_conv(f, {"weight": wb}, xb, out), exact, size, 1e-13)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_dilated())
def test_dilated_convolutions_go_to_the_blocked_product_which_holds_them(case: tuple) -> None:
    from symcert.checker.graph.fast import _conv
    from symcert.checker.graph.fast_jets import _conv_patches

    f, out, x, w = case
    xb, wb = balls.from_fractions(x.tolist()), balls.from_fractions(w.tolist())
    f = {**f, "bias": False}
    if any(d != 1 for d in f["dilation"]):
        assert _conv_patches(f, wb, xb, out) is None
    exact, size = _exact_conv(f, x, w, out)
    _check_conv(_conv(f, {"weight": wb}, xb, out), exact, size, 1e-13)


def test_grouped_convolutions_are_refused_when_read() -> None:
    """The checker has no grouped convolution: a ``groups`` field is refused, and so is a weight of the
    grouped shape ``(O, C / groups, *kernel)`` (the checker reads ``(O, C, *kernel)``)."""
    from symcert.checker.graph.spec import read_graph, read_tensor
    from symcert.checker.reading import CertificateFormatError

    layer = {"type": "Conv", "channels": 4, "kernel": [3, 3], "stride": [1, 1]}
    layer |= {"padding": [[1, 1], [1, 1]], "dilation": [1, 1], "bias": False}
    record: dict[str, Any] = {
        "format": "symcert-graph",
        "version": 1,
        "input_shape": [4, 5, 5],
        "nodes": [{"name": "c", "inputs": ["x"], "layer": layer}],
    }
    graph = read_graph(record)
    assert graph.parameters["c.weight"] == (4, 4, 3, 3)
    grouped = [[[["1"] * 3] * 3] * 2] * 4  # (4, 2, 3, 3): groups = 2
    with pytest.raises(CertificateFormatError):
        read_tensor(grouped, graph.parameters["c.weight"], "c.weight")
    record["nodes"][0]["layer"] = {**layer, "groups": 2}
    with pytest.raises(CertificateFormatError, match="groups"):
        read_graph(record)


@st.composite
def _conv_net(
    draw: st.DrawFn, activations: tuple[str, ...] = ("identity", "tanh", "sigmoid", "softplus")
) -> tuple:
    """A random small graph: a convolution (asymmetric padding, strides 1-2), an activation, flatten,
    dense to 2 outputs; exact parameters (thirds: inexact in float64), a direction, data and a loss."""
    from symcert.checker.graph.spec import read_graph

    dims = draw(st.integers(1, 2))
    kernel = [draw(st.integers(1, 3)) for _ in range(dims)]
    padding = [[draw(st.integers(0, 2)), draw(st.integers(0, 1))] for _ in range(dims)]
    sizes = [k + draw(st.integers(0, 2)) for k in kernel]
    channels = draw(st.integers(1, 2))
    conv = {"type": "Conv", "channels": draw(st.integers(1, 3)), "kernel": kernel, "padding": padding}
    conv |= {"stride": [draw(st.integers(1, 2)) for _ in range(dims)], "dilation": [1] * dims, "bias": True}
    activation = draw(st.sampled_from(activations))
    graph = read_graph(
        {
            "format": "symcert-graph",
            "version": 1,
            "input_shape": [channels, *sizes],
            "nodes": [
                {"name": "c", "inputs": ["x"], "layer": conv},
                {"name": "a", "inputs": ["c"], "layer": {"type": "Activation", "name": activation}},
                {"name": "f", "inputs": ["a"], "layer": {"type": "Flatten"}},
                {"name": "d", "inputs": ["f"], "layer": {"type": "Dense", "features": 2, "bias": True}},
            ],
        }
    )

    def tensor(shape: tuple[int, ...], den: int) -> list:
        count = math.prod(shape)
        ints = draw(st.lists(st.integers(-9, 9), min_size=count, max_size=count))
        return np.array([Fraction(v, den) for v in ints], dtype=object).reshape(shape).tolist()

    point = {name: tensor(shape, 3) for name, shape in graph.parameters.items()}
    direction = {name: tensor(shape, 7) for name, shape in graph.parameters.items()}
    n = draw(st.integers(1, 3))
    xs = tensor((n, channels, *sizes), 5)
    kind = draw(st.sampled_from(["mse", "sse", "cross_entropy", "bce"]))
    if kind == "cross_entropy":
        ys = [
            [Fraction(int(k == j)) for j in range(2)]
            for k in draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
        ]
    elif kind == "bce":
        ys = [[Fraction(draw(st.integers(0, 4)), 4) for _ in range(2)] for _ in range(n)]
    else:
        ys = tensor((n, 2), 2)
    return graph, point, direction, xs, ys, kind


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_conv_net())
def test_float64_jets_of_random_conv_nets_hold_the_arb_jets(case: tuple) -> None:
    """:func:`~symcert.checker.graph.fast_jets.fast_loss_jet` (both value passes) end to end on random
    convolution graphs: each of ``(L, L', L'')`` overlaps Arb's 200-bit ball (both enclose the value;
    Arb's ball is ``2^-190`` wide, so this is containment up to that)."""
    from symcert.checker.graph.fast_jets import fast_loss_jet
    from symcert.checker.graph.jets import graph_loss_jet

    graph, point, direction, xs, ys, kind = case
    with flint.ctx.workprec(200):
        reference = graph_loss_jet(graph, point, direction, xs, ys, kind, Fraction(1))
    for compensated in (True, False):
        try:
            jet = fast_loss_jet(graph, point, direction, xs, ys, kind, Fraction(1), compensated)
        except Undecided:
            continue
        for (low, high), ball in zip(jet, reference):
            lo, hi = _ref(ball)
            with flint.ctx.workprec(4400):
                assert arb(fmpq(low.numerator, low.denominator)) <= hi, (low, high, ball)
                assert lo <= arb(fmpq(high.numerator, high.denominator)), (low, high, ball)
            assert high - low < Fraction(1, 10**6) * (1 + abs(low))  # not vacuous


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_conv_net(("identity", "tanh", "relu")), st.integers(0, 15), st.integers(1, 16))
def test_float64_pieces_of_random_conv_nets_hold_phi_and_its_slope(
    case: tuple, start: int, width: int
) -> None:
    """:class:`~symcert.checker.graph.fast_segment.FastSegment` (the box arithmetic: ``wide_mul``,
    ``wide_tanh``, the step's spread) on a piece ``[t0, t1]`` of the segment from the point to the
    point plus the direction: its bounds of ``phi`` and ``phi'`` overlap Arb's 200-bit values at the
    piece's ends and middle (Arb's jets along the segment, where no ReLU is at a kink)."""
    from symcert.checker.graph.fast_segment import FastSegment
    from symcert.checker.graph.jets import graph_loss_jet

    graph, A, D, xs, ys, kind = case
    B = {k: (np.array(A[k], dtype=object) + np.array(D[k], dtype=object)).tolist() for k in A}
    t0, t1 = Fraction(start, 16), Fraction(start + width, 16) if start + width <= 16 else Fraction(1)
    assume(t0 < t1)
    try:
        (p_lo, p_hi), slope = FastSegment(graph, A, B, xs, ys, kind, Fraction(1)).piece(t0, t1)
    except Undecided:
        return
    assert slope is not None
    for t in (t0, (t0 + t1) / 2, t1):
        at = {k: (np.array(A[k], dtype=object) + t * np.array(D[k], dtype=object)).tolist() for k in A}
        try:
            with flint.ctx.workprec(200):
                value, first, _ = graph_loss_jet(graph, at, D, xs, ys, kind, Fraction(1))
        except ArithmeticError:  # a ReLU at a kink: no derivative there
            continue
        for (low, high), ball in (((p_lo, p_hi), value), (slope, first)):
            lo, hi = _ref(ball)
            with flint.ctx.workprec(4400):
                assert arb(fmpq(low.numerator, low.denominator)) <= hi, (t, low, high, ball)
                assert lo <= arb(fmpq(high.numerator, high.denominator)), (t, low, high, ball)


# -- the packed chords' float64 engine: exact first layers, products, tanh layers -----------------


DATA_DENOMINATORS = st.sampled_from(
    [1, 3, 255, 2**52 + 1, 2**53 - 1, 2**53 + 1, 3**34, 10**20 + 7, 2**64 + 1]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(1, 4),
    st.integers(1, 6),
    st.integers(1, 3),
    st.sampled_from([8, 20, 40, 52]),
    DATA_DENOMINATORS,
    st.integers(0, 60),
    st.integers(0, 2**32),
)
def test_f64_engine_layers_hold_the_exact_affine_map_and_arb_tanh(
    points: int, inputs: int, outputs: int, xbits: int, den: int, kbits: int, seed: int
) -> None:
    """:func:`symcert.checker.f64_engine.outputs` on integer data over any denominator (float conversion
    of ``den`` inexact above ``2^53``), weights ``ints / 2^k`` (exact floats), the first layer by exact
    limbs (:func:`~symcert.checker.f64_engine._first`) or, for wide data, the bounded product: the
    exact ``X W^T / den + b`` (``Fraction``) inside every ball; then a tanh layer and a second affine
    layer against Arb at 200 bits."""
    from types import SimpleNamespace

    from symcert.checker import f64_engine

    rng = np.random.default_rng(seed)  # full mantissas: every rounding happens

    def ints(shape: tuple[int, ...], bits: int) -> np.ndarray:
        return rng.integers(-(2**bits), 2**bits, shape, endpoint=True)

    X = np.abs(ints((points, inputs), xbits)).astype(np.float64)  # data are nonnegative integers here
    layers, exact = [], []
    for shape in ((outputs, inputs), (2, outputs)):
        w_ints, b_ints = ints(shape, 50), ints(shape[:1], 50)
        W = [[Fraction(int(v), 2**kbits) for v in row] for row in w_ints.tolist()]
        b = [Fraction(int(v), 2**kbits) for v in b_ints.tolist()]
        weights, bias = f64_engine.exact_floats(W), f64_engine.exact_floats(b)
        assert weights is not None and bias is not None  # ints / 2^k below 2^53: exact floats
        layers.append((weights[0], bias[0], weights[1], weights[2]))
        exact.append((W, b))
    net = SimpleNamespace(activation="tanh")
    try:
        with np.errstate(all="ignore"):
            m1, r1 = f64_engine.outputs(net, layers[:1], X, den)
            m2, r2 = f64_engine.outputs(net, layers, X, den)
    except ArithmeticError:
        return  # declined (overflow): Arb decides
    (W1, b1), (W2, b2) = exact
    rows = [[Fraction(int(v), den) for v in row] for row in X.tolist()]
    hidden = [[sum((w * x for w, x in zip(wr, row)), c) for wr, c in zip(W1, b1)] for row in rows]
    for i, pre in enumerate(hidden):
        for j, exact_value in enumerate(pre):
            low, high = balls.to_fractions(float(m1[i, j]), float(r1[i, j]))
            assert low <= exact_value <= high, (i, j, den)
    with flint.ctx.workprec(200):
        for i, pre in enumerate(hidden):
            t = [arb(fmpq(v.numerator, v.denominator)).tanh() for v in pre]
            for j, (wr, c) in enumerate(zip(W2, b2)):
                out = sum(
                    (arb(fmpq(w.numerator, w.denominator)) * v for w, v in zip(wr, t)),
                    arb(fmpq(c.numerator, c.denominator)),
                )
                assert _holds(out, float(m2[i, j]), float(r2[i, j])), (i, j, den)
