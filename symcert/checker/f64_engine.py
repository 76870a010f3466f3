"""The checker's verified float64 rung: losses at exact points in numpy, with a priori error bounds.

Arb handles one ball at a time from Python: 60,000 MNIST points through a 784-512-512-512-10 tanh
network are 92 million activations a loss, an hour of Arb. This rung computes the same losses as
midpoint-radius arrays in float64 (numpy), each radius an upper bound of the distance to the exact
value, from IEEE arithmetic as stated (round to nearest, gradual underflow) and nothing else: no
libm function is trusted. The checker tries it first for the losses at exact points (``chord``) and
keeps the Arb ladder for everything it does not cover or does not decide.

- Products: for ``C = fl(M W^T)`` with ``n`` terms, ``|C - M W^T| <= gamma_n |M| |W|^T + n eta``
  whatever the summation order or FMA (``gamma_n = n u / (1 - n u)``, ``u = 2^-53``,
  ``eta = 2^-1074``). An input radius ``R`` adds ``R |W|^T``; both are one product,
  ``(R + gamma |M|) |W|^T``, inflated for its own rounding. Weights must be exact floats (a float32
  or float64 weight is; a midpoint of two is), or the rung declines.
- ``tanh`` from a table made by Arb (the checker's trusted kernel) once per process, a quartic per
  cell of width ``2^-10`` with an a priori error bound (:mod:`symcert.checker.f64_tanh`); a ball's image
  is the value at its midpoint and the largest slope on it.
- The first layer's products are exact (integer data, weights cut into limbs, :func:`_first`), and a
  row of ``W_1`` that several points share (a midpoint ``(A + gA)/2`` keeps most rows of ``A``; ``gA``
  moves them) is multiplied once (:func:`first_layers`): the same exact sums, computed once.
- Where an error bound is computed in floats it is rounded up by :func:`up` (``x + 2^-50 |x| +
  2^-1020``), which dominates the rounding of every operation before it by a factor of four or more.
- The loss of each point from its outputs' balls in Arb (the log-sum-exp of ten logits is cheap), the
  sum over a chunk enclosed by Arb, chunks added exactly (:mod:`symcert.checker.chunks`).

Supported: hidden ``tanh``, ``identity``, ``relu``; ``cross_entropy`` with a softmax output, ``mse``
and ``sse`` with an identity output; no teacher. Anything else returns None (the Arb ladder decides).

>>> import numpy as np
>>> lo, hi = tanh_bounds(np.array([-1.0, 0.0, 0.25, 30.0]))
>>> bool(np.all(lo <= hi)), bool(lo[0] < -0.7615941559557649 < hi[0]), (float(lo[1]), float(hi[1]))
(True, True, (0.0, 0.0))
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from symcert.checker.f64_tanh import tanh_ball, tanh_bounds
from symcert.checker.packed import Packed, exact_point

__all__ = ["up", "tanh_bounds", "losses", "chunk_kernel", "exact_floats", "compute", "supported"]
__all__ += ["Evaluation", "Declined", "KINDS", "DPS", "MIN_ARB_SECONDS", "estimate_seconds", "worth_trying"]

#: The kinds whose quantities are losses at exact points only, and the digits recorded for this rung.
KINDS, DPS = ("chord", "orbit"), 15
#: The rung is tried where one Arb attempt is estimated at this many seconds or more (below, Arb is
#: faster than building the tanh table).
MIN_ARB_SECONDS = 5.0
_U = 2.0**-53
_ETA = 2.0**-1074
#: An absolute slack above any rounding error in the subnormal range, even where a library flushes
#: subnormals to zero (an error below 2^-1022): every bound adds it.
_TINY = 2.0**-1020


def up(x: np.ndarray) -> np.ndarray:
    """An upper bound of every real whose rounding (to nearest, with a few ulps of slack) gives ``x >= 0``."""
    return x + (np.abs(x) * 2.0**-50 + _TINY)


def _down(x: np.ndarray) -> np.ndarray:
    return x - (np.abs(x) * 2.0**-50 + _TINY)


# -- a forward pass ----------------------------------------------------------------------------------


def exact_floats(rows: Any) -> tuple[np.ndarray, np.ndarray, int] | None:
    """Exact rationals (a matrix or vector of ``Fraction``, or a packed array) as ``(floats, ints, k)``,
    both ``ints / 2^k``.

    None if the denominators are not powers of two or a scaled numerator reaches 2^53.

    >>> import array
    >>> from symcert.checker.packed import Packed
    >>> floats, ints, k = exact_floats(Packed(array.array("b", [3, -1]), 4, (2,)))
    >>> floats.tolist(), ints.tolist(), k
    ([0.75, -0.25], [3, -1], 2)
    """
    if isinstance(rows, Packed):
        return _packed_floats(rows)
    nested = bool(rows) and isinstance(rows[0], list)
    flat = [v for row in rows for v in row] if nested else list(rows)
    dens = [v.denominator for v in flat]
    if any(d & (d - 1) for d in dens):  # every denominator a power of two, so each divides the largest
        return None
    top = max(dens, default=1)
    if top > 2**1000:
        return None
    try:
        ints = np.array([v.numerator * (top // d) for v, d in zip(flat, dens)], dtype=np.int64)
    except OverflowError:
        return None
    if ints.size and int(np.abs(ints).max()) >= 2**53:
        return None
    k = top.bit_length() - 1
    floats = ints.astype(np.float64) * 2.0**-k  # exact: 53-bit integers, scaled within the normal range
    shape = (len(rows), -1) if nested else (-1,)
    return floats.reshape(shape), ints.reshape(shape), k


def _packed_floats(array: Packed) -> tuple[np.ndarray, np.ndarray, int] | None:
    """:func:`exact_floats` of a packed array, from its integers: ``n / 2^k`` with ``|n| < 2^53``
    converts exactly (``ldexp`` by ``-k >= -1000`` of a 53-bit integer stays normal)."""
    den = array.den
    if den & (den - 1) or den > 2**1000:
        return None
    ints = np.frombuffer(array.values, dtype=np.dtype(array.values.typecode)).astype(np.int64)
    if ints.size and (int(ints.max()) >= 2**53 or int(ints.min()) <= -(2**53)):
        return None
    k = den.bit_length() - 1
    ints = ints.reshape(array.shape)
    return np.ldexp(ints.astype(np.float64), -k), ints, k


def _first(
    X: np.ndarray, den: int, ints: np.ndarray, k: int, b: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray] | None:
    """``X W^T / (den 2^k) + b`` for integer data ``X`` and weights ``ints / 2^k``, the products exact.

    The weights are cut into limbs of ``s`` bits so that every partial sum of ``X limb^T`` is an integer
    below 2^52 (exact in any order); the limbs' products are added (``L`` roundings) and scaled once.
    None when the data are too large for a limb of one bit.
    """
    n = X.shape[1]
    xbits = int(np.abs(X).max()).bit_length() if X.size else 0
    s = 52 - xbits - n.bit_length()
    if s < 1:
        return None
    sign, rest = np.sign(ints), np.abs(ints)
    terms, bounds, shift = [], [], 0
    while True:
        limb = (sign * (rest & ((1 << s) - 1))).astype(np.float64)
        product = X @ limb.T  # exact: integers below 2^52
        terms.append(product * 2.0**shift)  # exact: a power of two
        bounds.append(np.abs(product) * 2.0**shift)
        rest, shift = rest >> s, shift + s
        if not rest.any():
            break
    total, size = sum(terms), sum(bounds)  # len(terms) - 1 roundings: below L u size
    scale = 2.0**-k
    c = total * scale / float(den)  # * 2^-k exact (normal range), / den correctly rounded
    rad = up(size * (len(terms) * 2.0**-52) * scale / float(den) * (1 + 2.0**-50) + np.abs(c) * 2.0**-51)
    if b is not None:
        c = c + b
        rad = up(rad + np.abs(c) * 2.0**-52)
    return c, rad


def _affine(
    m: np.ndarray, r: np.ndarray | None, W: np.ndarray, b: np.ndarray | None, den: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """``(m + [-r, r]) W^T / den + b`` as midpoint and radius (``den`` an integer below 2^53)."""
    n = W.shape[1]
    c = m @ W.T
    gamma = (n + 1) * _U / (1 - (n + 1) * _U)  # >= gamma_n = n u / (1 - n u), its own rounding included
    spread = gamma * np.abs(m) if r is None else r + gamma * np.abs(m)
    # the product of the radii is inflated for its own rounding (< gamma_n) and both products' underflow
    rad = up(up(spread @ np.abs(W).T) * (1 + (n + 8) * 2.0**-50) + (n + 1) * _TINY)
    if den != 1:
        c = c / float(den)  # one correctly rounded division: within u |c / den|
        rad = up(rad / float(den) * (1 + 2.0**-50) + np.abs(c) * 2.0**-51)
    if b is not None:
        c = c + b
        rad = up(rad + np.abs(c) * 2.0**-52)
    return c, rad


def _hidden(name: str, m: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The activation of ``m +- r`` as midpoints and radii: tanh by
    :func:`~symcert.checker.f64_tanh.tanh_ball` (its value at ``m`` and its largest slope on the ball);
    identity and ReLU from the ball's ends."""
    if name == "tanh":
        return tanh_ball(np.ascontiguousarray(m), np.ascontiguousarray(r))
    lo, hi = _down(m - r), up(m + r)
    if name == "relu":
        lo, hi = np.maximum(lo, 0.0), np.maximum(hi, 0.0)
    mid = (lo + hi) / 2
    return mid, up(np.maximum(hi - mid, mid - lo))


