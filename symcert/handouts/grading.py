r"""Grading students' numeric answers against an answer key of certified values.

The key (JSON, ``"schema": "symcert-grading-key"``, ``"version": 1``)::

    {
      "schema": "symcert-grading-key", "version": 1, "title": "Permuting hidden units",
      "exercises": {
        "order":   {"kind": "exact",    "value": "144",            "points": 1, "hint": "..."},
        "barrier": {"kind": "interval", "value": ["4.1489", "4.1491"], "tolerance": "1/1000",
                    "points": 2, "hint": "..."},
        "L(M)":    {"kind": "decimal",  "value": "4.149", "tolerance": "0.001", "points": 1, "hint": "..."},
        "sign":    {"kind": "sign",     "value": "+",              "points": 1, "hint": "..."}
      },
      "students": {"alice": {"seed": 17, "exercises": {"barrier": {"value": ["3.2", "3.3"]}}}}
    }

Kinds: ``exact`` (an exact rational, ``"3/4"``, ``"-2"`` or ``"0.75"``; the answer must equal it
exactly), ``interval`` (a certified enclosure ``[lo, hi]``; right when ``lo - tolerance <= answer <=
hi + tolerance``), ``decimal`` (right when ``|answer - value| <= tolerance``) and ``sign`` (``"+"``
or ``"-"``; answers ``+``, ``-``, ``positive``, ``negative``, ``>0``, ``<0``). Every number is read
exactly (no floats): ``tolerance`` defaults to 0. ``points`` is a nonnegative integer, ``hint`` one line
shown for a wrong answer. ``students`` is optional: a student's own numbers override ``value``,
``tolerance`` or ``hint`` of any exercise (``kind`` and ``points`` are the same for everyone); the
other keys of a student (such as ``seed``) are information. With ``"students_only": true`` (as in the
keys of per-student variants) a student who is not in ``students`` is refused, not graded against the
default numbers.

The answers (CSV): a header ``student,ID1,ID2,...`` with exercise ids of the key, one row per student;
an empty cell is a missing answer, a cell that is not a number (or sign) a malformed one. Each answer
is ``correct``, ``wrong``, ``malformed`` or ``missing``; only ``correct`` scores its points.

>>> key = parse_key({"schema": "symcert-grading-key", "version": 1, "exercises": {
...     "q1": {"kind": "exact", "value": "3/4", "points": 2, "hint": "Add the fractions."},
...     "q2": {"kind": "sign", "value": "-", "points": 1, "hint": "phi'' is negative."}}})
>>> [(g.exercise, g.status, g.points) for g in grade_student(key, "bob", {"q1": "0.75", "q2": "+"})]
[('q1', 'correct', 2), ('q2', 'wrong', 0)]
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from symcert.errors import SpecificationError

__all__ = [
    "KEY_SCHEMA",
    "KEY_VERSION",
    "ANSWER_KINDS",
    "KeyExercise",
    "Key",
    "Grade",
    "parse_key",
    "read_key",
    "read_answers",
    "read_answer_rows",
    "RowProblem",
    "ClassReport",
    "grade_class",
    "grade_student",
    "grade",
    "scores_csv",
]

KEY_SCHEMA, KEY_VERSION = "symcert-grading-key", 1
ANSWER_KINDS = ("exact", "interval", "decimal", "sign")
_SIGNS = {"+": "+", "positive": "+", ">0": "+", "-": "-", "negative": "-", "<0": "-"}
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,4})?(/\d+)?")


@dataclass(frozen=True)
class KeyExercise:
    """One exercise of the key: its kind, its value (exact), tolerance, points and hint."""

    id: str
    kind: str
    value: Any
    tolerance: Fraction
    points: int
    hint: str

    def judge(self, answer: str) -> str:
        """``correct``, ``wrong``, ``malformed`` or ``missing`` for the answer text."""
        text = answer.strip()
        if not text:
            return "missing"
        if self.kind == "sign":
            sign = _SIGNS.get(text.lower().replace(" ", ""))
            return "malformed" if sign is None else ("correct" if sign == self.value else "wrong")
        number = _exact_number(text)
        if number is None:
            return "malformed"
        if self.kind == "exact":
            right = number == self.value
        elif self.kind == "interval":
            right = self.value[0] - self.tolerance <= number <= self.value[1] + self.tolerance
        else:
            right = abs(number - self.value) <= self.tolerance
        return "correct" if right else "wrong"


@dataclass(frozen=True)
class Key:
    """A parsed key: the title, the exercises in order, and each student's overridden exercises."""

    title: str
    exercises: tuple[KeyExercise, ...]
    students: Mapping[str, Mapping[str, KeyExercise]]
    students_only: bool = False

    def for_student(self, student: str) -> tuple[KeyExercise, ...]:
        """The exercises with ``student``'s own numbers where the key gives them."""
        if self.students_only and student not in self.students:
            raise SpecificationError(
                f"student {student!r} is not in the key, whose numbers are per student; the key has "
                f"{len(self.students)} students (check the name in the answers CSV)"
            )
        own = self.students.get(student, {})
        return tuple(own.get(exercise.id, exercise) for exercise in self.exercises)

    @property
    def total(self) -> int:
        """The points of all exercises."""
        return sum(exercise.points for exercise in self.exercises)


