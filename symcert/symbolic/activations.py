"""Activations: the facts each one declares and all its forms, read from one entry.

An :class:`Activation` states local facts (odd, even, sigmoid-like complement,
positively homogeneous of degree ``k``, polynomial, smooth) and implements itself in SymPy,
in mpmath, in mpmath's interval arithmetic, in float64 numpy, on the rigorous engine (value and
derivatives), in LaTeX and in Coq; the entries are in :mod:`symcert.symbolic.activation_entries`.
Everything else (which sign flips and rescalings are symmetries, which lemmas a proof may use) is
derived from these facts in one place (:mod:`symcert.symbolic.group`); the consumers read the
forms from the object, never by its name.

>>> act = activation("tanh")
>>> act.odd, act.positively_homogeneous
(True, False)
>>> square = activation("square")
>>> square.even, square.homogeneity
(True, 2)
>>> act.sympy(sympy.Symbol("u"))
tanh(u)
>>> activation("leaky_relu:1/10").slope
1/10
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sympy

from symcert.errors import Hint, SpecificationError
from symcert.symbolic.activation_entries import ENTRIES, CoqForm
from symcert.symbolic.exact import to_rational

__all__ = [
    "Activation",
    "OutputActivation",
    "activation",
    "output_activation",
    "ACTIVATION_NAMES",
    "OUTPUT_ACTIVATION_NAMES",
]

DEFAULT_LEAKY_SLOPE = sympy.Rational(1, 100)


@dataclass(frozen=True)
class Activation:
    """An elementwise hidden-layer activation ``s`` with its declared facts.

    Facts:
        odd: ``s(-u) = -s(u)`` (sign flips are symmetries).
        even: ``s(-u) = s(u)`` (flipping the sign of a unit's incoming weights
            and bias is a symmetry).
        complement: ``s(-u) = 1 - s(u)`` (sign flips are symmetries together
            with a shift of the next layer's bias, as for the logistic sigmoid).
        homogeneity: the degree ``k`` (a positive integer) with
            ``s(c u) = c^k s(u)`` for every ``c > 0``, or None (rescaling a unit,
            incoming by ``c`` and outgoing by ``c^-k``, is a continuous symmetry).
        polynomial: ``s`` is a polynomial (exact rational evaluation).
        piecewise_linear: ``s`` is piecewise linear with rational pieces.
        smooth: ``s`` is infinitely differentiable.
    """

    name: str
    odd: bool = False
    even: bool = False
    complement: bool = False
    homogeneity: int | None = None
    polynomial: bool = False
    piecewise_linear: bool = False
    smooth: bool = True
    slope: sympy.Rational | None = None
    latex: str = field(repr=False, compare=False, default="")
    coq: CoqForm | None = field(repr=False, compare=False, default=None)
    # the forms: every entry declares all of them (keyword-only, required)
    _sympy: Callable[[sympy.Expr, Any], sympy.Expr] = field(repr=False, compare=False, kw_only=True)
    _mp: Callable[[Any, Any, Any], Any] = field(repr=False, compare=False, kw_only=True)
    _iv: Callable[[Any, Any, Any], Any] = field(repr=False, compare=False, kw_only=True)
    _float: Callable[[Any, Any], Any] = field(repr=False, compare=False, kw_only=True)
    _dfloat: Callable[[Any, Any, Any], Any] = field(repr=False, compare=False, kw_only=True)
    _jets: Callable[[Any, Any, int, Any], tuple[Any, ...]] = field(repr=False, compare=False, kw_only=True)

    @property
    def label(self) -> str:
        """The name with its parameter, as accepted by :func:`activation`."""
        return f"{self.name}:{self.slope}" if self.slope is not None else self.name

    @property
    def positively_homogeneous(self) -> bool:
        """True when ``s(c u) = c s(u)`` for every ``c > 0`` (homogeneous of degree 1)."""
        return self.homogeneity == 1

    @property
    def linear(self) -> bool:
        """True for the identity ``s(u) = u``: a polynomial, odd and homogeneous of degree 1."""
        return self.polynomial and self.odd and self.homogeneity == 1

    @property
    def exact(self) -> bool:
        """True when exact rational inputs give exact rational outputs."""
        return self.polynomial or self.piecewise_linear

    def sympy(self, u: sympy.Expr) -> sympy.Expr:
        """The activation applied to a SymPy expression."""
        return self._sympy(u, self.slope)

    def mp(self, ctx: Any, u: Any) -> Any:
        """The activation in an mpmath context ``ctx`` (plain numbers)."""
        return self._mp(ctx, u, self.slope)

    def iv(self, ctx: Any, u: Any) -> Any:
        """A rigorous, tight enclosure of the activation on the interval ``u``."""
        return self._iv(ctx, u, self.slope)

    def float64(self, z: Any) -> Any:
        """The activation on a float64 numpy array (search and screening only, never proof)."""
        return self._float(z, self.slope)

    def float64_derivative(self, z: Any, a: Any) -> Any:
        """``s'(z)`` in float64, given ``z`` and ``a = s(z)`` (at a kink: the right derivative's 0 side)."""
        return self._dfloat(z, a, self.slope)

    def jets(self, bk: Any, z: Any, order: int) -> tuple[Any, ...]:
        """``(s(z), s'(z), s''(z))`` on the engine's arithmetic ``bk`` (derivatives None if not smooth).

        ``bk`` is a backend of :mod:`symcert.numeric.engine.backends`; the second derivative may be
        None when ``order < 2``.
        """
        return self._jets(bk, z, order, self.slope)


#: The names accepted by :func:`activation` (``leaky_relu`` also as ``leaky_relu:p/q``).
ACTIVATION_NAMES = tuple(ENTRIES)


def activation(spec: str | Activation, *, slope: object = None) -> Activation:
    """Return the :class:`Activation` named by ``spec``.

    ``spec`` is one of :data:`ACTIVATION_NAMES`; the leaky ReLU's slope is given
    as ``"leaky_relu:1/10"`` or with ``slope=`` (a rational in ``(0, 1)``,
    default ``1/100``).

    >>> activation("relu").positively_homogeneous
    True
    >>> activation("gelu")
    Traceback (most recent call last):
    ...
    symcert.errors.SpecificationError: activation must be one of identity, tanh, \
sigmoid, relu, leaky_relu, softplus, square, cube, got 'gelu'
    """
    if isinstance(spec, Activation):
        return spec
    if not isinstance(spec, str):
        raise SpecificationError(
            f"activation must be a name such as 'tanh', got {type(spec).__name__} {spec!r}"
        )
    name, _, parameter = spec.strip().partition(":")
    if name not in ENTRIES:
        raise SpecificationError(
            f"activation must be one of {', '.join(ACTIVATION_NAMES)}, got {spec!r}",
            hint=Hint(
                "{activation} must be one of {names}, got {got}",
                names=", ".join(ACTIVATION_NAMES),
                got=repr(spec),
            ),
        )
    if parameter and slope is not None:
        raise SpecificationError(f"give the leaky ReLU slope once, got {spec!r} and slope={slope!r}")
    if parameter:
        slope = parameter
    if name != "leaky_relu":
        if slope is not None:
            raise SpecificationError(f"only leaky_relu takes a slope, got {spec!r} with slope {slope!r}")
        return Activation(name=name, **ENTRIES[name])
    value = DEFAULT_LEAKY_SLOPE if slope is None else to_rational(slope, "leaky_relu slope")
    if not 0 < value < 1:
        raise SpecificationError(f"the leaky_relu slope must lie strictly between 0 and 1, got {value}")
    return Activation(name=name, slope=value, **ENTRIES[name])


@dataclass(frozen=True)
class OutputActivation:
    """The output layer's map from pre-activations ``z`` (a list) to outputs."""

    name: str
    _sympy: Callable[[list[Any]], list[Any]] = field(repr=False, compare=False)
    _numeric: Callable[[Any, list[Any]], list[Any]] = field(repr=False, compare=False)

    def sympy(self, z: list[sympy.Expr]) -> list[sympy.Expr]:
        """The outputs as SymPy expressions."""
        return self._sympy(z)

    def numeric(self, ctx: Any, z: list[Any]) -> list[Any]:
        """The outputs in an mpmath context (plain or interval)."""
        return self._numeric(ctx, z)


def _softmax_sympy(z: list[sympy.Expr]) -> list[sympy.Expr]:
    exps = [sympy.exp(v) for v in z]
    total = sympy.Add(*exps)
    return [e / total for e in exps]


def _softmax_numeric(ctx: Any, z: list[Any]) -> list[Any]:
    # exp(z_k) / sum_j exp(z_j) = 1 / sum_j exp(z_j - z_k): each term in (0, 1].
    return [1 / ctx.fsum([ctx.exp(v - zk) for v in z]) for zk in z]


_OUTPUTS = {
    "identity": OutputActivation("identity", lambda z: list(z), lambda ctx, z: list(z)),
    "sigmoid": OutputActivation(
        "sigmoid",
        lambda z: [1 / (1 + sympy.exp(-v)) for v in z],
        lambda ctx, z: [1 / (1 + ctx.exp(-v)) for v in z],
    ),
    "softmax": OutputActivation("softmax", _softmax_sympy, _softmax_numeric),
}

#: The names accepted by :func:`output_activation`.
OUTPUT_ACTIVATION_NAMES = tuple(_OUTPUTS)


def output_activation(spec: str | OutputActivation) -> OutputActivation:
    """Return the :class:`OutputActivation` named by ``spec``.

    >>> output_activation("softmax").name
    'softmax'
    """
    if isinstance(spec, OutputActivation):
        return spec
    if not isinstance(spec, str) or spec not in _OUTPUTS:
        raise SpecificationError(
            f"output_activation must be one of {', '.join(OUTPUT_ACTIVATION_NAMES)}, got {spec!r}",
            hint=Hint(
                "{output_activation} must be one of {names}, got {got}",
                names=", ".join(OUTPUT_ACTIVATION_NAMES),
                got=repr(spec),
            ),
        )
    return _OUTPUTS[spec]
