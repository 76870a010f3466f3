"""``--format json`` (symcert.cli.report): one document on stdout per command, valid against its schema."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import jsonschema
import numpy as np
import pytest

from symcert.cli import main

SCHEMA = json.loads((Path(__file__).parent.parent / "docs" / "cli-output.schema.json").read_text())

KEY = {
    "schema": "symcert-grading-key",
    "version": 1,
    "title": "demo",
    "exercises": {
        "order": {"kind": "exact", "value": "3/4", "points": 2, "hint": "Multiply the factorials."},
        "barrier": {"kind": "interval", "value": ["4.1489", "4.1491"], "tolerance": "1/1000", "points": 3},
    },
}
ANSWERS = "student,order,barrier\nalice,0.75,4.1485\nbob,3/4.,4.1470\n"


def _document(capsys, argv: list[str], code: int) -> tuple[dict, str]:
    """Run ``argv`` with ``--format json``: its exit code, one schema-valid document on stdout."""
    assert main([*argv, "--format", "json"]) == code
    out, err = capsys.readouterr()
    document = json.loads(out)  # the whole of stdout is one JSON document
    jsonschema.validate(document, SCHEMA)
    assert document["command"] == argv[0] and document["exit_code"] == code
    for enclosure in document["enclosures"]:  # exact strings, and decimals rounded outward around them
        lower, upper = Fraction(enclosure["lower"]), Fraction(enclosure["upper"])
        assert Fraction(enclosure["lower_decimal"]) <= lower <= upper <= Fraction(enclosure["upper_decimal"])
        assert enclosure["decimal"] == f"[{enclosure['lower_decimal']}, {enclosure['upper_decimal']}]"
    assert document["timings"]["total_seconds"] >= 0
    return document, err


def test_prove_then_check(tmp_path, capsys):
    cert = tmp_path / "cert.json"
    document, err = _document(capsys, ["prove", "--json", str(cert)], 0)
    assert document["verdict"] == "proved"
    assert document["files"] == [{"path": str(cert), "role": "certificate"}] and cert.exists()
    assert document["details"]["certificates"][0]["kind"] == "chord"
    assert "certify chord" in document["timings"]
    barrier = next(e for e in document["enclosures"] if e["name"] == "barrier")
    assert Fraction(barrier["lower"]) > 0 and barrier["decimal"] == "[4.14896, 4.14897]"
    assert "Verdict: PROVED" in err  # the text output, on stderr in json mode
    document, _ = _document(capsys, ["check", str(cert)], 0)
    assert document["verdict"] == "accepted" and document["details"]["kind"] == "chord"
    assert {e["context"] for e in document["enclosures"]} == {"checker"} and document["enclosures"]


def test_prove_a_trained_model(tmp_path, capsys):
    arrays = {
        "W1": np.array([[4.0]]),
        "b1": np.array([0.0]),
        "W2": np.array([[1.0], [-1.0]]),
        "b2": np.zeros(2),
    }
    np.savez(tmp_path / "net.npz", activation=np.array("tanh"), **arrays)
    (tmp_path / "train.csv").write_text("x1,label\n-2,1\n-1,1\n1,0\n2,0\n")
    argv = ["prove", "--model", str(tmp_path / "net.npz"), "--data", str(tmp_path / "train.csv")]
    assert main([*argv, "--loss", "cross_entropy", "--quiet"]) in (0, 1)
    code = 0 if "PROVED" in capsys.readouterr().out else 1
    document, err = _document(capsys, [*argv, "--loss", "cross_entropy", "--quiet"], code)
    assert document["verdict"] == (
        "proved" if code == 0 else document["details"]["certificates"][0]["status"]
    )
    assert document["enclosures"] and "1-1-2 tanh network" in err


def test_barrier(capsys):
    document, err = _document(capsys, ["barrier"], 0)
    assert document["verdict"] == "proved"
    barrier = document["enclosures"][0]
    assert barrier["name"] == "barrier" and barrier["context"] == "before alignment"
    assert Fraction(barrier["upper"]) - Fraction(barrier["lower"]) <= Fraction(1, 1000)
    assert "barrier before alignment" in document["timings"] and "Certifying the barrier" in err


def test_barrier_manifest(tmp_path, capsys):
    pytest.importorskip("distributed")
    for name, weight in (("a", 4.0), ("b", 3.0)):
        arrays = {
            "W1": np.array([[weight]]),
            "b1": np.zeros(1),
            "W2": np.array([[1.0], [-1.0]]),
            "b2": np.zeros(2),
        }
        np.savez(tmp_path / f"{name}.npz", activation=np.array("tanh"), **arrays)
    (tmp_path / "data.csv").write_text("x1,label\n-2,1\n-1,1\n1,0\n2,0\n")
    (tmp_path / "pairs.csv").write_text("name,model_a,model_b,data,tol\nq,a.npz,b.npz,data.csv,1e-2\n")
    argv = ["barrier", "--manifest", str(tmp_path / "pairs.csv"), "--out", str(tmp_path / "res"), "--threads"]
    document, _ = _document(capsys, [*argv, "--workers", "1"], 0)
    assert document["verdict"] == "proved" and document["details"]["pairs"][0]["pair"] == "q"
    assert document["files"] == [{"path": str(tmp_path / "res" / "summary.csv"), "role": "summary"}]


def test_saddle(capsys):
    document, _ = _document(capsys, ["saddle"], 0)
    assert document["verdict"] == "proved"
    assert document["details"]["verdict"] == "saddle of index 1"
    dHd = next(e for e in document["enclosures"] if e["name"] == "d^T H d")
    assert Fraction(dHd["upper"]) < 0  # the certified negative curvature


def test_group_is_the_json_of_group_json(capsys):
    document, _ = _document(capsys, ["group", "--widths", "1,3,1"], 0)
    assert document["verdict"] == "listed" and document["enclosures"] == []
    assert main(["group", "--widths", "1,3,1", "--json"]) == 0  # the old flag: unchanged
    assert document["details"] == json.loads(capsys.readouterr().out)


def test_grade(tmp_path, capsys):
    key, answers = tmp_path / "key.json", tmp_path / "answers.csv"
    key.write_text(json.dumps(KEY))
    answers.write_text(ANSWERS)
    document, err = _document(capsys, ["grade", str(key), str(answers)], 0)
    assert document["verdict"] == "graded"
    assert document["details"]["totals"] == {"alice": 5, "bob": 0} and document["details"]["max_points"] == 5
    statuses = {(row["student"], row["exercise"]): row["status"] for row in document["details"]["scores"]}
    assert statuses[("bob", "order")] == "malformed" and statuses[("alice", "barrier")] == "correct"
    assert "alice: 5/5" in err
    scores = tmp_path / "scores.csv"
    document, _ = _document(capsys, ["grade", str(key), str(answers), "-o", str(scores)], 0)
    assert document["files"] == [{"path": str(scores), "role": "scores"}]


@pytest.mark.parametrize(
    "argv",
    [
        ["prove", "--element", "swap:1:0,5"],  # a unit the network does not have
        ["check", "missing.json"],
        ["barrier", "--point", "only-one.json"],
        ["saddle", "--point", "p.json"],
        ["group", "--activation", "nonsense"],
        ["grade", "missing.json", "missing.csv"],
    ],
)
def test_bad_input_is_one_line_on_stderr_and_nothing_on_stdout(argv, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main([*argv, "--format", "json"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("symcert: error:") and err.count("\n") == 1, err
    assert "--format" not in err  # the input's own error, not the option's


def test_text_stays_the_default(capsys):
    assert main(["group"]) == 0
    text = capsys.readouterr().out
    assert main(["group", "--format", "text"]) == 0
    assert capsys.readouterr().out == text and not text.lstrip().startswith("{")
    assert main(["group", "--format", "yaml"]) == 2
    assert "invalid choice: 'yaml'" in capsys.readouterr().err
