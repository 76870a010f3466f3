r"""Second-order jets of a layer graph's loss along a line of parameters, on the engine's rungs.

Along ``theta(s) = P + s D`` (``P`` an exact point, ``D`` an exact direction) every tensor ``q`` of the
graph is carried as the jet ``(q, q', q'')`` of ``s -> q(theta(s))`` at ``s = 0``, each part an
enclosure on a backend of the engine (verified float64, Arb balls); ``None`` stands for an exact 0.
The loss's jet is ``(L, L', L'')`` with ``L'' = D^T H(P) D``: ``phi''(t0)`` for
``phi(t) = L(A + t (B - A))`` when ``P = A + t0 (B - A)`` and ``D = B - A``.

Each layer type's jet is an exact identity of calculus, evaluated on enclosures of its ingredients:

- ``Dense`` and ``Conv`` are bilinear in (input, weights): ``y' = f(x', W) + f(x, D_W) + D_b`` and
  ``y'' = f(x'', W) + 2 f(x', D_W)``, each ``f`` the rigorous forward (:mod:`.forward`) without bias;
- pooling by averages, ``Flatten``, ``Reshape``, ``Transpose`` and ``Add`` are linear: the forward on
  each part; ``MaxPool`` is refused (``max`` has no second derivative at ties);
- ``BatchNorm``: ``(x - m) * s r + b`` with ``r = v^(-1/2)``, ``v = var + eps``, whose jet is
  ``r' = -r v'/(2 v)`` and ``r'' = r (3/4 (v'/v)^2 - v''/(2 v))``; products of jets by Leibniz;
  ``LayerNorm`` the same with the mean and variance of its input's jet;
- smooth activations through their derivative facts (``Activation.jets``, the chain rule of
  :mod:`symcert.numeric.engine.network`); ``relu`` and ``leaky_relu`` only where every
  pre-activation's enclosure has a strict sign (then the activation is linear near the point, with
  slope 1 or 0 (or the leak), and the jet is exact); an entry whose sign is not decided raises
  :class:`KinkError` (an ``ArithmeticError``: the ladder tries the next rung);
- ``Softmax`` and the losses: the engine's own jets (softmax, log-sum-exp, squared error, BCE).

>>> from symcert.numeric.engine.backends import F64Backend
>>> from symcert.numeric.graph import GraphLoss
>>> from symcert.symbolic.graph import Activation, Dense, Graph, Node
>>> g = Graph((1,), [Node("fc", Dense(1)), Node("t", Activation("tanh"))])
>>> loss = GraphLoss(g, [[1]], [[0]], "sse")
>>> P = {"fc.weight": [[0]], "fc.bias": [0]}
>>> D = {"fc.weight": [[1]], "fc.bias": [0]}
>>> v, d1, d2 = loss_jet_enclosure(F64Backend(), loss, P, D)   # tanh(s)^2: 0, 0, 2
>>> v[0] <= 0 <= v[1], d1[0] <= 0 <= d1[1], d2[0] <= 2 <= d2[1]
(True, True, True)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

import numpy as np

from symcert.errors import SpecificationError
from symcert.numeric.engine.f64 import F64
from symcert.numeric.engine.network import _SIGMOID, _activation, _probabilities, _softmax, _total
from symcert.numeric.graph.forward import FORWARDS
from symcert.numeric.graph.loss import GraphLoss, _chunks
from symcert.numeric.graph.tensors import enclose, moveaxis, reshape, shape, sqrt, total, where
from symcert.symbolic.graph import (
    Activation,
    Add,
    AveragePool,
    BatchNorm,
    Conv,
    Dense,
    Flatten,
    GlobalAveragePool,
    Layer,
    LayerNorm,
    MaxPool,
    Reshape,
    Softmax,
    Transpose,
)
from symcert.symbolic.loss_entries import EngineOps

__all__ = ["KinkError", "MAX_POOL_REFUSAL", "layer_jet", "loss_jet", "loss_jet_enclosure", "JETS"]

Jet = tuple[Any, Any, Any]
Bounds = tuple[Fraction, Fraction]

#: The one-line refusal of a max pooling layer in a jet.
MAX_POOL_REFUSAL = "max pooling has no second derivative at ties; use the chord kind"


class KinkError(ArithmeticError):
    """A ReLU's pre-activation enclosure contains 0: the jet is not decided on this rung."""


