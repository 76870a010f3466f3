"""``critical_pair`` (formerly ``critical``): two critical points and a non-critical point between them.

``A`` must be the teacher of teacher data (every residual vanishes: a global minimum) and
``B = g(A)`` for a symmetry ``g``; the checker re-proves ``phi'(t0) != 0``.
"""

from __future__ import annotations

from typing import Any

from symcert.checker.kind import Kind, register
from symcert.checker.losses import SQUARES
from symcert.checker.points import is_symmetry


def premises(s: Any) -> list[str]:
    """Why ``A`` and ``B`` are critical points, or the rejections."""
    reasons = []
    if not 0 < s.t0 < 1:
        reasons.append("REJECT: t0 must lie strictly between 0 and 1")
    if s.teacher is None or s.teacher_net != s.net or s.teacher != s.A:
        reasons.append("REJECT: a critical_pair certificate needs A to be the teacher point of teacher data")
    if s.loss_kind not in SQUARES or s.decay != 0:
        reasons.append("REJECT: a critical_pair certificate needs an mse or sse loss without weight decay")
    if s.element is None or not is_symmetry(s.net, s.element):
        reasons.append("REJECT: a critical_pair certificate needs B = g(A) for a symmetry g of the network")
    if s.B == s.A:
        reasons.append("REJECT: A and B must be distinct")
    if not reasons:
        reasons.append(
            "A is the teacher: every residual vanishes, L(A) = 0 = min L, so grad L(A) = 0; "
            "B = g(A) for a symmetry g, so L(B) = 0 and grad L(B) = 0"
        )
    return reasons


def quantities(evaluation: Any, s: Any) -> dict:
    """``phi'(t0)``."""
    return evaluation.bounds({"phi'(t0)": evaluation.jet(s.A, s.B, s.t0)[1]})


KIND = register(
    Kind(
        "critical_pair",
        "phi'(t0)",
        "!=",
        "A and B are critical points (global minima) and grad L(A + t0(B - A)) != 0",
        ("phi'(t0)",),
        ("t0",),
        smooth=True,
        premises=premises,
        quantities=quantities,
        cost=lambda s: (3, 10, 0.0),  # one jet pass
        old_names=("critical",),
    )
)
