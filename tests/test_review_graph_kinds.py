"""A second pair of eyes on the orbit, critical_pair and path kinds on layer graphs: attacks on the
checker by an adversary who edits the certificate's JSON.

Each test takes a certificate the prover writes for a tiny graph (or one written here by hand), changes
what an adversary would change, and requires the checker not to accept it (a one-line
:class:`CertificateFormatError` or a rejection naming the reason). The unchanged certificates, and a
few honest variations the argument does cover (``B`` a global minimum that is not ``g(A)``, a batch
norm whose ``var + eps`` is a square while ``var`` is not), must be accepted, so each rejection is
meaningful. Two bugs found by this review stay as regressions: a pooling ``dilation`` that the exact
evaluation read and the Arb evaluation ignored (a convex least-squares loss was accepted as
non-convex), and a batch norm with ``var + eps <= 0`` that crashed the exact evaluation.
"""

from __future__ import annotations

import copy
import functools
from fractions import Fraction
from typing import Any

import flint
import numpy as np
import pytest

import symcert.printing  # noqa: F401  (summary() prints through the printers)
from symcert.checker import check
from symcert.checker.graph.exact import exact_outputs
from symcert.checker.graph.forward import run_graph, to_arb
from symcert.checker.graph.orbit import orbit_mean
from symcert.checker.graph.orbit_rules import invariance_problems
from symcert.checker.graph.spec import read_graph
from symcert.checker.reading import CertificateFormatError
from symcert.numeric.graph import GraphLoss
from symcert.proofs.graph_critical_pair import certify_graph_critical_pair, teacher_targets
from symcert.proofs.graph_orbit import certify_graph_orbit
from symcert.proofs.graph_path import certify_graph_path, level_verdict
from symcert.symbolic.graph import Activation, Dense, Graph, Node, Permute

F = Fraction


def _rejected(record: dict, *reason: str) -> None:
    """The checker does not accept ``record``: a format error, or a rejection naming ``reason``."""
    try:
        result = check(record)
    except CertificateFormatError as error:
        assert "\n" not in str(error)
        return
    assert not result.accepted, result.reasons
    text = " ".join(result.reasons)
    assert all(r in text for r in reason), result.reasons


def _accepted(record: dict) -> None:
    result = check(record)
    assert result.accepted, result.reasons


def _record(
    kind: str, graph: dict, loss: str, xs: list, ys: list, points: dict, parameters: dict, claim: dict
):
    return {
        "schema": "symcert-certificate",
        "version": 1,
        "kind": kind,
        "status": "proved",
        "network": {"graph": graph, "output_activation": "identity"},
        "loss": {"kind": loss, "weight_decay": "0"},
        "data": {"xs": xs, "ys": ys},
        "points": points,
        "element": None,
        "parameters": parameters,
        "claim": claim,
        "enclosures": {},
        "dps": 30,
    }


def _graph(input_shape: list[int], *nodes: tuple[str, str | list[str], dict]) -> dict:
    """A graph record: nodes ``(name, input(s), layer)``, each reading the previous one by default."""
    out, previous = [], "x"
    for name, inputs, layer in nodes:
        out.append(
            {
                "name": name,
                "inputs": [inputs or previous] if isinstance(inputs, str) else inputs,
                "layer": layer,
            }
        )
        previous = name
    return {
        "format": "symcert-graph",
        "version": 1,
        "input_name": "x",
        "input_shape": input_shape,
        "nodes": out,
    }


def _dense(n: int, bias: bool = True) -> dict:
    return {"type": "Dense", "features": n, "bias": bias}


def _act(name: str) -> dict:
    return {"type": "Activation", "name": name}


def _random(rng: np.random.Generator, shape: tuple[int, ...], den: int) -> Any:
    """Nested lists of exact rationals ``k / den``, ``-8 <= k < 8``."""
    return np.vectorize(lambda k: F(int(k), den), otypes=[object])(rng.integers(-8, 8, shape)).tolist()


def _s(values: Any) -> Any:
    return [_s(v) for v in values] if isinstance(values, list) else str(values)


# -- orbit -------------------------------------------------------------------------------------------


@functools.cache
def _orbit_base() -> dict:
    g = Graph((1,), [Node("fc1", Dense(2)), Node("t", Activation("tanh")), Node("fc2", Dense(1))])
    A = {"fc1.weight": [[-2], [2]], "fc1.bias": [-1, 0], "fc2.weight": [[1, 1]], "fc2.bias": [0]}
    loss = GraphLoss(g, [[-1], [0], [1], [2]], [["-1/5"], ["-4/5"], [0], [0]], "mse")
    certificate = certify_graph_orbit(loss, A)
    assert certificate.status == "proved"
    return certificate.to_dict()


