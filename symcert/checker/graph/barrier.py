r"""Re-check a ``barrier`` certificate on a layer graph from its statement, in the checker's own code.

The claim: ``lo <= sup_{t in [0, 1]} g(t) <= hi``, ``g(t) = phi(t) - chord(t)``, ``phi(t) = L((1-t)A + tB)``,
the chord ``(1 - t) L(A) + t L(B)`` (``entezari``) or ``(L(A) + L(B))/2`` (``midpoint``). With ``c(t)``
the chord from the lower ends of the checker's own enclosures of ``L(A)``, ``L(B)`` and ``u = phi - c >= g``,
it is accepted when

1. the pieces partition ``[0, 1]`` exactly (:func:`symcert.checker.barrier.partition_problems`);
2. on every piece ``[t0, t1]`` (width ``w``, midpoint ``m``), the checker's bound of ``u`` is at most the
   claimed upper bound, itself at most ``hi``. The bound: the parameters are the ball
   ``theta(m) + S (B - A)``, ``S = [-w/2, w/2]``; every tensor of the graph is evaluated on it with its
   derivative in ``t`` (dense and convolution layers as ``F(theta(m), x) + S F(B - A, x)`` with tangent
   ``F(B - A, x) + F_0(theta, x')``; batch norm, smooth activations and the loss by their derivatives;
   moves and pools linearly; ReLU, leaky ReLU, max pooling and layer norm by the slope rules of
   :mod:`symcert.checker.graph.slopes`), giving balls ``P`` of ``phi`` and ``P'`` of ``phi'`` over the
   piece; the bound is the smaller of ``sup P - min(c(t0), c(t1))`` and the two-sided mean-value form
   ``max_s min(u(t0) + D s, u(t1) - D' (w - s))`` (``D``, ``D'`` the ends of ``P' - c'``; ``u`` at the
   ends from exact points). A graph with a layer or loss without a derivative rule here uses the first
   alone. A piece whose bound exceeds its claim is halved once (the larger of the halves' bounds is again
   a bound), at most ``pieces // 8 + 1`` of them;
3. the checker's lower bound of ``g`` at the exact witness is at least ``lo`` (``entezari`` and
   ``lo <= 0``: ``g(0) = 0`` exactly);
4. the claimed enclosures of ``L(A)``, ``L(B)`` contain the checker's.

Every enclosure (``phi`` at points, ``phi`` and ``phi'`` over pieces: :mod:`symcert.checker.graph.line`)
is first the checker's verified float64 one (:mod:`symcert.checker.graph.fast_segment`), and Arb's
(:mod:`symcert.checker.graph.segment`) where float64 cannot evaluate it or its bound does not decide the
step (a piece, the witness, the claims of ``L(A)`` and ``L(B)``): both are rigorous, so a step that
float64 decides is decided, and one it does not is judged on Arb's enclosure exactly as before.

When ``B == A`` exactly, ``g`` is identically 0 and every stated bound is checked exactly, without balls
(:func:`symcert.checker.barrier.constant_path_problems`).
"""

from __future__ import annotations

from fractions import Fraction
from functools import partial
from types import SimpleNamespace
from typing import Any

import flint
import numpy as np

from symcert.checker.arb_engine import bits_for
from symcert.checker.barrier import constant_path_problems, max_bisections, partition_problems, two_sided
from symcert.checker.graph.chord import GraphBudgetError, GraphVerdict, estimate_seconds
from symcert.checker.graph.forward import graph_output
from symcert.checker.graph.line import Bounds, Line, decided, read_params
from symcert.checker.graph.spec import (
    CheckedGraph,
    read_data_size,
    read_factor,
    read_header,
    read_tensor,
)
from symcert.checker.kind import short
from symcert.checker.kinds.barrier import read as read_barrier_parameters
from symcert.checker.losses import NEEDS
from symcert.checker.reading import CertificateFormatError, field, integer, keys, rational
from symcert.limits import MAX_WORKING_DPS, MIN_DPS

__all__ = ["check_graph_barrier"]

_TOP = {"schema", "version", "kind", "status", "network", "loss", "data", "points", "element", "parameters"}
_TOP |= {"claim", "enclosures", "dps"}
_NAMES = ("L(A)", "L(B)", "barrier")


