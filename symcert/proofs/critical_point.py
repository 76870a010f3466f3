r"""Certified critical points: existence and uniqueness of a zero of ``grad L`` in a small box.

:func:`certify_critical_point` refines a float approximation by Newton's method in float64
(the engine's Hessian at the point), takes the final float vector ``c`` as the exact centre
of the box ``X = c + [-r, r]^n``, and runs the Krawczyk test
(:mod:`symcert.numeric.krawczyk`) with a rigorous enclosure of ``grad L(c)`` and of the
Hessian over ``X`` (:mod:`symcert.numeric.engine.boxes`, float64 then Arb). When
``K(X)`` lies inside ``X``, ``grad L`` has exactly one zero in ``X``: "proved". The radius
grows from about ``|H^-1 grad L(c)|`` until the test passes or a cap is reached
("undecided"). A Hessian that is singular at ``c`` (a line of critical points, a continuous
symmetry) gives "not isolated": no box holds a *unique* zero then. A point where Newton's
method has to move far, or does not converge, is not an approximate critical point and is
refused with :class:`~symcert.errors.SpecificationError`.

>>> from symcert import MLP, Dataset, Loss
>>> data = Dataset([[-2], [-1], [0], [1], [2], [3]], [[-1], [-1], [0], [1], [2], [2]])
>>> loss = Loss(MLP((1, 1, 1), "tanh"), data, "mse")
>>> approx = loss.mlp.point(W1=[["0.798"]], b1=["-0.399"], W2=[["1.633"]], b2=["0.5"])
>>> found = certify_critical_point(loss, approx)
>>> found.status, found.radius < 10**-6, found.lower[0] < found.upper[0]
('proved', True, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from symcert.errors import SpecificationError
from symcert.numeric._inputs import require_exact_t, require_loss, require_smooth
from symcert.numeric.engine.backends import ArbBackend, F64Backend
from symcert.numeric.engine.boxes import ball_matrix, gradient_box
from symcert.numeric.engine.hessian_columns import batched, gradient_over_box, hessian_over_box
from symcert.numeric.floats import FloatLoss
from symcert.numeric.krawczyk import approximate_inverse, krawczyk_margin
from symcert.symbolic.losses import Loss
from symcert.symbolic.point import Point

__all__ = ["CriticalPoint", "certify_critical_point", "float_hessian", "NOT_ISOLATED", "MOVE_TOLERANCE"]

#: Relative size of the smallest Hessian eigenvalue below which the point is "not isolated".
NOT_ISOLATED = 1e-9
#: Newton may move the approximation by at most this (relative to ``1 + |x|_inf``).
MOVE_TOLERANCE = 1e-2
#: Largest number of parameters for the Arb fallback (it loops over n^2 / 2 directions).
ARB_FALLBACK_PARAMETERS = 24


@dataclass(frozen=True)
class CriticalPoint:
    """The outcome of :func:`certify_critical_point`.

    ``status``: "proved" (exactly one zero of ``grad L`` in ``center + [-radius, radius]^n``),
    "not isolated" (the Hessian at the centre is singular: no unique zero to prove) or
    "undecided". ``margin`` is the Krawczyk margin (negative when proved); ``eigenvalues`` are
    float64 evidence of the Hessian at the centre; ``rung`` says which arithmetic decided;
    ``moved``: how far Newton's method moved the approximation (the largest coordinate change).
    """

    loss: Loss
    center: Point
    radius: Fraction
    status: str
    margin: Fraction | None
    newton_steps: int
    gradient_norm: float
    eigenvalues: tuple[float, ...]
    rung: str
    message: str
    moved: float = 0.0

    @property
    def proved(self) -> bool:
        return self.status == "proved"

    @property
    def lower(self) -> list[Fraction]:
        """The box's lower corner (exact)."""
        return [_fraction(v) - self.radius for v in self.center.values]

    @property
    def upper(self) -> list[Fraction]:
        """The box's upper corner (exact)."""
        return [_fraction(v) + self.radius for v in self.center.values]

    def describe(self) -> str:
        """One line for people."""
        return self.message


def _fraction(v: Any) -> Fraction:
    return Fraction(int(v.p), int(v.q))


def float_hessian(loss: Loss, x: np.ndarray) -> np.ndarray:
    """The Hessian at the float vector ``x`` (midpoints of the engine's float64 enclosure; evidence)."""
    values = [Fraction(float(v)) for v in x]
    lo, hi = hessian_over_box(F64Backend(), loss, values, values)
    return np.asarray(0.5 * lo + 0.5 * hi)


def _approximation(loss: Loss, approx: Any) -> np.ndarray:
    if isinstance(approx, Point):
        if approx.mlp != loss.mlp:
            raise SpecificationError(
                f"the approximation belongs to the {approx.mlp.describe()}, not to the loss's "
                f"{loss.mlp.describe()}; build it with that network's point(...)"
            )
        return np.array([float(v) for v in approx.values])
    try:
        x = np.asarray(approx, dtype=float).ravel()
    except (TypeError, ValueError):
        x = None
    if x is None or x.shape != (loss.mlp.n_parameters,) or not np.all(np.isfinite(x)):
        raise SpecificationError(
            f"the approximation must be a Point or {loss.mlp.n_parameters} finite numbers, got {approx!r:.60}"
        )
    return x


