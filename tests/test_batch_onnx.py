"""Manifest rows of two ONNX models on Dask: the graph barrier per row (aligned too), mixed with MLP rows,
every certificate accepted by the independent checker, resuming, and rows that cannot mean anything."""

from __future__ import annotations

import csv
import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("distributed")
pytest.importorskip("onnx")
import onnx
from onnx import numpy_helper

from symcert.batch import read_manifest, run_manifest
from symcert.checker import check
from symcert.errors import SpecificationError
from tests.test_batch import _save_net
from tests.test_graph_barrier import _other, _residual_tanh


def _permuted(data: bytes, order: list[int]) -> bytes:
    """The residual net with its stream's channels permuted: B = g(A) for g in the derived group."""
    model = onnx.load_from_string(data)
    for init in model.graph.initializer:
        a = numpy_helper.to_array(init)
        if init.name in ("W1", "B1"):
            a = a[order]
        elif init.name == "W2":
            a = a[order][:, order]
        elif init.name == "W3":
            a = a[:, order]
        init.CopyFrom(numpy_helper.from_array(a, init.name))
    return model.SerializeToString()


@pytest.fixture
def study(tmp_path: Path) -> Path:
    """g1: two trainings of a tanh residual conv net; g2: A and a hidden permutation of it, aligned;
    m1: a 2-3-2 MLP pair, in the same manifest."""
    data = _residual_tanh()
    (tmp_path / "a.onnx").write_bytes(data)
    (tmp_path / "b.onnx").write_bytes(_other(data, 7))
    (tmp_path / "pa.onnx").write_bytes(_permuted(data, [2, 0, 1]))
    X = (np.round(np.random.default_rng(5).standard_normal((3, 2, 5)) * 4) / 4).astype(np.float32)
    np.savez(tmp_path / "d.npz", X=X, y=np.arange(3) % 2)
    _save_net(tmp_path / "ma.npz", 0)
    _save_net(tmp_path / "mb.npz", 1)
    rows = [[f"{x / 4}", f"{(x * 3) % 5 / 4}", str(x % 2)] for x in range(6)]
    (tmp_path / "m.csv").write_text("x1,x2,label\n" + "\n".join(",".join(r) for r in rows) + "\n")
    (tmp_path / "pairs.csv").write_text(
        "name,model_a,model_b,data,align,tol\n"
        "g1,a.onnx,b.onnx,d.npz,no,1/20\n"
        "g2,a.onnx,pa.onnx,d.npz,yes,1/20\n"
        "m1,ma.npz,mb.npz,m.csv,no,1e-2\n"
    )
    return tmp_path


def test_onnx_rows_beside_mlp_rows_on_two_worker_processes(study: Path):
    out = study / "results"
    rows = run_manifest(study / "pairs.csv", out, workers=2)  # a local cluster of 2 processes
    assert [(r["pair"], r["variant"], r["status"], r["computed"]) for r in rows] == [
        ("g1", "plain", "proved", "yes"),
        ("g2", "before", "proved", "yes"),
        ("g2", "after", "proved", "yes"),
        ("m1", "plain", "proved", "yes"),
    ]
    names = sorted(p.name for p in out.glob("*.json"))
    assert names == ["g1.json", "g2.before.json", "g2.json", "m1.json"]
    for path in out.glob("*.json"):
        verdict = check(str(path))
        assert verdict.accepted, (path, verdict.reasons)
    g1 = json.loads((out / "g1.json").read_text())
    assert g1["kind"] == "barrier" and g1["network"]["graph"]["format"] == "symcert-graph"
    lo, hi = g1["enclosures"]["barrier"]
    assert 0 < Fraction(lo) <= Fraction(hi) <= Fraction(lo) + Fraction(1, 20)
    aligned = json.loads((out / "g2.json").read_text())
    assert aligned["enclosures"]["barrier"] == ["0", "0"]  # g(B) == A exactly: the aligned barrier is 0
    before = json.loads((out / "g2.before.json").read_text())
    assert len(before["parameters"]["pieces"]) > 1  # before alignment: branch and bound, not B == A
    assert "symcert-graph" not in json.dumps(json.loads((out / "m1.json").read_text())["network"])
    with open(out / "summary.csv") as stream:
        assert [r["pair"] for r in csv.DictReader(stream)] == ["g1", "g2", "g2", "m1"]

    (out / "g2.json").write_text((out / "g2.json").read_text()[:50])  # a killed run: g2's after half-written
    kept = (out / "g2.before.json").stat().st_mtime_ns
    rows = run_manifest(study / "pairs.csv", out, workers=1, processes=False)
    assert [(r["pair"], r["variant"], r["computed"]) for r in rows] == [
        ("g1", "plain", "no"),
        ("g2", "before", "no"),  # kept (re-checked), only the aligned barrier is recomputed
        ("g2", "after", "yes"),
        ("m1", "plain", "no"),
    ]
    assert (out / "g2.before.json").stat().st_mtime_ns == kept and check(str(out / "g2.json")).accepted


@pytest.mark.parametrize(
    "line, message",
    [
        ("x,a.onnx,mb.npz,d.npz,,", "row 2: model_a and model_b must both be ONNX files (.onnx) or neither"),
        ("x,a.onnx,b.onnx,m.csv,,", "row 2: ONNX models read their data from an .npz file"),
        ("x,a.onnx,b.onnx,d.npz,tanh,", "row 2: activation does not apply to ONNX models"),
        ("x,a.onnx,b.onnx,d.npz,,softmax", "row 2: output does not apply to ONNX models"),
    ],
)
def test_rows_an_onnx_pair_cannot_mean_are_refused_in_one_line(study: Path, line: str, message: str):
    (study / "bad.csv").write_text("name,model_a,model_b,data,activation,output\n" + line + "\n")
    with pytest.raises(SpecificationError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        read_manifest(study / "bad.csv")
    assert "\n" not in str(info.value) and "bad.csv" in str(info.value)


def test_the_cli_runs_an_onnx_manifest_and_a_mismatched_pair_is_an_error_row(study: Path, capsys):
    from symcert.cli import main

    other = _residual_tanh().replace(b"fc", b"fd")  # another node name: not the same layer graph
    (study / "c.onnx").write_bytes(other)
    (study / "one.csv").write_text(
        "name,model_a,model_b,data,tol\nq,a.onnx,b.onnx,d.npz,1/10\nr,a.onnx,c.onnx,d.npz,\n"
    )
    args = ["barrier", "--manifest", str(study / "one.csv"), "--out", str(study / "res"), "--threads"]
    assert main([*args, "--workers", "1"]) == 1  # r fails; q is proved
    captured = capsys.readouterr()
    assert "1 of 2 barriers proved" in captured.out and "[2/2]" in captured.err
    assert "same layer graph" in captured.err and check(str(study / "res" / "q.json")).accepted
