r"""The checker's verified float64 rung for ``phi`` and ``phi'`` over a piece of a segment, before Arb.

The same quantities as the Arb piece evaluation of :mod:`symcert.checker.graph.segment` (the graph on
the centred box ``theta(m) + S (B - A)``, ``S = [-h, h]``, every tensor with a ball of its derivative in
``t``), in the checker's own float64 balls (:mod:`symcert.checker.graph.balls`: midpoints and radii,
every operation with its rounding-error bound), batched over the examples in numpy. Each rule is an
identity of calculus (or a monotone range) evaluated in ball or interval arithmetic, so its result
contains every value the exact quantity takes on the box:

- the parameters at the midpoint, ``A + m D``, in ball arithmetic from the exact ``A`` and ``D`` (each
  converted once, its rounding error in its radius);
- the step ``S D`` of a tensor ``D``: ``{a s : |a - m| <= r, |s| <= h}`` is ``[-(|m| + r) h, (|m| + r) h]``,
  the ball ``<0, up(up(|m| + r) h_up)>`` (``h_up >= h`` a float checked exactly, two roundings each moved
  up by :func:`~symcert.checker.graph.balls.grow`, which holds for normal results: ``h >= 2^-400`` and
  the range guard keep them normal, else :class:`Undecided`);
- dense and convolution: ``F(theta(m), x) + S F(D, x)`` with tangent ``F(D, x) + F_0(theta, x')``, each
  ``F`` the fast rung's own blocked product (:mod:`symcert.checker.graph.fast`, ``gamma`` of the block),
  the box's weights a ball with the step's radius added;
- batch norm: ``(x - mean) k + bias`` with ``k = scale / sqrt(var + eps)`` and tangent
  ``(x' - mean') k + (x - mean) k' + bias'``, ``k' = scale'/s - scale var' / (2 s^3)``: the per-channel
  numbers (``k``, ``k'`` and the box's ``mean``, ``bias``) in the checker's float64 intervals over the
  box (:class:`~symcert.checker.f64.Interval`, ``sqrt`` correctly rounded by IEEE 754, every operation
  moved one float outward), the products of tensors as interval products (:func:`wide_mul`);
- tanh: (at a point, :func:`~symcert.checker.graph.tanh.tanh` of the narrow balls) from the ends,
  ``[tanh(lo), tanh(hi)]`` (increasing; :func:`~symcert.checker.graph.tanh.tanh_bounds`, no libm),
  and ``tanh' = 1 - tanh^2`` of that interval (the square of an interval holding 0 from 0), times
  ``x'`` as intervals; identity: itself;
- ReLU: the slope rule of :mod:`symcert.checker.graph.slopes` (``x'`` where the value ball is sure
  positive, ``0`` where sure negative, else the hull of ``0`` and ``x'``) and the value exactly on the ends;
- average pools, global average pool, flatten, reshape, transpose, add: linear, value and tangent alike;
- the loss (:func:`loss_parts`): the fast rung's cross-entropy, bce and squared losses of the value
  balls (:mod:`symcert.checker.graph.smooth`), and their derivatives ``sum_rows w <p, z'> - <y, z'>``
  (``p = softmax(z)``, ``w = sum_k y_k``), ``sum (sigmoid(z) - y) z'`` and ``2 sum (z - y) z'``.

A point ``phi(t)`` is the same evaluation at ``m = t``, ``h = 0`` without tangents
(:meth:`FastSegment.point`).
Per chunk of examples the sums' exact ends are added in ``Fraction``, times the exact loss scale.
Anything :func:`unsupported` (another layer or activation, layer norm, max pooling) or
:class:`~symcert.checker.graph.balls.Undecided` (numbers beyond ``2^480``, a box too thin) is left to
the Arb rung, and a bound that does not decide a piece is recomputed there (:mod:`.line`). Nothing
here comes from the prover.

>>> from fractions import Fraction as F
>>> from symcert.checker.graph.spec import read_graph
>>> g = read_graph({"format": "symcert-graph", "version": 1, "input_shape": [1],
...     "nodes": [{"name": "fc", "inputs": ["x"], "layer": {"type": "Dense", "features": 1, "bias": True}}]})
>>> A = {"fc.weight": [[F(0)]], "fc.bias": [F(0)]}
>>> B = {"fc.weight": [[F(1)]], "fc.bias": [F(1)]}
>>> seg = FastSegment(g, A, B, [[F(2)]], [[F(0)]], "sse", F(1))   # phi(t) = (3 t)^2, phi' = 18 t
>>> (p_lo, p_hi), (d_lo, d_hi) = seg.piece(F(1, 2), F(1))
>>> p_lo <= F(9, 4) and 9 <= p_hi and d_lo <= 9 and 18 <= d_hi and p_hi < 10 and d_hi < 19
True
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from typing import Any

import numpy as np

from symcert.checker import f64
from symcert.checker.f64 import Interval, exp_end
from symcert.checker.graph.balls import (
    Ball,
    Undecided,
    add,
    down,
    ends,
    from_ends,
    from_fractions,
    grow,
    mul,
    relu,
    square,
    tame,
    to_fractions,
    total,
    up,
)
from symcert.checker.graph.fast import _broadcast, _chunk, _layer
from symcert.checker.graph.forward import graph_output
from symcert.checker.graph.smooth import bce_sum, cross_entropy_sum, lse_rows, sigmoid, softmax_rows
from symcert.checker.graph.spec import CheckedGraph, GraphNode
from symcert.checker.graph.tanh import tanh, tanh_bounds
from symcert.checker.losses import SQUARES
from symcert.checker.losses import scale as loss_scale

__all__ = ["unsupported", "FastSegment", "wide_mul", "wide_tanh"]

Bounds = tuple[Fraction, Fraction]
_LINEAR = {"AveragePool", "GlobalAveragePool", "Flatten", "Reshape", "Transpose"}
_SUPPORTED = {"Dense", "Conv", "Add", "BatchNorm"} | _LINEAR
_ACTIVATIONS = {"identity", "tanh", "relu"}
#: The thinnest half-width of a piece on this rung (keeps the step's products normal: module text).
_THIN = 2.0**-400


def unsupported(graph: CheckedGraph, kind: str) -> str | None:
    """Why this rung does not evaluate pieces of this graph and loss (None: it does)."""
    if kind not in (*SQUARES, "cross_entropy", "bce"):
        return f"the {kind} loss"
    output = graph_output(graph)
    last = len(graph.nodes) - (0 if output == "identity" else 1)
    for node in graph.nodes[:last]:
        if node.type == "Activation":
            if node.fields["name"] not in _ACTIVATIONS:
                return f"the {node.fields['name']} activation"
        elif node.type not in _SUPPORTED:
            return f"the {node.type} layer"
    return None


def _interval_ball(lo: np.ndarray, hi: np.ndarray) -> Ball:
    return from_ends(down(lo), up(hi))


def wide_mul(a: Ball, b: Ball) -> Ball:
    """``a b`` entry by entry as Moore's interval product of the balls' ends: the smallest and largest
    of the four products (each one rounding, moved one float outward), tighter than the ball product
    when both are wide.

    >>> x = wide_mul(Ball(np.array([2.0]), np.array([1.0])), Ball(np.array([2.0]), np.array([1.0])))
    >>> bool(x.m[0] - x.r[0] <= 1 and 9 <= x.m[0] + x.r[0] and x.m[0] - x.r[0] > 0.99)
    True
    """
    alo, ahi = ends(a)
    blo, bhi = ends(b)
    p = (alo * blo, alo * bhi, ahi * blo, ahi * bhi)
    return _interval_ball(
        np.minimum(np.minimum(p[0], p[1]), np.minimum(p[2], p[3])),
        np.maximum(np.maximum(p[0], p[1]), np.maximum(p[2], p[3])),
    )


def wide_tanh(x: Ball) -> tuple[Ball, Ball]:
    """``tanh`` of every ball from its ends (increasing and odd: ``tanh(lo)``, ``tanh(hi)`` from the
    bounds of ``tanh(|.|)``), and ``1 - tanh^2`` of that interval (the square from 0 when it holds 0).

    >>> t, slope = wide_tanh(Ball(np.array([2.0]), np.array([2.0])))   # x in [0, 4]
    >>> bool(t.m[0] - t.r[0] <= 0 and 0.99932 <= t.m[0] + t.r[0] <= 1)
    True
    >>> bool(slope.m[0] - slope.r[0] <= 1 - 0.9993292997390670**2 and slope.m[0] + slope.r[0] >= 1)
    True
    """
    lo, hi = ends(x)
    both_lo, both_hi = tanh_bounds(np.abs(np.stack([lo, hi])))  # one pass for both ends
    a_lo, a_hi, b_lo, b_hi = both_lo[0], both_hi[0], both_lo[1], both_hi[1]
    low = np.maximum(np.where(lo >= 0, a_lo, -a_hi), -1.0)  # tanh(lo) >= low
    high = np.minimum(np.where(hi >= 0, b_hi, -b_lo), 1.0)  # tanh(hi) <= high
    big = np.maximum(np.abs(low), np.abs(high))
    small = np.where((low <= 0) & (high >= 0), 0.0, np.minimum(np.abs(low), np.abs(high)))
    sq_lo, sq_hi = down(small * small), up(big * big)  # t^2 in [sq_lo, sq_hi] for t in [low, high]
    slope_lo = np.maximum(down(1.0 - np.minimum(sq_hi, 1.0)), 0.0)
    slope_hi = np.minimum(up(1.0 - np.maximum(sq_lo, 0.0)), 1.0)
    return from_ends(low, high), from_ends(slope_lo, slope_hi)


def _interval(x: Ball) -> Interval:
    """The ball's ends as an interval (:func:`~symcert.checker.graph.balls.ends`, rounded outward)."""
    return Interval(*ends(x))


