"""Points held as exact integer arrays: trained weights reach the engine without SymPy.

A float32 or float64 weight is an exact dyadic rational, so a layer of floats is exactly an
integer matrix over one power-of-two denominator. :class:`ArrayPoint` is a
:class:`~symcert.symbolic.point.Point` that keeps each layer that way (:class:`IntegerArray`:
numerators as an int64 numpy array, or Python ints where they do not fit, and one positive
denominator). Its SymPy ``values`` are built only when something reads them (a LaTeX
derivation, an old-style JSON certificate): the rigorous engine reads the integers
(:func:`symcert.numeric.engine.layout.point_layout`), and the group elements that only move or
negate entries (swaps, permutations, flips, signs) act on the arrays directly
(:func:`act_on_arrays`), so ``B = g(A)`` for a 784-512-512-512-10 network takes milliseconds.

>>> import numpy as np
>>> from symcert import MLP, swap
>>> net = MLP((1, 2, 1), "tanh")
>>> A = net.point(W1=np.array([[0.5], [-0.25]]), b1=np.zeros(2), W2=np.array([[1.0, 3.0]]), b2=np.zeros(1))
>>> type(A).__name__, A.integer_layers[0][0].num.tolist(), A.integer_layers[0][0].den
('ArrayPoint', [[2], [-1]], 4)
>>> B = swap(1, 0, 1)(A)
>>> B.integer_layers[1][0].num.tolist(), B == net.point(W1=[[-0.25], [0.5]], b1=[0, 0], W2=[[3, 1]], b2=[0])
([[3, 1]], True)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy

from symcert.errors import SpecificationError
from symcert.symbolic.point import Point

if TYPE_CHECKING:
    from symcert.symbolic.network import MLP

__all__ = [
    "IntegerArray",
    "ArrayPoint",
    "exact_integers",
    "dyadic_int64",
    "significant_bits",
    "act_on_arrays",
]

_INT62 = 2**62


@dataclass(frozen=True)
class IntegerArray:
    """The exact array ``num / den``: ``num`` int64 (or object: Python ints), ``den >= 1``, read-only."""

    num: np.ndarray
    den: int

    def __post_init__(self) -> None:
        if self.num.dtype not in (np.int64, object) or not isinstance(self.den, int) or self.den < 1:
            raise SpecificationError("an IntegerArray holds int64 or Python-int numerators over a den >= 1")
        self.num.setflags(write=False)

    def rationals(self) -> list[sympy.Rational]:
        """The entries, row-major, as SymPy rationals (slow for large arrays: built only when asked)."""
        cache: dict[int, sympy.Rational] = {}
        out = []
        for n in self.num.ravel().tolist():
            value = cache.get(n)
            if value is None:
                value = cache[n] = sympy.Rational(n, self.den)
            out.append(value)
        return out

    def negated(self, index: Any = ...) -> IntegerArray:
        """A copy with the entries at ``index`` negated (all of them by default)."""
        num = self.num.copy()
        num[index] = -num[index]
        return IntegerArray(num, self.den)


def exact_integers(array: Any, name: str) -> IntegerArray:
    """An integer or finite float array as exact integers over one power-of-two denominator (no rounding).

    The denominator ``2^k`` is the least one (the lcm of the entries' reduced denominators, 1 for
    integers), so the numerators are those of ``Fraction(v)`` brought to ``2^k``.

    >>> a = exact_integers(np.array([0.75, -2.0, 0.0], dtype=np.float32), "W1")
    >>> a.num.tolist(), a.den
    ([3, -8, 0], 4)
    """
    a = np.asarray(array)
    if a.dtype.kind in "iub":
        if a.dtype.kind == "u" and a.dtype.itemsize == 8 and a.size and int(a.max()) >= _INT62:
            return IntegerArray(_objects(a), 1)
        return IntegerArray(np.array(a, dtype=np.int64), 1)
    if a.dtype.kind != "f":
        raise SpecificationError(f"{name} must hold real numbers, got an array of dtype {a.dtype}")
    if not np.all(np.isfinite(a)):
        bad = "NaN" if np.any(np.isnan(a)) else "infinite"
        raise SpecificationError(f"{name} holds {bad} values; weights must be finite")
    fast = dyadic_int64(a, significant_bits(a.dtype))  # float16/32 read a block at a time as float64
    if fast is not None:
        return IntegerArray(fast[0], 2 ** fast[1])
    return _exact_integers_per_entry(a.shape, a.astype(np.float64))  # float16/32 -> float64 is exact


def significant_bits(dtype: np.dtype) -> int:
    """The significand's bits of a float format (24 for float32), at most float64's 53.

    >>> significant_bits(np.dtype(np.float32)), significant_bits(np.dtype(np.float16))
    (24, 11)
    """
    return min(int(np.finfo(dtype).nmant) + 1, 53)


def dyadic_int64(x: np.ndarray, bits: int = 53) -> tuple[np.ndarray, int] | None:
    """``(num, k)`` with ``x == num / 2^k`` exactly, ``num`` int64 and ``2^k`` least, or None.

    ``x`` is a finite float array (float16, float32 or float64; each block is read as float64,
    exactly) whose entries each have at most ``bits`` significant bits (53 always holds; 24 for
    values read from float32). None when a numerator over the least
    common denominator could reach ``2^62`` by this shortcut (callers then take their own path).

    Why it is exact: a nonzero float ``v`` with ``|v|`` in ``[2^(e-1), 2^e)`` (``e`` from
    ``frexp``) and ``p`` significant bits is an integer multiple of ``2^(e - p)``; normal or
    subnormal, float64 or read from a narrower format. With ``e_min`` the exponent of the smallest
    nonzero ``|v|`` (``frexp``'s exponent grows with ``|v|``), every entry is a multiple of
    ``2^-K``, ``K = max(p - e_min, 0)``, so ``ldexp(v, K)`` is an integer; it is exact (a power-of-two
    scaling with no overflow or underflow) and below ``2^(e_max + K) <= 2^62`` in absolute value, so
    its cast to int64 is exact. The bits shared by every numerator (the lowest set bit of their OR)
    are then shifted out, down to ``k >= 0``: an exact division, and the least ``k``, since some
    numerator is odd or ``k = 0``. The result does not depend on ``p`` (the representation with the
    least ``2^k`` is unique); a smaller ``p`` only lets wider ranges of magnitudes through. When
    ``p - e_min`` is too large, ``p`` is lowered to the bits the significands actually use (their
    common trailing zeros, read from the OR of the 53-bit significands): e.g. float32 weights
    stored as float64. Every pass runs a block of entries at a time (:data:`_BLOCK`), so the only
    array as large as ``x`` that is made is the result.

    >>> num, k = dyadic_int64(np.array([0.375, -2.0, 0.0]))
    >>> num.tolist(), k
    ([3, -16, 0], 3)
    >>> dyadic_int64(np.array([1.0, 2.0**-70])) is None   # 2^70 over one denominator: too wide
    True
    """
    flat = x.reshape(-1)
    if flat.size == 0:
        return np.zeros(x.shape, dtype=np.int64), 0
    big = max(float(flat.max()), -float(flat.min()))  # exact: a narrower float is a float64
    if big == 0.0:
        return np.zeros(x.shape, dtype=np.int64), 0
    small = min(_least_nonzero(_block(flat, s)) for s in range(0, flat.size, _BLOCK))
    e_min, e_max = int(np.frexp(small)[1]), int(np.frexp(big)[1])
    if e_max + max(bits - e_min, 0) > 62:
        used = 0  # exact: |m| 2^53 are integers below 2^53
        for s in range(0, flat.size, _BLOCK):
            mantissas = np.abs(np.ldexp(np.frexp(_block(flat, s))[0], 53).astype(np.int64))
            used |= int(np.bitwise_or.reduce(mantissas, axis=None))
        bits = min(bits, 53 - ((used & -used).bit_length() - 1))
        if e_max + max(bits - e_min, 0) > 62:
            return None
    K = max(bits - e_min, 0)
    ints = np.empty(flat.size, dtype=np.int64)
    shared = 0  # the OR of the numerators: v & -v is the same for v and -v (two's complement)
    for s in range(0, flat.size, _BLOCK):
        block = ints[s : s + _BLOCK]
        block[...] = np.ldexp(_block(flat, s), K)  # exact integers below 2^62: cast exactly
        shared |= int(np.bitwise_or.reduce(block, axis=None))
    shift = min(K, (shared & -shared).bit_length() - 1)  # shared != 0: some entry is nonzero
    if shift:
        ints >>= shift  # an exact division: every numerator is a multiple of 2^shift
    return ints.reshape(x.shape), K - shift


#: Entries per block in :func:`dyadic_int64`: its temporaries are a block's, not copies of the array.
_BLOCK = 1 << 16


def _block(flat: np.ndarray, start: int) -> np.ndarray:
    """Entries ``start .. start + _BLOCK`` of ``flat`` as float64 (a view when they are already)."""
    return flat[start : start + _BLOCK].astype(np.float64, copy=False)


def _least_nonzero(block: np.ndarray) -> float:
    """The least nonzero ``|v|`` of ``block`` (inf if none)."""
    magnitudes = np.abs(block)
    return float(magnitudes.min(where=magnitudes != 0, initial=np.inf))


def _exact_integers_per_entry(shape: tuple[int, ...], x: np.ndarray) -> IntegerArray:
    """:func:`exact_integers` entry by entry (numerators past ``2^62`` as Python ints)."""
    mantissa, exponent = np.frexp(x)  # x = m 2^e with 1/2 <= |m| < 1: m 2^53 is an integer
    ints = (mantissa * 2.0**53).astype(np.int64)
    shift = 53 - exponent.astype(np.int64)  # x = ints / 2^shift
    nonzero = ints != 0
    if not nonzero.any():
        return IntegerArray(np.zeros(shape, dtype=np.int64), 1)
    # strip trailing zero bits (a float32 has at most 24 significant bits), so the common denominator is small
    low = np.zeros_like(ints)
    low[nonzero] = _trailing_zeros(ints[nonzero])
    ints, shift = ints >> low, shift - low
    shift[~nonzero] = 0
    top = int(shift[nonzero].max())
    k = max(top, 0)
    up = k - shift  # >= 0: numerator = ints 2^up
    bits = np.frexp(np.abs(ints).astype(np.float64))[1]  # exact: |ints| < 2^53; bit lengths (0 for 0)
    if int((bits + up)[nonzero].max()) < 62:
        return IntegerArray(ints << up, 2**k)
    num = _objects(ints)
    flat, ups = num.ravel(), up.ravel().tolist()
    for i, u in enumerate(ups):
        flat[i] = flat[i] << u
    return IntegerArray(flat.reshape(shape), 2**k)


def _trailing_zeros(v: np.ndarray) -> np.ndarray:
    """The number of trailing zero bits of each nonzero int64 entry."""
    lowest = np.abs(v & -v).astype(np.float64)  # the lowest set bit 2^t (|v| < 2^53: exact)
    return np.frexp(lowest)[1].astype(np.int64) - 1


def _objects(a: np.ndarray) -> np.ndarray:
    out = np.empty(a.shape, dtype=object)
    out[...] = a.tolist() if a.size else out
    return out


Layers = tuple[tuple[IntegerArray, "IntegerArray | None"], ...]


class ArrayPoint(Point):
    """A :class:`Point` whose layers are :class:`IntegerArray` s; ``values`` (SymPy) is built on first use.

    Equal to a :class:`Point` with the same values; build it with ``MLP.point`` from numpy arrays, or
    :meth:`from_layers`.
    """

    integer_layers: Layers

    def __init__(self, mlp: MLP, layers: Layers) -> None:
        object.__setattr__(self, "mlp", mlp)
        object.__setattr__(self, "integer_layers", tuple(layers))

    @classmethod
    def from_layers(cls, mlp: MLP, layers: Sequence[tuple[IntegerArray, IntegerArray | None]]) -> ArrayPoint:
        """The point of ``mlp`` with these exact layers ``(W, b or None)``, shapes checked."""
        if len(layers) != mlp.depth:
            raise SpecificationError(f"{mlp.describe()} has {mlp.depth} layers, got {len(layers)}")
        for l, (W, b) in enumerate(layers, start=1):
            rows, cols = mlp.widths[l], mlp.widths[l - 1]
            if W.num.shape != (rows, cols):
                raise SpecificationError(f"W{l} must have shape {rows}x{cols}, got {W.num.shape}")
            if mlp.has_bias(l) != (b is not None) or (b is not None and b.num.shape != (rows,)):
                want = f"shape ({rows},)" if mlp.has_bias(l) else "None (the layer has no biases)"
                raise SpecificationError(f"b{l} must be {want}")
        return cls(mlp, tuple(layers))

    @cached_property
    def values(self) -> tuple[sympy.Rational, ...]:
        """The exact values in the order of ``mlp.symbols`` (SymPy; built on first use)."""
        out: list[sympy.Rational] = []
        for W, b in self.integer_layers:
            out.extend(W.rationals())
            if b is not None:
                out.extend(b.rationals())
        return tuple(out)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ArrayPoint):
            return self.mlp == other.mlp and all(
                _same(x, y) for p, q in zip(self.integer_layers, other.integer_layers) for x, y in zip(p, q)
            )
        if isinstance(other, Point):
            return self.mlp == other.mlp and self.values == other.values
        return NotImplemented

    def __hash__(self) -> int:  # the dataclass's hash of a Point, so that equal points hash alike
        return hash((self.mlp, self.values))

    def __reduce__(self) -> tuple:
        return (ArrayPoint, (self.mlp, self.integer_layers))


def _same(x: IntegerArray | None, y: IntegerArray | None) -> bool:
    """Equal exact arrays (``a/d == b/e`` iff ``a e == b d``), whatever their denominators."""
    if x is None or y is None:
        return x is y
    if x.den == y.den:
        return bool(np.array_equal(x.num, y.num))
    g = math.gcd(x.den, y.den)
    return bool(np.all(_objects_of(x.num) * (y.den // g) == _objects_of(y.num) * (x.den // g)))


def _objects_of(num: np.ndarray) -> np.ndarray:
    return num if num.dtype == object else _objects(num)


def act_on_arrays(element: Any, point: ArrayPoint) -> ArrayPoint | None:
    """``element(point)`` computed on the integer arrays, or None for an element not handled here.

    Permutations, swaps, sign flips (also with the sigmoid's bias shift), flips of the incoming side
    and layer signs only move or negate entries (and add a column to the next biases), exactly.
    """
    from symcert.symbolic.elements import Flip, FlipIn, LayerSign, Swap
    from symcert.symbolic.permutations import Permutation, Product

    element.check(point.mlp)
    layers: list[list[Any]] = [list(pair) for pair in point.integer_layers]
    factors = element.factors if isinstance(element, Product) else (element,)
    for g in factors:
        if isinstance(g, (Swap, Permutation)):
            order = list(range(point.mlp.widths[g.layer]))
            if isinstance(g, Swap):
                order[g.i], order[g.j] = g.j, g.i
            else:
                order = list(g.source)
            _permute(layers, g.layer, order)
        elif isinstance(g, Flip):
            here, after = layers[g.layer - 1], layers[g.layer]
            column = after[0].num[:, g.unit]
            if point.mlp.activation.complement and after[1] is not None:
                after[1] = _plus(after[1], IntegerArray(np.array(column), after[0].den))
            here[0] = here[0].negated(g.unit)
            if here[1] is not None:
                here[1] = here[1].negated(g.unit)
            after[0] = after[0].negated((slice(None), g.unit))
        elif isinstance(g, FlipIn):
            here = layers[g.layer - 1]
            here[0] = here[0].negated(g.unit)
            if here[1] is not None:
                here[1] = here[1].negated(g.unit)
        elif isinstance(g, LayerSign):
            for l in (g.layer, g.last):
                layers[l - 1][0] = layers[l - 1][0].negated()
        else:
            return None
    return ArrayPoint(point.mlp, tuple((W, b) for W, b in layers))


def _permute(layers: list[list[Any]], layer: int, order: list[int]) -> None:
    here, after = layers[layer - 1], layers[layer]
    here[0] = IntegerArray(here[0].num[order], here[0].den)
    if here[1] is not None:
        here[1] = IntegerArray(here[1].num[order], here[1].den)
    after[0] = IntegerArray(after[0].num[:, order], after[0].den)


def _plus(a: IntegerArray, b: IntegerArray) -> IntegerArray:
    """``a + b`` exactly, over the least common denominator."""
    den = math.lcm(a.den, b.den)
    fa, fb = den // a.den, den // b.den
    x, y = a.num, b.num
    fits = (
        x.dtype == np.int64
        and y.dtype == np.int64
        and fa < _INT62
        and fb < _INT62
        and _bound(x) * fa + _bound(y) * fb < _INT62
    )
    if fits:
        return IntegerArray(x * fa + y * fb, den)
    return IntegerArray(_objects_of(x) * fa + _objects_of(y) * fb, den)


def _bound(num: np.ndarray) -> int:
    return max(int(np.abs(num).max()), 0) if num.size else 0
