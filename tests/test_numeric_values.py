"""Loss values and enclosures: contain a 100-digit reference; float64, mpmath and intervals agree."""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy
from hypothesis import example, given, settings
from hypothesis import strategies as st

from symcert import MLP, Dataset, Loss, SpecificationError
from symcert.numeric.contexts import lower, upper
from symcert.numeric.floats import FloatLoss, loss_float
from symcert.numeric.values import difference_decision, loss_enclosure, loss_value

R = sympy.Rational
ACTIVATIONS = ["identity", "tanh", "sigmoid", "relu", "leaky_relu:1/3", "softplus", "square", "cube"]
SMALL = st.fractions(-2, 2, max_denominator=5)  # denominators 3 and 5 are not binary: rounding happens


@st.composite
def problems(draw, activations=ACTIVATIONS):
    """A small network, loss, exact data and exact point, every loss kind and output."""
    kind, output = draw(
        st.sampled_from(
            [
                ("mse", "identity"),
                ("sse", "identity"),
                ("mse", "sigmoid"),
                ("sse", "softmax"),
                ("bce", "sigmoid"),
                ("cross_entropy", "softmax"),
            ]
        )
    )
    hidden = draw(st.lists(st.integers(1, 3), min_size=0, max_size=2))
    m = 2 if output == "softmax" else draw(st.integers(1, 2))
    widths = (draw(st.integers(1, 2)), *hidden, m)
    net = MLP(widths, draw(st.sampled_from(activations)), output_activation=output)
    n = draw(st.integers(1, 3))
    xs = [[draw(SMALL) for _ in range(widths[0])] for _ in range(n)]
    if kind == "bce":
        ys = [[draw(st.fractions(0, 1, max_denominator=4)) for _ in range(m)] for _ in range(n)]
    elif kind == "cross_entropy":
        ys = [[p, 1 - p] for p in (draw(st.fractions(0, 1, max_denominator=4)) for _ in range(n))]
    else:
        ys = [[draw(SMALL) for _ in range(m)] for _ in range(n)]
    loss = Loss(net, Dataset(xs, ys), kind, draw(st.sampled_from([0, Fraction(1, 10)])))
    point = net.point_from_values([draw(SMALL) for _ in range(net.n_parameters)])
    return loss, point


def _closed_form(loss, point):
    """The SymPy loss at the exact point: exact when it is rational, else 100 digits (and a slack)."""
    value = loss.expr.xreplace(point.as_dict())
    if value.is_Rational:
        return value, 0
    return R(value.evalf(100)), R(1, 10**90)


@settings(max_examples=40)
@given(problem=problems())
@example(
    problem=(
        Loss(MLP((1, 1, 1), "cube"), Dataset([[R(1, 3)]], [[1]]), "sse"),
        MLP((1, 1, 1), "cube").random_point(1),
    )
)
def test_enclosure_contains_the_100_digit_closed_form_and_reference(problem, reference):
    loss, point = problem
    enclosure = loss_enclosure(loss, point, dps=30)
    lo, hi = lower(enclosure), upper(enclosure)
    value, slack = _closed_form(loss, point)
    assert lo - slack <= value <= hi + slack
    with mpmath.workdps(110):
        independent = R(str(reference.loss(loss, point, dps=100)))
    assert lo - R(1, 10**90) <= independent <= hi + R(1, 10**90)
    assert hi - lo <= R(1, 10**20) * max(1, abs(value))  # tight, not merely valid


@settings(max_examples=40)
@given(problems())
def test_float64_mpmath_and_interval_agree_within_their_precision(problem):
    loss, point = problem
    exact_value = R(str(loss_value(loss, point, dps=40)))
    enclosure = loss_enclosure(loss, point, dps=40)
    scale = max(1, abs(exact_value))
    assert lower(enclosure) - R(1, 10**35) * scale <= exact_value <= upper(enclosure) + R(1, 10**35) * scale
    as_float = loss_float(loss, point)
    assert abs(as_float - float(exact_value)) <= 1e-9 * float(scale)