def _divide(a: Interval, b: Interval) -> Interval:
    """``a / b`` for ``b > 0`` (``b.lo > 0``): the smallest and largest of the four quotients of the
    ends (the quotient is monotone in each argument there), each moved one float outward."""
    q = (a.lo / b.lo, a.lo / b.hi, a.hi / b.lo, a.hi / b.hi)
    low = np.minimum(np.minimum(q[0], q[1]), np.minimum(q[2], q[3]))
    high = np.maximum(np.maximum(q[0], q[1]), np.maximum(q[2], q[3]))
    return Interval(f64.down(low), f64.up(high))


def _spread(x: Ball, h: float) -> Ball:
    """A ball of ``x S``, ``S = [-h, h]`` (``h`` a float at least the exact half-width): module text."""
    return tame(np.zeros(x.shape), grow(grow(np.abs(x.m) + x.r) * h))


def _plus(a: Ball | None, b: Ball | None) -> Ball | None:
    return b if a is None else a if b is None else add(a, b)


def _relu(x: Ball, dx: Ball | None) -> tuple[Ball, Ball | None]:
    """The value exactly on the ends, the tangent by the slope rule (module text)."""
    y = relu(x)
    if dx is None:
        return y, None
    lo, hi = ends(x)
    dlo, dhi = ends(dx)
    positive, negative = lo > 0, hi < 0
    t_lo = np.where(positive, dlo, np.where(negative, 0.0, np.minimum(dlo, 0.0)))
    t_hi = np.where(positive, dhi, np.where(negative, 0.0, np.maximum(dhi, 0.0)))
    return y, from_ends(t_lo, t_hi)


