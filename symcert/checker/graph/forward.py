"""The checker's own evaluation of a layer graph in Arb balls, and the loss on the certificate's data.

Each layer type is evaluated straight from its definition on numpy object arrays of ``arb`` (batch
axis first), sharing nothing with the prover: a dense layer is one ``arb_mat`` product, a convolution
the product of its patch matrix (the zero-padded input at each kernel offset) with the weights,
pooling a sum or Arb's ``max`` over window offsets, batch and layer norm their formulas with Arb's
square root, the activations and softmax the checker's own functions
(:mod:`symcert.checker.arb_engine`, :mod:`symcert.checker.arb_wide`). Arb is the kernel trusted
here: every operation's ball contains the exact result.

>>> from fractions import Fraction
>>> import flint
>>> from symcert.checker.graph.spec import read_graph
>>> g = read_graph({"format": "symcert-graph", "version": 1, "input_shape": [2],
...     "nodes": [{"name": "fc", "inputs": ["x"], "layer": {"type": "Dense", "features": 1, "bias": True}}]})
>>> p = {"fc.weight": [[Fraction(1), Fraction(2)]], "fc.bias": [Fraction(1, 3)]}
>>> out = run_graph(g, p, to_arb([[Fraction(1), Fraction(1)]]))[g.output]
>>> out[0, 0].contains(flint.fmpq(10, 3))
True
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction
from typing import Any

import numpy as np
from flint import arb, arb_mat, fmpq

from symcert.checker.arb_engine import activation
from symcert.checker.arb_wide import bce, lse, probabilities
from symcert.checker.arb_wide import square as even_square
from symcert.checker.graph.spec import CheckedGraph, GraphNode
from symcert.checker.losses import scale as loss_scale

__all__ = ["to_arb", "run_graph", "graph_output", "graph_loss"]


def to_arb(values: Any) -> np.ndarray:
    """Nested lists (or an array) of ``Fraction`` as an object array of exact Arb balls (an ``arb`` is
    kept as it is: parameters given as balls, a box)."""
    array = np.array(values, dtype=object)
    flat = [v if isinstance(v, arb) else arb(fmpq(v.numerator, v.denominator)) for v in array.ravel()]
    out = np.empty(len(flat), dtype=object)
    out[:] = flat
    return out.reshape(array.shape)


def _zeros(shape: tuple[int, ...]) -> np.ndarray:
    out = np.empty(shape, dtype=object)
    out[...] = arb(0)
    return out


def _padded(x: np.ndarray, pads: tuple) -> tuple[np.ndarray, np.ndarray]:
    """``x`` (``(N, C, *spatial)``) with zeros around its spatial axes, and the mask of real entries."""
    spatial = x.shape[2:]
    big = tuple(n + b + e for n, (b, e) in zip(spatial, pads))
    out = _zeros(x.shape[:2] + big)
    inside = tuple(slice(b, b + n) for n, (b, _) in zip(spatial, pads))
    where = (slice(None), slice(None), *inside)  # a star in a subscript needs 3.11 (mypy's reading)
    out[where] = x
    mask = np.zeros(big, dtype=bool)
    mask[inside] = True
    return out, mask


def _offsets(f: dict, x: np.ndarray, out: tuple[int, ...]):
    """For each kernel offset: the offset, the padded input at it (``(N, C, *out)``), its real entries."""
    padded, mask = _padded(x, f["padding"])
    for offset in itertools.product(*(range(k) for k in f["kernel"])):
        index = tuple(
            slice(o * d, o * d + s * (m - 1) + 1, s)
            for o, d, s, m in zip(offset, f["dilation"], f["stride"], out)
        )
        window = (slice(None), slice(None), *index)
        yield offset, padded[window], mask[index]


def _product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` for object matrices of balls, by one ``arb_mat`` product (Arb's sums in C)."""
    rows, cols = a.shape[0], b.shape[1]
    if rows == 0 or cols == 0 or a.shape[1] == 0:
        return _zeros((rows, cols))
    c = arb_mat(a.tolist()) * arb_mat(b.tolist())
    out = np.empty(rows * cols, dtype=object)
    out[:] = c.entries()
    return out.reshape(rows, cols)


