"""The arithmetics a graph is evaluated in: float64 (numpy), exact rationals, mpmath at a given precision.

One formula per layer (its ``forward``) serves all three: an arithmetic supplies the few operations a
layer needs beyond ``+ - * /`` on numpy arrays (parameters and constants in its number type, zeros,
``sqrt``, ``exp`` and the activations, read from the activation's own forms).

- :class:`Float64`: numpy float64. Search and comparison only, never proof.
- :class:`Exact`: object arrays of :class:`fractions.Fraction`. Exact where every operation is rational:
  ReLU, leaky ReLU and the polynomial activations, pooling, dense and conv layers, batch norm where
  ``var + eps`` is a rational square. Anything else (tanh, softmax, a square root that is irrational)
  raises :class:`~symcert.errors.ExactnessError` naming it, rather than rounding.
- :class:`Mp`: object arrays of mpmath numbers at ``dps`` digits in a fresh context: high precision
  evidence (not an enclosure, so not proof).

>>> from fractions import Fraction
>>> Exact().sqrt(np.array([Fraction(9, 4)], dtype=object))
array([Fraction(3, 2)], dtype=object)
>>> Exact().sqrt(np.array([Fraction(2)], dtype=object))
Traceback (most recent call last):
...
symcert.errors.ExactnessError: sqrt(2) is irrational, so this graph has no exact rational value here; \
evaluate it with arithmetic='mpmath' (evidence) or choose statistics with var + eps a rational square
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import mpmath
import numpy as np

from symcert.errors import ExactnessError, SpecificationError
from symcert.symbolic.activations import Activation

__all__ = ["Arithmetic", "Float64", "Exact", "Mp", "arithmetic"]


class Arithmetic:
    """The operations a layer's ``forward`` needs besides numpy's ``+ - * /`` (see the module text)."""

    name = ""

    def param(self, values: np.ndarray) -> np.ndarray:
        """Exact parameters (an object array of ``Fraction``) in this arithmetic."""
        raise NotImplementedError

    def constant(self, value: Fraction) -> Any:
        """One exact number in this arithmetic."""
        raise NotImplementedError

    def integers(self, values: np.ndarray) -> np.ndarray:
        """An integer array in this arithmetic (counts for averages)."""
        return self.param(np.vectorize(Fraction, otypes=[object])(values))

    def zeros(self, shape: tuple[int, ...]) -> np.ndarray:
        """An array of zeros (padding)."""
        raise NotImplementedError

    def sqrt(self, values: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def exp(self, values: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def activation(self, function: Activation, values: np.ndarray) -> np.ndarray:
        """``function`` elementwise, from its own entry's form for this arithmetic."""
        raise NotImplementedError


class Float64(Arithmetic):
    """numpy float64 (never proof)."""

    name = "float64"

    def param(self, values: np.ndarray) -> np.ndarray:
        return np.asarray(values, dtype=float)

    def constant(self, value: Fraction) -> float:
        return float(value)

    def zeros(self, shape: tuple[int, ...]) -> np.ndarray:
        return np.zeros(shape)

    def sqrt(self, values: np.ndarray) -> np.ndarray:
        return np.sqrt(values)

    def exp(self, values: np.ndarray) -> np.ndarray:
        return np.exp(values)

    def activation(self, function: Activation, values: np.ndarray) -> np.ndarray:
        return function.float64(values)


class _FractionContext:
    """Just enough of an mpmath context for the rational activations' ``_mp`` forms, on ``Fraction``."""

    zero = Fraction(0)
    one = Fraction(1)

    @staticmethod
    def mpf(value: Any) -> Fraction:
        return Fraction(value)


def _exact_sqrt(q: Fraction) -> Fraction:
    if q >= 0:
        n, d = math.isqrt(q.numerator), math.isqrt(q.denominator)
        if n * n == q.numerator and d * d == q.denominator:
            return Fraction(n, d)
    raise ExactnessError(
        f"sqrt({q}) is irrational, so this graph has no exact rational value here; evaluate it with "
        "arithmetic='mpmath' (evidence) or choose statistics with var + eps a rational square"
    )


class Exact(Arithmetic):
    """Exact rationals (object arrays of ``Fraction``)."""

    name = "exact"

    def param(self, values: np.ndarray) -> np.ndarray:
        return values

    def constant(self, value: Fraction) -> Fraction:
        return Fraction(value)

    def zeros(self, shape: tuple[int, ...]) -> np.ndarray:
        return np.full(shape, Fraction(0), dtype=object)

    def sqrt(self, values: np.ndarray) -> np.ndarray:
        return np.vectorize(_exact_sqrt, otypes=[object])(values)

    def exp(self, values: np.ndarray) -> np.ndarray:
        raise ExactnessError(
            "exp (softmax) has no exact rational value at rational points except 0; evaluate with "
            "arithmetic='mpmath' (evidence) or compare the logits instead"
        )

    def activation(self, function: Activation, values: np.ndarray) -> np.ndarray:
        if not function.exact:
            raise ExactnessError(
                f"{function.label} is neither polynomial nor piecewise linear, so it has no exact rational "
                "value; evaluate with arithmetic='mpmath' (evidence, not proof)"
            )
        return np.vectorize(lambda u: function.mp(_FractionContext, u), otypes=[object])(values)


class Mp(Arithmetic):
    """mpmath numbers at ``dps`` decimal digits, in a context of their own (evidence, not proof)."""

    name = "mpmath"

    def __init__(self, dps: int = 50) -> None:
        if not isinstance(dps, int) or dps < 15:
            raise SpecificationError(f"dps must be an integer >= 15, got {dps!r}")
        self.ctx = mpmath.MPContext()
        self.ctx.dps = dps

    def _mpf(self, q: Any) -> Any:
        q = Fraction(q)
        return self.ctx.mpf(q.numerator) / q.denominator

    def param(self, values: np.ndarray) -> np.ndarray:
        return np.vectorize(self._mpf, otypes=[object])(values)

    def constant(self, value: Fraction) -> Any:
        return self._mpf(value)

    def zeros(self, shape: tuple[int, ...]) -> np.ndarray:
        return np.full(shape, self.ctx.zero, dtype=object)

    def sqrt(self, values: np.ndarray) -> np.ndarray:
        return np.vectorize(self.ctx.sqrt, otypes=[object])(values)

    def exp(self, values: np.ndarray) -> np.ndarray:
        return np.vectorize(self.ctx.exp, otypes=[object])(values)

    def activation(self, function: Activation, values: np.ndarray) -> np.ndarray:
        return np.vectorize(lambda u: function.mp(self.ctx, u), otypes=[object])(values)


def arithmetic(name: str, dps: int = 50) -> Arithmetic:
    """The arithmetic called ``name``: ``"float64"``, ``"exact"`` or ``"mpmath"`` (at ``dps`` digits).

    >>> arithmetic("exact").name
    'exact'
    """
    if name == "float64":
        return Float64()
    if name == "exact":
        return Exact()
    if name == "mpmath":
        return Mp(dps)
    raise SpecificationError(f"arithmetic must be 'float64', 'exact' or 'mpmath', got {name!r}")