def _newton(
    loss: Loss,
    x0: np.ndarray,
    steps: int = 40,
    max_move: float | None = MOVE_TOLERANCE,
    advice: str | None = None,
) -> tuple[np.ndarray, int, float, np.ndarray, float]:
    """Newton's method on ``grad L`` in float64, each step halved until ``|grad L|`` decreases.

    The Hessian (the costly part) is recomputed only when a step from an older one contracts
    ``|grad L|`` less than fourfold or fails, and at the final point if that moved. Refused when
    it moves more than ``max_move`` (relative to ``1 + |x0|_inf``; None: any distance) or does not
    bring ``|grad L|`` near 0 within ``steps`` steps; ``advice`` replaces the refusal's last sentence.
    """
    compiled = FloatLoss(loss)
    x, g = x0.copy(), compiled.gradient(x0)
    start_norm = float(np.linalg.norm(g))
    H, at = float_hessian(loss, x), x.copy()  # the Hessian is refreshed only when it stops paying
    P = np.linalg.pinv(H, rcond=1e-13)  # the least-squares step -P g, factored once per Hessian
    scale = 1.0 + float(np.max(np.abs(x0), initial=0.0))
    used = 0
    for _ in range(steps):
        delta = -(P @ g)
        for _ in range(30):
            g_trial = compiled.gradient(x + delta)
            if np.all(np.isfinite(g_trial)) and np.linalg.norm(g_trial) < np.linalg.norm(g):
                break
            delta = delta / 2
        else:
            if np.array_equal(at, x):
                break
            H, at = float_hessian(loss, x), x.copy()  # a stale Hessian: refresh it and try again
            P = np.linalg.pinv(H, rcond=1e-13)
            continue
        stale = np.linalg.norm(g_trial) > np.linalg.norm(g) / 4 and not np.array_equal(at, x)
        x, g, used = x + delta, g_trial, used + 1
        if stale:  # little progress from an old Hessian: refresh it
            H, at = float_hessian(loss, x), x.copy()
            P = np.linalg.pinv(H, rcond=1e-13)
    if float(np.max(np.abs(x - at), initial=0.0)) > 1e-8 * scale:
        H = float_hessian(loss, x)  # the evidence and Y are taken at the final point
    moved = float(np.max(np.abs(x - x0), initial=0.0))
    gnorm = float(np.linalg.norm(g))
    converged = gnorm <= 1e-6 * (1.0 + abs(compiled.value(x)))
    far = max_move is not None and moved > max_move * scale
    if far or not converged:
        allowed = ""
        if max_move is not None:
            allowed = f" (allowed {max_move * scale:.3g}, {max_move:.3g} of 1 + |x|_inf)"
        if converged:
            what = (
                f"Newton's method found a critical point {moved:.3g} away{allowed}, "
                f"|grad L| = {start_norm:.3g} at the approximation"
            )
        else:
            what = (
                f"{used} Newton steps did not converge: |grad L| went from {start_norm:.3g} to {gnorm:.3g} "
                f"and the point moved by {moved:.3g}{allowed}"
            )
        todo = advice or "start from an approximate critical point (e.g. locate_minimum(loss, ...).point)"
        raise SpecificationError(
            f"the approximation is not near a critical point of the loss: {what}; {todo}"
        )
    return x, used, gnorm, H, moved


