"""The checker's verified float64 rung: its enclosures against mpmath and exact rationals, its barrier
jets against the checker's Arb jets, and barrier certificates checked by it (tampered ones rejected)."""

from __future__ import annotations

import copy
import random
from fractions import Fraction
from types import SimpleNamespace

import flint
import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symcert import MLP, Dataset, Loss, certify_barrier, check
from symcert.checker import arb_engine as E
from symcert.checker import barrier, barrier_f64, f64
from symcert.checker.statement import Statement


def _inside(lo, hi, exact) -> bool:
    return mpmath.mpf(float(lo)) <= exact <= mpmath.mpf(float(hi))


_FLOATS = st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=True)


@settings(max_examples=30, deadline=None)
@given(
    x=st.lists(st.floats(0, 64) | st.floats(0, 1e-3), min_size=1, max_size=8),
    y=st.lists(st.floats(-200, 64), min_size=1, max_size=8),
    z=st.lists(st.floats(-40, 40) | st.floats(-1e-8, 1e-8), min_size=1, max_size=8),
    w=st.lists(st.floats(1e-300, 1e300) | st.floats(0.5, 2.0), min_size=1, max_size=8),
)
def test_elementary_functions_enclose_mpmath(x, y, z, w):
    """expm1, exp, tanh and log from IEEE basic operations only, against mpmath at 60 digits."""
    with mpmath.workdps(60):
        lo, hi = f64.expm1_bounds(np.array(x))
        assert all(_inside(a, b, mpmath.expm1(mpmath.mpf(v))) for v, a, b in zip(x, lo, hi))
        e = f64.exp(f64.Interval.point(np.array(y)))
        assert all(_inside(a, b, mpmath.exp(mpmath.mpf(v))) for v, a, b in zip(y, e.lo, e.hi))
        t = f64.tanh(f64.Interval.point(np.array(z)))
        assert all(_inside(a, b, mpmath.tanh(mpmath.mpf(v))) for v, a, b in zip(z, t.lo, t.hi))
        g = f64.log(f64.Interval.point(np.array(w)))
        assert all(_inside(a, b, mpmath.log(mpmath.mpf(v))) for v, a, b in zip(w, g.lo, g.hi))
        # tight: a few ulps at a point (the doubling in expm1 costs at most 2^8 of them)
        assert np.all(t.hi - t.lo <= 1e-12 * np.maximum(np.abs(t.lo), 1e-300) + 1e-15)


def _random_interval(rng: np.random.Generator, shape: tuple[int, int], wide: bool) -> f64.Interval:
    mid = rng.normal(0, 3, shape) * 10.0 ** rng.integers(-8, 3, shape)
    rad = np.abs(rng.normal(0, 1, shape)) * (1.0 if wide else 1e-9) * (rng.random(shape) < 0.7)
    return f64.Interval(mid - rad, mid + rad)


@pytest.mark.parametrize("seed", range(6))
def test_products_and_sums_enclose_the_exact_ones(seed):
    """matmul and total against exact rational products of points drawn from the intervals' ends."""
    rng = np.random.default_rng(seed)
    a = _random_interval(rng, (3, 40), wide=bool(seed % 2))
    b = _random_interval(rng, (40, 4), wide=seed > 2)
    c = f64.matmul(a, b)
    s = f64.total(a, axis=1)
    for _ in range(4):
        pa = np.where(rng.random(a.shape) < 0.5, a.lo, a.hi)
        pb = np.where(rng.random(b.shape) < 0.5, b.lo, b.hi)
        for i in range(3):
            row = [Fraction(float(v)) for v in pa[i]]
            assert Fraction(float(s.lo[i])) <= sum(row) <= Fraction(float(s.hi[i]))
            for j in range(4):
                exact = sum(x * Fraction(float(y)) for x, y in zip(row, pb[:, j]))
                assert Fraction(float(c.lo[i, j])) <= exact <= Fraction(float(c.hi[i, j]))
    point = f64.matmul(f64.Interval.point(a.lo), f64.Interval.point(b.lo))
    assert np.all(point.hi - point.lo <= 1e-12 * (np.abs(a.lo) @ np.abs(b.lo)) + 1e-300)


