r"""A certified critical point in a much smaller box: Newton's method and Krawczyk in Arb.

A box from :func:`~symcert.proofs.critical_point.certify_critical_point` has a float64 centre, so
its radius is about ``1e-13``, and every enclosure taken over it (the Hessian, its eigenvalues, the
loss) is no tighter than that. :func:`tighten_critical_point` refines the centre by the simplified
Newton iteration ``c <- c - Y grad L(c)`` with the float inverse ``Y`` of the Hessian and
``grad L(c)`` in Arb at ``dps`` digits (each step gains about as many digits as ``Y`` is accurate:
twelve or so), then runs the Krawczyk test at that precision on a box whose radius is a few times
``|Y grad L(c)|``. The tight box is accepted only inside the old one, so the zero it holds is the
same (the old box holds exactly one).

>>> from symcert import MLP, Dataset, Loss
>>> from symcert.proofs.critical_point import certify_critical_point
>>> data = Dataset([[-2], [-1], [0], [1], [2], [3]], [[-1], [-1], [0], [1], [2], [2]])
>>> loss = Loss(MLP((1, 1, 1), "tanh"), data, "mse")
>>> approx = loss.mlp.point(W1=[["0.798"]], b1=["-0.399"], W2=[["1.633"]], b2=["0.5"])
>>> found = certify_critical_point(loss, approx)
>>> tight = tighten_critical_point(found, 40)
>>> tight.status, tight.radius < 10**-35, found.radius > 10**-14
('proved', True, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from fractions import Fraction
from typing import Any

import numpy as np

from symcert.numeric.engine.backends import ArbBackend
from symcert.numeric.engine.boxes import gradient_box, hessian_box
from symcert.numeric.engine.hessian_columns import batched, gradient_over_box
from symcert.numeric.krawczyk import approximate_inverse, arb_bounds, krawczyk_margin
from symcert.numeric.rounding import decimal_up
from symcert.proofs.critical_point import CriticalPoint, float_hessian

__all__ = ["tighten_critical_point", "loss_at_critical_point", "arb_hessian_over_box", "TIGHT_PARAMETERS"]

#: Largest number of parameters for the Arb Hessian over a box (one jet per pair of parameters).
TIGHT_PARAMETERS = 64


def _gradient(bk: ArbBackend, loss: Any, lower: Sequence[Fraction], upper: Sequence[Fraction]) -> list[Any]:
    found = (
        gradient_over_box(bk, loss, lower, upper) if batched(loss) else gradient_box(bk, loss, lower, upper)
    )
    return [v.item() if hasattr(v, "item") else v for v in found]


def arb_hessian_over_box(
    bk: ArbBackend, loss: Any, lower: Sequence[Fraction], upper: Sequence[Fraction]
) -> Any:
    """The Hessian over the box as an ``arb_mat`` at ``bk``'s precision (one jet per pair of parameters)."""
    from flint import arb_mat

    found = hessian_box(bk, loss, lower, upper)
    n = len(found)
    return arb_mat(n, n, [v.item() if hasattr(v, "item") else v for row in found for v in row])


def _exact_mid(x: Any) -> Fraction:
    lo, hi = arb_bounds(x)
    return (lo + hi) / 2


def _round(value: Fraction, bits: int) -> Fraction:
    """``value`` rounded to a dyadic with about ``bits`` significant bits (centres stay short)."""
    if value == 0:
        return value
    e = abs(value.numerator).bit_length() - abs(value.denominator).bit_length() - bits
    return Fraction(round(value / Fraction(2) ** e)) * Fraction(2) ** e


