"""ONNX ops that make no layer of their own: inference-mode Dropout, and a zero Pad folded into the
padding of the Conv or AveragePool that reads it.

``Dropout`` at inference is the identity; a ``training_mode`` given as a true constant (or computed) is
refused. ``Pad`` with ``mode="constant"`` and value 0 on the spatial axes only, read by exactly one
``Conv`` (whose padding is zeros: the two add up) or ``AveragePool`` (which must then count the padded
zeros, ``count_include_pad=1``), is folded into that layer's padding. Anything else is refused in one
line: a ``MaxPool`` pads with minus infinity, not zero, and any other reader would see the zeros.

>>> from symcert.models.onnx_import.neighbours import PendingPad
>>> PendingPad("x", ((1, 1), (0, 2)), None).pads
((1, 1), (0, 2))
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

__all__ = ["NEIGHBOUR_OPS", "Neighbours", "PendingPad"]

#: The ops read into a neighbouring layer (or dropped, as inference-mode Dropout).
NEIGHBOUR_OPS = ("Dropout", "Pad")


@dataclass(frozen=True)
class PendingPad:
    """A Pad not yet folded: its ``source`` graph tensor, its spatial ``pads`` and its ONNX ``node``."""

    source: str
    pads: tuple[tuple[int, int], ...]
    node: Any


class Neighbours:
    """The reader's methods for Dropout and Pad, and the helper that folds a Pad into its reader."""

    if TYPE_CHECKING:  # the reader's state and helpers (reading._Reader), as a type checker sees them
        opset: int
        constants: dict[str, np.ndarray]
        shapes: dict[str, tuple[int, ...]]
        tensors: dict[str, str]
        used: dict[str, int]
        output_name: str
        pending_pads: dict[str, PendingPad]

        def refuse(self, node: Any, why: str) -> Any: ...
        def attributes(self, node: Any) -> dict[str, Any]: ...
        def constant(self, node: Any, index: int, what: str) -> np.ndarray: ...
        def tensor(self, node: Any, index: int = 0) -> str: ...

    def _unused_extra_outputs(self, node: Any) -> None:
        for extra in node.output[1:]:
            if extra and (self.used.get(extra) or extra == self.output_name):
                raise self.refuse(node, f"its extra output {extra!r} is used; symcert reads only the first")

    def _dropout(self, node: Any) -> None:
        a = self.attributes(node)
        if self.opset < 7 and not a.get("is_test", 0):
            raise self.refuse(node, "is_test=0 is training mode; export the model in eval() mode")
        if len(node.input) > 2 and node.input[2]:
            mode = self.constant(node, 2, "training_mode")
            if mode.size != 1 or bool(mode.ravel()[0]):
                raise self.refuse(node, "training_mode is true; export the model in eval() mode")
        self._unused_extra_outputs(node)
        self.tensors[node.output[0]] = self.tensor(node)  # inference: the identity

    def _pad(self, node: Any) -> None:
        a = self.attributes(node)
        mode = a.get("mode", b"constant")
        if mode not in (b"constant", "constant"):
            raise self.refuse(
                node,
                f"mode={mode.decode() if isinstance(mode, bytes) else mode} is not read; only zero padding",
            )
        x = self.tensor(node)
        rank = len(self.shapes[x]) + 1
        if self.opset < 11:
            pads, value = list(a.get("pads", a.get("paddings", []))), Fraction(a.get("value", 0.0))
            axes = list(range(rank))
        else:
            pads = [int(v) for v in self.constant(node, 1, "pads").ravel()]
            value = Fraction(0)
            if len(node.input) > 2 and node.input[2]:
                c = self.constant(node, 2, "constant_value")
                if c.size != 1:
                    raise self.refuse(node, f"constant_value must be a scalar, got shape {c.shape}")
                value = Fraction(float(c.ravel()[0]))
            axes = list(range(rank))
            if len(node.input) > 3 and node.input[3]:
                axes = [int(v) + rank if v < 0 else int(v) for v in self.constant(node, 3, "axes").ravel()]
        if value != 0:
            raise self.refuse(node, "only a zero constant_value is read (it folds into zero padding)")
        if len(pads) != 2 * len(axes) or any(p < 0 for p in pads):
            raise self.refuse(node, f"pads {pads} must give begin and end >= 0 for each of the axes {axes}")
        full = dict.fromkeys(range(rank), (0, 0))
        for i, axis in enumerate(axes):
            full[axis] = (pads[i], pads[i + len(axes)])
        if full[0] != (0, 0) or full.get(1, (0, 0)) != (0, 0) or rank < 3:
            raise self.refuse(node, f"pads {pads} pad the batch or channel axis; only spatial axes are read")
        out = node.output[0]
        if self.used.get(out) != 1 or out == self.output_name:
            raise self.refuse(
                node, "a Pad is read only when one Conv or AveragePool reads it (folded into its padding)"
            )
        self.pending_pads[out] = PendingPad(x, tuple(full[i] for i in range(2, rank)), node)

    def padded_input(self, node: Any) -> tuple[str, tuple[tuple[int, int], ...] | None]:
        """Input 0 of a Conv or pooling ``node``: its graph tensor, and the spatial pads of a Pad before."""
        pending = self.pending_pads.pop(node.input[0], None)
        if pending is None:
            return self.tensor(node), None
        if node.op_type == "MaxPool":
            raise self.refuse(
                pending.node,
                f"a zero Pad before MaxPool node {node.name or node.output[0]!r} is not read "
                "(MaxPool pads with minus infinity; use its pads attribute)",
            )
        return pending.source, pending.pads

    def pad_reader_refusal(self, name: str, node: Any) -> Any:
        """The error for ``node`` reading the output ``name`` of a Pad it cannot fold."""
        pad = self.pending_pads[name].node
        return self.refuse(
            pad,
            f"a Pad is read only directly before a Conv or AveragePool (folded into its padding); "
            f"here {node.op_type} node {node.name or node.output[0]!r} reads it",
        )
