r"""Verified float64 shortcuts for the saddle checker's large matrix products (numpy, :mod:`.f64`).

:mod:`symcert.checker.saddle` encloses the Hessian over a box in Arb, then multiplies it by float
matrices (an approximate inverse, an eigenbasis): ``n^3`` ball products each. Here the same
quantities come from midpoint-radius float64 products with directed error bounds
(:func:`symcert.checker.f64.matmul`: ``|fl(x . y) - x . y| <= gamma_n |x| . |y| + n eta``,
``gamma_n = n u / (1 - n u)``, ``u = 2^-53``), sums bounded by :func:`symcert.checker.f64.total`
(``gamma_{n-1} sum |x|``), and every other operation one rounded basic operation moved outward
(:func:`symcert.checker.f64.down` / :func:`~symcert.checker.f64.up`; ``sqrt`` is a basic operation
of IEEE 754, correctly rounded). Each function either decides (its bound is rigorous) or returns
``None``; the caller then runs its Arb computation unchanged. Nothing is shared with the prover.

>>> from flint import arb, arb_mat
>>> box = to_interval(arb_mat([[arb(1) / 3, arb(2)]]))
>>> bool(box.lo[0, 0] < 1 / 3 < box.hi[0, 0]) and bool(box.lo[0, 1] <= 2 <= box.hi[0, 1])
True
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from symcert.checker.f64 import TINY, Interval, down, matmul, outward_float, total, up

__all__ = ["to_interval", "krawczyk_margin", "inertia", "pinned"]

_ULP = 2.0**-52


def to_interval(M: Any) -> Interval:
    """An outward float64 :class:`~symcert.checker.f64.Interval` holding every ball of the ``arb_mat`` ``M``.

    ``float`` of an Arb midpoint or radius is faithful (within one ulp, any rounding direction), and an
    ulp of a normal float ``x`` is at most ``2^-52 |x|`` (below ``TINY`` for subnormals), so
    ``|mid - m| <= up(2^-52 |m| + TINY)`` and ``rad <= up(r)``. A non-finite end raises
    :class:`ArithmeticError`.
    """
    rows, cols = M.nrows(), M.ncols()
    entries = M.entries()
    m = np.array([float(v.mid()) for v in entries], dtype=float).reshape(rows, cols)
    r = np.array([float(v.rad()) for v in entries], dtype=float).reshape(rows, cols)
    if not (np.all(np.isfinite(m)) and np.all(np.isfinite(r))):
        raise ArithmeticError("a ball too large for float64")
    err = up(up(np.abs(m) * _ULP) + TINY)
    rad = up(up(r) + err)
    out = Interval(down(m - rad), up(m + rad))
    if not (np.all(np.isfinite(out.lo)) and np.all(np.isfinite(out.hi))):  # a ball at the edge of float64
        raise ArithmeticError("a ball too large for float64")
    return out


def _magnitude(x: Interval) -> np.ndarray:
    return np.maximum(np.abs(x.lo), np.abs(x.hi))


def _row_sums_up(x: np.ndarray) -> np.ndarray:
    """Upper bounds of the row sums of a nonnegative float matrix."""
    return total(Interval.point(x), axis=1).hi


def krawczyk_margin(g: Any, H: Any, Y: Any, radius: Fraction) -> Fraction | None:
    """An upper bound of ``max_i |D_i| - r`` for ``D = -Y g + (I - Y H)[-r, r]``, or ``None``.

    ``g`` (``n x 1``) and ``H`` are ``arb_mat``; ``Y`` is the exact float ``arb_mat`` the caller's
    Arb test would use. ``|D_i| <= |(Y g)_i| + r_up sum_j |(I - Y H)_ij|``, each term bounded above.
    Only an upper bound below 0 decides (the caller keeps Arb's tighter value otherwise).
    """
    try:
        Yf = to_interval(Y)
        P, eye = matmul(Yf, to_interval(H)), np.eye(H.nrows())
        E = Interval(down(eye - P.hi), up(eye - P.lo))
        Yg = matmul(Yf, to_interval(g))
        r_up = outward_float(radius, True)
        spread = up(_row_sums_up(_magnitude(E)) * r_up)
        worst = float(np.max(up(_magnitude(Yg)[:, 0] + spread)))
    except ArithmeticError:
        return None
    if not np.isfinite(worst):
        return None
    margin = Fraction(worst) - radius
    return margin if margin < 0 else None


def inertia(Hr: Interval, V: np.ndarray) -> int | None:
    """The number of negative eigenvalues of every symmetric matrix in ``Hr`` (float64), or ``None``.

    ``V`` (float columns) must be proved nonsingular: ``||V^T V - I||_inf < 1`` (upper row sums). Then
    ``C = V^T Hr V`` is congruent to ``Hr`` (Sylvester), and Gershgorin discs of ``C`` that all miss 0
    count its negative eigenvalues: the diagonal ``C_ii`` minus/plus the upper row sum of
    ``|C_ij|, j != i``, rounded outward.
    """
    n = V.shape[0]
    try:
        Vp, Vt = Interval.point(V), Interval.point(np.ascontiguousarray(V.T))
        G, eye = matmul(Vt, Vp), np.eye(n)
        off = Interval(down(G.lo - eye), up(G.hi - eye))
        if not bool(np.all(_row_sums_up(_magnitude(off)) < 1)):
            return None
        C = matmul(matmul(Vt, Hr), Vp)
    except ArithmeticError:
        return None
    mag = _magnitude(C)
    np.fill_diagonal(mag, 0.0)
    R = _row_sums_up(mag)
    low, high = down(np.diag(C.lo) - R), up(np.diag(C.hi) + R)
    if not bool(np.all((high < 0) | (low > 0))):
        return None
    return int(np.sum(high < 0))


def pinned(H: Interval, mus: np.ndarray, V: np.ndarray) -> list[tuple[Fraction, Fraction]] | None:
    """Residual intervals ``mu_k -+ ||H v_k - mu_k v_k|| / ||v_k||``, unsorted, or ``None``.

    Every symmetric matrix in ``H`` (an :class:`~symcert.checker.f64.Interval`) has an eigenvalue in
    each (``mus``, ``V``: any floats). ``R = H V - V diag(mu)`` is enclosed by one verified product
    and one outward subtraction; the squared column norms by :meth:`~symcert.checker.f64.Interval.square` and
    :func:`~symcert.checker.f64.total` (upper for ``R``, lower for ``V``), then ``sqrt`` and the quotient
    rounded outward.
    """
    try:
        Vp = Interval.point(V)
        R = matmul(H, Vp) - Interval.point(V) * Interval.point(mus[None, :])
        squares = total(R.square(), axis=0).hi
        lengths = total(Vp.square(), axis=0).lo
    except ArithmeticError:
        return None
    if not (bool(np.all(np.isfinite(squares))) and bool(np.all(lengths > 0))):
        return None
    rho = up(up(np.sqrt(squares)) / down(np.sqrt(lengths)))
    low, high = down(mus - rho), up(mus + rho)
    if not (bool(np.all(np.isfinite(low))) and bool(np.all(np.isfinite(high)))):
        return None
    return [(Fraction(float(a)), Fraction(float(b))) for a, b in zip(low, high)]


def to_arb(x: Interval) -> Any:
    """An ``arb_mat`` of balls ``mid +- rad`` holding ``x`` (2-D): ``mid`` the float midpoint (exact in
    Arb), ``rad = up(max(hi - mid, mid - lo))`` (each difference one basic operation, moved up)."""
    from flint import arb, arb_mat

    mid = 0.5 * x.lo + 0.5 * x.hi
    rad = np.maximum(up(x.hi - mid), up(mid - x.lo))
    rows, cols = x.shape
    return arb_mat(rows, cols, [arb(m, r) for m, r in zip(mid.ravel().tolist(), rad.ravel().tolist())])


def gram(J: Any) -> Any:
    """``J^T J`` for an ``arb_mat`` ``J`` as an ``arb_mat``, by one verified float64 product, or ``None``.

    The enclosure of :func:`symcert.checker.f64.matmul` (midpoint-radius, ``gamma_N`` of the ``N`` rows
    of ``J``): as rigorous as Arb's product, only wider (about ``N 2^-53`` relative), so the caller
    keeps Arb's product when a check needs more.
    """
    try:
        Jf = to_interval(J)
        G = matmul(Interval(np.ascontiguousarray(Jf.lo.T), np.ascontiguousarray(Jf.hi.T)), Jf)
    except ArithmeticError:
        return None
    return to_arb(G)
