r"""Checking one answer where it is written (a notebook cell), with the grading rules of ``symcert grade``.

:func:`key_exercise` makes one exercise of a grading key (:mod:`symcert.handouts.grading`: ``exact``,
``interval``, ``decimal`` or ``sign``, read exactly, with a tolerance), and :func:`check_answer` judges
an answer with that exercise's own rule (:meth:`~symcert.handouts.grading.KeyExercise.judge`, the one
the grader uses) and says so in a line that names the tolerance. A wrong answer is not corrected: the
line gives the hint, not the value.

>>> order = key_exercise("order", "exact", 48, hint="n! 2^n for n = 3.")
>>> print(check_answer(order, 48))
order: correct (graded exactly, tolerance 0)
>>> print(check_answer(order, 6))
order: incorrect (graded exactly, tolerance 0). Hint: n! 2^n for n = 3.
>>> L_M = key_exercise("L_M", "interval", ("4.1489660", "4.1489661"), tolerance="1/1000")
>>> print(check_answer(L_M, 4.149))
L_M: correct (within 1/1000 of the certified enclosure)
>>> print(check_answer(L_M, "4.2"))
L_M: incorrect (not within 1/1000 of the certified enclosure).
>>> print(check_answer(L_M, None))
L_M: no answer yet (set your answer in the cell above and run it)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from symcert.handouts.grading import KEY_SCHEMA, KEY_VERSION, KeyExercise, parse_key

__all__ = ["Checked", "key_exercise", "check_answer"]


def _text(value: Any) -> str:
    """A number as the exact text the grading rules read (a float by its shortest decimal)."""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (tuple, list)):
        return [_text(v) for v in value]  # type: ignore[return-value]
    return str(value)


def key_exercise(
    identifier: str, kind: str, value: Any, *, tolerance: Any = 0, points: int = 1, hint: str = ""
) -> KeyExercise:
    """One exercise of a key; ``value`` is an exact number (``int``, ``Fraction``, SymPy rational or text),
    an enclosure ``(lo, hi)`` for ``interval``, or ``"+"``/``"-"`` for ``sign``. Bad input raises
    :class:`~symcert.errors.SpecificationError`, as a bad key file does."""
    record = {"kind": kind, "value": _text(value), "tolerance": _text(tolerance), "points": points}
    record["hint"] = hint
    key = parse_key({"schema": KEY_SCHEMA, "version": KEY_VERSION, "exercises": {identifier: record}})
    return key.exercises[0]


@dataclass(frozen=True)
class Checked:
    """An answer judged: the exercise, the answer as read, and ``correct``, ``wrong``, ``malformed`` or
    ``missing`` (the statuses of :class:`~symcert.handouts.grading.Grade`)."""

    exercise: KeyExercise
    answer: str
    status: str

    @property
    def correct(self) -> bool:
        return self.status == "correct"

    def _rule(self, negated: bool = False) -> str:
        tolerance = self.exercise.tolerance
        if self.exercise.kind == "exact":
            return "graded exactly, tolerance 0"
        if self.exercise.kind == "sign":
            return "graded by its sign"
        where = "the certified enclosure" if self.exercise.kind == "interval" else "the value"
        return f"{'not ' if negated else ''}within {tolerance} of {where}"

    def __str__(self) -> str:
        name = self.exercise.id
        if self.status == "missing":
            return f"{name}: no answer yet (set your answer in the cell above and run it)"
        if self.status == "malformed":
            expected = "+ or -" if self.exercise.kind == "sign" else "a number such as 3/4 or 0.75"
            return f"{name}: not an answer: {self.answer[:40]!r} (write {expected})"
        if self.correct:
            return f"{name}: correct ({self._rule()})"
        hint = f" Hint: {self.exercise.hint}" if self.exercise.hint else ""
        return f"{name}: incorrect ({self._rule(negated=True)}).{hint}"

    def _repr_markdown_(self) -> str:  # the last expression of a notebook cell shows the line
        return str(self)


def check_answer(exercise: KeyExercise, answer: Any) -> Checked:
    """Judge ``answer`` (a number, a fraction, text, or ``None`` for none yet) by ``exercise``'s rule."""
    text = "" if answer is None else _text(answer)
    return Checked(exercise, text, exercise.judge(text))
