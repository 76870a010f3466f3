r"""The loss along a segment: ``phi(t) = L(A + t (B - A))`` with ``phi'`` and ``phi''``.

Rigorous enclosures at an exact ``t`` come from one-variable jets
(:mod:`symcert.numeric.jets`), at about three times the cost of the loss
itself; for small networks :func:`segment_expression` gives ``phi`` in closed
form, so a derivation can show ``phi''(1/2)`` symbolically.

For a symmetry ``g`` that is an involution, ``phi(t) = phi(1 - t)`` with
``B = gA``, so ``phi'(1/2) = 0``; ``phi''(1/2) < 0`` makes the midpoint a local
maximum along the segment, and the loss is not convex.

>>> from symcert import MLP, Dataset, Loss, swap
>>> net = MLP((1, 2, 1), "tanh")
>>> loss = Loss(net, Dataset([[1], [-1]], [[1], [0]]), "mse")
>>> A = net.point(W1=[[2], [-1]], b1=[0, 1], W2=[[1, 2]], b2=[0])
>>> enclosure = segment_enclosure(loss, A, swap(1, 0, 1)(A), "1/2")
>>> lower(enclosure.dphi) <= 0 <= upper(enclosure.dphi)      # phi'(1/2) = 0 by symmetry
True
>>> curvature_decision(loss, A, swap(1, 0, 1)(A)).status       # phi''(1/2) < 0
'proved'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy

from symcert.errors import SpecificationError
from symcert.numeric._inputs import require_exact_t, require_point, require_smooth
from symcert.numeric.contexts import check_dps, exact, hull, interval_context, lower, mp_context, upper  # noqa: F401
from symcert.numeric.decide import DEFAULT_LADDER, Decision
from symcert.numeric.derivatives import loss_jet
from symcert.numeric.engine.api import Bounds, combine, exact_layout, jet_bounds, point_layout
from symcert.numeric.engine.backends import ArbBackend
from symcert.numeric.engine.ladder import decide_on_rungs
from symcert.numeric.engine.layout import PointLayout
from symcert.numeric.jets import JetContext
from symcert.symbolic.losses import Loss
from symcert.symbolic.point import Point

__all__ = [
    "SegmentValues",
    "segment_in",
    "segment_layouts",
    "jet_decision",
    "segment_values",
    "segment_enclosure",
    "curvature_decision",
    "direction_curvature_decision",
    "segment_expression",
    "segment_derivatives_exact",
    "MAX_CLOSED_FORM_SIZE",
]

#: Largest ``parameters x data points`` for which :func:`segment_expression` builds a closed form.
MAX_CLOSED_FORM_SIZE = 600


@dataclass(frozen=True)
class SegmentValues:
    """``phi(t)``, ``phi'(t)`` and ``phi''(t)`` at an exact ``t``: intervals or mpmath numbers."""

    t: sympy.Rational
    dps: int
    phi: Any
    dphi: Any
    d2phi: Any


def segment_in(
    ctx: Any,
    loss: Loss,
    start: Sequence[sympy.Rational],
    direction: Sequence[sympy.Rational],
    t: sympy.Rational,
) -> tuple[Any, Any, Any]:
    """``(phi, phi', phi'')`` at ``t`` for ``phi(s) = L(start + s direction)``, in ``ctx``.

    ``start``, ``direction`` and ``t`` are exact; in an interval context the
    three values are rigorous enclosures.
    """
    jctx = JetContext(ctx, order=2)
    params = [
        jctx.variable(exact(ctx, a + t * d), 0, exact(ctx, d) if d != 0 else 0)
        for a, d in zip(start, direction)
    ]
    jet = loss_jet(jctx, loss, params)
    return jet.v, jet.d(0), jet.d2(0, 0)


def _segment(ctx: Any, loss: Loss, start: Point, end: Point, t: object) -> SegmentValues:
    require_point(loss, start, "the start point")
    require_point(loss, end, "the end point")
    t = require_exact_t(t)
    values = segment_in(ctx, loss, start.values, start.direction(end), t)
    return SegmentValues(t, ctx.dps, *values)


def segment_values(loss: Loss, start: Point, end: Point, t: object = "1/2", dps: int = 50) -> SegmentValues:
    """``phi``, ``phi'``, ``phi''`` at exact ``t`` as mpmath numbers (evidence, not proof)."""
    return _segment(mp_context(dps), loss, start, end, t)


def segment_enclosure(
    loss: Loss, start: Point, end: Point, t: object = "1/2", dps: int = 50
) -> SegmentValues:
    """Rigorous enclosures of ``phi``, ``phi'``, ``phi''`` at exact ``t`` (the engine, Arb at ``dps``)."""
    require_point(loss, start, "the start point")
    require_point(loss, end, "the end point")
    require_smooth(loss, "a derivative of the loss")
    t = require_exact_t(t)
    bounds = jet_bounds(ArbBackend(check_dps(dps)), loss, *segment_layouts(start, end, t))
    ctx = interval_context(dps)
    return SegmentValues(t, dps, *(hull(ctx, lo, hi) for lo, hi in bounds))


