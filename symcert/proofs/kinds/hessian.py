"""The ``hessian`` kind: ``d^T H(M) d < 0`` at ``M = (A + B)/2`` for ``d = B - A``.

A convex twice differentiable function has a positive semidefinite Hessian everywhere. Like
``curvature``, the certificate records the chord of a step ``h`` it reduces to.
"""

from __future__ import annotations

import sympy

from symcert.numeric._inputs import require_smooth
from symcert.numeric.segment import jet_decision, segment_layouts
from symcert.proofs.certificates import Certificate
from symcert.proofs.kinds.base import CertificateKind, Parameter
from symcert.proofs.reduction import SECOND_DIFFERENCE, with_chord_step
from symcert.proofs.segment_kinds import segment_certificate

__all__ = ["KIND", "certify"]


def certify(loss, A, B, element, dps, t0, layer) -> Certificate:
    """The Hessian certificate (see :func:`symcert.certify_nonconvexity`)."""
    require_smooth(loss, "a hessian certificate")
    ladder = KIND.ladder(dps)
    decision, _ = jet_decision(loss, segment_layouts(A, B, sympy.Rational(1, 2)), 2, "dHd", "<", ladder)
    notes = (
        "M = (A + B)/2 and d = B - A exactly; d^T H(M) d = phi''(1/2) for phi(t) = L(A + t d)",
        decision.describe("d^T H(M) d"),
        "a convex function has a positive semidefinite Hessian everywhere",
    )
    return with_chord_step(
        segment_certificate("hessian", "dHd", decision, loss, A, B, element, {}, notes), ladder
    )


KIND = CertificateKind(
    "hessian",
    "dHd",
    "<",
    "d^T H(M) d < 0 at M = (A+B)/2, d = B - A: the Hessian is not positive semidefinite",
    "a negative Hessian direction",
    (Parameter("h", "the step of the chord it reduces to (when one decided)", required=False),),
    ("dHd", SECOND_DIFFERENCE),
    smooth=True,
    coq_limit=300,
    certify=certify,
)
