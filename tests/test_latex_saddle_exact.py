"""The saddle's LaTeX states what was proved: the exact radius, the centre marked as rounded, and
``d^T H d`` rounded outward (a nearest-rounded interval could exclude the proved one)."""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

import pytest

from symcert import certify_saddle
from symcert.printing.latex.lift import saddle_to_latex
from symcert.symbolic.saddle_example import saddle_example


@pytest.fixture(scope="module")
def result():
    e = saddle_example()
    return certify_saddle(e.loss, e.approx, e.layer, e.unit, e.lam)


def test_the_radius_is_exact_and_the_centre_says_it_is_rounded(result):
    text = saddle_to_latex(result)
    radius = Fraction(result.narrow.radius)
    assert radius.numerator == 1 and radius.denominator & (radius.denominator - 1) == 0  # a power of two here
    assert f"$r = 2^{{{1 - radius.denominator.bit_length()}}}$" in text
    assert r"$c \approx" in text and "exact dyadic coordinates are in the certificate" in text


def test_dhd_is_printed_outward_around_the_proved_interval(result):
    text = saddle_to_latex(result)
    lo, hi = result.inertia.dHd
    match = re.search(r"d\^\\top \\nabla\^2 L'\\, d \\in \[([^,]+), ([^\]]+)\]\$ \(rounded outward\)", text)
    assert match, text
    shown_lo, shown_hi = (Fraction(Decimal(g)) for g in match.groups())
    assert shown_lo <= Fraction(lo) and Fraction(hi) <= shown_hi
    assert shown_hi < 0  # still decides the sign
