"""Re-check a certificate from its statement alone, and accept only what is re-proved.

Usage: ``check(path_or_dict)`` returns a :class:`CheckResult` (``accepted`` True
or False with the reasons: exit codes 0 and 1 of ``symcert check``); a
malformed certificate, or one whose estimated cost exceeds the budget, raises
:class:`CertificateFormatError` (exit code 2).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from fractions import Fraction
from pathlib import Path
from typing import Any

from symcert.checker import chunks
from symcert.checker.budget import ARITHMETICS, attempt_seconds, attempts, element_cost, plan
from symcert.checker.kind import short as _short
from symcert.checker.kinds import KINDS, SECOND_DIFFERENCE
from symcert.checker.points import apply_element, same_point
from symcert.checker.progress import report, reporting
from symcert.checker.reading import CertificateFormatError, loads, read_text
from symcert.checker.statement import SCHEMA, SMOOTH, VERSION, Statement
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
    source: str | os.PathLike[str] | dict[str, Any],
    *,
    arithmetic: str = "arb",
    budget: float = MAX_CHECK_SECONDS,
    progress: Callable[[int, int | None, str], None] | None = None,
    chunk_size: int | None = None,
    executor: Any = None,
) -> CheckResult:
    """Check a certificate given as a path to a JSON file, or as a dict parsed with :func:`loads`.

    ``arithmetic`` is ``"arb"`` (python-flint's Arb balls, batched over the data points; the
    default) or ``"mpmath"`` (mpmath intervals, one scalar at a time; the reference). ``budget`` is
    the largest estimated checking time, in seconds, the checker will start (see
    :mod:`symcert.checker.budget`). ``progress(done, total, note)``, when given, is told as each
    precision is tried and as each piece of a barrier or path is re-bounded; it never changes the verdict.
    With more data points than ``chunk_size`` (default :data:`~symcert.limits.DATA_CHUNK`), Arb sums
    the data term chunk by chunk, and ``executor`` (``map(fn, shared, items)``, e.g. on a Dask
    cluster) runs the chunks (:mod:`symcert.checker.chunks`).
    """
    if arithmetic not in ARITHMETICS:
        raise CertificateFormatError(
            f"arithmetic must be one of {', '.join(ARITHMETICS)}, got {arithmetic!r}"
        )
    if chunk_size is not None and (
        isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1
    ):
        raise CertificateFormatError(
            f"chunk_size must be a positive number of data points, got {chunk_size!r}"
        )
    if isinstance(source, dict):
        record = source
    elif isinstance(source, (str, os.PathLike)):
        record = loads(read_text(source), str(Path(source)))
    else:
        raise CertificateFormatError(
            f"check needs a path or a parsed certificate, got {type(source).__name__}"
        )
    graph_result = _graph_network(record, arithmetic, budget)
    if graph_result is not None:
        return graph_result
    statement = Statement(record)
    precisions, estimate = plan(statement, arithmetic, budget)
    quick = _f64_worth_trying(statement, arithmetic)
    if estimate > budget and quick and _f64().estimate_seconds(statement) <= budget:
        # the verified float64 rung alone fits the budget: tried alone; the Arb ladder would not fit
        precisions, estimate = (), _f64().estimate_seconds(statement)
    elif estimate > budget:
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
    with reporting(progress), chunks.streaming(chunk_size, executor):
        result = _verify(statement, arithmetic, precisions)
    result.estimate = estimate
    return result


def _graph_network(record: object, arithmetic: str, budget: float) -> CheckResult | None:
    """A certificate on a layer graph (issue 23), checked by :mod:`symcert.checker.graph` (None: an MLP)."""
    network = record.get("network") if isinstance(record, dict) else None
    if not (isinstance(network, dict) and "graph" in network):
        return None
    from symcert.checker.graph.chord import GraphBudgetError, check_graph_chord  # loaded when needed

    assert isinstance(record, dict)  # it has a network
    try:
        if record.get("kind") == "barrier":
            from symcert.checker.graph.barrier import check_graph_barrier

            v = check_graph_barrier(record, arithmetic, budget)
        elif record.get("kind") == "saddle":
            from symcert.checker.graph.saddle import check_graph_saddle

            v = check_graph_saddle(record, arithmetic, budget)
        elif record.get("kind") in ("unique_critical_point", "critical_point"):
            from symcert.checker.graph.critical import check_graph_critical

            v = check_graph_critical(record, arithmetic, budget)
        elif record.get("kind") == "orbit":
            from symcert.checker.graph.orbit import check_graph_orbit

            v = check_graph_orbit(record, arithmetic, budget)
        elif record.get("kind") == "critical_pair":
            from symcert.checker.graph.critical_pair import check_graph_critical_pair

            v = check_graph_critical_pair(record, arithmetic, budget)
        elif record.get("kind") == "path":
            from symcert.checker.graph.path import check_graph_path

            v = check_graph_path(record, arithmetic, budget)
        elif record.get("kind") in ("curvature", "hessian"):
            from symcert.checker.graph.curvature import check_graph_jet

            v = check_graph_jet(record, arithmetic, budget)
        else:
            v = check_graph_chord(record, arithmetic, budget)
    except GraphBudgetError as error:
        raise CertificateBudgetError(str(error)) from None
    return CheckResult(v.accepted, v.kind, v.reasons, v.enclosures, v.dps, v.estimate)


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
    if s.spec.verify is not None:  # a kind that checks more than one inequality
        verified: CheckResult = s.spec.verify(s, result, notes, precisions, arithmetic)
        return verified
    if arithmetic == "arb":  # each engine, with its library, loaded only when it is used
        from symcert.checker.arb_engine import compute
    else:
        from symcert.checker.mp_engine import compute
    failure, label = "", arithmetic
    quick = _f64().compute(s) if _f64_worth_trying(s, arithmetic) else None
    if quick is not None and _settles(s, quick):  # verified float64 decides: no Arb pass needed
        result.enclosures, result.dps, label = quick, _f64().DPS, "verified float64"
        precisions = ()
    for attempt, dps in enumerate(precisions):
        report(attempt, len(precisions), f"{dps} digits")
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
        if not precisions and not failure:
            failure = (
                "the verified float64 rung did not decide it within the claimed enclosures, and the Arb "
                "ladder is estimated beyond the budget; raise the budget"
            )
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
        result.reasons.append(f"re-proved: {quantity} {relation} 0 at {result.dps} digits ({label})")
        if SECOND_DIFFERENCE in result.enclosures:
            result.reasons.append(
                f"re-proved the reduction to a chord: {SECOND_DIFFERENCE} < 0 with h = {s.h}, "
                "so the point at t0 lies above the chord of the points at t0 - h and t0 + h"
            )
    return result


#: :data:`symcert.checker.f64_engine.KINDS` and ``MIN_ARB_SECONDS``, here so that deciding not to try
#: the float64 rung does not load numpy (tests/test_startup.py checks they agree).
_F64_KINDS, _F64_MIN_ARB_SECONDS = ("chord", "orbit"), 5.0


def _f64_worth_trying(s: Statement, arithmetic: str) -> bool:
    """:func:`symcert.checker.f64_engine.worth_trying`, loading numpy only where it may say yes.

    A small certificate (one Arb attempt under ``MIN_ARB_SECONDS``) goes to Arb directly, as before,
    and never loads numpy. Once the rung's module is loaded, its own answer is the only one asked.
    """
    if "symcert.checker.f64_engine" not in sys.modules:
        if arithmetic != "arb" or s.kind not in _F64_KINDS:
            return False
        if attempt_seconds(s, "arb", attempts(s.dps)[0]) < _F64_MIN_ARB_SECONDS:
            return False
    return bool(_f64().worth_trying(s, arithmetic))


def _f64() -> Any:
    """The verified float64 rung's module (:mod:`symcert.checker.f64_engine`; it loads numpy)."""
    from symcert.checker import f64_engine

    return f64_engine


