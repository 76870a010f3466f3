r"""Ranges of a layer graph's loss along a segment of parameters, on the engine's rungs.

``phi(t) = L((1 - t) A + t B)`` for exact parameters ``A``, ``B`` of one graph. :func:`phi_point`
encloses ``phi`` at an exact ``t`` (the exact point ``A + t (B - A)``, then the graph's rigorous loss);
:func:`phi_range` encloses ``phi`` over a whole piece ``[t0, t1]``: the parameters become the box
``theta(T) = A + T (B - A)`` with ``T`` the interval ``[t0, t1]`` (in float64 the endpoints rounded
outward; in Arb the ball around the piece's midpoint), and the forward pass and the loss run on that
box as on any enclosure. Every operation of the engine encloses its result for every value in its
operands, so the result encloses ``phi(t)`` for every ``t`` in the piece: the plain interval
extension (its overestimate shrinks with the piece's width).

>>> from symcert.numeric.engine.backends import F64Backend
>>> from symcert.symbolic.graph import Activation, Dense, Graph, Node
>>> g = Graph((1,), [Node("fc1", Dense(1)), Node("t", Activation("tanh")), Node("fc2", Dense(1))])
>>> loss = GraphLoss(g, [[1], [2]], [[0], [1]], "mse")
>>> A = g.check_parameters({"fc1.weight": [[1]], "fc1.bias": [0], "fc2.weight": [[1]], "fc2.bias": [0]})
>>> B = g.check_parameters({"fc1.weight": [[-1]], "fc1.bias": [0], "fc2.weight": [[-1]], "fc2.bias": [0]})
>>> bk = F64Backend()
>>> lo, hi = phi_range(bk, loss, A, B, Fraction(1, 4), Fraction(1, 2))
>>> p = phi_point(bk, loss, A, B, Fraction(3, 8))
>>> lo <= p[0] <= p[1] <= hi
True
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import numpy as np

from symcert.numeric.graph.forward import enclose_graph
from symcert.numeric.graph.loss import GraphLoss, _chunks, _ops, loss_enclosure
from symcert.numeric.graph.tensors import enclose

__all__ = ["segment_point", "segment_box", "phi_point", "phi_range", "loss_on_box"]

Params = Mapping[str, np.ndarray]
Bounds = tuple[Fraction, Fraction]


def segment_point(A: Params, B: Params, t: Fraction) -> dict[str, np.ndarray]:
    """The exact point ``(1 - t) A + t B`` (object arrays of ``Fraction``)."""
    t = Fraction(t)
    return {name: A[name] + (B[name] - A[name]) * t for name in A}


def _interval(bk: Any, t0: Fraction, t1: Fraction) -> Any:
    """The interval ``[t0, t1]`` as one enclosure of ``bk`` (float64: outward endpoints; Arb: a ball)."""
    lo, hi = bk.constant(Fraction(t0)), bk.constant(Fraction(t1))
    if bk.name == "float64":
        return type(lo)(lo.lo, hi.hi)
    from flint import arb

    return arb.union(lo, hi)


def segment_box(bk: Any, A: Params, B: Params, t0: Fraction, t1: Fraction) -> dict[str, Any]:
    """Enclosures in ``bk`` of every parameter over ``t in [t0, t1]``: ``A + [t0, t1] (B - A)``.

    Each entry is linear in ``t``; the engine's product and sum enclose it for every ``t`` of the
    interval. Call inside ``bk.active()``."""
    T = _interval(bk, t0, t1)
    out = {}
    for name in A:
        a, d = A[name], B[name] - A[name]
        out[name] = enclose(bk, a) + enclose(bk, d) * T
    return out


def loss_on_box(bk: Any, loss: GraphLoss, params: Params, box: Mapping[str, Any]) -> Any:
    """The loss as one scalar enclosure in ``bk`` over the parameter box ``box`` (enclosures by name;
    ``params`` any exact point of the graph, for the names only). Call inside ``bk.active()``."""
    total = None
    for X, Y in _chunks(loss, bk):
        values = enclose_graph(bk, loss.graph, params, X, upto=loss.logits_stop, converted=box)
        z = values[loss.logits_name()]
        v = loss.function.engine(bk, (z, None, None), Y, 0, _ops(bk, loss.output))[0]
        total = v if total is None else total + v
    return total * bk.constant(loss.scale)


def phi_range(bk: Any, loss: GraphLoss, A: Params, B: Params, t0: Fraction, t1: Fraction) -> Bounds:
    """Exact endpoints enclosing ``phi(t)`` for every ``t in [t0, t1]`` (``ArithmeticError`` if unbounded)."""
    with bk.active():
        return bk.endpoints(loss_on_box(bk, loss, A, segment_box(bk, A, B, t0, t1)))


def phi_point(bk: Any, loss: GraphLoss, A: Params, B: Params, t: Fraction) -> Bounds:
    """Exact endpoints enclosing ``phi(t)`` at the exact ``t``."""
    return loss_enclosure(bk, loss, segment_point(A, B, t))
