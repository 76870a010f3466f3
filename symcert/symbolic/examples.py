"""Built-in examples: the default teacher network whose permuted copy is a second global minimum.

>>> example = default_example()
>>> example.loss.describe()
'mse loss of the 1-2-1 tanh network (7 parameters) on 5 data points'
>>> example.loss.expr.xreplace(example.teacher.as_dict())   # the teacher fits its data exactly
0
"""

from __future__ import annotations

from dataclasses import dataclass

from symcert.symbolic.data import Dataset
from symcert.symbolic.group import GroupElement, swap
from symcert.symbolic.losses import Loss
from symcert.symbolic.network import MLP
from symcert.symbolic.point import Point

__all__ = ["Example", "default_example", "default_teacher_loss"]


@dataclass(frozen=True)
class Example:
    """A loss on teacher data, the teacher point ``A`` and a symmetry ``element``."""

    loss: Loss
    teacher: Point
    element: GroupElement


def default_example() -> Example:
    """The seed's picture: a 1-2-1 tanh teacher with two distinct units on the inputs -2..2.

    ``A`` (the teacher) and ``swap(1, 0, 1)(A)`` are exact global minima (loss 0);
    their midpoint makes both units equal and fits the data worse.
    """
    mlp = MLP((1, 2, 1), "tanh")
    teacher = mlp.point(W1=[[2], [-1]], b1=["1/2", 1], W2=[[1, "-3/2"]], b2=["1/4"])
    data = Dataset.teacher(mlp, teacher, [[-2], [-1], [0], [1], [2]])
    return Example(Loss(mlp, data, "mse"), teacher, swap(1, 0, 1))


def default_teacher_loss(mlp: MLP, kind: str = "mse", weight_decay: object = 0) -> Loss:
    """A loss of ``mlp`` on teacher data: a reproducible teacher point and a small exact input grid."""
    xs = [[((i * (k + 2)) % 5 - 2) for k in range(mlp.widths[0])] for i in range(5)]
    data = Dataset.teacher(mlp, mlp.random_point(seed=1), xs)
    return Loss(mlp, data, kind, weight_decay)
