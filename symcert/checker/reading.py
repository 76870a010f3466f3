"""Strict reading of certificate files: types, sizes and exact numbers, never ``eval``.

>>> rational("-3/4"), rational("0.125"), rational("2e-3")
(Fraction(-3, 4), Fraction(1, 8), Fraction(1, 500))
>>> rational("1e100000")
Traceback (most recent call last):
...
symcert.checker.reading.CertificateFormatError: the number '1e100000' has an exponent beyond 1000
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

__all__ = [
    "CertificateFormatError",
    "rational",
    "field",
    "rational_list",
    "rational_matrix",
    "MAX_NUMBER_CHARS",
]

MAX_NUMBER_CHARS = 1000
MAX_EXPONENT = 1000
_FRACTION = re.compile(r"[+-]?\d+(/\d+)?")
_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE]([+-]?\d+))?")


class CertificateFormatError(ValueError):
    """The file is not a well-formed certificate (malformed, wrong types, too large, unknown version)."""


def rational(text: Any, where: str = "number") -> Fraction:
    """An exact rational from a string ``p``, ``p/q`` or a decimal; nothing else."""
    if not isinstance(text, str):
        raise CertificateFormatError(f"{where} must be a string such as '3/4', got {type(text).__name__}")
    if len(text) > MAX_NUMBER_CHARS:
        raise CertificateFormatError(f"{where} has more than {MAX_NUMBER_CHARS} characters")
    if _FRACTION.fullmatch(text):
        numerator, _, denominator = text.partition("/")
        if denominator and int(denominator) == 0:
            raise CertificateFormatError(f"{where} has a zero denominator: {text!r}")
        return Fraction(int(numerator), int(denominator or 1))
    match = _DECIMAL.fullmatch(text)
    if match:
        if match.group(3) and abs(int(match.group(3))) > MAX_EXPONENT:
            raise CertificateFormatError(f"the number {text!r} has an exponent beyond {MAX_EXPONENT}")
        return Fraction(text)
    raise CertificateFormatError(f"{where} is not an exact number (p, p/q or a decimal): {text[:40]!r}")


def field(record: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    """``record[key]``, checked to exist and to have type ``kind``."""
    if not isinstance(record, dict):
        raise CertificateFormatError(f"{where} must be an object, got {type(record).__name__}")
    if key not in record:
        raise CertificateFormatError(f"{where} lacks the field {key!r}")
    value = record[key]
    if isinstance(value, bool) and kind is not bool and bool not in (kind if isinstance(kind, tuple) else ()):
        raise CertificateFormatError(f"{where}.{key} has the wrong type bool")
    if not isinstance(value, kind):
        raise CertificateFormatError(f"{where}.{key} has the wrong type {type(value).__name__}")
    return value


def rational_list(values: Any, length: int, where: str) -> list[Fraction]:
    """A list of ``length`` exact numbers."""
    if not isinstance(values, list) or len(values) != length:
        raise CertificateFormatError(f"{where} must be a list of {length} numbers")
    return [rational(v, f"{where}[{i}]") for i, v in enumerate(values)]


def rational_matrix(values: Any, rows: int, cols: int, where: str) -> list[list[Fraction]]:
    """A ``rows x cols`` nested list of exact numbers."""
    if not isinstance(values, list) or len(values) != rows:
        raise CertificateFormatError(f"{where} must be a list of {rows} rows")
    return [rational_list(row, cols, f"{where}[{j}]") for j, row in enumerate(values)]
