"""Tests of symcert.symbolic.canonical: canonical forms in the abstract activation sigma."""

from __future__ import annotations

import sympy

from symcert.symbolic.canonical import Canonicalizer, canonicalize, same_canonical_form
from symcert.symbolic.lemmas import SIGMA

R = sympy.Rational
x, w, b = sympy.symbols("x w b", real=True)


def test_odd_and_homogeneous_rewrites():
    uses: dict[str, int] = {}
    assert canonicalize(-2 * SIGMA(-3 * w * x), {"odd", "homogeneous"}, uses) == 6 * SIGMA(w * x)
    assert uses == {"homogeneous": 1, "odd": 1}


def test_each_lemma_alone():
    assert canonicalize(SIGMA(-w), {"odd"}, {}) == -SIGMA(w)
    assert canonicalize(SIGMA(-w), {"complement"}, {}) == 1 - SIGMA(w)
    assert canonicalize(SIGMA(2 * w), {"homogeneous"}, {}) == 2 * SIGMA(w)
    assert canonicalize(SIGMA(R(1, 2) * w), {"homogeneous"}, {}) == SIGMA(w) / 2
    # no lemma: nothing changes but the expansion of the argument
    assert canonicalize(SIGMA(-(w + b) * 2), set(), {}) == SIGMA(-2 * w - 2 * b)
    # the homogeneous lemma never extracts a negative factor
    assert canonicalize(SIGMA(-2 * w), {"homogeneous"}, {}) == 2 * SIGMA(-w)


def test_arguments_are_expanded_inside_nested_sigma():
    expr = SIGMA(w * (x + 1) - SIGMA(-(b - w)))
    form = canonicalize(expr, {"odd"}, {})
    assert form == SIGMA(w * x + w + SIGMA(b - w))
    # a second way: both sides agree for a concrete odd sigma (tanh), numerically
    point = {w: R(1, 3), x: R(-2), b: R(5, 4)}
    left = expr.replace(SIGMA, sympy.tanh).xreplace(point)
    right = form.replace(SIGMA, sympy.tanh).xreplace(point)
    assert abs(sympy.N(left - right, 40)) < R(1, 10**35)


def test_the_two_sides_of_a_sigmoid_flip_agree():
    # f(theta) = v sigma(w x + b) + c and its flip: -v sigma(-w x - b) + (c + v)
    v, c = sympy.symbols("v c", real=True)
    left = v * SIGMA(w * x + b) + c
    right = -v * SIGMA(-w * x - b) + c + v
    canon = Canonicalizer({"complement"})
    agree, how = same_canonical_form(canon.form(left), canon.form(right))
    assert agree, how
    assert canon.used(right) == frozenset({"complement"})
    assert canon.used(left) == frozenset()


def test_forms_that_differ():
    canon = Canonicalizer({"odd"})
    agree, how = same_canonical_form(canon.form(SIGMA(w) ** 2), canon.form(SIGMA(2 * w)))
    assert not agree and how == "the canonical forms differ"
    agree, how = same_canonical_form(
        canon.form((SIGMA(w) + 1) ** 2), canon.form(SIGMA(w) ** 2 + 2 * SIGMA(w) + 1)
    )
    assert agree and "expand" in how