def tighten_critical_point(found: CriticalPoint, dps: int) -> CriticalPoint:
    """The critical point of ``found`` (proved) in a box of radius about ``10^-dps`` (Arb at ``dps`` digits).

    Returns ``found`` itself with an "undecided" message when the tight box cannot be proved (or
    does not lie in the old box); ``rung`` names the precision that decided.
    """
    if not found.proved:
        raise ValueError("only a proved critical point can be tightened")
    loss, bk = found.loss, ArbBackend(dps)
    n = loss.mlp.n_parameters
    if n > TIGHT_PARAMETERS:
        return replace(
            found,
            message=f"{found.message}; not tightened: {n} parameters, more than the {TIGHT_PARAMETERS} "
            "of the high-precision Hessian",
        )
    c = [_exact_mid_value(v) for v in found.center.values]
    x = np.array([float(v) for v in c])
    Y = approximate_inverse(float_hessian(loss, x))
    if Y is None:  # pragma: no cover - the float box was proved with the same inverse
        return replace(found, message=f"{found.message}; not tightened: no float inverse of the Hessian")
    scale = 1 + max(abs(v) for v in c)
    floor = Fraction(2) ** (8 - bk.prec) * scale
    steps = 0
    for _ in range(dps // 8 + 10):  # each step gains about as many digits as Y is accurate (10 or more)
        steps += 1
        g = _gradient(bk, loss, c, c)
        step: list[Fraction] = [
            sum((Fraction(float(Y[i, j])) * _exact_mid(g[j]) for j in range(n)), Fraction(0))
            for i in range(n)
        ]
        c = [_round(v - s, bk.prec) for v, s in zip(c, step)]
        if max(abs(s) for s in step) <= floor:
            break
    g = _gradient(bk, loss, c, c)
    magnitudes = [max(abs(e) for e in arb_bounds(v)) for v in g]  # exact: no float underflow
    size = max(
        sum((abs(Fraction(float(Y[i, j]))) * magnitudes[j] for j in range(n)), Fraction(0)) for i in range(n)
    )
    base = max(4 * size, floor)
    old_lower, old_upper = found.lower, found.upper
    for k in range(5):
        r = _dyadic_above(base * 16**k)
        lower, upper = [v - r for v in c], [v + r for v in c]
        if any(a < b for a, b in zip(lower, old_lower)) or any(a > b for a, b in zip(upper, old_upper)):
            break
        try:
            J = arb_hessian_over_box(bk, loss, lower, upper)
            with bk.active():
                margin = krawczyk_margin(g, J, Y, r)
        except ArithmeticError:
            continue
        if margin < 0:
            center = loss.mlp.point_from_values(c)
            return replace(
                found,
                center=center,
                radius=r,
                margin=margin,
                newton_steps=found.newton_steps + steps,
                rung=f"arb {bk.prec} bits",
                message=f"proved: grad L has exactly one zero in the box centre +- {decimal_up(r, 3)} "
                f"(Krawczyk, Arb at {bk.prec} bits; {found.newton_steps} float64 and {steps} Arb Newton "
                "steps)",
            )
    return replace(
        found,
        message=f"{found.message}; not tightened: the Krawczyk test at {dps} digits did not pass inside "
        "the box",
    )


def _exact_mid_value(v: Any) -> Fraction:
    return Fraction(int(v.p), int(v.q))


def _dyadic_above(value: Fraction) -> Fraction:
    """The smallest power of two ``>= value`` (``value > 0``)."""
    e = value.numerator.bit_length() - value.denominator.bit_length()
    power = Fraction(2) ** e
    while power < value:
        power *= 2
    while power / 2 >= value:
        power /= 2
    return power


def loss_at_critical_point(
    loss: Any, center: Sequence[Fraction], radius: Fraction, dps: int | None = None
) -> tuple[Fraction, Fraction]:
    """An enclosure of ``L(z)`` for every ``z`` in ``center + [-radius, radius]^n``.

    ``L(c)`` enclosed at the centre plus ``radius * sum_i sup |dL/dtheta_i|`` over the box (the
    mean value theorem); float64 when ``dps`` is None, else Arb at ``dps`` digits.
    """
    from symcert.numeric.engine.api import loss_bounds
    from symcert.numeric.engine.backends import F64Backend
    from symcert.numeric.engine.layout import exact_layout

    bk: Any = F64Backend() if dps is None else ArbBackend(dps)
    lo, hi = loss_bounds(bk, loss, exact_layout(loss.mlp, list(center)))
    lower, upper = [v - radius for v in center], [v + radius for v in center]
    if dps is None:
        g_lo, g_hi = gradient_over_box(bk, loss, lower, upper)
        slope = sum(max(abs(Fraction(float(a))), abs(Fraction(float(b)))) for a, b in zip(g_lo, g_hi))
    else:
        slope = sum(max(abs(e) for e in arb_bounds(v)) for v in _gradient(bk, loss, lower, upper))
    return lo - radius * slope, hi + radius * slope
