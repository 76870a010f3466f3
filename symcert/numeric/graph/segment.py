r"""``phi`` and ``phi'`` over a piece of the segment ``theta(t) = A + t D`` (``D = B - A``), on enclosures.

The parameters over ``t in [t0, t1]`` are the centred box ``theta(m) + S D`` with ``m`` the piece's
midpoint and ``S`` an enclosure of ``[-h, h]``, ``h = (t1 - t0)/2``. Every tensor is carried with its
derivative in ``t`` (forward mode: a value and a tangent, both enclosures over the whole box), so the
loss comes with an enclosure of ``phi'`` over the piece: the mean-value forms of the barrier prover
(:mod:`symcert.proofs.graph_barrier`) use it. The rules, from the layers' formulas:

- ``Dense``, ``Conv`` (affine in their parameters ``p``, linear in their input): the value is
  ``F(theta(m), x) + S F(D, x)`` (the sum over the inputs cancels before the width ``h |F(D, x)|`` is
  taken: tighter than the box product) and the tangent ``F(D, x) + F_0(theta, x')`` (``F_0`` without the
  bias);
- ``BatchNorm``: ``y = (x - mean) k + bias`` with ``k = scale / s``, ``s = sqrt(var + eps)``:
  ``y' = (x' - mean') k + (x - mean) k' + bias'``, ``k' = scale'/s - scale var' / (2 s^3)``;
- a smooth ``Activation``: the engine's own jets (``s(x)' = s'(x) x'``);
- the moves and linear layers without parameters (``Flatten``, ``Reshape``, ``Transpose``,
  ``AveragePool``, ``GlobalAveragePool``, ``Add``): the same layer on the tangent;
- the loss: the loss entry's engine form at order 1.

- ``relu``, ``leaky_relu``, ``MaxPool``, ``LayerNorm``: the slope rules of
  :mod:`symcert.numeric.graph.slopes` (generalised derivatives of the piecewise-linear maps, the
  derivative through ``v^(-1/2)`` for layer norm; the mean-value argument with kinks is stated there).

Another layer (a softmax inside the graph, another non-smooth activation) has no tangent here:
:func:`has_tangent` says so, and the prover falls back to the range form.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from symcert.numeric.engine.network import _activation
from symcert.numeric.graph.forward import FORWARDS
from symcert.numeric.graph.loss import GraphLoss, _chunks, _ops
from symcert.numeric.graph.slopes import has_slope, slope_node
from symcert.numeric.graph.tensors import enclose, reshape, shape, sqrt
from symcert.symbolic.graph import (
    Activation,
    Add,
    AveragePool,
    BatchNorm,
    Conv,
    Dense,
    Flatten,
    GlobalAveragePool,
    Reshape,
    Transpose,
)

__all__ = ["has_tangent", "segment_jets", "segment_bounds"]

_MOVES = (Flatten, Reshape, Transpose, AveragePool, GlobalAveragePool)
TANGENT_LOSSES = ("cross_entropy", "bce")


def has_tangent(loss: GraphLoss, slopes: bool = True) -> bool:
    """True when every layer up to the logits, and the loss, have a tangent rule (see the module text);
    ``slopes=False`` leaves out the slope rules (ReLU, max pooling, layer norm), for comparisons."""
    nodes = loss.graph.nodes if loss.logits_stop is None else loss.graph.nodes[: loss.logits_stop]
    for node in nodes:
        layer = node.layer
        if slopes and has_slope(layer):
            continue
        if isinstance(layer, Activation):
            if not (layer.function.linear or layer.function.smooth):
                return False
        elif not isinstance(layer, (Dense, Conv, BatchNorm, Add, *_MOVES)):
            return False
    return loss.kind in TANGENT_LOSSES or (loss.kind in ("mse", "sse") and loss.output == "identity")


def _interval(bk: Any, lo: Fraction, hi: Fraction) -> Any:
    a, b = bk.constant(Fraction(lo)), bk.constant(Fraction(hi))
    if bk.name == "float64":
        return type(a)(a.lo, b.hi)
    from flint import arb

    return arb.union(a, b)


def _plus(a: Any, b: Any) -> Any:
    return b if a is None else a if b is None else a + b


def _batch_norm(bk: Any, layer: BatchNorm, box: dict, step: dict, x: Any, dx: Any) -> tuple:
    tail = (1,) * (len(shape(x)) - 2)
    q = {k: reshape(v, (-1, *tail)) for k, v in box.items()}
    d = {k: reshape(v, (-1, *tail)) for k, v in step.items()}
    s = sqrt(bk, q["var"] + bk.constant(layer.epsilon))
    k = q["scale"] / s
    centred = x - q["mean"]
    y = centred * k + q["bias"]
    dk = d["scale"] / s - q["scale"] * d["var"] / (s * s * s * 2)
    dy = (_plus(dx, -d["mean"]) * k) + centred * dk + d["bias"]
    return y, dy


def _node(bk: Any, layer: Any, mid: dict, box: dict, step: dict, S: Any, ins: list) -> tuple:
    """(value, tangent) of one node from its inputs' (value, tangent)."""
    forward = FORWARDS[type(layer)]
    (x, dx), rest = ins[0], ins[1:]
    if has_slope(layer):
        return slope_node(bk, layer, box, step, x, dx)
    if isinstance(layer, (Dense, Conv)):
        along = forward(bk, layer, step, x)  # F(D, x): affine in p, so F(theta(m) + S D, x) = ... + S F(D, x)
        y = forward(bk, layer, mid, x) + along * S
        if dx is None:
            return y, along
        bare = dataclasses.replace(layer, bias=False)
        return y, along + forward(bk, bare, {"weight": box["weight"]}, dx)
    if isinstance(layer, BatchNorm):
        return _batch_norm(bk, layer, box, step, x, dx)
    if isinstance(layer, Activation):
        value, tangent, _ = _activation(bk, layer.function, (x, dx, None), 0 if dx is None else 1)
        return value, tangent
    if isinstance(layer, Add):
        (b, db) = rest[0]
        return x + b, _plus(dx, db)
    if isinstance(layer, _MOVES):
        return forward(bk, layer, {}, x), None if dx is None else forward(bk, layer, {}, dx)
    raise ArithmeticError(f"no tangent rule for the layer type {layer.kind}")  # has_tangent said no


