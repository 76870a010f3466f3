"""The graph fast rung's smooth layers and losses (symcert/checker/graph/smooth.py): sigmoid, softplus,
softmax, log-sum-exp, cross-entropy and bce. Their float64 balls hold the values of mpmath at 80 digits
at points all over each ball; chord certificates with these losses are decided on the float64 rung and
agree with the Arb path; tampered claims are rejected; what the rung cannot decide goes to Arb."""

from __future__ import annotations

import json
from fractions import Fraction

import flint
import mpmath
import numpy as np
import pytest

from symcert.checker import check
from symcert.checker.graph.balls import Ball, Undecided, from_fractions
from symcert.checker.graph.fast import fast_loss, parameter_balls, unsupported
from symcert.checker.graph.forward import graph_loss, to_arb
from symcert.checker.graph.smooth import bce_sum, cross_entropy_sum, lse_rows, sigmoid, softmax_rows, softplus
from symcert.checker.graph.spec import read_graph
from symcert.checker.reading import loads
from symcert.numeric.graph import GraphLoss
from symcert.proofs.graph_chord import best_graph_element, certify_graph_chord
from symcert.symbolic.graph import (
    Activation,
    BatchNorm,
    Conv,
    Dense,
    Flatten,
    GlobalAveragePool,
    Graph,
    LayerNorm,
    Node,
    Softmax,
    graph_to_dict,
    random_parameters,
)

TS = (-1.0, -0.37, 0.0, 0.61, 1.0)  # where in each ball (in units of its radius) the value is taken


def _json(value):
    return loads(json.dumps(value))


def _balls(shape, seed, scale=8.0, exact=False):
    rng = np.random.default_rng(seed)
    m = rng.standard_normal(shape) * scale
    m.flat[:4] = [0.0, 60.0, -70.0, 1e-9][: m.size]  # beyond the exp table's 64, and tiny
    r = np.zeros(shape) if exact else rng.uniform(0, 1e-6, shape) * (rng.random(shape) < 0.7)
    return Ball(m, r)


def _inside(ball, value, where):
    lo = Fraction(float(ball.m[where])) - Fraction(float(ball.r[where]))
    hi = Fraction(float(ball.m[where])) + Fraction(float(ball.r[where]))
    return Fraction(lo) <= value <= Fraction(hi)


def _frac(v):
    v = mpmath.mpf(v)
    sign, man, exp, _ = v._mpf_  # mpmath's exact binary form (man_exp drops the sign)
    return (-1) ** sign * Fraction(int(man)) * Fraction(2) ** int(exp)


def _point(ball, t):
    """A point of the ball (as mpf), ``m + t r`` entrywise."""
    return np.vectorize(lambda m, r: mpmath.mpf(m) + mpmath.mpf(t) * mpmath.mpf(r), otypes=[object])(
        ball.m, ball.r
    )


def _lse(row):
    top = max(row)
    return top + mpmath.log(sum(mpmath.exp(v - top) for v in row))


@pytest.mark.parametrize("seed", [1, 2])
def test_elementwise_balls_hold_the_values(seed):
    x = _balls((40,), seed)
    sig, plus = sigmoid(x), softplus(x)
    with mpmath.workdps(80):
        for t in TS:
            for i, v in enumerate(_point(x, t)):
                assert _inside(sig, _frac(1 / (1 + mpmath.exp(-v))), i), (t, i, x.m[i])
                assert _inside(plus, _frac(mpmath.log1p(mpmath.exp(v))), i), (t, i, x.m[i])
    assert np.all(sig.r[x.r == 0] < 1e-15) and np.all(plus.r[x.r == 0] < 1e-13)  # and tight


@pytest.mark.parametrize("seed", [3, 4])
def test_row_balls_hold_the_values(seed):
    z = _balls((6, 5), seed)
    y = from_fractions([[Fraction(int(k == j)) for k in range(5)] for j in (0, 1, 2, 3, 4, 0)])
    thirds = np.random.default_rng(seed).integers(-3, 4, (6, 5))  # targets k / 3, not floats
    y3 = from_fractions([[Fraction(int(k), 3) for k in row] for row in thirds])
    lse, soft, ce, ce3 = lse_rows(z), softmax_rows(z), cross_entropy_sum(z, y), cross_entropy_sum(z, y3)
    bce, bce3 = bce_sum(z, y), bce_sum(z, y3)
    rng = np.random.default_rng(seed)
    with mpmath.workdps(80):
        for t in TS:
            point = _point(z, t)
            point[1] = [
                mpmath.mpf(m) + mpmath.mpf(s) * mpmath.mpf(r)
                for m, r, s in zip(z.m[1], z.r[1], rng.choice([-1.0, 1.0], 5))
            ]  # corners too
            total_ce = total_ce3 = total_bce = total_bce3 = mpmath.mpf(0)
            for i, row in enumerate(point):
                value = _lse(list(row))
                assert _inside(lse, _frac(value), i)
                for k, v in enumerate(row):
                    assert _inside(soft, _frac(mpmath.exp(v - value)), (i, k))
                    plus = mpmath.log1p(mpmath.exp(v))
                    total_bce += plus - int(y.m[i, k]) * v
                    total_bce3 += plus - (mpmath.mpf(int(thirds[i, k])) / 3) * v
                total_ce += value - row[int(np.argmax(y.m[i]))]
                total_ce3 += sum((mpmath.mpf(int(thirds[i, k])) / 3) * (value - v) for k, v in enumerate(row))
            for ball, exact in ((ce, total_ce), (ce3, total_ce3), (bce, total_bce), (bce3, total_bce3)):
                assert _inside(ball, _frac(exact), ())
    assert float(ce.r) < 1e-4 and float(soft.r.max()) < 1e-6


