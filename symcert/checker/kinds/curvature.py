"""``curvature``: ``phi''(t0) < 0`` along ``phi(t) = L(A + t(B - A))``, and the chord of step ``h``."""

from __future__ import annotations

from typing import Any

from symcert.checker.kind import SECOND_DIFFERENCE, Kind, register
from symcert.checker.points import combine


def second_difference(evaluation: Any, s: Any) -> dict:
    """``phi(t0 - h) + phi(t0 + h) - 2 phi(t0)``, when the certificate gives the step ``h``."""
    if s.h is None:
        return {}
    lp, lx, lq = evaluation.losses([combine(s.A, s.B, u) for u in (s.t0 - s.h, s.t0, s.t0 + s.h)])
    return {SECOND_DIFFERENCE: lp + lq - 2 * lx}


def quantities(evaluation: Any, s: Any) -> dict:
    """``phi''(t0)`` (and the second difference of step ``h``)."""
    jet = evaluation.jet(s.A, s.B, s.t0)
    return evaluation.bounds({"phi''(t0)": 2 * jet[2], **second_difference(evaluation, s)})


def premises(s: Any) -> list[str]:
    """``t0`` must lie in ``[0, 1]``."""
    return [] if 0 <= s.t0 <= 1 else ["REJECT: t0 must lie in [0, 1]"]


KIND = register(
    Kind(
        "curvature",
        "phi''(t0)",
        "<",
        "phi''(t0) < 0 for phi(t) = L(A + t(B - A)): concave along the segment",
        ("phi''(t0)", SECOND_DIFFERENCE),
        ("t0",),
        ("h",),
        smooth=True,
        premises=premises,
        quantities=quantities,
        # one jet pass (about three value passes in products, ten in elementwise functions) and three
        # value passes for the chord of step h
        cost=lambda s: (6, 13, 0.0),
    )
)