def _conv(f: dict, p: dict, x: np.ndarray, out: tuple[int, ...]) -> np.ndarray:
    """Each output entry: the sum over input channels and kernel offsets of weight times the zero-padded
    input at that offset; as one product of the patch matrix (a row per example and position, a column
    per channel and offset) with the weights."""
    w = p["weight"]  # (O, C, *kernel)
    padded, _ = _padded(x, f["padding"])
    dims = len(f["kernel"])
    rows = []
    for offset in itertools.product(*(range(k) for k in f["kernel"])):
        index = tuple(
            slice(o * d, o * d + s * (m - 1) + 1, s)
            for o, d, s, m in zip(offset, f["dilation"], f["stride"], out[1:])
        )
        window = (slice(None), slice(None), *index)
        rows.append(padded[window])  # (N, C, *out)
    patches = np.stack(rows, axis=-1)  # (N, C, *out, K)
    patches = np.moveaxis(patches, 1, -2)  # (N, *out, C, K): column c K + k
    matrix = patches.reshape(-1, w.shape[1] * len(rows))
    y = _product(matrix, w.reshape(w.shape[0], -1).T)  # (N * positions, O)
    y = np.moveaxis(y.reshape((x.shape[0], *out[1:], w.shape[0])), -1, 1)
    if f["bias"]:
        y = y + p["bias"].reshape((-1,) + (1,) * dims)
    return y


def _pool(kind: str, f: dict, x: np.ndarray, out: tuple[int, ...]) -> np.ndarray:
    f = {**f, "dilation": (1,) * len(f["kernel"])}
    if kind == "MaxPool":
        best, have = None, None
        for _, seen, mask in _offsets(f, x, out[1:]):
            if best is None:
                best, have = seen.copy(), mask.copy()
                continue
            assert have is not None  # set with best
            larger = np.frompyfunc(lambda a, b: a.max(b), 2, 1)(best, seen)
            best = np.where(mask & ~have, seen, np.where(mask, larger, best))
            have = have | mask
        assert best is not None  # a kernel has at least one offset
        return best
    total, count = None, np.zeros(out[1:], dtype=int)
    for _, seen, mask in _offsets(f, x, out[1:]):
        total = seen if total is None else total + seen
        count = count + mask
    if f["count_include_pad"]:
        count[...] = math.prod(f["kernel"])
    return total / to_arb(np.vectorize(Fraction, otypes=[object])(count))


def _norm(values: np.ndarray, epsilon: Fraction) -> np.ndarray:
    """``1 / sqrt(v + eps)`` entry by entry (Arb's square root; NaN where the ball reaches below 0)."""
    e = arb(fmpq(epsilon.numerator, epsilon.denominator))
    return np.frompyfunc(lambda v: 1 / (v + e).sqrt(), 1, 1)(values)


