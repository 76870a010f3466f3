"""Private mpmath contexts: precision is an argument, never global state.

Each call returns a fresh context, so nothing a computation does to its
precision leaks into mpmath's global ``mp`` or ``iv``.

>>> ctx = interval_context(30)
>>> third = exact(ctx, sympy.Rational(1, 3))
>>> lower(third) < sympy.Rational(1, 3) < upper(third)
True
"""

from __future__ import annotations

from typing import Any

import sympy
from mpmath.ctx_iv import MPIntervalContext
from mpmath.ctx_mp import MPContext
from mpmath.libmp import finf, fnan, fninf
from mpmath.libmp import to_rational as _raw_to_rational

from symcert.errors import Hint, SpecificationError
from symcert.limits import MAX_DPS, MAX_WORKING_DPS, MIN_DPS

__all__ = [
    "interval_context",
    "mp_context",
    "exact",
    "check_dps",
    "is_interval",
    "lower",
    "upper",
    "MIN_DPS",
    "MAX_DPS",
    "hull",
]


def check_dps(dps: object, maximum: int = MAX_DPS) -> int:
    """Validate a precision in decimal digits: a requested one (up to ``MAX_DPS``, the default)
    or, with ``maximum=MAX_WORKING_DPS``, a working one on the prover's escalation ladder."""
    if isinstance(dps, bool) or not isinstance(dps, int) or not MIN_DPS <= dps <= maximum:
        shown = f"{dps!r}" if not isinstance(dps, int) or abs(dps) < 10**30 else "a huge integer"
        raise SpecificationError(
            f"dps must be an integer from {MIN_DPS} to {maximum}, got {shown}",
            hint=Hint(
                "{dps} must be an integer from {low} to {high}, got {got}",
                low=MIN_DPS,
                high=maximum,
                got=shown,
            ),
        )
    return dps


def interval_context(dps: int) -> MPIntervalContext:
    """A fresh interval context (outward rounding) working at ``dps`` digits."""
    ctx = MPIntervalContext()
    ctx.dps = check_dps(dps, MAX_WORKING_DPS)
    return ctx


def mp_context(dps: int) -> MPContext:
    """A fresh mpmath context working at ``dps`` digits."""
    ctx = MPContext()
    ctx.dps = check_dps(dps, MAX_WORKING_DPS)
    return ctx


def is_interval(ctx: Any) -> bool:
    """True for an interval context (enclosures), False for a plain mpmath context."""
    return isinstance(ctx, MPIntervalContext)


def exact(ctx: Any, value: sympy.Rational) -> Any:
    """``value`` in ``ctx``: an enclosure in an interval context, a rounding otherwise."""
    value = sympy.Rational(value)
    return ctx.mpf(int(value.p)) / int(value.q)


def lower(enclosure: Any) -> sympy.Rational:
    """The exact lower endpoint of an mpmath interval, as a SymPy ``Rational``.

    Decisions compare these exact endpoints, so they do not depend on how a
    given mpmath version compares overlapping intervals.
    """
    return _endpoint(enclosure, 0)


def upper(enclosure: Any) -> sympy.Rational:
    """The exact upper endpoint of an mpmath interval, as a SymPy ``Rational``."""
    return _endpoint(enclosure, 1)


def _endpoint(enclosure: Any, which: int) -> sympy.Rational:
    raw = enclosure._mpi_[which]
    if raw in (finf, fninf, fnan):
        raise ArithmeticError("the enclosure is unbounded; raise the precision or shrink the inputs")
    p, q = _raw_to_rational(raw)
    return sympy.Rational(p, q)


def hull(ctx: Any, lo: Any, hi: Any) -> Any:
    """An interval of ``ctx`` containing the exact rationals ``lo <= hi`` (``Fraction`` or SymPy).

    >>> from fractions import Fraction
    >>> box = hull(interval_context(20), Fraction(1, 3), Fraction(1, 2))
    >>> lower(box) <= sympy.Rational(1, 3) and upper(box) >= sympy.Rational(1, 2)
    True
    """
    a = ctx.mpf(int(sympy.Rational(lo).p)) / int(sympy.Rational(lo).q)
    b = ctx.mpf(int(sympy.Rational(hi).p)) / int(sympy.Rational(hi).q)
    return ctx.mpf([a.a, b.b])
