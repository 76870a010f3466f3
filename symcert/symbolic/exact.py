"""Exact rational numbers at the boundary: every input becomes a SymPy ``Rational``.

Floats are converted exactly (their binary value), never rounded to a short
decimal; strings are read as exact decimals or fractions.

>>> to_rational("3/4"), to_rational("-0.125"), to_rational(0.1) == to_rational("0.1")
(3/4, -1/8, False)
>>> to_rational(0.5)
1/2
"""

from __future__ import annotations

import math
import numbers
from decimal import Decimal
from fractions import Fraction

import sympy

from symcert.errors import ExactnessError, Hint
from symcert.limits import MAX_DIGITS, MAX_EXPONENT

__all__ = ["to_rational", "format_rational"]


def to_rational(value: object, name: str = "value") -> sympy.Rational:
    """Return ``value`` as an exact SymPy ``Rational``.

    Accepts ``int``, ``Fraction``, ``Decimal``, SymPy rationals, finite floats
    (converted exactly), numpy scalars and strings such as ``"3/4"``,
    ``"-0.125"`` or ``"1e-3"``. Anything else raises :class:`ExactnessError`
    naming ``name``.

    >>> to_rational(Fraction(2, 6))
    1/3
    >>> to_rational("nan", "W1")
    Traceback (most recent call last):
    ...
    symcert.errors.ExactnessError: W1 must be a finite exact number (int, Fraction, \
'p/q' or decimal string, finite float), got 'nan'
    """
    fraction = _to_fraction(value, name)
    bits = max(abs(fraction.numerator).bit_length(), fraction.denominator.bit_length())
    if bits * 0.30103 > MAX_DIGITS:  # decimal digits = bits * log10(2)
        raise ExactnessError(
            f"{name} has more than {MAX_DIGITS} digits; use a number with a shorter numerator and denominator"
        )
    return sympy.Rational(fraction.numerator, fraction.denominator)


def _problem(value: object, name: str) -> ExactnessError:
    """The error for a value that is not a finite exact number (built only when raised)."""
    # the Hint names an argument (weight_decay) as a placeholder, and a place in a file (W1[0][0]) as text
    subject = "{%s}" % name if name.isidentifier() else name.replace("{", "{{").replace("}", "}}")
    return ExactnessError(
        f"{name} must be a finite exact number (int, Fraction, 'p/q' or decimal "
        f"string, finite float), got {_short_repr(value)}",
        hint=Hint(
            subject + " must be a finite exact number such as 3, -1/10 or 0.25, got {got}",
            got=_short_repr(value),
        ),
    )


def _to_fraction(value: object, name: str) -> Fraction:
    if isinstance(value, bool):
        raise _problem(value, name)
    if isinstance(value, sympy.Basic):
        if isinstance(value, sympy.Rational):
            return Fraction(int(value.p), int(value.q))
        if isinstance(value, sympy.Float) and value.is_finite:
            return Fraction(*sympy.Rational(value).as_numer_denom())
        raise _problem(value, name)
    if isinstance(value, Fraction):
        return value
    if isinstance(value, numbers.Integral):  # int and numpy integers
        return Fraction(int(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise _problem(value, name)
        return Fraction(value)
    if isinstance(value, numbers.Real):  # float and numpy floating scalars
        as_float = float(value)
        if not math.isfinite(as_float):
            raise _problem(value, name)
        return Fraction(as_float)
    if isinstance(value, str):
        text = value.strip()
        if len(text) > 2 * MAX_DIGITS + 10:
            raise ExactnessError(f"{name} has more than {MAX_DIGITS} digits; use a shorter number")
        if not text.isascii():  # Decimal and Fraction read "1\u06605" as 105
            raise _problem(value, name)
        if "/" not in text:  # a decimal: check its size before Fraction expands any exponent
            try:
                decimal = Decimal(text)
            except ArithmeticError:
                raise _problem(value, name) from None
            if not decimal.is_finite():
                raise _problem(value, name)
            if abs(decimal.adjusted()) > MAX_EXPONENT or len(decimal.as_tuple().digits) > MAX_DIGITS:
                raise ExactnessError(f"{name} has more than {MAX_DIGITS} digits; use a shorter number")
        try:
            return Fraction(text)
        except (ValueError, ZeroDivisionError):
            raise _problem(value, name) from None
    raise _problem(value, name)


def _short_repr(value: object) -> str:
    """``repr`` for messages, safe for huge numbers (Python refuses str() of very long ints)."""
    if isinstance(value, Fraction):
        value = sympy.Rational(value.numerator, value.denominator)
    if isinstance(value, sympy.Integer):
        value = int(value)
    if isinstance(value, sympy.Rational) and max(abs(value.p).bit_length(), value.q.bit_length()) > 300:
        return "a fraction with more than 90 digits"
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 300:
        return f"an integer of about {int(value.bit_length() * 0.30103)} digits"
    text = repr(value) if not isinstance(value, str) or len(value) < 200 else repr(value[:60]) + "..."
    return text if len(text) < 200 else text[:60] + "..."


def format_rational(value: sympy.Rational) -> str:
    """Write a rational as ``"p/q"`` (or ``"p"``), the form used in JSON.

    >>> format_rational(sympy.Rational(-3, 4)), format_rational(sympy.Integer(2))
    ('-3/4', '2')
    """
    value = sympy.Rational(value)
    numerator, denominator = _integer_text(int(value.p)), _integer_text(int(value.q))
    return numerator if denominator == "1" else f"{numerator}/{denominator}"


def _integer_text(number: int) -> str:
    """Decimal digits of any integer (Python's ``str`` refuses more than 4300 digits; flint's does not)."""
    if number.bit_length() < 10_000:
        return str(number)
    import flint

    return str(flint.fmpz(number))
