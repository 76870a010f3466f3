r"""The checker's verified float64 rung for the second-order jets of a layer graph's loss along a line,
before the Arb jets of :mod:`symcert.checker.graph.jets` (same calculus, different arithmetic).

Along ``theta(s) = P + s D`` every tensor is carried as its Taylor coefficients ``(q0, q1, q2)`` at
``s = 0`` (``q1 = q'``, ``q2 = q''/2``, as :mod:`.jets`), each a float64 ball
(:class:`~symcert.checker.graph.balls.Ball`). Every radius comes from the bounds stated in
:mod:`~symcert.checker.graph.balls` (``gamma_n`` for products, ``u |fl|`` per operation, the range
guard), :mod:`~symcert.checker.graph.tanh` and :mod:`~symcert.checker.graph.smooth`: each rule below is
an identity of calculus evaluated in ball arithmetic, so its result contains the exact coefficient
(an interval extension of a polynomial in enclosed quantities contains its value at the exact ones).

- dense and convolution, bilinear in (input, weights), the weights affine in ``s``:
  ``y0 = f(x0, W)``, ``y1 = f(x1, W) + f(x0, D) + D_b``, ``y2 = f(x2, W) + f(x1, D)``, each ``f``
  the fast rung's own product (:mod:`.fast`: blocked BLAS products with ``gamma`` of the block);
- average pools, flatten, reshape, transpose, add: linear, each coefficient separately;
- batch norm: ``y = x a(s) + c(s)`` per channel, ``a = scale / sqrt(var + eps)``, ``c = bias - mean a``,
  whose Taylor coefficients (``r = v^(-1/2)``: ``r1 = -r0 v1 / (2 v0)``, ``r2 = 3/8 r0 (v1 / v0)^2``
  for ``v`` affine) are enclosed in Arb at 128 bits (a handful of numbers) and rounded outward;
  then Leibniz: ``(x a)2 = x0 a2 + x1 a1 + x2 a0``;
- ``y = g(u)`` elementwise: ``y1 = g'(u0) u1``, ``y2 = g'(u0) u2 + g''(u0)/2 u1^2``, with
  tanh: ``t = tanh(u0)`` (the checker's tanh balls), ``g' = 1 - t^2``, ``g''/2 = -t g'``;
  sigmoid ``sigma``: ``g' = sigma (1 - sigma)``, ``g''/2 = g' (1/2 - sigma)``; softplus: ``g' = sigma``,
  ``g''/2 = sigma (1 - sigma) / 2``; ReLU only where every pre-activation ball has a strict sign
  (``|m| > r``, an exact float comparison; the map is then linear near the point), else
  :class:`~symcert.checker.graph.balls.Undecided`;
- cross-entropy on the logits, per row ``w lse(z) - <y, z>`` with ``w = sum_k y_k``:
  ``lse1 = <p, z1>``, ``lse2 = <p, z2> + 1/2 sum_k p_k (z1_k - lse1)^2`` with ``p = softmax(z0)``
  (the identity holds for the exact ``p``, which sums to 1, and the softmax balls contain it);
- bce on the logits, ``softplus(z) - y z``: first ``(sigma - y) z1``, second
  ``(sigma - y) z2 + sigma (1 - sigma)/2 z1^2``; mse and sse, ``(f - y)^2``: ``2 r0 f1`` and
  ``2 r0 f2 + f1^2`` with ``r0 = f0 - y`` (a final sigmoid by its jet first).

Softmax and layer norm layers, a final softmax under mse, leaky ReLU and the polynomial activations are
:func:`unsupported` here (the caller uses Arb), as is anything :class:`Undecided` (a ReLU ball
containing 0, numbers beyond ``2^480``). Sums over examples are taken per chunk, their exact ends
added in ``Fraction``, times the exact loss scale. Nothing here comes from the prover.

>>> from fractions import Fraction as F
>>> from symcert.checker.graph.spec import read_graph
>>> g = read_graph({"format": "symcert-graph", "version": 1, "input_shape": [1],
...     "nodes": [{"name": "fc", "inputs": ["x"], "layer": {"type": "Dense", "features": 1, "bias": True}}]})
>>> P = {"fc.weight": [[F(0)]], "fc.bias": [F(0)]}
>>> D = {"fc.weight": [[F(1)]], "fc.bias": [F(1)]}
>>> v, d1, d2 = fast_loss_jet(g, P, D, [[F(2)]], [[F(0)]], "sse", F(1))   # (3 s)^2: 9 s^2
>>> d2[0] <= 18 <= d2[1] and d1[0] <= 0 <= d1[1] and d2[1] - d2[0] < F(1, 10**12)
True
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import flint
import numpy as np
from flint import arb, fmpq
from numpy.lib.stride_tricks import sliding_window_view

from symcert.checker.graph.balls import (
    Ball,
    Undecided,
    add,
    exact_sum,
    from_fractions,
    left_operand,
    matmul_left,
    mul,
    scale,
    square,
    to_fractions,
    total,
)
from symcert.checker.graph.dot2 import dot2_matmul, sum2
from symcert.checker.graph.fast import (
    BLOCK,
    _ball_of_arb,
    _broadcast,
    _chunk,
    _conv,
    _dense,
    _layer,
    _stack,
    _windows,
)
from symcert.checker.graph.forward import graph_output
from symcert.checker.graph.smooth import bce_sum, cross_entropy_sum, sigmoid, softmax_rows, softplus
from symcert.checker.graph.spec import CheckedGraph, GraphNode
from symcert.checker.graph.tanh import tanh
from symcert.checker.losses import SQUARES
from symcert.checker.losses import scale as loss_scale

__all__ = ["unsupported", "fast_loss_jet", "smooth_free", "Interval3"]

Jet = tuple[Ball, Ball, Ball]
#: ``(L, L', L'')`` as exact ``(lower, upper)`` ends.
Interval3 = tuple[tuple[Fraction, Fraction], tuple[Fraction, Fraction], tuple[Fraction, Fraction]]
_LINEAR = {"AveragePool", "GlobalAveragePool", "Flatten", "Reshape", "Transpose"}
_SUPPORTED = {"Dense", "Conv", "Add", "BatchNorm"} | _LINEAR
_ACTIVATIONS = {"identity", "relu", "tanh", "sigmoid", "softplus"}


def unsupported(graph: CheckedGraph, kind: str) -> str | None:
    """Why this rung has no jet of this graph and loss (None: it has)."""
    if kind not in (*SQUARES, "cross_entropy", "bce"):
        return f"the {kind} loss"
    output = graph_output(graph)
    if kind in SQUARES and output == "softmax":
        return "a final softmax under a squared loss"
    last = len(graph.nodes) - (0 if output == "identity" else 1)
    for node in graph.nodes[:last]:
        if node.type == "Activation":
            if node.fields["name"] not in _ACTIVATIONS:
                return f"the {node.fields['name']} activation"
        elif node.type not in _SUPPORTED:
            return f"the {node.type} layer"
    return None


def _zero(shape: tuple[int, ...]) -> Ball:
    return Ball(np.zeros(shape), np.zeros(shape))


def _one(shape: tuple[int, ...]) -> Ball:
    return Ball(np.ones(shape), np.zeros(shape))


def _sub(a: Ball, b: Ball) -> Ball:
    return add(a, b, -1)


def _times(a: Jet, b: Jet) -> Jet:
    """Leibniz in Taylor form: ``(ab)2 = a0 b2 + a1 b1 + a2 b0``."""
    return (
        mul(a[0], b[0]),
        add(mul(a[0], b[1]), mul(a[1], b[0])),
        add(add(mul(a[0], b[2]), mul(a[1], b[1])), mul(a[2], b[0])),
    )


def _chain(u: Jet, g0: Ball, g1: Ball, g2_half: Ball) -> Jet:
    """``g(u)`` from ``g(u0)``, ``g'(u0)`` and ``g''(u0)/2`` (balls): the chain rule of the module text."""
    return g0, mul(g1, u[1]), add(mul(g1, u[2]), mul(g2_half, square(u[1])))


