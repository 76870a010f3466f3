"""Gradient and Hessian by jets: agree with sympy.diff of Loss.expr; enclosures contain it; spectrum."""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from symcert import MLP, Dataset, Loss, SpecificationError, swap
from symcert.numeric.contexts import lower, upper
from symcert.numeric.derivatives import gradient_enclosure, gradient_value, hessian_enclosure, hessian_value
from symcert.numeric.floats import FloatLoss
from symcert.numeric.segment import direction_curvature_decision
from symcert.numeric.spectrum import hessian_spectrum

R = sympy.Rational
SMOOTH = ["identity", "tanh", "sigmoid", "softplus", "square", "cube"]
KINDS = [
    ("mse", "identity"),
    ("sse", "sigmoid"),
    ("mse", "softmax"),
    ("bce", "sigmoid"),
    ("cross_entropy", "softmax"),
]
SMALL = st.fractions(-2, 2, max_denominator=3)


@st.composite
def small_problems(draw):
    """Tiny networks (at most 7 parameters, 2 points) so sympy.diff stays cheap."""
    kind, output = draw(st.sampled_from(KINDS))
    m = 2 if output == "softmax" else 1
    widths = (1, draw(st.integers(1, 2)), m) if m == 1 else (1, 1, m)
    net = MLP(widths, draw(st.sampled_from(SMOOTH)), output_activation=output)
    n = draw(st.integers(1, 2))
    xs = [[draw(SMALL)] for _ in range(n)]
    if kind == "cross_entropy":
        ys = [[p, 1 - p] for p in (draw(st.fractions(0, 1, max_denominator=3)) for _ in range(n))]
    else:
        ys = [[draw(st.fractions(0, 1, max_denominator=3)) for _ in range(m)] for _ in range(n)]
    loss = Loss(net, Dataset(xs, ys), kind, draw(st.sampled_from([0, Fraction(1, 5)])))
    return loss, net.point_from_values([draw(SMALL) for _ in range(net.n_parameters)])


def _sympy_derivatives(loss, point, digits=60):
    """Gradient and Hessian from sympy.diff of the closed form, evaluated at ``digits`` digits."""
    symbols, expr = loss.mlp.symbols, loss.expr
    first = [sympy.diff(expr, s) for s in symbols]
    second = [[sympy.diff(f, s) for s in symbols] for f in first]
    f = sympy.lambdify(symbols, [first, second], "mpmath")
    with mpmath.workdps(digits):
        g, h = f(*[mpmath.mpf(int(v.p)) / int(v.q) for v in point.values])
        return [R(str(v)) for v in g], [[R(str(v)) for v in row] for row in h]


def _contains(enclosure, value, slack):
    return lower(enclosure) - slack <= value <= upper(enclosure) + slack


@settings(max_examples=15)
@given(small_problems())
def test_enclosures_contain_sympy_diff_and_mp_values_agree(problem):
    loss, point = problem
    g_ref, h_ref = _sympy_derivatives(loss, point)
    slack = R(1, 10**50)
    g_enc, h_enc = gradient_enclosure(loss, point, dps=40), hessian_enclosure(loss, point, dps=40)
    n = loss.mlp.n_parameters
    assert all(_contains(g_enc[i], g_ref[i], slack) for i in range(n))
    assert all(_contains(h_enc[i][j], h_ref[i][j], slack) for i in range(n) for j in range(n))
    g_mp, h_mp = gradient_value(loss, point, dps=40), hessian_value(loss, point, dps=40)
    assert all(abs(R(str(g_mp[i])) - g_ref[i]) < R(1, 10**30) for i in range(n))
    assert all(abs(R(str(h_mp[i][j])) - h_ref[i][j]) < R(1, 10**30) for i in range(n) for j in range(n))
    assert all(upper(e) - lower(e) < R(1, 10**25) for row in h_enc for e in row)


@settings(max_examples=15)
@given(small_problems())
def test_float64_backpropagation_agrees_with_jets(problem):
    loss, point = problem
    expected = np.array([float(v) for v in gradient_value(loss, point, dps=30)])
    got = FloatLoss(loss).gradient(point)
    assert np.allclose(got, expected, rtol=1e-9, atol=1e-9)


