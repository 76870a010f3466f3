r"""``phi(t) = L((1 - t) A + t B)`` on a certificate's data, at exact points and over pieces, on two rungs:
the shared evaluation of the graph barrier and path checks (:mod:`symcert.checker.graph.barrier`,
:mod:`symcert.checker.graph.path`).

1. verified float64 balls (:mod:`symcert.checker.graph.fast_segment`, at points and over pieces; at
   points of graphs it does not evaluate, :mod:`symcert.checker.graph.fast`), batched in numpy;
2. Arb balls at the certificate's precision (:func:`~symcert.checker.graph.forward.graph_loss` at points,
   :func:`~symcert.checker.graph.segment.arb_piece` over pieces): the kernel trusted here.

Both rungs are rigorous, so a check may use either one's enclosure. A call asks for the float64 rung
(``precise=False``) and gets Arb's when float64 cannot evaluate (an unsupported layer, a number out of
range: :class:`~symcert.checker.graph.balls.Undecided`, any ``ArithmeticError``); a check whose float64
bound does not decide asks again with ``precise=True`` (:func:`decided`), which is Arb's (computed once:
a float64 failure's Arb result is kept and reused). So float64 never weakens a check: it only spares
Arb the pieces it decides itself.

>>> from fractions import Fraction as F
>>> from symcert.checker.graph.spec import read_graph
>>> g = read_graph({"format": "symcert-graph", "version": 1, "input_shape": [1],
...     "nodes": [{"name": "fc", "inputs": ["x"], "layer": {"type": "Dense", "features": 1, "bias": True}}]})
>>> A = {k: np.array(v, dtype=object) for k, v in {"fc.weight": [[F(0)]], "fc.bias": [F(0)]}.items()}
>>> B = {k: np.array(v, dtype=object) for k, v in {"fc.weight": [[F(1)]], "fc.bias": [F(1)]}.items()}
>>> s = {"graph": g, "A": A, "B": B, "xs": [[F(2)]], "ys": [[F(0)]], "kind": "sse", "factor": F(1)}
>>> line = Line(s)
>>> lo, hi = line.point(F(1, 3))                        # phi(1/3) = 1
>>> lo <= 1 <= hi and hi - lo < F(1, 10**12)
True
>>> (p, d), (pa, da) = line.piece(F(0), F(1)), line.piece(F(0), F(1), precise=True)
>>> p[0] <= 0 and 9 <= p[1] and pa[0] <= 0 and 9 <= pa[1], line.counts
(True, {'float64': 2, 'arb': 1})
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np

from symcert.checker.arb_engine import ball_bounds
from symcert.checker.graph.balls import from_fractions
from symcert.checker.graph.fast import fast_loss, parameter_balls
from symcert.checker.graph.fast_segment import FastSegment
from symcert.checker.graph.forward import graph_loss, graph_output, to_arb
from symcert.checker.graph.segment import arb_piece, smooth
from symcert.checker.graph.spec import CheckedGraph, read_tensor
from symcert.checker.reading import keys

__all__ = ["Bounds", "read_params", "Line", "decided"]

Bounds = tuple[Fraction, Fraction]
Piece = tuple[Bounds, Bounds | None]


def read_params(graph: CheckedGraph, record: dict, where: str) -> dict[str, np.ndarray]:
    """A point's parameters (``record``: names to nested lists of exact numbers) as object arrays of
    ``Fraction`` of the graph's shapes."""
    keys(record, set(graph.parameters), set(), where)
    return {
        name: np.array(read_tensor(record[name], shape, f"{where}.{name}"), dtype=object).reshape(shape)
        for name, shape in graph.parameters.items()
    }


