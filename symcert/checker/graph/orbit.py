"""Re-check an orbit certificate on a layer graph from its statement alone, in the checker's own code.

The claim: for the stated permutation group ``G`` of ``n`` channels, ``L(mean) - L(A) > 0``, where
``mean`` is the average of ``A`` over the ``n!`` elements of ``G``. With ``L(g A) = L(A)`` for every
``g``, convexity would give ``L(mean) <= L(A)``, so the claim shows non-convexity. The checker

1. proves the invariance itself (:mod:`symcert.checker.graph.orbit_rules`: one rule per layer type,
   checked node by node on the stated members; the group is not taken on trust);
2. computes the mean itself from ``A`` and the members (:func:`orbit_mean`, exact rationals) and
   rejects a stated mean that differs in any entry;
3. encloses ``L(A)`` and ``L(mean)``: its verified float64 rung first (:mod:`symcert.checker.graph.fast`)
   where the graph and loss allow, its Arb evaluation (:mod:`symcert.checker.graph.forward`) at the
   certificate's precision and more otherwise, and requires ``gap > 0`` and every claimed enclosure
   to contain the recomputed one.
"""

from __future__ import annotations

import itertools
import time
from fractions import Fraction
from typing import Any

import flint

from symcert.checker.graph.chord import (
    GraphVerdict,
    estimate_seconds,
    statement_problems,
    within_budget,
)
from symcert.checker.graph.fast import fast_loss, fast_seconds, from_fractions, parameter_balls, unsupported
from symcert.checker.graph.forward import graph_loss, to_arb
from symcert.checker.graph.orbit_rules import invariance_problems, read_members, tied_axes
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
from symcert.limits import DPS_LADDER, MAX_WIDTH, MAX_WORKING_DPS, MIN_DPS

__all__ = ["check_graph_orbit", "orbit_mean"]

_TOP = {"schema", "version", "kind", "status", "network", "loss", "data", "points", "element", "parameters"}
_TOP |= {"claim", "enclosures", "dps"}
_NAMES = ("L(A)", "L(mean)", "gap")


def orbit_mean(shape: tuple[int, ...], values: Any, size: int, axes: list[tuple[int, int, int]]) -> Any:
    """The mean of one parameter (nested lists of exact rationals of ``shape``) over the simultaneous
    permutations of the ``size`` channels of each ``(axis, outer, inner)`` of ``axes``: each entry
    becomes the average of the entries in its orbit, those with the same indices off the channels
    and the same pattern of equal channel indices.

    >>> F = Fraction
    >>> orbit_mean((2, 2), [[F(1), F(2)], [F(3), F(4)]], 2, [(0, 1, 1), (1, 1, 1)])  # diagonal, off it
    [[Fraction(5, 2), Fraction(5, 2)], [Fraction(5, 2), Fraction(5, 2)]]
    >>> orbit_mean((1, 4), [[F(1), F(2), F(3), F(5)]], 2, [(1, 1, 2)])  # blocks of two: (1+3)/2, (2+5)/2
    [[Fraction(2, 1), Fraction(7, 2), Fraction(2, 1), Fraction(7, 2)]]
    """
    inner_of = {a: i for a, _, i in axes}  # outer follows from the length
    sums: dict[tuple, list] = {}
    keyed = []
    for index in itertools.product(*(range(n) for n in shape)):
        rest, channels = [], []
        for axis, k in enumerate(index):
            if axis in inner_of:
                inner = inner_of[axis]
                block, within = divmod(k, size * inner)
                channel, offset = divmod(within, inner)
                rest += [block, offset]
                channels.append(channel)
            else:
                rest.append(k)
        first: dict[int, int] = {}
        pattern = tuple(first.setdefault(c, j) for j, c in enumerate(channels))
        key = (tuple(rest), pattern)
        entry = sums.setdefault(key, [Fraction(0), 0])
        entry[0] += _at(values, index)
        entry[1] += 1
        keyed.append((index, key))
    out = _copy(values)
    for index, key in keyed:
        total, count = sums[key]
        _put(out, index, total / count)
    return out


def _at(values: Any, index: tuple[int, ...]) -> Fraction:
    for k in index:
        values = values[k]
    return values


