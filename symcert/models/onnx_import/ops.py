"""The ONNX ops as symcert layers: one method per op, each reading its attributes and exact constants.

:class:`OpMapping` is the op half of the reader (:mod:`symcert.models.onnx_import.reading` holds the
file half: the protobuf, initializers, names and shapes). A method ``_snake_case`` per op of
:data:`SUPPORTED_OPS` maps one node (``MatMul`` followed by the ``Add`` of a constant becomes one dense
layer with its bias); an attribute outside the forms symcert reads is refused in one line naming the
node.

>>> "Conv" in LAYER_OPS and "Gather" in SUPPORTED_OPS and "Gather" not in LAYER_OPS
True
"""

from __future__ import annotations

import dataclasses
import math
import re
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from symcert.errors import SpecificationError
from symcert.models.onnx_import.affine import AFFINE_OPS
from symcert.models.onnx_import.folding import BATCH, FOLDED_OPS
from symcert.models.onnx_import.neighbours import NEIGHBOUR_OPS
from symcert.symbolic.graph import (
    Activation,
    Add,
    AveragePool,
    BatchNorm,
    Conv,
    Dense,
    Flatten,
    GlobalAveragePool,
    LayerNorm,
    MaxPool,
    Reshape,
    Softmax,
    Transpose,
    exact_array,
)
from symcert.symbolic.graph.linear import normalised

__all__ = ["LAYER_OPS", "OpMapping", "SUPPORTED_OPS", "method_name"]