class Line:
    """The two rungs for the segment ``s["A"] -> s["B"]`` of the certificate ``s`` (the keys ``graph``,
    ``A``, ``B``, ``xs``, ``ys``, ``kind``, ``factor``); Arb at the caller's ``flint.ctx.prec``.
    ``counts`` says how many evaluations (points and pieces) each rung made."""

    def __init__(self, s: dict[str, Any]) -> None:
        self.s = s
        graph = s["graph"]
        output = graph_output(graph)
        self.smooth = smooth(graph, None if output == "identity" else len(graph.nodes) - 1, s["kind"], output)
        self._x: np.ndarray | None = None
        self._data: tuple | None = None
        self.counts = {"float64": 0, "arb": 0}
        self._fast: dict[tuple, Any] = {}
        self._arb: dict[tuple, Any] = {}
        try:
            self.segment: FastSegment | None = FastSegment(
                graph, s["A"], s["B"], s["xs"], s["ys"], s["kind"], s["factor"]
            )
        except (ArithmeticError, ValueError):
            self.segment = None

    @property
    def x(self) -> np.ndarray:
        """The data as Arb balls (made on first use: a check decided in float64 never needs them)."""
        if self._x is None:
            self._x = to_arb(self.s["xs"])
        return self._x

    def _params(self, t: Fraction) -> dict[str, list]:
        A, B = self.s["A"], self.s["B"]
        return {k: (A[k] + (B[k] - A[k]) * t).tolist() for k in A}

    def _arb_point(self, t: Fraction) -> Bounds:
        s = self.s
        ball = graph_loss(s["graph"], self._params(t), self.x, s["ys"], s["kind"], s["factor"])
        return ball_bounds(ball, f"phi({t})")

    def _fast_point(self, t: Fraction) -> Bounds:
        if self.segment is not None:
            return self.segment.point(t)
        s = self.s
        if self._data is None:
            self._data = from_fractions(s["xs"]), from_fractions(s["ys"])
        x, y = self._data
        balls = parameter_balls(s["graph"], self._params(t))
        return fast_loss(s["graph"], balls, x, y, s["kind"], s["factor"])

    def _arb_piece(self, t0: Fraction, t1: Fraction) -> Piece:
        value, slope = arb_piece(self.s, self.x, t0, t1)
        where = f"[{t0}, {t1}]"
        return ball_bounds(value, f"phi on {where}"), None if slope is None else ball_bounds(
            slope, f"phi' on {where}"
        )

    def _fast_piece(self, t0: Fraction, t1: Fraction) -> Piece:
        if self.segment is None:
            raise ArithmeticError("the float64 rung does not evaluate this graph")
        return self.segment.piece(t0, t1, self.smooth)

    def _get(self, key: tuple, precise: bool, fast: Callable[[], Any], exact: Callable[[], Any]) -> Any:
        if key in self._arb:
            return self._arb[key]
        if not precise:
            if key not in self._fast:
                try:
                    self._fast[key] = fast()
                    self.counts["float64"] += 1
                except (ArithmeticError, ValueError):  # balls.Undecided among them: never a guess
                    self._fast[key] = None
            if self._fast[key] is not None:
                return self._fast[key]
        self._arb[key] = exact()
        self.counts["arb"] += 1
        return self._arb[key]

    def point(self, t: Fraction, precise: bool = False) -> Bounds:
        """Exact ends of an enclosure of ``phi(t)`` (float64 unless ``precise`` or it cannot)."""
        return self._get(("point", t), precise, lambda: self._fast_point(t), lambda: self._arb_point(t))

    def piece(self, t0: Fraction, t1: Fraction, precise: bool = False) -> Piece:
        """Exact ends of enclosures of ``phi`` and (when :attr:`smooth`) ``phi'`` over ``[t0, t1]``."""
        return self._get(
            ("piece", t0, t1), precise, lambda: self._fast_piece(t0, t1), lambda: self._arb_piece(t0, t1)
        )


def decided(bound: Callable[[bool], Fraction], claimed: Fraction) -> Fraction:
    """``bound(False)`` (float64 first) when it is at most ``claimed``, else ``bound(True)`` (Arb).

    >>> decided(lambda precise: Fraction(1 if precise else 3), Fraction(2))
    Fraction(1, 1)
    """
    found = bound(False)
    return found if found <= claimed else bound(True)
