r"""The Krawczyk test: a box that provably holds exactly one zero of a smooth map.

For ``F: R^n -> R^n`` (here the gradient of a loss), a box ``X = c + [-r, r]^n``, an
enclosure ``J`` of the Jacobian of ``F`` over ``X`` and any fixed real matrix ``Y``
(an approximate inverse of ``F'(c)``), Krawczyk's operator is

.. math:: K(X) = c - Y F(c) + (I - Y J)(X - c).

If ``K(X)`` lies in the interior of ``X``, then ``F`` has exactly one zero in ``X``
(Krawczyk 1969, Moore 1977; Rump 1983 for the interior condition, which also makes
``Y`` and every matrix of ``J`` nonsingular). The test below computes
``D = -Y F(c) + (I - Y J)[-r, r]`` in Arb (``arb_mat``) and returns an exact upper bound
of ``max_i |D_i| - r``: the *margin*, which is negative exactly when the test succeeds.

>>> from fractions import Fraction
>>> import numpy as np
>>> from flint import arb, arb_mat
>>> # F(x) = x^2 - 2 near sqrt(2): c = 1.4142, F(c) and F' = 2x over the box, exactly enclosed
>>> c, r = Fraction(14142, 10000), Fraction(1, 1000)
>>> F = [arb(c.numerator) / c.denominator] ; F = [F[0] * F[0] - 2]
>>> J = arb_mat([[arb.union(arb(2 * (c - r).numerator) / (c - r).denominator,
...                         arb(2 * (c + r).numerator) / (c + r).denominator)]])
>>> krawczyk_margin(F, J, np.array([[1 / 2.8284]]), r) < 0
True
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np

__all__ = ["krawczyk_margin", "arb_bounds", "approximate_inverse"]


def arb_bounds(x: Any) -> tuple[Fraction, Fraction]:
    """Exact endpoints of an ``arb`` ball (``ArithmeticError`` if it is not finite)."""
    if not x.is_finite():
        raise ArithmeticError("an enclosure is unbounded or NaN")
    mid, rad = _exact(x.mid()), _exact(x.rad())
    return mid - rad, mid + rad


def _exact(value: Any) -> Fraction:
    man, exp = (int(v) for v in value.man_exp())
    return Fraction(man * 2**exp) if exp >= 0 else Fraction(man, 2**-exp)


def approximate_inverse(mid: np.ndarray) -> np.ndarray | None:
    """A float inverse of ``mid`` (any fixed real matrix is sound; a good one makes the test pass)."""
    try:
        Y = np.linalg.inv(mid)
    except np.linalg.LinAlgError:
        return None
    return Y if np.all(np.isfinite(Y)) else None


def krawczyk_margin(F: Sequence[Any], J: Any, Y: np.ndarray, radius: Fraction) -> Fraction:
    """An exact upper bound of ``max_i |(-Y F(c) + (I - Y J)[-r, r])_i| - r``.

    ``F`` holds ``arb`` enclosures of ``F(c)``, ``J`` is an ``arb_mat`` enclosing the Jacobian
    over the box, ``Y`` a float matrix (taken exactly). Negative means: exactly one zero in the box.
    """
    from flint import arb, arb_mat

    n = len(F)
    Ym = arb_mat(n, n, [arb(float(v)) for v in Y.ravel()])
    Fm = arb_mat(n, 1, list(F))
    R = arb_mat(n, 1, [arb(0, _ball_radius(radius))] * n)
    D = -(Ym * Fm) + (arb_mat(n, n, [arb(int(i == j)) for i in range(n) for j in range(n)]) - Ym * J) * R
    worst = max(max(abs(end) for end in arb_bounds(v)) for v in D.entries())
    return worst - radius


def _ball_radius(radius: Fraction) -> Any:
    """An ``arb`` at least ``radius`` (an exact dyadic or rounded up)."""
    from flint import arb, fmpq

    return arb(fmpq(radius.numerator, radius.denominator)).upper()
