"""The checker's own verification of a ``path`` certificate (exact structure and Arb balls).

A path certificate claims ``lo <= sup L <= hi`` along the chain ``P0 = A, ..., Pk = B``. It is
accepted when, with every ``L(P_i)`` enclosed by the checker's own Arb balls:

1. every segment's argument holds:

   - ``rotate`` (layer ``l``, unit ``j``): ``P_i`` and ``P_{i+1}`` differ only in row ``j`` of ``W_l``
     and entry ``j`` of ``b_l``, and column ``j`` of ``W_{l+1}`` is exactly 0 (in both, so all along).
     Unit ``j`` then adds ``0 * sigma(...)`` to every pre-activation of layer ``l + 1`` and nothing else
     moves, so the network function, hence (without weight decay) ``L``, is ``L(P_i)`` all along;
   - ``shift`` (units ``i, j``): the points differ only in columns ``i, j`` of ``W_{l+1}``, units ``i``
     and ``j`` have exactly equal incoming weights and biases, and ``column i + column j`` is the same at
     both ends (so all along: it is linear in ``t``). The two units compute the same ``sigma(z)`` and
     contribute ``(column i + column j) sigma(z)``: again ``L = L(P_i)`` all along;
   - bounds along a straight segment: the barrier's own check
     (:func:`~symcert.checker.barrier.verify_barrier`, form ``midpoint``) with every claim moved by
     the checker's lower end ``c`` of the chord
     ``(L(P_i) + L(P_{i+1}))/2``: its pieces then bound ``L - c``, so ``L`` is at most the stated bound;
   - bounds along a quadratic Bezier curve ``c(t)`` (control ``C``): on each piece, the range of ``L``
     over the centred box ``(c(m) + [-h^2, 0] D) + [-h, h] (c'(m) + [-2h, 2h] D)`` (``D = P0 - 2C + P2``)
     contains ``L(c(t))`` for every ``t`` of the piece, and ``L'`` along ``c'(m) + [-2h, 2h] D`` contains
     ``d/dt L(c(t))``; the smaller of the range form and the two-sided mean-value form is at most the
     piece's claim (a piece may be bisected once, as for a barrier);
2. every piece's claim and every move's ``L(P_i)`` is at most ``hi``, the pieces partition ``[0, 1]``;
3. ``L`` at the witness is at least ``lo``.
"""

from __future__ import annotations

import copy
from fractions import Fraction
from typing import Any

import flint
from flint import arb, arb_mat, fmpq

from symcert.checker import arb_engine as E
from symcert.checker.barrier import max_bisections, partition_problems, two_sided, verify_barrier
from symcert.checker.kind import short
from symcert.checker.progress import report
from symcert.checker.statement import SMOOTH

__all__ = ["verify_path", "move_problems"]


def _q(value: Fraction) -> fmpq:
    return fmpq(value.numerator, value.denominator)


def _column(layers: list, l: int, j: int) -> list[Fraction]:
    return [row[j] for row in layers[l][0]]


def _row(layers: list, l: int, j: int) -> tuple:
    weights, biases = layers[l - 1]
    return (tuple(weights[j]), None if biases is None else biases[j])


def _changes(P: list, Q: list) -> set[tuple[str, int, int, int]]:
    """Every entry where ``P`` and ``Q`` differ: ``("W", l, row, col)`` or ``("b", l, row, 0)``."""
    out = set()
    for l, ((wp, bp), (wq, bq)) in enumerate(zip(P, Q), start=1):
        for r, (rp, rq) in enumerate(zip(wp, wq)):
            out |= {("W", l, r, c) for c, (u, v) in enumerate(zip(rp, rq)) if u != v}
        if bp is not None:
            out |= {("b", l, r, 0) for r, (u, v) in enumerate(zip(bp, bq)) if u != v}
    return out


def move_problems(move: tuple, P: list, Q: list, depth: int) -> list[str]:
    """Why the move does not keep the network function (empty when its structure holds, exactly).

    >>> F = Fraction
    >>> P = [([[F(1)], [F(2)]], [F(0), F(0)]), ([[F(3), F(0)]], [F(0)])]
    >>> Q = [([[F(1)], [F(5)]], [F(0), F(7)]), ([[F(3), F(0)]], [F(0)])]
    >>> move_problems(("rotate", 1, (1,)), P, Q, 2)
    []
    >>> move_problems(("rotate", 1, (0,)), P, Q, 2)[0]
    'REJECT: a rotate of unit 0 of layer 1 may change only its incoming weights and bias'
    """
    kind, l, units = move
    if not 1 <= l < depth:
        return [f"REJECT: a {kind} move needs a hidden layer, got layer {l}"]
    changes = _changes(P, Q)
    if kind == "rotate":
        (j,) = units
        allowed = {c for c in changes if c[1] == l and c[2] == j}
        if changes != allowed:
            return [
                f"REJECT: a rotate of unit {j} of layer {l} may change only its incoming weights and bias"
            ]
        if any(v != 0 for v in _column(P, l, j)):
            return [f"REJECT: unit {j} of layer {l} is not dead: its outgoing weights are not all 0"]
        return []
    i, j = units
    allowed = {c for c in changes if c[0] == "W" and c[1] == l + 1 and c[3] in (i, j)}
    if changes != allowed:
        return [
            f"REJECT: a shift between units {i} and {j} of layer {l} may change only their outgoing weights"
        ]
    if _row(P, l, i) != _row(P, l, j):
        return [f"REJECT: units {i} and {j} of layer {l} do not have equal incoming weights and biases"]
    sums = [a + b for a, b in zip(_column(P, l, i), _column(P, l, j))]
    if sums != [a + b for a, b in zip(_column(Q, l, i), _column(Q, l, j))]:
        return [
            f"REJECT: the shift changes the sum of the outgoing weights of units {i} and {j} of layer {l}"
        ]
    return []


