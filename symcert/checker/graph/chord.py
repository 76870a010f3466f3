"""Re-check a chord certificate on a layer graph from its statement alone, in the checker's own Arb code.

The claim ``L((A+B)/2) - (L(A) + L(B))/2 > 0`` shows non-convexity for *any* two points ``A`` and ``B``
(a convex function lies below its chords), so the checker needs neither the symmetry nor
``L(A) = L(B)``: it reads the graph, the data, the loss and the exact points, forms the midpoint
exactly, encloses the three losses in Arb (:mod:`symcert.checker.graph.forward`) at the certificate's
precision and more until the claim is decided, and requires every claimed enclosure to contain the
recomputed one. The element is only reported.

Before Arb it tries its verified float64 rung (:mod:`symcert.checker.graph.fast`), when the graph and
loss are ones that rung evaluates: accepted when that enclosure decides and lies inside every claim,
rejected when the barrier is surely ``<= 0`` or a claim is disjoint from it, otherwise Arb decides
(within the budget). The budget is priced by the rung that will run first.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from fractions import Fraction
from typing import Any

import flint

from symcert.checker.graph.fast import (
    fast_loss,
    fast_seconds,
    from_fractions,
    midpoint_balls,
    parameter_balls,
    unsupported,
)
from symcert.checker.graph.forward import graph_loss, graph_output, to_arb
from symcert.checker.graph.spec import (
    CheckedGraph,
    read_claims,
    read_data_size,
    read_factor,
    read_header,
    read_tensor,
)
from symcert.checker.kind import short
from symcert.checker.losses import NEEDS, SQUARES
from symcert.checker.reading import CertificateFormatError, dyadic, field, integer, keys, rational
from symcert.limits import DPS_LADDER, MAX_WORKING_DPS, MIN_DPS

__all__ = ["check_graph_chord", "estimate_seconds", "GraphVerdict", "GraphBudgetError"]


class GraphBudgetError(CertificateFormatError):
    """The estimated checking time exceeds the budget (``check`` reports it as its budget error)."""


def within_budget(graph: CheckedGraph, points: int, estimate: float, budget: float) -> None:
    """Raise :class:`GraphBudgetError` when ``estimate`` seconds exceed ``budget``."""
    if estimate > budget:
        raise GraphBudgetError(
            f"checking this graph certificate ({graph.n_parameters} parameters, {points} points) is "
            f"estimated at {estimate:.0f} s, beyond the budget of {budget:.0f} s; raise the budget"
        )


@dataclass
class GraphVerdict:
    """What :func:`check_graph_chord` found (``check`` turns it into its ``CheckResult``)."""

    accepted: bool
    kind: str
    reasons: list[str] = dataclass_field(default_factory=list)
    enclosures: dict[str, tuple[Fraction, Fraction]] = dataclass_field(default_factory=dict)
    dps: int = 0
    estimate: float = 0.0


_TOP = {"schema", "version", "kind", "status", "network", "loss", "data", "points", "element", "parameters"}
_TOP |= {"claim", "enclosures", "dps"}
_NAMES = ("L(A)", "L(B)", "L(M)", "barrier")
#: Seconds per Arb operation on an object array entry, and per multiply-add inside ``arb_mat`` (measured
#: on a loaded 2-core machine, with margin; for the budget only).
_SECONDS_PER_ENTRY, _SECONDS_PER_MAC = 4e-6, 1e-7


def _read(record: dict) -> dict[str, Any]:
    network, graph = read_header(record, _TOP)
    loss = field(record, "loss", dict, "certificate")
    keys(loss, {"kind", "weight_decay"}, {"factor"}, "loss")
    if loss["kind"] not in NEEDS:
        raise CertificateFormatError(
            f"loss.kind must be one of {', '.join(NEEDS)}, got {str(loss['kind'])[:30]}"
        )
    if rational(loss["weight_decay"], "loss.weight_decay") != 0:
        raise CertificateFormatError("loss.weight_decay must be 0 for a layer graph")
    factor = read_factor(loss)
    data, n, out = read_data_size(record, graph)
    xs = read_tensor(data["xs"], (n, *graph.input_shape), "data.xs")
    ys = read_tensor(data["ys"], (n, out[0]), "data.ys")
    points = field(record, "points", dict, "certificate")
    keys(points, {"A", "B"}, set(), "points")
    seen: dict = {}  # the strings of A, read once for the other point too (mostly the same)
    A, B = (_params(graph, field(points, k, dict, "points"), f"points.{k}", seen) for k in ("A", "B"))
    claim = field(record, "claim", dict, "certificate")
    if claim.get("quantity") != "barrier" or claim.get("relation") != ">":
        raise CertificateFormatError("a chord certificate claims barrier > 0")
    claimed = read_claims(record, _NAMES)
    if record["parameters"] != {}:
        raise CertificateFormatError("a chord certificate on a layer graph has no parameters; give {}")
    element = record["element"]
    if element is not None and not isinstance(element, str):
        raise CertificateFormatError("element must be a string or null")
    return {
        "graph": graph,
        "stated_output": network["output_activation"],
        "kind": loss["kind"],
        "factor": factor,
        "xs": xs,
        "ys": ys,
        "A": A,
        "B": B,
        "claimed": claimed,
        "status": record["status"],
        "element": element,
        "dps": integer(record["dps"], "dps", MIN_DPS, MAX_WORKING_DPS),
    }


def _params(graph: CheckedGraph, record: dict, where: str, seen: dict | None = None) -> dict[str, list]:
    keys(record, set(graph.parameters), set(), where)
    return {
        name: read_tensor(record[name], shape, f"{where}.{name}", seen)
        for name, shape in graph.parameters.items()
    }


def _midpoint(a: Any, b: Any) -> Any:
    if isinstance(a, list):
        return [_midpoint(u, v) for u, v in zip(a, b)]
    return (a + b) / 2


def estimate_seconds(graph: CheckedGraph, n: int, dps: int) -> float:
    """A rough cost of the three losses at ``dps`` digits (for the budget): every entry of every tensor
    (and of the patch matrices) is a Python-level Arb operation, every multiply-add of a product one
    inside ``arb_mat``."""
    entries = macs = 0
    for node in graph.nodes:
        size = math.prod(graph.shapes[node.name])
        entries += size
        if node.type == "Dense":
            macs += size * graph.shapes[node.inputs[0]][-1]
        elif node.type == "Conv":
            fan = graph.shapes[node.inputs[0]][0] * math.prod(node.fields["kernel"])
            entries += size // node.fields["channels"] * fan  # the patch matrix
            macs += size * fan
        elif node.type in ("AveragePool", "MaxPool"):
            entries += size * math.prod(node.fields["kernel"])
    per_example = entries * _SECONDS_PER_ENTRY + macs * _SECONDS_PER_MAC
    return 3 * n * per_example * max(1.0, dps / 50)


def statement_problems(s: dict) -> list[str]:
    """The rejections a graph certificate's statement earns before any arithmetic: a loss the graph's
    output does not fit, a stated output activation that is not the graph's, a status other than proved
    (``s`` holds ``graph``, ``kind``, ``stated_output`` and ``status``)."""
    notes = []
    output = graph_output(s["graph"])
    need = NEEDS[s["kind"]]
    if need is not None and output not in ("identity", need):
        notes.append(
            f"REJECT: the {s['kind']} loss needs a {need} output or logits, the graph ends in {output}"
        )
    if s["stated_output"] != (need if need is not None else output):
        shown = str(s["stated_output"])[:20]
        notes.append(f"REJECT: network.output_activation {shown!r} is not the output the graph and loss give")
    if s["status"] != "proved":
        shown = str(s["status"])[:20]
        notes.append(f"REJECT: the certificate's status is {shown!r}; only a proved claim can be accepted")
    return notes


def check_graph_chord(record: dict, arithmetic: str, budget: float) -> GraphVerdict:
    """Check a chord certificate on a layer graph (see the module text)."""
    if record.get("kind") != "chord":
        return GraphVerdict(
            False,
            str(record.get("kind"))[:30],
            [
                "REJECT: on a layer graph the checker checks chord certificates only; this kind cannot be "
                "checked yet"
            ],
        )
    if arithmetic != "arb":
        raise CertificateFormatError("certificates on layer graphs are checked with --arithmetic arb")
    s = _read(record)
    graph: CheckedGraph = s["graph"]
    result = GraphVerdict(False, "chord")
    notes = statement_problems(s)
    if s["element"]:
        notes.append(
            f"B is stated to be {s['element'][:60]}(A); not needed: the chord of any A, B shows non-convexity"
        )
    precisions = tuple(max(s["dps"], 30) * f for f in DPS_LADDER)
    arb_estimate = estimate_seconds(graph, len(s["xs"]), precisions[0])
    without = unsupported(graph, s["kind"])
    estimate = arb_estimate if without else fast_seconds(graph, len(s["xs"]))
    result.estimate = estimate
    within_budget(graph, len(s["xs"]), estimate, budget)
    if any(n.startswith("REJECT") for n in notes):
        result.reasons = notes
        return result
    if without is None:
        started = time.perf_counter()
        decided = _fast_rung(s, result, notes)
        if decided:
            return result
        spent = time.perf_counter() - started
        if arb_estimate + spent > budget:
            result.accepted = False
            result.reasons = [
                *notes,
                f"REJECT: undecided: the float64 rung did not decide and the Arb rung is estimated at "
                f"{arb_estimate:.0f} s, beyond the budget of {budget:.0f} s",
            ]
            return result
    M = {name: _midpoint(s["A"][name], s["B"][name]) for name in s["A"]}
    for dps in precisions:
        try:
            values = _enclosures(s, M, dps)
        except (ArithmeticError, ValueError) as error:
            notes.append(f"cannot evaluate at {dps} digits: {error}")
            continue
        result.enclosures, result.dps = values, dps
        if values["barrier"][0] > 0:
            break
    problems = []
    if not result.enclosures:
        problems.append("REJECT: no precision gave finite enclosures")
    elif not result.enclosures["barrier"][0] > 0:
        low, high = result.enclosures["barrier"]
        problems.append(f"REJECT: barrier in [{short(low)}, {short(high)}] is not > 0 at {result.dps} digits")
    for name, (low, high) in s["claimed"].items():
        if result.enclosures and not (
            low <= result.enclosures[name][0] and result.enclosures[name][1] <= high
        ):
            problems.append(f"REJECT: the claimed enclosure of {name} does not contain the recomputed one")
    result.accepted = not problems
    result.reasons = [n for n in notes if not n.startswith("cannot") or not result.accepted] + problems
    if result.accepted:
        result.reasons.append(
            f"re-proved: barrier > 0 at {result.dps} digits (arb, the checker's own graph evaluation)"
        )
    return result


def _fast_rung(s: dict, result: GraphVerdict, notes: list[str]) -> bool:
    """Try the float64 rung (:mod:`symcert.checker.graph.fast`); fill ``result`` and return True when
    it decides: accepted (barrier > 0, every claim contains the enclosure), or rejected (barrier
    surely <= 0, or a claim disjoint from the enclosure). False: undecided, the Arb path follows."""
    try:
        graph, data = s["graph"], (from_fractions(s["xs"]), from_fractions(s["ys"]))
        at_a, at_b = parameter_balls(graph, s["A"]), parameter_balls(graph, s["B"])
        at_m = midpoint_balls(graph, s["A"], s["B"], at_a, at_b)
        la, lb, lm = (fast_loss(graph, p, *data, s["kind"], s["factor"]) for p in (at_a, at_b, at_m))
    except (ArithmeticError, ValueError) as error:  # balls.Undecided among them: never a guess
        notes.append(f"the float64 rung is undecided ({error}); Arb follows")
        return False
    values = {"L(A)": la, "L(B)": lb, "L(M)": lm}
    values["barrier"] = (lm[0] - (la[1] + lb[1]) / 2, lm[1] - (la[0] + lb[0]) / 2)
    problems = []
    low, high = values["barrier"]
    if high <= 0:
        problems.append(f"REJECT: barrier in [{short(low)}, {short(high)}] is not > 0 (float64 rung)")
    contained = True
    for name, (c_low, c_high) in s["claimed"].items():
        v_low, v_high = values[name]
        if v_high < c_low or c_high < v_low:
            problems.append(
                f"REJECT: the claimed enclosure of {name} does not contain the recomputed one (disjoint)"
            )
        contained = contained and c_low <= v_low and v_high <= c_high
    if not problems and not (low > 0 and contained):
        notes.append("the float64 rung did not decide (barrier or a claimed enclosure); Arb follows")
        return False
    result.enclosures, result.dps = values, 15
    result.accepted = not problems
    result.reasons = notes + problems
    if result.accepted:
        result.reasons.append(
            "re-proved: barrier > 0 in verified float64 (the checker's own fast rung on layer graphs)"
        )
    return True


def _enclosures(s: dict, M: dict, dps: int) -> dict[str, tuple[Fraction, Fraction]]:
    saved = flint.ctx.prec
    flint.ctx.prec = int(dps * 3.3220) + 16
    try:
        x = to_arb(s["xs"])
        la, lb, lm = (
            graph_loss(s["graph"], p, x, s["ys"], s["kind"], s["factor"]) for p in (s["A"], s["B"], M)
        )
        balls = {"L(A)": la, "L(B)": lb, "L(M)": lm, "barrier": lm - (la + lb) / 2}
        out = {}
        for name, ball in balls.items():
            if not ball.is_finite():
                raise ArithmeticError(f"the enclosure of {name} is unbounded")
            (mid_man, mid_exp), (rad_man, rad_exp) = ball.mid().man_exp(), ball.rad().man_exp()
            mid = dyadic(int(mid_man), int(mid_exp), name)
            rad = dyadic(int(rad_man), int(rad_exp), name)
            low = mid - rad
            out[name] = (
                max(low, Fraction(0)) if s["kind"] in SQUARES and name != "barrier" else low,
                mid + rad,
            )
        return out
    finally:
        flint.ctx.prec = saved
