r"""Re-check a ``path`` certificate on a layer graph from its statement, in the checker's own code.

The claim: ``lo <= sup L <= hi`` along the polygonal chain ``P0 = A, ..., Pk = B`` of exact parameters
of one graph (``parameters.chain``), ``L`` the stated loss on the stated data. It is accepted when

1. the chain starts at ``points.A`` and ends at ``points.B``, ``curve`` is ``chain`` (no Bezier curves
   on graphs), every segment's pieces partition ``[0, 1]`` exactly, and every segment stated as a move
   is a softmax translation by its exact structure (:func:`move_problems`): the cross-entropy loss, the
   points differing only in the bias of the dense node producing the logits, every entry by the same
   ``c``; ``L`` is then ``L(P_i)`` all along, which must be at most ``hi``;
2. on every piece ``[t0, t1]`` of segment ``i`` (``phi(t) = L((1 - t) P_i + t P_{i+1})``), the
   checker's upper bound of ``phi`` is at most the claimed bound, itself at most ``hi``. The bound is
   the graph barrier checker's own piece evaluation (:mod:`symcert.checker.graph.barrier`: the graph on
   the ball ``theta(m) + S (P_{i+1} - P_i)`` with every tensor's derivative in ``t``, giving balls of
   ``phi`` and ``phi'`` over the piece): the smaller of ``sup phi`` and the two-sided mean-value form
   ``max_s min(phi(t0) + D s, phi(t1) - D' (w - s))`` (``D``, ``D'`` the ends of the ball of ``phi'``;
   ``phi`` at the ends from exact points); without a derivative rule, the first alone. A piece whose
   bound exceeds its claim is halved once (at most ``pieces // 8 + 1`` of them over the whole path).
   A segment with ``P_{i+1} == P_i`` is constant: its bound is the checker's ``L(P_i)`` at the point;
3. the checker's lower bound of ``L`` at the exact witness point is at least ``lo``;
4. the claimed enclosures of ``L(A)``, ``L(B)`` contain the checker's.

Every enclosure is first the checker's verified float64 one and Arb's where float64 cannot evaluate it or
does not decide the step (:mod:`symcert.checker.graph.line`, as in the barrier check).
"""

from __future__ import annotations

import itertools
from fractions import Fraction
from functools import partial
from typing import Any

import flint
import numpy as np

from symcert.checker.arb_engine import bits_for
from symcert.checker.barrier import max_bisections, partition_problems, two_sided
from symcert.checker.graph.chord import GraphBudgetError, GraphVerdict, estimate_seconds
from symcert.checker.graph.forward import graph_output
from symcert.checker.graph.line import Line, decided, read_params
from symcert.checker.graph.spec import read_data_size, read_factor, read_header, read_tensor
from symcert.checker.kind import short
from symcert.checker.losses import NEEDS
from symcert.checker.reading import CertificateFormatError, field, integer, keys, rational
from symcert.limits import MAX_BARRIER_PIECES, MAX_ENDPOINT_DIGITS, MAX_WORKING_DPS, MIN_DPS

__all__ = ["check_graph_path", "move_problems"]

_TOP = {"schema", "version", "kind", "status", "network", "loss", "data", "points", "element", "parameters"}
_TOP |= {"claim", "enclosures", "dps"}
_NAMES = ("L(A)", "L(B)", "sup")
Bounds = tuple[Fraction, Fraction]


def _segment(record: Any, where: str) -> tuple:
    """``("bounds", pieces)`` or ``("translate", parameter, shift)``."""
    if not isinstance(record, dict):
        raise CertificateFormatError(f"{where} must be an object {{pieces: [[t0, t1, upper], ...]}}")
    if "move" in record:
        keys(record, {"move", "parameter", "shift"}, set(), where)
        if record["move"] != "translate":
            raise CertificateFormatError(f"{where}.move must be 'translate' on a layer graph")
        parameter = field(record, "parameter", str, where)
        return ("translate", parameter, rational(record["shift"], f"{where}.shift"))
    return ("bounds", _pieces(record, where))


