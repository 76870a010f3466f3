"""Evaluate networks and losses straight from the specification, in any mpmath context.

In an interval context the result is a rigorous enclosure of the exact value
(outward rounding throughout); in a plain context it is an approximation.

>>> from symcert import MLP, Dataset, Loss
>>> net = MLP((1, 1, 1), "tanh")
>>> loss = Loss(net, Dataset([[1]], [[0]]), "sse")
>>> point = net.point(W1=[[1]], b1=[0], W2=[[1]], b2=[0])
>>> enclosure = loss_in(interval_context(30), loss, point.values)
>>> from symcert.numeric.contexts import lower, upper
>>> lower(enclosure) < sympy.tanh(1).evalf(40) ** 2 < upper(enclosure)
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sympy

from symcert.numeric.contexts import exact, interval_context, is_interval
from symcert.symbolic.losses import Loss, Ops
from symcert.symbolic.network import MLP, forward

__all__ = ["output_in", "loss_in", "interval_context"]


def _hidden(ctx: Any, mlp: MLP):
    act = mlp.activation
    return (lambda u: act.iv(ctx, u)) if is_interval(ctx) else (lambda u: act.mp(ctx, u))


def _convert(ctx: Any, values: Sequence[sympy.Rational]) -> list[Any]:
    return [exact(ctx, v) for v in values]


def output_in(ctx: Any, mlp: MLP, values: Sequence[sympy.Rational], x: Sequence[sympy.Rational]) -> list[Any]:
    """The network's outputs at exact parameters ``values`` and exact input ``x``, in ``ctx``."""
    return forward(
        mlp,
        _convert(ctx, values),
        _convert(ctx, x),
        _hidden(ctx, mlp),
        lambda z: mlp.output_activation.numeric(ctx, z),
    )


def targets_in(ctx: Any, loss: Loss) -> list[list[Any]]:
    """The targets in ``ctx``; a teacher's are recomputed from the teacher, never rounded first."""
    teacher = loss.data.teacher_of
    if teacher is not None:
        return [output_in(ctx, teacher.mlp, teacher.point.values, x) for x in loss.data.xs]
    return [_convert(ctx, y) for y in loss.data.ys]


def loss_in(ctx: Any, loss: Loss, values: Sequence[sympy.Rational]) -> Any:
    """The loss at exact parameters ``values``, in ``ctx`` (an enclosure in an interval context)."""
    mlp = loss.mlp
    params = _convert(ctx, values)
    hidden = _hidden(ctx, mlp)
    ops = Ops(ctx.exp, ctx.log, ctx.fsum, lambda z: mlp.output_activation.numeric(ctx, z))
    terms = [
        loss.function.point(forward(mlp, params, _convert(ctx, x), hidden, list), y, ops)
        for x, y in zip(loss.data.xs, targets_in(ctx, loss))
    ]
    total = exact(ctx, loss.scale) * ctx.fsum(terms)
    if loss.weight_decay:
        total += exact(ctx, loss.weight_decay) * ctx.fsum([params[i] ** 2 for i in loss.weight_indices])
    return total
