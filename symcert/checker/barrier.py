"""The checker's own verification of a ``barrier`` certificate (Arb balls, nothing from the prover).

A barrier certificate claims ``lo <= sup_{t in [0, 1]} g(t) <= hi`` with
``g(t) = phi(t) - chord(t)``, ``phi(t) = L((1 - t) A + t B)`` and the chord
``(1 - t) L(A) + t L(B)`` (form ``entezari``) or ``(L(A) + L(B)) / 2`` (``midpoint``).
Let ``c(t)`` be the chord with ``L(A)``, ``L(B)`` replaced by the lower ends of the checker's
enclosures (linear in ``t``, below the chord) and ``u = phi - c >= g``. It is accepted when

1. the pieces ``[t0, t1]`` partition ``[0, 1]`` exactly (in order, end to end, ``t0 < t1``);
2. on every piece (width ``w``), the checker's own bound of ``u`` is at most the piece's claimed upper
   bound, itself at most ``hi``: the smallest of the range form ``sup phi([t0, t1]) - min(c(t0), c(t1))``,
   the two-sided mean-value form ``max_s min(u(t0) + D s, u(t1) - D' (w - s))`` (``D``, ``D'`` the upper
   and lower ends of ``u'`` over the piece) and the two-sided Taylor form
   ``max_s min(u(t0) + u'(t0) s + M s^2/2, u(t1) - u'(t1) (w - s) + M (w - s)^2/2)`` (``M`` the upper end
   of ``phi''`` over the piece), each an upper bound of ``u(t0 + s)`` for ``0 <= s <= w`` by Taylor's
   theorem; the maximum over ``s`` of the smaller of two quadratics with the same leading coefficient is
   exact (their difference is linear). For a non-smooth activation the range form alone. The ranges come
   from the centred box ``P(m) + [-w/2, w/2] (B - A)`` (``m`` the midpoint), values at points from exact
   points; all in the checker's own Arb arithmetic. A piece whose bound exceeds its claim is bisected once
   (the larger of the two halves' bounds is again a bound; balls are looser than intervals on wide boxes),
   at most ``pieces // 8 + 1`` of them (the cost estimate prices that many);
3. the checker's lower bound of ``g`` at the exact witness ``t`` is at least ``lo`` (for ``entezari``,
   ``lo <= 0`` needs no witness: ``g(0) = 0`` exactly);

When ``B == A`` exactly the path is constant and ``g`` is identically 0: the pieces must still partition
``[0, 1]``, each piece's claimed upper bound must be at least 0 (and at most ``hi``), and ``lo <= 0 <= hi``
(:func:`constant_path_problems`, exact, no balls); every bound the file states is checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import flint
from flint import arb, arb_mat, fmpq

from symcert.checker import arb_engine as E
from symcert.checker.barrier_scope import supports
from symcert.checker.kind import short
from symcert.checker.losses import SQUARES
from symcert.checker.progress import report
from symcert.checker.statement import SMOOTH

if TYPE_CHECKING:  # numpy: loaded only when the float64 rung applies (see first_rung)
    from symcert.checker.barrier_f64 import PathJets
    from symcert.checker.f64 import Interval

__all__ = ["verify_barrier", "first_rung", "max_bisections", "constant_path_problems"]


def max_bisections(pieces: int) -> int:
    """How many pieces the checker may bisect once (a bisection costs two box jets and a point jet)."""
    return pieces // 8 + 1


def _q(value: Fraction) -> fmpq:
    return fmpq(value.numerator, value.denominator)


def partition_problems(pieces: list) -> list[str]:
    """Why the pieces do not partition ``[0, 1]`` exactly (empty when they do).

    >>> F = Fraction
    >>> partition_problems([(F(0), F(1, 2), F(0)), (F(1, 2), F(1), F(0))])
    []
    >>> partition_problems([(F(0), F(1, 2), F(0))])
    ['REJECT: the pieces end at 1/2, not at 1']
    """
    problems = []
    if pieces[0][0] != 0:
        problems.append(f"REJECT: the pieces start at {pieces[0][0]}, not at 0")
    if pieces[-1][1] != 1:
        problems.append(f"REJECT: the pieces end at {pieces[-1][1]}, not at 1")
    for i, (t0, t1, _) in enumerate(pieces):
        if not t0 < t1:
            problems.append(f"REJECT: piece {i} [{t0}, {t1}] is empty or reversed")
        if i + 1 < len(pieces) and pieces[i + 1][0] != t1:
            problems.append(f"REJECT: piece {i} ends at {t1} but piece {i + 1} starts at {pieces[i + 1][0]}")
    return problems[:5]


def constant_path_problems(pieces: list, witness: Fraction, lo: Fraction, hi: Fraction) -> list[str]:
    """Why a barrier file with ``B == A`` states something false (empty when every bound it states holds).

    The path is constant, so ``g`` is identically 0 (both forms): exactly, the barrier is 0, the sup of
    ``g`` on every piece is 0 and ``g`` at the witness is 0. Every stated bound is checked against that.

    >>> F = Fraction
    >>> constant_path_problems([(F(0), F(1), F(0))], F(0), F(0), F(0))
    []
    >>> constant_path_problems([(F(0), F(1, 2), F(0)), (F(1, 2), F(1), F(-57, 10))], F(0), F(0), F(0))
    ['REJECT: piece 1 [1/2, 1]: B = A, so g is exactly 0 there, above its claimed upper bound -5.7']
    """
    problems = []
    if not lo <= 0 <= hi:
        problems.append("REJECT: B = A, so the barrier is exactly 0, outside the claimed enclosure")
    for i, (t0, t1, claimed) in enumerate(pieces):
        if claimed > hi:
            problems.append(f"REJECT: piece {i} claims an upper bound above the barrier's upper bound")
        if claimed < 0:
            problems.append(
                f"REJECT: piece {i} [{t0}, {t1}]: B = A, so g is exactly 0 there, "
                f"above its claimed upper bound {short(claimed)}"
            )
    if lo > 0:
        problems.append(
            f"REJECT: at the witness t = {witness}, B = A, so g is exactly 0, "
            f"below the claimed lower bound {short(lo)}"
        )
    return problems[:10]


def same_points(s: Any) -> bool:
    """``A == B`` exactly (``Statement.same_points`` when there: packed arrays compared as integers)."""
    same = getattr(s, "same_points", None)
    return bool(same()) if callable(same) else s.A == s.B


def first_rung(s: Any) -> PathJets | None:
    """The float64 rung's jets for this statement (None when it does not apply: Arb alone)."""
    if same_points(s) or not supports(s):
        return None
    from symcert.checker.barrier_f64 import PathJets  # numpy, only here

    try:
        jets = PathJets(s)
        if _ends_f64(s, jets) is None:  # L(A) or L(B) not inside the claims: a tighter first layer
            jets.keep_first(*_first_products(s))
        return jets
    except ArithmeticError:  # data or weights beyond float64
        return None


