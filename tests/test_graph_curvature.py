"""The curvature and hessian kinds for layer graphs (issue 23): second-order jets along a segment through
a small CNN (conv, batch norm, tanh or ReLU, average pooling) and a small residual net (dense, tanh, add,
layer norm, softmax), built with onnx.helper. The prover's jets (verified float64 and Arb) contain a
float64 finite difference and the checker's own Taylor jets; proved certificates round-trip through
``symcert check`` (API and command line); tampered ones are rejected; max pooling is refused clearly."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest

pytest.importorskip("onnx")
from onnx import helper

import symcert.printing  # noqa: F401  (summary() prints through the printers)
from symcert.checker import check
from symcert.checker.graph.jets import graph_loss_jet
from symcert.checker.graph.spec import read_graph
from symcert.checker.reading import loads
from symcert.cli import main
from symcert.errors import SpecificationError
from symcert.models.onnx_import import load_onnx
from symcert.numeric.engine.backends import ArbBackend, F64Backend
from symcert.numeric.graph import GraphLoss, float_loss
from symcert.numeric.graph.jets import loss_jet_enclosure
from symcert.proofs.graph_curvature import best_jet_element, certify_graph_curvature, decayed_names
from symcert.symbolic.graph import (
    Activation,
    AveragePool,
    Conv,
    Dense,
    Flatten,
    Graph,
    Node,
    Permute,
    Reshape,
    Softmax,
    evaluate,
    graph_to_dict,
    random_parameters,
)
from tests.test_onnx_import import _cnn, _model

RNG = np.random.default_rng(7)


def _w(*shape: int, scale: float = 1.0) -> np.ndarray:
    return (RNG.standard_normal(shape) * scale).astype(np.float32)


def _small_cnn(activation: str = "Tanh") -> bytes:
    """conv 3x3 (1 -> 3, padded) -> batch norm -> activation -> average pool 2x2 -> global mean -> dense 2."""
    p = {
        "W1": _w(3, 1, 3, 3, scale=0.8),
        "B1": _w(3, scale=0.3),
        "g": 1 + _w(3, scale=0.1),
        "beta": _w(3, scale=0.2),
        "mu": _w(3, scale=0.2),
        "var": np.abs(_w(3)) + 0.5,
        "W2": _w(2, 3, scale=1.5),
        "B2": _w(2, scale=0.1),
    }
    nodes = [
        helper.make_node("Conv", ["input", "W1", "B1"], ["c"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node(
            "BatchNormalization", ["c", "g", "beta", "mu", "var"], ["bn"], name="bn", epsilon=1e-3
        ),
        helper.make_node(activation, ["bn"], ["a"], name="act"),
        helper.make_node("AveragePool", ["a"], ["ap"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("GlobalAveragePool", ["ap"], ["g2"], name="gap"),
        helper.make_node("Flatten", ["g2"], ["f"], name="flat"),
        helper.make_node("Gemm", ["f", "W2", "B2"], ["output"], name="fc", transB=1),
    ]
    return _model(nodes, p, [1, 8, 8], [2])


def _residual() -> bytes:
    """dense 4 -> tanh -> (dense 4 -> tanh) + skip -> layer norm -> dense 3 -> softmax."""
    p = {
        "W1": _w(4, 3),
        "B1": _w(4, scale=0.3),
        "W2": _w(4, 4, scale=0.5),
        "B2": _w(4, scale=0.1),
        "ls": 1 + _w(4, scale=0.1),
        "lb": _w(4, scale=0.1),
        "W3": _w(3, 4),
        "B3": _w(3, scale=0.1),
    }
    nodes = [
        helper.make_node("Gemm", ["input", "W1", "B1"], ["h"], name="fc1", transB=1),
        helper.make_node("Tanh", ["h"], ["a"], name="t1"),
        helper.make_node("Gemm", ["a", "W2", "B2"], ["h2"], name="fc2", transB=1),
        helper.make_node("Tanh", ["h2"], ["a2"], name="t2"),
        helper.make_node("Add", ["a", "a2"], ["r"], name="res"),
        helper.make_node("LayerNormalization", ["r", "ls", "lb"], ["n"], name="ln", epsilon=1e-3),
        helper.make_node("Gemm", ["n", "W3", "B3"], ["z"], name="fc3", transB=1),
        helper.make_node("Softmax", ["z"], ["output"], name="sm"),
    ]
    return _model(nodes, p, [3], [3])


def _seed(seed: int) -> None:
    global RNG  # each fixture its own draws, whatever runs first
    RNG = np.random.default_rng(seed)


def _cnn_loss(activation: str = "Tanh"):
    _seed(7)
    model = load_onnx(_small_cnn(activation))
    X = np.round(RNG.standard_normal((4, 1, 8, 8)) * 4) / 4
    y = np.round(evaluate(model.graph, model.params, X) * 64) / 64  # A nearly fits its data
    return GraphLoss(model.graph, X, y, "mse"), model.params


def _residual_loss():
    _seed(8)
    model = load_onnx(_residual())
    X = np.round(RNG.standard_normal((6, 3)) * 4) / 4
    y = np.eye(3)[evaluate(model.graph, model.params, X).argmax(1)]
    return GraphLoss(model.graph, X, y, "cross_entropy"), model.params


def _line(loss, A):
    """P = A + (B - A)/3 and D = B - A for B = A with its first two hidden channels swapped."""
    group = loss.graph.nodes[0].name
    size = loss.graph.shapes[group][0]
    element = Permute(f"P_{group}", (1, 0, *range(2, size)))
    B = certify_graph_curvature(loss, A, element).B
    A = loss.graph.check_parameters(A)
    return {k: A[k] + Fraction(1, 3) * (B[k] - A[k]) for k in A}, {k: B[k] - A[k] for k in A}


def _finite_differences(loss, P, D) -> tuple[float, float]:
    """phi'(0) and phi''(0) by Richardson-extrapolated central differences in float64 (evidence)."""
    p = {k: v.astype(float) for k, v in P.items()}
    d = {k: v.astype(float) for k, v in D.items()}

    def phi(s: float) -> float:
        return float_loss(loss, {k: p[k] + s * d[k] for k in p})

    def diffs(h: float) -> tuple[float, float]:
        return (phi(h) - phi(-h)) / (2 * h), (phi(h) - 2 * phi(0) + phi(-h)) / (h * h)

    (a1, a2), (b1, b2) = diffs(2e-5), diffs(1e-5)  # small: a ReLU kink may lie near the point
    return (4 * b1 - a1) / 3, (4 * b2 - a2) / 3


