"""Tests of symcert.symbolic.group: group elements, their action, and the group of a network."""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction

import pytest
import sympy
from hypothesis import assume, given
from hypothesis import strategies as st

from symcert import (
    ACTIVATION_NAMES,
    MLP,
    ExactnessError,
    SpecificationError,
    SymmetryGroup,
    flip,
    flip_in,
    layer_sign,
    parse_element,
    rescale,
    swap,
)
from symcert.proofs.serialize import group_to_dict

R = sympy.Rational
ACTIVATIONS = [*ACTIVATION_NAMES, "leaky_relu:1/10"]
ODD = {"identity", "tanh", "cube"}
EVEN = {"square"}
HOMOGENEOUS = {"identity", "relu", "leaky_relu", "leaky_relu:1/10"}
DEGREE = {"identity": 1, "relu": 1, "leaky_relu": 1, "square": 2, "cube": 3}


# -- orders, generators, continuous families --------------------------------------


@pytest.mark.parametrize(
    ("widths", "act", "bias", "order"),
    [
        ((1, 3, 1), "tanh", True, 48),
        ((1, 3, 1), "tanh", False, 48),
        ((1, 3, 1), "relu", True, 6),
        ((1, 3, 1), "leaky_relu", True, 6),
        ((1, 3, 1), "identity", True, 48),
        ((1, 3, 1), "cube", True, 48),
        ((1, 3, 1), "square", True, 48),
        ((1, 3, 1), "square", False, 48),
        ((1, 3, 1), "softplus", True, 6),
        ((1, 3, 1), "sigmoid", True, 48),
        ((1, 3, 1), "sigmoid", False, 6),
        ((1, 4, 1), "sigmoid", True, 2**4 * 24),
        ((1, 4, 1), "sigmoid", False, 24),
        ((2, 3, 2, 1), "tanh", True, 48 * 8),
        ((2, 3, 2, 1), "relu", True, 6 * 2),
        ((1, 2, 2, 2, 1), "sigmoid", True, 8**3),
        ((1, 1, 1), "tanh", True, 2),
        ((1, 1, 1), "relu", True, 1),
        ((2, 1), "tanh", True, 1),
        ((3, 2), "relu", False, 1),
    ],
)
def test_group_order(widths, act, bias, order):
    group = MLP(widths, act, bias=bias).symmetry_group()
    assert group.order == order
    assert isinstance(group.order, int)
    assert group_to_dict(group)["order"] == order


@given(
    st.lists(st.integers(1, 5), min_size=2, max_size=5).map(tuple),
    st.sampled_from(ACTIVATIONS),
    st.booleans(),
)
def test_group_order_is_the_product_over_hidden_layers(widths, act, bias):
    group = MLP(widths, act, bias=bias).symmetry_group()
    name = act.partition(":")[0]
    flips = name in ODD or name in EVEN or (name == "sigmoid" and bias)
    expected = math.prod(math.factorial(n) * (2**n if flips else 1) for n in widths[1:-1])
    assert group.order == expected
    assert [layer.layer for layer in group.layers] == list(range(1, len(widths) - 1))
    assert all(layer.flips == flips for layer in group.layers)
    # generators: adjacent swaps and one flip per hidden layer where flips are symmetries
    expected_generators = []
    for l in range(1, len(widths) - 1):
        expected_generators += [swap(l, i, i + 1) for i in range(widths[l] - 1)]
        if flips:
            expected_generators.append(flip_in(l, 0) if name in EVEN else flip(l, 0))
    assert list(group.generators) == expected_generators
    assert all(group.contains(g) for g in group.generators)
    # continuous families: rescaling for positively homogeneous activations, with their degree
    if name in DEGREE:
        assert [(f.layer, f.kind, f.dimension, f.degree) for f in group.continuous] == [
            (l, "rescale", widths[l], DEGREE[name]) for l in range(1, len(widths) - 1)
        ]
    else:
        assert group.continuous == ()


