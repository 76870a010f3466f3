"""The closed-form SymPy loss and the interval evaluation from the specification agree.

For exact activations the SymPy value is an exact rational that must lie in the
rigorous enclosure; for transcendental ones its 60-digit value must. A third,
independent evaluation (tests/conftest.py, ``Reference``) checks both.
"""

from __future__ import annotations

from fractions import Fraction

import mpmath
import sympy
from hypothesis import example, given
from hypothesis import strategies as st

from symcert import MLP, Dataset, Loss
from symcert.numeric.contexts import interval_context, lower, upper
from symcert.numeric.evaluation import loss_in, output_in

R = sympy.Rational
EXACT = ["relu", "square", "cube", "identity", "leaky_relu", "leaky_relu:1/3"]
TRANSCENDENTAL = ["tanh", "sigmoid", "softplus"]
SMALL = st.fractions(-2, 2, max_denominator=4)
DPS = 30


def _rational(value: Fraction) -> sympy.Rational:
    return R(value.numerator, value.denominator)


@st.composite
def losses(draw, activations):
    widths = tuple(draw(st.lists(st.integers(1, 3), min_size=2, max_size=4)))
    output = draw(st.sampled_from(["identity", "identity", "sigmoid", "softmax"]))
    net = MLP(widths, draw(st.sampled_from(activations)), bias=draw(st.booleans()), output_activation=output)
    n = draw(st.integers(1, 3))
    xs = [[draw(SMALL) for _ in range(widths[0])] for _ in range(n)]
    if output == "sigmoid" and draw(st.booleans()):
        kind = "bce"
        ys = [[draw(st.fractions(0, 1, max_denominator=4)) for _ in range(widths[-1])] for _ in range(n)]
    elif output == "softmax" and widths[-1] > 1 and draw(st.booleans()):  # one output: refused, identically 0
        kind = "cross_entropy"
        ys = []
        for _ in range(n):
            weights = [draw(st.integers(0, 3)) for _ in range(widths[-1])]
            weights[0] += 1 if sum(weights) == 0 else 0
            ys.append([Fraction(w, sum(weights)) for w in weights])
    else:
        kind = draw(st.sampled_from(["mse", "sse"]))
        ys = [[draw(SMALL) for _ in range(widths[-1])] for _ in range(n)]
    decay = draw(st.sampled_from([0, 0, Fraction(1, 10)]))
    loss = Loss(net, Dataset(xs, ys), kind, decay)
    point = net.point_from_values([draw(SMALL) for _ in range(net.n_parameters)])
    return loss, point


def _enclosure(loss, point):
    return loss_in(interval_context(DPS), loss, point.values)


def _endpoints(enclosure):
    """The endpoints as mpmath numbers (exactly: 60 digits hold a 30-digit endpoint).

    Used instead of exact rationals where a value may be as small as
    exp(-10^7), whose exact binary denominator would make comparisons slow.
    """
    with mpmath.workdps(60):
        return mpmath.mpf(enclosure._mpi_[0]), mpmath.mpf(enclosure._mpi_[1])


def _inside(value, enclosure, digits=45) -> bool:
    """``value`` (an mpmath number or a 60-digit SymPy Float) lies in ``enclosure``,
    up to a relative 10^-digits and an absolute 10^-50, and the enclosure is tight
    (relative width 10^-20, absolute 10^-12: cancellation in large intermediate values)."""
    lo, hi = _endpoints(enclosure)
    with mpmath.workdps(60):
        if isinstance(value, sympy.Float):
            value = mpmath.mpf(value._mpf_)
        size = max(abs(lo), abs(hi))
        slack = mpmath.mpf(10) ** -digits * size + mpmath.mpf(10) ** -50
        tight = hi - lo <= mpmath.mpf(10) ** -20 * size + mpmath.mpf(10) ** -12
        return lo <= hi and tight and lo - slack <= value <= hi + slack


@given(losses(EXACT))
@example(
    (
        Loss(MLP((1, 1, 1), "relu"), Dataset([[1]], [[0]]), "sse"),
        MLP((1, 1, 1), "relu").point(W1=[[1]], b1=[-1], W2=[[1]], b2=[0]),
    )
)
def test_exact_activations_symbolic_value_lies_in_the_enclosure(reference, case):
    loss, point = case
    value = loss.expr.xreplace(point.as_dict())
    enclosure = _enclosure(loss, point)
    if loss.mlp.output_activation.name == "identity":
        # exact rationals of moderate size: compare exactly
        assert isinstance(value, sympy.Rational)
        lo, hi = lower(enclosure), upper(enclosure)
        assert lo <= value <= hi
        assert hi - lo <= R(1, 10**20) * (1 + abs(value))  # tight, not merely correct
    else:
        assert _inside(value.evalf(60), enclosure)
    with mpmath.workdps(50):
        assert _inside(reference.loss(loss, point), enclosure, digits=40)


@given(losses(TRANSCENDENTAL))
def test_transcendental_activations_symbolic_value_lies_in_the_enclosure(reference, case):
    loss, point = case
    value = loss.expr.xreplace(point.as_dict()).evalf(60)
    enclosure = _enclosure(loss, point)
    assert _inside(value, enclosure)
    with mpmath.workdps(50):
        assert _inside(reference.loss(loss, point), enclosure, digits=40)


@given(losses(EXACT + TRANSCENDENTAL), st.lists(SMALL, min_size=3, max_size=3))
@example(
    (
        Loss(MLP((1, 3, 2, 1), "cube", output_activation="sigmoid"), Dataset([[1]], [[0]]), "sse"),
        MLP((1, 3, 2, 1), "cube", output_activation="sigmoid").point(
            W1=[[2], [2], ["5/4"]],
            b1=[0, "-5/3", "-3/2"],
            W2=[[1, 2, -2], ["-1/3", 0, "1/2"]],
            b2=[-1, -2],
            W3=[["7/4", "3/2"]],
            b3=["-2/3"],
        ),
    ),
    [Fraction(-2), Fraction(0), Fraction(0)],
)  # outputs near exp(-10^7): compared in mpmath, not as exact rationals
def test_outputs_agree(reference, case, inputs):
    loss, point = case
    mlp = loss.mlp
    x = [_rational(v) for v in inputs[: mlp.widths[0]]]
    symbolic = mlp.output(x, point)
    enclosures = output_in(interval_context(DPS), mlp, point.values, x)
    with mpmath.workdps(50):
        independent = reference.output(point, x)
    for value, enclosure, other in zip(symbolic, enclosures, independent):
        if isinstance(value, sympy.Rational) and mlp.output_activation.name == "identity":
            assert lower(enclosure) <= value <= upper(enclosure)
        else:
            assert _inside(sympy.sympify(value).evalf(60), enclosure)
        assert _inside(other, enclosure, digits=40)


def test_teacher_loss_encloses_zero_and_is_exactly_zero_symbolically():
    net = MLP((1, 2, 1), "tanh")
    teacher = net.point(W1=[[1], [-2]], b1=[0, "1/2"], W2=[[3, -1]], b2=[0])
    loss = Loss(net, Dataset.teacher(net, teacher, [[1], [0], ["-1/2"]]), "mse")
    assert loss.expr.xreplace(teacher.as_dict()) == 0
    enclosure = _enclosure(loss, teacher)
    assert lower(enclosure) <= 0 <= upper(enclosure)
    assert upper(enclosure) - lower(enclosure) < R(1, 10**25)
