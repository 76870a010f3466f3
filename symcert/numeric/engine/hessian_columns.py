r"""The Hessian over a box as batched Hessian-vector products (forward over reverse), in float64 intervals.

:func:`~symcert.numeric.engine.boxes.hessian_box` polarizes ``n (n + 1) / 2`` directional
second derivatives, each a full forward pass: ``O(n^3 N)`` work for ``n`` parameters and ``N``
data points. Here column ``j`` of the Hessian is ``H e_j``, the derivative along ``e_j`` of the
gradient computed by back-propagation, and all unit directions run at once as a batch of
matrix products (``O(n^2 N)``). With ``z_l = a_{l-1} W_l^T + b_l``, ``a_l = s(z_l)`` and
``g_l = dL/dz_l``::

    g_{l-1} = (g_l W_l) * s'(z_{l-1}),                   dL/dW_l = g_l^T a_{l-1},  dL/db_l = sum g_l
    z'_l = a'_{l-1} W_l^T + a_{l-1} dW_l^T + db_l,        a'_l = s'(z_l) z'_l
    g'_{l-1} = (g'_l W_l + g_l dW_l) * s'(z_{l-1}) + (g_l W_l) * s''(z_{l-1}) z'_{l-1}
    (H d)_{W_l} = g'_l^T a_{l-1} + g_l^T a'_{l-1},        (H d)_{b_l} = sum g'_l

(primes: derivatives along the direction ``d``; for mse and sse with an identity output
``g_L = 2 c (z_L - y)`` and ``g'_L = 2 c z'_L``, ``c`` the loss's scale; weight decay adds
``2 lambda`` on the diagonal of the weights). Each line is an exact identity between exact
quantities, evaluated in the engine's verified float64 arithmetic (:mod:`.f64`) with the
parameters given as the box's enclosures, so every entry encloses ``H_ij`` at *every* point of
the box. ``H_ij`` and ``H_ji`` enclose the same number (``L`` is smooth): the result is their
intersection. Other losses and output activations fall back to the polarized jets.

>>> from fractions import Fraction
>>> from symcert import MLP, Dataset, Loss
>>> loss = Loss(MLP((1, 1, 1), "tanh"), Dataset([[1]], [[0]]), "sse")
>>> box = [Fraction(v) for v in (1, 0, 1, 0)]
>>> lo, hi = hessian_columns(loss, box, box)
>>> bool(lo[3, 3] <= 2 <= hi[3, 3]), bool(lo[2, 3] <= 2 * 0.7615941559557649 <= hi[2, 3])
(True, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from symcert.numeric.engine.backends import F64Backend
from symcert.numeric.engine.boxes import box_weights, gradient_box, hessian_box
from symcert.numeric.engine.elementary import down, up
from symcert.numeric.engine.f64 import F64
from symcert.numeric.engine.layout import data_layout
from symcert.numeric.engine.network import targets

__all__ = ["batched", "hessian_columns", "hessian_over_box", "gradient_over_box"]

#: Entries of the largest per-chunk tangent array (directions x points x units): bounds memory.
CHUNK_ENTRIES = 2_000_000


def batched(loss: Any) -> bool:
    """True when :func:`hessian_columns` handles ``loss`` (mse or sse, identity output, smooth units).

    >>> from symcert import MLP, Dataset, Loss
    >>> batched(Loss(MLP((1, 2, 1), "tanh"), Dataset([[0]], [[1]]), "mse"))
    True
    >>> batched(Loss(MLP((1, 2, 1), "tanh", output_activation="sigmoid"), Dataset([[0]], [[1]]), "bce"))
    False
    """
    mlp = loss.mlp
    return (
        loss.kind in ("mse", "sse")
        and mlp.output_activation.name == "identity"
        and (mlp.depth == 1 or mlp.activation.smooth or mlp.activation.linear)
    )


def hessian_over_box(bk: Any, loss: Any, lower: Sequence[Any], upper: Sequence[Any]) -> Any:
    """The Hessian over the box in backend ``bk``: batched columns in float64 when supported, else
    :func:`~symcert.numeric.engine.boxes.hessian_box` (same result format).

    >>> from fractions import Fraction
    >>> from symcert import MLP, Dataset, Loss
    >>> loss = Loss(MLP((1, 1, 1), "tanh"), Dataset([[1]], [[0]]), "sse")
    >>> box = [Fraction(v) for v in (1, 0, 1, 0)]
    >>> lo, hi = hessian_over_box(F64Backend(), loss, box, box)
    >>> bool(lo[3, 3] <= 2 <= hi[3, 3])
    True
    """
    if bk.name == "float64" and batched(loss):
        return hessian_columns(loss, lower, upper)
    return hessian_box(bk, loss, lower, upper)


def gradient_over_box(bk: Any, loss: Any, lower: Sequence[Any], upper: Sequence[Any]) -> Any:
    """``grad L`` over the box by back-propagation (one pass, any backend): ``(lo, hi)`` float arrays
    in float64, a list of ``arb`` in Arb, as :func:`~symcert.numeric.engine.boxes.gradient_box`
    (which it calls for a loss that :func:`batched` refuses).

    >>> from fractions import Fraction
    >>> from symcert import MLP, Dataset, Loss
    >>> from symcert.numeric.engine.backends import ArbBackend
    >>> loss = Loss(MLP((1, 1, 1), "tanh"), Dataset([[1]], [[0]]), "sse")
    >>> box = [Fraction(v) for v in (1, 0, 1, 0)]
    >>> g = gradient_over_box(ArbBackend(30), loss, box, box)
    >>> bool(abs(float(g[3].mid()) - 2 * 0.7615941559557649) < 1e-15), float(g[3].rad()) < 1e-25
    (True, True)
    """
    if not batched(loss):
        return gradient_box(bk, loss, lower, upper)
    mlp = loss.mlp
    with bk.active():
        box = box_weights(bk, mlp, lower, upper)
        a, slopes = [bk.array(data_layout(loss.data).X)], [None]
        for l, w in enumerate(box, start=1):
            z = bk.matmul(a[-1], bk.transpose(w.W))
            z = z if w.b is None else z + w.b
            if l == mlp.depth:
                break
            act, d1, _ = mlp.activation.jets(bk, z, 1) if not mlp.activation.linear else (z, None, None)
            a.append(act)
            slopes.append(d1)
        c = bk.constant(Fraction(int(loss.scale.p), int(loss.scale.q))) * 2
        g = (z - targets(bk, loss)) * c
        parts = []
        for l in range(mlp.depth, 0, -1):
            W = box[l - 1].W
            gW = bk.matmul(bk.transpose(g), a[l - 1])
            if loss.weight_decay:
                gW = gW + W * (2 * bk.constant(Fraction(int(loss.weight_decay.p), int(loss.weight_decay.q))))
            gW = gW.reshape(-1)
            parts.append(gW if box[l - 1].b is None else (gW, bk.sum(g, 0)))
            if l > 1:
                g = bk.matmul(g, W)
                g = g if slopes[l - 1] is None else g * slopes[l - 1]
        flat: list[Any] = []
        for part in reversed(parts):
            flat.extend(part if isinstance(part, tuple) else (part,))
    if bk.name == "float64":
        lo = np.concatenate([p.lo for p in flat])
        hi = np.concatenate([p.hi for p in flat])
        if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
            raise ArithmeticError("the float64 gradient enclosure over the box is unbounded")
        return lo, hi
    return [v for p in flat for v in np.ravel(p)]


#: Widths below this are widened to it before a product (see :func:`_mm`).
_FLOOR = 2.0**-600


def _normal(x: F64) -> F64:
    """``x`` widened so that every entry's radius is a normal float: an exact entry (``0`` above all)
    otherwise gets a subnormal radius ``2^-1073`` in the midpoint-radius product, and BLAS runs
    about 50 times slower on subnormal operands. Widening is sound; ``2^-600`` is far below any width
    that matters."""
    with np.errstate(all="ignore"):
        thin = (x.hi - x.lo) < 2.0**-500
        if not thin.any():
            return x
        lo = np.where(thin, np.minimum(down(x.lo), x.lo - _FLOOR), x.lo)
        hi = np.where(thin, np.maximum(up(x.hi), x.hi + _FLOOR), x.hi)
    return F64(lo, hi)


def _mm(bk: Any, a: F64, b: F64) -> F64:
    """``a @ b`` with the operands' radii kept normal (:func:`_normal`)."""
    return bk.matmul(_normal(a), _normal(b))