@pytest.mark.parametrize("make", [lambda: _cnn_loss("Tanh"), lambda: _cnn_loss("Relu"), _residual_loss])
def test_jets_agree_with_finite_differences_and_the_checker(make) -> None:
    loss, A = make()
    P, D = _line(loss, A)
    fd1, fd2 = _finite_differences(loss, P, D)
    (v0, v1), (d10, _), (d20, d21) = loss_jet_enclosure(F64Backend(), loss, P, D)
    assert v0 <= float_loss(loss, P) * (1 + 1e-12) + 1e-15 and float_loss(loss, P) <= v1 * (1 + 1e-12) + 1e-15
    assert 0 < v1 - v0 < 1e-9 and 0 < d21 - d20 < 1e-9
    assert abs(float(d10) - fd1) < 1e-7 * (1 + abs(fd1)) and abs(float(d20) - fd2) < 1e-4 * (1 + abs(fd2))
    (_, _), (_, _), (a0, a1) = loss_jet_enclosure(ArbBackend(30), loss, P, D)
    assert d20 <= a0 <= a1 <= d21  # Arb's 30 digits inside verified float64's enclosure
    checked = read_graph(loads(json.dumps(graph_to_dict(loss.graph))))
    point = {k: v.tolist() for k, v in P.items()}
    direction = {k: v.tolist() for k, v in D.items()}
    X, Y = loss.X.tolist(), loss.Y.tolist()
    ball = graph_loss_jet(checked, point, direction, X, Y, loss.kind, Fraction(1))[2]
    assert d20 <= Fraction(ball.mid().str(30, radius=False)) <= d21  # the checker's own jets agree


@pytest.mark.parametrize("kind", ["curvature", "hessian"])
@pytest.mark.parametrize("make", [_cnn_loss, _residual_loss])
def test_a_proved_certificate_round_trips_through_check(make, kind, tmp_path) -> None:
    loss, A = make()
    element, bend = best_jet_element(loss, A)
    assert bend < 0
    cert = certify_graph_curvature(loss, A, element, kind=kind)
    assert cert.status == "proved" and cert.decision.rung == "float64"
    quantity = "phi''(t0)" if kind == "curvature" else "dHd"
    assert cert.enclosures[quantity][1] < 0
    record = cert.to_dict()
    assert record["kind"] == kind and record["claim"]["quantity"] == quantity
    assert record["parameters"] == ({"t0": "1/2"} if kind == "curvature" else {})
    path = tmp_path / "cert.json"
    path.write_text(cert.to_json())
    result = check(str(path))
    assert result.accepted, result.reasons
    assert result.enclosures[quantity][1] < 0 and "checker's own graph jets" in result.reasons[-1]
    assert "PROVED" in cert.summary()


