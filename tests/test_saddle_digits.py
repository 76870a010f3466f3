"""``symcert saddle --digits N``: the printed enclosures are the certificate's, and they pin N digits."""

from __future__ import annotations

import json
import re
from fractions import Fraction

import pytest

from symcert import check
from symcert.cli import main
from symcert.numeric.rounding import agreed_digits, outward_interval
from symcert.proofs.saddle import certify_saddle
from symcert.symbolic.saddle_example import saddle_example

_STATED = re.compile(r"as the certificate states them.*?lambda_min in \[(\S+), (\S+)\]")
_OWN = re.compile(r"prover's own enclosures, tighter: lambda_min in \[(\S+), (\S+)\]")


def _saddle(capsys, tmp_path, *extra):
    out = tmp_path / "saddle.json"
    assert main(["saddle", "--json", str(out), *extra]) == 0
    text = capsys.readouterr().out
    return text, json.loads(out.read_text())


def _claim(record, name):
    low, high = record["enclosures"][name]
    return Fraction(low), Fraction(high)


def test_the_printed_lambda_min_is_the_certificates(capsys, tmp_path):
    text, record = _saddle(capsys, tmp_path)
    stated = _STATED.search(text)
    assert stated, text
    low, high = _claim(record, "lambda_min")
    assert f"[{stated[1]}, {stated[2]}]" == outward_interval(low, high, 7)
    own = _OWN.search(text)  # the prover's tighter enclosure, inside the claim, said to be the prover's
    assert own and low <= Fraction(own[1]) and Fraction(own[2]) <= high


@pytest.mark.parametrize("digits", [12, 25])
def test_digits_pin_lambda_min_and_contain_the_plain_enclosure(capsys, tmp_path, digits):
    plain = certify_saddle(*_example_arguments())
    middle = sum(plain.inertia.lambda_min) / 2
    text, record = _saddle(capsys, tmp_path, "--digits", str(digits))
    stated = _STATED.search(text)
    low, high = Fraction(stated[1]), Fraction(stated[2])
    assert agreed_digits(low, high) >= digits, text
    plain_low, plain_high = plain.inertia.lambda_min
    assert plain_low <= high and low <= plain_high  # both hold lambda_min: they must meet
    if digits == 12:  # the plain enclosure is about 1e-15 wide: its midpoint is within 12 digits
        assert low <= middle <= high
    claim = _claim(record, "lambda_min")
    assert f"[{stated[1]}, {stated[2]}]" == outward_interval(*claim, digits)  # printed = the certificate's
    assert agreed_digits(*claim) >= digits
    for name in ("lambda_min_positive",):
        assert agreed_digits(*_claim(record, name)) >= digits
    value = re.search(r"L at the critical point .*? in \[(\S+), (\S+)\]", text)
    assert agreed_digits(Fraction(value[1]), Fraction(value[2])) >= digits
    assert "note:" not in text  # every enclosure got there
    assert record["dps"] >= 2 * digits and Fraction(record["parameters"]["radius"]) < Fraction(1, 10**digits)
    assert check(record).accepted  # the checker re-proves the tight claims at the stated precision


def _example_arguments():
    ex = saddle_example()
    return ex.loss, ex.approx, ex.layer, ex.unit, ex.lam


def test_an_enclosure_that_cannot_be_tightened_is_named(capsys):
    """lam = 0: the inertia is undecided, so lambda_min is not certified; the note says so."""
    assert main(["saddle", "--lift", "1:0:0", "--digits", "8"]) == 1
    text = capsys.readouterr().out
    assert "note: lambda_min is not certified: the inertia over the lifted box is undecided" in text


def test_digits_out_of_range_is_a_one_line_error(capsys):
    assert main(["saddle", "--digits", "0"]) == 2
    assert "--digits must be an integer from 1 to" in capsys.readouterr().err


def test_a_box_far_below_float_range_is_proved_and_printed():
    """At 700 digits the radius (about 1e-690) underflows a float: sized and printed exactly."""
    from symcert.printing.text.results import critical_point_to_text
    from symcert.proofs.critical_point import certify_critical_point
    from symcert.proofs.critical_point_tight import tighten_critical_point

    ex = saddle_example()
    found = certify_critical_point(ex.loss, ex.approx)
    tight = tighten_critical_point(found, 700)
    assert tight.proved and tight.radius < Fraction(1, 10**600)
    assert all(a >= b for a, b in zip(tight.lower, found.lower))  # inside the float box
    assert all(a <= b for a, b in zip(tight.upper, found.upper))
    text = critical_point_to_text(tight, 20)
    assert re.search(r"box: centre \+- [1-9](\.[0-9]+)?e-[6-9][0-9]{2} \(exact", text), text
