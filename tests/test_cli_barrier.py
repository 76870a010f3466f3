"""symcert barrier: certificates the checker accepts, the figure, one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from symcert import check
from symcert.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_default_pair_before_and_after_alignment(capsys, tmp_path):
    out = tmp_path / "b.json"
    code, text, err = run(capsys, "barrier", "--align", "--json", str(out))
    assert code == 0, err
    assert "barrier (entezari) in [4.14" in text and "barrier = 0 exactly" in text
    assert "Certifying" in err  # progress goes to stderr
    for name in ("b.before.json", "b.after.json"):
        record = json.loads((tmp_path / name).read_text())
        assert record["kind"] == "barrier"
        assert check(record).accepted


def test_points_and_data_files(capsys, tmp_path):
    a = {"W1": [[1]], "b1": ["0"], "W2": [[1]], "b2": ["0"]}
    b = {"W1": [[-1]], "b1": ["0"], "W2": [[-1]], "b2": ["0"]}
    (tmp_path / "a.json").write_text(json.dumps(a))
    (tmp_path / "b.json").write_text(json.dumps(b))
    (tmp_path / "d.csv").write_text("x1,y1\n1,1/2\n")
    code, text, err = run(
        capsys,
        "barrier",
        "--widths",
        "1,1,1",
        "--loss",
        "sse",
        "--point",
        str(tmp_path / "a.json"),
        "--point",
        str(tmp_path / "b.json"),
        "--data",
        str(tmp_path / "d.csv"),
        "--tol",
        "1e-4",
        "--json",
        str(tmp_path / "c.json"),
    )
    assert code == 0, err
    assert "[0.1815" in text
    assert check(str(tmp_path / "c.json")).accepted


def test_cap_reached_exits_1(capsys):
    code, text, _ = run(capsys, "barrier", "--tol", "1e-30", "--max-pieces", "3")
    assert code == 1 and "undecided" in text


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--point", "x.json"], "exactly two points"),
        (["--data", "d.csv"], "give the two points"),
        (["--pdf", "x.pdf"], "--pdf needs --latex"),
        (["--tol", "0"], "--tol must be > 0"),
        (["--json", "/nonexistent/dir/x.json"], "folder does not exist"),
    ],
)
def test_errors_are_one_line(capsys, argv, message):
    code, _, err = run(capsys, "barrier", *argv)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_latex_and_pdf_with_the_figure(capsys, tmp_path, require_tool):
    require_tool("pdflatex")
    require_tool("latexmk")
    tex, pdf = tmp_path / "b.tex", tmp_path / "b.pdf"
    code, _, err = run(capsys, "barrier", "--align", "--latex", str(tex), "--pdf", str(pdf))
    assert code == 0, err
    source = tex.read_text()
    assert source.count(r"\begin{axis}") == 2 and "chord" in source and "certified upper band" in source
    assert pdf.stat().st_size > 1000


def _save_model(path, W1, b1, W2, b2):
    np.savez(path, W1=np.array(W1), b1=np.array(b1), W2=np.array(W2), b2=np.array(b2))


def test_barrier_of_two_trained_models_before_and_after_alignment(tmp_path, capsys):
    W1, b1, W2, b2 = [[0.5, -1.25], [1.5, 0.25], [-0.75, 1.0]], [0.25, -0.5, 0.125], [[1.0, -2.0, 0.5]], [0.5]
    order = [2, 0, 1]  # B is A with its hidden units permuted: after alignment the barrier is exactly 0
    _save_model(tmp_path / "a.npz", W1, b1, W2, b2)
    _save_model(
        tmp_path / "b.npz", [W1[i] for i in order], [b1[i] for i in order], [[W2[0][i] for i in order]], b2
    )
    (tmp_path / "train.csv").write_text("x1,x2,y1\n0,1,1/2\n1,-1,-1\n2,1/4,3/4\n-1,2,0\n")
    args = ["barrier", "--model", str(tmp_path / "a.npz"), "--model", str(tmp_path / "b.npz")]
    args += ["--data", str(tmp_path / "train.csv"), "--activation", "tanh", "--align"]
    assert main(args) == 0
    out = capsys.readouterr().out
    before = next(line for line in out.splitlines() if line.startswith("Barrier:"))
    assert "(proved)" in before and "barrier = 0 exactly" not in before
    assert "Aligned barrier: barrier = 0 exactly" in out


def test_barrier_models_are_refused_clearly(tmp_path, capsys):
    _save_model(tmp_path / "a.npz", [[1.0]], [0.0], [[1.0]], [0.0])
    _save_model(tmp_path / "wide.npz", [[1.0], [2.0]], [0.0, 0.0], [[1.0, 1.0]], [0.0])
    (tmp_path / "d.csv").write_text("x1,y1\n0,1\n1,0\n")
    a, wide, data = (str(tmp_path / name) for name in ("a.npz", "wide.npz", "d.csv"))
    cases = [
        (["--model", a, "--model", wide, "--data", data], "two networks of the same shape"),
        (["--model", a, "--data", data], "exactly two models"),
        (["--model", a, "--model", a], "--model needs --data FILE"),
        (["--model", a, "--model", a, "--point", a, "--point", a, "--data", data], "not both"),
    ]
    for extra, message in cases:
        assert main(["barrier", *extra, "--activation", "tanh"]) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1, err


def _classifier_pair(tmp_path) -> list[str]:
    """Two 2-3-3 tanh classifiers (B is A with its units permuted) and class labels 0..2."""
    W1, b1 = [[0.5, -1.25], [1.5, 0.25], [-0.75, 1.0]], [0.25, -0.5, 0.125]
    W2, b2 = [[1.0, -2.0, 0.5], [0.25, 0.5, -1.0], [-0.5, 1.5, 0.75]], [0.5, 0.0, -0.25]
    order = [2, 0, 1]
    _save_model(tmp_path / "a.npz", W1, b1, W2, b2)
    _save_model(
        tmp_path / "b.npz",
        [W1[i] for i in order],
        [b1[i] for i in order],
        [[r[i] for i in order] for r in W2],
        b2,
    )
    (tmp_path / "train.csv").write_text("x1,x2,label\n0,1,0\n1,-1,1\n2,1/4,2\n-1,2,0\n")
    return [
        "--model",
        str(tmp_path / "a.npz"),
        "--model",
        str(tmp_path / "b.npz"),
        "--data",
        str(tmp_path / "train.csv"),
    ]


def test_class_labels_with_the_default_loss_name_the_flag(tmp_path, capsys):
    args = ["barrier", *_classifier_pair(tmp_path), "--activation", "tanh"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "--loss cross_entropy" in err and len(err.strip().splitlines()) == 1, err
    assert main([*args, "--loss", "cross_entropy"]) == 0
    assert "cross_entropy loss" in capsys.readouterr().err


def test_framework_sklearn_means_scikit_learns_loss_and_weight_decay_is_alpha(tmp_path, capsys):
    args = [
        "barrier",
        *_classifier_pair(tmp_path),
        "--activation",
        "tanh",
        "--json",
        str(tmp_path / "c.json"),
    ]
    assert main([*args, "--framework", "sklearn", "--weight-decay", "1/10"]) == 0
    err = capsys.readouterr().err
    assert "cross_entropy loss" in err and "1/80 * (sum of squared weights)" in err  # alpha/(2n), n = 4
    certificate = json.loads((tmp_path / "c.json").read_text())
    assert check(certificate).accepted
    assert main([*args, "--loss", "mse", "--weight-decay", "1/2"]) == 2  # class labels cannot be mse targets
    err = capsys.readouterr().err
    assert "symcert: error:" in err and len(err.strip().splitlines()) == 1
    (tmp_path / "reg.csv").write_text("x1,x2,y1,y2,y3\n0,1,1,0,0\n1,-1,0,1,0\n")
    regression = [*args[:6], str(tmp_path / "reg.csv"), "--activation", "tanh", "--framework", "sklearn"]
    assert main(regression) == 0
    assert "1/2 * mse loss" in capsys.readouterr().err  # scikit-learn's squared error: (1/2) mse


def test_weight_decay_reaches_the_loss_and_the_default_example_refuses_it(tmp_path, capsys):
    args = ["barrier", *_classifier_pair(tmp_path), "--activation", "tanh", "--loss", "cross_entropy"]
    assert main([*args, "--weight-decay", "1/100"]) == 0
    assert "1/100 * (sum of squared weights)" in capsys.readouterr().err
    assert main(["barrier", "--weight-decay", "-1"]) == 2
    assert "must be >= 0" in capsys.readouterr().err
    assert main(["barrier", "--weight-decay", "1/10"]) == 2
    assert "default example has its own loss" in capsys.readouterr().err


def test_align_proves_the_element_on_the_network_function_whatever_the_data(tmp_path, capsys):
    """300 data points: the symmetry is proved without the data (on the whole loss it took minutes)."""
    rng = np.random.default_rng(5)
    W1, b1 = rng.integers(-8, 9, (6, 4)) / 8, rng.integers(-8, 9, 6) / 8
    W2, b2 = rng.integers(-8, 9, (3, 6)) / 8, rng.integers(-8, 9, 3) / 8
    order, signs = [4, 0, 5, 1, 3, 2], np.array([1, -1, 1, 1, -1, 1])
    _save_model(tmp_path / "a.npz", W1, b1, W2, b2)
    _save_model(
        tmp_path / "b.npz", (W1 * signs[:, None])[order], (b1 * signs)[order], (W2 * signs)[:, order], b2
    )
    X = rng.integers(-4, 5, (300, 4)) / 4
    np.savez(tmp_path / "d.npz", X=X, y=rng.integers(0, 3, 300))
    args = ["barrier", "--model", str(tmp_path / "a.npz"), "--model", str(tmp_path / "b.npz")]
    args += ["--data", str(tmp_path / "d.npz"), "--activation", "tanh", "--loss", "cross_entropy"]
    assert main([*args, "--align", "--tol", "1e-2", "--max-seconds", "60"]) == 0
    out = capsys.readouterr().out
    assert "g(B) computes the same function as B: proved" in out
    assert "Aligned barrier: barrier = 0 exactly" in out


def test_max_seconds_stops_a_barrier_whose_first_pass_runs_past_it(capsys, tmp_path, monkeypatch):
    """--max-seconds bounds every phase: a branch and bound that does not return in time is stopped
    (its own cap is only looked at between rounds), said in one line, nothing written, exit 1."""
    import time

    import symcert.cli.barrier as cli_barrier

    def slow(*args, **kwargs):
        time.sleep(30)  # a first pass far longer than the budget
        raise AssertionError("not stopped")

    monkeypatch.setattr(cli_barrier, "certify_barrier", slow)
    out = tmp_path / "b.json"
    began = time.perf_counter()
    code, text, err = run(capsys, "barrier", "--max-seconds", "0.3", "--json", str(out))
    assert time.perf_counter() - began < 10
    assert code == 1 and "Barrier:         stopped by --max-seconds 0.3 before it finished" in text
    assert "Nothing written" in text and "Traceback" not in err and not out.exists()
    code, text, _ = run(capsys, "barrier", "--max-seconds", "0.3", "--format", "json")
    assert code == 1 and json.loads(text)["verdict"] == "undecided"
