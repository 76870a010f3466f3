r"""Rung 1: verified float64 interval arrays in numpy (infimum-supremum, midpoint-radius products).

An :class:`F64` holds arrays ``lo <= hi`` of float64 that enclose an array of real
numbers. Every elementwise operation rounds to nearest and then widens by one ulp
(:func:`~symcert.numeric.engine.elementary.down`, ``up``), which covers the rounding
error of that one operation in all cases (normal, subnormal, overflow to inf).

Matrix products use the midpoint-radius form (Rump 1999) with an a-priori bound
(Higham, Accuracy and Stability of Numerical Algorithms, ch. 3): a dot product of
length ``n`` computed in floating point *in any order, with or without FMA*
satisfies ``|fl(x.y) - x.y| <= gamma_n |x|.|y| + n eta``, ``gamma_n = n u/(1 - n u)``,
``u = 2^-53``, ``eta = 2^-1075`` (underflow of the products; additions do not
underflow inexactly). So for ``A = <Am, Ar>`` and ``B = <Bm, Br>``::

    AB in fl(Am Bm) +- [ (gamma_n |Am| + Ar) |Bm| + (|Am| + Ar) Br + n eta ]

and the bracket, a product of nonnegative matrices, is computed in floating
point, multiplied by ``1 + 2 gamma_{n+2}`` and increased by ``2 n eta`` (the underflow
of its own products) to bound it from above.

Assumptions, stated once: IEEE 754 binary64 with round to nearest (numpy's
default; no flush-to-zero), and a BLAS that computes each entry of a product as a
sum of the ``n`` products in some order (true of OpenBLAS, MKL, reference BLAS;
*not* of Strassen-like or other fast matrix multiplication, nor of mixed-precision
or reduced-precision "fast" modes). If an enclosure comes out NaN or infinite,
the rung is undecided and the ladder escalates.

>>> x = F64.exact(np.array([[1.0, 2.0]]))
>>> w = F64.exact(np.array([[3.0], [4.0]]))
>>> z = x @ w
>>> float(z.lo[0, 0]) <= 11.0 <= float(z.hi[0, 0])
True
>>> t = tanh(F64.exact(np.array([0.5])))
>>> float(t.lo[0]) < 0.46211715726000974 < float(t.hi[0])
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from symcert.numeric.engine.elementary import U, down, exp_bounds, expm1_bounds, log1p_bounds, log_bounds, up

__all__ = [
    "F64",
    "gamma",
    "exp",
    "log",
    "tanh",
    "sigmoid",
    "softplus",
    "relu",
    "leaky_relu",
]

_ETA = 2.0**-1074  # >= 2^-1075: bounds the underflow error of one product


def gamma(n: int) -> float:
    """A float at least ``gamma_n = n u / (1 - n u)`` (with slack for its own rounding)."""
    if n * U > 1e-3:
        raise ValueError(f"dot products of length {n} are beyond the float64 rung's error model")
    return (n + 1) * U * 1.01


class F64:
    """An array of real intervals ``[lo, hi]`` in float64 (rung 1 of the ladder)."""

    __slots__ = ("hi", "lo")
    __array_priority__ = 1000  # numpy defers to our operators

    def __init__(self, lo: np.ndarray, hi: np.ndarray) -> None:
        self.lo, self.hi = lo, hi

    @classmethod
    def exact(cls, values: Any) -> F64:
        """Exact float64 values (a degenerate interval)."""
        values = np.asarray(values, dtype=np.float64)
        return cls(values, values)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.lo.shape

    @property
    def T(self) -> F64:
        return F64(self.lo.T, self.hi.T)

    def __getitem__(self, key: Any) -> F64:
        return F64(self.lo[key], self.hi[key])

    def reshape(self, *shape: int) -> F64:
        return F64(self.lo.reshape(*shape), self.hi.reshape(*shape))

    def mid_rad(self) -> tuple[np.ndarray, np.ndarray]:
        """A midpoint and a radius with ``[lo, hi]`` inside ``mid +- rad``."""
        with np.errstate(all="ignore"):
            mid = 0.5 * self.lo + 0.5 * self.hi  # no overflow; rounding is covered by the radius
            rad = up(np.maximum(up(self.hi - mid), up(mid - self.lo)))
        return mid, rad

    # -- arithmetic -----------------------------------------------------------------

    def __neg__(self) -> F64:
        return F64(-self.hi, -self.lo)

    def __add__(self, other: Any) -> F64:
        a, b = _pair(other)
        with np.errstate(all="ignore"):
            return F64(down(self.lo + a), up(self.hi + b))

    __radd__ = __add__

    def __sub__(self, other: Any) -> F64:
        a, b = _pair(other)
        with np.errstate(all="ignore"):
            return F64(down(self.lo - b), up(self.hi - a))

    def __rsub__(self, other: Any) -> F64:
        return (-self) + other

    def __mul__(self, other: Any) -> F64:
        if isinstance(other, (int, float)) and float(other) >= 0:  # exact nonnegative constants
            with np.errstate(all="ignore"):
                return F64(down(self.lo * other), up(self.hi * other))
        a, b = _pair(other)
        with np.errstate(all="ignore"):
            p = (self.lo * a, self.lo * b, self.hi * a, self.hi * b)
            lo = np.minimum(np.minimum(p[0], p[1]), np.minimum(p[2], p[3]))
            hi = np.maximum(np.maximum(p[0], p[1]), np.maximum(p[2], p[3]))
            if np.isnan(lo).any() or np.isnan(hi).any():
                lo, hi = _zero_times_infinity(self, a, b, p)
        return F64(down(lo), up(hi))

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> F64:
        return self * reciprocal(other if isinstance(other, F64) else F64.exact(other))

    def __rtruediv__(self, other: Any) -> F64:
        return reciprocal(self) * other

    def square(self) -> F64:
        """``x^2``, tight (never below 0)."""
        with np.errstate(all="ignore"):
            a, b = self.lo * self.lo, self.hi * self.hi
            low = np.where((self.lo <= 0) & (self.hi >= 0), 0.0, np.minimum(a, b))
            return F64(np.maximum(down(low), 0.0), up(np.maximum(a, b)))

    def __matmul__(self, other: F64) -> F64:
        return matmul(self, other)

    def sum(self, axis: Any = None, keepdims: bool = False) -> F64:
        """The sum along ``axis`` (an int, a tuple, or None for all):
        ``|fl(sum) - sum| <= gamma_{n-1} sum |x|`` in any order."""
        axes = range(self.lo.ndim) if axis is None else (axis,) if isinstance(axis, int) else axis
        n = int(np.prod([self.lo.shape[a] for a in axes]))
        g = gamma(max(n, 1))
        kw = {"axis": axis, "keepdims": keepdims}
        with np.errstate(all="ignore"):
            slo, shi = np.sum(self.lo, **kw), np.sum(self.hi, **kw)
            elo = up(g * np.sum(np.abs(self.lo), **kw))
            ehi = up(g * np.sum(np.abs(self.hi), **kw))
            return F64(down(slo - elo), up(shi + ehi))

    def endpoints(self) -> tuple[float, float]:
        """The scalar's two endpoints (exact floats)."""
        return float(self.lo), float(self.hi)


