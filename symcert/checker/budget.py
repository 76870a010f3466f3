"""The checker's cost estimate, decided from the parsed statement before any arithmetic.

:func:`estimate_seconds` bounds the time the checker will take (on the
project's reference machine, a 2-core x86-64) from what the statement says:
the multiply-adds of the linear layers (parameters x points x passes), the
elementwise functions (units x points x passes), the working precision of both
attempts (``dps + 20``, then ``2 dps + 40``) and the numbers read. Each
per-operation cost is a measured cost times a safety factor of about 2, and
``benchmarks/bench_checker.py`` prints the estimate next to the measured time
for a range of sizes to show that it stays an upper bound. A statement whose
estimate exceeds the budget (:data:`symcert.limits.MAX_CHECK_SECONDS` by
default) is refused before any arithmetic, with exit code 2.

>>> round(mac_seconds("arb", 50) * 1e9, 1), round(mac_seconds("mpmath", 50) * 1e6, 1)
(40.0, 12.0)
"""

from __future__ import annotations

from typing import Any

__all__ = ["estimate_seconds", "attempts", "mac_seconds", "element_seconds", "ARITHMETICS"]

ARITHMETICS = ("arb", "mpmath")
# Passes over the network per kind: chord evaluates A, B and M; orbit A and the mean; the segment kinds
# one jet pass, which costs about three value passes in products and ten in elementwise functions.
_PASSES = {"chord": (3, 3), "orbit": (2, 2), "curvature": (3, 10), "hessian": (3, 10), "critical": (3, 10)}


def attempts(dps: int) -> tuple[int, int]:
    """The two working precisions the checker tries, in digits."""
    base = max(dps, 30)
    return base + 20, 2 * base + 40


def mac_seconds(arithmetic: str, dps: int) -> float:
    """Seconds per multiply-add of a linear layer at ``dps`` digits (measured cost x about 2)."""
    scale = max(1.0, dps / 36.0)
    if arithmetic == "arb":
        return 4e-8 * scale**1.5
    return 12e-6 * scale**1.3


def element_seconds(arithmetic: str, dps: int) -> float:
    """Seconds per elementwise function (tanh, exp, a loss term) at ``dps`` digits."""
    scale = max(1.0, dps / 36.0)
    if arithmetic == "arb":
        return 6e-6 * scale**1.3
    return 150e-6 * scale**1.3


def estimate_seconds(statement: Any, arithmetic: str = "arb") -> float:
    """An upper bound of the checking time of ``statement`` with ``"arb"`` or ``"mpmath"`` arithmetic."""
    widths = statement.net.widths
    points = len(statement.xs)
    macs = sum(widths[l] * widths[l - 1] for l in range(1, len(widths))) * points
    elements = sum(widths[1:]) * points
    linear_passes, element_passes = _PASSES[statement.kind]
    params, _ = statement.size()
    numbers = 2 * params + points * (widths[0] + widths[-1])
    if statement.teacher_net is not None:
        t = statement.teacher_net.widths
        macs += sum(t[l] * t[l - 1] for l in range(1, len(t))) * points / linear_passes
        elements += sum(t[1:]) * points / element_passes
    total = 2e-6 * numbers  # exact conversions and combinations of the points, once per attempt
    for dps in attempts(statement.dps):
        total += linear_passes * macs * mac_seconds(arithmetic, dps)
        total += element_passes * elements * element_seconds(arithmetic, dps)
        total += 2e-6 * numbers
    return total + 0.05
