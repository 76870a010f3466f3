r"""One entry per loss: every fact and every form of it, in one place.

An entry states the loss's facts and the forms each layer of symcert uses (``z`` the output
pre-activations of one data point, ``y`` its targets):

- ``aliases``: other names :func:`~symcert.symbolic.losses.loss_function` accepts (files and the
  command line always carry the canonical name);
- ``output_activation``: the output the loss goes with (the default of the command line and of
  model files, which do not store it); ``requires_output``: no other output is accepted;
- ``mean_over``: what the data term averages over (``"points"``, ``"outputs"``; empty: a sum);
- ``conventions``: how frameworks write the loss, as :class:`Convention` (scikit-learn's ``1/2``
  on the squared error, PyTorch's mean reductions on logits);
- ``convex_in_outputs``: the per-point loss, composed with ``output_activation``, is convex in
  ``z``; ``curvature``: its second derivative in one ``z_k``, written in ``E = exp(z_k)``, when
  that Hessian is diagonal (the Gram-matrix convexity proof uses it), else None;
- ``min_outputs``: the fewest output units the loss accepts, ``outputs_reason`` why (and
  ``outputs_hint``, the same as a :class:`~symcert.errors.Hint` template);
- ``targets``: ``"real"``, ``"probability"`` (each in ``[0, 1]``) or ``"distribution"``
  (probabilities summing to 1); ``labels``: how class labels become targets (``"one-hot"``,
  ``"binary"``: a 0/1 column for one output, None: a label column is read as given);
- ``zero_on_fit``: the loss is 0 exactly when the outputs equal the targets (a teacher point is
  an exact global minimum);
- ``_point``: the per-point loss in any arithmetic given by
  :class:`~symcert.symbolic.losses.Ops` (SymPy, mpmath numbers and intervals, jets);
- ``_engine``: the sum over data points of the per-point loss and its first two derivatives
  along a path, on the rigorous engine's arithmetic ``bk`` (see :class:`EngineOps`);
- ``_float``: the float64 sum over data points (arrays ``... x N x m``) and, on request,
  its gradient in ``z`` (search and screening, never proof);
- ``description``, ``latex``, ``latex_one_output``, ``latex_symbols``: the loss in words and in
  mathematics; ``coq_formula`` and ``_coq``: the comment and the terms of the Coq definition.

Adding a loss means adding one entry here and its cases to ``tests/test_loss_entries.py``, which
checks every form against the exact one and every declared fact (the independent checker keeps
its own formulas, in ``symcert/checker/``).

>>> list(ENTRIES)
['mse', 'sse', 'bce', 'cross_entropy']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy

from symcert.symbolic.activation_entries import _sigmoid_float

__all__ = ["Convention", "EngineOps", "ENTRIES"]


@dataclass(frozen=True)
class Convention:
    """How a framework writes a loss: its own ``name`` for it and the ``factor`` on symcert's data
    term that gives the framework's value (a ``note`` says when they agree).

    >>> ENTRIES["mse"]["conventions"]["scikit-learn"].factor
    1/2
    """

    framework: str
    name: str
    factor: sympy.Rational = sympy.S.One
    note: str = ""


@dataclass(frozen=True)
class EngineOps:
    """What a loss's engine form needs from the rigorous engine, handed down by the engine
    (:mod:`symcert.numeric.engine.network`), since nothing here imports a layer above.

    ``output(z)`` gives the network's output jets from the pre-activation jets ``z``;
    ``probabilities(z0, e)`` the softmax of ``z0`` from ``e = exp(z0 - shift)``; ``total(x)`` sums
    over data points and units (None stays None); ``add`` and ``mul`` treat None as 0.
    """

    output: Callable[[tuple], tuple]
    probabilities: Callable[[Any, Any], Any]
    total: Callable[[Any], Any]
    add: Callable[[Any, Any], Any]
    mul: Callable[[Any, Any], Any]


# -- squared error: sum_k (f_k - y_k)^2 on the outputs f = output(z) --------------------------------


def _squared_point(z: list, y: list, ops: Any) -> Any:
    f = ops.output(list(z))
    return ops.total([(fk - yk) ** 2 for fk, yk in zip(f, y)])


def _squared_engine(bk: Any, z: tuple, Y: Any, order: int, ops: EngineOps) -> tuple:
    f0, f1, f2 = ops.output(z)
    r = f0 - Y
    v = ops.total(bk.square(r))
    d1 = ops.total(ops.mul(r, f1))
    d2 = None
    if order == 2 and f1 is not None:
        d2 = ops.total(ops.add(bk.square(f1), ops.mul(r, f2)))
    return v, None if d1 is None else d1 * 2, None if d2 is None else d2 * 2


def _softmax_float(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


_FLOAT_OUTPUTS = {"identity": lambda z: z, "sigmoid": _sigmoid_float, "softmax": _softmax_float}


def _squared_float(z: np.ndarray, y: np.ndarray, output: str, gradient: bool) -> tuple:
    f = _FLOAT_OUTPUTS[output](z)
    r = f - y
    value = (r * r).sum(axis=(-2, -1))
    if not gradient:
        return value, None
    g = 2.0 * r
    if output == "sigmoid":
        g = g * f * (1.0 - f)
    elif output == "softmax":
        g = f * (g - (g * f).sum(axis=-1, keepdims=True))
    return value, g


def _squared_coq(f: list[str], z: list[str], y: list[str]) -> list[str]:
    return [f"({fk} - {yk}) ^ 2" for fk, yk in zip(f, y)]


_SQUARED = dict(
    output_activation="identity",
    requires_output=False,
    convex_in_outputs=True,
    curvature=lambda E: sympy.Integer(2),
    convex_model="linear regression",
    min_outputs=1,
    targets="real",
    labels=None,
    zero_on_fit=True,
    latex=r"\ell_i(\theta) = \textstyle\sum_{k} \bigl(f_k(x_i;\theta) - y_{ik}\bigr)^2",
    latex_one_output=r"\ell_i(\theta) = \bigl(f(x_i;\theta) - y_i\bigr)^2",
    coq_formula="sum_i sum_k (f_k(x_i; p) - y_ik)^2",
    _point=_squared_point,
    _engine=_squared_engine,
    _float=_squared_float,
    _coq=_squared_coq,
)


# -- binary cross-entropy on the logits: sum_k log(1 + e^{z_k}) - y_k z_k ---------------------------


def _bce_point(z: list, y: list, ops: Any) -> Any:
    return ops.total([ops.log(1 + ops.exp(zk)) - yk * zk for zk, yk in zip(z, y)])


def _bce_engine(bk: Any, z: tuple, Y: Any, order: int, ops: EngineOps) -> tuple:
    z0, z1, z2 = z
    s = bk.sigmoid(z0)
    v = ops.total(bk.softplus(z0) - Y * z0)
    if order == 0 or z1 is None:
        return v, None, None
    first = s - Y
    d1 = ops.total(first * z1)
    d2 = ops.total(ops.add(s * (1 - s) * bk.square(z1), ops.mul(first, z2))) if order == 2 else None
    return v, d1, d2


def _bce_float(z: np.ndarray, y: np.ndarray, output: str, gradient: bool) -> tuple:
    value = (np.logaddexp(0.0, z) - y * z).sum(axis=(-2, -1))
    return value, (_sigmoid_float(z) - y) if gradient else None


def _bce_coq(f: list[str], z: list[str], y: list[str]) -> list[str]:
    return [f"(ln (1 + exp ({zk})) - {yk} * {zk})" for zk, yk in zip(z, y)]


# -- cross-entropy on the logits: (sum_k y_k) log sum_j e^{z_j} - sum_k y_k z_k ---------------------


def _ce_point(z: list, y: list, ops: Any) -> Any:
    return ops.total(list(y)) * ops.log(ops.total([ops.exp(zk) for zk in z])) - ops.total(
        [yk * zk for zk, yk in zip(z, y)]
    )


def _ce_engine(bk: Any, z: tuple, Y: Any, order: int, ops: EngineOps) -> tuple:
    z0, z1, z2 = z
    sy = bk.rowsum(Y)
    shift = bk.row_max_mid(z0)
    e = bk.exp(z0 - shift)
    lse = shift + bk.log(bk.rowsum(e))
    v = ops.total(sy * lse) - ops.total(Y * z0)
    if order == 0 or z1 is None:
        return v, None, None
    p = ops.probabilities(z0, e)
    pz1 = bk.rowsum(p * z1)
    d1 = ops.total(sy * pz1) - ops.total(Y * z1)
    d2 = None
    if order == 2:  # LSE'' = <p, z''> + <p, z'^2> - <p, z'>^2
        curv = bk.rowsum(p * bk.square(z1)) - bk.square(pz1)
        if z2 is not None:
            curv = curv + bk.rowsum(p * z2)
        d2 = ops.total(sy * curv)
        if z2 is not None:
            d2 = d2 - ops.total(Y * z2)
    return v, d1, d2


def _ce_float(z: np.ndarray, y: np.ndarray, output: str, gradient: bool) -> tuple:
    top = z.max(axis=-1, keepdims=True)
    lse = (np.log(np.exp(z - top).sum(axis=-1, keepdims=True)) + top)[..., 0]
    total = y.sum(axis=-1)
    value = (total * lse - (y * z).sum(axis=-1)).sum(axis=-1)
    return value, (total[..., None] * _softmax_float(z) - y) if gradient else None


def _ce_coq(f: list[str], z: list[str], y: list[str]) -> list[str]:
    total_y = " + ".join(y)
    total_exp = " + ".join(f"exp ({zk})" for zk in z)
    linear = " + ".join(f"{yk} * {zk}" for zk, yk in zip(z, y))
    return [f"(({total_y}) * ln ({total_exp}) - ({linear}))"]


_HALF = sympy.Rational(1, 2)

#: The entries, by name (the order is the order of :data:`~symcert.symbolic.losses.LOSS_KINDS`).
ENTRIES: dict[str, dict[str, Any]] = {
    "mse": dict(
        _SQUARED,
        aliases=("mean_squared_error",),
        description="mean squared error",
        mean_over=("points", "outputs"),
        conventions={
            "scikit-learn": Convention("scikit-learn", "squared_error", _HALF, "MLPRegressor"),
            "pytorch": Convention("pytorch", "nn.MSELoss(reduction='mean')"),
        },
    ),
    "sse": dict(
        _SQUARED,
        aliases=("sum_squared_error",),
        description="sum of squared errors",
        mean_over=(),
        conventions={"pytorch": Convention("pytorch", "nn.MSELoss(reduction='sum')")},
    ),
    "bce": dict(
        aliases=("binary_cross_entropy",),
        description="binary cross-entropy",
        output_activation="sigmoid",
        requires_output=True,
        mean_over=("points",),
        conventions={
            "scikit-learn": Convention("scikit-learn", "log_loss", note="MLPClassifier, two classes"),
            "pytorch": Convention(
                "pytorch",
                "nn.BCEWithLogitsLoss(reduction='mean')",
                note="on the logits; PyTorch also averages over outputs, so the two agree for one output",
            ),
        },
        convex_in_outputs=True,
        curvature=lambda E: E / (1 + E) ** 2,
        convex_model="logistic regression",
        min_outputs=1,
        targets="probability",
        labels="binary",
        zero_on_fit=False,
        latex=r"\ell_i(\theta) = \log\bigl(1 + e^{z_i}\bigr) - y_i z_i"
        r" = -\bigl(y_i \log f_i + (1 - y_i)\log(1 - f_i)\bigr)",
        latex_symbols=r"with $z_i = z(x_i;\theta)$ the output pre-activation and $f_i = f(x_i;\theta)$, ",
        coq_formula="sum_i sum_k (ln(1 + exp z_k(x_i; p)) - y_ik z_k(x_i; p))",
        _point=_bce_point,
        _engine=_bce_engine,
        _float=_bce_float,
        _coq=_bce_coq,
    ),
    "cross_entropy": dict(
        aliases=("categorical_cross_entropy",),
        description="cross-entropy",
        output_activation="softmax",
        requires_output=True,
        mean_over=("points",),
        conventions={
            "scikit-learn": Convention(
                "scikit-learn", "log_loss", note="MLPClassifier, three or more classes"
            ),
            "pytorch": Convention("pytorch", "nn.CrossEntropyLoss(reduction='mean')", note="on the logits"),
        },
        convex_in_outputs=True,
        curvature=None,  # the Hessian in z is diag(p) - p p^T, not diagonal
        convex_model="softmax regression",
        min_outputs=2,
        outputs_reason=(
            "the cross_entropy loss of a network with one output is identically 0 (softmax over one "
            "output is the constant 1), so nothing can be proved about it; give the network two or "
            "more outputs, or use the bce loss with output_activation='sigmoid' for binary targets"
        ),
        outputs_hint=(
            "the cross_entropy loss of a network with one output is identically 0 (softmax over "
            "one output is the constant 1); give two or more outputs (the last entry of {widths}) "
            "or use {loss:bce} for binary targets"
        ),
        targets="distribution",
        labels="one-hot",
        zero_on_fit=False,
        latex=r"\ell_i(\theta) = \log \textstyle\sum_{j} e^{z_{ij}} - \sum_k y_{ik} z_{ik}",
        latex_symbols=r"with $z_{ik} = z_k(x_i;\theta)$ the output pre-activations and "
        r"$f_i = f(x_i;\theta)$, ",
        coq_formula="sum_i ((sum_k y_ik) ln(sum_k exp z_k(x_i; p)) - sum_k y_ik z_k(x_i; p))",
        _point=_ce_point,
        _engine=_ce_engine,
        _float=_ce_float,
        _coq=_ce_coq,
    ),
}
