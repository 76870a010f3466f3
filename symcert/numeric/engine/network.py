r"""The loss and its derivatives along a direction, for a whole batch of data at once.

Forward-mode second-order jets along one direction ``d``: every quantity ``q`` is
carried as ``(q, q', q'')``, the value and the first two derivatives of
``s -> q(theta + s d)`` at ``s = 0``. A linear layer ``z = a W^T + b`` gives::

    z' = a dW^T + a' W^T + db,        z'' = 2 a' dW^T + a'' W^T

an activation ``u = sigma(z)`` gives ``u' = sigma'(z) z'`` and
``u'' = sigma''(z) z'^2 + sigma'(z) z''`` (``sigma'``, ``sigma''`` written through
``sigma(z)`` itself, e.g. ``tanh' = 1 - tanh^2``); the losses follow the formulas of
:mod:`symcert.symbolic.losses`, differentiated by hand below (softmax:
``f' = f (z' - <f, z'>)``; log-sum-exp: ``LSE' = <p, z'>``,
``LSE'' = <p, z''> + <p, z'^2> - <p, z'>^2``). Each formula is an exact identity, and
each is evaluated in a rigorous arithmetic (:mod:`.backends`) on enclosures of its
ingredients, so every output encloses the exact value. With ``order = 0`` only
values are computed; gradients in any direction and Hessian-vector forms
``d^T H d`` are the ``order = 1, 2`` components.

Parameters are exact layouts (a point) or enclosures (a box, :func:`evaluate`'s
``params`` as backend arrays), so the same code encloses the range of the loss over
a box of parameters or a sub-interval of ``t``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from symcert.errors import SpecificationError
from symcert.numeric.engine.chunks import summed
from symcert.numeric.engine.layout import Exact, PointLayout, data_layout
from symcert.symbolic.activations import Activation, activation
from symcert.symbolic.loss_entries import EngineOps

__all__ = ["Weights", "weights_of", "stacked", "evaluate", "chunk_term", "data_term", "block_rows"]


@dataclass(frozen=True)
class Weights:
    """One layer's parameters in a backend: enclosures, and the exact layout when there is one.

    ``spread = (S, D, exact_D)``, when given, makes the weights the centred box ``W + S D``
    (``S`` an enclosure of ``[-h, h]``, ``D`` the direction's weights): products are then
    ``x W^T + S (x D^T)``, whose radius ``h |x D^T|`` is far tighter than the box product's
    ``h |x| |D|^T`` (the sum over inputs cancels before the width is taken).
    The bias ``b`` is then already the whole box.
    """

    W: Any
    b: Any
    exact_W: Exact | tuple[Any, ...] | None = None  # a tuple: one per point of a stack (stacked)
    spread: tuple[Any, Any, Any] | None = None
    exact_b: Exact | tuple[Any, ...] | None = None  # the bias's exact layout (``b`` is then exactly it)

    def box(self, bk: Any) -> Any:
        """The weights as one enclosure (the centred box summed)."""
        if self.spread is None:
            return self.W
        S, D, _ = self.spread
        return self.W + S * D


def weights_of(bk: Any, layout: PointLayout) -> list[Weights]:
    """Backend enclosures of an exact point (keeping the exact layout for the first layer)."""
    return [
        Weights(bk.array(l.W), None if l.b is None else bk.array(l.b)[None, :], l.W, exact_b=l.b)
        for l in layout.layers
    ]


def stacked(bk: Any, layouts: Sequence[PointLayout]) -> list[Weights]:
    """Several exact points as one batch along a leading axis (one forward pass for all)."""
    per_point = [weights_of(bk, lay) for lay in layouts]
    out = []
    for layers in zip(*per_point):
        W = bk.stack([w.W for w in layers])
        b = None if layers[0].b is None else bk.stack([w.b for w in layers])
        exact = tuple(w.exact_W for w in layers)
        exact_b = None if b is None else tuple(w.exact_b for w in layers)
        out.append(Weights(W, b, exact, exact_b=exact_b))
    return out


def _add(a: Any, b: Any) -> Any:
    if a is None:
        return b
    return a if b is None else a + b


def _mul(a: Any, b: Any) -> Any:
    return None if a is None or b is None else a * b


def _linear(bk: Any, a: tuple, layer: Weights, step: Weights | None, X: Exact | None, order: int):
    a0, a1, a2 = a
    made: dict[tuple[int, int], Any] = {}  # x D^T is met twice on a centred box (spread and step)

    def product(x: Any, W: Any, exact: Any) -> Any:
        key = (id(x), id(W))
        if key not in made:
            made[key] = _product(x, W, exact)
        return made[key]

    def _product(x: Any, W: Any, exact: Any) -> Any:
        if X is not None and x is a0 and exact is not None:
            found = bk.exact_product(X, exact)
            if found is not None:
                return found
        return bk.matmul(x, bk.transpose(W))

    def times(x: Any, w: Weights) -> Any:
        if x is None:
            return None
        out = product(x, w.W, w.exact_W)
        if w.spread is not None:
            S, D, exact_D = w.spread
            out = out + S * product(x, D, exact_D)
        return out

    def affine(x: Any, w: Weights) -> Any:
        """``x W^T + b``: on the exact inputs with exact weights and bias, exactly when it fits."""
        if X is not None and x is a0 and w.spread is None and w.exact_W is not None and w.exact_b is not None:
            found = bk.exact_affine(X, w.exact_W, w.exact_b)
            if found is not None:
                return found
        return _add(times(x, w), w.b)

    z0 = affine(a0, layer)
    if order == 0:
        return z0, None, None
    assert step is not None  # a jet of order 1 or 2 has its direction
    z1 = _add(affine(a0, step), times(a1, layer))
    z2 = None
    if order == 2:
        cross = times(a1, step)
        z2 = _add(None if cross is None else cross * 2, times(a2, layer))
    return z0, z1, z2


def _activation(bk: Any, act: Activation, z: tuple, order: int) -> tuple:
    """The activation's value and derivatives along the path, from its own jets (chain rule here)."""
    z0, z1, z2 = z
    if act.linear:
        return z
    if order and not act.smooth:
        raise SpecificationError(
            f"derivatives need a smooth hidden activation, got {act.label!r}; use tanh, sigmoid or softplus"
        )
    if order == 0 and act.name in _VALUE_METHODS:
        return getattr(bk, act.name)(z0), None, None
    s, d1, d2 = act.jets(bk, z0, order)
    if order == 0 or d1 is None:
        return s, None, None
    u1 = _mul(d1, z1)
    u2 = _add(_mul(d2, None if z1 is None else bk.square(z1)), _mul(d1, z2)) if order == 2 else None
    return s, u1, u2


#: Activations whose jets' value is the backend's method of the same name (``tanh_jets`` returns
#: ``bk.tanh(z)`` first, and so on): at order 0 the value alone, without the derivatives' passes.
_VALUE_METHODS = frozenset({"tanh", "sigmoid", "softplus"})


def _dot_rows(bk: Any, p: Any, q: Any) -> Any:
    """Row-wise ``<p, q>`` as a column (``None`` when ``q`` is zero)."""
    if q is None:
        return None
    return bk.rowsum(p * q)


def _probabilities(bk: Any, z0: Any, e: Any = None) -> Any:
    """``softmax(z0)_k = 1 / (1 + S_k / e_k)`` with ``e = exp(z0 - shift)`` (``shift`` an exact float per
    row, so no overflow) and ``S_k = sum_{j != k} e_j``: each ``e_j`` enters once, so for independent
    intervals ``z_j`` this is as tight as ``1 / sum_j exp(z_j - z_k)``, with one ``exp`` per entry
    instead of one per pair (``e`` may be passed when already computed with the same shift)."""
    if e is None:
        e = bk.exp(z0 - bk.row_max_mid(z0))
    others = bk.others_sum(e)
    return 1 / (1 + bk.nonnegative_ratio(others, e))


def _softmax(bk: Any, z: tuple, order: int) -> tuple:
    z0, z1, z2 = z
    f0 = _probabilities(bk, z0)
    if order == 0 or z1 is None:
        return f0, None, None
    g = z1 - _dot_rows(bk, f0, z1)
    f1 = f0 * g
    if order == 1:
        return f0, f1, None
    inner = _add(_add(None if z2 is None else z2, -_dot_rows(bk, f1, z1)), _neg(_dot_rows(bk, f0, z2)))
    return f0, f1, f1 * g + f0 * inner


def _neg(x: Any) -> Any:
    return None if x is None else -x


def _output(bk: Any, mlp: Any, z: tuple, order: int) -> tuple:
    name = mlp.output_activation.name
    if name == "identity":
        return z
    if name == "sigmoid":
        return _activation(bk, _SIGMOID, z, order)
    return _softmax(bk, z, order)


_SIGMOID = activation("sigmoid")  # the output sigmoid: the hidden activation's forms


def _network(bk, mlp, X: Exact, params: Sequence[Weights], steps, order: int, final: bool) -> tuple:
    a: tuple = (bk.array(X), None, None)
    for l, layer in enumerate(params, start=1):
        step = steps[l - 1] if steps is not None else None
        z = _linear(bk, a, layer, step, X if l == 1 else None, order)
        a = _activation(bk, mlp.activation, z, order) if l < mlp.depth else z
    return _output(bk, mlp, a, order) if final else a


def _total(bk: Any, x: Any) -> Any:
    """The sum over data points and units (the last two axes)."""
    return None if x is None else bk.sum(x, axis=(-2, -1))


def _point_losses(bk: Any, mlp: Any, function: Any, z: tuple, Y: Any, order: int) -> tuple:
    """The sum over data points of the per-point loss, as a jet (the loss's own engine form)."""
    ops = EngineOps(
        output=lambda jets: _output(bk, mlp, jets, order),
        probabilities=lambda z0, e: _probabilities(bk, z0, e),
        total=lambda x: _total(bk, x),
        add=_add,
        mul=_mul,
    )
    return function.engine(bk, z, Y, order, ops)


def chunk_term(
    bk: Any,
    mlp: Any,
    function: Any,
    X: Exact,
    Y: Exact | None,
    teacher: tuple | None,
    params: Sequence[Weights],
    steps: Sequence[Weights] | None,
    order: int,
) -> tuple:
    """The data term (the unscaled sum of per-point losses, as a jet) over the rows ``X`` alone.

    ``Y`` the rows' targets, or ``teacher = (mlp, layout)`` that produces them (one chunk of
    :mod:`.chunks`).
    """
    if Y is not None:
        targets_ = bk.array(Y)
    else:
        assert teacher is not None, "a chunk without targets is a teacher's chunk"
        teacher_mlp, teacher_layout = teacher
        targets_ = _network(bk, teacher_mlp, X, weights_of(bk, teacher_layout), None, 0, True)[0]
    return data_term(bk, mlp, function, X, targets_, params, steps, order)


#: The float64 rung sums over the data a block of rows at a time, each block's activations holding
#: about this many entries (rows x stacked points x widest layer), at least :data:`MIN_BLOCK_ROWS`
#: rows: the working memory of a pass is then a block's, allocated once and reused by the next
#: block, instead of full-size arrays that a process pays for in page faults (system time) on every
#: pass. A sum of rigorous enclosures, added with outward rounding, encloses the sum. 2^16 (arrays of
#: 512 KB, a block's working set a few MB): with 2^17 to 2^18 the allocator still returned a block's
#: memory to the system between blocks on 1,000 MNIST-sized points (45,000 page faults a chord).
BLOCK_ENTRIES = 2**16
MIN_BLOCK_ROWS = 64


def block_rows(bk: Any, mlp: Any, params: Sequence[Weights], steps: Sequence[Weights] | None) -> int:
    """The rows per block of a pass over the data in ``bk`` (Arb: all of them, one block)."""
    if bk.name != "float64":
        return 2**62
    stack = max(_stacked_count(w) for w in (*params, *(steps or ())))
    return max(MIN_BLOCK_ROWS, BLOCK_ENTRIES // (stack * max(mlp.widths[1:])))


def _stacked_count(w: Weights) -> int:
    """How many points (or directions, boxes) ``w`` stacks along its leading axes (1: none)."""
    shapes = [np.shape(w.W.lo)] + ([np.shape(w.spread[0].lo)] if w.spread is not None else [])
    return max(int(np.prod(shape[:-2], dtype=np.int64)) for shape in shapes)


def data_term(
    bk: Any,
    mlp: Any,
    function: Any,
    X: Exact,
    Y: Any,
    params: Sequence[Weights],
    steps: Sequence[Weights] | None,
    order: int,
) -> tuple:
    """The unscaled sum over the rows of ``X`` (targets ``Y``, enclosures) of the per-point losses,
    as a jet, in row blocks of :func:`block_rows` (the blocks' sums added with outward rounding)."""
    n = X.shape[0]
    size = block_rows(bk, mlp, params, steps)
    total: tuple = (None, None, None)
    for start in range(0, n, size):
        stop = min(start + size, n)
        rows, targets_ = (X, Y) if stop - start == n else (X.rows(start, stop), Y[start:stop])
        z = _network(bk, mlp, rows, params, steps, order, final=False)
        part = _point_losses(bk, mlp, function, z, targets_, order)
        total = part if start == 0 else tuple(_add(a, b) for a, b in zip(total, part))
    return total


def targets(bk: Any, loss: Any) -> Any:
    """The targets as enclosures; a teacher's are recomputed from the teacher, never rounded first."""
    lay = data_layout(loss.data)
    if lay.teacher is None:
        return bk.array(lay.Y)
    key = ("targets", bk.name, getattr(bk, "prec", 53))
    if key not in lay.X.memo:
        teacher_mlp, teacher_layout = lay.teacher
        lay.X.memo[key] = _network(bk, teacher_mlp, lay.X, weights_of(bk, teacher_layout), None, 0, True)[0]
    return lay.X.memo[key]


def evaluate(
    bk: Any, loss: Any, params: Sequence[Weights], steps: Sequence[Weights] | None = None, order: int = 0
) -> tuple[Any, Any, Any]:
    """``(L, L', L'')`` along the direction ``steps`` (enclosures; ``None`` stands for 0).

    ``params`` and ``steps`` are per-layer :class:`Weights` in the backend ``bk``.
    """
    mlp = loss.mlp

    def whole() -> tuple:
        X = data_layout(loss.data).X
        return data_term(bk, mlp, loss.function, X, targets(bk, loss), params, steps, order)

    v, d1, d2 = summed(bk, loss, params, steps, order, chunk_term, whole)
    scale = bk.constant(Fraction(int(loss.scale.p), int(loss.scale.q)))
    out = [v * scale, None if d1 is None else d1 * scale, None if d2 is None else d2 * scale]
    if loss.weight_decay:
        lam = bk.constant(Fraction(int(loss.weight_decay.p), int(loss.weight_decay.q)))
        out[0] = out[0] + lam * _sum_over(bk, [bk.square(w.box(bk)) for w in params])
        if order >= 1 and steps is not None:
            out[1] = _add(out[1], lam * _sum_over(bk, [w.box(bk) * s.W for w, s in zip(params, steps)]) * 2)
        if order == 2 and steps is not None:
            out[2] = _add(out[2], lam * _sum_over(bk, [bk.square(s.W) for s in steps]) * 2)
    return out[0], out[1], out[2]


def _sum_over(bk: Any, arrays: list) -> Any:
    total = None
    for a in arrays:
        total = _add(total, bk.sum(a, axis=(-2, -1)))
    return total