@dataclass(frozen=True)
class Grade:
    """One student's answer to one exercise, judged."""

    student: str
    exercise: str
    answer: str
    status: str
    points: int
    max_points: int
    hint: str


def _exact_number(text: str) -> Fraction | None:
    """An exact rational from ``"3/4"``, ``"-0.75"`` or ``"1e-3"``; None if it is none of those."""
    text = text.strip()
    if not _NUMBER.fullmatch(text):
        return None
    try:
        return Fraction(text)
    except (ValueError, ZeroDivisionError):
        return None


def _fail(where: str, expected: str, got: Any) -> SpecificationError:
    shown = repr(got)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return SpecificationError(
        f"in the grading key, {where} must be {expected}, got {shown}; fix the key file"
    )


def _number_field(value: Any, where: str) -> Fraction:
    number = _exact_number(value) if isinstance(value, str) else None
    if isinstance(value, int) and not isinstance(value, bool):
        number = Fraction(value)
    if number is None:
        raise _fail(where, 'an exact number as a string such as "3/4" or "0.75"', value)
    return number


def _value(kind: str, value: Any, where: str) -> Any:
    if kind == "sign":
        if value not in ("+", "-"):
            raise _fail(where, '"+" or "-"', value)
        return value
    if kind == "interval":
        if not isinstance(value, list) or len(value) != 2:
            raise _fail(where, 'a list of two exact numbers ["lo", "hi"]', value)
        lo, hi = (_number_field(v, where) for v in value)
        if lo > hi:
            raise _fail(where, "an interval with lo <= hi", value)
        return (lo, hi)
    return _number_field(value, where)


#: Fields a reader sees but the grader ignores: a decimal beside the exact value, the certified
#: enclosure a sign comes from.
_INFORMATION = {"decimal", "certified"}


def _exercise(
    identifier: str, record: Any, base: KeyExercise | None = None, *, per_student: bool = False
) -> KeyExercise:
    where = f"exercise {identifier!r}"
    if not isinstance(record, dict):
        raise _fail(where, "an object with kind, value, points and hint", record)
    allowed = {"value", "tolerance", "hint"} if base else {"kind", "value", "tolerance", "points", "hint"}
    allowed |= _INFORMATION
    unknown = set(record) - allowed
    if unknown:
        raise _fail(where, f"an object with keys among {', '.join(sorted(allowed))}", sorted(unknown))
    kind = base.kind if base else record.get("kind")
    if kind not in ANSWER_KINDS:
        raise _fail(f"the kind of {where}", f"one of {', '.join(ANSWER_KINDS)}", kind)
    if "value" in record:
        value = _value(kind, record["value"], f"the value of {where}")
    elif base is not None and base.value is not None:
        value = base.value
    elif per_student:  # a class key: every student gives this value (checked in parse_key)
        value = None
    else:
        raise _fail(where, "an object with a value", record)
    if not isinstance(record.get("decimal", ""), str) or "\n" in record.get("decimal", ""):
        raise _fail(f"the decimal of {where}", "one line of text", record["decimal"])
    if "certified" in record:
        _value("interval", record["certified"], f"the certified enclosure of {where}")
    tolerance = base.tolerance if base else Fraction(0)
    if "tolerance" in record:
        tolerance = _number_field(record["tolerance"], f"the tolerance of {where}")
        if tolerance < 0:
            raise _fail(f"the tolerance of {where}", "a number >= 0", record["tolerance"])
    points = base.points if base else record.get("points", 1)
    if not isinstance(points, int) or isinstance(points, bool) or points < 0:
        raise _fail(f"the points of {where}", "a nonnegative integer", points)
    hint = record.get("hint", base.hint if base else "")
    if not isinstance(hint, str) or "\n" in hint:
        raise _fail(f"the hint of {where}", "one line of text", hint)
    return KeyExercise(identifier, kind, value, tolerance, points, hint)


