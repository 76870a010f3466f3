"""``hessian``: ``d^T H(M) d < 0`` at ``M = (A+B)/2``, ``d = B - A``, and the chord of step ``h``."""

from __future__ import annotations

from typing import Any

from symcert.checker.kind import SECOND_DIFFERENCE, Kind, register
from symcert.checker.kinds.curvature import second_difference


def quantities(evaluation: Any, s: Any) -> dict:
    """``dHd = phi''(1/2)`` (and the second difference of step ``h``; ``t0 = 1/2``)."""
    jet = evaluation.jet(s.A, s.B, s.t0)
    return evaluation.bounds({"dHd": 2 * jet[2], **second_difference(evaluation, s)})


KIND = register(
    Kind(
        "hessian",
        "dHd",
        "<",
        "d^T H(M) d < 0 at M = (A+B)/2, d = B - A: the Hessian is not positive semidefinite",
        ("dHd", SECOND_DIFFERENCE),
        (),
        ("h",),
        smooth=True,
        quantities=quantities,
        cost=lambda s: (6, 13, 0.0),  # as curvature
    )
)