def certify_critical_point(
    loss: Loss,
    approx: Any,
    *,
    radius: object = None,
    newton_steps: int = 40,
    max_move: float | None = MOVE_TOLERANCE,
    advice: str | None = None,
) -> CriticalPoint:
    """Prove that ``grad L`` has exactly one zero in a small box around ``approx`` (refined first).

    ``approx`` is a :class:`~symcert.symbolic.point.Point` or a flat sequence of floats in the
    order of ``loss.mlp.symbols``. ``radius`` (exact, optional) fixes the box's half-width;
    by default it is chosen from the Newton step and enlarged until the test decides.
    ``newton_steps`` bounds the float Newton refinement; ``max_move`` is how far it may move the
    approximation, relative to ``1 + |approx|_inf`` (None: any distance; the certified point is
    then Newton's, and ``moved`` says how far it is); ``advice`` ends the refusal's message.
    """
    require_loss(loss)
    require_smooth(loss, "certifying a critical point")
    if isinstance(newton_steps, bool) or not isinstance(newton_steps, int) or not 1 <= newton_steps <= 10_000:
        raise SpecificationError(f"newton_steps must be an integer from 1 to 10000, got {newton_steps!r}")
    if max_move is not None and not (isinstance(max_move, (int, float)) and max_move > 0):
        raise SpecificationError(f"max_move must be a number > 0 or None (any distance), got {max_move!r}")
    x, steps, gnorm, H, moved = _newton(loss, _approximation(loss, approx), newton_steps, max_move, advice)
    center = loss.mlp.point_from_values([Fraction(float(v)) for v in x])
    c = [Fraction(float(v)) for v in x]
    eig = np.linalg.eigvalsh(0.5 * (H + H.T))
    evidence = tuple(float(v) for v in eig)
    top = float(np.max(np.abs(eig), initial=0.0))
    common = (loss, center)
    if top == 0.0 or float(np.min(np.abs(eig))) <= NOT_ISOLATED * top:
        smallest = float(np.min(np.abs(eig))) if eig.size else 0.0
        return CriticalPoint(
            *common,
            Fraction(0),
            "not isolated",
            None,
            steps,
            gnorm,
            evidence,
            "float64",
            f"not isolated: the Hessian at the approximate critical point is singular (smallest "
            f"|eigenvalue| {smallest:.3g} of {top:.3g}), as on a line of critical points or along a "
            "continuous symmetry; no box holds a unique critical point",
            moved=moved,
        )
    Y = approximate_inverse(H)
    if Y is None:  # inv failed or overflowed (a Hessian with inf or NaN): nothing to test with
        return CriticalPoint(
            *common,
            Fraction(0),
            "undecided",
            None,
            steps,
            gnorm,
            evidence,
            "float64",
            "undecided: the float64 Hessian at the approximate critical point has no finite inverse, "
            "so the Krawczyk test has no preconditioner",
            moved=moved,
        )
    if radius is not None:
        fixed = require_exact_t(radius, "radius")
        if fixed <= 0:
            raise SpecificationError(
                f"radius must be an exact number > 0 such as '1/1000000', got {radius!r}"
            )
        radii = [Fraction(int(fixed.p), int(fixed.q))]
    else:
        base = 4.0 * float(np.max(np.abs(Y @ _gradient_mid(loss, c)), initial=0.0))
        base = max(base, 2.0**-44 * (1.0 + float(np.max(np.abs(x)))))
        radii = [_dyadic_above(base * 16.0**k) for k in range(6)]
    margin, rung, r = None, "float64", radii[0]
    for bk in (F64Backend(), ArbBackend(30)):
        if bk.name == "arb" and loss.mlp.n_parameters > ARB_FALLBACK_PARAMETERS:
            break
        g = _gradient_balls(bk, loss, c)
        for r in radii:
            try:
                J = _hessian_balls(bk, loss, [v - r for v in c], [v + r for v in c])
                margin = krawczyk_margin(g, J, Y, r)
            except ArithmeticError:
                continue
            if margin < 0:
                rung = bk.name
                return CriticalPoint(
                    *common,
                    r,
                    "proved",
                    margin,
                    steps,
                    gnorm,
                    evidence,
                    rung,
                    f"proved: grad L has exactly one zero in the box centre +- {float(r):.3g} "
                    f"(Krawczyk, {rung}; {steps} Newton steps)",
                    moved=moved,
                )
    return CriticalPoint(
        *common,
        r,
        "undecided",
        margin,
        steps,
        gnorm,
        evidence,
        "arb",
        "undecided: the Krawczyk test did not pass for any radius tried (the Hessian enclosure is too "
        "wide or nearly singular)",
        moved=moved,
    )


def _dyadic_above(value: float) -> Fraction:
    exponent = int(np.ceil(np.log2(value)))
    return Fraction(2) ** exponent


def _gradient_mid(loss: Loss, c: Sequence[Fraction]) -> np.ndarray:
    lo, hi = gradient_over_box(F64Backend(), loss, c, c)
    return np.asarray(0.5 * lo + 0.5 * hi)


def _gradient_balls(bk: Any, loss: Loss, c: Sequence[Fraction]) -> list[Any]:
    from flint import arb

    if batched(loss):  # back-propagation is one pass: take the tight Arb enclosure on every rung
        bk = ArbBackend(30)
        found = gradient_over_box(bk, loss, c, c)
    else:
        found = gradient_box(bk, loss, c, c)
    if bk.name == "float64":
        lo, hi = found
        if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
            raise ArithmeticError("the float64 gradient enclosure is unbounded")
        return [arb.union(arb(float(a)), arb(float(b))) for a, b in zip(lo, hi)]
    return [arb(v.mid(), v.rad()) for v in (x.item() if hasattr(x, "item") else x for x in found)]


def _hessian_balls(bk: Any, loss: Loss, lower: list[Fraction], upper: list[Fraction]) -> Any:
    from flint import arb_mat

    found = hessian_over_box(bk, loss, lower, upper)
    if bk.name == "float64":
        return ball_matrix(*found)
    n = len(found)
    return arb_mat(n, n, [v.item() if hasattr(v, "item") else v for row in found for v in row])