def test_hessian_is_symmetric_and_exact_for_a_quadratic():
    net = MLP((1, 1), output_activation="identity")  # linear regression: H = 2/N X^T X, exactly
    loss = Loss(net, Dataset([[1], [2], [R(1, 3)]], [[0], [1], [2]]), "mse")
    h = hessian_enclosure(loss, net.point(W1=[[5]], b1=[-1]), dps=30)
    expected = [[R(2, 3) * (1 + 4 + R(1, 9)), R(2, 3) * (1 + 2 + R(1, 3))], [R(2, 3) * (1 + 2 + R(1, 3)), 2]]
    for i in range(2):
        for j in range(2):
            assert _contains(h[i][j], expected[i][j], 0)
            assert upper(h[i][j]) - lower(h[i][j]) < R(1, 10**28)


@pytest.mark.parametrize("name", ["relu", "leaky_relu"])
def test_non_smooth_activations_are_refused(name):
    net = MLP((1, 2, 1), name)
    loss = Loss(net, Dataset([[1]], [[0]]), "mse")
    with pytest.raises(SpecificationError, match="needs a smooth hidden activation"):
        hessian_enclosure(loss, net.random_point(0))
    with pytest.raises(SpecificationError, match="needs a smooth hidden activation"):
        gradient_value(loss, net.random_point(0))


def test_derivatives_refuse_a_point_of_another_network():
    loss = Loss(MLP((1, 1, 1)), Dataset([[1]], [[0]]), "mse")
    with pytest.raises(SpecificationError, match="belongs to the"):
        gradient_enclosure(loss, MLP((1, 2, 1)).random_point(0))


def _saddle_problem():
    net = MLP((1, 2, 1), "tanh")
    loss = Loss(net, Dataset([[1], [-1]], [[1], [0]]), "mse")
    A = net.point(W1=[[2], [-1]], b1=[0, 1], W2=[[1, 2]], b2=[0])
    return loss, A.midpoint(swap(1, 0, 1)(A))


def test_spectrum_counts_and_labels_evidence():
    loss, M = _saddle_problem()
    spectrum = hessian_spectrum(loss, M, dps=40)
    assert spectrum.negative + spectrum.zero + spectrum.positive == 7
    assert spectrum.negative >= 1 and spectrum.positive >= 1 and spectrum.kind == "evidence"
    assert "evidence, not proof" in spectrum.describe() and "saddle" in spectrum.describe()
    assert list(spectrum.eigenvalues) == sorted(spectrum.eigenvalues)
    # The eigenvalues agree with numpy's on the float Hessian (a second way).
    expected = np.linalg.eigvalsh(np.array([[float(v) for v in row] for row in hessian_value(loss, M, 30)]))
    assert np.allclose([float(v) for v in spectrum.eigenvalues], expected, atol=1e-9)
    # Evidence becomes proof along the rounded eigenvector.
    assert direction_curvature_decision(loss, M, spectrum.lowest_direction()).status == "proved"


def test_spectrum_of_a_convex_loss_is_positive_and_zero_counts_flat_directions():
    net = MLP((1, 1), output_activation="identity")
    loss = Loss(net, Dataset([[1], [2]], [[0], [1]]), "mse")
    spectrum = hessian_spectrum(loss, net.point(W1=[[3]], b1=[1]), dps=30)
    assert (spectrum.negative, spectrum.zero, spectrum.positive) == (0, 0, 2)
    flat = Loss(net, Dataset([[1], [1]], [[0], [1]]), "mse")  # collinear data: one flat direction
    spectrum = hessian_spectrum(flat, net.point(W1=[[3]], b1=[1]), dps=30)
    assert (spectrum.negative, spectrum.zero, spectrum.positive) == (0, 1, 1)
    assert hessian_spectrum(flat, net.point(W1=[[3]], b1=[1]), dps=30, tolerance=10).zero == 2
    with pytest.raises(SpecificationError, match="tolerance must be exact"):
        hessian_spectrum(flat, net.point(W1=[[3]], b1=[1]), tolerance=0.5)
