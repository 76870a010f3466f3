"""Tests of symcert.symbolic.losses: the empirical loss as an exact SymPy expression."""

from __future__ import annotations

import dataclasses

import mpmath
import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from symcert import ACTIVATION_NAMES, LOSS_KINDS, MLP, Dataset, ExactnessError, Loss, SpecificationError

R = sympy.Rational


def _value(expr, point, dps=50):
    """``expr`` at ``point`` as an mpmath number (evidence, not proof)."""
    with mpmath.workdps(dps):
        return mpmath.mpf(sympy.N(expr.xreplace(point.as_dict()), dps))


def test_loss_kinds():
    assert LOSS_KINDS == ("mse", "sse", "bce", "cross_entropy")


def test_sse_of_a_linear_model_by_hand():
    net = MLP((1, 1))
    w, b = net.symbols
    loss = Loss(net, Dataset([[1], [2]], [[0], [1]]), "sse")
    assert sympy.expand(loss.expr - ((w + b) ** 2 + (2 * w + b - 1) ** 2)) == 0
    assert loss.scale == 1


def test_mse_is_sse_over_points_times_outputs():
    net = MLP((1, 2, 2), "relu")
    data = Dataset([[1], [-1], [R(1, 2)]], [[0, 1], [1, 0], [2, 2]])
    mse, sse = Loss(net, data, "mse"), Loss(net, data, "sse")
    assert mse.scale == R(1, 6)
    assert sympy.expand(6 * mse.expr - sse.expr) == 0
    point = net.random_point(2)
    assert 6 * mse.expr.xreplace(point.as_dict()) == sse.expr.xreplace(point.as_dict())


def test_exact_loss_value_by_hand():
    net = MLP((1, 1, 1), "relu")
    point = net.point(W1=[[2]], b1=[-1], W2=[[3]], b2=["1/2"])
    loss = Loss(net, Dataset([[1], [0]], [[1], [0]]), "mse")
    # x=1: relu(1) = 1, f = 7/2, (5/2)^2 = 25/4; x=0: relu(-1) = 0, f = 1/2, 1/4; mean 13/4
    assert loss.expr.xreplace(point.as_dict()) == R(13, 4)


def test_weight_decay_penalises_weights_not_biases():
    net = MLP((1, 2, 1), "tanh")
    data = Dataset([[1]], [[0]])
    plain, decayed = Loss(net, data, "mse"), Loss(net, data, "mse", weight_decay="1/10")
    assert decayed.weight_decay == R(1, 10)
    W1_11, W1_21, _, _, W2_11, W2_12, _ = net.symbols
    assert decayed.weights() == [W1_11, W1_21, W2_11, W2_12]
    assert decayed.weight_indices == (0, 1, 4, 5)
    assert (
        sympy.expand(decayed.expr - plain.expr - R(1, 10) * (W1_11**2 + W1_21**2 + W2_11**2 + W2_12**2)) == 0
    )
    assert "weight_decay=1/10" in repr(decayed) and "weight_decay" not in repr(plain)


def test_bce_equals_its_textbook_form_numerically():
    net = MLP((2, 2, 1), "tanh", output_activation="sigmoid")
    data = Dataset([[1, 0], [R(-1, 2), 2]], [[R(1, 3)], [1]])
    loss = Loss(net, data, "bce")
    point = net.random_point(5)
    x = sympy.Symbol("x")
    textbook = 0
    for xi, (y,) in zip(data.xs, data.ys):
        (f,) = net.output(list(xi), point)
        textbook += -(y * sympy.log(f) + (1 - y) * sympy.log(1 - f))
    textbook /= 2
    with mpmath.workdps(50):
        assert abs(_value(loss.expr, point) - mpmath.mpf(sympy.N(textbook, 50))) < mpmath.mpf(10) ** -40
    assert x not in loss.expr.free_symbols and loss.expr.free_symbols <= set(net.symbols)


