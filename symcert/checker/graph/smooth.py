r"""The checker's float64 balls of the smooth layers and losses of the graph fast rung: sigmoid,
softplus, softmax, log-sum-exp, the cross-entropy and bce losses, and layer norm.

Each function of a ball ``z = <m, r>`` is bounded in two steps, stated once:

1. **At the midpoints** ``m`` (exact floats), in the verified float64 intervals of
   :mod:`symcert.checker.f64` (the checker's audited ``log_end``, ``total`` and interval
   ``+ - * /``, each operation rounded outward) and the balls of ``exp`` of
   :func:`symcert.checker.graph.tanh.exp_ball` (the range reduction ``y = k ln 2 + r`` the tanh balls
   already use: a few ``u`` relative, where ``f64.exp_end``'s halvings and doublings lose up to
   2,400 ``u`` at ``y = -9``, which made the cross-entropy at a poor fit several times wider than
   the logits' own spread); no libm.
2. **The radius** by the mean value theorem, with a bound ``K`` of the derivative on the whole ball
   (``|f(z) - f(m)| <= K r``), added rounded up. The bounds ``K`` used:

   - ``lse(z) = log sum_k e^{z_k}``: its gradient is ``softmax(z)``, which sums to 1, so
     ``|lse(z) - lse(m)| <= max_k r_k`` (1-Lipschitz in the max norm);
   - ``softmax``: ``d p_k / d z_j = p_k (delta_kj - p_j)``, whose absolute row sum is
     ``2 p_k (1 - p_k) <= 1/2``, so ``|p_k(z) - p_k(m)| <= max_j r_j / 2``;
   - ``softplus`` has slope ``sigmoid`` in ``(0, 1)``: ``K = 1``;
   - ``bce(z, y) = softplus(z) - y z`` has slope ``sigmoid(z) - y``, so ``K = max(|y|, |1 - y|)``
     (``y`` a ball: its radius added);
   - cross-entropy of one row, ``sum_k y_k (lse(z) - z_k)``: each ``lse(z) - z_k`` moves by at most
     ``max_j r_j + r_k``.

``lse`` at the midpoints in the log-softmax form, so nothing overflows and the terms are at most 1:
``M = max_k m_k`` (exact), ``S = sum_k exp(m_k - M)`` (``1 <= S <= K``), ``lse = M + log S``; the
cross-entropy uses ``lse - m_k = (M - m_k) + log S >= 0`` directly, never ``lse`` minus a large
number. Softmax is ``exp(m_k - M) / S``, clipped to ``[0, 1]``. ``sigmoid(x) = (1 + tanh(x / 2)) / 2``
on the checker's own tanh balls (:mod:`symcert.checker.graph.tanh`; ``x / 2`` is exact). Layer norm is
ball arithmetic (mean, centred values, variance, then ``1 / sqrt(var + eps)`` from IEEE's correctly
rounded square root and division, each moved one float outward).

The losses' per-example terms are summed by :func:`~symcert.checker.graph.balls.exact_sum` (the
correctly rounded sum of the midpoints: ``u`` relative where ``gamma_n`` of a thousand terms was
``10^-13``, the largest part of the cross-entropy's width at a poor fit).

Anything out of range (an interval that is not finite, a variance that may reach 0) raises
:class:`ArithmeticError` (:class:`~symcert.checker.graph.balls.Undecided`), and the caller falls back
to Arb.

>>> import numpy as np
>>> z = Ball(np.array([[0.0, 1.0, 2.0]]), np.array([[0.0, 0.0, 1e-9]]))
>>> s = lse_rows(z)
>>> bool(s.m[0] - s.r[0] <= 2.40760596444438 <= s.m[0] + s.r[0]), bool(s.r[0] < 2e-9)
(True, True)
>>> p = softmax_rows(z)
>>> bool(abs(p.m[0, 2] - 0.6652409557748219) <= p.r[0, 2] < 1e-9)
True
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np

from symcert.checker import f64
from symcert.checker.f64 import Interval, log_end
from symcert.checker.graph.balls import (
    Ball,
    Undecided,
    add,
    ends,
    exact_sum,
    from_ends,
    from_fractions,
    grow,
    mul,
    scale,
    square,
    tame,
    total,
)
from symcert.checker.graph.tanh import exp_ball, tanh

__all__ = [
    "sigmoid",
    "softplus",
    "softmax_rows",
    "softmax",
    "lse_rows",
    "cross_entropy_sum",
    "bce_sum",
    "layer_norm",
]


def _ball(x: Interval) -> Ball:
    """A ball holding the interval (not finite: :class:`Undecided`, from the range guard)."""
    return from_ends(x.lo, x.hi)


def _widen(x: Ball, extra: np.ndarray) -> Ball:
    """``x`` with ``extra >= 0`` (floats, the exact bound) added to its radius, rounded up."""
    return tame(x.m, grow(x.r + extra))


def sigmoid(x: Ball) -> Ball:
    """``1 / (1 + e^-x) = (1 + tanh(x / 2)) / 2``: the tanh ball's own bounds, then exact halving.

    >>> s = sigmoid(Ball(np.array([0.0, 3.0]), np.array([0.0, 0.0])))
    >>> bool(s.m[1] - s.r[1] <= 0.9525741268224334 <= s.m[1] + s.r[1])
    True
    """
    t = tanh(scale(x, Fraction(1, 2)))
    one = Ball(np.ones(x.shape), np.zeros(x.shape))
    return scale(add(one, t), Fraction(1, 2))


def _softplus_at(m: np.ndarray) -> Interval:
    """``softplus(m) = max(m, 0) + log(1 + e^{-|m|})`` at floats ``m`` (the log term in ``[0, log 2]``)."""
    grown = Interval(*ends(exp_ball(-np.abs(m)))) + 1.0
    low = np.maximum(log_end(grown.lo, upper=False), 0.0)  # log(1 + e) > 0
    return Interval(low, log_end(grown.hi, upper=True)) + np.maximum(m, 0.0)


def softplus(x: Ball) -> Ball:
    """``log(1 + e^x)``: at the midpoints (:func:`_softplus_at`), radius ``r`` (slope in ``(0, 1)``).

    >>> s = softplus(Ball(np.array([0.0, -40.0, 30.0]), np.array([0.0, 0.0, 1e-12])))
    >>> bool(s.m[0] - s.r[0] <= 0.6931471805599453 <= s.m[0] + s.r[0])
    True
    >>> bool(s.m[2] - s.r[2] <= 30.000000000000092 <= s.m[2] + s.r[2])
    True
    """
    return _widen(_ball(_softplus_at(x.m)), x.r)


def _shifted(m: np.ndarray) -> tuple[np.ndarray, Interval, Interval]:
    """For rows ``m`` (last axis): ``M = max_k m_k`` (kept as a column), the intervals of
    ``e_k = exp(m_k - M)`` and of ``S = sum_k e_k`` (``S >= 1``: the term at the maximum is ``e^0``)."""
    top = np.max(m, axis=-1, keepdims=True)
    d = Interval.point(m) - top  # m_k - M <= 0, rounded outward
    e = Interval(ends(exp_ball(d.lo))[0], ends(exp_ball(d.hi))[1])  # exp is increasing
    s = f64.total(e, axis=-1)
    if not np.all(s.lo > 0):
        raise Undecided("a softmax denominator's lower bound is not positive")
    return top, e, s


def _log(s: Interval) -> Interval:
    return Interval(log_end(s.lo, upper=False), log_end(s.hi, upper=True))


def lse_rows(z: Ball) -> Ball:
    """``log sum_k e^{z_k}`` of every row (the last axis): ``M + log S`` at the midpoints, radius
    ``max_k r_k`` (module text)."""
    top, _, s = _shifted(z.m)
    value = _log(s) + top[..., 0]
    return _widen(_ball(value), np.max(z.r, axis=-1))


def softmax_rows(z: Ball) -> Ball:
    """``e^{z_k} / sum_j e^{z_j}`` along the last axis: at the midpoints ``e_k / S`` in ``[0, 1]``, radius
    ``max_j r_j / 2`` (module text)."""
    _, e, s = _shifted(z.m)
    p = Interval(f64.down(e.lo / s.hi[..., None]), f64.up(e.hi / s.lo[..., None])).clip(0.0, 1.0)
    return _widen(_ball(p), np.broadcast_to(0.5 * np.max(z.r, axis=-1, keepdims=True), z.shape))


def softmax(z: Ball, axis: int) -> Ball:
    """:func:`softmax_rows` along ``axis``."""
    return softmax_rows(z.moveaxis(axis, -1)).moveaxis(-1, axis)


def cross_entropy_sum(z: Ball, y: Ball) -> Ball:
    """``sum_rows sum_k y_k (lse(z) - z_k)`` for logits ``z`` and targets ``y`` of shape ``(N, m)``: the
    schema's ``(sum_k y_k) lse(z) - sum_k y_k z_k``, in the log-softmax form of the module text."""
    top, _, s = _shifted(z.m)
    log_s = _log(s)
    gap = Interval.point(top) - Interval.point(z.m) + Interval(log_s.lo[..., None], log_s.hi[..., None])
    gap = Interval(np.maximum(gap.lo, 0.0), gap.hi)
    moved = grow(np.max(z.r, axis=-1, keepdims=True) + z.r)  # lse moves by max r, z_k by r_k
    terms = mul(y, _widen(_ball(gap), moved))
    return exact_sum(terms)


