r"""The checker's fast rung on layer graphs: the three losses of a chord certificate in verified float64
balls (:mod:`symcert.checker.graph.balls`), vectorised in numpy, before the Arb path of
:mod:`symcert.checker.graph.forward`.

Each layer is evaluated straight from its definition, on a chunk of examples at a time:

- a convolution as one product per kernel offset (the zero-padded input at that offset, channels
  last, times the weights at that offset), the offsets' balls summed by
  :class:`~symcert.checker.graph.balls.Accumulator`; a dense layer as products over blocks of at
  most 64 inputs, summed the same way. So ``gamma`` is taken of the channel count (or 64), not of
  the whole fan-in: the bound is several times tighter than one product over ``C k k`` inputs;
- tanh: :mod:`symcert.checker.graph.tanh` (the checker's own bounds, no libm);
- ReLU, max pooling: exact on the interval ends (:func:`~symcert.checker.graph.balls.relu`,
  :func:`~symcert.checker.graph.balls.maximum`);
- batch norm as the affine map ``x a + c`` per channel, where ``a = scale / sqrt(var + eps)`` and
  ``c = bias - mean a`` are enclosed in Arb (a handful of numbers) and turned into balls outward;
- average pools, global average pool: sums (``gamma_n``) times the exact ``1 / count``;
- sigmoid, softplus, softmax, layer norm, and the cross-entropy and bce losses on the logits (a final
  softmax or sigmoid left out, as the Arb path does): :mod:`symcert.checker.graph.smooth`, at the
  midpoints in the checker's verified float64 intervals (:mod:`symcert.checker.f64`) and the radius by
  a stated bound of the derivative;
- the losses: the per-example terms summed per chunk (:func:`~symcert.checker.graph.balls.exact_sum`:
  ``u`` relative, not ``gamma_n``), the chunks' exact ends added in ``Fraction``,
  times the exact loss factor.

Every operation's rounding bound is in :mod:`~symcert.checker.graph.balls` and
:mod:`~symcert.checker.graph.smooth`. What this rung does not handle (:func:`unsupported`: the
leaky ReLU, square and cube activations) or
cannot bound (:class:`~symcert.checker.graph.balls.Undecided`: numbers beyond ``2^480``) goes to the
Arb path. It imports nothing from the prover.

>>> from fractions import Fraction as F
>>> from symcert.checker.graph.spec import read_graph
>>> g = read_graph({"format": "symcert-graph", "version": 1, "input_shape": [2],
...     "nodes": [{"name": "fc", "inputs": ["x"], "layer": {"type": "Dense", "features": 1, "bias": True}}]})
>>> p = {"fc.weight": [[F(1), F(2)]], "fc.bias": [F(1, 3)]}
>>> data = from_fractions([[F(1), F(1)]]), from_fractions([[F(0)]])
>>> lo, hi = fast_loss(g, parameter_balls(g, p), *data, "sse", F(1))  # (10/3)^2
>>> lo <= F(100, 9) <= hi and hi - lo < F(1, 10**12)
True
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction
from typing import Any

import flint
import numpy as np
from flint import arb, fmpq

from symcert.checker.graph.balls import (
    Accumulator,
    Ball,
    Undecided,
    add,
    exact_sum,
    from_ends,
    from_fractions,
    left_operand,
    matmul_left,
    midpoint,
    mul,
    relu,
    scale,
    square,
    tame,
    to_fractions,
    total,
)
from symcert.checker.graph.forward import graph_output
from symcert.checker.graph.smooth import (
    bce_sum,
    cross_entropy_sum,
    layer_norm,
    sigmoid,
    softmax,
    softmax_rows,
    softplus,
)
from symcert.checker.graph.spec import CheckedGraph, GraphNode
from symcert.checker.graph.tanh import tanh
from symcert.checker.losses import SQUARES
from symcert.checker.losses import scale as loss_scale
from symcert.checker.reading import dyadic

__all__ = [
    "unsupported",
    "fast_loss",
    "fast_seconds",
    "parameter_balls",
    "midpoint_balls",
    "run_fast",
    "from_fractions",
    "BLOCK",
]

#: The largest inner size of one product (larger fan-ins are split into blocks of this size).
BLOCK = 144
#: Entries per chunk of examples (the largest tensor of a chunk, times the kernel, stays near this).
_CHUNK_ENTRIES = 1 << 20
_SUPPORTED = {"Dense", "Conv", "AveragePool", "MaxPool", "GlobalAveragePool", "Flatten", "Reshape"}
_SUPPORTED |= {"Transpose", "Add", "BatchNorm", "Softmax", "LayerNorm"}
_ACTIVATIONS = {"relu": relu, "identity": lambda x: x, "tanh": tanh, "sigmoid": sigmoid, "softplus": softplus}
#: Seconds per multiply-add (two BLAS products: midpoint and radius) and per tensor entry (about 30
#: numpy passes), measured on the loaded 2-core machine, times about 3 (for the budget only).
_SECONDS_PER_MAC, _SECONDS_PER_ENTRY = 1.2e-9, 1.5e-7


def unsupported(graph: CheckedGraph, kind: str) -> str | None:
    """Why the fast rung cannot evaluate this graph and loss (None: it can)."""
    if kind not in (*SQUARES, "cross_entropy", "bce"):
        return f"the {kind} loss"
    for node in graph.nodes:
        if node.type == "Activation":
            if node.fields["name"] not in _ACTIVATIONS:
                return f"the {node.fields['name']} activation"
        elif node.type not in _SUPPORTED:
            return f"the {node.type} layer"
    return None


def fast_seconds(graph: CheckedGraph, n: int) -> float:
    """An estimate of the three losses' time on the fast rung (for the budget)."""
    macs = entries = 0
    for node in graph.nodes:
        size = math.prod(graph.shapes[node.name])
        entries += size
        if node.type == "Dense":
            macs += size * graph.shapes[node.inputs[0]][-1]
        elif node.type == "Conv":
            fan = graph.shapes[node.inputs[0]][0] * math.prod(node.fields["kernel"])
            macs += size * fan
            entries += size * math.prod(node.fields["kernel"])  # the offsets' windows and sums
        elif node.type in ("AveragePool", "MaxPool"):
            entries += size * math.prod(node.fields["kernel"])
    params = graph.n_parameters
    return 0.2 + 3 * (n * (macs * _SECONDS_PER_MAC + entries * _SECONDS_PER_ENTRY) + 4e-6 * params)


