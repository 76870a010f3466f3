"""Activations: the facts each one declares and its three implementations.

An :class:`Activation` states local facts (odd, even, sigmoid-like complement,
positively homogeneous of degree ``k``, polynomial, smooth) and implements itself in SymPy,
in mpmath and in mpmath's interval arithmetic. Everything else (which sign
flips and rescalings are symmetries, which lemmas a proof may use) is derived
from these facts in one place (:mod:`symcert.symbolic.group`).

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
    _sympy: Callable[[sympy.Expr, Any], sympy.Expr] = field(repr=False, compare=False, default=None)
    _mp: Callable[[Any, Any, Any], Any] = field(repr=False, compare=False, default=None)
    _iv: Callable[[Any, Any, Any], Any] = field(repr=False, compare=False, default=None)

    @property
    def label(self) -> str:
        """The name with its parameter, as accepted by :func:`activation`."""
        return f"{self.name}:{self.slope}" if self.slope is not None else self.name

    @property
    def positively_homogeneous(self) -> bool:
        """True when ``s(c u) = c s(u)`` for every ``c > 0`` (homogeneous of degree 1)."""
        return self.homogeneity == 1

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


def _relu_sympy(u, _slope):
    return sympy.Max(0, u)


def _leaky_sympy(u, slope):
    return sympy.Max(u, slope * u)


def _relu_mp(ctx, u, _slope):
    return u if u > 0 else ctx.zero


def _leaky_mp(ctx, u, slope):
    return u if u > 0 else ctx.mpf(slope.p) / slope.q * u


def _relu_iv(ctx, u, _slope):
    lower = u.a if u.a > 0 else ctx.mpf(0)
    upper = u.b if u.b > 0 else ctx.mpf(0)
    return ctx.mpf([lower, upper])


def _leaky_iv(ctx, u, slope):
    # Increasing, so the image of [a, b] is [s(a), s(b)], each endpoint enclosed outward.
    scale = ctx.mpf(slope.p) / slope.q

    def at(endpoint):
        return endpoint if endpoint > 0 else scale * endpoint

    return ctx.mpf([at(u.a).a, at(u.b).b])


def _tanh_iv(ctx, u, _slope):
    # mpmath.iv has no tanh; this form is increasing in u and uses u once: tight.
    return 1 - 2 / (ctx.exp(2 * u) + 1)


_BUILDERS: dict[str, dict[str, Any]] = {
    "identity": dict(
        odd=True,
        homogeneity=1,
        polynomial=True,
        _sympy=lambda u, _s: u,
        _mp=lambda ctx, u, _s: u,
        _iv=lambda ctx, u, _s: u,
    ),
    "tanh": dict(
        odd=True,
        _sympy=lambda u, _s: sympy.tanh(u),
        _mp=lambda ctx, u, _s: ctx.tanh(u),
        _iv=_tanh_iv,
    ),
    "sigmoid": dict(
        complement=True,
        _sympy=lambda u, _s: 1 / (1 + sympy.exp(-u)),
        _mp=lambda ctx, u, _s: 1 / (1 + ctx.exp(-u)),
        _iv=lambda ctx, u, _s: 1 / (1 + ctx.exp(-u)),
    ),
    "relu": dict(
        homogeneity=1,
        piecewise_linear=True,
        smooth=False,
        _sympy=_relu_sympy,
        _mp=_relu_mp,
        _iv=_relu_iv,
    ),
    "leaky_relu": dict(
        homogeneity=1,
        piecewise_linear=True,
        smooth=False,
        _sympy=_leaky_sympy,
        _mp=_leaky_mp,
        _iv=_leaky_iv,
    ),
    "softplus": dict(
        _sympy=lambda u, _s: sympy.log(1 + sympy.exp(u)),
        _mp=lambda ctx, u, _s: ctx.log(1 + ctx.exp(u)),
        _iv=lambda ctx, u, _s: ctx.log(1 + ctx.exp(u)),
    ),
    "square": dict(
        even=True,
        homogeneity=2,
        polynomial=True,
        _sympy=lambda u, _s: u**2,
        _mp=lambda ctx, u, _s: u * u,
        _iv=lambda ctx, u, _s: u**2,  # mpmath's even power is tight (never below 0)
    ),
    "cube": dict(
        odd=True,
        homogeneity=3,
        polynomial=True,
        _sympy=lambda u, _s: u**3,
        _mp=lambda ctx, u, _s: u * u * u,
        _iv=lambda ctx, u, _s: u**3,
    ),
}

#: The names accepted by :func:`activation` (``leaky_relu`` also as ``leaky_relu:p/q``).
ACTIVATION_NAMES = tuple(_BUILDERS)


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
    if name not in _BUILDERS:
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
        return Activation(name=name, **_BUILDERS[name])
    value = DEFAULT_LEAKY_SLOPE if slope is None else to_rational(slope, "leaky_relu slope")
    if not 0 < value < 1:
        raise SpecificationError(f"the leaky_relu slope must lie strictly between 0 and 1, got {value}")
    return Activation(name=name, slope=value, **_BUILDERS[name])


@dataclass(frozen=True)
class OutputActivation:
    """The output layer's map from pre-activations ``z`` (a list) to outputs."""

    name: str
    _sympy: Callable[[list], list] = field(repr=False, compare=False, default=None)
    _numeric: Callable[[Any, list], list] = field(repr=False, compare=False, default=None)

    def sympy(self, z: list[sympy.Expr]) -> list[sympy.Expr]:
        """The outputs as SymPy expressions."""
        return self._sympy(z)

    def numeric(self, ctx: Any, z: list) -> list:
        """The outputs in an mpmath context (plain or interval)."""
        return self._numeric(ctx, z)


def _softmax_sympy(z):
    exps = [sympy.exp(v) for v in z]
    total = sympy.Add(*exps)
    return [e / total for e in exps]


def _softmax_numeric(ctx, z):
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