def _activation(name: str, u: Jet) -> Jet:
    if name == "identity":
        return u
    if name == "relu":
        m, r = u[0].m, u[0].r
        positive, negative = m > r, -m > r  # exact comparisons: m - r > 0, m + r < 0
        if not np.all(positive | negative):
            raise Undecided("a ReLU pre-activation's ball contains 0: no certain second derivative")
        return tuple(Ball(np.where(positive, p.m, 0.0), np.where(positive, p.r, 0.0)) for p in u)  # type: ignore[return-value]
    shape = u[0].shape
    if name == "tanh":
        t = tanh(u[0])
        slope = _sub(_one(shape), square(t))
        return _chain(u, t, slope, scale(mul(t, slope), Fraction(-1)))
    s = sigmoid(u[0])
    slope = mul(s, _sub(_one(shape), s))
    if name == "sigmoid":
        return _chain(u, s, slope, mul(slope, _sub(scale(_one(shape), Fraction(1, 2)), s)))
    assert name == "softplus"
    return _chain(u, softplus(u[0]), s, scale(slope, Fraction(1, 2)))


def _value(node: GraphNode, x: Ball, w: Ball, out: tuple[int, ...]) -> Ball:
    """The layer's product without bias with a compensated midpoint (:mod:`.dot2`): the values ``q0``
    set the width of every derivative through an activation, so they get the tighter bound."""
    if node.type == "Dense":
        flat = x.reshape(-1, x.shape[-1])
        return dot2_matmul(flat, Ball(w.m.T, w.r.T)).reshape(*x.shape[:-1], w.shape[0])
    parts_m, parts_r, weights_m, weights_r = [], [], [], []
    for offset, window, whole in _windows(node.fields, x, out[1:]):
        parts_m.append(np.moveaxis(whole.m[window], 1, -1))
        parts_r.append(np.moveaxis(whole.r[window], 1, -1))
        at = (slice(None), slice(None), *offset)
        weights_m.append(w.m[at])
        weights_r.append(w.r[at])
    inner = len(parts_m) * x.shape[1]
    patch = Ball(
        np.concatenate(parts_m, axis=-1).reshape(-1, inner),
        np.concatenate(parts_r, axis=-1).reshape(-1, inner),
    )
    kernel = Ball(np.concatenate(weights_m, axis=1).T, np.concatenate(weights_r, axis=1).T)
    y = dot2_matmul(patch, kernel)
    return y.reshape(x.shape[0], *out[1:], w.shape[0]).moveaxis(-1, 1)


