"""Decisions on the engine: the cheapest rung first, escalating only while undecided.

Rungs, in order: verified float64 (:class:`~.backends.F64Backend`), then Arb balls at
each precision of the ladder (``dps``, then more). The first rung whose enclosure
lies strictly on one side decides; the :class:`~symcert.numeric.decide.Decision`
records the rung and its precision, and every named enclosure computed by that rung
is returned with it, so a certificate never recomputes them. A quantity whose true
value is 0 is never "proved": no enclosure of 0 excludes 0.

>>> from fractions import Fraction
>>> decision, found = decide_on_rungs(lambda bk: {"x": (Fraction(1, 3), Fraction(1, 2))}, "x", ">", (50,))
>>> decision.status, decision.rung, 0 < found["x"][0] <= sympy.Rational(1, 3)
('proved', 'float64', True)
>>> decide_on_rungs(lambda bk: {"x": (Fraction(-1), Fraction(1))}, "x", ">", (20, 40))[0].rung
'arb'
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import sympy

from symcert.errors import SpecificationError, SymcertError
from symcert.limits import MAX_WORKING_DPS
from symcert.numeric.contexts import check_dps
from symcert.numeric.decide import Decision, status_of
from symcert.numeric.engine.backends import ArbBackend, F64Backend

__all__ = ["decide_on_rungs", "rungs", "to_sympy", "outward"]

Bounds = tuple[Fraction, Fraction]


def rungs(ladder: Sequence[int], float64: bool = True) -> list[Any]:
    """The backends tried in turn: float64 (unless ``float64=False``), then Arb at each ``dps``."""
    for dps in ladder:
        check_dps(dps, MAX_WORKING_DPS)  # a working precision: up to 4 times the largest requested one
    return ([F64Backend()] if float64 else []) + [ArbBackend(dps) for dps in ladder]


def to_sympy(value: Fraction) -> sympy.Rational:
    """A ``Fraction`` as a SymPy ``Rational`` (exact)."""
    return sympy.Rational(value.numerator, value.denominator)


def outward(lo: Fraction, hi: Fraction, bits: int) -> tuple[Fraction, Fraction]:
    """``[lo, hi]`` widened to the grid ``2^-bits``: short exact endpoints for certificates.

    >>> outward(Fraction(1, 3), Fraction(1, 2), 4)
    (Fraction(5, 16), Fraction(1, 2))
    """
    scale = 2**bits
    return (
        Fraction(math.floor(lo * scale), scale),
        Fraction(-math.floor(-hi * scale), scale),
    )


def decide_on_rungs(
    compute: Callable[[Any], dict[str, Bounds]],
    quantity: str,
    relation: str,
    ladder: Sequence[int],
    float64: bool = True,
) -> tuple[Decision, dict[str, tuple[sympy.Rational, sympy.Rational]]]:
    """Decide ``quantity <relation> 0`` with ``compute(backend)``, climbing the rungs.

    ``compute`` returns named exact enclosures, among them ``quantity``. Returns the
    decision and the enclosures of the rung that decided (or of the last rung that
    computed finite ones; ``{}`` if none did).
    """
    if relation not in (">", "<", "!="):
        raise SpecificationError(f"relation must be one of >, <, !=, got {relation!r}")
    if not ladder:
        raise SpecificationError("the precision ladder needs at least one entry")
    decision, found = None, {}
    for bk in rungs(ladder, float64):
        try:
            named = compute(bk)
        except SymcertError:
            raise  # a problem with the input (e.g. derivatives of ReLU), not with the arithmetic
        except (ArithmeticError, ValueError):
            continue  # unbounded or NaN at this rung: the next one
        bits = 3 * getattr(bk, "prec", 53)
        found = {k: tuple(map(to_sympy, outward(a, b, bits))) for k, (a, b) in named.items()}
        slo, shi = found[quantity]
        decision = Decision(status_of(relation, slo, shi), relation, slo, shi, bk.dps, bk.name)
        if decision.status != "undecided":
            return decision, found
    if decision is None:
        return Decision("undecided", relation, -sympy.oo, sympy.oo, ladder[-1], "arb"), {}
    return decision, found
