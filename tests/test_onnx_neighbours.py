"""ONNX ops folded into a neighbour at import: inference-mode Dropout (the identity) and a zero Pad
before a Conv or AveragePool (into its padding). The imported graph agrees with an independent numpy
evaluation of the ONNX semantics and with onnxruntime; each variant left out is refused in one line."""

from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import helper, numpy_helper  # noqa: E402

from symcert.errors import SpecificationError  # noqa: E402
from symcert.models.onnx_import import SUPPORTED_OPS, load_onnx  # noqa: E402
from symcert.symbolic.graph import evaluate  # noqa: E402
from tests.test_onnx_import import _conv, _f, _model, _ort, _pool, _w  # noqa: E402

RNG = np.random.default_rng(5)


def _const(name: str, value, dtype=np.int64):
    tensor = numpy_helper.from_array(np.array(value, dtype=dtype), name + "_value")
    return helper.make_node("Constant", [], [name], name=name, value=tensor)


def _pad(src: str, out: str, pads: list[int], opset: int, value: float | None = None, **attrs) -> list:
    if opset < 11:
        extra = {} if value is None else {"value": value}
        return [helper.make_node("Pad", [src], [out], name="/Pad", pads=pads, **extra, **attrs)]
    nodes = [_const(out + "/pads", pads)]
    inputs = [src, out + "/pads"]
    if value is not None:
        nodes.append(_const(out + "/value", value, np.float32))
        inputs.append(out + "/value")
    return [*nodes, helper.make_node("Pad", inputs, [out], name="/Pad", **attrs)]