def _read(record: dict) -> dict[str, Any]:
    network, graph = read_header(record, _TOP)
    loss = field(record, "loss", dict, "certificate")
    keys(loss, {"kind", "weight_decay"}, {"factor"}, "loss")
    if loss["kind"] not in NEEDS:
        raise CertificateFormatError(f"loss.kind must be one of {', '.join(NEEDS)}")
    if rational(loss["weight_decay"], "loss.weight_decay") != 0:
        raise CertificateFormatError("loss.weight_decay must be 0 for a layer graph")
    factor = read_factor(loss)
    data, n, out = read_data_size(record, graph)
    points = field(record, "points", dict, "certificate")
    keys(points, {"A", "B"}, set(), "points")
    A, B = (read_params(graph, field(points, k, dict, "points"), f"points.{k}") for k in ("A", "B"))
    claim = field(record, "claim", dict, "certificate")
    if claim.get("quantity") != "barrier" or claim.get("relation") != "in":
        raise CertificateFormatError("a barrier certificate claims the barrier lies 'in' an enclosure")
    claimed = {}
    found = field(record, "enclosures", dict, "certificate")
    for name in _NAMES:
        pair = found.get(name)
        if not isinstance(pair, list) or len(pair) != 2:
            raise CertificateFormatError(f"enclosures.{name} must be [lower, upper]")
        claimed[name] = (rational(pair[0], f"enclosures.{name}"), rational(pair[1], f"enclosures.{name}"))
    if set(found) - set(_NAMES):
        raise CertificateFormatError(f"enclosures holds {', '.join(_NAMES)} only")
    s = SimpleNamespace()
    read_barrier_parameters(s, field(record, "parameters", dict, "certificate"))
    keys(record["parameters"], {"form", "witness", "pieces"}, set(), "parameters")
    return {
        "graph": graph,
        "stated_output": network["output_activation"],
        "kind": loss["kind"],
        "factor": factor,
        "xs": read_tensor(data["xs"], (n, *graph.input_shape), "data.xs"),
        "ys": read_tensor(data["ys"], (n, out[0]), "data.ys"),
        "A": A,
        "B": B,
        "claimed": claimed,
        "status": record["status"],
        "form": s.form,
        "witness": s.witness,
        "pieces": s.pieces,
        "dps": integer(record["dps"], "dps", MIN_DPS, MAX_WORKING_DPS),
    }


def _inside(found: Bounds, claimed: Bounds) -> bool:
    return claimed[0] <= found[0] and found[1] <= claimed[1]


def _verify(s: dict) -> tuple[dict[str, Bounds], list[str], Line]:
    lo, hi = s["claimed"]["barrier"]
    line = Line(s)
    # L(A), L(B) in float64 when their claims contain it, else in Arb (the claims are checked on these)
    LA, LB = (
        line.point(t) if _inside(line.point(t), s["claimed"][name]) else line.point(t, precise=True)
        for t, name in ((Fraction(0), "L(A)"), (Fraction(1), "L(B)"))
    )
    found = {"L(A)": LA, "L(B)": LB}
    problems = []

    def chord(t: Fraction, end: int) -> Fraction:
        if s["form"] == "midpoint":
            return (LA[end] + LB[end]) / 2
        return (1 - t) * LA[end] + t * LB[end]

    def bound_on(t0: Fraction, t1: Fraction, precise: bool) -> Fraction:
        (_, p_hi), slope = line.piece(t0, t1, precise)
        low = chord(t0, 0), chord(t1, 0)
        bound = p_hi - min(low)
        if slope is not None:
            d_lo, d_hi = slope
            w = t1 - t0
            rise = Fraction(0) if s["form"] == "midpoint" else (low[1] - low[0]) / w
            G0, G1 = line.point(t0, precise)[1] - low[0], line.point(t1, precise)[1] - low[1]
            bound = min(bound, two_sided(G0, d_hi - rise, G1, d_lo - rise, Fraction(0), w))
        return bound

    bisections = max_bisections(len(s["pieces"]))
    for i, (t0, t1, claimed) in enumerate(s["pieces"]):
        if claimed > hi:
            problems.append(f"REJECT: piece {i} claims an upper bound above the barrier's upper bound")
            continue
        bound = decided(partial(bound_on, t0, t1), claimed)
        if bound > claimed and bisections > 0:  # balls are looser than intervals on wide boxes: halve once
            bisections -= 1
            m = (t0 + t1) / 2
            bound = max(
                decided(partial(bound_on, t0, m), claimed),
                decided(partial(bound_on, m, t1), claimed),
            )
        if bound > claimed:
            problems.append(
                f"REJECT: on piece {i} [{t0}, {t1}] the checker's bound {short(bound)} exceeds the claimed "
                f"{short(claimed)}"
            )
        if len(problems) >= 5:
            break
    witness = s["witness"]
    if not (s["form"] == "entezari" and lo <= 0):
        below = decided(lambda p: chord(witness, 1) - line.point(witness, p)[0], -lo)
        if -below < lo:
            problems.append(
                f"REJECT: at the witness t = {witness} the checker's lower bound {short(-below)} is below "
                f"the claimed {short(lo)}"
            )
    return found, problems, line


