"""ONNX import: models built with onnx.helper (no PyTorch) map to layer graphs with exact initializers;
the float64 evaluation agrees with an independent numpy evaluation and with onnxruntime (to float32
rounding); every op outside the supported set is refused in one line naming it and its node."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from symcert.errors import SpecificationError  # noqa: E402
from symcert.models.onnx_import import SUPPORTED_OPS, load_onnx  # noqa: E402
from symcert.models.onnx_import.ops import LAYER_OPS  # noqa: E402
from symcert.symbolic.graph import derive_symmetries, evaluate, graph_from_dict, graph_to_dict  # noqa: E402
from symcert.symbolic.graph.action import Flip, Permute, spot_check  # noqa: E402

RNG = np.random.default_rng(0)


def _w(*shape: int, scale: float = 0.5, rng: np.random.Generator | None = None) -> np.ndarray:
    """Random float32 weights: from ``rng`` when given (a builder's own generator, so its model does not
    depend on which tests ran before in the process), else from the module's shared ``RNG``."""
    return ((RNG if rng is None else rng).standard_normal(shape) * scale).astype(np.float32)


def _model(nodes, inits: dict[str, np.ndarray], in_shape, out_shape, opset: int = 17) -> bytes:
    graph = helper.make_graph(
        nodes,
        "test",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", *in_shape])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", *out_shape])],
        [numpy_helper.from_array(v, k) for k, v in inits.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


# -- an independent float64 evaluation, op by op (sliding windows; nothing shared with symcert) ----------


def _conv(x, w, b=None, strides=None, pads=None, dilations=None):
    dims = w.ndim - 2
    strides, dilations = strides or [1] * dims, dilations or [1] * dims
    pads = pads or [0] * (2 * dims)
    x = np.pad(x, [(0, 0), (0, 0)] + [(pads[i], pads[i + dims]) for i in range(dims)])
    k = [(w.shape[2 + i] - 1) * dilations[i] + 1 for i in range(dims)]
    win = np.lib.stride_tricks.sliding_window_view(x, k, axis=tuple(range(2, 2 + dims)))
    win = win[(Ellipsis, *(slice(None, None, d) for d in dilations))]  # dilation inside the window
    win = win[(slice(None), slice(None), *(slice(None, None, s) for s in strides))]
    letters = "hw"[:dims] if dims == 2 else "h"
    kl = "kl"[:dims]
    y = np.einsum(f"nc{letters}{kl},oc{kl}->no{letters}", win, w)
    return y if b is None else y + b.reshape((1, -1) + (1,) * dims)


def _pool(x, kernel, strides, pads, how, count_include_pad=0):
    dims = len(kernel)
    fill = -np.inf if how == "max" else 0.0
    padded = np.pad(
        x, [(0, 0), (0, 0)] + [(pads[i], pads[i + dims]) for i in range(dims)], constant_values=fill
    )
    ones = np.pad(np.ones(x.shape[2:]), [(pads[i], pads[i + dims]) for i in range(dims)])
    axes = tuple(range(2, 2 + dims))
    win = np.lib.stride_tricks.sliding_window_view(padded, kernel, axis=axes)
    win = win[(slice(None), slice(None), *(slice(None, None, s) for s in strides))]
    inner = tuple(range(-dims, 0))
    if how == "max":
        return win.max(axis=inner)
    count = np.lib.stride_tricks.sliding_window_view(ones, kernel)[
        tuple(slice(None, None, s) for s in strides)
    ]
    count = np.full(count.shape[:dims], np.prod(kernel)) if count_include_pad else count.sum(axis=inner)
    return win.sum(axis=inner) / count


def _bn(x, s, b, m, v, eps):
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return (x - m.reshape(shape)) / np.sqrt(v.reshape(shape) + eps) * s.reshape(shape) + b.reshape(shape)


def _f(a):
    return np.asarray(a, dtype=np.float64)


def _ort(data: bytes, x: np.ndarray) -> np.ndarray | None:
    try:
        import onnxruntime
    except ImportError:
        return None
    session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x.astype(np.float32)})[0]