def bce_sum(z: Ball, y: Ball) -> Ball:
    """``sum softplus(z) - y z`` over all entries (logits ``z``, targets ``y``): at the midpoints, then
    radius ``max(|y|, |1 - y|) r`` (the slope ``sigmoid(z) - y``, module text)."""
    at = _ball(_softplus_at(z.m))
    point = add(at, mul(y, Ball(z.m, np.zeros(z.shape))), -1)
    slope = grow(np.maximum(np.abs(y.m), f64.up(np.abs(1.0 - y.m))) + y.r)  # >= max |y|, |1 - y| on y
    terms = _widen(point, grow(slope * z.r))
    return exact_sum(terms)


def layer_norm(x: Ball, start: int, epsilon: Fraction, p: dict[str, Any]) -> Ball:
    """Layer norm over the axes from ``start`` (batch axis 0 not counted, as in the schema):
    ``(x - mean) / sqrt(var + eps) * scale (+ bias)``, in ball arithmetic."""
    axes = tuple(range(start + 1, len(x.shape)))
    n = math.prod(x.shape[start + 1 :])
    mean = scale(total(x, axes), Fraction(1, n))
    centred = add(x, Ball(np.broadcast_to(mean.m, x.shape), np.broadcast_to(mean.r, x.shape)), -1)
    var = scale(total(square(centred), axes), Fraction(1, n))
    e = from_fractions([epsilon])
    v = add(var, Ball(np.broadcast_to(e.m, var.shape), np.broadcast_to(e.r, var.shape)))
    lo, hi = v.m - v.r, v.m + v.r
    lo, hi = f64.down(lo), f64.up(hi)
    if not np.all(lo > 0):
        raise Undecided("a layer norm's variance may reach 0")
    root_lo, root_hi = f64.down(np.sqrt(lo)), f64.up(np.sqrt(hi))  # sqrt is correctly rounded
    inverse = _ball(Interval(f64.down(1.0 / root_hi), f64.up(1.0 / root_lo)))
    shape = x.shape
    y = mul(centred, Ball(np.broadcast_to(inverse.m, shape), np.broadcast_to(inverse.r, shape)))
    y = mul(y, _spread(p["scale"], start, shape))
    return add(y, _spread(p["bias"], start, shape)) if "bias" in p else y


def _spread(b: Ball, start: int, shape: tuple[int, ...]) -> Ball:
    """A parameter of the normalised shape, broadcast over the batch (and leading) axes."""
    lead = (1,) * (start + 1)
    return Ball(
        np.broadcast_to(b.m.reshape(lead + b.shape), shape),
        np.broadcast_to(b.r.reshape(lead + b.shape), shape),
    )
