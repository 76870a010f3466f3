"""Second-order forward-mode jets over any mpmath context (plain numbers or intervals).

A :class:`Jet` carries a value, its gradient and its Hessian with respect to
chosen seed variables, stored sparsely (``{i: d/dx_i}`` and ``{(i, j): d2/dx_i dx_j}``
with ``i <= j``). Arithmetic and the primitives ``exp``, ``log`` and ``tanh``
apply the chain rule, so every formula in symcert that is written once for
all arithmetics (the activations, :func:`~symcert.symbolic.network.forward`,
:func:`~symcert.symbolic.losses.point_loss`, the output maps) differentiates
itself when handed a :class:`JetContext` instead of an mpmath context.

Over an interval context every component is an interval evaluation, with
outward rounding, of the exact derivative formula at exact inputs, hence a
rigorous enclosure of the exact derivative.

>>> from symcert.numeric.contexts import mp_context
>>> jctx = JetContext(mp_context(20))
>>> x = jctx.variable(jctx.ctx.mpf(2), 0)
>>> y = x * x * x + jctx.exp(x)
>>> print(jctx.ctx.nstr(y.d(0), 15), jctx.ctx.nstr(y.d2(0, 0), 15))  # 3x^2 + e^x, 6x + e^x at 2
19.3890560989307 19.3890560989307
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar, overload

from symcert.numeric.contexts import is_interval

__all__ = ["Jet", "JetContext"]

_Key = TypeVar("_Key")


class Jet:
    """A value with its (sparse) gradient and, unless ``order == 1``, Hessian."""

    __slots__ = ("ctx", "g", "h", "v")

    def __init__(self, ctx: Any, v: Any, g: dict[int, Any], h: dict[tuple[int, int], Any] | None) -> None:
        self.ctx, self.v, self.g, self.h = ctx, v, g, h

    def d(self, i: int) -> Any:
        """The first derivative with respect to variable ``i``."""
        return self.g.get(i, self.ctx.zero)

    def d2(self, i: int, j: int) -> Any:
        """The second derivative with respect to variables ``i`` and ``j``."""
        if self.h is None:
            raise ValueError("a jet of order 1 has no second derivatives; use JetContext(ctx, order=2)")
        return self.h.get((min(i, j), max(i, j)), self.ctx.zero)

    # -- building blocks ------------------------------------------------------------

    def _constant(self, c: Any) -> Jet:
        value = self.ctx.mpf(c) if isinstance(c, int) else c
        return Jet(self.ctx, value, {}, None if self.h is None else {})

    def _lift(self, other: Any) -> Jet:
        return other if isinstance(other, Jet) else self._constant(other)

    def unary(self, f0: Any, f1: Any, f2: Any) -> Jet:
        """``f(self)`` from ``f``, ``f'`` and ``f''`` at the value (the chain rule)."""
        g = {i: f1 * gi for i, gi in self.g.items()}
        if self.h is None:
            return Jet(self.ctx, f0, g, None)
        h = {k: f1 * hk for k, hk in self.h.items()}
        items = sorted(self.g.items())
        for a, (i, gi) in enumerate(items):
            scaled = f2 * gi
            for j, gj in items[a:]:
                h[(i, j)] = h[(i, j)] + scaled * gj if (i, j) in h else scaled * gj
        return Jet(self.ctx, f0, g, h)

    # -- arithmetic ---------------------------------------------------------------------

    def __add__(self, other: Any) -> Jet:
        if not isinstance(other, Jet):
            return Jet(self.ctx, self.v + other, self.g, self.h)
        return Jet(self.ctx, self.v + other.v, _merge(self.g, other.g, 1), _merge(self.h, other.h, 1))

    __radd__ = __add__

    def __neg__(self) -> Jet:
        h = None if self.h is None else {k: -x for k, x in self.h.items()}
        return Jet(self.ctx, -self.v, {i: -x for i, x in self.g.items()}, h)

    def __sub__(self, other: Any) -> Jet:
        if not isinstance(other, Jet):
            return Jet(self.ctx, self.v - other, self.g, self.h)
        return Jet(self.ctx, self.v - other.v, _merge(self.g, other.g, -1), _merge(self.h, other.h, -1))

    def __rsub__(self, other: Any) -> Jet:
        return (-self) + other

    def __mul__(self, other: Any) -> Jet:
        if not isinstance(other, Jet):
            h = None if self.h is None else {k: x * other for k, x in self.h.items()}
            return Jet(self.ctx, self.v * other, {i: x * other for i, x in self.g.items()}, h)
        a, b = self, other
        g = _merge({i: x * b.v for i, x in a.g.items()}, {i: x * a.v for i, x in b.g.items()}, 1)
        if a.h is None:
            return Jet(self.ctx, a.v * b.v, g, None)
        assert b.h is not None  # jets of one context have one order
        h = _merge({k: x * b.v for k, x in a.h.items()}, {k: x * a.v for k, x in b.h.items()}, 1)
        for i, gi in a.g.items():
            for j, gj in b.g.items():
                key = (i, j) if i <= j else (j, i)
                term = gi * gj if i != j else 2 * gi * gj
                h[key] = h[key] + term if key in h else term
        return Jet(self.ctx, a.v * b.v, g, h)

    __rmul__ = __mul__

    def reciprocal(self) -> Jet:
        """``1 / self``."""
        r = 1 / self.v
        return self.unary(r, -(r * r), 2 * r * r * r)

    def __truediv__(self, other: Any) -> Jet:
        if not isinstance(other, Jet):
            return self * (1 / self._lift(other).v)
        return self * other.reciprocal()

    def __rtruediv__(self, other: Any) -> Jet:
        return self.reciprocal() * other

    def __pow__(self, n: int) -> Jet:
        if not isinstance(n, int) or n < 0:
            raise TypeError(f"a Jet is raised to a non-negative integer power only, got {n!r}")
        v = self.v
        if n == 0:
            return self._constant(1)
        f1 = n * v ** (n - 1)
        f2 = n * (n - 1) * v ** (n - 2) if n >= 2 else self.ctx.zero
        return self.unary(v**n, f1, f2)

    def __repr__(self) -> str:
        return f"Jet({self.v}, g={self.g}, h={self.h})"