def _orbit() -> dict:
    return copy.deepcopy(_orbit_base())


def _member(kind: str, name: str, axis: int, outer: int = 1, inner: int = 1) -> dict:
    return {"kind": kind, "name": name, "axis": axis, "outer": outer, "inner": inner}


def test_the_unchanged_orbit_certificate_is_accepted() -> None:
    _accepted(_orbit())


def test_orbit_a_group_that_does_not_reach_the_next_layer_is_rejected() -> None:
    record = _orbit()
    members = record["parameters"]["members"]
    record["parameters"]["members"] = [m for m in members if m["name"] != "fc2.weight"]
    _rejected(record, "not shown to be a symmetry")


def test_orbit_a_mean_over_another_group_or_another_point_is_rejected() -> None:
    record = _orbit()
    record["points"]["mean"]["fc1.bias"] = ["-1", "0"]  # fc1.bias not averaged: a smaller group
    _rejected(record, "stated mean is not the mean")
    record = _orbit()
    record["points"]["mean"]["fc1.weight"] = [["1"], ["1"]]  # the mean of another A
    _rejected(record, "stated mean is not the mean")


def test_orbit_an_enclosure_of_l_at_another_point_is_rejected() -> None:
    record = _orbit()
    record["enclosures"]["L(A)"] = record["enclosures"]["L(mean)"]  # L at the mean, stated as L(A)
    _rejected(record, "claimed enclosure of L(A)")
    record = _orbit()
    high = F(record["enclosures"]["gap"][1])
    record["enclosures"]["gap"] = [str(high), str(high + 1)]
    _rejected(record, "claimed enclosure of gap")


def test_orbit_a_false_gap_is_rejected_even_with_a_true_symmetry() -> None:
    record = _orbit()
    record["points"]["A"] = copy.deepcopy(record["points"]["mean"])  # A on the fixed set: gap = 0
    _rejected(record, "is not > 0")


@pytest.mark.parametrize(
    "change",
    [
        lambda r: r["parameters"].update(size=3),  # 3 channels stated on an axis of length 2
        lambda r: r["parameters"]["members"].append(copy.deepcopy(r["parameters"]["members"][1])),  # twice
        lambda r: r["parameters"]["members"][1].update(flip=True),  # a sign flip: not an orbit member
        lambda r: r["parameters"]["members"][1].update(outer=2),
        lambda r: r["parameters"].update(members=[]),
        lambda r: r.update(status="undecided"),
        lambda r: r["loss"].update(weight_decay="1/10"),
    ],
    ids=["size", "duplicate", "flip", "outer", "empty", "status", "decay"],
)
def test_orbit_malformed_groups_and_statements_are_not_accepted(change) -> None:
    record = _orbit()
    change(record)
    _rejected(record)


# The checker's rules, one per layer type, on small graphs (true symmetries give [] and near misses a
# problem naming the node).


def _ln_graph() -> dict:
    ln = {"type": "LayerNorm", "axis": -1, "epsilon": "1/10", "bias": True}
    return _graph(
        [2], ("fc1", "", _dense(3)), ("ln", "", ln), ("t", "", _act("tanh")), ("fc2", "", _dense(1))
    )


_LN_GROUP = [
    _member("tensor", "fc1", 0),
    _member("param", "fc1.weight", 0),
    _member("param", "fc1.bias", 0),
    _member("tensor", "ln", 0),
    _member("param", "ln.scale", 0),
    _member("param", "ln.bias", 0),
    _member("tensor", "t", 0),
    _member("param", "fc2.weight", 1),
]


def test_rules_layer_norm_needs_its_scale_and_shift_on_a_normalised_axis() -> None:
    g = read_graph(_ln_graph())
    assert invariance_problems(g, 3, _LN_GROUP) == []
    for name in ("ln.scale", "ln.bias"):
        problems = invariance_problems(g, 3, [m for m in _LN_GROUP if m["name"] != name])
        assert problems and "node ln" in problems[0], problems
    # the scale permuted while the normalised axis is not: no rule allows it
    alone = [_member("param", "ln.scale", 0)]
    assert any("no rule of LayerNorm" in p for p in invariance_problems(g, 3, alone))


def test_rules_a_full_orbit_certificate_across_a_layer_norm_without_its_scale_is_rejected() -> None:
    graph = _ln_graph()
    g = read_graph(graph)
    rng = np.random.default_rng(0)
    A = {k: _random(rng, shape, 4) for k, shape in g.parameters.items()}
    members = [m for m in _LN_GROUP if m["name"] != "ln.scale"]
    tied: dict[str, list] = {}
    for m in members:
        if m["kind"] == "param":
            tied.setdefault(m["name"], []).append((m["axis"], m["outer"], m["inner"]))
    mean = {k: orbit_mean(g.parameters[k], v, 3, tied[k]) if k in tied else v for k, v in A.items()}
    record = _record(
        "orbit",
        graph,
        "mse",
        [["1", "0"], ["0", "1"]],
        [["1"], ["-1"]],
        {"A": _s(A), "mean": _s(mean)},
        {"group": "P_fc1", "size": 3, "members": members},
        {"quantity": "gap", "relation": ">"},
    )
    _rejected(record, "not shown to be a symmetry", "node ln")