def verify_path(s: Any, dps: int) -> tuple[dict[str, tuple[Fraction, Fraction]], list[str]]:
    """The checker's enclosures of ``L(A)``, ``L(B)`` and the problems found at ``dps`` digits."""
    saved = flint.ctx.prec
    flint.ctx.prec = E.bits_for(dps)
    try:
        return _verify(s, dps)
    finally:
        flint.ctx.prec = saved


def _verify(s: Any, dps: int) -> tuple[dict[str, tuple[Fraction, Fraction]], list[str]]:
    lo, hi = s.claimed["sup"]
    inputs = arb_mat(E._exact_matrix([list(col) for col in zip(*s.xs)]))
    ys = E._targets(s, inputs)
    balls = {
        f"L(P{i})": E._loss(s, E._arb_point(E._exact_point(p)), inputs, ys) for i, p in enumerate(s.chain)
    }
    values = E._bounds(balls, E._nonnegative(s, balls))
    found = {"L(A)": values["L(P0)"], "L(B)": values[f"L(P{len(s.chain) - 1})"]}
    problems: list[str] = []
    best = None  # the lower bound of L at the witness
    for k, segment in enumerate(s.segments):
        P, Q = s.chain[k], s.chain[k + 1]
        here = s.witness_segment == k
        if segment[0] in ("rotate", "shift"):
            problems += [f"{p} (segment {k})" for p in move_problems(segment, P, Q, len(s.net.widths) - 1)]
            if values[f"L(P{k})"][1] > hi:
                problems.append(f"REJECT: segment {k}: L = {short(values[f'L(P{k})'][1])} there, above hi")
            if here:
                best = values[f"L(P{k})"][0]  # L is constant along the move
            continue
        _, pieces, control = segment
        if not pieces:
            problems.append(f"REJECT: segment {k} has no pieces")
            continue
        problems += [f"{p} (segment {k})" for p in partition_problems(pieces)]
        if any(upper > hi for _, _, upper in pieces):
            problems.append(f"REJECT: segment {k}: a piece claims an upper bound above the sup's upper end")
        if problems:
            continue
        if control is None:
            low, more = _straight(s, k, values, pieces, hi, lo if here else None, dps)
        else:
            low, more = _curve(s, P, control, Q, pieces, inputs, ys, s.witness_t if here else None)
        problems += [f"{p} (segment {k})" for p in more]
        if here:
            best = low
    if best is not None and best < lo:
        problems.append(
            f"REJECT: at the witness (segment {s.witness_segment}, t = {s.witness_t}), L >= {short(best)} "
            f"only, below the claimed lower bound {short(lo)}"
        )
    return found, problems[:10]


def _straight(
    s: Any, k: int, values: dict, pieces: list, hi: Fraction, lo: Fraction | None, dps: int
) -> tuple[Fraction | None, list[str]]:
    """The barrier checker on the segment, with every claim moved by the chord's lower end ``c``."""
    c = (values[f"L(P{k})"][0] + values[f"L(P{k + 1})"][0]) / 2
    shim = copy.copy(s)
    shim.A, shim.B, shim.form = s.chain[k], s.chain[k + 1], "midpoint"
    shim.pieces = [(t0, t1, upper - c) for t0, t1, upper in pieces]
    shim.witness = s.witness_t if lo is not None else Fraction(0)
    # without a witness here, a lower end no value can fall below (the witness check then passes)
    floor = lo - c if lo is not None else -(abs(c) + abs(hi) + 1) * 10**6
    shim.claimed = {"barrier": (floor, hi - c)}
    found, problems = verify_barrier(shim, dps)
    chord = (found["L(A)"][0] + found["L(B)"][0]) / 2
    if chord != c:  # the barrier checker's chord must be the one the claims were moved by
        problems.append("REJECT: the barrier check used another enclosure of the chord")
    return (lo if lo is not None and not problems else None), problems


def _lin(terms: list) -> list:
    """The exact point ``sum_i a_i X_i`` for ``terms = [(a_i, X_i)]`` (layers of ``Fraction``)."""
    coefficients = [Fraction(a) for a, _ in terms]
    points = [X for _, X in terms]

    def mix(values: tuple) -> Fraction:
        return sum((a * v for a, v in zip(coefficients, values)), Fraction(0))

    out = []
    for layers in zip(*points):
        weights = [[mix(e) for e in zip(*rows)] for rows in zip(*(w for w, _ in layers))]
        biases = None if layers[0][1] is None else [mix(e) for e in zip(*(b for _, b in layers))]
        out.append((weights, biases))
    return out


