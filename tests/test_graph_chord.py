"""The chord certificate for layer graphs, from ONNX models built with onnx.helper: proved for a small
CNN at a point that fits its data (a swap of two conv channels), through the API and through
``symcert prove --model FILE.onnx --data FILE.npz`` (and ``symcert check`` accepts it); the loss
enclosure at an imported model contains an independent numpy float64 evaluation (and onnxruntime's,
to float32 rounding)."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest

pytest.importorskip("onnx")
from onnx import helper

from symcert.cli import main
from symcert.errors import SpecificationError
from symcert.models.onnx_import import load_onnx
from symcert.numeric.engine.backends import ArbBackend, F64Backend
from symcert.numeric.graph import GraphLoss, enclose_graph, float_loss, loss_enclosure
from symcert.proofs.graph_chord import best_graph_element, certify_graph_chord
from symcert.symbolic.graph import Flip, Permute, evaluate
from tests.test_onnx_import import _cnn, _cnn_numpy, _model, _ort

RNG = np.random.default_rng(23)


def _small_cnn(activation: str = "Tanh", channels: int = 3) -> bytes:
    """conv 3x3 (1 -> channels, padded) -> activation -> global average pool -> flatten -> dense 2."""
    p = {
        "W1": (RNG.standard_normal((channels, 1, 3, 3)) * 0.8).astype(np.float32),
        "B1": (RNG.standard_normal(channels) * 0.3).astype(np.float32),
        "W2": (RNG.standard_normal((2, channels)) * 1.5).astype(np.float32),
        "B2": (RNG.standard_normal(2) * 0.1).astype(np.float32),
    }
    nodes = [
        helper.make_node("Conv", ["input", "W1", "B1"], ["c"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node(activation, ["c"], ["a"], name="act"),
        helper.make_node("GlobalAveragePool", ["a"], ["g"], name="gap"),
        helper.make_node("Flatten", ["g"], ["f"], name="flat"),
        helper.make_node("Gemm", ["f", "W2", "B2"], ["output"], name="fc", transB=1),
    ]
    return _model(nodes, p, [1, 8, 8], [2])


def _fitted_data(model, n: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """A few 8x8 images and targets near the model's own outputs (so A nearly fits: L(A) small)."""
    X = np.round(RNG.standard_normal((n, 1, 8, 8)) * 4) / 4
    y = np.round(evaluate(model.graph, model.params, X) * 64) / 64
    return X, y


@pytest.mark.parametrize("activation", ["Tanh", "Relu"])
def test_chord_proved_for_a_cnn_by_a_channel_swap(activation: str) -> None:
    model = load_onnx(_small_cnn(activation))
    X, y = _fitted_data(model)
    loss = GraphLoss(model.graph, X, y, "mse")
    element = Permute("P_conv", (1, 0, 2))
    cert = certify_graph_chord(loss, model.params, element)
    assert cert.status == "proved" and cert.decision.rung == "float64"
    LA, LB, LM = cert.enclosures["L(A)"], cert.enclosures["L(B)"], cert.enclosures["L(M)"]
    assert LM[0] > (LA[1] + LB[1]) / 2  # decided on all three enclosures
    assert cert.B["conv.weight"][0].tolist() == model.params["conv.weight"][1].tolist()  # the swap
    assert cert.B["fc.weight"][:, 0].tolist() == model.params["fc.weight"][:, 1].tolist()
    record = cert.to_dict()
    assert record["kind"] == "chord" and record["element"] == "permute:P_conv:1,0,2"
    assert record["network"]["graph"]["nodes"][0]["layer"]["type"] == "Conv"
    assert record["points"]["B"]["conv.bias"][0] == str(model.params["conv.bias"][1])
    assert np.array(record["data"]["xs"]).shape == (4, 1, 8, 8)


def test_the_search_finds_a_swap_and_a_refuted_flip_is_honest() -> None:
    model = load_onnx(_small_cnn("Tanh"))
    X, y = _fitted_data(model)
    loss = GraphLoss(model.graph, X, y, "mse")
    element, gap = best_graph_element(loss, model.params)
    assert gap > 0 and isinstance(element, (Permute, Flip))
    assert certify_graph_chord(loss, model.params, element).proved
    # the same point with itself (the identity permutation): barrier exactly 0, never "proved"
    same = certify_graph_chord(loss, model.params, Permute("P_conv", (0, 1, 2)))
    assert same.status != "proved"


