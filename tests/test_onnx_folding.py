"""Constant folding at ONNX import: the shape arithmetic PyTorch writes for ``x.view(x.size(0), -1)`` and
``torch.flatten`` (Shape, Gather, Unsqueeze, Squeeze, Concat, Slice, Cast, Constant, Identity) folds to a
known Reshape target; the imported graph agrees with an independent numpy evaluation and with
onnxruntime; everything outside int64 shape arithmetic is refused in one line naming op and node."""

from __future__ import annotations

import inspect
import io
import warnings

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from symcert.errors import SpecificationError  # noqa: E402
from symcert.models.onnx_import import SUPPORTED_OPS, load_onnx  # noqa: E402
from symcert.models.onnx_import.folding import BATCH, FOLDED_OPS, holds_batch  # noqa: E402
from symcert.symbolic.graph import evaluate  # noqa: E402
from tests.test_onnx_import import _conv, _f, _ort, _w  # noqa: E402

RNG = np.random.default_rng(3)
INT64_MAX = 2**63 - 1


def _const(name: str, value, dtype=np.int64) -> onnx.NodeProto:
    tensor = numpy_helper.from_array(np.array(value, dtype=dtype), name + "_value")
    return helper.make_node("Constant", [], [name], name=name, value=tensor)


def _unsqueeze(src: str, out: str, opset: int, axes=(0,)) -> list:
    if opset >= 13:  # axes became an input in opset 13
        return [
            _const(out + "_axes", list(axes)),
            helper.make_node("Unsqueeze", [src, out + "_axes"], [out], name=out),
        ]
    return [helper.make_node("Unsqueeze", [src], [out], name=out, axes=list(axes))]


def _slice(src: str, out: str, start: int, end: int, opset: int) -> list:
    if opset < 10:
        return [helper.make_node("Slice", [src], [out], name=out, starts=[start], ends=[end], axes=[0])]
    names = [f"{out}_{k}" for k in ("starts", "ends", "axes")]
    return [
        _const(names[0], [start]),
        _const(names[1], [end]),
        _const(names[2], [0]),
        helper.make_node("Slice", [src, *names], [out], name=out),
    ]


