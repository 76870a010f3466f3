"""ONNX files read: the protobuf parsed by the ``onnx`` package, initializers converted exactly.

Nothing is executed and nothing is unpickled. :func:`load_onnx` checks the file's size and form,
:class:`_Reader` collects the initializers (a float32 is a dyadic rational, kept as a ``Fraction``),
the one input's per-example shape and the names, and walks the nodes once, handing each to its op
method (:mod:`symcert.models.onnx_import.ops`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from symcert.errors import SpecificationError
from symcert.limits import MAX_FILE_BYTES
from symcert.models.onnx_import.affine import AffineFolding, PendingAffine
from symcert.models.onnx_import.folding import ShapeFolding, holds_batch
from symcert.models.onnx_import.neighbours import Neighbours, PendingPad
from symcert.models.onnx_import.ops import SUPPORTED_OPS, OpMapping, method_name
from symcert.symbolic.graph import Graph, Node, exact_array

__all__ = ["OnnxModel", "load_onnx"]


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


class _Reader(OpMapping, ShapeFolding, Neighbours, AffineFolding):
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
        self.consumers: dict[str, list[int]] = {}  # ONNX tensor -> the indices of the nodes reading it
        self.position = 0  # the index of the node being read
        self.pending_affine: dict[str, PendingAffine] = {}  # Mul/Div/Sub/Add by constants, to fold
        self.pending_pads: dict[str, PendingPad] = {}  # Pad outputs waiting for their Conv or AveragePool
        for i, node in enumerate(graph.node):
            for name in node.input:
                self.used[name] = self.used.get(name, 0) + 1
                self.consumers.setdefault(name, []).append(i)
        self.names: set[str] = {"x"}

    def _input_shape(self, value: Any) -> tuple[int, ...]:
        dims = value.type.tensor_type.shape.dim
        shape: list[Any] = [d.dim_value if d.HasField("dim_value") else None for d in dims]  # checked below
        self.batch_dim: int | None = shape[0] if shape else None  # a fixed batch size the file declares
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
        if holds_batch(self.constants[name]):
            raise self.refuse(node, f"its {what} ({name!r}) depends on the batch size")
        return self.constants[name]

    def tensor(self, node: Any, index: int = 0) -> str:
        name = node.input[index]
        if name in self.constants:
            raise self.refuse(node, f"input {index} ({name!r}) must be computed from the model's input")
        if name in self.pending_pads:
            raise self.pad_reader_refusal(name, node)
        if name in self.pending_affine:
            raise self.affine_refusal(name, node)
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

    def read(self) -> OnnxModel:
        nodes = list(self.graph.node)
        skip: set[int] = set()
        for i, node in enumerate(nodes):
            if i in skip:
                continue
            op = node.op_type
            self.position = i
            if node.domain not in ("", "ai.onnx") or op not in SUPPORTED_OPS:
                raise SpecificationError(
                    f"ONNX op {op} (node {node.name or node.output[0]!r}) is not supported; symcert reads "
                    f"{', '.join(SUPPORTED_OPS)}"
                )
            if op == "MatMul" and self._fusable_add(nodes, i):
                self._mat_mul(node, nodes[i + 1])
                skip.add(i + 1)
                continue
            getattr(self, method_name(op))(node)
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
