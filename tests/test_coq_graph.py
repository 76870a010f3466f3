"""The Coq export of a layer graph's chord certificate, checked with a real ``coqc``.

A tiny CNN (one 3x3 input channel, conv 1 -> 2 channels with a 2x2 kernel, tanh, global average pool,
dense 1, mse) on 2 points, from an ONNX file: ``prove --coq OUT.v`` writes the proof, and
``check CERT.json --coq OUT.v`` accepts it (the kernel checks the theorem against the statement
regenerated from the JSON; standard axioms only). A bound edited in the ``.v`` is refused by the text
binding, and (the text checks bypassed) by ``coqc``; a theorem resting on a section hypothesis is
refused by the kernel; a certificate past the size limit is refused in one line before any work.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

pytest.importorskip("onnx")
from onnx import helper

from symcert.build.coq import PROOF_MODULE, check_coq
from symcert.build.coq_binding import check_coq_binding
from symcert.cli import main
from symcert.errors import SpecificationError
from symcert.limits import MAX_COQ_GRAPH_SIZE
from symcert.printing.coq.graph_chord import graph_chord_to_coq, graph_coq_refusal, graph_statement_to_coq
from symcert.printing.coq.graph_lower import lower_graph
from tests.test_onnx_import import _model

W1 = np.array([[[[1, -1], [0, 2]]], [[[-1, 1], [1, 0]]]], dtype=np.float32)
X = np.array([[[[0, 1, 0], [1, 0, -1], [0, 1, 1]]], [[[1, 0, 1], [0, -1, 0], [0.5, 0, 1]]]])
Y = np.array([[1 / 4], [-1 / 2]])


def _tiny_cnn() -> bytes:
    p = {
        "W1": W1,
        "B1": np.array([0, 0.5], dtype=np.float32),
        "W2": np.array([[1, 1]], dtype=np.float32),
        "B2": np.array([0], dtype=np.float32),
    }
    nodes = [
        helper.make_node("Conv", ["input", "W1", "B1"], ["c"], name="conv"),
        helper.make_node("Tanh", ["c"], ["a"], name="act"),
        helper.make_node("GlobalAveragePool", ["a"], ["g"], name="gap"),
        helper.make_node("Flatten", ["g"], ["f"], name="flat"),
        helper.make_node("Gemm", ["f", "W2", "B2"], ["output"], name="fc", transB=1),
    ]
    return _model(nodes, p, [1, 3, 3], [1])


@pytest.fixture(scope="module")
def proved(tmp_path_factory):
    """``symcert prove --model tiny.onnx --data tiny.npz --json cert.json --coq proof.v``."""
    folder = tmp_path_factory.mktemp("graphcoq")
    onnx_path, npz_path = folder / "tiny.onnx", folder / "tiny.npz"
    onnx_path.write_bytes(_tiny_cnn())
    np.savez(npz_path, X=X, y=Y)
    cert, proof = folder / "cert.json", folder / "proof.v"
    args = ["prove", "--model", str(onnx_path), "--data", str(npz_path), "--quiet"]
    code = main([*args, "--json", str(cert), "--coq", str(proof)])
    assert code == 0
    return onnx_path, npz_path, cert, proof


def test_the_lowering_writes_every_entry(proved) -> None:
    _, _, cert, proof = proved
    record = json.loads(cert.read_text())
    text = proof.read_text()
    lowered = lower_graph(record)
    assert len(lowered.fields) == 8 + 2 + 2 + 1  # conv weight and bias, dense weight and bias
    # conv output (2 channels x 2 x 2), tanh of each, 2 pooled, 1 dense: 19 lets per point
    assert len(lowered.body) - 1 == 8 + 8 + 2 + 1
    assert (
        "let t1_0 := (w_conv_bias_0 p) + (w_conv_weight_0_0_0_0 p) * x_0 + (w_conv_weight_0_0_0_1 p) * x_1"
        in text
    )
    assert "let t3_0 := (t2_0 + t2_1 + t2_2 + t2_3) / 4 in" in text
    assert "Definition L (p : params) : R := 1/2 * (point_loss p 0 1 0 1 0 (-1) 0 1 1 (1/4)" in text
    assert "Theorem loss_not_convex : ~ convex L." in text
    for banned in ("Admitted", "admit", "Axiom", "Section"):
        assert banned not in text


def test_check_coq_accepts_the_exported_proof(proved, require_tool, capsys) -> None:
    require_tool("coqc")
    _, _, cert, proof = proved
    capsys.readouterr()
    assert main(["check", str(cert), "--coq", str(proof)]) == 0
    out = capsys.readouterr().out
    assert "ACCEPTED: Coq proof" in out
    axioms = re.search(r"Axioms \(Print Assumptions loss_not_convex\), (\d+):", out)
    assert axioms is not None and 0 < int(axioms.group(1)) < 80
    assert "ClassicalDedekindReals" in out


def _tamper_bound(text: str) -> str:
    """``L A <= a_hi`` with ``a_hi`` cut to a tenth of itself (false: the loss is larger)."""
    match = re.search(r"Lemma bound_A : L A <= \((\d+)/(\d+)\)\.", text)
    assert match is not None
    numerator, denominator = int(match.group(1)), int(match.group(2))
    return text.replace(match.group(0), f"Lemma bound_A : L A <= ({numerator}/{denominator * 10}).")


def test_a_tampered_bound_is_refused_by_the_binding_and_by_coqc(proved, require_tool, tmp_path) -> None:
    coqc = require_tool("coqc")
    _, _, cert, proof = proved
    tampered = _tamper_bound(proof.read_text())
    bad = tmp_path / "bad.v"
    bad.write_text(tampered)
    bound = check_coq_binding(str(cert), bad)  # the text: not the statement regenerated from the JSON
    assert not bound.accepted and "bound_A" in bound.reasons[0] and bound.coq is None
    result = check_coq(tampered, assumptions=False, coqc=coqc)  # the text checks bypassed: interval fails
    assert not result.accepted and result.returncode not in (0, None)


def test_a_theorem_on_a_section_hypothesis_is_refused_by_the_kernel(proved, require_tool) -> None:
    coqc = require_tool("coqc")
    _, _, cert, proof = proved
    record = json.loads(cert.read_text())
    text = proof.read_text()
    cheat = (
        text[: text.index("(** * The points *)")]
        + "Section Cheat.\nHypothesis cheat : False.\nTheorem loss_not_convex : ~ convex L.\n"
        "Proof. destruct cheat. Qed.\nEnd Cheat.\n"
    )
    statement = graph_statement_to_coq(record, PROOF_MODULE)
    result = check_coq(cheat, assumptions=False, statement=statement, coqc=coqc)
    assert result.returncode == 0 or result.mismatch  # coqc compiled the cheat, the statement refused it
    assert not result.accepted and result.mismatch


def test_past_the_size_limit_is_refused_in_one_line(proved, capsys) -> None:
    onnx_path, _, cert, _ = proved
    record = json.loads(cert.read_text())
    n = MAX_COQ_GRAPH_SIZE // 13 + 1  # 13 parameters
    record["data"]["xs"] = record["data"]["xs"][:1] * n
    record["data"]["ys"] = record["data"]["ys"][:1] * n
    reason = graph_coq_refusal(record)
    assert reason is not None and f"beyond the {MAX_COQ_GRAPH_SIZE}" in reason and "\n" not in reason
    with pytest.raises(SpecificationError, match="parameters x data points"):
        graph_chord_to_coq(record)
    many = onnx_path.parent / "many.npz"
    np.savez(many, X=np.repeat(X, n // 2 + 1, axis=0), y=np.repeat(Y, n // 2 + 1, axis=0))
    capsys.readouterr()
    args = ["prove", "--model", str(onnx_path), "--data", str(many), "--coq", str(onnx_path.parent / "x.v")]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert "parameters x data points" in err and len(err.splitlines()) == 1
    assert not (onnx_path.parent / "x.v").exists()


def test_coq_needs_the_chord_kind(proved, capsys) -> None:
    onnx_path, npz_path, _, _ = proved
    args = ["prove", "--model", str(onnx_path), "--data", str(npz_path), "--kind", "curvature"]
    assert main([*args, "--coq", str(onnx_path.parent / "c.v")]) == 2
    assert "exports chord certificates only" in capsys.readouterr().err
