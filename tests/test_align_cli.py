"""``symcert align --model A.onnx --model B.onnx [--out ALIGNED.onnx] [--json]``."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("onnx")

from symcert.cli import main
from symcert.models.onnx_export import onnx_with_parameters
from symcert.models.onnx_import import load_onnx
from symcert.symbolic.graph import derive_symmetries
from tests.test_graph_alignment import cnn, plant


def _planted(tmp_path):
    data = cnn("Tanh", seed=2)
    A = load_onnx(data)
    hidden = plant(derive_symmetries(A.graph), A.params)
    (tmp_path / "a.onnx").write_bytes(data)
    (tmp_path / "b.onnx").write_bytes(onnx_with_parameters(data, hidden))
    return A, str(tmp_path / "a.onnx"), str(tmp_path / "b.onnx")


def test_align_recovers_a_planted_pair_and_writes_it(tmp_path, capsys) -> None:
    A, a, b = _planted(tmp_path)
    out = tmp_path / "aligned.onnx"
    assert main(["align", "--model", a, "--model", b, "--out", str(out), "--no-spot"]) == 0
    text = capsys.readouterr().out
    assert "conv1 output channels: (0 2 1) sign -1 on" in text and "conv2 output channels:" in text
    assert "||A - g(B)|| = 0 " in text and "g(B) == A:   yes, exactly" in text
    assert "permute:P_conv1:" in text and "PROVED" in text and "Wrote:" in text
    written = load_onnx(str(out))
    assert all(np.array_equal(written.params[k], A.params[k]) for k in A.params)
    # aligning the written model again: nothing left to do
    assert main(["align", "--model", a, "--model", str(out), "--json", "--no-spot"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["element"] == [] and record["exact_match"] and record["distance_before"] == 0.0


def test_align_by_activations_on_data(tmp_path, capsys) -> None:
    _, a, b = _planted(tmp_path)
    X = np.random.default_rng(0).standard_normal((12, 25))  # flat rows, reshaped to (12, 1, 5, 5)
    np.savez(tmp_path / "data.npz", X=X, y=np.zeros(12, dtype=int))
    argv = ["align", "--model", a, "--model", b, "--data", str(tmp_path / "data.npz"), "--json", "--no-spot"]
    assert main(argv) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["method"] == "activations" and record["exact_match"] and record["proof"] == "proved"
    assert main(["align", "--model", a, "--model", b, "--data", str(tmp_path / "data.csv")]) == 2
    assert "--data needs an .npz file" in capsys.readouterr().err


def test_align_json_has_stable_keys(tmp_path, capsys) -> None:
    (tmp_path / "a.onnx").write_bytes(cnn("Relu", seed=0))
    (tmp_path / "b.onnx").write_bytes(cnn("Relu", seed=1))
    argv = ["align", "--model", str(tmp_path / "a.onnx"), "--model", str(tmp_path / "b.onnx"), "--json"]
    assert main(argv) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["distance_after"] <= record["distance_before"] and record["proof"] == "proved"
    assert {g["group"] for g in record["groups"]} == {"P_conv1", "P_conv2"}
    assert all(not g["flips"] for g in record["groups"])  # ReLU: permutations only
    assert record["history"] == sorted(record["history"]) and record["aligned_model"] is None


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], "give --model twice"),
        (["--model", "{d}/b.npz"], "reads .onnx models"),
        (["--model", "{d}/A.onnx", "--out", "{d}/x.json"], "ending in .onnx"),
        (["--model", "{d}/A.onnx", "--max-iter", "0"], "--max-iter must be at least 1"),
    ],
)
def test_align_errors_are_one_line(tmp_path, capsys, extra, message) -> None:
    (tmp_path / "A.onnx").write_bytes(cnn())
    argv = ["align", "--model", str(tmp_path / "A.onnx"), *(v.format(d=tmp_path) for v in extra)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_align_refuses_two_architectures(tmp_path, capsys) -> None:
    (tmp_path / "A.onnx").write_bytes(cnn())
    (tmp_path / "B.onnx").write_bytes(cnn(channels=(2, 4)))
    assert main(["align", "--model", str(tmp_path / "A.onnx"), "--model", str(tmp_path / "B.onnx")]) == 2
    assert "two networks of one graph" in capsys.readouterr().err


def test_barrier_align_recovers_a_hidden_signed_channel_permutation_with_barrier_exactly_0(
    tmp_path, capsys
) -> None:
    """Issue 23's acceptance case: B = g(A) for a hidden signed permutation of both convs' channels;
    `barrier --align` recovers g, so the aligned barrier is 0 exactly, and both certificates check."""
    _, a, b = _planted(tmp_path)
    rng = np.random.default_rng(5)
    X = (rng.integers(0, 17, (6, 1, 5, 5)) / 16).astype(np.float32)
    np.savez(tmp_path / "d.npz", X=X, y=np.arange(6) % 2)
    out = tmp_path / "barrier.json"
    argv = ["barrier", "--model", a, "--model", b, "--data", str(tmp_path / "d.npz")]
    argv += ["--loss", "cross_entropy", "--tol", "1/4", "--quiet", "--align", "--json", str(out)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "Alignment: g = " in printed and "Barrier after alignment:" in printed
    after = json.loads((tmp_path / "barrier.after.json").read_text())
    assert after["enclosures"]["barrier"] == ["0", "0"], after["enclosures"]  # exactly 0, not an enclosure
    for name in ("before", "after"):
        assert main(["check", str(tmp_path / f"barrier.{name}.json")]) == 0