def test_generators_of_small_networks():
    assert MLP((1, 3, 1), "tanh").symmetry_group().generators == (swap(1, 0, 1), swap(1, 1, 2), flip(1, 0))
    assert MLP((1, 3, 1), "relu").symmetry_group().generators == (swap(1, 0, 1), swap(1, 1, 2))
    assert MLP((1, 3, 1), "sigmoid", bias=False).symmetry_group().generators == (
        swap(1, 0, 1),
        swap(1, 1, 2),
    )
    assert MLP((2, 3, 2, 1), "tanh").symmetry_group().generators == (
        swap(1, 0, 1),
        swap(1, 1, 2),
        flip(1, 0),
        swap(2, 0, 1),
        flip(2, 0),
    )
    assert MLP((1, 1, 1), "cube").symmetry_group().generators == (flip(1, 0),)
    assert MLP((2, 1), "tanh").symmetry_group().generators == ()


def test_continuous_family_description():
    (family,) = MLP((1, 2, 1), "relu").symmetry_group().continuous
    assert (family.layer, family.kind, family.dimension) == (1, "rescale", 2)
    assert "relu(alpha u) = alpha relu(u)" in family.description


def test_to_dict():
    data = group_to_dict(MLP((1, 3, 1), "sigmoid").symmetry_group())
    assert data["network"] == {
        "widths": [1, 3, 1],
        "activation": "sigmoid",
        "bias": True,
        "output_activation": "identity",
    }
    assert data["order"] == 48
    assert data["generators"] == ["swap:1:0,1", "swap:1:1,2", "flip:1:0"]
    assert data["continuous"] == []
    (layer,) = data["layers"]
    assert layer["layer"] == 1 and layer["width"] == 3 and layer["order"] == 48
    assert layer["sign_flips"] is True and layer["rescaling"] is False
    assert "b2 += W2[:, j]" in layer["sign_flip_reason"]
    leaky = group_to_dict(MLP((1, 2, 1), "leaky_relu:1/10").symmetry_group())
    assert leaky["network"]["activation"] == "leaky_relu:1/10"
    assert [f["kind"] for f in leaky["continuous"]] == ["rescale"]


def test_group_is_frozen():
    group = MLP((1, 2, 1)).symmetry_group()
    assert isinstance(group, SymmetryGroup)
    with pytest.raises(dataclasses.FrozenInstanceError):
        group.layers = ()
    with pytest.raises(dataclasses.FrozenInstanceError):
        swap(1, 0, 1).i = 2


# -- contains -----------------------------------------------------------------------


@pytest.mark.parametrize("act", ACTIVATIONS)
@pytest.mark.parametrize("bias", [True, False])
def test_contains_follows_the_activation_facts(act, bias):
    group = MLP((1, 2, 1), act, bias=bias).symmetry_group()
    name = act.partition(":")[0]
    assert group.contains(swap(1, 0, 1))
    assert group.contains(flip(1, 1)) == (name in ODD or (name == "sigmoid" and bias))
    assert group.contains(flip_in(1, 1)) == (name in EVEN)
    assert group.contains(rescale(1, 0, "3/2")) == (name in HOMOGENEOUS)
    for k in (1, 2, 3):
        assert group.contains(rescale(1, 0, "3/2", k)) == (DEGREE.get(name) == k)
    assert group.contains(rescale(1, 1, 1))  # the identity


