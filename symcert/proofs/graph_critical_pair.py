r"""The critical-pair certificate for a layer graph: two global minima and a non-critical point between.

Teacher data: the targets are the graph's own outputs at ``A``, exactly (:func:`teacher_targets`), so the
mse (or sse) loss has ``L(A) = 0``, its minimum. That needs exact outputs, which piecewise-linear graphs
have (dense, conv, ReLU and leaky ReLU, average pooling, flatten, add, batch norm where ``var + eps`` is
a rational square); a graph with tanh, a sigmoid, a softmax or a layer norm is refused in one line.
``B = g(A)`` for a derived symmetry ``g`` whose invariance is proved structurally, so ``L(B) = 0`` too
(and it is checked exactly). A convex function's minimisers form a convex set, so ``phi(t) = L(A + t(B -
A))`` would vanish on ``[0, 1]``; the certificate decides ``phi'(t0) != 0`` strictly with the graph jets
(:mod:`symcert.numeric.graph.jets`). ``t0`` defaults to ``1/4``: for an involution ``phi(t) =
phi(1 - t)``, so ``phi'(1/2) = 0``. Where a ReLU's pre-activation enclosure contains 0 at ``z`` the jets do
not decide ("undecided"); max pooling is refused.

>>> import numpy as np
>>> from symcert.symbolic.graph import Activation, Dense, Graph, Node, Permute
>>> from symcert.numeric.graph import GraphLoss
>>> g = Graph((1,), [Node("fc1", Dense(2)), Node("r", Activation("relu")), Node("fc2", Dense(1))])
>>> A = {"fc1.weight": [[-2], [1]], "fc1.bias": [1, "1/2"], "fc2.weight": [[1, 2]], "fc2.bias": [0]}
>>> X = np.array([[-1], [0], [1], [2]], dtype=object)
>>> loss = GraphLoss(g, X, teacher_targets(g, A, X), "mse")
>>> cert = certify_graph_critical_pair(loss, A, Permute("P_fc1", (1, 0)))
>>> cert.status, cert.t0
('proved', Fraction(1, 4))
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from symcert.errors import ExactnessError, SpecificationError
from symcert.limits import MAX_PROVE_SECONDS
from symcert.numeric.engine.ladder import decide_on_rungs
from symcert.numeric.graph import GraphLoss
from symcert.numeric.graph.jets import KinkError, loss_jet_enclosure, refuse_unsupported
from symcert.proofs.graph_chord import Element, GraphCertificate, arb_estimate
from symcert.proofs.graph_invariance import prove_graph_invariance
from symcert.proofs.kinds.critical_pair import KIND as CRITICAL_PAIR
from symcert.symbolic.graph import Graph, apply, derive_symmetries, element_text, evaluate

__all__ = ["GraphCriticalPairCertificate", "certify_graph_critical_pair", "teacher_targets"]

_NAMES = ("phi(t0)", "phi'(t0)")


@dataclass(frozen=True)
class GraphCriticalPairCertificate(GraphCertificate):
    """A (possibly failed) critical-pair certificate on a layer graph; ``t0`` the exact point of the
    segment; ``enclosures`` has ``phi(t0)`` and ``phi'(t0)`` as exact ``(lower, upper)``."""

    t0: Fraction = Fraction(1, 4)

    @property
    def claim(self) -> str:
        return CRITICAL_PAIR.claim

    def to_dict(self) -> dict[str, Any]:
        record = super().to_dict()
        record["claim"] = CRITICAL_PAIR.claim_record()
        record["parameters"] = {"t0": str(self.t0)}
        return record


def _exact_outputs(graph: Graph, params: Mapping[str, Any], X: Any) -> np.ndarray:
    try:
        return evaluate(graph, params, X, arithmetic="exact")
    except ExactnessError as error:
        raise SpecificationError(
            "critical_pair on a layer graph needs exact outputs (piecewise-linear layers: dense, conv, "
            f"ReLU, average pooling, batch norm with var + eps a rational square); {error}"
        ) from None


