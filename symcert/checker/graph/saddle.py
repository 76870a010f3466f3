r"""Re-check a ``saddle`` certificate on a layer graph from its statement alone, in Arb.

The statement: a ``unique_critical_point`` statement (graph, data, loss, centre ``A``, radius,
variables), the lift (``producer``, ``channel``, ``lam``; the ``group`` is a label) and the wide
direction ``d``. The checker, with nothing from the prover:

1. re-proves Krawczyk for the narrow loss (:mod:`symcert.checker.graph.critical`);
2. derives the lift from the graph itself (:func:`trace_lift`): from the producer (a dense or conv
   layer) it follows the channel through layers that act on each channel alone (batch norm, whose four
   vectors are copied; the activations; average, global average and max pooling; flatten, which makes
   the channel a block of its output) to the linear consumers (dense or conv), whose input weights on
   the channel are split ``lam``, ``1 - lam``; anything else is rejected. So the copy equals the
   channel through every layer, and each consumer sees ``lam W_j h_j + (1 - lam) W_j h_j = W_j h_j``:
   ``f_wide(x; M theta) = f(x; theta)`` for all ``x`` and ``theta``, and (differentiating it, Brea et
   al.'s lemma) ``M z`` is a critical point of the wide loss. The wide graph is the statement's graph
   with one more channel at the producer; as a consistency check, the wide loss at ``M A`` and the
   narrow loss at ``A`` must overlap;
3. encloses ``d^T H_wide d`` over the lifted box ``M X`` (the narrow balls lifted: copies keep
   theirs, split entries are scaled) with one jet of its own (:mod:`symcert.checker.graph.jets`);
   its upper end must be ``< 0`` and the claimed enclosures must contain the recomputed ones.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import flint
import numpy as np
from flint import arb, fmpq

from symcert.checker.graph import critical
from symcert.checker.graph.chord import GraphVerdict, within_budget
from symcert.checker.graph.forward import graph_loss, to_arb
from symcert.checker.graph.jets import graph_loss_jet
from symcert.checker.graph.spec import CheckedGraph, read_graph, read_tensor
from symcert.checker.reading import CertificateFormatError, dyadic, field, integer, keys, rational

__all__ = ["check_graph_saddle", "trace_lift"]

#: Layers through which a duplicated channel stays a copy of the original.
_CHANNELWISE = ("BatchNorm", "Activation", "AveragePool", "GlobalAveragePool", "MaxPool", "Flatten")

Role = tuple[str, int, int, int]  # (parameter, axis, outer, inner)


def trace_lift(graph: CheckedGraph, producer: str) -> tuple[int, list[Role], list[Role]]:
    """The producer's channel count, the parameters copied and those split (see the module text);
    :class:`CertificateFormatError` where the channel meets a layer that mixes channels."""
    nodes = {n.name: n for n in graph.nodes}
    node = nodes.get(producer)
    if node is None or node.type not in ("Dense", "Conv"):
        raise CertificateFormatError("parameters.lift.producer must name a dense or conv node")
    size = node.fields["features" if node.type == "Dense" else "channels"]
    copies: list[Role] = [(f"{producer}.weight", 0, 1, 1)]
    if node.fields["bias"]:
        copies.append((f"{producer}.bias", 0, 1, 1))
    splits: list[Role] = []
    frontier = [(producer, 1)]
    while frontier:
        tensor, inner = frontier.pop()
        if tensor == graph.output:
            raise CertificateFormatError("the lifted channel reaches the graph's output: no linear consumer")
        for m in (m for m in graph.nodes if tensor in m.inputs):
            if m.type in ("Dense", "Conv") and m.inputs == (tensor,):
                if (m.type == "Dense") != (len(graph.shapes[tensor]) == 1) or (
                    m.type == "Conv" and inner != 1
                ):
                    raise CertificateFormatError(
                        f"the lifted channel enters {m.name} in a form it cannot split"
                    )
                splits.append((f"{m.name}.weight", 1, 1, inner))
            elif m.type == "BatchNorm":
                copies += [(f"{m.name}.{k}", 0, 1, 1) for k in ("scale", "bias", "mean", "var")]
                frontier.append((m.name, inner))
            elif m.type == "Flatten":
                frontier.append((m.name, inner * math.prod(graph.shapes[tensor][1:])))
            elif m.type in _CHANNELWISE:
                frontier.append((m.name, inner))
            else:
                raise CertificateFormatError(
                    f"the lifted channel meets {m.name} ({m.type}), which does not act on each channel alone"
                )
    return size, copies, splits


def _lifted(
    value: np.ndarray, role: Role, n: int, j: int, first: Any, second: Any, split: bool
) -> np.ndarray:
    _, axis, outer, inner = role
    shape = value.shape
    blocks = value.reshape((*shape[:axis], outer, n, inner, *shape[axis + 1 :]))
    k = axis + 1
    chosen = np.take(blocks, [j], axis=k)
    if split:
        blocks = blocks.copy()
        index = [slice(None)] * blocks.ndim
        index[k] = slice(j, j + 1)
        blocks[tuple(index)] = chosen * first
        chosen = chosen * second
    out = np.concatenate([blocks, chosen], axis=k)
    return out.reshape((*shape[:axis], outer * (n + 1) * inner, *shape[axis + 1 :]))


def _lift_all(values: dict, lift: tuple, lam: Any) -> dict:
    n, j, copies, splits = lift
    out = {}
    for name, v in values.items():
        array = to_arb(v)
        for role in (r for r in copies if r[0] == name):
            array = _lifted(array, role, n, j, None, None, False)
        for role in (r for r in splits if r[0] == name):
            array = _lifted(array, role, n, j, lam, 1 - lam, True)
        out[name] = array
    return out


def _statement(record: dict) -> tuple[dict, dict]:
    """The narrow ``unique_critical_point`` statement inside the record, and the lift's fields."""
    parameters = field(record, "parameters", dict, "certificate")
    keys(parameters, {"radius", "variables", "lift", "direction"}, set(), "parameters")
    narrow = copy.copy(record)
    narrow["kind"] = "unique_critical_point"
    narrow["parameters"] = {k: parameters[k] for k in ("radius", "variables")}
    narrow["claim"] = {"quantity": "margin", "relation": "<"}
    enclosures = field(record, "enclosures", dict, "certificate")
    narrow["enclosures"] = {k: v for k, v in enclosures.items() if k == "margin"}
    if set(enclosures) - {"margin", "dHd"}:
        raise CertificateFormatError("enclosures may hold only margin and dHd")
    claim = field(record, "claim", dict, "certificate")
    if claim.get("quantity") != "dHd" or claim.get("relation") != "<":
        raise CertificateFormatError("a saddle certificate claims dHd < 0")
    return narrow, parameters