def check_graph_barrier(record: dict, arithmetic: str, budget: float) -> GraphVerdict:
    """Check a barrier certificate on a layer graph (see the module text)."""
    if arithmetic != "arb":
        raise CertificateFormatError("certificates on layer graphs are checked with --arithmetic arb")
    s = _read(record)
    graph: CheckedGraph = s["graph"]
    result = GraphVerdict(False, "barrier")
    notes = partition_problems(s["pieces"])
    output, need = graph_output(graph), NEEDS[s["kind"]]
    if need is not None and output not in ("identity", need):
        notes.append(f"REJECT: the {s['kind']} loss needs a {need} output or logits, not {output}")
    if s["stated_output"] != (need if need is not None else output):
        notes.append("REJECT: network.output_activation is not the output the graph and loss give")
    if s["status"] != "proved":
        shown = str(s["status"])[:20]
        notes.append(f"REJECT: the certificate's status is {shown!r}; only a proved claim is accepted")
    lo, hi = s["claimed"]["barrier"]
    dps = max(s["dps"], 30)
    pieces = len(s["pieces"])
    boxes = pieces + 2 * max_bisections(pieces)
    result.estimate = estimate_seconds(graph, len(s["xs"]), dps) * (1.5 * boxes + 0.4 * (boxes + 2)) / 3
    if result.estimate > budget:
        raise GraphBudgetError(
            f"checking this graph barrier ({graph.n_parameters} parameters, {len(s['xs'])} points, "
            f"{pieces} pieces) is estimated at {result.estimate:.0f} s, beyond the budget of {budget:.0f} s; "
            "raise the budget"
        )
    if any(n.startswith("REJECT") for n in notes):
        result.reasons = notes
        return result
    if all(np.array_equal(s["A"][k], s["B"][k]) for k in s["A"]):
        problems = constant_path_problems(s["pieces"], s["witness"], lo, hi)
        result.accepted, result.reasons = not problems, problems
        if result.accepted:
            result.reasons.append("re-proved: B = A, so g is identically 0 and the barrier is exactly 0")
        result.enclosures = {"barrier": (Fraction(0), Fraction(0))}
        return result
    saved = flint.ctx.prec
    flint.ctx.prec = bits_for(dps)
    rungs = ""
    try:
        found, problems, line = _verify(s)
        rungs = f"{line.counts['float64']} evaluations in float64, {line.counts['arb']} in arb"
    except (ArithmeticError, ValueError) as error:
        found, problems = {}, [f"REJECT: cannot evaluate at {dps} digits: {error}"]
    finally:
        flint.ctx.prec = saved
    for name in ("L(A)", "L(B)"):
        low, high = s["claimed"][name]
        if name in found and not (low <= found[name][0] and found[name][1] <= high):
            problems.append(f"REJECT: the claimed enclosure of {name} does not contain the recomputed one")
    result.enclosures, result.dps = {**found, "barrier": (lo, hi)}, dps
    result.accepted = not problems
    result.reasons = problems
    if result.accepted:
        result.reasons.append(
            f"re-proved: the barrier lies in [{short(lo)}, {short(hi)}] ({pieces} pieces; {rungs} at {dps} "
            "digits: the checker's own graph evaluation)"
        )
    return result
