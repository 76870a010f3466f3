"""The checker's reference arithmetic: mpmath intervals, one scalar at a time (``arithmetic="mpmath"``).

:func:`compute` returns, for a :class:`~symcert.checker.statement.Statement`,
exact ``(lower, upper)`` endpoints of every quantity its kind names, evaluated
with outward rounding at ``dps`` digits. It is slow (about 5 us a multiply-add)
and serves as the cross-check of the Arb path (:mod:`symcert.checker.arb_engine`).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from mpmath.ctx_iv import MPIntervalContext
from mpmath.libmp import finf, fnan, fninf

from symcert.checker.arithmetic import Jet, loss_value
from symcert.checker.points import combine, orbit_mean
from symcert.checker.statement import SECOND_DIFFERENCE

__all__ = ["compute", "dyadic"]

#: Endpoints beyond 2^MAX_BITS (or below 2^-MAX_BITS in magnitude) leave the checker's range.
MAX_BITS = 200_000


def compute(statement: Any, dps: int) -> dict[str, tuple[Fraction, Fraction]]:
    """Enclosures of the statement's quantities, by mpmath intervals at ``dps`` digits."""
    ctx = MPIntervalContext()
    ctx.dps = dps
    s = statement
    ys = _targets(ctx, s)
    xs = [[_exact(ctx, v) for v in x] for x in s.xs]

    def loss(layers: list) -> Any:
        return loss_value(ctx, s.net, layers, s.loss_kind, s.decay, xs, ys, s.factor)

    if s.kind == "chord":
        middle = combine(s.A, s.B, Fraction(1, 2))
        la, lb, lm = (loss(_layers_in(ctx, p)) for p in (s.A, s.B, middle))
        return _bounds({"L(A)": la, "L(B)": lb, "L(M)": lm, "barrier": lm - (la + lb) / 2})
    if s.kind == "orbit":
        la, lm = loss(_layers_in(ctx, s.A)), loss(_layers_in(ctx, orbit_mean(s.A, s.layer)))
        return _bounds({"L(A)": la, "L(mean)": lm, "gap": lm - la})
    t = Fraction(1, 2) if s.kind == "hessian" else s.t0
    jet = loss(_segment_jets(ctx, s.A, s.B, t))
    if s.kind == "critical":
        return _bounds({"phi'(t0)": jet.c1})
    reduction = {}
    if s.h is not None:
        lp, lx, lq = (loss(_layers_in(ctx, combine(s.A, s.B, u))) for u in (t - s.h, t, t + s.h))
        reduction = {SECOND_DIFFERENCE: lp + lq - 2 * lx}
    return _bounds({"dHd" if s.kind == "hessian" else "phi''(t0)": 2 * jet.c2, **reduction})


def _targets(ctx: Any, s: Any) -> list:
    if s.teacher is None:
        return [[_exact(ctx, v) for v in y] for y in s.ys]
    layers = _layers_in(ctx, s.teacher)
    return [
        s.teacher_net.outputs(ctx, s.teacher_net.forward_z(ctx, layers, [_exact(ctx, v) for v in x]))
        for x in s.xs
    ]


def _exact(ctx: Any, value: Fraction) -> Any:
    return ctx.mpf(value.numerator) / value.denominator


def _layers_in(ctx: Any, layers: list) -> list:
    return [
        (
            [[_exact(ctx, w) for w in row] for row in weights],
            None if b is None else [_exact(ctx, v) for v in b],
        )
        for weights, b in layers
    ]


def _segment_jets(ctx: Any, a: list, b: list, t: Fraction) -> list:
    zero = ctx.mpf(0)

    def jet(u: Fraction, v: Fraction) -> Jet:
        return Jet(_exact(ctx, u + t * (v - u)), _exact(ctx, v - u), zero)

    return [
        (
            [[jet(u, v) for u, v in zip(ra, rb)] for ra, rb in zip(wa, wb)],
            None if ba is None else [jet(u, v) for u, v in zip(ba, bb)],
        )
        for (wa, ba), (wb, bb) in zip(a, b)
    ]


def dyadic(mantissa: int, exponent: int, name: str) -> Fraction:
    """``mantissa * 2^exponent`` exactly, refusing magnitudes outside ``2^(+-MAX_BITS)``."""
    if mantissa and not -MAX_BITS <= exponent + mantissa.bit_length() <= MAX_BITS:
        raise ArithmeticError(f"the enclosure of {name} leaves the checker's range (beyond 2^{MAX_BITS})")
    if exponent < -MAX_BITS - 10**5:
        raise ArithmeticError(f"the enclosure of {name} has an endpoint too fine to convert")
    return Fraction(mantissa * 2**exponent) if exponent >= 0 else Fraction(mantissa, 2**-exponent)


def _bounds(values: dict[str, Any]) -> dict[str, tuple[Fraction, Fraction]]:
    out = {}
    for name, enclosure in values.items():
        ends = []
        for raw in enclosure._mpi_:
            if raw in (finf, fninf, fnan):
                raise ArithmeticError(f"the enclosure of {name} is unbounded")
            sign, man, exp, _ = raw
            ends.append(dyadic(-man if sign else man, exp, name))
        out[name] = (ends[0], ends[1])
    return out
