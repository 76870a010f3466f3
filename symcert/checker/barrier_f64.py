"""The barrier checker's first rung: the loss's jets along the path in verified float64 intervals.

The same quantities as the Arb jets of :mod:`symcert.checker.arb_engine` (``phi``, ``phi'`` and
``phi''/2`` of ``phi(t) = L((1 - t) A + t B)`` at an exact ``t``, and their ranges over the centred box
``P(m) + [-w/2, w/2] (B - A)`` of a piece), computed for all data points at once with the checker's own
verified float64 arithmetic (:mod:`symcert.checker.f64`): one interval matrix product per term and layer,
every elementwise step one vectorised pass; the first layer's two products, shared by every jet, are
exact for float weights and data ``K / q`` (:func:`_split_product`). A jet comes back as exact
``(lo, hi)`` pairs (``Fraction``). When a bound here does not decide, :mod:`symcert.checker.barrier`
asks Arb.

Work shared across the pieces of a certificate (:meth:`PathJets.prefetch`): the jets at every piece's
ends, then over every piece, their loss terms side by side (every step of the loss is per point, so
each jet is the one it would be alone); ``tanh`` at a point of the path from one evaluation
(:func:`_tanh_narrow`); over a piece, the first hidden layer's ``tanh`` from its two ends' (``tanh`` is
increasing, :meth:`PathJets._first_tanh`); ``W(t) a`` and ``D a`` from one product of the stacked rows.

Supported: hidden activations ``tanh`` and ``identity``; the softmax output with ``cross_entropy``, or the
identity output with ``mse`` / ``sse``; no weight decay, no teacher (:func:`supports`). Anything else
goes to Arb alone. Nothing here is shared with the prover.
"""

from __future__ import annotations

from fractions import Fraction
from math import gcd
from typing import Any

import numpy as np

from symcert.checker import f64
from symcert.checker.barrier_scope import supports
from symcert.checker.f64 import Interval, down, up
from symcert.checker.losses import scale as loss_scale
from symcert.checker.packed import Packed, Rows

__all__ = ["supports", "PathJets", "from_balls"]

Pair = tuple[Fraction, Fraction]
Jet = tuple[Pair, Pair, Pair]  # phi, phi', phi''/2: exact lower and upper ends


def from_packed(array: Packed, shape: tuple[int, ...]) -> Interval | None:
    """A packed array's exact values ``n / d`` as float64 (``shape``), exact when ``d`` is a power of two
    up to ``2^1000`` and every ``|n| <= 2^53`` (float32 and float64 weights are): ``n`` converts exactly and
    ``ldexp`` scales it exactly (no underflow: ``|n| 2^-1000`` is normal). Else None.

    >>> import array
    >>> x = from_packed(Packed(array.array("b", [3, -1]), 4, (2,)), (2, 1))
    >>> x.lo.ravel().tolist(), bool((x.lo == x.hi).all())
    ([0.75, -0.25], True)
    >>> from_packed(Packed(array.array("b", [1]), 3, (1,)), (1, 1)) is None
    True
    """
    return _from_ints(array.values, array.den, shape)


def _from_ints(values: Any, den: int, shape: tuple[int, ...]) -> Interval | None:
    """Integers ``values`` (an ``array.array``) over ``den`` as exact floats of ``shape`` (see
    :func:`from_packed`), or None."""
    if den & (den - 1) or den > 2**1000:
        return None
    ints = np.frombuffer(values, dtype=np.dtype(values.typecode))
    if ints.size and int(np.abs(ints.astype(np.int64)).max()) > 2**53:
        return None
    x = np.ldexp(ints.astype(np.float64), -(den.bit_length() - 1)).reshape(shape)
    return Interval.point(x)


def _matrix(rows: Any) -> Interval:
    if isinstance(rows, Packed):
        found = from_packed(rows, rows.shape)
        rows = rows.exact() if found is None else rows
        if found is not None:
            return found
    return f64.from_fractions([v for row in rows for v in row], (len(rows), len(rows[0])))


def _column(values: Any) -> Interval | None:
    if isinstance(values, Packed):
        found = from_packed(values, (len(values.values), 1))
        if found is not None:
            return found
        values = values.exact()
    return None if values is None else f64.from_fractions(list(values), (len(values), 1))


