"""Your own data for a loaded network: CSV, ``.npz`` or ``.npy``, converted exactly.

- CSV: a header ``x1,...,xd,y1,...,ym`` (targets as given) or ``x1,...,xd,label``
  (one class label per row);
- ``.npz``: arrays ``X`` (``n x d``) and ``y`` (``n`` labels or ``n x m`` targets);
- ``.npy``: one ``n x (d + m)`` matrix, the first ``d`` columns (the network's input
  width) are features, the rest targets; or ``n x (d + 1)`` with a label column.

Class labels (integers ``0 .. K-1``) become targets for the loss: one-hot vectors
for ``cross_entropy`` (``K`` = the network's output width), a 0/1 column for ``bce``.
Every float is converted to its exact rational. Read with ``allow_pickle=False``.

>>> import numpy as np
>>> targets_from_labels(np.array([2, 0]), "cross_entropy", 3).tolist()
[[0, 0, 1], [1, 0, 0]]
"""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from symcert.errors import SpecificationError
from symcert.limits import MAX_FILE_BYTES, MAX_POINTS
from symcert.models.reading import npz_arrays
from symcert.symbolic.array_point import dyadic_int64, significant_bits
from symcert.symbolic.data import Dataset
from symcert.symbolic.integer_data import IntegerDataset
from symcert.symbolic.losses import loss_function
from symcert.symbolic.network import MLP

__all__ = ["load_data", "targets_from_labels"]


def targets_from_labels(labels: Any, kind: str, outputs: int) -> np.ndarray:
    """Targets for ``kind`` from integer class labels; labels out of range are an error."""
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise SpecificationError(
            f"expected one class label per data point, got labels of shape {labels.shape}"
        )
    if labels.dtype.kind == "f":
        if not np.all(np.isfinite(labels)) or not np.all(labels == np.round(labels)):
            raise SpecificationError("class labels must be integers 0, 1, ..., got non-integer labels")
        labels = labels.astype(np.int64)
    elif labels.dtype.kind not in "iub":
        raise SpecificationError(f"class labels must be integers, got an array of dtype {labels.dtype}")
    labelled = loss_function(kind).labels
    classes = outputs if labelled == "one-hot" else 2
    bad = labels[(labels < 0) | (labels >= classes)]
    if bad.size:
        raise SpecificationError(
            f"class label {int(bad[0])} is out of range: the {kind} loss of this network takes labels "
            f"0 to {classes - 1}"
        )
    if labelled == "one-hot":
        one_hot = np.zeros((len(labels), outputs), dtype=np.int64)
        one_hot[np.arange(len(labels)), labels] = 1
        return one_hot
    if labelled == "binary" and outputs != 1:
        raise SpecificationError(f"bce with class labels needs one output unit, the network has {outputs}")
    return np.asarray(labels.reshape(-1, 1).astype(np.int64))


def _finite(array: np.ndarray, name: str, path: Any) -> np.ndarray:
    if array.dtype == object or array.dtype.kind not in "iubf":
        raise SpecificationError(f"{path}: {name} must hold numbers, got dtype {array.dtype}")
    if array.size == 0:
        raise SpecificationError(f"{path}: {name} is empty; expected at least one data point")
    if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
        raise SpecificationError(f"{path}: {name} holds NaN or infinite values")
    return array


def _dataset(X: np.ndarray, y: np.ndarray, mlp: MLP, kind: str, path: Any) -> Dataset:
    if X.ndim != 2 or X.shape[1] != mlp.widths[0]:
        raise SpecificationError(
            f"{path}: the features have shape {X.shape} but the network's input layer takes "
            f"{mlp.widths[0]} values: expected shape ({len(X)}, {mlp.widths[0]})"
        )
    if len(y) != len(X):
        raise SpecificationError(f"{path}: {len(X)} feature rows but {len(y)} targets")
    m = mlp.widths[-1]
    labelled = loss_function(kind).labels
    if y.ndim == 1 and (labelled or m == 1):
        y = targets_from_labels(y, kind, m) if labelled else y.reshape(-1, 1)
    if y.ndim != 2 or y.shape[1] != m:
        raise SpecificationError(
            f"{path}: the targets have shape {y.shape} but the network's output layer has {m} units: "
            f"expected shape ({len(X)}, {m})" + (" or class labels" if labelled == "one-hot" else "")
        )
    return _integers(X, y) or Dataset(X, y)