class FastSegment:
    """``phi(t) = L((1 - t) A + t B)`` on the certificate's data, over pieces, on this rung.

    ``A``, ``B`` map parameter names to nested lists (or object arrays) of ``Fraction``; ``xs``, ``ys``
    the data. Raises :class:`Undecided` at construction when :func:`unsupported` names a reason."""

    def __init__(
        self, graph: CheckedGraph, A: dict, B: dict, xs: Any, ys: Any, kind: str, factor: Fraction
    ) -> None:
        why = unsupported(graph, kind)
        if why:
            raise Undecided(f"the float64 piece rung does not evaluate {why}")
        self.graph, self.kind, self.factor = graph, kind, factor
        self.A = {k: np.asarray(v, dtype=object) for k, v in A.items()}
        self.D = {k: np.asarray(B[k], dtype=object) - self.A[k] for k in self.A}
        self.step = {k: from_fractions(v.tolist()) for k, v in self.D.items()}
        self.start = {k: from_fractions(v.tolist()) for k, v in self.A.items()}
        self.eps = {
            n.name: from_fractions([n.fields["epsilon"]]) for n in graph.nodes if n.type == "BatchNorm"
        }
        self.x, self.y = from_fractions(xs), from_fractions(ys)
        self.output = graph_output(graph)
        self.stop = None if self.output == "identity" else len(graph.nodes) - 1

    def _local(self, node: GraphNode, table: dict) -> dict:
        prefix = node.name + "."
        return {k[len(prefix) :]: v for k, v in table.items() if k.startswith(prefix)}

    def _batch_norm(
        self, mid: dict[str, Ball], step: dict[str, Ball], h: float, eps: Ball
    ) -> dict[str, Ball]:
        """The per-channel balls of the module text over the box, in the checker's float64 intervals
        (:class:`~symcert.checker.f64.Interval`: every ``+ - *`` and the divisions here one rounding
        moved outward; ``sqrt`` is correctly rounded in IEEE 754, so the same holds for it)."""
        box = {k: _interval(add(v, _spread(step[k], h))) for k, v in mid.items()}
        d = {k: _interval(v) for k, v in step.items()}
        v = box["var"] + _interval(eps)
        if not np.all(v.lo > 0):
            raise Undecided("a batch norm's var + eps may reach 0 on the box")
        root = Interval(f64.down(np.sqrt(v.lo)), f64.up(np.sqrt(v.hi)))
        if not np.all(root.lo > 0):
            raise Undecided("a batch norm's root is too small for the float64 rung")
        k = _divide(box["scale"], root)
        dk = _divide(d["scale"], root) - _divide(box["scale"] * d["var"], root * root * root * 2.0)
        found = {
            "k": k,
            "dk": dk,
            "mean": box["mean"],
            "bias": box["bias"],
            "dmean": d["mean"],
            "dbias": d["bias"],
        }
        return {name: from_ends(x.lo, x.hi) for name, x in found.items()}

    def _node(self, node: GraphNode, p: Any, ins: list, h: float, smooth: bool) -> tuple:
        (x, dx), rest = ins[0], ins[1:]
        out = self.graph.shapes[node.name]
        if node.type in ("Dense", "Conv"):
            mid, step = p
            along = _layer(node, step, [x], out)
            y = add(_layer(node, mid, [x], out), _spread(along, h))
            if not smooth:
                return y, None
            if dx is None:
                return y, along
            bare = dataclasses.replace(node, fields={**node.fields, "bias": False})
            box = {"weight": add(mid["weight"], _spread(step["weight"], h))}
            return y, add(along, _layer(bare, box, [dx], out))
        if node.type == "BatchNorm":
            c = {k: _broadcast(v, x.shape, 1) for k, v in p.items()}
            centred = add(x, c["mean"], -1)
            y = add(wide_mul(centred, c["k"]), c["bias"])
            if not smooth:
                return y, None
            minus = Ball(-c["dmean"].m, c["dmean"].r)  # x' - mean' with x' = 0 (exact negation)
            moved = minus if dx is None else add(dx, c["dmean"], -1)
            tangent = add(add(wide_mul(moved, c["k"]), wide_mul(centred, c["dk"])), c["dbias"])
            return y, tangent
        if node.type == "Activation":
            name = node.fields["name"]
            if name == "identity":
                return x, dx
            if name == "relu":
                return _relu(x, dx)
            if h == 0 and dx is None:  # a point: narrow balls, the midpoint form is as tight and cheaper
                return tanh(x), None
            value, slope = wide_tanh(x)
            return value, None if dx is None else wide_mul(slope, dx)
        if node.type == "Add":
            b, db = rest[0]
            return add(x, b), _plus(dx, db)
        return _layer(node, None, [x], out), None if dx is None else _layer(node, None, [dx], out)

    def _params(self, m: Fraction, h: float) -> dict[str, Any]:
        """Every node's parameters at ``theta(m) = A + m D`` (balls: ``A + D m`` in ball arithmetic) with
        their steps ``D``; batch norm's as the per-channel balls of :meth:`_batch_norm`."""
        at = from_fractions([m])
        out: dict[str, Any] = {}
        for node in self.graph.nodes[: self.stop]:
            names = self._local(node, self.start)
            if not names:
                continue
            step = self._local(node, self.step)
            mid = {}
            for a, v in names.items():
                scaled = mul(step[a], Ball(np.broadcast_to(at.m, v.shape), np.broadcast_to(at.r, v.shape)))
                mid[a] = add(v, scaled)
            if node.type == "BatchNorm":
                out[node.name] = self._batch_norm(mid, step, h, self.eps[node.name])
            else:
                out[node.name] = (mid, step)
        return out

    def point(self, t: Fraction) -> Bounds:
        """Exact ends of a ball of ``phi(t)`` (the pieces' evaluation at ``S = 0``: no tangents)."""
        return self._run(t, 0.0, False)[0]

    def piece(self, t0: Fraction, t1: Fraction, smooth: bool = True) -> tuple[Bounds, Bounds | None]:
        """Exact ends of balls of ``phi`` and (``smooth``: the graph and loss have derivative rules)
        ``phi'`` over ``[t0, t1]``; raises :class:`Undecided` when this rung cannot bound them."""
        m, half = (t0 + t1) / 2, (t1 - t0) / 2
        h = float(half)
        if Fraction(h) < half:
            h = float(up(h))
        if not _THIN <= h <= 1:
            raise Undecided("a piece too thin or too wide for the float64 rung")
        return self._run(m, h, smooth)

    def _run(self, m: Fraction, h: float, smooth: bool) -> tuple[Bounds, Bounds | None]:
        params = self._params(m, h)
        graph, n = self.graph, self.x.shape[0]
        chunk = max(1, _chunk(graph) // 2)
        ends_ = [[Fraction(0), Fraction(0)], [Fraction(0), Fraction(0)]]
        for start in range(0, n, chunk):
            part = slice(start, min(start + chunk, n))
            values: dict[str, tuple] = {graph.input_name: (self.x.take(part), None)}
            for node in graph.nodes[: self.stop]:
                ins = [values[i] for i in node.inputs]
                values[node.name] = self._node(node, params.get(node.name), ins, h, smooth)
            logits = graph.output if self.stop is None else graph.nodes[-1].inputs[0]
            z, dz = values[logits]
            for k, summed in enumerate(loss_parts(self.kind, self.output, z, dz, self.y.take(part), h > 0)):
                if summed is not None:
                    lo, hi = to_fractions(float(summed.m), float(summed.r))
                    ends_[k][0] += lo
                    ends_[k][1] += hi
        c = loss_scale(self.kind, n, self.y.shape[1], self.factor)
        value, slope = (tuple(sorted((lo * c, hi * c))) for lo, hi in ends_)  # c < 0 swaps the ends
        if self.kind in SQUARES:
            value = (max(value[0], Fraction(0)), value[1])
        return (value[0], value[1]), ((slope[0], slope[1]) if smooth and dz is not None else None)


def wide_softmax_rows(z: Ball) -> Ball:
    """``softmax(z)_k = e^{z_k} / sum_j e^{z_j}`` along the last axis over the whole box: increasing in
    ``z_k``, decreasing in the others, so between its values at two opposite corners,
    ``a_k / (a_k + sum_{j != k} B_j)`` and ``b_k / (b_k + sum_{j != k} A_j)`` (``a``, ``b`` the exps of the
    lower and upper ends, ``A``, ``B`` of the others). Every exp is shifted by the row's largest midpoint
    (the ratios are unchanged) and bounded by the checker's ``exp_end`` (:mod:`symcert.checker.f64`), every
    sum by ``f64.total``, ``sum_{j != k}`` as the row's sum minus entry ``k`` rounded outward; each
    division and addition moved one float outward. The result is clipped to ``[0, 1]``.

    >>> p = wide_softmax_rows(Ball(np.array([[0.0, 0.0]]), np.array([[30.0, 0.0]])))
    >>> bool(p.m[0, 0] - p.r[0, 0] <= 1e-13 and p.m[0, 0] + p.r[0, 0] >= 1 - 1e-13)
    True
    >>> q = wide_softmax_rows(Ball(np.array([[1.0, 2.0, 3.0]]), np.array([[0.0, 0.0, 0.0]])))
    >>> bool(abs(q.m[0, 2] - 0.6652409557748219) <= q.r[0, 2] < 1e-13)
    True
    """
    lo, hi = ends(z)
    shift = np.max(z.m, axis=-1, keepdims=True)

    def exps(v: np.ndarray) -> Interval:
        return Interval(exp_end(f64.down(v - shift), lower=True), exp_end(f64.up(v - shift), lower=False))

    a, b = exps(lo), exps(hi)
    a_all, b_all = f64.total(Interval(a.lo, a.lo)), f64.total(Interval(b.hi, b.hi))
    others_low = np.maximum(f64.down(a_all.lo[..., None] - a.lo), 0.0)  # <= sum_{j != k} A_j
    others_high = f64.up(b_all.hi[..., None] - b.hi)  # >= sum_{j != k} B_j
    low = f64.down(a.lo / f64.up(a.lo + others_high))
    high = f64.up(b.hi / f64.down(b.hi + others_low))
    if not np.all(np.isfinite(low) & np.isfinite(high)):
        raise Undecided("a softmax over the box is not finite")
    return from_ends(np.clip(low, 0.0, 1.0), np.clip(high, 0.0, 1.0))


def _wide_cross_entropy(z: Ball, y: Ball) -> Ball:
    """``sum_rows w lse(z) - <y, z>`` (``w = sum_k y_k``) with ``lse`` from the ends (increasing in every
    entry: between ``lse(lo)`` and ``lse(hi)``, each bounded at exact floats by ``smooth.lse_rows``)."""
    lo, hi = ends(z)
    zero = np.zeros(lo.shape)
    low, high = lse_rows(Ball(lo, zero)), lse_rows(Ball(hi, zero))
    value = from_ends(down(low.m - low.r), up(high.m + high.r))
    w = total(y, (1,), keepdims=False)
    return total(add(wide_mul(w, value), total(mul(y, z), (1,), keepdims=False), -1), (0,), keepdims=False)


def _meet(a: Ball, b: Ball) -> Ball:
    """The intersection of two enclosures of one scalar (each holds the exact value, so both ends do)."""
    alo, ahi = ends(a)
    blo, bhi = ends(b)
    return from_ends(np.maximum(alo, blo), np.minimum(ahi, bhi))


def loss_parts(
    kind: str, output: str, z: Ball, dz: Ball | None, y: Ball, wide: bool = True
) -> tuple[Ball, Ball | None]:
    """The unscaled loss of the logits' balls ``z`` summed over the chunk, and (with ``dz``) its
    derivative (module text; a final sigmoid or softmax under a squared loss leaves the derivative out:
    no rule here, the value alone). ``wide=False`` (a point) leaves out the cross-entropy's second
    enclosure from the ends, which only pays on a box."""
    everything = tuple(range(len(z.shape)))
    if kind == "cross_entropy":
        value = cross_entropy_sum(z, y)
        if wide:
            value = _meet(value, _wide_cross_entropy(z, y))
        if dz is None:
            return value, None
        w = total(y, (1,), keepdims=False)
        p = wide_softmax_rows(z)
        first = wide_mul(w, total(wide_mul(p, dz), (1,), keepdims=False))
        rows = add(first, total(mul(y, dz), (1,), keepdims=False), -1)
        return value, total(rows, (0,), keepdims=False)
    if kind == "bce":
        value = bce_sum(z, y)
        return value, None if dz is None else total(mul(add(sigmoid(z), y, -1), dz), everything, False)
    f = sigmoid(z) if output == "sigmoid" else softmax_rows(z) if output == "softmax" else z
    r = add(f, y, -1)
    value = total(square(r), everything, keepdims=False)
    if dz is None or output != "identity":
        return value, None
    slope = total(wide_mul(r, dz), everything, keepdims=False)
    return value, tame(2 * slope.m, 2 * slope.r)  # doubling is exact below overflow (the guard checks)
