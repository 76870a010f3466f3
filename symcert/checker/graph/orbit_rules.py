r"""The checker's own proof that a stated permutation group leaves a layer graph's function unchanged.

An orbit certificate states its group as a list of *members*: axes of tensors and of parameters, each
acted on by ``I_outer (x) P (x) I_inner`` for one permutation ``P`` of ``n`` channels. The checker
does not re-derive the group; it checks, node by node, a local rule stated here again for each layer
type: if the node's inputs are permuted as their members say (or not at all) and its parameters as
theirs say, its output is permuted as its member says (or not at all). Composing the nodes in order,
and requiring the graph's input and output to carry no member, gives ``f(x; g theta) = f(x; theta)``
for every input, every ``theta`` and every ``P``: the loss on any data is unchanged.

The rules (anything else that the group touches is refused, so an unknown case is never accepted):

- ``Dense``: the input's last axis goes with the weight's axis 1, the output's with the weight's axis 0
  and the bias (``P W Q^T Q x + P b = P (W x + b)``), with the same ``outer`` and ``inner``;
- ``Conv``: the same with the channel axis 0 of input and output and the weight's axes 1 and 0;
- elementwise activations, ``Add`` (both inputs), pooling and global pooling on the channel axis: the
  output carries exactly the input's member;
- ``BatchNorm``: the channel axis 0 with all four vectors, alike;
- ``LayerNorm``: the output carries the input's member; on a normalised axis the scale and shift are
  permuted alike (the mean and variance over the normalised axes are symmetric functions);
- ``Flatten``: a member on axis ``a`` of a ``(d_0, ..., d_k)`` tensor becomes axis 0 with ``outer``
  times ``d_0 ... d_(a-1)`` and ``inner`` times ``d_(a+1) ... d_k`` (row-major order).

>>> from symcert.checker.graph.spec import read_graph
>>> g = read_graph({"format": "symcert-graph", "version": 1, "input_shape": [1],
...     "nodes": [{"name": "fc1", "inputs": ["x"], "layer": {"type": "Dense", "features": 2, "bias": True}},
...     {"name": "t", "inputs": ["fc1"], "layer": {"type": "Activation", "name": "tanh"}},
...     {"name": "fc2", "inputs": ["t"], "layer": {"type": "Dense", "features": 1, "bias": True}}]})
>>> m = [["tensor", "fc1", 0], ["tensor", "t", 0], ["param", "fc1.weight", 0], ["param", "fc1.bias", 0],
...      ["param", "fc2.weight", 1]]
>>> m = [{"kind": k, "name": n, "axis": a, "outer": 1, "inner": 1} for k, n, a in m]
>>> invariance_problems(g, 2, m)
[]
>>> print(invariance_problems(g, 2, m[:-1])[0].replace(" (outer 1, inner 1)", ""))
node fc2: the weight axis 1 is permuted as nothing; the rule (from the input t) needs axis 1
"""

from __future__ import annotations

import math
from typing import Any

from symcert.checker.graph.spec import CheckedGraph
from symcert.checker.reading import CertificateFormatError, integer
from symcert.limits import MAX_WIDTH

__all__ = ["read_members", "invariance_problems", "tied_axes"]

#: (axis, outer, inner) of a member; None when the tensor or parameter axis is not permuted.
Slot = tuple[int, int, int] | None
_ELEMENTWISE = ("Activation", "AveragePool", "MaxPool", "GlobalAveragePool")


def read_members(
    graph: CheckedGraph, size: int, record: Any
) -> dict[tuple[str, str], list[tuple[int, int, int]]]:
    """The members as ``(kind, name) -> [(axis, outer, inner), ...]``, each checked against the shapes."""
    if not isinstance(record, list) or not record:
        raise CertificateFormatError("parameters.members must be a non-empty list of axes")
    out: dict[tuple[str, str], list[tuple[int, int, int]]] = {}
    for i, m in enumerate(record):
        where = f"parameters.members[{i}]"
        if not isinstance(m, dict) or set(m) != {"kind", "name", "axis", "outer", "inner"}:
            raise CertificateFormatError(f"{where} must have kind, name, axis, outer and inner")
        kind, name = m["kind"], m["name"]
        shapes = graph.shapes if kind == "tensor" else graph.parameters if kind == "param" else None
        if shapes is None or not isinstance(name, str) or name not in shapes:
            raise CertificateFormatError(f"{where} must name a tensor or parameter of the graph")
        shape = shapes[name]
        axis = integer(m["axis"], f"{where}.axis", 0, len(shape) - 1)
        outer = integer(m["outer"], f"{where}.outer", 1, MAX_WIDTH * MAX_WIDTH)
        inner = integer(m["inner"], f"{where}.inner", 1, MAX_WIDTH * MAX_WIDTH)
        if outer * size * inner != shape[axis]:
            raise CertificateFormatError(
                f"{where}: outer {outer} x size {size} x inner {inner} is not the length {shape[axis]} of "
                f"{name}'s axis {axis}"
            )
        slots = out.setdefault((kind, name), [])
        if any(s[0] == axis for s in slots):
            raise CertificateFormatError(f"{where}: {name}'s axis {axis} is listed twice")
        slots.append((axis, outer, inner))
    return out