def parse_key(data: Any) -> Key:
    """A :class:`Key` from the JSON data of a key (see the module's docstring for the format)."""
    if not isinstance(data, dict) or data.get("schema") != KEY_SCHEMA:
        raise _fail("the top level", f'an object with "schema": "{KEY_SCHEMA}"', data)
    if data.get("version") != KEY_VERSION:
        raise _fail(
            "the version", f"{KEY_VERSION} (this version of symcert reads only that)", data.get("version")
        )
    records = data.get("exercises")
    if not isinstance(records, dict) or not records:
        raise _fail('"exercises"', "a non-empty object mapping exercise ids to exercises", records)
    only = data.get("students_only", False)
    if not isinstance(only, bool):
        raise _fail('"students_only"', "true or false", only)
    exercises = tuple(
        _exercise(str(identifier), record, per_student=only) for identifier, record in records.items()
    )
    by_id = {exercise.id: exercise for exercise in exercises}
    students: dict[str, dict[str, KeyExercise]] = {}
    raw_students = data.get("students", {})
    if not isinstance(raw_students, dict):
        raise _fail('"students"', "an object mapping student names to their numbers", raw_students)
    for name, record in raw_students.items():
        own = record.get("exercises", {}) if isinstance(record, dict) else None
        if not isinstance(own, dict):
            raise _fail(f"student {name!r}", 'an object with "exercises"', record)
        for identifier in own:
            if identifier not in by_id:
                raise _fail(
                    f"student {name!r}", f"numbers for exercises of the key ({', '.join(by_id)})", identifier
                )
        students[str(name)] = {i: _exercise(i, r, by_id[i]) for i, r in own.items()}
        lacking = [e.id for e in exercises if e.value is None and e.id not in students[str(name)]]
        if lacking:
            raise _fail(f"student {name!r}", f"their own value of {', '.join(lacking)}", record)
    title = data.get("title", "")
    return Key(str(title), exercises, students, only)


def read_key(path: str | Path) -> Key:
    """Read and parse a key file."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise SpecificationError(f"cannot read the key {path}: {error.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise SpecificationError(f"the key {path} is not valid JSON ({error}); fix the file") from None
    return parse_key(data)


def read_answer_rows(text: str, key: Key) -> list[tuple[int, str, dict[str, str]]]:
    """The rows of an answers CSV (header ``student,ID1,...``) as ``(line, student, {id: answer})``,
    ``line`` being the row's number in the file (the header is line 1); blank rows are skipped."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or not rows[0] or rows[0][0].strip().lower() != "student":
        raise SpecificationError(
            "the answers CSV must start with a header 'student,ID1,ID2,...' naming the key's exercises, "
            f"got {','.join(rows[0]) if rows else 'an empty file'!r}"
        )
    header = [cell.strip() for cell in rows[0][1:]]
    known = {exercise.id for exercise in key.exercises}
    unknown = [column for column in header if column not in known]
    if unknown:
        raise SpecificationError(
            f"the answers CSV has columns {', '.join(unknown)} that are not exercises of the key "
            f"({', '.join(sorted(known))}); rename or drop them"
        )
    answers = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header) + 1:
            raise SpecificationError(
                f"row {number} of the answers CSV has {len(row)} cells, more than the header's "
                f"{len(header) + 1}; check its commas"
            )
        cells = row[1:] + [""] * (len(header) + 1 - len(row))
        answers.append((number, row[0].strip(), dict(zip(header, cells))))
    return answers


def read_answers(text: str, key: Key) -> list[tuple[str, dict[str, str]]]:
    """The rows of an answers CSV (header ``student,ID1,...``) as ``(student, {id: answer})``."""
    return [(student, row) for _, student, row in read_answer_rows(text, key)]


def grade_student(key: Key, student: str, answers: Mapping[str, str]) -> list[Grade]:
    """Judge one student's answers (missing ids count as missing) against their own numbers."""
    grades = []
    for exercise in key.for_student(student):
        answer = answers.get(exercise.id, "")
        status = exercise.judge(answer)
        points = exercise.points if status == "correct" else 0
        hint = "" if status == "correct" else _hint(exercise, status)
        grades.append(Grade(student, exercise.id, answer.strip(), status, points, exercise.points, hint))
    return grades