def _put(values: Any, index: tuple[int, ...], value: Fraction) -> None:
    for k in index[:-1]:
        values = values[k]
    values[index[-1]] = value


def _copy(values: Any) -> Any:
    return [_copy(v) for v in values] if isinstance(values, list) else values


def _read(record: dict) -> dict[str, Any]:
    network, graph = read_header(record, _TOP)
    loss = field(record, "loss", dict, "certificate")
    keys(loss, {"kind", "weight_decay"}, {"factor"}, "loss")
    if loss["kind"] not in NEEDS:
        raise CertificateFormatError(
            f"loss.kind must be one of {', '.join(NEEDS)}, got {str(loss['kind'])[:30]}"
        )
    if rational(loss["weight_decay"], "loss.weight_decay") != 0:
        raise CertificateFormatError("loss.weight_decay must be 0 for an orbit certificate on a layer graph")
    data, n, out = read_data_size(record, graph)
    points = field(record, "points", dict, "certificate")
    keys(points, {"A", "mean"}, set(), "points")
    seen: dict = {}  # the strings of A, read once for the other point too (mostly the same)
    A, mean = (_params(graph, field(points, k, dict, "points"), f"points.{k}", seen) for k in ("A", "mean"))
    parameters = field(record, "parameters", dict, "certificate")
    keys(parameters, {"group", "size", "members"}, set(), "parameters")
    size = integer(parameters["size"], "parameters.size", 2, MAX_WIDTH * MAX_WIDTH)
    claim = field(record, "claim", dict, "certificate")
    if claim.get("quantity") != "gap" or claim.get("relation") != ">":
        raise CertificateFormatError("an orbit certificate claims gap > 0")
    claimed = read_claims(record, _NAMES)
    return {
        "graph": graph,
        "stated_output": network["output_activation"],
        "kind": loss["kind"],
        "factor": read_factor(loss),
        "xs": read_tensor(data["xs"], (n, *graph.input_shape), "data.xs"),
        "ys": read_tensor(data["ys"], (n, out[0]), "data.ys"),
        "A": A,
        "mean": mean,
        "group": str(parameters["group"])[:40],
        "size": size,
        "members": parameters["members"],
        "claimed": claimed,
        "status": record["status"],
        "dps": integer(record["dps"], "dps", MIN_DPS, MAX_WORKING_DPS),
    }


def _params(graph: CheckedGraph, record: dict, where: str, seen: dict | None = None) -> dict[str, list]:
    keys(record, set(graph.parameters), set(), where)
    return {
        name: read_tensor(record[name], shape, f"{where}.{name}", seen)
        for name, shape in graph.parameters.items()
    }


def check_graph_orbit(record: dict, arithmetic: str, budget: float) -> GraphVerdict:
    """Check an orbit certificate on a layer graph (see the module text)."""
    if arithmetic != "arb":
        raise CertificateFormatError("certificates on layer graphs are checked with --arithmetic arb")
    s = _read(record)
    graph: CheckedGraph = s["graph"]
    result = GraphVerdict(False, "orbit")
    notes = statement_problems(s)
    n = len(s["xs"])
    precisions = tuple(max(s["dps"], 30) * f for f in DPS_LADDER)
    arb_estimate = estimate_seconds(graph, n, precisions[0]) * 2 / 3
    without = unsupported(graph, s["kind"])
    result.estimate = arb_estimate if without else fast_seconds(graph, n) * 2 / 3
    within_budget(graph, n, result.estimate, budget)
    invariance = invariance_problems(graph, s["size"], s["members"])
    notes += [f"REJECT: the group is not shown to be a symmetry: {p}" for p in invariance]
    if not invariance:
        notes.append(
            f"re-proved: permuting the {s['size']} channels of {s['group']} leaves the function unchanged "
            "(the checker's own rules, node by node)"
        )
    tied = tied_axes(read_members(graph, s["size"], s["members"]))
    mean = {
        name: orbit_mean(graph.parameters[name], s["A"][name], s["size"], tied.get(name, []))
        if name in tied
        else s["A"][name]
        for name in graph.parameters
    }
    wrong = [name for name in graph.parameters if mean[name] != s["mean"][name]]
    if wrong:
        notes.append(
            f"REJECT: the stated mean is not the mean of A over the group ({', '.join(wrong[:4])} differ)"
        )
    if any(note.startswith("REJECT") for note in notes):
        result.reasons = notes
        return result
    started = time.perf_counter()
    if without is None and _fast_rung(s, mean, result, notes):
        return result
    if without is None and arb_estimate + time.perf_counter() - started > budget:
        result.reasons = [
            *notes,
            f"REJECT: undecided in float64; the Arb rung is estimated at {arb_estimate:.0f} s",
        ]
        return result
    for dps in precisions:
        try:
            values = _arb_enclosures(s, mean, dps)
        except (ArithmeticError, ValueError) as error:
            notes.append(f"cannot evaluate at {dps} digits: {error}")
            continue
        result.enclosures, result.dps = values, dps
        if values["gap"][0] > 0:
            break
    _decide(s, result, notes, f"{result.dps} digits (arb, the checker's own graph evaluation)")
    return result


