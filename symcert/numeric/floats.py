"""Float64 evaluation with numpy, vectorised over data points: for search and screening only.

Floats never prove: these values steer the optimiser and the search for
witnesses; every claim is then re-evaluated in interval arithmetic.
:class:`FloatLoss` converts the data once and gives the loss and its analytic
gradient (backpropagation) at a flat parameter vector.

>>> from symcert import MLP, Dataset, Loss
>>> net = MLP((1, 1, 1), "tanh")
>>> loss = Loss(net, Dataset([[1]], [[0]]), "sse")
>>> compiled = FloatLoss(loss)
>>> theta = np.array([1.0, 0.0, 1.0, 0.0])
>>> round(compiled.value(theta), 12)          # tanh(1)^2
0.580025658386
>>> np.round(compiled.gradient(theta), 6)
array([0.6397  , 0.6397  , 1.160051, 1.523188])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from symcert.errors import SpecificationError
from symcert.numeric.contexts import mp_context
from symcert.numeric.evaluation import targets_in
from symcert.symbolic.losses import Loss
from symcert.symbolic.point import Point

__all__ = ["FloatLoss", "loss_float", "gradient_float"]


class FloatLoss:
    """A loss compiled to float64 arrays: :meth:`value` and :meth:`gradient` at a flat vector."""

    def __init__(self, loss: Loss) -> None:
        if not isinstance(loss, Loss):
            raise SpecificationError(f"expected a Loss, got {type(loss).__name__}")
        self.loss = loss
        mlp = loss.mlp
        self.n_parameters = mlp.n_parameters
        if hasattr(loss.data, "integer_arrays"):  # integer matrices (data files): floats without SymPy
            X, x_den, Y, y_den = loss.data.integer_arrays()
            self.xs, self.ys = X / float(x_den), Y / float(y_den)
        else:
            self.xs = np.array([[float(v) for v in x] for x in loss.data.xs])
            ctx = mp_context(30)  # teacher targets are exact expressions: round them once, here
            self.ys = np.array([[float(v) for v in y] for y in targets_in(ctx, loss)])
        self.scale = float(loss.scale)
        self.decay = float(loss.weight_decay)
        self.decay_mask = np.zeros(self.n_parameters)
        self.decay_mask[list(loss.weight_indices)] = 1.0
        self._slices = []
        position = 0
        for l in range(1, mlp.depth + 1):
            rows, cols = mlp.widths[l], mlp.widths[l - 1]
            w = (position, position + rows * cols, rows, cols)
            position += rows * cols
            b = (position, position + rows) if mlp.has_bias(l) else None
            position += rows if mlp.has_bias(l) else 0
            self._slices.append((w, b))
        self._activation = mlp.activation

    def check(self, theta: Any) -> np.ndarray:
        """``theta`` as a finite float64 vector of the right length, or a clear error."""
        if isinstance(theta, Point):
            if theta.mlp != self.loss.mlp:
                raise SpecificationError(
                    f"the point belongs to the {theta.mlp.describe()}, "
                    f"not to the loss's {self.loss.mlp.describe()}"
                )
            theta = [float(v) for v in theta.values]
        array = np.asarray(theta, dtype=float)
        if array.shape != (self.n_parameters,):
            raise SpecificationError(
                f"a parameter vector of the {self.loss.mlp.describe()} has shape ({self.n_parameters},), "
                f"got {array.shape}"
            )
        if not np.all(np.isfinite(array)):
            raise SpecificationError(
                "the parameter vector must be finite, got NaN or infinity; restart the search"
            )
        return array

    def _layers(self, theta: np.ndarray) -> list[tuple[np.ndarray, np.ndarray | None]]:
        out: list[tuple[np.ndarray, np.ndarray | None]] = []
        for (w0, w1, rows, cols), b in self._slices:
            out.append((theta[w0:w1].reshape(rows, cols), theta[b[0] : b[1]] if b else None))
        return out

    def _hidden(self, z: np.ndarray) -> np.ndarray:
        return np.asarray(self._activation.float64(z))

    def _forward(
        self, theta: np.ndarray
    ) -> tuple[list[tuple[np.ndarray, np.ndarray | None]], list[np.ndarray], list[np.ndarray]]:
        layers = self._layers(theta)
        activations: list[np.ndarray] = [self.xs]
        pre: list[np.ndarray] = []
        a = self.xs
        for l, (w, b) in enumerate(layers):
            z = a @ w.T + (b if b is not None else 0.0)
            pre.append(z)
            if l < len(layers) - 1:
                a = self._hidden(z)
                activations.append(a)
        return layers, activations, pre

    def _loss_and_dz(self, z: np.ndarray, gradient: bool = True) -> tuple[float, np.ndarray | None]:
        """The data term (before scaling) and, with ``gradient``, its gradient in the outputs ``z``."""
        value, dz = self.loss.function.float64(z, self.ys, self.loss.mlp.output_activation.name, gradient)
        return float(value), dz

    def value(self, theta: Any) -> float:
        """The loss at the float vector ``theta`` (or a Point): float64 evidence."""
        theta = self.check(theta)
        _, _, pre = self._forward(theta)
        value, _ = self._loss_and_dz(pre[-1], gradient=False)
        return self.scale * value + self.decay * float(np.sum(self.decay_mask * theta * theta))

    def value_and_gradient(self, theta: Any) -> tuple[float, np.ndarray]:
        """The loss and its analytic gradient (backpropagation) at ``theta``."""
        theta = self.check(theta)
        layers, activations, pre = self._forward(theta)
        value, dz = self._loss_and_dz(pre[-1])
        assert dz is not None  # asked for with gradient=True
        dz = self.scale * dz
        grads: list[np.ndarray] = []
        for l in range(len(layers) - 1, -1, -1):
            w, b = layers[l]
            parts = [(dz.T @ activations[l]).ravel()]
            if b is not None:
                parts.append(dz.sum(axis=0))
            grads[:0] = [np.concatenate(parts)]
            if l > 0:
                z, a = pre[l - 1], activations[l]
                dz = (dz @ w) * self._activation.float64_derivative(z, a)
        gradient = np.concatenate(grads) + 2.0 * self.decay * self.decay_mask * theta
        return self.scale * value + self.decay * float(np.sum(self.decay_mask * theta * theta)), gradient

    def gradient(self, theta: Any) -> np.ndarray:
        """The analytic gradient at ``theta``."""
        return self.value_and_gradient(theta)[1]


def loss_float(loss: Loss, theta: Any) -> float:
    """The loss in float64 at a Point or float vector (search and screening only)."""
    return FloatLoss(loss).value(theta)


def gradient_float(loss: Loss, theta: Any) -> np.ndarray:
    """The analytic float64 gradient at a Point or float vector."""
    return FloatLoss(loss).gradient(theta)
