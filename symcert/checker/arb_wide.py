"""The checker's Arb functions of *wide* balls (boxes of parameters): monotone functions at the ends.

A wide ball's midpoint-radius image reaches far beyond the true range (``exp`` of ``[-300, 300]`` even
below 0, so its ``log`` is NaN), while ``[f(lower), f(upper)]`` is exact for an increasing ``f``; the
product of two wide balls reaches beyond the interval product (:func:`mul`), and functions of one
variable whose monotonicity changes at known points (the sigmoid's slope and bend) are evaluated at
the ends and at those points. Balls of exact points are narrow and keep the direct evaluation.
Nothing here is shared with the prover.

>>> from flint import arb
>>> z = [arb(0, 400), arb(1)]               # a logit in [-400, 400] and a logit 1
>>> bool(abs(lse([arb(-400), arb(1)]) - 1) < 1e-10) and 0 < lse(z).lower() and lse(z).upper() < 401
True
>>> sum((v.exp() for v in z), arb(0)).log().is_finite()   # the direct formula gives NaN
False
"""

from __future__ import annotations

from collections.abc import Sequence

from flint import arb

__all__ = [
    "WIDE",
    "mono",
    "exp",
    "sigmoid",
    "sigmoid_slope",
    "sigmoid_bend",
    "mul",
    "square",
    "cube",
    "bce",
    "bce_jet",
    "probabilities",
    "softmax_jet",
    "lse",
    "lse_jet",
    "tanh_jets",
]

Jet = tuple  # (c0, c1, c2): value, first derivative, half the second derivative (arb balls)

#: A ball wider than this is evaluated through its ends by the monotone functions here.
WIDE = arb(2) ** -30


def mono(name: str, u: arb) -> arb:
    """``u.name()`` for an increasing function (``exp``, ``log``, ``tanh``), from the ends when wide."""
    if not u.rad() > WIDE:
        return getattr(u, name)()
    low, high = u.lower(), u.upper()
    return getattr(low, name)().union(getattr(high, name)())


def exp(u: arb) -> arb:
    """``exp`` of a ball (from its ends when wide)."""
    return mono("exp", u)


def sigmoid(u: arb) -> arb:
    """The logistic sigmoid, increasing (from the ends when wide)."""
    if u.rad() > WIDE:
        return sigmoid(arb(u.lower())).union(sigmoid(arb(u.upper())))
    return 1 / (1 + (-u).exp())


def _slope_at(x: arb) -> arb:
    return sigmoid(x) * sigmoid(-x)  # s(x) (1 - s(x)), each factor monotone: no cancellation


def sigmoid_slope(u: arb) -> arb:
    """``s'(u) = s(u) (1 - s(u))``: increasing below 0, decreasing above, at most 1/4 (at 0).

    Over a wide ball the union of its values at the ends (and 1/4 when the ball holds 0): the exact
    range, where ``f (1 - f)`` of the ball ``f = s(u)`` counts ``f`` twice.

    >>> wide = sigmoid_slope(arb(0, 10))
    >>> bool(wide.upper() < 0.2501) and bool(wide.lower() > 0)
    True
    >>> f = sigmoid(arb(0, 10)); bool((f * (1 - f)).upper() > 0.9)   # the direct formula
    True
    """
    if not u.rad() > WIDE:
        return _slope_at(u)
    out = _slope_at(arb(u.lower())).union(_slope_at(arb(u.upper())))
    return out.union(arb(1) / 4) if u.contains(0) else out


def sigmoid_bend(u: arb) -> arb:
    """Half the second derivative, ``s''(u) / 2 = s'(u) (1 - 2 s(u)) / 2``, over a wide ball exactly.

    ``s''`` changes monotonicity only at ``u = -/+ log(2 + sqrt 3)``, where ``s''/2 = +/- sqrt(3)/36``;
    the range over a ball is the union of its values at the ends and at those points inside.

    >>> bend = sigmoid_bend(arb(0, 10))
    >>> bool(abs(bend.upper() - arb(3).sqrt() / 36) < 1e-8) and bool(bend.upper() < 0.0482)
    True
    """

    def at(x: arb) -> arb:
        return _slope_at(x) * (1 - 2 * sigmoid(x)) / 2

    if not u.rad() > WIDE:
        return at(u)
    out = at(arb(u.lower())).union(at(arb(u.upper())))
    turn, peak = (2 + arb(3).sqrt()).log(), arb(3).sqrt() / 36
    if u.overlaps(-turn):
        out = out.union(peak)
    if u.overlaps(turn):
        out = out.union(-peak)
    return out


