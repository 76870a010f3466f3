"""symcert grade: right, wrong, malformed and missing answers with exact expected scores."""

from __future__ import annotations

import copy
import csv
import io
import json
from fractions import Fraction

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from symcert.cli import main
from symcert.errors import SpecificationError
from symcert.handouts.grading import grade, grade_class, parse_key, read_answer_rows, read_answers, scores_csv

KEY = {
    "schema": "symcert-grading-key",
    "version": 1,
    "title": "demo",
    "exercises": {
        "order": {"kind": "exact", "value": "3/4", "points": 2, "hint": "Multiply the factorials."},
        "barrier": {
            "kind": "interval",
            "value": ["4.1489", "4.1491"],
            "tolerance": "1/1000",
            "points": 3,
            "hint": "Evaluate L at the midpoint.",
        },
        "LM": {
            "kind": "decimal",
            "value": "2.5",
            "tolerance": "0.01",
            "points": 1,
            "hint": "Round to 2 places.",
        },
        "sign": {"kind": "sign", "value": "-", "points": 1, "hint": "phi'' is negative at the midpoint."},
    },
    "students": {"carol": {"seed": 17, "exercises": {"order": {"value": "5/6"}, "sign": {"value": "+"}}}},
}

ANSWERS = """student,order,barrier,LM,sign
alice,0.75,4.1485,2.509,negative
bob,3/4.,4.1470,2.52,+
carol,5/6,4.150,,>0
dave,,abc,1e400000,?
"""

EXPECTED = {
    # alice: all right (0.75 == 3/4 exactly; 4.1485 within 1/1000 of [4.1489, 4.1491]; |2.509 - 2.5| <= 0.01)
    "alice": [("correct", 2), ("correct", 3), ("correct", 1), ("correct", 1)],
    # bob: '3/4.' is no number; 4.1470 is 0.0019 below; 2.52 is 0.02 off; + is the wrong sign
    "bob": [("malformed", 0), ("wrong", 0), ("wrong", 0), ("wrong", 0)],
    # carol has her own numbers: 5/6 and +
    "carol": [("correct", 2), ("correct", 3), ("missing", 0), ("correct", 1)],
    "dave": [("missing", 0), ("malformed", 0), ("malformed", 0), ("malformed", 0)],
}


def test_scores_right_wrong_malformed_missing():
    key = parse_key(KEY)
    grades = grade(key, read_answers(ANSWERS, key))
    got = {}
    for g in grades:
        got.setdefault(g.student, []).append((g.status, g.points))
    assert got == EXPECTED
    totals = {s: sum(p for _, p in rows) for s, rows in got.items()}
    assert totals == {"alice": 7, "bob": 0, "carol": 6, "dave": 0}
    hints = {(g.student, g.exercise): g.hint for g in grades}
    assert hints[("alice", "order")] == ""
    assert hints[("bob", "barrier")] == "Evaluate L at the midpoint."
    assert hints[("bob", "order")].startswith("could not read the answer: write a number")
    assert hints[("dave", "sign")].startswith("could not read the answer: write + or -")


def test_exact_means_exact():
    key = parse_key(KEY)
    rows = read_answers("student,order\nx,0.7500000000000000001\ny,6/8\nz,7.5e-1\n", key)
    assert [g.status for g in grade(key, rows) if g.exercise == "order"] == ["wrong", "correct", "correct"]


def test_scores_csv_has_one_row_per_answer_and_totals():
    key = parse_key(KEY)
    rows = list(csv.reader(io.StringIO(scores_csv(grade(key, read_answers(ANSWERS, key))))))
    assert rows[0] == ["student", "exercise", "answer", "status", "points", "max_points", "hint"]
    assert len(rows) == 1 + 16 + 4
    assert ["alice", "TOTAL", "", "", "7", "7", ""] in rows
    assert ["bob", "sign", "+", "wrong", "0", "1", "phi'' is negative at the midpoint."] in rows


@given(st.fractions(), st.fractions(min_value=0, max_value=10))
@example(value=Fraction(1, 3), offset=Fraction(0))
@example(value=Fraction(-7, 2), offset=Fraction(1, 2))
@example(value=Fraction(0), offset=Fraction(1, 2) + Fraction(1, 10**30))
def test_decimal_tolerance_is_inclusive_and_exact(value, offset):
    data = copy.deepcopy(KEY)
    data["students"] = {}
    data["exercises"] = {"q": {"kind": "decimal", "value": str(value), "tolerance": "1/2", "points": 1}}
    key = parse_key(data)
    answer = value + offset
    status = grade(key, [("s", {"q": f"{answer.numerator}/{answer.denominator}"})])[0].status
    assert status == ("correct" if offset <= 0.5 else "wrong")


@pytest.mark.parametrize(
    "change, message",
    [
        ({"version": 2}, "the version must be 1"),
        ({"schema": "other"}, "schema"),
        ({"exercises": {}}, "non-empty object"),
        ({"exercises": {"q": {"kind": "guess", "value": "1"}}}, "one of exact, interval, decimal, sign"),
        ({"exercises": {"q": {"kind": "exact", "value": 0.5}}}, "an exact number as a string"),
        ({"exercises": {"q": {"kind": "interval", "value": ["2", "1"]}}}, "lo <= hi"),
        ({"exercises": {"q": {"kind": "sign", "value": "0"}}}, '"\\+" or "-"'),
        ({"exercises": {"q": {"kind": "exact", "value": "1", "points": -1}}}, "nonnegative integer"),
        ({"students": {"eve": {"exercises": {"nope": {"value": "1"}}}}}, "numbers for exercises of the key"),
        (
            {"students": {"eve": {"exercises": {"order": {"kind": "sign"}}}}},
            "keys among certified, decimal, hint, tolerance, value",
        ),
    ],
)
def test_malformed_keys_are_refused_in_one_sentence(change, message):
    data = {**copy.deepcopy(KEY), **change}
    with pytest.raises(SpecificationError, match=message):
        parse_key(data)


