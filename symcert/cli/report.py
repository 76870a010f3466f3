"""``--format json``: one JSON document on stdout for scripts, the same for every command.

A command in json mode finds a :class:`Report` on its parsed arguments (``args.report``, see
:func:`report_of`) and fills it: its verdict, its rigorous enclosures (exact strings with
short decimals rounded outward beside them), its details, and the files it wrote.
:func:`run_formatted` runs the command with everything it prints sent to stderr, then prints
the report on stdout. A command that raises prints nothing on stdout: the error stays one
line on stderr, exit 2, as in text mode. The schema is ``docs/cli-output.schema.json``.

>>> from fractions import Fraction
>>> report = Report("barrier")
>>> report.enclosure("barrier", Fraction(1, 3), Fraction(2, 3), context="before alignment")
>>> report.verdict = "proved"
>>> document = report.to_dict(0)
>>> document["enclosures"][0]["lower"], document["enclosures"][0]["decimal"]
('1/3', '[0.333333, 0.666667]')
>>> document["exit_code"], document["schema"]
(0, 'symcert-cli-output')
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from symcert.version import __version__

__all__ = [
    "FORMATTED_COMMANDS",
    "SCHEMA",
    "SCHEMA_VERSION",
    "Report",
    "add_format_option",
    "exact_string",
    "report_certificates",
    "report_of",
    "run_formatted",
]

#: The commands that take ``--format text|json``.
FORMATTED_COMMANDS = ("prove", "check", "barrier", "saddle", "group", "grade")
#: The ``schema`` and ``version`` fields of every document (``docs/cli-output.schema.json``).
SCHEMA, SCHEMA_VERSION = "symcert-cli-output", 1


def exact_string(value: object) -> str:
    """An exact number as text: ``p/q`` or ``p`` for a rational (Fraction, SymPy or int), else ``str``.

    >>> import sympy
    >>> exact_string(Fraction(-3, 4)), exact_string(sympy.Rational(5, 1)), exact_string(2)
    ('-3/4', '5', '2')
    """
    if hasattr(value, "p") and hasattr(value, "q"):  # a SymPy Rational, without importing SymPy
        return str(Fraction(int(value.p), int(value.q)))
    if isinstance(value, (int, Fraction)):
        return str(Fraction(value))
    return str(value)  # an enclosure that overflowed: inf, -inf, nan (see symcert.numeric.rounding)


@dataclass
class Report:
    """What a command proved, as data for ``--format json``; filled by the command, rendered once.

    ``verdict`` is the command's answer in one word or phrase (``proved``, ``accepted``,
    ``listed``, ...); when a command leaves it unset, it is read off the exit code.
    """

    command: str
    verdict: str | None = None
    enclosures: list[dict[str, str]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    files: list[dict[str, str]] = field(default_factory=list)

    def enclosure(
        self, name: str, lower: object, upper: object, *, context: str = "", digits: int | None = None
    ) -> None:
        """Record ``lower <= name <= upper``: exact strings, and outward-rounded decimals containing them
        (``digits`` significant digits; default that of the printed enclosures)."""
        from symcert.numeric.rounding import DIGITS, decimal_down, decimal_up  # not at start-up: mpmath

        digits = DIGITS if digits is None else digits
        entry = {
            "name": name,
            "lower": exact_string(lower),
            "upper": exact_string(upper),
            "lower_decimal": decimal_down(lower, digits),
            "upper_decimal": decimal_up(upper, digits),
        }
        entry["decimal"] = f"[{entry['lower_decimal']}, {entry['upper_decimal']}]"
        if context:
            entry["context"] = context
        self.enclosures.append(entry)

    def file(self, path: object, role: str) -> None:
        """Record a file the command wrote (``role``: certificate, latex, pdf, plot, coq, scores, summary)."""
        self.files.append({"path": str(path), "role": role})

    def to_dict(self, exit_code: int) -> dict[str, Any]:
        """The JSON document (see ``docs/cli-output.schema.json``)."""
        verdict = self.verdict or {0: "proved", 1: "not proved"}.get(exit_code, "error")
        return {
            "schema": SCHEMA,
            "version": SCHEMA_VERSION,
            "symcert": __version__,
            "command": self.command,
            "verdict": verdict,
            "exit_code": exit_code,
            "enclosures": self.enclosures,
            "details": self.details,
            "timings": self.timings,
            "files": self.files,
        }


def report_certificates(report: Report, certificates: Sequence[Any], args: argparse.Namespace) -> None:
    """Fill ``report`` from certificates of non-convexity: kinds, statuses, enclosures, the files beside.

    The verdict is the best status among them (proved, then undecided, then refuted); the
    LaTeX, PDF, plot and Coq files named on the command line are listed (certificates are
    listed where they are written, since ``--kind all`` derives their names).
    """
    report.details["certificates"] = [
        {"kind": c.kind, "status": c.status, "claim": c.claim, "dps": c.dps} for c in certificates
    ]
    digits = getattr(args, "digits", None)
    for certificate in certificates:
        for name, (lower, upper) in certificate.enclosures.items():
            report.enclosure(name, lower, upper, context=certificate.kind, digits=digits)
    statuses = {c.status for c in certificates}
    report.verdict = next((s for s in ("proved", "undecided", "refuted") if s in statuses), "not applicable")
    for role in ("latex", "pdf", "plot", "coq"):
        if getattr(args, role, None):
            report.file(getattr(args, role), role)


def report_of(args: argparse.Namespace) -> Report | None:
    """The report to fill in json mode, ``None`` in text mode (then the command prints as always)."""
    return getattr(args, "report", None)


def add_format_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--format text|json`` to a command's parser."""
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text for people (default) or json: one JSON document on stdout (schema: "
        "docs/cli-output.schema.json), progress and messages on stderr",
    )


def run_formatted(runner: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run a command; in json mode with its prints on stderr, then its report on stdout.

    >>> args = argparse.Namespace(command="group", format="json")
    >>> def demo(args):
    ...     print("progress")  # goes to stderr
    ...     report_of(args).verdict = "listed"
    ...     return 0
    >>> import io
    >>> out, err = io.StringIO(), io.StringIO()
    >>> with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
    ...     code = run_formatted(demo, args)
    >>> code, json.loads(out.getvalue())["verdict"], err.getvalue().strip()
    (0, 'listed', 'progress')
    """
    if getattr(args, "format", "text") != "json":
        return runner(args)
    report = args.report = Report(args.command)
    stdout = sys.stdout
    start = time.perf_counter()
    with contextlib.redirect_stdout(sys.stderr):
        code = runner(args)  # an exception leaves stdout empty: main prints its one line on stderr
    report.timings["total_seconds"] = round(time.perf_counter() - start, 6)
    stdout.write(json.dumps(report.to_dict(code), indent=2) + "\n")
    stdout.flush()
    return code
