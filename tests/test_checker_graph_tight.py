"""The checker's tighter float64 rung on layer graphs (issue 22: checker <= 1.5x prover): ``exp`` by
range reduction (:func:`symcert.checker.graph.tanh.exp_ball`), the losses' final sums by
:func:`symcert.checker.graph.balls.exact_sum`, and what they let the orbit checker decide in float64.

Each bound is checked against exact or 50-digit values (containment) and for its width (tightness: the
old bounds fail the width assertions); on certificates: the genuine one is accepted on the float64 rung,
a claim moved off the value is rejected, and a claim narrower than the float64 balls (but true) falls
back to Arb, which accepts it."""

from __future__ import annotations

import itertools
import json
from fractions import Fraction

import mpmath
import numpy as np
import pytest

from symcert.checker import check
from symcert.checker.graph.balls import Ball, Undecided, exact_sum, from_fractions, to_fractions, total
from symcert.checker.graph.smooth import cross_entropy_sum
from symcert.checker.graph.tanh import exp_ball

U = 2.0**-53


def _inside(exact: mpmath.mpf, m: float, r: float) -> bool:
    mid, rad = mpmath.mpf(float(m)), mpmath.mpf(float(r))
    return bool(mid - rad <= exact <= mid + rad)


def test_exp_ball_contains_exp_and_is_tight() -> None:
    ys = np.concatenate([np.linspace(-64, 64, 801), -np.logspace(-20, 1.7, 60), [0.0, -9.0, 64.0]])
    e = exp_ball(ys)
    with mpmath.workdps(50):
        for y, m, r in zip(ys, e.m, e.r):
            assert _inside(mpmath.exp(mpmath.mpf(float(y))), m, r)
    assert np.all(e.r <= 8 * U * e.m)  # f64.exp_end is 2,400 u wide at -9


def test_exp_ball_below_the_floor_and_beyond_the_range() -> None:
    e = exp_ball(np.array([-100.0, -1e300]))
    assert np.all(e.m - e.r <= 0) and np.all(e.m + e.r >= np.exp(-64.0))
    assert np.all(e.m + e.r < 1e-27)
    with pytest.raises(Undecided):
        exp_ball(np.array([65.0]))
    with pytest.raises(Undecided):
        exp_ball(np.array([np.nan]))


def test_exact_sum_contains_the_sum_and_is_u_relative() -> None:
    rng = np.random.default_rng(0)
    values = [[Fraction(int(k), 977) for k in row] for row in rng.integers(1, 5000, (100, 10))]
    x = from_fractions(values)
    exact = sum((v for row in values for v in row), Fraction(0))
    lo, hi = to_fractions(float(exact_sum(x).m), float(exact_sum(x).r))
    assert lo <= exact <= hi
    inputs = Fraction(float(np.sum(x.r)))  # the inputs' own radii (their rounding to floats)
    assert hi - lo <= 2 * inputs + 4 * Fraction(U) * abs(exact)
    loose = total(x, (0, 1), keepdims=False)  # gamma_1000: the old final sum
    assert float(loose.r) > 10 * float(exact_sum(x).r)


def test_exact_sum_refuses_an_overflow() -> None:
    with pytest.raises(Undecided):
        exact_sum(Ball(np.array([1.7e308, 1.7e308]), np.zeros(2)))


def test_cross_entropy_at_a_poor_fit_is_tight() -> None:
    """1,000 rows of spread logits (a loss near 3 per row): the width is a few u per row, where
    ``gamma_{N m}`` of the old sum gave about ``10^4 u`` per row."""
    rng = np.random.default_rng(1)
    z = Ball(rng.normal(0, 3, (1000, 10)), np.zeros((1000, 10)))
    y = np.eye(10)[rng.integers(0, 10, 1000)]
    s = cross_entropy_sum(z, Ball(y, np.zeros(y.shape)))
    with mpmath.workdps(40):
        exact = mpmath.fsum(
            mpmath.log(mpmath.fsum(mpmath.exp(mpmath.mpf(float(v))) for v in row)) - mpmath.mpf(float(row[k]))
            for row, k in zip(z.m, y.argmax(1))
        )
        assert _inside(exact, s.m, s.r)
    assert float(s.r) < 40 * U * float(s.m)


