"""A class set: one variant handout per student (in parallel over the cores) and one answer key.

The roster is a CSV with a header ``student`` (and optionally ``seed``), one row per student. A
student without a seed gets one derived from the name and the base seed (SHA-256), so the same roster
always gives the same handouts. :func:`write_class` writes ``OUT/NAME.tex`` and ``OUT/NAME.pdf``
(without solutions, and without any graded answer) for each student, ``OUT/key.json``, the grading
key (:mod:`symcert.handouts.grading`: the exercises' kinds and points at the top level, each
student's own numbers under ``students``) and ``OUT/key.pdf``, one page per student with their
numbers and the worked solutions.

>>> student_seed("Ada Lovelace") == student_seed("Ada Lovelace") != student_seed("Alan Turing")
True
>>> file_stem("Ada Lovelace/2")
'Ada_Lovelace_2'
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from symcert.errors import SpecificationError
from symcert.handouts.grading import KEY_SCHEMA, KEY_VERSION
from symcert.handouts.variants import key_document, key_entries, key_exercises, key_page, variant_handout

__all__ = ["Student", "ClassSet", "read_roster", "student_seed", "file_stem", "write_variant", "write_class"]

MAX_STUDENTS = 2000


@dataclass(frozen=True)
class Student:
    """A student's name and the seed of their variant."""

    name: str
    seed: int


@dataclass(frozen=True)
class ClassSet:
    """What :func:`write_class` wrote: the key, each student's files, and the wall time."""

    key: Path
    files: tuple[tuple[str, Path, Path | None], ...]
    seconds: float


def student_seed(name: str, base: int = 0) -> int:
    """A seed below ``10^12`` derived from the student's name and the base seed."""
    digest = hashlib.sha256(f"{base}:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 10**12


def file_stem(name: str) -> str:
    """The name as a safe file stem (letters, digits, ``-`` and ``_``)."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", name.strip()).strip("_")
    return stem or "student"


def read_roster(text: str, base: int = 0) -> list[Student]:
    """The students of a roster CSV (header ``student[,seed]``); names and file stems must be unique."""
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    header = [cell.strip().lower() for cell in rows[0]] if rows else []
    if "student" not in header or not set(header) <= {"student", "seed"}:
        raise SpecificationError(
            "the roster CSV needs a header 'student' (and optionally 'seed'), "
            f"got {','.join(rows[0]) if rows else 'an empty file'!r}"
        )
    where, seeds = header.index("student"), header.index("seed") if "seed" in header else None
    students, stems = [], set()
    for number, row in enumerate(rows[1:], start=2):
        cells = row + [""] * (len(header) - len(row))
        name = cells[where].strip()
        if not name:
            raise SpecificationError(f"row {number} of the roster has no student name; fill it in or drop it")
        text_seed = cells[seeds].strip() if seeds is not None else ""
        if text_seed and not re.fullmatch(r"[0-9]{1,18}", text_seed):
            raise SpecificationError(
                f"row {number} of the roster: the seed must be a nonnegative integer, got {text_seed[:20]!r}"
            )
        seed = int(text_seed) if text_seed else student_seed(name, base)
        if file_stem(name) in stems:
            raise SpecificationError(f"two students in the roster share the file name {file_stem(name)!r}")
        stems.add(file_stem(name))
        students.append(Student(name, seed))
    if not students or len(students) > MAX_STUDENTS:
        raise SpecificationError(f"the roster must list 1 to {MAX_STUDENTS} students, got {len(students)}")
    return students


def write_variant(
    name: str,
    seed: int,
    directory: Path,
    stem: str,
    *,
    student: str | None = None,
    pdf: bool = True,
    solutions: bool = False,
) -> dict[str, Any]:
    """Build, write (and compile) one variant; return its key entry and the paths written."""
    from symcert.build.tex import compile_pdf, write_tex

    variant, handout = variant_handout(name, seed, student)
    tex = write_tex(directory / f"{stem}.tex", handout.document(solutions=solutions))
    out = compile_pdf(tex) if pdf else None
    return {
        "entry": key_entries(variant),
        "exercises": key_exercises(variant),
        "page": key_page(variant, student),
        "tex": str(tex),
        "pdf": None if out is None else str(out),
        "certified": sum(c.proved for c in handout.certificates()),
    }


def _job(job: tuple[str, Student, str, bool]) -> dict[str, Any]:
    name, student, directory, pdf = job
    return write_variant(
        name, student.seed, Path(directory), file_stem(student.name), student=student.name, pdf=pdf
    )


def write_class(
    name: str,
    students: Sequence[Student],
    directory: str | Path,
    *,
    pdf: bool = True,
    workers: int | None = None,
    progress: Callable[[int, int | None, str], None] | None = None,
) -> ClassSet:
    """One variant per student in ``directory`` (in parallel), and ``directory/key.json``.

    ``progress(done, students, name)``, when given, is called as each student's variant is finished.
    """
    start = time.perf_counter()
    out = Path(directory)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SpecificationError(f"cannot create {out}: {error.strerror}") from None
    jobs = [(name, student, str(out), pdf) for student in students]
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    tell = progress or (lambda _done, _total, _note: None)
    tell(0, len(jobs), "")
    results = []
    if workers == 1:
        for job in jobs:
            results.append(_job(job))
            tell(len(results), len(jobs), job[1].name)
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for job, result in zip(jobs, pool.map(_job, jobs)):  # in order, as each one arrives
                results.append(result)
                tell(len(results), len(jobs), job[1].name)
    shared = ("kind", "points", "tolerance")  # the same for everyone; each student has their numbers
    exercises = {k: {f: e[f] for f in shared if f in e} for k, e in results[0]["exercises"].items()}
    key = {
        "schema": KEY_SCHEMA,
        "version": KEY_VERSION,
        "title": f"{name}: answer key for {len(students)} student variants",
        "students_only": True,
        "exercises": exercises,
        "students": {s.name: r["entry"] for s, r in zip(students, results)},
    }
    key_path = out / "key.json"
    key_path.write_text(json.dumps(key, indent=2) + "\n", encoding="utf-8")
    if pdf:
        from symcert.build.tex import compile_pdf, write_tex

        pages = [r["page"] for r in results]
        compile_pdf(write_tex(out / "key.tex", key_document(pages, f"{name}: answer key")))
    files = tuple(
        (s.name, Path(r["tex"]), None if r["pdf"] is None else Path(r["pdf"]))
        for s, r in zip(students, results)
    )
    return ClassSet(key_path, files, time.perf_counter() - start)