def test_tampered_certificates_are_rejected() -> None:
    loss, A = _residual_loss()
    t0 = Fraction(2, 5)
    cert = certify_graph_curvature(loss, A, best_jet_element(loss, A, t0)[0], t0=t0)
    assert cert.proved and cert.to_dict()["parameters"] == {"t0": "2/5"}
    good = cert.to_dict()
    assert check(good).accepted
    _, high = good["enclosures"]["phi''(t0)"]
    narrow = json.loads(json.dumps(good))
    narrow["enclosures"]["phi''(t0)"] = [high, high]  # an enclosure that misses the value
    result = check(narrow)
    assert not result.accepted and any("phi''(t0) does not contain" in r for r in result.reasons)
    moved = json.loads(json.dumps(good))
    moved["parameters"]["t0"] = "1/2"  # another point of the segment: its jet is another one
    assert not check(moved).accepted
    weights = json.loads(json.dumps(good))
    weights["points"]["A"]["fc3.weight"][0][0] = "5"
    assert not check(weights).accepted
    claimed = json.loads(json.dumps(good))
    claimed["status"] = "undecided"
    assert not check(claimed).accepted


def test_a_positive_curvature_is_refuted_not_proved() -> None:
    loss, A = _cnn_loss()
    cert = certify_graph_curvature(loss, A, Permute("P_conv", (1, 0, 2)), t0=0)
    if cert.status != "refuted":  # the fitted point A: a minimum along the segment near t = 0
        pytest.fail(f"expected phi''(0) > 0 at a fitted point, got {cert.status} {cert.enclosures}")
    assert not check(cert.to_dict()).accepted


def test_relu_jets_are_undecided_at_a_kink(tmp_path) -> None:
    loss, A = _cnn_loss("Relu")
    A = dict(loss.graph.check_parameters(A))
    A["conv.weight"] = A["conv.weight"] * 0  # every pre-activation is the bias alone ...
    A["bn.bias"] = A["bn.bias"] * 0
    A["bn.mean"] = A["bn.mean"] * 0 + A["conv.bias"]  # ... centred at 0 exactly: a kink at every pixel
    cert = certify_graph_curvature(loss, A, Permute("P_conv", (1, 0, 2)), dps=15)
    assert cert.status == "undecided" and any("ReLU pre-activation" in n for n in cert.notes)


