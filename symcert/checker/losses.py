"""The loss kinds the checker reads, stated once for the checker (which shares nothing with the prover).

For each kind: the output activation it needs (None: any), what the data term is divided by,
and whether it is a sum of squares (``>= 0``, and 0 exactly where the outputs fit the targets).
The formulas themselves are the certificate schema's, in :mod:`.arithmetic` and :mod:`.arb_engine`.

>>> scale("mse", 5, 2, Fraction(1, 2))
Fraction(1, 20)
>>> NEEDS["bce"], "sse" in SQUARES
('sigmoid', True)
"""

from __future__ import annotations

from fractions import Fraction

__all__ = ["NEEDS", "SQUARES", "scale"]

#: The loss kinds of the schema and the output activation each needs (None: any output).
NEEDS: dict[str, str | None] = {"mse": None, "sse": None, "bce": "sigmoid", "cross_entropy": "softmax"}
#: The kinds that are sums of squares.
SQUARES = ("mse", "sse")


def scale(kind: str, n_points: int, n_outputs: int, factor: Fraction) -> Fraction:
    """The factor in front of the sum over data points: ``factor / (N m)`` (mse), ``factor`` (sse),
    ``factor / N`` (bce, cross_entropy)."""
    base = {"mse": Fraction(1, n_points * n_outputs), "sse": Fraction(1)}.get(kind, Fraction(1, n_points))
    return base * factor
