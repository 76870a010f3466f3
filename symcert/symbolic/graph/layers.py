"""Every layer type, in one namespace (each is defined with its facts in its own module).

>>> sorted(LAYER_TYPES)[:4]
['Activation', 'Add', 'AveragePool', 'BatchNorm']
"""

from __future__ import annotations

from symcert.symbolic.graph.linear import Conv, Dense
from symcert.symbolic.graph.pointwise import Activation, BatchNorm, LayerNorm, Softmax
from symcert.symbolic.graph.pooling import AveragePool, GlobalAveragePool, MaxPool
from symcert.symbolic.graph.structure import Add, Flatten, Reshape, Transpose

__all__ = [
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
    "LAYER_TYPES",
]

#: The layer types by name.
LAYER_TYPES = {
    cls.__name__: cls
    for cls in (
        Dense,
        Conv,
        AveragePool,
        GlobalAveragePool,
        MaxPool,
        Flatten,
        Reshape,
        Transpose,
        Add,
        Activation,
        Softmax,
        BatchNorm,
        LayerNorm,
    )
}