def _first_products(s: Any) -> tuple[Interval, Interval]:
    """The first layer's two kept products, ``[W_A | b_A] [X; 1]`` and ``[D | db] [X; 1]``, by Arb at 106
    bits: data such as ``k/255`` and 785-term sums cost the float64 rung about 1e-12 of width per entry."""
    from symcert.checker.barrier_f64 import from_balls

    saved = flint.ctx.prec
    flint.ctx.prec = _FIRST_BITS
    try:
        X = E._with_ones(arb_mat(E.exact_matrix([list(col) for col in zip(*s.xs)])), s.A[0][1] is not None)
        first = [E._folded(*E._arb_point([layer])[0]) * X for layer in _first_layers(s)]
        return from_balls(first[0]), from_balls(first[1])
    finally:
        flint.ctx.prec = saved


#: Arb's precision for the first layer's products handed to the float64 rung (a double double).
_FIRST_BITS = 106


def _first_layers(s: Any) -> list:
    """``(W_A, b_A)`` and ``(W_B - W_A, b_B - b_A)`` of the first layer, exact (``fmpq_mat``)."""
    ((wa, ba),), ((wb, bb),) = E._exact_point([s.A[0]]), E._exact_point([s.B[0]])
    return [(wa, ba), (wb - wa, None if ba is None else bb - ba)]


def verify_barrier(
    s: Any, dps: int, fast: PathJets | None = None
) -> tuple[dict[str, tuple[Fraction, Fraction]], list[str]]:
    """The checker's enclosures of ``L(A)``, ``L(B)`` and the problems found at ``dps`` digits.

    ``fast``: the float64 rung (:func:`first_rung`), tried first on every piece and at the witness; where
    its bound does not decide, Arb at ``dps`` digits decides.
    """
    saved = flint.ctx.prec
    flint.ctx.prec = E.bits_for(dps)
    try:
        return _verify(s, fast)
    finally:
        flint.ctx.prec = saved