def _settles(s: Statement, values: dict[str, tuple[Fraction, Fraction]]) -> bool:
    """The enclosures decide the claim and lie inside every claimed enclosure (nothing left to try)."""
    if not _decides(s.relation, *values[s.quantity]) or SECOND_DIFFERENCE in values:
        return False
    return all(low <= values[name][0] and values[name][1] <= high for name, (low, high) in s.claimed.items())


def _decides(relation: str, lower: Fraction, upper: Fraction) -> bool:
    return {">": lower > 0, "<": upper < 0, "!=": lower > 0 or upper < 0}[relation]


def _structural(s: Statement) -> list[str]:
    notes = []
    if s.stated_kind != s.kind:
        notes.append(f"the kind {s.stated_kind!r} is now named {s.kind!r}; read as {s.kind}")
    A, B = s.layers("A"), s.layers("B")  # as read: packed arrays are compared as integers
    if s.element is not None and A is not None and B is not None:
        if not same_point(apply_element(s.net, A, s.element), B):
            shown = (
                s.element
                if len(s.element) <= 80
                else f"{s.element[:60]}... ({s.element.count(';') + 1} factors)"
            )
            notes.append(f"REJECT: B is not the image of A under {shown}")
        else:
            notes.append(f"B = {s.element}(A) exactly")
    if s.spec.smooth and s.net.activation not in SMOOTH:
        notes.append(f"REJECT: {s.kind} certificates need a smooth activation, not {s.net.activation}")
    notes.extend(s.spec.premises(s))
    return notes
