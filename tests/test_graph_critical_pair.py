"""The critical_pair kind on layer graphs (issue 23): teacher data of a piecewise-linear graph make ``A``
a global minimum exactly, ``B = g(A)`` another, and the graph jets decide ``phi'(t0) != 0`` between.

Models are built with onnx.helper: a CNN (conv, batch norm with ``eps = 0`` and square variances, ReLU,
average pooling, dense) and a residual conv net (conv, ReLU, conv, add, ReLU, global pooling, dense).
The checker's exact evaluation agrees with the prover's; round trips are accepted (API and command
line); data that are not teacher data, a tampered B and a claimed bound are rejected; a tanh graph is
refused in one line; a ReLU kink at ``z`` is reported undecided."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest

pytest.importorskip("onnx")
from onnx import helper

import symcert.printing  # noqa: F401  (summary() prints through the printers)
from symcert.checker import check
from symcert.checker.graph.exact import exact_outputs
from symcert.checker.graph.spec import read_graph, read_tensor
from symcert.cli import main
from symcert.errors import SpecificationError
from symcert.models.onnx_import import load_onnx
from symcert.numeric.graph import GraphLoss
from symcert.proofs.graph_critical_pair import certify_graph_critical_pair, teacher_targets
from symcert.symbolic.graph import (
    Activation,
    Dense,
    Graph,
    Node,
    Permute,
    evaluate,
    graph_to_dict,
    params_to_dict,
)
from tests.test_graph_curvature import _cnn_loss
from tests.test_onnx_import import _model


def _weights(seed: int):
    rng = np.random.default_rng(seed)

    def w(*shape: int, scale: float = 1.0) -> np.ndarray:
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    return rng, w


def _cnn() -> bytes:
    """conv 3x3 (1 -> 3) -> batch norm (eps 0, variances 1/4, 1, 4) -> relu -> average pool -> dense 2."""
    _, w = _weights(5)
    p = {"W1": w(3, 1, 3, 3), "B1": w(3, scale=0.3), "g": 1 + w(3, scale=0.1), "beta": w(3, scale=0.2)}
    p |= {"mu": w(3, scale=0.2), "var": np.array([0.25, 1.0, 4.0], np.float32), "W2": w(2, 27, scale=0.3)}
    p |= {"B2": w(2, scale=0.1)}
    nodes = [
        helper.make_node("Conv", ["input", "W1", "B1"], ["c"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node(
            "BatchNormalization", ["c", "g", "beta", "mu", "var"], ["bn"], name="bn", epsilon=0.0
        ),
        helper.make_node("Relu", ["bn"], ["a"], name="relu"),
        helper.make_node("AveragePool", ["a"], ["ap"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["ap"], ["f"], name="flat"),
        helper.make_node("Gemm", ["f", "W2", "B2"], ["output"], name="fc", transB=1),
    ]
    return _model(nodes, p, [1, 6, 6], [2])


def _residual() -> bytes:
    """conv (1 -> 3) -> relu -> conv (3 -> 3) -> add the skip -> relu -> global mean -> dense 2."""
    _, w = _weights(6)
    p = {"W1": w(3, 1, 3, 3), "B1": w(3, scale=0.3), "W2": w(3, 3, 3, 3, scale=0.4), "B2": w(3, scale=0.2)}
    p |= {"W3": w(2, 3, scale=1.5), "B3": w(2, scale=0.1)}
    nodes = [
        helper.make_node("Conv", ["input", "W1", "B1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Conv", ["r1", "W2", "B2"], ["c2"], name="conv2", pads=[1, 1, 1, 1]),
        helper.make_node("Add", ["r1", "c2"], ["s"], name="res"),
        helper.make_node("Relu", ["s"], ["t"], name="relu2"),
        helper.make_node("GlobalAveragePool", ["t"], ["g"], name="gap"),
        helper.make_node("Flatten", ["g"], ["f"], name="flat"),
        helper.make_node("Gemm", ["f", "W3", "B3"], ["output"], name="fc", transB=1),
    ]
    return _model(nodes, p, [1, 6, 6], [2])


MODELS = {"cnn": _cnn, "residual": _residual}


def _teacher(make: str):
    model = load_onnx(MODELS[make]())
    X = np.round(np.random.default_rng(3).standard_normal((5, 1, 6, 6)) * 4) / 4
    loss = GraphLoss(model.graph, X, teacher_targets(model.graph, model.params, X), "mse")
    return loss, model.params


def _proved(make: str):
    loss, A = _teacher(make)
    group = loss.graph.nodes[0].name
    for perm in ((1, 0, 2), (2, 1, 0), (0, 2, 1)):
        certificate = certify_graph_critical_pair(loss, A, Permute(f"P_{group}", perm))
        if certificate.proved:
            return certificate
    raise AssertionError("no swap was proved")


@pytest.mark.parametrize("make", list(MODELS))
def test_the_checkers_exact_evaluation_agrees_with_the_provers(make) -> None:
    loss, A = _teacher(make)
    graph = read_graph(graph_to_dict(loss.graph))
    record = json.loads(json.dumps(params_to_dict(A)))
    params = {k: read_tensor(v, graph.parameters[k], k) for k, v in record.items()}
    assert (
        exact_outputs(graph, params, loss.X.tolist())
        == evaluate(loss.graph, A, loss.X, arithmetic="exact").tolist()
    )
    assert np.allclose(
        np.asarray(loss.Y, dtype=float), evaluate(loss.graph, A, np.asarray(loss.X, dtype=float))
    )


@pytest.mark.parametrize("make", list(MODELS))
def test_a_proved_certificate_round_trips_through_check(make) -> None:
    certificate = _proved(make)
    low, high = certificate.enclosures["phi'(t0)"]
    assert low > 0 or high < 0
    assert certificate.enclosures["phi(t0)"][0] > 0  # z is not a minimum either
    result = check(json.loads(certificate.to_json()))
    assert result.accepted, result.reasons
    assert any("every output at A and at B equals its target exactly" in r for r in result.reasons)
    assert "z = A + t0 (B - A) with t0 = 1/4" in certificate.summary()


def test_data_that_are_not_teacher_data_are_refused_and_rejected() -> None:
    loss, A = _teacher("cnn")
    Y = np.array(loss.Y, dtype=object)
    Y[0, 0] += 1
    with pytest.raises(SpecificationError, match="not teacher data of A"):
        certify_graph_critical_pair(GraphLoss(loss.graph, loss.X, Y, "mse"), A, Permute("P_conv", (0, 2, 1)))
    record = json.loads(_proved("cnn").to_json())
    record["data"]["ys"][0][0] = str(Fraction(record["data"]["ys"][0][0]) + 1)
    result = check(record)
    assert not result.accepted and any("not teacher data of A" in r for r in result.reasons)


def test_a_tampered_b_and_a_claimed_bound_are_rejected() -> None:
    record = json.loads(_proved("cnn").to_json())
    record["points"]["B"]["fc.bias"][0] = str(Fraction(record["points"]["B"]["fc.bias"][0]) + 1)
    result = check(record)
    assert not result.accepted and any("not teacher data of B" in r for r in result.reasons)
    record = json.loads(_proved("cnn").to_json())
    _, high = record["enclosures"]["phi'(t0)"]
    record["enclosures"]["phi'(t0)"] = [high, str(Fraction(high) + 1)]
    result = check(record)
    assert not result.accepted and any("claimed enclosure" in r for r in result.reasons)


def test_a_graph_without_exact_outputs_is_refused_in_one_line() -> None:
    loss, A = _cnn_loss("Tanh")  # tanh, and a batch norm whose var + eps is no square
    with pytest.raises(SpecificationError, match="needs exact outputs") as error:
        teacher_targets(loss.graph, A, loss.X)
    assert "\n" not in str(error.value)


def test_a_relu_kink_at_z_is_undecided_and_not_accepted() -> None:
    g = Graph((1,), [Node("fc1", Dense(2)), Node("r", Activation("relu")), Node("fc2", Dense(1))])
    A = {"fc1.weight": [[-2], [1]], "fc1.bias": [1, 0], "fc2.weight": [[1, 2]], "fc2.bias": [0]}
    X = np.array([[-1], [0], [1], [2]], dtype=object)  # at z, the second unit's input is 0 at x = -1
    loss = GraphLoss(g, X, teacher_targets(g, A, X), "mse")
    certificate = certify_graph_critical_pair(loss, A, Permute("P_fc1", (1, 0)))
    assert certificate.status == "undecided"
    assert any("contained 0 at z" in note for note in certificate.notes)
    assert not check(certificate.to_dict()).accepted


def test_the_command_line_proves_and_checks(tmp_path, capsys) -> None:
    loss, _ = _teacher("residual")
    model, data, out = tmp_path / "res.onnx", tmp_path / "d.npz", tmp_path / "cp.json"
    model.write_bytes(_residual())
    np.savez(data, X=np.asarray(loss.X, dtype=float), y=np.zeros((loss.n_points, 2)))
    args = [
        "prove",
        "--model",
        str(model),
        "--data",
        str(data),
        "--kind",
        "critical_pair",
        "--json",
        str(out),
    ]
    code = main(args)
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "the file's y are not used" in printed and "Verdict: PROVED" in printed
    assert main(["check", str(out)]) == 0
