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

__all__ = ["class_labels", "loss_kind", "framework_loss", "classifier_hint", "graph_loss_and_data"]


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
    if kind != "mse" or class_labels(args.data) is None:
        return error
    if args.loss is not None:  # asked for explicitly: say why it cannot fit, and what would
        return SpecificationError(
            f"{error}; {args.data} holds class labels, which --loss mse cannot fit (it needs one target "
            "per output unit): for a classifier give --loss cross_entropy (softmax output) or --loss bce "
            "(one sigmoid output)"
            + (", or drop --loss: --framework sklearn infers it" if args.framework == "sklearn" else "")
        )
    return SpecificationError(
        f"{error}; {args.data} holds class labels, so the model is a classifier: give --loss "
        "cross_entropy (softmax output) or --loss bce (one sigmoid output), or --framework sklearn "
        "for scikit-learn's MLPClassifier loss"
    )


def graph_loss_and_data(args: argparse.Namespace, graph: Any) -> tuple[str, Any, Any]:
    """The loss of an ONNX model and its data ``(kind, X, Y)``: ``--loss``, else the one its format says.

    Without ``--loss`` on a data file of class labels, a model that ends in a softmax over two or more
    outputs is a classifier trained with cross-entropy: ``cross_entropy``, said on stderr; a model
    whose outputs are logits gets an error naming the flag (the squared error of labels has no shape to
    match). Everything else keeps the default ``mse``.
    """
    import sys

    from symcert.models.graph_data import load_graph_data
    from symcert.symbolic.graph import Softmax

    kind = args.loss or "mse"
    out = graph.shapes[graph.output]
    labelled = args.loss is None and len(out) == 1 and out[0] > 1 and class_labels(args.data) is not None
    if labelled and isinstance(graph.nodes[-1].layer, Softmax):
        kind = "cross_entropy"
        print(
            f"Loss: cross_entropy, since {args.model if isinstance(args.model, str) else args.model[0]} ends "
            f"in a softmax and {args.data} holds class labels (give --loss to choose another)",
            file=sys.stderr,
        )
    try:
        X, Y = load_graph_data(args.data, graph, kind)
    except SpecificationError as error:
        if labelled and kind == "mse":
            raise SpecificationError(
                f"{error}; {args.data} holds class labels, so the model is a classifier: give --loss "
                "cross_entropy (its outputs are logits: softmax cross-entropy, as PyTorch's "
                "CrossEntropyLoss)"
            ) from None
        raise
    return kind, X, Y
