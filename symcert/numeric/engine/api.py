"""What the engine computes, in exact terms: endpoints at points, along segments and over boxes.

Every function takes a backend (:class:`~.backends.F64Backend` or
:class:`~.backends.ArbBackend`) and returns exact ``Fraction`` endpoints that enclose
the exact quantity; an unbounded enclosure raises ``ArithmeticError``.

- :func:`loss_bounds`: ``L(P)`` at an exact point.
- :func:`jet_bounds`: ``phi(s), phi'(s), phi''(s)`` for ``phi(s) = L(P + s D)`` at ``s = 0``
  (``phi'`` is the directional derivative ``grad L . D``, ``phi''`` the form ``D^T H D``).
- :func:`segment_range`: the same three over a whole sub-interval ``t in [t0, t1]`` of the
  segment ``A + t (B - A)``: enclosures of their *ranges* (for barriers, branch and bound).
- :func:`loss_range`: the range of ``L`` over a box ``lower <= theta <= upper``.
- :func:`gradient_bounds`, :func:`hessian_vector_bounds`: ``grad L`` and ``H v`` at a point, from
  batched directional jets (the full Hessian only where asked for, elsewhere).

>>> from fractions import Fraction
>>> from symcert import MLP, Dataset, Loss
>>> from symcert.numeric.engine.backends import F64Backend
>>> net = MLP((1, 1, 1), "tanh")
>>> loss = Loss(net, Dataset([[1]], [[0]]), "sse")
>>> A = net.point(W1=[[1]], b1=[0], W2=[[1]], b2=[0])
>>> lo, hi = loss_bounds(F64Backend(), loss, point_layout(A))
>>> float(lo) < 0.5800256583859739 < float(hi)
True
>>> B = net.point(W1=[[2]], b1=[0], W2=[[1]], b2=[0])
>>> ranges = segment_range(F64Backend(), loss, A, B, Fraction(0), Fraction(1))
>>> float(ranges[0][0]) <= 0.58003 and float(ranges[0][1]) >= 0.92934   # tanh(1)^2 .. tanh(2)^2
True
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from symcert.numeric.engine.chunks import current
from symcert.numeric.engine.layout import Exact, LayerLayout, PointLayout, combine, exact_layout, point_layout
from symcert.numeric.engine.network import Weights, evaluate, stacked, weights_of

__all__ = [
    "loss_bounds",
    "losses_bounds",
    "jet_bounds",
    "segment_range",
    "segment_ranges",
    "point_jets",
    "directional_bounds",
    "gradient_bounds",
    "hessian_vector_bounds",
    "loss_range",
    "point_layout",
    "combine",
    "exact_layout",
]

Bounds = tuple[Fraction, Fraction]


def loss_bounds(bk: Any, loss: Any, layout: PointLayout) -> Bounds:
    """Exact endpoints enclosing ``L`` at the exact point ``layout``."""
    with bk.active():
        value = evaluate(bk, loss, weights_of(bk, layout))[0]
        return bk.endpoints(value)


#: The float64 rung stacks several points into one pass while the stacked activations of the widest
#: layer hold at most this many entries (points x data points x units); beyond, one point after the
#: other: each enclosure is the same rigorous computation, with a fraction of the working memory (which a
#: process's first call pays for in page faults) and without the stacking copies. Streamed data (more
#: points than a chunk) stay stacked: one pass over the chunks for all points.
STACK_ENTRIES = 2**20


def losses_bounds(bk: Any, loss: Any, layouts: list[PointLayout]) -> list[Bounds]:
    """``loss_bounds`` at several points; in float64 small ones run as one batch (one pass, stacked)."""
    mlp = loss.mlp
    n = loss.data.n_points
    one_by_one = n <= current().chunk_size and len(layouts) * n * max(mlp.widths[1:]) > STACK_ENTRIES
    with bk.active():
        if bk.name != "float64" or len(layouts) == 1 or one_by_one:
            return [bk.endpoints(evaluate(bk, loss, weights_of(bk, lay))[0]) for lay in layouts]
        values = evaluate(bk, loss, stacked(bk, layouts))[0]
        return [bk.endpoints(values[i]) for i in range(len(layouts))]


def jet_bounds(
    bk: Any, loss: Any, layout: PointLayout, direction: PointLayout, order: int = 2
) -> list[Bounds]:
    """Endpoints enclosing ``phi(0)``, ``phi'(0)`` (and ``phi''(0)``) for ``phi(s) = L(P + s D)``."""
    with bk.active():
        jets = evaluate(bk, loss, weights_of(bk, layout), weights_of(bk, direction), order)
        return [_endpoints(bk, jets[k]) for k in range(order + 1)]


