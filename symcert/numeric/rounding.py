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
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

__all__ = ["DIGITS", "decimal_down", "decimal_up", "outward_interval"]

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


def _decimal(value: object, digits: int, up: bool) -> str:
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
    return ("-" if negative else "") + _layout(str(mantissa), e)


def _layout(mantissa: str, e: int) -> str:
    """``0.d1d2...`` style for moderate exponents, ``d1.d2...e±N`` otherwise; no trailing zeros."""
    digits = len(mantissa)
    if -5 <= e < 7:
        shift = e - digits + 1  # the value is mantissa * 10^shift
        if shift >= 0:
            return mantissa + "0" * shift
        padded = mantissa.rjust(-shift + 1, "0")
        whole, fraction = padded[:shift], padded[shift:].rstrip("0")
        return whole + ("." + fraction if fraction else "")
    fraction = mantissa[1:].rstrip("0")
    return mantissa[0] + ("." + fraction if fraction else "") + f"e{e}"


def decimal_down(value: object, digits: int = DIGITS) -> str:
    """The largest decimal with ``digits`` significant digits that is ``<= value``."""
    return _decimal(value, digits, up=False)


def decimal_up(value: object, digits: int = DIGITS) -> str:
    """The smallest decimal with ``digits`` significant digits that is ``>= value``."""
    return _decimal(value, digits, up=True)


def outward_interval(lower: object, upper: object, digits: int = DIGITS) -> str:
    """``[lower', upper']``: short decimals with ``lower' <= lower`` and ``upper' >= upper``."""
    return f"[{decimal_down(lower, digits)}, {decimal_up(upper, digits)}]"
