"""Constant folding at import: the int64 shape arithmetic exporters write, evaluated exactly.

PyTorch writes ``x.view(x.size(0), -1)`` as ``Shape -> Gather -> Unsqueeze -> Concat -> Reshape`` with
``Constant`` nodes, and ``torch.flatten(x, 1, 2)`` as ``Shape -> Slice -> Concat -> Reshape``. These
nodes compute no layer: their values follow from constants and from the static shape of a tensor, so
:class:`ShapeFolding` evaluates them once, at import, and the ``Reshape`` reads a known target shape.

The values are integer object arrays; the batch size, which the model leaves open, is the marker
:data:`BATCH` (``Shape`` of a tensor gives ``[BATCH, *shape]``). Only these ops fold (``Constant``,
``Shape``, ``Gather``, ``Unsqueeze``, ``Squeeze``, ``Concat``, ``Slice``, ``Cast`` between integer types,
``Identity``, and ``Add``, ``Sub``, ``Mul`` of two such constants), only on integer tensors
(``Constant`` and ``Identity`` also pass a float constant through unchanged); nothing is executed and
nothing else is computed. Anything else is refused in one line naming the op and its node.

>>> shape = np.array([BATCH, 4, 3, 3], dtype=object)
>>> np.take(shape, 0), np.concatenate([shape[:1], [-1]]).tolist()
(N, [N, -1])
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

__all__ = ["BATCH", "FOLDED_OPS", "ShapeFolding", "holds_batch"]

#: The ops evaluated at import (shape arithmetic), not mapped to layers.
FOLDED_OPS = ("Constant", "Shape", "Gather", "Unsqueeze", "Squeeze", "Concat", "Slice", "Cast")

_INT_TYPES = {7: "int64", 6: "int32"}  # TensorProto.INT64, TensorProto.INT32: the integer casts read


class _Batch:
    """The model's batch size: open (any ``N``), so it is carried as a marker, never a number."""

    _instance: _Batch | None = None

    def __new__(cls) -> _Batch:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "N"


#: The batch size in a folded shape tensor.
BATCH = _Batch()


def holds_batch(array: np.ndarray) -> bool:
    """Whether a folded value depends on the batch size.

    >>> holds_batch(np.array([BATCH, -1], dtype=object)), holds_batch(np.array([2, 3]))
    (True, False)
    """
    return array.dtype == object and any(v is BATCH for v in array.ravel())


def _ints(array: np.ndarray) -> np.ndarray:
    """An integer array as an object array of Python ints (the marker kept)."""
    out = np.empty(array.shape, dtype=object)
    for index, v in np.ndenumerate(array):
        out[index] = v if v is BATCH else int(v)
    return out