def test_out_of_range_inputs_are_undecided():
    """Values beyond the range guard's 2^480 (see balls.tame): the rung raises, the caller uses Arb."""
    with pytest.raises(Undecided):
        lse_rows(Ball(np.array([[1e300, 0.0]]), np.zeros((1, 2))))
    with pytest.raises(Undecided):
        softplus(Ball(np.array([1e300]), np.zeros(1)))


def _graph(final, hidden="tanh", norm=None):
    nodes = [Node("conv", Conv(3, (3, 3), padding=1))]
    nodes += [Node("bn", BatchNorm())] if norm == "bn" else []
    nodes += [Node("act", Activation(hidden)), Node("pool", GlobalAveragePool()), Node("flat", Flatten())]
    nodes += [Node("ln", LayerNorm(axis=-1))] if norm == "ln" else []
    nodes.append(Node("fc", Dense(2 if final == "sigmoid" else 3)))
    nodes += {"softmax": [Node("sm", Softmax())], "sigmoid": [Node("sg", Activation("sigmoid"))]}.get(
        final, []
    )
    return Graph((1, 4, 4), nodes)


def _loss(graph, kind, seed):
    rng = np.random.default_rng(seed)
    x = np.round(rng.standard_normal((6, 1, 4, 4)) * 4) / 4
    m = graph.shapes[graph.output][0]
    y = rng.integers(0, 2, (6, m)) if kind == "bce" else np.eye(m, dtype=int)[rng.integers(0, m, 6)]
    return GraphLoss(graph, x, y, kind)


CERTIFICATES = {  # (kind, final, hidden, norm): seeds where the chord of the best swap or flip is > 0
    "cross_entropy": ("cross_entropy", "softmax", "tanh", None),
    "cross_entropy, bn, relu": ("cross_entropy", "softmax", "relu", "bn"),
    "cross_entropy on logits, layer norm": ("cross_entropy", "identity", "tanh", "ln"),
    "bce, softplus": ("bce", "sigmoid", "softplus", None),
    "mse of softmax, sigmoid, layer norm": ("mse", "softmax", "sigmoid", "ln"),
}


def _certificate(name):
    kind, final, hidden, norm = CERTIFICATES[name]
    graph = _graph(final, hidden, norm)
    params = random_parameters(graph, seed=4)
    loss = _loss(graph, kind, 4)
    element, _ = best_graph_element(loss, params)
    return certify_graph_chord(loss, params, element)


@pytest.mark.parametrize("name", sorted(CERTIFICATES))
def test_certificates_are_decided_on_the_fast_rung(name):
    cert = _certificate(name)
    assert cert.proved
    record = cert.to_dict()
    assert unsupported(read_graph(_json(record)["network"]["graph"]), record["loss"]["kind"]) is None
    result = check(_json(record))
    assert result.accepted, result.reasons
    assert "verified float64" in result.reasons[-1]


@pytest.mark.parametrize("kind", ["cross_entropy", "bce", "mse"])
def test_fast_losses_agree_with_the_arb_path(kind):
    """Inexact parameters (thirds): the parameter balls have radii, the losses still hold Arb's value."""
    graph = _graph("sigmoid" if kind == "bce" else "softmax", "tanh", "ln" if kind == "mse" else "bn")
    checked = read_graph(_json(graph_to_dict(graph)))
    params = {k: v / 3 for k, v in random_parameters(graph, seed=7).items()}
    params = {k: (np.abs(v) + 1 if k.endswith(".var") else v) for k, v in params.items()}
    loss = _loss(graph, kind, 7)
    xs, ys = loss.X.tolist(), [[Fraction(v) for v in row] for row in loss.Y.tolist()]
    point = {k: v.tolist() for k, v in params.items()}
    lo, hi = fast_loss(
        checked, parameter_balls(checked, point), from_fractions(xs), from_fractions(ys), kind, Fraction(1)
    )
    flint.ctx.prec, saved = 300, flint.ctx.prec
    try:
        ball = graph_loss(checked, point, to_arb(xs), ys, kind, Fraction(1))
        man, exp = ball.mid().man_exp()
        mid = Fraction(int(man)) * Fraction(2) ** int(exp)
        assert float(ball.rad()) < 1e-60
    finally:
        flint.ctx.prec = saved
    assert lo <= mid <= hi and hi - lo < Fraction(1, 10**11)


def test_tampered_and_undecided_cross_entropy_certificates():
    record = _certificate("cross_entropy").to_dict()
    fast_low, fast_high = check(_json(record)).enclosures["L(M)"]
    bad = json.loads(json.dumps(record))
    bad["enclosures"]["L(M)"] = [str(fast_high + 1), str(fast_high + 2)]  # disjoint: the fast rung rejects
    result = check(_json(bad))
    assert not result.accepted and any(
        "L(M) does not contain" in r and "disjoint" in r for r in result.reasons
    )
    bad = json.loads(json.dumps(record))
    tiny = (fast_high - fast_low) / 10**6
    bad["enclosures"]["L(M)"] = [str(fast_low - 1), str(fast_low + tiny)]  # too narrow: Arb decides
    result = check(_json(bad))
    assert any("did not decide" in r for r in result.reasons)
    assert not result.accepted and any("L(M) does not contain" in r for r in result.reasons)
    bad = json.loads(json.dumps(record))
    bad["points"]["B"] = bad["points"]["A"]  # barrier exactly 0: float64 cannot decide, nor can Arb
    bad["enclosures"] = {}
    result = check(_json(bad))
    assert any("did not decide" in r for r in result.reasons)
    assert not result.accepted and any("is not > 0" in r for r in result.reasons)
