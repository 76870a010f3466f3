"""Re-check a curvature or hessian certificate on a layer graph from its statement alone, in Arb.

The claim ``phi''(t0) < 0`` for ``phi(t) = L(A + t (B - A))`` shows non-convexity for *any* two points
(a convex function is convex on every segment, so ``phi'' >= 0`` wherever it exists), so, as for the
chord, the checker needs neither the symmetry nor ``L(A) = L(B)``: it reads the graph, the data, the loss,
the exact points, ``t0`` and the weight decay (``lam`` times the sum of squares of the parameters named
in ``loss.decayed``, added exactly) (``1/2`` for the hessian kind, where ``phi''(1/2) = d^T H(M) d`` with
``d = B - A``), forms ``P = A + t0 (B - A)`` and ``D = B - A`` exactly, encloses the loss's jet in its own
Arb code (:mod:`symcert.checker.graph.jets`) at the certificate's precision and more until the claim is
decided, and requires every claimed enclosure to contain the recomputed one.

Before Arb it tries its verified float64 jets (:mod:`symcert.checker.graph.fast_jets`): accepted when
that enclosure of the quantity is ``< 0`` and lies inside every claim; otherwise (unsupported layer,
undecided, or a claim that does not contain it) the Arb ladder decides, as before.
"""

from __future__ import annotations

import time
from fractions import Fraction
from typing import Any

import flint

from symcert.checker.graph.chord import GraphVerdict, estimate_seconds, statement_problems, within_budget
from symcert.checker.graph.fast import fast_seconds
from symcert.checker.graph.fast_jets import fast_loss_jet, smooth_free, unsupported
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
from symcert.checker.losses import NEEDS
from symcert.checker.reading import CertificateFormatError, dyadic, field, integer, keys, rational
from symcert.limits import DPS_LADDER, MAX_WORKING_DPS, MIN_DPS

__all__ = ["check_graph_jet", "JET_KINDS"]

#: Each kind's decisive quantity and its three enclosures (value, first, second derivative).
JET_KINDS = {
    "curvature": ("phi''(t0)", ("phi(t0)", "phi'(t0)", "phi''(t0)")),
    "hessian": ("dHd", ("L(M)", "d^T grad L(M)", "dHd")),
}
_TOP = {"schema", "version", "kind", "status", "network", "loss", "data", "points", "element", "parameters"}
_TOP |= {"claim", "enclosures", "dps"}
#: The jets cost about this many times the chord's three losses (two more products per bilinear layer,
#: three coefficients per entry; for the budget only).
_JET_FACTOR = 3.0
#: The float64 jets cost about this many times the fast rung's three losses (measured: about 0.7; for
#: the budget only).
_FAST_FACTOR = 2.0
_ZERO = Fraction(0)


def _params(graph: CheckedGraph, record: dict, where: str, seen: dict | None = None) -> dict[str, list]:
    keys(record, set(graph.parameters), set(), where)
    return {
        name: read_tensor(record[name], shape, f"{where}.{name}", seen)
        for name, shape in graph.parameters.items()
    }


def _read(record: dict, kind: str) -> dict[str, Any]:
    network, graph = read_header(record, _TOP)
    loss = field(record, "loss", dict, "certificate")
    keys(loss, {"kind", "weight_decay"}, {"factor", "decayed"}, "loss")
    if loss["kind"] not in NEEDS:
        raise CertificateFormatError(
            f"loss.kind must be one of {', '.join(NEEDS)}, got {str(loss['kind'])[:30]}"
        )
    decay = rational(loss["weight_decay"], "loss.weight_decay")
    if decay < 0:
        raise CertificateFormatError("loss.weight_decay must be >= 0")
    decayed = loss.get("decayed", [])
    if (decay != 0) != ("decayed" in loss) or not isinstance(decayed, list):
        raise CertificateFormatError(
            "loss.decayed lists the parameters a nonzero loss.weight_decay penalises"
        )
    if any(name not in graph.parameters for name in decayed) or len(set(decayed)) != len(decayed):
        raise CertificateFormatError("loss.decayed must name distinct parameters of the graph")
    factor = read_factor(loss)
    data, n, out = read_data_size(record, graph)
    points = field(record, "points", dict, "certificate")
    keys(points, {"A", "B"}, set(), "points")
    quantity, names = JET_KINDS[kind]
    claim = field(record, "claim", dict, "certificate")
    if claim.get("quantity") != quantity or claim.get("relation") != "<":
        raise CertificateFormatError(f"a {kind} certificate claims {quantity} < 0")
    parameters = field(record, "parameters", dict, "certificate")
    if kind == "curvature":
        keys(parameters, {"t0"}, set(), "parameters")
        t0 = rational(parameters["t0"], "parameters.t0")
        if not 0 <= t0 <= 1:
            raise CertificateFormatError("parameters.t0 must lie in [0, 1]")
    else:
        keys(parameters, set(), set(), "parameters")
        t0 = Fraction(1, 2)
    claimed = read_claims(record, names)
    seen: dict = {}  # A's strings, read once for B too
    element = record["element"]
    if element is not None and not isinstance(element, str):
        raise CertificateFormatError("element must be a string or null")
    return {
        "graph": graph,
        "stated_output": network["output_activation"],
        "kind": loss["kind"],
        "factor": factor,
        "decay": decay,
        "decayed": tuple(decayed),
        "xs": read_tensor(data["xs"], (n, *graph.input_shape), "data.xs"),
        "ys": read_tensor(data["ys"], (n, out[0]), "data.ys"),
        "A": _params(graph, field(points, "A", dict, "points"), "points.A", seen),
        "B": _params(graph, field(points, "B", dict, "points"), "points.B", seen),
        "t0": t0,
        "claimed": claimed,
        "status": record["status"],
        "element": element,
        "dps": integer(record["dps"], "dps", MIN_DPS, MAX_WORKING_DPS),
    }


