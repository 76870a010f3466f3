"""Fitted scikit-learn ``MLPClassifier`` / ``MLPRegressor``: the exact network, point and loss.

Conventions (scikit-learn 1.x, ``sklearn/neural_network/_base.py`` and ``_multilayer_perceptron.py``;
``n`` samples, ``m`` outputs, ``||W||^2`` the sum of squared weights, biases excluded):

- regressor, ``squared_error``: ``sum_i sum_k (y_ik - p_ik)^2 / (2 n m) + alpha/(2n) ||W||^2``.
  That is exactly symcert's ``mse`` loss with ``factor = 1/2`` (on the data term) and
  ``weight_decay = alpha/(2n)``: the loss, and so the certificate, is scikit-learn's own.
- binary classifier (logistic output, one unit): mean binary log-loss on 0/1 labels
  (``classes_[1]`` is 1) = symcert's ``bce`` with a sigmoid output, ``weight_decay = alpha/(2n)``.
- multiclass classifier (softmax output): mean ``-log p_{label}`` on one-hot labels =
  symcert's ``cross_entropy`` with a softmax output, ``weight_decay = alpha/(2n)``.

scikit-learn clips probabilities to ``[eps, 1 - eps]`` before the logarithm; symcert does
not (the two agree unless a probability is within ``2.2e-16`` of 0 or 1).
Hidden activations map ``relu, tanh, logistic, identity`` to symcert's ``relu, tanh,
sigmoid, identity``. ``coefs_[l]`` is ``in x out``, so ``W{l+1} = coefs_[l].T`` exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import sympy

from symcert.errors import SpecificationError
from symcert.models.loaders import network_from_arrays
from symcert.symbolic.data import Dataset
from symcert.symbolic.losses import Loss, loss_function
from symcert.symbolic.network import MLP
from symcert.symbolic.point import Point

__all__ = ["LoadedModel", "from_sklearn", "SKLEARN_ACTIVATIONS"]

SKLEARN_ACTIVATIONS = {"relu": "relu", "tanh": "tanh", "logistic": "sigmoid", "identity": "identity"}
_OUTPUTS = {"identity": "identity", "logistic": "sigmoid", "softmax": "softmax"}


@dataclass(frozen=True)
class LoadedModel:
    """A trained network, its exact point and (where the framework defines it) its training loss.

    ``loss`` is the framework's loss exactly (scikit-learn's squared error carries its
    ``1/2`` as :attr:`Loss.factor <symcert.symbolic.losses.Loss>`).
    """

    mlp: MLP
    point: Point
    loss: Loss | None
    convention: str = ""


def _exact(value: float) -> sympy.Rational:
    f = Fraction(float(value))
    return sympy.Rational(f.numerator, f.denominator)


def sklearn_network(estimator: Any) -> tuple[MLP, Point]:
    """The network and exact point of a fitted ``MLPClassifier`` or ``MLPRegressor``."""
    if not hasattr(estimator, "coefs_") or not hasattr(estimator, "intercepts_"):
        raise SpecificationError(
            f"expected a fitted scikit-learn MLPClassifier or MLPRegressor, got {type(estimator).__name__}; "
            "call .fit(X, y) first"
        )
    hidden = SKLEARN_ACTIVATIONS.get(estimator.activation)
    output = _OUTPUTS.get(estimator.out_activation_)
    if hidden is None or output is None:
        raise SpecificationError(
            f"unsupported activations {estimator.activation!r} / {estimator.out_activation_!r}; "
            f"symcert reads {', '.join(SKLEARN_ACTIVATIONS)} hidden and identity, logistic, softmax outputs"
        )
    weights = [np.asarray(c).T for c in estimator.coefs_]
    return network_from_arrays(weights, list(estimator.intercepts_), hidden, output)


def sklearn_targets(estimator: Any, y: Any) -> tuple[str, np.ndarray]:
    """The symcert loss kind and exact target matrix for labels ``y`` (see the module docstring)."""
    out = estimator.out_activation_
    y = np.asarray(y)
    if out == "identity":
        if getattr(estimator, "loss", "squared_error") != "squared_error":
            raise SpecificationError(f"symcert reads the squared_error loss, got {estimator.loss!r}")
        return "mse", y.reshape(len(y), -1)
    classes = list(estimator.classes_)
    if y.ndim != 1:
        raise SpecificationError(f"expected one class label per sample, got labels of shape {y.shape}")
    unknown = sorted({v for v in y.tolist() if v not in classes}, key=str)
    if unknown:
        raise SpecificationError(
            f"labels {unknown[:5]} are not among the classifier's classes {classes[:10]}"
        )
    index = np.array([classes.index(v) for v in y.tolist()])
    if out == "logistic":
        if len(classes) != 2:
            raise SpecificationError("a logistic output is read for binary classification only (2 classes)")
        return "bce", index.reshape(-1, 1)
    one_hot = np.zeros((len(y), len(classes)), dtype=np.int64)
    one_hot[np.arange(len(y)), index] = 1
    return "cross_entropy", one_hot


def from_sklearn(estimator: Any, X: Any = None, y: Any = None) -> LoadedModel:
    """The exact network and point of a fitted estimator, and its training loss on ``X, y``.

    Without ``X`` and ``y`` the loss is ``None``. Features are converted exactly
    (each float to its exact rational).
    """
    mlp, point = sklearn_network(estimator)
    if X is None or y is None:
        return LoadedModel(mlp, point, None)
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != mlp.widths[0]:
        raise SpecificationError(
            f"the features must have shape (n, {mlp.widths[0]}) for this network, got {X.shape}"
        )
    if len(X) != len(y):
        raise SpecificationError(f"expected one label per sample, got {len(X)} samples and {len(y)} labels")
    kind, targets = sklearn_targets(estimator, y)
    n = len(X)
    alpha = _exact(estimator.alpha)
    data = Dataset(X, targets)
    sklearn = loss_function(kind).conventions["scikit-learn"]
    loss = Loss(mlp, data, kind, alpha / (2 * n), factor=sklearn.factor)
    term = f"({sklearn.factor}) * {kind}" if sklearn.factor != 1 else f"mean {kind}"
    convention = f"scikit-learn {sklearn.name}: {term} + alpha/(2n) * sum of squared weights"
    return LoadedModel(mlp, point, loss, convention)
