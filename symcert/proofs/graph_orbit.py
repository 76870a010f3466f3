r"""The orbit certificate for a layer graph: averaging ``A`` over a derived permutation group hurts.

A group ``G`` of a graph's derived symmetries (:func:`~symcert.symbolic.graph.derive_symmetries`: for
example a convolution's output channels, its batch norm's four vectors and the next layer's input
channels) acts on the parameters by permuting each tied axis. The mean of ``A`` over all ``n!``
elements, :func:`group_mean`, is computed exactly: along an axis it ties once, every channel becomes
the mean channel; a parameter with two tied axes (a dense or conv layer inside a residual stream) gets
the mean of its entries over each class of index pairs (the diagonal, the rest), and so on for more.

Convexity would give ``L(mean) <= (1/|G|) sum_g L(g A) = L(A)``, since ``L(g A) = L(A)`` for every
``g`` in ``G``. That invariance is proved structurally (:mod:`symcert.proofs.graph_invariance`) for a
transposition and an ``n``-cycle, which generate ``G``; the certificate then decides
``L(mean) - L(A) > 0`` strictly on rigorous enclosures (verified float64, then Arb). If the invariance
is not proved, the certificate is "undecided" whatever the enclosures say.

>>> from symcert.symbolic.graph import Activation, Dense, Graph, Node
>>> from symcert.numeric.graph import GraphLoss
>>> g = Graph((1,), [Node("fc1", Dense(2)), Node("t", Activation("tanh")), Node("fc2", Dense(1))])
>>> A = {"fc1.weight": [[-2], [2]], "fc1.bias": [-1, 0], "fc2.weight": [[1, 1]], "fc2.bias": [0]}
>>> loss = GraphLoss(g, [[-1], [0], [1], [2]], [["-1/5"], ["-4/5"], [0], [0]], "mse")
>>> cert = certify_graph_orbit(loss, A)
>>> cert.status, cert.group, [str(v) for v in cert.B["fc1.weight"].ravel()]
('proved', 'P_fc1', ['0', '0'])
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from symcert.errors import SpecificationError
from symcert.limits import MAX_PROVE_SECONDS
from symcert.numeric.engine.ladder import decide_on_rungs
from symcert.numeric.graph import GraphLoss, loss_enclosure
from symcert.proofs.graph_chord import GraphCertificate, arb_estimate
from symcert.proofs.graph_invariance import GraphProof, prove_graph_invariance
from symcert.proofs.kinds.orbit import KIND as ORBIT
from symcert.symbolic.graph import Permute, derive_symmetries, params_to_dict
from symcert.symbolic.graph.symmetry import AxisGroup, PermutationSpec

__all__ = ["GraphOrbitCertificate", "certify_graph_orbit", "group_mean", "orbit_groups", "members_record"]


@dataclass(frozen=True)
class GraphOrbitCertificate(GraphCertificate):
    """A (possibly failed) orbit certificate on a layer graph: ``B`` is the exact mean of ``A`` over
    the group ``group``; ``proofs`` the structural invariance proofs of its generators; ``enclosures``
    has ``L(A)``, ``L(mean)`` and ``gap`` as exact ``(lower, upper)``."""

    group: str = ""
    size: int = 0
    members: tuple[dict[str, Any], ...] = ()
    proofs: tuple[GraphProof, ...] = ()

    @property
    def claim(self) -> str:
        return ORBIT.claim

    def to_dict(self) -> dict[str, Any]:
        record = super().to_dict()
        record["claim"] = ORBIT.claim_record()
        record["points"] = {"A": params_to_dict(self.A), "mean": params_to_dict(self.B)}
        record["element"] = None
        record["parameters"] = {"group": self.group, "size": self.size, "members": list(self.members)}
        return record


def orbit_groups(spec: PermutationSpec) -> list[AxisGroup]:
    """The groups with at least two channels, in the derivation's order (the ones an orbit can average)."""
    return [g for g in spec.groups if g.size >= 2]


def members_record(group: AxisGroup) -> tuple[dict[str, Any], ...]:
    """The group's axes as the certificate states them (tensors and parameters alike)."""
    return tuple(
        {"kind": m.kind, "name": m.name, "axis": m.axis, "outer": m.outer, "inner": m.inner}
        for m in group.members
    )


def group_mean(spec: PermutationSpec, params: Mapping[str, Any], name: str) -> dict[str, np.ndarray]:
    """The exact mean of ``params`` over all permutations of the group ``name`` (see the module text).

    >>> from symcert.symbolic.graph import Activation, Dense, Graph, Node
    >>> g = Graph((1,), [Node("fc1", Dense(2)), Node("t", Activation("tanh")), Node("fc2", Dense(1))])
    >>> p = {"fc1.weight": [[1], [3]], "fc1.bias": [0, 2], "fc2.weight": [[4, 0]], "fc2.bias": [5]}
    >>> m = group_mean(derive_symmetries(g), p, "P_fc1")
    >>> [[str(v) for v in m[k].ravel()] for k in ("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias")]
    [['2', '2'], ['1', '1'], ['2', '2'], ['5']]
    """
    group = _group(spec, name)
    exact = spec.graph.check_parameters(params)
    tied: dict[str, list[tuple[int, int, int]]] = {}
    for m in group.members:
        if m.kind == "param":
            tied.setdefault(m.name, []).append((m.axis, m.outer, m.inner))
    out = dict(exact)
    for pname, axes in tied.items():
        out[pname] = _average(exact[pname], group.size, axes)
    return out


