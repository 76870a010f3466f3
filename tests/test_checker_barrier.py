"""The checker on barrier certificates: round trip, and every tampering rejected."""

from __future__ import annotations

import copy
from fractions import Fraction

import pytest

from symcert import certify_barrier, check
from symcert.checker import CertificateFormatError
from symcert.symbolic.examples import default_example


@pytest.fixture(scope="module")
def record():
    example = default_example()
    A = example.teacher
    result = certify_barrier(example.loss, A, example.element(A), tol=Fraction(1, 1000))
    assert result.status == "proved" and result.lo > 4
    return result.certificate().to_dict()


def tampered(record, change):
    out = copy.deepcopy(record)
    change(out)
    return out


def test_the_prover_s_certificate_is_accepted(record):
    result = check(record)
    assert result.accepted, result.reasons
    assert "re-proved" in result.reasons[-1]


def _pieces(r):
    return r["parameters"]["pieces"]


def _witness_piece(r):
    w = Fraction(r["parameters"]["witness"])
    return next(i for i, p in enumerate(_pieces(r)) if Fraction(p[0]) <= w <= Fraction(p[1]))


@pytest.mark.parametrize(
    "change, reason",
    [
        (lambda r: _pieces(r).pop(_witness_piece(r)), "starts at"),  # a gap around the maximiser
        (lambda r: _pieces(r).pop(0), "start at"),
        (lambda r: _pieces(r).pop(), "end at"),
        (lambda r: _pieces(r)[_witness_piece(r)].__setitem__(2, "4"), "above its claimed upper bound"),
        (
            lambda r: r["enclosures"]["barrier"].__setitem__(1, r["enclosures"]["barrier"][0]),
            "barrier's upper",
        ),
        (lambda r: r["parameters"].__setitem__("witness", "1/8"), "at the witness"),
        (lambda r: r["parameters"].__setitem__("witness", "0"), "at the witness"),
        (
            lambda r: r["enclosures"]["barrier"].__setitem__(0, r["enclosures"]["barrier"][1]),
            "at the witness",
        ),
        (lambda r: r["parameters"].__setitem__("form", "midpoint"), None),  # a different statement
        (lambda r: r.__setitem__("status", "undecided"), "status"),
    ],
    ids=[
        "gap",
        "first",
        "last",
        "piece-lowered",
        "hi-lowered",
        "witness-moved",
        "witness-0",
        "lo-raised",
        "form",
        "status",
    ],
)
def test_tampered_certificates_are_rejected(record, change, reason):
    result = check(tampered(record, change))
    if reason is None:  # with L(A) = L(B) = 0 the two forms coincide: the claim stays true
        assert result.accepted
        return
    assert not result.accepted
    assert any(reason in r for r in result.reasons), result.reasons


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda r: r["parameters"].__setitem__("form", "chord"), "form must be one of"),
        (lambda r: r["parameters"].__setitem__("witness", "3/2"), "witness must lie in"),
        (lambda r: r["parameters"].__setitem__("pieces", []), "pieces must hold"),
        (lambda r: _pieces(r)[0].pop(), "triple"),
        (lambda r: _pieces(r)[0].__setitem__(2, 4), "string"),
        (lambda r: r["parameters"].pop("witness"), "parameters"),
        (lambda r: r["enclosures"].__setitem__("g", ["0", "1"]), "unknown enclosure"),
    ],
)
def test_malformed_barrier_certificates_are_format_errors(record, change, match):
    with pytest.raises(CertificateFormatError, match=match):
        check(tampered(record, change))


def test_the_budget_grows_with_the_pieces(record):
    from symcert.checker.budget import attempt_seconds
    from symcert.checker.statement import Statement

    more = tampered(record, lambda r: r["parameters"].__setitem__("pieces", _pieces(r) * 10))
    assert attempt_seconds(Statement(more), "arb", 50) > 5 * attempt_seconds(Statement(record), "arb", 50)


@pytest.fixture(scope="module")
def constant():
    """The prover's certificate of a constant path (B = A): the barrier is exactly 0."""
    example = default_example()
    A = example.teacher
    result = certify_barrier(example.loss, A, A)
    assert result.status == "proved" and result.exact
    return result.certificate().to_dict()


def test_a_constant_path_is_accepted(constant):
    result = check(constant)
    assert result.accepted, result.reasons


@pytest.mark.parametrize(
    "change, reason",
    [
        (lambda r: _pieces(r)[0].__setitem__(2, "-57/10"), "g is exactly 0 there"),  # the audit's file
        (
            lambda r: r["parameters"].__setitem__("pieces", [["0", "1/2", "0"], ["1/2", "1", "-57/10"]]),
            "g is exactly 0 there",
        ),
        (lambda r: r["parameters"].__setitem__("pieces", [["0", "1/2", "0"]]), "end at"),
        (lambda r: r["parameters"].__setitem__("pieces", [["0", "1", "0"], ["1", "1", "0"]]), "empty"),
        (lambda r: _pieces(r)[0].__setitem__(2, "1"), "above the barrier's upper bound"),
        (lambda r: r["enclosures"].__setitem__("L(A)", ["5", "6"]), "L(A) does not contain"),
    ],
    ids=["negative-piece", "negative-half", "gap", "empty-piece", "piece-above-hi", "L(A)"],
)
def test_a_constant_path_checks_every_stated_bound(constant, change, reason):
    # B = A makes the answer trivially 0, but every bound the file states is still checked.
    result = check(tampered(constant, change))
    assert not result.accepted
    assert any(reason in r for r in result.reasons), result.reasons
