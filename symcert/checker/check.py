"""Re-check a certificate from its statement alone, and accept only what is re-proved.

Usage: ``check(path_or_dict)`` returns a :class:`CheckResult` (``accepted`` True
or False with the reasons: exit codes 0 and 1 of ``symcert check``); a
malformed certificate, or one whose estimated cost exceeds the budget, raises
:class:`CertificateFormatError` (exit code 2).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from fractions import Fraction
from pathlib import Path

from symcert.checker import arb_engine, mp_engine
from symcert.checker.barrier import verify_barrier
from symcert.checker.budget import ARITHMETICS, element_cost, plan
from symcert.checker.points import apply_element, is_symmetry
from symcert.checker.reading import CertificateFormatError, loads, read_text
from symcert.checker.reading import short as _short
from symcert.checker.saddle import verify_saddle
from symcert.checker.statement import KINDS, SCHEMA, SECOND_DIFFERENCE, SMOOTH, VERSION, Statement
from symcert.limits import MAX_CHECK_SECONDS

__all__ = [
    "check",
    "CheckResult",
    "CertificateFormatError",
    "CertificateBudgetError",
    "SCHEMA",
    "VERSION",
    "KINDS",
]


class CertificateBudgetError(CertificateFormatError):
    """The certificate's estimated checking cost exceeds the budget (exit code 2, like a malformed file)."""


@dataclass
class CheckResult:
    """The checker's verdict: ``accepted``, and why (``reasons``), with its own enclosures."""

    accepted: bool
    kind: str
    reasons: list[str] = dataclass_field(default_factory=list)
    enclosures: dict[str, tuple[Fraction, Fraction]] = dataclass_field(default_factory=dict)
    dps: int = 0
    estimate: float = 0.0


def check(
    source: str | os.PathLike[str] | dict,
    *,
    arithmetic: str = "arb",
    budget: float = MAX_CHECK_SECONDS,
) -> CheckResult:
    """Check a certificate given as a path to a JSON file, or as a dict parsed with :func:`loads`.

    ``arithmetic`` is ``"arb"`` (python-flint's Arb balls, batched over the data points; the
    default) or ``"mpmath"`` (mpmath intervals, one scalar at a time; the reference). ``budget`` is
    the largest estimated checking time, in seconds, the checker will start (see
    :mod:`symcert.checker.budget`).
    """
    if arithmetic not in ARITHMETICS:
        raise CertificateFormatError(
            f"arithmetic must be one of {', '.join(ARITHMETICS)}, got {arithmetic!r}"
        )
    if isinstance(source, dict):
        record = source
    elif isinstance(source, (str, os.PathLike)):
        record = loads(read_text(source), str(Path(source)))
    else:
        raise CertificateFormatError(
            f"check needs a path or a parsed certificate, got {type(source).__name__}"
        )
    statement = Statement(record)
    precisions, estimate = plan(statement, arithmetic, budget)
    if estimate > budget:
        action = element_cost(statement, budget)
        if action.seconds > budget / 2:
            raise CertificateBudgetError(
                f"checking this certificate is estimated at {estimate:.0f} s, beyond the budget of "
                f"{budget:.0f} s: applying its element exactly ({statement.element.count(';') + 1} factors) "
                f"grows entries to about {int(action.bits * 0.30103)} digits; raise the budget or use "
                "a shorter element"
            )
        raise CertificateBudgetError(
            f"checking this certificate ({statement.size()[0]} parameters, {statement.size()[1]} points, "
            f"{statement.dps} digits, {statement.kind}) is estimated at {estimate:.0f} s with {arithmetic}, "
            f"beyond the budget of {budget:.0f} s; raise the budget or use fewer digits"
        )
    result = _verify(statement, arithmetic, precisions)
    result.estimate = estimate
    return result


def _verify(s: Statement, arithmetic: str, precisions: tuple[int, ...]) -> CheckResult:
    quantity, relation = s.quantity, s.relation
    result = CheckResult(False, s.kind)
    problems = _structural(s)
    notes = [p for p in problems if not p.startswith("REJECT")]
    problems = [p for p in problems if p.startswith("REJECT")]
    if s.status != "proved":
        problems.append(
            f"REJECT: the certificate's status is {s.status!r}; only a proved claim can be accepted"
        )
    if problems:
        result.reasons = notes + problems
        return result
    if s.kind == "barrier":
        return _verify_barrier(s, result, notes, precisions)
    if s.kind in ("critical_point", "saddle"):
        return _verify_saddle(s, result, notes, precisions)
    compute = arb_engine.compute if arithmetic == "arb" else mp_engine.compute
    failure = ""
    for dps in precisions:
        try:
            values = compute(s, dps)
        except (ArithmeticError, ValueError) as error:
            failure = f"cannot evaluate at {dps} digits: {error}"
            continue
        result.enclosures, result.dps = values, dps
        if _decides(relation, *values[quantity]) and (
            SECOND_DIFFERENCE not in values or _decides("<", *values[SECOND_DIFFERENCE])
        ):
            break
    if not result.enclosures:
        result.reasons = [*notes, f"REJECT: {failure}"]
        return result
    lower, upper = result.enclosures[quantity]
    if not _decides(relation, lower, upper):
        problems.append(
            f"REJECT: {quantity} in [{_short(lower)}, {_short(upper)}] is not {relation} 0 "
            f"at {result.dps} digits"
        )
    if SECOND_DIFFERENCE in result.enclosures:
        low, high = result.enclosures[SECOND_DIFFERENCE]
        if not _decides("<", low, high):
            problems.append(
                f"REJECT: the chord of step h = {s.h} is not decided: {SECOND_DIFFERENCE} in "
                f"[{_short(low)}, {_short(high)}] is not < 0 at {result.dps} digits"
            )
    for name, (claimed_low, claimed_high) in s.claimed.items():
        low, high = result.enclosures[name]
        if not (claimed_low <= low and high <= claimed_high):
            problems.append(f"REJECT: the claimed enclosure of {name} does not contain the recomputed one")
    result.accepted = not problems
    result.reasons = notes + problems
    if result.accepted:
        result.reasons.append(f"re-proved: {quantity} {relation} 0 at {result.dps} digits ({arithmetic})")
        if SECOND_DIFFERENCE in result.enclosures:
            result.reasons.append(
                f"re-proved the reduction to a chord: {SECOND_DIFFERENCE} < 0 with h = {s.h}, "
                "so the point at t0 lies above the chord of the points at t0 - h and t0 + h"
            )
    return result


