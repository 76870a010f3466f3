"""The checker's own reading of a layer graph (a certificate's ``network.graph``): layers, shapes, parameters.

Nothing here comes from the prover: the record is read field by field, each layer type's shape rule
and parameter shapes are stated again for the checker, and every parameter is read as exact
rationals of the shape the rule gives. A record that does not fit is a
:class:`~symcert.checker.reading.CertificateFormatError` naming what was expected.

>>> g = read_graph({"format": "symcert-graph", "version": 1, "input_name": "x", "input_shape": [1, 4, 4],
...     "nodes": [{"name": "c", "inputs": ["x"], "layer": {"type": "Conv", "channels": 2, "kernel": [3, 3],
...     "stride": [1, 1], "padding": [[1, 1], [1, 1]], "dilation": [1, 1], "bias": True}},
...     {"name": "g", "inputs": ["c"], "layer": {"type": "GlobalAveragePool"}}]})
>>> g.shapes["c"], g.parameters["c.weight"]
((2, 4, 4), (2, 1, 3, 3))
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from symcert.checker.reading import CertificateFormatError, field, integer, keys, rational
from symcert.limits import MAX_LAYERS, MAX_POINTS, MAX_WIDTH

__all__ = ["GraphNode", "CheckedGraph", "read_graph", "read_tensor", "ACTIVATIONS"]

#: The activations a graph's Activation layer may name (leaky_relu with its slope, ``leaky_relu:p/q``).
ACTIVATIONS = ("identity", "relu", "leaky_relu", "tanh", "sigmoid", "softplus", "square", "cube")

Shape = tuple[int, ...]
#: The largest size, kernel or channel count read (a layer graph's tensors are bounded by MAX_WIDTH^2).
_LARGEST = MAX_WIDTH * MAX_WIDTH


@dataclass(frozen=True)
class GraphNode:
    """One node: its name, the tensors it reads, its layer type and the layer's fields (as read)."""

    name: str
    inputs: tuple[str, ...]
    type: str
    fields: dict[str, Any]


@dataclass(frozen=True)
class CheckedGraph:
    """A graph as the checker read it: nodes in order, every tensor's shape, every parameter's shape."""

    input_name: str
    input_shape: Shape
    nodes: tuple[GraphNode, ...]
    shapes: dict[str, Shape]
    parameters: dict[str, Shape]

    @property
    def output(self) -> str:
        return self.nodes[-1].name

    @property
    def n_parameters(self) -> int:
        return sum(math.prod(s) for s in self.parameters.values())


def _ints(value: Any, where: str, low: int = 1) -> tuple[int, ...]:
    """A non-empty list of JSON integers from ``low`` up (sizes, kernels, axes)."""
    if not isinstance(value, list) or not value or len(value) > MAX_LAYERS:
        raise CertificateFormatError(f"{where} must be a short list of integers >= {low}")
    return tuple(integer(v, where, low, _LARGEST) for v in value)


def _int(value: Any, where: str, low: int = 1) -> int:
    return integer(value, where, low, _LARGEST)


def _pads(value: Any, dims: int, where: str) -> tuple[tuple[int, ...], ...]:
    pairs = value if isinstance(value, list) and len(value) == dims else None
    if pairs is None or not all(isinstance(p, list) and len(p) == 2 for p in pairs):
        raise CertificateFormatError(f"{where} must be {dims} pairs [begin, end], got {str(value)[:60]}")
    return tuple(_ints(pair, where, 0) for pair in pairs)


def _flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise CertificateFormatError(f"{where} must be true or false, got {str(value)[:40]}")
    return value


