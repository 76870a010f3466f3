"""Checks at the numeric layer's boundary: each bad input raises one clear sentence.

>>> from symcert import MLP, Dataset, Loss
>>> loss = Loss(MLP((1, 1, 1)), Dataset([[1]], [[0]]))
>>> require_point(loss, MLP((1, 2, 1)).random_point(0))
Traceback (most recent call last):
...
symcert.errors.SpecificationError: the point belongs to the 1-2-1 tanh network (7 parameters), \
not to the loss's 1-1-1 tanh network (4 parameters); build it with that network's point(...)
>>> require_exact_t(0.5)
Traceback (most recent call last):
...
symcert.errors.SpecificationError: t must be exact (int, Fraction, SymPy Rational or a string \
such as '1/2'), got the float 0.5; floats never prove
"""

from __future__ import annotations

from fractions import Fraction
from numbers import Integral

import sympy

from symcert.errors import Hint, SpecificationError, SymcertError
from symcert.symbolic.exact import to_rational
from symcert.symbolic.losses import Loss
from symcert.symbolic.point import Point

__all__ = ["require_loss", "require_point", "require_exact_t", "require_smooth"]


def require_loss(loss: object) -> Loss:
    """``loss`` itself, when it is a :class:`~symcert.symbolic.losses.Loss`."""
    if not isinstance(loss, Loss):
        raise SpecificationError(
            f"expected a Loss, got {type(loss).__name__}; build one with Loss(mlp, data)"
        )
    return loss


def require_point(loss: Loss, point: object, name: str = "the point") -> Point:
    """``point``, when it is an exact :class:`~symcert.symbolic.point.Point` of ``loss.mlp``."""
    require_loss(loss)
    if not isinstance(point, Point):
        raise SpecificationError(
            f"{name} must be an exact Point, got {type(point).__name__}; "
            "build it with mlp.point(...) or mlp.point_from_values(...)"
        )
    if point.mlp != loss.mlp:
        raise SpecificationError(
            f"{name} belongs to the {point.mlp.describe()}, not to the loss's {loss.mlp.describe()}; "
            "build it with that network's point(...)"
        )
    return point


def require_exact_t(t: object, name: str = "t") -> sympy.Rational:
    """``t`` as an exact rational; floats are refused, since floats never prove."""
    if isinstance(t, float) or (not isinstance(t, (Integral, Fraction, str, sympy.Basic))):
        kind = f"the float {t!r}" if isinstance(t, float) else f"{type(t).__name__} {t!r}"
        raise SpecificationError(
            f"{name} must be exact (int, Fraction, SymPy Rational or a string such as '1/2'), "
            f"got {kind}; floats never prove"
        )
    try:
        return to_rational(t, name)
    except SymcertError as error:
        raise SpecificationError(str(error)) from None


def require_smooth(loss: Loss, what: str) -> None:
    """Refuse derivatives of a loss whose hidden activation is not smooth (ReLU, leaky ReLU)."""
    act = loss.mlp.activation
    if loss.mlp.hidden_layers and not act.smooth:
        raise SpecificationError(
            f"{what} needs a smooth hidden activation, got {act.label!r} (not differentiable at 0); "
            "use tanh, sigmoid, softplus, identity, square or cube",
            hint=Hint(
                "{what} needs a smooth hidden activation, got {got} (not differentiable at 0); use "
                "{activation:tanh} (or sigmoid, softplus, identity, square, cube)",
                what=what,
                got=act.label,
            ),
        )
