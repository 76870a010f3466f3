"""Losses: the empirical loss of a network on exact data, as a SymPy expression.

Kinds (``N`` data points, ``m`` outputs, ``z`` the output pre-activations,
``f`` the outputs):

- ``mse``: ``1/(N m) sum_i sum_k (f_k(x_i) - y_ik)^2``;
- ``sse``: ``sum_i sum_k (f_k(x_i) - y_ik)^2``;
- ``bce`` (sigmoid output): ``1/N sum_i sum_k -(y log f + (1-y) log(1-f))``,
  written in the equal form ``log(1 + exp(z)) - y z``;
- ``cross_entropy`` (softmax output): ``1/N sum_i -sum_k y_k log f_k``,
  written in the equal form ``(sum_k y_k) log(sum_j exp z_j) - sum_k y_k z_k``.

An exact ``factor > 0`` (default 1) multiplies the whole data term (scikit-learn's squared
error is ``factor=1/2`` times ``mse``). Weight decay ``lambda`` then adds ``lambda`` times the
sum of squared weights (not biases), not multiplied by ``factor``.

>>> from symcert import MLP, Dataset, Loss
>>> net = MLP((1, 1), output_activation="identity")
>>> Loss(net, Dataset([[1], [2]], [[0], [1]]), "sse").expr
(W1_11 + b1_1)**2 + (2*W1_11 + b1_1 - 1)**2
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import sympy

from symcert.errors import Hint, SpecificationError
from symcert.symbolic.data import Dataset
from symcert.symbolic.exact import to_rational
from symcert.symbolic.network import MLP, forward

__all__ = ["Loss", "LOSS_KINDS", "Ops", "loss_expression", "point_loss"]

LOSS_KINDS = ("mse", "sse", "bce", "cross_entropy")

_REQUIRED_OUTPUT = {"bce": "sigmoid", "cross_entropy": "softmax"}


@dataclass(frozen=True, init=False)
class Loss:
    """The empirical loss ``L(theta)`` of ``mlp`` on ``data``.

    Args:
        mlp: the network.
        data: a :class:`~symcert.symbolic.data.Dataset` whose dimensions match.
        kind: one of :data:`LOSS_KINDS`.
        weight_decay: an exact ``lambda >= 0``.
        factor: an exact ``c > 0`` multiplying the data term (not the weight decay).

    >>> net = MLP((1, 1), output_activation="identity")
    >>> Loss(net, Dataset([[1], [2]], [[0], [1]]), "mse", factor="1/2").scale
    1/4
    """

    mlp: MLP
    data: Dataset
    kind: str
    weight_decay: sympy.Rational
    factor: sympy.Rational

    def __init__(
        self, mlp: MLP, data: Dataset, kind: str = "mse", weight_decay: object = 0, factor: object = 1
    ) -> None:
        if not isinstance(mlp, MLP):
            raise SpecificationError(f"mlp must be an MLP, got {type(mlp).__name__}")
        if not isinstance(data, Dataset):
            raise SpecificationError(f"data must be a Dataset, got {type(data).__name__}")
        if kind not in LOSS_KINDS:
            raise SpecificationError(
                f"kind must be one of {', '.join(LOSS_KINDS)}, got {kind!r}",
                hint=Hint(
                    "{loss} must be one of {names}, got {got}", names=", ".join(LOSS_KINDS), got=repr(kind)
                ),
            )
        required = _REQUIRED_OUTPUT.get(kind)
        if required and mlp.output_activation.name != required:
            raise SpecificationError(
                f"the {kind} loss needs output_activation={required!r}, got "
                f"{mlp.output_activation.name!r}; build MLP(..., output_activation={required!r})",
                hint=Hint(
                    "the {kind} loss needs a {required} output, got {got}; use {output_activation:%s}"
                    % required,
                    kind=kind,
                    required=required,
                    got=mlp.output_activation.name,
                ),
            )
        if kind == "cross_entropy" and mlp.widths[-1] == 1:
            raise SpecificationError(
                "the cross_entropy loss of a network with one output is identically 0 (softmax over one "
                "output is the constant 1), so nothing can be proved about it; give the network two or "
                "more outputs, or use the bce loss with output_activation='sigmoid' for binary targets",
                hint=Hint(
                    "the cross_entropy loss of a network with one output is identically 0 (softmax over "
                    "one output is the constant 1); give two or more outputs (the last entry of {widths}) "
                    "or use {loss:bce} for binary targets"
                ),
            )
        if data.input_dim != mlp.widths[0]:
            raise SpecificationError(
                f"data inputs have {data.input_dim} entries but the network's input width is {mlp.widths[0]}"
            )
        if data.output_dim != mlp.widths[-1]:
            raise SpecificationError(
                f"data targets have {data.output_dim} entries but the network's output width "
                f"is {mlp.widths[-1]}"
            )
        decay = to_rational(weight_decay, "weight_decay")
        if decay < 0:
            raise SpecificationError(
                f"weight_decay must be >= 0, got {decay}",
                hint=Hint("{weight_decay} must be >= 0, got {got}", got=decay),
            )
        multiplier = to_rational(factor, "factor")
        if multiplier <= 0:
            raise SpecificationError(
                f"factor must be an exact rational > 0 multiplying the data term, got {multiplier}; "
                "pass e.g. factor='1/2'"
            )
        if kind in _REQUIRED_OUTPUT:
            _check_probabilities(data, kind)
        object.__setattr__(self, "mlp", mlp)
        object.__setattr__(self, "data", data)
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "weight_decay", decay)
        object.__setattr__(self, "factor", multiplier)

    def __repr__(self) -> str:
        decay = f", weight_decay={self.weight_decay}" if self.weight_decay else ""
        factor = f", factor={self.factor}" if self.factor != 1 else ""
        return f"Loss({self.mlp!r}, {self.data!r}, {self.kind!r}{decay}{factor})"

    def describe(self) -> str:
        """One line for people."""
        decay = f" + {self.weight_decay} * (sum of squared weights)" if self.weight_decay else ""
        times = f"{self.factor} * " if self.factor != 1 else ""
        points = f"{self.data.n_points} data points"
        return f"{times}{self.kind} loss of the {self.mlp.describe()} on {points}{decay}"

    @cached_property
    def expr(self) -> sympy.Expr:
        """The loss as a SymPy expression in ``mlp.symbols``."""
        return self.expression()

    def expression(self, hidden: Callable[[sympy.Expr], sympy.Expr] | None = None) -> sympy.Expr:
        """The loss with the hidden activation replaced by ``hidden`` (default: the real one).

        Proofs pass an undefined function ``sigma`` here, so that an identity they
        prove holds for every activation with the facts they use.
        """
        return loss_expression(self, hidden or self.mlp.activation.sympy)

    def terms(self, hidden: Callable[[sympy.Expr], sympy.Expr] | None = None) -> list[sympy.Expr]:
        """The loss of each data point (before averaging), for readable displays."""
        activate = hidden or self.mlp.activation.sympy
        ops = Ops(sympy.exp, sympy.log, lambda items: sympy.Add(*items), self.mlp.output_activation.sympy)
        return [
            point_loss(self.kind, forward(self.mlp, self.mlp.symbols, list(x), activate, _identity), y, ops)
            for x, y in zip(self.data.xs, self.data.ys)
        ]

    @property
    def scale(self) -> sympy.Rational:
        """The factor in front of the sum over data points: ``factor`` times ``1/(N m)``, ``1`` or ``1/N``.

        Every evaluator multiplies the data term by this, so ``factor`` reaches them all.
        """
        n, m = self.data.n_points, self.mlp.widths[-1]
        base = {"mse": sympy.Rational(1, n * m), "sse": sympy.Integer(1)}.get(self.kind, sympy.Rational(1, n))
        return self.factor * base

    @property
    def weight_indices(self) -> tuple[int, ...]:
        """Positions in ``mlp.symbols`` of the weights (not biases): what weight decay penalises."""
        return tuple(i for i, name in enumerate(self.mlp.parameter_names) if name.startswith("W"))

    def weights(self) -> list[sympy.Symbol]:
        """The weight symbols (biases excluded)."""
        return [self.mlp.symbols[i] for i in self.weight_indices]


def loss_expression(loss: Loss, hidden: Callable[[sympy.Expr], sympy.Expr]) -> sympy.Expr:
    """The SymPy expression of ``loss`` with hidden activation ``hidden``."""
    total = loss.scale * sympy.Add(*loss.terms(hidden))
    if loss.weight_decay:
        total += loss.weight_decay * sympy.Add(*[w**2 for w in loss.weights()])
    return total


def _identity(z: list) -> list:
    return list(z)


@dataclass(frozen=True)
class Ops:
    """The operations a loss formula needs, in one arithmetic (SymPy, mpmath, intervals)."""

    exp: Callable[[Any], Any]
    log: Callable[[Any], Any]
    total: Callable[[list], Any]
    output: Callable[[list], list]


def point_loss(kind: str, z: Sequence[Any], y: Sequence[Any], ops: Ops) -> Any:
    """The loss of one data point from the output pre-activations ``z`` and targets ``y``.

    Stated once for every arithmetic; see the module docstring for the formulas.

    >>> ops = Ops(sympy.exp, sympy.log, lambda items: sympy.Add(*items), list)
    >>> point_loss("sse", [sympy.Integer(3)], [sympy.Integer(1)], ops)
    4
    """
    if kind in ("mse", "sse"):
        f = ops.output(list(z))
        return ops.total([(fk - yk) ** 2 for fk, yk in zip(f, y)])
    if kind == "bce":
        return ops.total([ops.log(1 + ops.exp(zk)) - yk * zk for zk, yk in zip(z, y)])
    return ops.total(list(y)) * ops.log(ops.total([ops.exp(zk) for zk in z])) - ops.total(
        [yk * zk for zk, yk in zip(z, y)]
    )


def _check_probabilities(data: Dataset, kind: str) -> None:
    teacher = data.teacher_of
    if teacher is not None:
        produces = {"bce": ("sigmoid", "softmax"), "cross_entropy": ("softmax",)}[kind]
        if teacher.mlp.output_activation.name not in produces:
            raise SpecificationError(
                f"{kind} targets must be probabilities; a teacher with a "
                f"{teacher.mlp.output_activation.name} output does not produce them "
                f"(use a {' or '.join(produces)} output)"
            )
        return  # a sigmoid or softmax teacher produces probabilities by construction
    for i, y in enumerate(data.ys):
        if any(not 0 <= v <= 1 for v in y):
            raise SpecificationError(f"{kind} targets must lie in [0, 1], got ys[{i}] = {list(y)}")
        if kind == "cross_entropy" and sum(y) != 1:
            raise SpecificationError(
                f"cross_entropy targets must sum to 1 (a probability vector), got ys[{i}] = {list(y)}"
            )
