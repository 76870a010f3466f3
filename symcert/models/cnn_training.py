"""A small numpy training loop for the example CNN (``symcert example cnn``): a training aid, not certified.

Nothing here is part of any proof. It only finds a trained point ``A``; the certificate is then decided
on rigorous enclosures of the loss at the exact (float32-rounded) parameters, by
:mod:`symcert.proofs.graph_chord`, and re-checked by the independent checker. Floats find candidates.

The network, on images ``(N, 1, 8, 8)``::

    conv1 3x3 pad 1 (no bias) -> batch norm -> act -> conv2 3x3 pad 1 (no bias) -> batch norm -> act
    -> global average pool -> dense 10 -> softmax cross-entropy

Training is full-batch Adam with hand-derived backpropagation (convolutions as products of unfolded
3x3 patches), batch norm in training form (the statistics of the whole batch). After training the
weights are rounded to float32 and each batch norm's ``mean`` and ``var`` are recomputed from the
training batch through the rounded network (the inference form then reproduces the training
form's output on that batch), and rounded to float32 too. Every step is deterministic from ``seed``.

>>> import numpy as np
>>> X = np.random.default_rng(0).random((16, 1, 8, 8)); y = np.arange(16) % 10
>>> p = train_cnn(X, y, channels=(2, 3), activation="tanh", epochs=5, seed=1)
>>> p["conv1.weight"].shape, p["bn2.var"].dtype
((2, 1, 3, 3), dtype('float32'))
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

import numpy as np

__all__ = ["train_cnn", "forward", "accuracy", "EPSILON", "PARAMETER_ORDER"]

#: The batch norms' epsilon (the graph's ``BatchNorm`` default, 1/100000).
EPSILON = 1e-5
PARAMETER_ORDER = (
    "conv1.weight",
    "bn1.scale",
    "bn1.bias",
    "conv2.weight",
    "bn2.scale",
    "bn2.bias",
    "fc.weight",
    "fc.bias",
)


def _unfold(x: np.ndarray) -> np.ndarray:
    """Channels-last ``(N, H, W, C)`` to its 3x3 patches with zero padding 1: ``(N H W, 9 C)``, ordered
    ``(i, j, c)``."""
    n, h, w, c = x.shape
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    cols = np.stack([padded[:, i : i + h, j : j + w] for i in range(3) for j in range(3)], axis=3)
    return cols.reshape(n * h * w, 9 * c)


def _fold(cols: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The adjoint of :func:`_unfold`: patch gradients summed back onto the ``(N, H, W, C)`` input."""
    n, h, w, c = shape
    grads = cols.reshape(n, h, w, 9, c)
    padded = np.zeros((n, h + 2, w + 2, c), dtype=cols.dtype)
    for k in range(9):
        i, j = divmod(k, 3)
        padded[:, i : i + h, j : j + w] += grads[:, :, :, k]
    return padded[:, 1:-1, 1:-1]


def _matrix(weight: np.ndarray) -> np.ndarray:
    """``(C_out, C_in, 3, 3)`` as ``(C_out, 9 C_in)`` in the patches' ``(i, j, c)`` order."""
    return weight.transpose(0, 2, 3, 1).reshape(weight.shape[0], -1)


