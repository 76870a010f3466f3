"""A data set held as integer matrices over common denominators: MNIST-sized data without SymPy.

``Dataset.from_integers(X, x_den, Y, y_den)`` is the data set ``xs = X / x_den``, ``ys = Y / y_den``
(``X``, ``Y`` integer arrays, one row per data point). It is a :class:`~symcert.symbolic.data.Dataset`
like any other, but it converts its entries to SymPy only when ``xs`` or ``ys`` is read (a LaTeX
derivation, a JSON certificate); the rigorous engine reads its rows as integers, a chunk at a time
(:meth:`IntegerDataset.integer_rows`), so 60,000 MNIST images (pixels ``k/255``) take the memory
of their integers, not of 47 million SymPy numbers.

>>> import numpy as np
>>> from symcert import Dataset
>>> data = Dataset.from_integers(np.array([[0, 255], [51, 102]]), 255, np.array([[1, 0], [0, 1]]))
>>> data.n_points, data.input_dim, data.output_dim
(2, 2, 2)
>>> data.xs[1]
(1/5, 2/5)
>>> data.integer_rows(1, 2)[0].tolist(), data.integer_rows(1, 2)[1]
([[51, 102]], 255)
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np
import sympy

from symcert.errors import SpecificationError
from symcert.limits import MAX_POINTS
from symcert.symbolic.data import Dataset

__all__ = ["IntegerDataset"]

_INT62 = 2**62


def _integers(array: Any, name: str, copy: bool = True) -> np.ndarray:
    a = np.asarray(array)
    if a.ndim != 2 or a.shape[0] == 0 or a.shape[1] == 0:
        raise SpecificationError(
            f"{name} must be a non-empty matrix, one row per data point, got shape {a.shape}"
        )
    if a.dtype.kind not in "iub":
        raise SpecificationError(f"{name} must hold integers (numerators), got an array of dtype {a.dtype}")
    if a.dtype.kind == "u" and a.dtype.itemsize == 8 and a.size and int(a.max()) >= _INT62:
        raise SpecificationError(f"{name}'s entries must lie below 2^62 in absolute value")
    # kept in their own width (uint8 pixels stay 1 byte each), widened to int64 a chunk at a time
    kept = np.int64 if a.dtype.itemsize == 8 else a.dtype
    out = np.array(a, dtype=kept, copy=True) if copy else np.asarray(a, dtype=kept)
    if out.size and max(int(out.max()), -int(out.min())) >= _INT62:
        raise SpecificationError(f"{name}'s entries must lie below 2^62 in absolute value")
    return out


def _denominator(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or int(value) < 1:
        raise SpecificationError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


class IntegerDataset(Dataset):
    """``xs = X / x_den``, ``ys = Y / y_den`` from integer matrices (see the module docstring)."""

    _X: np.ndarray
    _Y: np.ndarray
    _dens: tuple[int, int]

    _floats: np.ndarray | None  # X / x_den exactly, as float64 (data read as floats), or None

    def __init__(self, X: Any, x_den: int, Y: Any, y_den: int = 1) -> None:
        self._hold(_integers(X, "X"), x_den, _integers(Y, "Y"), y_den, None)

    @classmethod
    def with_floats(
        cls, floats: np.ndarray, X: np.ndarray, x_den: int, Y: np.ndarray, y_den: int
    ) -> IntegerDataset:
        """The data ``X / x_den``, ``Y / y_den`` read from the float64 array ``floats`` (``X`` its
        numerators): the arrays are handed over, not copied (made read-only), and ``floats`` is kept
        for the float64 rung, which then reads the inputs as they are (exact) instead of converting
        the numerators. ``floats == X / x_den`` is checked, exactly, a block of rows at a time; a
        denominator that is not a power of two, or a mismatch, keeps no floats.

        >>> X = np.array([[3, -1]]); data = IntegerDataset.with_floats(X / 4, X, 4, np.array([[1]]), 1)
        >>> data.float_rows(0, 1).tolist(), IntegerDataset.with_floats(X / 2, X, 4, X, 1).float_rows(0, 1)
        ([[0.75, -0.25]], None)
        """
        out = cls.__new__(cls)
        X, Y = _integers(X, "X", copy=False), _integers(Y, "Y", copy=False)
        out._hold(X, x_den, Y, y_den, floats if _exactly(floats, X, x_den) else None)
        return out

    def _hold(self, X: np.ndarray, x_den: int, Y: np.ndarray, y_den: int, floats: np.ndarray | None) -> None:
        if len(X) != len(Y):
            raise SpecificationError(f"X and Y must have one row per data point, got {len(X)} and {len(Y)}")
        if len(X) > MAX_POINTS:
            raise SpecificationError(f"the data hold {len(X)} points; at most {MAX_POINTS} are supported")
        X.setflags(write=False)
        Y.setflags(write=False)
        object.__setattr__(self, "_X", X)
        object.__setattr__(self, "_Y", Y)
        object.__setattr__(self, "_dens", (_denominator(x_den, "x_den"), _denominator(y_den, "y_den")))
        object.__setattr__(self, "teacher_of", None)
        if floats is not None:
            floats.setflags(write=False)
        object.__setattr__(self, "_floats", floats)

    @cached_property
    def xs(self) -> tuple[tuple[sympy.Rational, ...], ...]:
        """The inputs as SymPy rationals (converted on first use: slow for large data)."""
        return _rationals(self._X, self._dens[0])

    @cached_property
    def ys(self) -> tuple[tuple[sympy.Rational, ...], ...]:
        """The targets as SymPy rationals (converted on first use)."""
        return _rationals(self._Y, self._dens[1])

    @property
    def n_points(self) -> int:
        return int(self._X.shape[0])

    @property
    def input_dim(self) -> int:
        return int(self._X.shape[1])

    @property
    def output_dim(self) -> int:
        return int(self._Y.shape[1])

    def integer_arrays(self) -> tuple[np.ndarray, int, np.ndarray, int]:
        """``(X, x_den, Y, y_den)``: the whole integer matrices in their own dtype (read-only, uint8 kept)."""
        return self._X, self._dens[0], self._Y, self._dens[1]

    def integer_rows(self, start: int, stop: int) -> tuple[np.ndarray, int, np.ndarray, int]:
        """Rows ``start:stop`` as ``(X numerators, x_den, Y numerators, y_den)`` (int64 arrays)."""
        X, Y = self._X[start:stop], self._Y[start:stop]
        return X.astype(np.int64, copy=False), self._dens[0], Y.astype(np.int64, copy=False), self._dens[1]

    def float_rows(self, start: int, stop: int) -> np.ndarray | None:
        """Rows ``start:stop`` of the inputs as exact float64 values (a view), if the data keep them."""
        return None if self._floats is None else self._floats[start:stop]

    def targets_are_probabilities(self, distributions: bool) -> bool:
        """Every target in ``[0, 1]`` (and, with ``distributions``, every row summing to 1), in integers."""
        Y, den = self._Y.astype(np.int64), self._dens[1]
        ok = bool(np.all((Y >= 0) & (Y <= den)))
        return ok and (not distributions or bool(np.all(Y.sum(axis=1) == den)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, IntegerDataset):
            return (
                self._dens == other._dens
                and np.array_equal(self._X, other._X)
                and np.array_equal(self._Y, other._Y)
            )
        return super().__eq__(other)

    def __hash__(self) -> int:  # equal data sets have equal shapes, denominators and first rows
        return hash((self._dens, self._X.shape, self._Y.shape, self._X[:1].tobytes(), self._Y[:1].tobytes()))


def _exactly(floats: np.ndarray, X: np.ndarray, den: int, entries: int = 1 << 16) -> bool:
    """Whether the float64 array ``floats`` is exactly ``X / den``, for ``den = 2^k``, a block of rows
    (about ``entries`` entries) at a time: the temporaries are a block's, not copies of the data.

    ``ldexp(f, k)`` is exact (a scaling by ``2^k >= 1``: no underflow; overflow gives inf, which
    matches no integer). It equals the integer ``x`` exactly when it equals ``float(x)`` (so it is an
    integer-valued float) and converts back to ``x`` in int64 (an exact conversion of an integer
    below ``2^62``).

    >>> _exactly(np.array([[0.5, 2.0**60]]), np.array([[1, 2**61]]), 2)
    True
    >>> [_exactly(np.array([[f]]), np.array([[n]]), 2) for f, n in ((0.5, 2), (2.0**60, 2**61 + 1))]
    [False, False]
    """
    k = den.bit_length() - 1
    if den != 1 << k or k > 1000 or floats.dtype != np.float64 or floats.shape != X.shape:
        return False
    block = max(1, entries // max(X.shape[1], 1))
    with np.errstate(all="ignore"):
        for start in range(0, len(X), block):
            ints = X[start : start + block].astype(np.int64, copy=False)
            scaled = np.ldexp(floats[start : start + block], k)
            if not (
                np.array_equal(scaled, ints.astype(np.float64))
                and np.array_equal(scaled.astype(np.int64), ints)
            ):
                return False
    return True


def _rationals(num: np.ndarray, den: int) -> tuple[tuple[sympy.Rational, ...], ...]:
    cache: dict[int, sympy.Rational] = {}

    def one(n: int) -> sympy.Rational:
        if n not in cache:
            cache[n] = sympy.Rational(n, den)
        return cache[n]

    return tuple(tuple(one(n) for n in row) for row in num.tolist())
