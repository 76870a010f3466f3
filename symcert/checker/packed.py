"""The checker's reading of packed arrays: integers over a denominator, base64 of little-endian bytes.

A matrix or vector of a certificate (``data.xs``, ``data.ys``, a point's ``W{l}`` and ``b{l}``) is
either a list of exact strings or a packed array, an object with exactly the keys ``dtype``
(``int8``, ``uint8``, ``int16``, ``uint16``, ``int32``, ``uint32`` or ``int64``), ``shape`` (the
expected shape, as unquoted integers), ``denominator`` (an exact positive integer string),
``sha256`` (the hex digest of the raw bytes) and ``base64`` (the row-major little-endian integers,
strict base64). The value is the integer array divided by the denominator. Everything is checked:
the shape against the network, the byte count against the shape, the digest against the bytes.

The checker's own code: the standard library's ``base64``, ``hashlib`` and ``array`` (no numpy).
Data rows stay integers (:class:`Rows`: one byte a pixel) and become exact values one chunk at a
time; Arb reads a chunk straight from its integers (:meth:`Rows.arb_columns`).

>>> import base64, hashlib
>>> raw = bytes([0, 255, 51, 102])
>>> record = {"dtype": "uint8", "shape": [2, 2], "denominator": "255",
...           "sha256": hashlib.sha256(raw).hexdigest(), "base64": base64.b64encode(raw).decode()}
>>> rows = read_rows(record, 2, "data.xs")
>>> len(rows), rows[1]
(2, [Fraction(1, 5), Fraction(2, 5)])
>>> record["sha256"] = "0" * 64
>>> read_rows(record, 2, "data.xs")
Traceback (most recent call last):
...
symcert.checker.reading.CertificateFormatError: data.xs: the SHA-256 of the packed bytes does not match
"""

from __future__ import annotations

import array
import base64
import binascii
import hashlib
import operator
import re
import sys
from collections.abc import Iterator
from fractions import Fraction
from math import gcd
from typing import Any

from symcert.checker.reading import CertificateFormatError, integer, keys
from symcert.limits import MAX_DIGITS, MAX_POINTS

__all__ = ["is_packed", "read_rows", "read_matrix", "read_vector", "read_packed", "Rows", "Packed"]
__all__ += ["exact_point"]

#: dtype -> (array typecode, bytes per entry); the typecodes' sizes are checked at import.
_TYPES = {
    "int8": ("b", 1),
    "uint8": ("B", 1),
    "int16": ("h", 2),
    "uint16": ("H", 2),
    "int32": ("i", 4),
    "uint32": ("I", 4),
    "int64": ("q", 8),
}
assert all(array.array(code).itemsize == size for code, size in _TYPES.values())
_KEYS = {"dtype", "shape", "denominator", "sha256", "base64"}
_HEX = re.compile(r"[0-9a-f]{64}", re.ASCII)


def is_packed(value: Any) -> bool:
    """Whether a matrix or vector field is given packed (an object) rather than as a list."""
    return isinstance(value, dict)


