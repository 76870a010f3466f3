"""The graph evaluated straight from its specification, in float64, exact rationals or mpmath.

``evaluate(graph, params, x)`` runs each node's ``forward`` in order on a batch ``x`` of shape
``(N, *graph.input_shape)``. The parameters are exact (see :meth:`Graph.check_parameters`); the
arithmetic (:mod:`symcert.symbolic.graph.arithmetic`) decides what numbers flow: float64 for search
and comparison with frameworks, exact rationals where every layer is rational, mpmath as evidence.

>>> from fractions import Fraction
>>> from symcert.symbolic.graph.layers import Activation, Dense
>>> from symcert.symbolic.graph.spec import Graph, Node
>>> g = Graph((1,), [Node("fc1", Dense(2)), Node("r", Activation("relu")), Node("fc2", Dense(1))])
>>> p = g.check_parameters({"fc1.weight": [[1], [-1]], "fc1.bias": [0, 0],
...                         "fc2.weight": [[1, 1]], "fc2.bias": ["1/3"]})
>>> evaluate(g, p, [[Fraction(-1, 2)], [2]], arithmetic="exact")
array([[Fraction(5, 6)],
       [Fraction(7, 3)]], dtype=object)
>>> evaluate(g, p, [[-0.5], [2.0]])
array([[0.83333333],
       [2.33333333]])
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from symcert.errors import SpecificationError
from symcert.symbolic.graph.arithmetic import Arithmetic, Exact
from symcert.symbolic.graph.arithmetic import arithmetic as _arithmetic
from symcert.symbolic.graph.spec import Graph, Node, exact_array  # noqa: F401 -- Node: the examples

__all__ = ["evaluate", "evaluate_all"]


def _inputs(graph: Graph, x: Any, ar: Arithmetic) -> np.ndarray:
    if isinstance(ar, Exact):
        array = exact_array(x, "x")
    else:
        array = ar.param(exact_array(x, "x")) if ar.name == "mpmath" else np.asarray(x, dtype=float)
    if array.shape[1:] != graph.input_shape:
        raise SpecificationError(
            f"the inputs must have shape (N, {', '.join(map(str, graph.input_shape))}) for this graph, got "
            f"{array.shape}; reshape them to the model's input"
        )
    return array


def evaluate_all(
    graph: Graph, params: Mapping[str, np.ndarray], x: Any, *, arithmetic: str = "float64", dps: int = 50
) -> dict[str, np.ndarray]:
    """Every tensor of the graph on the batch ``x``, by name (the input included).

    >>> from symcert.symbolic.graph.layers import Activation, Dense
    >>> g = Graph((1,), [Node("fc", Dense(1)), Node("sq", Activation("square"))])
    >>> p = {"fc.weight": [[2]], "fc.bias": [-1]}
    >>> {name: v.tolist() for name, v in evaluate_all(g, p, [[3]], arithmetic="exact").items()}
    {'x': [[Fraction(3, 1)]], 'fc': [[Fraction(5, 1)]], 'sq': [[Fraction(25, 1)]]}
    """
    ar = _arithmetic(arithmetic, dps)
    exact = graph.check_parameters(params)
    values = {graph.input_name: _inputs(graph, x, ar)}
    for node in graph.nodes:
        local = {k.split(".", 1)[1]: v for k, v in exact.items() if k.split(".", 1)[0] == node.name}
        values[node.name] = node.layer.forward(ar, local, [values[s] for s in node.sources])
    return values


def evaluate(
    graph: Graph, params: Mapping[str, np.ndarray], x: Any, *, arithmetic: str = "float64", dps: int = 50
) -> np.ndarray:
    """The graph's output on the batch ``x`` (shape ``(N, *input_shape)``), in the chosen arithmetic.

    ``arithmetic`` is ``"float64"`` (numpy; never proof), ``"exact"`` (object arrays of ``Fraction``;
    raises :class:`~symcert.errors.ExactnessError` where a value is irrational) or ``"mpmath"``
    (``dps`` digits; evidence).

    >>> from symcert.symbolic.graph.layers import Activation, Dense
    >>> g = Graph((1,), [Node("fc", Dense(1)), Node("t", Activation("tanh"))])
    >>> p = {"fc.weight": [[1]], "fc.bias": [0]}
    >>> str(evaluate(g, p, [[1]], arithmetic="mpmath", dps=20)[0, 0])
    '0.76159415595576488812'
    """
    return evaluate_all(graph, params, x, arithmetic=arithmetic, dps=dps)[graph.output]
