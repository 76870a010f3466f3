r"""The curvature and hessian certificates for a layer graph: ``phi''(t0) < 0`` along a symmetric segment.

``B = g A`` for a derived symmetry ``g`` (as for the chord, :mod:`symcert.proofs.graph_chord`), and
``phi(t) = L(A + t (B - A))``. A convex function is convex on every segment, so ``phi'' >= 0`` wherever it
exists; ``phi''(t0) < 0``, decided strictly on a rigorous enclosure, proves the loss is not convex.
The ``hessian`` kind is the same jet at ``M = (A + B)/2`` read as ``d^T H(M) d < 0`` for ``d = B - A``:
the Hessian is not positive semidefinite. The jets are :mod:`symcert.numeric.graph.jets` on the engine's
ladder (verified float64, then Arb); a network with ReLUs is decided only where no pre-activation's
enclosure contains 0 at the point (there ``phi`` is smooth near ``t0``), and max pooling is refused.

>>> from symcert.symbolic.graph import Activation, Dense, Graph, Node, Permute
>>> from symcert.numeric.graph import GraphLoss, float_loss
>>> g = Graph((1,), [Node("fc1", Dense(2)), Node("t", Activation("tanh")), Node("fc2", Dense(1))])
>>> A = {"fc1.weight": [[-2], [2]], "fc1.bias": [-1, 0], "fc2.weight": [[1, 1]], "fc2.bias": [0]}
>>> loss = GraphLoss(g, [[-1], [0], [1], [2]], [["-1/5"], ["-4/5"], [0], [0]], "mse")
>>> cert = certify_graph_curvature(loss, A, Permute("P_fc1", (1, 0)))
>>> cert.status, cert.decision.rung, cert.to_dict()["parameters"]
('proved', 'float64', {'t0': '1/2'})
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from symcert.errors import SpecificationError
from symcert.limits import MAX_PROVE_SECONDS
from symcert.numeric.engine.ladder import decide_on_rungs
from symcert.numeric.graph import GraphLoss, float_loss
from symcert.numeric.graph.jets import KinkError, loss_jet_enclosure, refuse_unsupported
from symcert.proofs.graph_chord import (
    SCREEN_POINTS,
    Element,
    GraphCertificate,
    arb_estimate,
    candidate_elements,
)
from symcert.proofs.kinds.curvature import KIND as CURVATURE
from symcert.proofs.kinds.hessian import KIND as HESSIAN
from symcert.symbolic.graph import BatchNorm, apply, derive_symmetries, element_text

__all__ = [
    "GraphJetCertificate",
    "certify_graph_curvature",
    "best_jet_element",
    "decayed_names",
    "JET_KINDS",
    "ENCLOSURE_NAMES",
]

#: The kinds proved by a jet along the segment, by name.
JET_KINDS = {"curvature": CURVATURE, "hessian": HESSIAN}
#: The enclosures each kind carries: the value, the first and the second derivative (the last decides).
ENCLOSURE_NAMES = {
    "curvature": ("phi(t0)", "phi'(t0)", "phi''(t0)"),
    "hessian": ("L(M)", "d^T grad L(M)", "dHd"),
}


@dataclass(frozen=True)
class GraphJetCertificate(GraphCertificate):
    """A (possibly failed) curvature or hessian certificate on a layer graph; ``t0`` the exact point of
    the segment (``1/2`` for the hessian kind). ``enclosures`` are exact ``(lower, upper)`` by
    :data:`ENCLOSURE_NAMES`."""

    t0: Fraction = Fraction(1, 2)
    weight_decay: Fraction = Fraction(0)

    @property
    def claim(self) -> str:
        return JET_KINDS[self.kind].claim

    def to_dict(self) -> dict[str, Any]:
        record = super().to_dict()
        record["claim"] = JET_KINDS[self.kind].claim_record()
        record["parameters"] = {"t0": str(self.t0)} if self.kind == "curvature" else {}
        if self.weight_decay:
            record["loss"]["weight_decay"] = str(self.weight_decay)
            record["loss"]["decayed"] = list(decayed_names(self.loss.graph))
        return record


def decayed_names(graph: Any) -> tuple[str, ...]:
    """The parameters weight decay penalises: every trainable one (weights, biases, the scales and shifts
    of the norms), not a batch norm's running mean and variance (PyTorch's buffers).

    >>> from symcert.symbolic.graph import BatchNorm, Dense, Graph, Node
    >>> decayed_names(Graph((2,), [Node("fc", Dense(2)), Node("bn", BatchNorm())]))
    ('fc.weight', 'fc.bias', 'bn.scale', 'bn.bias')
    """
    running = {
        f"{n.name}.{k}" for n in graph.nodes if isinstance(n.layer, BatchNorm) for k in ("mean", "var")
    }
    return tuple(name for name in graph.parameter_shapes if name not in running)


def decay_jet(lam: Fraction, names: tuple[str, ...], P: Mapping, D: Mapping) -> tuple[Fraction, ...]:
    """``lam ||theta||^2`` along ``theta = P + s D`` over ``names``, exactly: ``(lam |P|^2, 2 lam <P, D>,
    2 lam |D|^2)``."""
    pp = sum((v * v for name in names for v in P[name].ravel()), Fraction(0))
    pd = sum((v * w for name in names for v, w in zip(P[name].ravel(), D[name].ravel())), Fraction(0))
    dd = sum((w * w for name in names for w in D[name].ravel()), Fraction(0))
    return lam * pp, 2 * lam * pd, 2 * lam * dd


def _exact_t(t0: Any) -> Fraction:
    try:
        t = Fraction(t0) if not isinstance(t0, str) else Fraction(t0.strip())
    except (TypeError, ValueError, ZeroDivisionError):
        raise SpecificationError(f"t0 must be an exact rational such as 1/2, got {t0!r}") from None
    if not 0 <= t <= 1:
        raise SpecificationError(f"t0 must lie in [0, 1], got {t}")
    return t


def certify_graph_curvature(
    loss: GraphLoss,
    A: Mapping[str, Any],
    element: Element,
    t0: Any = Fraction(1, 2),
    dps: int = 50,
    kind: str = "curvature",
    weight_decay: Any = 0,
) -> GraphJetCertificate:
    """The curvature (or hessian) certificate at ``A`` and ``B = element(A)`` (see the module text).

    ``t0`` is exact in ``[0, 1]`` (the hessian kind takes ``1/2``). The decision climbs the kind's
    ladder: float64, then Arb at ``dps``, ``2 dps``, ...; it is never "proved" unless the upper end of
    the enclosure of ``phi''(t0)`` is below 0. ``weight_decay`` ``lam >= 0`` adds ``lam ||theta||^2`` over
    :func:`decayed_names`, exactly.
    """
    if kind not in JET_KINDS:
        raise SpecificationError(f"kind must be one of {', '.join(JET_KINDS)}, got {kind!r}")
    refuse_unsupported(loss)
    t = _exact_t(t0) if kind == "curvature" else Fraction(1, 2)
    graph = loss.graph
    A = graph.check_parameters(A)
    B = graph.check_parameters(apply(derive_symmetries(graph), A, element))
    P = {name: A[name] + t * (B[name] - A[name]) for name in A}
    D = {name: B[name] - A[name] for name in A}
    names = ENCLOSURE_NAMES[kind]
    lam = _exact_decay(weight_decay)
    decay = decay_jet(lam, decayed_names(graph), P, D) if lam else (Fraction(0),) * 3
    arb_seconds = 2 * arb_estimate(loss)  # the jets: about twice the three losses' forward passes
    affordable = arb_seconds <= MAX_PROVE_SECONDS
    kinks: list[str] = []

    def compute(bk: Any) -> dict:
        if bk.name != "float64" and not affordable:
            raise ArithmeticError("the Arb rungs would take too long here")  # the ladder moves on
        try:
            jet = loss_jet_enclosure(bk, loss, P, D)
            return {name: (lo + c, hi + c) for name, (lo, hi), c in zip(names, jet, decay)}  # exact shifts
        except KinkError as error:
            kinks.append(f"{bk.name} at {bk.dps} digits" if bk.name != "float64" else "float64")
            raise ArithmeticError(str(error)) from None

    spec = JET_KINDS[kind]
    decision, enclosures = decide_on_rungs(compute, names[-1], "<", spec.ladder(dps))
    where = f"t0 = {t}" if kind == "curvature" else "M = (A + B)/2"
    notes: tuple[str, ...] = (
        f"B = {element_text(element)}(A), a symmetry derived from the graph; {where} and d = B - A exactly",
        *(
            (
                f"weight decay {lam} ||theta||^2 over every trainable parameter (not the running mean and "
                "variance of a batch norm), added exactly",
            )
            if lam
            else ()
        ),
        decision.describe(names[-1]),
        "a convex function restricted to a segment is convex, so phi'' >= 0 wherever it exists",
    )
    if kinks:
        notes += (
            "a ReLU pre-activation's enclosure contained 0 on the rung(s) "
            + ", ".join(kinks)
            + ": phi'' is not decided there (use the chord kind)",
        )
    if decision.status == "undecided" and not affordable:
        notes += (
            f"the Arb rungs were skipped: estimated at {arb_seconds:.0f} s, beyond {MAX_PROVE_SECONDS:.0f} s "
            "(the float64 rung did not decide)",
        )
    return GraphJetCertificate(
        kind, decision.status, loss, A, B, element, enclosures, decision, decision.dps, notes, t, lam
    )


def _exact_decay(value: Any) -> Fraction:
    try:
        lam = Fraction(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError, ZeroDivisionError):
        raise SpecificationError(
            f"weight decay must be an exact rational >= 0 such as 1/1000, got {value!r}"
        ) from None
    if lam < 0:
        raise SpecificationError(f"weight decay must be >= 0, got {lam}")
    return lam


#: The step of the float64 second difference that screens the candidates (evidence, never proof).
SCREEN_STEP = 1e-5  # small: a ReLU kink within the step would bias the difference


def best_jet_element(
    loss: GraphLoss,
    A: Mapping[str, Any],
    t0: Any = Fraction(1, 2),
    progress: Callable[[str], None] | None = None,
    weight_decay: Any = 0,
) -> tuple[Element, float]:
    """The candidate element (:func:`~symcert.proofs.graph_chord.candidate_elements`) with the most negative
    float64 second difference ``(phi(t0+h) - 2 phi(t0) + phi(t0-h)) / h^2``, on the first
    :data:`~symcert.proofs.graph_chord.SCREEN_POINTS` data points: a search, not proof."""
    refuse_unsupported(loss)
    graph = loss.graph
    if loss.n_points > SCREEN_POINTS:
        loss = GraphLoss(graph, loss.X[:SCREEN_POINTS], loss.Y[:SCREEN_POINTS], loss.kind, loss.factor)
    t = float(_exact_t(t0))
    A = graph.check_parameters(A)
    spec = derive_symmetries(graph)
    candidates = candidate_elements(loss)
    if not candidates:
        raise SpecificationError(
            f"the {graph.describe()} has no channel permutation or sign flip to use (every group has one "
            "channel); a curvature certificate needs a symmetry"
        )
    a = {k: v.astype(float) for k, v in A.items()}
    lam, names = float(_exact_decay(weight_decay)), decayed_names(graph)
    best, found = candidates[0], np.inf  # kept when every value is NaN: the search is no proof
    for element in candidates:
        B = graph.check_parameters(apply(spec, A, element))
        d = {k: B[k].astype(float) - a[k] for k in a}

        def phi(s: float, d: dict = d) -> float:
            return float_loss(loss, {k: a[k] + s * d[k] for k in a})

        h = SCREEN_STEP
        value = (phi(t + h) - 2 * phi(t) + phi(t - h)) / (h * h) + 2 * lam * sum(
            float(np.sum(d[name] ** 2)) for name in names
        )
        if value < found:
            best, found = element, value
    if progress is not None:
        progress(
            f"screened {len(candidates)} symmetries in float64; most negative phi'' {found:.6g} for "
            f"{element_text(best)}"
        )
    return best, float(found)
