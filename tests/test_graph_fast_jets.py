"""The checker's verified float64 jets on layer graphs (:mod:`symcert.checker.graph.fast_jets`): their
balls contain the checker's Arb jets at 200 bits on small random graphs (conv, batch norm, tanh, ReLU,
sigmoid, softplus, pooling, add; mse, sse, cross-entropy, bce); the curvature checker decides on this
rung, rejects a tampered phi'', and falls back to Arb where the rung is undecided or unsupported."""

from __future__ import annotations

import json
from fractions import Fraction

import flint
import numpy as np
import pytest

pytest.importorskip("onnx")
from onnx import helper

from symcert.checker import check
from symcert.checker.graph.balls import Ball, Undecided
from symcert.checker.graph.dot2 import dot2_matmul, sum2
from symcert.checker.graph.fast_jets import fast_loss_jet, unsupported
from symcert.checker.graph.jets import graph_loss_jet
from symcert.checker.graph.spec import read_graph
from symcert.checker.reading import loads
from symcert.models.onnx_import import load_onnx
from symcert.numeric.graph import GraphLoss
from symcert.proofs.graph_curvature import best_jet_element, certify_graph_curvature
from symcert.symbolic.graph import evaluate, graph_to_dict
from tests.test_graph_curvature import _cnn_loss, _line, _residual_loss
from tests.test_onnx_import import _model

RNG = np.random.default_rng(11)


def _w(*shape: int, scale: float = 1.0) -> np.ndarray:
    return (RNG.standard_normal(shape) * scale).astype(np.float32)


def _mixed(activation: str) -> bytes:
    """dense 3 -> 5, activation, (dense 5 -> 5, tanh) + skip, dense 5 -> 2."""
    p = {"W1": _w(5, 3), "B1": _w(5, scale=0.3), "W2": _w(5, 5, scale=0.5), "B2": _w(5, scale=0.1)}
    p |= {"W3": _w(2, 5), "B3": _w(2, scale=0.1)}
    nodes = [
        helper.make_node("Gemm", ["input", "W1", "B1"], ["h"], name="fc1", transB=1),
        helper.make_node(activation, ["h"], ["a"], name="act"),
        helper.make_node("Gemm", ["a", "W2", "B2"], ["h2"], name="fc2", transB=1),
        helper.make_node("Tanh", ["h2"], ["a2"], name="t2"),
        helper.make_node("Add", ["a", "a2"], ["r"], name="res"),
        helper.make_node("Gemm", ["r", "W3", "B3"], ["output"], name="fc3", transB=1),
    ]
    return _model(nodes, p, [3], [2])


def _mixed_loss(activation: str, kind: str):
    model = load_onnx(_mixed(activation))
    X = RNG.standard_normal((7, 3)) * 4  # full mantissas: every product rounds
    out = evaluate(model.graph, model.params, X)
    y = np.eye(2)[out.argmax(1)] if kind in ("cross_entropy", "bce") else np.round(out * 16) / 16
    return GraphLoss(model.graph, X, y, kind), model.params


def _both(loss, P, D):
    checked = read_graph(loads(json.dumps(graph_to_dict(loss.graph))))
    point = {k: v.tolist() for k, v in P.items()}
    direction = {k: v.tolist() for k, v in D.items()}
    X, Y = loss.X.tolist(), loss.Y.tolist()
    fast = fast_loss_jet(checked, point, direction, X, Y, loss.kind, Fraction(1))
    saved = flint.ctx.prec
    flint.ctx.prec = 200
    try:
        arb_jet = graph_loss_jet(checked, point, direction, X, Y, loss.kind, Fraction(1))
    finally:
        flint.ctx.prec = saved
    return fast, arb_jet


CASES = [
    lambda: _cnn_loss("Tanh"),
    lambda: _cnn_loss("Relu"),
    lambda: _mixed_loss("Sigmoid", "cross_entropy"),
    lambda: _mixed_loss("Softplus", "mse"),
    lambda: _mixed_loss("Tanh", "sse"),
    lambda: _mixed_loss("Relu", "bce"),
]


@pytest.mark.parametrize("make", CASES)
def test_float64_jets_contain_the_arb_jets(make) -> None:
    loss, A = make()
    P, D = _line(loss, A)
    fast, arb_jet = _both(loss, P, D)
    for (low, high), ball in zip(fast, arb_jet):
        mid = Fraction(ball.mid().str(60, radius=False))
        assert ball.rad() < 1e-40 and low <= mid <= high  # Arb's 200 bits inside the float64 ball
        assert high - low < 1e-8 * (1 + abs(mid))  # and the float64 ball is tight


