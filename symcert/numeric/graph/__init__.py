"""Rigorous evaluation of layer graphs on the engine's rungs (verified float64, Arb), and their losses.

>>> from symcert.numeric.engine.backends import F64Backend
>>> from symcert.symbolic.graph import Activation, Dense, Graph, Node, random_parameters
>>> g = Graph((2,), [Node("fc1", Dense(3)), Node("t", Activation("tanh")), Node("fc2", Dense(1))])
>>> loss = GraphLoss(g, [[1, 0], [0, 1]], [[0], [1]], "mse")
>>> lo, hi = loss_enclosure(F64Backend(), loss, random_parameters(g, seed=2))
>>> 0 < hi - lo < 1e-12
True
"""

from symcert.numeric.graph.forward import FORWARDS, enclose_graph, enclose_layer
from symcert.numeric.graph.loss import GraphLoss, float_loss, loss_enclosure, loss_value

__all__ = [
    "GraphLoss",
    "loss_enclosure",
    "loss_value",
    "float_loss",
    "enclose_graph",
    "enclose_layer",
    "FORWARDS",
]
