"""The rigorous graph engine: for every layer type, the enclosure (verified float64 and Arb) contains
the exact value of the reference evaluation (exact rationals where the layer is rational, mpmath at 60
digits otherwise) at a random exact point; and the graph loss contains the reference loss."""

from __future__ import annotations

import random
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symcert.errors import ExactnessError, SpecificationError
from symcert.numeric.engine.backends import ArbBackend, F64Backend
from symcert.numeric.graph import FORWARDS, GraphLoss, enclose_graph, float_loss, loss_enclosure
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
    random_parameters,
)
from symcert.symbolic.graph.evaluate import evaluate_all

BACKENDS = [F64Backend(), ArbBackend(30)]


def _batch(shape, n=2, seed=0, den=7):
    rng = random.Random(seed)
    count = n * int(np.prod(shape))
    values = [Fraction(rng.randint(-2 * den, 2 * den), den) for _ in range(count)]
    return np.array(values, dtype=object).reshape((n, *shape))


#: One small graph per layer type (the layer under test is the node named "t"); rational where exact.
CASES = {
    "Dense": Graph((3,), [Node("t", Dense(2))]),
    "Conv2d": Graph((2, 4, 4), [Node("t", Conv(3, (3, 3), stride=(1, 2), padding=((1, 0), (1, 1))))]),
    "Conv1d": Graph((2, 6), [Node("t", Conv(2, (3,), dilation=2, padding=1))]),
    "AveragePool": Graph(
        (2, 4, 4), [Node("t", AveragePool((2, 2), stride=(1, 1), padding=((1, 0), (0, 1))))]
    ),
    "AveragePoolPad": Graph((1, 3, 3), [Node("t", AveragePool((2, 2), padding=1, count_include_pad=True))]),
    "GlobalAveragePool": Graph((3, 3, 3), [Node("t", GlobalAveragePool())]),
    "MaxPool": Graph((2, 4, 4), [Node("t", MaxPool((2, 2), stride=(1, 1), padding=((1, 0), (0, 1))))]),
    "Flatten": Graph((2, 2, 2), [Node("t", Flatten())]),
    "Reshape": Graph((2, 2, 2), [Node("t", Reshape((4, 2)))]),
    "Transpose": Graph((2, 3, 2), [Node("t", Transpose((2, 0, 1)))]),
    "Add": Graph((2, 3), [Node("a", Activation("relu")), Node("t", Add(), ("a", "x"))]),
    "relu": Graph((4,), [Node("t", Activation("relu"))]),
    "leaky_relu": Graph((4,), [Node("t", Activation("leaky_relu:1/10"))]),
    "tanh": Graph((2, 3), [Node("t", Activation("tanh"))]),
    "sigmoid": Graph((4,), [Node("t", Activation("sigmoid"))]),
    "softplus": Graph((4,), [Node("t", Activation("softplus"))]),
    "Softmax": Graph((3,), [Node("t", Softmax())]),
    "SoftmaxAxis0": Graph((3, 2), [Node("t", Softmax(axis=0))]),
    "BatchNorm": Graph((2, 3, 3), [Node("t", BatchNorm())]),
    "BatchNormIrrational": Graph((2, 3), [Node("t", BatchNorm(Fraction(1, 10)))]),
    "LayerNorm": Graph((2, 3), [Node("t", LayerNorm(axis=-1))]),
    "LayerNormTwoAxes": Graph((2, 3), [Node("t", LayerNorm(axis=0, bias=False))]),
}


def test_every_layer_type_has_a_forward_and_a_case():
    assert set(FORWARDS) == set(LAYER_TYPES.values())
    covered = {type(g.node("t").layer) for g in CASES.values()}
    assert covered == set(LAYER_TYPES.values())


def _reference(graph, params, x):
    """Exact values where the graph is rational; otherwise mpmath at 60 digits (as exact Fractions)."""
    try:
        return evaluate_all(graph, params, x, arithmetic="exact")["t"]
    except ExactnessError:
        mp = evaluate_all(graph, params, x, arithmetic="mpmath", dps=60)["t"]
        return np.vectorize(
            lambda v: Fraction(mpmath.nstr(v, 60, min_fixed=-1000, max_fixed=1000)), otypes=[object]
        )(mp)


def _endpoints(bk, x):
    if bk.name == "float64":
        return [(Fraction(float(a)), Fraction(float(b))) for a, b in zip(x.lo.ravel(), x.hi.ravel())]
    return [bk.endpoints(v) for v in x.ravel()]


@pytest.mark.parametrize("bk", BACKENDS, ids=lambda b: b.name)
@pytest.mark.parametrize("case", sorted(CASES))
def test_enclosure_contains_the_exact_value(case, bk):
    graph = CASES[case]
    for seed in (1, 2):
        params = random_parameters(graph, seed=seed)
        x = _batch(graph.input_shape, seed=seed)
        exact = _reference(graph, params, x)
        with bk.active():
            found = enclose_graph(bk, graph, params, x)["t"]
        assert tuple(found.shape) == exact.shape
        bounds = _endpoints(bk, found)
        for (lo, hi), value in zip(bounds, exact.ravel()):
            assert lo <= value <= hi, (case, lo, value, hi)
        widest = max(hi - lo for lo, hi in bounds)
        assert widest < Fraction(1, 10**6), (case, float(widest))  # tight, not merely sound


def test_max_pool_of_intervals_is_exact():
    graph = CASES["MaxPool"]
    params, x = random_parameters(graph), _batch(graph.input_shape, den=4)
    with F64Backend().active():
        found = enclose_graph(F64Backend(), graph, params, x)["t"]
    assert np.array_equal(found.lo, found.hi)  # dyadic inputs: the max of points is a point