def _data_matrix(rows: Any) -> Interval:
    """Data rows (one per point) as the ``width x points`` matrix; packed rows from their integers."""
    if isinstance(rows, Rows):
        found = _from_ints(rows.values, rows.den, (len(rows), rows.cols))
        if found is not None:
            return Interval(found.lo.T, found.hi.T)
    return _matrix([list(col) for col in zip(*rows)])


def _point(s: Any, name: str) -> list:
    """Point ``name`` as read, packed arrays kept as integers (``Statement.layers``), else ``s.A``/``s.B``."""
    layers = getattr(s, "layers", None)
    return layers(name) if callable(layers) else getattr(s, name)


class PathJets:
    """The jets of the loss along ``A + t (B - A)`` for one statement (inputs converted once)."""

    def __init__(self, s: Any, first: tuple[Interval, Interval] | None = None) -> None:
        """``first``: the first layer's kept products ``[W_A | b_A] [X; 1]`` and ``[D | db] [X; 1]``, when
        the caller has them tighter (from Arb); otherwise computed here."""
        self.s = s
        self.ys = _data_matrix(s.ys)  # m x N
        self.weight = f64.total(self.ys, axis=0)  # sum_k y_k per point
        self.start = [(_matrix(w), _column(b)) for w, b in _point(s, "A")]
        end = [(_matrix(w), _column(b)) for w, b in _point(s, "B")]
        # B - A enclosed by interval subtraction (exact for float32 weights of nearby exponents)
        self.step = [
            (wb - wa, None if ba is None or bb is None else bb - ba)
            for (wa, ba), (wb, bb) in zip(self.start, end)
        ]
        self.scale = loss_scale(s.loss_kind, len(s.xs), s.net.widths[-1], s.factor)
        self._points: dict[Fraction, tuple[Pair, Pair]] = {}
        self._boxes: dict[tuple[Fraction, Fraction], Jet] = {}
        # at each point jet's t, the first hidden layer's pre-activations and their tanh (a piece's box
        # reuses its ends': tanh is increasing, see _first_tanh)
        self._tanh_at: dict[Fraction, tuple[Interval, Interval]] = {}
        #: How many pieces (or halves) this rung decided in the last check (the checker's note).
        self.decided = 0
        # The first layer along the path, [W | b](t) [X; 1] = [W_A | b_A] [X; 1] + t [D | db] [X; 1]: two
        # products kept for every jet (the first layer holds most of a forward pass's products).
        if first is None:
            first = _first_exactly(s, self.start[0], end[0])
        if first is None:
            inputs = _matrix([list(col) for col in zip(*s.xs)])  # n0 x N
            (w, b), (d, db) = self.start[0], self.step[0]
            first = (
                f64.matmul(w, inputs) if b is None else f64.matmul(w, inputs) + b,
                f64.matmul(d, inputs) if db is None else f64.matmul(d, inputs) + db,
            )
        self.at_a, self.along = first

    def keep_first(self, at_a: Interval, along: Interval) -> None:
        """Take tighter first-layer products (``[W_A | b_A] [X; 1]``, ``[D | db] [X; 1]``); jets made so
        far are dropped."""
        self.at_a, self.along = at_a, along
        self._points.clear()
        self._boxes.clear()
        self._tanh_at.clear()

    def point(self, t: Fraction) -> tuple[Pair, Pair]:
        """``(phi, phi')`` at the exact ``t`` (kept: each end is shared by two pieces). The checker's bounds
        use no ``phi''`` at a point, so the second-order terms are not computed (a lighter jet)."""
        if t not in self._points:
            value, slope, _ = self._jets([t], False)[0]  # no piece, no second order
            self._points[t] = value, slope
        return self._points[t]

    def box(self, t0: Fraction, t1: Fraction) -> Jet:
        """Their ranges over the centred box of ``[t0, t1]`` (kept for a second precision)."""
        if (t0, t1) not in self._boxes:
            self._boxes[t0, t1] = self._jets([(t0, t1)], True)[0]
        return self._boxes[t0, t1]

    def prefetch(self, points: list[Fraction], boxes: list[tuple[Fraction, Fraction]]) -> None:
        """Make the jets at ``points`` and then over the pieces ``boxes`` (which reuse their ends'
        ``tanh``), :data:`BATCH` at a time (:meth:`_jets`), kept as :meth:`point` and :meth:`box` keep
        them and equal to theirs. A batch meeting an enclosure that is not finite is left out
        (:meth:`point` or :meth:`box` then computes its jets one by one)."""
        todo_points = [t for t in dict.fromkeys(points) if t not in self._points]
        for chunk in _chunks(todo_points):
            try:
                for t, (value, slope, _) in zip(chunk, self._jets(chunk, False)):
                    self._points[t] = value, slope
            except ArithmeticError:
                continue
        todo_boxes = [k for k in dict.fromkeys(boxes) if k not in self._boxes]
        for pieces in _chunks(todo_boxes):
            try:
                self._boxes.update(zip(pieces, self._jets(pieces, True)))
            except ArithmeticError:
                continue

    def _layers(self, t: Fraction) -> list:
        """The weights at ``t`` (the first layer's are not needed: its products are kept)."""
        tt = f64.from_fractions([t], ())
        out: list = [None]
        for (w, b), (d, db) in zip(self.start[1:], self.step[1:]):
            out.append((w + tt * d, None if b is None or db is None else b + tt * db))
        return out

    def _jets(self, keys: list, second: bool) -> list[Jet]:
        """The jets at the points ``t`` of ``keys`` (without ``second``: the third term ``(0, 0)``, not
        computed) or over their pieces ``(t0, t1)`` (with): each forward pass on its own, then the loss's
        terms of all of them in one pass over their columns side by side (every step of the loss is per
        column, so each column's enclosure is the one a batch of one computes), then each jet's sum over
        its own columns."""
        outputs = [self._forward_at(*self._place(key, second), second) for key in keys]
        count = len(outputs)

        def joined(k: int) -> Interval | None:
            parts = [o[k] for o in outputs]
            if any(p is None for p in parts):
                return None
            return Interval(
                *(np.concatenate([getattr(p, end) for p in parts], axis=1) for end in ("lo", "hi"))
            )

        z0, z1, z2 = joined(0), joined(1), joined(2)
        assert z0 is not None and z1 is not None
        ys = Interval(np.tile(self.ys.lo, (1, count)), np.tile(self.ys.hi, (1, count)))
        weight = Interval(np.tile(self.weight.lo, count), np.tile(self.weight.hi, count))
        return self._sums(self._terms(z0, z1, z2, ys, weight), count)

    @staticmethod
    def _place(key: Any, second: bool) -> tuple[Fraction, Interval | None, tuple | None]:
        """``(t, spread, piece)`` of :meth:`_forward_at` for a point ``t`` or a piece ``(t0, t1)``."""
        if not second:
            return key, None, None
        t0, t1 = key
        h = f64.outward_float((t1 - t0) / 2, True)
        return (t0 + t1) / 2, Interval(np.array(-h), np.array(h)), (t0, t1)

    def _forward_at(
        self, t: Fraction, spread: Interval | None, piece: tuple | None, second: bool
    ) -> tuple[Interval, Interval, Interval | None]:
        """The output pre-activations' jet at ``t`` (over the piece's box with ``spread``)."""
        # over a piece the first layer is at_a + [t0, t1] along: one t per entry, as tight as the centred form
        ts = f64.from_fractions(list(piece) if piece else [t, t], (2,))
        first = self.at_a + Interval(ts.lo[0], ts.hi[1]) * self.along
        f = None
        if self.s.net.activation == "tanh" and len(self.start) > 1:
            f = self._first_tanh(first, t, piece)
        return self._forward(self._layers(t), spread, first, second, f)

    def _first_tanh(self, first: Interval, t: Fraction, piece: tuple | None) -> Interval:
        """``tanh`` of the first layer's pre-activations: at a point computed (and kept); over a piece
        ``[t0, t1]`` whose ends were computed, where every entry's interval lies between the lower and
        upper ends of the two ends' intervals, the hull of their ``tanh`` enclosures (``tanh`` is
        increasing: ``tanh x >= tanh(lo_i) >= f_i.lo`` for ``x >= lo_i``, and alike above); else computed."""
        if piece is None:
            f = _tanh_narrow(first) if _narrow(first) else f64.tanh(first)
            self._tanh_at[t] = first, f
            return f
        a, b = self._tanh_at.get(piece[0]), self._tanh_at.get(piece[1])
        if a is not None and b is not None:
            (za, fa), (zb, fb) = a, b
            if np.all(first.lo >= np.minimum(za.lo, zb.lo)) and np.all(first.hi <= np.maximum(za.hi, zb.hi)):
                return Interval(np.minimum(fa.lo, fb.lo), np.maximum(fa.hi, fb.hi))
        return _tanh_narrow(first) if _narrow(first) else f64.tanh(first)

    def _terms(
        self, z0: Interval, z1: Interval, z2: Interval | None, ys: Interval, weight: Interval
    ) -> tuple[Interval | None, ...]:
        """The loss's jet per point (column) from the output pre-activations' jet."""
        if self.s.loss_kind == "cross_entropy":
            return _cross_entropy(z0, z1, z2, ys, weight)
        r0 = z0 - ys
        two_r0 = r0 * 2.0
        return (r0.square(), two_r0 * z1, None if z2 is None else two_r0 * z2 + z1.square())

    def _sums(self, terms: tuple[Interval | None, ...], count: int) -> list[Jet]:
        """The ``count`` jets whose per-point terms lie side by side: each the scaled sum over its own
        ``N`` columns, exact ends (``Fraction``)."""
        n = self.ys.shape[1]
        jets = []
        for j in range(count):
            out = []
            for term in terms:
                if term is None:
                    out.append((Fraction(0), Fraction(0)))
                    continue
                lo, hi = term.lo.reshape(-1, count * n), term.hi.reshape(-1, count * n)
                part = Interval(lo[:, j * n : (j + 1) * n].ravel(), hi[:, j * n : (j + 1) * n].ravel())
                whole = f64.total(part)
                low, high = Fraction(float(whole.lo)), Fraction(float(whole.hi))
                out.append((low * self.scale, high * self.scale))
            jets.append((out[0], out[1], out[2]))
        return jets

    def _forward(
        self,
        layers: list,
        spread: Interval | None,
        first: Interval,
        second: bool = True,
        f: Interval | None = None,
    ) -> tuple[Interval, Interval, Interval | None]:
        """Output pre-activation jets, as :func:`symcert.checker.arb_engine._forward_jet_folded` (``W(m) a +
        spread (D a)`` over the box: far tighter than a product of boxes); ``z''`` None without ``second``;
        ``f``: ``tanh`` of ``first`` when known."""
        z0, z1 = first, self.along  # the first layer: z'' = 0
        z2: Interval | None = Interval.point(np.zeros_like(z0.lo)) if second else None
        for (w, b), (d, db) in zip(layers[1:], self.step[1:]):
            a0, a1, a2 = _tanh_jet(z0, z1, z2, f) if self.s.net.activation == "tanh" else (z0, z1, z2)
            f = None  # known for the first hidden layer only
            stacked = _stack(w, d)  # W(t) a and D a from one product per term
            (wa0, da0), (wa1, da1) = _both(stacked, a0), _both(stacked, a1)
            # as Arb's [W | b] [a; 1]: the bias's step joins D a before the spread multiplies it
            da0 = da0 if db is None else da0 + db
            z0 = wa0 if b is None else wa0 + b
            z1 = wa1 + da0
            z2 = None
            if a2 is not None:
                wa2, da2 = _both(stacked, a2)
                z2 = wa2 + da1
            if spread is not None:
                z0 = z0 + spread * da0
                z1 = z1 + spread * da1
                if z2 is not None:
                    z2 = z2 + spread * da2
        return z0, z1, z2


