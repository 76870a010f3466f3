"""A unique critical point on layer graphs (Krawczyk from the graph's jets), and its independent check.

The prover refines an approximation by damped Newton in float64 and proves ``K(X)`` inside ``X`` with the
Hessian enclosed over the box by second-order jets with interval parameters; the checker recomputes the
gradient, the Hessian enclosure and the margin with its own Arb jets. A tampered statement (radius,
centre, data, claimed margin, status) is rejected; a kink (ReLU, max pooling) is refused in one line.
"""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest

pytest.importorskip("onnx")
from onnx import helper

from symcert.checker import check
from symcert.cli import main
from symcert.errors import SpecificationError
from symcert.models.onnx_import import load_onnx
from symcert.numeric.engine.backends import F64Backend
from symcert.numeric.graph import GraphLoss
from symcert.numeric.graph.hessian import coordinates, hessian_enclosure, trainable
from symcert.proofs.graph_critical import certify_graph_critical_point
from symcert.symbolic.graph import Activation, Conv, Dense, Flatten, GlobalAveragePool, Graph, Node, evaluate
from tests.test_onnx_import import _model

#: A minimum of the tiny CNN's loss found offline by BFGS (6 digits; Newton refines it).
APPROX = [0.385387, 1.025032, 0.462132, -1.503224, 1.385163, 0.776282, -0.768635]
APPROX += [0.930521, 0.138359, 0.454409, 1.758276, -1.10096, 0.399107]


def _tiny_cnn() -> Graph:
    return Graph(
        (1, 3, 3),
        [
            Node("conv", Conv(2, (2, 2))),
            Node("act", Activation("tanh")),
            Node("pool", GlobalAveragePool()),
            Node("flat", Flatten()),
            Node("fc", Dense(1)),
        ],
    )


def _cnn_loss() -> tuple[GraphLoss, dict]:
    """16 images 3x3 (entries in halves), targets from a teacher CNN plus noise, in sixteenths."""
    g = _tiny_cnn()
    rng = np.random.default_rng(1)
    teacher = {
        "conv.weight": rng.normal(size=(2, 1, 2, 2)) * 1.5,
        "conv.bias": rng.normal(size=2) * 0.5,
        "fc.weight": np.array([[1.5, -1.0]]),
        "fc.bias": np.array([0.25]),
    }
    X = rng.integers(-2, 3, size=(16, 1, 3, 3)) / 2
    y = np.round(evaluate(g, teacher, X) * 16 + rng.integers(-1, 2, size=(16, 1))) / 16
    x, approx = np.array(APPROX), {}
    for name, shape in g.parameter_shapes.items():
        size = int(np.prod(shape))
        approx[name], x = x[:size].reshape(shape), x[size:]
    return GraphLoss(g, X, y, "mse"), approx


def _onnx(approx: dict) -> bytes:
    f = {k: np.asarray(v, dtype=np.float32) for k, v in approx.items()}
    inits = {"W1": f["conv.weight"], "B1": f["conv.bias"], "W2": f["fc.weight"], "B2": f["fc.bias"]}
    nodes = [
        helper.make_node("Conv", ["input", "W1", "B1"], ["c"], name="conv"),
        helper.make_node("Tanh", ["c"], ["a"], name="act"),
        helper.make_node("GlobalAveragePool", ["a"], ["g"], name="pool"),
        helper.make_node("Flatten", ["g"], ["h"], name="flat"),
        helper.make_node("Gemm", ["h", "W2", "B2"], ["output"], name="fc", transB=1),
    ]
    return _model(nodes, inits, [1, 3, 3], [1])


def _mlp_loss() -> tuple[GraphLoss, dict]:
    """A 1-1-1 tanh network as a graph on six points (4 parameters: fast)."""
    g = Graph((1,), [Node("fc1", Dense(1)), Node("t", Activation("tanh")), Node("fc2", Dense(1))])
    loss = GraphLoss(g, [[-2], [-1], [0], [1], [2], [3]], [[-1], [-1], [0], [1], [2], [2]], "mse")
    return loss, {"fc1.weight": [[0.798]], "fc1.bias": [-0.399], "fc2.weight": [[1.633]], "fc2.bias": [0.5]}


@pytest.fixture(scope="module")
def mlp_record() -> dict:
    loss, approx = _mlp_loss()
    found = certify_graph_critical_point(loss, approx, max_move=None)
    assert found.status == "proved" and found.margin is not None and found.margin < 0
    return found.to_dict()


