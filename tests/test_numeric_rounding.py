"""Printed numbers are short decimals rounded outward: the printed interval contains the exact one."""

from __future__ import annotations

import json
import re
from fractions import Fraction

from hypothesis import example, given, settings
from hypothesis import strategies as st

from symcert.cli import main
from symcert.numeric.rounding import decimal_down, decimal_up, outward_interval

fractions = st.fractions(max_denominator=10**60).filter(lambda f: abs(f) < 10**40)


@settings(max_examples=200, deadline=None)
@given(fractions, st.integers(1, 8))
@example(Fraction(9999999, 1000000), 3)  # rounding up carries into a new digit: 10
@example(Fraction(-9999999, 1000000), 3)
@example(Fraction(1, 10**30), 2)  # an exact power of ten stays itself
@example(Fraction(-5), 1)
@example(Fraction(0), 4)
@example(Fraction(123456789, 1000), 6)  # exponent 5: fixed notation, whole number
@example(Fraction(-137, 10**50), 2)
def test_bounds_enclose_and_are_tight(x, digits):
    down, up = Fraction(decimal_down(x, digits)), Fraction(decimal_up(x, digits))
    assert down <= x <= up
    if x == 0:
        assert down == up == 0
        return
    # one unit in the last of `digits` significant places: the rounding moved at most that far
    ulp = Fraction(10) ** (len(str(abs(x).numerator)) - len(str(abs(x).denominator)) - digits + 2)
    assert up - x <= ulp and x - down <= ulp
    assert len(re.sub(r"e-?\d+$", "", decimal_up(x, digits)).strip("-").replace(".", "").strip("0")) <= digits


def test_interval_is_outward():
    lo, hi = Fraction(2, 3), Fraction(2, 3)
    printed = outward_interval(lo, hi, 4)
    assert printed == "[0.6666, 0.6667]"


def _printed_intervals(text: str) -> dict[str, tuple[Fraction, Fraction]]:
    found = {}
    for name, a, b in re.findall(r"^\s+(.+?) in \[([^,\]]+), ([^\]]+)\]$", text, re.M):
        found[name] = (Fraction(a), Fraction(b))
    return found


def test_cli_prints_short_outward_intervals_that_contain_the_json_enclosures(capsys, tmp_path):
    out_file = tmp_path / "c.json"
    assert main(["prove", "--json", str(out_file)]) == 0
    printed = _printed_intervals(capsys.readouterr().out)
    exact = json.loads(out_file.read_text())["enclosures"]
    assert set(printed) == set(exact) == {"L(A)", "L(B)", "L(M)", "barrier"}
    for name, (lo, hi) in printed.items():
        assert lo <= Fraction(exact[name][0]) and Fraction(exact[name][1]) <= hi, name
        assert hi - lo < Fraction(1, 10**4) * max(1, abs(hi))  # short, but not loose
    assert main(["prove", "--exact"]) == 0
    exact_printed = _printed_intervals(capsys.readouterr().out)
    assert {k: (str(a), str(b)) for k, (a, b) in exact_printed.items()} == {
        k: (str(Fraction(a)), str(Fraction(b))) for k, (a, b) in exact.items()
    }


def test_unbounded_enclosures_print_as_infinities():
    import sympy

    assert outward_interval(-sympy.oo, sympy.oo) == "[-inf, inf]"
    assert outward_interval(Fraction(1, 3), sympy.oo, 2) == "[0.33, inf]"
