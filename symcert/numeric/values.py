"""The loss at a point: an mpmath value to print, a rigorous enclosure to prove with.

>>> import mpmath, sympy
>>> from symcert import MLP, Dataset, Loss
>>> net = MLP((1, 1, 1), "tanh")
>>> loss = Loss(net, Dataset([[1]], [[0]]), "sse")
>>> point = net.point(W1=[[1]], b1=[0], W2=[[1]], b2=[0])
>>> print(mpmath.nstr(loss_value(loss, point, dps=20), 20))  # tanh(1)^2
0.58002565838597393061
>>> enclosure = loss_enclosure(loss, point, dps=20)
>>> lower(enclosure) < sympy.Rational("0.58002565838597393060550") < upper(enclosure)
True
>>> difference_decision(loss, point, net.point(W1=[[0]], b1=[0], W2=[[1]], b2=[0])).status
'proved'
"""

from __future__ import annotations

from typing import Any

from symcert.numeric._inputs import require_point
from symcert.numeric.contexts import check_dps, hull, interval_context, lower, mp_context, upper  # noqa: F401
from symcert.numeric.decide import DEFAULT_LADDER, Decision
from symcert.numeric.engine.api import Bounds, loss_bounds, point_layout
from symcert.numeric.engine.backends import ArbBackend
from symcert.numeric.engine.ladder import decide_on_rungs
from symcert.numeric.evaluation import loss_in
from symcert.symbolic.losses import Loss
from symcert.symbolic.point import Point

__all__ = ["loss_value", "loss_enclosure", "difference_decision"]


def loss_value(loss: Loss, point: Point, dps: int = 50) -> Any:
    """The loss at ``point`` as an mpmath number at ``dps`` digits: evidence to print, not proof."""
    require_point(loss, point)
    return loss_in(mp_context(dps), loss, point.values)


def loss_enclosure(loss: Loss, point: Point, dps: int = 50) -> Any:
    """An mpmath interval guaranteed to contain the exact loss at ``point`` (working at ``dps`` digits).

    Computed by the batched engine in Arb balls at ``dps`` digits
    (:mod:`symcert.numeric.engine`); read its exact endpoints with
    :func:`~symcert.numeric.contexts.lower` and :func:`~symcert.numeric.contexts.upper`.
    """
    require_point(loss, point)
    lo, hi = loss_bounds(ArbBackend(check_dps(dps)), loss, point_layout(point))
    return hull(interval_context(dps), lo, hi)


def difference_decision(
    loss: Loss, first: Point, second: Point, relation: str = ">", ladder: tuple[int, ...] = DEFAULT_LADDER
) -> Decision:
    """Decide ``L(first) - L(second) <relation> 0`` rigorously, escalating precision.

    With ``first`` the midpoint of ``A`` and ``gA`` and ``second = A``, a
    "proved" answer is the chord certificate of non-convexity. Rungs: verified
    float64, then Arb at each precision of ``ladder``
    (:func:`~symcert.numeric.engine.ladder.decide_on_rungs`).
    """
    require_point(loss, first, "the first point")
    require_point(loss, second, "the second point")
    one, two = point_layout(first), point_layout(second)

    def compute(bk: Any) -> dict[str, Bounds]:
        a, b = loss_bounds(bk, loss, one), loss_bounds(bk, loss, two)
        return {"difference": (a[0] - b[1], a[1] - b[0])}

    return decide_on_rungs(compute, "difference", relation, ladder)[0]
