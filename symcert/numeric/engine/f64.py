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

and the bracket, made of products of nonnegative matrices, is computed in floating
point, each product multiplied by ``1 + 2 gamma_{n+2}`` and the whole increased by ``2 n eta``
(the underflow of its own products) to bound it from above.

Exact entries (``lo == hi``) get the midpoint ``lo`` itself and the radius ``0``, exactly:
no rounding happens there, so the bound rests on the standard model above and on no
margin of :func:`~symcert.numeric.engine.elementary.up`. (Rounding ``0.5 lo + 0.5 hi`` instead
would move a subnormal midpoint by up to ``2^-1074``; a dropped radius then let the product
miss the true value when the other factor is near ``2^1000``.) Operands with no inexact entry
skip their radius products altogether, and ``gamma_n |Am| |Bm|`` is then computed as
``gamma_n (|Am| |Bm|)``: one product, no elementwise pass, and no subnormal operands.

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

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from symcert.numeric.engine.elementary import (
    U,
    blockwise,
    down,
    exp_bounds,
    log1p_bounds,
    log_bounds,
    up,
)
from symcert.numeric.engine.hyperbolic import (
    TANGENT_WIDTH,
    tanh_abs_bounds,
    tanh_ball_bounds,
    tanh_interval_bounds,
    tanh_point_ball,
    tanh_point_bounds,
)

