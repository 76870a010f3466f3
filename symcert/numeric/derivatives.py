"""Gradient and Hessian of a loss, at high precision and as rigorous enclosures.

Computed from the specification by second-order forward mode
(:mod:`symcert.numeric.jets`): the same formulas that evaluate the loss
(:func:`~symcert.symbolic.network.forward`, :func:`~symcert.symbolic.losses.point_loss`,
each activation's own mpmath and interval forms) are run on jets, so the
derivative code states no rule twice and works in both arithmetics. Over an
interval context each entry encloses the exact derivative.

Why forward mode rather than ``sympy.diff`` of :attr:`Loss.expr
<symcert.symbolic.losses.Loss.expr>`: measured on this machine (one core,
full Hessian at 50 digits, tanh network, mse on 8 data points), jets took
0.003 s for 1-2-1 (7 parameters) and 0.009 s for 2-4-1 (17 parameters), while
``sympy.diff`` of the closed form with ``subs`` and ``evalf`` of every entry
took 1.9 s and 27 s (both agreed to 50 digits). The closed form also grows with
the data, and ``evalf`` gives no enclosure; it stays the second opinion in the tests.

Smooth activations only: ReLU and leaky ReLU are refused (not differentiable at 0).

>>> from symcert import MLP, Dataset, Loss
>>> net = MLP((1, 1, 1), "tanh")
>>> loss = Loss(net, Dataset([[1]], [[0]]), "sse")
>>> point = net.point(W1=[[1]], b1=[0], W2=[[1]], b2=[0])
>>> [round(float(g), 10) for g in gradient_value(loss, point, dps=20)]  # d/dW2_11 = 2 tanh(1)^2, ...
[0.6397000084, 0.6397000084, 1.1600513168, 1.5231883119]
>>> enclosure = hessian_enclosure(loss, point, dps=30)[3][3]   # d2/db2^2 = 2
>>> lower(enclosure) <= 2 <= upper(enclosure)
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sympy

from symcert.numeric._inputs import require_point, require_smooth
from symcert.numeric.contexts import exact, interval_context, lower, mp_context, upper  # noqa: F401
from symcert.numeric.evaluation import targets_in
from symcert.numeric.jets import Jet, JetContext
from symcert.symbolic.losses import Loss, Ops
from symcert.symbolic.network import forward
from symcert.symbolic.point import Point

__all__ = [
    "loss_jet",
    "gradient_in",
    "hessian_in",
    "gradient_value",
    "hessian_value",
    "gradient_enclosure",
    "hessian_enclosure",
]


def loss_jet(jctx: JetContext, loss: Loss, params: Sequence[Jet]) -> Jet:
    """The loss as a jet, for parameters given as jets (seeded by the caller).

    Mirrors :func:`~symcert.numeric.evaluation.loss_in`: exact data, teacher
    targets recomputed from the teacher, the loss formula stated once.
    """
    require_smooth(loss, "a derivative of the loss")
    ctx, mlp = jctx.ctx, loss.mlp
    act = mlp.activation
    hidden = (lambda u: act.iv(jctx, u)) if jctx.interval else (lambda u: act.mp(jctx, u))
    ops = Ops(jctx.exp, jctx.log, jctx.fsum, lambda z: mlp.output_activation.numeric(jctx, z))
    terms = []
    for x, y in zip(loss.data.xs, targets_in(ctx, loss)):
        z = forward(mlp, list(params), [exact(ctx, v) for v in x], hidden, list)
        terms.append(loss.function.point(z, [jctx.constant(v) for v in y], ops))
    total: Jet = jctx.fsum(terms) * exact(ctx, loss.scale)
    if loss.weight_decay:
        penalty = jctx.fsum([params[i] ** 2 for i in loss.weight_indices])
        total = total + penalty * exact(ctx, loss.weight_decay)
    return total


def _seeded(ctx: Any, loss: Loss, values: Sequence[sympy.Rational], order: int) -> Jet:
    jctx = JetContext(ctx, order)
    params = [jctx.variable(exact(ctx, v), i) for i, v in enumerate(values)]
    return loss_jet(jctx, loss, params)


def gradient_in(ctx: Any, loss: Loss, values: Sequence[sympy.Rational]) -> list[Any]:
    """The gradient at exact parameters ``values``, in ``ctx`` (enclosures in an interval context)."""
    jet = _seeded(ctx, loss, values, order=1)
    return [jet.d(i) for i in range(len(values))]


def hessian_in(ctx: Any, loss: Loss, values: Sequence[sympy.Rational]) -> list[list[Any]]:
    """The Hessian (a symmetric list of rows) at exact ``values``, in ``ctx``."""
    jet = _seeded(ctx, loss, values, order=2)
    n = len(values)
    return [[jet.d2(i, j) for j in range(n)] for i in range(n)]


def gradient_value(loss: Loss, point: Point, dps: int = 50) -> list[Any]:
    """The gradient at ``point`` as mpmath numbers at ``dps`` digits (evidence, not proof)."""
    require_point(loss, point)
    return gradient_in(mp_context(dps), loss, point.values)


def hessian_value(loss: Loss, point: Point, dps: int = 50) -> list[list[Any]]:
    """The Hessian at ``point`` as mpmath numbers at ``dps`` digits (evidence, not proof)."""
    require_point(loss, point)
    return hessian_in(mp_context(dps), loss, point.values)


def gradient_enclosure(loss: Loss, point: Point, dps: int = 50) -> list[Any]:
    """Rigorous enclosures (mpmath intervals) of the gradient's entries at ``point``."""
    require_point(loss, point)
    return gradient_in(interval_context(dps), loss, point.values)


def hessian_enclosure(loss: Loss, point: Point, dps: int = 50) -> list[list[Any]]:
    """Rigorous enclosures (mpmath intervals) of the Hessian's entries at ``point``."""
    require_point(loss, point)
    return hessian_in(interval_context(dps), loss, point.values)