def first_layers(X: np.ndarray, den: int, layers: list[tuple]) -> list[tuple[np.ndarray, np.ndarray] | None]:
    """The first layer ``X W^T / den + b`` of several points (each ``(W, b, ints, k)``), by :func:`_first`,
    each distinct row of ``W`` multiplied once.

    Rows are the same when their exact floats are (compared as bytes); the distinct rows are put over
    the largest ``2^K`` of the points (``ints 2^(K - k)``, exact integers; None, and no sharing, if one
    would reach 2^62), their exact products scaled once, and each point's columns gathered from them
    (moving numbers is exact) before its own bias is added. A point's entry is None where
    :func:`_first` declines (its caller then takes the product with its error bound, :func:`_affine`).
    """
    rows: dict[bytes, int] = {}
    picks: list[np.ndarray] = []
    unique: list[np.ndarray] = []
    for W, _, _, _ in layers:
        chosen = []
        for row in W:
            key = row.tobytes()
            if key not in rows:
                rows[key] = len(unique)
                unique.append(row)
            chosen.append(rows[key])
        picks.append(np.array(chosen, dtype=np.intp))
    K = max(k for _, _, _, k in layers)
    scaled = np.ldexp(np.array(unique), K)  # exact: a power of two, integers (each row is ints / 2^k)
    if len(unique) == sum(len(W) for W, _, _, _ in layers) or not np.all(np.abs(scaled) < 2.0**62):
        return [_first(X, den, ints, k, b) for _, b, ints, k in layers]
    shared = _first(X, den, scaled.astype(np.int64), K, None)
    if shared is None:
        return [None] * len(layers)
    c, rad = shared
    out: list[tuple[np.ndarray, np.ndarray] | None] = []
    for (_, b, _, _), pick in zip(layers, picks):
        cp, rp = c[:, pick], rad[:, pick]
        if b is not None:
            cp += b
            rp = up(rp + np.abs(cp) * 2.0**-52)  # the addition's rounding, within u |cp|
        out.append((cp, rp))
    return out


