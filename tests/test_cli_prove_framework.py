"""symcert prove --model on a classifier: the flag to use is named, --framework sklearn means its loss."""

from __future__ import annotations

import json

import numpy as np

from symcert import check
from symcert.cli import main


def _classifier(tmp_path) -> list[str]:
    """A 2-3-3 tanh classifier and four points with class labels 0..2."""
    W1, b1 = [[0.5, -1.25], [1.5, 0.25], [-0.75, 1.0]], [0.25, -0.5, 0.125]
    W2, b2 = [[1.0, -2.0, 0.5], [0.25, 0.5, -1.0], [-0.5, 1.5, 0.75]], [0.5, 0.0, -0.25]
    np.savez(tmp_path / "a.npz", W1=np.array(W1), b1=np.array(b1), W2=np.array(W2), b2=np.array(b2))
    (tmp_path / "train.csv").write_text("x1,x2,label\n0,1,0\n1,-1,1\n2,1/4,2\n-1,2,0\n")
    return ["prove", "--model", str(tmp_path / "a.npz"), "--data", str(tmp_path / "train.csv")]


def test_the_default_loss_on_class_labels_names_the_flag(tmp_path, capsys):
    args = [*_classifier(tmp_path), "--activation", "tanh", "--quiet"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "--loss cross_entropy" in err and "--framework sklearn" in err, err
    assert len(err.strip().splitlines()) == 1, err
    assert main([*args, "--loss", "mse"]) == 2  # asked for: refused, saying why and what would fit
    err = capsys.readouterr().err
    assert "--loss mse cannot fit" in err and "--loss cross_entropy" in err, err
    assert "--framework sklearn" not in err and len(err.strip().splitlines()) == 1, err
    assert main([*args, "--loss", "mse", "--framework", "sklearn"]) == 2
    err = capsys.readouterr().err
    assert "--loss mse cannot fit" in err and "drop --loss: --framework sklearn infers it" in err, err


def test_framework_sklearn_certifies_scikit_learns_loss(tmp_path, capsys):
    out = tmp_path / "c.json"
    args = [*_classifier(tmp_path), "--activation", "tanh", "--framework", "sklearn", "--quiet"]
    code = main([*args, "--weight-decay", "1/10", "--json", str(out)])
    text = capsys.readouterr().out
    assert code == 0, text
    assert "cross_entropy" in text and "1/80 * (sum of squared weights)" in text, text  # alpha/(2n), n = 4
    assert check(json.loads(out.read_text())).accepted


def test_without_the_framework_the_weight_decay_is_lambda(tmp_path, capsys):
    args = [*_classifier(tmp_path), "--activation", "tanh", "--loss", "cross_entropy", "--quiet"]
    main([*args, "--weight-decay", "1/10"])
    assert "1/10 * (sum of squared weights)" in capsys.readouterr().out


def test_the_classifier_hint_reads_the_data_file_bounded(tmp_path, capsys):
    """The hint looks for class labels in the data file: /dev/zero is refused, never read whole."""
    from symcert.cli.framework import class_labels

    assert class_labels("/dev/zero") is None
    args = [*_classifier(tmp_path)[:3], "--data", "/dev/zero", "--activation", "tanh", "--quiet"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
