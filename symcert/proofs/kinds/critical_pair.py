"""The ``critical_pair`` kind (formerly ``critical``): two critical points with a non-critical one between.

``A`` is the teacher point of teacher data (a global minimum, ``grad L(A) = 0``) and
``B = g(A)`` for a proved symmetry ``g`` (so ``grad L(B) = 0`` too); the certificate decides
``phi'(t0) != 0`` at ``z = A + t0(B - A)``. A convex function's critical points are its
minimisers and form a convex set, so ``z`` would be critical.
"""

from __future__ import annotations

import sympy

from symcert.errors import SpecificationError
from symcert.numeric._inputs import require_exact_t, require_smooth
from symcert.numeric.segment import jet_decision, segment_layouts
from symcert.numeric.teacher import teacher_minimum
from symcert.proofs.certificates import Certificate
from symcert.proofs.invariance import prove_invariance
from symcert.proofs.kinds.base import CertificateKind, Parameter
from symcert.proofs.segment_kinds import segment_certificate
from symcert.symbolic.group import GroupElement
from symcert.symbolic.losses import Loss
from symcert.symbolic.point import Point

__all__ = ["KIND", "certify"]


def certify(loss, A, B, element, dps, t0, layer) -> Certificate:
    """The critical-pair certificate (see :func:`symcert.certify_nonconvexity`)."""
    require_smooth(loss, "a critical_pair certificate")
    declared = KIND.parameter("t0")
    assert declared is not None  # KIND declares t0
    t = declared.default if t0 is None else require_exact_t(t0, "t0")
    premises = _premises(loss, A, B, element)
    if not 0 < t < 1:
        raise SpecificationError(f"t0 must lie strictly between 0 and 1, got {t}")
    decision, _ = jet_decision(loss, segment_layouts(A, B, t), 1, "phi'(t0)", "!=", KIND.ladder(dps))
    notes = (
        *premises,
        decision.describe("phi'(t0)") + " (a directional derivative, so grad L(z) != 0 at z = A + t0(B - A))",
        "the critical points of a convex function are its minimisers and form a convex set; "
        "z lies between the critical points A and B but is not critical",
    )
    return segment_certificate("critical_pair", "phi'(t0)", decision, loss, A, B, element, {"t0": t}, notes)


def _premises(loss: Loss, A: Point, B: Point, element: GroupElement | None) -> tuple[str, ...]:
    fact = teacher_minimum(loss)  # raises a clear error unless A's data are teacher data of an mse/sse loss
    if fact.point != A:
        raise SpecificationError("a critical_pair certificate needs A to be the teacher point of the data")
    if element is None:
        raise SpecificationError("a critical_pair certificate needs element= (B = g(A) for a symmetry g)")
    invariance = prove_invariance(loss, element)
    if invariance.status != "proved":
        raise SpecificationError(f"{element} is not a proved symmetry of this loss ({invariance.status})")
    if A == B:
        raise SpecificationError(
            f"{element} fixes A; a critical_pair certificate needs two distinct critical points"
        )
    return (
        fact.describe(),
        f"L(g theta) = L(theta) for g = {element} (proved symbolically), so B = g(A) is a global minimum "
        "too, with grad L(B) = 0",
    )


KIND = CertificateKind(
    "critical_pair",
    "phi'(t0)",
    "!=",
    "A and B are critical points (global minima) and grad L(A + t0(B - A)) != 0",
    "two critical points with a non-critical point between them",
    (
        Parameter(
            "t0", "the exact point of the segment, strictly between 0 and 1", default=sympy.Rational(1, 4)
        ),
    ),
    ("phi'(t0)",),
    smooth=True,
    coq_limit=300,
    certify=certify,
    old_names=("critical",),
)
