"""The checker's fast arithmetic: Arb balls (python-flint), batched over all data points.

Arb is the checker's trusted kernel here, as a proof checker trusts its own:
every operation of ``arb`` and ``arb_mat`` returns a ball that contains the
exact result. A layer is one ``arb_mat`` product for all points at once: the
activations of layer ``l`` form an ``n_l x N`` matrix (one column per data
point). Exact inputs (``Fraction``) enter once, through ``fmpq``; exact
combinations of points (midpoints, segment points, orbit means) are formed in
``fmpq_mat`` before rounding. Derivatives along a segment ``A + t d`` are
jets ``(c0, c1, c2) = (f, f', f''/2)``: a linear layer ``W(t) = W0 + t D``
maps them by three products, ``W0 c0 + D ...``; elementwise functions use
their exact derivative formulas on balls.

Nothing here is shared with the prover: it reads the checker's
:class:`~symcert.checker.statement.Statement` and imports only python-flint.

>>> from symcert.checker.arb_engine import activation_jet
>>> import flint
>>> value, first, half_second = activation_jet("tanh", None, (flint.arb(0), flint.arb(1), flint.arb(0)))
>>> (value.is_zero(), first.contains(1), half_second.is_zero())
(True, True, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from types import SimpleNamespace
from typing import Any

import flint
from flint import arb, arb_mat, fmpq, fmpq_mat

from symcert.checker import arb_wide as _wide
from symcert.checker import chunks as _chunks
from symcert.checker.arb_wide import exp as _exp
from symcert.checker.arb_wide import lse as _lse
from symcert.checker.arb_wide import lse_jet as _lse_jet
from symcert.checker.arb_wide import mono as _mono
from symcert.checker.arb_wide import mul as _mul
from symcert.checker.arb_wide import sigmoid as _sigmoid
from symcert.checker.losses import SQUARES
from symcert.checker.losses import scale as loss_scale
from symcert.checker.packed import exact_point
from symcert.checker.points import combine
from symcert.checker.reading import dyadic

__all__ = [
    "compute",
    "Evaluation",
    "activation",
    "activation_jet",
    "bits_for",
    "ball_bounds",
    "exact_matrix",
    "input_matrix",
    "loss_jet",
    "targets",
    "data_sum",
    "data_jet",
    "finish_loss",
    "finish_jet",
    "chunk_kernel",
]

Jet = tuple  # (c0, c1, c2): value, first derivative, half the second derivative (arb balls)


def bits_for(dps: int) -> int:
    """Working precision in bits for ``dps`` decimal digits."""
    return int(dps * 3.3220) + 16


def compute(statement: Any, dps: int) -> dict[str, tuple[Fraction, Fraction]]:
    """Enclosures of the statement's quantities by Arb balls at ``dps`` digits (its kind says which)."""
    saved = flint.ctx.prec
    flint.ctx.prec = bits_for(dps)
    try:
        return statement.spec.quantities(Evaluation(statement), statement)
    finally:
        flint.ctx.prec = saved


class Evaluation:
    """What a kind computes its quantities from, in Arb balls (at the current precision).

    The losses at exact points and the loss's jet along a segment, batched over the data
    points; :meth:`bounds` turns balls into exact endpoints.
    """

    def __init__(self, statement: Any) -> None:
        self.s = statement
        self.chunked = _chunks.chunked(statement)
        if not self.chunked:  # more points than a chunk: summed chunk by chunk (symcert.checker.chunks)
            self.inputs = input_matrix(statement.xs)
            self.ys = targets(statement, self.inputs)

    def losses(self, points: Sequence[list]) -> list[arb]:
        """The loss at each exact point (layers of ``Fraction``; packed arrays are converted)."""
        points = [exact_point(p) for p in points]
        if self.chunked:
            sums = _chunks.losses(self.s, points, chunk_kernel)
            return [finish_loss(self.s, t, _arb_point(_exact_point(p))) for t, p in zip(sums, points)]
        return [_loss(self.s, _arb_point(_exact_point(p)), self.inputs, self.ys) for p in points]

    def jet(self, A: list, B: list, t: Fraction) -> Jet:
        """``(phi, phi', phi''/2)`` at ``t`` for ``phi(u) = L(A + u(B - A))``."""
        start = combine(A, B, t)
        step = [
            (
                [[v - u for u, v in zip(ra, rb)] for ra, rb in zip(wa, wb)],
                None if ba is None else [v - u for u, v in zip(ba, bb)],
            )
            for (wa, ba), (wb, bb) in zip(A, B)
        ]
        start_balls, step_balls = _arb_point(_exact_point(start)), _arb_point(_exact_point(step))
        if self.chunked:
            return finish_jet(self.s, _chunks.jet(self.s, start, step, chunk_kernel), start_balls, step_balls)
        return loss_jet(self.s, start_balls, step_balls, self.inputs, self.ys)

    def bounds(self, values: dict[str, arb]) -> dict[str, tuple[Fraction, Fraction]]:
        """Exact endpoints of each ball (a loss of mse or sse kept >= 0)."""
        return _bounds(values, _nonnegative(self.s, values))


