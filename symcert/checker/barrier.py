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

from fractions import Fraction
from typing import Any

import flint
from flint import arb, arb_mat, fmpq

from symcert.checker import arb_engine as E
from symcert.checker.kind import short
from symcert.checker.progress import report
from symcert.checker.statement import SMOOTH

__all__ = ["verify_barrier", "max_bisections", "constant_path_problems"]


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


def verify_barrier(s: Any, dps: int) -> tuple[dict[str, tuple[Fraction, Fraction]], list[str]]:
    """The checker's enclosures of ``L(A)``, ``L(B)`` and the problems found at ``dps`` digits."""
    saved = flint.ctx.prec
    flint.ctx.prec = E.bits_for(dps)
    try:
        return _verify(s)
    finally:
        flint.ctx.prec = saved


def _upper(ball: arb) -> Fraction:
    return E._bounds({"x": ball})["x"][1]


def _lower(ball: arb) -> Fraction:
    return E._bounds({"x": ball})["x"][0]


def _verify(s: Any) -> tuple[dict[str, tuple[Fraction, Fraction]], list[str]]:
    lo, hi = s.claimed["barrier"]
    problems = partition_problems(s.pieces)
    inputs = arb_mat(E._exact_matrix([list(col) for col in zip(*s.xs)]))
    ys = E._targets(s, inputs)
    A, B = E._exact_point(s.A), E._exact_point(s.B)
    la, lb = (E._loss(s, E._arb_point(p), inputs, ys) for p in (A, B))
    found = E._bounds({"L(A)": la, "L(B)": lb}, E._nonnegative(s, {"L(A)": la, "L(B)": lb}))
    if problems:
        return found, problems
    if s.A == s.B:
        return found, constant_path_problems(s.pieces, s.witness, lo, hi)
    step = [(wb - wa, None if ba is None else bb - ba) for (wa, ba), (wb, bb) in zip(A, B)]
    step_arb = E._arb_point(step)
    smooth = s.net.activation in SMOOTH
    la_lo, lb_lo = found["L(A)"][0], found["L(B)"][0]

    def low(t: Fraction) -> Fraction:  # the linear lower chord c(t), exact
        return (la_lo + lb_lo) / 2 if s.form == "midpoint" else (1 - t) * la_lo + t * lb_lo

    def point_at(t: Fraction) -> list:
        q = _q(t)
        point = [
            (wa + q * dw, None if ba is None or db is None else ba + q * db)
            for (wa, ba), (dw, db) in zip(A, step)
        ]
        return E._arb_point(point)

    # The first layer along the path: [W | b](t) [X; 1] = [W_A | b_A] [X; 1] + t [D | db] [X; 1], two
    # matrix products kept for every jet (the first layer is most of a forward pass's products).
    ones = E._with_ones(inputs, A[0][1] is not None)
    at_a, along = (E._folded(*E._arb_point([layer])[0]) * ones for layer in (A[0], step[0]))

    def first(t: Fraction, spread: arb | None = None) -> tuple[arb_mat, arb_mat]:
        z = at_a + arb(_q(t)) * along
        return (z if spread is None else z + spread * along), along

    ends: dict[Fraction, tuple[arb, arb | None]] = {}

    def at(t: Fraction) -> tuple[arb, arb | None]:
        if t not in ends:
            if smooth:
                jet = E._loss_jet(s, point_at(t), step_arb, inputs, ys, first=first(t))
                ends[t] = (jet[0], jet[1])
            else:
                ends[t] = (E._loss(s, point_at(t), inputs, ys), None)
        return ends[t]

    rise = Fraction(0) if s.form == "midpoint" else lb_lo - la_lo  # c'(t)

    def bound(t0: Fraction, t1: Fraction) -> Fraction | None:
        """The checker's own upper bound of ``u`` on ``[t0, t1]`` (None when its balls are unbounded)."""
        try:
            return _bound(t0, t1)
        except ArithmeticError:
            return None

    def _bound(t0: Fraction, t1: Fraction) -> Fraction:
        w = t1 - t0
        spread = arb(_q(w / 2)) * arb(0, 1)  # contains [-w/2, w/2]
        centre = point_at((t0 + t1) / 2)
        if not smooth:
            return _upper(E._loss(s, centre, inputs, ys, (step_arb, spread))) - min(low(t0), low(t1))
        (v0, p0), (v1, p1) = at(t0), at(t1)
        assert p0 is not None and p1 is not None  # smooth: at() keeps the derivative
        u0, u1 = _upper(v0) - low(t0), _upper(v1) - low(t1)
        jet = E._loss_jet(s, centre, step_arb, inputs, ys, spread, first((t0 + t1) / 2, spread))
        d_lo, d_hi = _lower(jet[1]) - rise, _upper(jet[1]) - rise
        curvature = 2 * _upper(jet[2])  # the jet carries phi''/2
        return min(
            _upper(jet[0]) - min(low(t0), low(t1)),
            two_sided(u0, d_hi, u1, d_lo, Fraction(0), w),
            two_sided(u0, _upper(p0) - rise, u1, _lower(p1) - rise, curvature, w),
        )

    bisections = max_bisections(len(s.pieces))
    for i, (t0, t1, claimed) in enumerate(s.pieces):
        report(i, len(s.pieces), f"piece {i + 1}")
        if claimed > hi:
            problems.append(f"REJECT: piece {i} claims an upper bound above the barrier's upper bound")
            continue
        own = bound(t0, t1)
        if (own is None or own > claimed) and bisections > 0:  # balls are looser on wide boxes: bisect once
            bisections -= 1
            m = (t0 + t1) / 2
            left, right = bound(t0, m), bound(m, t1)
            own = None if left is None or right is None else max(left, right)
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
        w = _q(s.witness)
        chord = (la + lb) / 2 if s.form == "midpoint" else (1 - w) * la + w * lb
        witness_low = _lower(E._loss(s, point_at(s.witness), inputs, ys) - chord)
        if witness_low < lo:
            problems.append(
                f"REJECT: at the witness t = {s.witness}, g >= {short(witness_low)} only, "
                f"below the claimed lower bound {short(lo)}"
            )
    return found, problems[:10]


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
