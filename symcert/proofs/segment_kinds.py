"""Certificates read off the segment from ``A`` to ``B``: curvature, Hessian direction, critical points.

All three evaluate ``phi(t) = L(A + t(B - A))`` with rigorous second-order
jets on the batched engine (:func:`symcert.numeric.segment.jet_decision`: verified
float64 first, then Arb at increasing precision) and need a smooth activation.
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy

from symcert.errors import SpecificationError
from symcert.numeric._inputs import require_exact_t, require_smooth
from symcert.numeric.decide import Decision
from symcert.numeric.segment import jet_decision, segment_layouts
from symcert.numeric.teacher import teacher_minimum
from symcert.proofs.certificates import Certificate
from symcert.proofs.invariance import prove_invariance
from symcert.proofs.reduction import with_chord_step
from symcert.symbolic.group import GroupElement
from symcert.symbolic.losses import Loss
from symcert.symbolic.point import Point

__all__ = ["certify_on_segment"]

_DEFAULT_T = {"curvature": sympy.Rational(1, 2), "critical": sympy.Rational(1, 4)}


def certify_on_segment(
    kind: str,
    loss: Loss,
    A: Point,
    B: Point,
    element: GroupElement | None,
    dps: int,
    t0: object,
    ladder: Sequence[int],
) -> Certificate:
    """The ``curvature``, ``hessian`` or ``critical`` certificate."""
    require_smooth(loss, f"a {kind} certificate")
    if kind == "hessian":
        decision, _ = jet_decision(loss, segment_layouts(A, B, sympy.Rational(1, 2)), 2, "dHd", "<", ladder)
        notes = (
            "M = (A + B)/2 and d = B - A exactly; d^T H(M) d = phi''(1/2) for phi(t) = L(A + t d)",
            decision.describe("d^T H(M) d"),
            "a convex function has a positive semidefinite Hessian everywhere",
        )
        return with_chord_step(
            _certificate("hessian", "dHd", decision, loss, A, B, element, {}, notes), ladder
        )
    t = _DEFAULT_T[kind] if t0 is None else require_exact_t(t0, "t0")
    if kind == "curvature":
        if not 0 <= t <= 1:
            raise SpecificationError(f"t0 must lie in [0, 1], got {t}")
        decision, _ = jet_decision(loss, segment_layouts(A, B, t), 2, "phi''(t0)", "<", ladder)
        notes = (
            decision.describe("phi''(t0)"),
            "a convex function restricted to a segment is convex, so phi'' >= 0 wherever it exists",
        )
        return with_chord_step(
            _certificate("curvature", "phi''(t0)", decision, loss, A, B, element, {"t0": t}, notes), ladder
        )
    premises = _critical_premises(loss, A, B, element)
    if not 0 < t < 1:
        raise SpecificationError(f"t0 must lie strictly between 0 and 1, got {t}")
    decision, _ = jet_decision(loss, segment_layouts(A, B, t), 1, "phi'(t0)", "!=", ladder)
    notes = (
        *premises,
        decision.describe("phi'(t0)") + " (a directional derivative, so grad L(z) != 0 at z = A + t0(B - A))",
        "the critical points of a convex function are its minimisers and form a convex set; "
        "z lies between the critical points A and B but is not critical",
    )
    return _certificate("critical", "phi'(t0)", decision, loss, A, B, element, {"t0": t}, notes)


def _critical_premises(loss: Loss, A: Point, B: Point, element: GroupElement | None) -> tuple[str, ...]:
    fact = teacher_minimum(loss)  # raises a clear error unless A's data are teacher data of an mse/sse loss
    if fact.point != A:
        raise SpecificationError("a critical certificate needs A to be the teacher point of the data")
    if element is None:
        raise SpecificationError("a critical certificate needs element= (B = g(A) for a symmetry g)")
    invariance = prove_invariance(loss, element)
    if invariance.status != "proved":
        raise SpecificationError(f"{element} is not a proved symmetry of this loss ({invariance.status})")
    if A == B:
        raise SpecificationError(
            f"{element} fixes A; a critical certificate needs two distinct critical points"
        )
    return (
        fact.describe(),
        f"L(g theta) = L(theta) for g = {element} (proved symbolically), so B = g(A) is a global minimum "
        "too, with grad L(B) = 0",
    )


def _certificate(
    kind: str,
    name: str,
    decision: Decision,
    loss: Loss,
    A: Point,
    B: Point,
    element: GroupElement | None,
    parameters: dict,
    notes: tuple[str, ...],
) -> Certificate:
    enclosures = {name: (decision.lower, decision.upper)} if decision.lower.is_finite else {}
    return Certificate(
        kind, decision.status, loss, A, B, element, enclosures, decision, decision.dps, parameters, notes
    )