def test_conv_error_bound_grows_with_n():
    """The im2col product's radius is the gamma_n bound with n = k k C_in, relative to |x| |W|."""
    graph = Graph((4, 5, 5), [Node("t", Conv(2, (3, 3)))])
    params, x = random_parameters(graph, seed=4), _batch(graph.input_shape, seed=4)
    with F64Backend().active():
        found = enclose_graph(F64Backend(), graph, params, x)["t"]
    width = (found.hi - found.lo).max()
    scale = float(np.abs(np.asarray(x, dtype=float)).max()) * 36  # |x| |W| <= max|x| * n (|W| <= 1)
    assert 0 < width <= 4 * 37 * 2.0**-53 * scale


def _cnn():
    return Graph(
        (1, 5, 5),
        [
            Node("conv", Conv(3, (3, 3), padding=1)),
            Node("bn", BatchNorm()),
            Node("act", Activation("tanh")),
            Node("pool", GlobalAveragePool()),
            Node("flat", Flatten()),
            Node("fc", Dense(2)),
            Node("soft", Softmax()),
        ],
    )


@pytest.mark.parametrize("kind", ["mse", "cross_entropy"])
def test_graph_loss_contains_the_reference(kind):
    graph = _cnn()
    params = random_parameters(graph, seed=5)
    x = _batch(graph.input_shape, n=3, seed=5)
    y = [[1, 0], [0, 1], [1, 0]]
    loss = GraphLoss(graph, x, y, kind)
    assert loss.output == "softmax" and loss.logits_name() == "fc"
    mp = evaluate_all(graph, params, x, arithmetic="mpmath", dps=50)
    with mpmath.workdps(50):
        if kind == "mse":
            ref = sum((p - t) ** 2 for row, ys in zip(mp["soft"], y) for p, t in zip(row, ys)) / 6
        else:
            lse = [mpmath.log(sum(mpmath.exp(v) for v in row)) for row in mp["fc"]]
            ref = sum(s - row[ys.index(1)] for s, row, ys in zip(lse, mp["fc"], y)) / 3
        ref = Fraction(mpmath.nstr(ref, 45))
    for bk in BACKENDS:
        lo, hi = loss_enclosure(bk, loss, params)
        assert lo <= ref <= hi and hi - lo < Fraction(1, 10**9)
    assert abs(float_loss(loss, params) - float(ref)) < 1e-12


def test_graph_loss_refuses_bad_shapes():
    graph = _cnn()
    with pytest.raises(SpecificationError, match=r"X must have shape \(N, 1, 5, 5\)"):
        GraphLoss(graph, np.zeros((3, 25), dtype=int), [[1, 0]] * 3, "mse")
    with pytest.raises(SpecificationError, match="Y must have shape"):
        GraphLoss(graph, np.zeros((3, 1, 5, 5), dtype=int), [[1]] * 3, "mse")
    with pytest.raises(SpecificationError, match="ends in softmax"):
        GraphLoss(graph, np.zeros((3, 1, 5, 5), dtype=int), [[1, 0]] * 3, "bce")


def test_chunks_of_data_points_give_the_same_loss(monkeypatch):
    import symcert.numeric.graph.loss as module

    graph = _cnn()
    params = random_parameters(graph, seed=6)
    loss = GraphLoss(graph, _batch(graph.input_shape, n=7, seed=6), [[1, 0], [0, 1]] * 3 + [[1, 0]], "mse")
    whole = loss_enclosure(F64Backend(), loss, params)
    monkeypatch.setattr(module, "CHUNK_ENTRIES", 1)
    assert module.chunk_size(graph) == 1
    pieces = loss_enclosure(F64Backend(), GraphLoss(graph, loss.X, loss.Y, "mse"), params)
    assert max(whole[0], pieces[0]) <= min(whole[1], pieces[1])  # both enclose the same value
    assert pieces[1] - pieces[0] < Fraction(1, 10**12)


@st.composite
def _windowed(draw):
    """A random conv or pooling layer on a random input it fits."""
    dims = draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    stride = tuple(draw(st.integers(1, 2)) for _ in range(dims))
    kind = draw(st.sampled_from(["conv", "average", "max"]))
    if kind == "conv":
        dilation = tuple(draw(st.integers(1, 2)) for _ in range(dims))
        pads = tuple((draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in range(dims))
        layer = Conv(draw(st.integers(1, 3)), kernel, stride=stride, padding=pads, dilation=dilation)
    else:
        dilation = (1,) * dims
        pads = tuple((draw(st.integers(0, k - 1)), draw(st.integers(0, k - 1))) for k in kernel)
        if kind == "average":
            layer = AveragePool(kernel, stride=stride, padding=pads, count_include_pad=draw(st.booleans()))
        else:
            layer = MaxPool(kernel, stride=stride, padding=pads)
    spatial = tuple(draw(st.integers((k - 1) * d + 1, 6)) for k, d in zip(kernel, dilation))
    return Graph((draw(st.integers(1, 3)), *spatial), [Node("t", layer)])


@settings(max_examples=30, deadline=None)
@given(graph=_windowed(), seed=st.integers(0, 1000))
def test_windowed_layers_contain_the_exact_value(graph, seed):
    params = random_parameters(graph, seed=seed)
    x = _batch(graph.input_shape, seed=seed)
    exact = evaluate_all(graph, params, x, arithmetic="exact")["t"]
    bk = F64Backend()
    with bk.active():
        found = enclose_graph(bk, graph, params, x)["t"]
    assert tuple(found.shape) == exact.shape
    for (lo, hi), value in zip(_endpoints(bk, found), exact.ravel()):
        assert lo <= value <= hi
