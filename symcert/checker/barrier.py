"""The checker's own verification of a ``barrier`` certificate (Arb balls, nothing from the prover).

A barrier certificate claims ``lo <= sup_{t in [0, 1]} g(t) <= hi`` with
``g(t) = phi(t) - chord(t)``, ``phi(t) = L((1 - t) A + t B)`` and the chord
``(1 - t) L(A) + t L(B)`` (form ``entezari``) or ``(L(A) + L(B)) / 2`` (``midpoint``).
It is accepted when

1. the pieces ``[t0, t1]`` partition ``[0, 1]`` exactly (in order, end to end, ``t0 < t1``);
2. on every piece, the checker's own bound (for a non-smooth activation ``sup phi([t0, t1]) - c`` alone)
   is at most the piece's claimed upper bound, itself at most ``hi``: the smallest of
   ``sup phi([t0, t1]) - c``, ``phi(m) + |phi'([t0, t1])| h - c`` and
   ``g(m) + |g'(m)| h + max(phi''([t0, t1]), 0) h^2 / 2``, with ``m`` the midpoint, ``h = (t1 - t0) / 2``,
   ``c = min(chord(t0), chord(t1))`` and ``g' = phi' - (L(B) - L(A))`` (``phi'`` for ``midpoint``);
3. the checker's lower bound of ``g`` at the exact witness ``t`` is at least ``lo`` (for ``entezari``,
   ``lo <= 0`` needs no witness: ``g(0) = 0`` exactly);

or when ``B == A`` exactly and ``lo <= 0 <= hi`` (the path is constant, the barrier is 0).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import flint
from flint import arb, arb_mat, fmpq

from symcert.checker import arb_engine as E
from symcert.checker.statement import SMOOTH

__all__ = ["verify_barrier"]


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
    if s.A == s.B:
        if not lo <= 0 <= hi:
            problems.append("REJECT: B = A, so the barrier is exactly 0, outside the claimed enclosure")
        return found, problems
    if problems:
        return found, problems
    step = [(wb - wa, None if ba is None else bb - ba) for (wa, ba), (wb, bb) in zip(A, B)]
    step_arb = E._arb_point(step)

    def chord(t: fmpq) -> arb:
        return (la + lb) / 2 if s.form == "midpoint" else (1 - t) * la + t * lb

    def point_at(t: fmpq) -> list:
        point = [(wa + t * dw, None if ba is None else ba + t * db) for (wa, ba), (dw, db) in zip(A, step)]
        return E._arb_point(point)

    def phi(t: fmpq) -> arb:
        return E._loss(s, point_at(t), inputs, ys)

    for i, (t0, t1, claimed) in enumerate(s.pieces):
        if claimed > hi:
            problems.append(f"REJECT: piece {i} claims an upper bound above the barrier's upper bound")
            continue
        q0, q1 = _q(t0), _q(t1)
        T = arb(q0).union(arb(q1))
        box = [
            (arb_mat(wa) + T * arb_mat(dw), None if ba is None else (arb_mat(ba) + T * arb_mat(db)).entries())
            for (wa, ba), (dw, db) in zip(A, step)
        ]
        low_chord = min(_lower(chord(q0)), _lower(chord(q1)))
        if s.net.activation not in SMOOTH:  # no derivatives: the range enclosure alone
            own = _upper(E._loss(s, box, inputs, ys)) - low_chord
            if own > claimed:
                problems.append(
                    f"REJECT: piece {i} [{t0}, {t1}]: g may reach {float(own):.6g} there, "
                    f"above its claimed upper bound {float(claimed):.6g}"
                )
            continue
        jet = E._loss_jet(s, box, step_arb, inputs, ys)
        slope = max(abs(_lower(jet[1])), abs(_upper(jet[1])))
        m = (q0 + q1) / 2
        half = Fraction(t1 - t0) / 2
        at_m = E._loss_jet(s, point_at(m), step_arb, inputs, ys)
        mean_value = _upper(at_m[0]) + half * slope - low_chord
        rise = arb(0) if s.form == "midpoint" else lb - la
        g_slope = at_m[1] - rise
        curvature = max(2 * _upper(jet[2]), Fraction(0))
        taylor = (
            _upper(at_m[0] - chord(m))
            + half * max(abs(_lower(g_slope)), abs(_upper(g_slope)))
            + curvature * half * half / 2
        )
        own = min(_upper(jet[0]) - low_chord, mean_value, taylor)
        if own > claimed:
            problems.append(
                f"REJECT: piece {i} [{t0}, {t1}]: g may reach {float(own):.6g} there, "
                f"above its claimed upper bound {float(claimed):.6g}"
            )
    if not (s.form == "entezari" and lo <= 0):
        w = _q(s.witness)
        witness_low = _lower(phi(w) - chord(w))
        if witness_low < lo:
            problems.append(
                f"REJECT: at the witness t = {s.witness}, g >= {float(witness_low):.6g} only, "
                f"below the claimed lower bound {float(lo):.6g}"
            )
    return found, problems[:10]