def _rows(a: Ball, b: Ball) -> Ball:
    """``a`` and ``b`` one after the other along the batch axis. A product of the stack by one weight
    ball is, row by row, a product of the same inner size and blocks as either product apart, so the
    same bound holds for each row (``gamma_n`` holds for any summation order BLAS picks): the two
    products in one call, half the calls of numpy and BLAS."""
    return Ball(np.concatenate([a.m, b.m]), np.concatenate([a.r, b.r]))


def _conv_patches(f: dict, w: Ball, x: Ball, out: tuple[int, ...]) -> Ball | None:
    """A convolution without bias as one product of balls, when its whole fan-in ``C k_1 ... k_d`` is
    at most :data:`~symcert.checker.graph.fast.BLOCK` and its dilation is 1 (else None: the fast
    rung's ``_conv``). The patch matrix (one row per example and output position, the fan-in's
    ``(channel, offsets)`` along it) is read in one strided copy from the zero-padded input (padding
    with exact zeros adds exact zero terms), for the midpoints, ``gamma_n |m| + r`` and, with inexact
    weights, ``|m| + r`` (:func:`~symcert.checker.graph.balls.left_operand` on the input, so each entry
    is the same float wherever a window reads it); then
    :func:`~symcert.checker.graph.balls.matmul_left` bounds the product with ``gamma_n`` of the fan-in,
    ``n <= BLOCK``: the bound of the fast rung's own blocked product, each output a dot product of
    length ``n``."""
    kernel = tuple(f["kernel"])
    n, c = x.shape[:2]
    inner = c * math.prod(kernel)
    if inner > BLOCK or any(d != 1 for d in f["dilation"]):
        return None
    exact = not w.r.any()
    pads = ((0, 0), (0, 0), *(tuple(p) for p in f["padding"]))
    axes = tuple(range(2, 2 + len(kernel)))
    rows = []
    strided = (
        slice(None),
        slice(None),
        *(slice(0, s * (o - 1) + 1, s) for s, o in zip(f["stride"], out[1:])),
    )
    for part in left_operand(x, inner)[: 2 if exact else 3]:
        view = sliding_window_view(np.pad(part, pads), kernel, axis=axes)  # (N, C, *S', *kernel)
        view = view[strided]  # a tuple built outside the subscript (a star in one needs 3.11)
        order = (0, *(a for a in axes), 1, *(a + len(kernel) for a in axes))  # (N, *out, C, *kernel)
        rows.append(np.ascontiguousarray(view.transpose(order)).reshape(-1, inner))
    weights = Ball(w.m.reshape(w.shape[0], inner).T, w.r.reshape(w.shape[0], inner).T)
    y = matmul_left(rows[0], rows[1], None if exact else rows[2], weights)
    return y.reshape(n, *out[1:], w.shape[0]).moveaxis(-1, 1)


