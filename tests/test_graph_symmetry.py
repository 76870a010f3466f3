"""Symmetries derived from the layer graph: the MLP case agrees with symcert's SymmetryGroup, and the
rules for convolutions, pooling, residual adds and normalisation give the groups stated in the text."""

from __future__ import annotations

import math

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from symcert import MLP
from symcert.symbolic.activations import ACTIVATION_NAMES
from symcert.symbolic.graph import (
    Activation,
    Add,
    AveragePool,
    BatchNorm,
    Conv,
    Dense,
    Flatten,
    GlobalAveragePool,
    Graph,
    LayerNorm,
    MaxPool,
    Node,
    Reshape,
    Transpose,
    derive_symmetries,
)

ACTIVATIONS = [*ACTIVATION_NAMES, "leaky_relu:1/10"]


@settings(max_examples=60, deadline=None)
@given(
    widths=st.lists(st.integers(1, 4), min_size=2, max_size=5),
    act=st.sampled_from(ACTIVATIONS),
    bias=st.booleans(),
    out=st.sampled_from(["identity", "sigmoid", "softmax"]),
)
@example(widths=[1, 3, 1], act="sigmoid", bias=False, out="identity")  # complement without a bias: no flips
@example(widths=[1, 2, 2, 1], act="square", bias=False, out="identity")  # even: flip_in
@example(widths=[2, 1, 1], act="tanh", bias=True, out="softmax")
def test_an_mlp_as_a_graph_has_the_group_of_symcerts_mlp(widths, act, bias, out) -> None:
    mlp = MLP(widths, act, bias=bias, output_activation=out)
    group = mlp.symmetry_group()
    spec = derive_symmetries(Graph.from_mlp(mlp))
    assert spec.order == group.order
    assert [g.name for g in spec.groups] == [f"P_fc{l}" for l in mlp.hidden_layers]
    for g, layer in zip(spec.groups, group.layers, strict=True):
        assert g.size == layer.width
        assert (g.flips == 1) == layer.flips
    # the graph derives the rescalings and the softmax translation of the output biases
    families = [(f.kind, f.layer, f.dimension, f.degree) for f in group.continuous]
    derived = [("rescale", int(g.name[4:]), g.size, max(s.exponents.values())) for g, s in spec.continuous]
    derived += [("translation", int(t.emitter[2:]), 1, None) for t in spec.translations]
    assert derived == families


def test_rebasin_spec_of_a_cnn() -> None:
    g = Graph(
        (1, 6, 6),
        [
            Node("conv1", Conv(3, (3, 3), padding=1)),
            Node("bn1", BatchNorm()),
            Node("relu1", Activation("relu")),
            Node("pool", MaxPool((2, 2))),
            Node("conv2", Conv(4, (3, 3))),
            Node("relu2", Activation("relu")),
            Node("flat", Flatten()),
            Node("fc", Dense(2)),
        ],
    )
    spec = derive_symmetries(g)
    assert spec.perm_to_axes == {
        "P_conv1": [
            ("conv1.weight", 0),
            ("conv1.bias", 0),
            ("bn1.scale", 0),
            ("bn1.bias", 0),
            ("bn1.mean", 0),
            ("bn1.var", 0),
            ("conv2.weight", 1),
        ],
        "P_conv2": [("conv2.weight", 0), ("conv2.bias", 0), ("fc.weight", 1)],
    }
    assert spec.axes_to_perm["conv2.weight"] == ("P_conv2", "P_conv1", None, None)
    assert spec.group("P_conv2").tensor_axis("flat").inner == 1  # a 1x1 map per channel after conv2
    assert g.shapes["conv2"] == (4, 1, 1)
    # conv1 -> bn1: the flip is absorbed by the batch norm; ReLU blocks the rest; no flip for conv2
    one = spec.group("P_conv1")
    assert [(s.tensors, s.allowed) for s in one.signs] == [
        (("conv1",), True),
        (("bn1",), False),
        (("relu1",), False),
        (("pool",), False),
    ]
    assert one.order == math.factorial(3) * 2**3
    assert spec.group("P_conv2").order == math.factorial(4)
    assert spec.order == math.factorial(3) * 2**3 * math.factorial(4)
    # Kunin: the rescaling of conv1 is absorbed by the batch norm
    kunin = [s for s in one.scales if s.allowed and s.kunin]
    assert [s.tensors for s in kunin] == [("conv1",)]


def test_flatten_carries_the_channel_permutation_as_blocks() -> None:
    g = Graph(
        (2, 4, 4),
        [
            Node("c", Conv(3, (3, 3))),
            Node("t", Activation("tanh")),
            Node("f", Flatten()),
            Node("fc", Dense(1)),
        ],
    )
    member = derive_symmetries(g).group("P_c").tensor_axis("f")
    assert (member.outer, member.inner) == (1, 4)