def _group(spec: PermutationSpec, name: str) -> AxisGroup:
    for g in spec.groups:
        if g.name == name:
            return g
    names = ", ".join(g.name for g in orbit_groups(spec)) or "none"
    raise SpecificationError(f"no group called {name!r} to average over; the groups are {names}")


def _average(tensor: np.ndarray, n: int, axes: list[tuple[int, int, int]]) -> np.ndarray:
    """Average ``tensor`` over the simultaneous permutations of the ``n`` channels of each of ``axes``
    (axis, outer, inner): each entry becomes the mean over its orbit, the entries whose channel indices
    have the same pattern of equalities."""
    shape = tensor.shape
    split: list[int] = []
    channel_positions = []
    order = sorted(axes)
    for axis in range(len(shape)):
        hit = next((a for a in order if a[0] == axis), None)
        if hit is None:
            split.append(shape[axis])
        else:
            _, outer, inner = hit
            split += [outer, n, inner]
            channel_positions.append(len(split) - 2)
    moved = np.moveaxis(tensor.reshape(split), channel_positions, list(range(len(channel_positions))))
    k = len(channel_positions)
    classes: dict[tuple[int, ...], list[tuple[int, ...]]] = {}
    for index in itertools.product(range(n), repeat=k):
        classes.setdefault(_pattern(index), []).append(index)
    result = np.empty_like(moved)
    for members in classes.values():
        total = sum((moved[i] for i in members[1:]), moved[members[0]])
        mean = total / Fraction(len(members))
        for i in members:
            result[i] = mean
    back = np.moveaxis(result, list(range(k)), channel_positions)
    return back.reshape(shape)


def _pattern(index: tuple[int, ...]) -> tuple[int, ...]:
    """The equality pattern of ``index``: each entry replaced by the position where its value first
    occurs (``(3, 1, 3) -> (0, 1, 0)``)."""
    return tuple(index.index(v) for v in index)


def _generators(group: AxisGroup) -> list[Permute]:
    """A transposition and an ``n``-cycle: together they generate the symmetric group on ``n`` channels."""
    n = group.size
    found = [Permute(group.name, (1, 0, *range(2, n)))]
    if n > 2:
        found.append(Permute(group.name, (*range(1, n), 0)))
    return found


def certify_graph_orbit(
    loss: GraphLoss, A: Mapping[str, Any], group: str | None = None, dps: int = 50
) -> GraphOrbitCertificate:
    """The orbit certificate at ``A`` for the group ``group`` (default: the first group with at least two
    channels for which it is proved; if none is, the first group's result). See the module text."""
    graph = loss.graph
    spec = derive_symmetries(graph)
    candidates = orbit_groups(spec)
    if not candidates:
        raise SpecificationError(
            f"the {graph.describe()} has no group of two or more channels; an orbit certificate needs one"
        )
    if group is not None:
        return _certify_group(loss, graph.check_parameters(A), spec, _group(spec, group), dps)
    first: GraphOrbitCertificate | None = None
    for g in candidates:
        certificate = _certify_group(loss, graph.check_parameters(A), spec, g, dps)
        if certificate.proved:
            return certificate
        first = first or certificate
    assert first is not None
    return first


def _certify_group(
    loss: GraphLoss, A: dict[str, np.ndarray], spec: PermutationSpec, group: AxisGroup, dps: int
) -> GraphOrbitCertificate:
    if group.size < 2:
        raise SpecificationError(f"{group.name} has one channel; averaging over it changes nothing")
    proofs = tuple(prove_graph_invariance(spec, e, spot=False) for e in _generators(group))
    invariant = all(p.status == "proved" for p in proofs)
    mean = loss.graph.check_parameters(group_mean(spec, A, group.name))
    affordable = arb_estimate(loss) * 2 / 3 <= MAX_PROVE_SECONDS

    def compute(bk: Any) -> dict:
        if bk.name != "float64" and not affordable:
            raise ArithmeticError("the Arb rungs would take too long here")
        LA, LM = (loss_enclosure(bk, loss, p) for p in (A, mean))
        return {"L(A)": LA, "L(mean)": LM, "gap": (LM[0] - LA[1], LM[1] - LA[0])}

    decision, enclosures = decide_on_rungs(compute, "gap", ">", ORBIT.ladder(dps))
    status = decision.status
    notes = [
        f"the mean of A over the {group.size}! permutations of {group.name} ({_axes_text(group)}) makes "
        "every channel of the group equal (exact)",
        "convexity would give L(mean) <= average of L(gA) over the group = L(A)",
        decision.describe("L(mean) - L(A)"),
    ]
    if invariant:
        notes.append(
            f"L(gA) = L(A) for every g permuting {group.name}: proved structurally for a transposition and "
            f"a {group.size}-cycle, which generate the group"
        )
    else:
        blocked = "; ".join(f"{p.element}: {p.status}" for p in proofs if p.status != "proved")
        notes.append(f"the invariance under {group.name} is not proved ({blocked}): no certificate")
        if status == "proved":
            status = "undecided"
    if decision.status == "undecided" and not affordable:
        notes.append("the Arb rungs were skipped as too slow (the float64 rung did not decide)")
    return GraphOrbitCertificate(
        "orbit",
        status,
        loss,
        A,
        mean,
        Permute(group.name, tuple(range(group.size))),
        enclosures,
        decision,
        decision.dps,
        tuple(notes),
        group=group.name,
        size=group.size,
        members=members_record(group),
        proofs=proofs,
    )


def _axes_text(group: AxisGroup) -> str:
    params = [f"{m.name}[{m.axis}]" for m in group.members if m.kind == "param"]
    return ", ".join(params[:6]) + (", ..." if len(params) > 6 else "")
