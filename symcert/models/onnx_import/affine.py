"""Mul, Div, Sub and Add by a constant, folded exactly into the neighbouring Conv, Gemm or MatMul.

An exported model often scales and shifts by constants next to a linear layer: input normalisation
``(x - mean) / std`` before the first Conv, or a Mul of a per-channel constant after one. Each such op
is an affine map ``y = a x + d`` per channel, and a linear layer absorbs it exactly:

- after the layer (its output channels ``o``): ``W[o] -> a_o W[o]`` and ``b_o -> a_o b_o + d_o``;
- before it (its input channels ``c``): ``W[:, c] -> a_c W[:, c]`` and ``b -> b + sum W[:, c] d_c``, which
  holds only where the layer sees every shifted input: a Conv's zero padding sees zeros, not ``d``, so a
  shift folds into a padded Conv only when it is 0.

The parameters stay exact rationals (division by a float32 ``std`` is exact in ``Fraction``, not in
dyadics). A constant that varies along a spatial axis, an op between two computed tensors, a constant
numerator (``c / x``) and a map that reaches any other layer are refused in one line.

>>> scale, shift = np.array([Fraction(1, 2)], dtype=object), np.array([Fraction(-1)], dtype=object)
>>> PendingAffine("x", scale, shift, ("Sub", "n")).describe()
"Sub node 'n'"
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from symcert.models.onnx_import.folding import holds_batch
from symcert.symbolic.graph import exact_array

__all__ = ["AFFINE_OPS", "AffineFolding", "PendingAffine"]

#: The ops read as an affine map by a constant (Add of two computed tensors is a residual Add).
AFFINE_OPS = ("Mul", "Div", "Sub")

_ONE = Fraction(1)


@dataclass(frozen=True)
class PendingAffine:
    """``source * scale + shift`` (per-example arrays broadcast to its shape), not yet folded."""

    source: str
    scale: np.ndarray
    shift: np.ndarray
    first: tuple[str, str]  # the op and node name of the first op of the chain, for errors

    def describe(self) -> str:
        return f"{self.first[0]} node {self.first[1]!r}"


class AffineFolding:
    """The reader's methods for Mul, Div, Sub and Add by a constant, and the folds into layers."""

    if TYPE_CHECKING:  # the reader's state and helpers (reading._Reader), as a type checker sees them
        constants: dict[str, np.ndarray]
        shapes: dict[str, tuple[int, ...]]
        tensors: dict[str, str]
        used: dict[str, int]
        output_name: str
        nodes: list[Any]
        params: dict[str, np.ndarray]
        sources: dict[str, str]
        pending_affine: dict[str, PendingAffine]
        pending_pads: dict[str, Any]
        position: int
        consumers: dict[str, list[int]]

        def refuse(self, node: Any, why: str) -> Any: ...
        def tensor(self, node: Any, index: int = 0) -> str: ...
        def int_arithmetic(self, node: Any) -> None: ...

    # -- reading one op -------------------------------------------------------------------------------

    def _operands(self, node: Any) -> tuple[int, np.ndarray]:
        """The index of the computed operand and the constant, per example, as exact Fractions."""
        const = [i for i, name in enumerate(node.input[:2]) if name in self.constants]
        if len(const) != 1:
            raise self.refuse(
                node,
                "is read only with one computed operand and one constant (folded into a neighbouring "
                "Conv, Gemm or MatMul)",
            )
        k = const[0]
        value = self.constants[node.input[k]]
        if holds_batch(value):
            raise self.refuse(node, f"its constant {node.input[k]!r} depends on the batch size")
        return 1 - k, exact_array(value, node.name or node.output[0])

    def _per_example(self, node: Any, c: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        """The constant broadcast against ``(N, *shape)``, as an array of rank ``len(shape)``."""
        if c.ndim > len(shape) + 1 or (c.ndim == len(shape) + 1 and c.shape[0] != 1):
            raise self.refuse(
                node, f"a constant of shape {c.shape} does not broadcast per example over {shape}"
            )
        c = c.reshape(c.shape[1:]) if c.ndim == len(shape) + 1 else c
        c = c.reshape((1,) * (len(shape) - c.ndim) + c.shape)
        if any(c.shape[i] not in (1, shape[i]) for i in range(len(shape))):
            raise self.refuse(node, f"a constant of shape {c.shape} does not broadcast over {shape}")
        return c

    def affine_op(self, node: Any) -> None:
        """Mul, Div, Sub or Add (with a constant): fold into the layer before, else wait for the next."""
        if len(node.input) == 2 and all(name in self.constants for name in node.input):
            self.int_arithmetic(node)  # shape arithmetic on two constants, folded (or refused)
            return
        k, c = self._operands(node)
        name = node.input[k]
        pending = self.pending_affine.pop(name, None)
        source = pending.source if pending is not None else self.tensor(node, k)
        shape = self.shapes[source]
        c = self._per_example(node, c, shape)
        ones = np.full((1,) * len(shape), _ONE, dtype=object)
        scale = pending.scale if pending is not None else ones
        shift = pending.shift if pending is not None else ones * 0
        op = node.op_type
        if op == "Mul":
            scale, shift = scale * c, shift * c
        elif op == "Add":
            shift = shift + c
        elif op == "Sub":
            scale, shift = (scale, shift - c) if k == 0 else (-scale, c - shift)
        elif k == 1:
            raise self.refuse(node, "a constant divided by a computed tensor is not affine; it is not read")
        elif any(v == 0 for v in c.ravel()):
            raise self.refuse(node, "divides by zero")
        else:
            scale, shift = scale / c, shift / c
        out = node.output[0]
        if pending is None and self._fold_after(node, source, scale, shift):
            self.tensors[out] = source
            return
        if self.used.get(out) != 1 or out == self.output_name:
            raise self.refuse(
                node,
                f"{'an' if op == 'Add' else 'a'} {op} by a constant is read only where one Conv, Gemm or "
                "MatMul reads it (folded in)",
            )
        first = pending.first if pending is not None else (op, node.name or out)
        self.pending_affine[out] = PendingAffine(source, scale, shift, first)

    def _mul(self, node: Any) -> None:
        self.affine_op(node)

    def _div(self, node: Any) -> None:
        self.affine_op(node)

    def _sub(self, node: Any) -> None:
        self.affine_op(node)

    def affine_refusal(self, name: str, node: Any) -> Any:
        """The error for ``node`` reading an affine map by a constant that it cannot absorb."""
        what = self.pending_affine[name]
        return self.refuse(
            node,
            f"reads the output of {what.describe()}, {'an' if what.first[0] == 'Add' else 'a'} "
            f"{what.first[0]} by a constant that symcert folds "
            "only into a neighbouring Conv, Gemm or MatMul",
        )

    # -- into the layer before ------------------------------------------------------------------------

    def _producer(self, source: str) -> tuple[int, Any] | None:
        """The layer that computed ``source`` if nothing else reads it (so its parameters may change)."""
        found = [(i, n) for i, n in enumerate(self.nodes) if n.name == source]
        if not found or found[0][1].layer.kind not in ("Dense", "Conv"):
            return None
        if any(source in n.sources for n in self.nodes) or any(
            p.source == source for p in [*self.pending_pads.values(), *self.pending_affine.values()]
        ):
            return None  # another layer reads it, or will
        for alias, target in self.tensors.items():
            if target == source and (
                alias == self.output_name or any(i > self.position for i in self.consumers.get(alias, []))
            ):
                return None
        return found[0]

    def _fold_after(self, node: Any, source: str, scale: np.ndarray, shift: np.ndarray) -> bool:
        producer = self._producer(source)
        if producer is None:
            return False
        if any(n != 1 for n in (scale.shape[:-1] if producer[1].layer.kind == "Dense" else scale.shape[1:])):
            return False  # not per output channel
        i, built = producer
        a, d = scale.reshape(-1), shift.reshape(-1)
        channels = self.shapes[source][-1 if built.layer.kind == "Dense" else 0]
        a, d = np.broadcast_to(a, (channels,)), np.broadcast_to(d, (channels,))
        key = built.name
        w = self.params[f"{key}.weight"]
        self.params[f"{key}.weight"] = w * a.reshape((-1,) + (1,) * (w.ndim - 1))
        bias = self.params.get(f"{key}.bias")
        self.params[f"{key}.bias"] = (bias * a if bias is not None else a * 0) + d
        if not built.layer.bias:
            self.nodes[i] = dataclasses.replace(built, layer=dataclasses.replace(built.layer, bias=True))
            self.sources[f"{key}.bias"] = "0"
        for local in ("weight", "bias"):
            self.sources[f"{key}.{local}"] += f" ({node.op_type} {node.name or node.output[0]!r} folded in)"
        return True

    # -- into the layer after -------------------------------------------------------------------------

    def affine_input(self, node: Any) -> tuple[str, PendingAffine | None]:
        """Input 0 of a Conv, Gemm or MatMul: its graph tensor and the affine map before it, if any."""
        pending = self.pending_affine.pop(node.input[0], None)
        return (self.tensor(node), None) if pending is None else (pending.source, pending)

    def fold_before(
        self, node: Any, pending: PendingAffine, weight: np.ndarray, bias: np.ndarray | None, padded: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """``weight`` (``(out, in, *kernel)``) and ``bias`` of a layer reading ``pending``, exactly."""
        scale, shift = pending.scale, pending.shift
        dense = weight.ndim == 2
        along = scale.shape[:-1] + shift.shape[:-1] if dense else scale.shape[1:] + shift.shape[1:]
        if any(n != 1 for n in along):
            raise self.refuse(
                node,
                f"the {pending.describe()} before it varies along an axis it does not map per channel; "
                "it does not fold exactly",
            )
        channels = weight.shape[1]
        a = np.broadcast_to(scale.reshape(-1), (channels,))
        d = np.broadcast_to(shift.reshape(-1), (channels,))
        shape = (1, -1) + (1,) * (weight.ndim - 2)
        new_weight = weight * a.reshape(shape)
        if all(v == 0 for v in d):
            return new_weight, bias
        if padded:
            raise self.refuse(
                node,
                f"the shift of the {pending.describe()} before it meets this Conv's zero padding (which "
                "sees 0, not the shift): it does not fold exactly into the bias; drop the padding",
            )
        moved = (weight * d.reshape(shape)).reshape(weight.shape[0], -1).sum(axis=1)
        return new_weight, (moved if bias is None else bias + moved)