def _decide(s: dict, result: GraphVerdict, notes: list[str], how: str) -> None:
    problems = []
    if not result.enclosures:
        problems.append("REJECT: no precision gave finite enclosures")
    elif not result.enclosures["gap"][0] > 0:
        low, high = result.enclosures["gap"]
        problems.append(f"REJECT: gap = L(mean) - L(A) in [{short(low)}, {short(high)}] is not > 0 ({how})")
    for name, (low, high) in s["claimed"].items():
        if result.enclosures and not (
            low <= result.enclosures[name][0] and result.enclosures[name][1] <= high
        ):
            problems.append(f"REJECT: the claimed enclosure of {name} does not contain the recomputed one")
    result.accepted = not problems
    result.reasons = notes + problems
    if result.accepted:
        result.reasons.append(f"re-proved: L(mean) - L(A) > 0 at {how}")


def _fast_rung(s: dict, mean: dict, result: GraphVerdict, notes: list[str]) -> bool:
    """The float64 rung: True when it decides (accepts, or rejects a claim disjoint from it)."""
    try:
        graph, data = s["graph"], (from_fractions(s["xs"]), from_fractions(s["ys"]))
        la, lm = (
            fast_loss(graph, parameter_balls(graph, p), *data, s["kind"], s["factor"]) for p in (s["A"], mean)
        )
    except (ArithmeticError, ValueError) as error:
        notes.append(f"the float64 rung is undecided ({error}); Arb follows")
        return False
    values = {"L(A)": la, "L(mean)": lm, "gap": (lm[0] - la[1], lm[1] - la[0])}
    disjoint = any(values[k][1] < lo or hi < values[k][0] for k, (lo, hi) in s["claimed"].items())
    inside = all(lo <= values[k][0] and values[k][1] <= hi for k, (lo, hi) in s["claimed"].items())
    if not disjoint and not (values["gap"][0] > 0 and inside) and values["gap"][1] > 0:
        notes.append("the float64 rung did not decide (gap or a claimed enclosure); Arb follows")
        return False
    result.enclosures, result.dps = values, 15
    _decide(s, result, notes, "verified float64 (the checker's own fast rung on layer graphs)")
    return True


def _arb_enclosures(s: dict, mean: dict, dps: int) -> dict[str, tuple[Fraction, Fraction]]:
    saved = flint.ctx.prec
    flint.ctx.prec = int(dps * 3.3220) + 16
    try:
        x = to_arb(s["xs"])
        la, lm = (graph_loss(s["graph"], p, x, s["ys"], s["kind"], s["factor"]) for p in (s["A"], mean))
        out = {}
        for name, ball in {"L(A)": la, "L(mean)": lm, "gap": lm - la}.items():
            if not ball.is_finite():
                raise ArithmeticError(f"the enclosure of {name} is unbounded")
            (mid_man, mid_exp), (rad_man, rad_exp) = ball.mid().man_exp(), ball.rad().man_exp()
            mid, rad = dyadic(int(mid_man), int(mid_exp), name), dyadic(int(rad_man), int(rad_exp), name)
            low = mid - rad
            out[name] = (max(low, Fraction(0)) if s["kind"] in SQUARES and name != "gap" else low, mid + rad)
        return out
    finally:
        flint.ctx.prec = saved