def _window(spatial: Shape, f: dict, where: str) -> Shape:
    out = []
    for n, k, s, (b, e), d in zip(spatial, f["kernel"], f["stride"], f["padding"], f["dilation"]):
        span = n + b + e - d * (k - 1) - 1
        if span < 0:
            raise CertificateFormatError(f"{where}: the window does not fit the input {spatial}")
        out.append(span // s + 1)
    return tuple(out)


#: The fields each layer type's record may hold besides ``type`` (a missing one is refused where read).
_WINDOW = {"kernel", "stride", "padding", "dilation"}
_FIELDS: dict[str, set[str]] = {
    "Dense": {"features", "bias"},
    "Conv": _WINDOW | {"channels", "bias"},
    "AveragePool": _WINDOW | {"count_include_pad"},
    "MaxPool": _WINDOW,
    "GlobalAveragePool": set(),
    "Flatten": set(),
    "Reshape": {"shape"},
    "Transpose": {"perm"},
    "Add": set(),
    "Activation": {"name"},
    "Softmax": {"axis"},
    "LayerNorm": {"axis", "epsilon", "bias"},
    "BatchNorm": {"epsilon"},
}


def _read_layer(kind: str, layer: dict, ins: list[Shape], where: str) -> tuple[dict, Shape, dict]:
    """The layer's fields, output shape and parameter shapes (the checker's own rules)."""
    if kind in _FIELDS:
        # An unknown field is refused, not ignored: the checker would check another function than the
        # record states (a Conv's "groups", an AveragePool's "ceil_mode"; see the pooling dilation below).
        keys(layer, {"type"}, _FIELDS[kind], where)
    x = ins[0]
    if kind == "Dense":
        f: dict[str, Any] = {
            "features": _int(layer.get("features"), f"{where}.features"),
            "bias": _flag(layer.get("bias"), where),
        }
        params: dict[str, tuple[int, ...]]
        params = {"weight": (f["features"], x[-1])} | ({"bias": (f["features"],)} if f["bias"] else {})
        return f, (*x[:-1], f["features"]), params
    if kind in ("Conv", "AveragePool", "MaxPool"):
        kernel = _ints(layer.get("kernel"), f"{where}.kernel")
        dims = len(kernel)
        if len(x) != dims + 1:
            raise CertificateFormatError(f"{where}: a {dims}-D window needs (channels, *spatial), got {x}")
        f = {
            "kernel": kernel,
            "stride": _ints(layer.get("stride"), f"{where}.stride"),
            "padding": _pads(layer.get("padding"), dims, f"{where}.padding"),
            "dilation": _ints(layer.get("dilation", [1] * dims), f"{where}.dilation"),
        }
        if len(f["stride"]) != dims or len(f["dilation"]) != dims:
            raise CertificateFormatError(f"{where}: stride and dilation need {dims} entries")
        if kind != "Conv" and any(d != 1 for d in f["dilation"]):
            # Pooling has no dilation (the prover writes none). Refused rather than read: the shape rule
            # would use it while forward.py and fast.py pool undilated windows and exact.py dilated
            # ones, so a critical_pair certificate could check L(A) = 0 on one function and phi'(t0) on
            # another (a convex least-squares loss was accepted as non-convex that way).
            raise CertificateFormatError(f"{where}: pooling takes no dilation (give [1, ...] or omit it)")
        spatial = _window(x[1:], f, where)
        if kind == "Conv":
            f["channels"] = _int(layer.get("channels"), f"{where}.channels")
            f["bias"] = _flag(layer.get("bias"), f"{where}.bias")
            params = {"weight": (f["channels"], x[0], *kernel)}
            params |= {"bias": (f["channels"],)} if f["bias"] else {}
            return f, (f["channels"], *spatial), params
        if any(max(p) >= k for p, k in zip(f["padding"], kernel)):
            raise CertificateFormatError(f"{where}: pooling padding must be smaller than the kernel")
        if kind == "AveragePool":
            f["count_include_pad"] = _flag(layer.get("count_include_pad"), f"{where}.count_include_pad")
        return f, (x[0], *spatial), {}
    if kind == "GlobalAveragePool":
        return {}, (x[0],) + (1,) * (len(x) - 1), {}
    if kind == "Flatten":
        return {}, (math.prod(x),), {}
    if kind == "Reshape":
        shape = _ints(layer.get("shape"), f"{where}.shape")
        if math.prod(shape) != math.prod(x):
            raise CertificateFormatError(f"{where}: cannot reshape {x} to {shape}")
        return {"shape": shape}, shape, {}
    if kind == "Transpose":
        perm = _ints(layer.get("perm"), f"{where}.perm", 0)
        if sorted(perm) != list(range(len(x))):
            raise CertificateFormatError(f"{where}: perm {perm} does not permute the axes of {x}")
        return {"perm": perm}, tuple(x[p] for p in perm), {}
    if kind == "Add":
        if ins[1] != x:
            raise CertificateFormatError(f"{where}: Add needs two inputs of one shape, got {x} and {ins[1]}")
        return {}, x, {}
    if kind == "Activation":
        name = layer.get("name")
        base, _, slope = name.partition(":") if isinstance(name, str) else ("", "", "")
        if base not in ACTIVATIONS or (base == "leaky_relu") != bool(slope):
            raise CertificateFormatError(f"{where}: unknown activation {str(name)[:40]!r}")
        return {"name": base, "slope": rational(slope, f"{where}.name") if slope else None}, x, {}
    if kind in ("Softmax", "LayerNorm"):
        axis = integer(layer.get("axis"), f"{where}.axis", -len(x), len(x) - 1)
        if kind == "Softmax":
            return {"axis": axis % len(x)}, x, {}
        start = axis % len(x)
        f = {
            "start": start,
            "epsilon": _epsilon(layer, where),
            "bias": _flag(layer.get("bias"), f"{where}.bias"),
        }
        params = {"scale": x[start:]} | ({"bias": x[start:]} if f["bias"] else {})
        return f, x, params
    if kind == "BatchNorm":
        c = (x[0],)
        return {"epsilon": _epsilon(layer, where)}, x, {"scale": c, "bias": c, "mean": c, "var": c}
    raise CertificateFormatError(f"{where}: unknown layer type {str(kind)[:40]!r}")


def _epsilon(layer: dict, where: str) -> Fraction:
    eps = rational(layer.get("epsilon"), f"{where}.epsilon")
    if eps < 0:
        raise CertificateFormatError(f"{where}.epsilon must be >= 0")
    return eps


def read_graph(record: Any) -> CheckedGraph:
    """The graph record of a certificate, validated by the checker's own shape rules."""
    if not isinstance(record, dict) or record.get("format") != "symcert-graph":
        raise CertificateFormatError("network.graph must be a symcert-graph record (format symcert-graph)")
    integer(record.get("version"), "network.graph.version", 1, 1)
    input_name = record.get("input_name", "x")
    shape = _ints(record.get("input_shape"), "network.graph.input_shape")
    if not isinstance(input_name, str) or not isinstance(record.get("nodes"), list) or not record["nodes"]:
        raise CertificateFormatError("network.graph needs an input_name and a non-empty list of nodes")
    shapes: dict[str, Shape] = {input_name: shape}
    params: dict[str, Shape] = {}
    nodes = []
    for i, entry in enumerate(record["nodes"]):
        where = f"network.graph.nodes[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("layer"), dict):
            raise CertificateFormatError(f"{where} must be an object with name, inputs and layer")
        name, inputs, layer = entry.get("name"), entry.get("inputs"), entry["layer"]
        if not isinstance(name, str) or not name or "." in name or name in shapes:
            raise CertificateFormatError(f"{where}.name must be a new name without '.', got {str(name)[:40]}")
        arity = 2 if layer.get("type") == "Add" else 1
        if not isinstance(inputs, list) or len(inputs) != arity or any(s not in shapes for s in inputs):
            raise CertificateFormatError(f"{where}.inputs must name {arity} earlier tensor(s)")
        fields, out, local = _read_layer(layer.get("type"), layer, [shapes[s] for s in inputs], where)
        shapes[name] = out
        params.update({f"{name}.{k}": v for k, v in local.items()})
        nodes.append(GraphNode(name, tuple(inputs), layer["type"], fields))
    return CheckedGraph(input_name, shape, tuple(nodes), shapes, params)


def read_header(record: dict, top: set[str]) -> tuple[dict, CheckedGraph]:
    """The checks every graph certificate starts with: its keys (``top``, plus optional ``notes`` and
    ``prover``), schema and version; then its ``network`` section and the graph read from it."""
    keys(record, top, {"notes", "prover"}, "certificate")
    if record["schema"] != "symcert-certificate":
        raise CertificateFormatError("schema must be 'symcert-certificate'")
    integer(record["version"], "version", 1, 1)
    network = field(record, "network", dict, "certificate")
    keys(network, {"graph", "output_activation"}, set(), "network")
    return network, read_graph(network["graph"])


def read_claims(record: dict, names: Any) -> dict[str, tuple[Fraction, Fraction]]:
    """The certificate's claimed ``enclosures``: each a name from ``names`` as ``[lower, upper]``.

    >>> read_claims({"enclosures": {"gap": ["1/2", "1"]}}, ("gap",))
    {'gap': (Fraction(1, 2), Fraction(1, 1))}
    """
    claimed = {}
    for name, pair in field(record, "enclosures", dict, "certificate").items():
        if name not in names or not isinstance(pair, list) or len(pair) != 2:
            raise CertificateFormatError(
                f"enclosures.{str(name)[:20]} must be one of {names} as [lower, upper]"
            )
        claimed[name] = (rational(pair[0], f"enclosures.{name}"), rational(pair[1], f"enclosures.{name}"))
    return claimed


def read_factor(loss: dict) -> Fraction:
    """The loss's ``factor`` (default 1), which must be positive."""
    factor = rational(loss.get("factor", "1"), "loss.factor")
    if factor <= 0:
        raise CertificateFormatError("loss.factor must be > 0")
    return factor


def read_data_size(record: dict, graph: CheckedGraph) -> tuple[dict, int, Shape]:
    """The ``data`` section, its number of points (1 to ``MAX_POINTS``) and the graph's output shape, a
    vector per example."""
    data = field(record, "data", dict, "certificate")
    keys(data, {"xs", "ys"}, set(), "data")
    n = len(data["xs"]) if isinstance(data["xs"], list) else 0
    if not 1 <= n <= MAX_POINTS:
        raise CertificateFormatError(f"data.xs must hold 1 to {MAX_POINTS} inputs")
    out = graph.shapes[graph.output]
    if len(out) != 1:
        raise CertificateFormatError(f"the graph's output must be a vector per example, got shape {out}")
    return data, n, out


def read_tensor(values: Any, shape: Shape, where: str, seen: dict[str, Fraction] | None = None) -> Any:
    """Nested lists of exact rationals (strings) of exactly ``shape``, as nested lists of ``Fraction``.

    ``seen`` (optional) holds the strings already read, shared across calls: two points that agree
    in most entries (``A`` and a permuted ``B``) then parse each shared string once."""
    if not shape:
        return rational(values, where)
    return _tensor(values, shape, where, {} if seen is None else seen)


def _tensor(values: Any, shape: Shape, where: str, seen: dict[str, Fraction]) -> Any:
    """:func:`read_tensor` with the strings read so far (data repeat few values; a ``Fraction`` is
    immutable, so sharing one is safe)."""
    if not isinstance(values, list) or len(values) != shape[0]:
        raise CertificateFormatError(f"{where} must have shape {shape}")
    if len(shape) > 1:
        return [_tensor(v, shape[1:], where, seen) for v in values]
    out = []
    for v in values:
        if type(v) is str:  # exactly a JSON string (an unquoted number is refused by rational)
            known = seen.get(v)
            if known is None:
                known = seen[v] = rational(v, where)
            out.append(known)
        else:
            out.append(rational(v, where))
    return out
