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
from symcert.checker.packed import exact_point
from symcert.checker.reading import MAX_BITS, dyadic  # here since Arb needs them without mpmath

__all__ = ["compute", "dyadic", "MAX_BITS"]


def compute(statement: Any, dps: int) -> dict[str, tuple[Fraction, Fraction]]:
    """Enclosures of the statement's quantities, by mpmath intervals at ``dps`` digits (as its kind says)."""
    return statement.spec.quantities(Evaluation(statement, dps), statement)


class Evaluation:
    """What a kind computes its quantities from: mpmath intervals at ``dps`` digits (one point at a time)."""

    def __init__(self, statement: Any, dps: int) -> None:
        self.ctx = MPIntervalContext()
        self.ctx.dps = dps
        self.s = statement
        self.ys = _targets(self.ctx, statement)
        self.xs = [[_exact(self.ctx, v) for v in x] for x in statement.xs]

    def _loss(self, layers: list) -> Any:
        s = self.s
        return loss_value(self.ctx, s.net, layers, s.loss_kind, s.decay, self.xs, self.ys, s.factor)

    def losses(self, points: list) -> list:
        """The loss at each exact point (layers of ``Fraction``; packed arrays are converted)."""
        return [self._loss(_layers_in(self.ctx, exact_point(p))) for p in points]

    def jet(self, A: list, B: list, t: Fraction) -> tuple:
        """``(phi, phi', phi''/2)`` at ``t`` for ``phi(u) = L(A + u(B - A))``."""
        jet = self._loss(_segment_jets(self.ctx, A, B, t))
        return jet.c0, jet.c1, jet.c2

    def bounds(self, values: dict[str, Any]) -> dict[str, tuple[Fraction, Fraction]]:
        """Exact endpoints of each interval."""
        return _bounds(values)


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
