r"""Align two layer-graph networks: an exact group element ``g`` with ``g(B)`` close to ``A``, and its proof.

Git Re-Basin for graphs. Float64 weight matching over every derived permutation group
(:mod:`symcert.numeric.graph.matching`: coordinate descent over the groups, one linear assignment each,
signed where the derivation allows sign flips) finds the candidate. The element returned is exact: per
group a :class:`~symcert.symbolic.graph.action.Flip` of B's channels on each sign segment, then a
:class:`~symcert.symbolic.graph.action.Permute`. ``g(B)`` is computed exactly
(:func:`~symcert.symbolic.graph.action.apply`: moving and negating exact dyadic weights is exact), and
each factor is proved a symmetry by the structural proof
(:func:`~symcert.proofs.graph_invariance.prove_graph_invariance`); a product of symmetries is one, so
``g(B)`` computes the same function as ``B``. The assignment is a local optimum of the matching
objective, not a certified global one; the distances are float64 (evidence).

>>> from symcert.symbolic.graph import Activation, Dense, Graph, Node, Permute, Flip, apply
>>> from symcert.symbolic.graph import derive_symmetries, random_parameters
>>> g = Graph((2,), [Node("fc1", Dense(3)), Node("t", Activation("tanh")), Node("fc2", Dense(1))])
>>> A = random_parameters(g, seed=1)
>>> spec = derive_symmetries(g)
>>> B = apply(spec, apply(spec, A, Flip("P_fc1", 0, (1, -1, 1))), Permute("P_fc1", (2, 0, 1)))
>>> result = align_graphs(A, B, graph=g, spot=False)
>>> result.exact_match(), result.status, result.distance_after
(True, 'proved', 0.0)
>>> print(result.text())
fc1 output channels: (0 1 2) sign -1 on 2
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from symcert.errors import SpecificationError
from symcert.numeric.graph.activation_matching import activation_matching_graph
from symcert.numeric.graph.matching import (
    GraphMatching,
    apply_float,
    layouts,
    weight_matching_graph,
)
from symcert.proofs.graph_invariance import GraphProof, prove_graph_invariance
from symcert.symbolic.graph.action import Element, Flip, Permute, apply, element_text
from symcert.symbolic.graph.spec import Graph
from symcert.symbolic.graph.symmetry import AxisGroup, PermutationSpec, derive_symmetries

__all__ = ["ChannelMatch", "GraphAlignment", "align_graphs", "cycles"]


def cycles(perm: tuple[int, ...]) -> str:
    """The permutation ``i -> perm[i]`` in cycle notation, fixed points included.

    >>> cycles((2, 1, 0, 3)), cycles(())
    ('(0 2)(1)(3)', '()')
    """
    seen, out = set(), []
    for start in range(len(perm)):
        if start in seen:
            continue
        cycle, i = [], start
        while i not in seen:
            seen.add(i)
            cycle.append(str(i))
            i = perm[i]
        out.append("(" + " ".join(cycle) + ")")
    return "".join(out) or "()"


@dataclass(frozen=True)
class ChannelMatch:
    """One group's part of ``g``: ``perm[i]`` is B's channel placed at ``i``; ``flips`` are, per sign
    segment (an index into ``group.signs``), the channels of B whose sign is flipped first."""

    group: str
    where: str  # the group in its own words: "conv1 output channels"
    perm: tuple[int, ...]
    flips: tuple[tuple[int, tuple[int, ...]], ...]
    segments: tuple[tuple[str, ...], ...]  # each flip's tensors, for the text

    @property
    def is_identity(self) -> bool:
        return self.perm == tuple(range(len(self.perm))) and not any(f for _, f in self.flips)

    def text(self) -> str:
        """``conv1 output channels: (0 2)(1) sign -1 on 3`` (B's channel 3 flipped, then B's channel 2 put
        at 0 and 0 at 2); with flips on several segments each names its tensors, ``[conv1]``."""
        parts = [f"{self.where}: {cycles(self.perm)}"]
        several = sum(bool(f) for _, f in self.flips) > 1
        for (_, flipped), tensors in zip(self.flips, self.segments, strict=True):
            if flipped:
                on = f" [{', '.join(tensors)}]" if several else ""
                parts.append(f"sign -1 on {', '.join(map(str, flipped))}{on}")
        return " ".join(parts)

    def elements(self, size: int) -> list[Element]:
        """The exact factors: the flips (at B's channel indices), then the permutation."""
        out: list[Element] = []
        for segment, flipped in self.flips:
            if flipped:
                out.append(Flip(self.group, segment, tuple(-1 if j in flipped else 1 for j in range(size))))
        if self.perm != tuple(range(size)):
            out.append(Permute(self.group, self.perm))
        return out


@dataclass(frozen=True)
class GraphAlignment:
    """What :func:`align_graphs` found.

    ``matches`` is ``g`` group by group, ``elements`` its exact factors in the order applied,
    ``aligned = g(B)`` exact, ``proofs`` the structural proof of each factor. ``distance_before`` and
    ``distance_after`` are ``||A - B||`` and ``||A - g(B)||`` in float64 over every parameter;
    ``history`` the matching objective: for ``method="weights"`` ``<A, g(B)>`` (identity, start, after
    each sweep; never decreasing), for ``"activations"`` the matched activation score (identity,
    after). ``refused`` names sign segments that are symmetries but not pure sign changes (the
    sigmoid's ``1 - s``), which the matching leaves alone.
    """

    spec: PermutationSpec
    A: dict[str, np.ndarray]
    B: dict[str, np.ndarray]
    matches: tuple[ChannelMatch, ...]
    elements: tuple[Element, ...]
    aligned: dict[str, np.ndarray]
    proofs: tuple[GraphProof, ...]
    distance_before: float
    distance_after: float
    history: tuple[float, ...]
    iterations: int
    converged: bool
    refused: dict[str, dict[int, str]]
    method: str = "weights"

    @property
    def status(self) -> str:
        """``"proved"`` when every factor is proved (or ``g`` is the identity), ``"not attempted"`` with
        ``prove=False``, else ``"not proved"``."""
        if not self.elements or (self.proofs and all(p.status == "proved" for p in self.proofs)):
            return "proved"
        return "not attempted" if not self.proofs else "not proved"

    @property
    def is_identity(self) -> bool:
        return not self.elements

    def exact_match(self) -> bool:
        """Whether ``g(B) == A`` exactly, entry by entry (then the aligned barrier is exactly 0)."""
        return all(np.array_equal(self.aligned[k], self.A[k]) for k in self.A)

    def text(self) -> str:
        """``g`` in each group's own words, one line per group it changes (``identity`` if none)."""
        lines = [m.text() for m in self.matches if not m.is_identity]
        return "\n".join(lines) or "identity"

    def conclusion(self) -> str:
        if self.is_identity:
            return "g is the identity: g(B) = B"
        if self.status == "not attempted":
            return "not attempted: g was not proved a symmetry (prove=False)"
        if self.status == "proved":
            return (
                f"each of the {len(self.elements)} factors of g is proved a symmetry (structurally, node by "
                "node); so is their product: g(B) computes the same function as B"
            )
        first = next(p for p in self.proofs if p.status != "proved")
        return f"not proved: {first.element}: {first.conclusion}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (stable keys; the exact aligned parameters are not included)."""
        return {
            "element": [element_text(e) for e in self.elements],
            "method": self.method,
            "groups": [
                {
                    "group": m.group,
                    "where": m.where,
                    "perm": list(m.perm),
                    "cycles": cycles(m.perm),
                    "flips": [{"segment": s, "channels": list(f)} for s, f in m.flips if f],
                    "text": m.text(),
                }
                for m in self.matches
            ],
            "distance_before": self.distance_before,
            "distance_after": self.distance_after,
            "objective_before": self.history[0],
            "objective_after": self.history[-1],
            "history": list(self.history),
            "iterations": self.iterations,
            "converged": self.converged,
            "exact_match": self.exact_match(),
            "proof": self.status,
            "proofs": [{"element": p.element, "status": p.status} for p in self.proofs],
            "conclusion": self.conclusion(),
            "refused_sign_segments": {g: {str(k): v for k, v in r.items()} for g, r in self.refused.items()},
        }


def _where(group: AxisGroup) -> str:
    first = next((m for m in group.members if m.kind == "tensor"), group.members[0])
    return f"{first.name} output channels" if first.axis == 0 else f"{first.name} axis {first.axis}"


def _unpack(value: Any, graph: Graph | None, name: str) -> tuple[Graph, Mapping[str, Any]]:
    if hasattr(value, "graph") and hasattr(value, "params"):  # an imported model (OnnxModel)
        return value.graph, value.params
    if isinstance(value, Mapping):
        if graph is None:
            raise SpecificationError(
                f"{name} is a dict of parameters: pass graph=Graph(...), or give imported models (load_onnx)"
            )
        return graph, value
    raise SpecificationError(
        f"align_graphs needs two networks (load_onnx models, or parameter dicts with graph=), "
        f"got {type(value).__name__} for {name}"
    )


def _floats(params: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    convert = np.frompyfunc(lambda v: v.numerator / v.denominator, 1, 1)
    try:
        return {k: np.asarray(convert(v), dtype=float) for k, v in params.items()}
    except OverflowError:
        raise SpecificationError(
            "a parameter is too large for float64 matching; rescale the networks"
        ) from None


def _inputs(data: Any, graph: Graph) -> np.ndarray:
    try:
        xs = np.asarray(data, dtype=float)
    except (TypeError, ValueError):
        raise SpecificationError(
            f"data must be an array of inputs of shape (N, {', '.join(map(str, graph.input_shape))}), "
            f"got {type(data).__name__}"
        ) from None
    if xs.shape[1:] != graph.input_shape or xs.shape[0] < 2:
        raise SpecificationError(
            f"data must have shape (N, {', '.join(map(str, graph.input_shape))}) with N >= 2 for this "
            f"graph, got shape {xs.shape}"
        )
    if not np.all(np.isfinite(xs)):
        raise SpecificationError("data must be finite, got NaN or infinity")
    return xs


def _distance(a: Mapping[str, np.ndarray], b: Mapping[str, np.ndarray]) -> float:
    return float(np.sqrt(sum(float(np.sum((a[k] - b[k]) ** 2)) for k in a)))


def _matches(spec: PermutationSpec, found: GraphMatching) -> tuple[ChannelMatch, ...]:
    out = []
    for group in spec.groups:
        source = tuple(int(v) for v in found.sources[group.name])
        flips = []
        for k, segment in enumerate(found.segments[group.name]):
            signs = found.signs[group.name][k]
            flips.append((segment, tuple(sorted(source[i] for i in range(group.size) if signs[i] < 0))))
        tensors = tuple(group.signs[s].tensors for s, _ in flips)
        out.append(ChannelMatch(group.name, _where(group), source, tuple(flips), tensors))
    return tuple(out)


def align_graphs(
    A: Any,
    B: Any,
    *,
    graph: Graph | None = None,
    data: Any = None,
    max_iter: int = 100,
    seed: int = 0,
    init: str = "forward",
    logits: bool = False,
    prove: bool = True,
    spot: bool = True,
) -> GraphAlignment:
    """Find an exact element ``g`` of the derived group with ``g(B)`` close to ``A``, and prove it.

    ``A`` and ``B`` are imported models (:func:`~symcert.models.onnx_import.load_onnx`) of one graph,
    or parameter dicts with ``graph=``. Weight matching over every group (see
    :mod:`symcert.numeric.graph.matching`; ``max_iter`` sweeps at most, groups in an order drawn from
    ``seed``, ``init`` ``"forward"`` or ``"identity"``); for odd activations signed permutations, for
    ReLU permutations only (whatever the derivation allows). With ``data`` (inputs of shape
    ``(N, *input_shape)``), activation matching instead: one assignment per group on the activations'
    inner products over the data (:mod:`symcert.numeric.graph.activation_matching`). ``prove=False``
    skips the proofs; ``spot=False`` keeps them but skips their spot checks (two evaluations per
    factor). ``logits`` as in ``derive_symmetries``.
    """
    graph_a, params_a = _unpack(A, graph, "A")
    graph_b, params_b = _unpack(B, graph, "B")
    if graph_a != graph_b:
        raise SpecificationError(
            f"align_graphs needs two networks of one graph, got the {graph_a.describe()} and the "
            f"{graph_b.describe()}"
        )
    if init not in ("forward", "identity"):
        raise SpecificationError(f"init must be 'forward' or 'identity', got {init!r}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter < 1:
        raise SpecificationError(f"max_iter must be a positive integer, got {max_iter!r}")
    exact_a, exact_b = graph_a.check_parameters(params_a), graph_a.check_parameters(params_b)
    spec = derive_symmetries(graph_a, logits=logits)
    fa, fb = _floats(exact_a), _floats(exact_b)
    if data is None:
        found = weight_matching_graph(spec, fa, fb, max_iter=max_iter, seed=seed, init=init)
    else:
        found = activation_matching_graph(spec, exact_a, exact_b, _inputs(data, graph_a))
    matches = _matches(spec, found)
    sizes = {g.name: g.size for g in spec.groups}
    elements = tuple(e for m in matches for e in m.elements(sizes[m.group]))
    aligned = exact_b
    for element in elements:
        aligned = apply(spec, aligned, element)
    moved = _floats(aligned)  # the exact image, read back, must be the matching's, entry for entry
    expected = apply_float(layouts(spec), fb, {k: (found.sources[k], found.signs[k]) for k in sizes})
    if any(not np.array_equal(moved[k], expected[k]) for k in moved):
        raise RuntimeError("internal error: the exact image under g does not match the float matching")
    proofs = tuple(prove_graph_invariance(spec, e, spot=spot) for e in elements) if prove else ()
    return GraphAlignment(
        spec,
        exact_a,
        exact_b,
        matches,
        elements,
        aligned,
        proofs,
        _distance(fa, fb),
        _distance(fa, moved),
        found.history,
        found.iterations,
        found.converged,
        found.refused,
        "weights" if data is None else "activations",
    )