# -- ill-formed elements --------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: swap(-1, 0, 1), "layer must be a non-negative integer, got -1"),
        (lambda: swap(1, -1, 0), "i must be a non-negative integer, got -1"),
        (lambda: swap(1, 0, -2), "j must be a non-negative integer, got -2"),
        (lambda: swap(1, 0, 0), "a swap needs two different units"),
        (lambda: swap(1.0, 0, 1), "layer must be a non-negative integer"),
        (lambda: swap(True, 0, 1), "layer must be a non-negative integer"),
        (lambda: swap(1, "0", 1), "i must be a non-negative integer"),
        (lambda: flip(1, -1), "unit must be a non-negative integer"),
        (lambda: flip(-1, 0), "layer must be a non-negative integer"),
        (lambda: rescale(1, 0, 0), "rescale needs alpha > 0, got 0"),
        (lambda: rescale(1, 0, -1), "rescale needs alpha > 0, got -1"),
        (lambda: rescale(1, 0, "-1/2"), "rescale needs alpha > 0"),
        (lambda: rescale(1, -1, 2), "unit must be a non-negative integer"),
    ],
)
def test_ill_formed_elements_raise(build, message):
    with pytest.raises(SpecificationError, match=message):
        build()


@pytest.mark.parametrize("alpha", [float("nan"), float("inf"), "abc", sympy.sqrt(2), None])
def test_rescale_needs_an_exact_alpha(alpha):
    with pytest.raises(ExactnessError, match="alpha"):
        rescale(1, 0, alpha)


@pytest.mark.parametrize(
    ("element", "message"),
    [
        (swap(1, 0, 3), r"uses unit 3, but layer 1 has 3 units \(0 to 2\)"),
        (flip(2, 2), r"uses unit 2, but layer 2 has 2 units \(0 to 1\)"),
        (rescale(1, 5, 2), "uses unit 5"),
        (swap(0, 0, 1), "acts on layer 0, but the hidden layers .* are 1 to 2"),
        (flip(0, 0), "acts on layer 0"),
        (swap(3, 0, 1), "acts on layer 3"),  # the output layer
        (rescale(3, 0, 2), "acts on layer 3"),
        (flip(7, 0), "acts on layer 7"),  # no such layer
    ],
)
def test_elements_that_do_not_fit_the_network(element, message):
    net = MLP((1, 3, 2, 1), "tanh")
    point = net.random_point(0)
    with pytest.raises(SpecificationError, match=message):
        net.symmetry_group().contains(element)
    with pytest.raises(SpecificationError, match=message):
        element(point)
    with pytest.raises(SpecificationError, match=message):
        element.substitution(net)


def test_network_without_hidden_layers_has_no_elements():
    with pytest.raises(SpecificationError, match="no hidden layer"):
        swap(1, 0, 1)(MLP((2, 3)).random_point(0))


def test_element_acts_on_points_only():
    with pytest.raises(SpecificationError, match="acts on a Point"):
        swap(1, 0, 1)((1, 2, 3))


# -- action on points -------------------------------------------------------------


def test_swap_action():
    net = MLP((2, 2, 2))
    p = net.point(W1=[[1, 2], [3, 4]], b1=[5, 6], W2=[[7, 8], [9, 10]], b2=[11, 12])
    assert swap(1, 0, 1)(p) == net.point(W1=[[3, 4], [1, 2]], b1=[6, 5], W2=[[8, 7], [10, 9]], b2=[11, 12])


def test_swap_in_a_deeper_layer():
    net = MLP((1, 2, 3, 1))
    p = net.point(
        W1=[[1], [2]], b1=[3, 4], W2=[[5, 6], [7, 8], [9, 10]], b2=[11, 12, 13], W3=[[14, 15, 16]], b3=[17]
    )
    image = swap(2, 0, 2)(p)
    assert image == net.point(
        W1=[[1], [2]], b1=[3, 4], W2=[[9, 10], [7, 8], [5, 6]], b2=[13, 12, 11], W3=[[16, 15, 14]], b3=[17]
    )


def test_flip_action_for_an_odd_activation():
    net = MLP((1, 2, 2), "tanh")
    p = net.point(W1=[[1], [2]], b1=[3, 4], W2=[[5, 6], [7, 8]], b2=[9, 10])
    assert flip(1, 1)(p) == net.point(W1=[[1], [-2]], b1=[3, -4], W2=[[5, -6], [7, -8]], b2=[9, 10])