@pytest.fixture(scope="module")
def orbit_record() -> dict:
    pytest.importorskip("onnx")
    from symcert.proofs.graph_orbit import certify_graph_orbit
    from tests.test_graph_curvature import _residual_loss

    loss, A = _residual_loss()  # cross-entropy on a residual dense net with layer norm
    certificate = certify_graph_orbit(loss, A)
    assert certificate.status == "proved", certificate.notes
    return json.loads(json.dumps(certificate.to_dict()))


def _claim(record: dict, name: str, low: Fraction, high: Fraction) -> dict:
    out = json.loads(json.dumps(record))
    out["enclosures"][name] = [str(low), str(high)]
    return out


def _ends(record: dict, name: str) -> tuple[Fraction, Fraction]:
    low, high = record["enclosures"][name]
    return Fraction(low), Fraction(high)


def test_the_genuine_orbit_certificate_is_decided_on_the_float64_rung(orbit_record) -> None:
    result = check(orbit_record)
    assert result.accepted, result.reasons
    assert any("verified float64" in r for r in result.reasons), result.reasons


def test_a_claim_moved_off_the_value_is_rejected(orbit_record) -> None:
    low, high = _ends(orbit_record, "L(mean)")
    width = high - low
    result = check(_claim(orbit_record, "L(mean)", high + width, high + 2 * width))
    assert not result.accepted
    assert any("does not contain the recomputed one" in r for r in result.reasons)


def test_a_true_claim_narrower_than_the_float64_balls_falls_back_to_arb(orbit_record) -> None:
    accepted = check(orbit_record)
    low, high = accepted.enclosures["L(mean)"]  # the float64 rung's enclosure
    mid, quarter = (low + high) / 2, (high - low) / 4
    # Arb (30 digits and more) pins the value far inside the float64 ball: a claim of half its width
    # around the centre holds (checked below by Arb itself) but is not inside the float64 enclosure.
    result = check(_claim(orbit_record, "L(mean)", mid - quarter, mid + quarter))
    assert any("did not decide" in r for r in result.reasons), result.reasons
    assert result.accepted, result.reasons
    assert any("digits (arb" in r for r in result.reasons)