def test_relu_refuses_a_sign_flip() -> None:
    model = load_onnx(_small_cnn("Relu"))
    X, y = _fitted_data(model)
    loss = GraphLoss(model.graph, X, y, "mse")
    with pytest.raises(SpecificationError, match="not a symmetry"):
        certify_graph_chord(loss, model.params, Flip("P_conv", 0, (-1, 1, 1)))


def test_loss_enclosure_contains_numpy_and_onnxruntime() -> None:
    data, raw = _cnn()
    model = load_onnx(data)
    x = RNG.standard_normal((5, 1, 8, 8)).astype(np.float32).astype(np.float64)
    labels = np.array([0, 2, 1, 1, 0])
    y = np.eye(3, dtype=int)[labels]
    loss = GraphLoss(model.graph, x, y, "cross_entropy")
    assert loss.logits_name() == "fc" and loss.output == "softmax"
    probabilities = _cnn_numpy(raw, x)  # independent float64 evaluation, op by op
    reference = float(np.mean(-np.log(probabilities[np.arange(5), labels])))
    lo, hi = loss_enclosure(F64Backend(), loss, model.params)  # a priori bounds: wider than numpy's error
    assert lo <= Fraction(reference) <= hi and hi - lo < Fraction(1, 10**10)
    alo, ahi = loss_enclosure(ArbBackend(30), loss, model.params)  # 30 digits: inside, far tighter
    assert lo <= alo <= ahi <= hi and ahi - alo < Fraction(1, 10**25)
    assert abs(float(alo) - reference) < 1e-13
    assert float_loss(loss, model.params) == pytest.approx(reference, rel=1e-12)
    ort = _ort(data, x)
    if ort is not None:  # onnxruntime in float32: within float32 rounding of the enclosure
        bk = F64Backend()
        with bk.active():
            out = enclose_graph(bk, model.graph, model.params, x)["softmax"]
        assert np.all(out.lo - 1e-5 <= ort) and np.all(ort <= out.hi + 1e-5)


def _write(tmp_path, activation: str = "Tanh", flat: bool = False):
    data = _small_cnn(activation)
    model = load_onnx(data)
    X, y = _fitted_data(model)
    onnx_path, npz_path = tmp_path / "cnn.onnx", tmp_path / "data.npz"
    onnx_path.write_bytes(data)
    np.savez(npz_path, X=X.reshape(len(X), -1) if flat else X, y=y)
    return onnx_path, npz_path


def test_prove_command_on_an_onnx_model_and_check(tmp_path, capsys) -> None:
    onnx_path, npz_path = _write(tmp_path, flat=True)  # flat rows: reshaped to (1, 8, 8)
    out = tmp_path / "cert.json"
    args = ["prove", "--model", str(onnx_path), "--data", str(npz_path), "--json", str(out), "--quiet"]
    assert main([*args, "--element", "permute:P_conv:1,0,2"]) == 0
    text = capsys.readouterr().out
    assert "Verdict: PROVED" in text and "Conv(3" in text
    assert "Invariance: L(g theta) = L(theta) for all theta, g = permute:P_conv:1,0,2: proved" in text
    record = json.loads(out.read_text())
    assert record["kind"] == "chord" and record["network"]["graph"]["format"] == "symcert-graph"
    assert main(["check", str(out)]) == 0  # the independent checker, its own graph evaluation in Arb
    assert "ACCEPTED: chord certificate" in capsys.readouterr().out
    assert main(args) == 0  # the element found by the float64 search
    assert "Symmetry:" in capsys.readouterr().out


def test_prove_command_data_errors_are_one_line(tmp_path, capsys) -> None:
    onnx_path, npz_path = _write(tmp_path)
    np.savez(tmp_path / "bad.npz", X=np.zeros((4, 63)), y=np.zeros((4, 2)))
    assert main(["prove", "--model", str(onnx_path), "--data", str(tmp_path / "bad.npz")]) == 2
    err = capsys.readouterr().err
    assert "X has shape (4, 63), but the model takes inputs of shape (1, 8, 8)" in err
    assert err.strip().count("\n") == 0
    assert main(["prove", "--model", str(onnx_path)]) == 2
    assert "needs --data FILE.npz" in capsys.readouterr().err
    bad = ["prove", "--model", str(onnx_path), "--data", str(npz_path), "--element", "permute:P_x:1,0"]
    assert main(bad) == 2
    assert "this model's groups are P_conv" in capsys.readouterr().err
    assert main(["prove", "--model", str(onnx_path), "--data", str(npz_path), "--activation", "tanh"]) == 2
    assert "--activation is not available with an ONNX model" in capsys.readouterr().err