def _bilinear(node: GraphNode, p: dict, x: Jet, out: tuple[int, ...], compensated: bool = True) -> Jet:
    f = {**node.fields, "bias": False}
    (W, D) = p["weight"]

    def g(u: Ball, w: Ball) -> Ball:
        if node.type == "Conv":
            y = _conv_patches(f, w, u, out)
            return _conv(f, {"weight": w}, u, out) if y is None else y
        return _dense(f, {"weight": w}, u)

    n = x[0].shape[0]
    by_w, by_d = g(_rows(x[1], x[2]), W), g(_rows(x[0], x[1]), D)  # two products, not four
    first, second = by_w.take(slice(0, n)), by_w.take(slice(n, None))
    along0, along1 = by_d.take(slice(0, n)), by_d.take(slice(n, None))
    value = _value(node, x[0], W, out) if compensated else g(x[0], W)
    y = (value, add(first, along0), add(second, along1))
    if node.fields["bias"]:
        b, db = p["bias"]
        axis = 1 if node.type == "Conv" else len(y[0].shape) - 1
        y = (add(y[0], _broadcast(b, y[0].shape, axis)), add(y[1], _broadcast(db, y[1].shape, axis)), y[2])
    return y


def _batch_norm_jet(local: dict, direction: dict, epsilon: Fraction) -> tuple[list[Ball], list[Ball]]:
    """The Taylor coefficients of ``a(s)`` and ``c(s)`` per channel (module text), enclosed in Arb at
    128 bits and rounded outward to balls."""
    saved = flint.ctx.prec
    flint.ctx.prec = 128
    try:

        def q(v: Fraction) -> arb:
            return arb(fmpq(v.numerator, v.denominator))

        e = q(epsilon)
        a_parts: list[list] = [[], [], []]
        c_parts: list[list] = [[], [], []]
        for i in range(len(local["scale"])):
            s0, s1 = q(local["scale"][i]), q(direction["scale"][i])
            b0, b1 = q(local["bias"][i]), q(direction["bias"][i])
            m0, m1 = q(local["mean"][i]), q(direction["mean"][i])
            v0, v1 = q(local["var"][i]) + e, q(direction["var"][i])
            r0 = 1 / v0.sqrt()
            ratio = v1 / v0
            r1, r2 = -r0 * ratio / 2, r0 * ratio * ratio * 3 / 8
            a = (s0 * r0, s0 * r1 + s1 * r0, s0 * r2 + s1 * r1)
            c = (b0 - m0 * a[0], b1 - m0 * a[1] - m1 * a[0], -m0 * a[2] - m1 * a[1])
            for k in range(3):
                a_parts[k].append(_ball_of_arb(a[k]))
                c_parts[k].append(_ball_of_arb(c[k]))
    finally:
        flint.ctx.prec = saved
    return [_stack(v) for v in a_parts], [_stack(v) for v in c_parts]


def _batch_norm(coefficients: tuple[list[Ball], list[Ball]], x: Jet) -> Jet:
    a, c = coefficients
    shape = x[0].shape
    a_jet = tuple(_broadcast(v, shape, 1) for v in a)
    y = _times(x, a_jet)  # type: ignore[arg-type]
    return tuple(add(y[k], _broadcast(c[k], shape, 1)) for k in range(3))  # type: ignore[return-value]


def _layer_jet(
    node: GraphNode, p: Any, ins: list[Jet], out: tuple[int, ...], compensated: bool = True
) -> Jet:
    x = ins[0]
    if node.type in ("Dense", "Conv"):
        return _bilinear(node, p, x, out, compensated)
    if node.type == "GlobalAveragePool":  # the value by a compensated sum (module text of .dot2)
        axes = tuple(range(2, len(x[0].shape)))
        value = scale(sum2(x[0], axes), Fraction(1, math.prod(x[0].shape[2:])))
        return (value, *(_layer(node, None, [part], out) for part in x[1:]))  # type: ignore[return-value]
    if node.type in _LINEAR:
        return tuple(_layer(node, None, [part], out) for part in x)  # type: ignore[return-value]
    if node.type == "Add":
        return tuple(add(a, b) for a, b in zip(x, ins[1]))  # type: ignore[return-value]
    if node.type == "Activation":
        return _activation(node.fields["name"], x)
    if node.type == "BatchNorm":
        return _batch_norm(p, x)
    raise Undecided(f"no float64 jet for the layer type {node.type}")  # unsupported() said so