def _pool_graph(kind: str) -> dict:
    conv = {"type": "Conv", "channels": 2, "kernel": [1], "stride": [1], "padding": [[0, 0]], "bias": True}
    pool: dict[str, Any] = {"type": kind, "kernel": [2], "stride": [2], "padding": [[0, 0]]}
    if kind == "AveragePool":
        pool["count_include_pad"] = False
    return _graph(
        [1, 4], ("c", "", conv), ("p", "", pool), ("f", "", {"type": "Flatten"}), ("fc", "", _dense(1))
    )


_POOL_GROUP = [
    _member("tensor", "c", 0),
    _member("param", "c.weight", 0),
    _member("param", "c.bias", 0),
    _member("tensor", "p", 0),
    _member("tensor", "f", 0, 1, 2),
    _member("param", "fc.weight", 1, 1, 2),
]


@pytest.mark.parametrize("kind", ["MaxPool", "AveragePool"])
def test_rules_pooling_carries_channels_not_positions_and_flatten_needs_its_blocks(kind) -> None:
    g = read_graph(_pool_graph(kind))
    assert invariance_problems(g, 2, _POOL_GROUP) == []  # channels of a pool: a true symmetry
    spatial = [
        _member("tensor", "p", 1),
        _member("tensor", "f", 0, 2, 1),
        _member("param", "fc.weight", 1, 2, 1),
    ]
    assert any("pooling carries the channel axis 0 only" in p for p in invariance_problems(g, 2, spatial))
    wrong = [m if m["name"] != "f" else _member("tensor", "f", 0, 2, 1) for m in _POOL_GROUP]
    assert any("flattening gives" in p for p in invariance_problems(g, 2, wrong))


def _residual_graph() -> dict:
    return _graph(
        [2],
        ("fc1", "", _dense(2)),
        ("t", "", _act("tanh")),
        ("fc2", "", _dense(2)),
        ("s", ["t", "fc2"], {"type": "Add"}),
        ("fc3", "", _dense(1)),
    )


def test_rules_a_residual_add_tying_one_side_only_is_rejected() -> None:
    g = read_graph(_residual_graph())
    stream = [
        _member("tensor", "fc1", 0),
        _member("param", "fc1.weight", 0),
        _member("param", "fc1.bias", 0),
        _member("tensor", "t", 0),
        _member("param", "fc2.weight", 1),
        _member("param", "fc2.weight", 0),
        _member("param", "fc2.bias", 0),
        _member("tensor", "fc2", 0),
        _member("tensor", "s", 0),
        _member("param", "fc3.weight", 1),
    ]
    assert invariance_problems(g, 2, stream) == []
    one_side = [m for m in stream if m["name"] not in ("fc2", "fc2.bias") and m != stream[5]]
    assert any("node s" in p and "must agree" in p for p in invariance_problems(g, 2, one_side))


def test_rules_batch_norm_needs_all_four_vectors() -> None:
    conv = {"type": "Conv", "channels": 2, "kernel": [1], "stride": [1], "padding": [[0, 0]], "bias": True}
    graph = _graph(
        [1, 3],
        ("c", "", conv),
        ("bn", "", {"type": "BatchNorm", "epsilon": "0"}),
        ("t", "", _act("tanh")),
        ("f", "", {"type": "Flatten"}),
        ("fc", "", _dense(1)),
    )
    g = read_graph(graph)
    group = [
        _member("tensor", "c", 0),
        _member("param", "c.weight", 0),
        _member("param", "c.bias", 0),
        _member("tensor", "bn", 0),
        *(_member("param", f"bn.{k}", 0) for k in ("scale", "bias", "mean", "var")),
        _member("tensor", "t", 0),
        _member("tensor", "f", 0, 1, 3),
        _member("param", "fc.weight", 1, 1, 3),
    ]
    assert invariance_problems(g, 2, group) == []
    without_var = [m for m in group if m["name"] != "bn.var"]
    assert any("node bn" in p and "var" in p for p in invariance_problems(g, 2, without_var))