def test_cnn_round_trip_from_the_command_line(tmp_path, capsys) -> None:
    loss, approx = _cnn_loss()
    model, data, out = tmp_path / "cnn.onnx", tmp_path / "data.npz", tmp_path / "cert.json"
    model.write_bytes(_onnx(approx))
    np.savez(data, X=loss.X.astype(float), y=loss.Y.astype(float))
    args = ["prove", "--model", str(model), "--data", str(data), "--kind", "unique_critical_point"]
    assert main([*args, "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "proved: grad L has exactly one zero" in text and "13 trainable parameters" in text
    record = json.loads(out.read_text())
    assert record["kind"] == "unique_critical_point" and record["parameters"]["variables"] == list(
        load_onnx(model.read_bytes()).graph.parameter_shapes
    )
    assert main(["check", str(out)]) == 0
    assert "re-proved: K(X) lies inside X" in capsys.readouterr().out


def test_the_hessian_over_a_box_encloses_the_hessian_at_its_points() -> None:
    loss, approx = _cnn_loss()
    g = loss.graph
    P = g.check_parameters({k: np.vectorize(Fraction, otypes=[object])(v) for k, v in approx.items()})
    coords = coordinates(g, trainable(g))[:4] + coordinates(g, trainable(g))[-2:]
    r = Fraction(1, 2**12)
    lo, hi = hessian_enclosure(F64Backend(), loss, P, coords, r)
    shifted = {k: v.copy() for k, v in P.items()}
    for k, (name, index) in enumerate(coords):
        shifted[name][index] += r * (1 if k % 2 else -1)  # a corner of the box
    for point in (P, shifted):
        at_lo, at_hi = hessian_enclosure(F64Backend(), loss, point, coords)
        assert all(
            a <= b and c <= d
            for ra, rb, rc, rd in zip(lo, at_lo, at_hi, hi)
            for a, b, c, d in zip(ra, rb, rc, rd)
        )
    assert max(float(h - l) for rl, rh in zip(lo, hi) for l, h in zip(rl, rh)) > 0  # a box, not a point


def test_mlp_graph_round_trip(mlp_record) -> None:
    result = check(json.loads(json.dumps(mlp_record)))
    assert result.accepted, result.reasons
    assert result.enclosures["margin"][1] < 0


def _move(values: list) -> None:
    """The centre moved away from the critical point by 1/1000 in one coordinate."""
    values[0] = str(Fraction(values[0]) + Fraction(1, 1000))


def _tampered(record: dict, change) -> dict:
    copy = json.loads(json.dumps(record))
    change(copy)
    return copy


@pytest.mark.parametrize(
    "change, reason",
    [
        (lambda r: r["parameters"].update(radius=f"1/{10**30}"), "does not lie inside"),
        (lambda r: _move(r["points"]["A"]["fc2.bias"]), "does not lie inside"),
        (lambda r: r["data"]["ys"][0].__setitem__(0, "-3/4"), "does not lie inside"),
        (lambda r: r["enclosures"].update(margin=[r["enclosures"]["margin"][0], "-1"]), "claimed enclosure"),
        (lambda r: r.update(status="undecided"), "status"),
        (lambda r: r["parameters"].update(radius="0"), "radius 0"),
    ],
)
def test_a_tampered_statement_is_rejected(mlp_record, change, reason) -> None:
    record = _tampered(mlp_record, change)
    result = check(record)
    assert not result.accepted
    assert any(reason in line for line in result.reasons), result.reasons


def test_a_point_far_from_a_critical_point_is_refused() -> None:
    loss, _ = _mlp_loss()
    far = {"fc1.weight": [[3.0]], "fc1.bias": [1.0], "fc2.weight": [[-2.0]], "fc2.bias": [0.0]}
    with pytest.raises(SpecificationError, match="not near a critical point"):
        certify_graph_critical_point(loss, far, newton_steps=1)


def test_a_duplicated_unit_is_not_isolated() -> None:
    loss, approx = _mlp_loss()
    narrow = certify_graph_critical_point(loss, approx, max_move=None).center
    wide = Graph((1,), [Node("fc1", Dense(2)), Node("t", Activation("tanh")), Node("fc2", Dense(1))])
    a = float(narrow["fc2.weight"][0][0])
    lifted = {
        "fc1.weight": [[float(narrow["fc1.weight"][0][0])]] * 2,
        "fc1.bias": [float(narrow["fc1.bias"][0])] * 2,
        "fc2.weight": [[a / 2, a / 2]],  # the outgoing weight split 1/2, 1/2: a line of critical points
        "fc2.bias": [float(narrow["fc2.bias"][0])],
    }
    found = certify_graph_critical_point(GraphLoss(wide, loss.X, loss.Y, "mse"), lifted)
    assert found.status == "not isolated" and not found.enclosures


def test_kinks_are_refused_in_one_line(tmp_path, capsys) -> None:
    g = Graph((1,), [Node("fc1", Dense(2)), Node("r", Activation("relu")), Node("fc2", Dense(1))])
    loss = GraphLoss(g, [[1], [2]], [[0], [1]], "mse")
    with pytest.raises(SpecificationError, match="smooth loss: relu \\(node r\\) has a kink"):
        certify_graph_critical_point(
            loss, {"fc1.weight": [[1], [1]], "fc1.bias": [0, 0], "fc2.weight": [[1, 1]], "fc2.bias": [0]}
        )


def test_an_mlp_is_sent_to_symcert_saddle(capsys) -> None:
    assert main(["prove", "--kind", "unique_critical_point"]) == 2
    err = capsys.readouterr().err
    assert "take an ONNX model" in err and err.count("\n") == 1
