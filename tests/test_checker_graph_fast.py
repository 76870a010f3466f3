"""The checker's verified float64 rung on layer graphs (symcert/checker/graph/fast.py): every layer's
enclosure holds the exact value, the rung accepts the prover's chord certificates, agrees with the Arb
path, rejects tampered files, and is never fooled by float rounding (huge, cancelling weights)."""

from __future__ import annotations

import json
from fractions import Fraction

import flint
import numpy as np
import pytest

from symcert.checker import check
from symcert.checker.graph.balls import Ball, Undecided, from_fractions, matmul, to_fractions
from symcert.checker.graph.chord import estimate_seconds
from symcert.checker.graph.fast import fast_loss, fast_seconds, parameter_balls, run_fast, unsupported
from symcert.checker.graph.forward import graph_loss, to_arb
from symcert.checker.graph.spec import read_graph
from symcert.checker.graph.tanh import tanh_bounds
from symcert.checker.reading import loads
from symcert.numeric.graph import GraphLoss
from symcert.proofs.graph_chord import certify_graph_chord
from symcert.symbolic.graph import (
    Activation,
    Add,
    AveragePool,
    BatchNorm,
    Conv,
    Dense,
    Flatten,
    GlobalAveragePool,
    Graph,
    Node,
    Permute,
    evaluate,
    graph_to_dict,
    random_parameters,
)
from tests.test_checker_graph import _cnn_certificate
from tests.test_graph_engine import CASES, _batch, _reference

FAST = [
    case
    for case in sorted(CASES)
    if unsupported(read_graph(loads(json.dumps(graph_to_dict(CASES[case])))), "mse") is None
]


def _json(value):
    return loads(json.dumps(value))


def _fraction_params(params):
    return {k: v.tolist() for k, v in params.items()}


def test_the_rung_covers_the_layers_of_cnns_and_resnets():
    assert {"Conv2d", "Conv1d", "Dense", "BatchNorm", "relu", "tanh", "Add", "MaxPool", "AveragePool"} <= set(
        FAST
    )


@pytest.mark.parametrize("case", FAST)
def test_every_layer_encloses_the_exact_value(case):
    graph = CASES[case]
    checked = read_graph(_json(graph_to_dict(graph)))
    for seed in (1, 2):
        params = random_parameters(graph, seed=seed)
        x = _batch(graph.input_shape, seed=seed)
        exact = _reference(graph, params, x)
        found = run_fast(
            checked, parameter_balls(checked, _fraction_params(params)), from_fractions(x.tolist())
        )
        assert found.shape == exact.shape
        for m, r, value in zip(found.m.ravel(), found.r.ravel(), exact.ravel()):
            lo, hi = to_fractions(float(m), float(r))
            assert lo <= value <= hi and hi - lo < Fraction(1, 10**12), (case, m, r, value)


@pytest.mark.parametrize("case", ["Conv2d", "Conv1d", "Dense", "BatchNorm"])
def test_inexact_weights_are_enclosed(case):
    """Weights that are not floats (thirds): the products take the weight radii into account."""
    graph = CASES[case]
    checked = read_graph(_json(graph_to_dict(graph)))
    params = {k: v / 3 + Fraction(1, 10**20) for k, v in random_parameters(graph, seed=4).items()}
    params = {k: (np.abs(v) + 1 if k.endswith(".var") else v) for k, v in params.items()}
    x = _batch(graph.input_shape, seed=4)
    exact = _reference(graph, params, x)
    found = run_fast(checked, parameter_balls(checked, _fraction_params(params)), from_fractions(x.tolist()))
    assert any(
        b.r.any()
        for p in parameter_balls(checked, _fraction_params(params)).values()
        for b in (p.values() if isinstance(p, dict) else p)
    )
    for m, r, value in zip(found.m.ravel(), found.r.ravel(), exact.ravel()):
        lo, hi = to_fractions(float(m), float(r))
        assert lo <= value <= hi and hi - lo < Fraction(1, 10**12), (case, m, r, value)


def test_tanh_bounds_hold_in_every_range():
    t = np.concatenate(
        [
            [0.0, 5e-324, 1e-300, 2.0**-26, 0.3465, 0.3467, 1.0, 19.09, 19.1, 50.0, 1e300],
            np.random.default_rng(0).uniform(0, 25, 300),
        ]
    )
    lo, hi = tanh_bounds(t)
    flint.ctx.prec, saved = 200, flint.ctx.prec
    try:
        for a, low, high in zip(t, lo, hi):
            value = flint.arb(flint.fmpq(*Fraction(float(a)).as_integer_ratio())).tanh()
            assert low <= high <= 1.0
            assert not (value < flint.arb(flint.fmpq(*Fraction(float(low)).as_integer_ratio())))
            assert not (value > flint.arb(flint.fmpq(*Fraction(float(high)).as_integer_ratio())))
            if 1e-300 < a < 19:
                assert high - low <= 64 * np.spacing(high)  # a few dozen units in the last place
    finally:
        flint.ctx.prec = saved


