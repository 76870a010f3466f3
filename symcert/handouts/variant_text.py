r"""What every family of student variants shares: numbers as text, key entries, key pages, the leak guard.

The variant modules (:mod:`~symcert.handouts.variants`, :mod:`~symcert.handouts.rescaling_variants`,
:mod:`~symcert.handouts.saddle_variants`, :mod:`~symcert.handouts.lmc_variants`) build their exercises
and key pages from these pieces, so that a number is printed the same way everywhere: exact rationals
in LaTeX, enclosures rounded outward, decimals beside exact values for a reader.

>>> rational_latex(Fraction(-3, 4)), outward_decimal(Fraction(2, 3), 3, up=True)
('-\\tfrac{3}{4}', '0.667')
>>> interval_entry(Fraction(1, 3), Fraction(1, 2), "Evaluate it.")["decimal"]
'[0.3333333333, 0.5000000000]'
>>> shows_answer("L(M) is about 0.415", interval_entry(Fraction(2, 5), Fraction(21, 50), ""))
True
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from fractions import Fraction
from typing import Any

from symcert.handouts.base import Exercise

__all__ = [
    "MARGIN",
    "rational_latex",
    "outward_decimal",
    "decimal_text",
    "interval_text",
    "enclosure_bounds",
    "exact_entry",
    "interval_entry",
    "key_rows",
    "key_section",
    "key_document",
    "escape",
    "shows_answer",
]

#: Certified distance from zero (or from the nearest printed number) of every graded quantity.
MARGIN = Fraction(1, 10)


def rational_latex(value: Fraction) -> str:
    """An exact rational in LaTeX: ``-\\tfrac{3}{4}``, ``5``."""
    sign = "-" if value < 0 else ""
    value = abs(value)
    return (
        f"{sign}{value.numerator}"
        if value.denominator == 1
        else rf"{sign}\tfrac{{{value.numerator}}}{{{value.denominator}}}"
    )


def outward_decimal(value: Fraction, digits: int, up: bool) -> str:
    """``value`` rounded to ``digits`` places, up (towards +inf) or down: one end of an enclosure."""
    scaled = value * 10**digits
    n = math.ceil(scaled) if up else math.floor(scaled)
    sign = "-" if n < 0 else ""
    whole, frac = divmod(abs(n), 10**digits)
    return f"{sign}{whole}.{frac:0{digits}d}"


def decimal_text(value: Fraction, digits: int = 10) -> str:
    """A decimal beside an exact number: exact when it terminates within ``digits`` places, else
    rounded to nearest with an ellipsis (a reading aid; the exact value is the one graded).

    >>> decimal_text(Fraction(5, 4)), decimal_text(Fraction(-2, 3), 4), decimal_text(Fraction(144))
    ('1.25', '-0.6667...', '144')
    """
    scaled = value * 10**digits
    if scaled.denominator == 1:
        text = outward_decimal(value, digits, False).rstrip("0").rstrip(".")
        return text or "0"
    n = math.floor(abs(scaled) + Fraction(1, 2))
    whole, frac = divmod(n, 10**digits)
    return f"{'-' if value < 0 else ''}{whole}.{frac:0{digits}d}..."


def interval_text(lo: Fraction, hi: Fraction, digits: int) -> str:
    """``[lo, hi]`` rounded outward to ``digits`` decimal places (it contains the exact enclosure)."""
    return f"[{outward_decimal(lo, digits, False)}, {outward_decimal(hi, digits, True)}]"


def enclosure_bounds(certificate: Any, name: str) -> tuple[Fraction, Fraction]:
    """The exact ends of the enclosure ``name`` of a certificate."""
    lo, hi = certificate.enclosures[name]
    return Fraction(str(lo)), Fraction(str(hi))


def exact_entry(value: Fraction, hint: str, points: int = 1) -> dict[str, Any]:
    """A key entry graded exactly (``value`` as a string, its decimal beside it)."""
    return {
        "kind": "exact",
        "value": str(value),
        "decimal": decimal_text(value),
        "points": points,
        "hint": hint,
    }


def interval_entry(
    lo: Fraction, hi: Fraction, hint: str, *, tolerance: str = "1/1000", points: int = 1
) -> dict[str, Any]:
    """A key entry graded against the certified enclosure ``[lo, hi]`` within ``tolerance``."""
    return {
        "kind": "interval",
        "value": [str(lo), str(hi)],
        "decimal": interval_text(lo, hi, 10),
        "tolerance": tolerance,
        "points": points,
        "hint": hint,
    }


def key_rows(exercises: dict[str, dict]) -> list[str]:
    """The table of a key page: each exercise's exact value, its decimal, tolerance and points."""
    rows = []
    for identifier, entry in exercises.items():
        value = entry["value"]
        exact = (
            r"$[%s, %s]$" % (rational_latex(Fraction(value[0])), rational_latex(Fraction(value[1])))
            if entry["kind"] == "interval" and len(value[0]) + len(value[1]) < 40
            else ("enclosure" if entry["kind"] == "interval" else rf"${rational_latex(Fraction(value))}$")
            if entry["kind"] != "sign"
            else rf"${value}$"
        )
        tolerance = entry.get("tolerance", "0")
        rows.append(
            r"\texttt{%s} & %s & $%s$ & $%s$ & %d \\"
            % (escape(identifier), exact, entry["decimal"], tolerance, entry["points"])
        )
    return [
        r"\begin{center}\small\begin{tabular}{lllll}\toprule",
        r"exercise & value (exact) & decimal (outward) & tolerance & points \\ \midrule",
        *rows,
        r"\bottomrule\end{tabular}\end{center}",
    ]


