"""Data for a layer-graph model (an imported ONNX network): ``.npz`` files shaped as the model expects.

An ``.npz`` with arrays ``X`` and ``y``: ``X`` of shape ``(n, *input_shape)`` (the model's per-example
input shape, e.g. ``(n, 1, 8, 8)`` for 8x8 grey images), or flat rows ``(n, prod(input_shape))``
reshaped to it in C order (as ``X.reshape(n, *input_shape)`` does); ``y`` class labels (``n``
integers, one-hot for ``cross_entropy``, a 0/1 column for ``bce``) or targets ``(n, m)``. Every float
is converted to its exact rational; the file is read with ``allow_pickle=False``.

>>> import numpy as np
>>> from symcert.symbolic.graph import Conv, Flatten, Graph, Node, GlobalAveragePool, Dense
>>> g = Graph((1, 4, 4), [Node("c", Conv(2, (3, 3))), Node("p", GlobalAveragePool()), Node("f", Flatten()),
...                       Node("fc", Dense(3))])
>>> X, Y = graph_dataset(g, np.zeros((5, 16)), np.array([0, 1, 2, 0, 1]), "cross_entropy", "data.npz")
>>> X.shape, Y[1].tolist()
((5, 1, 4, 4), [0, 1, 0])
>>> graph_dataset(g, np.zeros((5, 15)), np.zeros(5, dtype=int), "cross_entropy", "data.npz")
Traceback (most recent call last):
...
symcert.errors.SpecificationError: data.npz: X has shape (5, 15), but the model takes inputs of shape \
(1, 4, 4): give X as (n, 1, 4, 4), or flat rows (n, 16)
"""

from __future__ import annotations

import math
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from symcert.errors import SpecificationError
from symcert.limits import MAX_FILE_BYTES
from symcert.models.data import targets_from_labels
from symcert.models.reading import npz_arrays
from symcert.symbolic.graph import Graph
from symcert.symbolic.losses import loss_function

__all__ = ["load_graph_data", "graph_dataset"]


def _numbers(array: np.ndarray, name: str, path: Any) -> np.ndarray:
    if array.dtype == object or array.dtype.kind not in "iubf":
        raise SpecificationError(f"{path}: {name} must hold numbers, got dtype {array.dtype}")
    if array.size == 0:
        raise SpecificationError(f"{path}: {name} is empty; expected at least one data point")
    if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
        raise SpecificationError(f"{path}: {name} holds NaN or infinite values")
    return array


def graph_dataset(
    graph: Graph, X: Any, y: Any, kind: str, path: Any = "the data"
) -> tuple[np.ndarray, np.ndarray]:
    """``X`` as ``(n, *input_shape)`` and targets ``(n, m)`` for the loss ``kind`` (see the module text)."""
    X, y = _numbers(np.asarray(X), "X", path), _numbers(np.asarray(y), "y", path)
    shape = graph.input_shape
    flat = math.prod(shape)
    if X.shape[1:] != shape:
        if X.ndim == 2 and X.shape[1] == flat:
            X = X.reshape((X.shape[0], *shape))
        else:
            wanted = ", ".join(map(str, shape))
            raise SpecificationError(
                f"{path}: X has shape {X.shape}, but the model takes inputs of shape {shape}: give X as "
                f"(n, {wanted}), or flat rows (n, {flat})"
            )
    if len(y) != len(X):
        raise SpecificationError(f"{path}: {len(X)} inputs in X but {len(y)} targets in y")
    out = graph.shapes[graph.output]
    m = out[0] if len(out) == 1 else None
    if m is None:
        raise SpecificationError(
            f"the model's output has shape {out} per example; symcert's losses need a vector (flatten it)"
        )
    labelled = loss_function(kind).labels
    if y.ndim == 1 and (labelled or m == 1):
        y = targets_from_labels(y, kind, m) if labelled else y.reshape(-1, 1)
    if y.ndim != 2 or y.shape[1] != m:
        raise SpecificationError(
            f"{path}: y has shape {y.shape}, but the model has {m} outputs: expected ({len(X)}, {m})"
            + (" or class labels" if labelled == "one-hot" else "")
        )
    return X, y


def load_graph_data(path: str | Path, graph: Graph, kind: str = "mse") -> tuple[np.ndarray, np.ndarray]:
    """The ``.npz`` file ``path`` for ``graph`` and the loss ``kind`` (see the module text)."""
    p = Path(path)
    if not p.is_file():
        raise SpecificationError(f"{path} is not a readable file; give the path of an .npz data file")
    if p.stat().st_size > MAX_FILE_BYTES:
        raise SpecificationError(f"{path} is larger than {MAX_FILE_BYTES} bytes, the limit for input files")
    if p.suffix.lower() != ".npz":
        raise SpecificationError(
            f"{path}: a model with a layer graph reads its data from an .npz file with arrays X "
            "(n, *input_shape) and y; save them with numpy.savez(path, X=X, y=y)"
        )
    try:
        arrays = npz_arrays(p)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        raise SpecificationError(f"{path} is not a numpy file of numeric arrays ({error})") from None
    if sorted(arrays) != ["X", "y"]:
        raise SpecificationError(f"{path}: expected arrays X and y, got {sorted(arrays)[:6]}")
    return graph_dataset(graph, arrays["X"], arrays["y"], kind, path)
