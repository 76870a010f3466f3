"""Progress bars (symcert.cli.progress): on a terminal's stderr only, silent with --quiet or on a pipe.

A fake terminal is stderr with ``isatty`` answering True; the bars end with the elapsed time, and
``--format json`` keeps stdout one JSON document.
"""

from __future__ import annotations

import io
import json
import sys

import numpy as np
import pytest

from symcert.cli import main
from symcert.cli.progress import Progress, bars_wanted, progress_bar


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def terminal(monkeypatch, capsys):
    """capsys's streams say they are terminals (capsys swaps them in only when the test runs)."""
    from _pytest.capture import CaptureIO

    monkeypatch.setattr(CaptureIO, "isatty", lambda self: True)
    return capsys


def test_a_bar_draws_on_a_terminal_and_ends_with_its_time():
    stream = Terminal()
    with Progress("screening", stream=stream) as bar:
        assert bar.shown
        bar(3, 10, "layer 1")
    text = stream.getvalue()
    assert "screening" in text and "3/10" in text and "layer 1" in text
    assert text.rstrip().splitlines()[-1].startswith("screening: done in ")
    assert text.rstrip().endswith(" s")


def test_a_bar_closes_itself_when_its_total_is_reached():
    stream = Terminal()
    bar = Progress("variants", stream=stream)
    bar(2, 2, "bob")
    assert not bar.shown and "variants: done in " in stream.getvalue()
    bar(3, 3)  # after closing: nothing, no error
    bar.close()
    assert stream.getvalue().count("done in") == 1


def test_quiet_or_a_pipe_draws_nothing():
    import argparse

    quiet, loud = argparse.Namespace(quiet=True), argparse.Namespace(quiet=False)
    assert not bars_wanted(quiet, Terminal()) and bars_wanted(loud, Terminal())
    assert not bars_wanted(loud, io.StringIO())  # not a terminal
    for args, stream in ((quiet, Terminal()), (loud, io.StringIO())):
        with progress_bar(args, "checking", stream=stream) as bar:
            bar(1, 4, "piece 1")
        assert stream.getvalue() == "" and not bar.shown


def test_without_tqdm_there_is_no_bar_and_no_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm raises ImportError
    stream = Terminal()
    with Progress("screening", stream=stream) as bar:
        bar(1, 2)
    assert stream.getvalue() == "" and not bar.shown


def test_barrier_and_check_on_a_terminal(terminal, tmp_path):
    cert = tmp_path / "b.json"
    assert main(["barrier", "--json", str(cert)]) == 0
    out, err = terminal.readouterr()
    assert "Barrier:" in out and "branch and bound (A, B): done in " in err
    assert "piece" in err  # tqdm's unit
    assert "branch and bound" not in out  # never on stdout
    assert main(["check", str(cert)]) == 0
    out, err = terminal.readouterr()
    assert "ACCEPTED" in out and f"checking {cert}: done in " in err and "piece" in err


def test_quiet_and_json_on_a_terminal(terminal, tmp_path):
    cert = tmp_path / "b.json"
    assert main(["barrier", "--json", str(cert), "--quiet"]) == 0
    out, err = terminal.readouterr()
    assert "Barrier:" in out and "done in" not in err and "Certifying" not in err
    assert main(["check", str(cert), "--format", "json"]) == 0
    out, err = terminal.readouterr()
    assert json.loads(out)["verdict"] == "accepted"  # stdout: the one document, no bar in it
    assert "checking" in err and "done in" in err
    assert main(["check", str(cert), "--quiet"]) == 0
    assert "done in" not in terminal.readouterr().err


def test_no_bar_when_stderr_is_a_pipe(capsys, tmp_path):
    cert = tmp_path / "b.json"
    assert main(["barrier", "--json", str(cert)]) == 0
    assert main(["check", str(cert)]) == 0
    err = capsys.readouterr().err
    assert "done in" not in err and "\r" not in err


def test_connect_draws_its_segments(terminal):
    assert main(["connect"]) == 0
    err = terminal.readouterr().err
    assert "bounding the" in err and "done in" in err


def test_screening_a_trained_model(terminal, tmp_path):
    arrays = {"W1": np.array([[4.0], [-3.0]]), "b1": np.zeros(2), "W2": np.array([[1.0, -1.0]]), "b2": [0.0]}
    np.savez(tmp_path / "net.npz", activation=np.array("tanh"), **arrays)
    (tmp_path / "train.csv").write_text("x1,y1\n-2,1\n-1,1\n1,0\n2,0\n")
    argv = ["prove", "--model", str(tmp_path / "net.npz"), "--data", str(tmp_path / "train.csv")]
    assert main([*argv, "--format", "json"]) in (0, 1)
    out, err = terminal.readouterr()
    assert json.loads(out)["command"] == "prove"
    assert "screening symmetries: done in " in err and "symmetr" in err
    main([*argv, "--quiet"])
    assert "screening" not in terminal.readouterr().err


def test_class_variants_report_each_student(tmp_path):
    from symcert.handouts.classroom import read_roster, write_class

    seen = []
    roster = read_roster("student,seed\nAda,1\nAlan,2\n")
    write_class("permutation", roster, tmp_path, pdf=False, workers=1, progress=lambda *a: seen.append(a))
    assert seen == [(0, 2, ""), (1, 2, "Ada"), (2, 2, "Alan")]


def test_the_checker_reports_without_changing_its_verdict(tmp_path):
    from symcert.checker import check

    cert = tmp_path / "b.json"
    assert main(["barrier", "--json", str(cert), "--quiet"]) == 0
    seen = []
    with_progress = check(cert, progress=lambda *a: seen.append(a))
    assert with_progress.accepted and with_progress.reasons == check(cert).reasons
    pieces = [a for a in seen if a[2].startswith("piece")]
    assert pieces and pieces[0][:2] == (0, pieces[0][1]) and pieces[0][1] == len(pieces)