def test_rules_softmax_input_output_and_a_dense_layers_other_axis_are_refused() -> None:
    graph = _graph(
        [2], ("fc1", "", _dense(2)), ("sm", "", {"type": "Softmax", "axis": 0}), ("fc2", "", _dense(2))
    )
    g = read_graph(graph)
    across = [
        _member("tensor", "fc1", 0),
        _member("param", "fc1.weight", 0),
        _member("param", "fc1.bias", 0),
        _member("tensor", "sm", 0),
        _member("param", "fc2.weight", 1),
    ]
    assert any("states no rule" in p for p in invariance_problems(g, 2, across))
    assert any("input x is permuted" in p for p in invariance_problems(g, 2, [_member("tensor", "x", 0)]))
    out = [_member("param", "fc2.weight", 0), _member("param", "fc2.bias", 0), _member("tensor", "fc2", 0)]
    assert any("output fc2 is permuted" in p for p in invariance_problems(g, 2, out))
    wide = read_graph(_graph([2, 3], ("fc", "", _dense(2)), ("t", "", _act("tanh"))))
    rows = [_member("tensor", "fc", 0), _member("tensor", "t", 0)]  # the dense rule carries the last axis
    assert any("does not carry" in p for p in invariance_problems(wide, 2, rows))
    twice = [_member("tensor", "fc", 0), _member("tensor", "fc", 1)]
    assert any("more than one permuted axis" in p for p in invariance_problems(wide, 2, twice))


# -- critical_pair -----------------------------------------------------------------------------------


@functools.cache
def _pair_base() -> dict:
    g = Graph((1,), [Node("fc1", Dense(2)), Node("r", Activation("relu")), Node("fc2", Dense(1))])
    A = {"fc1.weight": [[-2], [1]], "fc1.bias": [1, "1/2"], "fc2.weight": [[1, 2]], "fc2.bias": [0]}
    X = np.array([[-1], [0], [1], [2]], dtype=object)
    loss = GraphLoss(g, X, teacher_targets(g, A, X), "mse")
    certificate = certify_graph_critical_pair(loss, A, Permute("P_fc1", (1, 0)))
    assert certificate.status == "proved"
    return certificate.to_dict()


def _pair() -> dict:
    return copy.deepcopy(_pair_base())


def test_the_unchanged_critical_pair_certificate_is_accepted() -> None:
    _accepted(_pair())


def test_critical_pair_b_need_not_be_g_of_a_only_a_global_minimum() -> None:
    """The convex-set argument needs L(A) = L(B) = 0 = min L (mse, factor > 0), not a symmetry: B here
    rescales a ReLU unit (in 2, out 1/2), a minimum that no permutation gives; accepted."""
    record = _pair()
    record["points"]["B"] = copy.deepcopy(record["points"]["A"])
    record["points"]["B"]["fc1.weight"][0] = ["-4"]
    record["points"]["B"]["fc1.bias"][0] = "2"
    record["points"]["B"]["fc2.weight"] = [["1/2", "2"]]
    record["enclosures"] = {}
    _accepted(record)
    record["points"]["B"]["fc2.weight"] = [["1", "2"]]  # not a minimum any more
    _rejected(record, "not teacher data of B")


@pytest.mark.parametrize(
    "change",
    [
        lambda r: r["loss"].update(kind="cross_entropy"),  # not a sum of squares: 0 need not be its minimum
        lambda r: r["loss"].update(kind="bce"),
        lambda r: r["loss"].update(factor="-1"),  # L <= 0: A and B would be maxima
        lambda r: r["loss"].update(factor="0"),
        lambda r: r["loss"].update(weight_decay="1/100"),
        lambda r: r["parameters"].update(t0="0"),
        lambda r: r["parameters"].update(t0="1"),
        lambda r: r["parameters"].update(t0="5/4"),
        lambda r: r["parameters"].update(t0="-1/4"),
        lambda r: r["points"].update(B=copy.deepcopy(r["points"]["A"])),
        lambda r: r.update(status="undecided"),
        lambda r: r["data"]["ys"][0].__setitem__(0, str(F(r["data"]["ys"][0][0]) + F(1, 10**9))),
        lambda r: r["enclosures"].update({"phi'(t0)": ["-1", "0"]}),
    ],
    ids=[
        "ce",
        "bce",
        "negative",
        "zero",
        "decay",
        "t0=0",
        "t0=1",
        "t0>1",
        "t0<0",
        "A=B",
        "status",
        "ys",
        "claim",
    ],
)
def test_critical_pair_tampered_statements_are_rejected(change) -> None:
    record = _pair()
    change(record)
    _rejected(record)


def test_critical_pair_at_the_involutions_midpoint_phi_prime_is_zero_and_rejected() -> None:
    record = _pair()  # B = swap(A): phi(t) = phi(1 - t), so phi'(1/2) = 0 exactly
    record["parameters"]["t0"] = "1/2"
    record["enclosures"] = {}
    _rejected(record, "does not exclude 0")


