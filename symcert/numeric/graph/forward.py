r"""The rigorous forward pass of a layer graph: each layer type's formula on enclosures.

:func:`enclose_graph` runs the graph's nodes in order on a backend of the engine (verified float64 or
Arb balls, :mod:`symcert.numeric.engine.backends`), from exact parameters and an exact batch, and
returns an enclosure of every tensor. Each layer is the same formula as its exact ``forward``
(:mod:`symcert.symbolic.graph`), written on enclosures:

- ``Dense``: one verified matrix product ``x W^T`` (the ``gamma_n`` bound, ``n`` the input width) and
  the bias;
- ``Conv``: the input is zero-padded and unfolded into patches (im2col): a matrix of
  ``N * positions`` rows and ``n = C_in * prod(kernel)`` columns, in the order of ``W``'s flattening,
  so the convolution is one verified product with ``W`` reshaped to ``(C_out, n)``: its error bound
  is ``gamma_n`` with ``n = k k C_in``;
- ``AveragePool`` and ``GlobalAveragePool``: a verified sum divided by the exact count;
  ``MaxPool``: the maximum of intervals (exact, padded entries never take part);
- ``BatchNorm``: ``(x - mean) * (scale / sqrt(var + eps)) + bias``, the factor enclosed once per
  channel; ``LayerNorm``: the mean, the centred values, their variance, a rigorous square root and a
  division;
- ``Activation`` and ``Softmax``: the engine's own rigorous bounds (the activation entry's engine
  form; softmax as ``1 / (1 + sum_{j != k} e_j / e_k)``);
- ``Flatten``, ``Reshape``, ``Transpose``, ``Add``: moves of enclosures (no rounding) and a sum.

>>> from fractions import Fraction
>>> from symcert.numeric.engine.backends import F64Backend
>>> from symcert.symbolic.graph import Activation, Conv, Flatten, Graph, Node, random_parameters
>>> g = Graph((1, 3, 3), [Node("c", Conv(2, (2, 2))), Node("r", Activation("relu")), Node("f", Flatten())])
>>> x = np.array([[[[Fraction(i * 3 + j, 7) for j in range(3)] for i in range(3)]]], dtype=object)
>>> out = enclose_graph(F64Backend(), g, random_parameters(g, seed=1), x)["f"]
>>> out.shape
(1, 8)
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

import numpy as np

from symcert.errors import SpecificationError
from symcert.numeric.engine.f64 import F64
from symcert.numeric.engine.network import _activation, _probabilities
from symcert.numeric.graph.tensors import (
    enclose,
    matmul2d,
    maximum,
    moveaxis,
    pad,
    prepare_left,
    reshape,
    shape,
    sqrt,
    stack,
    take,
    total,
    transpose,
    unfold,
    where,
)
from symcert.symbolic.graph import (
    Activation,
    Add,
    AveragePool,
    BatchNorm,
    Conv,
    Dense,
    Flatten,
    GlobalAveragePool,
    Graph,
    Layer,
    LayerNorm,
    MaxPool,
    Reshape,
    Softmax,
    Transpose,
    exact_array,
)
from symcert.symbolic.graph.linear import normalised

__all__ = ["enclose_graph", "enclose_layer", "FORWARDS"]

Params = Mapping[str, Any]  # a node's parameters (local names) as enclosures


def _dense(bk: Any, layer: Dense, p: Params, x: Any) -> Any:
    lead, width = shape(x)[:-1], shape(x)[-1]
    y = matmul2d(bk, reshape(x, (-1, width)), transpose(p["weight"], (1, 0)))
    y = reshape(y, (*lead, layer.features))
    return y + p["bias"] if layer.bias else y


def _patches(x: Any, kernel: tuple, stride: tuple, pads: tuple, dilation: tuple, out: tuple) -> list:
    """For each kernel offset (in C order): the padded input entries it sees, ``(N, C, *out)``,
    and the mask of real (not padded) entries, ``out``."""
    spatial = shape(x)[2:]
    padded = pad(x, pads)
    inside = np.zeros(tuple(s + b + e for s, (b, e) in zip(spatial, pads)), dtype=bool)
    inside[tuple(slice(b, b + s) for s, (b, _) in zip(spatial, pads))] = True
    found = []
    for offset in itertools.product(*(range(k) for k in kernel)):
        index = tuple(
            slice(o * d, o * d + s * (m - 1) + 1, s) for o, d, s, m in zip(offset, dilation, stride, out)
        )
        found.append((take(padded, (slice(None), slice(None), *index)), inside[index]))
    return found


def _conv(bk: Any, layer: Conv, p: Params, x: Any) -> Any:
    n, c_in = shape(x)[:2]
    out = layer.output_shape([shape(x)[1:]])[1:]
    k = c_in * math.prod(layer.kernel)
    parts = prepare_left(bk, x, k)  # midpoint, radius, gamma_n term: once per input entry
    padded = pad(parts, normalised(layer.padding))
    stride, dilation = normalised(layer.stride), normalised(layer.dilation)
    rows = unfold(padded, layer.kernel, stride, dilation, out)  # N * positions x (C_in k k)
    weight = reshape(p["weight"], (layer.channels, k))
    y = matmul2d(bk, rows, transpose(weight, (1, 0)))  # gamma_n with n = C_in k k
    y = moveaxis(reshape(y, (n, *out, layer.channels)), -1, 1)
    if layer.bias:
        y = y + reshape(p["bias"], (-1,) + (1,) * len(out))
    return y


def _pool_windows(layer: Any, x: Any) -> tuple[list, tuple]:
    out = layer.output_shape([shape(x)[1:]])[1:]
    dilation = (1,) * len(layer.kernel)
    return _patches(x, layer.kernel, layer.stride, layer.padding, dilation, out), out


def _average_pool(bk: Any, layer: AveragePool, p: Params, x: Any) -> Any:
    windows, out = _pool_windows(layer, x)
    summed = total(bk, stack([v for v, _ in windows], 0), (0,))
    if layer.count_include_pad:
        count = np.full(out, math.prod(layer.kernel), dtype=object)
    else:
        count = sum(m.astype(int) for _, m in windows).astype(object)
    return summed / enclose(bk, np.vectorize(Fraction, otypes=[object])(count))


def _max_pool(bk: Any, layer: MaxPool, p: Params, x: Any) -> Any:
    windows, _ = _pool_windows(layer, x)
    best, have = None, None
    for seen, mask in windows:
        if best is None:
            best, have = seen, mask.copy()
            continue
        assert have is not None  # set with best
        best = where(mask & ~have, seen, where(mask, maximum(best, seen), best))
        have = have | mask
    return best


def _global_average_pool(bk: Any, layer: GlobalAveragePool, p: Params, x: Any) -> Any:
    axes = tuple(range(2, len(shape(x))))
    count = math.prod(shape(x)[2:])
    return total(bk, x, axes, keepdims=True) / bk.constant(Fraction(count))


def _batch_norm(bk: Any, layer: BatchNorm, p: Params, x: Any) -> Any:
    tail = (1,) * (len(shape(x)) - 2)
    q = {k: reshape(v, (-1, *tail)) for k, v in p.items()}
    factor = q["scale"] / sqrt(bk, q["var"] + bk.constant(layer.epsilon))
    return (x - q["mean"]) * factor + q["bias"]


def _layer_norm(bk: Any, layer: LayerNorm, p: Params, x: Any) -> Any:
    start = layer.axis % (len(shape(x)) - 1) + 1
    axes = tuple(range(start, len(shape(x))))
    count = bk.constant(Fraction(math.prod(shape(x)[start:])))
    mean = total(bk, x, axes, keepdims=True) / count
    centred = x - mean
    var = total(bk, bk.square(centred), axes, keepdims=True) / count
    y = centred / sqrt(bk, var + bk.constant(layer.epsilon)) * p["scale"]
    return y + p["bias"] if layer.bias else y


def _activation_layer(bk: Any, layer: Activation, p: Params, x: Any) -> Any:
    return _activation(bk, layer.function, (x, None, None), 0)[0]


def _softmax(bk: Any, layer: Softmax, p: Params, x: Any) -> Any:
    axis = layer.axis % (len(shape(x)) - 1) + 1
    last = moveaxis(x, axis, -1)
    return moveaxis(_probabilities(bk, last), -1, axis)


def _flatten(bk: Any, layer: Flatten, p: Params, x: Any) -> Any:
    return reshape(x, (shape(x)[0], -1))


def _reshape(bk: Any, layer: Reshape, p: Params, x: Any) -> Any:
    return reshape(x, (shape(x)[0], *layer.shape))


def _transpose(bk: Any, layer: Transpose, p: Params, x: Any) -> Any:
    return transpose(x, (0, *(a + 1 for a in layer.perm)))


#: Each layer type's rigorous forward: ``(bk, layer, params, *inputs) -> output``.
FORWARDS: dict[type, Callable[..., Any]] = {
    Dense: _dense,
    Conv: _conv,
    AveragePool: _average_pool,
    GlobalAveragePool: _global_average_pool,
    MaxPool: _max_pool,
    Flatten: _flatten,
    Reshape: _reshape,
    Transpose: _transpose,
    Add: lambda bk, layer, p, a, b: a + b,
    Activation: _activation_layer,
    Softmax: _softmax,
    BatchNorm: _batch_norm,
    LayerNorm: _layer_norm,
}


def enclose_layer(bk: Any, layer: Layer, params: Params, inputs: list[Any]) -> Any:
    """One layer on enclosures: ``params`` by local name (enclosures), ``inputs`` batched tensors."""
    forward = FORWARDS.get(type(layer))
    if forward is None:
        raise SpecificationError(
            f"the rigorous engine has no forward for the layer type {layer.kind}; the types it takes are "
            + ", ".join(t.__name__ for t in FORWARDS)
        )
    return forward(bk, layer, params, *inputs)


def enclose_graph(
    bk: Any,
    graph: Graph,
    params: Mapping[str, Any],
    x: Any,
    *,
    upto: int | None = None,
    converted: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Enclosures of every tensor of ``graph`` on the exact batch ``x`` (``(N, *input_shape)``).

    ``params`` are exact (checked by :meth:`Graph.check_parameters`); ``x`` is exact (numbers, floats
    read exactly) or an enclosure already in ``bk``. ``upto`` stops before node ``upto`` (e.g.
    ``len(nodes) - 1``: the tensors before a final softmax). ``converted`` may hold the parameters'
    enclosures already made in ``bk`` (by name; ``params`` are then taken as checked). Call it
    inside ``bk.active()``.
    """
    exact = params if converted is not None else graph.check_parameters(params)
    if not _is_enclosure(x):
        x = exact_array(x, "x")
        if x.shape[1:] != graph.input_shape:
            raise SpecificationError(
                f"the inputs must have shape (N, {', '.join(map(str, graph.input_shape))}), got {x.shape}"
            )
        x = enclose(bk, x)
    values = {graph.input_name: x}
    nodes = graph.nodes if upto is None else graph.nodes[:upto]
    for node in nodes:
        prefix = node.name + "."
        local = {
            k[len(prefix) :]: converted[k] if converted is not None else enclose(bk, v)
            for k, v in exact.items()
            if k.startswith(prefix)
        }
        values[node.name] = enclose_layer(bk, node.layer, local, [values[s] for s in node.sources])
    return values


def _is_enclosure(x: Any) -> bool:
    """An F64, or an object array of Arb balls (not exact numbers)."""
    if isinstance(x, F64):
        return True
    if not (isinstance(x, np.ndarray) and x.dtype == object and x.size > 0):
        return False
    return type(x.flat[0]).__name__ == "arb"