def _softplus(u: arb) -> arb:
    return exp(u).log1p()


def bce(z: arb, y: arb) -> arb:
    """The binary cross-entropy of a logit ``z`` and a target ``y``: ``h = softplus(z) - y z``.

    ``h`` is convex in ``z`` and linear in ``y``, so over a box its largest value is at a corner, and
    the tangent at the centre ``m`` bounds it below: ``h(z, y) >= h(m, y) + (s(m) - y)(z - m)``. The
    direct formula subtracts two wide balls that move together.

    >>> z, y = arb(0, 20), arb(1)
    >>> bool(bce(z, y).upper() < 20.01), bool((_softplus(z) - y * z).upper() > 39)
    (True, True)
    >>> bool(bce(z, y).lower() > -1e-6), bool((_softplus(z) - y * z).lower() < -19)
    (True, True)
    """
    if not (z.rad() > WIDE or y.rad() > WIDE):
        return _softplus(z) - y * z
    top = arb(0)
    for i, a in enumerate((arb(z.lower()), arb(z.upper()))):
        for j, b in enumerate((arb(y.lower()), arb(y.upper()))):
            corner = _softplus(a) - b * a
            top = corner if i == j == 0 else top.union(corner)
    m = arb(z.mid())
    tangent = _softplus(m) - y * m + (sigmoid(m) - y) * (z - m)
    lows = [tangent.lower(), (_softplus(z) - y * z).lower()]  # each is a lower bound
    if y.lower() >= 0 and y.upper() <= 1:  # h = (1 - y) softplus(z) + y softplus(-z), both terms >= 0
        lows.append(((1 - y) * _softplus(arb(z.lower())) + y * _softplus(-arb(z.upper()))).lower())
    bottom = max((low for low in lows if low.is_finite()), key=float, default=tangent.lower())
    return arb(bottom).union(arb(top.upper()))


def bce_jet(z: Jet, y: arb) -> Jet:
    """The binary cross-entropy along a path, ``(h, (s - y) z', (s - y) z''/2 + s'/2 z'^2)``.

    The derivatives are formed with ``s(z) - y`` as one factor (``s z' - y z'`` would count a wide
    ``z'`` twice) and ``s'`` over its exact range (:func:`sigmoid_slope`).
    """
    z0, z1, z2 = z
    residual = sigmoid(z0) - y
    return (bce(z0, y), mul(residual, z1), mul(residual, z2) + mul(sigmoid_slope(z0), square(z1)) / 2)


def mul(a: arb, b: arb) -> arb:
    """``a * b``; of two wide balls the interval product (the hull of the four products of the ends).

    A ball product ``(m1 +- r1)(m2 +- r2)`` reaches ``2 r1 r2`` beyond the interval product at one end:
    ``[1, 3] [1, 3]`` as balls is ``[-1, 9]``, as intervals ``[1, 9]``.

    With both signs certain, Moore's table names the two products that are the ends.

    >>> u = arb(2, 1)
    >>> bool((u * u).lower() < 0), bool(mul(u, u).lower() > 0.99)
    (True, True)
    >>> v = mul(arb(2, 1), arb(0, 1))          # [1, 3] [-1, 1] = [-3, 3]
    >>> bool(v.lower() < -2.99 and v.lower() > -3.01 and v.upper() < 3.01)
    True
    """
    if not (a.rad() > WIDE and b.rad() > WIDE):
        return a * b  # one factor narrow: the ball product is as tight
    al, ah, bl, bh = a.lower(), a.upper(), b.lower(), b.upper()  # balls holding the ends
    # Moore's table: where both signs are certain (not both straddling 0), two products are the ends
    if al >= 0:
        if bl >= 0:
            return (al * bl).union(ah * bh)
        if bh <= 0:
            return (ah * bl).union(al * bh)
        if bl <= 0 and bh >= 0:
            return (ah * bl).union(ah * bh)
    elif ah <= 0:
        if bl >= 0:
            return (al * bh).union(ah * bl)
        if bh <= 0:
            return (ah * bh).union(al * bl)
        if bl <= 0 and bh >= 0:
            return (al * bh).union(al * bl)
    elif al <= 0 and ah >= 0:
        if bl >= 0:
            return (al * bh).union(ah * bh)
        if bh <= 0:
            return (ah * bl).union(al * bl)
    return (al * bl).union(al * bh).union(ah * bl).union(ah * bh)


