"""Rigorous bounds of the loss along a quadratic Bezier curve, on the engine.

The curve with control points ``P0, P1, P2`` is ``c(t) = (1-t)^2 P0 + 2t(1-t) P1 + t^2 P2``
(Garipov et al. 2018), with ``c'(t) = 2 (P1 - P0) + 2t D`` and ``D = P0 - 2 P1 + P2``. On a piece
``[t0, t1]`` with midpoint ``m`` and half-width ``h``, every point is
``c(m + s) = (c(m) - s^2 D) + s c'(m + s)`` for some ``|s| <= h``, so the piece lies in the centred
box ``(c(m) + R D) + S (c'(m) + 2 S D)`` with ``R = [-h^2, 0]``, ``S = [-h, h]``; evaluated with the
direction ``c'(m) + 2 S D`` (which contains ``c'(t)`` over the piece) the engine's jets enclose the
ranges of ``phi(t) = L(c(t))`` and ``phi'(t) = grad L(c(t)) . c'(t)`` over the piece. A piece's upper
bound of ``phi`` is the smaller of the range form and the two-sided mean-value form
(:func:`~symcert.numeric.barrier_bounds.two_sided` with no curvature term), as for a barrier; its
``claim`` widens the box enclosures (an eighth of ``phi``'s range, a quarter of ``phi'``'s) for the
checker's looser balls. A non-smooth activation gets the range form only.

>>> from fractions import Fraction
>>> from symcert import MLP, Dataset, Loss
>>> net = MLP((1, 1, 1), "tanh")
>>> loss = Loss(net, Dataset([[1]], [[0]]), "sse")
>>> A = net.point(W1=[[1]], b1=[0], W2=[[1]], b2=[0])
>>> bounds = CurveBounds(loss, A, A, A)
>>> piece = bounds.pieces([(Fraction(0), Fraction(1))])[0]
>>> lo, hi = bounds.phi(Fraction(1, 2))
>>> lo <= piece.own <= piece.claim and piece.own - hi < Fraction(1, 10**6)
True
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from symcert.numeric.barrier_bounds import PieceBound, two_sided
from symcert.numeric.engine.api import combine, jet_bounds, point_layout
from symcert.numeric.engine.backends import ArbBackend, F64Backend
from symcert.numeric.engine.layout import Exact, PointLayout
from symcert.numeric.engine.network import Weights, evaluate

__all__ = ["CurveBounds", "bezier_layout"]

Bounds = tuple[Fraction, Fraction]
_BIG = Fraction(10**30)


def bezier_layout(P0: PointLayout, P1: PointLayout, P2: PointLayout, t: Fraction) -> PointLayout:
    """The exact point ``c(t)`` of the quadratic Bezier curve with control points ``P0, P1, P2``."""
    t = Fraction(t)
    return combine(combine(P0, P1, 2 * t * (1 - t), (1 - t) ** 2), P2, t * t, Fraction(1))


class CurveBounds:
    """Certified values and piece bounds of ``phi(t) = L(c(t))`` along the Bezier curve ``P0, P1, P2``."""

    def __init__(self, loss: Any, P0: Any, P1: Any, P2: Any, dps: int = 30) -> None:
        self.loss = loss
        self._p = (point_layout(P0), point_layout(P1), point_layout(P2))
        p0, p1, p2 = self._p
        self._bend = combine(combine(p0, p1, Fraction(-2), Fraction(1)), p2, Fraction(1), Fraction(1))  # D
        self._pull = combine(p0, p1, Fraction(2), Fraction(-2))  # 2 (P1 - P0)
        self._rungs = (F64Backend(), ArbBackend(dps))
        self.smooth = bool(loss.mlp.activation.smooth)
        self.evaluations = 0
        self._jets: dict[Fraction, list[Bounds]] = {}

    def point(self, t: Fraction) -> PointLayout:
        """The exact layout of ``c(t)``."""
        return bezier_layout(*self._p, t)

    def velocity(self, t: Fraction) -> PointLayout:
        """The exact layout of ``c'(t)``."""
        return combine(self._pull, self._bend, 2 * Fraction(t), Fraction(1))

    def _ladder(self, compute: Any) -> Any:
        for bk in self._rungs:
            self.evaluations += 1
            try:
                return compute(bk)
            except (ArithmeticError, ValueError):
                continue
        return None

    def jets(self, t: Fraction) -> list[Bounds]:
        """Certified ``[phi(t), phi'(t)]`` at an exact ``t`` (``[phi(t)]`` for a non-smooth activation)."""
        t = Fraction(t)
        if t not in self._jets:
            order = 1 if self.smooth else 0
            found = self._ladder(
                lambda bk: jet_bounds(bk, self.loss, self.point(t), self.velocity(t), order)[: order + 1]
            )
            if found is None:
                raise ArithmeticError(f"no rung bounded the loss at t = {t} of the curve")
            self._jets[t] = found
        return self._jets[t]

    def phi(self, t: Fraction) -> Bounds:
        """Endpoints of ``phi(t)`` at an exact ``t``."""
        return self.jets(t)[0]

    @property
    def samples(self) -> dict[Fraction, Bounds]:
        """Every certified ``phi(t)`` computed so far (for figures)."""
        return {t: jets[0] for t, jets in sorted(self._jets.items())}

    def pieces(self, intervals: list[tuple[Fraction, Fraction]]) -> list[PieceBound]:
        """Upper bounds of ``phi`` on each sub-interval ``[t0, t1]`` of ``[0, 1]``."""
        return [self._piece(Fraction(a), Fraction(b)) for a, b in intervals]

    def _piece(self, t0: Fraction, t1: Fraction) -> PieceBound:
        ranges = self._ladder(lambda bk: self._ranges(bk, t0, t1))
        if ranges is None:  # nothing bounded the box: the piece must be split
            return PieceBound(t0, t1, _BIG, _BIG)
        (p_lo, p_hi), *slope = ranges
        own, claim = [p_hi], [p_hi + (p_hi - p_lo) / 8]
        if self.smooth:
            w = t1 - t0
            v0, v1 = self.jets(t0)[0], self.jets(t1)[0]
            D_lo, D_hi = slope[0]
            for widen, out in ((Fraction(0), own), (Fraction(1, 4), claim)):
                dw = widen * (D_hi - D_lo)
                out.append(two_sided(v0[1], D_hi + dw, v1[1], D_lo - dw, Fraction(0), w))
        return PieceBound(t0, t1, min(own), max(min(claim), min(own)))

    def _ranges(self, bk: Any, t0: Fraction, t1: Fraction) -> list[Bounds]:
        """Enclosures of the ranges of ``phi`` (and ``phi'``) over ``[t0, t1]`` (see the module)."""
        m, h = (t0 + t1) / 2, (t1 - t0) / 2
        centre, speed = self.point(m), self.velocity(m)
        order = 1 if self.smooth else 0
        with bk.active():
            R = _hull(bk, -h * h, Fraction(0))
            S = _hull(bk, -h, h)
            params, steps = [], []
            for c, v, d in zip(centre.layers, speed.layers, self._bend.layers):
                dW = bk.array(v.W) + (S * 2) * bk.array(d.W)
                db = None if v.b is None else (bk.array(v.b) + (S * 2) * bk.array(d.b))[None, :]
                W = bk.array(c.W) + R * bk.array(d.W)
                b = None if c.b is None else (bk.array(c.b) + R * bk.array(d.b))[None, :] + S * db
                params.append(Weights(W, b, None, (S, dW, None)))
                steps.append(Weights(dW, db))
            jets = evaluate(bk, self.loss, params, steps if order else None, order)
            return [
                bk.endpoints(jets[k]) if jets[k] is not None else (Fraction(0),) * 2 for k in range(order + 1)
            ]


def _hull(bk: Any, lo: Fraction, hi: Fraction) -> Any:
    """A backend enclosure of the exact interval ``[lo, hi]`` (a scalar)."""
    import numpy as np

    from symcert.numeric.engine.api import _hull as hull

    def scalar(v: Fraction) -> Exact:
        return Exact(np.array(v.numerator, dtype=object), v.denominator)

    return hull(bk, bk.array(scalar(lo)), bk.array(scalar(hi)))
