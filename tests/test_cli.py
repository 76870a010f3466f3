"""The command line: exit codes, readable output, stable JSON, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction

import pytest

from symcert.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_group_text_lists_order_generators_and_families(capsys):
    code, out, _ = run(capsys, "group", "--widths", "1,3,1", "--activation", "relu")
    assert code == 0
    assert "order of the discrete group: 6" in out
    assert "swap:1:0,1, swap:1:1,2" in out
    assert "continuous: rescale:1:j:alpha" in out


def test_group_json_has_order_and_generators(capsys):
    code, out, _ = run(capsys, "group", "--widths", "2,3,2,1", "--activation", "tanh", "--json")
    record = json.loads(out)
    assert code == 0
    assert record["order"] == 48 * 8
    assert record["generators"] == ["swap:1:0,1", "swap:1:1,2", "flip:1:0", "swap:2:0,1", "flip:2:0"]
    assert record["continuous"] == []


def test_default_invariance_proves_every_generator(capsys):
    code, out, err = run(capsys, "invariance")
    assert code == 0
    assert "Verdict: PROVED" in out
    assert "Generator flip:1:0:" in out and "tanh is odd" in out
    assert "Proving invariance" in err


@pytest.mark.parametrize(
    ("activation", "element", "loss", "expected_code", "status"),
    [
        ("relu", "rescale:1:0:3", "mse", 0, "proved"),
        ("relu", "flip:1:0", None, 1, "refuted"),
        ("tanh", "rescale:1:1:1/2", "sse", 1, "refuted"),
        ("sigmoid", "flip:1:1", "bce", 0, "proved"),
        ("softplus", "swap:1:0,1", "cross_entropy", 0, "proved"),
    ],
)
def test_invariance_json_status_and_exit_code(capsys, activation, element, loss, expected_code, status):
    argv = ["invariance", "--activation", activation, "--element", element, "--json"]
    if loss:
        argv += ["--loss", loss]
    if loss == "cross_entropy":
        argv += ["--widths", "1,2,2"]
    code, out, _ = run(capsys, *argv)
    record = json.loads(out)
    assert (code, record["status"]) == (expected_code, status)
    assert record["schema"] == "symcert-invariance" and record["element"] == element
    if status == "refuted":
        difference = record["counterexample"]["difference"]
        lower, upper = (Fraction(difference[k]) for k in ("lower", "upper"))
        assert lower > 0 or upper < 0


def test_weight_decay_breaks_relu_rescaling(capsys):
    code, out, _ = run(
        capsys,
        "invariance",
        "--activation",
        "relu",
        "--element",
        "rescale:1:0:2",
        "--loss",
        "mse",
        "--weight-decay",
        "1/10",
        "--json",
    )
    assert code == 1 and json.loads(out)["status"] == "refuted"


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["group", "--widths", "1,x"], "comma-separated integers"),
        (["group", "--widths", "1,0,1"], "positive integers"),
        (["group", "--activation", "gelu"], "activation must be one of"),
        (["invariance", "--element", "flip:1:5"], "layer 1 has 2 units"),
        (["invariance", "--element", "flip:0:0"], "hidden layers"),
        (["invariance", "--element", "rescale:1:0:-1"], "alpha > 0"),
        (["invariance", "--element", "twist:1"], "cannot read the element"),
        (["invariance", "--loss", "bce", "--output-activation", "identity"], "sigmoid"),
        (["invariance", "--loss", "mse", "--weight-decay", "-1"], "--weight-decay must be >= 0"),
        (["invariance", "--loss", "hinge"], "invalid choice"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, argv, fragment):
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert fragment in err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("symcert: error:")


def test_no_command_prints_help_and_exits_2(capsys):
    code, _, err = run(capsys)
    assert code == 2 and "invariance" in err


def test_help_teaches_the_element_syntax(capsys):
    code, out, _ = run(capsys, "invariance", "--help")
    assert code == 0
    assert "rescale:LAYER:UNIT:ALPHA" in out and "exit codes" not in out


def test_console_entry_point_runs_as_a_module():
    result = subprocess.run(
        [sys.executable, "-m", "symcert", "group", "--widths", "1,2,1", "--json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["order"] == 8


def test_prove_with_no_options_runs_the_default_example(capsys):
    code, out, _ = run(capsys, "prove")
    assert code == 0
    assert "Symmetry: g = swap:1:0,1" in out and "proved (lemmas" in out
    assert "barrier in [4.14896, 4.14897]" in out
    assert "Verdict: PROVED: the loss is not convex." in out


def test_prove_all_kinds_writes_certificates_that_check(capsys, tmp_path):
    out_path = tmp_path / "cert.json"
    code, out, _ = run(capsys, "prove", "--kind", "all", "--json", str(out_path))
    assert code == 0 and out.count("Verdict: PROVED") == 5
    for kind in ("chord", "curvature", "hessian", "orbit", "critical_pair"):
        code, out, _ = run(capsys, "check", str(tmp_path / f"cert.{kind}.json"))
        assert code == 0 and "ACCEPTED" in out


def test_check_rejects_a_falsified_certificate_with_exit_1(capsys, tmp_path):
    out_path = tmp_path / "cert.json"
    run(capsys, "prove", "--json", str(out_path))
    record = json.loads(out_path.read_text())
    record["enclosures"]["barrier"] = ["5", "6"]
    out_path.write_text(json.dumps(record))
    code, out, _ = run(capsys, "check", str(out_path))
    assert code == 1 and "REJECTED" in out


def test_check_of_a_truncated_file_is_exit_2(capsys, tmp_path):
    path = tmp_path / "cut.json"
    path.write_text('{"schema": "symcert-certificate", "vers')
    code, _, err = run(capsys, "check", str(path))
    assert code == 2 and "not valid JSON" in err and "Traceback" not in err


def test_prove_with_data_and_point_files(capsys, tmp_path):
    data = tmp_path / "data.csv"
    data.write_text("x1,y1\n-1,0\n0,1/2\n1,0.25\n2,1\n")
    point = tmp_path / "point.json"
    point.write_text(json.dumps({"W1": [[2], [-1]], "b1": ["1/2", 1], "W2": [[1, -1.5]], "b2": ["1/4"]}))
    code, out, _ = run(capsys, "prove", "--data", str(data), "--point", str(point))
    # A is not a minimum of these data: the swapped midpoint is better, so the chord is refuted.
    assert code == 1 and "Verdict: REFUTED" in out
    assert "W2=[[1, -3/2]]" in out  # the JSON number 1.5 was read exactly
    assert "on 4 data points" in out


def test_prove_with_a_data_file_needs_a_point(capsys, tmp_path):
    data = tmp_path / "data.json"
    data.write_text(json.dumps({"xs": [[1], [2]], "ys": [[0], [1]]}))
    code, _, err = run(capsys, "prove", "--data", str(data))
    assert code == 2 and "--point" in err


def test_prove_curvature_on_relu_is_refused_clearly(capsys):
    code, _, err = run(capsys, "prove", "--activation", "relu", "--kind", "curvature")
    assert code == 2 and "smooth" in err


def test_prove_on_linear_regression_says_it_is_convex(capsys):
    code, out, _ = run(capsys, "prove", "--widths", "1,1", "--loss", "mse")
    assert code == 1
    assert "is convex" in out and "no certificate of non-convexity can exist" in out


def test_prove_without_symmetry_searches_for_a_witness(capsys, tmp_path):
    out_path = tmp_path / "neuron.json"
    argv = ["prove", "--widths", "1,1", "--output-activation", "sigmoid", "--json", str(out_path)]
    code, out, _ = run(capsys, *argv)
    assert code == 0 and "searching for a witness" in out and "Verdict: PROVED" in out
    assert run(capsys, "check", str(out_path))[0] == 0


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["prove", "--dps", "3"], "dps must be"),
        (["prove", "--json", "/nonexistent-folder/x.json"], "folder does not exist"),
        (["prove", "--widths", "1,1,1", "--element", "swap:1:0,1"], "layer 1 has 1 unit (0 to 0)"),
    ],
)
def test_prove_rejects_bad_options_before_working(capsys, argv, fragment):
    code, out, err = run(capsys, *argv)
    assert code == 2 and fragment in err and "Verdict" not in out