def square(u: arb) -> arb:
    """``u^2``, tight for wide balls: ``u * u`` of ``[1, 3]`` reaches -1, and of ``[-1, 1]`` -1 too.

    >>> bool(square(arb(2, 1)).lower() > 0.99), bool(square(arb(0, 1)).lower() > -1e-6)
    (True, True)
    """
    if not u.rad() > WIDE:
        a = abs(u)
        sq = a * a
        # a narrow ball around 0: |u|^2 as a ball may still reach below 0 (by about rad^2)
        return arb(0).union(arb(sq.upper())) if sq.lower() < 0 else sq
    low, high = u.lower() ** 2, u.upper() ** 2
    return low.union(high).union(arb(0)) if u.contains(0) else low.union(high)


def cube(u: arb) -> arb:
    """``u^3``, increasing: over a wide ball the union of its values at the ends."""
    if not u.rad() > WIDE:
        return u * u * u
    return (arb(u.lower()) ** 3).union(arb(u.upper()) ** 3)


_even_square = square


def _lse_at(z: Sequence[arb]) -> arb:
    shift = arb(max((v.mid() for v in z), key=float))
    return shift + sum(((v - shift).exp() for v in z), arb(0)).log()


def lse(values: Sequence[arb]) -> arb:
    """``log sum_k exp(z_k)``: increasing in every ``z_k``, so for wide balls the union of its values at
    the lower and at the upper ends (each a narrow evaluation, shifted by the largest midpoint)."""
    if not any(v.rad() > WIDE for v in values):
        return _lse_at(values)
    return _lse_at([arb(v.lower()) for v in values]).union(_lse_at([arb(v.upper()) for v in values]))


def probabilities(values: Sequence[arb]) -> list[arb]:
    """``softmax(z)_k = 1 / (1 + sum_{j != k} exp(z_j - z_k))``: increasing in ``z_k``, decreasing in the
    others, so over a box the union of its values at the two opposite corners (exact for independent
    entries); at a point one shifted ``exp`` per entry.

    >>> p = probabilities([arb(0, 30), arb(0)])     # a logit in [-30, 30] against a logit 0
    >>> bool(p[0].lower() > -1e-6) and bool(p[0].upper() < 1 + 1e-6)
    True
    """
    m = len(values)
    if not any(v.rad() > WIDE for v in values):  # a point: narrow balls, one exp per entry is as tight
        shift = arb(max((v.mid() for v in values), key=float))
        e = [(v - shift).exp() for v in values]
        total = sum(e, arb(0))
        return [ek / total for ek in e]
    low, high = [arb(v.lower()) for v in values], [arb(v.upper()) for v in values]
    # p_k at a corner is 1 / (1 + exp(-z_k) sum_{j != k} exp(z_j)): the sums over j != k from prefix and
    # suffix sums of the exps (all positive, no cancellation), 2m exps a column instead of 2m(m-1)
    shift = arb(max((v.mid() for v in values), key=float))
    e_low, e_high = [(v - shift).exp() for v in low], [(v - shift).exp() for v in high]
    others_low, others_high = _sums_without(e_low), _sums_without(e_high)
    return [
        (1 / (1 + others_high[k] / e_low[k])).union(1 / (1 + others_low[k] / e_high[k])) for k in range(m)
    ]


def _sums_without(values: list[arb]) -> list[arb]:
    """``[sum_{j != k} values_j for k]`` from prefix and suffix sums (no subtraction).

    >>> [float(v.mid()) for v in _sums_without([arb(1), arb(2), arb(4)])]
    [6.0, 5.0, 3.0]
    """
    m = len(values)
    prefix, suffix = [arb(0)] * (m + 1), [arb(0)] * (m + 1)
    for k in range(m):
        prefix[k + 1] = prefix[k] + values[k]
        suffix[m - 1 - k] = suffix[m - k] + values[m - 1 - k]
    return [prefix[k] + suffix[k + 1] for k in range(m)]