def segment_layouts(start: Point, end: Point, t: sympy.Rational) -> tuple[PointLayout, PointLayout]:
    """The exact layouts of ``start + t (end - start)`` and of ``end - start`` (integers, no SymPy)."""
    a, b = point_layout(start), point_layout(end)
    tt = Fraction(int(t.p), int(t.q))
    return combine(a, b, tt), combine(a, b, Fraction(1), Fraction(-1))


def jet_decision(
    loss: Loss,
    layouts: tuple[PointLayout, PointLayout],
    order: int,
    name: str,
    relation: str,
    ladder: Sequence[int],
) -> tuple[Decision, dict[str, tuple[sympy.Rational, sympy.Rational]]]:
    """Decide the ``order``-th derivative (0, 1 or 2) of ``s -> L(P + s D)`` at 0 on the rungs.

    Returns the :class:`Decision` and the enclosures ``{name: (lo, hi)}`` that decided it.
    """
    require_smooth(loss, "a derivative of the loss") if order else None

    def compute(bk: Any) -> dict[str, Bounds]:
        return {name: jet_bounds(bk, loss, *layouts, order=max(order, 1))[order]}

    return decide_on_rungs(compute, name, relation, ladder)


def curvature_decision(
    loss: Loss,
    start: Point,
    end: Point,
    t: object = "1/2",
    relation: str = "<",
    ladder: Sequence[int] = DEFAULT_LADDER,
) -> Decision:
    """Decide ``phi''(t) <relation> 0`` rigorously, escalating precision (the curvature certificate)."""
    require_point(loss, start, "the start point")
    require_point(loss, end, "the end point")
    t = require_exact_t(t)
    return jet_decision(loss, segment_layouts(start, end, t), 2, "phi''", relation, ladder)[0]


def direction_curvature_decision(
    loss: Loss,
    point: Point,
    direction: Sequence[object],
    relation: str = "<",
    ladder: Sequence[int] = DEFAULT_LADDER,
) -> Decision:
    """Decide ``d^T H(point) d <relation> 0`` for an exact direction ``d`` (Hessian-direction certificate).

    A direction found as an eigenvector (evidence) becomes proof here, once
    rounded to exact rationals.
    """
    require_point(loss, point)
    d = _exact_direction(loss, direction)
    layouts = (point_layout(point), exact_layout(loss.mlp, d))
    return jet_decision(loss, layouts, 2, "dHd", relation, ladder)[0]


def _exact_direction(loss: Loss, direction: Sequence[object]) -> tuple[sympy.Rational, ...]:
    n = loss.mlp.n_parameters
    if isinstance(direction, (str, bytes)) or not isinstance(direction, Sequence) or len(direction) != n:
        raise SpecificationError(f"the direction must be a sequence of {n} exact numbers, got {direction!r}")
    return tuple(require_exact_t(v, f"direction[{i}]") for i, v in enumerate(direction))


def segment_expression(loss: Loss, start: Point, end: Point, t: sympy.Symbol | None = None) -> sympy.Expr:
    """``phi(t)`` in closed form (SymPy), for small networks and data sets.

    >>> from symcert import MLP, Dataset, Loss
    >>> net = MLP((1, 1), output_activation="identity")
    >>> loss = Loss(net, Dataset([[1]], [[0]]), "sse")
    >>> segment_expression(loss, net.point(W1=[[1]], b1=[0]), net.point(W1=[[-1]], b1=[0]))
    (1 - 2*t)**2
    """
    require_point(loss, start, "the start point")
    require_point(loss, end, "the end point")
    size = loss.mlp.n_parameters * loss.data.n_points
    if size > MAX_CLOSED_FORM_SIZE:
        raise SpecificationError(
            f"closed forms are built for parameters x data points up to {MAX_CLOSED_FORM_SIZE}, got {size}; "
            "use segment_enclosure for this network"
        )
    t = sympy.Symbol("t", real=True) if t is None else t
    substitution = {s: a + t * d for s, a, d in zip(loss.mlp.symbols, start.values, start.direction(end))}
    return loss.expr.xreplace(substitution)


def segment_derivatives_exact(
    loss: Loss, start: Point, end: Point, t: object = "1/2"
) -> tuple[sympy.Expr, sympy.Expr, sympy.Expr]:
    r"""``phi(t)``, ``phi'(t)``, ``phi''(t)`` as exact SymPy expressions (for derivations, not decisions).

    >>> from symcert import MLP, Dataset, Loss
    >>> net = MLP((1, 1), output_activation="identity")
    >>> loss = Loss(net, Dataset([[1]], [[0]]), "sse")
    >>> segment_derivatives_exact(loss, net.point(W1=[[1]], b1=[0]), net.point(W1=[[-1]], b1=[0]))
    (0, 0, 8)
    """
    t0 = require_exact_t(t)
    s = sympy.Symbol("t", real=True)
    phi = segment_expression(loss, start, end, s)
    first = sympy.diff(phi, s)
    second = sympy.diff(first, s)
    return tuple(expr.subs(s, t0) for expr in (phi, first, second))