def _add(a: Any, b: Any) -> Any:
    if a is None:
        return b
    return a if b is None else a + b


def _sub(a: Any, b: Any) -> Any:
    return _add(a, None if b is None else -b)


def _scaled(a: Any, c: Any) -> Any:
    return None if a is None else a * c


def _times(a: Any, b: Any) -> Any:
    return None if a is None or b is None else a * b


def jet_product(a: Jet, b: Jet) -> Jet:
    """Leibniz: ``(ab, a'b + ab', a''b + 2a'b' + ab'')``."""
    first = _add(_times(a[1], b[0]), _times(a[0], b[1]))
    cross = _times(a[1], b[1])
    second = _add(_add(_times(a[2], b[0]), _scaled(cross, 2)), _times(a[0], b[2]))
    return _times(a[0], b[0]), first, second


def _bilinear(f: Callable[[Any, Any], Any], x: Jet, w: Jet) -> Jet:
    """The jet of ``f(x, w)`` for ``f`` bilinear, ``w`` affine in ``s`` (``w'' = 0``)."""

    def at(u: Any, v: Any) -> Any:
        return None if u is None or v is None else f(u, v)

    first = _add(at(x[1], w[0]), at(x[0], w[1]))
    second = _add(at(x[2], w[0]), _scaled(at(x[1], w[1]), 2))
    return at(x[0], w[0]), first, second


def _linear(f: Callable[[Any], Any], x: Jet) -> Jet:
    return f(x[0]), *(None if part is None else f(part) for part in x[1:])


def _jet_add(a: Jet, b: Jet) -> Jet:
    return _add(a[0], b[0]), _add(a[1], b[1]), _add(a[2], b[2])


def _affine_params(p: Mapping[str, Jet], f: Callable[[Any], Any]) -> dict[str, Jet]:
    return {k: (f(v[0]), None if v[1] is None else f(v[1]), None) for k, v in p.items()}


def _broadcast(a: Any, like: Any) -> Any:
    """``a`` broadcast to the shape of ``like`` (a bias's tangent alone has the bias's shape)."""
    target = shape(like)
    if a is None or shape(a) == target:
        return a
    if isinstance(a, F64):
        return F64(np.broadcast_to(a.lo, target), np.broadcast_to(a.hi, target))
    return np.broadcast_to(a, target)


def _with_bias(y: Jet, layer: Any, p: Mapping[str, Jet], f: Callable[[Any], Any] = lambda b: b) -> Jet:
    if not layer.bias:
        return y
    b = p["bias"]
    value = _add(y[0], f(b[0]))
    return value, _broadcast(_add(y[1], None if b[1] is None else f(b[1])), value), y[2]


def _dense(bk: Any, layer: Dense, p: Mapping[str, Jet], x: Jet) -> Jet:
    plain = dataclasses.replace(layer, bias=False)
    y = _bilinear(lambda u, w: FORWARDS[Dense](bk, plain, {"weight": w}, u), x, p["weight"])
    return _with_bias(y, layer, p)


def _conv(bk: Any, layer: Conv, p: Mapping[str, Jet], x: Jet) -> Jet:
    plain = dataclasses.replace(layer, bias=False)
    y = _bilinear(lambda u, w: FORWARDS[Conv](bk, plain, {"weight": w}, u), x, p["weight"])
    dims = len(shape(y[0])) - 2
    return _with_bias(y, layer, p, lambda b: reshape(b, (-1,) + (1,) * dims))


def _rsqrt(bk: Any, v: Jet) -> Jet:
    """The jet of ``v^(-1/2)`` (``v > 0``): ``r' = -r v'/(2v)``, ``r'' = r (3/4 (v'/v)^2 - v''/(2v))``."""
    half, three_quarters = bk.constant(Fraction(-1, 2)), bk.constant(Fraction(3, 4))
    r = 1 / sqrt(bk, v[0])
    q = None if v[1] is None else v[1] / v[0]
    first = None if q is None else r * q * half
    inner = _add(
        None if q is None else bk.square(q) * three_quarters, None if v[2] is None else v[2] / v[0] * half
    )
    return r, first, None if inner is None else r * inner


