r"""The chord certificate for a layer graph: ``L((A + g A)/2) > (L(A) + L(g A))/2``.

``g`` is one of the symmetries derived from the graph (:func:`~symcert.symbolic.graph.derive_symmetries`),
for example a swap of two channels of a convolution, applied exactly to the parameters
(:func:`~symcert.symbolic.graph.apply`); the midpoint ``M = (A + B)/2`` is exact. The three losses are
enclosed rigorously by :mod:`symcert.numeric.graph` on the engine's ladder (verified float64 first,
then Arb balls), and the claim is decided strictly on the enclosures of all three values: the
certificate does not rely on ``L(A) = L(B)`` (which the symmetry gives) and so needs no invariance
proof; a convex function would have ``L(M) <= (L(A) + L(B))/2``.

The certificate is data in the format of the MLP's ``chord`` kind, with the graph as its network
(``{"graph": graph_to_dict(...)}``) and the parameters in ``params_to_dict``'s form.

>>> from symcert.symbolic.graph import Activation, Dense, Graph, Node, Permute
>>> from symcert.numeric.graph import GraphLoss
>>> g = Graph((1,), [Node("fc1", Dense(2)), Node("t", Activation("tanh")), Node("fc2", Dense(1))])
>>> A = {"fc1.weight": [[-2], [2]], "fc1.bias": [-1, 0], "fc2.weight": [[1, 1]], "fc2.bias": [0]}
>>> loss = GraphLoss(g, [[-1], [0], [1], [2]], [["-1/5"], ["-4/5"], [0], [0]], "mse")
>>> cert = certify_graph_chord(loss, A, Permute("P_fc1", (1, 0)))
>>> cert.status, cert.decision.rung, cert.to_dict()["network"]["graph"]["format"]
('proved', 'float64', 'symcert-graph')
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy

from symcert.display import Displayed
from symcert.errors import SpecificationError
from symcert.limits import MAX_PROVE_SECONDS
from symcert.numeric.decide import Decision
from symcert.numeric.engine.ladder import decide_on_rungs
from symcert.numeric.graph import GraphLoss, float_loss, loss_enclosure
from symcert.proofs.kinds.chord import KIND as CHORD
from symcert.symbolic.exact import format_rational
from symcert.symbolic.graph import (
    Conv,
    Flip,
    Permute,
    apply,
    derive_symmetries,
    element_text,
    graph_to_dict,
    params_to_dict,
)

__all__ = [
    "GraphCertificate",
    "certify_graph_chord",
    "candidate_elements",
    "best_graph_element",
    "arb_estimate",
]

Element = Any  # Permute | Flip | Rescale
#: Data points the float64 search for a symmetry looks at, and the most candidates it screens.
SCREEN_POINTS, MAX_CANDIDATES = 256, 24


@dataclass(frozen=True)
class GraphCertificate(Displayed):
    """A (possibly failed) chord certificate that a graph network's loss is not convex.

    ``status`` is "proved", "refuted" or "undecided" (see :class:`~symcert.proofs.certificates.Certificate`);
    ``A`` and ``B = element(A)`` are exact parameters by name; ``enclosures`` has ``L(A)``, ``L(B)``,
    ``L(M)`` and ``barrier`` as exact ``(lower, upper)``.
    """

    kind: str
    status: str
    loss: GraphLoss
    A: dict[str, np.ndarray]
    B: dict[str, np.ndarray]
    element: Element
    enclosures: dict[str, tuple[sympy.Rational, sympy.Rational]]
    decision: Decision | None
    dps: int
    notes: tuple[str, ...] = ()

    @property
    def claim(self) -> str:
        """The inequality this certificate decides, in words."""
        return CHORD.claim

    @property
    def proved(self) -> bool:
        """True when the loss was proved non-convex."""
        return self.status == "proved"

    def to_dict(self) -> dict[str, Any]:
        """The certificate as JSON-ready data (exact rationals as strings), in the chord kind's format."""
        from symcert.version import __version__

        loss = self.loss
        record: dict[str, Any] = {"kind": loss.kind, "weight_decay": "0"}
        if loss.factor != 1:
            record["factor"] = str(loss.factor)
        return {
            "schema": "symcert-certificate",
            "version": 1,
            "kind": self.kind,
            "status": self.status,
            "network": {"graph": graph_to_dict(loss.graph), "output_activation": loss.output},
            "loss": record,
            "data": {"xs": _strings(loss.X), "ys": _strings(loss.Y)},
            "points": {"A": params_to_dict(self.A), "B": params_to_dict(self.B)},
            "element": element_text(self.element),
            "parameters": {},
            "claim": CHORD.claim_record(),
            "enclosures": {
                name: [format_rational(lo), format_rational(hi)] for name, (lo, hi) in self.enclosures.items()
            },
            "dps": self.dps,
            "notes": list(self.notes),
            "prover": {
                "name": "symcert",
                "version": __version__,
                **({} if self.decision is None else {"rung": self.decision.rung}),
            },
        }

    def to_json(self) -> str:
        """The JSON text of :meth:`to_dict`."""
        return json.dumps(self.to_dict(), indent=2) + "\n"


def _strings(values: np.ndarray) -> Any:
    return np.vectorize(str, otypes=[object])(values).tolist()