def teacher_targets(graph: Graph, A: Mapping[str, Any], X: Any) -> np.ndarray:
    """The graph's exact outputs at ``A`` on the inputs ``X`` (rows of ``Fraction``): teacher data, on
    which the mse loss has ``L(A) = 0``; a graph without exact outputs is refused."""
    return _exact_outputs(graph, graph.check_parameters(A), X)


def _premises(loss: GraphLoss, A: dict, B: dict, element: Element) -> tuple[str, ...]:
    graph = loss.graph
    if loss.kind not in ("mse", "sse") or loss.output != "identity":
        raise SpecificationError(
            "critical_pair on a layer graph needs an mse or sse loss on the graph's outputs (no final "
            f"softmax or sigmoid), got {loss.kind} with output {loss.output}"
        )
    Y = np.asarray(loss.Y, dtype=object)
    for name, point in (("A", A), ("B", B)):
        if not (_exact_outputs(graph, point, loss.X) == Y).all():
            raise SpecificationError(
                f"the data are not teacher data of {name}: L({name}) != 0; build the targets with "
                "teacher_targets(graph, A, X)"
            )
    proof = prove_graph_invariance(derive_symmetries(graph), element, spot=False)
    if proof.status != "proved":
        raise SpecificationError(
            f"{element_text(element)} is not a proved symmetry of this graph ({proof.status})"
        )
    if all((A[k] == B[k]).all() for k in A):
        raise SpecificationError(f"{element_text(element)} fixes A; critical_pair needs two distinct minima")
    return (
        "teacher data: the targets are the graph's exact outputs at A, so L(A) = 0 = min L (a global "
        "minimum, since the loss is a sum of squares)",
        f"L(g theta) = L(theta) for g = {element_text(element)} (proved structurally) and L(B) = 0 checked "
        "exactly: B = g(A) is a global minimum too",
    )


def certify_graph_critical_pair(
    loss: GraphLoss, A: Mapping[str, Any], element: Element, t0: Any = Fraction(1, 4), dps: int = 50
) -> GraphCriticalPairCertificate:
    """The critical-pair certificate at the teacher point ``A`` and ``B = element(A)`` (module text)."""
    refuse_unsupported(loss)
    try:
        t = Fraction(t0.strip() if isinstance(t0, str) else t0)
    except (TypeError, ValueError, ZeroDivisionError):
        raise SpecificationError(f"t0 must be an exact rational such as 1/4, got {t0!r}") from None
    if not 0 < t < 1:
        raise SpecificationError(f"t0 must lie strictly between 0 and 1, got {t}")
    graph = loss.graph
    A = graph.check_parameters(A)
    B = graph.check_parameters(apply(derive_symmetries(graph), A, element))
    premises = _premises(loss, A, B, element)
    P = {name: A[name] + t * (B[name] - A[name]) for name in A}
    D = {name: B[name] - A[name] for name in A}
    affordable = 2 * arb_estimate(loss) <= MAX_PROVE_SECONDS
    kinks: list[str] = []

    def compute(bk: Any) -> dict:
        if bk.name != "float64" and not affordable:
            raise ArithmeticError("the Arb rungs would take too long here")
        try:
            value, slope, _ = loss_jet_enclosure(bk, loss, P, D)
        except KinkError as error:
            kinks.append(bk.name)
            raise ArithmeticError(str(error)) from None
        return dict(zip(_NAMES, (value, slope)))

    decision, enclosures = decide_on_rungs(compute, "phi'(t0)", "!=", CRITICAL_PAIR.ladder(dps))
    notes = (
        *premises,
        decision.describe("phi'(t0)") + f" at z = A + t0 (B - A), t0 = {t}: grad L(z) != 0",
        "the minimisers of a convex function form a convex set: z, between the minima A and B, would be one",
    )
    if kinks:
        notes += (
            "a ReLU pre-activation's enclosure contained 0 at z on the rung(s) "
            + ", ".join(kinks)
            + ": phi' is not decided there (try another --t0)",
        )
    return GraphCriticalPairCertificate(
        "critical_pair", decision.status, loss, A, B, element, enclosures, decision, decision.dps, notes, t
    )
