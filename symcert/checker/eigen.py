"""The checker's own refinement of float eigenpairs (Ogita and Aishima 2018), at Arb's working precision.

Untrusted, like the float eigenpairs it starts from: the residual bounds computed afterwards in
:mod:`symcert.checker.saddle` are the proof, and any vectors are sound. It only makes them tight
enough for a claimed eigenvalue enclosure with many digits (``symcert saddle --digits N``). Shares
no code with the prover.

>>> from flint import arb_mat
>>> mus, V = refined_eigenpairs(arb_mat([[2, 1], [1, 3]]))
>>> abs(float(mus[0].mid()) - (5 - 5 ** 0.5) / 2) < 1e-15
True
"""

from __future__ import annotations

from typing import Any

import flint
import numpy as np
from flint import arb, arb_mat

__all__ = ["refined_eigenpairs"]


def _points(M: arb_mat) -> arb_mat:
    return arb_mat(M.nrows(), M.ncols(), [arb(v.mid()) for v in M.entries()])


def refined_eigenpairs(H: arb_mat, steps: int = 8) -> tuple[list[Any], arb_mat]:
    """Eigenvalues (``arb`` points, ascending) and unit-ish eigenvector columns of the midpoint of ``H``.

    ``X <- X + X E`` with ``R = I - X^T X``, ``S = X^T A X``, ``mu_i = s_ii / (1 - r_ii)``,
    ``E_ij = (s_ij + mu_j r_ij) / (mu_j - mu_i)`` (``i != j`` separated), ``E_ij = r_ij / 2`` otherwise.
    """
    n = H.nrows()
    A = _points(H)
    mid = np.array([float(v.mid()) for v in H.entries()]).reshape(n, n)
    values, vectors = np.linalg.eigh(0.5 * (mid + mid.T))
    X = arb_mat(n, n, [arb(float(v)) for v in vectors.ravel()])
    mus = [arb(float(v)) for v in values]
    eye = arb_mat(n, n, [arb(int(i == j)) for i in range(n) for j in range(n)])
    for _ in range(steps):
        R, S = eye - X.transpose() * X, X.transpose() * A * X
        mus = [arb((S[i, i] / (1 - R[i, i])).mid()) for i in range(n)]
        off = max((abs(float(S[i, j].mid())) for i in range(n) for j in range(n) if i != j), default=0.0)
        size = max(1.0, max(abs(float(m.mid())) for m in mus))
        E = arb_mat(n, n)
        for i in range(n):
            for j in range(n):
                separated = i != j and abs(float((mus[j] - mus[i]).mid())) > 4 * off
                E[i, j] = (S[i, j] + mus[j] * R[i, j]) / (mus[j] - mus[i]) if separated else R[i, j] / 2
        X = _points(X + X * E)
        if off <= 2.0 ** (8 - flint.ctx.prec) * size:
            break
    return mus, X
