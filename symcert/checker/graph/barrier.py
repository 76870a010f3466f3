r"""Re-check a ``barrier`` certificate on a layer graph from its statement, in the checker's own Arb code.

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

When ``B == A`` exactly, ``g`` is identically 0 and every stated bound is checked exactly, without balls
(:func:`symcert.checker.barrier.constant_path_problems`).
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from types import SimpleNamespace
from typing import Any

import flint
import numpy as np
from flint import arb, fmpq

from symcert.checker.arb_engine import activation, activation_jet, ball_bounds, bits_for
from symcert.checker.arb_wide import mul as wide_mul
from symcert.checker.arb_wide import probabilities
from symcert.checker.arb_wide import square as even_square
from symcert.checker.barrier import constant_path_problems, max_bisections, partition_problems, two_sided
from symcert.checker.graph.chord import GraphBudgetError, GraphVerdict, estimate_seconds
from symcert.checker.graph.forward import _layer, graph_loss, graph_output, to_arb
from symcert.checker.graph.slopes import has_slope, slope_node
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
from symcert.checker.losses import scale as loss_scale
from symcert.checker.reading import CertificateFormatError, field, integer, keys, rational
from symcert.limits import MAX_WORKING_DPS, MIN_DPS

__all__ = ["check_graph_barrier"]

_TOP = {"schema", "version", "kind", "status", "network", "loss", "data", "points", "element", "parameters"}
_TOP |= {"claim", "enclosures", "dps"}
_NAMES = ("L(A)", "L(B)", "barrier")
_MOVES = ("Flatten", "Reshape", "Transpose", "AveragePool", "GlobalAveragePool")
_SMOOTH = ("identity", "tanh", "sigmoid", "softplus", "square", "cube")


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
    A, B = (_params(graph, field(points, k, dict, "points"), f"points.{k}") for k in ("A", "B"))
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


def _params(graph: CheckedGraph, record: dict, where: str) -> dict[str, np.ndarray]:
    keys(record, set(graph.parameters), set(), where)
    return {
        name: np.array(read_tensor(record[name], shape, f"{where}.{name}"), dtype=object).reshape(shape)
        for name, shape in graph.parameters.items()
    }


def _smooth(graph: CheckedGraph, stop: int | None, kind: str, output: str) -> bool:
    """True when every layer up to the logits, and the loss, have a derivative rule here."""
    for node in graph.nodes[:stop]:
        if has_slope(node):  # ReLU, leaky ReLU, max pooling, layer norm: symcert.checker.graph.slopes
            continue
        if node.type == "Activation":
            if node.fields["name"] not in _SMOOTH:
                return False
        elif node.type not in ("Dense", "Conv", "BatchNorm", "Add", *_MOVES):
            return False
    return kind in ("cross_entropy", "bce") or (kind in ("mse", "sse") and output == "identity")


_WIDE_MUL = np.frompyfunc(wide_mul, 2, 1)
_WIDE_SQUARE = np.frompyfunc(even_square, 1, 1)


def _wide_product(a: Any, b: Any) -> Any:
    """``a * b`` entry by entry, as intervals (:func:`symcert.checker.arb_wide.mul`)."""
    return _WIDE_MUL(a, b)


def _plus(a: Any, b: Any) -> Any:
    return b if a is None else a if b is None else a + b


def _tangent_node(node: Any, mid: dict, step: dict, box: dict, S: arb, ins: list, out: tuple) -> tuple:
    (x, dx), rest = ins[0], ins[1:]
    if has_slope(node) and (dx is not None or node.type == "LayerNorm"):
        return slope_node(node, box, step, ins, out)
    if node.type in ("Dense", "Conv"):
        along = _layer(node, step, [x], out)
        y = _layer(node, mid, [x], out) + along * S
        if dx is None:
            return y, along
        bare = dataclasses.replace(node, fields={**node.fields, "bias": False})
        return y, along + _layer(bare, {"weight": box["weight"]}, [dx], out)
    if node.type == "BatchNorm":
        tail = (1,) * (x.ndim - 2)
        q = {k: v.reshape((-1, *tail)) for k, v in box.items()}
        d = {k: v.reshape((-1, *tail)) for k, v in step.items()}
        eps = node.fields["epsilon"]
        s = np.frompyfunc(lambda v: (v + arb(fmpq(eps.numerator, eps.denominator))).sqrt(), 1, 1)(q["var"])
        k = q["scale"] / s
        centred = x - q["mean"]
        dk = d["scale"] / s - q["scale"] * d["var"] / (s * s * s * 2)
        tangent = _wide_product(_plus(dx, -d["mean"]), k) + _wide_product(centred, dk) + d["bias"]
        return _wide_product(centred, k) + q["bias"], tangent
    if node.type == "Activation":
        name, slope = node.fields["name"], node.fields.get("slope")
        if dx is None:
            return np.frompyfunc(lambda u: activation(name, slope, u), 1, 1)(x), None
        if name == "tanh":  # tanh' = 1 - tanh^2, times x' as intervals (wide balls: the hull of the ends)
            value = np.frompyfunc(lambda u: activation(name, slope, u), 1, 1)(x)
            return value, _wide_product(1 - _WIDE_SQUARE(value), dx)
        pair = np.frompyfunc(lambda u, du: activation_jet(name, slope, (u, du, arb(0)))[:2], 2, 2)
        value, slope_out = pair(x, dx)
        return value, slope_out
    if node.type == "Add":
        b, db = rest[0]
        return x + b, _plus(dx, db)
    if node.type in _MOVES:
        return _layer(node, {}, [x], out), None if dx is None else _layer(node, {}, [dx], out)
    # a layer without a derivative rule: its value on the box alone (the range form)
    return _layer(node, box, [x] + [r[0] for r in rest], out), None


def _loss_jets(s: dict, z: np.ndarray, dz: Any, smooth: bool) -> tuple[arb, arb | None]:
    kind, ys = s["kind"], to_arb(s["ys"])
    output = graph_output(s["graph"])
    if not smooth or dz is None:  # the value from the checker's loss formulas, on the logits' balls
        value = _loss_value(kind, output, z, ys)
        slope = None
    elif kind in ("mse", "sse"):
        r = z - ys
        value = _loss_value(kind, output, z, ys)
        slope = 2 * sum((a * b for a, b in zip(r.ravel(), dz.ravel())), arb(0))
    elif kind == "bce":
        value = _loss_value(kind, output, z, ys)
        sig = np.frompyfunc(lambda u: activation("sigmoid", None, u), 1, 1)(z)
        slope = sum((a * b for a, b in zip((sig - ys).ravel(), dz.ravel())), arb(0))
    else:
        value = _loss_value(kind, output, z, ys)
        slope = arb(0)
        for row, drow, targets in zip(z, dz, ys):
            p = probabilities(list(row))
            total = sum(targets, arb(0))
            slope += total * sum((a * b for a, b in zip(p, drow)), arb(0)) - sum(
                (a * b for a, b in zip(targets, drow)), arb(0)
            )
    c = loss_scale(kind, z.shape[0], z.shape[1], s["factor"])
    k = arb(fmpq(c.numerator, c.denominator))
    return value * k, None if slope is None else slope * k


def _loss_value(kind: str, output: str, z: np.ndarray, ys: np.ndarray) -> arb:
    """The unscaled loss on the logits' balls (the formulas of :func:`graph_loss`)."""
    from symcert.checker.arb_wide import bce, lse
    from symcert.checker.arb_wide import square as even_square

    if kind in ("mse", "sse"):
        if output == "sigmoid":
            f = np.frompyfunc(lambda u: activation("sigmoid", None, u), 1, 1)(z)
        elif output == "softmax":
            f = np.array([probabilities(list(row)) for row in z], dtype=object)
        else:
            f = z
        return sum((even_square(a - b) for a, b in zip(f.ravel(), ys.ravel())), arb(0))
    if kind == "bce":
        return sum((bce(a, b) for a, b in zip(z.ravel(), ys.ravel())), arb(0))
    total = arb(0)
    for row, targets in zip(z, ys):
        total += sum(targets, arb(0)) * lse(list(row)) - sum((a * b for a, b in zip(row, targets)), arb(0))
    return total


