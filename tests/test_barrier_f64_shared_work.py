"""The barrier checker's float64 rung where it shares work across pieces (:mod:`symcert.checker.barrier_f64`).

Each path is compared with exact rationals or Arb at 1,200 bits on small random problems: ``tanh`` of a
narrow interval from one evaluation (:func:`barrier_f64._tanh_narrow`), the first layer's remainder
product bounded by an outer product (:func:`barrier_f64._small_product`), a piece's first-layer ``tanh``
taken from its ends' (``PathJets._first_tanh``) and the jets of several pieces computed side by side
(``PathJets.prefetch``): each must hold the exact values, and the batch must equal the jets one by one.
"""

from __future__ import annotations

import itertools
import random
from fractions import Fraction
from typing import Any

import flint
import numpy as np
import pytest
from flint import arb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symcert.checker import barrier, barrier_f64
from symcert.checker.f64 import Interval
from tests.test_checker_f64_rungs_soundness import SEGMENTS, _inside_pair, _statement

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(autouse=True)
def _quiet_floats():
    with np.errstate(all="ignore"):
        yield


def _tanh_ball(x: Fraction):
    with flint.ctx.workprec(1200):
        return (arb(x.numerator) / x.denominator).tanh()


def _holds(lo: float, hi: float, ball: Any) -> bool:
    """``[lo, hi]`` holds the ball of a value of ``tanh`` (an end at -1 or 1 holds it: ``|tanh| < 1``;
    Arb's ball of ``tanh`` of a huge argument reaches past 1)."""
    with flint.ctx.workprec(1200):
        return (lo == -1.0 or bool(arb(lo) <= ball)) and (hi == 1.0 or bool(ball <= arb(hi)))


CENTRES = st.one_of(
    st.floats(-30.0, 30.0),
    st.sampled_from([0.0, 1e-300, -(2.0**-40), 0.5, -19.99, 20.0, 20.5, 1e10]),
)
WIDTHS = st.sampled_from([0.0, 2.0**-60, 2.0**-40, 1e-15, 2.0**-27, 2.0**-26])


@FAST
@given(st.lists(st.tuples(CENTRES, WIDTHS, st.floats(0.0, 1.0)), min_size=1, max_size=6))
def test_narrow_tanh_holds_tanh_at_every_point_of_the_intervals(entries: list) -> None:
    """``tanh`` of ``[c, c + w]`` from one evaluation at the midpoint holds ``tanh`` at both ends and at
    a point inside (Arb, 1,200 bits); an interval as wide as ``NARROW`` is several thousand ulps of
    ``tanh``, so leaving out the spread term (or bounding ``sech^2`` at the midpoint only) fails here."""
    lo = np.array([c for c, _, _ in entries])
    hi = np.array([c + w for c, w, _ in entries])
    z = Interval(lo, hi)
    assert barrier_f64._narrow(z)
    f = barrier_f64._tanh_narrow(z)
    for i, (c, w, s) in enumerate(entries):
        inside = Fraction(c) + (Fraction(hi[i]) - Fraction(c)) * Fraction(s)
        for x in (Fraction(lo[i]), Fraction(hi[i]), inside):
            assert _holds(float(f.lo[i]), float(f.hi[i]), _tanh_ball(x)), (c, w, s)


def test_narrow_tanh_is_about_as_tight_as_both_ends() -> None:
    """At the path's points (intervals about 1e-15 wide) one evaluation is at most a tenth wider than two
    (both are some hundred ulps wide: the bounds of ``expm1``'s relative error)."""
    rng = np.random.default_rng(5)
    c = rng.normal(0, 3, 2000)
    z = Interval(c, c + np.abs(c) * 1e-15)
    one, two = barrier_f64._tanh_narrow(z), barrier_f64.f64.tanh(z)
    assert np.all(one.hi - one.lo <= 1.1 * (two.hi - two.lo) + 8 * np.spacing(np.abs(two.hi)) + 2.0**-500)