def chunk_kernel(item: tuple, context: tuple) -> list[tuple[Fraction, Fraction]]:
    """One chunk's data term (``losses`` at points, or a ``jet``) as exact endpoints.

    ``item = (xs, ys)``: the chunk's exact rows (``ys`` None for a teacher); ``context`` what to
    compute and everything it needs, as plain values (see :mod:`symcert.checker.chunks`).
    """
    what, net, loss_kind, teacher_net, teacher, payload = context
    xs, ys = item
    s = SimpleNamespace(net=net, loss_kind=loss_kind, teacher_net=teacher_net, teacher=teacher, ys=ys)
    inputs = input_matrix(xs)
    ys_balls = targets(s, inputs)
    if what == "losses":
        balls = [data_sum(s, _arb_point(_exact_point(p)), inputs, ys_balls) for p in payload]
    else:
        start, step = (_arb_point(_exact_point(p)) for p in payload)
        balls = list(data_jet(s, start, step, inputs, ys_balls))
    return [ball_bounds(ball, "a chunk's data term") for ball in balls]


# -- exact data ------------------------------------------------------------------


def exact_matrix(rows: Sequence[Sequence[Fraction]]) -> fmpq_mat:
    """The rows of exact rationals as an exact python-flint matrix.

    >>> exact_matrix([[Fraction(1, 2), Fraction(3)]])
    [1/2, 3]
    """
    return fmpq_mat(len(rows), len(rows[0]), [fmpq(v.numerator, v.denominator) for row in rows for v in row])


def input_matrix(xs: Any) -> arb_mat:
    """The data points as the columns of an ``arb_mat`` (packed rows straight from their integers)."""
    if hasattr(xs, "arb_columns"):  # symcert.checker.packed.Rows
        return xs.arb_columns()
    return arb_mat(exact_matrix([list(col) for col in zip(*xs)]))


def _exact_point(layers: list) -> list:
    """``[(W fmpq_mat, b fmpq_mat column or None)]``."""
    return [(exact_matrix(w), None if b is None else exact_matrix([[v] for v in b])) for w, b in layers]


def _arb_point(layers: list) -> list:
    return [(arb_mat(w), None if b is None else arb_mat(b).entries()) for w, b in layers]


# -- elementwise functions on balls -------------------------------------------------


def activation(name: str, slope: Fraction | None, u: arb) -> arb:
    """The hidden activation ``name`` of a ball."""
    if name == "identity":
        return u
    if name == "tanh":
        return _mono("tanh", u)
    if name == "sigmoid":
        return _sigmoid(u)
    if name == "softplus":
        return _exp(u).log1p()
    if name == "square":
        return _even_square(u)
    if name == "cube":
        return _wide.cube(u)
    if name in ("relu", "leaky_relu"):
        if name == "relu":
            scale = arb(0)
        else:
            assert slope is not None  # statement.py gives leaky_relu its slope
            scale = arb(fmpq(slope.numerator, slope.denominator))
        return u.max(scale * u)
    raise ArithmeticError(f"unknown activation {name!r}")


def _even_square(u: arb) -> arb:
    # u * u of a ball around 0 may dip below 0; |u|^2 does not (and of a wide ball, from its ends).
    return _wide.square(u)


def activation_jet(name: str, slope: Fraction | None, u: Jet) -> Jet:
    """The activation of a jet ``(u, u', u''/2)``: ``(f(u), f'(u) u', f'(u) u''/2 + f''(u)/2 u'^2)``."""
    u0, u1, u2 = u
    if name == "identity":
        return u
    if name == "tanh":
        f = _mono("tanh", u0)
        d1 = 1 - _even_square(f)
        d2 = -_mul(f, d1)  # f''/2
    elif name == "sigmoid":
        f, d1, d2 = _sigmoid(u0), _wide.sigmoid_slope(u0), _wide.sigmoid_bend(u0)
    elif name == "softplus":
        f, d1, d2 = _exp(u0).log1p(), _sigmoid(u0), _wide.sigmoid_slope(u0) / 2
    elif name == "square":
        f, d1, d2 = _even_square(u0), 2 * u0, arb(1)
    elif name == "cube":
        f, d1, d2 = _wide.cube(u0), 3 * _even_square(u0), 3 * u0
    else:
        raise ArithmeticError(f"derivatives of {name} are not defined everywhere")
    return (f, _mul(d1, u1), _mul(d1, u2) + _mul(d2, _even_square(u1)))


