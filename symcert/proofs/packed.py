"""Packed arrays in certificates: integer matrices over a denominator, as base64 of little-endian bytes.

A certificate of MNIST-sized data states 47 million pixels and a million weights; written as
strings they pass :data:`symcert.limits.MAX_FILE_BYTES` and the checker's memory. Where the
prover holds them as integers already (:class:`~symcert.symbolic.integer_data.IntegerDataset`,
:class:`~symcert.symbolic.array_point.ArrayPoint`), a matrix or vector of the certificate may be a
*packed array* instead of a list::

    {"dtype": "uint8", "shape": [60000, 784], "denominator": "255",
     "sha256": "<hex digest of the raw bytes>", "base64": "<the raw bytes>"}

meaning the row-major array of little-endian integers of ``dtype`` (``int8``, ``uint8``, ``int16``,
``uint16``, ``int32``, ``uint32`` or ``int64``) divided by ``denominator`` (an exact positive
integer string). A float32 or float64 weight matrix is exact integers over a power of two, so it
packs without rounding. Arrays smaller than :data:`symcert.limits.PACK_MIN_ENTRIES` stay lists,
as do numerators beyond int64.

>>> record = pack(np.array([[0, 255], [51, 102]], dtype=np.uint8), 255)
>>> record["dtype"], record["shape"], record["denominator"], record["base64"]
('uint8', [2, 2], '255', 'AP8zZg==')
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import numpy as np

from symcert.limits import PACK_MIN_ENTRIES
from symcert.symbolic.exact import format_rational

__all__ = ["pack", "packable", "point_record", "rows_record", "exact_rows_record", "unpack", "point_arrays"]

_DTYPES = ("uint8", "int8", "uint16", "int16", "uint32", "int32", "int64")


def packable(num: np.ndarray, packed: bool | None) -> bool:
    """Whether an integer array is written packed: ``packed`` True, or None and at least the minimum size."""
    if num.dtype == object or num.dtype.kind not in "iu" or packed is False:
        return False
    return packed is True or num.size >= PACK_MIN_ENTRIES


def pack(num: np.ndarray, den: int) -> dict[str, Any]:
    """The packed record of ``num / den`` (``num`` an integer array), in the narrowest dtype that holds it."""
    low, high = (int(num.min()), int(num.max())) if num.size else (0, 0)
    for name in _DTYPES:
        info = np.iinfo(name)
        if info.min <= low and high <= info.max:
            break
    raw = np.ascontiguousarray(num, dtype=np.dtype(name).newbyteorder("<")).tobytes()
    return {
        "dtype": name,
        "shape": list(num.shape),
        "denominator": str(int(den)),
        "sha256": hashlib.sha256(raw).hexdigest(),
        "base64": base64.b64encode(raw).decode("ascii"),
    }


def _strings(num: np.ndarray, den: int) -> list[Any]:
    """The exact values as nested lists of strings (``p`` or ``p/q``), as the text form writes them."""
    from fractions import Fraction

    cache: dict[int, str] = {}

    def one(n: int) -> str:
        if n not in cache:
            cache[n] = format_rational(Fraction(n, den))
        return cache[n]

    listed = num.tolist()
    if num.ndim == 1:
        return [one(n) for n in listed]
    return [[one(n) for n in row] for row in listed]


def rows_record(num: np.ndarray, den: int, packed: bool | None) -> Any:
    """A data matrix (one row per point): packed, or as lists of exact strings."""
    return pack(num, den) if packable(num, packed) else _strings(num, den)


def exact_rows_record(rows: Any, packed: bool | None) -> Any:
    """Rows of exact rationals (SymPy or ``Fraction``): packed over their least common denominator when
    :func:`packable` (at least the minimum size, or ``packed`` True) and every numerator fits int64;
    else lists of exact strings, as before.

    >>> from fractions import Fraction as F
    >>> record = exact_rows_record([[F(1, 2), F(3, 4)]], True)
    >>> record["dtype"], record["shape"], record["denominator"], unpack(record)[0].tolist()
    ('uint8', [1, 2], '4', [[2, 3]])
    >>> exact_rows_record([[F(1, 2), F(3, 4)]], None)
    [['1/2', '3/4']]
    """
    import math

    count = sum(len(row) for row in rows)
    listed = (
        [[format_rational(v) for v in row] for row in rows]
        if not packable_rows(rows, count, packed)
        else None
    )
    if listed is not None:
        return listed
    pairs = [[_pq(v) for v in row] for row in rows]
    den = math.lcm(*{q for row in pairs for _, q in row})
    nums = [[p * (den // q) for p, q in row] for row in pairs]
    if den >= _INT64 or any(not -_INT64 <= n < _INT64 for row in nums for n in row):
        return [[format_rational(v) for v in row] for row in rows]
    return pack(np.array(nums, dtype=np.int64), den)


_INT64 = 2**63


def packable_rows(rows: Any, count: int, packed: bool | None) -> bool:
    """Whether rows of ``count`` exact rationals in all may be packed (equal lengths, large or asked for)."""
    if packed is False or not count or len({len(row) for row in rows}) > 1:
        return False
    return packed is True or count >= PACK_MIN_ENTRIES


def _pq(value: Any) -> tuple[int, int]:
    """Numerator and denominator of a SymPy rational or a ``Fraction``."""
    if hasattr(value, "p"):
        return int(value.p), int(value.q)
    return int(value.numerator), int(value.denominator)


def point_record(point: Any, packed: bool | None) -> dict[str, Any]:
    """A point's ``{"W1": ..., "b1": ...}``: packed arrays where it holds integers, else exact strings."""
    layers = getattr(point, "integer_layers", None)
    if layers is None or packed is False:
        return dict(point.arrays())
    out: dict[str, Any] = {}
    for l, (W, b) in enumerate(layers, start=1):
        out[f"W{l}"] = pack(W.num, W.den) if packable(W.num, packed) else _strings(W.num, W.den)
        if b is not None:
            out[f"b{l}"] = pack(b.num, b.den) if packable(b.num, packed) else _strings(b.num, b.den)
    return out


