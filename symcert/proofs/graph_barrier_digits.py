r"""Tight values of a graph barrier on request: ``certify_graph_barrier(..., digits=N)``.

A first branch and bound at the asked ``tol`` rarely pins ``N`` significant digits. :func:`tighten`
runs it again with a tolerance under a quarter unit of the ``N``-th digit of the barrier (the heap then
splits the pieces near the maximum much further, and the witness ``t`` moves closer to it), first on the
usual rungs (verified float64, Arb where float64 does not bound) when ``N`` is within what float64 can
give, then on Arb balls alone at ``max(30, N + 20)`` digits, doubling, up to :data:`ATTEMPTS` times,
until the barrier and both end values ``L(A)``, ``L(B)`` pin ``N`` digits
(:func:`~symcert.numeric.rounding.pins_digits`; an enclosure containing 0 has none to pin and is not
waited for). ``max_seconds`` is the whole call's budget and ``max_pieces`` holds for every attempt: when
either ends it first, the result is the tightest rigorous enclosure found, ``stopped`` names the cap, and
the printers say how many digits it pins. Every attempt is a complete certificate of its own; ``status``
compares the final width with the caller's ``tol``.

>>> from fractions import Fraction
>>> from symcert.symbolic.graph import Activation, Dense, Graph, Node
>>> from symcert.numeric.graph import GraphLoss
>>> from symcert.proofs.graph_barrier import certify_graph_barrier
>>> from symcert.numeric.rounding import pins_digits
>>> g = Graph((1,), [Node("fc1", Dense(1)), Node("t", Activation("tanh")), Node("fc2", Dense(1))])
>>> loss = GraphLoss(g, [[1]], [[Fraction(1, 2)]], "sse")
>>> A = {"fc1.weight": [[1]], "fc1.bias": [0], "fc2.weight": [[1]], "fc2.bias": [0]}
>>> B = {"fc1.weight": [[-1]], "fc1.bias": [0], "fc2.weight": [[-1]], "fc2.bias": [0]}
>>> r = certify_graph_barrier(loss, A, B, tol=Fraction(1, 10), digits=8)
>>> pins_digits(r.lo, r.hi, 8), r.digits, r.stopped
(True, 8, '')
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from fractions import Fraction
from typing import TYPE_CHECKING

from symcert.numeric.rounding import pins_digits

if TYPE_CHECKING:
    from symcert.proofs.graph_barrier import GraphBarrierResult, _Oracle

__all__ = ["tighten", "pins", "ATTEMPTS", "FLOAT64_DIGITS"]

#: Attempts after the first branch and bound (the precision doubles from the second on).
ATTEMPTS = 4
#: Up to this many digits the first tightening keeps the verified float64 rung.
FLOAT64_DIGITS = 9

Search = Callable[["_Oracle", Fraction, float], "GraphBarrierResult"]


def pins(result: GraphBarrierResult, digits: int) -> bool:
    """True when the barrier and both end values pin ``digits`` significant digits (those containing 0
    have none to pin and are not waited for)."""
    found = ((result.lo, result.hi), result.LA, result.LB)
    return all(pins_digits(lo, hi, digits) for lo, hi in found if not lo <= 0 <= hi)


def tighten(
    result: GraphBarrierResult, digits: int, start: float, max_seconds: float, search: Search
) -> GraphBarrierResult:
    """Rerun ``search(oracle, tol, deadline)`` with narrower tolerances and higher rungs (module text)."""
    from symcert.proofs.graph_barrier import _Oracle

    tol, deadline = result.tol, start + max_seconds
    dps = max(30, digits + 20)
    float64 = digits <= FLOAT64_DIGITS
    for _ in range(ATTEMPTS):
        if pins(result, digits):
            break
        if time.perf_counter() > deadline:
            result = replace(result, stopped="max_seconds")
            break
        size = max(abs(result.lo), abs(result.hi))
        narrower = min(tol, size / 10**digits / 4) if size else tol
        oracle = _Oracle(result.loss, result.A, result.B, result.form, dps, float64=float64)
        found = search(oracle, narrower, deadline)
        if found.hi - found.lo <= result.hi - result.lo:
            result = found
        elif found.stopped:
            result = replace(result, stopped=found.stopped)
        if found.stopped:  # a cap, not the precision, ended it: more precision will not help
            break
        if not float64:
            dps *= 2
        float64 = False
    status = "proved" if result.hi - result.lo <= tol else "undecided"
    return replace(result, tol=tol, status=status, seconds=time.perf_counter() - start, digits=digits)
