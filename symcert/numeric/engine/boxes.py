"""Gradient and Hessian enclosures over boxes of parameters, from batched directional jets.

A box is ``lower <= theta <= upper`` (flat exact values in ``mlp.symbols`` order). The
engine's jets (:mod:`.network`) along a direction ``d`` with the parameters given as a box
enclose the ranges of ``grad L . d`` and ``d^T H d`` over the box. The Hessian's entries
follow by polarization, ``H_ij = ((e_i + e_j)^T H (e_i + e_j) - H_ii - H_jj) / 2``: each
term's range encloses its value at every point of the box, so the combination encloses
``H_ij`` at every point of the box too. In float64 all ``n (n + 1) / 2`` directions run
as one stacked pass. Results are ``(lo, hi)`` float arrays (float64, exact endpoints) or,
from Arb, arrays of ``arb`` balls.

>>> from fractions import Fraction
>>> from symcert import MLP, Dataset, Loss
>>> from symcert.numeric.engine.backends import F64Backend
>>> loss = Loss(MLP((1, 1, 1), "tanh"), Dataset([[1]], [[0]]), "sse")
>>> box = [Fraction(v) for v in (1, 0, 1, 0)]
>>> lo, hi = hessian_box(F64Backend(), loss, box, box)
>>> bool(lo[3, 3] <= 2 <= hi[3, 3])                   # d2 L / d b2^2 = 2
True
>>> glo, ghi = gradient_box(F64Backend(), loss, box, box)
>>> bool(glo[3] <= 2 * 0.7615941559557649 <= ghi[3])  # dL/db2 = 2 tanh(1)
True
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from symcert.numeric.engine.api import _hull
from symcert.numeric.engine.elementary import down, up
from symcert.numeric.engine.layout import exact_layout
from symcert.numeric.engine.network import Weights, evaluate, weights_of

__all__ = ["box_weights", "gradient_box", "hessian_box", "curvature_box", "ball_matrix"]


def box_weights(bk: Any, mlp: Any, lower: Sequence[Any], upper: Sequence[Any]) -> list[Weights]:
    """The box ``lower <= theta <= upper`` as per-layer enclosures in backend ``bk``."""
    la, lu = exact_layout(mlp, lower), exact_layout(mlp, upper)
    params = []
    for a, b in zip(la.layers, lu.layers):
        W = _hull(bk, bk.array(a.W), bk.array(b.W))
        bias = None if a.b is None else _hull(bk, bk.array(a.b), bk.array(b.b))[None, :]
        params.append(Weights(W, bias))
    return params


def _jets(bk: Any, loss: Any, box: list[Weights], vectors: list[list[int]], order: int) -> Any:
    mlp = loss.mlp
    with bk.active():
        if bk.name == "float64":
            jet = evaluate(bk, loss, box, _stacked_units(mlp, vectors), order)[order]
            return np.asarray(jet.lo, dtype=float), np.asarray(jet.hi, dtype=float)
        layouts = [exact_layout(mlp, [Fraction(v) for v in vec]) for vec in vectors]
        return [evaluate(bk, loss, box, weights_of(bk, lay), order)[order] for lay in layouts]


def _stacked_units(mlp: Any, vectors: list[list[int]]) -> list[Weights]:
    """Small-integer directions as one float64 stack (exact values; built with numpy, not per layout)."""
    from symcert.numeric.engine.f64 import F64

    flat = np.asarray(vectors, dtype=float)
    out, position = [], 0
    for l in range(1, mlp.depth + 1):
        rows, cols = mlp.widths[l], mlp.widths[l - 1]
        W = flat[:, position : position + rows * cols].reshape(len(vectors), rows, cols)
        position += rows * cols
        b = None
        if mlp.has_bias(l):
            b = F64.exact(flat[:, position : position + rows].reshape(len(vectors), 1, rows))
            position += rows
        out.append(Weights(F64.exact(W), b))
    return out


def _unit(n: int, *ones: int) -> list[int]:
    v = [0] * n
    for i in ones:
        v[i] += 1
    return v


def gradient_box(bk: Any, loss: Any, lower: Sequence[Any], upper: Sequence[Any]) -> Any:
    """Enclosures of ``grad L`` over the box: ``(lo, hi)`` float arrays, or a list of ``arb``."""
    n = loss.mlp.n_parameters
    with bk.active():
        box = box_weights(bk, loss.mlp, lower, upper)
    return _jets(bk, loss, box, [_unit(n, i) for i in range(n)], 1)


def hessian_box(bk: Any, loss: Any, lower: Sequence[Any], upper: Sequence[Any]) -> Any:
    """Enclosures of every ``H_ij`` over the box: ``(lo, hi)`` float ``n x n`` arrays, or ``arb`` rows."""
    n = loss.mlp.n_parameters
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    vectors = [_unit(n, i) for i in range(n)] + [_unit(n, i, j) for i, j in pairs]
    with bk.active():
        box = box_weights(bk, loss.mlp, lower, upper)
    found = _jets(bk, loss, box, vectors, 2)
    if bk.name == "float64":
        lo, hi = found
        H_lo, H_hi = np.empty((n, n)), np.empty((n, n))
        with np.errstate(all="ignore"):
            H_lo[range(n), range(n)], H_hi[range(n), range(n)] = lo[:n], hi[:n]
            for k, (i, j) in enumerate(pairs):
                a, b = lo[n + k], hi[n + k]
                low = _half_down(down(down(a - hi[i]) - hi[j]))
                high = _half_up(up(up(b - lo[i]) - lo[j]))
                H_lo[i, j] = H_lo[j, i] = low
                H_hi[i, j] = H_hi[j, i] = high
        if not (np.all(np.isfinite(H_lo)) and np.all(np.isfinite(H_hi))):
            raise ArithmeticError("the float64 Hessian enclosure over the box is unbounded")
        return H_lo, H_hi
    rows = [[None] * n for _ in range(n)]
    for i in range(n):
        rows[i][i] = found[i]
    with bk.active():  # at the backend's precision (flint's default, 53 bits, outside)
        for k, (i, j) in enumerate(pairs):
            rows[i][j] = rows[j][i] = (found[n + k] - found[i] - found[j]) / 2
    return rows


def _half_down(x: np.ndarray) -> np.ndarray:
    """At most ``x / 2``. ``h = fl(x * 0.5)`` is exact unless ``x / 2`` is subnormal with an odd last bit,
    when round to nearest moves it by ``2^-1075``, up or down; doubling is exact (``|h| <= |x|``),
    so ``h + h <= x`` tells exactly whether ``h <= x / 2``. (Not "exact halving": subnormals.)

    >>> [float(v) for v in _half_down(np.array([5e-324, 1.5e-323, 3.0]))]
    [0.0, 5e-324, 1.5]
    """
    h = x * 0.5
    return np.where(h + h <= x, h, down(h))


def _half_up(x: np.ndarray) -> np.ndarray:
    """At least ``x / 2`` (see :func:`_half_down`).

    >>> [float(v) for v in _half_up(np.array([5e-324, 1.5e-323, -1.5e-323, 3.0]))]
    [5e-324, 1e-323, -5e-324, 1.5]
    """
    h = x * 0.5
    return np.where(h + h >= x, h, up(h))


def curvature_box(
    bk: Any, loss: Any, lower: Sequence[Any], upper: Sequence[Any], direction: Sequence[Any]
) -> tuple[Fraction, Fraction]:
    """Exact endpoints enclosing ``d^T H d`` over the box (one jet)."""
    with bk.active():
        box = box_weights(bk, loss.mlp, lower, upper)
        step = weights_of(bk, exact_layout(loss.mlp, [Fraction(v) for v in direction]))
        return bk.endpoints(evaluate(bk, loss, box, step, 2)[2])


def ball_matrix(lo: np.ndarray, hi: np.ndarray) -> Any:
    """An ``arb_mat`` whose balls contain the float intervals ``[lo, hi]`` (entrywise)."""
    from flint import arb, arb_mat

    rows, cols = lo.shape
    return arb_mat(
        rows, cols, [arb.union(arb(float(a)), arb(float(b))) for a, b in zip(lo.ravel(), hi.ravel())]
    )
