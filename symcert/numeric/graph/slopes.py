r"""Slope (mean-value) rules for the non-smooth and normalising layers of a graph, on enclosures.

:mod:`symcert.numeric.graph.segment` carries every tensor over a piece ``[t0, t1]`` of the segment with
an enclosure of its derivative in ``t`` (the tangent). Here are the rules for ReLU, leaky ReLU, max
pooling and layer normalisation, each ``(x, x') -> (y, y')`` on enclosures over the whole box.

Why the result is still a mean-value bound, with kinks. Every map here is locally Lipschitz and
directionally differentiable (piecewise linear, or smooth), and such maps compose: along the segment,
``phi`` has a right derivative ``phi'_+(t)`` at every ``t``, given by the chain rule of directional
derivatives. If every ``phi'_+(t)``, ``t in [t0, t1]``, lies in ``[d_lo, d_hi]``, then
``phi(b) - phi(a) in [d_lo, d_hi] (b - a)`` for ``t0 <= a <= b <= t1`` (the mean-value inequality for a
continuous function and its right Dini derivative). So each rule must enclose the directional
derivative ``f'(x; v)`` for every ``x`` in the value box and ``v`` in the tangent box:

- ``relu``: ``relu'(x; v)`` is ``v`` for ``x > 0``, ``0`` for ``x < 0`` and ``max(v, 0)`` at ``x = 0``:
  always ``c v`` with ``c in [0, 1]``. Where the value box lies strictly above (below) 0, ``c = 1``
  (``c = 0``) exactly; elsewhere ``{c v} = hull(0, v)``. The leaky ReLU with slope ``a``: ``c in [a, 1]``,
  ``{c v} = hull(a v, v)``;
- max pooling: ``max'(x; v) = max_{i active} v_i``, the active inputs those equal to the maximum.
  An input whose upper end is below the largest lower end in its window is never the maximum over the
  box, so the tangent is the hull of the other inputs' tangents: exactly ``v_i`` when one input
  strictly dominates (padded entries never take part);
- layer norm, smooth: with ``c = x - mean(x)``, ``v = mean(c^2)``, ``s = sqrt(v + eps)``:
  ``c' = x' - mean(x')``, ``v' = 2 mean(c c')``, ``(c / s)' = (c' - (c/s) v' / (2 s^2)) / s`` (the derivative
  through ``v^(-1/2)``, as the curvature jets take it), and ``y' = (c/s)' scale + (c/s) scale' + bias'``.

>>> from fractions import Fraction
>>> from symcert.numeric.engine.backends import F64Backend
>>> from symcert.numeric.engine.f64 import F64
>>> bk = F64Backend()
>>> x = F64(np.array([-2.0, -1.0, 1.0]), np.array([-1.0, 1.0, 2.0]))
>>> dx = F64(np.full(3, 1.0), np.full(3, 3.0))
>>> y, dy = leaky_relu_slope(bk, x, dx, Fraction(0))
>>> dy.lo.tolist(), dy.hi.tolist()
([0.0, 0.0, 1.0], [0.0, 3.0, 3.0])
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np

from symcert.numeric.engine.f64 import F64
from symcert.numeric.graph.forward import _max_pool, _pool_windows
from symcert.numeric.graph.tensors import shape, sqrt, total, where
from symcert.symbolic.graph import Activation, LayerNorm, MaxPool

__all__ = ["SLOPE_ACTIVATIONS", "SLOPE_LAYERS", "has_slope", "slope_node", "leaky_relu_slope"]

SLOPE_ACTIVATIONS = ("relu", "leaky_relu")
SLOPE_LAYERS = (MaxPool, LayerNorm)


def has_slope(layer: Any) -> bool:
    """True for a layer with a rule here."""
    if isinstance(layer, Activation):
        return layer.function.name in SLOPE_ACTIVATIONS
    return isinstance(layer, SLOPE_LAYERS)


def _lows(x: Any) -> np.ndarray:
    """The lower ends (floats on the float64 rung; exact Arb points on the Arb rung)."""
    return x.lo if isinstance(x, F64) else np.frompyfunc(lambda a: a.lower(), 1, 1)(x)


def _highs(x: Any) -> np.ndarray:
    return x.hi if isinstance(x, F64) else np.frompyfunc(lambda a: a.upper(), 1, 1)(x)


def _hull(a: Any, b: Any) -> Any:
    """The smallest interval holding both, entry by entry (exact)."""
    if isinstance(a, F64):
        return F64(np.minimum(a.lo, b.lo), np.maximum(a.hi, b.hi))
    from flint import arb

    return np.frompyfunc(arb.union, 2, 1)(a, b)


def _zeros(x: Any) -> Any:
    if isinstance(x, F64):
        return F64(np.zeros_like(x.lo), np.zeros_like(x.hi))
    from flint import arb

    out = np.empty(x.shape, dtype=object)
    out[...] = arb(0)
    return out


def _nonnegative(x: Any) -> Any:
    """``x`` cut to ``[0, inf)`` (for a variance, which is never negative: the cut is sound)."""
    if isinstance(x, F64):
        return F64(np.maximum(x.lo, 0.0), np.maximum(x.hi, 0.0))
    from flint import arb

    def cut(v: Any) -> Any:  # a ball from 0 to the upper end (Arb's max keeps the ball's negative part)
        return v if v >= 0 else arb.union(arb(0), v.upper().max(arb(0)))

    return np.frompyfunc(cut, 1, 1)(x)


def _compare(a: np.ndarray, b: Any, op: Any) -> np.ndarray:
    return np.asarray(np.frompyfunc(lambda u, v: bool(op(u, v)), 2, 1)(a, b), dtype=bool)


def leaky_relu_slope(bk: Any, x: Any, dx: Any, a: Fraction) -> tuple[Any, Any]:
    """``(y, y')`` of the leaky ReLU with slope ``a`` (``a = 0``: ReLU) on the value box ``x`` and the
    tangent box ``dx`` (see the module text)."""
    y = bk.relu(x) if a == 0 else bk.leaky_relu(x, Fraction(a))
    if dx is None:
        return y, None
    lows, highs = _lows(x), _highs(x)
    above = _compare(lows, 0, lambda u, v: u > v)
    below = _compare(highs, 0, lambda u, v: u < v)
    low_side = _zeros(dx) if a == 0 else dx * bk.constant(Fraction(a))
    return y, where(above, dx, where(below, low_side, _hull(low_side, dx)))


def _max_pool_slope(bk: Any, layer: MaxPool, x: Any, dx: Any) -> tuple[Any, Any]:
    y = _max_pool(bk, layer, {}, x)
    if dx is None:
        return y, None
    floor = _lows(y)  # the largest lower end in each window (or below it on the Arb rung: wider, sound)
    values, _ = _pool_windows(layer, x)
    tangents, _ = _pool_windows(layer, dx)
    out, got = None, None
    for (seen, mask), (dseen, _) in zip(values, tangents):
        active = mask & _compare(_highs(seen), floor, lambda u, v: u >= v)
        if out is None:
            out, got = dseen, active.copy()
            continue
        assert got is not None
        out = where(active & ~got, dseen, where(active, _hull(out, dseen), out))
        got = got | active
    return y, out  # every window has an active input: the one whose lower end is the floor


def _plus(a: Any, b: Any) -> Any:
    return b if a is None else a if b is None else a + b


def _layer_norm_slope(bk: Any, layer: LayerNorm, box: dict, step: dict, x: Any, dx: Any) -> tuple[Any, Any]:
    start = layer.axis % (len(shape(x)) - 1) + 1
    axes = tuple(range(start, len(shape(x))))
    count = bk.constant(Fraction(math.prod(shape(x)[start:])))
    c = x - total(bk, x, axes, keepdims=True) / count
    var = _nonnegative(total(bk, bk.square(c), axes, keepdims=True) / count)
    v = var + bk.constant(layer.epsilon)  # > 0, and s^2 (no ball product of s: balls lose the sign)
    s = sqrt(bk, v)
    n = c / s
    y = n * box["scale"]
    if layer.bias:
        y = y + box["bias"]
    dn = None
    if dx is not None:
        dc = dx - total(bk, dx, axes, keepdims=True) / count
        dvar = total(bk, c * dc, axes, keepdims=True) * bk.constant(Fraction(2)) / count
        dn = (dc - n * dvar / (v * bk.constant(Fraction(2)))) / s  # c'/s - c v'/(2 s^3)
    dy = _plus(None if dn is None else dn * box["scale"], n * step["scale"])
    return y, _plus(dy, step.get("bias") if layer.bias else None)


def slope_node(bk: Any, layer: Any, box: dict, step: dict, x: Any, dx: Any) -> tuple[Any, Any]:
    """``(value, tangent)`` of a layer with :func:`has_slope` from its input's ``(value, tangent)``;
    ``box`` and ``step`` are its parameters over the piece and ``B - A`` (enclosures by local name)."""
    if isinstance(layer, Activation):
        slope = layer.function.slope
        a = Fraction(0) if slope is None else Fraction(int(slope.p), int(slope.q))  # relu: no slope
        return leaky_relu_slope(bk, x, dx, a)
    if isinstance(layer, MaxPool):
        return _max_pool_slope(bk, layer, x, dx)
    if isinstance(layer, LayerNorm):
        return _layer_norm_slope(bk, layer, box, step, x, dx)
    raise ArithmeticError(f"no slope rule for the layer type {layer.kind}")
