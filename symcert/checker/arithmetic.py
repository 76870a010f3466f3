"""The checker's own arithmetic: networks and losses over mpmath intervals and interval jets.

A :class:`Jet` carries ``(f, f', f''/2)`` of a function of one variable ``t``,
each coefficient an interval; evaluating the loss at ``A + t d`` with jets gives
rigorous enclosures of ``phi(t)``, ``phi'(t)`` and ``phi''(t)`` in one pass.

>>> from mpmath.ctx_iv import MPIntervalContext
>>> ctx = MPIntervalContext(); ctx.dps = 30
>>> t = Jet(ctx.mpf(1), ctx.mpf(1), ctx.mpf(0))   # the variable t at t = 1
>>> jet = exp(ctx, t * t)                           # exp(t^2): value e, derivative 2e, second 6e
>>> [float((c / ctx.e).mid) for c in (jet.c0, jet.c1, 2 * jet.c2)]
[1.0, 2.0, 6.0]
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from symcert.checker.losses import scale as loss_scale

__all__ = ["Jet", "Net", "exp", "log", "activate", "loss_value"]


@dataclass(frozen=True)
class Jet:
    """Taylor coefficients ``(f, f', f''/2)`` at a point, as intervals."""

    c0: Any
    c1: Any
    c2: Any

    def __add__(self, other: Any) -> Jet:
        if isinstance(other, Jet):
            return Jet(self.c0 + other.c0, self.c1 + other.c1, self.c2 + other.c2)
        return Jet(self.c0 + other, self.c1, self.c2)

    __radd__ = __add__

    def __neg__(self) -> Jet:
        return Jet(-self.c0, -self.c1, -self.c2)

    def __sub__(self, other: Any) -> Jet:
        return self + (-other)

    def __rsub__(self, other: Any) -> Jet:
        return (-self) + other

    def __mul__(self, other: Any) -> Jet:
        if isinstance(other, Jet):
            return Jet(
                self.c0 * other.c0,
                self.c0 * other.c1 + self.c1 * other.c0,
                self.c0 * other.c2 + self.c1 * other.c1 + self.c2 * other.c0,
            )
        return Jet(self.c0 * other, self.c1 * other, self.c2 * other)

    __rmul__ = __mul__

    def reciprocal(self) -> Jet:
        r0 = 1 / self.c0
        return Jet(r0, -self.c1 * r0 * r0, (self.c1 * self.c1 * r0 - self.c2) * r0 * r0)

    def __truediv__(self, other: Any) -> Jet:
        if isinstance(other, Jet):
            return self * other.reciprocal()
        return Jet(self.c0 / other, self.c1 / other, self.c2 / other)

    def __rtruediv__(self, other: Any) -> Jet:
        return self.reciprocal() * other


def exp(ctx: Any, x: Any) -> Any:
    """``exp`` of an interval or a jet."""
    if isinstance(x, Jet):
        e0 = ctx.exp(x.c0)
        return Jet(e0, e0 * x.c1, e0 * (x.c2 + x.c1 * x.c1 / 2))
    return ctx.exp(x)


def log(ctx: Any, x: Any) -> Any:
    """``log`` of an interval or a jet."""
    if isinstance(x, Jet):
        r = 1 / x.c0
        return Jet(ctx.log(x.c0), x.c1 * r, x.c2 * r - x.c1 * x.c1 * r * r / 2)
    return ctx.log(x)


def _exact(ctx: Any, value: Fraction) -> Any:
    return ctx.mpf(value.numerator) / value.denominator


def _piecewise_linear(ctx: Any, u: Any, slope: Fraction) -> Any:
    if isinstance(u, Jet):
        raise ArithmeticError("derivatives of ReLU-type activations are not defined everywhere")
    scale = _exact(ctx, slope)

    def at(endpoint: Any) -> Any:
        return endpoint if endpoint > 0 else scale * endpoint

    return ctx.mpf([at(u.a).a, at(u.b).b])


def activate(ctx: Any, name: str, slope: Fraction | None, u: Any) -> Any:
    """The hidden activation ``name`` on an interval or a jet (rigorous)."""
    if name == "identity":
        return u
    if name == "tanh":
        return 1 - 2 / (exp(ctx, 2 * u) + 1)
    if name == "sigmoid":
        return 1 / (1 + exp(ctx, -u))
    if name == "softplus":
        return log(ctx, 1 + exp(ctx, u))
    if name == "square":
        return _square(u)
    if name == "cube":
        return u * u * u if isinstance(u, Jet) else u**3
    if name == "relu":
        return _piecewise_linear(ctx, u, Fraction(0))
    if name == "leaky_relu":
        assert slope is not None  # statement.py gives leaky_relu its slope
        return _piecewise_linear(ctx, u, slope)
    raise ArithmeticError(f"unknown activation {name!r}")


def _square(x: Any) -> Any:
    # An interval's even power never dips below 0; a jet squares by the product rule.
    return x * x if isinstance(x, Jet) else x**2


def _total(items: list) -> Any:
    result = items[0]
    for item in items[1:]:
        result = result + item
    return result


@dataclass(frozen=True)
class Net:
    """A network as the checker reads it: widths, activation, biases, output activation.

    ``bias`` is one bool for every layer or one per weight layer (``(True, False)``: hidden biases,
    no output bias); :meth:`has_bias` reads it for one layer.

    >>> Net((1, 2, 1), "tanh", None, (True, False), "identity").has_bias(2)
    False
    """

    widths: tuple[int, ...]
    activation: str
    slope: Fraction | None
    bias: bool | tuple[bool, ...]
    output: str

    @property
    def biases(self) -> tuple[bool, ...]:
        """Whether each weight layer ``1, ..., L`` has biases."""
        depth = len(self.widths) - 1
        return (self.bias,) * depth if isinstance(self.bias, bool) else tuple(self.bias)

    def has_bias(self, layer: int) -> bool:
        """Whether weight layer ``layer`` (1-based) has biases."""
        return self.biases[layer - 1]

    @property
    def n_parameters(self) -> int:
        """The number of parameters."""
        w = self.widths
        return sum(w[l] * (w[l - 1] + self.has_bias(l)) for l in range(1, len(w)))

    def forward_z(self, ctx: Any, layers: list, x: list) -> list:
        """Output pre-activations for parameters ``layers`` (``[(W rows, b or None)]``)."""
        a = list(x)
        for l, (weights, biases) in enumerate(layers, start=1):
            z = []
            for j, row in enumerate(weights):
                terms = [w * v for w, v in zip(row, a)]
                if biases is not None:
                    terms.append(biases[j])
                z.append(_total(terms))
            a = [activate(ctx, self.activation, self.slope, v) for v in z] if l < len(layers) else z
        return a

    def outputs(self, ctx: Any, z: list) -> list:
        """The output activation applied to ``z``."""
        if self.output == "identity":
            return z
        if self.output == "sigmoid":
            return [1 / (1 + exp(ctx, -v)) for v in z]
        exps = [exp(ctx, v) for v in z]
        total = _total(exps)
        return [e / total for e in exps]


def loss_value(
    ctx: Any,
    net: Net,
    layers: list,
    kind: str,
    decay: Fraction,
    xs: list,
    ys: list,
    factor: Fraction = Fraction(1),
) -> Any:
    """The loss (an interval or a jet): the formulas of the certificate schema, data term times ``factor``."""
    terms = []
    for x, y in zip(xs, ys):
        z = net.forward_z(ctx, layers, x)
        if kind in ("mse", "sse"):
            f = net.outputs(ctx, z)
            terms.append(_total([_square(fk - yk) for fk, yk in zip(f, y)]))
        elif kind == "bce":
            # a jet on the left: mpmath intervals do not defer to Jet.__rmul__
            terms.append(_total([log(ctx, 1 + exp(ctx, zk)) - zk * yk for zk, yk in zip(z, y)]))
        else:
            terms.append(
                log(ctx, _total([exp(ctx, zk) for zk in z])) * _total(y)
                - _total([zk * yk for zk, yk in zip(z, y)])
            )
    n, m = len(xs), net.widths[-1]
    scale = loss_scale(kind, n, m, factor)
    total = _total(terms) * _exact(ctx, scale)
    if decay:
        squares = [_square(w) for weights, _ in layers for row in weights for w in row]
        total = total + _total(squares) * _exact(ctx, decay)
    return total