def _batch_norm(bk: Any, layer: BatchNorm, p: Mapping[str, Jet], x: Jet) -> Jet:
    tail = (1,) * (len(shape(x[0])) - 2)
    q = _affine_params(p, lambda a: reshape(a, (-1, *tail)))
    eps = bk.constant(layer.epsilon)
    var = q["var"]
    factor = jet_product(q["scale"], _rsqrt(bk, (var[0] + eps, var[1], None)))
    centred = (_sub(x[0], q["mean"][0]), _sub(x[1], q["mean"][1]), x[2])
    return _jet_add(jet_product(centred, factor), q["bias"])


def _layer_norm(bk: Any, layer: LayerNorm, p: Mapping[str, Jet], x: Jet) -> Jet:
    start = layer.axis % (len(shape(x[0])) - 1) + 1
    axes = tuple(range(start, len(shape(x[0]))))
    count = bk.constant(Fraction(int(np.prod(shape(x[0])[start:]))))
    mean = _linear(lambda a: total(bk, a, axes, keepdims=True) / count, x)
    centred = (x[0] - mean[0], _sub(x[1], mean[1]), _sub(x[2], mean[2]))
    var = _linear(lambda a: total(bk, a, axes, keepdims=True) / count, jet_product(centred, centred))
    r = _rsqrt(bk, (var[0] + bk.constant(layer.epsilon), var[1], var[2]))
    y = jet_product(jet_product(centred, r), p["scale"])
    return _jet_add(y, p["bias"]) if layer.bias else y


def _sign_slopes(bk: Any, z: Any, leak: Fraction) -> Any:
    """The slope of a (leaky) ReLU at each entry whose sign the enclosure decides (1, or an enclosure of
    the leak); KinkError if one is not decided."""
    if isinstance(z, F64):
        positive, negative = z.lo > 0, z.hi < 0
        if not np.all(positive | negative):
            raise KinkError("a ReLU pre-activation's enclosure contains 0")
        return where(positive, F64.exact(np.ones(z.lo.shape)), bk.constant(leak))
    from flint import arb, fmpq

    def slope(v: Any) -> Any:
        if v.lower() > 0:
            return arb(1)
        if v.upper() < 0:
            return arb(fmpq(leak.numerator, leak.denominator))
        raise KinkError("a ReLU pre-activation's enclosure contains 0")

    return np.frompyfunc(slope, 1, 1)(z)


def _activation_layer(bk: Any, layer: Activation, p: Mapping[str, Jet], z: Jet) -> Jet:
    act = layer.function
    if act.name in ("relu", "leaky_relu"):
        slope: Any = act.slope  # a SymPy rational for leaky_relu
        leak = Fraction(0) if act.name == "relu" else Fraction(int(slope.p), int(slope.q))
        slopes = _sign_slopes(bk, z[0], leak)
        value = FORWARDS[Activation](bk, layer, {}, z[0])
        return value, _times(slopes, z[1]), _times(slopes, z[2])
    return _activation(bk, act, z, 2)


def _softmax_layer(bk: Any, layer: Softmax, p: Mapping[str, Jet], z: Jet) -> Jet:
    axis = layer.axis % (len(shape(z[0])) - 1) + 1
    moved = _linear(lambda a: moveaxis(a, axis, -1), z)
    return _linear(lambda a: moveaxis(a, -1, axis), _softmax(bk, moved, 2))


def _max_pool(bk: Any, layer: MaxPool, p: Mapping[str, Jet], x: Jet) -> Jet:
    raise SpecificationError(MAX_POOL_REFUSAL)


def _moves(kind: type) -> Callable[..., Jet]:
    def jet(bk: Any, layer: Any, p: Mapping[str, Jet], x: Jet) -> Jet:
        return _linear(lambda a: FORWARDS[kind](bk, layer, {}, a), x)

    return jet