@pytest.mark.parametrize(
    ("pool", "flips"), [(AveragePool((2, 2)), True), (MaxPool((2, 2)), False), (GlobalAveragePool(), True)]
)
def test_pooling_carries_flips_only_when_it_commutes_with_them(pool, flips: bool) -> None:
    g = Graph(
        (1, 4, 4),
        [
            Node("c", Conv(2, (1, 1))),
            Node("t", Activation("tanh")),
            Node("p", pool),
            Node("f", Flatten()),
            Node("fc", Dense(1)),
        ],
    )
    group = derive_symmetries(g).group("P_c")
    assert group.order == 2 * (4 if flips else 1)
    # max pooling commutes with positive rescaling: ReLU and max pooling keep their rescaling
    relu = Graph(
        (1, 4, 4),
        [
            Node("c", Conv(2, (1, 1))),
            Node("t", Activation("relu")),
            Node("p", pool),
            Node("f", Flatten()),
            Node("fc", Dense(1)),
        ],
    )
    assert len(derive_symmetries(relu).continuous) == 1


def test_a_residual_add_ties_both_inputs_into_one_stream() -> None:
    g = Graph(
        (3,),
        [
            Node("inp", Dense(4)),
            Node("a", Activation("tanh")),
            Node("fc1", Dense(5)),
            Node("b", Activation("relu")),
            Node("fc2", Dense(4)),
            Node("add", Add(), ("a", "fc2")),
            Node("out", Dense(1)),
        ],
    )
    spec = derive_symmetries(g)
    stream = spec.group("P_inp")
    assert {(m.name, m.axis) for m in stream.members if m.kind == "param"} == {
        ("inp.weight", 0),
        ("inp.bias", 0),
        ("fc1.weight", 1),
        ("fc2.weight", 0),
        ("fc2.bias", 0),
        ("out.weight", 1),
    }
    assert stream.flips == 1  # inp and fc2 both negate rows, fc1 and out both negate columns
    assert spec.order == math.factorial(4) * 2**4 * math.factorial(5)


def test_layer_norm_ties_its_scale_and_shift_and_blocks_input_flips() -> None:
    g = Graph(
        (3,),
        [Node("fc", Dense(4)), Node("ln", LayerNorm()), Node("t", Activation("tanh")), Node("out", Dense(1))],
    )
    group = derive_symmetries(g).group("P_fc")
    params = {(m.name, m.axis) for m in group.members if m.kind == "param"}
    assert {("ln.scale", 0), ("ln.bias", 0)} <= params
    # fc's flip would change the mean and variance; the flip after it is emitted by gamma and beta
    assert [(s.tensors, s.allowed) for s in group.signs] == [(("fc",), False), (("ln", "t"), True)]
    # a layer norm over (C, L) normalising L only: C is a leading axis, and LayerNorm fixes nothing there,
    # but the dense map on L does not permute C: a permutation of C is still a symmetry of the stream
    assert derive_symmetries(g).order == math.factorial(4) * 2**4


def test_an_axis_a_layer_cannot_carry_is_fixed() -> None:
    # channels moved last, then flattened: the flatten blocks the channel axis (sound, never a false symmetry)
    g = Graph(
        (1, 3, 3),
        [
            Node("c", Conv(2, (1, 1))),
            Node("t", Transpose((1, 2, 0))),
            Node("f", Flatten()),
            Node("fc", Dense(1)),
        ],
    )
    spec = derive_symmetries(g)
    assert spec.groups == ()
    assert any("f (Flatten) does not permute it" in reason for _, reason in spec.fixed)
    # a reshape that keeps the channels outermost carries them as blocks
    r = Graph(
        (1, 2, 2),
        [Node("c", Conv(3, (1, 1))), Node("r", Reshape((6, 2))), Node("f", Flatten()), Node("fc", Dense(1))],
    )
    member = derive_symmetries(r).group("P_c").tensor_axis("r")
    assert (member.outer, member.inner) == (1, 2)


def test_the_order_is_the_product_of_factorials_and_flips() -> None:
    g = Graph(
        (1, 5),
        [
            Node("c1", Conv(3, (2,))),
            Node("bn", BatchNorm()),
            Node("t", Activation("tanh")),
            Node("c2", Conv(2, (2,))),
            Node("f", Flatten()),
            Node("fc", Dense(1)),
        ],
    )
    # conv1 -> bn (flip absorbed) and bn -> tanh -> conv2 (flip emitted by bn): two flips per channel
    assert derive_symmetries(g).group("P_c1").order == math.factorial(3) * 2 ** (3 * 2)
    assert derive_symmetries(g).order == math.factorial(3) * 2**6 * math.factorial(2) * 2**2
