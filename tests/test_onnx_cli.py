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
    assert "batch-norm scale symmetry (Kunin et al. 2021)" in text


def test_group_model_errors_are_one_line(tmp_path, capsys) -> None:
    assert main(["group", "--model", str(tmp_path / "weights.npz")]) == 2
    err = capsys.readouterr().err
    assert "reads .onnx models" in err and err.count("\n") == 1
    assert main(["group", "--model", str(tmp_path / "missing.onnx")]) == 2
    assert "no ONNX file" in capsys.readouterr().err
