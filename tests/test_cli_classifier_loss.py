"""A classifier without --loss: the loss its format says (ONNX softmax), or an error naming the flag."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("onnx")

from onnx import helper

from symcert.cli import main
from tests.test_onnx_import import _model, _w


def _mlp(softmax: bool) -> bytes:
    """A 4-3-3 tanh MLP as ONNX, with or without a final Softmax (PyTorch's logits, or probabilities)."""
    rng = np.random.default_rng(3)
    p = {"W1": _w(3, 4, rng=rng), "B1": _w(3, rng=rng), "W2": _w(3, 3, rng=rng), "B2": _w(3, rng=rng)}
    last = "z" if softmax else "output"
    nodes = [
        helper.make_node("Gemm", ["input", "W1", "B1"], ["h"], name="fc1", transB=1),
        helper.make_node("Tanh", ["h"], ["t"], name="tanh1"),
        helper.make_node("Gemm", ["t", "W2", "B2"], [last], name="fc2", transB=1),
    ]
    if softmax:
        nodes.append(helper.make_node("Softmax", ["z"], ["output"], name="softmax"))
    return _model(nodes, p, [4], [3])


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(0)
    data = tmp_path / "labels.npz"
    np.savez(data, X=rng.integers(0, 17, size=(12, 4)) / 16, y=rng.integers(0, 3, size=12))
    for name, softmax in (("logits", False), ("probs", True)):
        (tmp_path / f"{name}.onnx").write_bytes(_mlp(softmax))
    return tmp_path, str(data)


def test_a_softmax_classifier_on_class_labels_gets_cross_entropy(files, capsys):
    folder, data = files
    code = main(["prove", "--model", str(folder / "probs.onnx"), "--data", data, "--quiet"])
    out, err = capsys.readouterr()
    assert "Loss: cross_entropy, since" in err and "holds class labels" in err
    assert "cross_entropy loss of the" in out and code in (0, 1)  # a verdict, not a shape error


def test_logits_on_class_labels_say_which_flag_to_use(files, capsys):
    folder, data = files
    for command in (["prove"], ["saddle"]):
        code = main([*command, "--model", str(folder / "logits.onnx"), "--data", data])
        _, err = capsys.readouterr()
        assert code == 2 and "give --loss cross_entropy" in err and "Traceback" not in err
    logits = str(folder / "logits.onnx")
    code = main(["barrier", "--model", logits, "--model", logits, "--data", data])
    _, err = capsys.readouterr()
    assert code == 2 and "give --loss cross_entropy" in err
    # with the flag it is accepted; and an explicit --loss is never replaced
    code = main(["prove", "--model", str(folder / "logits.onnx"), "--data", data, "--loss", "cross_entropy"])
    out, _ = capsys.readouterr()
    assert code in (0, 1) and "cross_entropy loss of the" in out
    code = main(["prove", "--model", str(folder / "probs.onnx"), "--data", data, "--loss", "mse"])
    _, err = capsys.readouterr()
    assert code == 2 and "Loss: cross_entropy, since" not in err
