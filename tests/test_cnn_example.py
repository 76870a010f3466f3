"""``symcert example cnn``: the numpy training is right (its gradients match finite differences, its
network is the graph's) and reproducible from the seed; the example proves a chord certificate that the
independent checker accepts; bad flags give one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("sklearn")

from symcert.cli import main
from symcert.models import cnn_training
from symcert.models.cnn import cnn_graph, digit_images
from symcert.numeric.graph import GraphLoss, float_loss


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_backprop_matches_finite_differences(activation: str) -> None:
    rng = np.random.default_rng(3)
    X = cnn_training._images(rng.random((5, 1, 8, 8)))
    Y = np.eye(10)[rng.integers(0, 10, 5)]
    p = {k: v + 0.1 * rng.standard_normal(v.shape) for k, v in cnn_training._initial((2, 3), 1).items()}
    _, grads = cnn_training._loss_and_grads(p, X, Y, activation)
    for name, value in p.items():
        for _ in range(2):
            index = tuple(int(rng.integers(0, s)) for s in value.shape)
            up, down = ({k: v.copy() for k, v in p.items()} for _ in range(2))
            up[name][index] += 1e-6
            down[name][index] -= 1e-6
            slope = (
                cnn_training._loss_and_grads(up, X, Y, activation)[0]
                - cnn_training._loss_and_grads(down, X, Y, activation)[0]
            ) / 2e-6
            assert abs(slope - grads[name][index]) < 1e-6, (name, index)


def test_training_is_reproducible_and_is_the_graphs_network() -> None:
    X, y = digit_images(32)
    first = cnn_training.train_cnn(X, y, (2, 3), "tanh", epochs=6, seed=5)
    again = cnn_training.train_cnn(X, y, (2, 3), "tanh", epochs=6, seed=5)
    other = cnn_training.train_cnn(X, y, (2, 3), "tanh", epochs=6, seed=6)
    assert set(first) == set(cnn_graph((2, 3)).parameter_shapes)
    assert all(first[k].dtype == np.float32 and np.array_equal(first[k], again[k]) for k in first)
    assert not np.array_equal(first["conv1.weight"], other["conv1.weight"])
    # the training loop's float64 network (channels last) is the graph's (channels first)
    loss = GraphLoss(cnn_graph((2, 3)), X, np.eye(10, dtype=int)[y], "cross_entropy")
    logits = cnn_training.forward(first, X, "tanh")
    shifted = logits - logits.max(axis=1, keepdims=True)
    mine = np.mean(np.log(np.exp(shifted).sum(axis=1)) - shifted[np.arange(len(y)), y])
    assert abs(float_loss(loss, first) - mine) < 1e-9


def test_example_proves_and_the_checker_accepts(tmp_path, capsys) -> None:
    out = tmp_path / "cnn.json"
    args = ["example", "cnn", "--samples", "40", "--epochs", "15", "--channels", "3,4", "--quiet"]
    assert main([*args, "--barrier-samples", "2", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Derived symmetry group:" in text and "generators: permute:P_conv1:1,0,2" in text
    assert "Invariance: L(g theta) = L(theta) for all theta" in text and ": proved (structural" in text
    assert "Verdict: PROVED" in text
    assert "Barrier between two trainings (seeds 0 and 1), cross-entropy on the first 2 digits" in text
    assert "  before alignment: [" in text and "  after alignment:  [" in text
    assert text.count("(proved; entezari chord") == 2 and "  alignment: g = " in text
    record = json.loads(out.read_text())
    assert record["kind"] == "chord"
    assert record["network"]["graph"]["nodes"][1]["layer"]["type"] == "BatchNorm"
    assert main(["check", str(out)]) == 0
    assert "ACCEPTED: chord certificate" in capsys.readouterr().out
    for name in ("before", "after"):
        barrier = tmp_path / f"cnn.barrier.{name}.json"
        assert json.loads(barrier.read_text())["kind"] == "barrier"
        assert main(["check", str(barrier)]) == 0
        assert "ACCEPTED: barrier certificate" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["example", "cnn", "--channels", "4"], "--channels must be two integers from 1 to 32"),
        (["example", "cnn", "--channels", "4,0"], "--channels must be two integers from 1 to 32"),
        (["example", "cnn", "--epochs", "0"], "--epochs must be an integer from 1 to 5000"),
        (["example", "cnn", "--hidden", "3"], "--hidden is not available with the cnn example"),
        (["example", "cnn", "--latex", "x.tex"], "--latex is not available with the cnn example"),
        (["example", "digits", "--epochs", "3"], "--epochs belongs to the cnn example"),
        (["example", "digits", "--barrier-samples", "3"], "--barrier-samples belongs to the cnn example"),
        (["example", "cnn", "--activation", "sigmoid"], "invalid choice: 'sigmoid'"),
    ],
)
def test_bad_flags_are_one_line(argv: list[str], message: str, capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.strip().count("\n") == 0, err
