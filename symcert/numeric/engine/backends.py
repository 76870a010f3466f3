"""The two rigorous arithmetics the engine runs on, behind one small interface.

- :class:`F64Backend` (rung 1): verified float64 intervals (:mod:`.f64`).
- :class:`ArbBackend` (rung 2): Arb balls from python-flint at ``prec`` bits, as numpy
  object arrays of ``arb`` (elementwise) and ``arb_mat`` / ``fmpz_mat`` (products).
  Arb's balls are rigorous by construction (Johansson 2017); flint's global
  precision is set only inside :meth:`ArbBackend.active` and restored after.

Both take exact layouts (:mod:`.layout`) in, and give exact rational endpoints out.
The first layer is exact where it pays: integer numerators multiplied exactly
(in float64 when every partial sum stays below ``2^53``, else with ``fmpz_mat``),
then one rounding when dividing by the denominator.

>>> from fractions import Fraction
>>> import numpy as np
>>> from symcert.numeric.engine.layout import Exact
>>> x = Exact(np.array([[1, 3]], dtype=object), 4)
>>> for bk in (F64Backend(), ArbBackend(30)):
...     with bk.active():
...         lo, hi = bk.endpoints(bk.sum(bk.array(x), axis=None))
...     print(bk.name, lo <= 1 <= hi)
float64 True
arb True
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import numpy as np

from symcert.numeric.engine import f64
from symcert.numeric.engine.elementary import down, up
from symcert.numeric.engine.f64 import F64
from symcert.numeric.engine.layout import Exact

__all__ = ["F64Backend", "ArbBackend", "F64_DPS"]

#: The decimal precision recorded for the float64 rung (binary64 carries 15-17 digits).
F64_DPS = 15
_TWO53 = 2**53
_TWO62 = 2**62


def _pow2(n: int) -> int | None:
    return n.bit_length() - 1 if n > 0 and n & (n - 1) == 0 else None


class F64Backend:
    """Rung 1: verified float64 intervals."""

    name = "float64"
    dps = F64_DPS

    @contextlib.contextmanager
    def active(self) -> Iterator[None]:
        """Overflow to inf and NaN are part of the arithmetic here (they end in "undecided")."""
        with np.errstate(all="ignore"):
            yield

    # -- conversion -------------------------------------------------------------------------------

    def array(self, x: Exact) -> F64:
        """An enclosure of the exact array ``x.num / x.den`` (converted once per array)."""
        if "f64" not in x.memo:
            exact = x.memo.get("exact_f64")  # the values themselves as float64 (data read as floats)
            x.memo["f64"] = F64.exact(exact) if exact is not None else self._convert(x)
        return x.memo["f64"]

    def _convert(self, x: Exact) -> F64:
        den = x.den
        k = _pow2(den)
        small = x.max_abs_num() < _TWO53
        if k is not None and k <= 960 and small:
            # exact: no rounding, no underflow; scaled in place, the float numerators are not kept
            values = x.memo["num_f64"] * 2.0**-k if "num_f64" in x.memo else _numerators(x)
            if "num_f64" not in x.memo:
                values *= 2.0**-k
            return F64.exact(values)
        if k is not None and k <= 960 and x.max_abs_num() < _TWO62:
            # Numerators beyond 2^53 from floats (pixels k/255 as float64 over 2^60) still have at most
            # 53 significant bits: exact as floats exactly when they convert back to the same integers.
            ints = x.memo["int64"] if "int64" in x.memo else x.num.astype(np.int64)
            floats = ints.astype(np.float64)
            if _round_trips(floats, ints):
                floats *= 2.0**-k  # in place: exact (a power of two, no underflow for k <= 960)
                return F64.exact(floats)
        if small and den < _TWO53:
            # num and den are exact floats and IEEE division is correctly rounded: the same float as
            # int(n) / den below; zeros are exact (no widening, no subnormal radius).
            with np.errstate(all="ignore"):
                mid = _floats(x) / float(den)
                zero = mid == 0
                return F64(np.where(zero, 0.0, down(mid)), np.where(zero, 0.0, up(mid)))
        num = x.num
        flat = num.ravel()
        mid = np.empty(flat.shape, dtype=np.float64)
        for i, n in enumerate(flat):
            try:
                mid[i] = int(n) / den  # correctly rounded (CPython)
            except OverflowError:
                mid[i] = math.copysign(np.inf, n)
        with np.errstate(all="ignore"):
            lo, hi = down(mid), up(mid)
        return F64(lo.reshape(num.shape), hi.reshape(num.shape))

    def constant(self, value: Fraction) -> F64:
        return self.array(
            Exact(np.array(Fraction(value).numerator, dtype=object), Fraction(value).denominator)
        )

    def exact_product(self, x: Exact, w: Exact | tuple) -> F64 | None:
        """``x.num @ w.num.T / (x.den w.den)`` with the integer product exact in float64, if it fits.

        ``w`` may be a tuple of layouts (a stack of points): then all or none.
        """
        if isinstance(w, tuple):
            parts = [self.exact_product(x, one) for one in w]
            if any(p is None for p in parts):
                return None
            return self.stack([p for p in parts if p is not None])
        bx, bw = x.max_abs_num(), w.max_abs_num()
        if bx >= _TWO53 or bw >= _TWO53 or bx * bw * max(x.shape[-1], 1) >= _TWO53:
            return None
        p = _floats(x) @ _floats(w).T  # every partial sum exact
        den = x.den * w.den
        k = _pow2(den)
        if k is not None and k <= 960:
            return F64.exact(p * 2.0**-k)
        return F64.exact(p) / self.constant(Fraction(den))

    def exact_affine(self, x: Exact, w: Exact | tuple, b: Exact | tuple) -> F64 | None:
        """``x w^T + b`` (``b`` a row) as exact floats, if every partial result is exact; else None.

        When ``x.den w.den`` and ``b.den`` divide ``D = 2^k`` (``k <= 960``) and every numerator is
        below ``2^53``: ``x w^T = p 2^-j`` with ``p = x.num w.num^T`` computed exactly in float64 (every
        partial sum an integer below ``2^53``, as in :meth:`exact_product`) and ``2^j = x.den w.den``,
        so ``z = p 2^-j + b`` is ``N 2^-k`` with an integer ``|N| <= |x.num| |w.num| n 2^(k - j) +
        |b.num| 2^k / b.den``: when that is below ``2^53``, the scaling and the sum are exact floats
        (normal, ``k <= 960``). ``w`` and ``b`` may be tuples (a stack of points): then all or none.
        """
        if isinstance(w, tuple) and isinstance(b, tuple):
            plans = [self._affine_plan(x, one, bias) for one, bias in zip(w, b)]
            if any(plan is None for plan in plans) or not plans:
                return None
            out = np.empty((len(plans), x.shape[0], w[0].shape[0]))
            for i, (one, plan) in enumerate(zip(w, plans)):
                assert plan is not None  # checked above
                _affine_into(out[i], x, one, *plan)
            return F64.exact(out)
        if isinstance(w, tuple) or isinstance(b, tuple):
            return None
        plan = self._affine_plan(x, w, b)
        if plan is None:
            return None
        out = np.empty((x.shape[0], w.shape[0]))
        _affine_into(out, x, w, *plan)
        return F64.exact(out)

    def _affine_plan(self, x: Exact, w: Exact, b: Exact) -> tuple[float, np.ndarray] | None:
        """``(2^-j, b as exact floats)`` when :meth:`exact_affine`'s sum is exact, else None."""
        bx, bw, bb = x.max_abs_num(), w.max_abs_num(), b.max_abs_num()
        d = x.den * w.den
        D = math.lcm(d, b.den)
        k, j = _pow2(D), _pow2(d)
        if k is None or j is None or k > 960 or max(bx, bw, bb) >= _TWO53:
            return None
        if bx * bw * max(x.shape[-1], 1) * (D // d) + bb * (D // b.den) >= _TWO53:
            return None
        bias = self.array(b)
        if bias.lo is not bias.hi:  # not exact floats (cannot happen under the bounds above)
            return None
        return 2.0**-j, bias.lo

    # -- operations -------------------------------------------------------------------------------

    def matmul(self, a: F64, b: F64) -> F64:
        return f64.matmul(a, b)

    def stack(self, items: list[F64]) -> F64:
        """One enclosure with a leading axis; exact items (``lo is hi``) stay one array, stacked once."""
        lo = np.stack([i.lo for i in items])
        if all(i.lo is i.hi for i in items):
            return F64(lo, lo)
        return F64(lo, np.stack([i.hi for i in items]))

    def transpose(self, x: F64) -> F64:
        """The last two axes swapped; exact arrays (``lo is hi``) stay one array, known exact."""
        lo = np.swapaxes(x.lo, -1, -2)
        return F64(lo, lo if x.hi is x.lo else np.swapaxes(x.hi, -1, -2))

    def square(self, x: F64) -> F64:
        return x.square()

    def zero_diagonal(self, x: F64) -> F64:
        """``x`` with its last two axes' diagonal set to exactly 0."""
        eye = np.eye(x.shape[-1], dtype=bool)
        return F64(np.where(eye, 0.0, x.lo), np.where(eye, 0.0, x.hi))

    def sum(self, x: F64, axis: Any) -> F64:
        return x.sum(axis)

    def others_sum(self, e: F64) -> F64:
        """``S_k = sum_{j != k} e_j`` along the last axis, for enclosures of reals ``e >= 0``.

        From prefix and suffix sums (``S_k = P_{k-1} + Q_{k+1}``), each entry of ``e`` entering
        ``S_k`` once, with no ``(.., n, n)`` array: a computed partial sum of ``i <= n`` nonnegative
        terms, in any order, is within ``gamma_n`` times the exact sum (module :mod:`.f64`), so the
        exact sum of the lower ends is at least ``fl (1 - gamma_n)`` and that of the upper ends at most
        ``fl (1 + 2 gamma_n)``; the final addition is rounded outward.

        >>> e = F64.exact(np.array([[1.0, 2.0, 4.0]]))
        >>> s = F64Backend().others_sum(e)
        >>> [bool(lo <= v <= hi) for lo, hi, v in zip(s.lo[0], s.hi[0], [6.0, 5.0, 3.0])]
        [True, True, True]
        """
        n = e.shape[-1]
        g = f64.gamma(max(n, 1))
        with np.errstate(all="ignore"):
            lo, hi = np.maximum(e.lo, 0.0), e.hi
            pad = np.zeros((*lo.shape[:-1], 1))
            parts = []
            for side, grow in ((lo, False), (hi, True)):
                prefix = np.concatenate([pad, np.cumsum(side, axis=-1)[..., :-1]], axis=-1)
                backward = np.cumsum(side[..., ::-1], axis=-1)[..., ::-1]
                suffix = np.concatenate([backward[..., 1:], pad], axis=-1)
                if grow:
                    parts.append(up(up(prefix * (1 + 2 * g)) + up(suffix * (1 + 2 * g))))
                else:
                    parts.append(np.maximum(down(down(prefix * (1 - g)) + down(suffix * (1 - g))), 0.0))
        return F64(parts[0], parts[1])

    def nonnegative_ratio(self, a: F64, b: F64) -> F64:
        """``a / b`` for enclosures of reals ``a >= 0``, ``b > 0`` (``b``'s lower end may have underflowed
        to 0: the ratio is then unbounded above, not undefined)."""
        with np.errstate(all="ignore"):
            lo = np.maximum(down(np.maximum(a.lo, 0.0) / b.hi), 0.0)
            hi = np.where(a.hi <= 0, 0.0, up(a.hi / np.maximum(b.lo, 0.0)))
        return F64(lo, hi)

    def rowsum(self, x: F64) -> F64:
        return x.sum(-1, keepdims=True)

    def exp(self, x: F64) -> F64:
        return f64.exp(x)

    def log(self, x: F64) -> F64:
        return f64.log(x)

    def tanh(self, x: F64) -> F64:
        return f64.tanh(x)

    def sigmoid(self, x: F64) -> F64:
        return f64.sigmoid(x)

    def softplus(self, x: F64) -> F64:
        return f64.softplus(x)

    def relu(self, x: F64) -> F64:
        return f64.relu(x)

    def leaky_relu(self, x: F64, slope: Fraction) -> F64:
        s = self.constant(slope)
        with np.errstate(all="ignore"):
            lo = np.where(x.lo > 0, x.lo, down(x.lo * float(s.hi)))
            hi = np.where(x.hi > 0, x.hi, up(x.hi * float(s.lo)))
        return F64(lo, hi)

    def row_max_mid(self, x: F64) -> F64:
        """An exact float per row (a shift for log-sum-exp): the largest midpoint, as a column."""
        m = np.max(0.5 * x.lo + 0.5 * x.hi, axis=-1, keepdims=True)
        m = np.where(np.isfinite(m), m, 0.0)
        return F64.exact(m)

    def endpoints(self, x: F64) -> tuple[Fraction, Fraction]:
        """Exact endpoints of a scalar enclosure."""
        lo, hi = float(np.asarray(x.lo).reshape(())), float(np.asarray(x.hi).reshape(()))
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise ArithmeticError("the float64 enclosure is unbounded or NaN")
        return Fraction(lo), Fraction(hi)


def _affine_into(out: np.ndarray, x: Exact, w: Exact, scale: float, bias: np.ndarray) -> None:
    """``out = fl(fl(x.num w.num^T) scale + bias)`` in place (exact under :meth:`F64Backend.exact_affine`)."""
    np.matmul(_floats(x), _floats(w).T, out=out)
    out *= scale
    out += bias


def _floats(x: Exact) -> np.ndarray:
    if "num_f64" not in x.memo:
        x.memo["num_f64"] = _numerators(x)
    return x.memo["num_f64"]


def _round_trips(floats: np.ndarray, ints: np.ndarray, block: int = 1 << 16) -> bool:
    """Every float converts back to its integer (so each is exact), checked a block at a time: the
    temporary is one block, not a second copy of a large array.

    >>> _round_trips(np.array([2.0**60, 3.0]), np.array([2**60, 3]))
    True
    >>> _round_trips(np.array([2.0**60]), np.array([2**60 + 1]))
    False
    """
    f, i = floats.reshape(-1), ints.reshape(-1)
    return all(
        np.array_equal(f[s : s + block].astype(np.int64), i[s : s + block]) for s in range(0, f.size, block)
    )


def _numerators(x: Exact) -> np.ndarray:
    """``x``'s numerators as float64, a new array: used where every ``|num| < 2^53``, so exact from
    Python ints or int64 alike."""
    return x.int64_or_num().astype(np.float64)


def _ufunc(name: str) -> Any:
    return np.frompyfunc(lambda v: getattr(v, name)(), 1, 1)


class ArbBackend:
    """Rung 2: Arb balls at ``prec`` bits (python-flint)."""

    name = "arb"

    def __init__(self, dps: int) -> None:
        self.dps = dps
        self.prec = int(dps * 3.3219280948873626) + 8

    @contextlib.contextmanager
    def active(self) -> Iterator[None]:
        import flint

        saved = flint.ctx.prec
        flint.ctx.prec = self.prec
        try:
            yield
        finally:
            flint.ctx.prec = saved

    def array(self, x: Exact) -> np.ndarray:
        from flint import arb

        den = x.den
        convert = np.frompyfunc((lambda n: arb(int(n))) if den == 1 else (lambda n: arb(int(n)) / den), 1, 1)
        return np.asarray(convert(x.num), dtype=object)

    def constant(self, value: Fraction) -> Any:
        from flint import arb

        value = Fraction(value)
        return arb(value.numerator) / value.denominator

    def exact_affine(self, x: Exact, w: Exact | tuple, b: Exact | tuple) -> None:
        """Not taken here: Arb adds the bias to the exact product itself (rigorous by construction)."""
        return None

    def exact_product(self, x: Exact, w: Exact) -> np.ndarray:
        from flint import arb_mat, fmpz_mat

        n, d = x.num.shape
        m = w.num.shape[0]
        px = fmpz_mat(n, d, [int(v) for v in x.num.ravel()])
        pw = fmpz_mat(d, m, [int(v) for v in w.num.T.ravel()])
        return self._from_mat(arb_mat(px * pw) / (x.den * w.den))

    @staticmethod
    def _to_mat(a: np.ndarray) -> Any:
        from flint import arb_mat

        a2 = a.reshape(a.shape[0], -1) if a.ndim == 2 else a.reshape(1, -1)
        return arb_mat(a2.tolist())

    @staticmethod
    def _from_mat(m: Any) -> np.ndarray:
        out = np.empty((m.nrows(), m.ncols()), dtype=object)
        out[...] = m.tolist()
        return out

    def matmul(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return self._from_mat(self._to_mat(a) * self._to_mat(b))

    def stack(self, items: list) -> np.ndarray:
        return np.stack(items)

    def transpose(self, x: np.ndarray) -> np.ndarray:
        return np.swapaxes(x, -1, -2)

    def rowsum(self, x: np.ndarray) -> np.ndarray:
        return np.sum(x, axis=-1, keepdims=True)

    def zero_diagonal(self, x: np.ndarray) -> np.ndarray:
        from flint import arb

        # numpy's stubs take numbers only: an object array holds arb balls
        return np.where(np.eye(x.shape[-1], dtype=bool), arb(0), x)  # type: ignore[call-overload]

    def others_sum(self, e: np.ndarray) -> np.ndarray:
        """``S_k = sum_{j != k} e_j`` along the last axis (Arb sums each, ``e_k`` replaced by 0)."""
        return self.sum(self.zero_diagonal(e[..., None, :]), axis=-1)

    def square(self, x: np.ndarray) -> np.ndarray:
        return x * x  # sound (a product of two enclosures); ** on a ball containing 0 gives NaN

    def nonnegative_ratio(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """``a / b`` (Arb's exponent range is unbounded: ``b`` never underflows to 0)."""
        return a / b

    def sum(self, x: np.ndarray, axis: Any) -> Any:
        from flint import arb

        return np.sum(x, axis=axis, initial=arb(0))  # type: ignore[call-overload]  # as in zero_diagonal

    def exp(self, x: np.ndarray) -> np.ndarray:
        return _ufunc("exp")(x)

    def log(self, x: np.ndarray) -> np.ndarray:
        return _ufunc("log")(x)

    def tanh(self, x: np.ndarray) -> np.ndarray:
        return _ufunc("tanh")(x)

    def sigmoid(self, x: np.ndarray) -> np.ndarray:
        return 1 / (1 + _ufunc("exp")(-x))

    def softplus(self, x: np.ndarray) -> np.ndarray:
        # log(1 + e^z) = max(z, 0) + log1p(e^{-|z|}): never overflows.
        return np.frompyfunc(lambda z: _softplus_arb(z), 1, 1)(x)

    def relu(self, x: np.ndarray) -> np.ndarray:
        return np.frompyfunc(lambda z: _piecewise(z, 0), 1, 1)(x)

    def leaky_relu(self, x: np.ndarray, slope: Fraction) -> np.ndarray:
        s = self.constant(slope)
        return np.frompyfunc(lambda z: _piecewise(z, s), 1, 1)(x)

    def row_max_mid(self, x: np.ndarray) -> np.ndarray:
        from flint import arb

        mids = np.frompyfunc(lambda v: arb(v.mid()), 1, 1)(x)
        return np.asarray(
            [[max(row, key=float)] for row in mids.reshape(-1, x.shape[-1])], dtype=object
        ).reshape((*x.shape[:-1], 1))

    def endpoints(self, x: Any) -> tuple[Fraction, Fraction]:
        if isinstance(x, np.ndarray):
            x = x.reshape(()).item()
        if not x.is_finite() or x.mid().abs_upper() > _HUGE or x.rad() > _HUGE:
            raise ArithmeticError("the Arb enclosure is unbounded, NaN or beyond 2^4096")
        mid, rad = _exact(x.mid()), _exact(x.rad())
        # Outward to the grid 2^-(4 prec + 64): exact endpoints with bounded denominators.
        scale = 2 ** (4 * self.prec + 64)
        return (
            Fraction(math.floor((mid - rad) * scale), scale),
            Fraction(-math.floor(-(mid + rad) * scale), scale),
        )


_HUGE = 2**4096


def _exact(value: Any) -> Fraction:
    man, exp = value.man_exp()
    man, exp = int(man), int(exp)
    return Fraction(man * 2**exp) if exp >= 0 else Fraction(man, 2**-exp)


def _softplus_arb(z: Any) -> Any:
    if z > 0:
        return z + (-z).exp().log1p()
    return z.exp().log1p()  # Arb's exponent range is unbounded: no overflow


def _piecewise(z: Any, slope: Any) -> Any:
    """``z`` for ``z > 0``, ``slope z`` otherwise, from the ball's endpoints (increasing)."""
    from flint import arb

    lo, hi = z.lower(), z.upper()
    at_lo = lo if lo > 0 else slope * lo
    at_hi = hi if hi > 0 else slope * hi
    return arb.union(arb(at_lo), arb(at_hi))