def tied_axes(
    members: dict[tuple[str, str], list[tuple[int, int, int]]],
) -> dict[str, list[tuple[int, int, int]]]:
    """The parameters' permuted axes, by parameter name."""
    return {name: slots for (kind, name), slots in members.items() if kind == "param"}


def invariance_problems(graph: CheckedGraph, size: int, record: Any) -> list[str]:
    """Why the stated group is not shown to leave the graph's function unchanged ([]: it is)."""
    members = read_members(graph, size, record)
    problems: list[str] = []
    for (kind, name), slots in members.items():
        if kind == "tensor" and len(slots) > 1:
            problems.append(f"tensor {name}: more than one permuted axis (not a rule the checker knows)")
    for name in (graph.input_name, graph.output):
        if ("tensor", name) in members:
            problems.append(
                f"the graph's {'input' if name == graph.input_name else 'output'} {name} is permuted"
            )

    def tensor(name: str) -> Slot:
        slots = members.get(("tensor", name))
        return slots[0] if slots else None

    def param(name: str, axis: int) -> Slot:
        return next((s for s in members.get(("param", name), []) if s[0] == axis), None)

    for node in graph.nodes:
        problems += _node_problems(graph, node, tensor, param, members)
    return problems


def _node_problems(graph: CheckedGraph, node: Any, tensor: Any, param: Any, members: dict) -> list[str]:
    ins = [tensor(s) for s in node.inputs]
    out = tensor(node.name)
    prefix = node.name + "."
    own = {
        name[len(prefix) :]: slots
        for (kind, name), slots in members.items()
        if kind == "param" and name.startswith(prefix)
    }
    if not own and out is None and all(s is None for s in ins):
        return []
    where = f"node {node.name}"
    needs: list[tuple[str, Slot, Slot, str]] = []  # (what, as stated, as the rule needs, from what)
    checked: set[tuple[str, int]] = set()

    def want(local: str, axis: int, slot: Slot, source: str) -> None:
        if f"{node.name}.{local}" not in graph.parameters:
            return  # no bias: nothing to permute
        checked.add((local, axis))
        expected = None if slot is None else (axis, slot[1], slot[2])
        needs.append((f"the {local} axis {axis}", param(f"{node.name}.{local}", axis), expected, source))

    if node.type in ("Dense", "Conv"):
        x_axis = len(graph.shapes[node.inputs[0]]) - 1 if node.type == "Dense" else 0
        y_axis = len(graph.shapes[node.name]) - 1 if node.type == "Dense" else 0
        for slot, axis, what in ((ins[0], x_axis, "input"), (out, y_axis, "output")):
            if slot is not None and slot[0] != axis:
                return [
                    f"{where}: its {what} is permuted on axis {slot[0]}, which the {node.type} rule does "
                    "not carry"
                ]
        src = f"the input {node.inputs[0]}"
        want("weight", 1, ins[0], src)
        want("weight", 0, out, f"the output {node.name}")
        want("bias", 0, out, f"the output {node.name}")
    elif node.type == "BatchNorm":
        for slot in (ins[0], out):
            if slot is not None and slot[0] != 0:
                return [f"{where}: a batch norm carries its channel axis 0 only, got axis {slot[0]}"]
        if ins[0] != out:
            return [f"{where}: the output is permuted as {out}, the input as {ins[0]}; they must agree"]
        for local in ("scale", "bias", "mean", "var"):
            want(local, 0, out, f"the channels of {node.name}")
    elif node.type == "LayerNorm":
        if ins[0] != out:
            return [f"{where}: the output is permuted as {out}, the input as {ins[0]}; they must agree"]
        start = node.fields["start"]
        if out is not None and out[0] >= start:  # a normalised axis: the statistics are symmetric in it
            local_axis = out[0] - start
            for local in ("scale", "bias"):
                want(local, local_axis, out, f"the normalised axis {out[0]} of {node.name}")
    elif node.type in _ELEMENTWISE or node.type == "Add":
        if node.type != "Activation" and node.type != "Add" and out is not None and out[0] != 0:
            return [f"{where}: pooling carries the channel axis 0 only, got axis {out[0]}"]
        if any(s != out for s in ins):
            return [f"{where}: the output is permuted as {out}, the input(s) as {ins}; they must agree"]
    elif node.type == "Flatten":
        shape = graph.shapes[node.inputs[0]]
        expected = None
        if ins[0] is not None:
            a, o, i = ins[0]
            expected = (0, o * math.prod(shape[:a]), i * math.prod(shape[a + 1 :]))
        if out != expected:
            return [f"{where}: the output is permuted as {out}, but flattening gives {expected}"]
    else:
        return [f"{where}: the group reaches a {node.type} layer, for which the checker states no rule"]
    problems = [
        f"{where}: {what} is permuted as {_text(stated)}; the rule (from {source}) needs "
        f"{'it unpermuted' if need is None else _text(need)}"
        for what, stated, need, source in needs
        if stated != need
    ]
    for local, slots in own.items():
        for slot in slots:
            if (local, slot[0]) not in checked:
                problems.append(
                    f"{where}: {local} axis {slot[0]} is permuted, which no rule of {node.type} allows"
                )
    return problems


def _text(slot: Slot) -> str:
    return "nothing" if slot is None else f"axis {slot[0]} (outer {slot[1]}, inner {slot[2]})"
