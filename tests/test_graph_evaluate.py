"""The graph's reference evaluation (float64, exact, mpmath) checked a second way, and every derived
symmetry spot-checked at an exact point: exactly equal where the graph is rational, refuted where the
facts forbid it."""

from __future__ import annotations

import random
from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from symcert import MLP
from symcert.errors import ExactnessError, SpecificationError
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
    Softmax,
    Transpose,
    derive_symmetries,
    random_parameters,
)
from symcert.symbolic.graph.action import Flip, Permute, Rescale, apply, spot_check
from symcert.symbolic.graph.evaluate import evaluate, evaluate_all


def _batch(graph: Graph, n: int = 2, seed: int = 0) -> np.ndarray:
    rng = random.Random(seed)
    size = n * int(np.prod(graph.input_shape))
    values = [Fraction(rng.randint(-12, 12), 4) for _ in range(size)]
    return np.array(values, dtype=object).reshape((n, *graph.input_shape))


# -- an independent evaluation, written with loops (shares nothing with the layers' forward) ------------


def _conv_loops(x, w, b, stride, pads, dilation):
    n, c, *sp = x.shape
    dims = len(sp)
    padded_shape = [s + p0 + p1 for s, (p0, p1) in zip(sp, pads, strict=True)]
    xp = np.zeros((n, c, *padded_shape))
    xp[(slice(None), slice(None), *(slice(p0, p0 + s) for s, (p0, _) in zip(sp, pads, strict=True)))] = x
    k = w.shape[2:]
    out = [(padded_shape[i] - dilation[i] * (k[i] - 1) - 1) // stride[i] + 1 for i in range(dims)]
    y = np.zeros((n, w.shape[0], *out))
    for pos in np.ndindex(*out):
        for off in np.ndindex(*k):
            idx = tuple(pos[i] * stride[i] + off[i] * dilation[i] for i in range(dims))
            patch = xp[(slice(None), slice(None), *idx)]  # (n, c)
            y[(slice(None), slice(None), *pos)] += patch @ w[(slice(None), slice(None), *off)].T
    return y + b.reshape((1, -1) + (1,) * dims)


def _pool_loops(x, kernel, stride, pads, how):
    n, c, *sp = x.shape
    dims = len(sp)
    out = [(sp[i] + pads[i][0] + pads[i][1] - kernel[i]) // stride[i] + 1 for i in range(dims)]
    y = np.zeros((n, c, *out))
    for pos in np.ndindex(*out):
        seen = []
        for off in np.ndindex(*kernel):
            idx = tuple(pos[i] * stride[i] + off[i] - pads[i][0] for i in range(dims))
            if all(0 <= idx[i] < sp[i] for i in range(dims)):
                seen.append(x[(slice(None), slice(None), *idx)])
        stack = np.stack(seen)
        y[(slice(None), slice(None), *pos)] = stack.max(axis=0) if how == "max" else stack.mean(axis=0)
    return y


CNN = Graph(
    (2, 7, 6),
    [
        Node("c1", Conv(3, (3, 2), stride=(2, 1), padding=((1, 0), (1, 1)), dilation=(1, 2))),
        Node("bn", BatchNorm(Fraction(1, 1000))),
        Node("r", Activation("relu")),
        Node("mp", MaxPool((2, 2), stride=1, padding=((0, 1), (1, 0)))),
        Node("ap", AveragePool((2, 2), padding=1)),
        Node("f", Flatten()),
        Node("fc", Dense(2)),
    ],
)


def test_the_cnn_agrees_with_loops_and_its_exact_value() -> None:
    p = random_parameters(CNN, seed=4)
    x = _batch(CNN)
    exact = evaluate_all(CNN, p, x, arithmetic="exact")
    floats = evaluate_all(CNN, p, x)
    fp = {k: np.asarray(v, dtype=float) for k, v in p.items()}
    xf = np.asarray(x, dtype=float)
    c1 = _conv_loops(xf, fp["c1.weight"], fp["c1.bias"], (2, 1), ((1, 0), (1, 1)), (1, 2))
    np.testing.assert_allclose(floats["c1"], c1, rtol=1e-12, atol=1e-12)
    bn = (c1 - fp["bn.mean"][:, None, None]) / np.sqrt(fp["bn.var"][:, None, None] + 1e-3)
    bn = bn * fp["bn.scale"][:, None, None] + fp["bn.bias"][:, None, None]
    r = np.maximum(bn, 0)
    mp = _pool_loops(r, (2, 2), (1, 1), ((0, 1), (1, 0)), "max")
    ap = _pool_loops(mp, (2, 2), (2, 2), ((1, 1), (1, 1)), "mean")
    out = ap.reshape(len(ap), -1) @ fp["fc.weight"].T + fp["fc.bias"]
    np.testing.assert_allclose(floats["fc"], out, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(np.asarray(exact["fc"], dtype=float), out, rtol=1e-12, atol=1e-12)
    assert all(isinstance(v, Fraction) for v in exact["fc"].ravel())  # var + eps are rational squares


@settings(max_examples=15, deadline=None)
@given(
    widths=st.lists(st.integers(1, 3), min_size=2, max_size=4),
    act=st.sampled_from(["relu", "cube", "leaky_relu:1/4"]),
    seed=st.integers(0, 99),
)
def test_an_mlp_graph_evaluates_to_the_mlp_closed_form(widths, act, seed) -> None:
    mlp = MLP(widths, act)
    g = Graph.from_mlp(mlp)
    p = random_parameters(g, seed=seed)
    point = mlp.point(
        **{
            f"{kind}{l}": p[f"fc{l}.{name}"].tolist()
            for l in range(1, mlp.depth + 1)
            for kind, name in (("W", "weight"), ("b", "bias"))
        }
    )
    back = Graph.parameters_from_point(point)
    assert back.keys() == p.keys() and all((back[k] == p[k]).all() for k in p)
    x = _batch(g, 1, seed)[0]
    closed = mlp.output([sympy.Rational(v.numerator, v.denominator) for v in x], point)
    value = evaluate(g, p, x[None], arithmetic="exact")[0]
    assert [sympy.Rational(v.numerator, v.denominator) for v in value] == closed


def test_irrational_values_are_refused_in_exact_arithmetic() -> None:
    g = Graph((2,), [Node("fc", Dense(2)), Node("t", Activation("tanh"))])
    p = random_parameters(g)
    with pytest.raises(ExactnessError, match="tanh is neither polynomial nor piecewise linear"):
        evaluate(g, p, [[1, 2]], arithmetic="exact")
    s = Graph((2,), [Node("fc", Dense(2)), Node("s", Softmax())])
    with pytest.raises(ExactnessError, match="exp"):
        evaluate(s, random_parameters(s), [[1, 2]], arithmetic="exact")
    ln = Graph((3,), [Node("ln", LayerNorm())])
    with pytest.raises(ExactnessError, match="irrational"):
        evaluate(ln, {"ln.scale": [1, 1, 1], "ln.bias": [0, 0, 0]}, [[1, 2, 4]], arithmetic="exact")
    # mpmath at 40 digits agrees with float64 (both evidence, neither proof)
    hi = evaluate(g, p, [[1, 2]], arithmetic="mpmath", dps=40)
    np.testing.assert_allclose(np.asarray(hi, dtype=float), evaluate(g, p, [[1, 2]]), rtol=1e-14)
    with pytest.raises(SpecificationError, match=r"inputs must have shape \(N, 2\)"):
        evaluate(g, p, [[1, 2, 3]])


def test_reshape_transpose_softmax_layernorm_in_float64() -> None:
    g = Graph(
        (2, 3),
        [
            Node("t", Transpose((1, 0))),
            Node("r", Reshape((2, 3))),
            Node("ln", LayerNorm(axis=0, epsilon=0.0)),
            Node("f", Flatten()),
            Node("s", Softmax()),
        ],
    )
    x = np.arange(12, dtype=float).reshape(2, 2, 3) ** 1.5
    p = {"ln.scale": np.full((2, 3), 0.5), "ln.bias": np.full((2, 3), 0.25)}
    y = x.transpose(0, 2, 1).reshape(2, 2, 3)
    m, v = y.mean(axis=(1, 2), keepdims=True), y.var(axis=(1, 2), keepdims=True)
    z = ((y - m) / np.sqrt(v) * 0.5 + 0.25).reshape(2, -1)
    want = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(evaluate(g, p, x), want, rtol=1e-12)


# -- the derived symmetries at an exact point -----------------------------------------------------------

GRAPHS = {
    "cnn": CNN,
    "residual": Graph(
        (1, 4, 4),
        [
            Node("c0", Conv(2, (1, 1))),
            Node("a0", Activation("cube")),
            Node("c1", Conv(3, (3, 3), padding=1)),
            Node("b1", BatchNorm()),
            Node("a1", Activation("relu")),
            Node("c2", Conv(2, (3, 3), padding=1)),
            Node("add", Add(), ("a0", "c2")),
            Node("gap", GlobalAveragePool()),
            Node("f", Flatten()),
            Node("fc", Dense(1)),
        ],
    ),
    "conv1d": Graph(
        (2, 6),
        [
            Node("c", Conv(3, (2,), stride=2)),
            Node("a", Activation("identity")),
            Node("p", AveragePool((2,), stride=1)),
            Node("f", Flatten()),
            Node("fc", Dense(2)),
            Node("sq", Activation("square")),
            Node("out", Dense(1)),
        ],
    ),
}


def _elements(spec, seed: int = 0):
    rng = random.Random(seed)
    for g in spec.groups:
        perm = list(range(g.size))
        rng.shuffle(perm)
        yield Permute(g.name, tuple(perm)), True
        signs = (-1, *tuple(rng.choice([-1, 1]) for _ in range(g.size - 1)))
        factors = (
            Fraction(3, 2),
            *tuple(Fraction(rng.randint(1, 4), rng.randint(1, 4)) for _ in range(g.size - 1)),
        )
        for i, s in enumerate(g.signs):
            yield Flip(g.name, i, signs), s.allowed
        for i, s in enumerate(g.scales):
            yield Rescale(g.name, i, factors), s.allowed


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_every_derived_symmetry_leaves_the_output_exactly_unchanged(name: str) -> None:
    graph = GRAPHS[name]
    spec = derive_symmetries(graph)
    params = random_parameters(graph, seed=2)
    checked = 0
    for element, allowed in _elements(spec):
        if allowed:
            result = spot_check(spec, params, element, seed=5)
            assert result.status == "equal (exact)", (element, result)
            checked += 1
    assert checked >= 4


def test_the_facts_that_forbid_a_flip_are_refuted_exactly() -> None:
    # ReLU is not odd: flipping a unit of a ReLU MLP changes the output at an exact point
    relu = derive_symmetries(Graph.from_mlp(MLP((2, 3, 1), "relu")))
    p = random_parameters(relu.graph, seed=1)
    with pytest.raises(SpecificationError, match="not a symmetry"):
        apply(relu, p, Flip("P_fc1", 0, (-1, 1, 1)))
    assert spot_check(relu, p, Flip("P_fc1", 0, (-1, 1, 1)), force=True).status == "differs"
    # max pooling blocks a flip that tanh alone would carry: refuted (at 50 digits: evidence)
    g = Graph(
        (1, 4),
        [
            Node("c", Conv(2, (1,))),
            Node("t", Activation("cube")),
            Node("p", MaxPool((2,))),
            Node("f", Flatten()),
            Node("fc", Dense(1)),
        ],
    )
    spec = derive_symmetries(g)
    assert [s.allowed for s in spec.group("P_c").signs] == [False, False]
    check = spot_check(spec, random_parameters(g, seed=3), Flip("P_c", 0, (-1, 1)), force=True, batch=6)
    assert check.status == "differs" and check.exact
    # a rescaling through an odd non-homogeneous activation (cube is homogeneous of degree 3: allowed)
    assert spec.group("P_c").scales[0].exponents["t"] == 3


def test_smooth_activations_are_compared_in_mpmath_and_say_so() -> None:
    mlp = MLP((2, 3, 1), "sigmoid")
    spec = derive_symmetries(Graph.from_mlp(mlp))
    p = random_parameters(spec.graph, seed=7)
    result = spot_check(spec, p, Flip("P_fc1", 0, (-1, 1, -1)))
    assert result.status.endswith("(mpmath: evidence, not proof)") and not result.exact
    # without biases the sigmoid's constant has nowhere to go: refuted
    nobias = derive_symmetries(Graph.from_mlp(MLP((2, 3, 1), "sigmoid", bias=False)))
    q = random_parameters(nobias.graph, seed=7)
    assert spot_check(nobias, q, Flip("P_fc1", 0, (-1, 1, 1)), force=True).status == "differs"


RATIONAL = ["relu", "leaky_relu:1/4", "identity", "square", "cube"]
STEP = st.one_of(
    st.tuples(st.just("conv"), st.integers(1, 3), st.integers(1, 2), st.integers(0, 1), st.integers(1, 2)),
    st.tuples(st.just("act"), st.sampled_from(RATIONAL)),
    st.tuples(st.sampled_from(["bn", "avg", "max", "res", "fc"])),
)


def _random_graph(steps, channels: int, length: int) -> Graph:
    """A conv1d network from ``steps``, skipping steps that do not fit; ends flatten, dense, relu, dense."""
    nodes: list[Node] = []
    shape, last = (channels, length), "x"
    for i, step in enumerate(steps):
        name, kind = f"n{i}", step[0]
        if kind == "fc" and len(shape) == 2:
            nodes.append(Node(f"{name}f", Flatten(), (last,)))
            last, shape = f"{name}f", (shape[0] * shape[1],)
            layer = Dense(3)
        elif kind == "conv" and len(shape) == 2:
            _, c, k, pad, stride = step
            if shape[1] + 2 * pad < k:
                continue
            layer = Conv(c, (k,), stride=stride, padding=pad)
        elif kind == "act":
            layer = Activation(step[1])
        elif kind == "bn":
            layer = BatchNorm(Fraction(1, 16))
        elif kind in ("avg", "max") and len(shape) == 2 and shape[1] >= 2:
            layer = AveragePool((2,), stride=1) if kind == "avg" else MaxPool((2,), stride=1)
        elif kind == "res" and len(shape) == 2:
            nodes.append(Node(f"{name}c", Conv(shape[0], (3,), padding=1), (last,)))
            nodes.append(Node(f"{name}a", Activation("relu")))
            nodes.append(Node(name, Add(), (last, f"{name}a")))
            last = name
            continue
        else:
            continue
        nodes.append(Node(name, layer, (last,)))
        last, shape = name, layer.output_shape([shape])
    if len(shape) == 2:
        nodes.append(Node("flat", Flatten(), (last,)))
        last = "flat"
    nodes += [Node("h", Dense(2), (last,)), Node("hr", Activation("relu")), Node("out", Dense(1))]
    return Graph((channels, length), nodes)


@settings(max_examples=25, deadline=None)
@given(
    steps=st.lists(STEP, max_size=6),
    channels=st.integers(1, 2),
    length=st.integers(3, 5),
    seed=st.integers(0, 9),
)
def test_random_graphs_every_derived_symmetry_is_exact(steps, channels, length, seed) -> None:
    graph = _random_graph(steps, channels, length)
    spec = derive_symmetries(graph)
    params = random_parameters(graph, seed=seed)
    for element, allowed in _elements(spec, seed):
        if allowed:
            result = spot_check(spec, params, element, seed=seed, batch=2)
            assert result.status == "equal (exact)", (graph.describe(), element, result)


def test_a_sigmoid_flip_reaches_a_conv_bias_through_average_pooling() -> None:
    g = Graph(
        (1, 6),
        [
            Node("c1", Conv(3, (2,))),
            Node("s", Activation("sigmoid")),
            Node("p", AveragePool((2,), stride=1)),
            Node("c2", Conv(2, (2,))),
            Node("f", Flatten()),
            Node("fc", Dense(1)),
        ],
    )
    spec = derive_symmetries(g)
    segment = spec.group("P_c1").signs[0]
    assert segment.allowed and "absorbed by a bias" in segment.reason
    p = random_parameters(g, seed=4)
    assert spot_check(spec, p, Flip("P_c1", 0, (-1, 1, -1)), dps=40).holds
    # with zero padding the constant 1 - s meets padded zeros, and no bias absorbs it: not derived
    padded = Graph((1, 6), [*g.nodes[:3], Node("c2", Conv(2, (2,), padding=1)), *g.nodes[4:]])
    assert not derive_symmetries(padded).group("P_c1").signs[0].allowed
    q = random_parameters(padded, seed=4)
    forced = spot_check(derive_symmetries(padded), q, Flip("P_c1", 0, (-1, 1, -1)), force=True, dps=40)
    assert forced.status == "differs"