def _pieces(record: dict, where: str) -> list[tuple[Fraction, Fraction, Fraction]]:
    keys(record, {"pieces"}, set(), where)
    pieces = record["pieces"]
    if not isinstance(pieces, list) or not 1 <= len(pieces) <= MAX_BARRIER_PIECES:
        raise CertificateFormatError(f"{where}.pieces must hold 1 to {MAX_BARRIER_PIECES} pieces")
    out = []
    for i, piece in enumerate(pieces):
        if not isinstance(piece, list) or len(piece) != 3:
            raise CertificateFormatError(f"{where}.pieces[{i}] must be a triple [t0, t1, upper]")
        t0, t1 = (rational(v, f"{where}.pieces[{i}]") for v in piece[:2])
        out.append((t0, t1, rational(piece[2], f"{where}.pieces[{i}] upper", MAX_ENDPOINT_DIGITS)))
    return out


def _read(record: dict) -> dict[str, Any]:
    network, graph = read_header(record, _TOP)
    loss = field(record, "loss", dict, "certificate")
    keys(loss, {"kind", "weight_decay"}, {"factor"}, "loss")
    if loss["kind"] not in NEEDS:
        raise CertificateFormatError(f"loss.kind must be one of {', '.join(NEEDS)}")
    if rational(loss["weight_decay"], "loss.weight_decay") != 0:
        raise CertificateFormatError("loss.weight_decay must be 0 for a layer graph")
    data, n, out = read_data_size(record, graph)
    points = field(record, "points", dict, "certificate")
    keys(points, {"A", "B"}, set(), "points")
    A, B = (read_params(graph, field(points, k, dict, "points"), f"points.{k}") for k in ("A", "B"))
    claim = field(record, "claim", dict, "certificate")
    if claim.get("quantity") != "sup" or claim.get("relation") != "in":
        raise CertificateFormatError("a path certificate claims sup L lies 'in' an enclosure")
    found = field(record, "enclosures", dict, "certificate")
    keys(found, set(_NAMES), set(), "enclosures")
    claimed = {}
    for name in _NAMES:
        pair = found[name]
        if not isinstance(pair, list) or len(pair) != 2:
            raise CertificateFormatError(f"enclosures.{name} must be [lower, upper]")
        claimed[name] = (rational(pair[0], f"enclosures.{name}"), rational(pair[1], f"enclosures.{name}"))
    parameters = field(record, "parameters", dict, "certificate")
    keys(parameters, {"curve", "chain", "segments", "witness"}, set(), "parameters")
    if parameters["curve"] != "chain":
        raise CertificateFormatError("parameters.curve must be 'chain' on a layer graph (no Bezier curves)")
    chain = field(parameters, "chain", list, "parameters")
    if not 2 <= len(chain) <= MAX_BARRIER_PIECES:
        raise CertificateFormatError(f"parameters.chain must hold 2 to {MAX_BARRIER_PIECES} points")
    segments = field(parameters, "segments", list, "parameters")
    if len(segments) != len(chain) - 1:
        raise CertificateFormatError("parameters.segments must hold one record per step of the chain")
    if not all(isinstance(p, dict) for p in chain):
        raise CertificateFormatError("every entry of parameters.chain must be an object of parameters")
    points_read = [read_params(graph, p, f"parameters.chain[{i}]") for i, p in enumerate(chain)]
    records = [_segment(r, f"parameters.segments[{k}]") for k, r in enumerate(segments)]
    pieces = [r[1] if r[0] == "bounds" else [] for r in records]
    if sum(len(p) for p in pieces) > MAX_BARRIER_PIECES:
        raise CertificateFormatError(f"the path holds more than {MAX_BARRIER_PIECES} pieces in all")
    witness = field(parameters, "witness", dict, "parameters")
    keys(witness, {"segment", "t"}, set(), "parameters.witness")
    segment = integer(witness["segment"], "parameters.witness.segment", 0, len(segments) - 1)
    t = rational(witness["t"], "parameters.witness.t")
    if not 0 <= t <= 1:
        raise CertificateFormatError("parameters.witness.t must lie in [0, 1]")
    return {
        "graph": graph,
        "stated_output": network["output_activation"],
        "kind": loss["kind"],
        "factor": read_factor(loss),
        "xs": read_tensor(data["xs"], (n, *graph.input_shape), "data.xs"),
        "ys": read_tensor(data["ys"], (n, out[0]), "data.ys"),
        "A": A,
        "B": B,
        "chain": points_read,
        "pieces": pieces,
        "moves": {k: r[1:] for k, r in enumerate(records) if r[0] == "translate"},
        "witness": (segment, t),
        "claimed": claimed,
        "status": record["status"],
        "dps": integer(record["dps"], "dps", MIN_DPS, MAX_WORKING_DPS),
    }


