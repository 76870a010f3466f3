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

Tight values on request: inside :func:`wanting_digits`, a decision does not stop at the first rung
that decides; it climbs on (past the ladder if need be, doubling the precision up to
:data:`~symcert.limits.MAX_WORKING_DPS`) until every enclosure that excludes 0 pins that many
significant digits (:func:`~symcert.numeric.rounding.pins_digits`). The enclosures of successive
rungs are intersected (each is rigorous, so their intersection is too).

>>> def third(bk):  # 1/3 within 10^-12 on float64, within 10^-dps on Arb
...     err = Fraction(1, 10**12) if bk.name == "float64" else Fraction(1, 10**bk.dps)
...     return {"x": (Fraction(1, 3) - err, Fraction(1, 3) + err)}
>>> decide_on_rungs(third, "x", ">", (30,))[0].rung
'float64'
>>> with wanting_digits(20):
...     decision, found = decide_on_rungs(third, "x", ">", (30,))
>>> decision.rung, decision.dps, found["x"][1] - found["x"][0] < sympy.Rational(1, 10**29)
('arb', 30, True)
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
from symcert.numeric.rounding import check_digits, pins_digits, wanted_digits, wanting_digits

__all__ = [
    "decide_on_rungs",
    "rungs",
    "to_sympy",
    "outward",
    "wanting_digits",
    "wanted_digits",
    "pinned",
    "check_digits",
]

Bounds = tuple[Fraction, Fraction]


def pinned(found: dict[str, tuple[Any, Any]], digits: int) -> bool:
    """True when every enclosure in ``found`` that excludes 0 pins ``digits`` significant digits."""
    return all(pins_digits(lo, hi, digits) for lo, hi in found.values() if not lo <= 0 <= hi)


def _climb(ladder: Sequence[int], digits: int | None) -> list[int]:
    """The ladder, extended for ``digits`` by doubling up to about ``2 digits + 20`` (a cap, not a goal)."""
    out = list(ladder)
    if digits is None:
        return out
    top = min(MAX_WORKING_DPS, 2 * digits + 20)
    while out[-1] < top:
        out.append(min(2 * out[-1], MAX_WORKING_DPS))
    return out


def _intersect(old: dict, new: dict) -> dict:
    """Name by name, the intersection of two rigorous enclosures (a name in one only: as it is).

    Two rigorous enclosures of one value always meet; disjoint ones mean a rung is not rigorous,
    which is an internal error, never a reason to keep one of them.
    """
    out = dict(new)
    for name, (lo, hi) in new.items():
        if name in old:
            both = max(lo, old[name][0]), min(hi, old[name][1])
            if both[0] > both[1]:
                raise RuntimeError(
                    f"internal error: two rungs gave disjoint enclosures of {name}, "
                    f"{list(old[name])} and {[lo, hi]}; one of them is not rigorous"
                )
            out[name] = both
    return out


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
    digits = wanted_digits()
    decision = None
    found: dict[str, tuple[sympy.Rational, sympy.Rational]] = {}
    for bk in rungs(_climb(ladder, digits), float64):
        try:
            named = compute(bk)
        except SymcertError:
            raise  # a problem with the input (e.g. derivatives of ReLU), not with the arithmetic
        except (ArithmeticError, ValueError):
            continue  # unbounded or NaN at this rung: the next one
        bits = 3 * getattr(bk, "prec", 53)
        new = {k: tuple(map(to_sympy, outward(a, b, bits))) for k, (a, b) in named.items()}
        decided = decision is not None and decision.status != "undecided"
        found = _intersect(found, new) if decided else new  # climbing for digits: keep what is known
        slo, shi = found[quantity]
        decision = Decision(status_of(relation, slo, shi), relation, slo, shi, bk.dps, bk.name)
        if decision.status != "undecided" and (digits is None or pinned(found, digits)):
            return decision, found
    if decision is None:
        return Decision("undecided", relation, -sympy.oo, sympy.oo, ladder[-1], "arb"), {}
    return decision, found