@FAST
@given(
    st.integers(1, 6),
    st.integers(1, 5),
    st.integers(1, 40),
    st.sampled_from([1, 255, 2**19 - 1]),
    st.integers(0, 2**32),
)
def test_the_remainder_product_holds_the_exact_product(
    rows: int, cols: int, n: int, top: int, seed: int
) -> None:
    """:func:`barrier_f64._small_product` (``fl(w K)`` widened by ``gamma_n max|w| sum|K|``) against exact
    rationals, for floats of mixed sizes whose products round; and inside :func:`_split_product`."""
    rng = np.random.default_rng(seed)
    w = rng.normal(0, 1, (rows, n)) * np.ldexp(1.0, rng.integers(-40, 3, (rows, n)))
    K = rng.integers(-top, top + 1, (n, cols)).astype(float)
    for found in (barrier_f64._small_product(w, K), barrier_f64._split_product(w, K)):
        for i in range(rows):
            for k in range(cols):
                exact = sum((Fraction(w[i, j]) * int(K[j, k]) for j in range(n)), Fraction(0))
                assert Fraction(found.lo[i, k]) <= exact <= Fraction(found.hi[i, k]), (i, k)


def _pieces(rng: random.Random) -> list[tuple[Fraction, Fraction]]:
    cuts = sorted({Fraction(rng.randint(1, 63), 64) for _ in range(3)})
    ends = [Fraction(0), *cuts, Fraction(1)]
    return list(itertools.pairwise(ends))


@SLOW
@given(SEGMENTS)
def test_prefetched_jets_equal_the_jets_one_by_one_and_hold_arb_s(case: tuple) -> None:
    """``PathJets.prefetch`` over a partition of ``[0, 1]``: every point's and piece's jet equals the one a
    fresh :class:`PathJets` makes alone (pieces first, so without the ends' ``tanh``), and holds Arb's
    ``phi``, ``phi'`` (and ``phi''/2`` over a piece) at the ends and at points inside each piece; so the
    reuse of the ends' ``tanh`` over a piece is an enclosure. Refusals (``ArithmeticError``) pass."""
    name, a, b, scale, data, seed = case
    s = _statement(name, a, b, scale, data, seed)
    rng = random.Random(seed)
    pieces = _pieces(rng)
    points = [t for piece in pieces for t in piece]
    try:
        batch, alone = barrier_f64.PathJets(s), barrier_f64.PathJets(s)
    except ArithmeticError:
        return
    batch.prefetch(points, pieces)
    complete = all(t in batch._points for t in points) and all(p in batch._boxes for p in pieces)
    ref = barrier._ArbJets(s)
    with flint.ctx.workprec(1200):
        for t0, t1 in pieces:
            try:
                box = batch.box(t0, t1)
                direct = alone.box(t0, t1)  # no ends computed: tanh over the piece evaluated
                ends = batch.point(t0), batch.point(t1)
            except ArithmeticError:
                continue
            for t, jet in zip((t0, t1), ends):
                exact = ref.point(t)
                assert all(_inside_pair(jet[k], exact[k]) for k in range(2)), (t, name)
            for t in (t0, t1, t0 + (t1 - t0) * Fraction(rng.randint(1, 63), 64)):
                exact = ref.point(t)
                for k in range(3):
                    assert _inside_pair(box[k], exact[k]), (k, t, (t0, t1), name, a, b, scale, data)
                    assert _inside_pair(direct[k], exact[k]), (k, t, (t0, t1), name)
    if not complete:  # a batch refused: its jets were made one by one above
        return
    # the batch equals the jets one by one when computed in the same order (points, then pieces)
    for t in points:
        assert alone.point(t) == batch.point(t)
    fresh = barrier_f64.PathJets(s)
    for t0, t1 in pieces:
        fresh.point(t0), fresh.point(t1)
        assert fresh.box(t0, t1) == batch.box(t0, t1)
