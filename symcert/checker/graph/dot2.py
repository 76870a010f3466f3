r"""Compensated products for the checker's float64 rung: ``X @ W`` of balls whose midpoint product is
computed by Ogita, Rump and Oishi's ``Dot2`` (*Accurate sum and dot product*, SIAM J. Sci. Comput. 26,
2005, Algorithm 5.3 and Proposition 5.5), vectorised over the rows and columns, with the bound

    |res - x.y| <= u |x.y| + gamma_n^2 |x|.|y|,

which, with ``|x.y| <= |res| + |res - x.y|``, gives ``|res - x.y| <= (u |res| + gamma_n^2 |x|.|y|) /
(1 - u)``: the radius used is ``grow(grow(u |res|) + grow(gamma_n^2 s))`` with ``s >= |x|.|y|`` from a
rounded-up BLAS product (:func:`~symcert.checker.graph.balls.dot_factor`), plus ``2^-1000``.
Ogita et al. assume no underflow. Here every midpoint is 0 or of magnitude in ``[2^-480, 2^480]``
(the range guard, :func:`~symcert.checker.graph.balls.tame`), so every product ``a b`` and every
Veltkamp half-product is a multiple of ``2^-1064`` (the product of two ulps) below ``2^961``:
each TwoProduct (Dekker's, with Veltkamp's split by ``2^27 + 1``, exact for ``|a| < 2^995``) is then
exact, TwoSum is exact in round to nearest, and a sum whose result is subnormal is exact, so the
standard model used in their proof holds; the ``2^-1000`` covers the rest with room to spare.

The input radii are added as in :func:`~symcert.checker.graph.balls.matmul`:
``(|Xm| + Xr) Wr + Xr |Wm|``, each product rounded up by ``dot_factor``. This removes the ``gamma_n
|Xm| |Wm|`` term of the plain BLAS bound, the main width of a second-order jet through ``tanh``.

>>> import numpy as np
>>> from fractions import Fraction
>>> x = Ball(np.array([[1e16, 1.0, -1e16]]), np.zeros((1, 3)))
>>> w = Ball(np.array([[1.0], [1.0], [1.0]]), np.zeros((3, 1)))
>>> y = dot2_matmul(x, w)                      # plain float64 sums give 0
>>> float(y.m[0, 0]), bool(y.r[0, 0] < 1e-14)     # gamma_3^2 * 2e16
(1.0, True)
"""

from __future__ import annotations

import numpy as np

from symcert.checker.graph.balls import Ball, U, dot_factor, gamma, grow, tame

__all__ = ["dot2_matmul", "sum2"]

_SPLIT = 134217729.0  # 2^27 + 1
_FLOOR = 2.0**-1000


def _split(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    c = _SPLIT * a
    high = c - (c - a)
    return high, a - high


def _two_product(a: np.ndarray, b: np.ndarray, b_parts: tuple) -> tuple[np.ndarray, np.ndarray]:
    p = a * b
    ah, al = _split(a)
    bh, bl = b_parts
    return p, al * bl - (((p - ah * bh) - al * bh) - ah * bl)


def dot2_matmul(x: Ball, w: Ball) -> Ball:
    """``x @ w`` (2-D balls, inner size ``n``) with the Dot2 midpoint and the bound of the module text."""
    xm, wm = x.m, w.m
    n = xm.shape[1]
    p = s = None
    # transposed, (columns, rows): the elementwise passes then run along the long contiguous axis
    # (the same operations on the same entries, so the same result and bound as x @ w row by row)
    xt, wt = np.ascontiguousarray(xm.T), np.ascontiguousarray(wm.T)
    for k in range(n):
        a = xt[k : k + 1, :]
        b = wt[:, k : k + 1]
        h, r = _two_product(a, b, _split(b))
        if p is None:
            p, s = h, r
            continue
        t = p + h  # TwoSum(p, h)
        z = t - p
        q = (p - (t - z)) + (h - z)
        p, s = t, s + (q + r)
    if p is None:
        return tame(np.zeros((xm.shape[0], wm.shape[1])), np.zeros((xm.shape[0], wm.shape[1])))
    res = np.ascontiguousarray((p + s).T)
    g = gamma(n)
    with np.errstate(over="ignore", invalid="ignore"):
        abs_x = np.abs(xm)
        magnitude = (abs_x @ np.abs(wm)) * dot_factor(n)
        r = grow(grow(U * np.abs(res)) + grow(grow(g * g) * magnitude)) + _FLOOR
        r = grow(r * grow(1.0 + 2 * U))  # the 1 / (1 - u) of the module text
        if x.r.any():
            r = grow(r + (x.r @ np.abs(wm)) * dot_factor(n))
        if w.r.any():
            r = grow(r + (grow(abs_x + x.r) @ w.r) * dot_factor(n))
    return tame(res, r)


def sum2(x: Ball, axes: tuple[int, ...]) -> Ball:
    """The sum over ``axes`` (kept, of size 1) with Ogita, Rump and Oishi's ``Sum2`` (their Algorithm
    4.4 and Proposition 4.5: ``|res - s| <= u |s| + gamma_{n-1}^2 sum |x_i|``) at the midpoints, so
    ``|res - s| <= (u |res| + gamma_n^2 sum |x_i|) / (1 - u)`` as for :func:`dot2_matmul`, plus the
    radii's sum rounded up (``dot_factor``) and ``2^-1000`` (the same range argument: sums only).

    >>> y = sum2(Ball(np.array([[1e16, 1.0, -1e16]]), np.zeros((1, 3))), (1,))
    >>> float(y.m[0, 0]), bool(y.r[0, 0] < 1e-14)
    (1.0, True)
    """
    keep = tuple(a for a in range(len(x.shape)) if a not in axes)
    order = (*keep, *axes)
    m = np.transpose(x.m, order)
    lead = m.shape[: len(keep)]
    m = m.reshape(*lead, -1)
    n = m.shape[-1]
    p, s = m[..., 0].copy(), np.zeros(lead)
    for k in range(1, n):
        h = m[..., k]
        t = p + h
        z = t - p
        s = s + ((p - (t - z)) + (h - z))
        p = t
    res = p + s
    g = gamma(max(n, 1))
    with np.errstate(over="ignore", invalid="ignore"):
        magnitude = np.sum(np.abs(m), axis=-1) * dot_factor(n)
        r = grow(grow(U * np.abs(res)) + grow(grow(g * g) * magnitude)) + _FLOOR
        r = grow(r * grow(1.0 + 2 * U))
        if x.r.any():
            r = grow(r + np.sum(np.transpose(x.r, order).reshape(*lead, -1), axis=-1) * dot_factor(n))
    shape = tuple(1 if a in axes else size for a, size in enumerate(x.shape))
    return tame(res.reshape(shape), r.reshape(shape))
