"""The independent checker on layer graphs: its own Arb evaluation of every layer type contains the
exact value, prover certificates round-trip (accepted), and tampered ones are rejected."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest

from symcert.checker import check
from symcert.checker.arb_engine import ball_bounds
from symcert.checker.graph.forward import run_graph, to_arb
from symcert.checker.graph.spec import read_graph
from symcert.checker.reading import CertificateFormatError, loads
from symcert.numeric.graph import GraphLoss
from symcert.proofs.graph_chord import best_graph_element, certify_graph_chord
from symcert.symbolic.graph import (
    Activation,
    BatchNorm,
    Conv,
    Dense,
    Flatten,
    Graph,
    MaxPool,
    Node,
    Permute,
    Softmax,
    evaluate,
    evaluate_all,
    graph_to_dict,
    random_parameters,
)
from tests.test_graph_engine import CASES, _batch, _reference


def _json(value):
    return loads(json.dumps(value))  # as the checker reads files: integers kept as JSON integers


@pytest.mark.parametrize("case", sorted(CASES))
def test_checker_evaluation_contains_the_exact_value(case):
    graph = CASES[case]
    checked = read_graph(_json(graph_to_dict(graph)))
    assert checked.shapes == graph.shapes and checked.parameters == graph.parameter_shapes
    params = random_parameters(graph, seed=3)
    x = _batch(graph.input_shape, seed=3)
    exact = _reference(graph, params, x)
    found = run_graph(checked, {k: v.tolist() for k, v in params.items()}, to_arb(x.tolist()))["t"]
    assert found.shape == exact.shape
    for ball, value in zip(found.ravel(), exact.ravel()):
        lo, hi = ball_bounds(ball, case)  # exact endpoints
        assert lo <= value <= hi and hi - lo < Fraction(1, 10**12), (case, ball, value)


def _cnn_certificate(relu: bool = False):
    graph = Graph(
        (1, 5, 5),
        [
            Node("conv", Conv(3, (3, 3), padding=1)),
            Node("bn", BatchNorm()),
            Node("act", Activation("relu" if relu else "tanh")),
            Node("pool", MaxPool((2, 2))),
            Node("flat", Flatten()),
            Node("fc", Dense(2)),
        ],
    )
    params = random_parameters(graph, seed=11)
    rng = np.random.default_rng(11)
    x = np.round(rng.standard_normal((3, 1, 5, 5)) * 4) / 4
    y = np.round(evaluate(graph, params, x) * 32) / 32
    loss = GraphLoss(graph, x, y, "mse")
    return certify_graph_chord(loss, params, Permute("P_conv", (1, 0, 2)))


@pytest.mark.parametrize("relu", [False, True])
def test_prover_certificate_is_accepted(relu):
    cert = _cnn_certificate(relu)
    assert cert.proved
    result = check(_json(cert.to_dict()))
    assert result.accepted, result.reasons
    assert result.enclosures["barrier"][0] > 0
    for name, (lo, hi) in cert.enclosures.items():  # the prover's float64 enclosures hold the checker's
        assert lo <= result.enclosures[name][0] and result.enclosures[name][1] <= hi


def test_tampered_certificates_are_rejected():
    record = _cnn_certificate().to_dict()
    bad = json.loads(json.dumps(record))
    bad["points"]["B"] = bad["points"]["A"]  # A = B: the barrier is exactly 0
    bad["enclosures"] = {}
    result = check(_json(bad))
    assert not result.accepted and any("is not > 0" in r for r in result.reasons)
    bad = json.loads(json.dumps(record))
    bad["data"]["ys"][0][0] = "100"  # other data: the claimed enclosures no longer hold
    result = check(_json(bad))
    assert not result.accepted and any("does not contain" in r for r in result.reasons)
    bad = json.loads(json.dumps(record))
    bad["kind"] = "orbit"  # every kind is checked on graphs now: a chord relabelled lacks the orbit's mean
    with pytest.raises(CertificateFormatError, match="mean"):
        check(_json(bad))
    bad["kind"] = "curvature"  # a chord's claim under another kind's name
    with pytest.raises(CertificateFormatError, match="claims phi''"):
        check(_json(bad))
    bad = json.loads(json.dumps(record))
    bad["points"]["A"]["conv.weight"] = bad["points"]["A"]["conv.weight"][:2]
    with pytest.raises(CertificateFormatError, match="must have shape"):
        check(_json(bad))
    bad = json.loads(json.dumps(record))
    bad["network"]["graph"]["nodes"][0]["layer"]["type"] = "Gelu"
    with pytest.raises(CertificateFormatError, match="unknown layer type"):
        check(_json(bad))
    assert Fraction(record["enclosures"]["barrier"][0]) > 0


def test_budget_refuses_before_any_work():
    from symcert.checker.check import CertificateBudgetError

    record = _json(_cnn_certificate().to_dict())
    with pytest.raises(CertificateBudgetError, match="beyond the budget"):
        check(record, budget=1e-4)
    with pytest.raises(CertificateFormatError, match="arithmetic arb"):
        check(record, arithmetic="mpmath")


@pytest.mark.parametrize(
    "kind, last", [("cross_entropy", "softmax"), ("cross_entropy", None), ("bce", "sigmoid")]
)
def test_classification_losses_round_trip(kind, last):
    """Cross-entropy (after a softmax node, or on logits) and binary cross-entropy (after a sigmoid):
    the prover's certificate is accepted by the checker, which has its own formulas for each loss."""
    nodes = [
        Node("conv", Conv(3, (3, 3), padding=1)),
        Node("act", Activation("tanh")),
        Node("pool", MaxPool((2, 2))),
        Node("flat", Flatten()),
        Node("fc", Dense(2)),
    ]
    if last == "softmax":
        nodes.append(Node("out", Softmax()))
    elif last == "sigmoid":
        nodes.append(Node("out", Activation("sigmoid")))
    graph = Graph((1, 4, 4), nodes)
    params = random_parameters(graph, seed=2)
    x = np.round(np.random.default_rng(2).standard_normal((6, 1, 4, 4)) * 4) / 4
    logits = evaluate_all(graph, params, x)["fc"]
    y = np.eye(2, dtype=int)[logits.argmax(1)] if kind == "cross_entropy" else (logits > 0).astype(int)
    loss = GraphLoss(graph, x, y, kind)
    element, _ = best_graph_element(loss, params)
    cert = certify_graph_chord(loss, params, element)
    assert cert.proved, cert.enclosures
    record = cert.to_dict()
    assert record["network"]["output_activation"] == ("sigmoid" if kind == "bce" else "softmax")
    result = check(_json(record))
    assert result.accepted, result.reasons