def _layer(node: GraphNode, p: dict, ins: list[np.ndarray], out: tuple[int, ...]) -> np.ndarray:
    f, x = node.fields, ins[0]
    if node.type == "Dense":
        y = _product(x.reshape(-1, x.shape[-1]), p["weight"].T).reshape((*x.shape[:-1], f["features"]))
        return y + p["bias"] if f["bias"] else y
    if node.type == "Conv":
        return _conv(f, p, x, out)
    if node.type in ("AveragePool", "MaxPool"):
        return _pool(node.type, f, x, out)
    if node.type == "GlobalAveragePool":
        axes = tuple(range(2, x.ndim))
        n = math.prod(x.shape[2:])
        # numpy's stubs take a number as initial; these arrays hold arb balls
        return np.sum(x, axis=axes, keepdims=True, initial=arb(0)) / n  # type: ignore[call-overload]
    if node.type in ("Flatten", "Reshape"):
        return x.reshape((x.shape[0], *out))
    if node.type == "Transpose":
        return np.transpose(x, (0, *(a + 1 for a in f["perm"])))
    if node.type == "Add":
        return x + ins[1]
    if node.type == "Activation":
        return np.frompyfunc(lambda u: activation(f["name"], f["slope"], u), 1, 1)(x)
    if node.type == "Softmax":
        last = np.moveaxis(x, f["axis"] + 1, -1)
        rows = [probabilities(list(row)) for row in last.reshape(-1, last.shape[-1])]
        soft = np.empty(last.shape, dtype=object)
        soft.reshape(-1, last.shape[-1])[...] = rows
        return np.moveaxis(soft, -1, f["axis"] + 1)
    if node.type == "BatchNorm":
        tail = (1,) * (x.ndim - 2)
        q = {k: v.reshape((-1, *tail)) for k, v in p.items()}
        return (x - q["mean"]) * (q["scale"] * _norm(q["var"], f["epsilon"])) + q["bias"]
    if node.type == "LayerNorm":
        axes = tuple(range(f["start"] + 1, x.ndim))
        n = math.prod(x.shape[f["start"] + 1 :])
        mean = np.sum(x, axis=axes, keepdims=True, initial=arb(0)) / n  # type: ignore[call-overload]
        centred = x - mean
        squares = np.frompyfunc(even_square, 1, 1)(centred)
        var = np.sum(squares, axis=axes, keepdims=True, initial=arb(0)) / n  # type: ignore[call-overload]
        y = centred * _norm(var, f["epsilon"]) * p["scale"]
        return y + p["bias"] if f["bias"] else y
    raise ArithmeticError(f"no evaluation for the layer type {node.type}")  # read_graph refused it


def run_graph(graph: CheckedGraph, params: dict[str, Any], x: np.ndarray, upto: int | None = None) -> dict:
    """Every tensor of ``graph`` (by name) on the batch of balls ``x``, from exact parameters."""
    values = {graph.input_name: x}
    for node in graph.nodes[:upto]:
        prefix = node.name + "."
        local = {k[len(prefix) :]: to_arb(v) for k, v in params.items() if k.startswith(prefix)}
        values[node.name] = _layer(node, local, [values[s] for s in node.inputs], graph.shapes[node.name])
    return values


def graph_output(graph: CheckedGraph) -> str:
    """The output activation a graph ends in: ``softmax`` (a final softmax over its vector), ``sigmoid``
    (a final sigmoid) or ``identity`` (logits)."""
    last = graph.nodes[-1]
    if last.type == "Softmax" and len(graph.shapes[last.name]) == 1:
        return "softmax"
    if last.type == "Activation" and last.fields["name"] == "sigmoid":
        return "sigmoid"
    return "identity"


def graph_loss(
    graph: CheckedGraph, params: dict, x: np.ndarray, ys: list, kind: str, factor: Fraction
) -> arb:
    """The loss ``kind`` at exact ``params`` on the balls ``x`` and exact targets ``ys`` (rows)."""
    output = graph_output(graph)
    stop = None if output == "identity" else len(graph.nodes) - 1
    logits = graph.output if stop is None else graph.nodes[-1].inputs[0]
    z = run_graph(graph, params, x, stop)[logits]  # (N, m)
    y = to_arb(ys)
    if kind in ("mse", "sse"):
        if output == "sigmoid":
            f = np.frompyfunc(lambda u: activation("sigmoid", None, u), 1, 1)(z)
        elif output == "softmax":
            f = np.array([probabilities(list(row)) for row in z], dtype=object)
        else:
            f = z
        total = sum((even_square(a - b) for a, b in zip(f.ravel(), y.ravel())), arb(0))
    elif kind == "bce":
        total = sum((bce(a, b) for a, b in zip(z.ravel(), y.ravel())), arb(0))
    else:
        total = arb(0)
        for row, targets in zip(z, y):
            total += sum(targets, arb(0)) * lse(list(row)) - sum(
                (a * b for a, b in zip(row, targets)), arb(0)
            )
    s = loss_scale(kind, z.shape[0], z.shape[1], factor)
    return total * arb(fmpq(s.numerator, s.denominator))
