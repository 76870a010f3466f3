r"""Jets along the segment ``A + t (B - A)`` on the float64 rung, the first layer's products made once.

The path is linear in ``t``, so the first layer's pre-activation is affine in ``t``::

    z(t) = X W(t)^T + b(t) = (X W_A^T + b_A) + t (X D^T + d),      D = W_B - W_A, d = b_B - b_A

:class:`SegmentPath` encloses the two products ``X W_A^T`` and ``X D^T`` once (the largest products
of a forward pass when the inputs are wide), and every later evaluation along the segment, at
exact points ``t`` or over whole sub-intervals ``[t0, t1]``, starts from them with elementwise
operations only: at a point ``z(t)`` from the two enclosures; over a sub-interval the hull of
``z(t0)`` and ``z(t1)`` (for fixed reals ``a``, ``e`` the value ``a + t e`` lies between its values
at the two ends, so the hull of the two enclosures contains every ``z(t)`` there: the exact range
of an affine function, up to rounding); the path derivative ``z' = X D^T + d`` is the same at every
``t`` and ``z'' = 0``. Later layers are evaluated as in :func:`~.api.point_jets` and
:func:`~.api.segment_ranges` (stacked exact points, centred boxes), so every result encloses the
exact quantity as theirs do: this is the same arithmetic minus the repeated first-layer products.

It applies to the float64 rung with the data in one chunk and no weight decay
(:func:`applies`); elsewhere :mod:`.api` does the work.

>>> from fractions import Fraction
>>> from symcert import MLP, Dataset, Loss
>>> from symcert.numeric.engine.api import point_jets, point_layout
>>> import numpy as np

from symcert.numeric.engine.backends import F64Backend
>>> net = MLP((2, 2, 1), "tanh")
>>> loss = Loss(net, Dataset([[1, 0], [0, 1]], [[0], [1]]), "mse")
>>> A = point_layout(net.point(W1=[[1, 2], [0, 1]], b1=[0, 1], W2=[[1, -1]], b2=[0]))
>>> B = point_layout(net.point(W1=[[2, 1], [1, 0]], b1=[1, 0], W2=[[-1, 1]], b2=[1]))
>>> path = SegmentPath(loss, A, B)
>>> fast = path.point_jets([Fraction(1, 3)], order=1)[0]
>>> slow = point_jets(F64Backend(), loss, A, B, [Fraction(1, 3)], 1)[0]
>>> all(a[0] <= b[1] and b[0] <= a[1] for a, b in zip(fast, slow))   # the two enclosures meet
True
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from symcert.numeric.engine.backends import F64Backend
from symcert.numeric.engine.chunks import current
from symcert.numeric.engine.elementary import down, up
from symcert.numeric.engine.f64 import F64
from symcert.numeric.engine.layout import Exact, PointLayout, combine, data_layout
from symcert.numeric.engine.network import (
    Weights,
    _activation,
    _linear,
    _point_losses,
    stacked,
    targets,
    weights_of,
)

__all__ = ["SegmentPath", "applies"]

Bounds = tuple[Fraction, Fraction]


def applies(loss: Any) -> bool:
    """True when :class:`SegmentPath` may stand in for :mod:`.api` (one chunk of data, no decay)."""
    return not loss.weight_decay and loss.data.n_points <= current().chunk_size


class SegmentPath:
    """The segment from ``la`` to ``lb`` (exact layouts of ``loss.mlp``) with its first layer cached."""

    def __init__(self, loss: Any, la: PointLayout, lb: PointLayout) -> None:
        self.loss, self.mlp = loss, loss.mlp
        self.bk = F64Backend()
        direction = combine(la, lb, Fraction(1), Fraction(-1))
        self._tail = (PointLayout(la.layers[1:]), PointLayout(lb.layers[1:]))
        self._step_tail = PointLayout(direction.layers[1:])
        X = data_layout(loss.data).X
        bk = self.bk
        with bk.active():
            at_a = _product(bk, X, la.layers[0].W)
            along = _product(bk, X, direction.layers[0].W)
            if la.layers[0].b is not None and direction.layers[0].b is not None:
                at_a = at_a + bk.array(la.layers[0].b)[None, :]
                along = along + bk.array(direction.layers[0].b)[None, :]
        self._at_a, self._along = at_a, along  # X W_A^T + b_A and X D^T + d: (points, units)
        self._scale = Fraction(int(loss.scale.p), int(loss.scale.q))

    def _first(self, ts: list[Fraction]) -> Any:
        """Enclosures of ``z(t)`` for each exact ``t``, stacked along a leading axis.

        For ``t`` exact floats ``>= 0`` (the dyadic points of branch and bound) ``t [a, b] = [t a, t b]``,
        each product rounded outward: two products instead of Moore's four (the same enclosure)."""
        T = self.bk.array(Exact.of(ts, (len(ts), 1, 1)))
        along = self._along
        if np.array_equal(T.lo, T.hi) and bool((T.lo >= 0).all()):
            with np.errstate(all="ignore"):
                product = F64(down(T.lo * along.lo), up(T.lo * along.hi))
            if not (np.isnan(product.lo).any() or np.isnan(product.hi).any()):
                return self._at_a + product
        return self._at_a + T * along

    def point_jets(self, ts: list[Fraction], order: int = 1) -> list[list[Bounds]]:
        """Endpoints of ``phi(t)`` (and ``phi'(t)``, ``phi''(t)`` up to ``order``) at exact points."""
        bk = self.bk
        with bk.active():
            z = (self._first(ts), self._along if order else None, None)
            tails = [combine(*self._tail, Fraction(t)) for t in ts]
            params = stacked(bk, tails)
            steps = weights_of(bk, self._step_tail) if order else None
            return self._finish(z, params, steps, order, len(ts))

    def ranges(self, intervals: list[tuple[Fraction, Fraction]], order: int = 2) -> list[list[Bounds]]:
        """Enclosures of the ranges of ``phi`` (and ``phi'``, ``phi''``) over each ``[t0, t1]``."""
        for t0, t1 in intervals:
            if not t0 <= t1:
                raise ValueError(f"the sub-interval needs t0 <= t1, got [{t0}, {t1}]")
        bk = self.bk
        with bk.active():
            left = self._first([t0 for t0, _ in intervals])
            right = self._first([t1 for _, t1 in intervals])
            z0 = _hull(left, right)
            z = (z0, self._along if order else None, None)
            halves = [(t1 - t0) / 2 for t0, t1 in intervals]
            S = _hull(
                bk.array(Exact.of([-h for h in halves], (len(halves), 1, 1))),
                bk.array(Exact.of(halves, (len(halves), 1, 1))),
            )
            centres = [combine(*self._tail, (t0 + t1) / 2) for t0, t1 in intervals]
            step = weights_of(bk, self._step_tail)
            params = [
                Weights(c.W, None if c.b is None else c.b + S * s.b, c.exact_W, (S, s.W, s.exact_W))
                for c, s in zip(stacked(bk, centres), step)
            ]
            return self._finish(z, params, step if order else None, order, len(intervals))

    def _finish(self, z: tuple, params: list, steps: list | None, order: int, k: int) -> list[list[Bounds]]:
        """The later layers and the loss from the first layer's jets ``z``; endpoints per stacked item."""
        bk, mlp = self.bk, self.mlp
        a = _activation(bk, mlp.activation, z, order) if mlp.depth > 1 else z
        for l, layer in enumerate(params, start=2):
            step = steps[l - 2] if steps is not None else None
            z = _linear(bk, a, layer, step, None, order)
            a = _activation(bk, mlp.activation, z, order) if l < mlp.depth else z
        sums = _point_losses(bk, mlp, self.loss.function, a, targets(bk, self.loss), order)
        scale = bk.constant(self._scale)
        out = []
        for i in range(k):
            row = []
            for j in range(order + 1):
                x = sums[j]
                if x is None:
                    row.append((Fraction(0), Fraction(0)))
                    continue
                x = x * scale
                row.append(bk.endpoints(x if x.lo.ndim == 0 else x[i]))
            out.append(row)
        return out


def _product(bk: F64Backend, X: Exact, W: Exact) -> F64:
    """An enclosure of ``X W^T`` (exact integers in float64 when they fit, else a verified product)."""
    found = bk.exact_product(X, W)
    if found is not None:
        return found
    return bk.matmul(bk.array(X), bk.transpose(bk.array(W)))


def _hull(a: F64, b: F64) -> F64:
    return F64(np.minimum(a.lo, b.lo), np.maximum(a.hi, b.hi))
