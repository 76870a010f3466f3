r"""The checker's own slope rules for ReLU, leaky ReLU, max pooling and layer norm, in Arb balls.

The barrier check (:mod:`symcert.checker.graph.barrier`) carries every tensor over a piece with a ball
of its derivative in ``t``. These rules extend it past the kinks, written here from the definitions
(nothing shared with the prover). The argument: each map is Lipschitz and directionally
differentiable, so ``phi`` has a right derivative at every ``t``, given by the chain rule of
directional derivatives; if each such derivative over the piece lies in ``[d_lo, d_hi]``, then
``phi(b) - phi(a) in [d_lo, d_hi] (b - a)`` (the mean-value inequality for the right Dini
derivative of a continuous function), which is all the two-sided mean-value form uses. Each rule
encloses the directional derivative ``f'(x; v)`` for every ``x`` in the value ball and ``v`` in the
tangent ball:

- ReLU: ``relu'(x; v) = c v`` with ``c = 1`` (``x > 0``), ``0`` (``x < 0``), in ``[0, 1]`` at 0: the
  tangent ``v`` where the ball is certainly positive, ``0`` where certainly negative, else the union of
  ``0`` and ``v``. Leaky ReLU with slope ``a``: ``a v``, ``v``, or the union of both;
- max pooling: ``max'(x; v) = max`` of ``v_i`` over the inputs equal to the maximum; an input whose
  upper end is below the window's largest lower end is never one, so the tangent is the union of the
  others' tangents (exactly ``v_i`` when one input dominates; padded entries never take part);
- layer norm (smooth): ``c = x - mean(x)``, ``v = mean(c^2)``, ``r = 1/sqrt(v + eps)``;
  ``c' = x' - mean(x')``, ``v' = 2 mean(c c')``, ``(c r)' = (c' - (c r) r^2 v'/2) r`` and
  ``y' = (c r)' scale + c r scale' + bias'`` (products of wide balls as intervals).

>>> from flint import arb
>>> x = np.array([arb(-1, 0.5), arb(1, 0.5), arb(0, 1)], dtype=object)
>>> dx = np.array([arb(2), arb(2), arb(2)], dtype=object)
>>> _, dy = relu_slope(x, dx, None)
>>> [d.contains(0) for d in dy], [d.contains(2) for d in dy]
([True, False, True], [False, True, True])
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np
from flint import arb, fmpq

from symcert.checker.arb_engine import activation
from symcert.checker.arb_wide import mul as wide_mul
from symcert.checker.arb_wide import square as even_square
from symcert.checker.graph.forward import _layer, _offsets

__all__ = ["SLOPE_ACTIVATIONS", "SLOPE_LAYERS", "has_slope", "slope_node", "relu_slope"]

SLOPE_ACTIVATIONS = ("relu", "leaky_relu")
SLOPE_LAYERS = ("MaxPool", "LayerNorm")
_MUL = np.frompyfunc(wide_mul, 2, 1)
_UNION = np.frompyfunc(lambda a, b: arb.union(a, b), 2, 1)


def has_slope(node: Any) -> bool:
    """True for a node with a rule here."""
    if node.type == "Activation":
        return bool(node.fields["name"] in SLOPE_ACTIVATIONS)
    return bool(node.type in SLOPE_LAYERS)


def _one(u: arb, du: arb, a: arb | None) -> arb:
    low = arb(0) if a is None else wide_mul(du, a)
    if u > 0:
        return du
    if u < 0:
        return low
    return arb.union(low, du)


def relu_slope(x: np.ndarray, dx: np.ndarray | None, slope: Fraction | None) -> tuple[Any, Any]:
    """``(y, y')`` of ReLU (``slope`` None) or the leaky ReLU with ``slope``, entry by entry."""
    name = "relu" if slope is None else "leaky_relu"
    y = np.frompyfunc(lambda u: activation(name, slope, u), 1, 1)(x)
    if dx is None:
        return y, None
    a = None if slope is None else arb(fmpq(slope.numerator, slope.denominator))
    return y, np.frompyfunc(lambda u, du: _one(u, du, a), 2, 1)(x, dx)


def _max_pool(node: Any, x: np.ndarray, dx: np.ndarray | None, out: tuple) -> tuple[Any, Any]:
    y = _layer(node, {}, [x], out)
    if dx is None:
        return y, None
    f = {**node.fields, "dilation": (1,) * len(node.fields["kernel"])}
    floor = np.frompyfunc(lambda b: b.lower(), 1, 1)(y)  # at most the largest lower end: wider, sound
    tangent, got = None, None
    for (_, seen, mask), (_, dseen, _) in zip(_offsets(f, x, out[1:]), _offsets(f, dx, out[1:])):
        reach = np.asarray(np.frompyfunc(lambda u, b: bool(u.upper() >= b), 2, 1)(seen, floor), dtype=bool)
        active = mask & reach
        if tangent is None:
            tangent, got = dseen.copy(), active.copy()
            continue
        assert got is not None
        tangent = np.where(active & ~got, dseen, np.where(active, _UNION(tangent, dseen), tangent))
        got = got | active
    return y, tangent  # every window has an active input: the one whose lower end is the largest


def _mean(v: np.ndarray, axes: tuple, n: int) -> np.ndarray:
    return np.sum(v, axis=axes, keepdims=True, initial=arb(0)) / n  # type: ignore[call-overload]


def _layer_norm(node: Any, box: dict, step: dict, x: np.ndarray, dx: np.ndarray | None) -> tuple[Any, Any]:
    f = node.fields
    axes = tuple(range(f["start"] + 1, x.ndim))
    n = math.prod(x.shape[f["start"] + 1 :])
    eps = arb(fmpq(f["epsilon"].numerator, f["epsilon"].denominator))
    c = x - _mean(x, axes, n)
    var = _mean(np.frompyfunc(even_square, 1, 1)(c), axes, n)
    r = np.frompyfunc(lambda v: 1 / (v + eps).sqrt(), 1, 1)(var)
    rr = np.frompyfunc(lambda v: 1 / (v + eps), 1, 1)(var)  # r^2, from v + eps > 0 (no ball product)
    cr = _MUL(c, r)
    y = _MUL(cr, box["scale"]) + (box["bias"] if f["bias"] else 0)
    tangent = _MUL(cr, step["scale"]) + (step["bias"] if f["bias"] else 0)
    if dx is not None:
        dc = dx - _mean(dx, axes, n)
        dvar = _mean(_MUL(c, dc), axes, n) * 2
        dcr = _MUL(dc - _MUL(cr, _MUL(rr, dvar)) / 2, r)  # c' r - c r^3 v'/2
        tangent = tangent + _MUL(dcr, box["scale"])
    return y, tangent


def slope_node(node: Any, box: dict, step: dict, ins: list, out: tuple) -> tuple[Any, Any]:
    """``(value, tangent)`` of a node with :func:`has_slope` from its input's ``(value, tangent)``."""
    x, dx = ins[0]
    if node.type == "Activation":
        return relu_slope(x, dx, node.fields.get("slope") if node.fields["name"] == "leaky_relu" else None)
    if node.type == "MaxPool":
        return _max_pool(node, x, dx, out)
    if node.type == "LayerNorm":
        return _layer_norm(node, box, step, x, dx)
    raise ArithmeticError(f"no slope rule for the layer type {node.type}")