#: Data files with at most this many entries load as SymPy rationals. 0: every numeric file of
#: integers or floats loads as exact integer matrices, with SymPy ``xs``/``ys`` made when read.
LARGE_DATA_ENTRIES = 0


def _integers(X: np.ndarray, y: np.ndarray) -> Dataset | None:
    """Integer or float data as exact integer matrices over powers of two (no SymPy), else None.

    A float is ``m 2^e`` exactly; over the least common denominator ``2^k`` of the reduced
    fractions every value is an integer, kept when all fit below ``2^62`` (pixels ``k/255``
    as float64 need ``2^60``). Each value is exactly the rational ``Fraction(v)``, with the same
    numerators and denominator as the SymPy route; ``xs`` and ``ys`` are made lazily.

    >>> data = _integers(np.array([[0.5, 0.75], [3.0, 0.0]]), np.array([[1], [0]]))
    >>> data.integer_arrays()[0].tolist(), data.integer_arrays()[1], data.xs[0]
    ([[2, 3], [12, 0]], 4, (1/2, 3/4))
    """
    if X.size + y.size <= LARGE_DATA_ENTRIES:
        return None
    parts, floats = [], None
    for a in (X, y):
        if a.dtype.kind in "iub":
            if a.dtype.kind != "b" and max(int(a.max()), -int(a.min())) >= 2**62:
                return None  # beyond one int64 matrix: SymPy integers
            kept = a.astype(np.int64) if a.dtype.kind == "b" or a.dtype.itemsize == 8 else a
            parts.append((kept, 1))  # narrow integers (uint8 pixels) keep their width
            continue
        values = a.astype(np.float64, copy=False)  # float16/32 are exact in float64
        exact = _dyadic(values, significant_bits(a.dtype))
        if exact is None:
            return None
        parts.append(exact)
        if a is X:
            floats = values  # the inputs as read: the float64 rung's enclosure as they are
    (xn, xd), (yn, yd) = parts
    if floats is None:
        return Dataset.from_integers(xn, xd, yn, yd)
    return IntegerDataset.with_floats(floats, xn, xd, yn, yd)


def _dyadic(a: np.ndarray, bits: int = 53) -> tuple[np.ndarray, int] | None:
    """``(num, 2^k)`` with ``a == num / 2^k`` exactly and ``2^k`` least, or None past ``2^62``.

    ``2^k`` is the lcm of the reduced denominators (the SymPy route's), so float32 data need
    few bits whatever their scale. ``bits``: the significant bits of the format the values were
    read from (see :func:`~symcert.symbolic.array_point.dyadic_int64`, the vectorised route tried first).

    >>> num, den = _dyadic(np.array([0.375, -2.0]))
    >>> num.tolist(), den
    ([3, -16], 8)
    """
    fast = dyadic_int64(a, bits)
    if fast is not None:
        return fast[0], 2 ** fast[1]
    nonzero = a != 0
    mantissas, exponents = np.frexp(a)  # v = m 2^e, 1/2 <= |m| < 1, so v = M 2^(e - 53), M = 2^53 m
    top = int(exponents.max(where=nonzero, initial=-2000))
    M = np.abs(np.ldexp(mantissas, 53).astype(np.int64))
    _, low = np.frexp((M & -M).astype(np.float64))  # M's lowest set bit is 2^(low - 1)
    k = max(0, int((53 - exponents - (low - 1)).max(where=nonzero, initial=0)))
    if top + k > 62:  # a numerator would reach 2^62
        return None
    return np.ldexp(a, k).astype(np.int64), 2**k  # exact: integers below 2^62