def _model(nodes, inits, in_shape, out_shape, opset=13, batch="N") -> bytes:
    graph = helper.make_graph(
        nodes,
        "folding",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [batch, *in_shape])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [batch, *out_shape])],
        [numpy_helper.from_array(v, k) for k, v in inits.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


def _params() -> dict:
    return {"W1": _w(3, 2, 3, 3), "B1": _w(3), "W2": _w(5, 48), "B2": _w(5)}


def _head(reshape_shape: str, chain: list, params: dict) -> list:
    """conv -> relu -> (chain computing the target shape) -> Reshape -> Gemm, as torch writes it."""
    return [
        helper.make_node("Conv", ["input", "W1", "B1"], ["c"], name="/conv/Conv", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["r"], name="/relu/Relu"),
        *chain,
        helper.make_node("Reshape", ["r", reshape_shape], ["flat"], name="/Reshape"),
        helper.make_node("Gemm", ["flat", "W2", "B2"], ["output"], name="/fc/Gemm", transB=1),
    ]


def _view(opset: int) -> list:
    """``x.view(x.size(0), -1)``: Shape -> Gather(0) -> Unsqueeze -> Concat([N], [-1])."""
    return [
        helper.make_node("Shape", ["r"], ["s"], name="/Shape"),
        _const("/Constant", 0),
        helper.make_node("Gather", ["s", "/Constant"], ["g"], name="/Gather", axis=0),
        *_unsqueeze("g", "u", opset),
        _const("/Constant_1", [-1]),
        helper.make_node("Concat", ["u", "/Constant_1"], ["cat"], name="/Concat", axis=0),
    ]


def _flatten_helper(opset: int) -> list:
    """``torch.flatten(x, 1)`` through the exporter's helper: Shape -> Slice[0:1] -> Concat(., [-1])."""
    return [
        helper.make_node("Shape", ["r"], ["s"], name="/Shape"),
        *_slice("s", "head", 0, 1, opset),
        _const("/m1", [-1]),
        helper.make_node("Concat", ["head", "/m1"], ["cat"], name="/Concat", axis=0),
    ]


def _cast_squeeze(opset: int) -> list:
    """Gather with a 1-D index, Cast, Squeeze and Unsqueeze back, an Identity: still [N, -1]."""
    return [
        helper.make_node("Shape", ["r"], ["s"], name="/Shape"),
        _const("idx", [0]),
        helper.make_node("Gather", ["s", "idx"], ["g"], name="/Gather"),
        helper.make_node("Cast", ["g"], ["gc"], name="/Cast", to=TensorProto.INT64),
        *(
            [_const("sq_axes", [0]), helper.make_node("Squeeze", ["gc", "sq_axes"], ["sq"], name="/Squeeze")]
            if opset >= 13
            else [helper.make_node("Squeeze", ["gc"], ["sq"], name="/Squeeze", axes=[0])]
        ),
        *_unsqueeze("sq", "u", opset),
        _const("m1", [-1]),
        helper.make_node("Identity", ["m1"], ["m1i"], name="/Identity"),
        helper.make_node("Concat", ["u", "m1i"], ["cat"], name="/Concat", axis=0),
    ]


CHAINS = {"view": _view, "flatten": _flatten_helper, "cast_squeeze": _cast_squeeze}


def _numpy(p: dict, x: np.ndarray) -> np.ndarray:
    p = {k: _f(v) for k, v in p.items()}
    h = np.maximum(_conv(x, p["W1"], p["B1"], pads=[1, 1, 1, 1]), 0).reshape(len(x), -1)
    return h @ p["W2"].T + p["B2"]


def _agrees(data: bytes, reference, shape) -> None:
    model = load_onnx(data)
    x = RNG.standard_normal((4, *shape)).astype(np.float32)
    ours = evaluate(model.graph, model.params, x.astype(np.float64))
    np.testing.assert_allclose(ours, reference(x.astype(np.float64)), rtol=1e-10, atol=1e-12)
    ort = _ort(data, x)
    if ort is not None:  # onnxruntime computes in float32
        np.testing.assert_allclose(ours, ort, rtol=2e-4, atol=2e-5)


@pytest.mark.parametrize("opset", [11, 13, 15, 17])
@pytest.mark.parametrize("chain", sorted(CHAINS))
def test_shape_chains_fold_to_a_known_reshape(chain: str, opset: int) -> None:
    p = _params()
    data = _model(_head("cat", CHAINS[chain](opset), p), p, [2, 4, 4], [5], opset=opset)
    model = load_onnx(data)
    assert [n.layer.kind for n in model.graph.nodes] == ["Conv", "Activation", "Reshape", "Dense"]
    assert model.graph.shapes["Reshape"] == (48,)
    _agrees(data, lambda x: _numpy(p, x), (2, 4, 4))


def test_flatten_of_middle_axes_keeps_the_batch_and_last_axis() -> None:
    """``torch.flatten(x, 1, 2)`` on (N, 3, 4, 4): Concat(Slice[0:1], [-1], Slice[3:]) gives (12, 4)."""
    p = {"W1": _w(3, 2, 3, 3), "B1": _w(3), "W2": _w(5, 48), "B2": _w(5)}
    chain = [
        helper.make_node("Shape", ["r"], ["s"], name="/Shape"),
        *_slice("s", "head", 0, 1, 13),
        *_slice("s", "tail", 3, INT64_MAX, 13),
        _const("m1", [-1]),
        helper.make_node("Concat", ["head", "m1", "tail"], ["cat"], name="/Concat", axis=0),
    ]
    nodes = _head("cat", chain, p)
    nodes.insert(-1, helper.make_node("Flatten", ["flat"], ["flat2"], name="/Flatten"))
    nodes[-1] = helper.make_node("Gemm", ["flat2", "W2", "B2"], ["output"], name="/fc/Gemm", transB=1)
    data = _model(nodes, p, [2, 4, 4], [5])
    model = load_onnx(data)
    assert model.graph.shapes["Reshape"] == (12, 4)
    _agrees(data, lambda x: _numpy(p, x), (2, 4, 4))


def _gathered(k: int) -> list:
    return [_const(f"i{k}", k), helper.make_node("Gather", ["s", f"i{k}"], [f"g{k}"], name=f"/Gather_{k}")]


def test_shape_products_fold() -> None:
    """``x.view(x.size(0), x.size(1) * x.size(2), -1)``: a Mul of two gathered dimensions."""
    p = _params()
    chain = [
        helper.make_node("Shape", ["r"], ["s"], name="/Shape"),
        *_gathered(0),
        *_gathered(1),
        *_gathered(2),
        helper.make_node("Mul", ["g1", "g2"], ["m"], name="/Mul"),
        *_unsqueeze("g0", "u0", 13),
        *_unsqueeze("m", "um", 13),
        _const("m1", [-1]),
        helper.make_node("Concat", ["u0", "um", "m1"], ["cat"], name="/Concat", axis=0),
    ]
    nodes = _head("cat", chain, p)
    nodes.insert(-1, helper.make_node("Flatten", ["flat"], ["flat2"], name="/Flatten"))
    nodes[-1] = helper.make_node("Gemm", ["flat2", "W2", "B2"], ["output"], name="/fc/Gemm", transB=1)
    data = _model(nodes, p, [2, 4, 4], [5])
    assert load_onnx(data).graph.shapes["Reshape"] == (12, 4)
    _agrees(data, lambda x: _numpy(p, x), (2, 4, 4))


def test_a_fixed_batch_size_may_appear_as_a_literal() -> None:
    """An export at a fixed batch of 1 may fold the shape itself: Reshape(x, [1, -1]) keeps the batch."""
    p = _params()
    chain = [_const("shape", [1, -1])]
    data = _model(_head("shape", chain, p), p, [2, 4, 4], [5], batch=1)
    assert load_onnx(data).graph.shapes["Reshape"] == (48,)
    with pytest.raises(SpecificationError, match="must keep the batch axis N first") as info:
        load_onnx(_model(_head("shape", chain, p), p, [2, 4, 4], [5]))  # batch open: [1, -1] merges it
    assert "\n" not in str(info.value)


def test_folded_values_carry_the_open_batch_size() -> None:
    assert repr(BATCH) == "N" and holds_batch(np.array([BATCH, 3], dtype=object))
    assert set(FOLDED_OPS) <= set(SUPPORTED_OPS)


def _refused(nodes, inits=None, out_shape=(48,), opset=13):
    p = {"W1": _w(3, 2, 3, 3), "B1": _w(3), **(inits or {})}
    head = [
        helper.make_node("Conv", ["input", "W1", "B1"], ["c"], name="/conv/Conv", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["r"], name="/relu/Relu"),
    ]
    return lambda: _model(head + nodes, p, [2, 4, 4], list(out_shape), opset=opset)


def _reshape_by(chain) -> list:
    return [*chain, helper.make_node("Reshape", ["r", "cat"], ["output"], name="/Reshape")]


_CHANNEL_FIRST = [  # Concat([C], [-1]): the channel count where the batch belongs
    helper.make_node("Shape", ["r"], ["s"], name="/Shape"),
    _const("one", 1),
    helper.make_node("Gather", ["s", "one"], ["g"], name="/Gather"),
    *_unsqueeze("g", "u", 13),
    _const("m1", [-1]),
    helper.make_node("Concat", ["u", "m1"], ["cat"], name="/Concat", axis=0),
]
_BATCH_LAST = [  # Concat([-1], [N])
    helper.make_node("Shape", ["r"], ["s"], name="/Shape"),
    *_slice("s", "head", 0, 1, 13),
    _const("m1", [-1]),
    helper.make_node("Concat", ["m1", "head"], ["cat"], name="/Concat", axis=0),
]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            _refused([_const("i0", [0]), helper.make_node("Gather", ["r", "i0"], ["output"], name="gd")]),
            "ONNX Gather node 'gd': is read only on constant int64 shape tensors .* computed from the model",
        ),
        (
            _refused([helper.make_node("Squeeze", ["r"], ["output"], name="sq", axes=[0])], opset=11),
            "ONNX Squeeze node 'sq': is read only on constant int64 shape tensors",
        ),
        (
            _refused(
                [
                    helper.make_node("Shape", ["r"], ["s"], name="/Shape"),
                    helper.make_node("Cast", ["s"], ["sf"], name="/Cast", to=TensorProto.FLOAT),
                    helper.make_node("Relu", ["r"], ["output"], name="out"),
                ]
            ),
            r"ONNX Cast node '/Cast': only casts between int64 and int32 shape tensors are read, not to=1",
        ),
        (
            _refused(
                [
                    _const("f1", [1.5], np.float32),
                    _const("f2", [2.5], np.float32),
                    helper.make_node("Concat", ["f1", "f2"], ["cat"], name="/Concat", axis=0),
                    helper.make_node("Relu", ["r"], ["output"], name="out"),
                ]
            ),
            r"Concat node '/Concat': folds only int64 shape arithmetic; its input 0 \('f1'\) holds float",
        ),
        (
            _refused(
                [
                    helper.make_node("Shape", ["r"], ["s"], name="/Shape"),
                    _const("two", [2]),
                    *_slice("s", "head", 0, 1, 13),
                    helper.make_node("Mul", ["head", "two"], ["hm"], name="/Mul"),
                    helper.make_node("Relu", ["r"], ["output"], name="out"),
                ]
            ),
            "ONNX Mul node '/Mul': arithmetic on the batch size is not read",
        ),
        (
            _refused(
                [
                    _const("f1", [1.5], np.float32),
                    _const("f2", [2.5], np.float32),
                    helper.make_node("Mul", ["f1", "f2"], ["fm"], name="/Mul"),
                    helper.make_node("Relu", ["r"], ["output"], name="out"),
                ]
            ),
            r"Mul node '/Mul': folds only int64 shape arithmetic; its input 0 \('f1'\) holds float32",
        ),
        (
            _refused(_reshape_by(_CHANNEL_FIRST)),
            "ONNX Reshape node '/Reshape': target shape \\[3, -1\\] must keep",
        ),
        (
            _refused(_reshape_by(_BATCH_LAST)),
            "ONNX Reshape node '/Reshape': target shape \\[-1, N\\] must keep",
        ),
        (
            _refused(
                [
                    helper.make_node("Shape", ["r"], ["s"], name="/Shape"),
                    _const("nine", 9),
                    helper.make_node("Gather", ["s", "nine"], ["g"], name="/Gather"),
                    helper.make_node("Relu", ["r"], ["output"], name="out"),
                ]
            ),
            r"ONNX Gather node '/Gather': indices 9 are out of range for an axis of size 4",
        ),
        (
            _refused(
                [
                    helper.make_node("Constant", [], ["str"], name="/Str", value_string="x"),
                    helper.make_node("Relu", ["r"], ["output"], name="out"),
                ]
            ),
            "ONNX Constant node '/Str': only numeric values are read, not value_string",
        ),
        (
            _refused(
                [
                    helper.make_node("Shape", ["r"], ["s"], name="/Shape"),
                    *_slice("s", "head", 0, 1, 13),
                    helper.make_node("Flatten", ["r"], ["f"], name="/Flatten"),
                    helper.make_node("Gemm", ["f", "W2", "head"], ["output"], name="/fc", transB=1),
                ],
                {"W2": _w(1, 48)},
                out_shape=(1,),
            ),
            r"ONNX Gemm node '/fc': its bias C \('head'\) depends on the batch size",
        ),
    ],
)
def test_what_does_not_fold_is_refused_in_one_line(data, message: str) -> None:
    with pytest.raises(SpecificationError, match=message) as info:
        load_onnx(data())
    assert "\n" not in str(info.value)