def _piece(s: dict, x: np.ndarray, t0: Fraction, t1: Fraction) -> tuple[arb, arb | None]:
    """Balls of ``phi`` and (when the graph is smooth here) ``phi'`` over ``[t0, t1]``."""
    graph: CheckedGraph = s["graph"]
    m, h = (t0 + t1) / 2, (t1 - t0) / 2
    S = arb(0, arb(fmpq(h.numerator, h.denominator)).upper())
    output = graph_output(graph)
    stop = None if output == "identity" else len(graph.nodes) - 1
    smooth = _smooth(graph, stop, s["kind"], output)
    values: dict[str, tuple] = {graph.input_name: (x, None)}
    for node in graph.nodes[:stop]:
        prefix = node.name + "."
        names = [k for k in s["A"] if k.startswith(prefix)]
        mid = {k[len(prefix) :]: to_arb(s["A"][k] + (s["B"][k] - s["A"][k]) * m) for k in names}
        step = {k[len(prefix) :]: to_arb(s["B"][k] - s["A"][k]) for k in names}
        box = {a: mid[a] + step[a] * S for a in mid}
        ins = [values[i] for i in node.inputs]
        if not smooth:
            ins = [(v, None) for v, _ in ins]
        values[node.name] = _tangent_node(node, mid, step, box, S, ins, graph.shapes[node.name])
    logits = graph.output if stop is None else graph.nodes[-1].inputs[0]
    z, dz = values[logits]
    return _loss_jets(s, z, dz, smooth)


