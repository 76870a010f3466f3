"""The network as a typed graph of layers: a frozen, validated specification, and its exact parameters.

A :class:`Graph` has one input of a given per-example shape and a list of :class:`Node` values in
topological order; each node applies a layer (:mod:`symcert.symbolic.graph.layers`) to earlier
tensors (the input's name or earlier nodes' names). The last node is the output. Shapes are inferred
and checked at construction; a parameter is named ``node.local`` (``conv1.weight``).

>>> from symcert.symbolic.graph.layers import Activation, Dense
>>> g = Graph((2,), [Node("fc1", Dense(3)), Node("act", Activation("tanh")), Node("fc2", Dense(1))])
>>> g.shapes["act"], g.parameter_shapes["fc2.weight"], g.n_parameters
((3,), (1, 3), 13)
>>> Graph((2,), [Node("fc", Dense(3), ("h",))])
Traceback (most recent call last):
...
symcert.errors.SpecificationError: node 'fc' reads 'h', which is not the input 'x' or an earlier node; \
list nodes after the tensors they read
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from symcert.errors import ExactnessError, SpecificationError
from symcert.symbolic.exact import to_rational
from symcert.symbolic.graph.base import Layer, Shape
from symcert.symbolic.graph.layers import Activation, BatchNorm, Dense, Softmax

if TYPE_CHECKING:
    from symcert.symbolic.network import MLP
    from symcert.symbolic.point import Point

__all__ = ["Node", "Graph", "exact_array", "random_parameters"]


@dataclass(frozen=True)
class Node:
    """One layer applied to named tensors; ``inputs`` defaults to the previous node (or the graph input)."""

    name: str
    layer: Layer
    inputs: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name or "." in self.name:
            raise SpecificationError(f"a node name must be a non-empty string without '.', got {self.name!r}")
        if not isinstance(self.layer, Layer):
            raise SpecificationError(
                f"node {self.name!r}: layer must be a layer such as Dense(3), got {type(self.layer).__name__}"
            )
        if self.inputs is not None:
            object.__setattr__(self, "inputs", tuple(self.inputs))

    @property
    def sources(self) -> tuple[str, ...]:
        """The tensors the node reads: ``inputs``, which a :class:`Graph` fills in when not given."""
        if self.inputs is None:
            raise SpecificationError(f"node {self.name!r} reads the previous node: put it in a Graph first")
        return self.inputs


@dataclass(frozen=True, init=False)
class Graph:
    """A small typed DAG of layers with one input and one output (the last node)."""

    input_shape: Shape
    nodes: tuple[Node, ...]
    input_name: str

    def __init__(self, input_shape: Sequence[int], nodes: Sequence[Node], *, input_name: str = "x") -> None:
        shape = tuple(input_shape) if isinstance(input_shape, (tuple, list)) else None
        if not shape or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in shape):
            raise SpecificationError(
                f"input_shape must be positive integers per example (no batch axis), got {input_shape!r}; "
                "e.g. (1, 8, 8) for 8x8 grey images"
            )
        if not nodes:
            raise SpecificationError(
                "a graph needs at least one node, got none; add e.g. Node('fc', Dense(1))"
            )
        filled, previous = [], input_name
        for node in nodes:
            if not isinstance(node, Node):
                raise SpecificationError(f"nodes must be Node values, got {type(node).__name__}")
            if node.inputs is None:
                node = Node(node.name, node.layer, (previous,))
            filled.append(node)
            previous = node.name
        object.__setattr__(self, "input_shape", shape)
        object.__setattr__(self, "nodes", tuple(filled))
        object.__setattr__(self, "input_name", input_name)
        self.shapes  # noqa: B018 -- validates names, order, arity and shapes here

    @cached_property
    def shapes(self) -> dict[str, Shape]:
        """The per-example shape of every tensor, by name (the input first)."""
        shapes: dict[str, Shape] = {self.input_name: self.input_shape}
        for node in self.nodes:
            if node.name in shapes:
                raise SpecificationError(f"the name {node.name!r} is used twice; give each node its own name")
            for source in node.sources:
                if source not in shapes:
                    raise SpecificationError(
                        f"node {node.name!r} reads {source!r}, which is not the input {self.input_name!r} "
                        "or an earlier node; list nodes after the tensors they read"
                    )
            if len(node.sources) != node.layer.arity:
                raise SpecificationError(
                    f"node {node.name!r}: {node.layer.kind} takes {node.layer.arity} input(s), got "
                    f"{len(node.sources)} ({', '.join(node.sources)})"
                )
            try:
                shapes[node.name] = node.layer.output_shape([shapes[s] for s in node.sources])
            except SpecificationError as error:
                raise SpecificationError(f"node {node.name!r}: {error}") from None
        used = {s for node in self.nodes for s in node.sources} | {self.output}
        unused = [n.name for n in self.nodes if n.name not in used]
        if unused:
            raise SpecificationError(
                f"node(s) {', '.join(map(repr, unused))} do not reach the output {self.output!r}; remove them"
            )
        return shapes

    @property
    def output(self) -> str:
        """The name of the output tensor (the last node)."""
        return self.nodes[-1].name

    def node(self, name: str) -> Node:
        """The node called ``name``."""
        for node in self.nodes:
            if node.name == name:
                return node
        raise SpecificationError(
            f"no node called {name!r}; the nodes are {', '.join(n.name for n in self.nodes)}"
        )

    def input_shapes(self, node: Node) -> list[Shape]:
        """The shapes of the tensors ``node`` reads."""
        return [self.shapes[s] for s in node.sources]

    @cached_property
    def parameter_shapes(self) -> dict[str, Shape]:
        """Every parameter's shape, named ``node.local``, in node order."""
        out = {}
        for node in self.nodes:
            for local, shape in node.layer.parameter_shapes(self.input_shapes(node)).items():
                out[f"{node.name}.{local}"] = shape
        return out

    @property
    def n_parameters(self) -> int:
        """The number of parameters (batch-norm statistics included)."""
        return sum(math.prod(s) for s in self.parameter_shapes.values())

    def describe(self) -> str:
        """One line for people: the input shape, the layers and the parameter count."""
        layers = " -> ".join(node.layer.describe() for node in self.nodes)
        return f"graph {self.input_shape}: {layers} ({self.n_parameters} parameters)"

    def check_parameters(self, values: Mapping[str, Any]) -> dict[str, np.ndarray]:
        """``values`` as exact parameters: a dict of object arrays of ``Fraction``, shapes checked.

        >>> from symcert.symbolic.graph.layers import Dense
        >>> g = Graph((1,), [Node("fc", Dense(1))])
        >>> g.check_parameters({"fc.weight": [[0.5]], "fc.bias": [1]})["fc.weight"]
        array([[Fraction(1, 2)]], dtype=object)
        >>> g.check_parameters({"fc.weight": [[1, 2]], "fc.bias": [0]})
        Traceback (most recent call last):
        ...
        symcert.errors.SpecificationError: parameter fc.weight needs shape (1, 1), got (1, 2)
        """
        expected = self.parameter_shapes
        missing = [name for name in expected if name not in values]
        extra = [name for name in values if name not in expected]
        if missing or extra:
            raise SpecificationError(
                f"the parameters must be exactly {', '.join(expected) or 'none'}; "
                + (f"missing {', '.join(missing)}" if missing else "")
                + ("; " if missing and extra else "")
                + (f"unknown {', '.join(extra)}" if extra else "")
            )
        out = {}
        for name, shape in expected.items():
            array = exact_array(values[name], name)
            if array.shape != shape:
                raise SpecificationError(f"parameter {name} needs shape {shape}, got {array.shape}")
            out[name] = array
        return out

    @classmethod
    def from_mlp(cls, mlp: MLP) -> Graph:
        """The graph of an :class:`~symcert.symbolic.network.MLP`: ``fc1, act1, ..., fcL``, then its output.

        >>> from symcert import MLP
        >>> Graph.from_mlp(MLP((2, 3, 1), "relu")).describe()
        'graph (2,): Dense(3) -> relu -> Dense(1) (13 parameters)'
        """
        nodes = []
        for l in range(1, mlp.depth + 1):
            nodes.append(Node(f"fc{l}", Dense(mlp.widths[l], bias=mlp.has_bias(l))))
            if l < mlp.depth:
                nodes.append(Node(f"act{l}", Activation(mlp.activation.label)))
        out = mlp.output_activation.name
        if out == "sigmoid":
            nodes.append(Node("out", Activation("sigmoid")))
        elif out == "softmax":
            nodes.append(Node("out", Softmax()))
        return cls((mlp.widths[0],), nodes)

    @staticmethod
    def parameters_from_point(point: Point) -> dict[str, np.ndarray]:
        """The parameters of :meth:`from_mlp`'s graph at a point of the MLP, exactly.

        >>> from symcert import MLP
        >>> mlp = MLP((1, 2, 1), "relu")
        >>> p = Graph.parameters_from_point(mlp.point(W1=[[1], [2]], b1=[0, 1], W2=[[3, 4]], b2=["1/2"]))
        >>> p["fc1.weight"].tolist(), p["fc2.bias"].tolist()
        ([[Fraction(1, 1)], [Fraction(2, 1)]], [Fraction(1, 2)])
        """
        out = {}
        for l, layer in enumerate(point.layers, start=1):
            out[f"fc{l}.weight"] = exact_array([[str(v) for v in row] for row in layer.weights], f"W{l}")
            if layer.biases is not None:
                out[f"fc{l}.bias"] = exact_array([str(v) for v in layer.biases], f"b{l}")
        return out