#: The ONNX ops the importer maps to layers.
LAYER_OPS = (
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

#: Every ONNX op the importer reads: the layers, the shape arithmetic it folds (``FOLDED_OPS``), and
#: the ops it folds into a neighbouring layer (Dropout, Pad, and Mul, Div, Sub, Add by a constant).
SUPPORTED_OPS = LAYER_OPS + FOLDED_OPS + NEIGHBOUR_OPS + AFFINE_OPS

_SNAKE = re.compile(r"(?<=[a-z])(?=[A-Z])")  # MatMul -> Mat_Mul: the reader's method is _mat_mul


def method_name(op: str) -> str:
    """The mapping method of ``op``: ``MatMul`` -> ``_mat_mul``."""
    return "_" + _SNAKE.sub("_", op).lower()


class OpMapping:
    """The op methods of the reader; they use its helpers (``constant``, ``tensor``, ``add``, ...)."""

    if TYPE_CHECKING:  # the reader's state and helpers (reading._Reader), as a type checker sees them
        opset: int
        batch_dim: int | None
        constants: dict[str, np.ndarray]
        shapes: dict[str, tuple[int, ...]]
        tensors: dict[str, str]
        used: dict[str, int]
        output_name: str

        def refuse(self, node: Any, why: str) -> SpecificationError: ...
        def attributes(self, node: Any) -> dict[str, Any]: ...
        def constant(self, node: Any, index: int, what: str) -> np.ndarray: ...
        def tensor(self, node: Any, index: int = 0) -> str: ...
        def padded_input(self, node: Any) -> tuple[str, tuple[tuple[int, int], ...] | None]: ...
        def affine_input(self, node: Any) -> tuple[str, Any]: ...
        def affine_op(self, node: Any) -> None: ...
        def fold_before(
            self, node: Any, pending: Any, weight: np.ndarray, bias: np.ndarray | None, padded: bool
        ) -> tuple[np.ndarray, np.ndarray | None]: ...

        pending_affine: dict[str, Any]

        def add(
            self,
            node: Any,
            layer: Any,
            inputs: tuple[str, ...],
            params: Any = None,
            named: Any = None,
        ) -> None: ...

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
        if len(node.input) > 2 and node.input[2]:
            c = exact_array(self.constant(node, 2, "bias C"), node.name + ".C")
            params["bias"] = (
                np.broadcast_to(c.reshape(-1) if c.size == weight.shape[0] else c, (weight.shape[0],)) * beta,
                node.input[2],
            )
        x = self._linear_input(node, params)
        self.add(node, Dense(weight.shape[0], bias="bias" in params), (x,), params)

    def _mat_mul(self, node: Any, bias_add: Any = None) -> None:
        w = self.constant(node, 1, "right operand (the weights)")
        if w.ndim != 2:
            raise self.refuse(node, f"needs a 2-D constant right operand, got shape {w.shape}")
        params = {"weight": (exact_array(w, node.name).T, f"{node.input[1]} (transposed)")}
        target = node
        if bias_add is not None:
            name = next(n for n in bias_add.input if n in self.constants)
            c = self.constants[name]
            if c.size != w.shape[1]:
                raise self.refuse(bias_add, f"a bias of shape {c.shape} does not match {w.shape[1]} outputs")
            params["bias"] = (exact_array(c.reshape(-1), name), name)
            target = bias_add
        x = self._linear_input(node, params)
        self.add(target, Dense(w.shape[1], bias="bias" in params), (x,), params, named=node)

    def _linear_input(self, node: Any, params: dict, padded: bool = False) -> str:
        """Input 0 of a Conv, Gemm or MatMul; an affine map by constants before it folds into ``params``."""
        x, pending = self.affine_input(node)
        if pending is not None:
            weight = exact_array(params["weight"][0], node.name)
            bias = exact_array(params["bias"][0], node.name) if "bias" in params else None
            weight, bias = self.fold_before(node, pending, weight, bias, padded)
            note = f" ({pending.describe()} folded in)"
            params["weight"] = (weight, params["weight"][1] + note)
            if bias is not None:
                params["bias"] = (bias, params["bias"][1] + note if "bias" in params else "0" + note)
        return x

    def _add(self, node: Any) -> None:
        if any(name in self.constants for name in node.input):
            self.affine_op(node)  # folded into a neighbouring Conv, Gemm or MatMul, or refused
            return
        self.add(node, Add(), (self.tensor(node, 0), self.tensor(node, 1)))

    def _pads(self, node: Any, a: dict, dims: int, extra: Any = None) -> tuple[tuple[int, int], ...]:
        """The node's explicit pads per spatial axis, plus the ``extra`` pads of a Pad folded into it."""
        if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", b"VALID", "NOTSET", "VALID"):
            raise self.refuse(node, f"auto_pad={a['auto_pad']!r} is not supported; export with explicit pads")
        pads = list(a.get("pads", [0] * (2 * dims)))
        extra = extra or ((0, 0),) * dims
        if len(extra) != dims:
            raise self.refuse(node, f"a Pad of {len(extra)} spatial axes meets a {dims}-D window")
        return tuple((pads[i] + extra[i][0], pads[i + dims] + extra[i][1]) for i in range(dims))

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
        affine = node.input[0] in self.pending_affine
        x, extra = (None, None) if affine else self.padded_input(node)  # a zero Pad adds to its padding
        try:
            layer = Conv(
                int(w.shape[0]),
                tuple(int(k) for k in w.shape[2:]),
                stride=tuple(a.get("strides", [1] * dims)),
                padding=self._pads(node, a, dims, extra),
                dilation=tuple(a.get("dilations", [1] * dims)),
                bias="bias" in params,
            )
        except SpecificationError as error:
            raise self.refuse(node, str(error)) from None
        if affine:  # (x - mean) / std before it: into its weights (and its bias, if unpadded)
            x = self._linear_input(node, params, padded=any(p != (0, 0) for p in normalised(layer.padding)))
            layer = dataclasses.replace(layer, bias="bias" in params)
        assert x is not None
        self.add(node, layer, (x,), params)

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
        if self.attributes(node).get("allowzero", 0):
            raise self.refuse(node, "allowzero=1 is not supported")
        if len(node.input) < 2 or node.input[1] not in self.constants:
            self.constant(node, 1, "target shape")  # refuses: missing, or computed from the input
        shape = list(self.constants[node.input[1]].ravel())
        source = (BATCH, *self.shapes[x])
        size = math.prod(self.shapes[x])
        if any(v is not BATCH and int(v) == 0 and i >= len(source) for i, v in enumerate(shape)):
            raise self.refuse(node, f"target shape {shape} copies (0) an axis the input {source} lacks")
        target: list[Any] = [
            source[i] if v is not BATCH and int(v) == 0 else v if v is BATCH else int(v)
            for i, v in enumerate(shape)
        ]
        head, rest = (target[0], target[1:]) if target else (None, [])
        known = math.prod(v for v in rest if v is not BATCH and v != -1)
        keeps_batch = (
            head is BATCH
            or (head is not None and head == self.batch_dim)
            or (head == -1 and -1 not in rest and known == size)
        )
        if not keeps_batch or any(v is BATCH or v < -1 or v == 0 for v in rest) or rest.count(-1) > 1:
            raise self.refuse(
                node, f"target shape {target} must keep the batch axis N first (input {source}, N open)"
            )
        if -1 in rest:
            if known == 0 or size % known:
                raise self.refuse(node, f"target shape {target} does not divide the input {source}")
            rest[rest.index(-1)] = size // known
        if math.prod(rest) != size:
            raise self.refuse(node, f"target shape {target} does not hold the input {source}")
        self.add(node, Reshape(tuple(rest)), (x,))

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
        x, pad = self.padded_input(node)  # a zero Pad before an AveragePool: its zeros are counted
        include = bool(a.get("count_include_pad", 0))
        if pad is not None and any(pad_ != (0, 0) for pad_ in pad):
            if not include and any(p != 0 for p in a.get("pads", [])):
                raise self.refuse(
                    node, "a zero Pad before it and its own pads with count_include_pad=0 mix two countings"
                )
            include = True
        extra = {"count_include_pad": include} if cls is AveragePool else {}
        try:
            layer = cls(
                kernel,
                stride=tuple(a.get("strides", [1] * len(kernel))),
                padding=self._pads(node, a, len(kernel), pad),
                **extra,
            )
        except SpecificationError as error:
            raise self.refuse(node, str(error)) from None
        self.add(node, layer, (x,))

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
        if node.input[0] in self.constants:  # a constant passed through (folded at import)
            self.constants[node.output[0]] = self.constants[node.input[0]]
        else:
            self.tensors[node.output[0]] = self.tensor(node)
