"""``symcert group --model FILE.onnx [--json]``: the group derived from an ONNX model's layers."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("onnx")

from symcert.cli import main
from tests.test_onnx_import import _cnn


def test_group_of_an_onnx_model_as_json_and_text(tmp_path, capsys) -> None:
    path = tmp_path / "cnn.onnx"
    path.write_bytes(_cnn()[0])
    assert main(["group", "--model", str(path), "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["order"] == 24 * 2**4 * 720 * 2**6 and isinstance(record["order"], int)
    assert [g["name"] for g in record["groups"]] == ["P_conv1", "P_conv2"]
    assert ["bn1.scale", 0] in record["groups"][0]["parameters"]
    assert main(["group", "--model", str(path)]) == 0
    text = capsys.readouterr().out
    assert "discrete group order 17694720" in text
    # inference form: the rescaling is absorbed by the stored mean and the scale, not by the weights alone
    assert "absorbed by the batch norm's stored mean and scale (inference form)" in text
    assert "Kunin" not in text


def test_group_prove_gives_each_generator_its_structural_proof(tmp_path, capsys) -> None:
    path = tmp_path / "cnn.onnx"
    path.write_bytes(_cnn()[0])
    assert main(["group", "--model", str(path), "--prove"]) == 0
    text = capsys.readouterr().out
    assert "permute:P_conv1:1,0,2,3: PROVED" in text
    # the flip after the batch norm meets ReLU: refused, with the node named
    assert "NOT PROVED (blocked at relu1: relu1 (relu), channel 0" in text
    assert main(["group", "--model", str(path), "--prove", "--logits", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    proofs = {p["element"]: p for p in record["proofs"]}
    assert [t["parameter"] for t in record["translations"]] == ["fc.bias"]
    assert proofs["translate:fc.bias:7/3"]["status"] == "proved"
    assert all(p["status"] == "proved" for p in record["proofs"] if p["listed"])
    refused = [p for p in record["proofs"] if not p["listed"]]
    assert refused and all(p["status"] == "not proved" and p["blocking"] for p in refused)
    steps = proofs["permute:P_conv1:1,0,2,3"]["steps"]
    assert [s["node"] for s in steps][:2] == ["conv1", "bn1"] and steps[0]["rule"] == "reindexing"


def test_group_prove_in_the_scripts_document(tmp_path, capsys) -> None:
    path = tmp_path / "cnn.onnx"
    path.write_bytes(_cnn()[0])
    assert main(["group", "--model", str(path), "--prove", "--format", "json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["verdict"] == "listed" and record["exit_code"] == 0
    assert {p["status"] for p in record["details"]["proofs"] if p["listed"]} == {"proved"}


def test_prove_and_logits_need_a_model(capsys) -> None:
    assert main(["group", "--prove"]) == 2
    assert "--prove needs --model FILE.onnx" in capsys.readouterr().err


def test_group_model_errors_are_one_line(tmp_path, capsys) -> None:
    assert main(["group", "--model", str(tmp_path / "weights.npz")]) == 2
    err = capsys.readouterr().err
    assert "reads .onnx models" in err and err.count("\n") == 1
    assert main(["group", "--model", str(tmp_path / "missing.onnx")]) == 2
    assert "no ONNX file" in capsys.readouterr().err


def test_invariance_of_an_onnx_model_node_by_node(tmp_path, capsys) -> None:
    path = tmp_path / "cnn.onnx"
    path.write_bytes(_cnn()[0])
    assert main(["invariance", "--model", str(path), "--element", "permute:P_conv2:1,0,2,3,4,5"]) == 0
    out = capsys.readouterr().out
    assert (
        "1. conv2 (" in out and "flat (Flatten) commutes by block action" in out and "Verdict: PROVED" in out
    )
    assert main(["invariance", "--model", str(path), "--element", "flip:P_conv1:1:-1,1,1,1"]) == 1
    assert "relu1 (relu) BLOCKS" in capsys.readouterr().out
    assert main(["invariance", "--model", str(path), "--json"]) == 0  # every generator; refusals expected
    assert {p["status"] for p in json.loads(capsys.readouterr().out)} == {"proved", "not proved"}
    for element, message in [
        ("flip:P_conv1:9:-1,1,1,1", "4 signs segments"),
        ("permute:P_conv1:1,0", "perm must reorder 0..3"),
        ("translate:fc.weight:1", "translate needs a bias"),
    ]:
        assert main(["invariance", "--model", str(path), "--element", element]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1
