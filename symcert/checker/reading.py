"""Strict reading of certificate files: bounded reads, one meaning per file, exact numbers, never ``eval``.

A certificate is read so that it means one thing to every reader: a regular
UTF-8 file of bounded size, JSON without duplicate keys and without unquoted
non-integer numbers, numbers as strings of ASCII digits in the forms ``p``,
``p/q`` or a decimal ``[-]d.d[e[-]d]`` with bounded digits and exponents.

>>> rational("-3/4"), rational("0.125"), rational("2e-3")
(Fraction(-3, 4), Fraction(1, 8), Fraction(1, 500))
>>> rational("1e100000")
Traceback (most recent call last):
...
symcert.checker.reading.CertificateFormatError: number has an exponent beyond 2000: '1e100000'
>>> rational("1\u0660" + "5")
Traceback (most recent call last):
...
symcert.checker.reading.CertificateFormatError: number is not an exact number of ASCII digits (p, p/q or a \
decimal): '1\u06605'
>>> loads('{"a": "1", "a": "2"}')
Traceback (most recent call last):
...
symcert.checker.reading.CertificateFormatError: the key 'a' appears twice in one object
"""

from __future__ import annotations

import json
import os
import re
import stat
from fractions import Fraction
from pathlib import Path
from typing import Any

from symcert.limits import MAX_DIGITS, MAX_EXPONENT, MAX_FILE_BYTES

__all__ = [
    "CertificateFormatError",
    "JsonInteger",
    "read_text",
    "loads",
    "rational",
    "integer",
    "field",
    "rational_list",
    "rational_matrix",
    "dyadic",
    "MAX_BITS",
]

#: Endpoints beyond 2^MAX_BITS (or below 2^-MAX_BITS in magnitude) leave the checker's range.
MAX_BITS = 200_000

_FRACTION = re.compile(r"([+-]?)([0-9]+)(?:/([0-9]+))?", re.ASCII)
_DECIMAL = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?", re.ASCII)


class CertificateFormatError(ValueError):
    """The file is not a well-formed certificate (malformed, wrong types, too large, unknown version)."""


class JsonInteger(str):
    """An unquoted JSON integer, kept as its text (only integer fields such as ``widths`` accept it)."""