def _conv(x: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    cols = _unfold(x)
    return (cols @ _matrix(weight).T).reshape(*x.shape[:3], -1), cols


def _conv_back(dy: np.ndarray, cols: np.ndarray, weight: np.ndarray, shape: tuple) -> tuple:
    flat = dy.reshape(-1, weight.shape[0])
    c_out, c_in = weight.shape[:2]
    dweight = (flat.T @ cols).reshape(c_out, 3, 3, c_in).transpose(0, 3, 1, 2)
    return _fold(flat @ _matrix(weight), shape), dweight


def _act(z: np.ndarray, activation: str) -> np.ndarray:
    return np.tanh(z) if activation == "tanh" else np.maximum(z, 0)


def _act_back(da: np.ndarray, z: np.ndarray, a: np.ndarray, activation: str) -> np.ndarray:
    return da * (1 - a * a) if activation == "tanh" else da * (z > 0)


_AXES = (0, 1, 2)  # batch and spatial axes of (N, H, W, C)


def _bn(x: np.ndarray, scale: np.ndarray, bias: np.ndarray, mean=None, var=None) -> tuple:
    """Batch norm over the channels (last axis); without ``mean``/``var``, the training form."""
    if mean is None:
        mean, var = x.mean(axis=_AXES), x.var(axis=_AXES)
    xhat = (x - mean) / np.sqrt(var + EPSILON)
    return xhat * scale + bias, (xhat, var)


def _bn_back(dy: np.ndarray, scale: np.ndarray, cache: tuple) -> tuple:
    xhat, var = cache
    m = dy.shape[0] * dy.shape[1] * dy.shape[2]
    dscale, dbias = (dy * xhat).sum(axis=_AXES), dy.sum(axis=_AXES)
    dxhat = dy * scale
    dx = m * dxhat - dxhat.sum(axis=_AXES) - xhat * (dxhat * xhat).sum(axis=_AXES)
    return dx / (m * np.sqrt(var + EPSILON)), dscale, dbias


def _images(X: np.ndarray, dtype: type = np.float64) -> np.ndarray:
    """``(N, 1, 8, 8)`` (channels first, as the graph and ONNX) to channels-last ``(N, 8, 8, 1)``."""
    return np.ascontiguousarray(np.asarray(X, dtype=dtype).transpose(0, 2, 3, 1))


def forward(params: dict[str, np.ndarray], X: np.ndarray, activation: str) -> np.ndarray:
    """The logits ``(N, 10)`` in float64 with the stored batch-norm statistics (the inference form)."""
    p = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    a = _images(X)
    for i in (1, 2):
        z, _ = _conv(a, p[f"conv{i}.weight"])
        z, _ = _bn(z, p[f"bn{i}.scale"], p[f"bn{i}.bias"], p[f"bn{i}.mean"], p[f"bn{i}.var"])
        a = _act(z, activation)
    return a.mean(axis=(1, 2)) @ p["fc.weight"].T + p["fc.bias"]


def _loss_and_grads(p: dict[str, np.ndarray], X: np.ndarray, Y: np.ndarray, activation: str) -> tuple:
    """The mean cross-entropy and its gradient, batch norm in training form; ``X`` channels-last."""
    caches, a = [], X
    for i in (1, 2):
        c, cols = _conv(a, p[f"conv{i}.weight"])
        z, bn = _bn(c, p[f"bn{i}.scale"], p[f"bn{i}.bias"])
        out = _act(z, activation)
        caches.append((a.shape, cols, z, out, bn))
        a = out
    pooled = a.mean(axis=(1, 2))
    logits = pooled @ p["fc.weight"].T + p["fc.bias"]
    logits -= logits.max(axis=1, keepdims=True)
    probs = np.exp(logits)
    probs /= probs.sum(axis=1, keepdims=True)
    n = X.shape[0]
    loss = -float(np.sum(Y * np.log(probs + 1e-30))) / n
    dlogits = (probs - Y) / n
    grads = {"fc.weight": dlogits.T @ pooled, "fc.bias": dlogits.sum(axis=0)}
    hw = a.shape[1] * a.shape[2]
    da = np.broadcast_to((dlogits @ p["fc.weight"])[:, None, None, :] / hw, a.shape)
    for i in (2, 1):
        shape, cols, z, out, bn = caches[i - 1]
        dz = _act_back(da, z, out, activation)
        dc, grads[f"bn{i}.scale"], grads[f"bn{i}.bias"] = _bn_back(dz, p[f"bn{i}.scale"], bn)
        if i == 1:  # no gradient for the images
            flat = dc.reshape(-1, dc.shape[-1])
            c_out = p["conv1.weight"].shape[0]
            grads["conv1.weight"] = (flat.T @ cols).reshape(c_out, 3, 3, 1).transpose(0, 3, 1, 2)
        else:
            da, grads[f"conv{i}.weight"] = _conv_back(dc, cols, p[f"conv{i}.weight"], shape)
    return loss, grads


def _initial(channels: Sequence[int], seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    c1, c2 = channels
    return {
        "conv1.weight": rng.standard_normal((c1, 1, 3, 3)) / 3.0,
        "bn1.scale": np.ones(c1),
        "bn1.bias": np.zeros(c1),
        "conv2.weight": rng.standard_normal((c2, c1, 3, 3)) / np.sqrt(9.0 * c1),
        "bn2.scale": np.ones(c2),
        "bn2.bias": np.zeros(c2),
        "fc.weight": rng.standard_normal((10, c2)) / np.sqrt(c2),
        "fc.bias": np.zeros(10),
    }


def train_cnn(
    X: np.ndarray,
    y: np.ndarray,
    channels: Sequence[int] = (4, 8),
    activation: str = "tanh",
    epochs: int = 300,
    seed: int = 0,
    learning_rate: float = 0.02,
) -> dict[str, np.ndarray]:
    """Train on images ``X`` ``(N, 1, 8, 8)`` and labels ``y`` in 0..9 (see the module text).

    ``epochs`` full-batch Adam steps. Returns float32 parameters by the graph's names (``conv1.weight``,
    ``bn1.scale``, ``bn1.bias``, ``bn1.mean``, ``bn1.var``, ..., ``fc.weight``, ``fc.bias``).
    """
    X = _images(X, np.float32)  # float32 training: half the memory traffic; the result is float32 anyway
    Y = np.eye(10, dtype=np.float32)[np.asarray(y, dtype=int)]
    p = {k: v.astype(np.float32) for k, v in _initial(channels, seed).items()}
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v = {k: np.zeros_like(v) for k, v in p.items()}
    beta1, beta2 = 0.9, 0.999
    with _one_blas_thread():
        for step in range(1, epochs + 1):
            _, grads = _loss_and_grads(p, X, Y, activation)
            for k in p:
                m[k] = beta1 * m[k] + (1 - beta1) * grads[k]
                v[k] = beta2 * v[k] + (1 - beta2) * grads[k] ** 2
                hat_m, hat_v = m[k] / (1 - beta1**step), v[k] / (1 - beta2**step)
                p[k] = (p[k] - learning_rate * hat_m / (np.sqrt(hat_v) + 1e-8)).astype(np.float32)
        return _rounded_with_statistics(p, X.astype(np.float64), activation)


def _one_blas_thread() -> contextlib.AbstractContextManager:
    """The products are small: BLAS threads only contend (threadpoolctl, where installed)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(1, user_api="blas")


def _rounded_with_statistics(p: dict[str, np.ndarray], X: np.ndarray, activation: str) -> dict:
    """float32 weights, and each batch norm's statistics from the training batch through them (float32)."""
    out = {k: p[k].astype(np.float32) for k in PARAMETER_ORDER}
    a = X  # channels-last, float64
    for i in (1, 2):
        c, _ = _conv(a, out[f"conv{i}.weight"].astype(np.float64))
        out[f"bn{i}.mean"] = c.mean(axis=_AXES).astype(np.float32)
        out[f"bn{i}.var"] = c.var(axis=_AXES).astype(np.float32)
        z, _ = _bn(c, *(out[f"bn{i}.{k}"].astype(np.float64) for k in ("scale", "bias", "mean", "var")))
        a = _act(z, activation)
    return out


def accuracy(params: dict[str, np.ndarray], X: np.ndarray, y: np.ndarray, activation: str) -> float:
    """The fraction of ``y`` the float64 logits classify right (evidence only)."""
    return float(np.mean(forward(params, X, activation).argmax(axis=1) == np.asarray(y)))
