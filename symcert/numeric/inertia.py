r"""Certified inertia of every symmetric matrix in an interval enclosure (Sylvester + Gershgorin).

Sylvester's law of inertia: ``V^T H V`` has the inertia of ``H`` for any nonsingular ``V``.
With ``V`` a float approximate eigenbasis of the enclosure's midpoint, ``C = V^T H V`` is
nearly diagonal; it is computed in verified float64 products over the whole enclosure of ``H``.
Gershgorin: every eigenvalue of a real symmetric ``C`` lies in a disc (an interval)
``[C_ii - R_i, C_ii + R_i]``, ``R_i = sum_{j != i} |C_ij|``, and a union of ``k`` discs
disjoint from the others holds exactly ``k`` eigenvalues. So when no interval contains 0,
the number of intervals below 0 is the number of negative eigenvalues, for *every*
symmetric ``H`` in the enclosure. ``V`` is proved nonsingular on the way
(``||V^T V - I||_inf < 1``). Otherwise the answer is ``None`` ("undecided").

>>> import numpy as np
>>> H = np.array([[2.0, 1.0, 0.0], [1.0, -3.0, 0.5], [0.0, 0.5, 1.0]])
>>> certified_inertia(H - 1e-9, H + 1e-9)
(1, 2)
>>> certified_inertia(np.zeros((2, 2)) - 1e-9, np.zeros((2, 2)) + 1e-9) is None
True

Eigenvalue enclosures (:func:`eigenvalue_enclosures`): for a symmetric ``H``, any vector
``v != 0`` and any ``mu``, some eigenvalue of ``H`` lies within ``||H v - mu v|| / ||v||`` of
``mu``. With ``(mu_k, v_k)`` float eigenpairs of the midpoint and the residual computed in Arb
over the whole enclosure (a ball ``H``: this also covers the enclosure's radius, Weyl's
``||E||_2 <= ||E||_F`` in ball form), each interval ``I_k`` holds an eigenvalue of *every*
symmetric matrix in the enclosure. Which one is pinned by the inertia
(:func:`pin_extreme_eigenvalues`).

>>> I = eigenvalue_enclosures(H - 1e-9, H + 1e-9)
>>> [bool(float(a) < v < float(b)) for (a, b), v in zip(I, np.linalg.eigvalsh(H))]
[True, True, True]
"""

from __future__ import annotations

from fractions import Fraction
from itertools import pairwise
from typing import Any

import numpy as np

__all__ = ["certified_inertia", "gershgorin_discs", "eigenvalue_enclosures", "pin_extreme_eigenvalues"]


def gershgorin_discs(lo: np.ndarray, hi: np.ndarray, V: np.ndarray) -> list[tuple[Any, Any]] | None:
    """The Gershgorin intervals of ``V^T H V`` over the enclosure, as exact ``(lower, upper)``; ``None``
    when ``V`` is not proved nonsingular.

    Computed in the engine's verified float64 products (:mod:`symcert.numeric.engine.f64`): ``V``
    is taken exactly, ``[lo, hi]`` as intervals, and every row sum is bounded from above.
    """
    from symcert.numeric.engine.f64 import F64, matmul

    n = V.shape[1]
    with np.errstate(all="ignore"):
        Vf = F64.exact(np.asarray(V, dtype=float))
        gram = matmul(Vf.T, Vf) - F64.exact(np.eye(n))
        if not np.all(_row_bound(gram, diagonal=True) < 1):
            return None
        C = matmul(matmul(Vf.T, F64(np.asarray(lo, dtype=float), np.asarray(hi, dtype=float))), Vf)
        R = F64.exact(_row_bound(C, diagonal=False))
        idx = np.arange(n)
        low = (F64(C.lo[idx, idx], C.hi[idx, idx]) - R).lo
        high = (F64(C.lo[idx, idx], C.hi[idx, idx]) + R).hi
    if not (np.all(np.isfinite(low)) and np.all(np.isfinite(high))):
        return None
    return [(Fraction(float(a)), Fraction(float(b))) for a, b in zip(low, high)]


def _row_bound(x: Any, diagonal: bool) -> np.ndarray:
    """Upper bounds of ``sum_j |x_ij|`` (the diagonal left out unless ``diagonal``)."""
    from symcert.numeric.engine.f64 import F64

    mag = np.maximum(np.abs(x.lo), np.abs(x.hi))
    if not diagonal:
        mag = mag.copy()
        np.fill_diagonal(mag, 0.0)
    return F64.exact(mag).sum(axis=1).hi


