"""``symcert grade KEY.json ANSWERS.csv``: score students' answers against certified values."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from symcert.cli.data_files import read_table
from symcert.cli.options import add_command
from symcert.cli.report import report_of
from symcert.errors import SpecificationError
from symcert.handouts.grading import (
    KEY_SCHEMA,
    KEY_VERSION,
    grade_class,
    parse_key,
    read_answer_rows,
    scores_csv,
)

__all__ = ["add_grade_parser", "run_grade"]

_FORMAT = f"""\
key format (JSON, "schema": "{KEY_SCHEMA}", "version": {KEY_VERSION}):
  {{"schema": "{KEY_SCHEMA}", "version": {KEY_VERSION}, "title": "...",
   "exercises": {{ID: {{"kind": K, "value": V, "tolerance": "1/1000", "points": 1,
                 "hint": "one line"}}}},
   "students": {{NAME: {{"exercises": {{ID: {{"value": V}}}}}}}}, "students_only": false}}
  kinds: exact     V = "3/4" (the answer must equal it exactly; "0.75" is the same number)
         interval  V = ["lo", "hi"] (a certified enclosure; right within tolerance of it)
         decimal   V = "4.149" (right when |answer - V| <= tolerance)
         sign      V = "+" or "-" (answers +, -, positive, negative, >0, <0)
  every number is an exact string; "students" gives each student's own numbers (optional).
answers (CSV): header student,ID1,ID2,... and one row per student; an empty cell is missing.
scores (CSV): student,exercise,answer,status,points,max_points,hint; then a TOTAL row per student,
  then a row per flagged row: status unknown (a student not in a per-student key: not graded),
  duplicate (a second row for a student: the first counts) or absent (no row for a student).
  status is correct, wrong, malformed or missing; a wrong answer gets the key's hint.
  Every flag, and each unreadable answer with its row, is also a warning on stderr.
exit codes: 0 graded, 2 bad input
"""


def add_grade_parser(commands: argparse._SubParsersAction) -> None:
    """Register ``symcert grade``."""
    parser = add_command(
        commands,
        "grade",
        purpose="Score students' numeric answers against an answer key of certified values.",
        details="The key is written by 'symcert handout NAME --students ROSTER.csv'. Exact rationals are "
        "compared exactly (0.75 equals 3/4), enclosures and decimals within the key's tolerance, signs "
        "as + or -.",
        examples=[
            ("symcert grade out/key.json answers.csv -o scores.csv", "grade a class, scores to a file"),
            ("symcert grade out/key.json answers.csv", "scores on stdout"),
        ],
        prints="a CSV of scores (one row per answer with its status and, for a wrong answer, the key's "
        "one-line hint; then a TOTAL row per student) and a one-line total per student on stderr. "
        "Exit code 0 when graded, 2 on a malformed key or answers file.",
    )
    parser.epilog = f"{parser.epilog}\n\n{_FORMAT.strip()}"
    parser.add_argument("key", metavar="KEY.json", help="the answer key (format below)")
    parser.add_argument("answers", metavar="ANSWERS.csv", help="the students' answers (format below)")
    parser.add_argument(
        "-o", "--output", metavar="SCORES.csv", default=None, help="write the scores here (default: stdout)"
    )


def _key_record(path: str) -> object:
    """The key's JSON, read with the bound on small tables (``read_key`` reads without one)."""
    try:
        return json.loads(read_table(path, "key"))
    except json.JSONDecodeError as error:
        raise SpecificationError(
            f"the key {path} is not valid JSON ({error.msg}, line {error.lineno})"
        ) from None
    except RecursionError:
        raise SpecificationError(f"the key {path} nests arrays or objects too deeply") from None


#: The fields of each answer's row in ``--format json`` (the scores CSV's columns).
_SCORE_FIELDS = ("student", "exercise", "answer", "status", "points", "max_points", "hint")


def run_grade(args: argparse.Namespace) -> int:
    """Grade the answers; print a one-line total per student on stderr."""
    key = parse_key(_key_record(args.key))
    text = read_table(args.answers, "answers")
    report = grade_class(key, read_answer_rows(text, key))
    grades = report.grades
    scores = scores_csv(grades, report.problems)
    document = report_of(args)
    if args.output:
        Path(args.output).write_text(scores, encoding="utf-8")
        print(f"Scores written to {args.output}", file=sys.stderr)
    elif document is None:  # with --format json the scores are in the document
        sys.stdout.write(scores)
    for problem in report.problems:
        print(f"symcert: warning: {problem.message}", file=sys.stderr)
    totals: dict[str, int] = {}
    for g in grades:
        totals[g.student] = totals.get(g.student, 0) + g.points
    for student, points in totals.items():
        print(f"{student}: {points}/{key.total}", file=sys.stderr)
    if document is not None:
        document.verdict = "graded"
        document.details.update(
            max_points=key.total,
            totals=totals,
            warnings=[problem.message for problem in report.problems],
            scores=[{name: getattr(g, name) for name in _SCORE_FIELDS} for g in grades],
        )
        if args.output:
            document.file(args.output, "scores")
    return 0