def _cnn() -> tuple[bytes, dict]:
    rng = np.random.default_rng(0)  # its own generator: the same model whatever ran before
    p = {
        "W1": _w(4, 1, 3, 3, rng=rng),
        "B1": _w(4, rng=rng),
        "g": (1 + _w(4, scale=0.1, rng=rng)),
        "beta": _w(4, rng=rng),
        "mu": _w(4, rng=rng),
        "var": np.abs(_w(4, rng=rng)) + 0.5,
        "W2": _w(6, 4, 3, 3, rng=rng),
        "B2": _w(6, rng=rng),
        "W3": _w(3, 6, rng=rng),
        "B3": _w(3, rng=rng),
    }
    nodes = [
        helper.make_node("Conv", ["input", "W1", "B1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
        helper.make_node(
            "BatchNormalization", ["c1", "g", "beta", "mu", "var"], ["bn"], name="bn1", epsilon=1e-3
        ),
        helper.make_node("Relu", ["bn"], ["r"], name="relu1"),
        helper.make_node("MaxPool", ["r"], ["p"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["p", "W2", "B2"], ["c2"], name="conv2"),
        helper.make_node("Tanh", ["c2"], ["t"], name="tanh2"),
        helper.make_node("AveragePool", ["t"], ["a"], name="pool2", kernel_shape=[2, 2], strides=[1, 1]),
        helper.make_node("Flatten", ["a"], ["f"], name="flat"),
        helper.make_node("Gemm", ["f", "W3", "B3"], ["z"], name="fc", transB=1),
        helper.make_node("Softmax", ["z"], ["output"], name="softmax"),
    ]
    return _model(nodes, p, [1, 8, 8], [3]), p


def _cnn_numpy(p: dict, x: np.ndarray) -> np.ndarray:
    p = {k: _f(v) for k, v in p.items()}
    h = _conv(x, p["W1"], p["B1"], pads=[1, 1, 1, 1])
    h = np.maximum(_bn(h, p["g"], p["beta"], p["mu"], p["var"], float(np.float32(1e-3))), 0)
    h = _pool(h, [2, 2], [2, 2], [0, 0, 0, 0], "max")
    h = np.tanh(_conv(h, p["W2"], p["B2"]))
    h = _pool(h, [2, 2], [1, 1], [0, 0, 0, 0], "avg").reshape(len(x), -1)
    z = h @ p["W3"].T + p["B3"]
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _residual() -> tuple[bytes, dict]:
    p = {
        "W1": _w(4, 2, 3),
        "B1": _w(4),
        "W2": _w(4, 4, 3),
        "g": 1 + _w(4, scale=0.1),
        "beta": _w(4),
        "mu": _w(4),
        "var": np.abs(_w(4)) + 0.5,
        "M": _w(4, 3),
        "c": _w(3),
        "ls": 1 + _w(3, scale=0.1),
        "lb": _w(3),
        "W4": _w(3, 2),
        "B4": _w(2),
    }
    nodes = [
        helper.make_node("Conv", ["input", "W1", "B1"], ["c1"], name="conv1", pads=[1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Conv", ["r1", "W2"], ["c2"], name="conv2", pads=[2, 2], dilations=[2], strides=[1]),
        helper.make_node("BatchNormalization", ["c2", "g", "beta", "mu", "var"], ["bn"], name="bn2"),
        helper.make_node("Add", ["r1", "bn"], ["s"], name="skip"),
        helper.make_node("Relu", ["s"], ["r2"], name="relu2"),
        helper.make_node("GlobalAveragePool", ["r2"], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["f"], name="flat"),
        helper.make_node("MatMul", ["f", "M"], ["mm"], name="mm"),
        helper.make_node("Add", ["mm", "c"], ["lin"], name="mm_bias"),
        helper.make_node("LayerNormalization", ["lin", "ls", "lb"], ["ln"], name="ln", epsilon=1e-5),
        helper.make_node("LeakyRelu", ["ln"], ["lr"], name="leaky", alpha=0.1),
        helper.make_node("Gemm", ["lr", "W4", "B4"], ["z"], name="out", alpha=0.5, beta=2.0),
        helper.make_node("Sigmoid", ["z"], ["output"], name="sig"),
    ]
    return _model(nodes, p, [2, 6], [2]), p


def _residual_numpy(p: dict, x: np.ndarray) -> np.ndarray:
    p = {k: _f(v) for k, v in p.items()}
    r1 = np.maximum(_conv(x, p["W1"], p["B1"], pads=[1, 1]), 0)
    c2 = _conv(r1, p["W2"], pads=[2, 2], dilations=[2])
    s = np.maximum(r1 + _bn(c2, p["g"], p["beta"], p["mu"], p["var"], float(np.float32(1e-5))), 0)
    lin = s.mean(axis=2) @ p["M"] + p["c"]
    m, v = lin.mean(axis=1, keepdims=True), lin.var(axis=1, keepdims=True)
    ln = (lin - m) / np.sqrt(v + float(np.float32(1e-5))) * p["ls"] + p["lb"]
    lr = np.where(ln > 0, ln, float(np.float32(0.1)) * ln)
    z = float(np.float32(0.5)) * (lr @ p["W4"]) + 2.0 * p["B4"]
    return 1 / (1 + np.exp(-z))


def _shapes() -> tuple[bytes, dict]:
    p = {"shape": np.array([0, -1], dtype=np.int64), "W": _w(3, 24), "B": _w(3)}
    nodes = [
        helper.make_node("Transpose", ["input"], ["t"], name="t", perm=[0, 2, 3, 1]),
        helper.make_node("Reshape", ["t", "shape"], ["r"], name="r"),
        helper.make_node("Identity", ["r"], ["i"], name="i"),
        helper.make_node("Softplus", ["i"], ["sp"], name="sp"),
        helper.make_node("Gemm", ["sp", "W", "B"], ["output"], name="fc", transB=1),
    ]
    return _model(nodes, p, [2, 3, 4], [3]), p


def _shapes_numpy(p: dict, x: np.ndarray) -> np.ndarray:
    h = x.transpose(0, 2, 3, 1).reshape(len(x), -1)
    return np.logaddexp(0, h) @ _f(p["W"]).T + _f(p["B"])


CASES = {
    "cnn": (_cnn, _cnn_numpy, (1, 8, 8)),
    "residual": (_residual, _residual_numpy, (2, 6)),
    "shapes": (_shapes, _shapes_numpy, (2, 3, 4)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_import_agrees_with_numpy_and_onnxruntime(name: str) -> None:
    build, reference, shape = CASES[name]
    data, params = build()
    model = load_onnx(data)
    x = RNG.standard_normal((5, *shape)).astype(np.float32)
    ours = evaluate(model.graph, model.params, x.astype(np.float64))
    np.testing.assert_allclose(ours, reference(params, x.astype(np.float64)), rtol=1e-10, atol=1e-12)
    ort = _ort(data, x)
    if ort is not None:  # onnxruntime computes in float32
        np.testing.assert_allclose(ours, ort, rtol=2e-4, atol=2e-5)


def test_initializers_load_exactly() -> None:
    data, params = _cnn()
    model = load_onnx(data)
    w = model.params["conv1.weight"]
    assert w.shape == (4, 1, 3, 3)
    assert all(isinstance(v, Fraction) for v in w.ravel())
    assert w[0, 0, 0, 0] == Fraction(float(params["W1"][0, 0, 0, 0]))  # the float32 value, exactly
    assert all(v.denominator & (v.denominator - 1) == 0 for v in w.ravel())  # dyadic
    assert model.graph.node("bn1").layer.epsilon == Fraction(float(np.float32(1e-3)))
    assert model.sources["fc.weight"] == "W3"
    data, p = _residual()
    res = load_onnx(data)
    assert res.graph.node("out").layer.describe() == "Dense(2)"
    # Gemm's alpha and beta folded in exactly: weight = alpha B^T, bias = beta C
    assert res.params["out.weight"][1, 2] == Fraction(1, 2) * Fraction(float(p["W4"][2, 1]))
    assert res.params["out.bias"][1] == 2 * Fraction(float(p["B4"][1]))
    assert res.graph.node("leaky").layer.name == f"leaky_relu:{Fraction(float(np.float32(0.1)))}"
    dense = [n.name for n in res.graph.nodes if n.layer.kind == "Dense"]
    assert dense == ["mm", "out"]  # MatMul + Add fused into one dense layer, named after the MatMul
    assert res.sources["mm.bias"] == "c"
    assert graph_from_dict(graph_to_dict(res.graph)) == res.graph  # exact epsilons and slope survive JSON


def test_the_group_of_an_imported_cnn() -> None:
    model = load_onnx(_cnn()[0])
    spec = derive_symmetries(model.graph)
    # conv1: 4 channels, the flip absorbed by the batch norm; conv2: 6, flips carried by tanh and averaging
    assert [(g.name, g.size, g.flips) for g in spec.groups] == [("P_conv1", 4, 1), ("P_conv2", 6, 1)]
    assert spec.order == 24 * 2**4 * 720 * 2**6
    assert spot_check(spec, model.params, Permute("P_conv1", (1, 2, 3, 0))).holds
    assert spot_check(spec, model.params, Flip("P_conv2", 0, (-1, 1, 1, 1, 1, -1)), batch=1).holds


def _one(op: str, **attrs) -> bytes:
    inits = {"W": _w(2, 2, 1, 1)}
    node = helper.make_node(op, ["input", "W"] if op == "Conv" else ["input"], ["output"], name="n1", **attrs)
    return _model([node], inits if op == "Conv" else {}, [2, 3, 3], [2, 3, 3])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (lambda: _one("Elu"), r"ONNX op Elu \(node 'n1'\) is not supported; symcert reads Gemm, MatMul"),
        (lambda: _one("Exp"), r"ONNX op Exp \(node 'n1'\) is not supported"),
        (
            lambda: _model(
                [helper.make_node("Conv", ["input", "W"], ["output"], name="g2", group=2)],
                {"W": _w(2, 1, 1, 1)},
                [2, 3, 3],
                [2, 3, 3],
            ),
            "ONNX Conv node 'g2': group=2 is not supported",
        ),
        (lambda: _one("Transpose", perm=[1, 0, 2, 3]), "moves the batch axis"),
        (lambda: _one("MaxPool", kernel_shape=[2, 2], ceil_mode=1), "ceil_mode=1"),
        (
            lambda: _model(
                [helper.make_node("Add", ["input", "C"], ["output"], name="a")],
                {"C": _w(2, 3, 3)},
                [2, 3, 3],
                [2, 3, 3],
            ),
            "ONNX Add node 'a': an Add by a constant is read only where one Conv, Gemm or MatMul reads it",
        ),
        (lambda: _one("Conv", auto_pad="SAME_UPPER"), "ONNX Conv node 'n1': auto_pad=b'SAME_UPPER' is not"),
        (lambda: _one("MaxPool", kernel_shape=[2, 2], dilations=[2, 2]), "dilated pooling is not supported"),
        (
            lambda: _model(
                [helper.make_node("Gemm", ["input", "W"], ["output"], name="g", transA=1)],
                {"W": _w(2, 2)},
                [2],
                [2],
            ),
            "ONNX Gemm node 'g': transA=1 is not supported",
        ),
        (
            lambda: _model(
                [helper.make_node("Reshape", ["input", "s"], ["output"], name="r", allowzero=1)],
                {"s": np.array([0, -1], dtype=np.int64)},
                [2, 3, 3],
                [18],
            ),
            "ONNX Reshape node 'r': allowzero=1 is not supported",
        ),
        (
            lambda: _model(
                [
                    helper.make_node(
                        "BatchNormalization",
                        ["input", "g", "b", "m", "v"],
                        ["output"],
                        name="bn",
                        training_mode=1,
                    )
                ],
                {k: np.ones(2, dtype=np.float32) for k in "gbmv"},
                [2, 3, 3],
                [2, 3, 3],
            ),
            "ONNX BatchNormalization node 'bn': training_mode=1 is not supported",
        ),
        (lambda: b"not a model", "cannot read"),
    ],
)
def test_unsupported_input_is_refused_in_one_line(data, message: str) -> None:
    with pytest.raises(SpecificationError, match=message) as info:
        load_onnx(data())
    assert "\n" not in str(info.value)


def test_the_model_input_needs_a_fixed_shape(tmp_path) -> None:
    graph = helper.make_graph(
        [helper.make_node("Relu", ["input"], ["output"])],
        "g",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", "C"])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", "C"])],
    )
    with pytest.raises(SpecificationError, match="needs a fixed shape"):
        load_onnx(helper.make_model(graph).SerializeToString())
    path = tmp_path / "m.onnx"
    path.write_bytes(_shapes()[0])
    assert load_onnx(path).graph.shapes["r"] == (24,)
    with pytest.raises(SpecificationError, match="no ONNX file"):
        load_onnx(tmp_path / "missing.onnx")
    assert len(LAYER_OPS) == 19 and set(LAYER_OPS) < set(SUPPORTED_OPS)