@overload
def _merge(left: dict[_Key, Any], right: dict[_Key, Any], sign: int) -> dict[_Key, Any]: ...
@overload
def _merge(
    left: dict[_Key, Any] | None, right: dict[_Key, Any] | None, sign: int
) -> dict[_Key, Any] | None: ...
def _merge(left: dict[_Key, Any] | None, right: dict[_Key, Any] | None, sign: int) -> dict[_Key, Any] | None:
    if left is None:
        return None
    assert right is not None  # jets of one context have one order
    out = dict(left)
    for k, x in right.items():
        if k in out:
            out[k] = out[k] + x if sign > 0 else out[k] - x
        else:
            out[k] = x if sign > 0 else -x
    return out


def _accumulate(into: dict[_Key, Any], items: dict[_Key, Any]) -> None:
    for k, x in items.items():
        into[k] = into[k] + x if k in into else x


class JetContext:
    """Looks like an mpmath context to the shared formulas, computing with :class:`Jet`.

    ``ctx`` is a plain or interval mpmath context; ``order`` is 2 (Hessians) or
    1 (gradients only, cheaper).
    """

    def __init__(self, ctx: Any, order: int = 2) -> None:
        if order not in (1, 2):
            raise ValueError(f"order must be 1 or 2, got {order!r}")
        self.ctx, self.order = ctx, order
        self.interval = is_interval(ctx)

    @property
    def zero(self) -> Jet:
        """The constant 0."""
        return self.constant(self.ctx.zero)

    def constant(self, value: Any) -> Jet:
        """A jet with no dependence on the variables."""
        return Jet(self.ctx, value, {}, None if self.order == 1 else {})

    def variable(self, value: Any, index: int, seed: Any = None) -> Jet:
        """The variable ``index`` at ``value``, with derivative ``seed`` (default 1; 0 drops it)."""
        seed = self.ctx.one if seed is None else seed
        g = {} if isinstance(seed, int) and seed == 0 else {index: seed}
        return Jet(self.ctx, value, g, None if self.order == 1 else {})

    def mpf(self, value: Any) -> Jet:
        """A constant, converted by the underlying context."""
        return self.constant(self.ctx.mpf(value))

    def fsum(self, terms: Iterable[Any]) -> Any:
        """The sum of jets (or numbers), accumulated in place (linear in the terms' sizes)."""
        terms = list(terms)
        jets = [t for t in terms if isinstance(t, Jet)]
        value = self.ctx.fsum([t.v if isinstance(t, Jet) else t for t in terms])
        if not jets:
            return value
        g: dict[int, Any] = {}
        h: dict[tuple[int, int], Any] | None = None if self.order == 1 else {}
        for jet in jets:
            _accumulate(g, jet.g)
            if h is not None:
                assert jet.h is not None  # jets of one context have one order
                _accumulate(h, jet.h)
        return Jet(self.ctx, value, g, h)

    def exp(self, u: Jet) -> Jet:
        """``exp(u)``."""
        e = self.ctx.exp(u.v)
        return u.unary(e, e, e)

    def log(self, u: Jet) -> Jet:
        """``log(u)``."""
        r = 1 / u.v
        return u.unary(self.ctx.log(u.v), r, -(r * r))

    def tanh(self, u: Jet) -> Jet:
        """``tanh(u)``; in intervals through ``1 - 2/(exp(2u) + 1)``, ``u`` once."""
        t = 1 - 2 / (self.ctx.exp(2 * u.v) + 1) if self.interval else self.ctx.tanh(u.v)
        slope = 1 - t**2
        return u.unary(t, slope, -2 * t * slope)
