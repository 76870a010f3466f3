r"""The checker's gradient and Hessian in Arb, as a few large matrix products (python-flint).

:mod:`symcert.checker.saddle` needs ``grad L`` at exact points and the Hessian over a box of
balls. One jet per direction costs ``n`` (gradient) and ``n (n + 1) / 2`` (Hessian) forward
passes; here they come from the structure of the loss instead, for mse and sse with an
identity output. Balls ``W_l`` (``w_l x w_{l-1}``), data as columns ``A_0`` (``n_0 x N``)::

    Z_l = W_l A_{l-1} + b_l,   A_l = s(Z_l),   G_L = 2 c (Z_L - Y),   G_{l-1} = (W_l^T G_l) * s'(Z_{l-1})
    dL/dW_l = G_l A_{l-1}^T,   dL/db_l = (row sums of G_l)

(``c`` the loss's scale; weight decay ``lambda`` adds ``2 lambda W_l``). For one hidden layer
(``z = W_2 s(W_1 x + b_1) + b_2``, ``r = z - y``), with ``J`` the Jacobian of ``z`` over the
parameters stacked over points and outputs::

    H = 2 c (J^T J + sum_x [q_k x~ x~^T on (W_1, b_1)_k, twice; r_o s'_k x~ at (W_1, b_1)_k, W_2[o, k]])

with ``x~ = (x, 1)`` and ``q = s''(z_1) * (W_2^T r)`` (and ``2 lambda`` on the weights'
diagonal). Each formula is an exact identity between exact quantities, evaluated on
balls (the box's parameters), so every entry encloses the exact value at every point of the
box. Only python-flint is used for the arithmetic (numpy only picks approximate inverses and
eigenbases, where any matrix is sound). Other shapes and losses return ``None``: the caller keeps
its jets.

>>> from fractions import Fraction
>>> from flint import arb, arb_mat
>>> from types import SimpleNamespace as S
>>> net = S(widths=(1, 1, 1), activation="tanh", slope=None, bias=True, output="identity")
>>> s = S(net=net, loss_kind="sse", factor=Fraction(1), decay=Fraction(0), xs=[[Fraction(1)]])
>>> layers = [(arb_mat([[1]]), [arb(0)]), (arb_mat([[1]]), [arb(0)])]
>>> H = hessian(s, net, layers, arb_mat([[1]]), [[arb(0)]])
>>> H[3, 3].contains(2), H[2, 3].contains(2 * arb(1).tanh())
(True, True)
>>> g = gradient(s, net, layers, arb_mat([[1]]), [[arb(0)]])
>>> g[3].contains(2 * arb(1).tanh())
True
"""

from __future__ import annotations

from typing import Any

from flint import arb, arb_mat, fmpq

from symcert.checker.arb_engine import activation_jet
from symcert.checker.losses import SQUARES
from symcert.checker.losses import scale as loss_scale

__all__ = ["supported", "gradient", "hessian", "approximate_inverse", "eigenbasis", "size"]


def size(net: Any) -> int:
    """The number of parameters of ``net``."""
    w = net.widths
    biases = (net.bias,) * (len(w) - 1) if isinstance(net.bias, bool) else net.bias  # per layer
    return sum(w[l] * (w[l - 1] + biases[l - 1]) for l in range(1, len(w)))


def supported(s: Any, net: Any, order: int = 2) -> bool:
    """True when the gradient (``order = 1``) or the Hessian (``order = 2``) is computed here."""
    if s.loss_kind not in SQUARES or net.output != "identity":
        return False
    depth = len(net.widths) - 1
    if depth > 1 and net.activation in ("relu", "leaky_relu"):
        return False
    return order == 1 or depth == 2


def _scale(s: Any, net: Any) -> arb:
    c = loss_scale(s.loss_kind, len(s.xs), net.widths[-1], s.factor)
    return arb(fmpq(c.numerator, c.denominator))


def _decay(s: Any) -> arb:
    return arb(fmpq(s.decay.numerator, s.decay.denominator))


def _rows(m: arb_mat) -> list[list[arb]]:
    cols, entries = m.ncols(), m.entries()
    return [entries[i * cols : (i + 1) * cols] for i in range(m.nrows())]


def _forward(net: Any, layers: list, inputs: arb_mat) -> tuple[list, list, list]:
    """``(A, D1, D2)``: activations ``A_l`` (arb_mat), ``s'`` and ``s''/2`` of hidden layers (rows)."""
    A: list[arb_mat] = [inputs]
    D1: list[Any] = [None]  # no s' for the inputs
    D2: list[Any] = [None]
    depth = len(layers)
    for l, (W, b) in enumerate(layers, start=1):
        Z = _rows(W * A[-1])
        if b is not None:
            Z = [[v + b[k] for v in row] for k, row in enumerate(Z)]
        if l == depth:
            A.append(arb_mat(Z))
            break
        if net.activation == "identity":
            A.append(arb_mat(Z))
            D1.append([[arb(1)] * len(row) for row in Z])
            D2.append([[arb(0)] * len(row) for row in Z])
            continue
        jets = [[activation_jet(net.activation, net.slope, (v, arb(1), arb(0))) for v in row] for row in Z]
        A.append(arb_mat([[j[0] for j in row] for row in jets]))  # the jet's value is s(z)
        D1.append([[j[1] for j in row] for row in jets])
        D2.append([[j[2] for j in row] for row in jets])  # s''/2
    return A, D1, D2


def _residual(A_out: arb_mat, ys: list[list[arb]]) -> list[list[arb]]:
    return [[z - y for z, y in zip(zrow, yrow)] for zrow, yrow in zip(_rows(A_out), ys)]


