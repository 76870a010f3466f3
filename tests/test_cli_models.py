"""The command line's contract on bad input and on models: validated before any work, one network per file."""

from __future__ import annotations

import time

import numpy as np
import pytest

from symcert.cli import main


def _one_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("symcert: error:"), err
    return err[0]


def _classifier(folder, activation: str | None):
    """A 1-1-2 tanh classifier (the sign of x decides) and labelled data; ``activation`` recorded or not."""
    arrays = {"W1": np.array([[4.0]]), "b1": np.array([0.0]), "W2": np.array([[1.0], [-1.0]])}
    arrays["b2"] = np.zeros(2)
    if activation is not None:
        arrays["activation"] = np.array(activation)
    np.savez(folder / "net.npz", **arrays)
    (folder / "train.csv").write_text("x1,label\n-2,1\n-1,1\n1,0\n2,0\n")
    return str(folder / "net.npz"), str(folder / "train.csv")


def test_prove_reads_the_activation_and_prints_the_float64_accuracy(tmp_path, capsys):
    model, data = _classifier(tmp_path, "tanh")
    code = main(["prove", "--model", model, "--data", data, "--loss", "cross_entropy", "--quiet"])
    out = capsys.readouterr().out
    assert code in (0, 1)
    assert "1-1-2 tanh network" in out
    assert "4 of 4 points classified correctly (100.0%)" in out


def test_prove_refuses_an_activation_that_contradicts_the_model(tmp_path, capsys):
    model, data = _classifier(tmp_path, "tanh")
    argv = ["prove", "--model", model, "--data", data, "--loss", "cross_entropy", "--activation", "relu"]
    assert main(argv) == 2
    line = _one_line(capsys)
    assert "records the activation tanh, but --activation relu was given" in line


def test_a_model_without_a_recorded_activation_needs_the_flag(tmp_path, capsys):
    model, data = _classifier(tmp_path, None)
    assert main(["prove", "--model", model, "--data", data, "--loss", "cross_entropy"]) == 2
    assert "name it with --activation" in _one_line(capsys)
    pair = ["barrier", "--model", model, "--model", model, "--data", data, "--loss", "cross_entropy"]
    assert main(pair) == 2
    assert "name it with --activation" in _one_line(capsys)
    argv = ["prove", "--model", model, "--data", data, "--loss", "cross_entropy", "--activation", "relu"]
    assert main([*argv, "--quiet"]) in (0, 1)
    assert "2 of 4 points classified correctly (50.0%)" in capsys.readouterr().out  # relu: the wrong net


def test_prove_refuses_a_network_over_its_budget_at_once(capsys):
    start = time.perf_counter()
    assert main(["prove", "--widths", "1,4096,4096,4096,1"]) == 2
    assert time.perf_counter() - start < 5
    line = _one_line(capsys)
    assert "beyond the budget of 600 s; raise --budget" in line
    assert main(["prove", "--widths", "1,32,32,1", "--budget", "1"]) == 2
    assert "beyond the budget of 1 s" in _one_line(capsys)
    assert main(["prove", "--budget", "nan"]) == 2
    assert "--budget must be a number of seconds" in _one_line(capsys)


def test_the_budget_estimate_is_above_small_measured_runs(capsys):
    from symcert.cli.cost import estimate_prove_seconds

    start = time.process_time()  # CPU time of this process: a loaded machine does not inflate it
    assert main(["prove", "--widths", "1,8,8,1"]) == 0
    elapsed = time.process_time() - start
    capsys.readouterr()
    assert estimate_prove_seconds((1, 8, 8, 1), 5) > elapsed / 3  # the same order: not a blind refusal


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--version", "extra"], "invalid choice: 'extra'"),
        (["--version", "prove"], "--version takes no command"),
        (["invariance", "--weight-decay", "-1"], "--weight-decay -1 needs --loss"),
        (["invariance", "--loss", "mse", "--weight-decay", "-1"], "--weight-decay must be >= 0"),
        (["barrier", "--max-seconds", "nan"], "--max-seconds must be a number of seconds"),
        (["barrier", "--max-pieces", "0"], "--max-pieces must be an integer from 1"),
    ],
)
def test_values_accepted_silently_before_are_refused(argv, fragment, capsys):
    assert main(argv) == 2
    assert fragment in _one_line(capsys)


def test_version_alone_prints_it(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("symcert ")


def test_max_seconds_caps_the_alignment(monkeypatch, capsys):
    import symcert.cli.barrier as barrier

    def slow_align(*args, **kwargs):
        time.sleep(30)
        raise AssertionError("the alignment ran past --max-seconds")

    monkeypatch.setattr(barrier, "align", slow_align)
    start = time.perf_counter()
    assert main(["barrier", "--align", "--max-seconds", "2"]) == 1
    assert time.perf_counter() - start < 6
    assert "Alignment:       stopped by --max-seconds 2 before it finished" in capsys.readouterr().out


def test_output_paths_are_checked_before_any_work(tmp_path, monkeypatch, capsys):
    import symcert.cli.barrier as barrier

    def never(*args, **kwargs):
        raise AssertionError("work started before the output path was checked")

    monkeypatch.setattr(barrier, "certify_barrier", never)
    for flag in ("--json", "--latex", "--plot"):
        target = tmp_path / ("out.png" if flag == "--plot" else "out")
        target.mkdir(exist_ok=True)
        assert main(["barrier", flag, str(target)]) == 2
        assert "it is a folder" in _one_line(capsys)