def _pair(other: Any) -> tuple[Any, Any]:
    if isinstance(other, F64):
        return other.lo, other.hi
    if isinstance(other, (int, float)):
        return float(other), float(other)  # callers pass exactly representable constants only
    other = np.asarray(other, dtype=np.float64)
    return other, other


def _zero_times_infinity(x: F64, a: Any, b: Any, p: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Endpoint products where ``0 * inf`` appeared: an infinite endpoint stands for an unbounded
    real, and ``0`` times any real is ``0`` (the IEEE 1788 convention); NaN inputs stay NaN."""
    bad_inputs = np.isnan(x.lo) | np.isnan(x.hi) | np.isnan(a) | np.isnan(b)
    fixed = [np.where(np.isnan(q) & ~bad_inputs, 0.0, q) for q in p]
    lo = np.minimum(np.minimum(fixed[0], fixed[1]), np.minimum(fixed[2], fixed[3]))
    hi = np.maximum(np.maximum(fixed[0], fixed[1]), np.maximum(fixed[2], fixed[3]))
    return lo, hi


def reciprocal(x: F64) -> F64:
    """``1/x``; an interval containing 0 gives infinite bounds."""
    with np.errstate(all="ignore"):
        positive = (x.lo > 0) | (x.hi < 0)
        lo = np.where(positive, down(1.0 / x.hi), -np.inf)
        hi = np.where(positive, up(1.0 / x.lo), np.inf)
    return F64(lo, hi)


def matmul(a: F64, b: F64) -> F64:
    """``a @ b`` in midpoint-radius form with the a-priori error bound of the module docstring."""
    n = a.shape[-1]
    g = gamma(n)
    g2 = 2.0 * gamma(n + 2)
    am, ar = a.mid_rad()
    bm, br = b.mid_rad()
    with np.errstate(all="ignore"):
        cm = am @ bm
        abs_am = np.abs(am)
        left = up(up(g * abs_am) + ar) if a.lo is not a.hi else up(g * abs_am)
        rad = left @ np.abs(bm)
        if np.any(br):
            rad = rad + up(abs_am + ar) @ br
        rad = up(up(rad * (1.0 + g2)) + 3 * n * _ETA)  # underflow in the product and in the bound
        return F64(down(cm - rad), up(cm + rad))


# -- elementary functions (bounds from elementary.py, monotonicity stated for each) --------------


def _increasing(x: F64, bounds: Any) -> F64:
    """``[lower(f(lo)), upper(f(hi))]`` for an increasing ``f``, both endpoints in one call."""
    n = x.lo.size
    lo, hi = bounds(np.concatenate([np.ravel(x.lo), np.ravel(x.hi)]))
    return F64(lo[:n].reshape(x.lo.shape), hi[n:].reshape(x.hi.shape))


def exp(x: F64) -> F64:
    """``exp`` is increasing: ``[lo(exp(a)), hi(exp(b))]``."""
    return _increasing(x, exp_bounds)


def log(x: F64) -> F64:
    """``log`` is increasing on ``(0, inf)``."""
    return _increasing(x, log_bounds)


def _tanh_bounds(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of ``tanh(z)`` at exact ``z``: odd, so computed at ``|z|``.

    For ``s = |z|``: ``tanh s = e/(e + 2)`` with ``e = expm1(2s) >= 0``, increasing in ``e``.
    """
    s = np.abs(z)
    with np.errstate(all="ignore"):
        elo, ehi = expm1_bounds(2.0 * s)  # 2s is exact (or inf)
        lo = down(elo / up(elo + 2.0))
        hi = up(ehi / down(ehi + 2.0))
        hi = np.where(np.isnan(hi) & (s > 1), 1.0, np.minimum(hi, 1.0))  # inf/inf for huge s
        lo = np.maximum(lo, 0.0)
    neg = z < 0
    return np.where(neg, -hi, lo), np.where(neg, -lo, hi)


def tanh(x: F64) -> F64:
    """``tanh`` is increasing."""
    return _increasing(x, _tanh_bounds)


def _sigmoid_bounds(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``1/(1 + exp(-z))`` at exact ``z``: decreasing in ``exp(-z)``."""
    with np.errstate(all="ignore"):
        elo, ehi = exp_bounds(-z)
        lo = np.maximum(down(1.0 / up(1.0 + ehi)), 0.0)
        hi = np.minimum(up(1.0 / down(1.0 + elo)), 1.0)
    return lo, hi


def sigmoid(x: F64) -> F64:
    """``sigmoid`` is increasing."""
    return _increasing(x, _sigmoid_bounds)


def _softplus_bounds(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``log(1 + e^z) = max(z, 0) + log1p(exp(-|z|))`` at exact ``z``."""
    with np.errstate(all="ignore"):
        wlo, whi = exp_bounds(-np.abs(z))
        llo, lhi = log1p_bounds(wlo)[0], log1p_bounds(whi)[1]
        base = np.maximum(z, 0.0)
        return down(base + llo), up(base + lhi)


def softplus(x: F64) -> F64:
    """``softplus`` is increasing."""
    return _increasing(x, _softplus_bounds)


def relu(x: F64) -> F64:
    """``max(z, 0)`` from the endpoints (increasing)."""
    return F64(np.maximum(x.lo, 0.0), np.maximum(x.hi, 0.0))


def leaky_relu(x: F64, slope: float) -> F64:
    """``z`` for ``z > 0``, ``slope z`` otherwise (increasing); ``slope`` an exact float in (0, 1)."""
    with np.errstate(all="ignore"):
        lo = np.where(x.lo > 0, x.lo, down(x.lo * slope))
        hi = np.where(x.hi > 0, x.hi, up(x.hi * slope))
    return F64(lo, hi)