def segment_jets(
    bk: Any, loss: GraphLoss, A: Mapping[str, Any], B: Mapping[str, Any], t0: Fraction, t1: Fraction
) -> tuple[Any, Any]:
    """Enclosures of ``phi`` and ``phi'`` over ``t in [t0, t1]`` as two scalars of ``bk`` (call inside
    ``bk.active()``; ``has_tangent(loss)`` must hold)."""
    m, h = (Fraction(t0) + Fraction(t1)) / 2, (Fraction(t1) - Fraction(t0)) / 2
    S = _interval(bk, -h, h)
    graph = loss.graph
    mid_e = {k: enclose(bk, A[k] + (B[k] - A[k]) * m) for k in A}
    step_e = {k: enclose(bk, B[k] - A[k]) for k in A}
    box_e = {k: mid_e[k] + step_e[k] * S for k in A}
    total = dtotal = None
    nodes = graph.nodes if loss.logits_stop is None else graph.nodes[: loss.logits_stop]
    for X, Y in _chunks(loss, bk):
        values: dict[str, tuple] = {graph.input_name: (X, None)}
        for node in nodes:
            prefix = node.name + "."
            local = {k[len(prefix) :]: k for k in A if k.startswith(prefix)}
            mid = {a: mid_e[k] for a, k in local.items()}
            box = {a: box_e[k] for a, k in local.items()}
            step = {a: step_e[k] for a, k in local.items()}
            values[node.name] = _node(bk, node.layer, mid, box, step, S, [values[s] for s in node.sources])
        z, dz = values[loss.logits_name()]
        v, d, _ = loss.function.engine(bk, (z, dz, None), Y, 1, _ops(bk, loss.output))
        if d is None:
            raise ArithmeticError("the loss gave no derivative here")
        total = v if total is None else total + v
        dtotal = d if dtotal is None else dtotal + d
    scale = bk.constant(loss.scale)
    return total * scale, dtotal * scale


def segment_bounds(
    bk: Any, loss: GraphLoss, A: Mapping[str, Any], B: Mapping[str, Any], t0: Fraction, t1: Fraction
) -> tuple[tuple[Fraction, Fraction], tuple[Fraction, Fraction]]:
    """Exact endpoints of :func:`segment_jets`: ``phi`` and ``phi'`` over ``[t0, t1]`` (``ArithmeticError``
    if unbounded)."""
    with bk.active():
        value, slope = segment_jets(bk, loss, A, B, t0, t1)
        return bk.endpoints(value), bk.endpoints(slope)