def test_rationals_convert_exactly_or_widened():
    x = f64.from_fractions([Fraction(3, 8), Fraction(1, 10), Fraction(-(2**60) - 1, 2**3)], (3,))
    assert x.lo[0] == x.hi[0] == 0.375
    for k, q in ((1, Fraction(1, 10)), (2, Fraction(-(2**60) - 1, 2**3))):
        assert Fraction(float(x.lo[k])) < q < Fraction(float(x.hi[k]))


def _pair(widths, loss_kind, output, seed):
    rng = random.Random(seed)
    net = MLP(widths, "tanh", output_activation=output)
    n = 24
    xs = [[Fraction(rng.randint(-8, 8), 8) for _ in range(widths[0])] for _ in range(n)]
    if output == "softmax":
        labels = [rng.randrange(widths[-1]) for _ in range(n)]
        ys = [[int(k == c) for k in range(widths[-1])] for c in labels]
    else:
        ys = [[Fraction(rng.randint(-4, 4), 4) for _ in range(widths[-1])] for _ in range(n)]
    loss = Loss(net, Dataset(xs, ys), loss_kind)
    return loss, net.random_point(seed, scale=1), net.random_point(seed + 1, scale=1)


@pytest.fixture(scope="module", params=["cross_entropy", "mse"])
def record(request):
    if request.param == "cross_entropy":
        loss, A, B = _pair((3, 5, 3), "cross_entropy", "softmax", 1)
    else:
        loss, A, B = _pair((3, 4, 2, 2), "mse", "identity", 2)
    result = certify_barrier(loss, A, B, tol=Fraction(1, 1000))
    assert result.status == "proved"
    return result.certificate().to_dict()


def _arb_point_jet(s: Statement, t: Fraction) -> tuple:
    """The checker's Arb jet of phi at ``t`` (60 digits)."""
    saved = flint.ctx.prec
    flint.ctx.prec = E.bits_for(60)
    try:
        inputs = flint.arb_mat(E.exact_matrix([list(col) for col in zip(*s.xs)]))
        ys = E.targets(s, inputs)
        point = [
            (
                [[a + t * (b - a) for a, b in zip(ra, rb)] for ra, rb in zip(wa, wb)],
                None if ba is None else [a + t * (b - a) for a, b in zip(ba, bb)],
            )
            for (wa, ba), (wb, bb) in zip(s.A, s.B)
        ]
        step = [
            (
                [[b - a for a, b in zip(ra, rb)] for ra, rb in zip(wa, wb)],
                None if ba is None else [b - a for a, b in zip(ba, bb)],
            )
            for (wa, ba), (wb, bb) in zip(s.A, s.B)
        ]
        jet = E.loss_jet(
            s, E._arb_point(E._exact_point(point)), E._arb_point(E._exact_point(step)), inputs, ys
        )
        return tuple(E.ball_bounds(c, "phi") for c in jet)
    finally:
        flint.ctx.prec = saved