def _same(P: dict, Q: dict) -> bool:
    return all(np.array_equal(P[k], Q[k]) for k in P)


def move_problems(s: dict, k: int, parameter: str, shift: Fraction) -> list[str]:
    """Why segment ``k`` is not the softmax translation it states (empty when its structure holds).

    It holds when the loss is the cross-entropy (the softmax applied to the logits), ``parameter`` is
    the bias of the dense node whose output the loss reads, the two points differ in nothing else, and
    every entry of that bias moves by exactly ``shift``: then at ``t`` every logit moves by ``t shift``
    and every ``lse(z) - z_j`` is unchanged, so ``L`` is ``L(P_k)`` all along the segment."""
    graph, (P, Q) = s["graph"], s["chain"][k : k + 2]
    where = f"REJECT: segment {k} (translate {parameter[:40]})"
    if s["kind"] != "cross_entropy":
        return [f"{where}: a translation keeps only the cross-entropy loss unchanged, not {s['kind']}"]
    logits = graph.output if graph_output(graph) == "identity" else graph.nodes[-1].inputs[0]
    node = next((n for n in graph.nodes if n.name == logits), None)
    if node is None or node.type != "Dense" or parameter != f"{node.name}.bias" or parameter not in P:
        return [f"{where}: the parameter must be the bias of the dense node producing the logits"]
    if any(not np.array_equal(P[name], Q[name]) for name in P if name != parameter):
        return [f"{where}: the points differ in parameters other than {parameter}"]
    if any(q - p != shift for p, q in zip(P[parameter].ravel(), Q[parameter].ravel())):
        return [f"{where}: not every entry of {parameter} moves by exactly {short(shift)}"]
    return []


def _verify(s: dict) -> tuple[dict[str, Bounds], list[str], list[Line]]:
    lo, hi = s["claimed"]["sup"]
    chain = s["chain"]
    lines = [Line({**s, "A": P, "B": Q}) for P, Q in itertools.pairwise(chain)]

    def bound_on(k: int, t0: Fraction, t1: Fraction, precise: bool) -> Fraction:
        line = lines[k]
        (_, bound), slope = line.piece(t0, t1, precise)
        if slope is not None:
            d_lo, d_hi = slope
            G0, G1 = line.point(t0, precise)[1], line.point(t1, precise)[1]
            bound = min(bound, two_sided(G0, d_hi, G1, d_lo, Fraction(0), t1 - t0))
        return bound

    def at_start(k: int, precise: bool) -> Fraction:
        return lines[k].point(Fraction(0), precise)[1]

    problems: list[str] = []
    bisections = max_bisections(sum(len(p) for p in s["pieces"]))
    for k, pieces in enumerate(s["pieces"]):
        if k in s["moves"]:  # a softmax translation (its structure checked before): L = L(P_k) all along
            if decided(partial(at_start, k), hi) > hi:
                problems.append(
                    f"REJECT: on segment {k} (a translation) L = L(P_{k}) is above the upper bound"
                )
            continue
        constant = _same(chain[k], chain[k + 1])
        for i, (t0, t1, claimed) in enumerate(pieces):
            where = f"segment {k} piece {i}"
            if claimed > hi:
                problems.append(f"REJECT: {where} claims an upper bound above the path's upper bound")
                continue
            if constant:  # P_{k+1} == P_k: L is L(P_k) at every t
                bound = decided(partial(at_start, k), claimed)
            else:
                bound = decided(partial(bound_on, k, t0, t1), claimed)
                if bound > claimed and bisections > 0:  # balls are looser on wide boxes: halve once
                    bisections -= 1
                    m = (t0 + t1) / 2
                    bound = max(
                        decided(partial(bound_on, k, t0, m), claimed),
                        decided(partial(bound_on, k, m, t1), claimed),
                    )
            if bound > claimed:
                problems.append(
                    f"REJECT: on {where} [{t0}, {t1}] the checker's bound {short(bound)} of L exceeds the "
                    f"claimed {short(claimed)}"
                )
            if len(problems) >= 5:
                break
        if len(problems) >= 5:
            break
    segment, t = s["witness"]
    below = -decided(lambda p: -lines[segment].point(t, p)[0], -lo)
    if below < lo:
        problems.append(
            f"REJECT: at the witness (segment {segment}, t = {t}) the checker's lower bound {short(below)} "
            f"of L is below the claimed {short(lo)}"
        )
    found = {}
    for name, line, end in (("L(A)", lines[0], Fraction(0)), ("L(B)", lines[-1], Fraction(1))):
        low, high = s["claimed"][name]
        bounds = line.point(end)
        found[name] = bounds if low <= bounds[0] and bounds[1] <= high else line.point(end, precise=True)
    return found, problems, lines