def test_max_pooling_is_refused_clearly(tmp_path, capsys) -> None:
    model = load_onnx(_cnn()[0])
    X = np.round(RNG.standard_normal((2, 1, 8, 8)) * 4) / 4
    loss = GraphLoss(model.graph, X, np.eye(3)[[0, 1]], "cross_entropy")
    message = "max pooling has no second derivative at ties; use the chord kind"
    with pytest.raises(SpecificationError, match=message):
        certify_graph_curvature(loss, model.params, Permute("P_conv1", (1, 0, 2, 3)))
    onnx_path, data = tmp_path / "cnn.onnx", tmp_path / "data.npz"
    onnx_path.write_bytes(_cnn()[0])
    np.savez(data, X=X, y=np.eye(3)[[0, 1]])
    args = ["prove", "--model", str(onnx_path), "--data", str(data), "--loss", "cross_entropy"]
    assert main([*args, "--kind", "hessian"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_prove_and_check_from_the_command_line(tmp_path, capsys) -> None:
    loss, _ = _cnn_loss()
    onnx_path, data, out = tmp_path / "cnn.onnx", tmp_path / "data.npz", tmp_path / "cert.json"
    onnx_path.write_bytes(_small_cnn())
    np.savez(data, X=loss.X.astype(float), y=loss.Y.astype(float))
    code = main(
        ["prove", "--model", str(onnx_path), "--data", str(data), "--kind", "curvature", "--json", str(out)]
    )
    text = capsys.readouterr().out
    assert code == 0 and "phi''(t0)" in text and "PROVED" in text
    assert json.loads(out.read_text())["kind"] == "curvature"
    assert main(["check", str(out)]) == 0
    assert "ACCEPTED" in capsys.readouterr().out.upper()


def test_weight_decay_is_added_exactly_and_checked() -> None:
    loss, A = _residual_loss()
    element = best_jet_element(loss, A)[0]
    plain = certify_graph_curvature(loss, A, element)
    lam = Fraction(1, 1000)
    cert = certify_graph_curvature(loss, A, element, weight_decay=lam)
    D = {k: cert.B[k] - cert.A[k] for k in cert.A}
    names = decayed_names(loss.graph)
    assert names == tuple(loss.graph.parameter_shapes)  # no batch norm here: every parameter
    shift = 2 * lam * sum(v * v for k in names for v in D[k].ravel())
    (lo, hi), (plo, phi) = cert.enclosures["phi''(t0)"], plain.enclosures["phi''(t0)"]
    assert abs(lo - plo - shift) < Fraction(1, 10**20) and abs(hi - phi - shift) < Fraction(1, 10**20)
    record = cert.to_dict()
    assert record["loss"]["weight_decay"] == "1/1000" and record["loss"]["decayed"] == list(names)
    assert cert.proved and check(record).accepted
    fewer = json.loads(json.dumps(record))
    fewer["loss"]["decayed"] = fewer["loss"]["decayed"][1:]  # another loss: its jet is another one
    assert not check(fewer).accepted
    heavy = certify_graph_curvature(loss, A, element, weight_decay=1000)  # the penalty's curvature wins
    assert heavy.status == "refuted"
    with pytest.raises(SpecificationError, match="weight decay must be >= 0"):
        certify_graph_curvature(loss, A, element, weight_decay=-1)


def test_batch_norm_statistics_are_not_decayed(tmp_path, capsys) -> None:
    loss, _ = _cnn_loss()
    assert "bn.mean" not in decayed_names(loss.graph) and "bn.scale" in decayed_names(loss.graph)
    onnx_path, data = tmp_path / "cnn.onnx", tmp_path / "data.npz"
    onnx_path.write_bytes(_small_cnn())
    np.savez(data, X=loss.X.astype(float), y=loss.Y.astype(float))
    args = ["prove", "--model", str(onnx_path), "--data", str(data), "--weight-decay", "1/10000"]
    assert main(args) == 2
    assert "needs --kind curvature or --kind hessian" in capsys.readouterr().err
    assert main([*args, "--kind", "hessian"]) == 0
    assert "Weight decay: 1/10000" in capsys.readouterr().out


_MORE_LAYERS = {
    "leaky-cube-bce": (
        [Dense(3), Activation("leaky_relu:1/10"), Activation("cube"), Dense(2), Activation("sigmoid")],
        (2,),
        "bce",
        [[1, 0], [0, 1], [1, 1]],
    ),
    "hidden-softmax-mse": (
        [Dense(3), Activation("sigmoid"), Reshape((3, 1)), Softmax(axis=0), Flatten(), Dense(3), Softmax()],
        (2,),
        "mse",
        [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
    ),
    "square-padded-pool-sse": (
        [
            Conv(2, (2, 2)),
            Activation("square"),
            AveragePool((2, 2), (1, 1), padding=((1, 1), (1, 1)), count_include_pad=False),
            Flatten(),
            Dense(2),
        ],
        (1, 4, 4),
        "sse",
        [["1/2", -1], [0, "3/4"], [2, 1]],
    ),
}


@pytest.mark.parametrize("case", sorted(_MORE_LAYERS))
def test_prover_and_checker_jets_agree_on_more_layers(case) -> None:
    layers, shape, kind, Y = _MORE_LAYERS[case]
    graph = Graph(shape, [Node(f"n{i}", layer) for i, layer in enumerate(layers)])
    X = np.round(np.random.default_rng(1).standard_normal((3, *shape)) * 64) / 64 + 1 / 128
    loss = GraphLoss(graph, X, Y, kind)
    P, D = random_parameters(graph, seed=1), random_parameters(graph, seed=2)
    prover = loss_jet_enclosure(F64Backend(), loss, P, D)
    checked = read_graph(loads(json.dumps(graph_to_dict(graph))))
    point, direction = ({k: v.tolist() for k, v in p.items()} for p in (P, D))
    balls = graph_loss_jet(checked, point, direction, loss.X.tolist(), loss.Y.tolist(), kind, Fraction(1))
    for (lo, hi), ball in zip(prover, balls):
        mid = Fraction(ball.mid().str(40, radius=False))
        assert lo - Fraction(1, 10**12) <= mid <= hi + Fraction(1, 10**12) and hi - lo < 1e-9 * (1 + abs(hi))
