"""The checker's own exact evaluation of a layer graph, in rationals: for teacher data (``L(A) = 0``).

Piecewise-linear layers have exact rational outputs at exact parameters and inputs: dense, conv,
average and global average pooling, flatten, reshape, transpose, add, the activations identity, ReLU,
leaky ReLU, square and cube, and batch norm where ``var + eps`` is the square of a rational. Anything
else (tanh, sigmoid, softplus, softmax, layer norm, max pooling, an irrational square root) raises
:class:`NotExact`, named; nothing is rounded. It imports nothing from the prover.

>>> from fractions import Fraction as F
>>> from symcert.checker.graph.spec import read_graph
>>> g = read_graph({"format": "symcert-graph", "version": 1, "input_shape": [2],
...     "nodes": [{"name": "fc", "inputs": ["x"], "layer": {"type": "Dense", "features": 1, "bias": True}},
...     {"name": "r", "inputs": ["fc"], "layer": {"type": "Activation", "name": "relu"}}]})
>>> exact_outputs(g, {"fc.weight": [[F(1), F(-2)]], "fc.bias": [F(1, 3)]}, [[F(1), F(0)], [F(0), F(1)]])
[[Fraction(4, 3)], [Fraction(0, 1)]]
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction
from typing import Any

import numpy as np

from symcert.checker.graph.spec import CheckedGraph, GraphNode

__all__ = ["NotExact", "exact_outputs"]


class NotExact(ValueError):
    """A layer whose output is not an exact rational here (the message names it)."""


def _array(values: Any) -> np.ndarray:
    out = np.empty(np.shape(values), dtype=object)
    for index in itertools.product(*(range(n) for n in out.shape)):
        v: Any = values
        for k in index:
            v = v[k]
        out[index] = Fraction(v)
    return out


def _sqrt(value: Fraction, where: str) -> Fraction:
    if value <= 0:  # checked first: isqrt raises on a negative value, and a zero root divides by 0
        raise NotExact(f"{where}: var + eps = {value} is not positive")
    num, den = math.isqrt(value.numerator), math.isqrt(value.denominator)
    if num * num != value.numerator or den * den != value.denominator:
        raise NotExact(f"{where}: var + eps = {value} is not the square of a rational")
    return Fraction(num, den)


def _padded(x: np.ndarray, pads: tuple[tuple[int, ...], ...]) -> np.ndarray:
    """``x`` (batch, channels, *spatial) with ``Fraction(0)`` around its spatial axes."""
    shape = (*x.shape[:2], *(n + b + e for n, (b, e) in zip(x.shape[2:], pads)))
    out = np.empty(shape, dtype=object)
    out[...] = Fraction(0)
    inside = tuple(slice(b, b + n) for n, (b, _) in zip(x.shape[2:], pads))
    index = (slice(None), slice(None), *inside)
    out[index] = x
    return out


def _windows(f: dict, offset: tuple[int, ...], out: tuple[int, ...]) -> tuple[slice, ...]:
    """The spatial slices of the padded input that kernel ``offset`` meets, one per output position."""
    return tuple(
        slice(k * d, k * d + s * (n - 1) + 1, s)
        for k, d, s, n in zip(offset, f["dilation"], f["stride"], out[1:])
    )


def _conv(f: dict, p: dict, x: np.ndarray, out: tuple[int, ...]) -> np.ndarray:
    padded = _padded(x, f["padding"])
    w = p["weight"]  # (O, C, *kernel)
    total = np.zeros((x.shape[0], *out[1:], out[0]), dtype=object)
    total[...] = Fraction(0)
    for offset in itertools.product(*(range(k) for k in f["kernel"])):
        window = (slice(None), slice(None), *_windows(f, offset, out))
        at = (slice(None), slice(None), *offset)
        kernel = w[at]
        total = total + np.tensordot(padded[window], kernel, axes=([1], [1]))
    result = np.moveaxis(total, -1, 1)
    if "bias" in p:
        result = result + p["bias"].reshape((1, -1) + (1,) * (len(out) - 1))
    return result


def _average_pool(f: dict, x: np.ndarray, out: tuple[int, ...]) -> np.ndarray:
    padded = _padded(x, f["padding"])
    ones = np.pad(np.ones(x.shape[2:], dtype=int), list(f["padding"]))
    total = np.zeros((x.shape[0], *out), dtype=object)
    total[...] = Fraction(0)
    counts = np.zeros(out[1:], dtype=int)
    for offset in itertools.product(*(range(k) for k in f["kernel"])):
        spatial = _windows(f, offset, out)
        window = (slice(None), slice(None), *spatial)
        total = total + padded[window]
        counts = counts + ones[spatial]
    if f["count_include_pad"]:
        counts = np.full(out[1:], math.prod(f["kernel"]), dtype=int)
    return total / np.vectorize(Fraction, otypes=[object])(counts)


def _activation(name: str, slope: Fraction | None, v: Fraction, where: str) -> Fraction:
    if name == "identity":
        return v
    if name == "relu":
        return v if v > 0 else Fraction(0)
    if name == "leaky_relu":
        assert slope is not None  # read with its slope
        return v if v >= 0 else slope * v
    if name == "square":
        return v * v
    if name == "cube":
        return v * v * v
    raise NotExact(f"{where}: the {name} activation has no exact rational values")


def _layer(node: GraphNode, p: dict, ins: list[np.ndarray], out: tuple[int, ...]) -> np.ndarray:
    x, f, where = ins[0], node.fields, f"node {node.name}"
    if node.type == "Dense":
        y = x @ p["weight"].T
        return y + p["bias"] if "bias" in p else y
    if node.type == "Conv":
        return _conv(f, p, x, out)
    if node.type == "AveragePool":
        return _average_pool(f, x, out)
    if node.type == "GlobalAveragePool":
        axes = tuple(range(2, x.ndim))
        count = Fraction(math.prod(x.shape[2:]))
        return x.sum(axis=axes, keepdims=True) / count
    if node.type in ("Flatten", "Reshape"):
        return x.reshape((x.shape[0], *out))
    if node.type == "Transpose":
        return np.transpose(x, (0, *(a + 1 for a in f["perm"])))
    if node.type == "Add":
        return x + ins[1]
    if node.type == "Activation":
        return np.vectorize(lambda v: _activation(f["name"], f["slope"], v, where), otypes=[object])(x)
    if node.type == "BatchNorm":
        root = np.array([_sqrt(v + f["epsilon"], where) for v in p["var"]], dtype=object)
        shape = (1, -1) + (1,) * (x.ndim - 2)
        factor = (p["scale"] / root).reshape(shape)
        return (x - p["mean"].reshape(shape)) * factor + p["bias"].reshape(shape)
    raise NotExact(f"{where}: a {node.type} layer has no exact rational output here")


def exact_outputs(graph: CheckedGraph, params: dict[str, Any], xs: Any) -> list:
    """The graph's outputs at exact ``params`` on the exact inputs ``xs`` (rows), as nested ``Fraction``
    lists; :class:`NotExact` names the first layer without exact values."""
    values = {graph.input_name: _array(xs)}
    for node in graph.nodes:
        prefix = node.name + "."
        local = {k[len(prefix) :]: _array(v) for k, v in params.items() if k.startswith(prefix)}
        values[node.name] = _layer(node, local, [values[s] for s in node.inputs], graph.shapes[node.name])
    return values[graph.output].tolist()
