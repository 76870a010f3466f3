"""Losses: the empirical loss of a network on exact data, as a SymPy expression.

Kinds (``N`` data points, ``m`` outputs, ``z`` the output pre-activations,
``f`` the outputs):

- ``mse``: ``1/(N m) sum_i sum_k (f_k(x_i) - y_ik)^2``;
- ``sse``: ``sum_i sum_k (f_k(x_i) - y_ik)^2``;
- ``bce`` (sigmoid output): ``1/N sum_i sum_k -(y log f + (1-y) log(1-f))``,
  written in the equal form ``log(1 + exp(z)) - y z``;
- ``cross_entropy`` (softmax output): ``1/N sum_i -sum_k y_k log f_k``,
  written in the equal form ``(sum_k y_k) log(sum_j exp z_j) - sum_k y_k z_k``.

Each kind is a :class:`LossFunction` (:func:`loss_function`) that declares its facts and its
forms once, in :mod:`symcert.symbolic.loss_entries`; the consumers ask it, never its name.

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
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import sympy

from symcert.errors import Hint, SpecificationError
from symcert.symbolic.data import Dataset
from symcert.symbolic.exact import to_rational
from symcert.symbolic.loss_entries import ENTRIES, Convention, EngineOps
from symcert.symbolic.network import MLP, forward

__all__ = [
    "Loss",
    "LossFunction",
    "LOSS_KINDS",
    "Ops",
    "loss_expression",
    "loss_function",
    "point_loss",
    "default_output",
]


@dataclass(frozen=True)
class LossFunction:
    """A per-point loss ``ell(z, y)`` with its declared facts (see :mod:`~symcert.symbolic.loss_entries`).

    Facts:
        output_activation: the output it goes with; requires_output: no other is accepted.
        mean_over: what the data term averages over (``"points"``, ``"outputs"``; empty: a sum).
        conventions: how frameworks write it (:class:`~symcert.symbolic.loss_entries.Convention`).
        convex_in_outputs: convex in the output pre-activations ``z`` (with its output activation);
            convex_model names the model (``"linear regression"``); curvature, when not None, is
            the diagonal second derivative in each ``z_k``, written in ``E = exp(z_k)``.
        min_outputs: the fewest output units it accepts.
        targets: ``"real"``, ``"probability"`` or ``"distribution"``.
        labels: how class labels become targets (``"one-hot"``, ``"binary"`` or None).
        zero_on_fit: 0 exactly when the outputs equal the targets.

    >>> bce = loss_function("bce")
    >>> bce.output_activation, bce.requires_output, bce.zero_on_fit
    ('sigmoid', True, False)
    >>> loss_function("mse").denominator(5, 2)
    10
    """

    name: str
    aliases: tuple[str, ...] = ()
    description: str = ""
    output_activation: str = "identity"
    requires_output: bool = False
    mean_over: tuple[str, ...] = ()
    conventions: dict[str, Convention] = field(default_factory=dict, repr=False, compare=False)
    convex_in_outputs: bool = False
    convex_model: str | None = None
    min_outputs: int = 1
    outputs_reason: str = field(default="", repr=False, compare=False)
    outputs_hint: str = field(default="", repr=False, compare=False)
    targets: str = "real"
    labels: str | None = None
    zero_on_fit: bool = False
    latex: str = field(default="", repr=False, compare=False)
    latex_one_output: str = field(default="", repr=False, compare=False)
    latex_symbols: str = field(default="", repr=False, compare=False)
    coq_formula: str = field(default="", repr=False, compare=False)
    curvature: Callable[[sympy.Expr], sympy.Expr] | None = field(default=None, repr=False, compare=False)
    # the forms: every entry declares all of them (keyword-only, required)
    _point: Callable[..., Any] = field(repr=False, compare=False, kw_only=True)
    _engine: Callable[..., tuple[Any, ...]] = field(repr=False, compare=False, kw_only=True)
    _float: Callable[..., tuple[Any, Any]] = field(repr=False, compare=False, kw_only=True)
    _coq: Callable[..., list[str]] = field(repr=False, compare=False, kw_only=True)

    def denominator(self, n_points: int, n_outputs: int) -> int | None:
        """What the data term is divided by (``N m``, ``N``), or None for a plain sum."""
        if not self.mean_over:
            return None
        sizes = {"points": n_points, "outputs": n_outputs}
        out = 1
        for over in self.mean_over:
            out *= sizes[over]
        return out

    def base_scale(self, n_points: int, n_outputs: int) -> sympy.Rational:
        """``1 / denominator`` (1 for a sum): the factor in front of the sum over data points."""
        d = self.denominator(n_points, n_outputs)
        return sympy.Integer(1) if d is None else sympy.Rational(1, d)

    @property
    def constant_curvature(self) -> bool:
        """True when the second derivative in each ``z_k`` is a constant (a quadratic loss)."""
        return self.curvature is not None and not self.curvature(sympy.Dummy("E")).free_symbols

    def point(self, z: Sequence[Any], y: Sequence[Any], ops: Ops) -> Any:
        """The loss of one data point in the arithmetic of ``ops`` (SymPy, mpmath, intervals, jets)."""
        return self._point(z, y, ops)

    def engine(self, bk: Any, z: tuple[Any, ...], Y: Any, order: int, ops: EngineOps) -> tuple[Any, ...]:
        """``(sum_i ell_i, its derivative, its second derivative)`` along a path, on the engine's ``bk``.

        ``z`` is the jet ``(z, z', z'')`` of the output pre-activations (``N x m``, entries None for 0).
        """
        return self._engine(bk, z, Y, order, ops)

    def float64(self, z: Any, y: Any, output: str, gradient: bool = False) -> tuple[Any, Any]:
        """The float64 sum over data points (``z``, ``y``: ``... x N x m``) and, with ``gradient``, its
        gradient in ``z`` (None otherwise): evidence for search and screening, never proof."""
        return self._float(z, y, output, gradient)

    def coq_terms(self, f: list[str], z: list[str], y: list[str]) -> list[str]:
        """The Coq terms of one data point from its outputs ``f``, pre-activations ``z``, targets ``y``."""
        return self._coq(f, z, y)


_FUNCTIONS = {name: LossFunction(name=name, **entry) for name, entry in ENTRIES.items()}
_BY_ALIAS = {alias: fn for fn in _FUNCTIONS.values() for alias in (fn.name, *fn.aliases)}

#: The loss kinds accepted by :class:`Loss` (the canonical names; aliases are accepted too).
LOSS_KINDS = tuple(_FUNCTIONS)


def loss_function(kind: str | LossFunction) -> LossFunction:
    """The :class:`LossFunction` named by ``kind`` (one of :data:`LOSS_KINDS` or an alias).

    >>> loss_function("binary_cross_entropy").name
    'bce'
    >>> loss_function("hinge")
    Traceback (most recent call last):
    ...
    symcert.errors.SpecificationError: kind must be one of mse, sse, bce, cross_entropy, got 'hinge'
    """
    if isinstance(kind, LossFunction):
        return kind
    found = _BY_ALIAS.get(kind) if isinstance(kind, str) else None
    if found is None:
        raise SpecificationError(
            f"kind must be one of {', '.join(LOSS_KINDS)}, got {kind!r}",
            hint=Hint(
                "{loss} must be one of {names}, got {got}", names=", ".join(LOSS_KINDS), got=repr(kind)
            ),
        )
    return found


def default_output(kind: str) -> str:
    """The output activation that goes with the loss ``kind`` (``"identity"`` for an unknown kind,
    which is refused later with its own message).

    >>> default_output("cross_entropy"), default_output("mse")
    ('softmax', 'identity')
    """
    found = _BY_ALIAS.get(kind) if isinstance(kind, str) else None
    return "identity" if found is None else found.output_activation


@dataclass(frozen=True, init=False)
class Loss:
    """The empirical loss ``L(theta)`` of ``mlp`` on ``data``.

    Args:
        mlp: the network.
        data: a :class:`~symcert.symbolic.data.Dataset` whose dimensions match.
        kind: one of :data:`LOSS_KINDS` (or an alias, see :func:`loss_function`).
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
        function = loss_function(kind)
        kind = function.name
        required = function.output_activation if function.requires_output else None
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
        if mlp.widths[-1] < function.min_outputs:
            raise SpecificationError(function.outputs_reason, hint=Hint(function.outputs_hint))
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
        if function.targets != "real":
            _check_probabilities(data, function)
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
            self.function.point(forward(self.mlp, self.mlp.symbols, list(x), activate, _identity), y, ops)
            for x, y in zip(self.data.xs, self.data.ys)
        ]

    @property
    def function(self) -> LossFunction:
        """The per-point loss, with its facts and forms (:class:`LossFunction`)."""
        return _FUNCTIONS[self.kind]

    @property
    def scale(self) -> sympy.Rational:
        """The factor in front of the sum over data points: ``factor`` times ``1/(N m)``, ``1`` or ``1/N``.

        Every evaluator multiplies the data term by this, so ``factor`` reaches them all.
        """
        return self.factor * self.function.base_scale(self.data.n_points, self.mlp.widths[-1])

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


