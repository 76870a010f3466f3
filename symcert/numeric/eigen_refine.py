r"""Tight eigenvalue enclosures of a ball matrix: float eigenpairs refined in Arb, then residual bounds.

For a symmetric ``H``, any vector ``v != 0`` and any ``mu``, some eigenvalue of ``H`` lies within
``||H v - mu v|| / ||v||`` of ``mu`` (:mod:`symcert.numeric.inertia`). With float64 eigenpairs the
residual is about ``1e-16 ||H||``, so the enclosure pins no more digits than that. Here the float
eigenpairs are first refined at the working precision (Ogita and Aishima 2018: with
``R = I - X^T X``, ``S = X^T A X``, ``lambda_i = s_ii / (1 - r_ii)``,
``E_ij = (s_ij + lambda_j r_ij) / (lambda_j - lambda_i)`` for separated ``i != j``, ``E_ii = r_ii / 2``,
``X <- X + X E``; each step about doubles the correct digits), on the ball matrix's midpoints. The
refined pairs are untrusted (any vectors are sound); the residual bounds over the whole ball matrix,
in Arb with outward rounding, are the proof. So the enclosures are as tight as the ball matrix
allows.

>>> from flint import arb, arb_mat
>>> H = arb_mat([[2, 1], [1, 3]])          # eigenvalues (5 -+ sqrt 5) / 2
>>> intervals, _ = tight_eigenvalue_enclosures(H, prec=200)
>>> (lo, hi) = intervals[0]
>>> float(hi - lo) < 1e-50, abs(float(lo) - (5 - 5 ** 0.5) / 2) < 1e-15
(True, True)
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

__all__ = ["refine_eigenpairs", "tight_eigenvalue_enclosures"]

#: Refinement steps at most (each about doubles the correct digits: 53 bits to 3,000 in six).
MAX_STEPS = 8


def _mid(M: Any) -> Any:
    from flint import arb, arb_mat

    return arb_mat(M.nrows(), M.ncols(), [arb(v.mid()) for v in M.entries()])


def refine_eigenpairs(A: Any, values: list[float], vectors: np.ndarray, prec: int) -> tuple[list[Any], Any]:
    """Ogita--Aishima refinement of float eigenpairs of the midpoint of ``A`` (``arb_mat``) at ``prec`` bits.

    Returns ``(mus, X)``: ``arb`` points and an ``arb_mat`` of point columns. Pairs closer than the
    current error are left as they are (their residual bounds are then those of the float pairs).
    """
    import flint
    from flint import arb, arb_mat

    saved = flint.ctx.prec
    flint.ctx.prec = prec
    try:
        n = A.nrows()
        M = _mid(A)
        X = arb_mat(n, n, [arb(float(v)) for v in np.asarray(vectors, dtype=float).ravel()])
        mus = [arb(float(v)) for v in values]
        for _ in range(MAX_STEPS):
            R = arb_mat(n, n, [arb(int(i == j)) for i in range(n) for j in range(n)]) - X.transpose() * X
            S = X.transpose() * M * X
            mus = [arb((S[i, i] / (1 - R[i, i])).mid()) for i in range(n)]
            off = max((abs(float(S[i, j].mid())) for i in range(n) for j in range(n) if i != j), default=0.0)
            gap = 4 * off  # closer pairs are a cluster for now: left to the next step
            E = arb_mat(n, n)
            for i in range(n):
                for j in range(n):
                    if i == j or abs(float((mus[j] - mus[i]).mid())) <= gap:
                        E[i, j] = R[i, j] / 2
                    else:
                        E[i, j] = (S[i, j] + mus[j] * R[i, j]) / (mus[j] - mus[i])
            X = _mid(X + X * E)
            if off <= 2.0 ** (-prec + 8) * max(1.0, max(abs(float(m.mid())) for m in mus)):
                break
        return mus, X
    finally:
        flint.ctx.prec = saved


def tight_eigenvalue_enclosures(H: Any, prec: int) -> tuple[list[tuple[Fraction, Fraction]], int]:
    """Residual intervals (exact, ascending) of refined eigenpairs of the symmetric ball matrix ``H``,
    each holding an eigenvalue of every symmetric matrix in ``H``; and the working precision.

    ``ArithmeticError`` when an enclosure is not finite.
    """
    import flint
    from flint import arb_mat

    from symcert.numeric.krawczyk import arb_bounds

    n = H.nrows()
    mid = np.array([float(v.mid()) for v in H.entries()]).reshape(n, n)
    values, vectors = np.linalg.eigh(0.5 * (mid + mid.T))
    mus, V = refine_eigenpairs(H, values.tolist(), vectors, prec)
    saved = flint.ctx.prec
    flint.ctx.prec = prec
    try:
        R = H * V - arb_mat(n, n, [V[i, k] * mus[k] for i in range(n) for k in range(n)])
        squares, lengths = R.transpose() * R, V.transpose() * V
        out = []
        for k in range(n):
            rho = (squares[k, k].upper().sqrt().upper() / lengths[k, k].lower().sqrt().lower()).upper()
            low, high = (mus[k] - rho).lower(), (mus[k] + rho).upper()
            out.append((arb_bounds(low)[0], arb_bounds(high)[1]))
    finally:
        flint.ctx.prec = saved
    order = sorted(range(n), key=lambda k: out[k][0] + out[k][1])
    return [out[k] for k in order], prec
