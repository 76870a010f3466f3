"""The loss a framework trained with: ``--framework sklearn`` on ``prove`` and ``barrier``.

scikit-learn's ``MLPRegressor`` minimises half the mean squared error plus ``alpha / (2n)``
times the sum of squared weights; ``MLPClassifier`` the log-loss (``bce`` for two classes,
``cross_entropy`` for more) plus the same penalty. ``--framework sklearn`` makes symcert
certify that loss, and picks the log-loss when the data file holds class labels.

>>> import argparse
>>> loss_kind(argparse.Namespace(loss=None, framework="plain", data="teacher"))
'mse'
"""

from __future__ import annotations

import argparse
from fractions import Fraction
from pathlib import Path
from typing import Any

from symcert.errors import SpecificationError
from symcert.symbolic.exact import to_rational
from symcert.symbolic.losses import Loss

__all__ = ["class_labels", "loss_kind", "framework_loss", "classifier_hint"]


def class_labels(path: str) -> list[int] | None:
    """The distinct class labels of a data file that holds one integer label per row, else None."""
    from symcert.models.reading import npz_arrays, text_file

    p = Path(path)
    try:
        if p.suffix.lower() == ".npz":
            y = npz_arrays(p).get("y")
            if y is None or y.ndim != 1 or y.dtype.kind not in "iub":
                return None
            return sorted({int(v) for v in y})
        if p.suffix.lower() == ".csv" or p.suffix == "":
            text = text_file(p)  # bounded: a device or a huge file is refused, never read whole
            rows = [line.strip().split(",") for line in text.splitlines() if line.strip()]
            if not rows or rows[0][-1].strip() != "label":
                return None
            return sorted({int(row[-1]) for row in rows[1:]})
    except (OSError, ValueError, SpecificationError):
        return None
    return None


def loss_kind(args: argparse.Namespace) -> str:
    """``--loss``, or the framework's: scikit-learn's MLPClassifier for class labels, squared error else."""
    if args.loss is not None:
        return str(args.loss)
    if args.framework == "sklearn" and args.data != "teacher":
        labels = class_labels(args.data)
        if labels is not None:
            return "bce" if len(labels) <= 2 else "cross_entropy"  # MLPClassifier: logistic or softmax
    return "mse"


def framework_loss(args: argparse.Namespace, mlp: Any, data: Any, kind: str) -> Loss:
    """The loss of ``--framework``: scikit-learn's (1/2 on squared error, alpha/(2n)), or as given."""
    decay = to_rational(args.weight_decay, "weight_decay")
    if args.framework != "sklearn":
        return Loss(mlp, data, kind, decay)
    return Loss(mlp, data, kind, decay / (2 * data.n_points), factor=Fraction(1, 2) if kind == "mse" else 1)


def classifier_hint(args: argparse.Namespace, kind: str, error: SpecificationError) -> SpecificationError:
    """``error``, with the flag to use when the default squared error met a file of class labels."""
    if args.loss is None and kind == "mse" and class_labels(args.data) is not None:
        return SpecificationError(
            f"{error}; {args.data} holds class labels, so the model is a classifier: give --loss "
            "cross_entropy (softmax output) or --loss bce (one sigmoid output), or --framework sklearn "
            "for scikit-learn's MLPClassifier loss"
        )
    return error