def _bn_pair(var: str, eps: str, ys: str = "1/2") -> dict:
    graph = _graph(
        [1],
        ("fc", "", _dense(1)),
        ("bn", "", {"type": "BatchNorm", "epsilon": eps}),
        ("r", "", _act("relu")),
        ("o", "", _dense(1)),
    )
    A = {
        "fc.weight": [["1"]],
        "fc.bias": ["0"],
        "bn.scale": ["1"],
        "bn.bias": ["0"],
        "bn.mean": ["0"],
        "bn.var": [var],
        "o.weight": [["1"]],
        "o.bias": ["0"],
    }
    B = {**A, "bn.scale": ["2"], "o.weight": [["1/2"]]}  # a rescaling through the ReLU: the same outputs
    return _record(
        "critical_pair",
        graph,
        "sse",
        [["1"]],
        [[ys]],
        {"A": A, "B": B},
        {"t0": "1/4"},
        {"quantity": "phi'(t0)", "relation": "!="},
    )


def test_critical_pair_batch_norm_roots_are_exact_with_eps_and_refused_otherwise() -> None:
    _accepted(_bn_pair("1", "3"))  # sqrt(1 + 3) = 2: the output is 1/2 at A and at B
    _accepted(_bn_pair("2", "2"))  # var 2 is no square, var + eps = 4 is
    _rejected(_bn_pair("1", "0"), "not teacher data")  # without eps the root is 1: outputs are 1
    _rejected(_bn_pair("3", "0"), "cannot be checked", "not the square of a rational")


@pytest.mark.parametrize("var, eps", [("-1", "0"), ("0", "0"), ("-3", "1")])
def test_critical_pair_batch_norm_without_a_positive_variance_is_rejected_not_a_traceback(var, eps) -> None:
    """Regression: ``math.isqrt`` raised ValueError on ``var + eps < 0``, ``Fraction(1, 0)`` on ``= 0``."""
    _rejected(_bn_pair(var, eps), "cannot be checked", "is not positive")


def _pooled_pair(dilation: list[int] | None) -> dict:
    pool: dict[str, Any] = {
        "type": "AveragePool",
        "kernel": [2],
        "stride": [1],
        "padding": [[0, 0]],
        "count_include_pad": False,
    }
    if dilation is not None:
        pool["dilation"] = dilation
    graph = _graph([1, 4], ("pool", "", pool), ("flat", "", {"type": "Flatten"}), ("fc", "", _dense(1)))
    points = {
        "A": {"fc.weight": [["1", "0"]], "fc.bias": ["0"]},
        "B": {"fc.weight": [["0", "1"]], "fc.bias": ["0"]},
    }
    return _record(
        "critical_pair",
        graph,
        "sse",
        [[["1", "2", "-1", "-2"]]],
        [["0"]],
        points,
        {"t0": "1/4"},
        {"quantity": "phi'(t0)", "relation": "!="},
    )


def test_critical_pair_a_dilated_pool_is_refused_a_convex_loss_was_accepted() -> None:
    """Regression (soundness): the loss is linear least squares in the dense layer, convex. With a pooling
    dilation 2 the exact evaluation saw pooled features (x0 + x2)/2 = (x1 + x3)/2 = 0 (L(A) = L(B) = 0)
    while the Arb jets pooled undilated windows, where phi'(1/4) != 0: the checker accepted."""
    _rejected(_pooled_pair([2]))
    with pytest.raises(CertificateFormatError, match="pooling takes no dilation"):
        read_graph(_pooled_pair([2])["network"]["graph"])
    # undilated, the same data are not teacher data (the pooled features are 3/2 and 1/2)
    _rejected(_pooled_pair([1]), "not teacher data of A")
    _rejected(_pooled_pair(None), "not teacher data of A")


def test_critical_pair_max_pool_sigmoid_and_tanh_are_refused() -> None:
    record = _pair()
    record["network"]["graph"]["nodes"][1]["layer"]["name"] = "tanh"
    _rejected(record, "cannot be checked")
    record = _pair()
    record["network"]["graph"]["nodes"].append({"name": "s", "inputs": ["fc2"], "layer": _act("sigmoid")})
    record["network"]["output_activation"] = "sigmoid"
    _rejected(record, "cannot be checked")
    pair = _pooled_pair(None)
    pair["network"]["graph"]["nodes"][0]["layer"] = {
        "type": "MaxPool",
        "kernel": [2],
        "stride": [1],
        "padding": [[0, 0]],
    }
    _rejected(pair, "max pooling")