def outputs(
    net: Any, layers: list, X: np.ndarray, den: int, first: tuple[np.ndarray, np.ndarray] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Midpoints and radii of the output pre-activations (points x outputs) at float layers.

    ``layers`` holds ``(W, b, ints, k)``: the weights and biases as exact floats, and the weights as
    ``ints / 2^k`` (the first layer's products are then exact, :func:`_first`; ``first``: that layer's
    midpoints and radii, already made by :func:`first_layers`).
    """
    m, r = X, None
    depth = len(layers)
    with np.errstate(all="ignore"):  # an overflow becomes inf or NaN, refused below
        for l, (W, b, ints, k) in enumerate(layers, start=1):
            exact = (first if first is not None else _first(X, den, ints, k, b)) if l == 1 else None
            m, r = exact if exact is not None else _affine(m, r, W, b, den if l == 1 else 1)
            if not (np.all(np.isfinite(m)) and np.all(np.isfinite(r))):
                raise ArithmeticError("a float64 enclosure overflowed")
            if l < depth:
                m, r = _hidden(net.activation, m, r)
    assert r is not None  # every layer sets a radius
    return m, r


# -- the loss --------------------------------------------------------------------------------------------


def supported(s: Any) -> bool:
    """Whether this rung computes the statement's losses."""
    if s.teacher is not None or s.net.activation not in ("tanh", "identity", "relu"):
        return False
    if s.loss_kind == "cross_entropy":
        return s.net.output == "softmax"
    return s.loss_kind in ("mse", "sse") and s.net.output == "identity"


def _data(xs: Any) -> tuple[np.ndarray, int] | None:
    """A chunk's inputs as float numerators (exact) over one integer denominator."""
    if hasattr(xs, "arb_columns"):  # packed rows: integers already
        nums = np.frombuffer(xs.values, dtype=np.dtype(xs.values.typecode)).reshape(len(xs), xs.cols)
        if nums.size and int(np.abs(nums).max()) >= 2**53:
            return None
        return nums.astype(np.float64), xs.den
    import math

    den = math.lcm(*(v.denominator for row in xs for v in row))
    ints = [[v.numerator * (den // v.denominator) for v in row] for row in xs]
    if den >= 2**53 or any(abs(n) >= 2**53 for row in ints for n in row):
        return None
    return np.array(ints, dtype=np.float64), den


def chunk_kernel(item: tuple, context: tuple) -> list[tuple[Fraction, Fraction]]:
    """One chunk's data term at each float point, as exact endpoints (the signature of the Arb kernel's)."""
    from flint import arb, fmpq

    from symcert.checker.arb_engine import ball_bounds
    from symcert.checker.arb_wide import lse, square

    _, net, loss_kind, _, _, payload = context
    xs, ys = item
    data = _data(xs)
    if data is None:
        raise ArithmeticError("the data are not exact float numerators")
    X, den = data
    targets = [[arb(fmpq(v.numerator, v.denominator)) for v in y] for y in ys]
    out = []
    with np.errstate(all="ignore"):  # an overflow becomes inf or NaN, refused in outputs
        firsts = first_layers(X, den, [layers[0] for layers in payload])
    for layers, first in zip(payload, firsts):
        m, r = outputs(net, layers, X, den, first)
        if not (np.all(np.isfinite(m)) and np.all(np.isfinite(r))):
            raise ArithmeticError("a float64 enclosure overflowed")
        total = arb(0)
        for mid, rad, y in zip(m.tolist(), r.tolist(), targets):
            z = [arb(a, b) for a, b in zip(mid, rad)]
            if loss_kind == "cross_entropy":
                total += sum(y, arb(0)) * lse(z) - sum((v * t for v, t in zip(z, y)), arb(0))
            else:
                total += sum((square(v - t) for v, t in zip(z, y)), arb(0))
        out.append(ball_bounds(total, "a chunk's data term"))
    return out


def losses(s: Any, points: list) -> list | None:
    """The losses at exact points as Arb balls, or None where this rung does not apply."""
    from symcert.checker import chunks
    from symcert.checker.arb_engine import _arb_point, _exact_point, finish_loss
    from symcert.checker.arb_engine import _scale as loss_scale

    if not supported(s):
        return None
    floats = []
    for p in points:
        layers = []
        for W, b in p:
            Wf = exact_floats(W)
            bf = None if b is None else exact_floats(b)
            if Wf is None or (b is not None and bf is None):
                return None
            layers.append((Wf[0], None if bf is None else bf[0], Wf[1], Wf[2]))
        floats.append(layers)
    sums = chunks.losses(s, floats, chunk_kernel)
    if s.decay:
        return [finish_loss(s, t, _arb_point(_exact_point(exact_point(p)))) for t, p in zip(sums, points)]
    return [t * loss_scale(s) for t in sums]


def worth_trying(s: Any, arithmetic: str) -> bool:
    """Whether the checker tries this rung first: Arb asked for, losses at points, covered, and large."""
    from symcert.checker.budget import attempt_seconds, attempts

    if arithmetic != "arb" or s.kind not in KINDS or not supported(s):
        return False
    return attempt_seconds(s, "arb", attempts(s.dps)[0]) >= MIN_ARB_SECONDS


def estimate_seconds(s: Any) -> float:
    """An upper bound of this rung's time on the reference machine (2 cores, shared), for the budget.

    Per loss (the kind's value passes): two float64 products a layer at 2e9 multiply-adds a second
    (10 times below a loaded BLAS), 0.1 us an activation's two ends, 20 us an output's Arb loss term;
    plus reading the points (6 us a number) and the tanh table (5 s).
    """
    widths = s.net.widths
    points = len(s.xs)
    macs = sum(widths[l] * widths[l - 1] for l in range(1, len(widths))) * points
    passes = s.spec.cost(s)[0]
    per_pass = 2 * macs * 5e-10 + sum(widths[1:-1]) * points * 1e-7 + points * widths[-1] * 2e-5
    return 5.0 + passes * per_pass + 6e-6 * 3 * s.net.n_parameters


class Declined(Exception):
    """This rung does not compute what the kind asks for (the Arb ladder does)."""


class Evaluation:
    """The kinds' evaluation interface (:class:`symcert.checker.arb_engine.Evaluation`), losses only."""

    def __init__(self, statement: Any) -> None:
        self.s = statement

    def losses(self, points: list) -> list:
        found = losses(self.s, points)
        if found is None:
            raise Declined
        return found

    def jet(self, *args: Any) -> Any:
        raise Declined

    def bounds(self, values: dict) -> dict[str, tuple[Fraction, Fraction]]:
        from symcert.checker.arb_engine import _bounds, _nonnegative

        return _bounds(values, _nonnegative(self.s, values))


def compute(statement: Any) -> dict[str, tuple[Fraction, Fraction]] | None:
    """The statement's quantities from this rung (Arb at 128 bits for the sums), or None if it declines."""
    import flint

    if not supported(statement):
        return None
    saved = flint.ctx.prec
    flint.ctx.prec = 128
    try:
        return statement.spec.quantities(Evaluation(statement), statement)
    except (Declined, ArithmeticError):
        return None
    finally:
        flint.ctx.prec = saved
