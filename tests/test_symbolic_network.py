"""Tests of symcert.symbolic.network: the MLP specification, its parameters and closed form."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from symcert import MLP, ExactnessError, Point, SpecificationError
from symcert.printing.latex.names import symbol_names

R = sympy.Rational

widths_strategy = st.lists(st.integers(1, 4), min_size=2, max_size=5).map(tuple)


# -- widths and construction ------------------------------------------------------


@pytest.mark.parametrize(
    ("widths", "message"),
    [
        ((3,), r"widths needs at least two entries \(input and output\), got \(3,\)"),
        ((), r"widths needs at least two entries"),
        ((2, 0, 1), r"widths must be positive integers, got \(2, 0, 1\)"),
        ((2, -1, 1), r"widths must be positive integers, got \(2, -1, 1\)"),
        (("a", 1), r"widths must be positive integers, got \('a', 1\)"),
        ((True, 1), r"widths must be positive integers, got \(True, 1\)"),
        ((2.0, 1), r"widths must be positive integers"),
        (2.5, r"widths must be a sequence of positive integers, got 2.5"),
        ("12", r"widths must be a sequence of positive integers"),
        (None, r"widths must be a sequence"),
        ((1, 10**6, 1), r"widths above \d+ are not supported"),
    ],
)
def test_bad_widths_raise_specification_error_naming_widths(widths, message):
    with pytest.raises(SpecificationError, match=message):
        MLP(widths)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(activation="gelu"), "activation must be one of"),
        (dict(activation=3), "activation must be a name"),
        (dict(activation="tanh:1/2"), "only leaky_relu takes a slope"),
        (dict(activation="leaky_relu:2"), "strictly between 0 and 1"),
        (dict(activation="leaky_relu:0"), "strictly between 0 and 1"),
        (dict(bias=1), "bias must be True, False or one bool per weight layer"),
        (dict(bias=None), "bias must be True, False or one bool per weight layer"),
        (dict(output_activation="relu"), "output_activation must be one of"),
    ],
)
def test_bad_options_raise_specification_error(kwargs, message):
    activation = kwargs.pop("activation", "tanh")
    with pytest.raises(SpecificationError, match=message):
        MLP((1, 2, 1), activation, **kwargs)


def test_leaky_relu_slope_with_garbage_raises_exactness_error():
    with pytest.raises(ExactnessError, match="leaky_relu slope"):
        MLP((1, 2, 1), "leaky_relu:abc")


def test_mlp_is_frozen_and_hashable():
    net = MLP((1, 2, 1))
    with pytest.raises(dataclasses.FrozenInstanceError):
        net.widths = (1, 3, 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        net.bias = False
    with pytest.raises(dataclasses.FrozenInstanceError):
        net.anything = 1
    assert net.widths == (1, 2, 1)
    assert MLP([1, 2, 1]) == net
    assert hash(MLP([1, 2, 1])) == hash(net)
    assert MLP((1, 2, 1), "relu") != net
    assert MLP((1, 2, 1), bias=False) != net
    assert MLP((1, 2, 1), "leaky_relu") == MLP((1, 2, 1), "leaky_relu:1/100")
    assert MLP((1, 2, 1), "leaky_relu:1/10") != MLP((1, 2, 1), "leaky_relu:1/100")


def test_repr_and_describe():
    assert repr(MLP((1, 2, 1))) == "MLP((1, 2, 1), 'tanh')"
    assert (
        repr(MLP((1, 2, 1), "leaky_relu:1/10", bias=False)) == "MLP((1, 2, 1), 'leaky_relu:1/10', bias=False)"
    )
    assert MLP((1, 2, 1)).describe() == "1-2-1 tanh network (7 parameters)"
    assert MLP((2, 3), bias=False, output_activation="sigmoid").describe() == (
        "2-3 single-layer (no hidden units) network (6 parameters, sigmoid output, no biases)"
    )


# -- parameters -------------------------------------------------------------------


def test_symbol_order_and_names_of_a_1_2_1_network():
    net = MLP((1, 2, 1))
    assert net.parameter_names == ("W1_11", "W1_21", "b1_1", "b1_2", "W2_11", "W2_12", "b2_1")
    assert tuple(str(s) for s in net.symbols) == net.parameter_names
    assert all(s.is_real for s in net.symbols)
    assert net.index == {name: i for i, name in enumerate(net.parameter_names)}


def test_symbol_order_is_row_major_per_layer():
    net = MLP((2, 3, 2))
    assert net.parameter_names == (
        "W1_11", "W1_12", "W1_21", "W1_22", "W1_31", "W1_32", "b1_1", "b1_2", "b1_3",
        "W2_11", "W2_12", "W2_13", "W2_21", "W2_22", "W2_23", "b2_1", "b2_2",
    )  # fmt: skip


def test_names_without_biases():
    assert MLP((1, 2, 1), bias=False).parameter_names == ("W1_11", "W1_21", "W2_11", "W2_12")


def test_wide_layers_use_an_underscore_separator():
    net = MLP((10, 2, 1))
    names = net.parameter_names
    assert names[:3] == ("W1_1_1", "W1_1_2", "W1_1_3")
    assert "W1_1_10" in names and "W1_2_10" in names
    assert "b1_2" in names
    assert names[-3:] == ("W2_11", "W2_12", "b2_1")  # layer 2 is 1x2: no separator
    wide = MLP((1, 12, 1))
    assert "W1_12_1" in wide.parameter_names and "b1_12" in wide.parameter_names
    assert "W2_1_12" in wide.parameter_names
    assert symbol_names(wide)[wide.symbols[wide.index["W2_1_12"]]] == "W^{(2)}_{1,12}"


def test_text_and_latex_names_are_written_from_the_same_parts():
    """One naming scheme (MLP.parameter_parts): the symbol and the LaTeX name of each parameter agree."""
    for net in (MLP((1, 2, 1)), MLP((10, 2, 1)), MLP((2, 12, 3), bias=False)):
        latex = symbol_names(net)
        for part, symbol in zip(net.parameter_parts, net.symbols):
            assert symbol.name == str(part)
            assert latex[symbol] == "%s^{(%d)}_{%s}" % (part.letter, part.layer, part.indices_text(","))
            assert (part.letter == "W") == (len(part.indices) == 2)


def test_latex_names():
    net = MLP((1, 2, 1))
    assert symbol_names(net) == {
        net.symbols[0]: "W^{(1)}_{11}",
        net.symbols[1]: "W^{(1)}_{21}",
        net.symbols[2]: "b^{(1)}_{1}",
        net.symbols[3]: "b^{(1)}_{2}",
        net.symbols[4]: "W^{(2)}_{11}",
        net.symbols[5]: "W^{(2)}_{12}",
        net.symbols[6]: "b^{(2)}_{1}",
    }
    text = sympy.latex(net.symbols[1] * net.symbols[6], symbol_names=symbol_names(net))
    assert "W^{(1)}_{21}" in text and "b^{(2)}_{1}" in text


@given(widths_strategy, st.booleans())
def test_n_parameters_formula_and_unique_names(widths, bias):
    net = MLP(widths, bias=bias)
    expected = sum(widths[l] * widths[l - 1] + (widths[l] if bias else 0) for l in range(1, len(widths)))
    assert net.n_parameters == expected
    assert len(net.symbols) == len(net.parameter_names) == len(symbol_names(net)) == expected
    assert len(set(net.parameter_names)) == expected
    assert len(set(symbol_names(net).values())) == expected
    assert net.depth == len(widths) - 1
    assert list(net.hidden_layers) == list(range(1, len(widths) - 1))


@given(widths_strategy, st.booleans())
def test_layers_and_flatten_are_inverse(widths, bias):
    net = MLP(widths, bias=bias)
    values = tuple(range(net.n_parameters))
    layers = net.layers(values)
    assert len(layers) == net.depth
    for l, layer in enumerate(layers, start=1):
        assert len(layer.weights) == widths[l]
        assert all(len(row) == widths[l - 1] for row in layer.weights)
        assert (layer.biases is None) == (not bias)
    assert net.flatten(layers) == values
    # each weight sits where its name says
    for name, value in zip(net.parameter_names, values):
        if name.startswith("W"):
            l, rest = name[1:].split("_", 1)
            j, k = rest.split("_") if "_" in rest else (rest[0], rest[1])
            assert layers[int(l) - 1].weights[int(j) - 1][int(k) - 1] == value


# -- closed form ------------------------------------------------------------------


def test_closed_form_of_a_1_2_1_tanh_network():
    net = MLP((1, 2, 1), "tanh")
    W1_11, W1_21, b1_1, b1_2, W2_11, W2_12, b2_1 = net.symbols
    x = sympy.Symbol("x", real=True)
    hand = W2_11 * sympy.tanh(W1_11 * x + b1_1) + W2_12 * sympy.tanh(W1_21 * x + b1_2) + b2_1
    (output,) = net.output([x])
    assert output == hand
    assert sympy.expand(output - hand) == 0


def test_closed_form_with_output_activations():
    x = sympy.Symbol("x", real=True)
    sig = MLP((1, 1), output_activation="sigmoid")
    w, b = sig.symbols
    assert sig.output([x]) == [1 / (1 + sympy.exp(-(w * x + b)))]
    soft = MLP((1, 2), bias=False, output_activation="softmax")
    w1, w2 = soft.symbols
    outputs = soft.output([x])
    total = sympy.exp(w1 * x) + sympy.exp(w2 * x)
    assert outputs == [sympy.exp(w1 * x) / total, sympy.exp(w2 * x) / total]
    assert sympy.simplify(sum(outputs) - 1) == 0


def test_output_at_an_exact_point_equals_substituted_closed_form():
    net = MLP((1, 2, 1), "tanh")
    point = net.point(W1=[[1], ["-1/2"]], b1=["1/3", 0], W2=[[2, -3]], b2=["1/5"])
    x = R(3, 4)
    direct = net.output([x], point)
    substituted = [e.xreplace(point.as_dict()) for e in net.output([x])]
    assert direct == substituted
    assert direct == [R(1, 5) + 2 * sympy.tanh(R(13, 12)) - 3 * sympy.tanh(R(-3, 8))]


def test_relu_output_is_an_exact_rational():
    net = MLP((2, 2, 1), "relu")
    point = net.point(W1=[[1, -1], [2, "1/2"]], b1=[0, -3], W2=[["3/2", -1]], b2=["1/7"])
    # hand: z1 = 1*2 - 1*5 = -3 -> 0; z2 = 2*2 + 5/2 - 3 = 7/2 -> 7/2; out = -7/2 + 1/7
    assert net.output([2, 5], point) == [R(-7, 2) + R(1, 7)]
    symbolic = net.output([sympy.Integer(2), sympy.Integer(5)])[0]
    assert symbolic.xreplace(point.as_dict()) == R(-47, 14)


@given(
    st.sampled_from(["relu", "leaky_relu:1/3", "square", "cube", "identity"]),
    st.lists(st.integers(1, 3), min_size=2, max_size=4).map(tuple),
    st.integers(0, 10**6),
    st.data(),
)
def test_exact_output_agrees_with_substitution(act, widths, seed, data):
    net = MLP(widths, act)
    point = net.random_point(seed)
    x = [data.draw(st.fractions(-3, 3, max_denominator=5)) for _ in range(widths[0])]
    direct = net.output(x, point)
    substituted = [e.xreplace(point.as_dict()) for e in net.output([sympy.Rational(v) for v in x])]
    assert all(isinstance(v, sympy.Rational) for v in direct)
    assert direct == substituted


def test_output_rejects_bad_inputs_and_foreign_points():
    net = MLP((1, 2, 1))
    with pytest.raises(SpecificationError, match="x must have 1 entries"):
        net.output([1, 2])
    with pytest.raises(SpecificationError, match="x must be a sequence"):
        net.output("1")
    with pytest.raises(ExactnessError):
        net.output([float("nan")])
    with pytest.raises(SpecificationError, match="the point belongs to 1-2-1 relu network"):
        net.output([1], MLP((1, 2, 1), "relu").random_point(0))


# -- points -----------------------------------------------------------------------


def test_point_accepts_nested_lists_numpy_and_exact_strings():
    net = MLP((1, 2, 1))
    a = net.point(W1=[[1], [2]], b1=[0, "1/2"], W2=[[3, -1]], b2=[0.25])
    b = net.point(W1=np.array([[1], [2]]), b1=[Fraction(0), R(1, 2)], W2=np.array([[3.0, -1.0]]), b2=["1/4"])
    assert a == b
    assert a.values == (1, 2, 0, R(1, 2), 3, -1, R(1, 4))
    assert all(isinstance(v, sympy.Rational) for v in a.values)
    assert repr(a) == "Point(W1=[[1], [2]], b1=[0, 1/2], W2=[[3, -1]], b2=[1/4])"


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        (dict(W1=[[1], [2]], b1=[0, 0], W2=[[1, 2]]), r"missing \['b2'\], unexpected none"),
        (
            dict(W1=[[1], [2]], b1=[0, 0], W2=[[1, 2]], b2=[0], W3=[[1]]),
            r"missing none, unexpected \['W3'\]",
        ),
        (dict(W1=[[1, 2]], b1=[0, 0], W2=[[1, 2]], b2=[0]), r"W1 must have shape 2x1, got 1 rows"),
        (dict(W1=[[1], [2], [3]], b1=[0, 0], W2=[[1, 2]], b2=[0]), r"W1 must have shape 2x1, got 3 rows"),
        (dict(W1=[[1], [2, 3]], b1=[0, 0], W2=[[1, 2]], b2=[0]), r"W1 must have shape 2x1"),
        (dict(W1=[[1], [2]], b1=[0, 0, 0], W2=[[1, 2]], b2=[0]), r"b1 must have 2 entries, got length 3"),
        (dict(W1=[[1], [2]], b1=[0, 0], W2=[1, 2], b2=[0]), r"W2 must have shape 1x2"),
        (dict(W1=[1, 2], b1=[0, 0], W2=[[1, 2]], b2=[0]), r"W1 must be a list"),
        (dict(W1="ab", b1=[0, 0], W2=[[1, 2]], b2=[0]), r"W1 must be a list"),
        (dict(W1=[[1], [2]], b1=5, W2=[[1, 2]], b2=[0]), r"b1 must be a list"),
    ],
)
def test_point_shape_and_key_errors(arrays, message):
    with pytest.raises(SpecificationError, match=message):
        MLP((1, 2, 1)).point(**arrays)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "x", None, True, sympy.pi])
def test_point_rejects_non_finite_or_non_exact_entries(bad):
    with pytest.raises(ExactnessError, match=r"b1\[1\] must be a finite exact number"):
        MLP((1, 2, 1)).point(W1=[[1], [2]], b1=[0, bad], W2=[[1, 2]], b2=[0])
    with pytest.raises(ExactnessError, match=r"W1\[1\]\[0\] must be a finite exact number"):
        MLP((1, 2, 1)).point(W1=[[1], [bad]], b1=[0, 0], W2=[[1, 2]], b2=[0])


def test_point_without_biases_rejects_bias_keys():
    net = MLP((1, 2, 1), bias=False)
    with pytest.raises(SpecificationError, match=r"unexpected \['b1'\]"):
        net.point(W1=[[1], [2]], W2=[[1, 2]], b1=[0, 0])
    point = net.point(W1=[[1], [2]], W2=[[1, 2]])
    assert point.values == (1, 2, 1, 2)


def test_point_from_values_and_random_point():
    net = MLP((1, 2, 1))
    point = net.point_from_values([1, 2, 3, 4, 5, 6, "7/2"])
    assert point == net.point(W1=[[1], [2]], b1=[3, 4], W2=[[5, 6]], b2=[R(7, 2)])
    with pytest.raises(SpecificationError, match="has 7 values, got 2"):
        net.point_from_values([1, 2])
    with pytest.raises(SpecificationError, match="values must be a sequence"):
        net.point_from_values("1234567")
    with pytest.raises(ExactnessError, match="b2_1"):
        net.point_from_values([1, 2, 3, 4, 5, 6, float("inf")])
    a, b = net.random_point(3), net.random_point(3)
    assert a == b and isinstance(a, Point)
    assert net.random_point(3) != net.random_point(4)
    small = net.random_point(5, scale=1, denominator=3)
    assert all(abs(v) <= 1 and (3 * v).is_integer for v in small.values)