def _read(record: Any, shape: tuple[int, ...], where: str) -> tuple[array.array, int]:
    """The flat integers and the denominator of a packed array of exactly ``shape``."""
    if not isinstance(record, dict):
        raise CertificateFormatError(f"{where} must be a list or a packed array object")
    keys(record, _KEYS, set(), where)
    dtype = record["dtype"]
    if not isinstance(dtype, str) or dtype not in _TYPES:
        raise CertificateFormatError(f"{where}.dtype must be one of {', '.join(_TYPES)}")
    stated = record["shape"]
    if not isinstance(stated, list) or len(stated) != len(shape):
        raise CertificateFormatError(f"{where}.shape must be a list of {len(shape)} integers")
    got = tuple(integer(v, f"{where}.shape", 0, MAX_POINTS * 10_000) for v in stated)
    if got != shape:
        raise CertificateFormatError(f"{where} has shape {list(got)}, but the network needs {list(shape)}")
    den_text = record["denominator"]
    if not isinstance(den_text, str) or not re.fullmatch(r"[1-9][0-9]*", den_text, re.ASCII):
        raise CertificateFormatError(f'{where}.denominator must be a positive integer string such as "255"')
    if len(den_text) > MAX_DIGITS:
        raise CertificateFormatError(f"{where}.denominator has more than {MAX_DIGITS} digits")
    digest, text = record["sha256"], record["base64"]
    if not isinstance(digest, str) or not _HEX.fullmatch(digest):
        raise CertificateFormatError(f"{where}.sha256 must be 64 lowercase hex digits")
    if not isinstance(text, str):
        raise CertificateFormatError(f"{where}.base64 must be a string")
    code, size = _TYPES[dtype]
    count = 1
    for n in shape:
        count *= n
    if len(text) != 4 * ((count * size + 2) // 3):
        raise CertificateFormatError(f"{where}.base64 does not hold {count} entries of {dtype}")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise CertificateFormatError(f"{where}.base64 is not valid base64") from None
    if len(raw) != count * size:
        raise CertificateFormatError(f"{where}.base64 does not hold {count} entries of {dtype}")
    if hashlib.sha256(raw).hexdigest() != digest:
        raise CertificateFormatError(f"{where}: the SHA-256 of the packed bytes does not match")
    values = array.array(code, raw)
    if sys.byteorder == "big":
        values.byteswap()
    return values, int(den_text)


class Rows:
    """The rows of a packed data matrix as exact values: a sequence of lists of ``Fraction``.

    Slicing gives the rows of a chunk (a copy of their integers only); :meth:`arb_columns` gives the
    chunk to Arb, one column per data point, without a ``Fraction`` per entry.
    """

    def __init__(self, values: array.array, cols: int, den: int) -> None:
        self.values, self.cols, self.den = values, cols, den

    def __len__(self) -> int:
        return len(self.values) // self.cols if self.cols else 0

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return [self[i] for i in range(start, stop, step)]
            return Rows(self.values[start * self.cols : max(start, stop) * self.cols], self.cols, self.den)
        i = range(len(self))[index]
        den = self.den
        return [Fraction(v, den) for v in self.values[i * self.cols : (i + 1) * self.cols]]

    def __iter__(self) -> Iterator[list[Fraction]]:
        return (self[i] for i in range(len(self)))

    def arb_columns(self) -> Any:
        """The rows as the columns of an ``arb_mat`` (inputs x points) at the current precision."""
        from flint import arb_mat, fmpz_mat

        ints = fmpz_mat(len(self), self.cols, self.values.tolist()).transpose()
        return arb_mat(ints) if self.den == 1 else arb_mat(ints) / self.den


def read_rows(record: Any, cols: int, where: str) -> Rows:
    """A packed data matrix of ``cols`` columns (any number of rows, at most :data:`MAX_POINTS`)."""
    shape = record.get("shape") if isinstance(record, dict) else None
    if not isinstance(shape, list) or len(shape) != 2:
        raise CertificateFormatError(f"{where}.shape must be a list of 2 integers")
    n = integer(shape[0], f"{where}.shape", 1, MAX_POINTS)
    values, den = _read(record, (n, cols), where)
    return Rows(values, cols, den)


class Packed:
    """A packed matrix or vector of a point, read and checked, kept as integers over ``den``.

    ``values`` holds the row-major integers (``array.array`` of the record's dtype), ``shape`` is
    ``(rows, cols)`` or ``(length,)``. :meth:`exact` gives the nested lists of ``Fraction`` the rest of
    the checker reads; the verified float64 rungs read the integers directly
    (:func:`symcert.checker.barrier_f64.from_packed`, :func:`symcert.checker.f64_engine.exact_floats`),
    and the group action, the comparison with ``B`` and the midpoint stay on the integers
    (:meth:`rearranged`, :meth:`negated`, :meth:`same`, :meth:`combined`): no ``Fraction`` per entry.

    >>> raw = bytes([1, 2, 3, 4])
    >>> record = {"dtype": "int8", "shape": [2, 2], "denominator": "4",
    ...           "sha256": hashlib.sha256(raw).hexdigest(), "base64": base64.b64encode(raw).decode()}
    >>> w = read_packed(record, (2, 2), "points.A.W1")
    >>> w.exact()
    [[Fraction(1, 4), Fraction(1, 2)], [Fraction(3, 4), Fraction(1, 1)]]
    >>> w.same(read_packed(record, (2, 2), "points.B.W1"))
    True
    """

    __slots__ = ("den", "shape", "values")

    def __init__(self, values: array.array, den: int, shape: tuple[int, ...]) -> None:
        self.values, self.den, self.shape = values, den, shape

    def exact(self) -> Any:
        """The exact values: a list of ``Fraction`` (a vector) or a list of rows (a matrix)."""
        den = self.den
        flat = [Fraction(v, den) for v in self.values]
        if len(self.shape) == 1:
            return flat
        cols = self.shape[1]
        return [flat[j * cols : (j + 1) * cols] for j in range(self.shape[0])]

    def max_bits(self) -> int:
        """An upper bound of ``bits(numerator) + bits(denominator)`` of every entry in lowest terms."""
        top = max(max(self.values, default=0), -min(self.values, default=0))
        return top.bit_length() + self.den.bit_length()

    def rearranged(self, rows: list[int] | None = None, cols: list[int] | None = None) -> Packed:
        """Entry ``(i, j)`` of the result is entry ``(rows[i], cols[j])`` of this array (None: kept).

        A vector's entries are its rows. Moving entries is exact, so the result holds the same values.

        >>> w = Packed(array.array("b", [1, 2, 3, 4, 5, 6]), 1, (2, 3))
        >>> w.rearranged([1, 0], [2, 1, 0]).values.tolist()
        [6, 5, 4, 3, 2, 1]
        """
        values = self.values
        cols_n = self.shape[1] if len(self.shape) == 2 else 1
        if rows is not None:
            out = array.array(values.typecode)
            for i in rows:
                out.extend(values[i * cols_n : (i + 1) * cols_n])
            values = out
        if cols is not None and len(self.shape) == 2:
            out = array.array(values.typecode, values)
            for j, source in enumerate(cols):
                if j != source:
                    out[j::cols_n] = values[source::cols_n]
            values = out
        return Packed(values, self.den, self.shape)

    def negated(self) -> Packed:
        """The array of the opposite values (the integers widened to int64 where they need it)."""
        code = self.values.typecode if self.values.typecode in "bhiq" else "q"
        try:
            return Packed(array.array(code, map(operator.neg, self.values)), self.den, self.shape)
        except OverflowError:  # -(-2^(k-1)) needs one more bit than the dtype holds
            return Packed(array.array("q", map(operator.neg, self.values)), self.den, self.shape)

    def combined(self, other: Packed, t: Fraction) -> Packed | None:
        """The exact values ``self + t (other - self)`` as a packed array, or None when the integers would
        leave int64 (then the caller computes with ``Fraction``).

        With ``t = p / q`` and ``L = lcm(d, d')``: ``((q - p) a L/d + p b L/d') / (q L)``, exactly.

        >>> a = Packed(array.array("b", [1, 3]), 4, (2,))
        >>> b = Packed(array.array("b", [3, 3]), 4, (2,))
        >>> a.combined(b, Fraction(1, 2)).exact()
        [Fraction(1, 2), Fraction(3, 4)]
        """
        if self.shape != other.shape:
            raise ValueError(f"cannot combine arrays of shapes {self.shape} and {other.shape}")
        p, q = t.numerator, t.denominator
        lcm = self.den * other.den // gcd(self.den, other.den)
        ka, kb = (q - p) * (lcm // self.den), p * (lcm // other.den)
        if ka == kb == 1:
            mixed: Iterator[int] = map(operator.add, self.values, other.values)
        else:
            mixed = (ka * x + kb * y for x, y in zip(self.values, other.values))
        try:
            return Packed(array.array("q", mixed), q * lcm, self.shape)
        except OverflowError:
            return None

    def same(self, other: Packed) -> bool:
        """Whether the two arrays hold the same exact values (``p / d == p' / d'`` iff ``p d' == p' d``)."""
        if self.shape != other.shape:
            return False
        if self.den == other.den:
            return self.values == other.values
        d0, d1 = self.den, other.den
        return all(a * d1 == b * d0 for a, b in zip(self.values, other.values))


def read_packed(record: Any, shape: tuple[int, ...], where: str) -> Packed:
    """A packed matrix ``(rows, cols)`` or vector ``(length,)``, checked, kept as integers."""
    values, den = _read(record, shape, where)
    return Packed(values, den, shape)


def read_matrix(record: Any, rows: int, cols: int, where: str) -> list[list[Fraction]]:
    """A packed ``rows x cols`` matrix as nested lists of ``Fraction``."""
    out: list[list[Fraction]] = read_packed(record, (rows, cols), where).exact()
    return out


def read_vector(record: Any, length: int, where: str) -> list[Fraction]:
    """A packed vector of ``length`` entries as a list of ``Fraction``."""
    out: list[Fraction] = read_packed(record, (length,), where).exact()
    return out


def exact_point(layers: list) -> list:
    """A point's layers ``(W, b or None)`` with every packed array as nested lists of ``Fraction``."""
    return [tuple(x.exact() if isinstance(x, Packed) else x for x in layer) for layer in layers]
