"""``symcert saddle``: the default example, data files, certificates, one-line errors."""

from __future__ import annotations

import json

from symcert import check
from symcert.cli import main


def test_the_default_example_proves_a_saddle(capsys, tmp_path):
    out = tmp_path / "saddle.json"
    assert main(["saddle", "--json", str(out)]) == 0
    captured = capsys.readouterr()
    assert "Verdict: saddle of index 1 (proved)" in captured.out
    assert "symcert saddle: certifying the critical point" in captured.err  # progress on stderr
    assert check(str(out)).accepted
    assert json.loads(out.read_text())["kind"] == "saddle"


def test_data_and_a_point_from_files(capsys, tmp_path):
    data = tmp_path / "data.csv"
    data.write_text("x1,y1\n-2,-1\n-1,-1\n0,0\n1,1\n2,2\n3,2\n")
    point = tmp_path / "point.json"
    point.write_text(json.dumps({"W1": [["0.7983"]], "b1": ["-0.3992"], "W2": [["1.6331"]], "b2": ["0.5"]}))
    argv = ["saddle", "--widths", "1,1,1", "--data", str(data), "--point", str(point), "--lift", "1:0:2"]
    assert main(argv) == 0
    assert "lam = 2" in capsys.readouterr().out


def test_lam_zero_is_undecided_and_exits_1(capsys):
    assert main(["saddle", "--lift", "1:0:0"]) == 1
    assert "Verdict: undecided" in capsys.readouterr().out


def test_bad_input_is_one_line_and_exit_2(capsys, tmp_path):
    bad = (["saddle", "--lift", "1:0:x"], ["saddle", "--lift", "3:0:1/2"], ["saddle", "--pdf", "a.pdf"])
    for argv in bad:
        assert main(argv) == 2
        lines = capsys.readouterr().err.strip().splitlines()
        errors = [line for line in lines if line.startswith("symcert: error:")]
        assert len(errors) == 1 and lines[-1] == errors[0]  # progress lines, then one error line
        assert all(line.startswith("symcert") for line in lines)  # no traceback
    far = tmp_path / "far.json"
    far.write_text(json.dumps({"W1": [["3"]], "b1": ["2"], "W2": [["-1"]], "b2": ["0"]}))
    data = tmp_path / "data.csv"
    data.write_text("x1,y1\n-2,-1\n-1,-1\n0,0\n1,1\n2,2\n3,2\n")
    assert main(["saddle", "--widths", "1,1,1", "--data", str(data), "--point", str(far)]) == 2
    assert "not near a critical point" in capsys.readouterr().err


def test_quiet_silences_the_progress_messages(capsys):
    assert main(["saddle", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert "Verdict: saddle of index 1 (proved)" in captured.out and captured.err == ""


def test_running_out_of_memory_is_one_line_that_says_what_to_do(capsys, monkeypatch):
    import symcert.proofs.saddle as proofs_saddle

    def huge(*args, **kwargs):
        raise MemoryError("Unable to allocate 373. GiB for an array with shape (382375, 4096, 32)")

    monkeypatch.setattr(proofs_saddle, "certify_saddle", huge)
    assert main(["saddle"]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("symcert: error: this problem needs more memory than is available")
    assert "(Unable to allocate 373. GiB)" in err and "fewer data points" in err