@pytest.mark.parametrize("stride, padding", [((1, 1), ((1, 1), (1, 1))), ((2, 1), ((1, 0), (2, 1)))])
def test_the_jets_one_product_convolution_contains_the_exact_one(stride, padding) -> None:
    """:func:`symcert.checker.graph.fast_jets._conv_patches` against the convolution in exact
    rationals, inexact inputs and weights (thirds): every exact output inside its ball."""
    from symcert.checker.graph.fast_jets import _conv_patches

    rng = np.random.default_rng(2)
    xq = [
        [[[Fraction(int(v), 3) for v in row] for row in ch] for ch in ex]
        for ex in rng.integers(-9, 9, (2, 2, 5, 4))
    ]
    wq = [
        [[[Fraction(int(v), 7) for v in row] for row in ch] for ch in o]
        for o in rng.integers(-9, 9, (3, 2, 3, 2))
    ]
    f = {"kernel": (3, 2), "padding": padding, "dilation": (1, 1), "stride": stride, "bias": False}
    sizes = [(n + b + e - k) // s + 1 for n, (b, e), k, s in zip((5, 4), padding, (3, 2), stride)]
    y = _conv_patches(f, from_fractions(wq), from_fractions(xq), (3, *sizes))
    assert y is not None and y.shape == (2, 3, *sizes)

    def at(ex: int, ch: int, i: int, j: int) -> Fraction:
        i, j = i - padding[0][0], j - padding[1][0]
        return xq[ex][ch][i][j] if 0 <= i < 5 and 0 <= j < 4 else Fraction(0)

    for ex, o, p, q in itertools.product(range(2), range(3), range(sizes[0]), range(sizes[1])):
        exact = sum(
            (wq[o][c][a][b] * at(ex, c, p * stride[0] + a, q * stride[1] + b))
            for c, a, b in itertools.product(range(2), range(3), range(2))
        )
        lo, hi = to_fractions(float(y.m[ex, o, p, q]), float(y.r[ex, o, p, q]))
        assert lo <= exact <= hi


def test_the_one_product_convolution_declines_a_wide_fan_in() -> None:
    from symcert.checker.graph.fast_jets import _conv_patches

    f = {"kernel": (3, 3), "padding": ((0, 0), (0, 0)), "dilation": (1, 1), "stride": (1, 1), "bias": False}
    x, w = (
        Ball(np.zeros((1, 20, 3, 3)), np.zeros((1, 20, 3, 3))),
        Ball(np.ones((1, 20, 3, 3)), np.zeros((1, 20, 3, 3))),
    )
    assert _conv_patches(f, w, x, (1, 1, 1)) is None  # 180 > BLOCK: the blocked product instead
    assert (
        _conv_patches(
            {**f, "dilation": (2, 1)},
            w.take((slice(None), slice(0, 2))),
            x.take((slice(None), slice(0, 2))),
            (1, 1, 1),
        )
        is None
    )


def test_plain_value_jets_contain_the_arb_jets_too() -> None:
    """``fast_loss_jet(compensated=False)`` (the values by plain products, tried first on graphs
    without smooth activations) still contains Arb's 200-bit jets, and is no tighter than Dot2."""
    pytest.importorskip("onnx")
    from symcert.checker.graph.fast_jets import fast_loss_jet
    from tests.test_graph_fast_jets import _both, _cnn_loss, _line, graph_to_dict, read_graph

    loss, A = _cnn_loss("Relu")
    P, D = _line(loss, A)
    compensated, arb_jet = _both(loss, P, D)
    checked = read_graph(json.loads(json.dumps(graph_to_dict(loss.graph))))
    point, direction = ({k: v.tolist() for k, v in Q.items()} for Q in (P, D))
    plain = fast_loss_jet(
        checked, point, direction, loss.X.tolist(), loss.Y.tolist(), loss.kind, Fraction(1), False
    )
    for (low, high), (c_low, c_high), ball in zip(plain, compensated, arb_jet):
        mid = Fraction(ball.mid().str(60, radius=False))
        assert low <= mid <= high
        assert high - low >= (c_high - c_low) / 2


def test_a_relu_curvature_certificate_on_the_plain_then_dot2_rung() -> None:
    """ReLU only (``smooth_free``): accepted on the float64 jets; a moved claim rejected; a claim
    narrower than both float64 passes (yet true) falls back to Arb, which accepts it."""
    pytest.importorskip("onnx")
    from symcert.checker.graph.fast_jets import smooth_free
    from tests.test_graph_fast_jets import _certificate, _cnn_loss, read_graph

    record = _certificate(lambda: _cnn_loss("Relu"))
    assert smooth_free(read_graph(record["network"]["graph"]))
    result = check(record)
    assert result.accepted and "float64" in result.reasons[-1], result.reasons
    low, high = result.enclosures["phi''(t0)"]
    moved = _claim(record, "phi''(t0)", high + (high - low), high + 2 * (high - low))
    assert not check(moved).accepted
    mid, quarter = (low + high) / 2, (high - low) / 4
    narrow = check(_claim(record, "phi''(t0)", mid - quarter, mid + quarter))
    assert any("did not decide" in r for r in narrow.reasons), narrow.reasons
    assert narrow.accepted and "digits" in narrow.reasons[-1], narrow.reasons
