"""Alignment of two layer-graph networks (Git Re-Basin for graphs): a hidden signed channel permutation is
recovered exactly (g(B) == A, so the aligned barrier is exactly 0), every factor is proved a symmetry, and
an independent pair gets no farther apart. Models are built with onnx.helper, as in test_onnx_import."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from symcert.errors import SpecificationError  # noqa: E402
from symcert.models.cnn import cnn_graph  # noqa: E402
from symcert.models.onnx_export import onnx_with_parameters  # noqa: E402
from symcert.models.onnx_import import load_onnx  # noqa: E402
from symcert.numeric.graph.matching import layouts  # noqa: E402
from symcert.proofs.graph_alignment import align_graphs, cycles  # noqa: E402
from symcert.symbolic.graph import (  # noqa: E402
    Activation,
    Add,
    Conv,
    Dense,
    Flatten,
    Flip,
    GlobalAveragePool,
    Graph,
    Node,
    Permute,
    apply,
    derive_symmetries,
    evaluate,
    random_parameters,
)


def _model(nodes, inits: dict[str, np.ndarray], in_shape, out_shape) -> bytes:
    graph = helper.make_graph(
        nodes,
        "test",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", *in_shape])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", *out_shape])],
        [numpy_helper.from_array(v, k) for k, v in inits.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


def _weights(seed: int):
    rng = np.random.default_rng(seed)
    return lambda *shape: (rng.standard_normal(shape) * 0.5).astype(np.float32)


def _conv(x: str, w: str, b: str, out: str) -> object:
    return helper.make_node("Conv", [x, w, b], [out], name=out, pads=[1, 1, 1, 1])


def cnn(act: str = "Tanh", seed: int = 0, channels: tuple[int, int] = (3, 4)) -> bytes:
    """conv 3x3 -> act -> conv 3x3 -> act -> global average pool -> flatten -> dense 2, on 1x5x5."""
    w, (c1, c2) = _weights(seed), channels
    inits = {
        "W1": w(c1, 1, 3, 3),
        "B1": w(c1),
        "W2": w(c2, c1, 3, 3),
        "B2": w(c2),
        "W3": w(2, c2),
        "B3": w(2),
    }
    nodes = [
        _conv("input", "W1", "B1", "conv1"),
        helper.make_node(act, ["conv1"], ["act1"], name="act1"),
        _conv("act1", "W2", "B2", "conv2"),
        helper.make_node(act, ["conv2"], ["act2"], name="act2"),
        helper.make_node("GlobalAveragePool", ["act2"], ["pool"], name="pool"),
        helper.make_node("Flatten", ["pool"], ["flat"], name="flat"),
        helper.make_node("Gemm", ["flat", "W3", "B3"], ["output"], name="fc", transB=1),
    ]
    return _model(nodes, inits, (1, 5, 5), (2,))


def resnet(act: str = "Tanh", seed: int = 0, channels: tuple[int, int] = (3, 2)) -> bytes:
    """stem conv -> act -> [conv -> act -> conv] + skip -> act -> pool -> dense (MatMul + Add), on 1x5x5."""
    w, (c, h) = _weights(seed), channels
    inits = {
        "W0": w(c, 1, 3, 3), "B0": w(c), "W1": w(h, c, 3, 3), "B1": w(h), "W2": w(c, h, 3, 3), "B2": w(c),
        "W3": w(c, 2), "B3": w(2),
    }  # fmt: skip
    nodes = [
        _conv("input", "W0", "B0", "stem"),
        helper.make_node(act, ["stem"], ["act0"], name="act0"),
        _conv("act0", "W1", "B1", "conv1"),
        helper.make_node(act, ["conv1"], ["act1"], name="act1"),
        _conv("act1", "W2", "B2", "conv2"),
        helper.make_node("Add", ["act0", "conv2"], ["add"], name="add"),
        helper.make_node(act, ["add"], ["act2"], name="act2"),
        helper.make_node("GlobalAveragePool", ["act2"], ["pool"], name="pool"),
        helper.make_node("Flatten", ["pool"], ["flat"], name="flat"),
        helper.make_node("MatMul", ["flat", "W3"], ["mm"], name="fc"),
        helper.make_node("Add", ["mm", "B3"], ["output"], name="fc_bias"),
    ]
    return _model(nodes, inits, (1, 5, 5), (2,))


def plant(spec, params, flips: bool = True):
    """B = g(A) for a hidden g: per group a cyclic shift, and alternating signs on each allowed segment."""
    hidden = params
    for group in spec.groups:
        n = group.size
        for k, segment in enumerate(group.signs):
            if flips and segment.allowed:
                hidden = apply(spec, hidden, Flip(group.name, k, tuple((-1) ** (j + k) for j in range(n))))
        hidden = apply(spec, hidden, Permute(group.name, (*range(1, n), 0)))
    return hidden


@pytest.mark.parametrize("build", [cnn, resnet])
@pytest.mark.parametrize("act", ["Tanh", "Relu"])
def test_a_hidden_signed_permutation_is_recovered_exactly(build, act) -> None:
    A = load_onnx(build(act))
    spec = derive_symmetries(A.graph)
    B = plant(spec, A.params)
    assert any(not np.array_equal(B[k], A.params[k]) for k in B)
    result = align_graphs(A, B, graph=A.graph, spot=False)
    assert result.exact_match() and result.distance_after == 0.0 < result.distance_before
    assert result.status == "proved" and all(p.status == "proved" for p in result.proofs)
    flips = [e for e in result.elements if isinstance(e, Flip)]
    if act == "Relu":  # ReLU: permutations only (no segment allows a flip)
        assert not flips and len(result.elements) == len(spec.groups)
    else:  # tanh: the signs were needed, and each group's line says where
        assert flips and "sign -1 on" in result.text()
    assert [line.split(":")[0] for line in result.text().splitlines()] == [
        f"{g.members[0].name} output channels" for g in spec.groups
    ]


def test_batch_norm_cnn_with_two_sign_segments_per_group() -> None:
    graph = cnn_graph((3, 4), "tanh")  # conv -> batch norm -> tanh: flips before and after each batch norm
    spec = derive_symmetries(graph)
    assert [len([s for s in g.signs if s.allowed]) for g in spec.groups] == [2, 2]
    A = random_parameters(graph, seed=4, denominator=64)
    result = align_graphs(A, plant(spec, A), graph=graph, spot=False)
    assert result.exact_match() and result.status == "proved"
    assert "[conv1]" in result.text() and "[bn1, act1]" in result.text()


def test_an_independent_pair_gets_closer_and_stays_a_proved_symmetry() -> None:
    A, B = load_onnx(cnn("Tanh", seed=0)), load_onnx(cnn("Tanh", seed=7))
    result = align_graphs(A, B, spot=True)  # one run with the spot checks (exact or mpmath evaluations)
    assert result.distance_after <= result.distance_before
    assert list(result.history) == sorted(result.history) and result.converged
    assert result.status == "proved" and not result.exact_match()
    assert all(p.spot is not None and p.spot.holds for p in result.proofs)
    # the exact image computes B's function: equal outputs at an exact batch (ReLU: exact arithmetic)
    A, B = load_onnx(resnet("Relu", seed=0)), load_onnx(resnet("Relu", seed=3))
    result = align_graphs(A, B, spot=False)
    x = np.array([Fraction(v, 8) for v in range(-12, 13)], dtype=object).reshape(1, 1, 5, 5)
    before = evaluate(B.graph, B.params, x, arithmetic="exact")
    assert np.array_equal(before, evaluate(B.graph, result.aligned, x, arithmetic="exact"))
    assert result.distance_after <= result.distance_before
    identity = align_graphs(A, A, init="identity", spot=False)
    assert identity.is_identity and identity.text() == "identity" and identity.status == "proved"


@pytest.mark.parametrize(("build", "act"), [(cnn, "Tanh"), (resnet, "Relu")])
def test_activation_matching_recovers_a_hidden_signed_permutation(build, act) -> None:
    A = load_onnx(build(act))
    spec = derive_symmetries(A.graph)
    x = np.random.default_rng(1).standard_normal((16, 1, 5, 5))
    result = align_graphs(A, plant(spec, A.params), graph=A.graph, data=x, spot=False)
    assert result.method == "activations" and result.exact_match() and result.status == "proved"
    assert result.history[1] > result.history[0]  # the matched score, identity then after
    assert any(isinstance(e, Flip) for e in result.elements) == (act == "Tanh")


def test_a_stream_to_stream_conv_carries_the_group_on_two_axes() -> None:
    graph = Graph(
        (1, 5, 5),
        [
            Node("stem", Conv(3, (3, 3), padding=1)),
            Node("a0", Activation("tanh")),
            Node("mix", Conv(3, (3, 3), padding=1)),  # y = a0 + mix(a0): P W P^T on mix.weight
            Node("add", Add(), ("a0", "mix")),
            Node("a1", Activation("tanh")),
            Node("pool", GlobalAveragePool()),
            Node("flat", Flatten()),
            Node("fc", Dense(2)),
        ],
    )
    spec = derive_symmetries(graph)
    assert ("mix.weight", 0) in spec.perm_to_axes["P_stem"] and ("mix.weight", 1) in spec.perm_to_axes[
        "P_stem"
    ]
    A = random_parameters(graph, seed=3, denominator=64)
    result = align_graphs(A, plant(spec, A), graph=graph, spot=False)
    assert result.exact_match() and result.status == "proved"
    other = align_graphs(A, random_parameters(graph, seed=4, denominator=64), graph=graph, spot=False)
    assert other.distance_after <= other.distance_before and other.status == "proved"


def test_sigmoid_flips_are_left_to_permutations() -> None:
    graph = Graph((2,), [Node("fc1", Dense(3)), Node("s", Activation("sigmoid")), Node("fc2", Dense(1))])
    spec = derive_symmetries(graph)
    assert spec.groups[0].signs[0].allowed  # a symmetry, with the constant absorbed by fc2's bias
    assert "1 - s" in layouts(spec)[0].refused[0]
    A = random_parameters(graph, seed=2, denominator=32)
    result = align_graphs(A, plant(spec, A, flips=False), graph=graph, spot=False)
    assert result.exact_match() and not any(isinstance(e, Flip) for e in result.elements)


def test_cycles_and_bad_input() -> None:
    assert cycles((1, 2, 0, 3)) == "(0 1 2)(3)"
    A = load_onnx(cnn())
    with pytest.raises(SpecificationError, match="one graph"):
        align_graphs(A, load_onnx(cnn(channels=(2, 4))))
    with pytest.raises(SpecificationError, match="graph="):
        align_graphs(A.params, A.params)
    with pytest.raises(SpecificationError, match=r"shape \(N, 1, 5, 5\) with N >= 2"):
        align_graphs(A, A, data=np.zeros((2, 25)))
    with pytest.raises(SpecificationError, match="finite"):
        align_graphs(A, A, data=np.full((2, 1, 5, 5), np.nan))
    with pytest.raises(SpecificationError, match="max_iter"):
        align_graphs(A, A, max_iter=0)


def test_the_aligned_model_is_written_back_as_float32_onnx() -> None:
    data_a, data_b = resnet("Tanh", seed=0), resnet("Tanh", seed=1)
    A, B = load_onnx(data_a), load_onnx(data_b)
    result = align_graphs(A, B, prove=False)
    assert result.status == "not attempted"
    written = onnx_with_parameters(data_b, result.aligned)
    back = load_onnx(written)
    assert all(np.array_equal(back.params[k], result.aligned[k]) for k in result.aligned)
    model = onnx.load_from_string(written)
    onnx.checker.check_model(model)
    assert {numpy_helper.to_array(i).dtype for i in model.graph.initializer} == {np.dtype(np.float32)}
    too_fine = {**result.aligned, "fc.bias": np.array([Fraction(1, 3), Fraction(0)], dtype=object)}
    with pytest.raises(SpecificationError, match="not exact as float32"):
        onnx_with_parameters(data_b, too_fine)
