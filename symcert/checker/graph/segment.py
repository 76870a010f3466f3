r"""The checker's Arb balls of ``phi`` and ``phi'`` over a piece of a segment, for the graph barrier and
path checks (:mod:`symcert.checker.graph.barrier`, :mod:`symcert.checker.graph.path`).

``phi(t) = L((1 - t) A + t B)`` on the piece ``[t0, t1]`` (midpoint ``m``, half-width ``h``): the
parameters are the ball ``theta(m) + S (B - A)``, ``S = [-h, h]``; every tensor of the graph is evaluated
on it with its derivative in ``t`` (dense and convolution layers as ``F(theta(m), x) + S F(B - A, x)`` with
tangent ``F(B - A, x) + F_0(theta, x')``; batch norm, smooth activations and the loss by their
derivatives; moves and pools linearly; ReLU, leaky ReLU, max pooling and layer norm by the slope rules of
:mod:`symcert.checker.graph.slopes`), giving balls of ``phi`` and ``phi'`` over the piece. A graph with a
layer or loss without a derivative rule here (:func:`smooth`) gets the first alone. Arb is the kernel
trusted here; the float64 rung of :mod:`symcert.checker.graph.fast_segment` computes the same
quantities first (:mod:`symcert.checker.graph.line`).
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from typing import Any

import numpy as np
from flint import arb, fmpq

from symcert.checker.arb_engine import activation, activation_jet
from symcert.checker.arb_wide import bce, lse, probabilities
from symcert.checker.arb_wide import mul as wide_mul
from symcert.checker.arb_wide import square as even_square
from symcert.checker.graph.forward import _layer, graph_output, to_arb
from symcert.checker.graph.slopes import has_slope, slope_node
from symcert.checker.graph.spec import CheckedGraph
from symcert.checker.losses import scale as loss_scale

__all__ = ["smooth", "arb_piece"]

_MOVES = ("Flatten", "Reshape", "Transpose", "AveragePool", "GlobalAveragePool")
_SMOOTH = ("identity", "tanh", "sigmoid", "softplus", "square", "cube")


def smooth(graph: CheckedGraph, stop: int | None, kind: str, output: str) -> bool:
    """True when every layer up to the logits, and the loss, have a derivative rule here."""
    for node in graph.nodes[:stop]:
        if has_slope(node):  # ReLU, leaky ReLU, max pooling, layer norm: symcert.checker.graph.slopes
            continue
        if node.type == "Activation":
            if node.fields["name"] not in _SMOOTH:
                return False
        elif node.type not in ("Dense", "Conv", "BatchNorm", "Add", *_MOVES):
            return False
    return kind in ("cross_entropy", "bce") or (kind in ("mse", "sse") and output == "identity")


_WIDE_MUL = np.frompyfunc(wide_mul, 2, 1)
_WIDE_SQUARE = np.frompyfunc(even_square, 1, 1)


def _wide_product(a: Any, b: Any) -> Any:
    """``a * b`` entry by entry, as intervals (:func:`symcert.checker.arb_wide.mul`)."""
    return _WIDE_MUL(a, b)


def _plus(a: Any, b: Any) -> Any:
    return b if a is None else a if b is None else a + b


def _tangent_node(node: Any, mid: dict, step: dict, box: dict, S: arb, ins: list, out: tuple) -> tuple:
    (x, dx), rest = ins[0], ins[1:]
    if has_slope(node) and (dx is not None or node.type == "LayerNorm"):
        return slope_node(node, box, step, ins, out)
    if node.type in ("Dense", "Conv"):
        along = _layer(node, step, [x], out)
        y = _layer(node, mid, [x], out) + along * S
        if dx is None:
            return y, along
        bare = dataclasses.replace(node, fields={**node.fields, "bias": False})
        return y, along + _layer(bare, {"weight": box["weight"]}, [dx], out)
    if node.type == "BatchNorm":
        tail = (1,) * (x.ndim - 2)
        q = {k: v.reshape((-1, *tail)) for k, v in box.items()}
        d = {k: v.reshape((-1, *tail)) for k, v in step.items()}
        eps = node.fields["epsilon"]
        s = np.frompyfunc(lambda v: (v + arb(fmpq(eps.numerator, eps.denominator))).sqrt(), 1, 1)(q["var"])
        k = q["scale"] / s
        centred = x - q["mean"]
        dk = d["scale"] / s - q["scale"] * d["var"] / (s * s * s * 2)
        tangent = _wide_product(_plus(dx, -d["mean"]), k) + _wide_product(centred, dk) + d["bias"]
        return _wide_product(centred, k) + q["bias"], tangent
    if node.type == "Activation":
        name, slope = node.fields["name"], node.fields.get("slope")
        if dx is None:
            return np.frompyfunc(lambda u: activation(name, slope, u), 1, 1)(x), None
        if name == "tanh":  # tanh' = 1 - tanh^2, times x' as intervals (wide balls: the hull of the ends)
            value = np.frompyfunc(lambda u: activation(name, slope, u), 1, 1)(x)
            return value, _wide_product(1 - _WIDE_SQUARE(value), dx)
        pair = np.frompyfunc(lambda u, du: activation_jet(name, slope, (u, du, arb(0)))[:2], 2, 2)
        value, slope_out = pair(x, dx)
        return value, slope_out
    if node.type == "Add":
        b, db = rest[0]
        return x + b, _plus(dx, db)
    if node.type in _MOVES:
        return _layer(node, {}, [x], out), None if dx is None else _layer(node, {}, [dx], out)
    # a layer without a derivative rule: its value on the box alone (the range form)
    return _layer(node, box, [x] + [r[0] for r in rest], out), None


def _loss_jets(s: dict, z: np.ndarray, dz: Any, has_rule: bool) -> tuple[arb, arb | None]:
    kind, ys = s["kind"], to_arb(s["ys"])
    output = graph_output(s["graph"])
    if not has_rule or dz is None:  # the value from the checker's loss formulas, on the logits' balls
        value = _loss_value(kind, output, z, ys)
        slope = None
    elif kind in ("mse", "sse"):
        r = z - ys
        value = _loss_value(kind, output, z, ys)
        slope = 2 * sum((a * b for a, b in zip(r.ravel(), dz.ravel())), arb(0))
    elif kind == "bce":
        value = _loss_value(kind, output, z, ys)
        sig = np.frompyfunc(lambda u: activation("sigmoid", None, u), 1, 1)(z)
        slope = sum((a * b for a, b in zip((sig - ys).ravel(), dz.ravel())), arb(0))
    else:
        value = _loss_value(kind, output, z, ys)
        slope = arb(0)
        for row, drow, targets in zip(z, dz, ys):
            p = probabilities(list(row))
            total = sum(targets, arb(0))
            slope += total * sum((a * b for a, b in zip(p, drow)), arb(0)) - sum(
                (a * b for a, b in zip(targets, drow)), arb(0)
            )
    c = loss_scale(kind, z.shape[0], z.shape[1], s["factor"])
    k = arb(fmpq(c.numerator, c.denominator))
    return value * k, None if slope is None else slope * k


def _loss_value(kind: str, output: str, z: np.ndarray, ys: np.ndarray) -> arb:
    """The unscaled loss on the logits' balls (the formulas of :func:`graph_loss`)."""
    if kind in ("mse", "sse"):
        if output == "sigmoid":
            f = np.frompyfunc(lambda u: activation("sigmoid", None, u), 1, 1)(z)
        elif output == "softmax":
            f = np.array([probabilities(list(row)) for row in z], dtype=object)
        else:
            f = z
        return sum((even_square(a - b) for a, b in zip(f.ravel(), ys.ravel())), arb(0))
    if kind == "bce":
        return sum((bce(a, b) for a, b in zip(z.ravel(), ys.ravel())), arb(0))
    total = arb(0)
    for row, targets in zip(z, ys):
        total += sum(targets, arb(0)) * lse(list(row)) - sum((a * b for a, b in zip(row, targets)), arb(0))
    return total


