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
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

__all__ = ["certified_inertia", "gershgorin_discs"]


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