def _pad_conv(opset: int) -> tuple[bytes, dict]:
    """Pad (1, 2) (0, 1) -> Conv with its own pads -> Dropout -> Tanh -> Pad -> AveragePool -> Flatten."""
    p = {"W": _w(3, 2, 3, 3), "B": _w(3)}
    drop = (
        [
            _const("/ratio", 0.25, np.float32),
            _const("/train", False, np.bool_),
            helper.make_node("Dropout", ["c", "/ratio", "/train"], ["d"], name="/Dropout"),
        ]
        if opset >= 12
        else [helper.make_node("Dropout", ["c"], ["d", "mask"], name="/Dropout", ratio=0.25)]
    )
    second = _pad("t", "tp", [0, 0, 1, 1, 0, 0, 1, 1], opset, value=0.0)
    second[-1].name = "/Pad_1"
    nodes = [
        *_pad("input", "xp", [0, 0, 1, 0, 0, 0, 2, 1], opset),
        helper.make_node("Conv", ["xp", "W", "B"], ["c"], name="/conv", pads=[0, 1, 0, 1], strides=[2, 1]),
        *drop,
        helper.make_node("Tanh", ["d"], ["t"], name="/tanh"),
        *second,
        helper.make_node("AveragePool", ["tp"], ["a"], name="/pool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["a"], ["output"], name="/flatten"),
    ]
    return _model(nodes, p, [2, 5, 4], [3 * 2 * 3], opset=opset), p


def _pad_conv_numpy(p: dict, x: np.ndarray) -> np.ndarray:
    p = {k: _f(v) for k, v in p.items()}
    h = np.pad(x, [(0, 0), (0, 0), (1, 2), (0, 1)])
    h = np.tanh(_conv(h, p["W"], p["B"], strides=[2, 1], pads=[0, 1, 0, 1]))
    h = np.pad(h, [(0, 0), (0, 0), (1, 1), (1, 1)])
    return _pool(h, [2, 2], [2, 2], [0, 0, 0, 0], "avg").reshape(len(x), -1)


@pytest.mark.parametrize("opset", [10, 11, 13, 17])
def test_pad_and_dropout_fold_and_agree(opset: int) -> None:
    data, p = _pad_conv(opset)
    model = load_onnx(data)
    assert [n.layer.kind for n in model.graph.nodes] == ["Conv", "Activation", "AveragePool", "Flatten"]
    conv, pool = model.graph.node("conv").layer, model.graph.node("pool").layer
    assert conv.padding == ((1, 2), (1, 2))  # the Pad's (1, 2) and (0, 1) plus the conv's own (0, 1)
    assert pool.padding == ((1, 1), (1, 1)) and pool.count_include_pad  # the Pad's zeros are counted
    x = RNG.standard_normal((3, 2, 5, 4)).astype(np.float32)
    ours = evaluate(model.graph, model.params, x.astype(np.float64))
    np.testing.assert_allclose(ours, _pad_conv_numpy(p, x.astype(np.float64)), rtol=1e-10, atol=1e-12)
    ort = _ort(data, x)
    if ort is not None:  # onnxruntime computes in float32
        np.testing.assert_allclose(ours, ort, rtol=2e-4, atol=2e-5)
    assert {"Dropout", "Pad"} <= set(SUPPORTED_OPS)


def _one(nodes, inits=None, in_shape=(2, 4, 4), out_shape=(2, 4, 4), opset=13):
    return lambda: _model(
        nodes, {"W": _w(2, 2, 1, 1), **(inits or {})}, list(in_shape), list(out_shape), opset
    )


_CONV = helper.make_node("Conv", ["xp", "W"], ["output"], name="/conv")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            _one([*_pad("input", "xp", [0] * 8, 13, mode="reflect"), _CONV]),
            "ONNX Pad node '/Pad': mode=reflect is not read; only zero padding",
        ),
        (
            _one([*_pad("input", "xp", [0, 0, 1, 1, 0, 0, 1, 1], 13, value=1.0), _CONV]),
            "ONNX Pad node '/Pad': only a zero constant_value is read",
        ),
        (
            _one([*_pad("input", "xp", [0, 1, 0, 0, 0, 0, 0, 0], 13), _CONV]),
            r"ONNX Pad node '/Pad': pads \[0, 1, 0, 0, 0, 0, 0, 0\] pad the batch or channel axis",
        ),
        (
            _one([*_pad("input", "xp", [0, 0, -1, 0, 0, 0, 0, 0], 13), _CONV]),
            "ONNX Pad node '/Pad': pads .* must give begin and end >= 0",
        ),
        (
            _one(
                [
                    *_pad("input", "xp", [0, 0, 1, 1, 0, 0, 1, 1], 13),
                    helper.make_node("MaxPool", ["xp"], ["output"], name="/mp", kernel_shape=[3, 3]),
                ]
            ),
            "ONNX Pad node '/Pad': a zero Pad before MaxPool node '/mp' is not read",
        ),
        (
            _one(
                [
                    *_pad("input", "xp", [0, 0, 1, 1, 0, 0, 1, 1], 13),
                    helper.make_node("Relu", ["xp"], ["output"], name="/relu"),
                ],
                out_shape=(2, 6, 6),
            ),
            "Pad node '/Pad': a Pad is read only directly before a Conv or AveragePool .* Relu node '/relu'",
        ),
        (
            _one(
                [
                    *_pad("input", "xp", [0, 0, 1, 1, 0, 0, 1, 1], 13),
                    helper.make_node("Conv", ["xp", "W"], ["c"], name="/conv"),
                    helper.make_node("Add", ["c", "xp"], ["output"], name="/add"),
                ],
            ),
            "ONNX Pad node '/Pad': a Pad is read only when one Conv or AveragePool reads it",
        ),
        (
            _one(
                [
                    *_pad("input", "xp", [0, 0, 1, 1, 0, 0, 1, 1], 13),
                    helper.make_node(
                        "AveragePool", ["xp"], ["output"], name="/ap", kernel_shape=[3, 3], pads=[1, 1, 1, 1]
                    ),
                ],
                out_shape=(2, 6, 6),
            ),
            "ONNX AveragePool node '/ap': a zero Pad before it and its own pads with count_include_pad=0",
        ),
        (
            _one(
                [
                    _const("/train", True, np.bool_),
                    _const("/ratio", 0.5, np.float32),
                    helper.make_node("Dropout", ["input", "/ratio", "/train"], ["output"], name="/drop"),
                ]
            ),
            "ONNX Dropout node '/drop': training_mode is true; export the model in eval",
        ),
        (
            _one(
                [
                    helper.make_node("Dropout", ["input"], ["d", "mask"], name="/drop"),
                    helper.make_node("Add", ["d", "mask"], ["output"], name="/add"),
                ],
                opset=11,
            ),
            "ONNX Dropout node '/drop': its extra output 'mask' is used",
        ),
    ],
)
def test_variants_left_out_are_refused_in_one_line(data, message: str) -> None:
    with pytest.raises(SpecificationError, match=message) as info:
        load_onnx(data())
    assert "\n" not in str(info.value)