def test_students_only_refuses_unknown_students():
    key = parse_key({**KEY, "students_only": True})
    with pytest.raises(SpecificationError, match="'alice' is not in the key"):
        grade(key, read_answers(ANSWERS, key))


#: A class key (numbers per student, none at the top level) and a sheet with every kind of trouble.
CLASS_KEY = {
    "schema": "symcert-grading-key",
    "version": 1,
    "students_only": True,
    "exercises": {"w": {"kind": "exact", "points": 1}, "s": {"kind": "sign", "points": 1}},
    "students": {
        "ann": {"seed": 1, "exercises": {"w": {"value": "1/4", "decimal": "0.25"}, "s": {"value": "+"}}},
        "ben": {
            "seed": 2,
            "exercises": {"w": {"value": "-5/4"}, "s": {"value": "-", "certified": ["-2", "-1"]}},
        },
        "cat": {"seed": 3, "exercises": {"w": {"value": "3/4"}, "s": {"value": "+"}}},
        "dan": {"seed": 4, "exercises": {"w": {"value": "7/4"}, "s": {"value": "-"}}},
    },
}
SHEET = """student,w,s
ann,0.25,+
eve,1/4,+
ben,-5/4,neg ative
ann,3/4,-

cat,three quarters,+
"""


def test_a_class_sheet_with_an_unknown_row_a_duplicate_and_a_malformed_answer_is_graded_to_the_end():
    key = parse_key(CLASS_KEY)
    report = grade_class(key, read_answer_rows(SHEET, key))
    got = {(g.student, g.exercise): (g.status, g.points) for g in report.grades}
    assert got == {
        ("ann", "w"): ("correct", 1),  # the first row counts
        ("ann", "s"): ("correct", 1),
        ("ben", "w"): ("correct", 1),
        ("ben", "s"): ("correct", 1),  # "neg ative": spaces are ignored in a sign
        ("cat", "w"): ("malformed", 0),
        ("cat", "s"): ("correct", 1),
    }
    flags = [(p.line, p.student, p.status) for p in report.problems]
    assert flags == [
        (3, "eve", "unknown"),
        (5, "ann", "duplicate"),
        (7, "cat", "malformed"),
        (0, "dan", "absent"),
    ]
    assert "first on row 2" in report.problems[1].message
    rows = list(csv.reader(io.StringIO(scores_csv(report.grades, report.problems))))
    assert ["eve", "", "", "unknown"] == rows[-3][:4] and "not in the key" in rows[-3][6]
    assert ["ann", "", "", "duplicate"] == rows[-2][:4]
    assert ["dan", "", "", "absent"] == rows[-1][:4]
    assert ["cat", "TOTAL", "", "", "1", "2", ""] in rows


def test_a_class_key_needs_every_students_own_value():
    data = copy.deepcopy(CLASS_KEY)
    del data["students"]["dan"]["exercises"]["w"]
    with pytest.raises(SpecificationError, match="'dan' must be their own value of w"):
        parse_key(data)
    data["students_only"] = False
    with pytest.raises(SpecificationError, match="exercise 'w' must be an object with a value"):
        parse_key(data)


def test_cli_grade_flags_rows_and_grades_everyone_else(tmp_path, capsys):
    key_file, answers, out = tmp_path / "key.json", tmp_path / "answers.csv", tmp_path / "scores.csv"
    key_file.write_text(json.dumps(CLASS_KEY))
    answers.write_text(SHEET)
    assert main(["grade", str(key_file), str(answers), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    for line in (
        "symcert: warning: row 3: student 'eve' is not in the key; not graded",
        "symcert: warning: row 5 repeats student 'ann' (first on row 2)",
        "symcert: warning: row 7 (cat): could not read the answer to w: 'three quarters'",
        "symcert: warning: student 'dan' of the key has no row in the answers",
        "ann: 2/2",
        "ben: 2/2",
        "cat: 1/2",
    ):
        assert line in err, (line, err)
    assert "eve:" not in err
    scores = out.read_text()
    assert "eve,,,unknown," in scores and "dan,,,absent," in scores


def test_answers_csv_errors():
    key = parse_key(KEY)
    with pytest.raises(SpecificationError, match="header 'student,ID1"):
        read_answers("name,order\n", key)
    with pytest.raises(SpecificationError, match="columns extra that are not exercises"):
        read_answers("student,order,extra\n", key)


def test_cli_grade(tmp_path, capsys):
    key_file, answers, out = tmp_path / "key.json", tmp_path / "answers.csv", tmp_path / "scores.csv"
    key_file.write_text(json.dumps(KEY))
    answers.write_text(ANSWERS)
    assert main(["grade", str(key_file), str(answers), "-o", str(out)]) == 0
    assert "alice: 7/7" in capsys.readouterr().err
    assert "carol,TOTAL,,,6,7," in out.read_text()
    key_file.write_text("{not json")
    assert main(["grade", str(key_file), str(answers)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("symcert: error: the key") and err.count("\n") == 1
    assert main(["grade", "--help"]) == 0
    assert '"schema": "symcert-grading-key"' in capsys.readouterr().out
