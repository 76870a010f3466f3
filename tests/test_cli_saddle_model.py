"""``symcert saddle --model FILE --data FILE``: a trained scikit-learn network as the approximate critical
point."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from symcert import check
from symcert.cli import main

sklearn = pytest.importorskip("sklearn.neural_network")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A 1-1-1 tanh MLPRegressor (identity output, alpha=0) trained by L-BFGS to a tight tolerance,
    saved in symcert's .npz layout (W = coefs_.T), with its ten training points as CSV."""
    folder = tmp_path_factory.mktemp("saddle_model")
    X = np.linspace(-2, 2, 10).reshape(-1, 1)
    y = np.round(
        0.8 * np.tanh(0.9 * X[:, 0] - 0.3) - 0.5 * np.tanh(1.2 * X[:, 0] + 0.4) + 0.05 * np.cos(5 * X[:, 0]),
        3,
    )
    est = sklearn.MLPRegressor(
        hidden_layer_sizes=(1,),
        activation="tanh",
        solver="lbfgs",
        alpha=0.0,
        tol=1e-15,
        max_iter=20000,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, y)
    arrays = {}
    for layer, (W, b) in enumerate(zip(est.coefs_, est.intercepts_), start=1):
        arrays[f"W{layer}"], arrays[f"b{layer}"] = W.T, b
    np.savez(folder / "net.npz", activation=np.array("tanh"), **arrays)
    np.savez(folder / "far.npz", activation=np.array("tanh"), **{k: 1.1 * v for k, v in arrays.items()})
    (folder / "train.csv").write_text(
        "x1,y1\n" + "".join(f"{float(a)!r},{float(b)!r}\n" for a, b in zip(X[:, 0], y))
    )
    return folder


def _run(argv, capsys):
    code = main(["saddle", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_trained_network_round_trips(trained, capsys, tmp_path):
    out = tmp_path / "saddle.json"
    argv = [
        "--model",
        str(trained / "net.npz"),
        "--data",
        str(trained / "train.csv"),
        "--framework",
        "sklearn",
    ]
    code, text, err = _run([*argv, "--json", str(out)], capsys)
    assert code == 0, err
    assert "Verdict: saddle of index 1 (proved)" in text
    assert f"Newton's method moved the weights of {trained / 'net.npz'} by" in text
    assert "Newton's, not" not in text  # within 1%: the file's own critical point
    record = json.loads(out.read_text())
    assert record["kind"] == "saddle" and record["loss"]["factor"] == "1/2"  # scikit-learn's 1/2
    assert check(record).accepted


def test_a_model_far_from_a_critical_point_is_refused_with_what_to_do(trained, capsys):
    argv = ["--model", str(trained / "far.npz"), "--data", str(trained / "train.csv")]
    code, _, err = _run(argv, capsys)
    assert code == 2
    error = err.strip().splitlines()[-1]
    assert error.startswith("symcert: error:") and "Traceback" not in err
    for phrase in (
        "found a critical point",
        "away",
        "train longer",
        "--newton-steps",
        "--accept-newton-point",
    ):
        assert phrase in error, error
    code, text, err = _run([*argv, "--accept-newton-point"], capsys)
    assert code == 0, err
    assert "the certified critical point is Newton's, not the weights of" in text


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--widths", "1,2,1"], "holds a 1-1-1 tanh network (4 parameters), but --widths says 1,2,1"),
        (["--point", "p.json"], "--model gives the approximate critical point; drop --point"),
        (["--activation", "relu"], "records the activation tanh"),
        (["--lift", "1:1:1/2"], "hidden layer 1 has units 0 to 0"),
        (["--no-bias"], "the file says which layers have biases"),
    ],
)
def test_contradicting_flags_are_one_line_errors(trained, capsys, extra, message):
    argv = ["--model", str(trained / "net.npz"), "--data", str(trained / "train.csv"), *extra]
    code, _, err = _run(argv, capsys)
    assert code == 2 and message in err, err
    assert [line for line in err.splitlines() if not line.startswith("symcert saddle:")] == [
        err.strip().splitlines()[-1]
    ]


def test_files_of_the_wrong_shape_are_refused(trained, capsys, tmp_path):
    np.savez(
        tmp_path / "cls.npz",
        activation=np.array("tanh"),
        W1=np.ones((2, 1)),
        b1=np.zeros(2),
        W2=np.ones((3, 2)),
        b2=np.zeros(3),
    )  # a three-class classifier
    np.savez(tmp_path / "bad.npz", activation=np.array("tanh"), W1=np.ones((2, 1)), W2=np.ones((1, 3)))
    (tmp_path / "labels.csv").write_text("x1,label\n0,0\n1,1\n2,2\n-1,0\n")
    (tmp_path / "two.csv").write_text("x1,x2,y1\n0,1,0\n1,2,1\n")
    cases = [
        (tmp_path / "cls.npz", trained / "train.csv", "output width is 3"),
        (tmp_path / "cls.npz", tmp_path / "labels.csv", "--loss cross_entropy"),
        (tmp_path / "bad.npz", trained / "train.csv", "W2 has shape (1, 3)"),
        (trained / "net.npz", tmp_path / "two.csv", "2 feature columns"),
    ]
    for model, data, message in cases:
        code, _, err = _run(["--model", str(model), "--data", str(data)], capsys)
        assert code == 2 and message in err, err
    code, _, err = _run(["--model", str(trained / "net.npz")], capsys)
    assert code == 2 and "needs --data FILE" in err
    code, _, err = _run(["--framework", "sklearn"], capsys)
    assert code == 2 and "give --model" in err


def test_a_classifier_on_separable_classes_says_why_there_is_no_critical_point(trained, capsys, tmp_path):
    (tmp_path / "labels.csv").write_text("x1,label\n-2,0\n-1,0\n1,1\n2,1\n")
    argv = [
        "--model",
        str(trained / "net.npz"),
        "--data",
        str(tmp_path / "labels.csv"),
        "--framework",
        "sklearn",
    ]
    argv += ["--output-activation", "sigmoid"]
    code, _, err = _run(argv, capsys)
    assert code == 2 and "no critical point when the classes are separable" in err, err
