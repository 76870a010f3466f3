r"""The gradient and the Hessian of a layer graph's loss, at a point or over a box, from second-order jets.

The coordinates are the entries of the parameters named in ``variables`` (in that order, each
tensor in C order: :func:`coordinates`); the others stay fixed. Along a coordinate direction ``e_i``
the jet of :mod:`symcert.numeric.graph.jets` gives ``(L, g_i, H_ii)``; along ``e_i + e_j`` its second
part is ``H_ii + 2 H_ij + H_jj`` (polarisation), so

.. math:: H_{ij} = \tfrac12 \bigl((e_i + e_j)^T H (e_i + e_j) - H_{ii} - H_{jj}\bigr).

With the parameters given as a box (:func:`box`: ``P + [-r, r]`` on every coordinate, an enclosure
of the backend), every jet encloses its value at *every* point of the box, and so does each
``H_ij`` computed from three of them by exact endpoint arithmetic: the result encloses ``H(theta)`` for
every ``theta`` in the box, as Krawczyk's operator needs. ``n (n + 1) / 2`` jets for ``n``
coordinates. :func:`float_gradient_hessian` is the same at a point, its midpoints (evidence, for
Newton's method).

>>> from symcert.numeric.engine.backends import F64Backend
>>> from symcert.numeric.graph import GraphLoss
>>> from symcert.symbolic.graph import Dense, Graph, Node
>>> g = Graph((1,), [Node("fc", Dense(1))])
>>> loss = GraphLoss(g, [[1], [2]], [[0], [1]], "sse")      # sum (w x + b - y)^2
>>> P = g.check_parameters({"fc.weight": [[1]], "fc.bias": [0]})
>>> coords = coordinates(g, ["fc.weight", "fc.bias"])
>>> lo, hi = hessian_enclosure(F64Backend(), loss, P, coords)
>>> [[round(float(v), 9) for v in row] for row in lo]       # 2 [[sum x^2, sum x], [sum x, n]]
[[10.0, 6.0], [6.0, 4.0]]
>>> all(a <= b for r, s in zip(lo, hi) for a, b in zip(r, s))
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from symcert.errors import SpecificationError
from symcert.numeric.engine.backends import F64Backend
from symcert.numeric.graph.jets import loss_jet
from symcert.numeric.graph.loss import GraphLoss
from symcert.numeric.graph.ranges import segment_box
from symcert.numeric.graph.tensors import enclose
from symcert.symbolic.graph import BatchNorm, Graph

__all__ = [
    "Coordinate",
    "coordinates",
    "trainable",
    "box",
    "gradient_enclosure",
    "hessian_enclosure",
    "float_gradient_hessian",
    "float_gradient",
    "flat_values",
    "with_values",
]

Coordinate = tuple[str, tuple[int, ...]]
Bounds = tuple[Fraction, Fraction]
Params = Mapping[str, np.ndarray]


def trainable(graph: Graph) -> tuple[str, ...]:
    """The parameters a critical point is taken in: all but a batch norm's running mean and variance
    (fixed statistics; with them free, the loss would have flat directions)."""
    running = {
        f"{n.name}.{k}" for n in graph.nodes if isinstance(n.layer, BatchNorm) for k in ("mean", "var")
    }
    return tuple(name for name in graph.parameter_shapes if name not in running)


def coordinates(graph: Graph, variables: Sequence[str]) -> list[Coordinate]:
    """The coordinates ``(name, index)`` of the parameters ``variables``, in order (C order in each)."""
    shapes = graph.parameter_shapes
    unknown = [name for name in variables if name not in shapes]
    if unknown or len(set(variables)) != len(variables):
        raise SpecificationError(
            f"the variables must be distinct parameters of the graph, got {', '.join(map(str, variables))}"
        )
    return [(name, index) for name in variables for index in np.ndindex(*shapes[name])]


def flat_values(P: Params, coords: Sequence[Coordinate]) -> list[Any]:
    """The values of ``P`` at the coordinates, in order."""
    return [P[name][index] for name, index in coords]


def with_values(P: Params, coords: Sequence[Coordinate], values: Sequence[Any]) -> dict[str, np.ndarray]:
    """A copy of ``P`` (object arrays) with the coordinates set to ``values``."""
    out = {name: np.array(v, dtype=object) for name, v in P.items()}
    for (name, index), value in zip(coords, values):
        out[name][index] = value
    return out


def _direction(P: Params, coords: Sequence[Coordinate], *which: int) -> dict[str, np.ndarray]:
    out = {name: np.full(np.shape(v), Fraction(0), dtype=object) for name, v in P.items()}
    for k in which:
        name, index = coords[k]
        out[name][index] = Fraction(1)
    return out


def box(bk: Any, P: Params, coords: Sequence[Coordinate], radius: Fraction) -> dict[str, Any]:
    """Enclosures in ``bk`` of the box ``P + [-r, r]`` on every coordinate (the others exact; call
    inside ``bk.active()``). A coordinate's whole tensor is boxed only where it is a variable."""
    names = sorted({name for name, _ in coords})
    out = {name: enclose(bk, np.asarray(v, dtype=object)) for name, v in P.items()}
    steps = _direction(P, coords, *range(len(coords)))  # 1 on every coordinate, 0 elsewhere
    ends = {name: P[name] + steps[name] for name in names}
    r = Fraction(radius)
    out.update(segment_box(bk, {name: P[name] for name in names}, ends, -r, r))
    return out