# -- a real PyTorch export (torch, CPU build, is a test requirement) ---------------------------------


@pytest.mark.parametrize("opset", [13, 17])
@pytest.mark.parametrize("how", ["view", "flatten", "flatten_1_2"])
@pytest.mark.parametrize("dynamic", [False, True])
def test_a_real_pytorch_export(how: str, opset: int, dynamic: bool, require_module) -> None:
    torch = require_module("torch")

    class Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = torch.nn.Conv2d(2, 3, 3, padding=1)
            self.fc = torch.nn.Linear(48, 5)

        def forward(self, x):
            h = torch.relu(self.conv(x))
            if how == "view":
                h = h.view(h.size(0), -1)
            elif how == "flatten":
                h = torch.flatten(h, 1)
            else:
                h = torch.flatten(torch.flatten(h, 1, 2), 1)
            return self.fc(h)

    torch.manual_seed(0)
    net = Net().eval()
    buffer = io.BytesIO()
    kwargs: dict = {"opset_version": opset, "input_names": ["input"], "output_names": ["output"]}
    if dynamic:
        kwargs["dynamic_axes"] = {"input": {0: "N"}, "output": {0: "N"}}
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False  # the TorchScript exporter, which writes the Shape chains
    with warnings.catch_warnings():  # the exporter's own warnings (deprecations, tracer notes)
        warnings.simplefilter("ignore")
        torch.onnx.export(net, torch.zeros(1, 2, 4, 4), buffer, **kwargs)
    model = load_onnx(buffer.getvalue())
    x = RNG.standard_normal((3 if dynamic else 1, 2, 4, 4)).astype(np.float32)
    ours = evaluate(model.graph, model.params, x.astype(np.float64))
    with torch.no_grad():
        theirs = net.double()(torch.from_numpy(x.astype(np.float64))).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