def _upper(ball: arb) -> Fraction:
    return E.ball_bounds(ball, "x")[1]


def _lower(ball: arb) -> Fraction:
    return E.ball_bounds(ball, "x")[0]


class _ArbJets:
    """The jets in Arb balls at the current precision, as exact ``(lo, hi)`` pairs (ends kept)."""

    def __init__(self, s: Any) -> None:
        self.s = s
        self._data: tuple[arb_mat, list] | None = None
        self._exact: tuple[list, list, list] | None = None
        self._first: tuple[arb_mat, arb_mat] | None = None
        self._ends: dict[Fraction, tuple] = {}
        self._step_arb: list | None = None

    def exact(self) -> tuple[list, list, list]:
        """``A``, ``B`` and ``B - A`` as exact matrices (``fmpq_mat``), made on first use."""
        if self._exact is None:
            A, B = E._exact_point(self.s.A), E._exact_point(self.s.B)
            step = [(wb - wa, None if ba is None else bb - ba) for (wa, ba), (wb, bb) in zip(A, B)]
            self._exact = A, B, step
        return self._exact

    @property
    def A(self) -> list:
        return self.exact()[0]

    @property
    def step(self) -> list:
        return self.exact()[2]

    @property
    def step_arb(self) -> list:
        if self._step_arb is None:
            self._step_arb = E._arb_point(self.step)
        return self._step_arb

    @property
    def inputs(self) -> arb_mat:
        return self.data()[0]

    @property
    def ys(self) -> list:
        return self.data()[1]

    def data(self) -> tuple[arb_mat, list]:
        """The inputs and the targets as balls, made on first use (the float64 rung may need neither)."""
        if self._data is None:
            inputs = arb_mat(E.exact_matrix([list(col) for col in zip(*self.s.xs)]))
            self._data = inputs, E.targets(self.s, inputs)
        return self._data

    def losses(self, points: Sequence[list]) -> list[arb]:
        """The loss at each exact point (layers of ``fmpq_mat``)."""
        return [E._loss(self.s, E._arb_point(p), self.inputs, self.ys) for p in points]

    def point_at(self, t: Fraction) -> list:
        q = _q(t)
        point = [
            (wa + q * dw, None if ba is None or db is None else ba + q * db)
            for (wa, ba), (dw, db) in zip(self.A, self.step)
        ]
        return E._arb_point(point)

    def first(self, t: Fraction, spread: arb | None = None) -> tuple[arb_mat, arb_mat]:
        """The first layer along the path, ``[W_A | b_A] [X; 1] + t [D | db] [X; 1]``: two matrix
        products, made on first use and kept for every jet (most of a forward pass's products)."""
        if self._first is None:
            ones = E._with_ones(self.inputs, self.A[0][1] is not None)
            at_a, along = (E._folded(*E._arb_point([layer])[0]) * ones for layer in (self.A[0], self.step[0]))
            self._first = at_a, along
        at_a, along = self._first
        z = at_a + arb(_q(t)) * along
        return (z if spread is None else z + spread * along), along

    def point(self, t: Fraction) -> tuple:
        if t not in self._ends:
            point = self.point_at(t)
            jet = E.loss_jet(self.s, point, self.step_arb, self.inputs, self.ys, first=self.first(t))
            self._ends[t] = tuple(E.ball_bounds(c, "phi") for c in jet)
        return self._ends[t]

    def box(self, t0: Fraction, t1: Fraction) -> tuple:
        spread = arb(_q((t1 - t0) / 2)) * arb(0, 1)  # contains [-w/2, w/2]
        m = (t0 + t1) / 2
        centre, first = self.point_at(m), self.first(m, spread)
        jet = E.loss_jet(self.s, centre, self.step_arb, self.inputs, self.ys, spread, first)
        return tuple(E.ball_bounds(c, "phi") for c in jet)

    def box_value(self, t0: Fraction, t1: Fraction) -> Fraction:
        """The upper end of the loss over the centred box (for activations without derivatives)."""
        spread = arb(_q((t1 - t0) / 2)) * arb(0, 1)
        centre = self.point_at((t0 + t1) / 2)
        return _upper(E._loss(self.s, centre, self.inputs, self.ys, (self.step_arb, spread)))


