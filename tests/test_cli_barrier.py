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
