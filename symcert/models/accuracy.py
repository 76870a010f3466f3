"""The loaded network checked at once in float64: its accuracy on the data, so a wrong architecture shows.

A model file loaded with the wrong activation (or output, or layout) is still a
network, and symcert would certify its loss. One float64 forward pass over the
data, printed as one line, shows the mismatch at once: a trained classifier that
scores at chance level is not the network that was trained. Floats are evidence
here, never proof.

>>> import numpy as np
>>> from symcert.models.loaders import network_from_arrays
>>> from symcert.symbolic.data import Dataset
>>> from symcert.symbolic.losses import Loss
>>> mlp, A = network_from_arrays([np.array([[4.0]]), np.array([[1.0], [-1.0]])], None, "tanh", "softmax")
>>> loss = Loss(mlp, Dataset([[1], [-1], [2]], [[1, 0], [0, 1], [0, 1]]), "cross_entropy")
>>> float_check(loss, A)
'float64 check of the loaded network: 2 of 3 points classified correctly (66.7%)'
"""

from __future__ import annotations

from typing import Any

import numpy as np

from symcert.numeric.engine.layout import Exact, data_layout, point_layout

__all__ = ["float_outputs", "float_check"]


def _floats(exact: Exact) -> np.ndarray:
    flat = [int(n) / exact.den for n in exact.num.ravel()]  # correctly rounded, any size of integer
    return np.array(flat, dtype=np.float64).reshape(exact.num.shape)


def float_outputs(mlp: Any, point: Any, data: Any) -> np.ndarray:
    """The network's last pre-activations (logits), one row per data point, in float64."""
    a = _floats(data_layout(data).X)
    layers = point_layout(point).layers
    with np.errstate(all="ignore"):
        for l, layer in enumerate(layers):
            z = a @ _floats(layer.W).T + (_floats(layer.b) if layer.b is not None else 0.0)
            a = mlp.activation.float64(z) if l < len(layers) - 1 else z
    return a


def float_check(loss: Any, point: Any) -> str:
    """One line: the float64 accuracy on the data (classification losses), or the float64 loss otherwise."""
    data = loss.data
    labels = loss.function.labels  # classification losses read class labels: one-hot or binary
    if data.teacher_of is None and labels is not None:
        z = float_outputs(loss.mlp, point, data)
        targets = data_layout(data).Y
        assert targets is not None  # data without a teacher has its targets
        y = _floats(targets)
        if labels == "one-hot":
            right, total = int(np.sum(np.argmax(z, axis=1) == np.argmax(y, axis=1))), len(z)
            unit = "points"
        else:
            right, total = int(np.sum((z > 0) == (y > 0.5))), z.size
            unit = "outputs"
        share = 100.0 * right / total if total else 0.0
        head = "float64 check of the loaded network"
        return f"{head}: {right} of {total} {unit} classified correctly ({share:.1f}%)"
    from symcert.numeric.floats import loss_float

    return f"float64 check of the loaded network: its loss on the data is {loss_float(loss, point):.6g}"
