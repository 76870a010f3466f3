"""The ``curvature`` kind: ``phi''(t0) < 0`` along ``phi(t) = L(A + t(B - A))``.

A convex function is convex on every segment, so ``phi'' >= 0`` wherever it exists. The
certificate also records the chord of a step ``h`` it reduces to
(:func:`~symcert.proofs.reduction.with_chord_step`).
"""

from __future__ import annotations

import sympy

from symcert.errors import SpecificationError
from symcert.numeric._inputs import require_exact_t, require_smooth
from symcert.numeric.segment import jet_decision, segment_layouts
from symcert.proofs.certificates import Certificate
from symcert.proofs.kinds.base import CertificateKind, Parameter
from symcert.proofs.reduction import SECOND_DIFFERENCE, with_chord_step
from symcert.proofs.segment_kinds import segment_certificate

__all__ = ["KIND", "certify"]


def certify(loss, A, B, element, dps, t0, layer) -> Certificate:
    """The curvature certificate (see :func:`symcert.certify_nonconvexity`)."""
    require_smooth(loss, "a curvature certificate")
    declared = KIND.parameter("t0")
    assert declared is not None  # KIND declares t0
    t = declared.default if t0 is None else require_exact_t(t0, "t0")
    if not 0 <= t <= 1:
        raise SpecificationError(f"t0 must lie in [0, 1], got {t}")
    ladder = KIND.ladder(dps)
    decision, _ = jet_decision(loss, segment_layouts(A, B, t), 2, "phi''(t0)", "<", ladder)
    notes = (
        decision.describe("phi''(t0)"),
        "a convex function restricted to a segment is convex, so phi'' >= 0 wherever it exists",
    )
    certificate = segment_certificate(
        "curvature", "phi''(t0)", decision, loss, A, B, element, {"t0": t}, notes
    )
    return with_chord_step(certificate, ladder)


KIND = CertificateKind(
    "curvature",
    "phi''(t0)",
    "<",
    "phi''(t0) < 0 for phi(t) = L(A + t(B - A)): concave along the segment",
    "negative curvature on a segment",
    (
        Parameter("t0", "the exact point of the segment, in [0, 1]", default=sympy.Rational(1, 2)),
        Parameter("h", "the step of the chord it reduces to (when one decided)", required=False),
    ),
    ("phi''(t0)", SECOND_DIFFERENCE),
    smooth=True,
    coq_limit=300,
    certify=certify,
)