def _residual_certificate():
    graph = Graph(
        (1, 4, 4),
        [
            Node("stem", Conv(3, (3, 3), padding=1)),
            Node("stem_act", Activation("relu")),
            Node("c1", Conv(3, (3, 3), padding=1)),
            Node("n1", BatchNorm()),
            Node("add", Add(), ("n1", "stem_act")),
            Node("out", Activation("relu")),
            Node("pool", AveragePool((2, 2))),
            Node("gap", GlobalAveragePool()),
            Node("flat", Flatten()),
            Node("fc", Dense(2)),
        ],
    )
    params = random_parameters(graph, seed=5)
    x = np.round(np.random.default_rng(5).standard_normal((4, 1, 4, 4)) * 4) / 4
    y = np.round(evaluate(graph, params, x) * 32) / 32
    return certify_graph_chord(GraphLoss(graph, x, y, "mse"), params, Permute("P_stem", (1, 0, 2)))


@pytest.mark.parametrize("make", ["tanh", "relu", "residual"])
def test_prover_certificates_are_accepted_by_the_fast_rung(make):
    cert = _residual_certificate() if make == "residual" else _cnn_certificate(make == "relu")
    assert cert.proved
    result = check(_json(cert.to_dict()))
    assert result.accepted, result.reasons
    assert "verified float64" in result.reasons[-1]
    for name, (lo, hi) in cert.enclosures.items():
        assert lo <= result.enclosures[name][0] and result.enclosures[name][1] <= hi


def test_fast_enclosures_agree_with_the_arb_path():
    record = _residual_certificate().to_dict()
    graph = read_graph(_json(record)["network"]["graph"])
    xs = [[[[Fraction(v) for v in row] for row in ch] for ch in ex] for ex in record["data"]["xs"]]
    ys = [[Fraction(v) for v in row] for row in record["data"]["ys"]]
    shapes = graph.parameters
    point = {
        k: np.vectorize(Fraction, otypes=[object])(np.array(v, dtype=object)).tolist()
        for k, v in record["points"]["A"].items()
    }
    assert set(point) == set(shapes)
    lo, hi = fast_loss(
        graph, parameter_balls(graph, point), from_fractions(xs), from_fractions(ys), "mse", Fraction(1)
    )
    flint.ctx.prec, saved = 200, flint.ctx.prec
    try:
        ball = graph_loss(graph, point, to_arb(xs), ys, "mse", Fraction(1))
        man, exp = ball.mid().man_exp()
        mid = Fraction(int(man)) * Fraction(2) ** int(exp)
    finally:
        flint.ctx.prec = saved
    assert lo <= mid <= hi and hi - lo < Fraction(1, 10**10)


def test_tampered_certificates_are_rejected_by_the_fast_rung():
    record = _cnn_certificate(relu=True).to_dict()
    bad = json.loads(json.dumps(record))
    high = Fraction(bad["enclosures"]["L(M)"][1])
    bad["enclosures"]["L(M)"] = [str(high + 1), str(high + 2)]  # disjoint from the true value
    result = check(_json(bad))
    assert not result.accepted and any("L(M) does not contain" in r for r in result.reasons)
    bad = json.loads(json.dumps(record))
    bad["data"]["ys"][0][0] = "100"
    result = check(_json(bad))
    assert not result.accepted and any("does not contain" in r for r in result.reasons)
    fast_low, fast_high = check(_json(record)).enclosures["L(M)"]
    bad = json.loads(json.dumps(record))
    tiny = (fast_high - fast_low) / 10**6
    bad["enclosures"]["L(M)"] = [str(fast_low - 1), str(fast_low + tiny)]  # overlaps, too narrow: Arb decides
    result = check(_json(bad))
    assert not result.accepted and any("L(M) does not contain" in r for r in result.reasons)
    assert any("did not decide" in r for r in result.reasons)
    bad = json.loads(json.dumps(record))
    bad["points"]["B"] = bad["points"]["A"]
    bad["enclosures"] = {}
    result = check(_json(bad))
    assert not result.accepted and any("is not > 0" in r for r in result.reasons)