def gradient_enclosure(bk: Any, loss: GraphLoss, P: Params, coords: Sequence[Coordinate]) -> list[Bounds]:
    """Exact endpoints enclosing ``grad L(P)`` at the exact point ``P`` (``ArithmeticError`` if unbounded)."""
    with bk.active():
        return [bk.endpoints(loss_jet(bk, loss, P, _direction(P, coords, i))[1]) for i in range(len(coords))]


def hessian_enclosure(
    bk: Any, loss: GraphLoss, P: Params, coords: Sequence[Coordinate], radius: Fraction | None = None
) -> tuple[list[list[Fraction]], list[list[Fraction]]]:
    """Exact lower and upper endpoint matrices enclosing ``H(theta)`` for every ``theta`` in the box
    ``P + [-radius, radius]`` on the coordinates (at ``P`` when ``radius`` is None); see the module text."""
    n = len(coords)
    with bk.active():
        region = None if radius is None else box(bk, P, coords, radius)

        def second(*which: int) -> Bounds:
            return bk.endpoints(loss_jet(bk, loss, P, _direction(P, coords, *which), box=region)[2])

        diag = [second(i) for i in range(n)]
        lo = [[Fraction(0)] * n for _ in range(n)]
        hi = [[Fraction(0)] * n for _ in range(n)]
        for i in range(n):
            lo[i][i], hi[i][i] = diag[i]
            for j in range(i + 1, n):
                q = second(i, j)
                lo[i][j] = lo[j][i] = (q[0] - diag[i][1] - diag[j][1]) / 2
                hi[i][j] = hi[j][i] = (q[1] - diag[i][0] - diag[j][0]) / 2
    return lo, hi


def float_gradient(loss: GraphLoss, P: Params, coords: Sequence[Coordinate]) -> tuple[float, np.ndarray]:
    """``(L, grad L)`` at the exact point ``P`` in float64 (midpoints; evidence). ``n`` jets; NaN where
    one overflows."""
    bk = F64Backend()
    value, g = float("nan"), np.full(len(coords), np.nan)
    with bk.active():
        for i in range(len(coords)):
            try:
                v, d1, _ = loss_jet(bk, loss, P, _direction(P, coords, i))
                value, g[i] = _mid(bk, v), _mid(bk, d1)
            except ArithmeticError:
                continue
    return value, g


def _mid(bk: Any, x: Any) -> float:
    lo, hi = bk.endpoints(x)
    return float(lo) / 2 + float(hi) / 2


def float_gradient_hessian(
    loss: GraphLoss, P: Params, coords: Sequence[Coordinate]
) -> tuple[float, np.ndarray, np.ndarray]:
    """``(L, grad L, H)`` at the exact point ``P`` in float64: midpoints of the verified float64 jets
    (evidence for Newton's method, never proof). ``n (n + 1) / 2`` jets; NaN where one overflows."""
    bk = F64Backend()
    n = len(coords)
    value, g, H = float("nan"), np.full(n, np.nan), np.full((n, n), np.nan)
    with bk.active():
        for i in range(n):
            try:
                v, d1, d2 = loss_jet(bk, loss, P, _direction(P, coords, i))
                value, g[i], H[i, i] = _mid(bk, v), _mid(bk, d1), _mid(bk, d2)
            except ArithmeticError:
                continue
        for i in range(n):
            for j in range(i + 1, n):
                try:
                    q = _mid(bk, loss_jet(bk, loss, P, _direction(P, coords, i, j))[2])
                except ArithmeticError:
                    continue
                H[i, j] = H[j, i] = (q - H[i, i] - H[j, j]) / 2
    return value, g, H
