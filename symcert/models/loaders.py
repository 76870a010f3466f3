"""Trained weights loaded exactly: numpy ``.npz``, plain JSON, PyTorch safetensors.

Every float weight ``w`` is an exact dyadic rational and loads to exactly
``Fraction(w)``: nothing is rounded. Layouts:

- ``.npz`` (symcert's layout): arrays ``W1, b1, W2, b2, ...`` with ``W{l}`` of shape
  ``out x in`` (the same as PyTorch's); read with ``allow_pickle=False``.
- JSON: the point format ``{"W1": [[...]], "b1": [...], ...}`` of exact numbers.
- safetensors: a PyTorch ``nn.Sequential`` state dict of ``Linear`` layers
  (``0.weight``, ``0.bias``, ``2.weight``, ...; ``out x in``), read with the
  ``safetensors`` package's numpy API (never torch, never pickle).

The hidden activation is read from the file where the format records it: an
``activation`` entry (a 0-d string array in ``.npz``, a string key in JSON, a
``__metadata__`` entry in safetensors, ``save_file(..., metadata={"activation": "tanh"})``).
An ``activation`` argument that contradicts the file is refused; a file that records
none needs the argument (until now it defaulted to ``relu``: that default is
deprecated, and ``on_missing="error"``, as on the command line, refuses instead).

>>> import numpy as np
>>> from fractions import Fraction
>>> net, A = network_from_arrays([np.array([[0.1], [-2.5]]), np.array([[1.0, 3.0]])],
...                              [np.array([0.0, 0.5]), np.array([0.25])], "tanh")
>>> net.describe(), A["W1_11"] == Fraction(0.1)
('1-2-1 tanh network (7 parameters)', True)
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from symcert.errors import Hint, SpecificationError
from symcert.limits import MAX_FILE_BYTES
from symcert.models.reading import npz_arrays
from symcert.numeric.engine.layout import Exact
from symcert.symbolic.array_point import ArrayPoint, exact_integers
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
        num: np.ndarray = np.empty(array.shape, dtype=object)
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


#: The hidden activation used, with a DeprecationWarning, when none is named or recorded (the old default).
_OLD_DEFAULT = "relu"


def _deprecated_default(what: str) -> str:
    warnings.warn(
        f"{what} without activation= uses relu; this default is deprecated (the command line has none): "
        "name the activation, e.g. activation='tanh'",
        DeprecationWarning,
        stacklevel=3,
    )
    return _OLD_DEFAULT


def network_from_arrays(
    weights: Sequence[Any],
    biases: Sequence[Any | None] | None,
    activation: str | None = None,
    output_activation: str = "identity",
) -> tuple[MLP, Point]:
    """The network and its exact point from weight matrices ``out x in`` (and bias vectors).

    ``biases`` is None for a network without biases, or one vector per layer, None for a layer
    without biases (``nn.Linear(..., bias=False)``).

    Shapes are checked layer by layer; an error names the layer and the two shapes.
    The point's exact layout is built here from integers (no per-entry SymPy work on
    the engine's path) and handed to the engine. ``activation`` is required (its old
    default, ``relu``, is deprecated).
    """
    if activation is None:
        activation = _deprecated_default("network_from_arrays")
    if not weights:
        raise SpecificationError("a network needs at least one weight matrix, got none")
    if biases is not None and len(biases) != len(weights):
        raise SpecificationError(
            f"expected one bias vector per weight matrix, got {len(weights)} weight matrices "
            f"and {len(biases)} bias vectors"
        )
    arrays = [_float_array(w, f"W{l}") for l, w in enumerate(weights, start=1)]
    widths: list[int] = []
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
        if biases is not None and biases[l - 1] is not None:
            bias = _float_array(biases[l - 1], f"b{l}")
            if bias.shape != (W.shape[0],):
                raise SpecificationError(
                    f"b{l} has shape {bias.shape} but W{l} has shape {W.shape}: expected ({W.shape[0]},)"
                )
            b = exact_integers(bias, f"b{l}")
        layers.append((exact_integers(W, f"W{l}"), b))
    per_layer = tuple(b is not None for _, b in layers)
    mlp = MLP(tuple(widths), activation, bias=per_layer, output_activation=output_activation)
    # exact integer arrays: the engine reads them as they are; SymPy values are built only if asked for
    point = ArrayPoint.from_layers(mlp, layers)
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


def _recorded(value: Any, path: Path) -> str:
    """The activation a file records: a short string naming a known activation."""
    from symcert.symbolic.activations import ACTIVATION_NAMES

    text = (
        str(value)
        if isinstance(value, str)
        or (isinstance(value, np.ndarray) and value.dtype.kind == "U" and value.ndim == 0)
        else None
    )
    if text is None or not (text in ACTIVATION_NAMES or re.fullmatch(r"leaky_relu:[0-9/]{1,40}", text)):
        shown = repr(text[:40]) if text is not None else f"a value of type {type(value).__name__}"
        raise SpecificationError(
            f"{path} records the activation {shown}, which symcert does not know; expected one of "
            f"{', '.join(ACTIVATION_NAMES)}"
        )
    return text


def _activation(path: Path, given: str | None, recorded: str | None, on_missing: str) -> str:
    """The hidden activation: the file's, the caller's (which must agree), or the deprecated default."""
    if recorded is not None:
        if given is not None and given != recorded:
            raise SpecificationError(
                f"{path} records the activation {recorded}, but activation={given} was given; drop it or "
                f"give {recorded} (a different activation is a different network)",
                hint=Hint(
                    "{path} records the activation {recorded}, but {activation} {given} was given; drop it "
                    "or give {recorded} (a different activation is a different network)",
                    path=path,
                    recorded=recorded,
                    given=given,
                ),
            )
        return recorded
    if given is not None:
        return given
    if on_missing == "error":
        raise SpecificationError(
            f"{path} does not record its hidden activation; name it with activation=... (tanh, relu, ...)",
            hint=Hint(
                "{path} does not record its hidden activation; name it with {activation} (tanh, relu, ...)",
                path=path,
            ),
        )
    return _deprecated_default("load_weights")


def _from_npz(path: Path, activation: str | None, output: str, on_missing: str) -> tuple[MLP, Point]:
    arrays = npz_arrays(path)
    recorded = _recorded(arrays.pop("activation"), path) if "activation" in arrays else None
    activation = _activation(path, activation, recorded, on_missing)
    layers = _numbered([k for k in arrays if k.startswith("W")], r"W(\d+)", path)
    if layers != list(range(1, len(layers) + 1)) or not layers:
        raise SpecificationError(f"{path}: expected arrays W1, W2, ... without gaps, got {sorted(arrays)}")
    bias_keys = [k for k in arrays if k.startswith("b")]
    expected_b = [f"b{l}" for l in layers]
    if not set(bias_keys) <= set(expected_b):
        raise SpecificationError(
            f"{path}: expected biases among {expected_b} (one per layer that has them), "
            f"got {sorted(bias_keys)}"
        )
    extra = sorted(set(arrays) - {f"W{l}" for l in layers} - set(expected_b))
    if extra:
        raise SpecificationError(f"{path}: unexpected arrays {extra}; expected W1, b1, W2, b2, ...")
    biases = [arrays.get(f"b{l}") for l in layers]
    return network_from_arrays([arrays[f"W{l}"] for l in layers], biases, activation, output)


def _from_safetensors(path: Path, activation: str | None, output: str, on_missing: str) -> tuple[MLP, Point]:
    from safetensors import SafetensorError, safe_open
    from safetensors.numpy import load_file

    try:
        tensors = load_file(str(path))
        with safe_open(str(path), framework="numpy") as handle:
            metadata = handle.metadata() or {}
    except (SafetensorError, OSError, ValueError) as error:
        raise SpecificationError(f"{path} is not a safetensors file ({error})") from None
    recorded = _recorded(metadata["activation"], path) if "activation" in metadata else None
    activation = _activation(path, activation, recorded, on_missing)
    indices = _numbered(list(tensors), r"(\d+)\.(?:weight|bias)", path)
    if not indices:
        raise SpecificationError(f"{path} holds no tensors; expected 0.weight, 0.bias, 2.weight, ...")
    weights = []
    for i in indices:
        if f"{i}.weight" not in tensors:
            raise SpecificationError(f"{path}: layer {i} has a bias but no weight ({i}.weight is missing)")
        weights.append(tensors[f"{i}.weight"])
    biases = [tensors.get(f"{i}.bias") for i in indices]  # None for nn.Linear(..., bias=False)
    return network_from_arrays(weights, biases, activation, output)


def _from_json(path: Path, activation: str | None, output: str, on_missing: str) -> tuple[MLP, Point]:
    record = _json_record(path)
    if not isinstance(record, dict):
        raise SpecificationError(f'{path} must hold an object {{"W1": [[...]], "b1": [...], ...}}')
    recorded = _recorded(record.pop("activation"), path) if "activation" in record else None
    activation = _activation(path, activation, recorded, on_missing)
    layers = _numbered([k for k in record if k.startswith("W")], r"W(\d+)", path)
    if not layers or layers != list(range(1, len(layers) + 1)):
        raise SpecificationError(f"{path}: expected W1, W2, ... without gaps, got {sorted(record)[:8]}")
    widths: list[int] = []
    for l in layers:
        rows = record[f"W{l}"]
        if not isinstance(rows, list) or not rows or not all(isinstance(r, list) for r in rows):
            raise SpecificationError(f"{path}: W{l} must be a non-empty list of rows (out x in)")
        if not widths:
            widths.append(len(rows[0]))
        widths.append(len(rows))
    bias = tuple(f"b{l}" in record for l in layers)
    mlp = MLP(tuple(widths), activation, bias=bias, output_activation=output)
    return mlp, mlp.point(**record)


def _json_record(path: Path) -> Any:
    from symcert.models.reading import json_file

    return json_file(path)


def load_weights(
    path: str | Path,
    activation: str | None = None,
    output_activation: str = "identity",
    framework: str = "plain",
    *,
    on_missing: str = "deprecated",
) -> tuple[MLP, Point]:
    """The network and its exact point from a saved model file (see the module docstring).

    The hidden activation is the one the file records; ``activation`` must agree with
    it, and names it when the file records none. Without either, ``on_missing="error"``
    refuses (the command line does), and the default ``"deprecated"`` uses relu with a
    DeprecationWarning. ``framework`` picks the file layout when the suffix does not:
    ``torch`` means a safetensors state dict. Pickle files (``.pt``, ``.pkl``,
    ``.joblib``) are refused: unpickling runs arbitrary code.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     np.savez(f"{d}/m.npz", activation=np.array("tanh"), W1=np.ones((2, 1)), W2=np.ones((1, 2)))
    ...     load_weights(f"{d}/m.npz")[0].describe()
    '1-2-1 tanh network (4 parameters, no biases)'
    """
    if on_missing not in ("deprecated", "error"):
        raise SpecificationError(f"on_missing must be 'deprecated' or 'error', got {on_missing!r}")
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
        return _from_safetensors(p, activation, output_activation, on_missing)
    if suffix == ".npz":
        return _from_npz(p, activation, output_activation, on_missing)
    if suffix == ".json":
        return _from_json(p, activation, output_activation, on_missing)
    raise SpecificationError(
        f"{path}: unknown model format {suffix or '(no suffix)'!r}; expected .npz, .json or .safetensors"
    )
