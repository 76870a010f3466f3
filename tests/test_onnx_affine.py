"""Mul, Div, Sub and Add by a constant at ONNX import, folded exactly into the neighbouring Conv, Gemm
or MatMul: input normalisation ``(x - mean) / std`` before the first layer (exact rationals, not
dyadics) and per-channel scales and shifts after one. The imported graph agrees with an independent
numpy evaluation and with onnxruntime; every variant that does not fold exactly is refused in one line."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import helper  # noqa: E402

from symcert.errors import SpecificationError  # noqa: E402
from symcert.models.onnx_import import SUPPORTED_OPS, load_onnx  # noqa: E402
from symcert.symbolic.graph import evaluate  # noqa: E402
from tests.test_onnx_import import _conv, _f, _model, _ort, _w  # noqa: E402

RNG = np.random.default_rng(11)


def _agrees(data: bytes, reference, shape) -> None:
    model = load_onnx(data)
    x = RNG.standard_normal((4, *shape)).astype(np.float32)
    ours = evaluate(model.graph, model.params, x.astype(np.float64))
    np.testing.assert_allclose(ours, reference(x.astype(np.float64)), rtol=1e-10, atol=1e-12)
    ort = _ort(data, x)
    if ort is not None:  # onnxruntime computes in float32
        np.testing.assert_allclose(ours, ort, rtol=2e-4, atol=2e-5)


def _cnn() -> tuple[bytes, dict]:
    """(x - mean) / std -> Conv (no padding, no bias) -> Mul, Add per channel -> Relu -> Flatten -> Gemm
    -> Mul by a scalar -> (1 - y)."""
    p = {
        "mean": np.array([0.485, 0.456, 0.406], dtype=np.float32).reshape(1, 3, 1, 1),
        "std": np.array([0.229, 0.224, 0.225], dtype=np.float32).reshape(1, 3, 1, 1),
        "W": _w(4, 3, 3, 3),
        "gamma": (1 + _w(4, scale=0.2)).reshape(4, 1, 1),
        "beta": _w(1, 4, 1, 1),
        "W2": _w(2, 36),
        "B2": _w(2),
        "two": np.array(2.0, dtype=np.float32),
        "one": np.array([1.0], dtype=np.float32),
    }
    nodes = [
        helper.make_node("Sub", ["input", "mean"], ["s"], name="/norm/Sub"),
        helper.make_node("Div", ["s", "std"], ["n"], name="/norm/Div"),
        helper.make_node("Conv", ["n", "W"], ["c"], name="/conv"),
        helper.make_node("Mul", ["gamma", "c"], ["cm"], name="/scale"),
        helper.make_node("Add", ["cm", "beta"], ["ca"], name="/shift"),
        helper.make_node("Relu", ["ca"], ["r"], name="/relu"),
        helper.make_node("Flatten", ["r"], ["f"], name="/flatten"),
        helper.make_node("Gemm", ["f", "W2", "B2"], ["z"], name="/fc", transB=1),
        helper.make_node("Mul", ["z", "two"], ["z2"], name="/double"),
        helper.make_node("Sub", ["one", "z2"], ["output"], name="/flip"),
    ]
    return _model(nodes, p, [3, 5, 5], [2]), p


def _cnn_numpy(p: dict, x: np.ndarray) -> np.ndarray:
    p = {k: _f(v) for k, v in p.items()}
    h = _conv((x - p["mean"]) / p["std"], p["W"]) * p["gamma"] + p["beta"]
    z = np.maximum(h, 0).reshape(len(x), -1) @ p["W2"].T + p["B2"]
    return p["one"] - z * p["two"]


def _mlp(opset: int = 13) -> tuple[bytes, dict]:
    """(x - mean) * inv_std -> MatMul + Add -> Tanh -> Div by a scalar -> Gemm -> Add a scalar."""
    p = {
        "mean": _w(6),
        "inv": (1 + np.abs(_w(6))).reshape(1, 6),
        "M": _w(6, 4),
        "c": _w(4),
        "three": np.array([3.0], dtype=np.float32),
        "W": _w(4, 2),
        "half": np.array(0.5, dtype=np.float32),
    }
    nodes = [
        helper.make_node("Sub", ["input", "mean"], ["s"], name="/Sub"),
        helper.make_node("Mul", ["s", "inv"], ["n"], name="/Mul"),
        helper.make_node("MatMul", ["n", "M"], ["mm"], name="/mm"),
        helper.make_node("Add", ["mm", "c"], ["lin"], name="/mm_bias"),
        helper.make_node("Tanh", ["lin"], ["t"], name="/tanh"),
        helper.make_node("Div", ["t", "three"], ["d"], name="/Div"),
        helper.make_node("Gemm", ["d", "W"], ["g"], name="/fc"),
        helper.make_node("Add", ["half", "g"], ["output"], name="/Add"),
    ]
    return _model(nodes, p, [6], [2], opset=opset), p


def _mlp_numpy(p: dict, x: np.ndarray) -> np.ndarray:
    p = {k: _f(v) for k, v in p.items()}
    t = np.tanh(((x - p["mean"]) * p["inv"]) @ p["M"] + p["c"])
    return (t / p["three"]) @ p["W"] + p["half"]


def test_normalisation_and_channel_scales_fold_into_a_cnn_exactly() -> None:
    data, p = _cnn()
    model = load_onnx(data)
    assert [n.layer.kind for n in model.graph.nodes] == ["Conv", "Activation", "Flatten", "Dense"]
    assert model.graph.node("conv").layer.bias  # the shift of the normalisation and the Add made a bias
    w = model.params["conv.weight"]
    gamma, std = Fraction(float(p["gamma"][1, 0, 0])), Fraction(float(p["std"][0, 2, 0, 0]))
    assert w[1, 2, 0, 1] == gamma * Fraction(float(p["W"][1, 2, 0, 1])) / std  # exact, not rounded
    assert w[1, 2, 0, 1].denominator & (w[1, 2, 0, 1].denominator - 1) != 0  # a rational, not a dyadic
    fc = model.params["fc.weight"]
    assert fc[0, 3] == -2 * Fraction(float(p["W2"][0, 3]))  # 1 - 2 z: W -> -2 W, b -> 1 - 2 b
    assert model.params["fc.bias"][1] == 1 - 2 * Fraction(float(p["B2"][1]))
    assert "folded in" in model.sources["conv.weight"]
    _agrees(data, lambda x: _cnn_numpy(p, x), (3, 5, 5))


@pytest.mark.parametrize("opset", [11, 17])
def test_normalisation_folds_into_dense_layers(opset: int) -> None:
    data, p = _mlp(opset)
    model = load_onnx(data)
    assert [n.layer.kind for n in model.graph.nodes] == ["Dense", "Activation", "Dense"]
    assert model.graph.node("fc").layer.bias  # the Add of 0.5 became the bias of a Gemm without one
    _agrees(data, lambda x: _mlp_numpy(p, x), (6,))
    assert {"Mul", "Div", "Sub", "Add"} <= set(SUPPORTED_OPS)


def test_a_scale_alone_folds_into_a_padded_conv() -> None:
    p = {"std": np.array([0.3, 0.7], dtype=np.float32).reshape(2, 1, 1), "W": _w(3, 2, 3, 3), "B": _w(3)}
    nodes = [
        helper.make_node("Div", ["input", "std"], ["n"], name="/Div"),
        helper.make_node("Conv", ["n", "W", "B"], ["output"], name="/conv", pads=[1, 1, 1, 1]),
    ]
    data = _model(nodes, p, [2, 4, 4], [3, 4, 4])
    f = {k: _f(v) for k, v in p.items()}
    _agrees(data, lambda x: _conv(x / f["std"], f["W"], f["B"], pads=[1, 1, 1, 1]), (2, 4, 4))


def _one(nodes, inits, in_shape=(2, 4, 4), out_shape=(3, 2, 2)):
    return lambda: _model(nodes, {"W": _w(3, 2, 3, 3), **inits}, list(in_shape), list(out_shape))


_CONV = helper.make_node("Conv", ["n", "W"], ["output"], name="/conv")
_MEAN = {"m": _w(1, 2, 1, 1)}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            _one([helper.make_node("Mul", ["input", "input"], ["n"], name="/sq"), _CONV], {}),
            "ONNX Mul node '/sq': is read only with one computed operand and one constant",
        ),
        (
            _one([helper.make_node("Div", ["m", "input"], ["n"], name="/inv"), _CONV], _MEAN),
            "ONNX Div node '/inv': a constant divided by a computed tensor is not affine",
        ),
        (
            _one(
                [helper.make_node("Div", ["input", "z"], ["n"], name="/d0"), _CONV],
                {"z": np.array([1.0, 0.0], dtype=np.float32).reshape(2, 1, 1)},
            ),
            "ONNX Div node '/d0': divides by zero",
        ),
        (
            _one(
                [
                    helper.make_node("Sub", ["input", "m"], ["s"], name="/Sub"),
                    helper.make_node("Relu", ["s"], ["n"], name="/relu"),
                    _CONV,
                ],
                _MEAN,
            ),
            "ONNX Relu node '/relu': reads the output of Sub node '/Sub', a Sub by a constant that symcert "
            "folds only into a neighbouring Conv, Gemm or MatMul",
        ),
        (
            _one([helper.make_node("Mul", ["input", "v"], ["n"], name="/Mul"), _CONV], {"v": _w(1, 1, 4, 4)}),
            "ONNX Conv node '/conv': the Mul node '/Mul' before it varies along an axis",
        ),
        (
            _one(
                [
                    helper.make_node("Sub", ["input", "m"], ["n"], name="/Sub"),
                    helper.make_node("Conv", ["n", "W"], ["output"], name="/conv", pads=[1, 1, 1, 1]),
                ],
                _MEAN,
                out_shape=(3, 4, 4),
            ),
            "Conv node '/conv': the shift of the Sub node '/Sub' before it meets this Conv's zero padding",
        ),
        (
            _one(
                [
                    helper.make_node("Conv", ["input", "W2"], ["c"], name="/conv", pads=[1, 1, 1, 1]),
                    helper.make_node("Mul", ["c", "k"], ["cm"], name="/Mul"),
                    helper.make_node("Add", ["c", "cm"], ["output"], name="/skip"),
                ],
                {"W2": _w(2, 2, 3, 3), "k": np.array(2.0, dtype=np.float32)},
                out_shape=(2, 4, 4),
            ),
            "ONNX Add node '/skip': reads the output of Mul node '/Mul'",  # conv1's output is read twice
        ),
        (
            _one(
                [helper.make_node("Add", ["input", "m"], ["output"], name="/a")], _MEAN, out_shape=(2, 4, 4)
            ),
            "ONNX Add node '/a': an Add by a constant is read only where one Conv, Gemm or MatMul reads it",
        ),
        (
            _one([helper.make_node("Erf", ["input"], ["output"], name="/erf")], {}, out_shape=(2, 4, 4)),
            r"ONNX op Erf \(node '/erf'\) is not supported",
        ),
        (
            _one([helper.make_node("Clip", ["input"], ["output"], name="/clip")], {}, out_shape=(2, 4, 4)),
            r"ONNX op Clip \(node '/clip'\) is not supported",
        ),
    ],
)
def test_what_does_not_fold_exactly_is_refused_in_one_line(data, message: str) -> None:
    with pytest.raises(SpecificationError, match=message) as info:
        load_onnx(data())
    assert "\n" not in str(info.value)


def test_gelu_is_refused_in_one_line() -> None:
    graph = helper.make_graph(
        [helper.make_node("Gelu", ["input"], ["output"], name="/gelu")],
        "g",
        [helper.make_tensor_value_info("input", onnx.TensorProto.FLOAT, ["N", 3])],
        [helper.make_tensor_value_info("output", onnx.TensorProto.FLOAT, ["N", 3])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)])
    model.ir_version = 9
    onnx.checker.check_model(model)
    with pytest.raises(SpecificationError, match=r"ONNX op Gelu \(node '/gelu'\) is not supported") as info:
        load_onnx(model.SerializeToString())
    assert "\n" not in str(info.value)