def _bezier(P: list, C: list, Q: list, t: Fraction) -> list:
    """The exact point ``(1-t)^2 P + 2t(1-t) C + t^2 Q``."""
    return _lin([((1 - t) ** 2, P), (2 * t * (1 - t), C), (t * t, Q)])


def _balls(layers: list, f: Any) -> list:
    """Layers of Arb balls ``f(value, layer, row, col)`` as ``[(arb_mat W, [b balls] or None)]``."""
    out = []
    for l, (w, b) in enumerate(layers):
        rows, cols = len(w), len(w[0])
        W = arb_mat(rows, cols, [f(w[r][c], l, "W", r, c) for r in range(rows) for c in range(cols)])
        out.append((W, None if b is None else [f(b[r], l, "b", r, 0) for r in range(rows)]))
    return out


def _curve(
    s: Any, P: list, C: list, Q: list, pieces: list, inputs: arb_mat, ys: list, witness: Fraction | None
) -> tuple[Fraction | None, list[str]]:
    """Each piece's claim against the checker's own bound along the Bezier curve (see the module)."""
    smooth = s.net.activation in SMOOTH
    half = Fraction(1, 2)
    bend = _lin([(half, P), (-1, C), (half, Q)])  # D/2
    pull = _lin([(-2, P), (2, C)])  # 2 (C - P)

    def entry(layers: list, l: int, part: str, r: int, c: int) -> Fraction:
        return layers[l][0][r][c] if part == "W" else layers[l][1][r]

    def speed(t: Fraction) -> list:  # c'(t) = 2 (C - P) + 2 t D = pull + 4 t (D/2)
        return _balls(pull, lambda v, l, part, r, c: arb(_q(v + 4 * t * entry(bend, l, part, r, c))))

    ends: dict[Fraction, tuple[arb, arb | None]] = {}

    def at(t: Fraction) -> tuple[arb, arb | None]:
        if t not in ends:
            point = E._arb_point(E._exact_point(_bezier(P, C, Q, t)))
            if smooth:
                jet = E._loss_jet(s, point, speed(t), inputs, ys)
                ends[t] = (jet[0], jet[1])
            else:
                ends[t] = (E._loss(s, point, inputs, ys), None)
        return ends[t]

    def upper(ball: arb) -> Fraction:
        return E._bounds({"x": ball})["x"][1]

    def lower(ball: arb) -> Fraction:
        return E._bounds({"x": ball})["x"][0]

    def bound(t0: Fraction, t1: Fraction) -> Fraction | None:
        try:
            return _bound(t0, t1)
        except ArithmeticError:
            return None

    def _bound(t0: Fraction, t1: Fraction) -> Fraction:
        m, h = (t0 + t1) / 2, (t1 - t0) / 2
        S = arb(_q(h)) * arb(0, 1)
        R = arb(_q(-h * h / 2)) + arb(_q(h * h / 2)) * arb(0, 1)  # contains [-h^2, 0]
        centre = _bezier(P, C, Q, m)
        start = _balls(
            centre, lambda v, l, part, r, c: arb(_q(v)) + 2 * R * arb(_q(entry(bend, l, part, r, c)))
        )
        step = _balls(
            pull,
            lambda v, l, part, r, c: (
                arb(_q(v + 4 * m * entry(bend, l, part, r, c))) + 4 * S * arb(_q(entry(bend, l, part, r, c)))
            ),
        )
        if not smooth:
            return upper(E._loss(s, start, inputs, ys, (step, S)))
        (v0, _), (v1, _) = at(t0), at(t1)
        jet = E._loss_jet(s, start, step, inputs, ys, S)
        slope = two_sided(upper(v0), upper(jet[1]), upper(v1), lower(jet[1]), Fraction(0), 2 * h)
        return min(upper(jet[0]), slope)

    problems = []
    bisections = max_bisections(len(pieces))
    for i, (t0, t1, claimed) in enumerate(pieces):
        report(i, len(pieces), f"piece {i + 1}")
        own = bound(t0, t1)
        if (own is None or own > claimed) and bisections > 0:
            bisections -= 1
            m = (t0 + t1) / 2
            left, right = bound(t0, m), bound(m, t1)
            own = None if left is None or right is None else max(left, right)
        if own is None:
            problems.append(
                f"REJECT: piece {i} [{t0}, {t1}]: the checker's enclosures of L there are unbounded"
            )
        elif own > claimed:
            problems.append(
                f"REJECT: piece {i} [{t0}, {t1}]: L may reach {short(own)} there, "
                f"above its claim {short(claimed)}"
            )
    low = None
    if witness is not None:
        low = lower(E._loss(s, E._arb_point(E._exact_point(_bezier(P, C, Q, witness))), inputs, ys))
    return low, problems