def _stack(w: Interval, d: Interval) -> Interval:
    """The rows of ``w`` above those of ``d``."""
    return Interval(np.vstack([w.lo, d.lo]), np.vstack([w.hi, d.hi]))


def _both(stacked: Interval, a: Interval) -> tuple[Interval, Interval]:
    """``w a`` and ``d a`` from :func:`~symcert.checker.f64.matmul` of the stacked rows (each row of a
    product is enclosed by its own row's bound, so the split is an enclosure of each)."""
    out = f64.matmul(stacked, a)
    m = stacked.shape[0] // 2
    return Interval(out.lo[:m], out.hi[:m]), Interval(out.lo[m:], out.hi[m:])


def _integer_data(xs: Any) -> tuple[np.ndarray, int] | None:
    """The data as ``K / q`` (``K`` an integer matrix, ``n0 x N``, held exactly in floats; ``q`` the
    common denominator), or None when ``q`` or ``K`` is too large (above ``2^20``). Packed rows
    (:class:`~symcert.checker.packed.Rows`) give ``K`` and ``q`` straight from their integers."""
    if isinstance(xs, Rows):
        ints = np.frombuffer(xs.values, dtype=np.dtype(xs.values.typecode)).astype(np.int64)
        if xs.den > 2**20 or (ints.size and int(np.abs(ints).max()) >= 2**20):
            return None
        return ints.astype(np.float64).reshape(len(xs), xs.cols).T, xs.den
    q = 1
    for row in xs:
        for v in row:
            d = v.denominator
            if q % d:
                q = q * d // gcd(q, d)
                if q > 2**20:
                    return None
    K = np.array([[v.numerator * (q // v.denominator) for v in row] for row in xs], dtype=float).T
    if not np.all(np.abs(K) < 2**20):
        return None
    return K, q


def _split_product(w: np.ndarray, K: np.ndarray) -> Interval:
    """``w K`` for exact floats ``w`` and integers ``K`` (``|K| < 2^b``, ``n < 2^c`` columns of ``w``):
    each row of ``w`` is split as ``w1 + w2``, ``w1`` a multiple of ``2^r`` with
    ``r = e + 1 + b + c - 53`` (``|w| < 2^e`` in the row) by ``w1 = (sigma + w) - sigma``,
    ``sigma = 2^(r + 53)`` (both operations exact, Sterbenz), ``w2 = w - w1`` exact. Every partial sum of
    ``w1 K`` is a multiple of ``2^r`` below ``2^(r + 53)``: BLAS computes it exactly, in any order.
    ``w2 K`` (``|w2| <= 2^(r+1)``) by :func:`~symcert.checker.f64.matmul`'s bound."""
    n = w.shape[1]
    b = int(np.frexp(max(float(np.abs(K).max(initial=0.0)), 1.0))[1])  # |K| < 2^b
    c = int(np.frexp(float(n))[1])  # n < 2^c
    _, e = np.frexp(np.abs(w).max(axis=1, initial=0.0))
    r = e + 1 + b + c - 53
    if np.any(r < -1000) or b + c > 40:
        raise ArithmeticError("weights too small or data too large to split exactly")
    sigma = np.ldexp(1.0, r + 53)[:, None]
    w1 = (sigma + w) - sigma
    w2 = w - w1
    exact = w1 @ K
    return Interval.point(exact) + _small_product(w2, K)


def _small_product(w2: np.ndarray, K: np.ndarray) -> Interval:
    """``w2 K`` for floats ``w2`` and integers ``K`` (``|K| < 2^40`` column sums): ``fl(w2 K)`` errs by at
    most ``gamma_n |w2| |K| + n eta`` entrywise (the standard model, any order), and ``|w2| |K|`` is at
    most ``M_i S_k`` exactly, ``M_i`` the row's largest ``|w2|``, ``S_k = sum_j |K_jk|`` (a float sum of
    integers below ``2^40``: exact). One product, and a bound as an outer product."""
    n = w2.shape[1]
    g = f64._gamma(n)[0]
    rest = w2 @ K
    sums = np.abs(K).sum(axis=0)
    if sums.size and float(sums.max()) >= 2.0**52:  # partial sums of integers below 2^52: exact
        raise ArithmeticError("data too large for an exact column sum")
    scale = up(g * np.abs(w2).max(axis=1, initial=0.0))
    rad = up(up(scale[:, None] * sums[None, :]) + 3 * n * f64.ETA)
    f64._finite(rest, rad)
    return Interval(down(rest - rad), up(rest + rad))


def _first_exactly(s: Any, start: tuple, end: tuple) -> tuple[Interval, Interval] | None:
    """The first layer's kept products ``[W_A | b_A] [X; 1]`` and ``[D | db] [X; 1]`` from exact products
    (:func:`_split_product`) when the data are ``K / q`` and the first layer's weights of ``A`` and ``B``
    are floats (float32 weights are): ``W_B X - W_A X`` for ``D X``. Else None."""
    (wa, ba), (wb, bb) = start, end
    if not (np.all(wa.lo == wa.hi) and np.all(wb.lo == wb.hi)):
        return None
    data = _integer_data(s.xs)
    if data is None:
        return None
    K, q = data
    try:
        both = _split_product(np.vstack([wa.lo, wb.lo]), K)  # one product for A's rows and B's
    except ArithmeticError:
        return None
    m = wa.shape[0]
    za, zb = Interval(both.lo[:m], both.hi[:m]), Interval(both.lo[m:], both.hi[m:])
    zd = zb - za
    za = Interval(down(za.lo / q), up(za.hi / q))
    zd = Interval(down(zd.lo / q), up(zd.hi / q))
    if ba is not None:
        assert bb is not None  # A and B have the same biases
        za, zd = za + ba, zd + (bb - ba)
    return za, zd


def from_balls(matrix: Any) -> Interval:
    """An Arb matrix (``arb_mat``) as float64 intervals: ``mid -+ rad``, each conversion to float rounded
    to nearest and so widened by :func:`~symcert.checker.f64.down` / :func:`~symcert.checker.f64.up`."""
    entries = matrix.entries()
    mids = np.array([float(v.mid()) for v in entries], dtype=float)
    rads = up(np.array([float(v.rad()) for v in entries], dtype=float))
    shape = (matrix.nrows(), matrix.ncols())
    out = Interval(down(down(mids) - rads).reshape(shape), up(up(mids) + rads).reshape(shape))
    if not (np.all(np.isfinite(out.lo)) and np.all(np.isfinite(out.hi))):
        raise ArithmeticError("a ball beyond float64")
    return out


def _tanh_jet(
    z0: Interval, z1: Interval, z2: Interval | None, f: Interval | None = None
) -> tuple[Interval, Interval, Interval | None]:
    """``(f, f' z', f' (z''/2 - f z'^2))`` with ``f' = 1 - f^2`` in ``[0, 1]`` (``f''/2 = -f f'``); the
    third None when ``z2`` is."""
    if f is None:  # else an enclosure of tanh over z0, given
        f = _tanh_narrow(z0) if _narrow(z0) else f64.tanh(z0)
    d1 = (1.0 - f.square()).clip(0.0, 1.0)
    return f, d1 * z1, None if z2 is None else d1 * (z2 - f * z1.square())


#: How many jets :meth:`PathJets.prefetch` computes side by side (bounds the batch's memory).
BATCH = 16


def _chunks(keys: list) -> list[list]:
    """``keys`` in runs of :data:`BATCH`."""
    return [keys[i : i + BATCH] for i in range(0, len(keys), BATCH)]


#: Intervals at most this wide take :func:`_tanh_narrow` (at points of the path they are about 1e-15 wide).
NARROW = 2.0**-26


def _narrow(z: Interval) -> bool:
    return bool(np.all(z.hi - z.lo <= NARROW))


def _tanh_narrow(z: Interval) -> Interval:
    """``tanh`` over a narrow interval from one evaluation, at a float ``m`` inside: for ``x`` with
    ``|x - m| <= r``, ``|tanh x - tanh m| <= r max sech^2`` between them, and ``sech^2 = 1 - tanh^2`` there
    is at most ``1 - q^2`` with ``q = max(|tanh m| - r, 0)`` (``tanh`` is 1-Lipschitz). Half the work
    of both ends (:func:`~symcert.checker.f64.tanh`), wider by about ``4 |tanh m| r^2``."""
    f64._finite(z.lo, z.hi)
    m = np.clip(0.5 * z.lo + 0.5 * z.hi, z.lo, z.hi)
    r = np.maximum(up(z.hi - m), up(m - z.lo))  # each subtraction within half an ulp, then outward
    low, high = f64._tanh_abs(np.abs(m))  # bounds of tanh |m| >= 0
    q = np.maximum(down(np.maximum(low, 0.0) - r), 0.0)
    slope = np.minimum(up(1.0 - down(q * q)), 1.0)
    spread = up(r * slope)
    f_lo = np.where(m >= 0, low, -high)  # tanh(-a) = -tanh(a)
    f_hi = np.where(m >= 0, high, -low)
    return Interval(down(f_lo - spread), up(f_hi + spread)).clip(-1.0, 1.0)


def _directed_rows(x: np.ndarray, rounding) -> np.ndarray:
    """The sum over the first axis, each addition rounded by ``rounding`` (``down`` or ``up``)."""
    acc = x[0]
    for row in x[1:]:
        acc = rounding(acc + row)
    return acc


def _lse_end(v: np.ndarray, upper: bool) -> np.ndarray:
    """A bound of ``log sum_k exp(v_k)`` per column of the floats ``v`` (shifted by the column's max)."""
    shift = v.max(axis=0)
    rounding = up if upper else down
    e = f64.exp_end(rounding(v - shift), lower=not upper)
    s = _directed_rows(e, rounding)
    if not np.all(s > 0):  # the largest entry's term is about 1: never, unless something overflowed
        raise ArithmeticError("a float64 sum of exponentials is not positive")
    logs = f64.log_end(s, upper=upper)
    return rounding(shift + logs)


def _probabilities(z: Interval) -> Interval:
    """``p_k = 1 / (1 + sum_{j != k} e_j / e_k)``, ``e_j = exp(z_j - s)`` (``s`` the column's largest upper
    end): increasing in ``z_k``, decreasing in the others, so from below at the corner ``(z_k lo, z_j hi)``
    and from above at the opposite one. The sums over ``j != k`` are the whole sums minus ``e_k``, rounded
    outward (an absolute error of a few ulps of the sum; Arb's prefix sums avoid the subtraction)."""
    shift = z.hi.max(axis=0)
    e_hi = f64.exp_end(up(z.hi - shift), lower=False)  # arguments <= 0
    e_lo = f64.exp_end(down(z.lo - shift), lower=True)  # 0 below e^-64
    others_hi = up(_directed_rows(e_hi, up) - e_hi)
    others_lo = np.maximum(down(_directed_rows(e_lo, down) - e_lo), 0.0)
    with np.errstate(divide="ignore"):
        ratio = np.where(e_lo > 0, up(others_hi / np.where(e_lo > 0, e_lo, 1.0)), np.inf)
    p_lo = np.where(np.isfinite(ratio), down(1.0 / up(1.0 + np.where(np.isfinite(ratio), ratio, 0.0))), 0.0)
    p_hi = up(1.0 / down(1.0 + down(others_lo / e_hi)))
    return Interval(p_lo, p_hi).clip(0.0, 1.0)


def _cross_entropy(
    z0: Interval, z1: Interval, z2: Interval | None, ys: Interval, weight: Interval
) -> tuple[Interval, Interval, Interval | None]:
    """Per point: ``(sum y) LSE(z) - <y, z>`` as a jet, with the jet of LSE
    ``(LSE, <p, z'>, <p, z''/2> + (<p, z'^2> - <p, z'>^2) / 2)``; the variance ``<p, z'^2> - <p, z'>^2``
    of ``z'`` under the probabilities ``p`` is ``>= 0`` (the exact ``p`` sums to 1), so clipped at 0."""
    lse = Interval(_lse_end(z0.lo, upper=False), _lse_end(z0.hi, upper=True))
    p = _probabilities(z0)
    pz1 = f64.total(p * z1, axis=0)
    first = [weight * jet - f64.total(ys * z, axis=0) for jet, z in ((lse, z0), (pz1, z1))]
    if z2 is None:
        return first[0], first[1], None
    spread = f64.total(p * z1.square(), axis=0) - pz1.square()
    spread = Interval(np.maximum(spread.lo, 0.0), np.maximum(spread.hi, 0.0))
    c2 = f64.total(p * z2, axis=0) + spread * 0.5
    return first[0], first[1], weight * c2 - f64.total(ys * z2, axis=0)
