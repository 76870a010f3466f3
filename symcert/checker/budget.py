"""The checker's cost estimate, decided from the parsed statement before any arithmetic.

:func:`estimate_seconds` bounds the time the checker will take (on the
project's reference machine, a 2-core x86-64) from what the statement says:
the multiply-adds of the linear layers (parameters x points x passes), the
elementwise functions (units x points x passes), the working precision of the
attempts (``dps + 20``, then ``2 dps + 40`` if the first does not decide and the
budget allows it) and the numbers read. Each per-operation cost is a measured
cost times a safety factor of 1.5 to 3, and
``benchmarks/bench_checker.py`` prints the estimate next to the measured time
for a range of sizes to show that it stays an upper bound. A statement whose
estimate exceeds the budget (:data:`symcert.limits.MAX_CHECK_SECONDS` by
default) is refused before any arithmetic, with exit code 2.

>>> round(mac_seconds("arb", 70) * 1e9, 1), round(mac_seconds("arb", 140) * 1e9, 1)
(60.0, 147.7)
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "estimate_seconds",
    "plan",
    "attempts",
    "attempt_seconds",
    "mac_seconds",
    "element_seconds",
    "ARITHMETICS",
]

ARITHMETICS = ("arb", "mpmath")


def attempts(dps: int) -> tuple[int, int]:
    """The two working precisions the checker may try, in digits."""
    base = max(dps, 30)
    return base + 20, 2 * base + 40


def mac_seconds(arithmetic: str, dps: int) -> float:
    """Seconds per multiply-add of a linear layer at ``dps`` digits (measured cost x about 1.5 to 3)."""
    if arithmetic == "arb":
        return 6e-8 * max(1.0, dps / 70.0) ** 1.3
    return 12e-6 * max(1.0, dps / 36.0) ** 1.3


def element_seconds(arithmetic: str, dps: int) -> float:
    """Seconds per elementwise function (tanh, exp, a loss term) at ``dps`` digits."""
    if arithmetic == "arb":
        return 4e-6 * max(1.0, dps / 70.0) ** 1.3
    return 150e-6 * max(1.0, dps / 36.0) ** 1.3


def attempt_seconds(statement: Any, arithmetic: str, dps: int) -> float:
    """An upper bound of one evaluation of the statement's quantities at ``dps`` digits."""
    widths = statement.net.widths
    points = len(statement.xs)
    macs = sum(widths[l] * widths[l - 1] for l in range(1, len(widths))) * points
    elements = sum(widths[1:]) * points
    linear_passes, element_passes, overhead = statement.spec.cost(statement)  # the kind's passes
    macs, elements = macs * linear_passes, elements * element_passes
    if statement.teacher_net is not None:
        t = statement.teacher_net.widths
        macs += sum(t[l] * t[l - 1] for l in range(1, len(t))) * points
        elements += sum(t[1:]) * points
    return (
        overhead
        + macs * mac_seconds(arithmetic, dps)
        + elements * element_seconds(arithmetic, dps)
        + 2e-6 * _numbers(statement)
    )


def _numbers(statement: Any) -> int:
    widths = statement.net.widths
    params, points = statement.size()
    return 3 * params + points * (widths[0] + widths[-1])


def plan(statement: Any, arithmetic: str, budget: float) -> tuple[tuple[int, ...], float]:
    """The working precisions the checker will try, and an upper bound of the whole checking time.

    The first precision is always tried; the second (tried only when the first does not decide) is
    planned only when the budget allows both. Reading the file is counted too (6 us a number).
    """
    first, second = attempts(statement.dps)
    reading = 6e-6 * _numbers(statement) + 0.05
    one = reading + attempt_seconds(statement, arithmetic, first)
    both = one + attempt_seconds(statement, arithmetic, second)
    return ((first, second), both) if both <= budget else ((first,), one)


def estimate_seconds(statement: Any, arithmetic: str = "arb", budget: float = float("inf")) -> float:
    """An upper bound of the checking time of ``statement`` with ``"arb"`` or ``"mpmath"`` arithmetic."""
    return plan(statement, arithmetic, budget)[1]