def _combine(a: Any, b: Any, f: Any) -> Any:
    if isinstance(a, list):
        return [_combine(u, v, f) for u, v in zip(a, b)]
    return f(a, b)


def _structural(s: dict) -> list[str]:
    graph: CheckedGraph = s["graph"]
    notes = statement_problems(s)
    if any(node.type == "MaxPool" for node in graph.nodes):
        notes.append(f"REJECT: {MAX_POOL_REASON}")
    if s["decay"]:  # part of the statement, as the certificate states it: say which loss is re-proved
        listed = ", ".join(s["decayed"][:6]) + (", ..." if len(s["decayed"]) > 6 else "")
        notes.append(
            f"the loss includes the weight decay {s['decay']} ||theta||^2 over the {len(s['decayed'])} of "
            f"{len(graph.parameters)} parameters listed in loss.decayed ({listed}), as stated"
        )
    if s["element"]:
        notes.append(
            f"B is stated to be {s['element'][:60]}(A); not needed: phi'' < 0 on any segment "
            "shows non-convexity"
        )
    return notes


def check_graph_jet(record: dict, arithmetic: str, budget: float) -> GraphVerdict:
    """Check a curvature or hessian certificate on a layer graph (see the module text)."""
    kind = record.get("kind")
    assert kind in JET_KINDS  # the dispatcher sends only these
    if arithmetic != "arb":
        raise CertificateFormatError("certificates on layer graphs are checked with --arithmetic arb")
    s = _read(record, kind)
    s["kind_name"] = kind
    graph: CheckedGraph = s["graph"]
    quantity, names = JET_KINDS[kind]
    result = GraphVerdict(False, kind)
    notes = _structural(s)
    precisions = tuple(max(s["dps"], 30) * f for f in DPS_LADDER)
    arb_estimate = _JET_FACTOR * estimate_seconds(graph, len(s["xs"]), precisions[0])
    without = unsupported(graph, s["kind"])
    estimate = arb_estimate if without else _FAST_FACTOR * fast_seconds(graph, len(s["xs"]))
    result.estimate = estimate
    within_budget(graph, len(s["xs"]), estimate, budget)
    if any(n.startswith("REJECT") for n in notes):
        result.reasons = notes
        return result
    t0 = s["t0"]
    # entries a permutation leaves alone (a == b) give a and 0 exactly, without Fraction arithmetic
    P = {k: _combine(s["A"][k], s["B"][k], lambda a, b: a if a == b else a + t0 * (b - a)) for k in s["A"]}
    D = {k: _combine(s["A"][k], s["B"][k], lambda a, b: _ZERO if a == b else b - a) for k in s["A"]}
    if without is None:
        started = time.perf_counter()
        if _fast_rung(s, P, D, result, notes):
            return result
        if arb_estimate + time.perf_counter() - started > budget:
            result.reasons = [
                *notes,
                f"REJECT: undecided: the float64 jets did not decide and the Arb jets are estimated at "
                f"{arb_estimate:.0f} s, beyond the budget of {budget:.0f} s",
            ]
            return result
    else:
        notes.append(f"the float64 jets do not evaluate {without}; Arb decides")
    for dps in precisions:
        try:
            values = _enclosures(s, P, D, names, dps)
        except (ArithmeticError, ValueError) as error:
            notes.append(f"cannot evaluate at {dps} digits: {error}")
            continue
        result.enclosures, result.dps = values, dps
        if values[quantity][1] < 0 and _contained(s["claimed"], values):
            break  # else more digits: a claim from a higher precision may be narrower than these balls
    problems = []
    if not result.enclosures:
        problems.append("REJECT: no precision gave finite enclosures")
    elif not result.enclosures[quantity][1] < 0:
        low, high = result.enclosures[quantity]
        problems.append(
            f"REJECT: {quantity} in [{short(low)}, {short(high)}] is not < 0 at {result.dps} digits"
        )
    for name, (low, high) in s["claimed"].items():
        if result.enclosures and not (
            low <= result.enclosures[name][0] and result.enclosures[name][1] <= high
        ):
            problems.append(f"REJECT: the claimed enclosure of {name} does not contain the recomputed one")
    result.accepted = not problems
    result.reasons = [n for n in notes if not n.startswith("cannot") or not result.accepted] + problems
    if result.accepted:
        where = f"t0 = {t0}" if kind == "curvature" else "M = (A + B)/2, d = B - A"
        result.reasons.append(
            f"re-proved: {quantity} < 0 at {where}, {result.dps} digits (arb, the checker's own graph jets)"
        )
    return result


