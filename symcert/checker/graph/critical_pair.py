"""Re-check a critical-pair certificate on a layer graph from its statement alone, in the checker's code.

The claim: ``A`` and ``B`` are global minima of the mse (or sse) loss and ``phi'(t0) != 0`` for
``phi(t) = L(A + t (B - A))``, ``0 < t0 < 1``. The checker needs no symmetry: it evaluates the graph
exactly at ``A`` and at ``B`` on the data (:mod:`symcert.checker.graph.exact`, rationals) and requires
every output to equal its target, so ``L(A) = L(B) = 0``, the least value of a sum of squares. A convex
function's minimisers form a convex set, so ``phi`` would vanish on ``[0, 1]``; the checker encloses
``phi'(t0)`` with its own Arb jets (:mod:`symcert.checker.graph.jets`) until 0 is excluded, and requires
every claimed enclosure to contain the recomputed one. A graph without exact outputs (tanh, softmax,
layer norm, an irrational batch-norm root) is rejected: ``L(A) = 0`` cannot be checked there.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import flint

from symcert.checker.graph.chord import GraphVerdict, estimate_seconds, statement_problems, within_budget
from symcert.checker.graph.exact import NotExact, exact_outputs
from symcert.checker.graph.jets import MAX_POOL_REASON, graph_loss_jet
from symcert.checker.graph.spec import (
    CheckedGraph,
    read_claims,
    read_data_size,
    read_factor,
    read_header,
    read_tensor,
)
from symcert.checker.kind import short
from symcert.checker.losses import SQUARES
from symcert.checker.reading import CertificateFormatError, dyadic, field, integer, keys, rational
from symcert.limits import DPS_LADDER, MAX_WORKING_DPS, MIN_DPS

__all__ = ["check_graph_critical_pair"]

_TOP = {"schema", "version", "kind", "status", "network", "loss", "data", "points", "element", "parameters"}
_TOP |= {"claim", "enclosures", "dps"}
_NAMES = ("phi(t0)", "phi'(t0)")
#: The jets cost about this many times the chord's three losses (for the budget only).
_JET_FACTOR = 3.0


def _params(graph: CheckedGraph, record: dict, where: str) -> dict[str, list]:
    keys(record, set(graph.parameters), set(), where)
    return {
        name: read_tensor(record[name], shape, f"{where}.{name}") for name, shape in graph.parameters.items()
    }


def _read(record: dict) -> dict[str, Any]:
    network, graph = read_header(record, _TOP)
    loss = field(record, "loss", dict, "certificate")
    keys(loss, {"kind", "weight_decay"}, {"factor"}, "loss")
    if loss["kind"] not in SQUARES:
        raise CertificateFormatError(
            f"a critical_pair certificate needs an mse or sse loss, got {str(loss['kind'])[:30]}"
        )
    if rational(loss["weight_decay"], "loss.weight_decay") != 0:
        raise CertificateFormatError("loss.weight_decay must be 0 for a critical_pair certificate")
    data, n, out = read_data_size(record, graph)
    points = field(record, "points", dict, "certificate")
    keys(points, {"A", "B"}, set(), "points")
    claim = field(record, "claim", dict, "certificate")
    if claim.get("quantity") != "phi'(t0)" or claim.get("relation") != "!=":
        raise CertificateFormatError("a critical_pair certificate claims phi'(t0) != 0")
    parameters = field(record, "parameters", dict, "certificate")
    keys(parameters, {"t0"}, set(), "parameters")
    claimed = read_claims(record, _NAMES)
    return {
        "graph": graph,
        "stated_output": network["output_activation"],
        "kind": loss["kind"],
        "factor": read_factor(loss),
        "xs": read_tensor(data["xs"], (n, *graph.input_shape), "data.xs"),
        "ys": read_tensor(data["ys"], (n, out[0]), "data.ys"),
        "A": _params(graph, field(points, "A", dict, "points"), "points.A"),
        "B": _params(graph, field(points, "B", dict, "points"), "points.B"),
        "t0": rational(parameters["t0"], "parameters.t0"),
        "claimed": claimed,
        "status": record["status"],
        "element": record["element"],
        "dps": integer(record["dps"], "dps", MIN_DPS, MAX_WORKING_DPS),
    }


def _premises(s: dict) -> list[str]:
    graph: CheckedGraph = s["graph"]
    notes = statement_problems(s)
    if not 0 < s["t0"] < 1:
        notes.append("REJECT: parameters.t0 must lie strictly between 0 and 1")
    if any(node.type == "MaxPool" for node in graph.nodes):
        notes.append(f"REJECT: {MAX_POOL_REASON}")
    if s["A"] == s["B"]:
        notes.append("REJECT: A and B must be distinct")
    if any(n.startswith("REJECT") for n in notes):
        return notes
    for name in ("A", "B"):
        try:
            outputs = exact_outputs(graph, s[name], s["xs"])
        except NotExact as error:
            return [*notes, f"REJECT: L({name}) = 0 cannot be checked: {error}"]
        if outputs != s["ys"]:
            return [
                *notes,
                f"REJECT: the data are not teacher data of {name}: some output differs from its target",
            ]
    notes.append(
        "L(A) = L(B) = 0 = min L: every output at A and at B equals its target exactly (the checker's own "
        "exact evaluation), so both are global minima"
    )
    return notes


def _combine(a: Any, b: Any, f: Any) -> Any:
    if isinstance(a, list):
        return [_combine(u, v, f) for u, v in zip(a, b)]
    return f(a, b)


def check_graph_critical_pair(record: dict, arithmetic: str, budget: float) -> GraphVerdict:
    """Check a critical-pair certificate on a layer graph (see the module text)."""
    if arithmetic != "arb":
        raise CertificateFormatError("certificates on layer graphs are checked with --arithmetic arb")
    s = _read(record)
    graph: CheckedGraph = s["graph"]
    result = GraphVerdict(False, "critical_pair")
    precisions = tuple(max(s["dps"], 30) * f for f in DPS_LADDER)
    result.estimate = _JET_FACTOR * estimate_seconds(graph, len(s["xs"]), precisions[0])
    within_budget(graph, len(s["xs"]), result.estimate, budget)
    notes = _premises(s)
    if any(n.startswith("REJECT") for n in notes):
        result.reasons = notes
        return result
    t0 = s["t0"]
    P = {k: _combine(s["A"][k], s["B"][k], lambda a, b: a + t0 * (b - a)) for k in s["A"]}
    D = {k: _combine(s["A"][k], s["B"][k], lambda a, b: b - a) for k in s["A"]}
    for dps in precisions:
        try:
            values = _enclosures(s, P, D, dps)
        except (ArithmeticError, ValueError) as error:
            notes.append(f"cannot evaluate at {dps} digits: {error}")
            continue
        result.enclosures, result.dps = values, dps
        low, high = values["phi'(t0)"]
        if (low > 0 or high < 0) and _contained(s["claimed"], values):
            break
    problems = []
    if not result.enclosures:
        problems.append("REJECT: no precision gave finite enclosures")
    else:
        low, high = result.enclosures["phi'(t0)"]
        if not (low > 0 or high < 0):
            problems.append(
                f"REJECT: phi'(t0) in [{short(low)}, {short(high)}] does not exclude 0 at {result.dps} digits"
            )
        if not _contained(s["claimed"], result.enclosures):
            problems.append("REJECT: a claimed enclosure does not contain the recomputed one")
    result.accepted = not problems
    result.reasons = [n for n in notes if not n.startswith("cannot") or not result.accepted] + problems
    if result.accepted:
        result.reasons.append(
            f"re-proved: phi'(t0) != 0 at t0 = {t0}, {result.dps} digits (arb, the checker's own graph jets)"
        )
    return result


def _contained(claimed: dict, values: dict) -> bool:
    return all(low <= values[name][0] and values[name][1] <= high for name, (low, high) in claimed.items())


def _enclosures(s: dict, P: dict, D: dict, dps: int) -> dict[str, tuple[Fraction, Fraction]]:
    saved = flint.ctx.prec
    flint.ctx.prec = int(dps * 3.3220) + 16
    try:
        balls = graph_loss_jet(s["graph"], P, D, s["xs"], s["ys"], s["kind"], s["factor"])
        out = {}
        for name, ball in zip(_NAMES, balls):
            if not ball.is_finite():
                raise ArithmeticError(f"the enclosure of {name} is unbounded")
            (mid_man, mid_exp), (rad_man, rad_exp) = ball.mid().man_exp(), ball.rad().man_exp()
            mid, rad = dyadic(int(mid_man), int(mid_exp), name), dyadic(int(rad_man), int(rad_exp), name)
            out[name] = (mid - rad, mid + rad)
        return out
    finally:
        flint.ctx.prec = saved