def test_sigmoid_flip_shifts_the_next_bias_by_the_original_column():
    net = MLP((1, 2, 2), "sigmoid")
    p = net.point(W1=[[1], [2]], b1=[3, 4], W2=[[5, "1/2"], [7, -8]], b2=[9, 10])
    # unit 1: row and bias negated, column (1/2, -8) negated, b2 += (1/2, -8)
    expected = net.point(W1=[[1], [-2]], b1=[3, -4], W2=[[5, "-1/2"], [7, 8]], b2=["19/2", 2])
    assert flip(1, 1)(p) == expected
    # without biases the flip only changes signs
    bare = MLP((1, 2, 2), "sigmoid", bias=False)
    q = bare.point(W1=[[1], [2]], W2=[[5, 6], [7, 8]])
    assert flip(1, 0)(q) == bare.point(W1=[[-1], [2]], W2=[[-5, 6], [-7, 8]])


def test_sigmoid_flip_preserves_the_output_numerically():
    net = MLP((1, 2, 2), "sigmoid")
    p = net.point(W1=[[1], [2]], b1=[3, 4], W2=[[5, "1/2"], [7, -8]], b2=[9, 10])
    x = [R(-2, 3)]
    for a, b in zip(net.output(x, p), net.output(x, flip(1, 1)(p))):
        assert abs(sympy.N(a - b, 50)) < R(1, 10**45)
    # a flip without the shift is not a symmetry: the outputs differ
    wrong = net.point(W1=[[1], [-2]], b1=[3, -4], W2=[[5, "-1/2"], [7, 8]], b2=[9, 10])
    assert abs(sympy.N(net.output(x, p)[0] - net.output(x, wrong)[0], 50)) > R(1, 10)


def test_rescale_action():
    net = MLP((1, 2, 1), "relu")
    p = net.point(W1=[[1], [2]], b1=[3, 4], W2=[[5, 6]], b2=[7])
    assert rescale(1, 1, "3/2")(p) == net.point(W1=[[1], [3]], b1=[3, 6], W2=[[5, 4]], b2=[7])
    assert rescale(1, 1, 1)(p) == p


def test_substitution_and_apply():
    net = MLP((1, 2, 1), "sigmoid")
    W1_11, W1_21, b1_1, b1_2, W2_11, W2_12, b2_1 = net.symbols
    assert swap(1, 0, 1).substitution(net) == {
        W1_11: W1_21, W1_21: W1_11, b1_1: b1_2, b1_2: b1_1, W2_11: W2_12, W2_12: W2_11
    }  # fmt: skip
    assert flip(1, 0).substitution(net) == {W1_11: -W1_11, b1_1: -b1_1, W2_11: -W2_11, b2_1: b2_1 + W2_11}
    # apply replaces simultaneously (a swap is not two sequential replacements)
    assert swap(1, 0, 1).apply(W1_11 - 2 * W1_21, net) == W1_21 - 2 * W1_11


def test_rescale_of_degree_two_action():
    net = MLP((1, 2, 1), "square")
    p = net.point(W1=[[1], [2]], b1=[3, 4], W2=[[5, 6]], b2=[7])
    assert rescale(1, 1, "3/2", 2)(p) == net.point(W1=[[1], [3]], b1=[3, 6], W2=[[5, "8/3"]], b2=[7])


def test_flip_in_action():
    net = MLP((1, 2, 1), "square")
    p = net.point(W1=[[1], [2]], b1=[3, 4], W2=[[5, 6]], b2=[7])
    assert flip_in(1, 0)(p) == net.point(W1=[[-1], [2]], b1=[-3, 4], W2=[[5, 6]], b2=[7])