def _fast_rung(s: dict, P: dict, D: dict, result: GraphVerdict, notes: list[str]) -> bool:
    """Accept on the float64 jets when they decide (quantity < 0, inside every claim); False: Arb follows."""
    quantity, names = JET_KINDS[s["kind_name"]]
    # without smooth activations, first the plain products for the values (cheaper); then Dot2
    values: dict = {}
    for compensated in (False, True) if smooth_free(s["graph"]) else (True,):
        try:
            jet = fast_loss_jet(s["graph"], P, D, s["xs"], s["ys"], s["kind"], s["factor"], compensated)
        except (ArithmeticError, ValueError) as error:  # balls.Undecided among them: never a guess
            why = f"the float64 jets are undecided ({error})"
            values = {}
            continue
        values = {
            name: (low + shift, high + shift) for name, (low, high), shift in zip(names, jet, _decay(s, P, D))
        }
        if values[quantity][1] < 0 and _contained(s["claimed"], values):
            break
        why = "the float64 jets did not decide (the quantity or a claimed enclosure)"
    else:
        notes.append(f"{why}; Arb follows")
        return False
    result.enclosures, result.dps, result.accepted = values, 15, True
    where = f"t0 = {s['t0']}" if s["kind_name"] == "curvature" else "M = (A + B)/2, d = B - A"
    result.reasons = [
        *notes,
        f"re-proved: {quantity} < 0 at {where} in verified float64 (the checker's own graph jets, fast rung)",
    ]
    return True


def _contained(claimed: dict, values: dict) -> bool:
    return all(low <= values[name][0] and values[name][1] <= high for name, (low, high) in claimed.items())


def _enclosures(s: dict, P: dict, D: dict, names: tuple, dps: int) -> dict[str, tuple[Fraction, Fraction]]:
    saved = flint.ctx.prec
    flint.ctx.prec = int(dps * 3.3220) + 16
    try:
        balls = graph_loss_jet(s["graph"], P, D, s["xs"], s["ys"], s["kind"], s["factor"])
        out = {}
        for name, ball, shift in zip(names, balls, _decay(s, P, D)):
            if not ball.is_finite():
                raise ArithmeticError(f"the enclosure of {name} is unbounded")
            (mid_man, mid_exp), (rad_man, rad_exp) = ball.mid().man_exp(), ball.rad().man_exp()
            mid = dyadic(int(mid_man), int(mid_exp), name)
            rad = dyadic(int(rad_man), int(rad_exp), name)
            out[name] = (mid - rad + shift, mid + rad + shift)
        return out
    finally:
        flint.ctx.prec = saved


def _flat(values: Any) -> list:
    return [v for item in values for v in _flat(item)] if isinstance(values, list) else [values]


def _decay(s: dict, P: dict, D: dict) -> tuple[Fraction, Fraction, Fraction]:
    """``lam sum theta^2`` over the decayed parameters along ``P + u D``, exactly: its value and its first
    two derivatives in ``u``."""
    lam, p, d = s["decay"], [], []
    for name in s["decayed"]:
        p += _flat(P[name])
        d += _flat(D[name])
    return (
        lam * sum((a * a for a in p), Fraction(0)),
        2 * lam * sum((a * b for a, b in zip(p, d)), Fraction(0)),
        2 * lam * sum((b * b for b in d), Fraction(0)),
    )