def _numpy(path: Path, mlp: MLP, kind: str) -> Dataset:
    try:
        if path.suffix.lower() == ".npy":
            array = _finite(np.load(path, allow_pickle=False), "the array", path)
            d = mlp.widths[0]
            if array.ndim != 2 or array.shape[1] <= d:
                raise SpecificationError(
                    f"{path}: expected an n x (d + m) matrix with d = {d} feature columns, got shape "
                    f"{array.shape}"
                )
            rest = array[:, d:]
            y = rest[:, 0] if rest.shape[1] == 1 and loss_function(kind).labels else rest
            return _dataset(array[:, :d], y, mlp, kind, path)
        arrays = npz_arrays(path)
        if sorted(arrays) != ["X", "y"]:
            raise SpecificationError(
                f"{path}: expected exactly the arrays X (inputs) and y (targets or labels), got "
                f"{', '.join(sorted(arrays)[:6])}"
            )
        X, y = arrays["X"], arrays["y"]
    except SpecificationError:
        raise  # already says what is wrong with the file
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        raise SpecificationError(f"{path} is not a numpy file of numeric arrays ({error})") from None
    return _dataset(_finite(X, "X", path), _finite(y, "y", path), mlp, kind, path)


def load_data(path: str | Path, mlp: MLP, kind: str = "mse") -> Dataset:
    """The data set in ``path`` for ``mlp`` and the loss ``kind`` (see the module docstring)."""
    p = Path(path)
    if not p.is_file():
        raise SpecificationError(f"{path} is not a readable file; give the path of a data file")
    size = p.stat().st_size
    if size == 0:
        raise SpecificationError(f"{path} is empty; expected a data file (CSV, .npz or .npy)")
    if size > MAX_FILE_BYTES:
        raise SpecificationError(f"{path} is larger than {MAX_FILE_BYTES} bytes, the limit for input files")
    if p.suffix.lower() in (".npz", ".npy"):
        return _numpy(p, mlp, kind)
    if p.suffix.lower() in (".pkl", ".pickle", ".joblib", ".pt"):
        raise SpecificationError(
            f"{path} is a pickle file, which symcert never loads; save the data as CSV or .npz"
        )
    return _csv(p, mlp, kind)


def _csv(path: Path, mlp: MLP, kind: str) -> Dataset:
    from symcert.models.reading import text_file

    try:
        rows = [row for row in csv.reader(text_file(path).splitlines()) if any(c.strip() for c in row)]
    except csv.Error as error:
        raise SpecificationError(f"{path} is not a CSV file symcert can read ({error})") from None
    if len(rows) < 2:
        raise SpecificationError(f"{path} has no data rows; expected a header x1,...,y1,... and data rows")
    if len(rows) > MAX_POINTS + 1:
        raise SpecificationError(f"{path} holds more than {MAX_POINTS} data rows")
    header = [name.strip() for name in rows[0]]
    xs_cols = [i for i, name in enumerate(header) if name.startswith("x")]
    ys_cols = [i for i, name in enumerate(header) if name.startswith("y")]
    labelled = header[-1] == "label" and len(xs_cols) == len(header) - 1
    if not xs_cols or not (labelled or (ys_cols and len(xs_cols) + len(ys_cols) == len(header))):
        shown = ",".join(header)[:80]
        raise SpecificationError(
            f"{path}: the header must be x1..xd then y1..ym, or x1..xd,label; got {shown!r}"
        )
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise SpecificationError(f"{path}, line {number}: expected {len(header)} values, got {len(row)}")
    X = [[row[i].strip() for i in xs_cols] for row in rows[1:]]
    if len(xs_cols) != mlp.widths[0]:
        raise SpecificationError(
            f"{path}: {len(xs_cols)} feature columns but the network's input layer takes {mlp.widths[0]}"
        )
    if not labelled:
        return Dataset(X, [[row[i].strip() for i in ys_cols] for row in rows[1:]])
    try:
        labels = np.array([int(row[-1]) for row in rows[1:]])
    except ValueError:
        raise SpecificationError(f"{path}: the label column must hold integers 0, 1, ...") from None
    return Dataset(X, targets_from_labels(labels, kind, mlp.widths[-1]))
