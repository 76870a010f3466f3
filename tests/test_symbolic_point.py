"""Tests of symcert.symbolic.point: exact points, interpolation and accessors."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from symcert import MLP, ExactnessError, Point, SpecificationError

R = sympy.Rational


@pytest.fixture
def net():
    return MLP((1, 2, 1))


@pytest.fixture
def pair(net):
    a = net.point(W1=[[1], [-1]], b1=[0, "1/3"], W2=[[1, 2]], b2=[0])
    b = net.point(W1=[[-1], [1]], b1=["1/3", 0], W2=[[2, 1]], b2=[5])
    return a, b


def test_midpoint_is_exact(pair):
    a, b = pair
    mid = a.midpoint(b)
    assert mid.values == (0, 0, R(1, 6), R(1, 6), R(3, 2), R(3, 2), R(5, 2))
    assert mid == b.midpoint(a)
    # a second way: average of the flat values
    assert mid.values == tuple((x + y) / 2 for x, y in zip(a.values, b.values))


def test_interpolate_is_exact_and_hits_endpoints(pair):
    a, b = pair
    assert a.interpolate(b, 0) == a
    assert a.interpolate(b, 1) == b
    assert a.interpolate(b, "1/2") == a.midpoint(b)
    quarter = a.interpolate(b, "1/4")
    assert quarter["W2_11"] == R(5, 4)
    assert quarter["b2_1"] == R(5, 4)
    third = a.interpolate(b, Fraction(1, 3))
    assert third["b1_2"] == R(1, 3) - R(1, 9)
    assert all(isinstance(v, sympy.Rational) for v in third.values)
    # extrapolation is allowed and still exact
    assert a.interpolate(b, 2)["W1_11"] == -3
    # float t is its exact binary value
    assert a.interpolate(b, 0.1)["W2_11"] == 1 + to_binary(0.1)


def to_binary(value: float) -> sympy.Rational:
    return R(*Fraction(value).as_integer_ratio())


@given(st.fractions(-3, 3, max_denominator=50), st.integers(0, 1000), st.integers(0, 1000))
def test_interpolate_formula(t, seed_a, seed_b):
    net = MLP((2, 2, 1))
    a, b = net.random_point(seed_a), net.random_point(seed_b)
    p = a.interpolate(b, t)
    t = R(t.numerator, t.denominator)
    assert p.values == tuple(x + t * (y - x) for x, y in zip(a.values, b.values))
    assert p.values == tuple((1 - t) * x + t * y for x, y in zip(a.values, b.values))
    assert a.direction(b) == tuple(y - x for x, y in zip(a.values, b.values))
    assert b.interpolate(a, 1 - t) == p


def test_points_of_different_networks_are_rejected(net, pair):
    a, _ = pair
    other = MLP((1, 2, 1), "relu").point(W1=[[1], [-1]], b1=[0, 0], W2=[[1, 2]], b2=[0])
    with pytest.raises(SpecificationError, match="points of different networks"):
        a.midpoint(other)
    with pytest.raises(SpecificationError, match="points of different networks"):
        a.interpolate(other, "1/3")
    with pytest.raises(SpecificationError, match="points of different networks"):
        a.direction(other)
    with pytest.raises(SpecificationError, match="expected a Point"):
        a.midpoint(a.values)
    no_bias = MLP((1, 2, 1), bias=False).point(W1=[[1], [2]], W2=[[1, 2]])
    with pytest.raises(SpecificationError):
        a.midpoint(no_bias)


def test_interpolate_rejects_non_exact_t(pair):
    a, b = pair
    with pytest.raises(ExactnessError, match="t must be"):
        a.interpolate(b, float("nan"))


def test_accessors(net, pair):
    a, _ = pair
    assert a.W(1) == sympy.Matrix([[1], [-1]])
    assert a.W(2) == sympy.Matrix([[1, 2]])
    assert a.b(1) == sympy.Matrix([0, R(1, 3)])
    assert a.b(2) == sympy.Matrix([0])
    assert a["W2_12"] == 2 and a[net.symbols[1]] == -1
    assert a.as_dict() == dict(zip(net.symbols, a.values))
    assert a.arrays() == {"W1": [["1"], ["-1"]], "b1": ["0", "1/3"], "W2": [["1", "2"]], "b2": ["0"]}
    # arrays() round-trips through MLP.point
    assert net.point(**a.arrays()) == a
    for bad in (0, 3, "1", 1.0, True):
        with pytest.raises(SpecificationError, match="layer must be an integer from 1 to 2"):
            a.W(bad)
    with pytest.raises(SpecificationError, match="not a parameter"):
        a["W3_11"]
    no_bias = MLP((1, 2, 1), bias=False).point(W1=[[1], [2]], W2=[[1, 2]])
    with pytest.raises(SpecificationError, match="has no biases"):
        no_bias.b(1)


def test_point_is_frozen_and_validated(net, pair):
    a, _ = pair
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.values = (0,) * 7
    with pytest.raises(SpecificationError, match="holds 7 exact rationals"):
        Point(net, (1, 2, 3, 4, 5, 6, 7))  # Python ints, not Rationals
    with pytest.raises(SpecificationError, match="holds 7 exact rationals"):
        Point(net, (R(1),) * 6)
    with pytest.raises(SpecificationError, match="holds 7 exact rationals"):
        Point(net, (sympy.Float(1.0),) * 7)