def _loss_parts(kind: str, output: str, z: Jet, y: Ball) -> Jet:
    """The per-entry (or per-row) Taylor coefficients of the loss, summed over the chunk."""
    if kind == "cross_entropy":
        w = total(y, (1,), keepdims=False)
        p = softmax_rows(z[0])
        first = total(mul(p, z[1]), (1,))  # (N, 1): lse1
        centred = _sub(z[1], Ball(np.broadcast_to(first.m, z[1].shape), np.broadcast_to(first.r, z[1].shape)))
        lse2 = add(total(mul(p, z[2]), (1,)), scale(total(mul(p, square(centred)), (1,)), Fraction(1, 2)))
        d1 = _sub(mul(w, first.reshape(-1)), total(mul(y, z[1]), (1,), keepdims=False))
        d2 = _sub(mul(w, lse2.reshape(-1)), total(mul(y, z[2]), (1,), keepdims=False))
        return cross_entropy_sum(z[0], y), exact_sum(d1), exact_sum(d2)
    if kind == "bce":
        s = sigmoid(z[0])
        slope = _sub(s, y)
        curve = scale(mul(s, _sub(_one(s.shape), s)), Fraction(1, 2))
        d2 = add(mul(slope, z[2]), mul(curve, square(z[1])))
        return bce_sum(z[0], y), exact_sum(mul(slope, z[1])), exact_sum(d2)
    if output == "sigmoid":
        z = _activation("sigmoid", z)
    r0 = _sub(z[0], y)
    d1 = scale(mul(r0, z[1]), Fraction(2))
    d2 = add(scale(mul(r0, z[2]), Fraction(2)), square(z[1]))
    return tuple(exact_sum(part) for part in (square(r0), d1, d2))  # type: ignore[return-value]


def smooth_free(graph: CheckedGraph) -> bool:
    """True when the graph's activations are all ReLU or identity: the jets' derivatives then do not
    go through ``g'(q0)`` of a smooth activation, so the values' widths hardly reach them."""
    return all(n.fields["name"] in ("relu", "identity") for n in graph.nodes if n.type == "Activation")


def fast_loss_jet(
    graph: CheckedGraph,
    point: dict,
    direction: dict,
    xs: list,
    ys: list,
    kind: str,
    factor: Fraction,
    compensated: bool = True,
) -> Interval3:
    """Exact ends of enclosures of ``(L, L', L'')`` at the exact ``point`` along the exact ``direction``
    (the quantities of :func:`~symcert.checker.graph.jets.graph_loss_jet`). Raises
    :class:`~symcert.checker.graph.balls.Undecided` when this rung cannot bound them.

    ``compensated=False`` takes the values ``q0`` of dense and convolution layers by the plain blocked
    product (``gamma_n |x| |w|``) instead of Dot2: the same kind of bound, wider but cheaper; where no
    smooth activation amplifies the values' widths into the derivatives (:func:`smooth_free`), it
    often decides alone, and the caller then needs no Dot2 pass."""
    why = unsupported(graph, kind)
    if why:
        raise Undecided(f"the float64 jets do not evaluate {why}")
    output = graph_output(graph)
    stop = None if output == "identity" else len(graph.nodes) - 1
    params: dict[str, Any] = {}
    for node in graph.nodes[:stop]:
        prefix = node.name + "."
        local = {k[len(prefix) :]: v for k, v in point.items() if k.startswith(prefix)}
        along = {k[len(prefix) :]: v for k, v in direction.items() if k.startswith(prefix)}
        if node.type == "BatchNorm":
            params[node.name] = _batch_norm_jet(local, along, node.fields["epsilon"])
        elif local:
            params[node.name] = {k: (from_fractions(v), from_fractions(along[k])) for k, v in local.items()}
    x_all, y_all = from_fractions(xs), from_fractions(ys)
    n, step = x_all.shape[0], max(1, _chunk(graph) // 4)
    ends = [[Fraction(0), Fraction(0)] for _ in range(3)]
    for start in range(0, n, step):
        part = slice(start, min(start + step, n))
        x0 = x_all.take(part)
        values: dict[str, Jet] = {graph.input_name: (x0, _zero(x0.shape), _zero(x0.shape))}
        for node in graph.nodes[:stop]:
            ins = [values[s] for s in node.inputs]
            values[node.name] = _layer_jet(
                node, params.get(node.name), ins, graph.shapes[node.name], compensated
            )
        z = values[graph.output if stop is None else graph.nodes[-1].inputs[0]]
        for k, summed in enumerate(_loss_parts(kind, output, z, y_all.take(part))):
            lo, hi = to_fractions(float(summed.m), float(summed.r))
            ends[k][0] += lo
            ends[k][1] += hi
    c = loss_scale(kind, n, y_all.shape[1], factor)
    out = [sorted((low * c, high * c)) for low, high in ends]  # sorted: c < 0 swaps the ends
    return (out[0][0], out[0][1]), (out[1][0], out[1][1]), (2 * out[2][0], 2 * out[2][1])