def _verify_barrier(
    s: Statement, result: CheckResult, notes: list[str], precisions: tuple[int, ...]
) -> CheckResult:
    """A barrier certificate: partition, every piece's upper bound, the witness (always with Arb)."""
    problems: list[str] = []
    for dps in precisions:
        try:
            found, problems = verify_barrier(s, dps)
        except (ArithmeticError, ValueError) as error:
            problems = [f"REJECT: cannot evaluate at {dps} digits: {error}"]
            continue
        problems += _uncontained(s.claimed, found)
        result.enclosures, result.dps = found, dps
        if not problems:
            break
    lo, hi = s.claimed["barrier"]
    result.accepted = not problems
    result.reasons = notes + problems
    if result.accepted:
        result.reasons.append(
            f"re-proved: the barrier lies in [{_short(lo)}, {_short(hi)}] ({len(s.pieces)} pieces, "
            f"{result.dps} digits, arb)"
        )
    return result


def _verify_saddle(
    s: Statement, result: CheckResult, notes: list[str], precisions: tuple[int, ...]
) -> CheckResult:
    """A critical_point or saddle certificate: Krawczyk, the lift, the direction, the index (Arb)."""
    reasons: list[str] = []
    problems: list[str] = []
    for dps in precisions:
        try:
            found, reasons, problems = verify_saddle(s, dps)
        except (ArithmeticError, ValueError) as error:
            found, reasons, problems = {}, [], [f"REJECT: cannot evaluate at {dps} digits: {error}"]
            continue
        problems += _uncontained(s.claimed, found)
        result.enclosures, result.dps = found, dps
        if not problems:
            break
    result.accepted = not problems
    result.reasons = notes + reasons + problems
    if result.accepted:
        result.reasons.append(f"re-proved: {s.quantity} {s.relation} 0 at {result.dps} digits (arb)")
    return result


def _decides(relation: str, lower: Fraction, upper: Fraction) -> bool:
    return {">": lower > 0, "<": upper < 0, "!=": lower > 0 or upper < 0}[relation]


def _structural(s: Statement) -> list[str]:
    notes = []
    if s.element is not None and s.B is not None:
        if apply_element(s.net, s.A, s.element) != s.B:
            notes.append(f"REJECT: B is not the image of A under {s.element}")
        else:
            notes.append(f"B = {s.element}(A) exactly")
    if s.kind in ("curvature", "hessian", "critical", "critical_point", "saddle") and (
        s.net.activation not in SMOOTH
    ):
        notes.append(f"REJECT: {s.kind} certificates need a smooth activation, not {s.net.activation}")
    if s.kind == "curvature" and not 0 <= s.t0 <= 1:
        notes.append("REJECT: t0 must lie in [0, 1]")
    if s.kind == "critical":
        notes.extend(_critical_premises(s))
    if s.kind in ("critical_point", "saddle") and s.radius == 0:
        notes.append(
            "REJECT: the box A + [-r, r]^n has radius 0: Krawczyk's test (K(X) inside X) needs r > 0, "
            "so this certificate cannot prove a unique critical point"
        )
    if s.kind == "saddle" and s.decay != 0:
        notes.append("REJECT: the lift identity needs a loss without weight decay")
    return notes


def _critical_premises(s: Statement) -> list[str]:
    reasons = []
    if not 0 < s.t0 < 1:
        reasons.append("REJECT: t0 must lie strictly between 0 and 1")
    if s.teacher is None or s.teacher_net != s.net or s.teacher != s.A:
        reasons.append("REJECT: a critical certificate needs A to be the teacher point of teacher data")
    if s.loss_kind not in ("mse", "sse") or s.decay != 0:
        reasons.append("REJECT: a critical certificate needs an mse or sse loss without weight decay")
    if s.element is None or not is_symmetry(s.net, s.element):
        reasons.append("REJECT: a critical certificate needs B = g(A) for a symmetry g of the network")
    if s.B == s.A:
        reasons.append("REJECT: A and B must be distinct")
    if not reasons:
        reasons.append(
            "A is the teacher: every residual vanishes, L(A) = 0 = min L, so grad L(A) = 0; "
            "B = g(A) for a symmetry g, so L(B) = 0 and grad L(B) = 0"
        )
    return reasons


def _uncontained(claimed: dict, found: dict) -> list[str]:
    """A rejection for each claimed enclosure that does not contain the recomputed one."""
    return [
        f"REJECT: the claimed enclosure of {name} does not contain the recomputed one"
        for name, (low, high) in claimed.items()
        if name in found and not (low <= found[name][0] and found[name][1] <= high)
    ]
