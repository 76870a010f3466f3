"""The checker's float64 rung for losses (f64_engine): it contains Arb's values, declines the rest."""

from __future__ import annotations

from fractions import Fraction

import flint
import numpy as np
import pytest
from flint import arb

from symcert import MLP, Dataset, Loss, certify_nonconvexity, swap
from symcert.checker import CertificateBudgetError, arb_engine, check, f64_engine
from symcert.checker.points import combine
from symcert.checker.reading import loads
from symcert.checker.statement import Statement


@pytest.fixture(autouse=True)
def _always_float64(monkeypatch):
    """The rung is tried on these small certificates too (by default only where Arb would take seconds)."""
    monkeypatch.setattr(f64_engine, "MIN_ARB_SECONDS", 0.0)


def _contains(lo: float, hi: float, ball: arb) -> bool:
    return bool(arb(lo) <= ball.lower() and ball.upper() <= arb(hi))


def test_tanh_bounds_contain_arbs_tanh():
    rng = np.random.default_rng(0)
    edges = [0.0, 5e-324, -5e-324, 1e-300, 2.0**-10, 2.0**-10 - 2.0**-60, 1.0, 19.999999, 20.0, 20.5, 1e300]
    x = np.concatenate([rng.normal(0, 4, 3000), rng.normal(0, 1e-4, 300), edges, [-e for e in edges]])
    lo, hi = f64_engine.tanh_bounds(x)
    saved = flint.ctx.prec
    flint.ctx.prec = 200
    try:
        for xi, l, h in zip(x.tolist(), lo.tolist(), hi.tolist()):
            t = arb(xi).tanh()  # |tanh| < 1: an end at +-1 holds even where Arb's ball reaches past it
            at_one = (h == 1.0 and arb(l) <= t.lower()) or (l == -1.0 and t.upper() <= h)
            assert _contains(l, h, t) or at_one, xi
    finally:
        flint.ctx.prec = saved
    assert float(np.max(hi - lo)) < 1e-13  # tight: the rung must fit inside the prover's claims
    assert lo[x == 0].max() == 0.0 and hi[x == 0].min() == 0.0


def _statement(activation: str, kind: str, output: str, seed: int = 0, denominator: int = 255):
    rng = np.random.default_rng(seed)
    widths = (5, 4, 3, 3)
    X = rng.integers(0, 256, (30, widths[0]))
    labels = np.eye(3, dtype=np.int64)[rng.integers(0, 3, 30)]
    Y = labels if kind == "cross_entropy" else rng.integers(-4, 5, (30, 3))
    mlp = MLP(widths, activation, output_activation=output)
    loss = Loss(mlp, Dataset.from_integers(X, denominator, Y, 1 if kind == "cross_entropy" else 4), kind)
    arrays = {}
    for l in range(1, len(widths)):
        arrays[f"W{l}"] = rng.normal(0, 1, (widths[l], widths[l - 1])).astype(np.float32)
        arrays[f"b{l}"] = rng.normal(0, 0.3, widths[l]).astype(np.float32)
    A = mlp.point(**arrays)
    cert = certify_nonconvexity(loss, A, element=swap(1, 0, 1), kind="chord")
    return cert, Statement(loads(cert.to_json(packed=True)))


@pytest.mark.parametrize(
    "activation, kind, output, seed",  # seeds whose chord is proved
    [
        ("tanh", "cross_entropy", "softmax", 5),
        ("relu", "mse", "identity", 1),
        ("identity", "sse", "identity", 3),
    ],
)
def test_float64_losses_contain_the_arb_losses(activation, kind, output, seed):
    cert, s = _statement(activation, kind, output, seed)
    points = [s.A, s.B, combine(s.A, s.B, Fraction(1, 2))]
    saved = flint.ctx.prec
    flint.ctx.prec = 128
    try:
        quick = f64_engine.losses(s, points)
        assert quick is not None
    finally:
        flint.ctx.prec = saved
    flint.ctx.prec = 300
    try:
        exact = arb_engine.Evaluation(s).losses(points)
        for q, e in zip(quick, exact):
            assert q.contains(e), (q, e)
            assert q.rad() < 1e-10 * (1 + abs(e.mid()))
    finally:
        flint.ctx.prec = saved
    assert cert.status == "proved"
    result = check(loads(cert.to_json(packed=True)))
    assert result.accepted and "verified float64" in result.reasons[-1], result.reasons


def test_the_checker_says_which_arithmetic_decided():
    cert, _ = _statement("tanh", "cross_entropy", "softmax", 5)
    assert cert.status == "proved"
    result = check(loads(cert.to_json()))
    assert result.accepted and "verified float64" in result.reasons[-1]
    assert check(loads(cert.to_json()), arithmetic="mpmath").reasons[-1].endswith("(mpmath)")


def test_it_declines_what_it_does_not_cover():
    _, s = _statement("tanh", "cross_entropy", "softmax")
    assert f64_engine.compute(s) is not None
    s.A[0][0][0][0] = Fraction(1, 3)  # not a float: the rung declines, the Arb ladder decides
    assert f64_engine.compute(s) is None
    assert f64_engine.exact_floats([Fraction(1, 4), Fraction(1, 3), Fraction(1, 2**40)]) is None
    sigmoid = _statement("sigmoid", "cross_entropy", "softmax")[1]
    assert not f64_engine.supported(sigmoid) and f64_engine.compute(sigmoid) is None


def test_an_overflow_declines_rather_than_decides():
    _, s = _statement("identity", "sse", "identity")
    big = np.full((4, 5), 1e308)
    layers = [(big, None, big, 0), (np.ones((3, 4)), None, None, 0), (np.ones((3, 3)), None, None, 0)]
    with pytest.raises(ArithmeticError, match="overflowed"):
        f64_engine.outputs(s.net, layers, np.full((2, 5), 2.0**60), 1)  # too large for exact limbs
    s.A = [([[Fraction(2**60) for _ in row] for row in W], b) for W, b in s.A]  # beyond 53 bits: declined
    assert f64_engine.compute(s) is None


def test_the_float64_rung_alone_within_a_budget_the_arb_ladder_exceeds(monkeypatch):
    from symcert.checker.budget import estimate_seconds

    cert, s = _statement("tanh", "cross_entropy", "softmax", 5)
    record = loads(cert.to_json(packed=True))
    budget = estimate_seconds(s) / 2
    with pytest.raises(CertificateBudgetError):
        check(record, budget=budget)  # the table alone is priced at 5 s
    monkeypatch.setattr(f64_engine, "estimate_seconds", lambda s: budget / 2)
    result = check(record, budget=budget)
    assert result.accepted and "verified float64" in result.reasons[-1]
    record["enclosures"]["barrier"] = [record["enclosures"]["barrier"][0]] * 2  # too tight for float64
    result = check(record, budget=budget)
    assert not result.accepted and "raise the budget" in result.reasons[-1]
