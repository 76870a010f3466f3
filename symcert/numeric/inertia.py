r"""Certified inertia of every symmetric matrix in an interval enclosure (Sylvester + Gershgorin).

Sylvester's law of inertia: ``V^T H V`` has the inertia of ``H`` for any nonsingular ``V``.
With ``V`` a float approximate eigenbasis of the enclosure's midpoint, ``C = V^T H V`` is
nearly diagonal; it is computed in Arb (``arb_mat``) over the whole enclosure of ``H``.
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

from typing import Any

import numpy as np

from symcert.numeric.krawczyk import arb_bounds

__all__ = ["certified_inertia", "gershgorin_discs"]


def gershgorin_discs(lo: np.ndarray, hi: np.ndarray, V: np.ndarray) -> list[tuple[Any, Any]] | None:
    """The Gershgorin intervals of ``V^T H V`` over the enclosure, as exact ``(lower, upper)``; ``None``
    when ``V`` is not proved nonsingular."""
    from flint import arb, arb_mat

    from symcert.numeric.engine.boxes import ball_matrix

    n = V.shape[1]
    Vm = arb_mat(V.shape[0], n, [arb(float(v)) for v in V.ravel()])
    gram = Vm.transpose() * Vm - arb_mat(n, n, [arb(int(i == j)) for i in range(n) for j in range(n)])
    rows = [sum((abs(gram[i, j]) for j in range(n)), arb(0)) for i in range(n)]
    if not all(arb_bounds(r)[1] < 1 for r in rows):
        return None
    C = Vm.transpose() * ball_matrix(lo, hi) * Vm
    discs = []
    for i in range(n):
        R = sum((abs(C[i, j]) for j in range(n) if j != i), arb(0))
        low, high = arb_bounds(C[i, i] - R)[0], arb_bounds(C[i, i] + R)[1]
        discs.append((low, high))
    return discs


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
