"""Trained weights loaded exactly: numpy ``.npz``, plain JSON, PyTorch safetensors.

Every float weight ``w`` is an exact dyadic rational and loads to exactly
``Fraction(w)``: nothing is rounded. Layouts:

- ``.npz`` (symcert's layout): arrays ``W1, b1, W2, b2, ...`` with ``W{l}`` of shape
  ``out x in`` (the same as PyTorch's); read with ``allow_pickle=False``.
- JSON: the point format ``{"W1": [[...]], "b1": [...], ...}`` of exact numbers.
- safetensors: a PyTorch ``nn.Sequential`` state dict of ``Linear`` layers
  (``0.weight``, ``0.bias``, ``2.weight``, ...; ``out x in``), read with the
  ``safetensors`` package's numpy API (never torch, never pickle).

The activations are not stored in these files: the caller names them.

>>> import numpy as np
>>> from fractions import Fraction
>>> net, A = network_from_arrays([np.array([[0.1], [-2.5]]), np.array([[1.0, 3.0]])],
...                              [np.array([0.0, 0.5]), np.array([0.25])], "tanh")
>>> net.describe(), A["W1_11"] == Fraction(0.1)
('1-2-1 tanh network (7 parameters)', True)
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import sympy

from symcert.errors import SpecificationError
from symcert.limits import MAX_FILE_BYTES
from symcert.numeric.engine.layout import Exact, LayerLayout, PointLayout, _cached
from symcert.symbolic.network import MLP
from symcert.symbolic.point import Point

__all__ = ["network_from_arrays", "exact_array", "load_weights", "FRAMEWORKS"]

FRAMEWORKS = ("plain", "torch", "sklearn")


def _float_array(value: Any, name: str) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype == object or not (
        np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)
    ):
        raise SpecificationError(f"{name} must hold real numbers, got an array of dtype {array.dtype}")
    if np.issubdtype(array.dtype, np.floating) and not np.all(np.isfinite(array)):
        bad = "NaN" if np.any(np.isnan(array)) else "infinite"
        raise SpecificationError(f"{name} holds {bad} values; a trained network's weights must be finite")
    return array


def exact_array(value: Any, name: str = "array") -> Exact:
    """The exact rationals of a float or integer array over one common (power-of-two) denominator.

    >>> exact_array(np.array([0.5, -0.75])).num.tolist(), exact_array(np.array([0.5, -0.75])).den
    ([2, -3], 4)
    """
    array = _float_array(value, name)
    if np.issubdtype(array.dtype, np.integer):
        num = np.empty(array.shape, dtype=object)
        num[...] = array.tolist() if array.size else num
        return Exact(num, 1)
    flat = array.astype(np.float64).ravel()
    pairs = [float(v).as_integer_ratio() for v in flat]
    den = max((q for _, q in pairs), default=1)  # powers of two: the largest is the lcm
    nums = [p * (den // q) for p, q in pairs]
    num = np.empty(len(nums), dtype=object)
    num[:] = nums
    exact = Exact(num.reshape(array.shape), den)
    exact.memo["max_abs"] = max(map(abs, nums), default=0)
    return exact


def network_from_arrays(
    weights: Sequence[Any],
    biases: Sequence[Any] | None,
    activation: str = "relu",
    output_activation: str = "identity",
) -> tuple[MLP, Point]:
    """The network and its exact point from weight matrices ``out x in`` (and bias vectors).

    Shapes are checked layer by layer; an error names the layer and the two shapes.
    The point's exact layout is built here from integers (no per-entry SymPy work on
    the engine's path) and cached for the engine.
    """
    if not weights:
        raise SpecificationError("a network needs at least one weight matrix, got none")
    if biases is not None and len(biases) != len(weights):
        raise SpecificationError(
            f"expected one bias vector per weight matrix, got {len(weights)} weight matrices "
            f"and {len(biases)} bias vectors"
        )
    arrays = [_float_array(w, f"W{l}") for l, w in enumerate(weights, start=1)]
    widths = []
    for l, W in enumerate(arrays, start=1):
        if W.ndim != 2:
            raise SpecificationError(f"W{l} must be a matrix (out x in), got an array of shape {W.shape}")
        if widths and W.shape[1] != widths[-1]:
            raise SpecificationError(
                f"W{l} has shape {W.shape} but layer {l - 1} has {widths[-1]} outputs: expected "
                f"shape ({W.shape[0]}, {widths[-1]}) (out x in); is the matrix transposed?"
            )
        if not widths:
            widths.append(W.shape[1])
        widths.append(W.shape[0])
    layers = []
    for l, W in enumerate(arrays, start=1):
        b = None
        if biases is not None:
            bias = _float_array(biases[l - 1], f"b{l}")
            if bias.shape != (W.shape[0],):
                raise SpecificationError(
                    f"b{l} has shape {bias.shape} but W{l} has shape {W.shape}: expected ({W.shape[0]},)"
                )
            b = exact_array(bias, f"b{l}")
        layers.append(LayerLayout(exact_array(W, f"W{l}"), b))
    mlp = MLP(tuple(widths), activation, bias=biases is not None, output_activation=output_activation)
    values: list[sympy.Rational] = []
    for layer in layers:
        for exact in (layer.W, layer.b):
            if exact is not None:
                values.extend(sympy.Rational(int(n), exact.den) for n in exact.num.ravel())
    point = Point(mlp, tuple(values))
    layout = PointLayout(tuple(layers))
    _cached("point", point, lambda: layout)
    return mlp, point


def _check_file(path: str | Path) -> Path:
    p = Path(path)
    if not p.is_file():
        raise SpecificationError(f"{path} is not a readable file; give the path of a saved model")
    if p.stat().st_size > MAX_FILE_BYTES:
        raise SpecificationError(f"{path} is larger than {MAX_FILE_BYTES} bytes, the limit for input files")
    if p.stat().st_size == 0:
        raise SpecificationError(f"{path} is empty; expected a saved model")
    return p


def _numbered(keys: Sequence[str], pattern: str, path: Any) -> list[int]:
    found = []
    for key in keys:
        match = re.fullmatch(pattern, key)
        if match is None:
            raise SpecificationError(f"{path}: unexpected entry {key[:40]!r}; expected {pattern!r} names")
        found.append(int(match.group(1)))
    return sorted(set(found))


def _from_npz(path: Path, activation: str, output: str) -> tuple[MLP, Point]:
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (ValueError, OSError, zipfile.BadZipFile) as error:
        raise SpecificationError(f"{path} is not a numpy .npz archive of numeric arrays ({error})") from None
    layers = _numbered([k for k in arrays if k.startswith("W")], r"W(\d+)", path)
    if layers != list(range(1, len(layers) + 1)) or not layers:
        raise SpecificationError(f"{path}: expected arrays W1, W2, ... without gaps, got {sorted(arrays)}")
    bias_keys = [k for k in arrays if k.startswith("b")]
    expected_b = [f"b{l}" for l in layers]
    if bias_keys and sorted(bias_keys) != sorted(expected_b):
        raise SpecificationError(f"{path}: expected biases {expected_b} (or none), got {sorted(bias_keys)}")
    extra = sorted(set(arrays) - {f"W{l}" for l in layers} - set(expected_b))
    if extra:
        raise SpecificationError(f"{path}: unexpected arrays {extra}; expected W1, b1, W2, b2, ...")
    biases = [arrays[f"b{l}"] for l in layers] if bias_keys else None
    return network_from_arrays([arrays[f"W{l}"] for l in layers], biases, activation, output)


def _from_safetensors(path: Path, activation: str, output: str) -> tuple[MLP, Point]:
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    try:
        tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as error:
        raise SpecificationError(f"{path} is not a safetensors file ({error})") from None
    indices = _numbered(list(tensors), r"(\d+)\.(?:weight|bias)", path)
    if not indices:
        raise SpecificationError(f"{path} holds no tensors; expected 0.weight, 0.bias, 2.weight, ...")
    weights = []
    for i in indices:
        if f"{i}.weight" not in tensors:
            raise SpecificationError(f"{path}: layer {i} has a bias but no weight ({i}.weight is missing)")
        weights.append(tensors[f"{i}.weight"])
    has_bias = [f"{i}.bias" in tensors for i in indices]
    if any(has_bias) and not all(has_bias):
        missing = [f"{i}.bias" for i, h in zip(indices, has_bias) if not h]
        raise SpecificationError(f"{path}: some Linear layers have biases and some not (missing {missing})")
    biases = [tensors[f"{i}.bias"] for i in indices] if all(has_bias) else None
    return network_from_arrays(weights, biases, activation, output)


def _from_json(path: Path, activation: str, output: str) -> tuple[MLP, Point]:
    record = _json_record(path)
    if not isinstance(record, dict):
        raise SpecificationError(f'{path} must hold an object {{"W1": [[...]], "b1": [...], ...}}')
    layers = _numbered([k for k in record if k.startswith("W")], r"W(\d+)", path)
    if not layers or layers != list(range(1, len(layers) + 1)):
        raise SpecificationError(f"{path}: expected W1, W2, ... without gaps, got {sorted(record)[:8]}")
    widths = []
    for l in layers:
        rows = record[f"W{l}"]
        if not isinstance(rows, list) or not rows or not all(isinstance(r, list) for r in rows):
            raise SpecificationError(f"{path}: W{l} must be a non-empty list of rows (out x in)")
        if not widths:
            widths.append(len(rows[0]))
        widths.append(len(rows))
    bias = any(k.startswith("b") for k in record)
    mlp = MLP(tuple(widths), activation, bias=bias, output_activation=output)
    return mlp, mlp.point(**record)


def _json_record(path: Path) -> Any:
    from symcert.models.reading import json_file

    return json_file(path)


def load_weights(
    path: str | Path, activation: str = "relu", output_activation: str = "identity", framework: str = "plain"
) -> tuple[MLP, Point]:
    """The network and its exact point from a saved model file (see the module docstring).

    ``framework`` picks the file layout when the suffix does not: ``torch`` means a
    safetensors state dict. Pickle files (``.pt``, ``.pkl``, ``.joblib``) are refused:
    unpickling runs arbitrary code.
    """
    if framework not in FRAMEWORKS:
        raise SpecificationError(f"framework must be one of {', '.join(FRAMEWORKS)}, got {framework!r}")
    p = _check_file(path)
    suffix = p.suffix.lower()
    if suffix in (".pt", ".pth", ".pkl", ".pickle", ".joblib", ".bin"):
        raise SpecificationError(
            f"{path} is a pickle file, which symcert never loads (unpickling runs arbitrary code); save the "
            "weights with safetensors (torch) or numpy.savez (W1, b1, W2, ...) instead"
        )
    if suffix == ".safetensors" or (framework == "torch" and suffix not in (".npz", ".json")):
        return _from_safetensors(p, activation, output_activation)
    if suffix == ".npz":
        return _from_npz(p, activation, output_activation)
    if suffix == ".json":
        return _from_json(p, activation, output_activation)
    raise SpecificationError(
        f"{path}: unknown model format {suffix or '(no suffix)'!r}; expected .npz, .json or .safetensors"
    )
