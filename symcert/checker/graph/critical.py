r"""Re-check a ``unique_critical_point`` certificate on a layer graph from its statement alone, in Arb.

The statement: the graph, the data, the loss, the exact centre ``A``, the radius ``r`` and the
parameters ``variables`` whose entries are the coordinates (the others fixed at ``A``). The checker
computes, with its own Taylor jets (:mod:`symcert.checker.graph.jets`) and nothing from the prover:

1. ``grad L(A)``: one jet along each coordinate direction ``e_i`` at the exact centre;
2. an enclosure of the Hessian over the box ``X = A + [-r, r]^n``: jets with every coordinate a ball
   of radius ``r`` along ``e_i`` (the diagonal) and ``e_i + e_j`` (polarisation,
   ``H_ij = (q_ij - H_ii - H_jj) / 2``), each enclosing its value at every point of the box;
3. Krawczyk's ``D = -Y g + (I - Y H)[-r, r]`` with ``Y`` a float inverse of the Hessian's midpoint
   computed here (any matrix is sound): ``max |D_i| < r`` proves that ``grad L`` has exactly one zero
   in ``X``. The recomputed margin ``[-r, max |D_i| - r]`` must lie in the claimed enclosure.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import flint
from flint import arb, arb_mat, fmpq

from symcert.checker import hessian
from symcert.checker.graph.chord import GraphVerdict, estimate_seconds, statement_problems, within_budget
from symcert.checker.graph.jets import MAX_POOL_REASON, graph_loss_jet
from symcert.checker.graph.spec import CheckedGraph, read_data_size, read_factor, read_header, read_tensor
from symcert.checker.losses import NEEDS
from symcert.checker.reading import CertificateFormatError, dyadic, field, integer, keys, rational
from symcert.limits import DPS_LADDER, MAX_WORKING_DPS, MIN_DPS

__all__ = ["check_graph_critical", "KINDS"]

#: The kind's names (the old one too).
KINDS = ("unique_critical_point", "critical_point")
_TOP = {"schema", "version", "kind", "status", "network", "loss", "data", "points", "element", "parameters"}
_TOP |= {"claim", "enclosures", "dps"}
#: Most coordinates the checker takes (``n (n + 1) / 2`` jets).
MAX_COORDINATES = 400


def _read(record: dict) -> dict[str, Any]:
    network, graph = read_header(record, _TOP)
    loss = field(record, "loss", dict, "certificate")
    keys(loss, {"kind", "weight_decay"}, {"factor"}, "loss")
    if loss["kind"] not in NEEDS:
        raise CertificateFormatError(
            f"loss.kind must be one of {', '.join(NEEDS)}, got {str(loss['kind'])[:30]}"
        )
    if rational(loss["weight_decay"], "loss.weight_decay") != 0:
        raise CertificateFormatError(
            "a unique critical point on a layer graph is checked without weight decay"
        )
    factor = read_factor(loss)
    data, n, out = read_data_size(record, graph)
    points = field(record, "points", dict, "certificate")
    keys(points, {"A"}, set(), "points")
    A = field(points, "A", dict, "points")
    keys(A, set(graph.parameters), set(), "points.A")
    parameters = field(record, "parameters", dict, "certificate")
    keys(parameters, {"radius", "variables"}, set(), "parameters")
    radius = rational(parameters["radius"], "parameters.radius")
    if radius < 0:
        raise CertificateFormatError("parameters.radius must be >= 0")
    variables = parameters["variables"]
    if (
        not isinstance(variables, list)
        or not variables
        or any(not isinstance(v, str) or v not in graph.parameters for v in variables)
        or len(set(variables)) != len(variables)
    ):
        raise CertificateFormatError("parameters.variables must list distinct parameters of the graph")
    claim = field(record, "claim", dict, "certificate")
    if claim.get("quantity") != "margin" or claim.get("relation") != "<":
        raise CertificateFormatError("a unique_critical_point certificate claims margin < 0")
    claimed = {}
    for name, pair in field(record, "enclosures", dict, "certificate").items():
        if name != "margin" or not isinstance(pair, list) or len(pair) != 2:
            raise CertificateFormatError("enclosures may hold only margin as [lower, upper]")
        claimed[name] = (rational(pair[0], "enclosures.margin"), rational(pair[1], "enclosures.margin"))
    if record["element"] is not None:
        raise CertificateFormatError("element must be null: a critical point needs no symmetry")
    return {
        "graph": graph,
        "stated_output": network["output_activation"],
        "kind": loss["kind"],
        "factor": factor,
        "xs": read_tensor(data["xs"], (n, *graph.input_shape), "data.xs"),
        "ys": read_tensor(data["ys"], (n, out[0]), "data.ys"),
        "A": {k: read_tensor(A[k], shape, f"points.A.{k}") for k, shape in graph.parameters.items()},
        "radius": radius,
        "variables": tuple(variables),
        "claimed": claimed,
        "status": record["status"],
        "dps": integer(record["dps"], "dps", MIN_DPS, MAX_WORKING_DPS),
    }


def _coordinates(graph: CheckedGraph, variables: tuple[str, ...]) -> list[tuple[str, tuple[int, ...]]]:
    out = []
    for name in variables:
        shape = graph.parameters[name]
        for flat in range(math.prod(shape)):
            index, rest = [], flat
            for size in reversed(shape):
                index.append(rest % size)
                rest //= size
            out.append((name, tuple(reversed(index))))
    return out


def _nested(shape: tuple[int, ...], value: Any) -> Any:
    return [_nested(shape[1:], value) for _ in range(shape[0])] if shape else value


def _set(tensor: Any, index: tuple[int, ...], value: Any) -> Any:
    if not index:
        return value
    tensor[index[0]] = _set(tensor[index[0]], index[1:], value)
    return tensor


def _direction(graph: CheckedGraph, coords: list, *which: int) -> dict:
    out = {name: _nested(shape, Fraction(0)) for name, shape in graph.parameters.items()}
    for k in which:
        name, index = coords[k]
        out[name] = _set(out[name], index, Fraction(1))
    return out


def _box(s: dict, coords: list, radius: Any) -> dict:
    """The centre with every coordinate a ball of radius ``r`` (the others exact)."""
    out = {name: _map(v, lambda a: arb(fmpq(a.numerator, a.denominator))) for name, v in s["A"].items()}
    for name, index in coords:
        value: Any = out[name]
        for i in index[:-1]:
            value = value[i]
        if index:
            value[index[-1]] = value[index[-1]] + radius
        else:
            out[name] = value + radius
    return out


def _map(v: Any, f: Any) -> Any:
    return [_map(u, f) for u in v] if isinstance(v, list) else f(v)


def _jet(s: dict, point: dict, direction: dict) -> tuple[arb, arb, arb]:
    return graph_loss_jet(s["graph"], point, direction, s["xs"], s["ys"], s["kind"], s["factor"])


def _margin(s: dict, coords: list) -> Fraction | None:
    n, r = len(coords), s["radius"]
    graph = s["graph"]
    g = [_jet(s, s["A"], _direction(graph, coords, i))[1] for i in range(n)]
    ball = arb(fmpq(r.numerator, r.denominator)).upper() * arb(0, 1)  # contains [-r, r]
    region = _box(s, coords, ball)
    diag = [_jet(s, region, _direction(graph, coords, i))[2] for i in range(n)]
    H = [[arb(0)] * n for _ in range(n)]
    for i in range(n):
        H[i][i] = diag[i]
        for j in range(i + 1, n):
            q = _jet(s, region, _direction(graph, coords, i, j))[2]
            H[i][j] = H[j][i] = (q - diag[i] - diag[j]) / 2
    J = arb_mat(H)
    Y = hessian.approximate_inverse(J)
    if Y is None:
        return None
    eye = arb_mat(n, n, [arb(int(i == j)) for i in range(n) for j in range(n)])
    D = -(Y * arb_mat(n, 1, g)) + (eye - Y * J) * arb_mat(n, 1, [ball] * n)
    if not all(v.is_finite() for v in D.entries()):
        return None
    worst = Fraction(0)
    for v in D.entries():
        (mm, me), (rm, re) = v.mid().man_exp(), v.rad().man_exp()
        mid, rad = dyadic(int(mm), int(me), "margin"), dyadic(int(rm), int(re), "margin")
        worst = max(worst, abs(mid) + rad)
    return worst - r


def check_graph_critical(record: dict, arithmetic: str, budget: float) -> GraphVerdict:
    """Check a ``unique_critical_point`` certificate on a layer graph (see the module text)."""
    assert record.get("kind") in KINDS  # the dispatcher sends only these
    if arithmetic != "arb":
        raise CertificateFormatError("certificates on layer graphs are checked with --arithmetic arb")
    s = _read(record)
    graph: CheckedGraph = s["graph"]
    result = GraphVerdict(False, "unique_critical_point")
    notes = statement_problems(s)
    coords = _coordinates(graph, s["variables"])
    if len(coords) > MAX_COORDINATES:
        notes.append(f"REJECT: {len(coords)} coordinates, more than the {MAX_COORDINATES} this checker takes")
    if any(node.type == "MaxPool" for node in graph.nodes):
        notes.append(f"REJECT: {MAX_POOL_REASON}")
    if any(
        node.type == "Activation" and node.fields["name"] in ("relu", "leaky_relu") for node in graph.nodes
    ):
        notes.append("REJECT: a ReLU has no Hessian at its kink: no Krawczyk test on this graph")
    if s["radius"] == 0:
        notes.append("REJECT: the box has radius 0: Krawczyk's test needs r > 0")
    precisions = tuple(max(s["dps"], 30) * f for f in DPS_LADDER)
    jets = len(coords) * (len(coords) + 3) // 2
    result.estimate = jets / 3 * estimate_seconds(graph, len(s["xs"]), precisions[0])
    within_budget(graph, len(s["xs"]), result.estimate, budget)
    if any(n.startswith("REJECT") for n in notes):
        result.reasons = notes
        return result
    margin: Fraction | None = None
    for dps in precisions[:2]:
        saved = flint.ctx.prec
        flint.ctx.prec = int(dps * 3.3220) + 16
        try:
            margin = _margin(s, coords)
        except (ArithmeticError, ValueError) as error:
            notes.append(f"cannot evaluate at {dps} digits: {error}")
            continue
        finally:
            flint.ctx.prec = saved
        result.dps = dps
        if margin is not None and margin < 0:
            break
    problems = []
    if margin is None:
        problems.append(
            "REJECT: the Hessian enclosure over the box is not invertible: the Krawczyk test fails"
        )
    else:
        result.enclosures = {"margin": (-s["radius"], margin)}
        if not margin < 0:
            problems.append(
                f"REJECT: the Krawczyk image does not lie inside the box (margin {float(margin):.3g} >= 0): "
                "no unique critical point is proved"
            )
        for name, (low, high) in s["claimed"].items():
            if not (low <= -s["radius"] and margin <= high):
                problems.append(
                    f"REJECT: the claimed enclosure of {name} does not contain the recomputed one"
                )
    result.accepted = not problems
    result.reasons = notes + problems
    if result.accepted:
        result.reasons.append(
            f"re-proved: K(X) lies inside X = A + [-r, r]^{len(coords)}, r = {float(s['radius']):.3g}"
            f" (margin {float(margin or 0):.3g}, {result.dps} digits, arb, the checker's own graph jets):"
            " grad L has exactly one zero in X"
        )
    return result