def _verify(s: Any, fast: PathJets | None) -> tuple[dict[str, tuple[Fraction, Fraction]], list[str]]:
    lo, hi = s.claimed["barrier"]
    problems = partition_problems(s.pieces)
    balls = _ArbJets(s)  # exact points and balls made on first use: the float64 rung may need none
    found = _ends_f64(s, fast)  # L(A), L(B): the float64 rung's when inside the claimed enclosures
    if found is None:
        la, lb = balls.losses(balls.exact()[:2])
        found = E._bounds({"L(A)": la, "L(B)": lb}, E._nonnegative(s, {"L(A)": la, "L(B)": lb}))
    if problems:
        return found, problems
    if same_points(s):
        return found, constant_path_problems(s.pieces, s.witness, lo, hi)
    rungs: list = [balls] if fast is None else [fast, balls]
    smooth = s.net.activation in SMOOTH
    la_lo, lb_lo = found["L(A)"][0], found["L(B)"][0]

    def low(t: Fraction) -> Fraction:  # the linear lower chord c(t), exact
        return (la_lo + lb_lo) / 2 if s.form == "midpoint" else (1 - t) * la_lo + t * lb_lo

    rise = Fraction(0) if s.form == "midpoint" else lb_lo - la_lo  # c'(t)

    def bound(t0: Fraction, t1: Fraction, jets: Any) -> Fraction | None:
        """An upper bound of ``u`` on ``[t0, t1]`` from ``jets`` (None when its enclosures are unbounded)."""
        try:
            if not smooth:
                return balls.box_value(t0, t1) - min(low(t0), low(t1))
            return _bound(t0, t1, jets)
        except ArithmeticError:
            return None

    def value_at(t: Fraction, jets: Any) -> tuple:
        """``phi(t)``'s enclosure and ``phi'(t)``'s; ``phi(0) = L(A)`` and ``phi(1) = L(B)`` exactly, so at
        the ends of the path the smaller upper end of the jet's and of the enclosure found for the loss."""
        value, slope = jets.point(t)[:2]  # (the float64 rung computes no phi'' at points)
        if t in (0, 1):
            value = (value[0], min(value[1], found["L(A)" if t == 0 else "L(B)"][1]))
        return value, slope

    def _bound(t0: Fraction, t1: Fraction, jets: Any) -> Fraction:
        w = t1 - t0
        (v0, p0), (v1, p1) = value_at(t0, jets), value_at(t1, jets)
        u0, u1 = v0[1] - low(t0), v1[1] - low(t1)
        value, slope, bend = jets.box(t0, t1)
        curvature = 2 * bend[1]  # the jet carries phi''/2
        return min(
            value[1] - min(low(t0), low(t1)),
            two_sided(u0, slope[1] - rise, u1, slope[0] - rise, Fraction(0), w),
            two_sided(u0, p0[1] - rise, u1, p1[0] - rise, curvature, w),
        )

    def decide(t0: Fraction, t1: Fraction, claimed: Fraction) -> Fraction | None:
        """The first rung's bound if it is at most ``claimed``, else Arb's."""
        own = None
        for jets in rungs:
            own = bound(t0, t1, jets)
            if own is not None and own <= claimed:
                if jets is fast:
                    fast.decided += 1
                break
        return own

    # Balls are looser on wide boxes, so a piece the checker cannot confirm is bisected: once for a
    # smooth loss (its Taylor and mean-value forms are tight), down to 1/64 of the piece for a piecewise
    # one (ReLU: the plain box bound, whose excess shrinks only linearly with the width), within a
    # budget of bisections. The largest upper bound over the halves bounds the piece.
    bisections = max_bisections(len(s.pieces)) if smooth else 8 * len(s.pieces) + 16
    depth = 1 if smooth else 6

    def refine(t0: Fraction, t1: Fraction, claimed: Fraction, levels: int) -> Fraction | None:
        nonlocal bisections
        own = decide(t0, t1, claimed)
        if (own is None or own > claimed) and levels > 0 and bisections > 0:
            bisections -= 1
            m = (t0 + t1) / 2
            left, right = refine(t0, m, claimed, levels - 1), refine(m, t1, claimed, levels - 1)
            own = None if left is None or right is None else max(left, right)
        return own

    if fast is not None:
        fast.decided = 0
        if smooth:  # every piece's jets in one batch (the same enclosures, kept for decide)
            ends = [t for piece in s.pieces for t in piece[:2]]
            needs_witness = not (s.form == "entezari" and lo <= 0)
            fast.prefetch(ends + ([s.witness] if needs_witness else []), [(t0, t1) for t0, t1, _ in s.pieces])
    for i, (t0, t1, claimed) in enumerate(s.pieces):
        report(i, len(s.pieces), f"piece {i + 1}")
        if claimed > hi:
            problems.append(f"REJECT: piece {i} claims an upper bound above the barrier's upper bound")
            continue
        own = refine(t0, t1, claimed, depth)
        if own is None:
            problems.append(
                f"REJECT: piece {i} [{t0}, {t1}]: the checker's enclosures of g there are unbounded"
            )
        elif own > claimed:
            problems.append(
                f"REJECT: piece {i} [{t0}, {t1}]: g may reach {short(own)} there, "
                f"above its claimed upper bound {short(claimed)}"
            )
    if not (s.form == "entezari" and lo <= 0):
        witness_low = _witness_low(s, fast, found)
        if witness_low is None or witness_low < lo:
            w = _q(s.witness)
            la, lb = balls.losses(balls.exact()[:2])
            chord = (la + lb) / 2 if s.form == "midpoint" else (1 - w) * la + w * lb
            witness_low = _lower(E._loss(s, balls.point_at(s.witness), balls.inputs, balls.ys) - chord)
        if witness_low < lo:
            problems.append(
                f"REJECT: at the witness t = {s.witness}, g >= {short(witness_low)} only, "
                f"below the claimed lower bound {short(lo)}"
            )
    return found, problems[:10]


