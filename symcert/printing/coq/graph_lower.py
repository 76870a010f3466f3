"""A layer graph, lowered from its certificate record to explicit Coq real-number definitions.

Everything is read from the certificate's JSON record (``network.graph``, ``data``, ``loss``,
``points.A`` for the parameter names and shapes), so the proof file and the statement file that
checks it (:mod:`.graph_chord`) share this text and nothing the prover computed:

- the parameter record has one field per parameter entry, ``w_<tensor>_<index>`` (row-major);
- ``point_loss p x_0 ... y_0 ...`` is one data point's loss: every entry of every tensor is a
  ``let`` (a convolution as the explicit sum over its kernel window, the terms that fall in the zero
  padding left out; dense; average and global average pooling; batch norm in inference form with
  ``sqrt``; residual ``Add``; the activations), reindexing layers (``Flatten``, ``Reshape``,
  ``Transpose``) only rename entries;
- ``L p`` is the loss's scale times the sum of ``point_loss`` over the data (exact rationals).

>>> lowered = lower_graph({"network": {"graph": {"format": "symcert-graph", "version": 1,
...     "input_name": "x", "input_shape": [2], "nodes": [{"name": "fc", "inputs": ["x"],
...     "layer": {"type": "Dense", "features": 1, "bias": False}}]}, "output_activation": "identity"},
...     "loss": {"kind": "mse", "weight_decay": "0"}, "data": {"xs": [["1", "2"]], "ys": [["1/2"]]},
...     "points": {"A": {"fc.weight": [["1", "-1"]]}}})
>>> lowered.fields
['w_fc_weight_0_0', 'w_fc_weight_0_1']
>>> print(lowered.loss_definition().splitlines()[-1])
Definition L (p : params) : R := 1/1 * (point_loss p 1 2 (1/2)).
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from symcert.errors import SpecificationError

__all__ = ["LoweredGraph", "lower_graph", "coq_real", "entries", "shape_of", "ACTIVATION_DEFINITIONS"]

#: The activations a lowered graph uses, as Coq definitions (``tanh`` is the library's own).
ACTIVATION_DEFINITIONS = {
    "tanh": "",
    "sigmoid": "Definition sigmoid (u : R) : R := / (1 + exp (- u)).",
    "relu": "Definition relu (u : R) : R := (u + Rabs u) / 2.",
    "softplus": "Definition softplus (u : R) : R := ln (1 + exp u).",
    "square": "Definition square (u : R) : R := u ^ 2.",
    "cube": "Definition cube (u : R) : R := u ^ 3.",
}
_LOSSES = {"mse", "sse", "cross_entropy"}


def coq_real(value: Any) -> str:
    """An exact rational (a JSON string such as ``"-3/4"``) as a Coq real literal.

    >>> coq_real("-3/4"), coq_real(2), coq_real("1/2")
    ('(-3/4)', '2', '(1/2)')
    """
    q = Fraction(str(value))
    text = str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"
    return text if q >= 0 and q.denominator == 1 else f"({text})"


def entries(values: Any, shape: tuple[int, ...]) -> list[str]:
    """The nested lists of ``values`` flattened row-major (checked against ``shape``)."""
    flat: list[str] = []

    def walk(v: Any, depth: int) -> None:
        if depth == len(shape):
            flat.append(str(v))
            return
        if not isinstance(v, list) or len(v) != shape[depth]:
            raise SpecificationError(f"a tensor of the certificate does not have the shape {shape}")
        for item in v:
            walk(item, depth + 1)

    walk(values, 0)
    return flat


def shape_of(values: Any) -> tuple[int, ...]:
    shape = []
    while isinstance(values, list):
        shape.append(len(values))
        values = values[0] if values else None
    return tuple(shape)


def _ints(values: Any) -> tuple[int, ...]:
    """A JSON list of integers (plain, or the checker's reading of them as text) as a tuple of ints."""
    return tuple(int(v) for v in values)


def _strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(math.prod(shape[k + 1 :]) for k in range(len(shape)))


def _flat(index: tuple[int, ...], shape: tuple[int, ...]) -> int:
    return sum(i * s for i, s in zip(index, _strides(shape)))


def _sum(terms: list[str]) -> str:
    return " + ".join(terms) if terms else "0"


@dataclass
class LoweredGraph:
    """The Coq text of a graph's parameter record fields, one point's loss and the loss."""

    fields: list[str]
    tensors: dict[str, list[str]]  # parameter tensor -> its fields, row-major
    input_size: int
    n_outputs: int
    body: list[str]  # the lets of point_loss, then its final expression
    calls: list[str]  # point_loss p ... for each data point
    scale: Fraction
    activations: list[str]

    def point_loss(self) -> str:
        """``Definition point_loss (p : params) (x_0 ... y_0 ... : R) : R := let ... in ...``."""
        xs = " ".join(f"x_{k}" for k in range(self.input_size))
        ys = " ".join(f"y_{k}" for k in range(self.n_outputs))
        return f"Definition point_loss (p : params) ({xs} {ys} : R) : R :=\n  " + "\n  ".join(self.body) + "."

    def loss_definition(self) -> str:
        """The activations used, ``point_loss`` and ``L``."""
        out = [ACTIVATION_DEFINITIONS[a] for a in self.activations if ACTIVATION_DEFINITIONS[a]]
        out.append(self.point_loss())
        scale = f"{self.scale.numerator}/{self.scale.denominator}"
        out.append(f"Definition L (p : params) : R := {scale} * (" + "\n  + ".join(self.calls) + ").")
        return "\n\n".join(out)

    def unfold(self) -> str:
        """The names to unfold before ``interval`` evaluates the loss at an explicit point."""
        names = ["L", "point_loss"] + [a for a in self.activations if ACTIVATION_DEFINITIONS[a]]
        return ", ".join(names)


def _field_names(points: dict) -> tuple[list[str], dict[str, list[str]], dict[str, tuple[int, ...]]]:
    fields: list[str] = []
    tensors: dict[str, list[str]] = {}
    shapes: dict[str, tuple[int, ...]] = {}
    for name, values in points.items():
        shape = shape_of(values)
        stem = "w_" + re.sub(r"[^A-Za-z0-9]", "_", name)
        names = [
            stem + "".join(f"_{i}" for i in index) for index in itertools.product(*(range(n) for n in shape))
        ]
        tensors[name], shapes[name] = names, shape
        fields += names
    if len(set(fields)) != len(fields):
        raise SpecificationError("two parameter entries of the graph get the same Coq name; rename a node")
    return fields, tensors, shapes


class _Lowering:
    """Walks the nodes once, writing a ``let`` per computed entry (see the module text)."""

    def __init__(self, graph: dict, tensors: dict[str, list[str]], pshapes: dict) -> None:
        self.tensors, self.pshapes = tensors, pshapes
        self.lets: list[str] = []
        self.activations: list[str] = []
        shape = _ints(graph["input_shape"])
        self.values: dict[str, tuple[tuple[int, ...], list[str]]] = {
            graph["input_name"]: (shape, [f"x_{k}" for k in range(math.prod(shape))])
        }
        self.count = 0

    def param(self, node: str, key: str) -> list[str]:
        name = f"{node}.{key}"
        if name not in self.tensors:
            raise SpecificationError(f"the certificate's points have no parameter {name}")
        return [f"({f} p)" for f in self.tensors[name]]

    def emit(self, node: int, exprs: list[str]) -> list[str]:
        names = []
        for k, expr in enumerate(exprs):
            name = f"t{node}_{k}"
            self.lets.append(f"let {name} := {expr} in")
            names.append(name)
        return names

    def node(self, i: int, entry: dict) -> None:
        layer, name = entry["layer"], entry["name"]
        kind = layer["type"]
        shape, x = self.values[entry["inputs"][0]]
        if kind == "Dense":
            n, f = shape[-1], int(layer["features"])
            w = self.param(name, "weight")
            b = self.param(name, "bias") if layer["bias"] else None
            rows = math.prod(shape[:-1])
            exprs = [
                _sum(([b[j]] if b else []) + [f"{w[j * n + k]} * {x[r * n + k]}" for k in range(n)])
                for r in range(rows)
                for j in range(f)
            ]
            out = (*shape[:-1], f)
            self.values[name] = (out, self.emit(i, exprs))
        elif kind in ("Conv", "AveragePool"):
            self.window(i, name, kind, layer, shape, x)
        elif kind == "GlobalAveragePool":
            c, n = shape[0], math.prod(shape[1:])
            exprs = [f"({_sum(x[k * n : (k + 1) * n])}) / {n}" for k in range(c)]
            self.values[name] = ((c,) + (1,) * (len(shape) - 1), self.emit(i, exprs))
        elif kind == "Flatten":
            self.values[name] = ((len(x),), x)
        elif kind == "Reshape":
            self.values[name] = (_ints(layer["shape"]), x)
        elif kind == "Transpose":
            perm = _ints(layer["perm"])
            out = tuple(shape[p] for p in perm)
            moved = []
            for index in itertools.product(*(range(n) for n in out)):
                source = [0] * len(shape)
                for axis, p in enumerate(perm):
                    source[p] = index[axis]
                moved.append(x[_flat(tuple(source), shape)])
            self.values[name] = (out, moved)
        elif kind == "Add":
            _, y = self.values[entry["inputs"][1]]
            self.values[name] = (shape, self.emit(i, [f"{a} + {b}" for a, b in zip(x, y)]))
        elif kind == "Activation":
            self.values[name] = (shape, self.activation(i, layer["name"], x))
        elif kind == "BatchNorm":
            eps = coq_real(layer["epsilon"])
            s, b, m, v = (self.param(name, k) for k in ("scale", "bias", "mean", "var"))
            n = math.prod(shape[1:])
            exprs = [
                f"({u} - {m[k // n]}) * ({s[k // n]} / sqrt ({v[k // n]} + {eps})) + {b[k // n]}"
                for k, u in enumerate(x)
            ]
            self.values[name] = (shape, self.emit(i, exprs))
        else:
            raise SpecificationError(
                f"the Coq export of a layer graph has no {kind} layer (node {name}); "
                "check the JSON with symcert check CERT.json instead"
            )

    def activation(self, i: int, act: str, x: list[str]) -> list[str]:
        base, _, slope = act.partition(":")
        if base == "identity":
            return x
        if base == "leaky_relu":
            a = coq_real(slope)
            return self.emit(i, [f"((1 + {a}) * {u} + (1 - {a}) * Rabs {u}) / 2" for u in x])
        if base not in ACTIVATION_DEFINITIONS:
            raise SpecificationError(f"the Coq export of a layer graph has no activation {base}")
        if base not in self.activations:
            self.activations.append(base)
        return self.emit(i, [f"{base} {u}" for u in x])

    def window(self, i: int, name: str, kind: str, layer: dict, shape: tuple, x: list[str]) -> None:
        kernel, stride = _ints(layer["kernel"]), _ints(layer["stride"])
        pads = tuple(_ints(p) for p in layer["padding"])
        dilation = _ints(layer.get("dilation", [1] * len(kernel))) if kind == "Conv" else (1,) * len(kernel)
        spatial = shape[1:]
        out_sp = tuple(
            (n + b + e - d * (k - 1) - 1) // s + 1
            for n, k, s, (b, e), d in zip(spatial, kernel, stride, pads, dilation)
        )
        channels_in = shape[0]
        channels = int(layer["channels"]) if kind == "Conv" else channels_in
        w = self.param(name, "weight") if kind == "Conv" else []
        bias = self.param(name, "bias") if kind == "Conv" and layer["bias"] else None
        exprs = []
        for o in range(channels):
            for pos in itertools.product(*(range(n) for n in out_sp)):
                terms, count = [], 0
                for off in itertools.product(*(range(k) for k in kernel)):
                    at = tuple(
                        p * s + q * d - b for p, s, q, d, (b, _) in zip(pos, stride, off, dilation, pads)
                    )
                    inside = all(0 <= a < n for a, n in zip(at, spatial))
                    count += inside
                    if not inside:
                        continue  # the zero padding adds nothing
                    if kind == "Conv":
                        for c in range(channels_in):
                            wk = w[_flat((o, c, *off), (channels, channels_in, *kernel))]
                            terms.append(f"{wk} * {x[_flat((c, *at), shape)]}")
                    else:
                        terms.append(x[_flat((o, *at), shape)])
                if kind == "Conv":
                    exprs.append(_sum(([bias[o]] if bias else []) + terms))
                else:
                    divisor = math.prod(kernel) if layer["count_include_pad"] else count
                    exprs.append(f"({_sum(terms)}) / {divisor}")
        self.values[name] = ((channels, *out_sp), self.emit(i, exprs))


def _final(loss: str, output: str, z: list[str], ys: list[str]) -> str:
    """The point's loss from its logits ``z`` (before a final softmax or sigmoid) and targets."""
    if loss == "cross_entropy":
        lse = "ln (" + " + ".join(f"exp {u}" for u in z) + ")"
        total = "(" + " + ".join(ys) + ")"
        return f"{total} * {lse} - (" + " + ".join(f"{u} * {y}" for u, y in zip(z, ys)) + ")"
    if output == "sigmoid":
        f = [f"/ (1 + exp (- {u}))" for u in z]
    elif output == "softmax":
        denominator = " + ".join(f"exp {u}" for u in z)
        f = [f"exp {u} / ({denominator})" for u in z]
    else:
        f = z
    return " + ".join(f"({a} - {y}) ^ 2" for a, y in zip(f, ys))


def _output(nodes: list[dict], shapes_last: int) -> str:
    last = nodes[-1]["layer"]
    if last["type"] == "Softmax" and shapes_last == 1:
        return "softmax"
    if last["type"] == "Activation" and last["name"] == "sigmoid":
        return "sigmoid"
    return "identity"


def lower_graph(record: dict) -> LoweredGraph:
    """The Coq definitions of a graph chord certificate's loss (see the module text)."""
    graph, loss = record["network"]["graph"], record["loss"]
    kind = loss["kind"]
    if kind not in _LOSSES:
        raise SpecificationError(
            f"the Coq export of a layer graph supports mse, sse and cross_entropy, got {kind}"
        )
    if Fraction(str(loss.get("weight_decay", "0"))) != 0:
        raise SpecificationError("the Coq export of a layer graph needs weight_decay 0")
    fields, tensors, pshapes = _field_names(record["points"]["A"])
    nodes = graph["nodes"]
    lowering = _Lowering(graph, tensors, pshapes)
    out_rank = 1
    output = "identity"
    for i, entry in enumerate(nodes, start=1):
        if i == len(nodes):
            out_rank = len(lowering.values[entry["inputs"][0]][0])
            output = _output(nodes, out_rank)
            if output != "identity":
                break  # the loss reads the logits before a final softmax or sigmoid
        lowering.node(i, entry)
    logits_name = nodes[-1]["inputs"][0] if output != "identity" else nodes[-1]["name"]
    _, z = lowering.values[logits_name]
    m = len(z)
    ys = [f"y_{k}" for k in range(m)]
    body = [*lowering.lets, _final(kind, output, z, ys)]
    xs_data, ys_data = record["data"]["xs"], record["data"]["ys"]
    n = len(xs_data)
    input_shape = _ints(graph["input_shape"])
    calls = []
    for x, y in zip(xs_data, ys_data):
        args = [coq_real(v) for v in entries(x, input_shape)] + [coq_real(v) for v in entries(y, (m,))]
        calls.append("point_loss p " + " ".join(args))
    base = {"mse": Fraction(1, n * m), "sse": Fraction(1)}.get(kind, Fraction(1, n))
    scale = base * Fraction(str(loss.get("factor", "1")))
    activations = list(lowering.activations)
    return LoweredGraph(fields, tensors, math.prod(input_shape), m, body, calls, scale, activations)