def gradient(s: Any, net: Any, layers: list, inputs: arb_mat, ys: list[list[arb]]) -> list[arb] | None:
    """``grad L`` (flat, in the statement's parameter order) by back-propagation; ``None`` if unsupported.

    ``layers``: ``[(W arb_mat, [b] or None)]``; ``inputs``: the data as columns; ``ys``: targets, one
    row of ``N`` balls per output unit.
    """
    if not supported(s, net, 1):
        return None
    A, D1, _ = _forward(net, layers, inputs)
    c2 = 2 * _scale(s, net)
    G = [[c2 * v for v in row] for row in _residual(A[-1], ys)]
    parts = []
    for l in range(len(layers), 0, -1):
        W, b = layers[l - 1]
        Gm = arb_mat(G)
        gW = (Gm * A[l - 1].transpose()).entries()
        if s.decay:
            lam2 = 2 * _decay(s)
            gW = [g + lam2 * w for g, w in zip(gW, W.entries())]
        gb = [sum(row, arb(0)) for row in G] if b is not None else []
        parts.append(gW + gb)
        if l > 1:
            back = _rows(W.transpose() * Gm)
            G = [[u * d for u, d in zip(brow, drow)] for brow, drow in zip(back, D1[l - 1])]
    return [v for part in reversed(parts) for v in part]


def hessian(
    s: Any, net: Any, layers: list, inputs: arb_mat, ys: list[list[arb]], fast: bool = False
) -> arb_mat | None:
    """The Hessian over the balls ``layers`` (one hidden layer, mse or sse); ``None`` if unsupported.

    ``fast``: ``J^T J`` by a verified float64 product (:func:`symcert.checker.saddle_f64.gram`;
    rigorous, wider than Arb's), Arb's when that is not finite.
    """
    if not supported(s, net, 2):
        return None
    (_, b1), (W2, b2) = layers
    d, h, m = net.widths
    N = inputs.ncols()
    bias, bias2 = b1 is not None, b2 is not None  # the layers' biases, each on its own
    A, D1, D2 = _forward(net, layers, inputs)
    T, S1, S2 = _rows(A[1]), D1[1], D2[1]
    R = _residual(A[2], ys)  # m rows of N
    xt = [[*row, arb(1)] if bias else row for row in _rows(inputs.transpose())]  # N rows of d~
    dt = d + bias
    w2 = _rows(W2)
    n = size(net)
    off2 = h * dt
    # J: rows (x, o); columns W1 (row-major), b1, W2 (row-major), b2
    J = []
    for x in range(N):
        for o in range(m):
            u = [w2[o][k] * S1[k][x] for k in range(h)]
            row = [u[k] * xt[x][i] for k in range(h) for i in range(d)]
            if bias:
                row += u
            for o2 in range(m):
                row += [T[k][x] for k in range(h)] if o2 == o else [arb(0)] * h
            if bias2:
                row += [arb(int(o2 == o)) for o2 in range(m)]
            J.append(row)
    Jm = arb_mat(J)
    H = None
    if fast:
        from symcert.checker.saddle_f64 import gram

        H = gram(Jm)
    if H is None:
        H = Jm.transpose() * Jm
    # residual terms
    Rm = arb_mat(R)
    back = _rows(W2.transpose() * Rm)  # h rows of N: W2^T r
    q = [[2 * s2 * v for s2, v in zip(S2[k], back[k])] for k in range(h)]  # s'' (W2^T r)
    X = arb_mat(xt)  # N x d~
    weighted = arb_mat([[q[k][x] * xt[x][i] for k in range(h) for i in range(dt)] for x in range(N)])
    blocks = _rows(X.transpose() * weighted)  # blocks[i][k dt + j] = sum_x q_k x~_i x~_j
    cross = [_rows(arb_mat([[R[o][x] * S1[k][x] for x in range(N)] for k in range(h)]) * X) for o in range(m)]
    c2 = 2 * _scale(s, net)
    zero = arb(0)
    extra = [[zero] * n for _ in range(n)]

    def first(k: int, i: int) -> int:  # W1[k, i] (i < d) or b1[k] (i == d)
        return k * d + i if i < d else h * d + k

    for k in range(h):
        for i in range(dt):
            for j in range(dt):
                extra[first(k, i)][first(k, j)] = c2 * blocks[i][k * dt + j]
            for o in range(m):
                value = c2 * cross[o][k][i]
                extra[first(k, i)][off2 + o * h + k] = value
                extra[off2 + o * h + k][first(k, i)] = value
    if s.decay:
        lam2 = 2 * _decay(s)
        for idx in list(range(h * d)) + list(range(off2, off2 + m * h)):
            extra[idx][idx] = extra[idx][idx] + lam2
    return H * c2 + arb_mat(extra)


def approximate_inverse(H: arb_mat) -> arb_mat | None:
    """A float inverse of the midpoint of ``H`` as an exact ``arb_mat`` (any matrix is sound), or ``None``."""
    import numpy as np

    n = H.nrows()
    mid = np.array([float(v.mid()) for v in H.entries()]).reshape(n, n)
    if not np.all(np.isfinite(mid)):
        return None
    try:
        Y = np.linalg.inv(mid)
    except np.linalg.LinAlgError:
        return None
    if not np.all(np.isfinite(Y)):
        return None
    return arb_mat(n, n, [arb(float(v)) for v in Y.ravel()])


def eigenbasis(H: arb_mat) -> arb_mat:
    """Float unit eigenvectors of the midpoint of ``H`` (symmetrised), exact in an ``arb_mat``."""
    import numpy as np

    n = H.nrows()
    mid = np.array([float(v.mid()) for v in H.entries()]).reshape(n, n)
    _, V = np.linalg.eigh(0.5 * (mid + mid.T))
    return arb_mat(n, n, [arb(float(v)) for v in V.ravel()])
