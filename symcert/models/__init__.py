"""Trained networks loaded exactly, with their framework's training loss.

>>> import numpy as np
>>> from fractions import Fraction
>>> net, A = network_from_arrays([np.array([[0.1, 0.2]])], [np.array([0.3])], "tanh")
>>> A["W1_12"] == Fraction(0.2)
True
"""

from symcert.models.loaders import FRAMEWORKS, exact_array, load_weights, network_from_arrays
from symcert.models.sklearn import LoadedModel, from_sklearn

__all__ = ["FRAMEWORKS", "LoadedModel", "exact_array", "from_sklearn", "load_weights", "network_from_arrays"]
