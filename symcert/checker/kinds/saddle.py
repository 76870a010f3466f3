"""``saddle``: a unique critical point whose lift is a critical point of the wide network, not a minimum."""

from __future__ import annotations

from typing import Any

from symcert.checker.kind import Kind, register
from symcert.checker.kinds.unique_critical_point import cost, read, verify
from symcert.checker.kinds.unique_critical_point import premises as box_premises


def premises(s: Any) -> list[str]:
    """A box of radius > 0, and the lift identity holds without weight decay."""
    decay = ["REJECT: the lift identity needs a loss without weight decay"] if s.decay != 0 else []
    return box_premises(s) + decay


KIND = register(
    Kind(
        "saddle",
        "dHd",
        "<",
        "grad L has exactly one zero z in X = A + [-r, r]^n (Krawczyk); the lift of z (unit split lam, "
        "1 - lam) is a critical point of the wide network, and d^T H_wide d < 0 over the lifted box: "
        "not a local minimum",
        ("dHd", "margin", "lambda_min", "lambda_min_positive"),
        ("radius", "layer", "unit", "lam", "direction"),
        ("index",),
        needs_B=False,
        smooth=True,
        read=read,
        premises=premises,
        verify=verify,
        cost=cost,
    )
)