def _dense_record(a, b, xs, ys, claimed):
    graph = {
        "format": "symcert-graph",
        "version": 1,
        "input_shape": [len(xs[0])],
        "nodes": [{"name": "fc", "inputs": ["x"], "layer": {"type": "Dense", "features": 1, "bias": False}}],
    }
    return {
        "schema": "symcert-certificate",
        "version": 1,
        "kind": "chord",
        "status": "proved",
        "network": {"graph": graph, "output_activation": "identity"},
        "loss": {"kind": "sse", "weight_decay": "0"},
        "data": {"xs": [[str(v) for v in row] for row in xs], "ys": [[str(v) for v in row] for row in ys]},
        "points": {"A": {"fc.weight": [[str(v) for v in a]]}, "B": {"fc.weight": [[str(v) for v in b]]}},
        "element": None,
        "parameters": {},
        "claim": {"quantity": "barrier", "relation": ">"},
        "enclosures": {k: [str(lo), str(hi)] for k, (lo, hi) in claimed.items()},
        "dps": 15,
    }


def test_cancelling_weights_never_fool_the_rung():
    """Weights 2^60 that cancel: float64 loses the middle weight entirely (2^60 + 127 rounds to 2^60),
    so a naive evaluation gives loss 0 at A, B and M; the exact barrier is 0 (the loss is convex).
    A certificate claiming the naive enclosures and barrier > 0 is rejected, never accepted."""
    big = 2**60
    a, b = [big, 127, -big], [big + 512, 127, -big - 512]
    xs, ys = [[1, 1, 1]], [[0]]
    assert float(a[0]) + float(a[1]) + float(a[2]) == 0.0  # what naive float64 computes
    graph = read_graph(_json(_dense_record(a, b, xs, ys, {}))["network"]["graph"])
    data = from_fractions([[Fraction(v) for v in r] for r in xs]), from_fractions([[Fraction(0)]])
    lo, hi = fast_loss(
        graph, parameter_balls(graph, {"fc.weight": [[Fraction(v) for v in a]]}), *data, "sse", Fraction(1)
    )
    assert lo <= 127**2 <= hi  # the rigorous enclosure holds the exact loss, however wide
    naive = {"L(A)": (0, 0), "L(B)": (0, 0), "L(M)": (0, 0), "barrier": (Fraction(1, 2**80), 1)}
    result = check(_json(_dense_record(a, b, xs, ys, naive)))
    assert not result.accepted
    result = check(_json(_dense_record(a, b, xs, ys, {})))
    assert not result.accepted and any("is not > 0" in r for r in result.reasons)


def test_numbers_beyond_the_float_range_go_to_arb():
    with pytest.raises(Undecided):
        from_fractions([Fraction(2**600)])
    with pytest.raises(Undecided):
        matmul(
            Ball(np.array([[2.0**400]]), np.array([[0.0]])), Ball(np.array([[2.0**400]]), np.array([[0.0]]))
        )
    huge = 2**700
    a, b = [huge, 1, -huge], [huge, 3, -huge]  # exact losses 1, 9, 4: barrier 4 - 5 < 0
    result = check(_json(_dense_record(a, b, [[1, 1, 1]], [[0]], {})))
    assert not result.accepted and any("float64 rung is undecided" in r for r in result.reasons)


def test_the_budget_reflects_the_fast_rung():
    nodes = [Node("stem", Conv(48, (3, 3), padding=1)), Node("stem_act", Activation("relu"))]
    previous = "stem_act"
    for k in (1, 2):
        nodes += [
            Node(f"b{k}c1", Conv(48, (3, 3), padding=1), (previous,)),
            Node(f"b{k}n1", BatchNorm()),
            Node(f"b{k}r1", Activation("relu")),
            Node(f"b{k}c2", Conv(48, (3, 3), padding=1)),
            Node(f"b{k}n2", BatchNorm()),
            Node(f"b{k}add", Add(), (f"b{k}n2", previous)),
            Node(f"b{k}out", Activation("relu")),
        ]
        previous = f"b{k}out"
    nodes += [Node("pool", GlobalAveragePool(), (previous,)), Node("flat", Flatten()), Node("fc", Dense(10))]
    graph = read_graph(_json(graph_to_dict(Graph((1, 8, 8), nodes))))
    assert graph.n_parameters == 84874
    assert unsupported(graph, "mse") is None
    assert fast_seconds(graph, 1797) < 600 < estimate_seconds(graph, 1797, 30)