def _point(s: dict, x: np.ndarray, t: Fraction) -> tuple[Fraction, Fraction]:
    params = {k: (s["A"][k] + (s["B"][k] - s["A"][k]) * t).tolist() for k in s["A"]}
    ball = graph_loss(s["graph"], params, x, s["ys"], s["kind"], s["factor"])
    return ball_bounds(ball, f"phi({t})")


def _verify(s: dict) -> tuple[dict[str, tuple[Fraction, Fraction]], list[str]]:
    lo, hi = s["claimed"]["barrier"]
    x = to_arb(s["xs"])
    points: dict[Fraction, tuple[Fraction, Fraction]] = {}

    def phi(t: Fraction) -> tuple[Fraction, Fraction]:
        if t not in points:
            points[t] = _point(s, x, t)
        return points[t]

    LA, LB = phi(Fraction(0)), phi(Fraction(1))
    found = {"L(A)": LA, "L(B)": LB}
    problems = []

    def chord(t: Fraction, end: int) -> Fraction:
        if s["form"] == "midpoint":
            return (LA[end] + LB[end]) / 2
        return (1 - t) * LA[end] + t * LB[end]

    def bound_on(t0: Fraction, t1: Fraction, where: str) -> Fraction:
        value, slope = _piece(s, x, t0, t1)
        p_hi = ball_bounds(value, f"phi on {where}")[1]
        low = chord(t0, 0), chord(t1, 0)
        bound = p_hi - min(low)
        if slope is not None:
            d_lo, d_hi = ball_bounds(slope, f"phi' on {where}")
            w = t1 - t0
            rise = Fraction(0) if s["form"] == "midpoint" else (low[1] - low[0]) / w
            G0, G1 = phi(t0)[1] - low[0], phi(t1)[1] - low[1]
            bound = min(bound, two_sided(G0, d_hi - rise, G1, d_lo - rise, Fraction(0), w))
        return bound

    bisections = max_bisections(len(s["pieces"]))
    for i, (t0, t1, claimed) in enumerate(s["pieces"]):
        if claimed > hi:
            problems.append(f"REJECT: piece {i} claims an upper bound above the barrier's upper bound")
            continue
        bound = bound_on(t0, t1, f"piece {i}")
        if bound > claimed and bisections > 0:  # balls are looser than intervals on wide boxes: halve once
            bisections -= 1
            m = (t0 + t1) / 2
            bound = max(bound_on(t0, m, f"piece {i}"), bound_on(m, t1, f"piece {i}"))
        if bound > claimed:
            problems.append(
                f"REJECT: on piece {i} [{t0}, {t1}] the checker's bound {short(bound)} exceeds the claimed "
                f"{short(claimed)}"
            )
        if len(problems) >= 5:
            break
    witness = s["witness"]
    if not (s["form"] == "entezari" and lo <= 0):
        below = phi(witness)[0] - chord(witness, 1)
        if below < lo:
            problems.append(
                f"REJECT: at the witness t = {witness} the checker's lower bound {short(below)} is below the "
                f"claimed {short(lo)}"
            )
    return found, problems


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
    try:
        found, problems = _verify(s)
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
            f"re-proved: the barrier lies in [{short(lo)}, {short(hi)}] ({pieces} pieces, {dps} digits, arb, "
            "the checker's own graph evaluation)"
        )
    return result
