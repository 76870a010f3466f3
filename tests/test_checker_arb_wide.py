"""The checker's Arb functions of wide balls (sigmoid slope and bend, binary cross-entropy): each
encloses the true values at points of its ball (checked with mpmath at 40 digits), and is at least as
tight as the direct formula it replaces."""

from __future__ import annotations

import contextlib

import flint
import mpmath
from flint import arb
from hypothesis import example, given, settings
from hypothesis import strategies as st

from symcert.checker import arb_wide

_MID = st.floats(-60, 60, allow_nan=False)
_RAD = st.floats(0, 40, allow_nan=False)
_WHERE = st.lists(st.floats(-1, 1, allow_nan=False), min_size=1, max_size=5)


def _points(mid: float, rad: float, where: list[float]) -> list[mpmath.mpf]:
    return [mpmath.mpf(mid) + mpmath.mpf(rad) * mpmath.mpf(s) for s in [-1.0, 1.0, *where]]


def _holds(ball: arb, value: mpmath.mpf) -> bool:
    low, high = (mpmath.mpf(x.mid().str(40, radius=False)) for x in (ball.lower(), ball.upper()))
    return low - mpmath.mpf(10) ** -30 <= value <= high + mpmath.mpf(10) ** -30


@contextlib.contextmanager
def _precise():
    saved = flint.ctx.prec
    flint.ctx.prec = 128  # the checker works at dps + 20 digits or more; unions round at this precision
    try:
        with mpmath.workdps(40):
            yield
    finally:
        flint.ctx.prec = saved


def _rounding(ball: arb) -> arb:
    """Room for Arb's radius rounding (30-bit mantissa) when a ball is rebuilt from its ends."""
    return (abs(ball.mid()) + ball.rad()) * arb(2) ** -26 + arb(2) ** -100


def _sigmoid(x: mpmath.mpf) -> mpmath.mpf:
    return 1 / (1 + mpmath.exp(-x))


@settings(max_examples=60, deadline=None)
@given(mid=_MID, rad=_RAD, where=_WHERE)
@example(mid=0.0, rad=10.0, where=[0.0])  # the peak of s' inside
@example(mid=-1.3169578969248166, rad=1e-3, where=[0.0])  # the peak of s''/2 at -log(2 + sqrt 3)
def test_sigmoid_slope_and_bend_enclose_and_are_tight(mid, rad, where):
    with _precise():
        u = arb(mid, rad)
        slope, bend = arb_wide.sigmoid_slope(u), arb_wide.sigmoid_bend(u)
        for x in _points(mid, rad, where):
            s = _sigmoid(x)
            assert _holds(slope, s * (1 - s)), (x, slope)
            assert _holds(bend, s * (1 - s) * (1 - 2 * s) / 2), (x, bend)
        f = arb_wide.sigmoid(u)
        direct = f * (1 - f)  # the formula the checker used before
        assert slope.upper() <= direct.upper() + _rounding(direct)
        # an Arb radius has a 30-bit mantissa: a wide ball rounds its ends outward by about 2^-30 of it
        assert slope.upper() <= 0.25 * (1 + 2**-20) and bend.upper() <= 0.0482 and bend.lower() >= -0.0482


@settings(max_examples=60, deadline=None)
@given(
    mid=_MID, rad=_RAD, y=st.sampled_from([0.0, 1.0, 0.25]), y_rad=st.sampled_from([0.0, 0.1]), where=_WHERE
)
@example(mid=0.0, rad=20.0, y=1.0, y_rad=0.0, where=[0.5])
def test_bce_encloses_and_is_at_least_as_tight_above(mid, rad, y, y_rad, where):
    with _precise():
        z, target = arb(mid, rad), arb(y, y_rad)
        ball = arb_wide.bce(z, target)
        for x in _points(mid, rad, where):
            for t in (y - y_rad, y, y + y_rad):
                value = mpmath.log1p(mpmath.exp(x)) - mpmath.mpf(t) * x
                assert _holds(ball, value), (x, t, ball)
        direct = (arb_wide.exp(z)).log1p() - target * z
        assert ball.is_finite()
        if direct.is_finite():  # the direct formula may even give NaN (log1p of a ball reaching below -1)
            assert ball.upper() <= direct.upper() + _rounding(direct)


@settings(max_examples=60, deadline=None)
@given(a=_MID, ra=_RAD, b=_MID, rb=_RAD, where=_WHERE)
@example(a=2.0, ra=1.0, b=2.0, rb=1.0, where=[0.0])  # [1, 3] [1, 3]: the ball product reaches -1
def test_interval_products_enclose_and_are_tight(a, ra, b, rb, where):
    with _precise():
        u, v = arb(a, ra), arb(b, rb)
        product, sq, cb = arb_wide.mul(u, v), arb_wide.square(u), arb_wide.cube(u)
        for x in _points(a, ra, where):
            assert _holds(sq, x * x) and _holds(cb, x**3)
            for y in _points(b, rb, where):
                assert _holds(product, x * y)
        assert product.upper() <= (u * v).upper() + _rounding(u * v)
        assert product.lower() >= (u * v).lower() - _rounding(u * v)
        assert sq.lower() >= -_rounding(sq) and sq.upper() <= (abs(u) * abs(u)).upper() + _rounding(sq)


@settings(max_examples=40, deadline=None)
@given(mids=st.lists(_MID, min_size=2, max_size=3), rads=st.lists(_RAD, min_size=3, max_size=3), s=_WHERE)
def test_probabilities_enclose_softmax(mids, rads, s):
    with _precise():
        balls = [arb(m, r) for m, r in zip(mids, rads)]
        p = arb_wide.probabilities(balls)
        for shift in s:
            x = [mpmath.mpf(m) + mpmath.mpf(r) * mpmath.mpf(shift) for m, r in zip(mids, rads)]
            total = sum(mpmath.exp(v) for v in x)
            for pk, v in zip(p, x):
                assert _holds(pk, mpmath.exp(v) / total)