def _hint(exercise: KeyExercise, status: str) -> str:
    if status == "malformed":
        shape = "+ or -" if exercise.kind == "sign" else "a number such as 3/4 or 0.75"
        return f"could not read the answer: write {shape}. {exercise.hint}".strip()
    return exercise.hint


def grade(key: Key, answers: Sequence[tuple[str, Mapping[str, str]]]) -> list[Grade]:
    """Judge every student's answers."""
    return [g for student, row in answers for g in grade_student(key, student, row)]


@dataclass(frozen=True)
class RowProblem:
    """Something about a row of the answers (or a student without one) that the lecturer must see.

    ``status`` is ``unknown`` (a student the key does not list: not graded), ``duplicate`` (a second
    row for a student: not graded, the first row counts), ``absent`` (a student of the key without a
    row) or ``malformed`` (an answer that is not a number or a sign: scored 0, the row is graded).
    ``line`` is the row's line in the CSV (0 for an absent student).
    """

    line: int
    student: str
    status: str
    message: str


@dataclass(frozen=True)
class ClassReport:
    """The grades of every gradable row and the problems found, in the order of the file."""

    grades: tuple[Grade, ...]
    problems: tuple[RowProblem, ...]


def grade_class(key: Key, rows: Sequence[tuple[int, str, Mapping[str, str]]]) -> ClassReport:
    """Grade every row that can be graded and report the others, never stopping at one.

    ``rows`` are :func:`read_answer_rows`'s. A row for a student not in a per-student key, or a
    second row for the same student, is reported and not graded; students of the key without a row
    are reported as absent; each unreadable answer is reported with its row.

    >>> key = parse_key({"schema": "symcert-grading-key", "version": 1, "students_only": True,
    ...     "exercises": {"q": {"kind": "exact", "points": 1}},
    ...     "students": {"ann": {"exercises": {"q": {"value": "1/2"}}},
    ...                  "ben": {"exercises": {"q": {"value": "2"}}}}})
    >>> report = grade_class(key, [(2, "ann", {"q": "0.5"}), (3, "eve", {"q": "1"}), (4, "ann", {"q": "x"})])
    >>> [(g.student, g.status) for g in report.grades]
    [('ann', 'correct')]
    >>> [(p.line, p.student, p.status) for p in report.problems]
    [(3, 'eve', 'unknown'), (4, 'ann', 'duplicate'), (0, 'ben', 'absent')]
    """
    grades: list[Grade] = []
    problems: list[RowProblem] = []
    first: dict[str, int] = {}
    for line, student, answers in rows:
        if student in first:
            problems.append(
                RowProblem(
                    line,
                    student,
                    "duplicate",
                    f"row {line} repeats student {student!r} (first on row {first[student]}); "
                    "not graded, the first row counts",
                )
            )
            continue
        first[student] = line
        if key.students_only and student not in key.students:
            problems.append(
                RowProblem(
                    line,
                    student,
                    "unknown",
                    f"row {line}: student {student!r} is not in the key; not graded (check the name)",
                )
            )
            continue
        for g in grade_student(key, student, answers):
            grades.append(g)
            if g.status == "malformed":
                problems.append(
                    RowProblem(
                        line,
                        student,
                        "malformed",
                        f"row {line} ({student}): could not read the answer to {g.exercise}: {g.answer!r}",
                    )
                )
    for student in key.students:
        if student not in first:
            problems.append(
                RowProblem(0, student, "absent", f"student {student!r} of the key has no row in the answers")
            )
    return ClassReport(tuple(grades), tuple(problems))


def scores_csv(grades: Sequence[Grade], problems: Sequence[RowProblem] = ()) -> str:
    """The scores as CSV: one row per answer, then one ``TOTAL`` row per student, then one row per
    ungraded row or absent student (exercise empty, status ``unknown``, ``duplicate`` or ``absent``,
    the explanation in the hint column)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", "exercise", "answer", "status", "points", "max_points", "hint"])
    totals: dict[str, list[int]] = {}
    for g in grades:
        writer.writerow([g.student, g.exercise, g.answer, g.status, g.points, g.max_points, g.hint])
        total = totals.setdefault(g.student, [0, 0])
        total[0] += g.points
        total[1] += g.max_points
    for student, (points, maximum) in totals.items():
        writer.writerow([student, "TOTAL", "", "", points, maximum, ""])
    for problem in problems:
        if problem.status != "malformed":  # a malformed answer has its own row above
            writer.writerow([problem.student, "", "", problem.status, "", "", problem.message])
    return out.getvalue()