def unpack(record: dict[str, Any]) -> tuple[np.ndarray, int]:
    """``(num, den)`` of a packed record (read strictly by the checker's ``Statement`` first)."""
    raw = base64.b64decode(record["base64"], validate=True)
    shape = tuple(int(n) for n in record["shape"])
    num = np.frombuffer(raw, dtype=np.dtype(record["dtype"]).newbyteorder("<")).reshape(shape)
    return num.astype(np.int64), int(record["denominator"])


def point_arrays(mlp: Any, record: dict[str, Any]) -> Any:
    """The point of a certificate's ``{"W1": ..., "b1": ...}``: an ArrayPoint where an array is packed."""
    from symcert.symbolic.array_point import ArrayPoint, IntegerArray

    if not any(isinstance(v, dict) for v in record.values()):
        return mlp.point(**record)
    layers = []
    for l in range(1, mlp.depth + 1):
        pair: list[IntegerArray | None] = []
        for key in (f"W{l}", f"b{l}"):
            value = record.get(key)
            if value is None:
                pair.append(None)
            elif isinstance(value, dict):
                pair.append(IntegerArray(*unpack(value)))
            else:  # a small list of exact strings beside packed arrays
                pair.append(_listed(value, key))
        assert pair[0] is not None  # every layer has weights (the checker's Statement read them)
        layers.append((pair[0], pair[1]))
    return ArrayPoint.from_layers(mlp, layers)


def _listed(value: Any, name: str) -> Any:
    """Nested lists of exact numbers as an IntegerArray over their least common denominator."""
    import math

    from symcert.symbolic.array_point import IntegerArray
    from symcert.symbolic.exact import to_rational

    shape = np.shape(value)
    rationals = [to_rational(v, name) for v in np.array(value, dtype=object).ravel()]
    den = math.lcm(*(int(r.q) for r in rationals)) if rationals else 1
    num = np.empty(len(rationals), dtype=object)
    num[:] = [int(r.p) * (den // int(r.q)) for r in rationals]
    return IntegerArray(num.reshape(shape), den)
