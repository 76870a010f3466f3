"""Exact data sets, including teacher data whose targets a network produced exactly.

>>> from symcert import MLP, Dataset
>>> data = Dataset([[0], [1]], [[1], ["1/2"]])
>>> data.n_points, data.input_dim, data.output_dim
(2, 1, 1)
>>> net = MLP((1, 1, 1), "tanh")
>>> teacher = net.point(W1=[[1]], b1=[0], W2=[[2]], b2=[0])
>>> Dataset.teacher(net, teacher, [[0], ["1/2"]]).ys
((0,), (2*tanh(1/2),))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sympy

from symcert.errors import SpecificationError
from symcert.limits import MAX_POINTS
from symcert.symbolic.exact import to_rational

if TYPE_CHECKING:
    import numpy as np

    from symcert.symbolic.network import MLP
    from symcert.symbolic.point import Point

__all__ = ["Dataset", "Teacher"]


@dataclass(frozen=True)
class Teacher:
    """The network and exact point that generated a data set's targets."""

    mlp: MLP
    point: Point


@dataclass(frozen=True, init=False)
class Dataset:
    """Inputs ``xs`` and targets ``ys``, one vector per data point, all exact.

    A scalar stands for a vector of length one. Targets of a teacher data set
    (:meth:`teacher`) are exact expressions, never rounded, and the data set
    remembers its teacher.
    """

    xs: tuple[tuple[sympy.Rational, ...], ...]
    ys: tuple[tuple[sympy.Expr, ...], ...]
    teacher_of: Teacher | None

    def __init__(self, xs: Sequence[Any] | np.ndarray, ys: Sequence[Any] | np.ndarray) -> None:
        inputs = _vectors(xs, "xs")
        targets = _vectors(ys, "ys")
        if len(inputs) != len(targets):
            raise SpecificationError(
                f"xs and ys must have one entry per data point, got {len(inputs)} inputs "
                f"and {len(targets)} targets"
            )
        self._set(inputs, targets, None)

    def _set(
        self,
        xs: tuple[tuple[sympy.Rational, ...], ...],
        ys: tuple[tuple[sympy.Expr, ...], ...],
        teacher: Teacher | None,
    ) -> None:
        object.__setattr__(self, "xs", xs)
        object.__setattr__(self, "ys", ys)
        object.__setattr__(self, "teacher_of", teacher)

    @classmethod
    def teacher(cls, mlp: MLP, point: Point, xs: Sequence[Any] | np.ndarray) -> Dataset:
        """Data labelled by the network ``mlp`` at ``point``: targets are its exact outputs."""
        from symcert.symbolic.point import Point

        if not isinstance(point, Point) or point.mlp != mlp:
            raise SpecificationError(f"the teacher point must be a Point of {mlp.describe()}, got {point!r}")
        inputs = _vectors(xs, "xs")
        if any(len(x) != mlp.widths[0] for x in inputs):
            raise SpecificationError(
                f"teacher inputs must have {mlp.widths[0]} entries (the input width), "
                f"got {len(inputs[0]) if inputs[0] else 0}"
            )
        data = cls.__new__(cls)
        targets = tuple(tuple(mlp.output(list(x), point)) for x in inputs)
        data._set(inputs, targets, Teacher(mlp, point))
        return data

    @classmethod
    def from_integers(cls, X: Any, x_den: int, Y: Any, y_den: int = 1) -> Dataset:
        """The data ``xs = X / x_den``, ``ys = Y / y_den`` from integer matrices, without SymPy.

        For large data (MNIST: pixels ``k/255``): the engine reads the integers a chunk at a time,
        and SymPy numbers are made only if ``xs`` or ``ys`` is read
        (:class:`~symcert.symbolic.integer_data.IntegerDataset`).
        """
        from symcert.symbolic.integer_data import IntegerDataset

        return IntegerDataset(X, x_den, Y, y_den)

    @property
    def n_points(self) -> int:
        """The number of data points."""
        return len(self.xs)

    @property
    def input_dim(self) -> int:
        """The length of each input vector."""
        return len(self.xs[0])

    @property
    def output_dim(self) -> int:
        """The length of each target vector."""
        return len(self.ys[0])

    def __repr__(self) -> str:
        source = "teacher data" if self.teacher_of else "data"
        return f"<Dataset: {self.n_points} points of {source}, {self.input_dim} -> {self.output_dim}>"


def _vectors(rows: Any, name: str) -> tuple[tuple[sympy.Rational, ...], ...]:
    if hasattr(rows, "tolist"):
        rows = rows.tolist()
    if isinstance(rows, (str, bytes)) or not isinstance(rows, Sequence):
        raise SpecificationError(f"{name} must be a list with one vector per data point, got {rows!r}")
    if not rows:
        raise SpecificationError(f"{name} must hold at least one data point, got none")
    if len(rows) > MAX_POINTS:
        raise SpecificationError(f"{name} holds {len(rows)} points; at most {MAX_POINTS} are supported")
    out = []
    for i, row in enumerate(rows):
        if hasattr(row, "tolist"):
            row = row.tolist()
        items = row if isinstance(row, Sequence) and not isinstance(row, (str, bytes)) else [row]
        if not items:
            raise SpecificationError(f"{name}[{i}] is empty; each data point needs at least one value")
        out.append(tuple(to_rational(v, f"{name}[{i}]") for v in items))
    lengths = {len(v) for v in out}
    if len(lengths) > 1:
        raise SpecificationError(
            f"every vector in {name} must have the same length, got lengths {sorted(lengths)}"
        )
    return tuple(out)