def _endpoints(bk: Any, x: Any) -> Bounds:
    return (Fraction(0), Fraction(0)) if x is None else bk.endpoints(x)


def directional_bounds(
    bk: Any, loss: Any, layout: PointLayout, directions: list[PointLayout], order: int = 1
) -> list[list[Bounds]]:
    """``jet_bounds`` for many directions at one point; in float64 one stacked pass for all.

    With the unit directions this is the gradient (``order=1``); with ``order=2`` and directions
    ``e_i + v``, ``e_i`` and ``v`` it gives Hessian-vector products by polarization
    (:func:`gradient_bounds`, :func:`hessian_vector_bounds`).
    """
    with bk.active():
        if bk.name != "float64":
            params = weights_of(bk, layout)
            out = []
            for d in directions:
                jets = evaluate(bk, loss, params, weights_of(bk, d), order)
                out.append([_endpoints(bk, jets[k]) for k in range(order + 1)])
            return out
        jets = evaluate(bk, loss, weights_of(bk, layout), stacked(bk, directions), order)

        def pick(x: Any, i: int) -> Any:
            return x if x is None or np.ndim(x.lo) == 0 else x[i]  # the value is not stacked

        return [[_endpoints(bk, pick(jets[k], i)) for k in range(order + 1)] for i in range(len(directions))]


def _units(mlp: Any) -> list[PointLayout]:
    n = mlp.n_parameters
    return [exact_layout(mlp, [Fraction(int(i == j)) for j in range(n)]) for i in range(n)]


def gradient_bounds(bk: Any, loss: Any, layout: PointLayout) -> list[Bounds]:
    """Enclosures of every entry of ``grad L`` at an exact point (forward mode, batched)."""
    return [jets[1] for jets in directional_bounds(bk, loss, layout, _units(loss.mlp), order=1)]


def hessian_vector_bounds(bk: Any, loss: Any, layout: PointLayout, v: list[Fraction]) -> list[Bounds]:
    """Enclosures of ``(H v)_i``: ``((e_i + v)^T H (e_i + v) - e_i^T H e_i - v^T H v) / 2`` (polarization)."""
    mlp = loss.mlp
    n = mlp.n_parameters
    shifted = [
        exact_layout(mlp, [Fraction(int(i == j)) + Fraction(v[j]) for j in range(n)]) for i in range(n)
    ]
    found = directional_bounds(bk, loss, layout, [*shifted, *_units(mlp), exact_layout(mlp, v)], order=2)
    qv = found[-1][2]
    out = []
    for i in range(n):
        (a, b), (c, d) = found[i][2], found[n + i][2]
        out.append(((a - d - qv[1]) / 2, (b - c - qv[0]) / 2))
    return out


def segment_range(bk: Any, loss: Any, A: Any, B: Any, t0: Fraction, t1: Fraction) -> list[Bounds]:
    """Enclosures of the ranges of ``phi, phi', phi''`` over ``t in [t0, t1]`` (``phi(t) = L(A + t(B-A))``).

    Built from the enclosure of the interval ``[t0, t1]`` itself, centred: the parameters are
    ``P(m) + [-h, h] (B - A)`` with ``m`` the midpoint and ``h`` the half-width, and the jets are
    evaluated over that box (:func:`segment_ranges` does many sub-intervals in one pass).
    """
    return segment_ranges(bk, loss, point_layout(A), point_layout(B), [(Fraction(t0), Fraction(t1))])[0]