def test_residual_net_with_norms_round_trip() -> None:
    """A residual conv1d net (batch norm, skip add, layer norm, leaky ReLU, sigmoid output): the loss
    encloses the independent numpy value, and the chord for a swap in the residual stream (conv1 and
    conv2 together, tied by the add) is proved and accepted by the checker."""
    from symcert.checker import check
    from symcert.checker.reading import loads
    from tests.test_onnx_import import _residual, _residual_numpy

    data, raw = _residual()
    model = load_onnx(data)
    X = np.round(RNG.standard_normal((5, 2, 6)) * 8) / 8
    y = np.round(_residual_numpy(raw, X) * 64) / 64
    loss = GraphLoss(model.graph, X, y, "mse")
    assert loss.output == "sigmoid"
    reference = float(np.mean((_residual_numpy(raw, X) - y) ** 2))
    lo, hi = loss_enclosure(F64Backend(), loss, model.params)
    alo, ahi = loss_enclosure(ArbBackend(40), loss, model.params)
    assert lo <= alo <= ahi <= hi and ahi - alo < Fraction(1, 10**30)
    # numpy's own rounding (the residuals nearly cancel) is ~1e-11 relative here, beyond the enclosure
    assert abs(reference - float(alo)) < 1e-9 * reference
    cert = certify_graph_chord(loss, model.params, Permute("P_conv1", (1, 0, 3, 2)))
    assert cert.proved
    result = check(loads(json.dumps(cert.to_dict())))
    assert result.accepted, result.reasons


def test_arb_rungs_are_skipped_where_they_would_take_too_long(monkeypatch) -> None:
    """A chord the float64 rung cannot decide (A = B: the barrier is exactly 0) climbs to Arb on a
    small graph, and stops at float64, saying why, where Arb is estimated beyond the time limit."""
    import symcert.proofs.graph_chord as module

    model = load_onnx(_small_cnn("Tanh"))
    X, y = _fitted_data(model)
    loss = GraphLoss(model.graph, X, y, "mse")
    same = Permute("P_conv", (0, 1, 2))
    climbed = certify_graph_chord(loss, model.params, same, dps=15)
    assert climbed.status == "undecided" and climbed.decision.rung == "arb"
    monkeypatch.setattr(module, "MAX_PROVE_SECONDS", 1e-9)
    stopped = certify_graph_chord(loss, model.params, same, dps=15)
    assert stopped.status == "undecided" and stopped.decision.rung == "float64"
    assert any("Arb rungs were skipped" in note for note in stopped.notes)


def test_candidates_come_from_every_group_in_turn() -> None:
    from symcert.proofs.graph_chord import MAX_CANDIDATES, candidate_elements
    from symcert.symbolic.graph import Activation as Act
    from symcert.symbolic.graph import Conv, Dense, Flatten, GlobalAveragePool, Graph, Node

    graph = Graph(
        (1, 4, 4),
        [
            Node("c1", Conv(8, (3, 3), padding=1)),
            Node("a1", Act("tanh")),
            Node("c2", Conv(8, (3, 3), padding=1)),
            Node("a2", Act("relu")),
            Node("pool", GlobalAveragePool()),
            Node("flat", Flatten()),
            Node("fc", Dense(2)),
        ],
    )
    loss = GraphLoss(graph, np.zeros((1, 1, 4, 4), dtype=int), [[0, 0]], "mse")
    found = candidate_elements(loss)
    assert len(found) == MAX_CANDIDATES
    assert {e.group for e in found[:2]} == {"P_c1", "P_c2"}  # one from each group first
    assert any(isinstance(e, Flip) and e.group == "P_c1" for e in found)  # tanh: flips of c1
    assert not any(isinstance(e, Flip) and e.group == "P_c2" for e in found)  # relu: none for c2