def certified_inertia(lo: np.ndarray, hi: np.ndarray) -> tuple[int, int] | None:
    """``(negative, positive)`` eigenvalue counts valid for every symmetric matrix in ``[lo, hi]``.

    ``None`` when some Gershgorin interval contains 0 (a zero or nearly zero eigenvalue, or an
    enclosure too wide to decide).
    """
    mid = 0.5 * lo + 0.5 * hi
    mid = 0.5 * (mid + mid.T)
    _, V = np.linalg.eigh(mid)
    discs = gershgorin_discs(lo, hi, V)
    if discs is None or any(a <= 0 <= b for a, b in discs):
        return None
    negative = sum(1 for _, b in discs if b < 0)
    return negative, len(discs) - negative


def eigenvalue_enclosures(lo: np.ndarray, hi: np.ndarray) -> list[tuple[Fraction, Fraction]] | None:
    """Residual intervals ``[mu_k - rho_k, mu_k + rho_k]`` (exact, ascending ``mu_k``), each holding an
    eigenvalue of every symmetric matrix in ``[lo, hi]``; ``None`` when an entry is not finite.

    ``mu_k``, ``v_k``: float eigenpairs of the symmetrised midpoint (any vectors are sound);
    ``rho_k``: an upper bound of ``||H v_k - mu_k v_k|| / ||v_k||`` over the ball matrix ``H``, in Arb
    (python-flint) with outward rounding. Which eigenvalue each interval holds is not said here.

    >>> [(low, high)] = eigenvalue_enclosures(np.array([[-1.0]]), np.array([[1.0]]))
    >>> low <= -1 and 1 <= high and high - low < Fraction(201, 100)
    True
    """
    import flint
    from flint import arb, arb_mat

    lo, hi = np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
    if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
        return None
    n = lo.shape[0]
    mid = 0.5 * lo + 0.5 * hi
    values, vectors = np.linalg.eigh(0.5 * (mid + mid.T))
    saved = flint.ctx.prec
    flint.ctx.prec = 64
    try:
        entries = [arb(float(a)).union(arb(float(b))) for a, b in zip(lo.ravel(), hi.ravel())]
        H = arb_mat(n, n, entries)
        V = arb_mat(n, n, [arb(x) for x in vectors.ravel().tolist()])
        mus = [arb(x) for x in values.tolist()]
        R = H * V - arb_mat(n, n, [V[i, k] * mus[k] for i in range(n) for k in range(n)])
        # (R^T R)_kk over balls encloses every sum_i r_ik^2 (the product of a ball with itself
        # encloses the squares of its points), so its upper end bounds ||H v_k - mu_k v_k||^2
        squares, lengths = R.transpose() * R, V.transpose() * V
        out = []
        for k in range(n):
            rho = (squares[k, k].upper().sqrt().upper() / lengths[k, k].lower().sqrt().lower()).upper()
            if not rho.is_finite():
                return None
            low, high = (mus[k] - rho).lower(), (mus[k] + rho).upper()
            out.append((_exact(low), _exact(high)))
        return out
    finally:
        flint.ctx.prec = saved


def _exact(x: Any) -> Fraction:
    """An exact (arb-point) ball as a ``Fraction``."""
    if x.rad() != 0:  # pragma: no cover - lower() and upper() are exact
        raise ArithmeticError("an endpoint is not exact")
    m, e = x.mid().man_exp()
    return Fraction(int(m)) * Fraction(2) ** int(e)


def pin_extreme_eigenvalues(
    intervals: list[tuple[Fraction, Fraction]], negative: int, positive: int
) -> dict[str, tuple[Fraction, Fraction]]:
    """``lambda_min`` (and ``lambda_min_positive``) of a symmetric matrix with ``negative`` and ``positive``
    eigenvalues, from ascending residual intervals (:func:`eigenvalue_enclosures`).

    If the ``negative`` lowest intervals lie below 0 and are pairwise disjoint, each holds a
    distinct eigenvalue, hence exactly one of the ``negative`` negative eigenvalues, in order: the
    first holds ``lambda_min``. Likewise the ``positive`` highest intervals above 0, disjoint,
    pin ``lambda_min_positive`` in the lowest of them. Keys are omitted when not pinned.

    >>> one = (Fraction(-3), Fraction(-2))
    >>> pin_extreme_eigenvalues([one, (Fraction(1), Fraction(2))], 1, 1)["lambda_min"] == one
    True
    >>> pin_extreme_eigenvalues([(Fraction(-3), Fraction(-1)), (Fraction(-2), Fraction(2))], 2, 0)
    {}
    """
    out: dict[str, tuple[Fraction, Fraction]] = {}
    low = intervals[:negative]
    if negative and all(b < 0 for _, b in low) and all(a[1] < b[0] for a, b in pairwise(low)):
        out["lambda_min"] = low[0]
    high = intervals[len(intervals) - positive :] if positive else []
    if high and all(a > 0 for a, _ in high) and all(a[1] < b[0] for a, b in pairwise(high)):
        out["lambda_min_positive"] = high[0]
        if not negative and positive == len(intervals):  # no zero eigenvalue: the lowest is positive
            out["lambda_min"] = high[0]
    return out