def check_graph_saddle(record: dict, arithmetic: str, budget: float) -> GraphVerdict:
    """Check a ``saddle`` certificate on a layer graph (see the module text)."""
    narrow_record, parameters = _statement(record)
    if arithmetic != "arb":
        raise CertificateFormatError("certificates on layer graphs are checked with --arithmetic arb")
    lift = field(parameters, "lift", dict, "parameters")
    keys(lift, {"group", "producer", "channel", "lam"}, set(), "parameters.lift")
    graph = read_graph(field(record, "network", dict, "certificate")["graph"])
    n, copies, splits = trace_lift(graph, str(lift["producer"]))  # structural: before any arithmetic
    first = critical.check_graph_critical(narrow_record, arithmetic, budget)
    result = GraphVerdict(False, "saddle", estimate=2 * first.estimate, dps=first.dps)
    j = integer(lift["channel"], "parameters.lift.channel", 0, n - 1)
    lam = rational(lift["lam"], "parameters.lift.lam")
    wide_spec = copy.deepcopy(record["network"]["graph"])
    for node in wide_spec["nodes"]:
        if node["name"] == lift["producer"]:
            key = "features" if node["layer"]["type"] == "Dense" else "channels"
            count = integer(node["layer"][key], f"the {key} of {node['name']}", 1, 10**6) + 1
            node["layer"][key] = count  # an int: read_graph takes it as it takes an unquoted JSON integer
    wide = read_graph(wide_spec)
    direction = field(parameters, "direction", dict, "parameters")
    keys(direction, set(wide.parameters), set(), "parameters.direction")
    d = {
        k: read_tensor(direction[k], shape, f"parameters.direction.{k}")
        for k, shape in wide.parameters.items()
    }
    within_budget(graph, 1, result.estimate, budget)
    reasons = list(first.reasons)
    problems = [r for r in reasons if r.startswith("REJECT")]
    reasons = [r for r in reasons if not r.startswith("REJECT")]
    s = critical._read(narrow_record)
    if set(s["variables"]) != set(graph.parameters):
        problems.append("REJECT: a saddle needs every parameter as a variable (the lift maps the whole box)")
    claimed = {
        k: (rational(v[0], f"enclosures.{k}"), rational(v[1], f"enclosures.{k}"))
        for k, v in record["enclosures"].items()
    }
    saved = flint.ctx.prec
    flint.ctx.prec = int(max(s["dps"], 30) * 3.3220) + 16
    try:
        lam_ball = arb(fmpq(lam.numerator, lam.denominator))
        r = s["radius"]
        ball = arb(fmpq(r.numerator, r.denominator)).upper() * arb(0, 1)
        centre = {k: to_arb(v) for k, v in s["A"].items()}
        region = {k: v + ball for k, v in centre.items()}
        lift_data = (n, j, copies, splits)
        wide_centre = _lift_all({k: v.tolist() for k, v in centre.items()}, lift_data, lam_ball)
        wide_box = _lift_all({k: v.tolist() for k, v in region.items()}, lift_data, lam_ball)
        x = to_arb(s["xs"])
        narrow_loss = graph_loss(graph, s["A"], x, s["ys"], s["kind"], s["factor"])
        wide_loss = graph_loss(
            wide, {k: v.tolist() for k, v in wide_centre.items()}, x, s["ys"], s["kind"], s["factor"]
        )
        if not narrow_loss.overlaps(wide_loss):
            problems.append("REJECT: the wide loss at the lifted centre differs from the narrow loss at A")
        dHd = graph_loss_jet(
            wide, {k: v.tolist() for k, v in wide_box.items()}, d, s["xs"], s["ys"], s["kind"], s["factor"]
        )[2]
    except (ArithmeticError, ValueError) as error:
        problems.append(f"REJECT: cannot evaluate the wide network: {error}")
        dHd = None
    finally:
        flint.ctx.prec = saved
    if dHd is not None:
        if not dHd.is_finite():
            problems.append("REJECT: the enclosure of dHd is unbounded")
        else:
            (mm, me), (rm, re) = dHd.mid().man_exp(), dHd.rad().man_exp()
            mid, rad = dyadic(int(mm), int(me), "dHd"), dyadic(int(rm), int(re), "dHd")
            found = (mid - rad, mid + rad)
            result.enclosures = {**first.enclosures, "dHd": found}
            if not found[1] < 0:
                problems.append(
                    f"REJECT: d^T H_wide d in [{float(found[0]):.6g}, {float(found[1]):.6g}] is not < 0"
                )
            stated = claimed.get("dHd")
            if stated is None or not (stated[0] <= found[0] and found[1] <= stated[1]):
                problems.append("REJECT: the claimed enclosure of dHd does not contain the recomputed one")
    result.accepted = not problems
    result.reasons = reasons + problems
    if result.accepted:
        result.reasons.append(
            f"the lift of channel {j} of {lift['producer']} (lam = {lam}) derived from the graph: copies "
            "through channel-wise layers, split at the linear consumers " + ", ".join(n for n, *_ in splits)
        )
        result.reasons.append(
            "re-proved: d^T H_wide d < 0 over the lifted box (arb, the checker's own graph jets): the "
            "lifted critical point is not a local minimum"
        )
    return result