def _ends_f64(s: Any, fast: PathJets | None) -> dict[str, tuple[Fraction, Fraction]] | None:
    """``L(A)`` and ``L(B)`` from the float64 rung (``phi(0)``, ``phi(1)``, also the first and last pieces'
    ends) when both lie inside the enclosures the file claims; else None (Arb computes them)."""
    if fast is None:
        return None
    try:
        found = {"L(A)": fast.point(Fraction(0))[0], "L(B)": fast.point(Fraction(1))[0]}
    except ArithmeticError:
        return None
    for name, (low, high) in found.items():
        if s.loss_kind in SQUARES:  # a sum of squares is >= 0
            found[name] = (max(low, Fraction(0)), high)
        claim = s.claimed.get(name)
        if claim is None or not claim[0] <= found[name][0] <= found[name][1] <= claim[1]:
            return None
    return found


def _witness_low(s: Any, fast: PathJets | None, found: dict) -> Fraction | None:
    """The float64 rung's lower bound of ``g`` at the witness: ``phi`` from below minus the chord from
    above (None without the rung, or when its enclosure is unbounded)."""
    if fast is None:
        return None
    w = s.witness
    la_hi, lb_hi = found["L(A)"][1], found["L(B)"][1]
    chord = (la_hi + lb_hi) / 2 if s.form == "midpoint" else (1 - w) * la_hi + w * lb_hi
    try:
        return fast.point(w)[0][0] - chord
    except ArithmeticError:
        return None


def _quadratic_max(c0: Fraction, c1: Fraction, c2: Fraction, a: Fraction, b: Fraction) -> Fraction:
    best = max(c0 + c1 * a + c2 * a * a, c0 + c1 * b + c2 * b * b)
    if c2 < 0 and a < -c1 / (2 * c2) < b:
        v = -c1 / (2 * c2)
        best = max(best, c0 + c1 * v + c2 * v * v)
    return best


def two_sided(G0: Fraction, P0: Fraction, G1: Fraction, P1: Fraction, M: Fraction, w: Fraction) -> Fraction:
    """``max_{0 <= s <= w} min(G0 + P0 s + M s^2/2, G1 - P1 (w - s) + M (w - s)^2/2)``, exactly.

    >>> two_sided(Fraction(0), Fraction(1), Fraction(0), Fraction(-1), Fraction(0), Fraction(2))
    Fraction(1, 1)
    """
    c0, c1, c2 = G1 - P1 * w + M * w * w / 2, P1 - M * w, M / 2  # the second as a polynomial in s
    alpha, beta = G0 - c0, P0 - c1  # first minus second: linear in s
    if beta == 0:
        if alpha <= 0:
            return _quadratic_max(G0, P0, c2, Fraction(0), w)
        return _quadratic_max(c0, c1, c2, Fraction(0), w)
    cross = min(max(-alpha / beta, Fraction(0)), w)
    first, second = ((Fraction(0), cross), (cross, w)) if beta > 0 else ((cross, w), (Fraction(0), cross))
    return max(_quadratic_max(G0, P0, c2, *first), _quadratic_max(c0, c1, c2, *second))