def test_the_exact_evaluation_agrees_with_the_arb_evaluation_layer_by_layer() -> None:
    """``L(A) = 0`` is checked by exact.py and ``phi'`` by forward.py's layers: every tensor of a graph
    with strides, conv dilation, asymmetric padding, both pooling counts, batch norm with eps, leaky
    ReLU, cube, transpose, reshape, a dense layer on a matrix, add and global pooling must agree."""
    conv = {
        "type": "Conv",
        "channels": 3,
        "kernel": [2, 3],
        "stride": [2, 1],
        "padding": [[1, 0], [0, 2]],
        "dilation": [1, 2],
        "bias": True,
    }
    pool = {"type": "AveragePool", "kernel": [2, 2], "stride": [1, 2], "padding": [[1, 1], [0, 1]]}
    graph = _graph(
        [2, 5, 6],
        ("c", "", conv),
        ("bn", "", {"type": "BatchNorm", "epsilon": "5/4"}),
        ("a", "", _act("leaky_relu:1/3")),
        ("p", "a", {**pool, "count_include_pad": False}),
        ("q", "a", {**pool, "count_include_pad": True}),
        ("s", ["p", "q"], {"type": "Add"}),
        ("k", "", _act("cube")),
        ("t", "", {"type": "Transpose", "perm": [2, 0, 1]}),
        ("d", "", _dense(2)),
        ("rs", "", {"type": "Reshape", "shape": [2, 6]}),
        ("gp", "", {"type": "GlobalAveragePool"}),
        ("f", "", {"type": "Flatten"}),
        ("o", "", _dense(2, bias=False)),
        ("sq", "", _act("square")),
    )
    rng = np.random.default_rng(7)
    g = read_graph(graph)
    params = {k: _random(rng, shape, 2) for k, shape in g.parameters.items()}
    params["bn.var"] = [F(11, 4), F(-1, 4), F(31, 4)]  # + 5/4: 4, 1, 9
    xs = _random(rng, (3, 2, 5, 6), 4)
    saved, flint.ctx.prec = flint.ctx.prec, 200
    try:
        values = run_graph(g, params, to_arb(xs))
    finally:
        flint.ctx.prec = saved
    for k in range(1, len(g.nodes) + 1):
        prefix = read_graph({**graph, "nodes": graph["nodes"][:k]})
        exact = np.array(exact_outputs(prefix, {p: params[p] for p in prefix.parameters}, xs), dtype=object)
        balls = values[prefix.output]
        assert exact.shape == balls.shape
        for e, b in zip(exact.ravel(), balls.ravel()):
            # at 200 bits a disagreement shows; overlapping (not contains: the rational's own ball at the
            # working precision may be wider than b) is what the exact value in b needs
            exact_ball = flint.arb(flint.fmpq(e.numerator, e.denominator))
            assert b.overlaps(exact_ball) and b.rad() < 1e-40, prefix.output


# -- path --------------------------------------------------------------------------------------------


@functools.cache
def _path_base() -> dict:
    g = Graph((1,), [Node("fc1", Dense(1)), Node("t", Activation("tanh")), Node("fc2", Dense(1))])
    loss = GraphLoss(g, [[1]], [[F(1, 2)]], "sse")
    A = {"fc1.weight": [[1]], "fc1.bias": [0], "fc2.weight": [[1]], "fc2.bias": [0]}
    B = {"fc1.weight": [[-1]], "fc1.bias": [0], "fc2.weight": [[-1]], "fc2.bias": [0]}
    result = certify_graph_path(loss, [A, B], tol=F(1, 100))
    assert result.status == "proved"
    return result.to_dict()


@functools.cache
def _translate_base() -> dict:
    g = Graph((1,), [Node("fc1", Dense(2)), Node("t", Activation("tanh")), Node("fc", Dense(2))])
    loss = GraphLoss(g, [[1], [-1]], [[1, 0], [0, 1]], "cross_entropy")
    P = {"fc1.weight": [[1], [2]], "fc1.bias": [0, 0], "fc.weight": [[1, 0], [0, 1]], "fc.bias": [0, 0]}
    Q = {**P, "fc.bias": [F(3, 2), F(3, 2)]}
    R = {**Q, "fc.weight": [[1, 1], [0, 1]]}
    result = certify_graph_path(loss, [P, Q, R], tol=F(1, 10))
    assert result.status == "proved" and result.segments[0].move == ("fc.bias", F(3, 2))
    return result.to_dict()


def _path() -> dict:
    return copy.deepcopy(_path_base())


def _translate() -> dict:
    return copy.deepcopy(_translate_base())


def test_the_unchanged_path_certificates_are_accepted() -> None:
    _accepted(_path())
    _accepted(_translate())


def _pieces(record: dict, k: int = 0) -> list:
    return record["parameters"]["segments"][k]["pieces"]


