r"""The checker's own Taylor jets of a layer graph's loss along a line, in Arb balls.

Along ``theta(s) = P + s D`` every tensor is carried as its Taylor coefficients ``(q, q', q''/2)`` at
``s = 0`` (the prover carries ``(q, q', q'')``: a different arithmetic of the same calculus), as numpy
object arrays of ``arb``. The rules, each an identity of calculus evaluated in Arb (the kernel trusted):

- products (Leibniz, Taylor form): ``c = a b`` has ``c2 = a0 b2 + a1 b1 + a2 b0``; a dense layer or a
  convolution is bilinear in (input, weights), the weights affine in ``s``:
  ``y1 = f(x1, W) + f(x0, D) + D_b``, ``y2 = f(x2, W) + f(x1, D)``, each ``f`` the checker's own
  layer evaluation (:mod:`.forward`) without bias;
- average pooling, flatten, reshape, transpose and add are linear: each coefficient separately;
- ``r = v^(-1/2)`` (batch and layer norm): ``r1 = -r0 v1 / (2 v0)``,
  ``r2 = r0 (3/8 (v1/v0)^2 - v2 / (2 v0))``;
- activations, softmax and log-sum-exp: the checker's jets
  (:func:`~symcert.checker.arb_engine.activation_jet`, :func:`~symcert.checker.arb_wide.softmax_jet`,
  :func:`~symcert.checker.arb_wide.lse_jet`, :func:`~symcert.checker.arb_wide.bce_jet`); ``relu``
  and ``leaky_relu`` only where the ball of the pre-activation has a certain sign (there the
  activation is linear near the point), else an ``ArithmeticError``; max pooling is refused.

The loss's second coefficient is ``phi''(t0)/2``; :func:`graph_loss_jet` returns ``(L, L', L'')``.

>>> from fractions import Fraction
>>> from symcert.checker.graph.spec import read_graph
>>> g = read_graph({"format": "symcert-graph", "version": 1, "input_shape": [1],
...     "nodes": [{"name": "fc", "inputs": ["x"], "layer": {"type": "Dense", "features": 1, "bias": True}}]})
>>> P = {"fc.weight": [[Fraction(0)]], "fc.bias": [Fraction(0)]}
>>> D = {"fc.weight": [[Fraction(1)]], "fc.bias": [Fraction(1)]}
>>> v, d1, d2 = graph_loss_jet(g, P, D, [[Fraction(2)]], [[Fraction(0)]], "sse", Fraction(1))
>>> bool(d2.contains(18)), bool(d1.contains(0))     # (3 s)^2: 9 s^2
(True, True)
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np
from flint import arb, fmpq

from symcert.checker.arb_engine import activation_jet
from symcert.checker.arb_wide import bce_jet, lse_jet, softmax_jet
from symcert.checker.graph.forward import _layer, graph_output, to_arb
from symcert.checker.graph.spec import CheckedGraph, GraphNode
from symcert.checker.losses import scale as loss_scale

__all__ = ["graph_loss_jet", "MAX_POOL_REASON"]

Jet = tuple[np.ndarray, np.ndarray, np.ndarray]
#: Why a max pooling layer has no jet here.
MAX_POOL_REASON = "max pooling has no second derivative at ties; use the chord kind"


def _zeros(shape: tuple[int, ...]) -> np.ndarray:
    out = np.empty(shape, dtype=object)
    out[...] = arb(0)
    return out


def _times(a: Jet, b: Jet) -> Jet:
    return a[0] * b[0], a[0] * b[1] + a[1] * b[0], a[0] * b[2] + a[1] * b[1] + a[2] * b[0]


def _each(f: Any, x: Jet) -> Jet:
    return f(x[0]), f(x[1]), f(x[2])


def _plus(a: Jet, b: Jet) -> Jet:
    return a[0] + b[0], a[1] + b[1], a[2] + b[2]


def _elementwise(f: Any, x: Jet) -> Jet:
    """A scalar jet function applied entry by entry."""
    flat = [f((a, b, c)) for a, b, c in zip(x[0].ravel(), x[1].ravel(), x[2].ravel())]
    parts = []
    for k in range(3):
        out = np.empty(len(flat), dtype=object)
        out[:] = [j[k] for j in flat]
        parts.append(out.reshape(x[0].shape))
    return parts[0], parts[1], parts[2]


def _piecewise_linear(slope: Fraction, u: tuple) -> tuple:
    u0, u1, u2 = u
    if u0.lower() > 0:
        return u
    if u0.upper() < 0:
        c = arb(fmpq(slope.numerator, slope.denominator))
        return c * u0, c * u1, c * u2
    raise ArithmeticError("a ReLU pre-activation's ball contains 0: no second derivative is certain there")


def _rsqrt(v: Jet) -> Jet:
    r0 = np.frompyfunc(lambda a: 1 / a.sqrt(), 1, 1)(v[0])
    q = v[1] / v[0]
    three_eighths: Any = arb(fmpq(3, 8))
    return r0, -r0 * q / 2, r0 * (q * q * three_eighths - v[2] / (2 * v[0]))


def _bilinear(node: GraphNode, p: dict, x: Jet, out: tuple[int, ...]) -> Jet:
    plain = GraphNode(node.name, node.inputs, node.type, {**node.fields, "bias": False})
    W, D = p["weight"]

    def f(u: np.ndarray, w: np.ndarray) -> np.ndarray:
        return _layer(plain, {"weight": w}, [u], out)

    y = (f(x[0], W), f(x[1], W) + f(x[0], D), f(x[2], W) + f(x[1], D))
    if node.fields["bias"]:
        b, db = p["bias"]
        tail = (1,) * (len(out) - 1) if node.type == "Conv" else ()
        y = (y[0] + b.reshape((-1, *tail)), y[1] + db.reshape((-1, *tail)), y[2])
    return y


def _norm_jet(node: GraphNode, p: dict, x: Jet) -> Jet:
    f = node.fields
    eps = arb(fmpq(f["epsilon"].numerator, f["epsilon"].denominator))
    zero = None
    if node.type == "BatchNorm":
        tail = (1,) * (x[0].ndim - 2)
        q = {k: (v.reshape((-1, *tail)), d.reshape((-1, *tail))) for k, v, d in _pairs(p)}
        zero = _zeros(q["var"][0].shape)
        r = _rsqrt((q["var"][0] + eps, q["var"][1], zero))
        factor = _times((q["scale"][0], q["scale"][1], zero), r)
        centred = (x[0] - q["mean"][0], x[1] - q["mean"][1], x[2])
        return _plus(_times(centred, factor), (q["bias"][0], q["bias"][1], zero))
    axes = tuple(range(f["start"] + 1, x[0].ndim))
    n = math.prod(x[0].shape[f["start"] + 1 :])

    def mean(a: np.ndarray) -> np.ndarray:
        return np.sum(a, axis=axes, keepdims=True, initial=arb(0)) / n  # type: ignore[call-overload]

    centred = _plus(x, _each(lambda a: -a, _each(mean, x)))
    var = _each(mean, _times(centred, centred))
    r = _rsqrt((var[0] + eps, var[1], var[2]))
    scale, dscale = p["scale"]
    zero = _zeros(scale.shape)
    y = _times(_times(centred, r), (scale, dscale, zero))
    if f["bias"]:
        b, db = p["bias"]
        y = _plus(y, (b, db, zero))
    return y


def _pairs(p: dict) -> list:
    return [(k, v, d) for k, (v, d) in p.items()]


def _layer_jet(node: GraphNode, p: dict, ins: list[Jet], out: tuple[int, ...]) -> Jet:
    f, x = node.fields, ins[0]
    if node.type in ("Dense", "Conv"):
        return _bilinear(node, p, x, out)
    if node.type == "MaxPool":
        raise ValueError(MAX_POOL_REASON)
    if node.type in ("AveragePool", "GlobalAveragePool", "Flatten", "Reshape", "Transpose"):
        return _each(lambda a: _layer(node, {}, [a], out), x)
    if node.type == "Add":
        return _plus(x, ins[1])
    if node.type == "Activation":
        if f["name"] in ("relu", "leaky_relu"):
            slope = Fraction(0) if f["name"] == "relu" else f["slope"]
            return _elementwise(lambda u: _piecewise_linear(slope, u), x)
        return _elementwise(lambda u: activation_jet(f["name"], f["slope"], u), x)
    if node.type == "Softmax":
        moved = _each(lambda a: np.moveaxis(a, f["axis"] + 1, -1), x)
        return _each(lambda a: np.moveaxis(a, -1, f["axis"] + 1), _softmax_rows(moved))
    if node.type in ("BatchNorm", "LayerNorm"):
        return _norm_jet(node, p, x)
    raise ArithmeticError(f"no jet for the layer type {node.type}")  # read_graph refused it


def _softmax_rows(z: Jet) -> Jet:
    m = z[0].shape[-1]
    rows = zip(*(part.reshape(-1, m) for part in z))
    out = [np.empty(z[0].shape, dtype=object) for _ in range(3)]
    flat = [o.reshape(-1, m) for o in out]
    for i, (a, b, c) in enumerate(rows):
        for k, jet in enumerate(softmax_jet(list(zip(a, b, c)))):
            for part in range(3):
                flat[part][i, k] = jet[part]
    return out[0], out[1], out[2]


def _squared_sum(f: Jet, y: np.ndarray) -> tuple:
    r = (f[0] - y, f[1], f[2])
    sq = _times(r, r)
    return tuple(sum(part.ravel(), arb(0)) for part in sq)


def graph_loss_jet(
    graph: CheckedGraph, point: dict, direction: dict, xs: list, ys: list, kind: str, factor: Fraction
) -> tuple[arb, arb, arb]:
    """``(L, L', L'')`` at the exact ``point`` along the exact ``direction`` (balls)."""
    if any(n.type == "MaxPool" for n in graph.nodes):
        raise ValueError(MAX_POOL_REASON)
    output = graph_output(graph)
    stop = None if output == "identity" else len(graph.nodes) - 1
    x0 = to_arb(xs)
    values: dict[str, Jet] = {graph.input_name: (x0, _zeros(x0.shape), _zeros(x0.shape))}
    for node in graph.nodes[:stop]:
        prefix = node.name + "."
        local = {
            k[len(prefix) :]: (to_arb(v), to_arb(direction[k]))
            for k, v in point.items()
            if k.startswith(prefix)
        }
        values[node.name] = _layer_jet(node, local, [values[s] for s in node.inputs], graph.shapes[node.name])
    z = values[graph.output if stop is None else graph.nodes[-1].inputs[0]]
    y = to_arb(ys)
    if kind in ("mse", "sse"):
        if output == "sigmoid":
            z = _elementwise(lambda u: activation_jet("sigmoid", None, u), z)
        elif output == "softmax":
            z = _softmax_rows(z)
        total = _squared_sum(z, y)
    elif kind == "bce":
        entries = [bce_jet((a, b, c), t) for a, b, c, t in zip(*(p.ravel() for p in z), y.ravel())]
        total = tuple(sum((e[k] for e in entries), arb(0)) for k in range(3))
    else:  # cross-entropy on logits: (sum_k y_k) LSE(z) - <y, z>
        parts = [arb(0), arb(0), arb(0)]
        for i in range(z[0].shape[0]):
            lse = lse_jet(list(zip(z[0][i], z[1][i], z[2][i])))
            weight = sum(y[i], arb(0))
            for k in range(3):
                parts[k] += weight * lse[k] - sum((a * b for a, b in zip(z[k][i], y[i])), arb(0))
        total = tuple(parts)
    s = loss_scale(kind, z[0].shape[0], z[0].shape[1], factor)
    c = arb(fmpq(s.numerator, s.denominator))
    return total[0] * c, total[1] * c, 2 * total[2] * c