def _jet_sum(items: Sequence[Jet]) -> Jet:
    return (
        sum((j[0] for j in items), arb(0)),
        sum((j[1] for j in items), arb(0)),
        sum((j[2] for j in items), arb(0)),
    )


# -- forward passes ------------------------------------------------------------------


def _forward(net: Any, layers: list, inputs: arb_mat, centred: tuple | None = None) -> list[list[arb]]:
    """Output pre-activations: one row of N balls per output unit.

    With ``centred = (step, spread)`` the weights are the centred box ``layers + spread step``.
    """
    a = inputs
    depth = len(layers)
    for l, (weights, biases) in enumerate(layers, start=1):
        zm = weights * a
        if centred is not None:
            d, db = centred[0][l - 1]
            zm = zm + centred[1] * (d * a)
            if biases is not None:
                biases = [v + centred[1] * dv for v, dv in zip(biases, db)]
        z = zm.entries()
        n, cols = weights.nrows(), a.ncols()
        if biases is not None:
            z = [v + biases[i // cols] for i, v in enumerate(z)]
        if l < depth:
            z = [activation(net.activation, net.slope, v) for v in z]
            a = arb_mat(n, cols, z)
        else:
            return [z[k * cols : (k + 1) * cols] for k in range(n)]
    raise AssertionError("unreachable")


def _folded(weights: arb_mat, biases: list[arb] | None) -> arb_mat:
    """``[W | b]``: the bias as a last column, to meet a last row of ones (or zeros) of the inputs."""
    if biases is None:
        return weights
    n, k = weights.nrows(), weights.ncols()
    entries = weights.entries()
    return arb_mat(n, k + 1, [v for i in range(n) for v in (*entries[i * k : (i + 1) * k], biases[i])])


def _with_ones(inputs: arb_mat, bias: bool) -> arb_mat:
    """The inputs with a last row of ones when the layers have biases (see :func:`_folded`)."""
    if not bias:
        return inputs
    return arb_mat(inputs.nrows() + 1, inputs.ncols(), inputs.entries() + [arb(1)] * inputs.ncols())


def _forward_jet_folded(
    net: Any,
    start: list,
    step: list,
    inputs: arb_mat,
    spread: arb | None = None,
    first: tuple[arb_mat, arb_mat] | None = None,
) -> list[list[Jet]]:
    """Output pre-activation jets along ``start + t step``, at ``t = 0`` of that parametrisation.

    A linear layer ``W + t D`` maps the jets ``(a, a', a''/2)`` to ``(W a, W a' + D a, W a''/2 + D a')``.
    With ``spread`` (a ball ``[-h, h]``) the weights are the centred box ``start + spread step``: each
    product is taken as ``W a + spread (D a)``, far tighter than a product of boxes.

    Each layer's bias is the last column of ``[W | b]`` and ``[D | db]``; the values the layer reads
    get a last row of ones, their derivatives a row of zeros, so ``[W | b] [a; 1] = W a + b`` and
    ``[D | db] [a'; 0] = D a'``: no Python loop over the entries for the biases; tanh's jets in one
    pass. ``first`` gives the first layer's ``(z, z')`` (its pre-activations over the box and their
    derivative), when the caller has them from products it keeps across calls.
    """
    cols = inputs.ncols()
    a0 = None if first is not None else _with_ones(inputs, start[0][1] is not None)
    a1 = a2 = None
    depth = len(start)
    for l, ((w, b), (d, db)) in enumerate(zip(start, step), start=1):
        W, D = _folded(w, b), _folded(d, db)
        if l == 1 and first is not None:
            z0m, da0 = first
        else:
            assert a0 is not None  # set before the loop when first is None, and by every layer
            da0 = D * a0
            z0m = W * a0 if spread is None else W * a0 + spread * da0
        if a1 is None:
            z1m, z2 = da0, None
        else:
            assert a2 is not None  # set with a1
            da1 = D * a1
            z1m = W * a1 + da0 if spread is None else W * a1 + spread * da1 + da0
            z2m = W * a2 + da1 if spread is None else W * a2 + spread * (D * a2) + da1
            z2 = z2m.entries()
        z0, z1 = z0m.entries(), z1m.entries()
        if z2 is None:
            z2 = [arb(0)] * len(z0)
        n = w.nrows()
        if l == depth:
            jets = list(zip(z0, z1, z2))
            return [jets[k * cols : (k + 1) * cols] for k in range(n)]
        if net.activation == "tanh":
            f, g1, g2 = _wide.tanh_jets(z0, z1, z2)
        else:
            jets = [activation_jet(net.activation, net.slope, j) for j in zip(z0, z1, z2)]
            f, g1, g2 = ([j[c] for j in jets] for c in range(3))
        bias = start[l][1] is not None  # the next layer's: biases may differ from layer to layer
        ones, zeros = [arb(1)] * cols if bias else [], [arb(0)] * cols if bias else []
        a0 = arb_mat(n + bias, cols, f + ones)
        a1, a2 = arb_mat(n + bias, cols, g1 + zeros), arb_mat(n + bias, cols, g2 + zeros)
    raise AssertionError("unreachable")


def targets(s: Any, inputs: arb_mat) -> list[list[arb]]:
    """Targets as rows (one per output unit) of N balls."""
    if s.teacher is None:
        return [[arb(fmpq(y[k].numerator, y[k].denominator)) for y in s.ys] for k in range(len(s.ys[0]))]
    z = _forward(s.teacher_net, _arb_point(_exact_point(s.teacher)), inputs)
    return _outputs(s.teacher_net.output, z)


def _outputs(output: str, z: list[list[arb]]) -> list[list[arb]]:
    if output == "identity":
        return z
    if output == "sigmoid":
        return [[_sigmoid(v) for v in row] for row in z]
    soft = [_wide.probabilities(column) for column in zip(*z)]
    return [list(row) for row in zip(*soft)]


def _scale(s: Any) -> arb:
    n, m = len(s.xs), s.net.widths[-1]
    scale = loss_scale(s.loss_kind, n, m, s.factor)
    return arb(fmpq(scale.numerator, scale.denominator))


def _decay(s: Any) -> arb:
    return arb(fmpq(s.decay.numerator, s.decay.denominator))


def _loss(s: Any, layers: list, inputs: arb_mat, ys: list[list[arb]], centred: tuple | None = None) -> arb:
    """The loss at a point (over the centred box ``layers + spread step`` with ``centred``)."""
    return finish_loss(s, data_sum(s, layers, inputs, ys, centred), layers, centred)


def data_sum(s: Any, layers: list, inputs: arb_mat, ys: list[list[arb]], centred: tuple | None = None) -> arb:
    """The data term: the sum over the columns of ``inputs`` of the per-point loss (unscaled)."""
    z = _forward(s.net, layers, inputs, centred)
    if s.loss_kind in ("mse", "sse"):
        f = _outputs(s.net.output, z)
        total = sum(
            (_even_square(fk - yk) for frow, yrow in zip(f, ys) for fk, yk in zip(frow, yrow)), arb(0)
        )
    elif s.loss_kind == "bce":
        total = sum((_wide.bce(zk, yk) for zrow, yrow in zip(z, ys) for zk, yk in zip(zrow, yrow)), arb(0))
    else:
        total = arb(0)
        for column, targets in zip(zip(*z), zip(*ys)):
            lse = _lse(column)  # Arb's exponents never overflow; wide balls through their ends
            total += sum(targets, arb(0)) * lse - sum((v * y for v, y in zip(column, targets)), arb(0))
    return total


def finish_loss(s: Any, total: arb, layers: list, centred: tuple | None = None) -> arb:
    """The loss from its data term: times the loss's scale, plus the weight decay of ``layers``."""
    total = total * _scale(s)
    if s.decay:
        boxes = (
            layers
            if centred is None
            else [(w + centred[1] * d, None) for (w, _), (d, _) in zip(layers, centred[0])]
        )
        squares = sum((_even_square(w) for weights, _ in boxes for w in weights.entries()), arb(0))
        total += squares * _decay(s)
    return total


def loss_jet(
    s: Any,
    start: list,
    step: list,
    inputs: arb_mat,
    ys: list[list[arb]],
    spread: arb | None = None,
    first: tuple[arb_mat, arb_mat] | None = None,
) -> Jet:
    """The loss's jet ``(L, L', L''/2)`` along ``step`` at ``start`` (the centred box with ``spread``).

    ``first``: the first layer's pre-activations and their derivative, if the caller keeps them.
    """
    return finish_jet(s, data_jet(s, start, step, inputs, ys, spread, first), start, step, spread)


def data_jet(
    s: Any,
    start: list,
    step: list,
    inputs: arb_mat,
    ys: list[list[arb]],
    spread: arb | None = None,
    first: tuple[arb_mat, arb_mat] | None = None,
) -> Jet:
    """The data term's jet along ``step`` at ``start``: summed over the columns of ``inputs``, unscaled."""
    z = _forward_jet_folded(s.net, start, step, inputs, spread, first)
    terms: list[Jet] = []
    if s.loss_kind in ("mse", "sse"):
        if s.net.output == "identity":
            f = z
        elif s.net.output == "sigmoid":
            f = [[activation_jet("sigmoid", None, v) for v in row] for row in z]
        else:
            f = [list(row) for row in zip(*(_wide.softmax_jet(column) for column in zip(*z)))]
        for frow, yrow in zip(f, ys):
            for fk, yk in zip(frow, yrow):
                r = (fk[0] - yk, fk[1], fk[2])
                square, slope = _even_square(r[0]), 2 * _mul(r[0], r[1])
                terms.append((square, slope, 2 * _mul(r[0], r[2]) + _even_square(r[1])))
    elif s.loss_kind == "bce":
        for zrow, yrow in zip(z, ys):
            terms.extend(_wide.bce_jet(zk, yk) for zk, yk in zip(zrow, yrow))
    else:
        for column, targets in zip(zip(*z), zip(*ys)):
            lse = _lse_jet(column)
            weight = sum(targets, arb(0))
            linear = _jet_sum([(v[0] * y, v[1] * y, v[2] * y) for v, y in zip(column, targets)])
            terms.append(tuple(weight * a - b for a, b in zip(lse, linear)))
    return _jet_sum(terms)


def finish_jet(s: Any, total: Jet, start: list, step: list, spread: arb | None = None) -> Jet:
    """The loss's jet from its data term's: times the loss's scale, plus the weight decay's jet."""
    scale = _scale(s)
    total = tuple(c * scale for c in total)
    if s.decay:
        pairs = [
            (w if spread is None else w + spread * d, d)
            for (wm, _), (dm, _) in zip(start, step)
            for w, d in zip(wm.entries(), dm.entries())
        ]
        squares = (
            sum((_even_square(w) for w, _ in pairs), arb(0)),
            sum((2 * w * d for w, d in pairs), arb(0)),
            sum((_even_square(d) for _, d in pairs), arb(0)),
        )
        total = tuple(c + q * _decay(s) for c, q in zip(total, squares))
    return total


def _nonnegative(s: Any, values: dict[str, arb]) -> tuple[str, ...]:
    """The losses known to be >= 0: mse and sse are sums of squares (plus a nonnegative decay term).

    A ball around a true value of exactly 0 (a teacher's loss) reaches below 0; intersecting it with
    ``[0, oo)`` keeps the enclosure sound and as tight as an interval's.
    """
    if s.loss_kind not in SQUARES:
        return ()
    return tuple(name for name in values if name.startswith("L("))


def _bounds(
    values: dict[str, arb], nonnegative: tuple[str, ...] = ()
) -> dict[str, tuple[Fraction, Fraction]]:
    out = {}
    for name, ball in values.items():
        lower, upper = ball_bounds(ball, name)
        out[name] = (max(lower, Fraction(0)) if name in nonnegative else lower, upper)
    return out


def ball_bounds(ball: arb, name: str) -> tuple[Fraction, Fraction]:
    """The exact endpoints ``mid -+ rad`` of an Arb ball, refusing unbounded or out-of-range ones.

    >>> ball_bounds(arb(3) / 4, "x")
    (Fraction(3, 4), Fraction(3, 4))
    """
    if not ball.is_finite():
        raise ArithmeticError(f"the enclosure of {name} is unbounded")
    (mid_man, mid_exp), (rad_man, rad_exp) = ball.mid().man_exp(), ball.rad().man_exp()
    mid = dyadic(int(mid_man), int(mid_exp), name)
    rad = dyadic(int(rad_man), int(rad_exp), name)
    return mid - rad, mid + rad


# The former private names, still used by checker/barrier.py (to move to the public ones).
_exact_matrix, _targets, _loss_jet = exact_matrix, targets, loss_jet