@pytest.mark.parametrize(
    "change, reason",
    [
        (lambda r: _pieces(r).pop(), "not at 1"),  # [0, 1] not covered
        (lambda r: _pieces(r).pop(0), "not at 0"),
        (lambda r: _pieces(r).pop(3), "but piece"),  # a gap between two pieces
        (lambda r: _pieces(r)[1].__setitem__(0, "1/8"), "but piece"),  # overlapping pieces
        (lambda r: _pieces(r)[1].__setitem__(1, "1/4"), "empty or reversed"),
        (lambda r: _pieces(r)[3].__setitem__(2, "1/100"), "exceeds the claimed"),  # a bound too low
        (lambda r: _pieces(r)[3].__setitem__(2, "10"), "above the path's upper bound"),
        (lambda r: r["enclosures"]["sup"].__setitem__(0, "3/10"), "witness"),  # lo above L(witness) = 1/4
        (lambda r: r["enclosures"]["L(A)"].__setitem__(1, "0"), "claimed enclosure of L(A)"),
        (lambda r: r["points"]["A"]["fc2.bias"].__setitem__(0, "1"), "start at points.A"),
        (lambda r: r.update(status="undecided"), "status"),
    ],
    ids=[
        "short",
        "late",
        "gap",
        "overlap",
        "reversed",
        "low",
        "above-hi",
        "witness",
        "LA",
        "start",
        "status",
    ],
)
def test_path_tampered_pieces_and_claims_are_rejected(change, reason) -> None:
    record = _path()
    change(record)
    _rejected(record, reason)


def test_path_a_level_below_the_sup_is_rejected() -> None:
    """The claim "L <= level along the path" with level below the true sup: every stated bound lowered."""
    record = _path()
    level = F(1, 5)  # sup L is about 1/4
    record["enclosures"]["sup"] = ["0", str(level)]
    for piece in _pieces(record):
        piece[2] = str(min(F(piece[2]), level))
    _rejected(record, "exceeds the claimed")


@pytest.mark.parametrize(
    "change",
    [
        lambda r: r["parameters"]["chain"][0]["fc2.weight"].append(["1"]),  # a chain entry of another shape
        lambda r: r["parameters"]["chain"][0].pop("fc2.bias"),
        lambda r: r["parameters"]["chain"].pop(),
        lambda r: r["parameters"].update(curve="bezier"),
        lambda r: r["parameters"]["witness"].update(segment=1),
        lambda r: r["parameters"]["witness"].update(t="3/2"),
        lambda r: r["parameters"]["segments"][0].update(move="rotate"),
    ],
    ids=["shape", "missing", "chain-length", "bezier", "witness-segment", "witness-t", "other-move"],
)
def test_path_malformed_chains_are_not_accepted(change) -> None:
    record = _path()
    change(record)
    _rejected(record)


def test_path_a_constant_segment_is_bounded_by_its_value() -> None:
    record = _path()
    chain = record["parameters"]["chain"]
    record["parameters"]["chain"] = [chain[0], copy.deepcopy(chain[0]), chain[1]]
    record["parameters"]["segments"].insert(0, {"pieces": [["0", "1", "1/10"]]})  # L(A) is about 0.068
    record["parameters"]["witness"]["segment"] = 1
    _accepted(record)
    record["parameters"]["segments"][0] = {"pieces": [["0", "1", "1/100"]]}
    _rejected(record, "exceeds the claimed")


def _as_move(record: dict, k: int, parameter: str, shift: str) -> dict:
    record["parameters"]["segments"][k] = {"move": "translate", "parameter": parameter, "shift": shift}
    return record


def test_path_translate_on_a_loss_other_than_cross_entropy_is_rejected() -> None:
    record = _path()
    chain = record["parameters"]["chain"]
    shifted = copy.deepcopy(chain[0])
    shifted["fc2.bias"] = ["1"]  # the logits' bias moved by 1: under sse this changes L
    record["parameters"]["chain"] = [chain[0], shifted, chain[1]]
    record["parameters"]["segments"].insert(0, {"pieces": [["0", "1", "1"]]})
    _as_move(record, 0, "fc2.bias", "1")
    _rejected(record, "cross-entropy")


@pytest.mark.parametrize(
    "parameter, bias, reason",
    [
        ("fc1.bias", ["3/2", "3/2"], "bias of the dense node producing the logits"),  # a hidden bias
        ("fc.bias", ["3/2", "1"], "moves by exactly"),  # not every entry by the same c
        ("fc.weight", None, "bias of the dense node producing the logits"),
    ],
)
def test_path_translate_of_another_parameter_or_a_non_uniform_shift_is_rejected(
    parameter, bias, reason
) -> None:
    record = _translate()
    chain = record["parameters"]["chain"]
    if parameter == "fc1.bias":
        chain[1]["fc.bias"] = ["0", "0"]
        chain[1]["fc1.bias"] = bias
    elif bias is not None:
        chain[1]["fc.bias"] = bias
    _as_move(record, 0, parameter, "3/2")
    _rejected(record, reason)


