"""The saddle checker's verified float64 shortcuts: they decide on their own, and tampering still fails."""

from __future__ import annotations

import copy
import json
from fractions import Fraction

import numpy as np
import pytest
from flint import arb, arb_mat

from symcert import certify_saddle, check
from symcert.checker import saddle, saddle_f64
from symcert.checker.f64 import Interval
from symcert.symbolic.saddle_example import saddle_example


@pytest.fixture(scope="module")
def record():
    example = saddle_example()
    result = certify_saddle(example.loss, example.approx, example.layer, example.unit, example.lam)
    return json.loads(result.certificate().to_json())


def tampered(record, change):
    out = copy.deepcopy(record)
    change(out)
    return out


@pytest.fixture
def passes(monkeypatch):
    """``(fast, problems)`` of every pass of the saddle check."""
    seen = []
    inner = saddle._verify

    def spy(s):
        found = inner(s)
        seen.append((s.fast, list(found[2])))
        return found

    monkeypatch.setattr(saddle, "_verify", spy)
    return seen


def test_the_float64_path_accepts_on_its_own(record, passes, monkeypatch):
    def no_arb(*args):
        raise AssertionError("the Arb fallback ran")

    monkeypatch.setattr(saddle.hessian, "eigenbasis", no_arb)  # the Arb inertia's basis
    monkeypatch.setattr(saddle, "_pinned", no_arb)  # the Arb residual bounds
    calls = []
    gram = saddle_f64.gram
    monkeypatch.setattr(saddle_f64, "gram", lambda J: calls.append(1) or gram(J))
    found = check(record)
    assert found.accepted, found.reasons
    assert passes == [(True, [])] and calls  # one pass, J^T J in float64
    assert found.enclosures["lambda_min"][1] < 0 < found.enclosures["lambda_min_positive"][0]


def test_a_wrong_index_is_rejected_by_the_float64_pass(record, passes):
    found = check(tampered(record, lambda r: r["parameters"].__setitem__("index", 2)))
    assert not found.accepted
    assert passes[0][0] is True and any("negative eigenvalues, not the stated 2" in p for p in passes[0][1])


def test_a_moved_direction_is_rejected_with_the_float64_pass_first(record, passes):
    def move(r):
        r["parameters"]["direction"]["W2"][0] = ["1", "1"]

    found = check(tampered(record, move))
    assert not found.accepted and passes[0][0] is True
    assert any("d^T H_wide d" in r or "dHd" in r for r in found.reasons if r.startswith("REJECT"))


def test_a_tampered_dhd_or_radius_claim_is_rejected(record):
    def shift(r):
        low, high = (Fraction(v) for v in r["enclosures"]["dHd"])
        r["enclosures"]["dHd"] = [str(low / 2), str(high / 2)]

    found = check(tampered(record, shift))
    assert not found.accepted and any("dHd" in r and "does not contain" in r for r in found.reasons)
    tiny = str(Fraction(record["parameters"]["radius"]) / 10**12)
    assert not check(tampered(record, lambda r: r["parameters"].__setitem__("radius", tiny))).accepted


# -- the float64 functions on their own ------------------------------------------------------


def _box(values, radius=1e-9):
    n = len(values)
    return arb_mat(n, len(values[0]), [arb(v) + arb(0, radius) for row in values for v in row])


def test_to_interval_holds_the_balls():
    M = arb_mat([[arb(1) / 3, arb(-2) / 7], [arb(10) ** 30, arb(0)]])
    x = saddle_f64.to_interval(M)
    assert x.lo[0, 0] < 1 / 3 < x.hi[0, 0] and x.lo[0, 1] < -2 / 7 < x.hi[0, 1]
    assert arb(x.lo[1, 0]) < arb(10) ** 30 < arb(x.hi[1, 0])
    with pytest.raises(ArithmeticError):
        saddle_f64.to_interval(arb_mat([[arb(10) ** 400]]))


def test_inertia_counts_or_declines():
    H = saddle_f64.to_interval(_box([[-1, 0.1, 0], [0.1, 2, 0], [0, 0, 3]]))
    V = np.linalg.eigh(0.5 * (H.lo + H.hi))[1]
    assert saddle_f64.inertia(H, V) == 1
    assert saddle_f64.inertia(H, np.eye(3)) == 1
    wide = Interval(H.lo - np.diag([0, 0, 4.0]), H.hi)  # a disc reaching 0: undecided, not a count
    assert saddle_f64.inertia(wide, np.eye(3)) is None
    assert saddle_f64.inertia(H, np.zeros((3, 3))) is None  # a singular basis proves nothing


def test_pinned_and_gram_hold_the_exact_values():
    A = np.array([[2.0, 1.0], [1.0, 3.0]])
    mus, V = np.linalg.eigh(A)
    found = saddle_f64.pinned(Interval.point(A), mus, V)
    exact = sorted([(5 - 5**0.5) / 2, (5 + 5**0.5) / 2])
    assert all(low < value < high for (low, high), value in zip(found, exact))
    J = arb_mat([[arb(1) / 3, arb(2)], [arb(-1), arb(1) / 7]])
    G = saddle_f64.gram(J)
    exact_gram = J.transpose() * J
    assert all(G[i, j].contains(exact_gram[i, j]) for i in range(2) for j in range(2))


def test_the_krawczyk_margin_decides_only_below_zero():
    H = arb_mat([[2, 0], [0, 4]])
    Y = arb_mat([[0.5, 0], [0, 0.25]])
    r = Fraction(1, 2**20)
    small = saddle_f64.krawczyk_margin(arb_mat([[arb(1e-9)], [arb(-1e-9)]]), H, Y, r)
    assert small is not None and small < 0
    assert saddle_f64.krawczyk_margin(arb_mat([[arb(1)], [arb(1)]]), H, Y, r) is None