def _identity(z: list[Any]) -> list[Any]:
    return list(z)


@dataclass(frozen=True)
class Ops:
    """The operations a loss formula needs, in one arithmetic (SymPy, mpmath, intervals)."""

    exp: Callable[[Any], Any]
    log: Callable[[Any], Any]
    total: Callable[[list[Any]], Any]
    output: Callable[[list[Any]], list[Any]]


def point_loss(kind: str | LossFunction, z: Sequence[Any], y: Sequence[Any], ops: Ops) -> Any:
    """The loss of one data point from the output pre-activations ``z`` and targets ``y``.

    Stated once for every arithmetic (:meth:`LossFunction.point`); see the module docstring for
    the formulas.

    >>> ops = Ops(sympy.exp, sympy.log, lambda items: sympy.Add(*items), list)
    >>> point_loss("sse", [sympy.Integer(3)], [sympy.Integer(1)], ops)
    4
    """
    return loss_function(kind).point(z, y, ops)


#: The outputs that produce targets of each kind (a teacher with such an output gives valid targets).
_PRODUCES = {"probability": ("sigmoid", "softmax"), "distribution": ("softmax",)}


def _check_probabilities(data: Dataset, function: LossFunction) -> None:
    kind = function.name
    teacher = data.teacher_of
    if teacher is not None:
        produces = _PRODUCES[function.targets]
        if teacher.mlp.output_activation.name not in produces:
            raise SpecificationError(
                f"{kind} targets must be probabilities; a teacher with a "
                f"{teacher.mlp.output_activation.name} output does not produce them "
                f"(use a {' or '.join(produces)} output)"
            )
        return  # a sigmoid or softmax teacher produces probabilities by construction
    fast = getattr(data, "targets_are_probabilities", None)
    if fast is not None and fast(function.targets == "distribution"):
        return  # integer targets checked in integers (a failure is then located below)
    for i, y in enumerate(data.ys):
        if any(not 0 <= v <= 1 for v in y):
            raise SpecificationError(f"{kind} targets must lie in [0, 1], got ys[{i}] = {list(y)}")
        if function.targets == "distribution" and sum(y) != 1:
            raise SpecificationError(
                f"{kind} targets must sum to 1 (a probability vector), got ys[{i}] = {list(y)}"
            )