def test_layer_sign_action_and_fit():
    net = MLP((1, 2, 2, 1), "square", bias=False)
    p = net.point(W1=[[1], [2]], W2=[[3, 4], [5, 6]], W3=[[7, 8]])
    assert layer_sign(1, 3)(p) == net.point(W1=[[-1], [-2]], W2=[[3, 4], [5, 6]], W3=[[-7, -8]])
    with pytest.raises(SpecificationError, match=r"negates W4, but .* has weight matrices W1 to W3"):
        layer_sign(1, 4)(p)
    with pytest.raises(SpecificationError, match="write sign:F:T with F < T"):
        layer_sign(2, 2)


def _exact_nets():
    return st.sampled_from(
        ["identity", "relu", "leaky_relu:1/3", "square", "cube", "tanh", "sigmoid", "softplus"]
    )


@st.composite
def net_point_element(draw, kinds=("swap", "flip", "flip_in", "rescale", "sign")):
    widths = tuple(draw(st.lists(st.integers(1, 3), min_size=3, max_size=4)))
    net = MLP(widths, draw(_exact_nets()), bias=draw(st.booleans()))
    layer = draw(st.integers(1, len(widths) - 2))
    width = widths[layer]
    kind = draw(st.sampled_from([k for k in kinds if k != "swap" or width > 1]))
    if kind == "swap":
        i, j = draw(st.lists(st.integers(0, width - 1), min_size=2, max_size=2, unique=True))
        element = swap(layer, i, j)
    elif kind == "flip":
        element = flip(layer, draw(st.integers(0, width - 1)))
    elif kind == "flip_in":
        element = flip_in(layer, draw(st.integers(0, width - 1)))
    elif kind == "sign":
        element = layer_sign(layer, draw(st.integers(layer + 1, len(widths) - 1)))
    else:
        alpha = draw(st.fractions(Fraction(1, 5), 5, max_denominator=6).filter(lambda a: a > 0))
        element = rescale(layer, draw(st.integers(0, width - 1)), alpha, draw(st.integers(1, 3)))
    return net, net.random_point(draw(st.integers(0, 10**6))), element


@given(net_point_element())
def test_action_agrees_with_an_independent_implementation(reference, case):
    _, p, g = case
    assert g(p) == reference.image(p, g)


@given(net_point_element(kinds=("swap", "flip", "flip_in", "sign")))
def test_swaps_and_flips_are_involutions(case):
    net, p, g = case
    image = g(p)
    assert g(image) == p
    assert image.mlp == net


@given(net_point_element(kinds=("rescale",)))
def test_rescale_by_alpha_then_one_over_alpha_is_the_identity(case):
    _, p, g = case
    inverse = rescale(g.layer, g.unit, 1 / g.alpha, g.degree)
    assert inverse(g(p)) == p
    assert g(inverse(p)) == p
    double = rescale(g.layer, g.unit, g.alpha**2, g.degree)
    assert g(g(p)) == double(p)


@given(net_point_element(), st.data())
def test_group_elements_preserve_the_output(case, data):
    net, p, g = case
    assume(net.symmetry_group().contains(g))
    x = [R(data.draw(st.fractions(-2, 2, max_denominator=4))) for _ in range(net.widths[0])]
    before, after = net.output(x, p), net.output(x, g(p))
    if net.activation.exact:
        assert before == after  # exact rationals, compared exactly
    else:
        for a, b in zip(before, after):
            assert abs(sympy.N(a - b, 50)) < R(1, 10**40)


# -- parsing ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "element"),
    [
        ("swap:1:0,1", swap(1, 0, 1)),
        ("flip:2:1", flip(2, 1)),
        ("rescale:1:0:3/2", rescale(1, 0, R(3, 2))),
        ("rescale:1:0:0.5", rescale(1, 0, R(1, 2))),
        ("rescale:1:0:3:2", rescale(1, 0, 3, degree=2)),
        ("rescale:2:1:1/2:1", rescale(2, 1, R(1, 2))),
        ("flip_in:1:1", flip_in(1, 1)),
        ("sign:1:3", layer_sign(1, 3)),
        (" flip:1:0 ", flip(1, 0)),
    ],
)
def test_parse_element(text, element):
    assert parse_element(text) == element