def read_text(source: str | os.PathLike[str], limit: int = MAX_FILE_BYTES) -> str:
    """The text of a regular file of at most ``limit`` bytes (devices, FIFOs and folders are refused)."""
    path = Path(source)
    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            raise CertificateFormatError(f"{path} is a folder, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise CertificateFormatError(f"{path} is not a regular file (a device, FIFO or socket)")
        if info.st_size > limit:
            raise CertificateFormatError(f"{path} is larger than {limit} bytes")
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as error:
        raise CertificateFormatError(f"cannot read {path}: {error.strerror}") from None
    if len(data) > limit:
        raise CertificateFormatError(f"{path} is larger than {limit} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise CertificateFormatError(f"{path} is not UTF-8 text") from None


def loads(text: str, name: str = "the file") -> Any:
    """Parse JSON strictly: no duplicate keys, no NaN or Infinity, no unquoted non-integer numbers."""
    try:
        return json.loads(
            text,
            object_pairs_hook=_object,
            parse_int=JsonInteger,
            parse_float=_reject_float,
            parse_constant=_reject_constant,
        )
    except json.JSONDecodeError as error:
        raise CertificateFormatError(f"{name} is not valid JSON ({error.msg}, line {error.lineno})") from None
    except RecursionError:
        raise CertificateFormatError(f"{name} nests arrays or objects too deeply") from None


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise CertificateFormatError(f"the key {key[:40]!r} appears twice in one object")
        out[key] = value
    return out


def _reject_float(text: str) -> None:
    raise CertificateFormatError(
        f'the unquoted JSON number {text[:40]} is not allowed; write exact numbers as strings such as "3/4"'
    )


def _reject_constant(name: str) -> None:
    raise CertificateFormatError(f"the JSON constant {name} is not allowed")


def _digits(text: str) -> int:
    if len(text) <= 4000:
        return int(text)
    import flint  # Python's int() refuses more than 4300 digits; flint parses any length

    return int(flint.fmpz(text))


def rational(text: Any, where: str = "number", max_digits: int = MAX_DIGITS) -> Fraction:
    """An exact rational from a string ``p``, ``p/q`` or a decimal of ASCII digits; nothing else."""
    if isinstance(text, JsonInteger) or not isinstance(text, str):
        got = "an unquoted JSON number" if isinstance(text, JsonInteger) else type(text).__name__
        raise CertificateFormatError(f'{where} must be a string such as "3/4", got {got}')
    if len(text) > 2 * max_digits + 10:
        raise CertificateFormatError(f"{where} has more than {max_digits} digits")
    match = _FRACTION.fullmatch(text)
    if match:
        sign, numerator, denominator = match.groups()
        if len(numerator) > max_digits or len(denominator or "") > max_digits:
            raise CertificateFormatError(f"{where} has more than {max_digits} digits")
        if denominator is not None and not denominator.strip("0"):
            raise CertificateFormatError(f"{where} has a zero denominator: {text[:40]!r}")
        value = Fraction(_digits(numerator), _digits(denominator or "1"))
        return -value if sign == "-" else value
    match = _DECIMAL.fullmatch(text)
    if match and (match.group(2) or match.group(3)):
        sign, whole, fraction, exponent = match.groups()
        if exponent is not None and (len(exponent) > 8 or abs(int(exponent)) > MAX_EXPONENT):
            raise CertificateFormatError(f"{where} has an exponent beyond {MAX_EXPONENT}: {text[:40]!r}")
        if len(whole) + len(fraction or "") > max_digits:
            raise CertificateFormatError(f"{where} has more than {max_digits} digits")
        digits = _digits((whole + (fraction or "")) or "0")
        power = int(exponent or 0) - len(fraction or "")
        value = Fraction(digits * 10**power) if power >= 0 else Fraction(digits, 10**-power)
        return -value if sign == "-" else value
    raise CertificateFormatError(
        f"{where} is not an exact number of ASCII digits (p, p/q or a decimal): {text[:40]!r}"
    )


def _json_type(value: Any) -> str:
    """The JSON name of a parsed value's type, for messages (never a Python class name)."""
    names = {dict: "object", list: "array", str: "string", float: "number", type(None): "null"}
    return next((name for kind, name in names.items() if isinstance(value, kind)), "value")


def integer(value: Any, where: str, low: int, high: int) -> int:
    """An unquoted JSON integer (or a Python ``int``, in a dict built in Python) from ``low`` to ``high``."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = JsonInteger(value) if abs(value) < 10**12 else JsonInteger("9" * 13)
    if not isinstance(value, JsonInteger) or len(value) > 12 or not re.fullmatch(r"-?[0-9]+", value):
        shown = "a string" if isinstance(value, str) and not isinstance(value, JsonInteger) else None
        if shown is None and isinstance(value, JsonInteger):  # too long for an integer in range
            shown = f"{value[:12]}... ({len(value)} digits)"
        shown = shown or ("a boolean" if isinstance(value, bool) else f"a JSON {_json_type(value)}")
        raise CertificateFormatError(f"{where} must be an integer from {low} to {high}, got {shown}")
    number = int(value)
    if not low <= number <= high:
        raise CertificateFormatError(f"{where} must be an integer from {low} to {high}, got {number}")
    return number


def field(record: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    """``record[key]``, checked to exist and to have type ``kind``."""
    if not isinstance(record, dict):
        raise CertificateFormatError(f"{where} must be an object, got {type(record).__name__}")
    if key not in record:
        raise CertificateFormatError(f"{where} lacks the field {key!r}")
    value = record[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        raise CertificateFormatError(f"{where}.{key} has the wrong type bool")
    if isinstance(value, JsonInteger) and JsonInteger not in kinds:
        raise CertificateFormatError(f"{where}.{key} must not be an unquoted JSON number")
    if not isinstance(value, kind):
        raise CertificateFormatError(f"{where}.{key} has the wrong type {type(value).__name__}")
    return value


def keys(record: dict[str, Any], required: set[str], optional: set[str], where: str) -> None:
    """Reject missing and unknown keys: every field of a certificate is read and means one thing."""
    missing, unknown = required - set(record), set(record) - required - optional
    if missing:
        raise CertificateFormatError(f"{where} lacks the field(s) {sorted(missing)}")
    if unknown:
        raise CertificateFormatError(f"{where} has unknown field(s) {sorted(k[:40] for k in unknown)}")


_SHORT = re.compile(r"(-?[0-9]{1,30})(?:/([0-9]{1,30}))?", re.ASCII)


def rational_list(
    values: Any, length: int, where: str, seen: dict[str, Fraction] | None = None
) -> list[Fraction]:
    """A list of ``length`` exact numbers (short ``p`` and ``p/q`` take a fast path to the same values).

    ``seen``: the strings read so far and their values, shared by the caller across lists (data repeat
    few values: pixels ``k/255``); only strings that read as numbers are kept.

    >>> seen = {}
    >>> rational_list(["1/2", "3"], 2, "x", seen), sorted(seen)
    ([Fraction(1, 2), Fraction(3, 1)], ['1/2', '3'])
    """
    if not isinstance(values, list) or len(values) != length:
        raise CertificateFormatError(f"{where} must be a list of {length} numbers")
    if seen is not None:
        try:
            return [seen[v] for v in values]  # every string already read (str keys only: 1 is not "1")
        except (KeyError, TypeError):
            pass
    out = _rationals(values, where)
    if seen is not None and len(seen) < 1 << 16:
        seen.update((v, q) for v, q in zip(values, out) if type(v) is str)
    return out


def _rationals(values: list[Any], where: str) -> list[Fraction]:
    out = []
    for i, v in enumerate(values):
        match = _SHORT.fullmatch(v) if type(v) is str else None
        if match is not None:
            numerator, denominator = match.groups()
            if denominator is None:
                out.append(Fraction(int(numerator)))
                continue
            if denominator.strip("0"):
                out.append(Fraction(int(numerator), int(denominator)))
                continue
        out.append(rational(v, f"{where}[{i}]"))
    return out


def rational_matrix(values: Any, rows: int, cols: int, where: str) -> list[list[Fraction]]:
    """A ``rows x cols`` nested list of exact numbers."""
    if not isinstance(values, list) or len(values) != rows:
        raise CertificateFormatError(f"{where} must be a list of {rows} rows")
    return [rational_list(row, cols, f"{where}[{j}]") for j, row in enumerate(values)]


def dyadic(mantissa: int, exponent: int, name: str) -> Fraction:
    """``mantissa * 2^exponent`` exactly, refusing magnitudes outside ``2^(+-MAX_BITS)``.

    An engine's enclosure endpoint (an Arb ball's or an mpmath interval's) read back as a Fraction;
    it lives here, without mpmath or python-flint, so the Arb path does not load mpmath.

    >>> dyadic(3, -2, "x"), dyadic(-5, 1, "x")
    (Fraction(3, 4), Fraction(-10, 1))
    """
    if mantissa and not -MAX_BITS <= exponent + mantissa.bit_length() <= MAX_BITS:
        raise ArithmeticError(f"the enclosure of {name} leaves the checker's range (beyond 2^{MAX_BITS})")
    if exponent < -MAX_BITS - 10**5:
        raise ArithmeticError(f"the enclosure of {name} has an endpoint too fine to convert")
    return Fraction(mantissa * 2**exponent) if exponent >= 0 else Fraction(mantissa, 2**-exponent)