def _midpoint(A: Mapping[str, np.ndarray], B: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {name: (A[name] + B[name]) / 2 for name in A}


def certify_graph_chord(
    loss: GraphLoss, A: Mapping[str, Any], element: Element, dps: int = 50
) -> GraphCertificate:
    """The chord certificate at ``A`` and ``B = element(A)`` (see the module text).

    ``element`` is a derived symmetry (:class:`~symcert.symbolic.graph.Permute`, ``Flip``, ``Rescale``);
    one that the graph's facts do not allow is refused. The decision climbs the kind's ladder
    (float64, then Arb at ``dps``, ``2 dps``, ...).
    """
    graph = loss.graph
    A = graph.check_parameters(A)
    spec = derive_symmetries(graph)
    B = graph.check_parameters(apply(spec, A, element))
    M = _midpoint(A, B)

    arb_seconds = arb_estimate(loss)
    affordable = arb_seconds <= MAX_PROVE_SECONDS

    def compute(bk: Any) -> dict:
        if bk.name != "float64" and not affordable:
            raise ArithmeticError("the Arb rungs would take too long here")  # the ladder moves on
        LA, LB, LM = (loss_enclosure(bk, loss, p) for p in (A, B, M))
        barrier = (LM[0] - (LA[1] + LB[1]) / 2, LM[1] - (LA[0] + LB[0]) / 2)
        return {"L(A)": LA, "L(B)": LB, "L(M)": LM, "barrier": barrier}

    decision, enclosures = decide_on_rungs(compute, "barrier", ">", CHORD.ladder(dps))
    notes: tuple[str, ...] = (
        f"B = {element_text(element)}(A), a symmetry derived from the graph; M = (A + B)/2 exactly",
        "decided on enclosures of L(A), L(B) and L(M) alike (no use of L(A) = L(B)); "
        + decision.describe("barrier"),
    )
    if decision.status == "undecided" and not affordable:
        notes += (
            f"the Arb rungs were skipped: estimated at {arb_seconds:.0f} s, beyond {MAX_PROVE_SECONDS:.0f} s "
            "(the float64 rung did not decide)",
        )
    return GraphCertificate(
        "chord", decision.status, loss, A, B, element, enclosures, decision, decision.dps, notes
    )


#: Seconds per entry of a tensor (or of a patch matrix) on the Arb rung, per loss (for the estimate).
_ARB_SECONDS_PER_ENTRY = 4e-6


def arb_estimate(loss: GraphLoss) -> float:
    """A rough time of the three losses on the Arb rung: Arb balls in object arrays cost a few
    microseconds per entry (products run inside ``arb_mat``), and a graph has many entries."""
    graph = loss.graph
    entries = 0
    for node in graph.nodes:
        size = math.prod(graph.shapes[node.name])
        if isinstance(node.layer, Conv):
            fan = graph.shapes[node.sources[0]][0] * math.prod(node.layer.kernel)
            size += size // node.layer.channels * fan  # the patch matrix
        entries += size
    return 3 * loss.n_points * entries * _ARB_SECONDS_PER_ENTRY


def candidate_elements(loss: GraphLoss, limit: int = MAX_CANDIDATES) -> list[Element]:
    """Swaps of two channels and single-channel sign flips (where allowed) of every derived group,
    taken in turn from each group, at most ``limit`` in all."""
    spec = derive_symmetries(loss.graph)
    per_group: list[list[Element]] = []
    for group in spec.groups:
        if group.size < 2:
            continue
        swaps: list[Element] = []
        for i, j in itertools.islice(itertools.combinations(range(group.size), 2), limit):
            perm = list(range(group.size))
            perm[i], perm[j] = j, i
            swaps.append(Permute(group.name, tuple(perm)))
        flips: list[Element] = [
            Flip(group.name, index, tuple(-1 if k == i else 1 for k in range(group.size)))
            for index, segment in enumerate(group.signs)
            if segment.allowed
            for i in range(min(group.size, limit))
        ]
        per_group.append(_in_turn([swaps, flips]))
    return _in_turn(per_group)[:limit]


def _in_turn(lists: list[list[Element]]) -> list[Element]:
    """The first of each list, then the second of each, and so on."""
    return [e for turn in itertools.zip_longest(*lists) for e in turn if e is not None]


def best_graph_element(
    loss: GraphLoss, A: Mapping[str, Any], progress: Callable[[str], None] | None = None
) -> tuple[Element, float]:
    """The candidate element with the largest float64 gap ``L(M) - (L(A) + L(B))/2`` (a search, not proof).

    The gaps are screened on the first :data:`SCREEN_POINTS` data points (the certificate uses them all).
    """
    graph = loss.graph
    if loss.n_points > SCREEN_POINTS:
        loss = GraphLoss(graph, loss.X[:SCREEN_POINTS], loss.Y[:SCREEN_POINTS], loss.kind, loss.factor)
    A = graph.check_parameters(A)
    spec = derive_symmetries(graph)
    candidates = candidate_elements(loss)
    if not candidates:
        raise SpecificationError(
            f"the {graph.describe()} has no channel permutation or sign flip to use (every group has one "
            "channel); a chord certificate needs a symmetry"
        )
    base = float_loss(loss, A)
    best, gap = candidates[0], -np.inf  # kept when every gap is NaN (an overflow): the search is no proof
    for element in candidates:
        B = apply(spec, A, element)
        g = float_loss(loss, _midpoint(A, graph.check_parameters(B))) - (base + float_loss(loss, B)) / 2
        if g > gap:
            best, gap = element, g
    if progress is not None:
        progress(
            f"screened {len(candidates)} symmetries in float64; best gap {gap:.6g} for {element_text(best)}"
        )
    return best, float(gap)
