"""The certified barrier between two networks of one layer graph: prove -> JSON -> the checker's own Arb
re-proof, for ONNX models built with onnx.helper (a CNN with relu and max pooling, by their slope rules,
and a tanh residual net: both with the mean-value form), against an independent float64 grid, tampering,
and ``B == A``."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest

pytest.importorskip("onnx")
from onnx import helper, numpy_helper

from symcert.checker import check
from symcert.checker.reading import loads
from symcert.cli import main
from symcert.models.onnx_import import load_onnx
from symcert.numeric.graph import GraphLoss, float_loss
from symcert.numeric.graph.segment import has_tangent
from symcert.proofs.graph_barrier import certify_graph_barrier
from tests.test_onnx_import import _cnn, _model, _w


def _json(value):
    return loads(json.dumps(value))  # as the checker reads files


def _residual_tanh() -> bytes:
    """conv -> tanh -> conv -> add (skip) -> tanh -> global average pool -> flatten -> gemm (logits)."""
    rng = np.random.default_rng(0)  # its own generator: the same model whatever ran before
    p = {
        k: _w(*shape, rng=rng)
        for k, shape in (("W1", (3, 2, 3)), ("B1", (3,)), ("W2", (3, 3, 3)), ("W3", (2, 3)), ("B3", (2,)))
    }
    nodes = [
        helper.make_node("Conv", ["input", "W1", "B1"], ["c1"], name="conv1", pads=[1, 1]),
        helper.make_node("Tanh", ["c1"], ["t1"], name="tanh1"),
        helper.make_node("Conv", ["t1", "W2"], ["c2"], name="conv2", pads=[1, 1]),
        helper.make_node("Add", ["t1", "c2"], ["s"], name="skip"),
        helper.make_node("Tanh", ["s"], ["t2"], name="tanh2"),
        helper.make_node("GlobalAveragePool", ["t2"], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["f"], name="flat"),
        helper.make_node("Gemm", ["f", "W3", "B3"], ["output"], name="fc", transB=1),
    ]
    return _model(nodes, p, [2, 5], [2])


def _other(data: bytes, seed: int) -> bytes:
    """The same model with every float initializer moved (another 'training')."""
    import onnx

    model = onnx.load_from_string(data)
    rng = np.random.default_rng(seed)
    for init in model.graph.initializer:
        a = numpy_helper.to_array(init)
        if a.dtype == np.float32 and init.name not in ("var",):
            a = (a + rng.standard_normal(a.shape).astype(np.float32) * 0.5).astype(np.float32)
        init.CopyFrom(numpy_helper.from_array(a, init.name))
    return model.SerializeToString()


def _problem(which: str):
    rng = np.random.default_rng(5)
    if which == "cnn":
        data = _cnn()[0]
        X = np.round(rng.standard_normal((2, 1, 8, 8)) * 4) / 4
        kind = "cross_entropy"
    else:
        data = _residual_tanh()
        X = np.round(rng.standard_normal((3, 2, 5)) * 4) / 4
        kind = "cross_entropy"
    a, b = load_onnx(data), load_onnx(_other(data, 7))
    classes = a.graph.shapes[a.graph.output][0]
    Y = np.eye(classes, dtype=int)[np.arange(len(X)) % classes]
    return GraphLoss(a.graph, X, Y, kind), a.params, b.params, data


def _grid_gap(loss, A, B, n=65):
    ts = np.linspace(0, 1, n)
    values = [float_loss(loss, {k: A[k] + (B[k] - A[k]) * Fraction(t) for k in A}) for t in ts]
    return max(v - ((1 - t) * values[0] + t * values[-1]) for t, v in zip(ts, values))


@pytest.mark.parametrize(
    "which, tol, tangent", [("cnn", Fraction(1, 4), True), ("residual", Fraction(1, 50), True)]
)
def test_round_trip_and_float64_grid(which, tol, tangent):
    loss, A, B, _ = _problem(which)
    assert has_tangent(loss) is tangent  # relu and max pooling: slope rules; tanh: its derivative
    result = certify_graph_barrier(loss, A, B, tol=tol)
    assert result.proved and result.hi - result.lo <= tol
    grid = _grid_gap(loss, A, B)  # an independent float64 evaluation (evidence, with float slack)
    assert result.lo - 1e-9 <= max(grid, result.lo) and grid <= float(result.hi) + 1e-9
    assert float(result.lo) <= grid + float(tol) + 1e-9  # the grid's maximum is near the certified one
    record = result.to_dict()
    assert record["network"]["graph"]["format"] == "symcert-graph" and record["kind"] == "barrier"
    verdict = check(_json(record))
    assert verdict.accepted, verdict.reasons
    for name in ("L(A)", "L(B)"):
        lo, hi = (Fraction(v) for v in record["enclosures"][name])
        assert lo <= verdict.enclosures[name][0] and verdict.enclosures[name][1] <= hi


def test_tampered_bounds_are_rejected():
    loss, A, B, _ = _problem("residual")
    record = certify_graph_barrier(loss, A, B, tol=Fraction(1, 20)).to_dict()
    bad = json.loads(json.dumps(record))
    pieces = bad["parameters"]["pieces"]
    k = max(range(len(pieces)), key=lambda i: Fraction(pieces[i][2]))  # the piece holding the maximum
    pieces[k][2] = str(Fraction(pieces[k][2]) - 1)
    verdict = check(_json(bad))
    assert not verdict.accepted and any("exceeds the claimed" in r for r in verdict.reasons)
    bad = json.loads(json.dumps(record))
    bad["enclosures"]["barrier"][0] = str(Fraction(bad["enclosures"]["barrier"][1]) + 1)  # lo above the max
    verdict = check(_json(bad))
    assert not verdict.accepted and any("witness" in r for r in verdict.reasons)
    bad = json.loads(json.dumps(record))
    bad["parameters"]["pieces"] = bad["parameters"]["pieces"][1:]  # [0, 1] no longer covered
    verdict = check(_json(bad))
    assert not verdict.accepted and any("not at 0" in r for r in verdict.reasons)


def test_barrier_of_a_network_with_itself_is_exactly_zero():
    """B == A: the path is constant, g is identically 0, so the barrier is 0 exactly (no enclosure)."""
    loss, A, _, _ = _problem("residual")
    result = certify_graph_barrier(loss, A, A)
    assert result.exact and result.lo == result.hi == 0 and result.proved
    record = result.to_dict()
    assert check(_json(record)).accepted
    record["parameters"]["pieces"][0][2] = "-1/1000"  # g = 0 there: a negative bound is false
    verdict = check(_json(record))
    assert not verdict.accepted and any("exactly 0" in r for r in verdict.reasons)


def test_cli_barrier_on_onnx_models_and_check(tmp_path, capsys):
    loss, _, _, data = _problem("residual")
    (tmp_path / "a.onnx").write_bytes(data)
    (tmp_path / "b.onnx").write_bytes(_other(data, 7))
    X = np.asarray(loss.X, dtype=np.float32)
    np.savez(tmp_path / "d.npz", X=X, y=np.arange(len(X)) % 2)
    out = tmp_path / "barrier.json"
    argv = ["barrier", "--model", str(tmp_path / "a.onnx"), "--model", str(tmp_path / "b.onnx")]
    argv += ["--data", str(tmp_path / "d.npz"), "--loss", "cross_entropy", "--tol", "1/20", "--quiet"]
    assert main([*argv, "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Barrier: [" in printed and "(proved" in printed
    assert main(["check", str(out)]) == 0
    capsys.readouterr()
    assert main([*argv, "--align", "--json", str(out)]) == 0  # weight matching, then both barriers
    printed = capsys.readouterr().out
    assert "Alignment: g = " in printed and "Barrier after alignment:" in printed
    for name in ("before", "after"):
        assert main(["check", str(tmp_path / f"barrier.{name}.json")]) == 0
    assert main([*argv, "--coq", "x.v"]) == 2
    assert "--coq is not available with ONNX models" in capsys.readouterr().err