def parameter_balls(graph: CheckedGraph, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters as balls, each layer's in the form its evaluation uses (batch norm folded)."""
    out: dict[str, Any] = {}
    for node in graph.nodes:
        prefix = node.name + "."
        local = {k[len(prefix) :]: v for k, v in params.items() if k.startswith(prefix)}
        if node.type == "BatchNorm":
            out[node.name] = _batch_norm_affine(local, node.fields["epsilon"])
        elif local:
            out[node.name] = {k: from_fractions(v) for k, v in local.items()}
    return out


def _batch_norm_affine(p: dict[str, list], epsilon: Fraction) -> tuple[Ball, Ball]:
    """``a = scale / sqrt(var + eps)`` and ``c = bias - mean a`` per channel, enclosed in Arb at 128
    bits and rounded outward to balls."""
    saved = flint.ctx.prec
    flint.ctx.prec = 128
    try:
        e = arb(fmpq(epsilon.numerator, epsilon.denominator))
        a_list, c_list = [], []
        for s, b, mean, var in zip(p["scale"], p["bias"], p["mean"], p["var"]):
            q = [arb(fmpq(v.numerator, v.denominator)) for v in (s, b, mean, var)]
            a = q[0] / (q[3] + e).sqrt()
            c = q[1] - q[2] * a
            a_list.append(_ball_of_arb(a))
            c_list.append(_ball_of_arb(c))
    finally:
        flint.ctx.prec = saved
    return _stack(a_list), _stack(c_list)


def _ball_of_arb(x: arb) -> tuple[float, float]:
    if not x.is_finite():
        raise Undecided("a batch norm factor is not finite (var + eps reaches 0)")
    (mm, me), (rm, re) = x.mid().man_exp(), x.rad().man_exp()
    mid, rad = dyadic(int(mm), int(me), "bn"), dyadic(int(rm), int(re), "bn")
    ball = from_fractions([mid])
    extra = Fraction(float(ball.r[0])) + rad
    r = float(extra)
    return float(ball.m[0]), r if Fraction(r) >= extra else float(np.nextafter(r, np.inf))


def _stack(pairs: list[tuple[float, float]]) -> Ball:
    return tame(np.array([m for m, _ in pairs]), np.array([r for _, r in pairs]))


def _zeros_like(x: Ball, shape: tuple[int, ...]) -> Ball:
    return Ball(np.zeros(shape), np.zeros(shape))


def _windows(f: dict, x: Ball, out: tuple[int, ...], fill: float = 0.0):
    """For each kernel offset: the offset and ``x`` (``(N, C, *S)``) padded with ``fill`` at it."""
    spatial = x.shape[2:]
    big = tuple(n + b + e for n, (b, e) in zip(spatial, f["padding"]))
    inside = (slice(None), slice(None), *(slice(b, b + n) for n, (b, _) in zip(spatial, f["padding"])))
    m = np.full(x.shape[:2] + big, fill)
    r = np.zeros(x.shape[:2] + big)
    m[inside], r[inside] = x.m, x.r
    for offset in itertools.product(*(range(k) for k in f["kernel"])):
        index = tuple(
            slice(o * d, o * d + s * (k - 1) + 1, s)
            for o, d, s, k in zip(offset, f["dilation"], f["stride"], out)
        )
        yield offset, (slice(None), slice(None), *index), Ball(m, r)


def _conv(f: dict, p: dict, x: Ball, out: tuple[int, ...]) -> Ball:
    """One product per group of kernel offsets (``BLOCK // C`` offsets, or per block of ``BLOCK``
    channels when ``C > BLOCK``): the windows of the padded input side by side, channels last."""
    w = p["weight"]  # (O, C, *kernel)
    n, c = x.shape[:2]
    blocks = [(lo, min(lo + BLOCK, c)) for lo in range(0, c, BLOCK)]
    per_group = max(1, BLOCK // c)
    windows = list(_windows(f, x, out[1:]))
    last = windows[0][2].moveaxis(1, -1)  # (N, *S_padded, C)
    acc = Accumulator()
    for a, b in blocks:
        size = b - a
        block = last.take((..., slice(a, b)))
        block = Ball(np.ascontiguousarray(block.m), np.ascontiguousarray(block.r))
        parts = left_operand(block, size * min(per_group, len(windows)))
        exact = not w.r[:, a:b].any()  # exact weights: no patch matrix of |m| + r
        for g in range(0, len(windows), per_group):
            group = windows[g : g + per_group]
            inner = size * len(group)  # a shorter last group keeps the larger gamma: an upper bound
            rows: list = []
            for part in parts[:2] if exact else parts:  # the patch matrix (N, *out, offset, channel)
                patch = np.empty((n, *out[1:], len(group), size))
                for j, (_, window, _) in enumerate(group):
                    spatial = (slice(None), *window[2:])  # a star in a subscript needs 3.11
                    patch[..., j, :] = part[spatial]
                rows.append(patch.reshape(-1, inner))
            at = [(slice(None), slice(a, b), *o) for o, _, _ in group]  # a tuple, built outside the subscript
            k = np.concatenate([w.m[i] for i in at], axis=1)
            kr = np.concatenate([w.r[i] for i in at], axis=1)
            acc.add(matmul_left(rows[0], rows[1], None if exact else rows[2], Ball(k.T, kr.T)))
    y = acc.ball().reshape(n, *out[1:], w.shape[0]).moveaxis(-1, 1)
    if f["bias"]:
        y = add(y, _broadcast(p["bias"], y.shape, 1))
    return y


def _broadcast(b: Ball, shape: tuple[int, ...], axis: int) -> Ball:
    """A per-channel ball (along ``axis``) broadcast to ``shape``."""
    view = (1,) * axis + (-1,) + (1,) * (len(shape) - axis - 1)
    return Ball(np.broadcast_to(b.m.reshape(view), shape), np.broadcast_to(b.r.reshape(view), shape))


def _dense(f: dict, p: dict, x: Ball) -> Ball:
    w = p["weight"]  # (F, n)
    flat = x.reshape(-1, x.shape[-1])
    acc = Accumulator()
    for a in range(0, flat.shape[1], BLOCK):
        b = min(a + BLOCK, flat.shape[1])
        part = flat.take((slice(None), slice(a, b)))
        acc.add(matmul_left(*left_operand(part, b - a), Ball(w.m[:, a:b].T, w.r[:, a:b].T)))
    y = acc.ball().reshape(*x.shape[:-1], f["features"])
    return add(y, _broadcast(p["bias"], y.shape, y.m.ndim - 1)) if f["bias"] else y


def _pool(kind: str, f: dict, x: Ball, out: tuple[int, ...]) -> Ball:
    f = {**f, "dilation": (1,) * len(f["kernel"])}
    if kind == "MaxPool":  # max over the real entries: the padding holds -inf
        lo = hi = None
        for _, window, whole in _windows(f, x, out[1:], fill=-np.inf):
            wlo = np.nextafter(whole.m[window] - whole.r[window], -np.inf)
            whi = np.nextafter(whole.m[window] + whole.r[window], np.inf)
            lo = wlo if lo is None else np.maximum(lo, wlo)
            hi = whi if hi is None else np.maximum(hi, whi)
        assert lo is not None and hi is not None
        return from_ends(lo, hi)
    acc = Accumulator()
    count = np.zeros(out[1:], dtype=int)
    mask = np.zeros(tuple(n + b + e for n, (b, e) in zip(x.shape[2:], f["padding"])), dtype=bool)
    mask[tuple(slice(b, b + n) for n, (b, _) in zip(x.shape[2:], f["padding"]))] = True
    for _, window, whole in _windows(f, x, out[1:]):
        acc.add(whole.take(window))
        count += mask[window[2:]]
    if f["count_include_pad"]:
        count[...] = math.prod(f["kernel"])
    inverse = from_fractions([[Fraction(1, int(k))] for k in count.ravel()]).reshape(out[1:])
    summed = acc.ball()
    shape = summed.shape
    return mul(summed, Ball(np.broadcast_to(inverse.m, shape), np.broadcast_to(inverse.r, shape)))


def _layer(node: GraphNode, p: Any, ins: list[Ball], out: tuple[int, ...]) -> Ball:
    f, x = node.fields, ins[0]
    if node.type == "Dense":
        return _dense(f, p, x)
    if node.type == "Conv":
        return _conv(f, p, x, out)
    if node.type in ("AveragePool", "MaxPool"):
        return _pool(node.type, f, x, out)
    if node.type == "GlobalAveragePool":
        axes = tuple(range(2, len(x.shape)))
        return scale(total(x, axes), Fraction(1, math.prod(x.shape[2:])))
    if node.type in ("Flatten", "Reshape"):
        return x.reshape(x.shape[0], *out)
    if node.type == "Transpose":
        return x.transpose((0, *(a + 1 for a in f["perm"])))
    if node.type == "Add":
        return add(x, ins[1])
    if node.type == "Activation":
        return _ACTIVATIONS[f["name"]](x)
    if node.type == "Softmax":
        return softmax(x, f["axis"] + 1)
    if node.type == "LayerNorm":
        return layer_norm(x, f["start"], f["epsilon"], p if p else {})
    if node.type == "BatchNorm":
        a, c = p
        return add(mul(x, _broadcast(a, x.shape, 1)), _broadcast(c, x.shape, 1))
    raise Undecided(f"no fast evaluation for the layer type {node.type}")  # unsupported() said so


def run_fast(graph: CheckedGraph, balls: dict[str, Any], x: Ball, upto: int | None = None) -> Ball:
    """The graph's output on the batch ``x`` (balls, batch axis first), from :func:`parameter_balls`;
    with ``upto``, the first input of node ``upto``, from the nodes before it (for the last node: the
    logits before a final softmax or sigmoid, as :func:`~symcert.checker.graph.forward.graph_loss`)."""
    values = {graph.input_name: x}
    for node in graph.nodes[:upto]:
        ins = [values[s] for s in node.inputs]
        values[node.name] = _layer(node, balls.get(node.name), ins, graph.shapes[node.name])
    return values[graph.output if upto is None else graph.nodes[upto].inputs[0]]


def _chunk(graph: CheckedGraph) -> int:
    widest = 1
    for node in graph.nodes:
        size = math.prod(graph.shapes[node.name])
        if node.type in ("Conv", "AveragePool", "MaxPool"):
            size += math.prod(graph.shapes[node.inputs[0]])
        widest = max(widest, size)
    return max(1, _CHUNK_ENTRIES // widest)


def midpoint_balls(graph: CheckedGraph, A: dict, B: dict, at_a: dict, at_b: dict) -> dict[str, Any]:
    """:func:`parameter_balls` of ``(A + B) / 2`` from those of ``A`` and ``B`` (``at_a``, ``at_b``):
    each entry by :func:`~symcert.checker.graph.balls.midpoint`, batch norm from the exact midpoint."""
    out: dict[str, Any] = {}
    for node in graph.nodes:
        if node.type == "BatchNorm":
            prefix = node.name + "."
            local = {
                k[len(prefix) :]: [(a + b) / 2 for a, b in zip(A[k], B[k])] for k in A if k.startswith(prefix)
            }
            out[node.name] = _batch_norm_affine(local, node.fields["epsilon"])
        elif node.name in at_a:
            out[node.name] = {k: midpoint(v, at_b[node.name][k]) for k, v in at_a[node.name].items()}
    return out


def fast_loss(
    graph: CheckedGraph, balls: dict, x: Ball, y: Ball, kind: str, factor: Fraction
) -> tuple[Fraction, Fraction]:
    """Exact ends of an enclosure of the loss ``kind`` at the parameters ``balls``
    (:func:`parameter_balls`) on the data ``x``, ``y`` (balls, one row per example), the formulas of
    :func:`~symcert.checker.graph.forward.graph_loss`: a final softmax or sigmoid is left out of the
    network and applied by the loss (the cross-entropy and bce on the logits, in
    :mod:`~symcert.checker.graph.smooth`). Raises :class:`~symcert.checker.graph.balls.Undecided` when
    the float64 rung cannot bound it."""
    why = unsupported(graph, kind)
    if why:
        raise Undecided(f"the fast rung does not evaluate {why}")
    output = graph_output(graph)
    upto = None if output == "identity" else len(graph.nodes) - 1
    n, step = x.shape[0], _chunk(graph)
    low = high = Fraction(0)
    for start in range(0, n, step):
        part = slice(start, min(start + step, n))
        z, targets = run_fast(graph, balls, x.take(part), upto), y.take(part)
        if kind == "cross_entropy":
            summed = cross_entropy_sum(z, targets)
        elif kind == "bce":
            summed = bce_sum(z, targets)
        else:
            f = sigmoid(z) if output == "sigmoid" else softmax_rows(z) if output == "softmax" else z
            summed = exact_sum(square(add(f, targets, -1)))
        lo, hi = to_fractions(float(summed.m), float(summed.r))
        low, high = low + lo, high + hi
    s = loss_scale(kind, n, y.shape[1], factor)
    return (max(low * s, Fraction(0)) if kind in SQUARES else low * s), high * s