def arb_piece(s: dict, x: np.ndarray, t0: Fraction, t1: Fraction) -> tuple[arb, arb | None]:
    """Balls of ``phi`` and (when the graph is smooth here) ``phi'`` over ``[t0, t1]``."""
    graph: CheckedGraph = s["graph"]
    m, h = (t0 + t1) / 2, (t1 - t0) / 2
    S = arb(0, arb(fmpq(h.numerator, h.denominator)).upper())
    output = graph_output(graph)
    stop = None if output == "identity" else len(graph.nodes) - 1
    smooth_here = smooth(graph, stop, s["kind"], output)
    values: dict[str, tuple] = {graph.input_name: (x, None)}
    for node in graph.nodes[:stop]:
        prefix = node.name + "."
        names = [k for k in s["A"] if k.startswith(prefix)]
        mid = {k[len(prefix) :]: to_arb(s["A"][k] + (s["B"][k] - s["A"][k]) * m) for k in names}
        step = {k[len(prefix) :]: to_arb(s["B"][k] - s["A"][k]) for k in names}
        box = {a: mid[a] + step[a] * S for a in mid}
        ins = [values[i] for i in node.inputs]
        if not smooth_here:
            ins = [(v, None) for v, _ in ins]
        values[node.name] = _tangent_node(node, mid, step, box, S, ins, graph.shapes[node.name])
    logits = graph.output if stop is None else graph.nodes[-1].inputs[0]
    z, dz = values[logits]
    return _loss_jets(s, z, dz, smooth_here)