#: Each layer type's jet: ``(bk, layer, params as jets, *input jets) -> output jet``.
JETS: dict[type, Callable[..., Jet]] = {
    Dense: _dense,
    Conv: _conv,
    AveragePool: _moves(AveragePool),
    GlobalAveragePool: _moves(GlobalAveragePool),
    MaxPool: _max_pool,
    Flatten: _moves(Flatten),
    Reshape: _moves(Reshape),
    Transpose: _moves(Transpose),
    Add: lambda bk, layer, p, a, b: _jet_add(a, b),
    Activation: _activation_layer,
    Softmax: _softmax_layer,
    BatchNorm: _batch_norm,
    LayerNorm: _layer_norm,
}


def layer_jet(bk: Any, layer: Layer, params: Mapping[str, Jet], inputs: list[Jet]) -> Jet:
    """One layer's jet: ``params`` by local name as jets ``(value, direction, None)``, ``inputs`` jets."""
    jet = JETS.get(type(layer))
    if jet is None:
        raise SpecificationError(
            f"the jets have no rule for the layer type {layer.kind}; use the chord kind for this model"
        )
    return jet(bk, layer, params, *inputs)


def refuse_unsupported(loss: GraphLoss) -> None:
    """A clear error before any work for a graph whose jets are not defined (max pooling)."""
    if any(isinstance(node.layer, MaxPool) for node in loss.graph.nodes):
        raise SpecificationError(MAX_POOL_REFUSAL)


def _ops(bk: Any, output: str) -> EngineOps:
    def out(jets: tuple) -> tuple:
        if output == "identity":
            return jets
        if output == "sigmoid":
            return _activation(bk, _SIGMOID, jets, 2)
        return _softmax(bk, jets, 2)

    return EngineOps(
        output=out,
        probabilities=lambda z0, e: _probabilities(bk, z0, e),
        total=lambda x: _total(bk, x),
        add=_add,
        mul=_times,
    )


def loss_jet(
    bk: Any,
    loss: GraphLoss,
    point: Mapping[str, Any],
    direction: Mapping[str, Any],
    box: Mapping[str, Any] | None = None,
) -> Jet:
    """``(L, L', L'')`` at the exact ``point`` along the exact ``direction`` (scalar enclosures in ``bk``;
    call inside ``bk.active()``). The data pass in chunks, their jets summed. ``box`` (enclosures in
    ``bk`` by name, such as :func:`~symcert.numeric.graph.ranges.segment_box`) replaces the point's
    values: the jets then enclose ``(L, L', L'')`` at every point of the box."""
    refuse_unsupported(loss)
    graph = loss.graph
    P, D = graph.check_parameters(point), graph.check_parameters(direction)
    params = {
        name: (
            enclose(bk, P[name]) if box is None else box[name],
            None if not np.any(D[name]) else enclose(bk, D[name]),
            None,
        )
        for name in P
    }
    stop = loss.logits_stop
    nodes = graph.nodes if stop is None else graph.nodes[:stop]
    sums: list[Any] = [None, None, None]
    for X, Y in _chunks(loss, bk):
        values: dict[str, Jet] = {graph.input_name: (X, None, None)}
        for node in nodes:
            prefix = node.name + "."
            local = {k[len(prefix) :]: v for k, v in params.items() if k.startswith(prefix)}
            values[node.name] = layer_jet(bk, node.layer, local, [values[s] for s in node.sources])
        z = values[loss.logits_name()]
        jet = loss.function.engine(bk, z, Y, 2, _ops(bk, loss.output))
        sums = [_add(s, j) for s, j in zip(sums, jet)]
    scale = bk.constant(loss.scale)
    zero = bk.constant(Fraction(0))
    v, d1, d2 = (zero if s is None else s * scale for s in sums)
    return v, d1, d2


def loss_jet_enclosure(
    bk: Any, loss: GraphLoss, point: Mapping[str, Any], direction: Mapping[str, Any]
) -> tuple[Bounds, Bounds, Bounds]:
    """Exact endpoints enclosing ``(L, L', L'')`` (see :func:`loss_jet`; ``ArithmeticError`` if unbounded)."""
    with bk.active():
        v, d1, d2 = loss_jet(bk, loss, point, direction)
        return bk.endpoints(v), bk.endpoints(d1), bk.endpoints(d2)
