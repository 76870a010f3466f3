"""Rigorous bounds of the barrier function ``g(t) = phi(t) - chord(t)`` on the engine, in batches.

``phi(t) = L((1 - t) A + t B)``; the chord is ``(1 - t) L(A) + t L(B)`` (``"entezari"``)
or ``(L(A) + L(B)) / 2`` (``"midpoint"``). :class:`BarrierBounds` keeps the certified jets
``phi(t), phi'(t)`` at every exact point it has seen (one stacked float64 pass for a whole
batch of points, Arb only where float64 does not bound them) and bounds ``g`` over many
sub-intervals ``[t0, t1]`` at once (one stacked pass over centred boxes, :func:`segment_ranges`).
On a piece of width ``w``, with ``c(t)`` the chord's lower end (linear in ``t``) and
``u(t) = phi(t) - c(t) >= g(t)``, the upper bound of ``g`` is the smallest of

- the range form ``sup phi([t0, t1]) - min(c(t0), c(t1))``;
- the two-sided mean-value form ``max_s min(u(t0) + D s, u(t1) - D' (w - s))`` with ``D >= u'``
  and ``D' <= u'`` over the piece (from ``phi'`` over the box);
- the two-sided Taylor form ``max_s min(u(t0) + u'(t0) s + M s^2/2, u(t1) - u'(t1)(w - s) + M (w - s)^2/2)``
  with ``M >= phi''`` over the piece; ``M`` may be negative near a maximum, which makes it tight.

Each is an upper bound of ``u`` at every ``s in [0, w]`` (Taylor's theorem with the remainder's
bound), and the maximum over ``s`` of the smaller of two quadratics with the same ``s^2``
coefficient is computed exactly (their difference is linear in ``s``: :func:`two_sided`).
For a non-smooth activation only the range form is used.

Each piece gets two numbers: ``own`` (the bound above) and ``claim``, the bound recomputed with
every box enclosure widened (``M`` by half its width, the ranges of ``phi`` and ``phi'`` by an
eighth and a quarter of theirs): an independent checker in Arb balls, looser than these float64
intervals on boxes, still finds its own bound below the claim.

>>> from fractions import Fraction
>>> from symcert import MLP, Dataset, Loss
>>> net = MLP((1, 1, 1), "tanh")
>>> loss = Loss(net, Dataset([[1]], [[0]]), "sse")
>>> A = net.point(W1=[[1]], b1=[0], W2=[[1]], b2=[0])
>>> bounds = BarrierBounds(loss, A, A, "entezari")
>>> piece = bounds.pieces([(Fraction(0), Fraction(1))])[0]
>>> piece.own < Fraction(1, 10**9) and piece.own <= piece.claim
True
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from symcert.numeric.engine.api import point_jets, point_layout, segment_ranges
from symcert.numeric.engine.backends import ArbBackend, F64Backend
from symcert.numeric.engine.path import SegmentPath, applies

__all__ = ["BarrierBounds", "PieceBound", "FORMS", "two_sided"]

FORMS = ("entezari", "midpoint")
Bounds = tuple[Fraction, Fraction]
#: Largest number of (pieces x entries of the widest layer's arrays) in one stacked float64 pass.
BATCH_ENTRIES = 2_000_000
#: From this many entries of the widest layer's arrays (points x units) a problem is ``large``.
LARGE_ENTRIES = 10_000


@dataclass(frozen=True)
class PieceBound:
    """An upper bound of ``g`` on ``[t0, t1]``: ``own`` (tightest) and ``claim`` (for certificates)."""

    t0: Fraction
    t1: Fraction
    own: Fraction
    claim: Fraction


def _quadratic_max(c0: Fraction, c1: Fraction, c2: Fraction, a: Fraction, b: Fraction) -> Fraction:
    """``max_{a <= s <= b} c0 + c1 s + c2 s^2`` (exact)."""
    best = max(c0 + c1 * a + c2 * a * a, c0 + c1 * b + c2 * b * b)
    if c2 < 0:
        vertex = -c1 / (2 * c2)
        if a < vertex < b:
            best = max(best, c0 + c1 * vertex + c2 * vertex * vertex)
    return best


def two_sided(G0: Fraction, P0: Fraction, G1: Fraction, P1: Fraction, M: Fraction, w: Fraction) -> Fraction:
    """``max_{0 <= s <= w} min(G0 + P0 s + M s^2/2, G1 - P1 (w - s) + M (w - s)^2/2)``, exactly.

    >>> F = Fraction
    >>> two_sided(F(0), F(1), F(0), F(-1), F(0), F(2))   # min(s, 2 - s): a tent of height 1
    Fraction(1, 1)
    >>> two_sided(F(0), F(0), F(0), F(0), F(-2), F(1))   # -s^2 and -(1 - s)^2 cross at s = 1/2
    Fraction(-1, 4)
    """
    # Q0(s) = G0 + P0 s + M/2 s^2, Q1(s) = (G1 - P1 w + M w^2/2) + (P1 - M w) s + M/2 s^2.
    q1 = (G1 - P1 * w + M * w * w / 2, P1 - M * w)
    alpha, beta = G0 - q1[0], P0 - q1[1]  # Q0 - Q1 = alpha + beta s
    zero = Fraction(0)
    if beta == 0:
        c0, c1 = (G0, P0) if alpha <= 0 else q1
        return _quadratic_max(c0, c1, M / 2, zero, w)
    cross = min(max(-alpha / beta, zero), w)
    # Q0 is the smaller where alpha + beta s <= 0
    q0_side = (zero, cross) if beta > 0 else (cross, w)
    q1_side = (cross, w) if beta > 0 else (zero, cross)
    return max(_quadratic_max(G0, P0, M / 2, *q0_side), _quadratic_max(*q1, M / 2, *q1_side))


class BarrierBounds:
    """Bounds of ``g`` along the segment from ``A`` to ``B`` (exact points of ``loss.mlp``)."""

    def __init__(self, loss: Any, A: Any, B: Any, form: str, dps: int = 30, float64: bool = True) -> None:
        self.loss, self.A, self.B, self.form = loss, A, B, form
        self._la, self._lb = point_layout(A), point_layout(B)
        # float64=False: Arb balls only, for enclosures tighter than float64 can give (--digits)
        self._rungs = (F64Backend(), ArbBackend(dps)) if float64 else (ArbBackend(dps),)
        self.smooth = bool(loss.mlp.activation.smooth)
        self._order = 1 if self.smooth else 0
        self.evaluations = 0
        self._jets: dict[Fraction, list[Bounds]] = {}
        # float64 with the data in one chunk: the first layer's two products once (engine.path)
        self._path = SegmentPath(loss, self._la, self._lb) if float64 and applies(loss) else None
        widest = max(loss.mlp.widths) * loss.data.n_points
        self._batch = max(1, BATCH_ENTRIES // max(widest, loss.mlp.n_parameters, 1))
        #: A pass costs far more than its Python overhead here (branch and bound skips coarse levels).
        self.large = widest >= LARGE_ENTRIES
        self.jets([Fraction(0), Fraction(1)])
        self.LA, self.LB = self._jets[Fraction(0)][0], self._jets[Fraction(1)][0]

    @property
    def samples(self) -> dict[Fraction, Bounds]:
        """Every certified ``phi(t)`` computed so far (for figures)."""
        return {t: jets[0] for t, jets in sorted(self._jets.items())}

    def _batched(self, compute: Any, items: list) -> list:
        """``compute(bk, chunk)`` over ``items``: float64 in stacked chunks, then item by item on each
        rung for a chunk float64 did not bound; ``None`` for an item no rung bounds."""
        out: list = []
        for start in range(0, len(items), self._batch):
            chunk = items[start : start + self._batch]
            self.evaluations += 1
            try:
                out.extend(compute(self._rungs[0], chunk))
                continue
            except (ArithmeticError, ValueError):
                pass
            for item in chunk:
                found = None
                for bk in self._rungs:
                    self.evaluations += 1
                    try:
                        found = compute(bk, [item])[0]
                        break
                    except (ArithmeticError, ValueError):
                        continue
                out.append(found)
        return out

    def jets(self, ts: list[Fraction]) -> list[list[Bounds]]:
        """Certified ``[phi(t), phi'(t)]`` (``[phi(t)]`` for a non-smooth activation) at exact points."""
        todo = sorted({Fraction(t) for t in ts} - set(self._jets))
        found = self._batched(self._point_jets, todo)
        for t, jets in zip(todo, found):
            if jets is None:
                raise ArithmeticError(f"no rung bounded phi at t = {t}")
            self._jets[t] = jets
        return [self._jets[Fraction(t)] for t in ts]

    def chord(self, t: Fraction) -> Bounds:
        """Exact endpoints of the chord at ``t``."""
        if self.form == "midpoint":
            return (self.LA[0] + self.LB[0]) / 2, (self.LA[1] + self.LB[1]) / 2
        return (1 - t) * self.LA[0] + t * self.LB[0], (1 - t) * self.LA[1] + t * self.LB[1]

    def phi(self, t: Fraction) -> Bounds:
        """Endpoints of ``phi(t)`` at an exact ``t``."""
        return self.jets([t])[0][0]

    def centre(self, t: Fraction) -> Fraction:
        """The midpoint of the enclosure of ``g(t)`` at a point already computed (to choose partitions)."""
        (lo, hi), chord = self._jets[t][0], self.chord(t)
        return (lo + hi - chord[0] - chord[1]) / 2

    def lower(self, t: Fraction) -> Fraction:
        """A lower bound of ``g(t)`` at the exact point ``t``."""
        return self.phi(t)[0] - self.chord(t)[1]

    def pieces(self, intervals: list[tuple[Fraction, Fraction]]) -> list[PieceBound]:
        """Upper bounds of ``g`` on each sub-interval (its endpoints' jets are computed as needed)."""
        intervals = [(Fraction(a), Fraction(b)) for a, b in intervals]
        self.jets([t for piece in intervals for t in piece])
        order = 2 if self.smooth else 0
        ranges = self._batched(lambda bk, chunk: self._ranges(bk, chunk, order), intervals)
        return [self._bound(a, b, r) for (a, b), r in zip(intervals, ranges)]

    def _point_jets(self, bk: Any, ts: list[Fraction]) -> list[list[Bounds]]:
        if self._path is not None and bk.name == "float64":
            return self._path.point_jets(ts, self._order)
        return point_jets(bk, self.loss, self._la, self._lb, ts, self._order)

    def _ranges(self, bk: Any, intervals: list[tuple[Fraction, Fraction]], order: int) -> list[list[Bounds]]:
        if self._path is not None and bk.name == "float64":
            return self._path.ranges(intervals, order)
        return segment_ranges(bk, self.loss, self._la, self._lb, intervals, order)

    def _bound(self, t0: Fraction, t1: Fraction, ranges: list[Bounds] | None) -> PieceBound:
        if ranges is None:  # no rung bounded the box: no information, the piece must be split
            big = Fraction(10**30)
            return PieceBound(t0, t1, big, big)
        low = self.chord(t0)[0], self.chord(t1)[0]
        (p_lo, p_hi), *derivatives = ranges
        own = [p_hi - min(low)]
        claim = [p_hi + (p_hi - p_lo) / 8 - min(low)]
        if self.smooth:
            w = t1 - t0
            (j0, d0), (j1, d1) = self._jets[t0], self._jets[t1]
            rise = Fraction(0) if self.form == "midpoint" else (low[1] - low[0]) / w  # c'(t), exact
            G0, G1 = j0[1] - low[0], j1[1] - low[1]
            (D_lo, D_hi), (M_lo, M_hi) = derivatives
            for widen, out in ((Fraction(0), own), (Fraction(1), claim)):
                dw, mw = widen * (D_hi - D_lo) / 4, widen * (M_hi - M_lo) / 2
                out.append(two_sided(G0, D_hi + dw - rise, G1, D_lo - dw - rise, Fraction(0), w))
                out.append(two_sided(G0, d0[1] - rise, G1, d1[0] - rise, M_hi + mw, w))
        return PieceBound(t0, t1, min(own), max(min(claim), min(own)))
