"""A graph and its exact parameters as JSON-ready data, and back (for certificates and files).

The form is ``{"format": "symcert-graph", "version": 1, "input_shape": [...], "nodes": [...]}``; each
node is ``{"name", "inputs", "layer": {"type": "Conv", "channels": 4, ...}}`` with the layer's fields
as plain lists, numbers and strings (an exact rational as ``"p/q"``). Parameters are nested lists of
``"p/q"`` strings, so nothing is rounded.

>>> from symcert.symbolic.graph import Activation, Conv, Flatten, Dense, Graph, Node
>>> g = Graph((1, 4), [Node("c", Conv(2, (3,), padding=1)), Node("t", Activation("leaky_relu:1/8")),
...                    Node("f", Flatten()), Node("fc", Dense(1))])
>>> data = graph_to_dict(g)
>>> data["nodes"][0]["layer"]["padding"], data["nodes"][1]["layer"]
([[1, 1]], {'type': 'Activation', 'name': 'leaky_relu:1/8'})
>>> graph_from_dict(data) == g
True
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import numpy as np

from symcert.errors import SpecificationError
from symcert.symbolic.graph.base import Layer
from symcert.symbolic.graph.layers import LAYER_TYPES
from symcert.symbolic.graph.spec import Graph, Node, exact_array

__all__ = ["graph_to_dict", "graph_from_dict", "params_to_dict", "params_from_dict", "FORMAT", "VERSION"]

FORMAT, VERSION = "symcert-graph", 1


def _plain(value: Any) -> Any:
    if isinstance(value, Fraction):
        return str(value)
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


def _layer_to_dict(layer: Layer) -> dict[str, Any]:
    out: dict[str, Any] = {"type": layer.kind}
    assert dataclasses.is_dataclass(layer)  # every layer type is a frozen dataclass
    for f in dataclasses.fields(layer):
        if f.init:
            out[f.name] = _plain(getattr(layer, f.name))
    return out


def graph_to_dict(graph: Graph) -> dict[str, Any]:
    """The specification as JSON-ready data (see the module text)."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "input_name": graph.input_name,
        "input_shape": list(graph.input_shape),
        "nodes": [
            {"name": n.name, "inputs": list(n.sources), "layer": _layer_to_dict(n.layer)} for n in graph.nodes
        ],
    }


def graph_from_dict(data: Mapping[str, Any]) -> Graph:
    """The specification from :func:`graph_to_dict`'s data, validated as on construction.

    >>> graph_from_dict({"format": "symcert-graph", "version": 1, "input_shape": [2],
    ...                  "nodes": [{"name": "fc", "inputs": ["x"], "layer": {"type": "Gelu"}}]})
    Traceback (most recent call last):
    ...
    symcert.errors.SpecificationError: node 'fc': unknown layer type 'Gelu'; the types are Dense, \
Conv, AveragePool, GlobalAveragePool, MaxPool, Flatten, Reshape, Transpose, Add, Activation, Softmax, \
BatchNorm, LayerNorm
    """
    if not isinstance(data, Mapping) or data.get("format") != FORMAT or data.get("version") != VERSION:
        raise SpecificationError(
            f"a graph needs format {FORMAT!r} and version {VERSION}, got "
            f"{data.get('format') if isinstance(data, Mapping) else type(data).__name__!r}"
        )
    nodes = []
    for entry in data.get("nodes", []):
        name: Any = entry.get("name") if isinstance(entry, Mapping) else None  # Node checks it
        layer = dict(entry.get("layer", {})) if isinstance(entry, Mapping) else {}
        kind = layer.pop("type", None)
        if kind not in LAYER_TYPES:
            raise SpecificationError(
                f"node {name!r}: unknown layer type {kind!r}; the types are {', '.join(LAYER_TYPES)}"
            )
        try:
            built = LAYER_TYPES[kind](**layer)
        except TypeError as error:
            raise SpecificationError(f"node {name!r}: {kind} does not take these fields ({error})") from None
        nodes.append(Node(name, built, tuple(entry.get("inputs", ()))))
    return Graph(tuple(data.get("input_shape", ())), nodes, input_name=data.get("input_name", "x"))


def params_to_dict(params: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """Exact parameters as nested lists of ``"p/q"`` strings.

    >>> params_to_dict({"fc.bias": np.array([Fraction(1, 3)], dtype=object)})
    {'fc.bias': ['1/3']}
    """
    return {
        name: np.vectorize(str, otypes=[object])(exact_array(v, name)).tolist() for name, v in params.items()
    }


def params_from_dict(graph: Graph, data: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Parameters from :func:`params_to_dict`'s data, exact and checked against ``graph``."""
    return graph.check_parameters({name: np.array(v, dtype=object) for name, v in data.items()})