def test_value_is_evidence_enclosure_is_rigorous():
    net = MLP((1, 1, 1), "tanh")
    loss = Loss(net, Dataset([[1]], [[0]]), "sse")
    point = net.point(W1=[[1]], b1=[0], W2=[[1]], b2=[0])
    reference = R(sympy.tanh(1).evalf(80) ** 2)
    assert abs(R(str(loss_value(loss, point, dps=60))) - reference) < R(1, 10**55)
    enclosure = loss_enclosure(loss, point, dps=60)
    assert lower(enclosure) < reference < upper(enclosure)
    assert upper(enclosure) - lower(enclosure) < R(1, 10**55)


def test_precision_is_an_argument_and_leaves_mpmath_alone():
    net = MLP((1, 2, 1), "sigmoid")
    loss = Loss(net, Dataset([[1], [R(1, 3)]], [[0], [1]]), "mse")
    point = net.random_point(4)
    narrow = loss_enclosure(loss, point, dps=80)
    wide = loss_enclosure(loss, point, dps=20)
    assert upper(narrow) - lower(narrow) < upper(wide) - lower(wide)
    assert mpmath.mp.dps == 15 and mpmath.iv.dps == 15


def test_teacher_targets_are_not_rounded():
    net = MLP((1, 2, 1), "tanh")
    teacher = net.point(W1=[[1], [-2]], b1=[0, R(1, 3)], W2=[[1, 3]], b2=[0])
    loss = Loss(net, Dataset.teacher(net, teacher, [[-1], [R(1, 7)], [2]]), "mse")
    enclosure = loss_enclosure(loss, teacher, dps=50)
    assert lower(enclosure) <= 0 <= upper(enclosure) < R(1, 10**90)


def test_difference_decision_proves_and_refutes():
    net = MLP((1, 1, 1), "tanh")
    loss = Loss(net, Dataset([[1]], [[0]]), "sse")
    big = net.point(W1=[[1]], b1=[0], W2=[[1]], b2=[0])
    zero = net.point(W1=[[0]], b1=[0], W2=[[1]], b2=[0])
    assert difference_decision(loss, big, zero).status == "proved"
    assert difference_decision(loss, zero, big).status == "refuted"
    assert difference_decision(loss, big, big).status == "undecided"


def test_float_loss_vector_interface_and_gradient_shape():
    net = MLP((2, 3, 1), "tanh")
    loss = Loss(net, Dataset([[1, 2], [0, 1]], [[1], [0]]), "mse")
    compiled = FloatLoss(loss)
    theta = np.linspace(-1, 1, net.n_parameters)
    value, gradient = compiled.value_and_gradient(theta)
    assert value == compiled.value(theta) and gradient.shape == (net.n_parameters,)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda loss, other: loss_value(loss, other), "belongs to the 1-2-1"),
        (lambda loss, other: loss_enclosure(loss, [0.5] * 4), "must be an exact Point, got list"),
        (lambda loss, other: loss_enclosure(loss, loss.mlp.random_point(0), dps=4), "dps must be an integer"),
        (
            lambda loss, other: loss_value(loss, loss.mlp.random_point(0), dps=10_001),
            "dps must be an integer",
        ),
        (lambda loss, other: loss_value(loss, loss.mlp.random_point(0), dps=50.0), "dps must be an integer"),
        (lambda loss, other: loss_value(loss, loss.mlp.random_point(0), dps=True), "dps must be an integer"),
        (lambda loss, other: loss_value("loss", other), "expected a Loss"),
        (lambda loss, other: FloatLoss(loss).value([np.nan, 0, 0, 0]), "must be finite"),
        (lambda loss, other: FloatLoss(loss).value([np.inf, 0, 0, 0]), "must be finite"),
        (lambda loss, other: FloatLoss(loss).value([0.0] * 5), "has shape (4,)"),
        (lambda loss, other: FloatLoss(loss).value(other), "belongs to the 1-2-1"),
    ],
)
def test_bad_input_is_refused_with_one_clear_sentence(call, message):
    loss = Loss(MLP((1, 1, 1), "tanh"), Dataset([[1]], [[0]]), "sse")
    other = MLP((1, 2, 1), "tanh").random_point(0)
    with pytest.raises(SpecificationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call(loss, other)