def segment_ranges(
    bk: Any,
    loss: Any,
    la: PointLayout,
    lb: PointLayout,
    intervals: list[tuple[Fraction, Fraction]],
    order: int = 2,
) -> list[list[Bounds]]:
    """:func:`segment_range` for many sub-intervals; in float64 one stacked pass for all of them.

    Returns, per sub-interval, the ranges of ``phi`` (and ``phi'``, ``phi''`` up to ``order``) along
    ``la + t (lb - la)``. An unbounded enclosure raises ``ArithmeticError`` (for the whole batch).
    """
    for t0, t1 in intervals:
        if not t0 <= t1:
            raise ValueError(f"the sub-interval needs t0 <= t1, got [{t0}, {t1}]")
    direction = combine(la, lb, Fraction(1), Fraction(-1))
    centres = [combine(la, lb, (t0 + t1) / 2) for t0, t1 in intervals]
    halves = [(t1 - t0) / 2 for t0, t1 in intervals]
    with bk.active():
        step = weights_of(bk, direction)
        if bk.name == "float64" and len(intervals) > 1:
            S = _hull(bk, bk.array(_column([-h for h in halves])), bk.array(_column(halves)))
            params = _centred(bk, stacked(bk, centres), step, S)
            jets = evaluate(bk, loss, params, step, order)
            return [
                [_endpoints(bk, _pick(jets[k], i)) for k in range(order + 1)] for i in range(len(intervals))
            ]
        out = []
        for centre, h in zip(centres, halves):
            S = _hull(bk, bk.array(_scalar(-h)), bk.array(_scalar(h)))
            jets = evaluate(bk, loss, _centred(bk, weights_of(bk, centre), step, S), step, order)
            out.append([_endpoints(bk, jets[k]) for k in range(order + 1)])
        return out


def point_jets(
    bk: Any, loss: Any, la: PointLayout, lb: PointLayout, ts: list[Fraction], order: int = 1
) -> list[list[Bounds]]:
    """Endpoints of ``phi(t)`` (and ``phi'(t)``, ``phi''(t)`` up to ``order``) at exact points ``t``;
    in float64 one stacked pass for all of them."""
    direction = combine(la, lb, Fraction(1), Fraction(-1))
    layouts = [combine(la, lb, Fraction(t)) for t in ts]
    with bk.active():
        step = weights_of(bk, direction) if order else None
        if bk.name == "float64" and len(ts) > 1:
            jets = evaluate(bk, loss, stacked(bk, layouts), step, order)
            return [[_endpoints(bk, _pick(jets[k], i)) for k in range(order + 1)] for i in range(len(ts))]
        out = []
        for layout in layouts:
            jets = evaluate(bk, loss, weights_of(bk, layout), step, order)
            out.append([_endpoints(bk, jets[k]) for k in range(order + 1)])
        return out


def _pick(x: Any, i: int) -> Any:
    return x if x is None or np.ndim(x.lo) == 0 else x[i]


def _centred(bk: Any, centre: list[Weights], step: list[Weights], S: Any) -> list[Weights]:
    """The centred boxes ``centre + S step`` (see :class:`~.network.Weights`)."""
    return [
        Weights(c.W, None if c.b is None else c.b + S * s.b, c.exact_W, (S, s.W, s.exact_W))
        for c, s in zip(centre, step)
    ]


def _column(values: list[Fraction]) -> Exact:
    """Exact values as a ``(k, 1, 1)`` array (one per stacked sub-interval)."""
    return Exact.of(values, (len(values), 1, 1))


def loss_range(bk: Any, loss: Any, lower: Any, upper: Any) -> Bounds:
    """An enclosure of ``{L(theta) : lower <= theta <= upper}`` (flat exact values, ``mlp.symbols`` order)."""
    mlp = loss.mlp
    la, lu = exact_layout(mlp, lower), exact_layout(mlp, upper)
    with bk.active():
        params = []
        for a, b in zip(la.layers, lu.layers):
            W = _hull(bk, bk.array(a.W), bk.array(b.W))
            bias = None if a.b is None else _hull(bk, bk.array(a.b), bk.array(b.b))[None, :]
            params.append(Weights(W, bias))
        return bk.endpoints(evaluate(bk, loss, params)[0])


def _scalar(value: Fraction) -> Exact:
    return Exact(np.array(value.numerator, dtype=object), value.denominator)


def _hull(bk: Any, a: Any, b: Any) -> Any:
    """The interval hull of two enclosures, elementwise."""
    if bk.name == "float64":
        from symcert.numeric.engine.f64 import F64

        return F64(np.minimum(a.lo, b.lo), np.maximum(a.hi, b.hi))
    from flint import arb

    return np.frompyfunc(lambda x, y: arb.union(x, y), 2, 1)(a, b)


__all__ += ["LayerLayout"]