def _t(x: F64) -> F64:
    return F64(np.swapaxes(x.lo, -1, -2), np.swapaxes(x.hi, -1, -2))


def hessian_columns(loss: Any, lower: Sequence[Any], upper: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """Float arrays ``(lo, hi)`` (``n x n``) enclosing every ``H_ij`` at every point of the box.

    ``ArithmeticError`` when an enclosure overflows; ``ValueError`` for a loss that
    :func:`batched` refuses.
    """
    if not batched(loss):
        raise ValueError(f"batched Hessian columns need mse or sse with an identity output, got {loss.kind}")
    bk, mlp = F64Backend(), loss.mlp
    n, depth = mlp.n_parameters, mlp.depth
    with bk.active():
        box = box_weights(bk, mlp, lower, upper)
        Ws = [w.W for w in box]
        a = [bk.array(data_layout(loss.data).X)]
        s1: list[Any] = [None]
        s2: list[Any] = [None]
        for l, w in enumerate(box, start=1):
            z = _mm(bk, a[-1], _t(w.W))
            z = z if w.b is None else z + w.b
            if l < depth:
                act, d1, d2 = mlp.activation.jets(bk, z, 2) if not mlp.activation.linear else (z, 1, 0)
                a.append(act)
                s1.append(_like(d1, z))
                s2.append(_like(d2, z))
            else:
                a.append(z)
        c = bk.constant(Fraction(int(loss.scale.p), int(loss.scale.q))) * 2.0
        g: list[Any] = [None] * (depth + 1)
        back: list[Any] = [None] * (depth + 1)  # back[l] = g_l W_l = dL/da_{l-1}
        g[depth] = (a[depth] - targets(bk, loss)) * c
        for l in range(depth, 1, -1):
            back[l] = _mm(bk, g[l], Ws[l - 1])
            g[l - 1] = back[l] * s1[l - 1]
        N = a[0].shape[0]
        kron = {p: _kron(mlp, p, Ws, a, s1) for p in range(1, depth)}
        widest = max(mlp.widths[1:])
        step = max(1, CHUNK_ENTRIES // max(1, N * widest))
        lo, hi = np.full((n, n), np.nan), np.full((n, n), np.nan)
        offset = 0
        for p in range(1, depth + 1):
            rows, cols = mlp.widths[p], mlp.widths[p - 1]
            size = rows * (cols + int(mlp.has_bias(p)))
            units = [(k, m) for k in range(rows) for m in range(cols)]
            units += [(k, cols) for k in range(rows)] if mlp.has_bias(p) else []
            for first in range(0, size, step):
                chunk = units[first : first + step]
                block = _rows(bk, mlp, p, chunk, Ws, a, (s1, s2), (g, back), c, kron.get(p))
                lo[offset + first : offset + first + len(chunk), offset:] = block.lo
                hi[offset + first : offset + first + len(chunk), offset:] = block.hi
            offset += size
        lo, hi = np.where(np.isnan(lo), lo.T, lo), np.where(np.isnan(hi), hi.T, hi)
        if loss.weight_decay:
            lam = 2 * Fraction(int(loss.weight_decay.p), int(loss.weight_decay.q))
            extra = bk.constant(lam)
            idx = list(loss.weight_indices)
            diag = F64(lo[idx, idx], hi[idx, idx]) + extra
            lo[idx, idx], hi[idx, idx] = diag.lo, diag.hi
        lo, hi = np.maximum(lo, lo.T), np.minimum(hi, hi.T)
    if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
        raise ArithmeticError("the float64 Hessian enclosure over the box is unbounded")
    if np.any(lo > hi):  # pragma: no cover - two enclosures of one number always meet
        raise ArithmeticError("the enclosures of H_ij and H_ji do not meet")
    return lo, hi


def _like(value: Any, z: F64) -> F64:
    """``value`` as an enclosure shaped like ``z`` (a derivative may be a constant: ``square'' = 2``)."""
    if isinstance(value, F64):
        return value
    if not isinstance(value, int) or abs(value) >= 2**53:
        raise TypeError(f"an activation derivative must be an enclosure or a small integer, got {value!r}")
    return F64.exact(np.full(z.shape, float(value)))


def _gather(x: F64, index: np.ndarray) -> F64:
    """Columns ``index`` of a ``(N, w)`` enclosure, as rows ``(len(index), N)``."""
    return F64(x.lo[:, index].T, x.hi[:, index].T)


def _scatter_add(x: F64, where: tuple, term: F64) -> F64:
    """A copy of ``x`` with ``term`` added at ``where`` (enclosures; ``x`` is left alone)."""
    lo, hi = x.lo.copy(), x.hi.copy()  # two arrays even when x.lo is x.hi (an exact F64)
    total = F64(lo[where], hi[where]) + term
    lo[where], hi[where] = total.lo, total.hi
    return F64(lo, hi)


#: Largest ``K_p`` (entries) that :func:`_kron` builds; beyond it the dense tangents are used.
KRON_ENTRIES = 4_000_000


def _with_ones(x: F64, bias: bool) -> F64:
    return _concatenate([x, F64.exact(np.ones((x.shape[0], 1)))]) if bias else x


def _kron(mlp: Any, p: int, Ws: list, a: list, s1: list) -> F64 | None:
    """``K_p[(x, o), (k, i)] = W_{p+1}[o, k] s'(z_p)[x, k] a~_{p-1}[x, i]`` (``a~`` with a column of ones
    for the biases), so that ``(H e_j)`` on layer ``p`` is ``g'_{p+1} K_p`` plus the compact terms: one
    matrix product instead of dense tangents ``(count, N, w_p)``. ``None`` when it would be too large.
    """
    N = a[0].shape[0]
    rows, cols, after = mlp.widths[p], mlp.widths[p - 1] + mlp.has_bias(p), mlp.widths[p + 1]
    if N * after * rows * cols > KRON_ENTRIES:
        return None
    W, d, x = Ws[p], s1[p], _with_ones(a[p - 1], mlp.has_bias(p))
    t = F64(d.lo[:, None, :], d.hi[:, None, :]) * F64(W.lo[None], W.hi[None])  # (N, after, rows)
    K = F64(t.lo[..., None], t.hi[..., None]) * F64(x.lo[:, None, None, :], x.hi[:, None, None, :])
    return K.reshape(N * after, rows * cols)


def _rows(
    bk: Any,
    mlp: Any,
    p: int,
    units: list,
    Ws: list,
    a: list,
    s: tuple,
    adjoints: tuple,
    c: Any,
    K: Any = None,
) -> F64:
    """Rows ``e_j^T H`` (columns of layers ``p`` and up) for unit directions ``j`` of layer ``p``.

    ``units`` lists ``(k, m)``: ``W_p[k, m]``, or ``b_p[k]`` when ``m`` is the number of columns.
    The tangents are kept compact where they vanish: ``z'_l = 0`` below ``p``, and ``z'_p``,
    ``a'_p`` and the ``s''`` term of ``g'_p`` live in column ``k`` only.
    """
    depth = mlp.depth
    (s1, s2), (g, back) = s, adjoints
    count = len(units)
    k = np.array([u[0] for u in units])
    m = np.array([u[1] for u in units])
    ar = np.arange(count)
    v = _gather(_with_ones(a[p - 1], mlp.has_bias(p)), m)  # z'_p = v e_k (count x N)
    zdot: list[Any] = [None] * (depth + 1)
    adot: list[Any] = [None] * (depth + 1)
    u = None
    if p < depth:
        u = _gather(s1[p], k) * v  # a'_p = u e_k
        W = Ws[p]  # W_{p+1}: the column k of each direction
        col = F64(W.lo[:, k].T, W.hi[:, k].T)  # (count, w_{p+1})
        zdot[p + 1] = F64(u.lo[:, :, None], u.hi[:, :, None]) * F64(col.lo[:, None, :], col.hi[:, None, :])
        for l in range(p + 1, depth + 1):
            if l > p + 1:
                zdot[l] = _mm(bk, adot[l - 1], _t(Ws[l - 1]))
            if l < depth:
                adot[l] = zdot[l] * s1[l]
        gdot = zdot[depth] * c
        compact = None
    else:
        gdot, compact = None, v * c  # g'_L = c v e_k
    parts = []
    for l in range(depth, p - 1, -1):
        if l == p and p < depth:
            compact = _gather(back[p + 1], k) * _gather(s2[p], k) * v
        hb = None
        if l == p and K is not None:  # g'_p's dense part is g'_{p+1} W_{p+1} s'(z_p): one product with K_p
            N, after = gdot.shape[-2], gdot.shape[-1]
            both = _mm(bk, gdot.reshape(count, N * after), K).reshape(count, mlp.widths[p], -1)
            hW = both[:, :, : mlp.widths[p - 1]]
            hb = both[:, :, mlp.widths[p - 1]] if mlp.has_bias(p) else None
        elif gdot is None:
            hW = _zeros(count, mlp.widths[l], mlp.widths[l - 1])
        else:
            hW = _outer_sum(bk, gdot, a[l - 1])
        if l - 1 > p:
            hW = hW + _mm(bk, _t(g[l]), adot[l - 1])
        elif l - 1 == p:
            assert u is not None  # set above, as p < l <= depth
            hW = _scatter_add(hW, (ar, slice(None), k), _mm(bk, u, g[l]))
        if mlp.has_bias(l) and hb is None:
            hb = _zeros(count, mlp.widths[l]) if gdot is None else gdot.sum(axis=-2)
        if l == p:
            assert compact is not None  # set above for l == p
            hW = _scatter_add(hW, (ar, k), _mm(bk, compact, a[l - 1]))
            if hb is not None:
                hb = _scatter_add(hb, (ar, k), compact.sum(axis=-1))
        flat = hW.reshape(count, -1)
        parts.append(flat if hb is None else _concatenate([flat, hb]))
        if l > p and not (l == p + 1 and K is not None):
            gdot = _mm(bk, gdot, Ws[l - 1]) * s1[l - 1]
            if l - 1 > p:
                gdot = gdot + back[l] * s2[l - 1] * zdot[l - 1]
    return _concatenate(parts[::-1])


def _outer_sum(bk: Any, G: F64, A: F64) -> F64:
    """``sum_x G[j, x, :]^T A[x, :]`` for every ``j``: ``(count, w, w')``, as one two-dimensional product
    (a batch of transposed products would leave BLAS)."""
    count, N, w = G.shape
    flat = F64(
        np.ascontiguousarray(G.lo.transpose(1, 0, 2)).reshape(N, count * w),
        np.ascontiguousarray(G.hi.transpose(1, 0, 2)).reshape(N, count * w),
    )
    out = _mm(bk, _t(A), flat)  # (w', count w)
    w2 = out.shape[0]
    return F64(
        out.lo.reshape(w2, count, w).transpose(1, 2, 0), out.hi.reshape(w2, count, w).transpose(1, 2, 0)
    )


def _zeros(*shape: int) -> F64:
    return F64.exact(np.zeros(shape))


def _concatenate(parts: list[F64]) -> F64:
    """Side by side along the last axis."""
    return F64(np.concatenate([q.lo for q in parts], axis=-1), np.concatenate([q.hi for q in parts], axis=-1))
