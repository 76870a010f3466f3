"""``orbit``: ``L(mean of A over a layer's permutations) - L(A) > 0``, averaging the orbit hurts."""

from __future__ import annotations

from typing import Any

from symcert.checker.kind import Kind, register
from symcert.checker.points import orbit_mean
from symcert.checker.reading import CertificateFormatError


def read(s: Any, parameters: dict) -> None:
    """``layer`` must be a hidden layer."""
    if not 1 <= s.layer < len(s.net.widths) - 1:
        raise CertificateFormatError(
            f"parameters.layer must be a hidden layer (1 to {len(s.net.widths) - 2}), got {s.layer}"
        )


def quantities(evaluation: Any, s: Any) -> dict:
    """``L(A)``, ``L(mean)`` and their gap."""
    la, lm = evaluation.losses([s.A, orbit_mean(s.A, s.layer)])
    return evaluation.bounds({"L(A)": la, "L(mean)": lm, "gap": lm - la})


KIND = register(
    Kind(
        "orbit",
        "gap",
        ">",
        "L(mean of A over the layer's permutations) - L(A) > 0: averaging the orbit hurts",
        ("L(A)", "L(mean)", "gap"),
        ("layer",),
        needs_B=False,
        read=read,
        quantities=quantities,
        cost=lambda s: (2, 2, 0.0),  # the losses at A and at the mean
    )
)
