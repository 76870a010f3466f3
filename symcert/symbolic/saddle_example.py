"""The default permutation-saddle example: a 1-1-1 network on six points, lifted to 1-2-1.

The data rise like a smoothed step; one tanh unit fits them well but not exactly, so the best
narrow fit is an isolated minimum. Duplicating its unit (outgoing weights split ``lam``,
``1 - lam``) gives critical points of the 1-2-1 network that are saddles (Brea et al. 2019).

>>> example = saddle_example()
>>> example.loss.mlp.describe(), example.layer, example.unit, example.lam
('1-1-1 tanh network (4 parameters)', 1, 0, 1/2)
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from symcert.symbolic.data import Dataset
from symcert.symbolic.losses import Loss
from symcert.symbolic.network import MLP
from symcert.symbolic.point import Point

__all__ = ["SaddleExample", "saddle_example", "SADDLE_XS", "SADDLE_YS"]

SADDLE_XS = [[-2], [-1], [0], [1], [2], [3]]
SADDLE_YS = [[-1], [-1], [0], [1], [2], [2]]


@dataclass(frozen=True)
class SaddleExample:
    """A loss, an approximate narrow critical point and the lift to apply."""

    loss: Loss
    approx: Point
    layer: int
    unit: int
    lam: sympy.Rational


def saddle_example(activation: str = "tanh") -> SaddleExample:
    """The example, for ``tanh`` (default) or ``sigmoid``; ``approx`` is a rounded minimiser."""
    mlp = MLP((1, 1, 1), activation)
    loss = Loss(mlp, Dataset(SADDLE_XS, SADDLE_YS), "mse")
    start = {
        "tanh": dict(W1=[["0.798323"]], b1=["-0.399162"], W2=[["1.633106"]], b2=["0.5"]),
        "sigmoid": dict(W1=[["1.596646"]], b1=["-0.798323"], W2=[["3.266211"]], b2=["-1.133106"]),
    }
    if activation not in start:
        from symcert.errors import SpecificationError

        raise SpecificationError(
            f"the default saddle example is built for tanh or sigmoid, got {activation!r}; "
            "pass --data for other activations"
        )
    return SaddleExample(loss, mlp.point(**start[activation]), 1, 0, sympy.Rational(1, 2))
