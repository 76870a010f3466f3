"""Every input path refuses malformed input: exit code 2, one line on stderr, no traceback, nothing written.

The corpus in ``tests/corpus/`` plus inputs made here (``/dev/zero``, a FIFO, a folder, a CSV field beyond
Python's field limit, a 10^6-digit integer, deep nesting) go through every entry point that reads a file:
``prove --data``, ``prove --point``, ``check`` and ``check --coq``; bad options through ``prove``,
``invariance``, ``group`` and ``check``.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from symcert import certify_nonconvexity, default_example, write_json
from symcert.cli import main

CORPUS = Path(__file__).parent / "corpus"
STATIC = sorted(p.name for p in CORPUS.iterdir() if p.name != "README.md")
MADE = ["dev-zero", "fifo", "folder", "missing", "huge-field.csv", "big-integer.json", "deep.json"]


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("made")
    fifo = folder / "fifo.json"
    os.mkfifo(fifo)
    (folder / "huge-field.csv").write_text("x1,y1\n" + "1" * 200_000 + ",1\n")
    (folder / "big-integer.json").write_text('{"xs": [[' + "7" * 1_000_000 + ']], "ys": [["1"]]}')
    (folder / "deep.json").write_text("[" * 200_000 + "]" * 200_000)
    (folder / "sub").mkdir()
    return {
        "dev-zero": Path("/dev/zero"),
        "fifo": fifo,
        "folder": folder / "sub",
        "missing": folder / "absent.json",
        "huge-field.csv": folder / "huge-field.csv",
        "big-integer.json": folder / "big-integer.json",
        "deep.json": folder / "deep.json",
    }


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("good")
    example = default_example()
    certificate = certify_nonconvexity(example.loss, example.teacher, element=example.element)
    write_json(certificate, folder / "cert.json")
    (folder / "proof.v").write_text(certificate.to_coq())
    (folder / "data.csv").write_text("x1,y1\n0,0\n1,1\n-1,1\n")
    (folder / "point.json").write_text(
        '{"W1": [["1"], ["-2"]], "b1": ["0", "1/2"], "W2": [["1", "3"]], "b2": ["0"]}'
    )
    return {
        "cert": folder / "cert.json",
        "proof": folder / "proof.v",
        "data": folder / "data.csv",
        "point": folder / "point.json",
        "out": folder / "out.json",
    }


def _path(name: str, made: dict[str, Path]) -> Path:
    return made[name] if name in made else CORPUS / name


def _timeout(signum, frame):  # pragma: no cover - only on a regression
    raise TimeoutError("the command hung on its input")


def run_refused(argv: list[str], capsys, out: Path | None = None) -> str:
    previous = signal.signal(signal.SIGALRM, _timeout)
    signal.alarm(60)
    try:
        code = main(argv)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert code == 2, (argv, captured.out, captured.err)
    assert len(lines) == 1 and lines[0].startswith("symcert: error:"), captured.err
    assert "Traceback" not in captured.err + captured.out
    assert len(lines[0]) < 400, lines[0]
    if out is not None:
        assert not out.exists()
    return lines[0]


@pytest.mark.parametrize("name", STATIC + MADE)
def test_prove_data_refuses(name, made, good, capsys):
    path = _path(name, made)
    run_refused(
        ["prove", "--data", str(path), "--point", str(good["point"]), "--json", str(good["out"])],
        capsys,
        good["out"],
    )


@pytest.mark.parametrize("name", [n for n in STATIC + MADE if not n.endswith(".csv")])
def test_prove_point_refuses(name, made, good, capsys):
    path = _path(name, made)
    run_refused(
        ["prove", "--data", str(good["data"]), "--point", str(path), "--json", str(good["out"])],
        capsys,
        good["out"],
    )
    run_refused(
        ["prove", "--seed", "2", "--point", str(path), "--json", str(good["out"])], capsys, good["out"]
    )


@pytest.mark.parametrize("name", STATIC + MADE)
def test_check_refuses(name, made, capsys):
    run_refused(["check", str(_path(name, made))], capsys)


@pytest.mark.parametrize(
    "name", ["dev-zero", "fifo", "folder", "missing", "binary.json", "binary.csv", "latin1.csv"]
)
def test_check_coq_refuses_unreadable_proofs(name, made, good, capsys):
    run_refused(["check", str(good["cert"]), "--coq", str(_path(name, made))], capsys)


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["prove", "--dps", "2501"], "2501"),
        (["prove", "--dps", "4"], "'4'"),
        (["prove", "--dps", "9" * 5000], "999..."),
        (["prove", "--dps", "1e3"], "1e3"),
        (["prove", "--seed", "-1"], "--seed"),
        (["prove", "--widths", "1,5000,1"], "4096"),
        (["prove", "--widths", "1," + "9" * 10_000 + ",1"], "widths"),
        (["prove", "--widths", ",".join(["2"] * 40)], "2 to 17 of them"),
        (["prove", "--widths", "1,0,1"], "positive integers"),
        (["prove", "--widths", "1,\u0662,1"], "integers"),
        (["prove", "--weight-decay", "1e999999"], "digits"),
        (["prove", "--weight-decay", "nan"], "finite"),
        (["prove", "--weight-decay", "1/0"], "finite"),
        (["prove", "--activation", "leaky_relu:1e999999"], "digits"),
        (["prove", "--element", "swap:1:-2,-1"], "non-negative"),
        (["invariance", "--widths", "1,5000,1"], "4096"),
        (["invariance", "--weight-decay", "9" * 1_000_000, "--loss", "mse"], "digits"),
        (["group", "--widths", "x"], "widths"),
        (["check", "--budget", "nan", "x.json"], "--budget"),
        (["check", "--arithmetic", "float", "x.json"], "arithmetic"),
    ],
)
def test_bad_options_give_one_line(argv, fragment, capsys):
    out = Path("never-written.json")
    line = run_refused([*argv, "--json", str(out)] if argv[0] == "prove" else argv, capsys, out)
    assert fragment in line, line


def test_high_precision_round_trip(tmp_path, capsys):
    """--dps at the top of the documented range writes JSON and LaTeX, and the checker accepts the JSON."""
    out, tex = tmp_path / "c.json", tmp_path / "c.tex"
    assert main(["prove", "--dps", "2500", "--json", str(out), "--latex", str(tex)]) == 0
    assert main(["check", str(out)]) == 0
    assert tex.exists()
    capsys.readouterr()


# The sweep: every command's bad invocations (tests/cli_sweep.py holds the table; run it as a script
# for the numbers). Each one: exit 2, one line on stderr, no traceback, no hang, nothing written.
from cli_sweep import BAD, problems, run, workspace  # noqa: E402


@pytest.fixture(scope="module")
def sweep_workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("sweep") / "w"
    return root, workspace(root)


def test_the_sweep_is_broad():
    assert len(BAD) >= 200
    assert {argv[0] for argv in BAD if not argv[0].startswith("-")} >= {
        "group",
        "invariance",
        "prove",
        "check",
        "handout",
        "barrier",
        "example",
        "saddle",
        "grade",
    }


@pytest.mark.parametrize("argv", BAD, ids=[" ".join(argv)[:80] for argv in BAD])
def test_bad_invocation_is_refused_in_one_line(argv, sweep_workspace):
    root, names = sweep_workspace
    outcome = run(argv, root, names, seconds=60)
    assert not problems(outcome), (outcome["argv"], problems(outcome), outcome["stderr"])