__all__ = [
    "F64",
    "F64Ball",
    "gamma",
    "exp",
    "log",
    "tanh",
    "sigmoid",
    "softplus",
    "relu",
    "leaky_relu",
    "LeftOperand",
    "left_operand",
    "matmul_left",
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
        lo = self.lo.T
        return F64(lo, lo if self.hi is self.lo else self.hi.T)

    def __getitem__(self, key: Any) -> F64:
        lo = self.lo[key]
        return F64(lo, lo if self.hi is self.lo else self.hi[key])  # an exact array stays one array

    def reshape(self, *shape: int) -> F64:
        return F64(self.lo.reshape(*shape), self.hi.reshape(*shape))

    def mid_rad(self) -> tuple[np.ndarray, np.ndarray]:
        """A midpoint and a radius with ``[lo, hi]`` inside ``mid +- rad``.

        Where ``lo == hi`` the midpoint is ``lo`` and the radius exactly 0 (see :func:`_mid_rad`).

        >>> m, r = F64(np.array([5e-324, 1.0]), np.array([5e-324, 2.0])).mid_rad()
        >>> m.tolist(), bool(r[0] == 0.0), bool(m[1] - r[1] <= 1.0 and 2.0 <= m[1] + r[1])
        ([5e-324, 1.5], True, True)
        """
        mid, rad = _mid_rad(self)
        return mid, np.zeros_like(mid) if rad is None else rad

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
        if isinstance(other, F64):
            quick = _small_factor(other, self)
            if quick is None:
                quick = _small_factor(self, other)
            if quick is not None:
                return quick
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


class F64Ball(F64):
    """An array of real balls ``|x - mid| <= rad`` (``rad >= 0``), an :class:`F64` whose bounds are made
    only when read.

    A product reads ``mid`` and ``rad`` (:func:`_mid_rad`) instead of deriving them from ``lo`` and
    ``hi`` (passes, a widening, and two more arrays); every other operation reads ``lo`` and ``hi`` and
    returns a plain ``F64``. The bounds are ``bounds(mid, rad)`` when the maker of the balls gives
    a function it has proved to bound them (:func:`~.hyperbolic.tanh_ball_bounds`), else
    ``[down(mid - rad), up(mid + rad)]``, which holds for any ball.

    >>> x = F64Ball(np.array([1.0]), np.array([0.25]))
    >>> float(x.lo[0]) <= 0.75 and 1.25 <= float(x.hi[0]), x.shape
    (True, (1,))
    """

    __slots__ = ("_bounds", "_make", "mid", "rad")

    def __init__(self, mid: np.ndarray, rad: np.ndarray, bounds: Callable[..., Any] | None = None) -> None:
        self.mid, self.rad = mid, rad
        self._make = bounds
        self._bounds: tuple[np.ndarray, np.ndarray] | None = None

    def _endpoints(self) -> tuple[np.ndarray, np.ndarray]:
        if self._bounds is None:
            make = self._make if self._make is not None else _ball_bounds
            self._bounds = make(self.mid, self.rad)
        return self._bounds

    # read-only here: the bounds follow from the balls
    @property
    def lo(self) -> np.ndarray:  # type: ignore[override]
        return self._endpoints()[0]

    @property
    def hi(self) -> np.ndarray:  # type: ignore[override]
        return self._endpoints()[1]

    @property
    def shape(self) -> tuple[int, ...]:
        return self.mid.shape


def _ball_bounds(mid: np.ndarray, rad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``[down(mid - rad), up(mid + rad)]``: ``fl(mid -+ rad)`` is within one rounding of the real end."""
    with np.errstate(all="ignore"):
        return down(mid - rad), up(mid + rad)


def _pair(other: Any) -> tuple[Any, Any]:
    if isinstance(other, F64):
        return other.lo, other.hi
    if isinstance(other, (int, float)):
        return float(other), float(other)  # callers pass exactly representable constants only
    other = np.asarray(other, dtype=np.float64)
    return other, other


#: Entries of a factor small enough to inspect in :func:`_small_factor` (a column of stacked scalars).
_SMALL = 4096


def _small_factor(x: F64, y: F64) -> F64 | None:
    """``x * y`` in fewer passes when the small factor ``x`` is exact and of one sign, or ``[-h, h]``
    (None otherwise, or when the short form meets a NaN: the general product then decides).

    For an exact ``t >= 0``: ``t [a, b] = [t a, t b]``; for ``t <= 0``: ``[t b, t a]``; for
    ``[-h, h]`` with ``h >= 0``: ``[-h m, h m]`` with ``m = max(|a|, |b|)``. Each product is rounded
    outward (``down``, ``up``), as in the general product.

    >>> z = F64(np.array([[-1.0, 2.0]]), np.array([[3.0, 5.0]]))
    >>> s = F64(np.array([[-0.5]]), np.array([[0.5]]))
    >>> p = s * z
    >>> bool(p.lo[0, 1] <= -2.5 and p.hi[0, 1] >= 2.5 and p.hi[0, 1] < 2.5 + 1e-12)
    True
    """
    if x.lo.size > _SMALL or x.lo.size == 0 or np.broadcast_shapes(x.shape, y.shape) != y.shape:
        return None
    with np.errstate(all="ignore"):
        if np.array_equal(x.lo, x.hi):
            if (x.lo >= 0).all():
                out = F64(down(y.lo * x.lo), up(y.hi * x.lo))
            elif (x.lo <= 0).all():
                out = F64(down(y.hi * x.lo), up(y.lo * x.lo))
            else:
                return None
        elif np.array_equal(x.lo, -x.hi) and (x.hi >= 0).all():
            hi = up(np.maximum(np.abs(y.lo), np.abs(y.hi)) * x.hi)
            out = F64(-hi, hi)
        else:
            return None
        if np.isnan(out.lo).any() or np.isnan(out.hi).any():
            return None
    return out


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


def _mid_rad(x: F64) -> tuple[np.ndarray, np.ndarray | None]:
    """``(mid, rad)`` with ``[lo, hi]`` inside ``mid +- rad``; ``rad`` is None when every entry is exact.

    An :class:`F64Ball` gives its own ``mid`` and ``rad``. Otherwise exact entries (``lo == hi``,
    including infinite ones, which make the product NaN and the rung undecided) keep ``mid = lo`` and
    ``rad = 0``: the interval is the point ``mid`` itself.
    Elsewhere ``mid = fl(0.5 lo + 0.5 hi)`` is any float (no overflow) and
    ``rad = up(max(fl(hi - mid), fl(mid - lo)))``: rounding is monotone, so the max of the
    rounded differences is the rounded max, and ``up`` of a rounded value bounds the real one.
    """
    if isinstance(x, F64Ball):
        return x.mid, x.rad
    lo, hi = x.lo, x.hi
    if lo is hi or np.array_equal(lo, hi):
        return lo, None
    return blockwise(_mid_rad_block, lo, hi)


def _mid_rad_block(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(all="ignore"):
        mid = 0.5 * lo + 0.5 * hi
        rad = up(np.maximum(hi - mid, mid - lo))
        exact = lo == hi
        if exact.any():
            mid = np.where(exact, lo, mid)
            rad = np.where(exact, 0.0, rad)
    return mid, rad


def _left_block(g: float, am: np.ndarray, ar: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(up(up(g |am|) + ar), |am|)``, with 0 where ``am = ar = 0`` (``g 0 + 0`` is exactly 0)."""
    with np.errstate(all="ignore"):
        abs_am = np.abs(am)
        left = up(up(g * abs_am) + ar)
        zero = (am == 0) & (ar == 0)
        if zero.any():
            left = np.where(zero, 0.0, left)
    return left, abs_am


class LeftOperand(NamedTuple):
    """The elementwise parts of the left factor of a product of inner size ``n``: its midpoint, radius,
    ``up(up(gamma_n |mid|) + rad)`` and ``|mid|`` (``rad`` and ``left`` None when every entry is exact).

    Each part is entry by entry, so they may be rearranged alike (unfolded into patches, sliced,
    padded with entries that are 0 in every part, as an exact 0 is) before :func:`matmul_left`: a
    convolution computes them once per input entry instead of once per patch entry.
    """

    mid: np.ndarray
    rad: np.ndarray | None
    left: np.ndarray | None
    abs_mid: np.ndarray
    n: int


def left_operand(a: F64, n: int) -> LeftOperand:
    """The parts of ``a`` as the left factor of a product of inner size ``n`` (see :class:`LeftOperand`)."""
    am, ar = _mid_rad(a)
    with np.errstate(all="ignore"):
        if ar is None:
            return LeftOperand(am, None, None, np.abs(am), n)
        g = gamma(n)
        left, abs_am = blockwise(lambda m, r: _left_block(g, m, r), am, ar)
    return LeftOperand(am, ar, left, abs_am, n)


def matmul(a: F64, b: F64) -> F64:
    """``a @ b`` in midpoint-radius form with the a-priori error bound of the module docstring.

    Each radius product ``P`` of nonnegative matrices is computed as ``fl(P)``, with
    ``P <= fl(P) (1 + 2 gamma_{n+2}) + n eta``; there are at most two, and with the
    underflow of ``fl(Am Bm)`` itself the absolute terms total at most ``3 n eta``.
    """
    if b.shape[-1] <= NARROW:
        return _matmul_narrow(a, b)
    return matmul_left(left_operand(a, a.shape[-1]), b)


#: Right factors with at most this many columns take :func:`_matmul_narrow`: its extra product costs
#: less than the elementwise passes over the left factor that ``left_operand`` makes.
NARROW = 16


def _matmul_narrow(a: F64, b: F64) -> F64:
    """:func:`matmul` with the radius as a sum of products, and no elementwise pass over ``a`` but ``|Am|``.

    ``|AB - fl(Am Bm)| <= gamma_n |Am||Bm| + Ar |Bm| + |Am| Br + Ar Br + n eta``, each product of
    nonnegative matrices ``P`` computed as ``fl(P)`` with ``P <= fl(P) (1 + 2 gamma_{n+2}) + n eta``
    (``gamma_n |Am||Bm| <= up(g grow) fl(|Am||Bm|) + n eta``, as in :func:`matmul_left`): with the
    underflow of ``fl(Am Bm)``, one ``n eta`` per product and one more. Every sum rounded upward.
    """
    n = a.shape[-1]
    g = gamma(n)
    grow = 1.0 + 2.0 * gamma(n + 2)
    am, ar = _mid_rad(a)
    bm, br = _mid_rad(b)
    with np.errstate(all="ignore"):
        cm = am @ bm
        abs_am, abs_bm = np.abs(am), np.abs(bm)
        rad = up((abs_am @ abs_bm) * up(g * grow))
        products = 1
        for left, right in ((ar, abs_bm), (abs_am, br), (ar, br)):
            if left is not None and right is not None:
                rad = up(rad + up((left @ right) * grow))
                products += 1
        rad = up(rad + (products + 1) * n * _ETA)
        return F64(down(cm - rad), up(cm + rad))


def matmul_left(a: LeftOperand, b: F64) -> F64:
    """:func:`matmul` with the left factor's parts already made (and perhaps rearranged)."""
    n = a.n
    if a.mid.shape[-1] != n:
        raise ValueError(f"the left factor was prepared for inner size {n}, got {a.mid.shape[-1]}")
    g = gamma(n)
    grow = 1.0 + 2.0 * gamma(n + 2)
    am, ar, abs_am = a.mid, a.rad, a.abs_mid
    bm, br = _mid_rad(b)
    with np.errstate(all="ignore"):
        cm = am @ bm
        abs_bm = np.abs(bm)
        if ar is None:
            # gamma_n |Am| |Bm| <= g (fl(|Am| |Bm|) grow + n eta) <= up(g grow) fl(|Am| |Bm|) + n eta.
            rad = up((abs_am @ abs_bm) * up(g * grow))
        else:
            rad = up((a.left @ abs_bm) * grow)
        if br is not None:
            left = abs_am if ar is None else up(abs_am + ar)
            rad = up(rad + up((left @ br) * grow))
        rad = up(rad + 3 * n * _ETA)  # underflow in the product and in the bound
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


# tanh: symcert.numeric.engine.hyperbolic (one evaluation, a-priori error); the old names stay.
_tanh_abs_bounds = tanh_abs_bounds
_tanh_bounds = tanh_point_bounds
_tanh_interval = tanh_interval_bounds
_TANGENT_WIDTH = TANGENT_WIDTH


def tanh(x: F64) -> F64:
    """``tanh`` is increasing (bounds by :func:`_tanh_interval`, block by block); at exact arguments an
    :class:`F64Ball` (:func:`~.hyperbolic.tanh_point_ball`)."""
    if x.lo is x.hi:  # exact arguments: balls from one evaluation, the bounds from them when read
        mid, rad = blockwise(tanh_point_ball, x.lo)
        return F64Ball(mid, rad, tanh_ball_bounds)
    return F64(*blockwise(_tanh_interval, x.lo, x.hi))


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
