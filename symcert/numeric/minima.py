"""Local minima: float64 search, mpmath Newton refinement, and a rigorous gradient-norm enclosure.

:func:`locate_minimum` runs L-BFGS in float64 with the analytic gradient
(:class:`~symcert.numeric.floats.FloatLoss`), from a start point or from a
seeded random start, then refines the result by damped Newton steps in mpmath
and reports the gradient norm at the final exact point as a rigorous
enclosure. A small gradient is proved; that the point is a *minimum* is
evidence (the Hessian spectrum), and is labelled so.

Teacher points are different: :func:`teacher_minimum` proves exactly that a
teacher point of a squared-error loss has loss 0 and gradient 0, hence is a
global minimum.

>>> from symcert import MLP, Dataset, Loss
>>> net = MLP((1, 2, 1), "tanh")
>>> data = Dataset([[-1], [0], [1], [2]], [[0], [1], [0], [1]])
>>> loss = Loss(net, data, "mse", weight_decay="1/100")
>>> found = locate_minimum(loss, seed=3, dps=30)
>>> found.gradient_norm_upper < sympy.Rational(1, 10**25)
True
>>> found == locate_minimum(loss, seed=3, dps=30)     # reproducible under a seed
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import sympy
from mpmath.libmp import to_rational as _raw_to_rational

from symcert.errors import SpecificationError
from symcert.numeric._inputs import require_loss, require_point, require_smooth
from symcert.numeric.contexts import check_dps, interval_context, lower, mp_context, upper
from symcert.numeric.derivatives import gradient_in, loss_jet
from symcert.numeric.evaluation import loss_in
from symcert.numeric.floats import FloatLoss
from symcert.numeric.jets import JetContext
from symcert.numeric.rounding import decimal_up
from symcert.symbolic.losses import Loss
from symcert.symbolic.point import Point

__all__ = ["LocalMinimum", "locate_minimum", "lbfgs", "MAX_NEWTON_PARAMETERS"]

#: Largest number of parameters refined by Newton's method (a dense Hessian in mpmath).
MAX_NEWTON_PARAMETERS = 200


@dataclass(frozen=True)
class LocalMinimum:
    """A refined critical point, with rigorous enclosures of its loss and gradient norm.

    ``gradient_norm_lower``/``_upper`` bound ``|grad L(point)|`` rigorously;
    ``loss_lower``/``_upper`` bound ``L(point)``. ``kind`` is ``"evidence"``:
    that the point is a minimum (not a saddle) is not proved here.
    """

    point: Point
    loss_lower: sympy.Rational
    loss_upper: sympy.Rational
    gradient_norm_lower: sympy.Rational
    gradient_norm_upper: sympy.Rational
    float_iterations: int
    newton_steps: int
    dps: int
    seed: int | None
    kind: str = "evidence"

    def describe(self) -> str:
        """One line for people."""
        loss = decimal_up(self.loss_upper)  # upper bounds, printed rounded up: still bounds
        norm = decimal_up(self.gradient_norm_upper, 3)
        return (
            f"critical point with loss <= {loss} and |gradient| <= {norm} (proved at {self.dps} digits); "
            f"being a local minimum is {self.kind}, not proof"
        )


def lbfgs(
    value_and_gradient: Callable[[np.ndarray], tuple[float, np.ndarray]],
    x0: np.ndarray,
    *,
    max_iter: int = 500,
    gtol: float = 1e-8,
    memory: int = 10,
) -> tuple[np.ndarray, int]:
    """Minimise in float64 by L-BFGS with a weak-Wolfe line search; deterministic.

    Stops when ``|g| <= gtol * max(1, |f|)``, when the line search fails, or
    after ``max_iter`` iterations; returns the point and the iterations used.

    >>> x, _ = lbfgs(lambda x: (float(((x - 3) ** 2).sum()), 2 * (x - 3)), np.zeros(2))
    >>> np.round(x, 8)
    array([3., 3.])
    """
    x = np.array(x0, dtype=float)
    f, g = value_and_gradient(x)
    pairs: list[tuple[np.ndarray, np.ndarray, float]] = []
    for iteration in range(max_iter):
        if not np.isfinite(f) or np.linalg.norm(g) <= gtol * max(1.0, abs(f)):
            return x, iteration
        q = g.copy()
        alphas = []
        for s, y, rho in reversed(pairs):
            alpha = rho * (s @ q)
            alphas.append(alpha)
            q -= alpha * y
        if pairs:
            s, y, _ = pairs[-1]
            q *= (s @ y) / (y @ y)
        for (s, y, rho), alpha in zip(pairs, reversed(alphas)):
            q += s * (alpha - rho * (y @ q))
        direction = -q
        if g @ direction >= 0:  # not a descent direction: restart from steepest descent
            pairs, direction = [], -g
        slope = g @ direction
        step, low, high, accepted = 1.0, 0.0, np.inf, False
        for _ in range(60):  # weak Wolfe conditions by bisection (Lewis and Overton)
            candidate = x + step * direction
            f_new, g_new = value_and_gradient(candidate)
            if not np.isfinite(f_new) or f_new > f + 1e-4 * step * slope:
                high = step
            elif g_new @ direction < 0.9 * slope:
                low = step
            else:
                accepted = True
                break
            step = (low + high) / 2 if np.isfinite(high) else 2 * low
        if not accepted:
            if not (np.isfinite(f_new) and f_new < f):
                return x, iteration
        s, y = candidate - x, g_new - g
        if s @ y > 1e-300:
            pairs = [*pairs[-(memory - 1) :], (s, y, 1.0 / (s @ y))]
        x, f, g = candidate, f_new, g_new
    return x, max_iter


def locate_minimum(
    loss: Loss,
    start: Point | None = None,
    *,
    seed: int = 0,
    dps: int = 50,
    max_iter: int = 500,
    newton_steps: int = 30,
    refine: bool = True,
) -> LocalMinimum:
    """Find a local minimum from ``start`` (a Point) or from a random start drawn with ``seed``.

    L-BFGS in float64, then (if ``refine``) damped Newton in mpmath at
    ``dps + 10`` digits; the returned point is exact and its gradient norm is
    enclosed rigorously at ``dps`` digits.
    """
    require_loss(loss)
    require_smooth(loss, "locating a minimum with gradients")
    check_dps(dps)
    compiled = FloatLoss(loss)
    if start is not None:
        require_point(loss, start, "the start point")
        x0, used_seed = compiled.check(start), None
    else:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise SpecificationError(f"seed must be an integer, got {seed!r}")
        x0, used_seed = np.random.default_rng(seed).normal(0.0, 1.0, compiled.n_parameters), seed
    x, iterations = lbfgs(compiled.value_and_gradient, x0, max_iter=max_iter)
    values = tuple(sympy.Rational(*Fraction(float(v)).as_integer_ratio()) for v in x)
    steps = 0
    if refine:
        n = loss.mlp.n_parameters
        if n > MAX_NEWTON_PARAMETERS:
            raise SpecificationError(
                f"Newton refinement is done for up to {MAX_NEWTON_PARAMETERS} parameters, got {n}; "
                "pass refine=False to keep the float64 point"
            )
        values, steps = _newton(loss, values, dps, newton_steps)
    return _certify(loss, values, dps, iterations, steps, used_seed)


def _to_rational(value: Any) -> sympy.Rational:
    p, q = _raw_to_rational(value._mpf_)
    return sympy.Rational(p, q)


def _newton(
    loss: Loss, values: tuple[sympy.Rational, ...], dps: int, max_steps: int
) -> tuple[tuple[sympy.Rational, ...], int]:
    ctx = mp_context(dps + 10)
    n = len(values)
    target = ctx.mpf(10) ** (-dps)

    def derivatives(vals: tuple[sympy.Rational, ...]) -> tuple[Any, Any, Any]:
        jctx = JetContext(ctx, order=2)
        jet = loss_jet(jctx, loss, [jctx.variable(ctx.mpf(v.p) / v.q, i) for i, v in enumerate(vals)])
        g = ctx.matrix([jet.d(i) for i in range(n)])
        h = ctx.matrix([[jet.d2(i, j) for j in range(n)] for i in range(n)])
        return jet.v, g, h

    value, g, h = derivatives(values)
    for step in range(max_steps):
        norm = ctx.norm(g)
        if norm <= target:
            return values, step
        damping = ctx.zero
        for _ in range(40):  # Levenberg damping until the step decreases the loss or the gradient
            try:
                delta = ctx.lu_solve(h + damping * ctx.eye(n), -g)
            except ZeroDivisionError:
                damping = max(damping * 10, norm)
                continue
            trial = tuple(_to_rational(v + d) for v, d in zip((ctx.mpf(v.p) / v.q for v in values), delta))
            t_value, t_g, t_h = derivatives(trial)
            if t_value < value or ctx.norm(t_g) < norm:
                values, value, g, h = trial, t_value, t_g, t_h
                break
            damping = max(damping * 10, norm)
        else:
            return values, step
    return values, max_steps


def _certify(
    loss: Loss, values: tuple[sympy.Rational, ...], dps: int, iterations: int, steps: int, seed: int | None
) -> LocalMinimum:
    ctx = interval_context(dps)
    g = gradient_in(ctx, loss, values)
    norm = ctx.sqrt(ctx.fsum([v**2 for v in g]))
    enclosure = loss_in(ctx, loss, values)
    point = loss.mlp.point_from_values(values)
    return LocalMinimum(
        point,
        lower(enclosure),
        upper(enclosure),
        max(lower(norm), sympy.Integer(0)),
        upper(norm),
        iterations,
        steps,
        dps,
        seed,
    )
