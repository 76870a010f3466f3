"""The exact data layout: integer matrices over common denominators, built once per object.

A point's layer ``l`` is ``W_l = num / den`` (``num`` a numpy object array of Python
ints, ``den`` a positive int) and likewise its biases; the dataset's inputs are one
integer matrix over one denominator. A float weight is an exact dyadic rational, so a
trained network's layer has a power-of-two denominator and nothing is rounded.

Layouts are cached per object (by identity, dropped with the object), so a point
met by several enclosures is converted from SymPy once. Combinations such as the
midpoint ``A + t (B - A)`` are computed here in integers, never through SymPy.

>>> from symcert import MLP
>>> net = MLP((1, 2, 1))
>>> A = net.point(W1=[[1], ["1/2"]], b1=[0, 0], W2=[[1, 2]], b2=[0])
>>> lay = point_layout(A)
>>> lay.layers[0].W.num.tolist(), lay.layers[0].W.den
([[2], [1]], 2)
>>> B = net.point(W1=[[0], [0]], b1=[0, 0], W2=[[2, 1]], b2=[1])
>>> mid = combine(lay, point_layout(B), Fraction(1, 2))
>>> mid.layers[1].W.as_fractions()
[[Fraction(3, 2), Fraction(3, 2)]]
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from sympy import Rational

__all__ = ["Exact", "LayerLayout", "PointLayout", "DataLayout", "point_layout", "data_layout", "combine"]
__all__ += ["remember_point_layout"]  # for model loaders that build a layout from their own integers


class Exact:
    """An array of rationals ``num / den``: ``num`` an object array of ints, ``den > 0``.

    Built from int64 numerators (:meth:`from_int64`, the layouts of trained weights and data
    files), the object array of Python ints is made only when ``num`` is read: the float64
    rung reads the int64 form (``memo["int64"]``) and never needs it. Either way the value is
    the same exact array.

    >>> x = Exact.from_int64(np.array([3, -1]), 4)
    >>> x.shape, x.max_abs_num(), x.num.tolist(), type(x.num[0]).__name__
    ((2,), 3, [3, -1], 'int')
    """

    __slots__ = ("_num", "den", "memo")

    def __init__(self, num: np.ndarray, den: int) -> None:
        self._num: np.ndarray | None = num
        self.den = den
        self.memo: dict = {}  # conversions of this array made by the backends (each made once)

    @classmethod
    def from_int64(cls, ints: np.ndarray, den: int) -> Exact:
        """The exact array ``ints / den`` from int64 numerators (Python ints made on first read)."""
        out = cls.__new__(cls)
        out._num, out.den, out.memo = None, den, {"int64": ints}
        return out

    @property
    def num(self) -> np.ndarray:
        """The numerators as an object array of Python ints."""
        if self._num is None:
            self._num = self.memo["int64"].astype(object)
        return self._num

    @property
    def shape(self) -> tuple[int, ...]:
        """The array's shape (without making the Python ints)."""
        return tuple(self.memo["int64"].shape if self._num is None else self._num.shape)

    def __getstate__(self) -> tuple:
        return self._num, self.den, self.memo

    def __setstate__(self, state: tuple) -> None:
        self._num, self.den, self.memo = state

    def __repr__(self) -> str:
        return f"Exact(shape={self.shape}, den={self.den})"

    def rows(self, start: int, stop: int) -> Exact:
        """Rows ``start:stop`` as an exact array of their own (views of the numerators, cached here).

        Each block keeps its own conversions (``memo``), so a block of data met again by a later
        evaluation is not converted again, and the whole array's float64 form need not be made
        (when it was, or when the values are kept as floats, ``memo["exact_f64"]``, a block's are views).
        """
        key = ("rows", start, stop)
        if key not in self.memo:
            if "int64" in self.memo:
                block = Exact.from_int64(self.memo["int64"][start:stop], self.den)
                block._num = None if self._num is None else self._num[start:stop]
            else:
                block = Exact(self.num[start:stop], self.den)
            for form in ("exact_f64", "f64", "num_f64"):  # the whole array's float64 forms, when made: views
                if form in self.memo:
                    block.memo[form] = self.memo[form][start:stop]
            self.memo[key] = block
        return self.memo[key]

    def int64_or_num(self) -> np.ndarray:
        """The int64 numerators when known, else the object array (for vectorised reads)."""
        return self.memo["int64"] if "int64" in self.memo else self.num

    @classmethod
    def of(cls, values: Sequence[Any], shape: tuple[int, ...]) -> Exact:
        """From exact rationals with ``.p``/``.q`` (SymPy) or ``numerator``/``denominator``."""
        pairs = [_pq(v) for v in values]
        ps, qs = [p for p, _ in pairs], [q for _, q in pairs]
        den = math.lcm(*set(qs)) if qs else 1
        factor = {q: den // q for q in set(qs)}
        nums = [p * factor[q] for p, q in zip(ps, qs)]
        num = np.empty(len(nums), dtype=object)
        num[:] = nums
        exact = cls(num.reshape(shape), den)
        exact.memo["max_abs"] = max(map(abs, nums), default=0)
        return exact

    def scaled(self, factor: int, den: int) -> np.ndarray:
        """``num * factor`` (as object array), for a new denominator ``den``."""
        return self.num * factor if factor != 1 else self.num

    def as_fractions(self) -> list:
        """The values as nested lists of ``Fraction`` (for tests and small displays)."""
        out = np.empty(self.num.size, dtype=object)
        out[:] = [Fraction(int(n), self.den) for n in self.num.ravel()]
        return out.reshape(self.num.shape).tolist()

    def max_abs_num(self) -> int:
        """The largest ``|num|`` (an exact int; vectorised while the numerators fit in int64)."""
        if "max_abs" not in self.memo:
            self.memo["max_abs"] = _max_abs(self.int64_or_num())
        return self.memo["max_abs"]


def _max_abs(num: np.ndarray) -> int:
    if num.size == 0:
        return 0
    try:
        small = num if num.dtype == np.int64 else num.astype(np.int64)  # beyond int64: OverflowError
    except OverflowError:
        return max(abs(int(n)) for n in num.ravel())
    return max(int(small.max()), -int(small.min()))


def _pq(v: Any) -> tuple[int, int]:
    if isinstance(v, Rational):
        return int(v.p), int(v.q)
    f = Fraction(v)
    return f.numerator, f.denominator


@dataclass(frozen=True)
class LayerLayout:
    """One layer: weights ``W`` (rows x cols) and biases ``b`` (or None)."""

    W: Exact
    b: Exact | None


@dataclass(frozen=True)
class PointLayout:
    """A parameter point of a network, layer by layer."""

    layers: tuple[LayerLayout, ...]

    def weights(self) -> list[Exact]:
        return [layer.W for layer in self.layers]


@dataclass(frozen=True)
class DataLayout:
    """Inputs ``X`` (points x inputs), and targets ``Y`` or the teacher that produces them."""

    X: Exact
    Y: Exact | None
    teacher: tuple[Any, PointLayout] | None  # (teacher MLP, its point's layout)


_CACHE: dict[tuple[str, int], tuple[weakref.ref[Any], Any]] = {}


def _cached(kind: str, obj: Any, build: Callable[[], Any]) -> Any:
    key = (kind, id(obj))
    hit = _CACHE.get(key)
    if hit is not None and hit[0]() is obj:
        return hit[1]
    value = build()

    def forget(_ref: weakref.ref[Any], key: tuple[str, int] = key) -> None:
        _CACHE.pop(key, None)

    _CACHE[key] = (weakref.ref(obj, forget), value)
    return value


def point_layout(point: Any) -> PointLayout:
    """The exact layout of a :class:`~symcert.symbolic.point.Point` (cached per point)."""
    if hasattr(point, "integer_layers"):  # an ArrayPoint: its integers as they are, no SymPy
        return _cached("point", point, lambda: _from_integers(point.integer_layers))
    return _cached("point", point, lambda: _build_point(point.mlp, point.values))


def _from_integers(layers: Sequence[tuple[Any, Any]]) -> PointLayout:
    """The layout of exact integer arrays (``num``, ``den``: int64 or Python ints), their int64 form kept."""

    def exact(a: Any) -> Exact:
        return Exact(a.num, a.den) if a.num.dtype == object else Exact.from_int64(a.num, a.den)

    return PointLayout(tuple(LayerLayout(exact(W), None if b is None else exact(b)) for W, b in layers))


def remember_point_layout(point: Any, layout: PointLayout) -> None:
    """Give the engine ``point``'s exact layout, built elsewhere from integers (a model loader's arrays).

    The caller vouches that ``layout`` holds exactly ``point``'s values; the engine then
    skips converting them from SymPy. A point that already has a layout keeps it.

    >>> from symcert import MLP
    >>> A = MLP((1, 1)).point(W1=[[3]], b1=[0])
    >>> remember_point_layout(A, _build_point(A.mlp, A.values))
    >>> point_layout(A).layers[0].W.num.tolist()
    [[3]]
    """
    _cached("point", point, lambda: layout)


def _build_point(mlp: Any, values: Sequence[Any]) -> PointLayout:
    layers, position = [], 0
    for l in range(1, mlp.depth + 1):
        rows, cols = mlp.widths[l], mlp.widths[l - 1]
        W = Exact.of(values[position : position + rows * cols], (rows, cols))
        position += rows * cols
        b = None
        if mlp.has_bias(l):
            b = Exact.of(values[position : position + rows], (rows,))
            position += rows
        layers.append(LayerLayout(W, b))
    return PointLayout(tuple(layers))


def data_layout(data: Any) -> DataLayout:
    """The exact layout of a :class:`~symcert.symbolic.data.Dataset` (cached per data set)."""

    def build() -> DataLayout:
        if hasattr(data, "integer_rows"):  # integer matrices already: no SymPy
            xn, x_den, yn, y_den = data.integer_rows(0, data.n_points)
            X, Y = integer_exact(xn, x_den, yn, y_den, floats=data.float_rows(0, data.n_points))
            return DataLayout(X, Y, None)
        n, d = data.n_points, data.input_dim
        X = Exact.of([v for x in data.xs for v in x], (n, d))
        if data.teacher_of is not None:
            teacher = data.teacher_of
            return DataLayout(X, None, (teacher.mlp, point_layout(teacher.point)))
        Y = Exact.of([v for y in data.ys for v in y], (n, data.output_dim))
        return DataLayout(X, Y, None)

    return _cached("data", data, build)


def integer_exact(
    X: np.ndarray, x_den: int, Y: np.ndarray, y_den: int, floats: np.ndarray | None = None
) -> tuple[Exact, Exact]:
    """Exact arrays of int64 numerators (rows of an integer data set), their int64 form kept.

    ``floats``, when given, is ``X / x_den`` exactly as float64 (the inputs as a file held them,
    :meth:`~symcert.symbolic.integer_data.IntegerDataset.float_rows`): kept as ``memo["exact_f64"]``,
    the float64 rung's enclosure of the inputs with no conversion.
    """
    inputs = Exact.from_int64(X, x_den)
    if floats is not None:
        inputs.memo["exact_f64"] = floats
    return inputs, Exact.from_int64(Y, y_den)


def _lincomb(a: Exact, b: Exact, ca: Fraction, cb: Fraction) -> Exact:
    """``ca a + cb b`` exactly."""
    common = a.den // math.gcd(a.den, b.den) * b.den
    q = ca.denominator // math.gcd(ca.denominator, cb.denominator) * cb.denominator
    fa = ca.numerator * (q // ca.denominator) * (common // a.den)
    fb = cb.numerator * (q // cb.denominator) * (common // b.den)
    small = abs(fa) < _INT62 and abs(fb) < _INT62  # a factor must fit in int64 even where a term is 0
    if small and a.max_abs_num() * abs(fa) + b.max_abs_num() * abs(fb) < _INT62:
        # Every product and sum below 2^62 in absolute value: exact in int64, converted back once.
        return Exact.from_int64(_int64(a) * fa + _int64(b) * fb, common * q)
    return Exact(a.num * fa + b.num * fb, common * q)


_INT62 = 2**62


def _int64(x: Exact) -> np.ndarray:
    """``x.num`` as int64 (callers check that it fits)."""
    if "int64" not in x.memo:
        x.memo["int64"] = x.num.astype(np.int64)
    return x.memo["int64"]


def combine(a: PointLayout, b: PointLayout, t: Fraction, s: Fraction | None = None) -> PointLayout:
    """``(1 - t) a + t b`` (or ``s a + t b`` when ``s`` is given), exactly.

    ``combine(a, b, 1, -1)`` is the direction ``b - a``.
    """
    t = Fraction(t)
    s = 1 - t if s is None else Fraction(s)
    layers = []
    for la, lb in zip(a.layers, b.layers):
        bias = None if la.b is None or lb.b is None else _lincomb(la.b, lb.b, s, t)
        layers.append(LayerLayout(_lincomb(la.W, lb.W, s, t), bias))
    return PointLayout(tuple(layers))


def exact_layout(mlp: Any, values: Sequence[Any]) -> PointLayout:
    """The layout of flat exact values in the order of ``mlp.symbols`` (not cached)."""
    return _build_point(mlp, values)
