"""ONNX models read as symcert layer graphs, with their initializers loaded exactly.

The file is parsed by the ``onnx`` package (a protobuf reader): nothing is executed and nothing is
unpickled. Every initializer converts exactly (a float32 is a dyadic rational, kept as a
``Fraction``), and each node maps to a layer of :mod:`symcert.symbolic.graph`:

=====================  ===================================================================
ONNX op                layer
=====================  ===================================================================
Gemm                   Dense (``alpha``, ``beta``, ``transB`` folded in exactly; ``transA=0``)
MatMul (+ Add)         Dense (a constant right operand; an Add of a constant after it is its bias)
Add                    Add (two computed tensors of one shape)
Conv                   Conv (1-D or 2-D, ``group=1``, explicit pads)
Relu, LeakyRelu,       Activation (relu, leaky_relu:alpha, tanh, sigmoid, softplus)
Tanh, Sigmoid,
Softplus
Softmax                Softmax (not over the batch axis)
Flatten                Flatten (``axis=1``)
Reshape                Reshape (a constant shape; the batch axis kept)
Transpose              Transpose (the batch axis kept in place)
AveragePool, MaxPool   AveragePool, MaxPool (``ceil_mode=0``, no dilation for MaxPool)
GlobalAveragePool      GlobalAveragePool
BatchNormalization     BatchNorm (inference form)
LayerNormalization     LayerNorm
Identity               (the tensor itself)
=====================  ===================================================================

Any other op, or an attribute outside these forms, is refused in one line that names it and its node.
The PyTorch exporter writes such files with ``torch.onnx.export(model, example, "model.onnx")``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from symcert.errors import SpecificationError
from symcert.limits import MAX_FILE_BYTES
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
    exact_array,
)

__all__ = ["OnnxModel", "load_onnx", "SUPPORTED_OPS"]

#: The ONNX ops the importer maps to layers.
SUPPORTED_OPS = (
    "Gemm",
    "MatMul",
    "Add",
    "Conv",
    "Relu",
    "LeakyRelu",
    "Tanh",
    "Sigmoid",
    "Softplus",
    "Softmax",
    "Flatten",
    "Reshape",
    "Transpose",
    "AveragePool",
    "GlobalAveragePool",
    "MaxPool",
    "BatchNormalization",
    "LayerNormalization",
    "Identity",
)

_SNAKE = re.compile(r"(?<=[a-z])(?=[A-Z])")  # MatMul -> Mat_Mul: the reader's method is _mat_mul


@dataclass(frozen=True)
class OnnxModel:
    """An imported model: its layer ``graph``, its exact ``params`` and where each came from.

    ``sources`` maps each parameter (``node.local``) to the ONNX initializer it was read from (with
    the exact change applied, e.g. ``"fc.weight": "W (transposed, times alpha)"``).
    """

    graph: Graph
    params: dict[str, np.ndarray]
    sources: dict[str, str]
    input_name: str
    output_name: str
    opset: int


def _onnx() -> Any:
    try:
        import onnx  # an optional dependency, imported where it is needed
    except ImportError:
        raise SpecificationError(
            "reading .onnx files needs the onnx package; install it with pip install 'symcert[onnx]'"
        ) from None
    return onnx


class _Reader:
    """Walks the ONNX graph once, building nodes and exact parameters."""

    def __init__(self, model: Any) -> None:
        onnx = _onnx()
        self.numpy_helper = onnx.numpy_helper
        self.helper = onnx.helper
        graph = model.graph
        self.opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
        self.constants: dict[str, np.ndarray] = {}
        for init in graph.initializer:
            if init.data_location == onnx.TensorProto.EXTERNAL:
                raise SpecificationError(
                    f"initializer {init.name!r} is stored in an external file; save the model with its "
                    "weights inside (onnx.save(model, path, save_as_external_data=False))"
                )
            self.constants[init.name] = self.numpy_helper.to_array(init)
        inputs = [i for i in graph.input if i.name not in self.constants]
        if len(inputs) != 1 or len(graph.output) != 1:
            raise SpecificationError(
                f"symcert reads models with one input and one output, got {len(inputs)} input(s) "
                f"({', '.join(i.name for i in inputs)}) and {len(graph.output)} output(s)"
            )
        self.input_name, self.output_name = inputs[0].name, graph.output[0].name
        self.input_shape = self._input_shape(inputs[0])
        self.graph = graph
        self.nodes: list[Node] = []
        self.params: dict[str, np.ndarray] = {}
        self.sources: dict[str, str] = {}
        self.tensors: dict[str, str] = {self.input_name: "x"}  # ONNX tensor -> graph tensor
        self.shapes: dict[str, tuple[int, ...]] = {"x": self.input_shape}
        self.used: dict[str, int] = {}
        for node in graph.node:
            for name in node.input:
                self.used[name] = self.used.get(name, 0) + 1
        self.names: set[str] = {"x"}

    def _input_shape(self, value: Any) -> tuple[int, ...]:
        dims = value.type.tensor_type.shape.dim
        shape: list[Any] = [d.dim_value if d.HasField("dim_value") else None for d in dims]  # checked below
        if len(shape) < 2 or any(d is None or d < 1 for d in shape[1:]):
            raise SpecificationError(
                f"the input {value.name!r} needs a fixed shape (batch, ...) with every axis after the batch "
                f"known, got {shape}; export with a fixed example input"
            )
        return tuple(shape[1:])

    # -- helpers ------------------------------------------------------------------------------------

    def refuse(self, node: Any, why: str) -> SpecificationError:
        return SpecificationError(f"ONNX {node.op_type} node {node.name or node.output[0]!r}: {why}")

    def attributes(self, node: Any) -> dict[str, Any]:
        return {a.name: self.helper.get_attribute_value(a) for a in node.attribute}

    def constant(self, node: Any, index: int, what: str) -> np.ndarray:
        if index >= len(node.input) or node.input[index] == "":
            raise self.refuse(node, f"needs its {what} as input {index}")
        name = node.input[index]
        if name not in self.constants:
            raise self.refuse(
                node, f"its {what} ({name!r}) must be an initializer (a constant), not computed"
            )
        return self.constants[name]

    def tensor(self, node: Any, index: int = 0) -> str:
        name = node.input[index]
        if name in self.constants:
            raise self.refuse(node, f"input {index} ({name!r}) must be computed from the model's input")
        if name not in self.tensors:
            raise self.refuse(node, f"reads {name!r}, which no earlier node computes")
        return self.tensors[name]

    def node_name(self, node: Any) -> str:
        base = re.sub(r"[^A-Za-z0-9_]+", "_", node.name or node.output[0]).strip("_") or node.op_type.lower()
        name, k = base, 1
        while name in self.names:
            k += 1
            name = f"{base}_{k}"
        self.names.add(name)
        return name

    def add(
        self,
        node: Any,
        layer: Any,
        inputs: tuple[str, ...],
        params: Mapping[str, tuple[Any, str]] | None = None,
        named: Any = None,
    ) -> None:
        """Add ``layer`` for ONNX ``node`` (its first output), named after ``named`` or else ``node``."""
        params = params or {}
        name = self.node_name(named or node)
        built = Node(name, layer, inputs)
        try:
            shape = layer.output_shape([self.shapes[s] for s in inputs])
        except SpecificationError as error:
            raise self.refuse(node, str(error)) from None
        self.nodes.append(built)
        self.shapes[name] = shape
        self.tensors[node.output[0]] = name
        for local, (value, source) in params.items():
            self.params[f"{name}.{local}"] = exact_array(value, f"{node.name}.{local}")
            self.sources[f"{name}.{local}"] = source
        for extra in node.output[1:]:
            if extra and (self.used.get(extra) or extra == self.output_name):
                raise self.refuse(
                    node, f"its extra output {extra!r} is used; symcert reads only the first output"
                )

    # -- the ops --------------------------------------------------------------------------------------

    def read(self) -> OnnxModel:
        nodes = list(self.graph.node)
        skip: set[int] = set()
        for i, node in enumerate(nodes):
            if i in skip:
                continue
            op = node.op_type
            if node.domain not in ("", "ai.onnx") or op not in SUPPORTED_OPS:
                raise SpecificationError(
                    f"ONNX op {op} (node {node.name or node.output[0]!r}) is not supported; symcert reads "
                    f"{', '.join(SUPPORTED_OPS)}"
                )
            if op == "MatMul" and self._fusable_add(nodes, i):
                self._mat_mul(node, nodes[i + 1])
                skip.add(i + 1)
                continue
            getattr(self, "_" + _SNAKE.sub("_", op).lower())(node)
        if self.output_name not in self.tensors:
            raise SpecificationError(
                f"the model's output {self.output_name!r} is not computed by a supported node"
            )
        out = self.tensors[self.output_name]
        if out == "x":
            raise SpecificationError("the model's output is its input; there is no layer to read")
        order = [n.name for n in self.nodes]
        keep = order[: order.index(out) + 1]
        graph = Graph(self.input_shape, [n for n in self.nodes if n.name in keep])
        params = {k: v for k, v in self.params.items() if k.split(".", 1)[0] in keep}
        params = graph.check_parameters(params)
        return OnnxModel(graph, params, self.sources, self.input_name, self.output_name, self.opset)

    def _fusable_add(self, nodes: list, i: int) -> bool:
        if i + 1 >= len(nodes):
            return False
        nxt, out = nodes[i + 1], nodes[i].output[0]
        return (
            nxt.op_type == "Add"
            and out in nxt.input
            and self.used.get(out) == 1
            and out != self.output_name
            and any(name in self.constants for name in nxt.input)
        )

    def _gemm(self, node: Any) -> None:
        a = self.attributes(node)
        if a.get("transA", 0):
            raise self.refuse(node, "transA=1 is not supported; export with the batch axis first")
        alpha, beta = Fraction(a.get("alpha", 1.0)), Fraction(a.get("beta", 1.0))
        b = exact_array(self.constant(node, 1, "weight B"), node.name + ".B")
        weight = (b if a.get("transB", 0) else b.T) * alpha
        params = {"weight": (weight, f"{node.input[1]}{'' if a.get('transB', 0) else ' (transposed)'}")}
        x = self.tensor(node)
        if len(node.input) > 2 and node.input[2]:
            c = exact_array(self.constant(node, 2, "bias C"), node.name + ".C")
            params["bias"] = (
                np.broadcast_to(c.reshape(-1) if c.size == weight.shape[0] else c, (weight.shape[0],)) * beta,
                node.input[2],
            )
        self.add(node, Dense(weight.shape[0], bias="bias" in params), (x,), params)

    def _mat_mul(self, node: Any, bias_add: Any = None) -> None:
        w = self.constant(node, 1, "right operand (the weights)")
        if w.ndim != 2:
            raise self.refuse(node, f"needs a 2-D constant right operand, got shape {w.shape}")
        x = self.tensor(node, 0)
        params = {"weight": (exact_array(w, node.name).T, f"{node.input[1]} (transposed)")}
        target = node
        if bias_add is not None:
            name = next(n for n in bias_add.input if n in self.constants)
            c = self.constants[name]
            if c.size != w.shape[1]:
                raise self.refuse(bias_add, f"a bias of shape {c.shape} does not match {w.shape[1]} outputs")
            params["bias"] = (c.reshape(-1), name)
            target = bias_add
        self.add(target, Dense(w.shape[1], bias=bias_add is not None), (x,), params, named=node)

    def _add(self, node: Any) -> None:
        if any(name in self.constants for name in node.input):
            raise self.refuse(
                node, "an Add of a constant is read only as the bias right after a MatMul (or use Gemm)"
            )
        self.add(node, Add(), (self.tensor(node, 0), self.tensor(node, 1)))

    def _pads(self, node: Any, a: dict, dims: int) -> tuple[tuple[int, int], ...]:
        if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", b"VALID", "NOTSET", "VALID"):
            raise self.refuse(node, f"auto_pad={a['auto_pad']!r} is not supported; export with explicit pads")
        pads = list(a.get("pads", [0] * (2 * dims)))
        return tuple((pads[i], pads[i + dims]) for i in range(dims))

    def _conv(self, node: Any) -> None:
        a = self.attributes(node)
        if a.get("group", 1) != 1:
            raise self.refuse(
                node, f"group={a['group']} is not supported; symcert reads convolutions with group=1"
            )
        w = self.constant(node, 1, "weights W")
        dims = w.ndim - 2
        params = {"weight": (w, node.input[1])}
        if len(node.input) > 2 and node.input[2]:
            params["bias"] = (self.constant(node, 2, "bias B"), node.input[2])
        try:
            layer = Conv(
                int(w.shape[0]),
                tuple(int(k) for k in w.shape[2:]),
                stride=tuple(a.get("strides", [1] * dims)),
                padding=self._pads(node, a, dims),
                dilation=tuple(a.get("dilations", [1] * dims)),
                bias="bias" in params,
            )
        except SpecificationError as error:
            raise self.refuse(node, str(error)) from None
        self.add(node, layer, (self.tensor(node),), params)

    def _activation(self, node: Any, name: str) -> None:
        self.add(node, Activation(name), (self.tensor(node),))

    def _relu(self, node: Any) -> None:
        self._activation(node, "relu")

    def _tanh(self, node: Any) -> None:
        self._activation(node, "tanh")

    def _sigmoid(self, node: Any) -> None:
        self._activation(node, "sigmoid")

    def _softplus(self, node: Any) -> None:
        self._activation(node, "softplus")

    def _leaky_relu(self, node: Any) -> None:
        alpha = Fraction(self.attributes(node).get("alpha", 0.01))  # the float32 attribute, exactly
        if not 0 < alpha < 1:
            raise self.refuse(node, f"alpha must lie strictly between 0 and 1, got {float(alpha)}")
        self._activation(node, f"leaky_relu:{alpha}")

    def _axis(self, node: Any, axis: int, rank: int) -> int:
        """An ONNX axis (batch first) as a per-example axis (negative axes kept negative)."""
        if axis < 0:
            axis += rank
        if not 1 <= axis < rank:
            raise self.refuse(node, f"axis {axis} is the batch axis or out of range for rank {rank}")
        return axis - 1

    def _softmax(self, node: Any) -> None:
        x = self.tensor(node)
        rank = len(self.shapes[x]) + 1
        default = -1 if self.opset >= 13 else 1
        axis = self._axis(node, self.attributes(node).get("axis", default), rank)
        if self.opset < 13 and axis != rank - 2:
            raise self.refuse(node, "before opset 13, Softmax normalises a flattened block; use axis=-1")
        self.add(node, Softmax(axis), (x,))

    def _flatten(self, node: Any) -> None:
        if self.attributes(node).get("axis", 1) != 1:
            raise self.refuse(node, "only axis=1 is supported (keep the batch axis, flatten the rest)")
        self.add(node, Flatten(), (self.tensor(node),))

    def _reshape(self, node: Any) -> None:
        x = self.tensor(node)
        shape = [int(v) for v in self.constant(node, 1, "target shape")]
        if self.attributes(node).get("allowzero", 0):
            raise self.refuse(node, "allowzero=1 is not supported")
        source = (None, *self.shapes[x])
        target: list[Any] = [source[i] if v == 0 and i < len(source) else v for i, v in enumerate(shape)][1:]
        if target.count(-1) > 1 or any(v is None or v < -1 or v == 0 for v in target):
            raise self.refuse(node, f"cannot read the target shape {shape} (batch first) for input {source}")
        if -1 in target:
            known = math.prod(v for v in target if v != -1)
            target[target.index(-1)] = math.prod(self.shapes[x]) // max(known, 1)
        self.add(node, Reshape(tuple(target)), (x,))

    def _transpose(self, node: Any) -> None:
        x = self.tensor(node)
        rank = len(self.shapes[x]) + 1
        perm = list(self.attributes(node).get("perm", range(rank - 1, -1, -1)))
        if perm[:1] != [0]:
            raise self.refuse(
                node, f"perm {perm} moves the batch axis; only permutations of the other axes are read"
            )
        self.add(node, Transpose(tuple(p - 1 for p in perm[1:])), (x,))

    def _pool(self, node: Any, cls: type) -> None:
        a = self.attributes(node)
        if a.get("ceil_mode", 0):
            raise self.refuse(node, "ceil_mode=1 is not supported; export with ceil_mode=False")
        if any(d != 1 for d in a.get("dilations", [])):
            raise self.refuse(node, "dilated pooling is not supported")
        kernel = tuple(a["kernel_shape"])
        extra = {"count_include_pad": bool(a.get("count_include_pad", 0))} if cls is AveragePool else {}
        try:
            layer = cls(
                kernel,
                stride=tuple(a.get("strides", [1] * len(kernel))),
                padding=self._pads(node, a, len(kernel)),
                **extra,
            )
        except SpecificationError as error:
            raise self.refuse(node, str(error)) from None
        self.add(node, layer, (self.tensor(node),))

    def _average_pool(self, node: Any) -> None:
        self._pool(node, AveragePool)

    def _max_pool(self, node: Any) -> None:
        self._pool(node, MaxPool)

    def _global_average_pool(self, node: Any) -> None:
        self.add(node, GlobalAveragePool(), (self.tensor(node),))

    def _batch_normalization(self, node: Any) -> None:
        a = self.attributes(node)
        if a.get("training_mode", 0):
            raise self.refuse(node, "training_mode=1 is not supported; export the model in eval() mode")
        names = ("scale", "bias", "mean", "var")
        params = {k: (self.constant(node, i + 1, k), node.input[i + 1]) for i, k in enumerate(names)}
        self.add(node, BatchNorm(Fraction(a.get("epsilon", 1e-5))), (self.tensor(node),), params)

    def _layer_normalization(self, node: Any) -> None:
        a = self.attributes(node)
        x = self.tensor(node)
        axis = self._axis(node, a.get("axis", -1), len(self.shapes[x]) + 1)
        params = {"scale": (self.constant(node, 1, "scale"), node.input[1])}
        bias = len(node.input) > 2 and bool(node.input[2])
        if bias:
            params["bias"] = (self.constant(node, 2, "bias B"), node.input[2])
        layer = LayerNorm(axis - len(self.shapes[x]), Fraction(a.get("epsilon", 1e-5)), bias=bias)
        self.add(node, layer, (x,), params)

    def _identity(self, node: Any) -> None:
        self.tensors[node.output[0]] = self.tensor(node)


def load_onnx(source: str | Path | bytes) -> OnnxModel:
    """Read an ONNX model (a path or its bytes) as a layer graph with exact parameters.

    >>> import onnx
    >>> from onnx import TensorProto, helper, numpy_helper
    >>> w = numpy_helper.from_array(np.array([[0.5, -0.25]], dtype=np.float32), "W")
    >>> graph = helper.make_graph(
    ...     [helper.make_node("Gemm", ["x", "W"], ["y"], name="fc", transB=1)], "g",
    ...     [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2])],
    ...     [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 1])], [w])
    >>> model = load_onnx(helper.make_model(graph).SerializeToString())
    >>> model.graph.describe(), model.params["fc.weight"].tolist()
    ('graph (2,): Dense(1, bias=False) (2 parameters)', [[Fraction(1, 2), Fraction(-1, 4)]])
    """
    onnx = _onnx()
    if isinstance(source, bytes):
        size = len(source)
    else:
        size = Path(source).stat().st_size if Path(source).is_file() else 0
    if size > MAX_FILE_BYTES:
        raise SpecificationError(
            f"the ONNX model has {size} bytes, more than symcert reads ({MAX_FILE_BYTES}); use a smaller one"
        )
    try:
        if isinstance(source, bytes):
            model = onnx.load_from_string(source)
        else:
            path = Path(source)
            if not path.is_file():
                raise SpecificationError(f"no ONNX file at {str(path)!r}; give the path of a .onnx model")
            model = onnx.load(str(path), load_external_data=False)
    except SpecificationError:
        raise
    except Exception as error:  # the protobuf parser's own errors: a damaged or non-ONNX file
        raise SpecificationError(
            f"cannot read {str(source)[:60]!r} as an ONNX model ({type(error).__name__})"
        ) from None
    return _Reader(model).read()