@given(net_point_element())
def test_parse_round_trip(case):
    _, _, g = case
    assert parse_element(str(g)) == g
    assert str(parse_element(str(g))) == str(g)


def test_str_and_repr():
    assert str(swap(1, 0, 1)) == "swap:1:0,1" and repr(swap(1, 0, 1)) == "swap(1, 0, 1)"
    assert str(flip(2, 1)) == "flip:2:1" and repr(flip(2, 1)) == "flip(2, 1)"
    assert (
        str(rescale(1, 0, "3/2")) == "rescale:1:0:3/2" and repr(rescale(1, 0, "3/2")) == "rescale(1, 0, 3/2)"
    )
    assert rescale(1, 0, "0.5") == rescale(1, 0, R(1, 2)) == rescale(1, 0, 0.5)
    assert (
        str(rescale(1, 0, 3, 2)) == "rescale:1:0:3:2"
        and repr(rescale(1, 0, 3, 2)) == "rescale(1, 0, 3, degree=2)"
    )
    assert str(flip_in(2, 1)) == "flip_in:2:1" and repr(flip_in(2, 1)) == "flip_in(2, 1)"
    assert str(layer_sign(1, 2)) == "sign:1:2" and repr(layer_sign(1, 2)) == "layer_sign(1, 2)"
    assert rescale(1, 0, 3) != rescale(1, 0, 3, 2)
    assert hash(rescale(1, 0, "0.5")) == hash(rescale(1, 0, R(1, 2)))


@pytest.mark.parametrize(
    "text",
    [
        "swap:1:0",
        "swap:1",
        "swap:1:0,1,2",
        "swap:a:0,1",
        "flip:a:1",
        "flip:1:0:",
        "flip:1",
        "foo:1:1",
        "",
        "rescale:1:0",
        "rescale:1:0:nan",
        "rescale:1:0:abc",
        "rescale:1:0:2:x",
        "rescale:1:0:2:2:2",
        "flip_in:1",
        "sign:1",
        "sign:1:2:3",
        "swap::0,1",
        "SWAP:1:0,1",
    ],
)
def test_parse_rejects_bad_text(text):
    with pytest.raises(SpecificationError, match="cannot read the element"):
        parse_element(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rescale:1:0:-1", "alpha > 0"),
        ("rescale:1:0:0", "alpha > 0"),
        ("swap:1:0,0", "two different units"),
        ("swap:-1:0,1", "layer must be a non-negative integer"),
        ("flip:1:-2", "unit must be a non-negative integer"),
        ("rescale:1:0:2:0", "degree that is a positive integer"),
        ("sign:2:1", "F < T"),
    ],
)
def test_parse_reports_ill_formed_elements(text, message):
    with pytest.raises(SpecificationError, match=message):
        parse_element(text)


@pytest.mark.parametrize("value", [5, None, b"swap:1:0,1", swap(1, 0, 1)])
def test_parse_needs_text(value):
    with pytest.raises(SpecificationError, match="an element is text"):
        parse_element(value)


def test_elements_acting_on_distinct_units_commute():
    net = MLP((1, 3, 1), "sigmoid")
    p = net.random_point(11)
    a, b = flip(1, 0), swap(1, 1, 2)
    assert a(b(p)) == b(a(p))


def test_flip_then_swap_does_not_commute_when_units_overlap():
    net = MLP((1, 2, 1), "tanh")
    p = net.point(W1=[[1], [2]], b1=[3, 4], W2=[[5, 6]], b2=[7])
    assert flip(1, 0)(swap(1, 0, 1)(p)) != swap(1, 0, 1)(flip(1, 0)(p))
    assert flip(1, 0)(swap(1, 0, 1)(p)) == swap(1, 0, 1)(flip(1, 1)(p))