def test_path_translate_where_the_other_parameters_differ_is_rejected() -> None:
    record = _translate()
    record["parameters"]["chain"][1]["fc.weight"][0][0] = "2"
    _rejected(record, "differ in parameters other than fc.bias")


def test_path_translate_of_a_bias_that_reaches_the_softmax_through_tanh_is_rejected() -> None:
    """fc.bias feeds a tanh before the final softmax: shifting it does not shift the logits."""
    record = _translate()
    nodes = record["network"]["graph"]["nodes"]
    nodes.append({"name": "u", "inputs": ["fc"], "layer": _act("tanh")})
    nodes.append({"name": "sm", "inputs": ["u"], "layer": {"type": "Softmax", "axis": 0}})
    record["network"]["output_activation"] = "softmax"
    _rejected(record, "bias of the dense node producing the logits")
    record["network"]["graph"]["nodes"] = nodes[:3] + nodes[4:]  # fc -> softmax: the translation holds
    record["network"]["graph"]["nodes"][-1]["inputs"] = ["fc"]
    _accepted(record)


def test_path_translate_with_a_value_above_the_claimed_bound_is_rejected() -> None:
    record = _translate()
    hi = F(record["enclosures"]["sup"][1])
    record["parameters"]["segments"][1]["pieces"][0][2] = str(hi / 2)
    record["enclosures"]["sup"] = ["0", str(hi / 2)]
    record["parameters"]["witness"] = {"segment": 0, "t": "0"}
    _rejected(record, "(a translation) L = L(P_0) is above the upper bound")


# -- the prover's verdicts -----------------------------------------------------------------------------


def test_level_verdict_is_proved_only_when_the_upper_end_is_at_most_the_level() -> None:
    class R:
        lo, hi = F(1, 4), F(1, 2)

    assert level_verdict(R(), F(1, 2)) == "proved"
    assert level_verdict(R(), F(1, 2) - F(1, 10**30)) == "undecided"
    assert level_verdict(R(), F(1, 4)) == "undecided"  # lo = level: L <= level is not refuted
    assert level_verdict(R(), F(1, 4) - F(1, 10**30)) == "refuted"


def test_a_capped_path_is_undecided_and_its_certificate_is_not_accepted() -> None:
    g = Graph((1,), [Node("fc1", Dense(1)), Node("t", Activation("tanh")), Node("fc2", Dense(1))])
    loss = GraphLoss(g, [[1]], [[F(1, 2)]], "sse")
    A = {"fc1.weight": [[1]], "fc1.bias": [0], "fc2.weight": [[1]], "fc2.bias": [0]}
    B = {"fc1.weight": [[-1]], "fc1.bias": [0], "fc2.weight": [[-1]], "fc2.bias": [0]}
    result = certify_graph_path(loss, [A, B], tol=F(1, 10**12), max_pieces=4)
    assert result.status == "undecided" and not result.proved
    record = result.to_dict()
    assert record["status"] == "undecided"
    _rejected(record, "status")
    record["status"] = "proved"  # the enclosure itself is rigorous: promoting it is accepted
    _accepted(record)


def test_the_orbit_prover_does_not_prove_a_gap_that_is_not_positive() -> None:
    g = Graph((1,), [Node("fc1", Dense(2)), Node("t", Activation("tanh")), Node("fc2", Dense(1))])
    A = {"fc1.weight": [[1], [1]], "fc1.bias": [0, 0], "fc2.weight": [[1, 1]], "fc2.bias": [0]}
    loss = GraphLoss(g, [[-1], [1]], [[0], [1]], "mse")
    certificate = certify_graph_orbit(loss, A)  # A is its own mean: the gap is exactly 0
    assert certificate.status == "undecided" and not certificate.proved
    assert "Verdict: UNDECIDED" in certificate.summary()
    _rejected(certificate.to_dict())


@pytest.mark.parametrize(
    "field, value",
    [("groups", 2), ("ceil_mode", 1), ("auto_pad", "SAME_UPPER"), ("scale", False)],
)
def test_a_layer_field_the_checker_does_not_read_is_refused_not_ignored(field, value) -> None:
    """Hardening after the dilation bug: a field the checker ignored would make it check another
    function than the record states (a grouped convolution read as a full one)."""
    conv = {"type": "Conv", "channels": 2, "kernel": [1], "stride": [1], "padding": [[0, 0]], "bias": True}
    graph = _graph([2, 4], ("c", "", {**conv, field: value}), ("f", "", {"type": "Flatten"}))
    with pytest.raises(CertificateFormatError, match="unknown field"):
        read_graph(graph)
    read_graph(_graph([2, 4], ("c", "", conv), ("f", "", {"type": "Flatten"})))
