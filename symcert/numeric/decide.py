"""Sign decisions on rigorous enclosures: the only way an inequality becomes "proved".

``decide`` evaluates an enclosure at increasing precision until it excludes
the boundary, comparing exact rational endpoints; otherwise it answers
"undecided" with the last enclosure.

>>> import sympy
>>> from symcert.numeric.contexts import exact
>>> third = lambda ctx: exact(ctx, sympy.Rational(1, 3)) - ctx.mpf(1) / 3
>>> decide(lambda ctx: exact(ctx, sympy.Rational(1, 3)) - 0.3, ">").status
'proved'
>>> decide(third, ">").status
'undecided'
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sympy

from symcert.errors import SpecificationError
from symcert.limits import MAX_WORKING_DPS
from symcert.numeric.contexts import check_dps, interval_context, lower, upper
from symcert.numeric.rounding import DIGITS, outward_interval, wanted_digits

__all__ = ["Decision", "decide", "status_of", "DEFAULT_LADDER"]

#: Precisions (decimal digits) tried in turn.
DEFAULT_LADDER = (50, 100, 200)

_RELATIONS = (">", "<", "!=")


@dataclass(frozen=True)
class Decision:
    """The outcome of comparing a quantity with 0 on a rigorous enclosure.

    ``status`` is "proved" (the enclosure lies strictly on the claimed side),
    "refuted" (it lies on the other side or on the boundary, so the claim is
    false) or "undecided". ``lower`` and ``upper`` are the exact endpoints of
    the last enclosure, computed at ``dps`` digits by the arithmetic ``rung``:
    ``"float64"`` (verified float64 intervals, recorded as 15 digits), ``"arb"``
    (Arb balls) or ``"mpmath"`` (mpmath intervals, the reference).
    """

    status: str
    relation: str
    lower: sympy.Rational
    upper: sympy.Rational
    dps: int
    rung: str = "mpmath"

    @property
    def proved(self) -> bool:
        """True when the claim was proved."""
        return self.status == "proved"

    def describe(self, name: str = "value", digits: int | None = None) -> str:
        """``value in [a, b] (at 50 digits): proved > 0``, for people: ``digits`` significant digits
        (default: those of an enclosing :func:`~symcert.numeric.rounding.wanting_digits`, else 6), the
        lower end rounded down and the upper end up, so the printed interval still encloses."""
        where = f"at {self.dps} digits" if self.rung != "float64" else "verified float64"
        wanted = wanted_digits() if digits is None else None
        bounds = outward_interval(self.lower, self.upper, digits or wanted or DIGITS, pad=bool(wanted))
        return f"{name} in {bounds} ({where}): {self.status} {self.relation} 0"


def decide(
    compute: Callable[[Any], Any],
    relation: str = ">",
    ladder: Sequence[int] = DEFAULT_LADDER,
) -> Decision:
    """Decide ``compute(ctx) <relation> 0`` with ``ctx`` an interval context, escalating precision.

    ``relation`` is ``">"``, ``"<"`` or ``"!="``. ``compute`` must return an
    enclosure (an mpmath interval) built from exact inputs.
    """
    if relation not in _RELATIONS:
        raise SpecificationError(f"relation must be one of {', '.join(_RELATIONS)}, got {relation!r}")
    if not ladder:
        raise SpecificationError("the precision ladder needs at least one entry")
    for dps in ladder:
        check_dps(dps, MAX_WORKING_DPS)  # before the loop below, which retries on ValueError
    decision = None
    for dps in ladder:
        try:
            enclosure = compute(interval_context(dps))
            lo, hi = lower(enclosure), upper(enclosure)
        except (ArithmeticError, ValueError):
            continue  # an unbounded enclosure at this precision: try more digits
        decision = Decision(status_of(relation, lo, hi), relation, lo, hi, dps)
        if decision.status != "undecided":
            return decision
    if decision is None:
        inf = sympy.oo
        return Decision("undecided", relation, -inf, inf, ladder[-1])
    return decision


def status_of(relation: str, lo: sympy.Rational, hi: sympy.Rational) -> str:
    """ "proved", "refuted" or "undecided" for ``value <relation> 0`` with ``lo <= value <= hi``."""
    if relation == ">":
        return "proved" if lo > 0 else "refuted" if hi <= 0 else "undecided"
    if relation == "<":
        return "proved" if hi < 0 else "refuted" if lo >= 0 else "undecided"
    if lo > 0 or hi < 0:
        return "proved"
    return "refuted" if lo == hi == 0 else "undecided"
