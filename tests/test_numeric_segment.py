"""The segment function phi(t) = L(A + t(B - A)): jet enclosures against the closed form."""

from __future__ import annotations

import mpmath
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from symcert import MLP, Dataset, Loss, SpecificationError, swap
from symcert.numeric.contexts import lower, upper
from symcert.numeric.segment import (
    curvature_decision,
    direction_curvature_decision,
    segment_derivatives_exact,
    segment_enclosure,
    segment_expression,
    segment_values,
)
from symcert.numeric.values import loss_enclosure

R = sympy.Rational
SMALL = st.fractions(-2, 2, max_denominator=3)


def _problem(activation="tanh"):
    net = MLP((1, 2, 1), activation)
    loss = Loss(net, Dataset([[1], [-1]], [[1], [0]]), "mse")
    A = net.point(W1=[[2], [-1]], b1=[0, 1], W2=[[1, 2]], b2=[0])
    return loss, A, swap(1, 0, 1)(A)


@settings(max_examples=12)
@given(
    st.sampled_from(["tanh", "sigmoid", "softplus", "cube"]),
    st.lists(SMALL, min_size=14, max_size=14),
    st.fractions(-1, 2, max_denominator=7),
)
def test_enclosures_contain_the_closed_form_derivatives(activation, entries, t):
    net = MLP((1, 2, 1), activation)
    loss = Loss(net, Dataset([[1], [R(-1, 3)]], [[1], [0]]), "mse")
    A, B = net.point_from_values(entries[:7]), net.point_from_values(entries[7:])
    t = R(t.numerator, t.denominator)
    enclosure = segment_enclosure(loss, A, B, t, dps=40)
    values = segment_values(loss, A, B, t, dps=40)
    for expr, box, approx in zip(
        segment_derivatives_exact(loss, A, B, t),
        (enclosure.phi, enclosure.dphi, enclosure.d2phi),
        (values.phi, values.dphi, values.d2phi),
    ):
        reference = expr if expr.is_Rational else R(expr.evalf(60))
        slack = 0 if expr.is_Rational else R(1, 10**55)
        assert lower(box) - slack <= reference <= upper(box) + slack
        assert abs(R(str(approx)) - reference) <= R(1, 10**30) * max(1, abs(reference))
    # phi(t) is the loss at the interpolated point, enclosed the other way too.
    other = loss_enclosure(loss, A.interpolate(B, t), dps=40)
    assert max(lower(other), lower(enclosure.phi)) <= min(upper(other), upper(enclosure.phi))


def test_symmetric_segment_has_zero_slope_and_proved_negative_curvature_at_the_midpoint():
    loss, A, gA = _problem()
    enclosure = segment_enclosure(loss, A, gA, "1/2")
    assert lower(enclosure.dphi) <= 0 <= upper(enclosure.dphi)
    assert upper(enclosure.dphi) - lower(enclosure.dphi) < R(1, 10**40)
    decision = curvature_decision(loss, A, gA)
    assert decision.status == "proved" and decision.upper < 0
    assert (decision.rung, decision.dps) == ("float64", 15)  # the cheapest rung decides
    assert curvature_decision(loss, A, gA, relation=">").status == "refuted"


def test_closed_form_for_small_networks_and_refusal_for_large_ones():
    loss, A, gA = _problem()
    t = sympy.Symbol("t", real=True)
    phi = segment_expression(loss, A, gA, t)
    assert sympy.simplify(phi.subs(t, R(1, 4)) - phi.subs(t, R(3, 4))) == 0  # phi(t) = phi(1 - t)
    big = MLP((8, 16, 1), "tanh")
    big_loss = Loss(big, Dataset([[1] * 8] * 5, [[0]] * 5), "mse")
    with pytest.raises(SpecificationError, match="use segment_enclosure"):
        segment_expression(big_loss, big.random_point(0), big.random_point(1))


def test_direction_decision_matches_the_segment_second_derivative():
    loss, A, gA = _problem()
    M = A.midpoint(gA)
    assert direction_curvature_decision(loss, M, A.direction(gA)).status == "proved"
    with pytest.raises(SpecificationError, match="sequence of 7 exact numbers"):
        direction_curvature_decision(loss, M, [1, 0])
    with pytest.raises(SpecificationError, match="floats never prove"):
        direction_curvature_decision(loss, M, [0.5] * 7)


@pytest.mark.parametrize("t", [0.5, float("nan"), None, [1]])
def test_t_must_be_exact(t):
    loss, A, gA = _problem()
    with pytest.raises(SpecificationError, match="t must be exact"):
        segment_enclosure(loss, A, gA, t)


def test_segment_refuses_relu_and_foreign_points_and_leaves_mpmath_alone():
    loss, A, gA = _problem("relu")
    with pytest.raises(SpecificationError, match="smooth hidden activation"):
        segment_enclosure(loss, A, gA, "1/2")
    loss, A, gA = _problem()
    with pytest.raises(SpecificationError, match="the end point belongs to"):
        segment_enclosure(loss, A, MLP((1, 3, 1)).random_point(0), "1/2")
    segment_enclosure(loss, A, gA, "1/3", dps=70)
    assert mpmath.mp.dps == 15
