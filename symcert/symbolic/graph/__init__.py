"""The network as a typed graph of layers, its symmetries derived from the layers' facts (issue 23, preview).

>>> from symcert.symbolic.graph import Activation, Dense, Graph, Node, derive_symmetries
>>> g = Graph((2,), [Node("fc1", Dense(3)), Node("act", Activation("tanh")), Node("fc2", Dense(1))])
>>> derive_symmetries(g).order
48
"""

from symcert.symbolic.graph.action import (
    Flip,
    Permute,
    Rescale,
    SpotCheck,
    Translate,
    apply,
    element_text,
    parse_element,
    spot_check,
    tensor_actions,
)
from symcert.symbolic.graph.base import Layer, Tie
from symcert.symbolic.graph.evaluate import evaluate, evaluate_all
from symcert.symbolic.graph.layers import (
    LAYER_TYPES,
    Activation,
    Add,
    AveragePool,
    BatchNorm,
    Conv,
    Dense,
    Flatten,
    GlobalAveragePool,
    LayerNorm,
    MaxPool,
    Reshape,
    Softmax,
    Transpose,
)
from symcert.symbolic.graph.moves import Blocked, Diag, Local, Perm, Step, TensorAction
from symcert.symbolic.graph.serialize import graph_from_dict, graph_to_dict, params_from_dict, params_to_dict
from symcert.symbolic.graph.spec import Graph, Node, exact_array, random_parameters
from symcert.symbolic.graph.symmetry import AxisGroup, PermutationSpec, Segment, derive_symmetries
from symcert.symbolic.graph.translation import Translation, derive_translations

__all__ = [
    # the specification
    "Graph",
    "Node",
    "Layer",
    "Tie",
    "exact_array",
    "random_parameters",
    "graph_to_dict",
    "graph_from_dict",
    "params_to_dict",
    "params_from_dict",
    # the layer types
    "LAYER_TYPES",
    "Dense",
    "Conv",
    "AveragePool",
    "GlobalAveragePool",
    "MaxPool",
    "Flatten",
    "Reshape",
    "Transpose",
    "Add",
    "Activation",
    "Softmax",
    "BatchNorm",
    "LayerNorm",
    # evaluation
    "evaluate",
    "evaluate_all",
    # the symmetries
    "derive_symmetries",
    "PermutationSpec",
    "AxisGroup",
    "Segment",
    "Permute",
    "Flip",
    "Rescale",
    "Translate",
    "Translation",
    "derive_translations",
    "apply",
    "spot_check",
    "SpotCheck",
    "parse_element",
    "element_text",
    # the equivariance rules' vocabulary
    "tensor_actions",
    "TensorAction",
    "Perm",
    "Diag",
    "Local",
    "Step",
    "Blocked",
]