def test_relu_at_a_kink_and_unsupported_layers_are_undecided() -> None:
    loss, A = _cnn_loss("Relu")
    P, D = _line(loss, A)
    P["conv.bias"] = P["conv.bias"] * 0 - 1000  # every pre-activation far below 0: decided
    fast, arb_jet = _both(loss, P, D)
    assert fast[2][0] <= Fraction(arb_jet[2].mid().str(60, radius=False)) <= fast[2][1]
    X = loss.X.copy()
    X[0] = 0
    loss = GraphLoss(loss.graph, X, loss.Y, loss.kind)
    zero = {k: P[k] * 0 for k in ("conv.weight", "conv.bias", "bn.mean", "bn.bias")}
    P = {**P, **zero}  # so the batch norm maps 0 to 0, the ReLU's kink
    with pytest.raises(Undecided, match="ReLU"):
        _both(loss, P, D)
    residual, _ = _residual_loss()  # layer norm and a final softmax: Arb only
    assert unsupported(read_graph(loads(json.dumps(graph_to_dict(residual.graph)))), "cross_entropy")


def _certificate(make, kind: str = "curvature") -> dict:
    loss, A = make()
    element, bend = best_jet_element(loss, A)
    assert bend < 0
    cert = certify_graph_curvature(loss, A, element, kind=kind)
    assert cert.proved
    return json.loads(cert.to_json())


@pytest.mark.parametrize("kind", ["curvature", "hessian"])
def test_the_checker_decides_on_the_float64_jets(kind) -> None:
    record = _certificate(lambda: _cnn_loss("Tanh"), kind)
    result = check(record)
    assert result.accepted, result.reasons
    assert "float64" in result.reasons[-1] and "checker's own graph jets" in result.reasons[-1]
    quantity = "phi''(t0)" if kind == "curvature" else "dHd"
    bad = json.loads(json.dumps(record))
    low, high = (Fraction(v) for v in bad["enclosures"][quantity])
    bad["enclosures"][quantity] = [str(low + 2 * (high - low) + 1), str(high + 3 * (high - low) + 1)]
    result = check(bad)
    assert not result.accepted and any("does not contain" in r for r in result.reasons)


def test_unsupported_graphs_fall_back_to_arb() -> None:
    result = check(_certificate(_residual_loss))  # layer norm, softmax: Arb decides
    assert result.accepted, result.reasons
    assert "arb" in result.reasons[-1] and any("float64 jets" in r for r in result.reasons)


def _exact(a: float) -> Fraction:
    return Fraction(a)


def test_compensated_products_and_sums_contain_the_exact_values() -> None:
    """Ill-conditioned rows (terms of 1e12 that cancel): the Dot2 and Sum2 balls hold the exact
    rational results, with a width near u |result|, far below gamma_n sum |terms|."""
    rng = np.random.default_rng(3)
    big = rng.standard_normal((6, 5)) * 1e12
    x = np.concatenate([big, -big * (1 + 2.0**-40), rng.standard_normal((6, 4))], axis=1)  # (6, 14)
    w = rng.standard_normal((14, 3))
    w[:10] = 1.0  # the cancelling terms meet weight 1
    y = dot2_matmul(Ball(x, np.zeros(x.shape)), Ball(w, np.zeros(w.shape)))
    for i in range(6):
        for j in range(3):
            exact = sum((_exact(x[i, k]) * _exact(w[k, j]) for k in range(14)), Fraction(0))
            error = abs(Fraction(y.m[i, j]) - exact)
            assert error <= Fraction(y.r[i, j]) < 1e-3 and error > 0  # rounded, and still enclosed
    s = sum2(Ball(x, np.zeros(x.shape)), (1,))
    for i in range(6):
        exact = sum((_exact(v) for v in x[i]), Fraction(0))
        assert abs(Fraction(s.m[i, 0]) - exact) <= Fraction(s.r[i, 0]) < 1e-3


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "softplus"])
def test_activation_jets_hold_every_point_of_a_wide_ball(name) -> None:
    """The jet rules on a pre-activation ball of radius 1e-3: the exact jets (Arb) at both ends and the
    centre lie inside (this catches a dropped radius of g' or g''/2: the bound of the ball's spread)."""
    from symcert.checker.graph.fast_jets import _activation

    m, r = np.array([0.3, -1.7, 4.0]), np.array([1e-3, 1e-3, 1e-3])
    u = (Ball(m, r), Ball(np.full(3, 2.0), np.zeros(3)), Ball(np.full(3, -0.5), np.zeros(3)))
    y = _activation(name, u)
    saved = flint.ctx.prec
    flint.ctx.prec = 200
    try:
        _inside(name, m, r, y)
    finally:
        flint.ctx.prec = saved


def _inside(name, m, r, y) -> None:
    from symcert.checker.arb_engine import activation_jet

    for i in range(3):
        for point in (m[i] - r[i], m[i], m[i] + r[i]):
            exact = activation_jet(name, None, (flint.arb(point), flint.arb(2.0), flint.arb(-0.5)))
            for k in range(3):
                low, high = (
                    Fraction(y[k].m[i]) - Fraction(y[k].r[i]),
                    Fraction(y[k].m[i]) + Fraction(y[k].r[i]),
                )
                ball = exact[k]
                assert ball.rad() < 1e-20
                assert low <= Fraction(ball.mid().str(40, radius=False)) <= high