def test_cross_entropy_equals_its_textbook_form_numerically():
    net = MLP((1, 2, 3), "relu", output_activation="softmax")
    data = Dataset([[1], [-2]], [[R(1, 2), R(1, 4), R(1, 4)], [0, 0, 1]])
    loss = Loss(net, data, "cross_entropy")
    point = net.random_point(9)
    textbook = 0
    for xi, y in zip(data.xs, data.ys):
        f = net.output(list(xi), point)
        textbook += -sum(yk * sympy.log(fk) for yk, fk in zip(y, f))
    textbook /= 2
    with mpmath.workdps(50):
        assert abs(_value(loss.expr, point) - mpmath.mpf(sympy.N(textbook, 50))) < mpmath.mpf(10) ** -40


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: Loss(MLP((2, 2, 1)), Dataset([[1]], [[1]])),
            "data inputs have 1 entries but the network's input width is 2",
        ),
        (
            lambda: Loss(MLP((2, 2, 1)), Dataset([[1, 2]], [[1, 2]])),
            "data targets have 2 entries but the network's output width is 1",
        ),
        (
            lambda: Loss(MLP((2, 2, 1)), Dataset([[1, 2]], [[1]]), "bce"),
            "the bce loss needs output_activation='sigmoid'",
        ),
        (
            lambda: Loss(MLP((2, 2, 1), output_activation="softmax"), Dataset([[1, 2]], [[1]]), "bce"),
            "the bce loss needs output_activation='sigmoid', got 'softmax'",
        ),
        (
            lambda: Loss(MLP((2, 2, 1)), Dataset([[1, 2]], [[1]]), "cross_entropy"),
            "the cross_entropy loss needs output_activation='softmax'",
        ),
        (
            lambda: Loss(
                MLP((2, 2, 1), output_activation="sigmoid"), Dataset([[1, 2]], [[1]]), "cross_entropy"
            ),
            "needs output_activation='softmax', got 'sigmoid'",
        ),
        (
            lambda: Loss(MLP((2, 2, 1), output_activation="sigmoid"), Dataset([[1, 2]], [[2]]), "bce"),
            r"bce targets must lie in \[0, 1\], got ys\[0\] = \[2\]",
        ),
        (
            lambda: Loss(
                MLP((2, 2, 1), output_activation="sigmoid"), Dataset([[1, 2], [0, 0]], [[0], ["-1/2"]]), "bce"
            ),
            r"bce targets must lie in \[0, 1\], got ys\[1\]",
        ),
        (
            lambda: Loss(
                MLP((1, 2, 3), output_activation="softmax"),
                Dataset([[1]], [["1/2", "1/2", "1/2"]]),
                "cross_entropy",
            ),
            "cross_entropy targets must sum to 1",
        ),
        (
            lambda: Loss(
                MLP((1, 2, 2), output_activation="softmax"), Dataset([[1]], [[0, 0]]), "cross_entropy"
            ),
            "cross_entropy targets must sum to 1",
        ),
        (
            lambda: Loss(
                MLP((1, 2, 3), output_activation="softmax"),
                Dataset([[1]], [["3/2", "-1/2", 0]]),
                "cross_entropy",
            ),
            r"cross_entropy targets must lie in \[0, 1\]",
        ),
        (lambda: Loss(MLP((1, 2, 1)), Dataset([[1]], [[1]]), "mse", -1), "weight_decay must be >= 0, got -1"),
        (lambda: Loss(MLP((1, 2, 1)), Dataset([[1]], [[1]]), "mse", "-1/10"), "weight_decay must be >= 0"),
        (
            lambda: Loss(MLP((1, 2, 1)), Dataset([[1]], [[1]]), "hinge"),
            "kind must be one of mse, sse, bce, cross_entropy",
        ),
        (lambda: Loss((1, 2, 1), Dataset([[1]], [[1]])), "mlp must be an MLP"),
        (lambda: Loss(MLP((1, 2, 1)), ([[1]], [[1]])), "data must be a Dataset"),
    ],
)
def test_loss_specification_errors(build, message):
    with pytest.raises(SpecificationError, match=message):
        build()


def test_weight_decay_must_be_exact():
    with pytest.raises(ExactnessError, match="weight_decay"):
        Loss(MLP((1, 2, 1)), Dataset([[1]], [[1]]), "mse", float("nan"))


def test_valid_probability_targets_are_accepted():
    Loss(MLP((1, 2, 1), output_activation="sigmoid"), Dataset([[1], [2]], [[0], [1]]), "bce")
    Loss(MLP((1, 2, 3), output_activation="softmax"), Dataset([[1]], [["1/2", "1/2", 0]]), "cross_entropy")
    # mse with softmax outputs is allowed (no probability check)
    Loss(MLP((1, 2, 2), output_activation="softmax"), Dataset([[1]], [[3, 3]]), "mse")