def key_section(
    who: str, seed: int, facts: str, exercises: dict[str, dict], solved: Iterable[Exercise], note: str = ""
) -> str:
    """A page of ``key.pdf``: the heading, the variant's facts, the key table and the worked solutions."""
    solutions = [
        r"\par\smallskip\noindent\textbf{Exercise %d.} %s" % (k, exercise.solution)
        for k, exercise in enumerate(solved, start=1)
    ]
    return "\n".join(
        [
            r"\section*{%s: variant %d}" % (who, seed),
            facts + " Accept an answer within the tolerance of the value.",
            *key_rows(exercises),
            r"\noindent\textbf{Worked solutions.}" + (" " + note if note else ""),
            *solutions,
        ]
    )


def key_document(pages: list[str], title: str) -> str:
    """``key.pdf``'s LaTeX: the pages of the key, one per student."""
    from symcert.build.tex import standalone_document

    return standalone_document("\n\\clearpage\n".join(pages), title=escape(title))


_SPECIALS = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def escape(text: str) -> str:
    """Plain text for LaTeX (a student's name, an exercise id)."""
    return "".join(_SPECIALS.get(c, c) for c in text)


_TOKEN = re.compile(r"-?\d+(?:\.\d+)?(?:/\d+)?")


def shows_answer(text: str, entry: dict[str, Any]) -> bool:
    """Whether ``text`` (a student's LaTeX) prints a number that answers the key ``entry``: for an
    interval, a decimal of three or more significant digits that the grader would accept; for an exact
    value, the value itself. A guard for choosing instances (the tests check the PDFs another way)."""
    tokens = [t for t in _TOKEN.findall(text) if not t.endswith("/0")]
    value = entry["value"]
    if isinstance(value, list):
        lo, hi = (Fraction(v) for v in value)
        slack = Fraction(entry.get("tolerance", "0"))
        shown = {
            abs(Fraction(t))
            for t in tokens
            if "." in t and len(t.strip("-").replace(".", "").lstrip("0")) >= 3
        }
        return any(lo - slack <= x <= hi + slack or lo - slack <= -x <= hi + slack for x in shown)
    return value not in ("+", "-") and abs(Fraction(value)) in {abs(Fraction(t)) for t in tokens}
