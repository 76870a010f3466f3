"""Short decimals rounded outward: what the terminal prints still contains the exact enclosure.

An enclosure ``[a, b]`` with 50-digit dyadic endpoints is printed as ``[a', b']``
with ``a'`` the largest ``digits``-significant-digit decimal ``<= a`` and ``b'``
the smallest ``>= b``, so the printed interval is a (slightly wider) enclosure
too. Computed exactly on rationals, never through floats.

>>> from fractions import Fraction
>>> outward_interval(Fraction(1, 3), Fraction(2, 3))
'[0.333333, 0.666667]'
>>> outward_interval(Fraction(-1, 3), Fraction(-1, 3), digits=3)
'[-0.334, -0.333]'
>>> outward_interval(Fraction(-137, 10**50), Fraction(127, 10**30), digits=2)
'[-1.4e-48, 1.3e-28]'
>>> decimal_down(Fraction(9999999, 1000000), 3), decimal_up(Fraction(9999999, 1000000), 3)
('9.99', '10')
>>> outward_interval(float("-inf"), float("inf"))  # an enclosure that overflowed
'[-inf, inf]'

An enclosure *pins* ``N`` significant digits (:func:`pins_digits`) when its ``N``-digit outward
decimals are equal or one unit of their last digit apart, or when every number in it rounds to the
same ``N``-digit decimal: then a paper can quote the value to ``N`` digits. An enclosure that
contains 0 (and is not exactly 0) pins none: it has no leading digit.

>>> pins_digits(Fraction(27496813883, 10**14), Fraction(27496827029, 10**14), 6)
True
>>> pins_digits(Fraction(27496813883, 10**14), Fraction(27496827029, 10**14), 7)
False
>>> agreed_digits(Fraction(27496813883, 10**14), Fraction(27496827029, 10**14))
6
>>> pins_digits(Fraction(1, 2) - Fraction(1, 10**40), Fraction(1, 2) + Fraction(1, 10**40), 30)  # 0.5
True
>>> agreed_digits(Fraction(-1, 10**9), Fraction(1, 10**9)) is None   # contains 0
True
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from contextvars import ContextVar
from fractions import Fraction
from typing import Any

from symcert.errors import SpecificationError
from symcert.limits import MAX_SIGNIFICANT_DIGITS

__all__ = [
    "DIGITS",
    "decimal_down",
    "decimal_up",
    "outward_interval",
    "pins_digits",
    "agreed_digits",
    "wanting_digits",
    "wanted_digits",
    "check_digits",
]

#: Significant digits of a printed bound: enough to read, few enough to take in.
DIGITS = 6


_UNBOUNDED = {
    "oo": "inf",
    "-oo": "-inf",
    "inf": "inf",
    "+inf": "inf",
    "-inf": "-inf",
    "nan": "nan",
    "zoo": "nan",
}


def _fraction(value: Any) -> Fraction:
    if hasattr(value, "p") and hasattr(value, "q"):  # a SymPy Rational, without importing SymPy
        return Fraction(int(value.p), int(value.q))
    return Fraction(value)


def _decimal(value: object, digits: int, up: bool, pad: bool = False) -> str:
    if str(value) in _UNBOUNDED:  # an enclosure that overflowed: SymPy's oo, a float or mpf inf, nan
        return _UNBOUNDED[str(value)]
    x = _fraction(value)
    if x == 0:
        return "0"
    negative = x < 0
    size = abs(x)
    e = len(str(size.numerator)) - len(str(size.denominator))  # floor(log10(size)) is e or e - 1
    if Fraction(10) ** e > size:
        e -= 1
    scaled = size / Fraction(10) ** (e - digits + 1)  # in [10^(digits-1), 10^digits)
    away = up != negative  # rounding up a positive number, or down a negative one, grows its size
    mantissa = math.ceil(scaled) if away else math.floor(scaled)
    if mantissa == 10**digits:
        mantissa, e = 10 ** (digits - 1), e + 1
    return ("-" if negative else "") + _layout(str(mantissa), e, pad)


def _layout(mantissa: str, e: int, pad: bool = False) -> str:
    """``0.d1d2...`` style for moderate exponents, ``d1.d2...e±N`` otherwise; no trailing zeros after
    the point unless ``pad`` (then every significant digit is shown)."""
    digits = len(mantissa)
    if -5 <= e < 7:
        shift = e - digits + 1  # the value is mantissa * 10^shift
        if shift >= 0:
            return mantissa + "0" * shift
        padded = mantissa.rjust(-shift + 1, "0")
        whole, fraction = padded[:shift], padded[shift:]
        fraction = fraction if pad else fraction.rstrip("0")
        return whole + ("." + fraction if fraction else "")
    fraction = mantissa[1:] if pad else mantissa[1:].rstrip("0")
    return mantissa[0] + ("." + fraction if fraction else "") + f"e{e}"


def decimal_down(value: object, digits: int = DIGITS, pad: bool = False) -> str:
    """The largest decimal with ``digits`` significant digits that is ``<= value`` (``pad``: with its
    trailing zeros, so that all ``digits`` show)."""
    return _decimal(value, digits, False, pad)


def decimal_up(value: object, digits: int = DIGITS, pad: bool = False) -> str:
    """The smallest decimal with ``digits`` significant digits that is ``>= value``."""
    return _decimal(value, digits, True, pad)


def outward_interval(lower: object, upper: object, digits: int = DIGITS, pad: bool = False) -> str:
    """``[lower', upper']``: short decimals with ``lower' <= lower`` and ``upper' >= upper``.

    >>> outward_interval(Fraction(41, 10), Fraction(42, 10), 4, pad=True)
    '[4.100, 4.200]'
    """
    return f"[{decimal_down(lower, digits, pad)}, {decimal_up(upper, digits, pad)}]"


def _unit(value: Fraction, digits: int) -> Fraction:
    """One unit of the ``digits``-th significant digit of ``value`` (nonzero)."""
    size = abs(value)
    e = len(str(size.numerator)) - len(str(size.denominator))
    if Fraction(10) ** e > size:
        e -= 1
    return Fraction(10) ** (e - digits + 1)


def _nearest(value: Fraction, digits: int) -> Fraction:
    """The ``digits``-significant-digit decimal nearest to ``value`` (ties to even), exactly."""
    if value == 0:
        return value
    unit = _unit(value, digits)
    return round(value / unit) * unit


def pins_digits(lower: object, upper: object, digits: int) -> bool:
    """True when the enclosure ``[lower, upper]`` pins ``digits`` significant digits (module docstring)."""
    if str(lower) in _UNBOUNDED or str(upper) in _UNBOUNDED:
        return False
    lo, hi = _fraction(lower), _fraction(upper)
    if lo <= 0 <= hi:
        return lo == hi == 0
    if _nearest(lo, digits) == _nearest(hi, digits):
        return True
    down, up = Fraction(decimal_down(lo, digits)), Fraction(decimal_up(hi, digits))
    unit = min(_unit(down, digits), _unit(up, digits))  # across a power of ten: the finer unit
    return up - down <= unit


def agreed_digits(lower: object, upper: object, limit: int = 60) -> int | None:
    """The most significant digits (up to ``limit``) the enclosure pins; None when it contains 0."""
    if str(lower) in _UNBOUNDED or str(upper) in _UNBOUNDED:
        return 0
    lo, hi = _fraction(lower), _fraction(upper)
    if lo <= 0 <= hi and not lo == hi == 0:
        return None
    return max((n for n in range(1, limit + 1) if pins_digits(lo, hi, n)), default=0)


# -- a request for tight values: the rungs climb, and the notes print, to these digits --

_DIGITS: ContextVar[int | None] = ContextVar("symcert_wanted_digits", default=None)


def check_digits(digits: object) -> int | None:
    """``digits`` as significant digits wanted (None: no request), up to ``MAX_SIGNIFICANT_DIGITS``."""
    if digits is None:
        return None
    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= MAX_SIGNIFICANT_DIGITS:
        most = MAX_SIGNIFICANT_DIGITS
        raise SpecificationError(f"digits must be an integer from 1 to {most}, got {digits!r}")
    return digits


@contextlib.contextmanager
def wanting_digits(digits: int | None) -> Iterator[None]:
    """Inside the block, decisions climb until their enclosures pin ``digits`` significant digits
    (None: the first rung that decides is enough, as outside any block)."""
    token = _DIGITS.set(check_digits(digits))
    try:
        yield
    finally:
        _DIGITS.reset(token)


def wanted_digits() -> int | None:
    """The significant digits the enclosing :func:`wanting_digits` asks for, or None."""
    return _DIGITS.get()
