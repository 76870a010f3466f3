"""The layer graph's specification: shapes by each layer type's rule, and one-line errors for bad input."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symcert.errors import ExactnessError, SpecificationError
from symcert.symbolic.graph import (
    LAYER_TYPES,
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
    Softmax,
    Transpose,
    exact_array,
)
from symcert.symbolic.graph.base import CARRIES


def test_every_layer_type_declares_known_facts() -> None:
    samples = {
        "Dense": Dense(2),
        "Conv": Conv(2, (3,)),
        "AveragePool": AveragePool((2,)),
        "GlobalAveragePool": GlobalAveragePool(),
        "MaxPool": MaxPool((2,)),
        "Flatten": Flatten(),
        "Reshape": Reshape((4,)),
        "Transpose": Transpose((1, 0)),
        "Add": Add(),
        "Activation": Activation("tanh"),
        "Softmax": Softmax(),
        "BatchNorm": BatchNorm(),
        "LayerNorm": LayerNorm(),
    }
    assert set(samples) == set(LAYER_TYPES)
    for layer in samples.values():
        assert layer.sign <= set(CARRIES) and layer.scale <= set(CARRIES)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 9),
    k=st.integers(1, 3),
    s=st.integers(1, 3),
    d=st.integers(1, 2),
    b=st.integers(0, 2),
    e=st.integers(0, 2),
)
def test_conv1d_shape_is_the_sliding_window_count(n: int, k: int, s: int, d: int, b: int, e: int) -> None:
    # a second way: count the window starts directly
    starts = [i for i in range(0, n + b + e, s) if i + d * (k - 1) < n + b + e]
    layer = Conv(3, (k,), stride=s, dilation=d, padding=((b, e),))
    if not starts:
        with pytest.raises(SpecificationError, match="too small"):
            layer.output_shape([(2, n)])
    else:
        assert layer.output_shape([(2, n)]) == (3, len(starts))


def test_shapes_through_a_small_cnn() -> None:
    g = Graph(
        (1, 8, 8),
        [
            Node("c1", Conv(4, (3, 3), padding=1)),
            Node("bn", BatchNorm()),
            Node("r", Activation("relu")),
            Node("p", AveragePool((2, 2))),
            Node("c2", Conv(2, (3, 3), stride=(2, 1), dilation=(1, 2), padding=1)),
            Node("f", Flatten()),
            Node("fc", Dense(3)),
        ],
    )
    assert g.shapes["p"] == (4, 4, 4)
    assert g.shapes["c2"] == (2, (4 + 2 - 3) // 2 + 1, (4 + 2 - 2 * 2 - 1) // 1 + 1) == (2, 2, 2)
    assert g.parameter_shapes["c2.weight"] == (2, 4, 3, 3)
    assert g.parameter_shapes["bn.var"] == (4,)
    assert g.shapes["fc"] == (3,)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Graph((2,), [Node("a", Dense(2)), Node("a", Dense(1))]), "used twice"),
        (lambda: Graph((2,), [Node("a", Dense(2)), Node("b", Dense(1), ("a", "a"))]), "takes 1 input"),
        (lambda: Graph((2,), [Node("a", Dense(2)), Node("b", Dense(1), ("x",))]), "do not reach the output"),
        (lambda: Graph((2,), [Node("a", Conv(2, (3,)))]), "needs inputs \\(channels, length\\)"),
        (lambda: Graph((2, 3), [Node("a", Add(), ("x", "y"))]), "reads 'y'"),
        (lambda: Graph((0,), [Node("a", Dense(1))]), "input_shape must be positive"),
        (lambda: Graph((4,), [Node("a", Reshape((3,)))]), "same number of entries"),
        (lambda: Conv(2, (3, 3, 3)), "1 \\(conv1d\\) or 2 \\(conv2d\\)"),
        (lambda: Conv(2, (3, 3), stride=(1,)), "stride needs 2 entries"),
        (lambda: MaxPool((2,), padding=2), "smaller than the kernel"),
        (lambda: Activation("gelu"), "activation must be one of"),
        (lambda: Transpose((0, 0)), "permutation of"),
        (lambda: BatchNorm(-1), "epsilon must be >= 0"),
        (lambda: Dense(0), "positive integer"),
        (lambda: Graph((2, 4), [Node("a", LayerNorm(axis=2))]), "out of range"),
    ],
)
def test_errors_say_what_was_expected_and_got(build, message: str) -> None:
    with pytest.raises(SpecificationError, match=message) as info:
        build()
    assert "\n" not in str(info.value)


def test_parameters_load_exactly_and_are_checked() -> None:
    g = Graph((2,), [Node("fc", Dense(1))])
    exact = g.check_parameters({"fc.weight": np.array([[0.1, -3]], dtype=np.float32), "fc.bias": ["1/3"]})
    assert exact["fc.weight"][0, 0] == Fraction(float(np.float32(0.1)))
    assert exact["fc.weight"][0, 0].denominator == 2**27  # a dyadic rational, never rounded to 1/10
    assert exact["fc.bias"][0] == Fraction(1, 3)
    with pytest.raises(SpecificationError, match=r"missing fc\.bias"):
        g.check_parameters({"fc.weight": [[1, 2]]})
    with pytest.raises(SpecificationError, match=r"unknown fc\.gamma"):
        g.check_parameters({"fc.weight": [[1, 2]], "fc.bias": [0], "fc.gamma": [1]})
    with pytest.raises(ExactnessError, match="NaN"):
        exact_array([np.nan], "w")