@pytest.mark.parametrize("first", ["float64", "arb"])
def test_the_first_rung_agrees_with_arb(record, first):
    """At the ends of a piece the Arb jet lies inside the float64 one (which is a few ulps wide); inside
    the piece the Arb jets at three points lie inside the float64 box jet. With ``arb``, the first
    layer's products come from Arb (as when float64's are too loose for the claimed L(A), L(B))."""
    s = Statement(record)
    assert barrier_f64.supports(s)
    jets = barrier_f64.PathJets(s)
    if first == "arb":
        jets.keep_first(*barrier._first_products(s))
    t0, t1, _ = s.pieces[len(s.pieces) // 2]
    for t in (t0, t1):
        fast, ball = jets.point(t), _arb_point_jet(s, t)
        for (lo, hi), (a, b) in zip(fast, ball):
            assert lo <= a <= b <= hi
            assert hi - lo < Fraction(1, 10**9) * (1 + abs(lo))
    box = jets.box(t0, t1)
    for k in (1, 2, 3):
        inner = _arb_point_jet(s, t0 + (t1 - t0) * k / 4)
        for (lo, hi), (a, b) in zip(box, inner):
            assert lo <= a <= b <= hi


def test_the_certificate_is_accepted_by_the_float64_rung(record):
    result = check(record)
    assert result.accepted, result.reasons
    pieces = len(record["parameters"]["pieces"])
    assert f"verified float64 on {pieces} pieces" in result.reasons[-1]


def test_where_the_first_rung_does_not_decide_arb_does(record, monkeypatch):
    """A float64 rung made useless (every bound widened by 1) decides nothing: Arb accepts alone."""
    real = barrier_f64.PathJets._jets

    def loose(self, *args):
        return [tuple((lo - 1, hi + 1) for lo, hi in jet) for jet in real(self, *args)]

    monkeypatch.setattr(barrier_f64.PathJets, "_jets", loose)
    result = check(record)
    assert result.accepted, result.reasons
    assert "verified float64 on 0 pieces" in result.reasons[-1]


def _witness_piece(r):
    w = Fraction(r["parameters"]["witness"])
    return next(i for i, p in enumerate(r["parameters"]["pieces"]) if Fraction(p[0]) <= w <= Fraction(p[1]))


def _lower_piece(r):
    r["parameters"]["pieces"][_witness_piece(r)][2] = r["enclosures"]["barrier"][0]


def _raise_lo(r):
    lo, hi = (Fraction(v) for v in r["enclosures"]["barrier"])
    r["enclosures"]["barrier"][0] = str(hi + (hi - lo))
    r["enclosures"]["barrier"][1] = str(hi + 2 * (hi - lo))
    for piece in r["parameters"]["pieces"]:
        piece[2] = str(min(Fraction(piece[2]), hi + 2 * (hi - lo)))


def _shift_la(r):
    hi = Fraction(r["enclosures"]["L(A)"][1])
    r["enclosures"]["L(A)"] = [str(hi + 1), str(hi + 2)]


@pytest.mark.parametrize(
    "change, reason",
    [
        (_lower_piece, "above its claimed upper bound"),  # the piece holding the maximiser, below the max
        (_raise_lo, "at the witness"),  # a lower bound above the barrier
        (_shift_la, "L(A)"),  # an enclosure of L(A) away from it
    ],
    ids=["piece-below-the-maximum", "lo-above-the-barrier", "L(A)-moved"],
)
def test_tampered_bounds_are_rejected(record, change, reason):
    out = copy.deepcopy(record)
    change(out)
    result = check(out)
    assert not result.accepted
    assert any(reason in r for r in result.reasons), result.reasons


def test_statements_outside_the_rung_go_to_arb_alone(record):
    s = Statement(record)
    assert barrier_f64.supports(s)
    relu = SimpleNamespace(activation="relu", output=s.net.output)
    for change in ({"decay": Fraction(1, 100)}, {"net": relu}, {"teacher": object()}):
        assert not barrier_f64.supports(SimpleNamespace(**{**vars(s), **change}))


@pytest.mark.parametrize("seed", range(4))
def test_split_products_of_floats_and_integers_are_exact_up_to_the_tail(seed):
    """The first layer's ``w K`` (float weights of mixed exponents, integer data) against exact rationals:
    enclosed, and far tighter than the plain product's gamma_n bound."""
    rng = np.random.default_rng(seed)
    w = (rng.normal(0, 1, (4, 300)) * 2.0 ** rng.integers(-30, 4, (4, 300))).astype(np.float32).astype(float)
    K = rng.integers(-255 if seed % 2 else 0, 256, (300, 5)).astype(float)
    z = barrier_f64._split_product(w, K)
    plain = f64.matmul(f64.Interval.point(w), f64.Interval.point(K))
    for i in range(4):
        for j in range(5):
            exact = sum(Fraction(float(a)) * int(k) for a, k in zip(w[i], K[:, j]))
            assert Fraction(float(z.lo[i, j])) <= exact <= Fraction(float(z.hi[i, j]))
    assert np.all(z.hi - z.lo <= (plain.hi - plain.lo) / 100 + 1e-300)
