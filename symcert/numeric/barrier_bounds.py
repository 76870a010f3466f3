"""Rigorous bounds of the barrier function ``g(t) = phi(t) - chord(t)`` on the engine.

``phi(t) = L((1 - t) A + t B)``; the chord is ``(1 - t) L(A) + t L(B)`` (``"entezari"``)
or ``(L(A) + L(B)) / 2`` (``"midpoint"``). :class:`BarrierBounds` gives exact
``Fraction`` endpoints: an upper bound of ``g`` over a sub-interval of ``t`` (for a
smooth activation the smallest of: the range enclosure of ``phi`` and the mean-value form
``phi(m) + phi'([t0, t1]) [t0 - m, t1 - m]``, each minus the chord's lower bound, and the
second-order form ``g(m) + g'(m) s + max(phi''([t0, t1]), 0) s^2 / 2`` for
``|s| <= (t1 - t0) / 2``; otherwise the range enclosure alone), and
a lower bound of ``g`` at an exact point. Float64 first; Arb when float64 overflows.

>>> from fractions import Fraction
>>> from symcert import MLP, Dataset, Loss
>>> net = MLP((1, 1, 1), "tanh")
>>> loss = Loss(net, Dataset([[1]], [[0]]), "sse")
>>> A = net.point(W1=[[1]], b1=[0], W2=[[1]], b2=[0])
>>> bounds = BarrierBounds(loss, A, A, "entezari")
>>> bounds.upper(Fraction(0), Fraction(1)) < Fraction(1, 10**9)
True
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from symcert.numeric.engine.api import _hull, _scalar, jet_bounds, loss_bounds, point_layout, segment_range
from symcert.numeric.engine.backends import ArbBackend, F64Backend
from symcert.numeric.engine.layout import combine
from symcert.numeric.engine.network import Weights, evaluate, weights_of

__all__ = ["BarrierBounds", "FORMS"]

FORMS = ("entezari", "midpoint")
Bounds = tuple[Fraction, Fraction]


class BarrierBounds:
    """Bounds of ``g`` along the segment from ``A`` to ``B`` (exact points of ``loss.mlp``)."""

    def __init__(self, loss: Any, A: Any, B: Any, form: str, dps: int = 30) -> None:
        self.loss, self.A, self.B, self.form = loss, A, B, form
        self._la, self._lb = point_layout(A), point_layout(B)
        self._direction = combine(self._la, self._lb, Fraction(1), Fraction(-1))
        self._rungs = (F64Backend(), ArbBackend(dps))
        self.LA = self._run(lambda bk: loss_bounds(bk, loss, self._la))
        self.LB = self._run(lambda bk: loss_bounds(bk, loss, self._lb))
        self.evaluations = 0
        self.samples: dict[Fraction, Bounds] = {}  # every certified phi(t) computed, for pictures

    def _run(self, compute: Any, balls: bool = False) -> Any:
        error: Exception | None = None
        for bk in self._rungs[1:] if balls else self._rungs:
            try:
                return compute(bk)
            except (ArithmeticError, ValueError) as exc:
                error = exc
        raise ArithmeticError(f"no rung bounded the quantity: {error}")

    def chord(self, t: Fraction) -> Bounds:
        """Exact endpoints of the chord at ``t``."""
        if self.form == "midpoint":
            return (self.LA[0] + self.LB[0]) / 2, (self.LA[1] + self.LB[1]) / 2
        return (1 - t) * self.LA[0] + t * self.LB[0], (1 - t) * self.LA[1] + t * self.LB[1]

    def phi(self, t: Fraction) -> Bounds:
        """Endpoints of ``phi(t)`` at an exact ``t``."""
        self.evaluations += 1
        layout = combine(self._la, self._lb, Fraction(t))
        found = self._run(lambda bk: loss_bounds(bk, self.loss, layout))
        self.samples[Fraction(t)] = found
        return found

    def lower(self, t: Fraction) -> Fraction:
        """A lower bound of ``g(t)`` at the exact point ``t``."""
        return self.phi(t)[0] - self.chord(t)[1]

    def upper(self, t0: Fraction, t1: Fraction, balls: bool = False) -> Fraction:
        """An upper bound of ``g`` over ``[t0, t1]``.

        With ``balls=True`` it is computed in Arb balls (as an independent checker does), which are
        looser than float64 intervals on wide pieces: certificates claim the larger of the two.
        """
        self.evaluations += 1
        chord_low = min(self.chord(t0)[0], self.chord(t1)[0])
        if not self.loss.mlp.activation.smooth:  # no derivatives: the range enclosure alone
            return self._run(lambda bk: self._value_range(bk, t0, t1), balls)[1] - chord_low
        ranges = self._run(lambda bk: segment_range(bk, self.loss, self.A, self.B, t0, t1), balls)
        (_, phi_hi), (d_lo, d_hi), (_, dd_hi) = ranges
        m = (t0 + t1) / 2
        half = (t1 - t0) / 2
        layout = combine(self._la, self._lb, m)
        (v_lo, v_hi), (s_lo, s_hi) = self._run(
            lambda bk: jet_bounds(bk, self.loss, layout, self._direction, order=1), balls
        )
        self.samples[m] = (v_lo, v_hi)
        mean_value = v_hi + half * max(abs(d_lo), abs(d_hi)) - chord_low
        # Taylor to second order for g = phi - chord: g(m) + g'(m) s + phi''(xi) s^2 / 2, |s| <= half
        c_lo = self.chord(m)[0]
        rise = (0, 0) if self.form == "midpoint" else (self.LB[0] - self.LA[1], self.LB[1] - self.LA[0])
        slope = max(abs(s_lo - rise[1]), abs(s_hi - rise[0]))
        taylor = v_hi - c_lo + half * slope + max(dd_hi, Fraction(0)) * half * half / 2
        return min(phi_hi - chord_low, mean_value, taylor)

    def _value_range(self, bk: Any, t0: Fraction, t1: Fraction) -> Bounds:
        """An enclosure of the range of ``phi`` over ``[t0, t1]`` (values only, any activation)."""
        direction = combine(self._la, self._lb, Fraction(1), Fraction(-1))
        with bk.active():
            T = _hull(bk, bk.array(_scalar(t0)), bk.array(_scalar(t1)))
            base, step = weights_of(bk, self._la), weights_of(bk, direction)
            params = [
                Weights(a.W + s.W * T, None if a.b is None else a.b + s.b * T) for a, s in zip(base, step)
            ]
            return bk.endpoints(evaluate(bk, self.loss, params)[0])