def exact_array(values: Any, name: str) -> np.ndarray:
    """``values`` as an object array of exact ``Fraction`` (floats converted exactly, as dyadic rationals).

    >>> exact_array(np.float32(0.1), "w").item()
    Fraction(13421773, 134217728)
    """
    try:
        array = np.asarray(values)
    except (ValueError, TypeError):
        raise ExactnessError(
            f"{name} must be a rectangular array of numbers, got {type(values).__name__}"
        ) from None
    if array.dtype.kind == "f":
        if not np.all(np.isfinite(array)):
            raise ExactnessError(f"{name} holds a NaN or an infinity; every parameter must be finite")
        convert = np.frompyfunc(lambda v: Fraction(float(v)), 1, 1)
    elif array.dtype.kind in "iub":
        convert = np.frompyfunc(lambda v: Fraction(int(v)), 1, 1)
    else:

        def convert_one(v: Any) -> Fraction:
            if isinstance(v, Fraction):
                return v
            r = to_rational(v, name)
            return Fraction(int(r.p), int(r.q))

        convert = np.frompyfunc(convert_one, 1, 1)
    out = convert(array)
    return np.asarray(out, dtype=object).reshape(array.shape)


def random_parameters(graph: Graph, seed: int = 0, denominator: int = 8) -> dict[str, np.ndarray]:
    """Exact random parameters ``p/denominator`` with ``|p| <= denominator`` (variances positive squares).

    Batch-norm variances are chosen so that ``var + eps`` is the square of a rational, which keeps the
    exact evaluation exact.

    >>> from symcert.symbolic.graph.layers import Dense
    >>> random_parameters(Graph((1,), [Node("fc", Dense(1))]), seed=1)["fc.weight"].shape
    (1, 1)
    """
    rng = random.Random(seed)
    out = {}
    for name, shape in graph.parameter_shapes.items():
        count = math.prod(shape)
        if name.endswith(".var"):
            norm = graph.node(name.split(".")[0]).layer
            assert isinstance(norm, BatchNorm)  # the layer with a running variance
            eps = Fraction(norm.epsilon)  # already one (__post_init__); the field also takes a float
            entries = [
                Fraction(rng.randint(1, denominator), denominator) ** 2 + Fraction(1, 2) for _ in range(count)
            ]
            entries = [e**2 - eps for e in entries]
        else:
            entries = [Fraction(rng.randint(-denominator, denominator), denominator) for _ in range(count)]
        out[name] = np.array(entries, dtype=object).reshape(shape)
    return out
