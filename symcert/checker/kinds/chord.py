"""``chord``: ``L((A+B)/2) - (L(A) + L(B))/2 > 0``, the midpoint above the chord."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from symcert.checker.kind import Kind, register
from symcert.checker.points import combine


def quantities(evaluation: Any, s: Any) -> dict:
    """``L(A)``, ``L(B)``, ``L(M)`` and the midpoint's gap above the chord.

    The points are taken as read (``s.layers``): packed arrays stay integers, and so does their
    midpoint, which the verified float64 rung reads as they are; Arb and mpmath convert them to ``Fraction``.
    """
    A, B = s.layers("A"), s.layers("B")
    la, lb, lm = evaluation.losses([A, B, combine(A, B, Fraction(1, 2))])
    return evaluation.bounds({"L(A)": la, "L(B)": lb, "L(M)": lm, "barrier": lm - (la + lb) / 2})


KIND = register(
    Kind(
        "chord",
        "barrier",
        ">",
        "L((A+B)/2) - (L(A) + L(B))/2 > 0: the midpoint lies above the chord",
        ("L(A)", "L(B)", "L(M)", "barrier"),
        quantities=quantities,
        cost=lambda s: (3, 3, 0.0),  # the losses at A, B and M
    )
)