class ShapeFolding:
    """The folding methods of the reader (``_shape``, ``_gather``, ...), one per op of :data:`FOLDED_OPS`."""

    if TYPE_CHECKING:  # the reader's state and helpers (reading._Reader), as a type checker sees them
        opset: int
        constants: dict[str, np.ndarray]
        shapes: dict[str, tuple[int, ...]]
        tensors: dict[str, str]
        numpy_helper: Any
        pending_pads: dict[str, Any]
        pending_affine: dict[str, Any]

        def refuse(self, node: Any, why: str) -> Any: ...
        def attributes(self, node: Any) -> dict[str, Any]: ...

    def folded(self, node: Any, index: int, what: str, *, integer: bool = True) -> np.ndarray:
        """Input ``index`` of ``node`` as a known constant (an integer object array if ``integer``)."""
        if index >= len(node.input) or not node.input[index]:
            raise self.refuse(node, f"needs its {what} as input {index}")
        name = node.input[index]
        if name not in self.constants:
            raise self.refuse(
                node,
                f"is read only on constant int64 shape tensors (folded at import); its {what} "
                f"({name!r}) is computed from the model's input",
            )
        value = self.constants[name]
        if not integer:
            return value
        if value.dtype != object and value.dtype.kind not in "iu":
            raise self.refuse(
                node, f"folds only int64 shape arithmetic; its {what} ({name!r}) holds {value.dtype} values"
            )
        return _ints(value)

    def _optional(self, node: Any, index: int, what: str) -> list[int] | None:
        if index >= len(node.input) or not node.input[index]:
            return None
        value = self.folded(node, index, what)
        if holds_batch(value):
            raise self.refuse(node, f"its {what} depends on the batch size")
        return [int(v) for v in value.ravel()]

    def _axes(self, node: Any, index: int) -> list[int] | None:
        """The ``axes`` of Unsqueeze, Squeeze or Slice: an attribute before opset 13, else an input."""
        attr = self.attributes(node).get("axes")
        return [int(a) for a in attr] if attr is not None else self._optional(node, index, "axes")

    def _set(self, node: Any, value: Any) -> None:
        if not isinstance(value, np.ndarray):  # numpy gives a scalar for a 0-d result
            scalar = np.empty((), dtype=object)
            scalar[()] = value
            value = scalar
        self.constants[node.output[0]] = value

    def _constant(self, node: Any) -> None:
        a = self.attributes(node)
        if "value" in a:
            tensor = a["value"]
            if tensor.data_location == 1:  # TensorProto.EXTERNAL
                raise self.refuse(node, "its value is stored in an external file; save the model whole")
            value = self.numpy_helper.to_array(tensor)
        elif "value_int" in a or "value_ints" in a:
            value = np.array(a.get("value_int", a.get("value_ints")), dtype=np.int64)
        elif "value_float" in a or "value_floats" in a:
            value = np.array(a.get("value_float", a.get("value_floats")), dtype=np.float32)
        else:
            raise self.refuse(node, f"only numeric values are read, not {', '.join(a) or 'an empty value'}")
        if value.dtype.kind not in "biuf":
            raise self.refuse(node, f"only numeric values are read, not {value.dtype}")
        self._set(node, value)

    def _shape(self, node: Any) -> None:
        name = node.input[0]
        if name in self.constants:
            dims: list[Any] = list(self.constants[name].shape)
        elif name in self.tensors:
            dims = [BATCH, *self.shapes[self.tensors[name]]]
        elif name in self.pending_pads or name in self.pending_affine:
            raise self.refuse(node, f"reads {name!r}, a Pad or a map by constants that only a layer may read")
        else:
            raise self.refuse(node, f"reads {name!r}, which no earlier node computes")
        a = self.attributes(node)  # start and end (opset 15) slice the shape, clamped like Python's
        self._set(node, np.array(dims[a.get("start", 0) : a.get("end", len(dims))], dtype=object))

    def _gather(self, node: Any) -> None:
        data, indices = self.folded(node, 0, "data"), self.folded(node, 1, "indices")
        axis = int(self.attributes(node).get("axis", 0))
        if not -data.ndim <= axis < data.ndim:
            raise self.refuse(node, f"axis {axis} is out of range for data of rank {data.ndim}")
        n = data.shape[axis]
        if holds_batch(indices) or any(not -n <= int(i) < n for i in indices.ravel()):
            raise self.refuse(node, f"indices {indices.tolist()} are out of range for an axis of size {n}")
        self._set(node, np.take(data, indices.astype(np.int64), axis=axis))

    def _unsqueeze(self, node: Any) -> None:
        data, axes = self.folded(node, 0, "data"), self._axes(node, 1)
        rank = data.ndim + len(axes or [])
        wanted = sorted(a + rank if a < 0 else a for a in axes or [])
        if not axes or len(set(wanted)) != len(wanted) or any(not 0 <= a < rank for a in wanted):
            raise self.refuse(node, f"axes {axes} are missing, repeated or out of range for rank {rank}")
        for a in wanted:
            data = np.expand_dims(data, a)
        self._set(node, data)

    def _squeeze(self, node: Any) -> None:
        data, axes = self.folded(node, 0, "data"), self._axes(node, 1)
        if axes is None:
            axes = [i for i, n in enumerate(data.shape) if n == 1]
        wanted = {a + data.ndim if a < 0 else a for a in axes}
        if any(not 0 <= a < data.ndim or data.shape[a] != 1 for a in wanted):
            raise self.refuse(node, f"axes {axes} do not name axes of size 1 of shape {data.shape}")
        self._set(node, np.squeeze(data, axis=tuple(sorted(wanted))))

    def _concat(self, node: Any) -> None:
        parts = [self.folded(node, i, f"input {i}") for i in range(len(node.input))]
        axis = int(self.attributes(node).get("axis", 0))
        ranks = {p.ndim for p in parts}
        if len(ranks) != 1 or 0 in ranks or not -parts[0].ndim <= axis < parts[0].ndim:
            raise self.refuse(node, f"cannot join inputs of shapes {[p.shape for p in parts]} on axis {axis}")
        try:
            self._set(node, np.concatenate(parts, axis=axis))
        except ValueError:
            raise self.refuse(node, f"cannot join inputs of shapes {[p.shape for p in parts]}") from None

    def _slice(self, node: Any) -> None:
        data = self.folded(node, 0, "data")
        if self.opset < 10:
            a = self.attributes(node)
            starts, ends = list(a.get("starts", [])), list(a.get("ends", []))
            axes, steps = a.get("axes"), None
        else:
            starts = self._optional(node, 1, "starts") or []
            ends = self._optional(node, 2, "ends") or []
            axes, steps = self._optional(node, 3, "axes"), self._optional(node, 4, "steps")
        axes = list(range(len(starts))) if axes is None else [a + data.ndim if a < 0 else a for a in axes]
        steps = steps or [1] * len(starts)
        if (
            not len(starts) == len(ends) == len(axes) == len(steps)
            or any(not 0 <= a < data.ndim for a in axes)
            or len(set(axes)) != len(axes)
            or 0 in steps
        ):
            raise self.refuse(node, f"cannot read starts {starts}, ends {ends}, axes {axes}, steps {steps}")
        index: list[slice] = [slice(None)] * data.ndim
        for s, e, a, k in zip(starts, ends, axes, steps, strict=True):
            index[a] = slice(s, e, k)  # ONNX clamps starts and ends exactly as Python slicing does
        self._set(node, data[tuple(index)])

    def int_arithmetic(self, node: Any) -> None:
        """Add, Sub or Mul of two constant int64 tensors (``x.size(1) * x.size(2)``), exactly."""
        a, b = self.folded(node, 0, "input 0"), self.folded(node, 1, "input 1")
        if node.op_type not in ("Add", "Sub", "Mul"):
            raise self.refuse(node, "only Add, Sub and Mul of int64 shape tensors are folded")
        if holds_batch(a) or holds_batch(b):
            raise self.refuse(node, "arithmetic on the batch size is not read; keep it as its own axis")
        try:
            result = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply}[node.op_type](a, b)
        except ValueError:
            raise self.refuse(node, f"cannot broadcast shapes {a.shape} and {b.shape}") from None
        self._set(node, result)

    def _cast(self, node: Any) -> None:
        data = self.folded(node, 0, "input")
        to = int(self.attributes(node).get("to", 0))
        if to not in _INT_TYPES:
            raise self.refuse(node, f"only casts between int64 and int32 shape tensors are read, not to={to}")
        if to == 6 and any(v is not BATCH and not -(2**31) <= v < 2**31 for v in data.ravel()):
            raise self.refuse(node, "a value does not fit in int32")
        self._set(node, data)
