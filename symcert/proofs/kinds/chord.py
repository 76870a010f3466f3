"""The ``chord`` kind: the midpoint of ``A`` and ``B = g(A)`` lies above their chord.

``L((A+B)/2) > (L(A) + L(B))/2`` on one batched enclosure of the three losses; a convex
function has its graph below every chord.
"""

from __future__ import annotations

from fractions import Fraction

from symcert.numeric.engine.api import combine, losses_bounds, point_layout
from symcert.numeric.engine.ladder import decide_on_rungs
from symcert.proofs.certificates import Certificate
from symcert.proofs.kinds.base import CertificateKind

__all__ = ["KIND", "certify"]


def certify(loss, A, B, element, dps, t0, layer) -> Certificate:
    """The chord certificate (see :func:`symcert.certify_nonconvexity`)."""
    la, lb = point_layout(A), point_layout(B)
    lm = combine(la, lb, Fraction(1, 2))  # the exact midpoint, in integers

    def compute(bk) -> dict:
        LA, LB, LM = losses_bounds(bk, loss, [la, lb, lm])  # one batched pass in float64
        barrier = (LM[0] - (LA[1] + LB[1]) / 2, LM[1] - (LA[0] + LB[0]) / 2)
        return {"L(A)": LA, "L(B)": LB, "L(M)": LM, "barrier": barrier}

    decision, enclosures = decide_on_rungs(compute, "barrier", ">", KIND.ladder(dps))
    notes = (f"M = (A + B)/2 exactly; {decision.describe('barrier')}",)
    return Certificate(
        "chord", decision.status, loss, A, B, element, enclosures, decision, decision.dps, {}, notes
    )


KIND = CertificateKind(
    "chord",
    "barrier",
    ">",
    "L((A+B)/2) - (L(A) + L(B))/2 > 0: the midpoint lies above the chord",
    "the midpoint lies above the chord",
    enclosures=("L(A)", "L(B)", "L(M)", "barrier"),
    coq_limit=2600,
    certify=certify,
)