def tanh_jets(u0: list[arb], u1: list[arb], u2: list[arb]) -> tuple[list[arb], list[arb], list[arb]]:
    """``tanh`` of many jets ``(u, u', u''/2)`` at once: ``(f, f' u', f' u''/2 + f''/2 u'^2)``.

    ``f' = 1 - f^2`` and ``f''/2 = -f f'``, so the last is ``f' (u''/2 - f u'^2)`` (in interval
    arithmetic the factored form is contained in the expanded one). An entry whose three balls are
    narrow takes plain ball products (as tight as interval products there); a wide one goes through
    :func:`mono`, :func:`square` and :func:`mul`, over the exact ranges.

    >>> f, g1, g2 = tanh_jets([arb(0), arb(0, 1)], [arb(2), arb(1)], [arb(0), arb(0)])
    >>> float(g1[0].mid()), bool(f[1].lower() > -0.77) and bool(g1[1].lower() >= 0)
    (2.0, True)
    """
    f_out, g1_out, g2_out = [], [], []
    for a0, a1, a2 in zip(u0, u1, u2):
        if not (a0.rad() > WIDE or a1.rad() > WIDE or a2.rad() > WIDE):
            f = a0.tanh()
            af = abs(f)
            d1 = 1 - af * af
            a1_abs = abs(a1)
            f_out.append(f)
            g1_out.append(d1 * a1)
            g2_out.append(d1 * (a2 - f * (a1_abs * a1_abs)))
            continue
        f = mono("tanh", a0)
        d1 = 1 - square(f)
        f_out.append(f)
        g1_out.append(mul(d1, a1))
        g2_out.append(mul(d1, a2 - mul(f, square(a1))))  # f' (u''/2 - f u'^2): x(y + z) within xy + xz
    return f_out, g1_out, g2_out


def softmax_jet(column: Sequence[Jet]) -> list[Jet]:
    """The softmax of a column of jets: ``p``, ``p' = p (z' - <p, z'>)`` and
    ``p''/2 = p' (z' - <p, z'>) / 2 + p (z''/2 - <p, z''/2> - <p', z'>/2)``.

    ``p`` over its exact range (:func:`probabilities`); ``exp(z_k) / sum_j exp(z_j)`` of wide balls
    counts every entry twice.
    """
    p = probabilities([v[0] for v in column])
    pz1 = sum((mul(pk, v[1]) for pk, v in zip(p, column)), arb(0))
    g = [v[1] - pz1 for v in column]
    p1 = [mul(pk, gk) for pk, gk in zip(p, g)]
    inner = (
        sum((mul(pk, v[2]) for pk, v in zip(p, column)), arb(0))
        + sum((mul(qk, v[1]) for qk, v in zip(p1, column)), arb(0)) / 2
    )
    return [(pk, qk, mul(qk, gk) / 2 + mul(pk, v[2] - inner)) for pk, qk, gk, v in zip(p, p1, g, column)]


def lse_jet(column: Sequence[Jet]) -> Jet:
    """``log sum_k exp(z_k)`` as a jet ``(LSE, <p, z'>, <p, z''/2> + (<p, z'^2> - <p, z'>^2) / 2)``.

    ``LSE`` increases in every ``z_k`` and ``p_k = softmax(z)_k`` is taken over its exact range
    (:func:`probabilities`), so over a box both are evaluated at the ends of the balls (exact for
    independent entries): a ball spanning many orders of magnitude would reach below 0. This also
    keeps the dependency between the exp jets' sums out of the derivatives.
    """
    values = [v[0] for v in column]
    if not any(v.rad() > WIDE for v in values):
        shift = arb(max((v.mid() for v in values), key=float))
        e = [(v - shift).exp() for v in values]
        total = sum(e, arb(0))
        value, p = shift + total.log(), [ek / total for ek in e]
    else:
        value = lse(values)
        p = probabilities(values)
    pz1 = sum((mul(pk, v[1]) for pk, v in zip(p, column)), arb(0))
    spread = sum((mul(pk, square(v[1])) for pk, v in zip(p, column)), arb(0)) - square(pz1)
    return (value, pz1, sum((mul(pk, v[2]) for pk, v in zip(p, column)), arb(0)) + spread / 2)