def check_graph_path(record: dict, arithmetic: str, budget: float) -> GraphVerdict:
    """Check a path certificate on a layer graph (see the module text)."""
    if arithmetic != "arb":
        raise CertificateFormatError("certificates on layer graphs are checked with --arithmetic arb")
    s = _read(record)
    graph = s["graph"]
    result = GraphVerdict(False, "path")
    notes = [
        f"{p} (segment {k})"
        for k, pieces in enumerate(s["pieces"])
        if k not in s["moves"]
        for p in partition_problems(pieces)
    ]
    notes += [p for k, (name, c) in s["moves"].items() for p in move_problems(s, k, name, c)]
    output, need = graph_output(graph), NEEDS[s["kind"]]
    if need is not None and output not in ("identity", need):
        notes.append(f"REJECT: the {s['kind']} loss needs a {need} output or logits, not {output}")
    if s["stated_output"] != (need if need is not None else output):
        notes.append("REJECT: network.output_activation is not the output the graph and loss give")
    if not (_same(s["chain"][0], s["A"]) and _same(s["chain"][-1], s["B"])):
        notes.append("REJECT: parameters.chain must start at points.A and end at points.B")
    if s["status"] != "proved":
        shown = str(s["status"])[:20]
        notes.append(f"REJECT: the certificate's status is {shown!r}; only a proved claim is accepted")
    dps = max(s["dps"], 30)
    pieces = sum(len(p) for p in s["pieces"])
    boxes = pieces + 2 * max_bisections(pieces)
    points = boxes + 2 * len(s["chain"])
    result.estimate = estimate_seconds(graph, len(s["xs"]), dps) * (1.5 * boxes + 0.4 * points) / 3
    if result.estimate > budget:
        raise GraphBudgetError(
            f"checking this graph path ({graph.n_parameters} parameters, {len(s['xs'])} points, "
            f"{len(s['chain']) - 1} segments, {pieces} pieces) is estimated at {result.estimate:.0f} s, "
            f"beyond the budget of {budget:.0f} s; raise the budget"
        )
    if any(n.startswith("REJECT") for n in notes):
        result.reasons = notes
        return result
    saved = flint.ctx.prec
    flint.ctx.prec = bits_for(dps)
    rungs = ""
    try:
        found, problems, lines = _verify(s)
        rungs = (
            f"{sum(line.counts['float64'] for line in lines)} evaluations in float64, "
            f"{sum(line.counts['arb'] for line in lines)} in arb"
        )
    except (ArithmeticError, ValueError) as error:
        found, problems = {}, [f"REJECT: cannot evaluate at {dps} digits: {error}"]
    finally:
        flint.ctx.prec = saved
    for name in ("L(A)", "L(B)"):
        low, high = s["claimed"][name]
        if name in found and not (low <= found[name][0] and found[name][1] <= high):
            problems.append(f"REJECT: the claimed enclosure of {name} does not contain the recomputed one")
    lo, hi = s["claimed"]["sup"]
    result.enclosures, result.dps = {**found, "sup": (lo, hi)}, dps
    result.accepted, result.reasons = not problems, problems
    if result.accepted:
        segments = len(s["chain"]) - 1
        result.reasons.append(
            f"re-proved: L <= {short(hi)} along the whole path, sup L in [{short(lo)}, {short(hi)}] "
            f"({segments} straight segment{'s' * (segments != 1)}, {len(s['moves'])} exact moves, {pieces} "
            f"pieces; {rungs} at {dps} digits: the checker's own graph evaluation)"
        )
    return result
