"""Tests of symcert.symbolic.exact: every input becomes an exact SymPy Rational."""

from __future__ import annotations

import math
import time
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import example, given
from hypothesis import strategies as st

from symcert import ExactnessError, SymcertError
from symcert.symbolic.exact import MAX_DIGITS, format_rational, to_rational

R = sympy.Rational


def test_exactness_error_is_a_symcert_error_and_a_value_error():
    assert issubclass(ExactnessError, SymcertError)
    assert issubclass(ExactnessError, ValueError)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, R(0)),
        (-7, R(-7)),
        (10**50, R(10**50)),
        (Fraction(2, 6), R(1, 3)),
        (Fraction(-5, 4), R(-5, 4)),
        (Decimal("0.1"), R(1, 10)),
        (Decimal("-2.50"), R(-5, 2)),
        (Decimal("1e-3"), R(1, 1000)),
        (R(3, 7), R(3, 7)),
        (sympy.Integer(-4), R(-4)),
        (0.5, R(1, 2)),
        (-0.125, R(-1, 8)),
        (2.0**-30, R(1, 2**30)),
        (1e22, R(10**22)),  # exactly representable in binary
        ("3/4", R(3, 4)),
        ("-0.125", R(-1, 8)),
        ("1e-3", R(1, 1000)),
        ("  -6/8 ", R(-3, 4)),
        ("12", R(12)),
        (np.int64(5), R(5)),
        (np.float64(0.25), R(1, 4)),
    ],
)
def test_accepted_values_are_converted_exactly(value, expected):
    result = to_rational(value)
    assert isinstance(result, sympy.Rational)
    assert result == expected
    # a second way: the same number as a Fraction
    assert Fraction(int(result.p), int(result.q)) == Fraction(int(expected.p), int(expected.q))


def test_float_is_its_exact_binary_value_not_its_short_decimal():
    value = to_rational(0.1)
    assert value != R(1, 10)
    assert value == R(3602879701896397, 2**55)
    assert value.q == 2**55
    assert to_rational(0.1) == R(*Fraction(0.1).as_integer_ratio())


def test_sympy_float_is_converted_exactly():
    assert to_rational(sympy.Float(0.75)) == R(3, 4)


@given(st.floats(allow_nan=False, allow_infinity=False))
@example(5e-324)
@example(-1.7976931348623157e308)
def test_finite_floats_round_trip(value):
    result = to_rational(value)
    assert Fraction(int(result.p), int(result.q)) == Fraction(value)
    assert float(result) == value


@given(st.fractions(max_denominator=10**12))
def test_fractions_and_their_strings_agree(value):
    assert to_rational(value) == R(value.numerator, value.denominator)
    assert to_rational(str(value)) == to_rational(value)


@given(st.decimals(allow_nan=False, allow_infinity=False, places=6, max_value=10**6, min_value=-(10**6)))
def test_decimals_and_their_strings_agree(value):
    assert to_rational(value) == to_rational(str(value)) == R(*Fraction(value).as_integer_ratio())


@pytest.mark.parametrize(
    "value",
    [
        float("nan"),
        float("inf"),
        float("-inf"),
        np.float64("nan"),
        Decimal("nan"),
        Decimal("inf"),
        True,
        False,
        None,
        "abc",
        "",
        "1/0",
        "inf",
        "nan",
        "0x10",
        sympy.sqrt(2),
        sympy.pi,
        sympy.oo,
        sympy.nan,
        sympy.Symbol("x"),
        [1],
        1 + 2j,
        object(),
    ],
    ids=lambda value: "object()" if type(value) is object else repr(value),  # stable across processes
)
def test_non_exact_values_raise_exactness_error(value):
    with pytest.raises(ExactnessError, match="must be a finite exact number"):
        to_rational(value)


def test_error_names_the_argument():
    with pytest.raises(ExactnessError, match=r"^W1\[0\]\[1\] must be a finite exact number"):
        to_rational("abc", "W1[0][1]")


@pytest.mark.parametrize(
    "value",
    [
        "1" * (MAX_DIGITS + 1),
        "1/" + "3" * (MAX_DIGITS + 1),
        10 ** (MAX_DIGITS + 1),
        Fraction(1, 10 ** (MAX_DIGITS + 1)),
        "9" * (3 * MAX_DIGITS),
    ],
    ids=["long-integer-string", "long-denominator-string", "int", "fraction", "very-long-string"],
)
def test_too_many_digits_raise_exactness_error(value):
    with pytest.raises(ExactnessError):
        to_rational(value)


def test_a_number_just_within_the_digit_limit_is_accepted():
    value = 10 ** (MAX_DIGITS - 1)  # MAX_DIGITS digits
    assert to_rational(value) == R(value)


@pytest.mark.parametrize(
    "value",
    [10**5000, Fraction(1, 10**5000), "1e5000", "1e-5000", sympy.Integer(10) ** 5000],
    ids=["int", "fraction", "exponent-string", "negative-exponent-string", "sympy-integer"],
)
def test_more_digits_than_python_prints_raise_exactness_error(value):
    # Python refuses str() of ints above 4300 digits (ValueError); symcert must
    # still answer with its own ExactnessError.
    with pytest.raises(ExactnessError, match="digits"):
        to_rational(value)


def test_a_huge_decimal_exponent_is_rejected_quickly():
    # "1e5000000" is a 9-character string; building 10**5000000 before checking
    # the digit limit takes seconds (and "1e100000000" minutes): the exponent must
    # be checked first, e.g. by reading the text as a Decimal and using adjusted().
    for text in ("1e5000000", "-3.5e-5000000"):
        start = time.perf_counter()
        with pytest.raises(ExactnessError):
            to_rational(text)
        assert time.perf_counter() - start < 1.0, text


@pytest.mark.parametrize(
    ("value", "text"),
    [(R(-3, 4), "-3/4"), (sympy.Integer(2), "2"), (R(0), "0"), (R(10**30, 7), f"{10**30}/7")],
)
def test_format_rational_round_trips(value, text):
    assert format_rational(value) == text
    assert to_rational(text) == value


@given(st.fractions(min_value=-(10**40), max_value=10**40, max_denominator=10**40))
def test_format_then_parse_is_identity(value):
    rational = to_rational(value)
    assert to_rational(format_rational(rational)) == rational
    assert math.isclose(float(rational), float(value))