def test_teacher_targets_of_a_network_without_probability_outputs_are_checked_for_bce():
    # The teacher's outputs are 5, not a probability: bce must refuse them as it
    # refuses Dataset([[1]], [[5]]).
    linear = MLP((1, 1))
    data = Dataset.teacher(linear, linear.point(W1=[[5]], b1=[0]), [[1]])
    assert data.ys == ((5,),)
    with pytest.raises(SpecificationError, match="bce"):
        Loss(MLP((1, 1), output_activation="sigmoid"), data, "bce")


def test_teacher_targets_of_a_sigmoid_network_are_checked_for_cross_entropy():
    # Sigmoid outputs need not sum to 1; cross_entropy needs probability vectors.
    teacher_net = MLP((1, 3), output_activation="sigmoid")
    data = Dataset.teacher(teacher_net, teacher_net.point(W1=[[0], [0], [0]], b1=[0, 0, 0]), [[1]])
    assert data.ys == ((R(1, 2), R(1, 2), R(1, 2)),)
    with pytest.raises(SpecificationError, match="cross_entropy"):
        Loss(MLP((1, 2, 3), output_activation="softmax"), data, "cross_entropy")


def test_teacher_data_from_matching_outputs_is_accepted():
    sig = MLP((1, 2, 1), "tanh", output_activation="sigmoid")
    Loss(sig, Dataset.teacher(sig, sig.random_point(1), [[1], [-1]]), "bce")
    soft = MLP((1, 2, 3), "relu", output_activation="softmax")
    Loss(soft, Dataset.teacher(soft, soft.random_point(1), [[1], [-1]]), "cross_entropy")


@pytest.mark.parametrize("act", [*ACTIVATION_NAMES, "leaky_relu:1/10"])
@pytest.mark.parametrize("kind", ["mse", "sse"])
@pytest.mark.parametrize("output", ["identity", "sigmoid", "softmax"])
def test_teacher_loss_is_exactly_zero_at_the_teacher(act, kind, output):
    net = MLP((2, 2, 2), act, output_activation=output)
    teacher = net.random_point(7)
    data = Dataset.teacher(net, teacher, [[1, 0], ["-1/2", 2], [0, "1/3"]])
    assert Loss(net, data, kind).expr.xreplace(teacher.as_dict()) == 0
    # and not zero elsewhere, for an exact activation (a check that the zero is not trivial)
    other = net.random_point(8)
    if net.activation.exact and output == "identity":
        assert Loss(net, data, kind).expr.xreplace(other.as_dict()) > 0
    # weight decay alone remains at the teacher
    decayed = Loss(net, data, kind, weight_decay="1/4")
    weights = [v for name, v in zip(net.parameter_names, teacher.values) if name.startswith("W")]
    assert decayed.expr.xreplace(teacher.as_dict()) == R(1, 4) * sum(w**2 for w in weights)


def test_terms_and_describe():
    net = MLP((1, 1, 1), "relu")
    loss = Loss(net, Dataset([[1], [2]], [[0], [1]]), "mse")
    terms = loss.terms()
    assert len(terms) == 2
    assert sympy.expand(loss.expr - loss.scale * sum(terms)) == 0
    assert loss.describe() == "mse loss of the 1-1-1 relu network (4 parameters) on 2 data points"


def test_loss_is_frozen():
    loss = Loss(MLP((1, 1, 1)), Dataset([[1]], [[0]]))
    with pytest.raises(dataclasses.FrozenInstanceError):
        loss.kind = "sse"


@given(st.integers(0, 10**6), st.sampled_from(["relu", "square", "cube", "identity", "leaky_relu:1/2"]))
def test_sse_is_a_sum_of_squares_of_exact_residuals(seed, act):
    net = MLP((1, 2, 1), act)
    data = Dataset([[1], [R(-1, 3)], [2]], [[0], [1], [R(1, 2)]])
    point = net.random_point(seed)
    residuals = [net.output(list(x), point)[0] - y for x, (y,) in zip(data.xs, data.ys)]
    assert Loss(net, data, "sse").expr.xreplace(point.as_dict()) == sum(r**2 for r in residuals)
