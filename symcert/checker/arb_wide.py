"""The checker's Arb functions of *wide* balls (boxes of parameters): monotone functions at the ends.

A wide ball's midpoint-radius image reaches far beyond the true range (``exp`` of ``[-300, 300]`` even
below 0, so its ``log`` is NaN), while ``[f(lower), f(upper)]`` is exact for an increasing ``f``. Balls
of exact points are narrow and keep the direct evaluation. Nothing here is shared with the prover.

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

__all__ = ["WIDE", "mono", "exp", "sigmoid", "lse", "lse_jet"]

Jet = tuple  # (c0, c1, c2): value, first derivative, half the second derivative (arb balls)

#: A ball wider than this is evaluated through its ends by the monotone functions here.
WIDE = arb(2) ** -30


def mono(name: str, u: arb) -> arb:
    """``u.name()`` for an increasing function (``exp``, ``log``, ``tanh``), from the ends when wide."""
    if not u.rad() > WIDE:
        return getattr(u, name)()
    low, high = arb(u.lower()), arb(u.upper())
    return getattr(low, name)().union(getattr(high, name)())


def exp(u: arb) -> arb:
    """``exp`` of a ball (from its ends when wide)."""
    return mono("exp", u)


def sigmoid(u: arb) -> arb:
    """The logistic sigmoid, increasing (from the ends when wide)."""
    if u.rad() > WIDE:
        return sigmoid(arb(u.lower())).union(sigmoid(arb(u.upper())))
    return 1 / (1 + (-u).exp())


def _even_square(u: arb) -> arb:
    a = abs(u)
    return a * a


def _lse_at(z: Sequence[arb]) -> arb:
    shift = arb(max((v.mid() for v in z), key=float))
    return shift + sum(((v - shift).exp() for v in z), arb(0)).log()


def lse(values: Sequence[arb]) -> arb:
    """``log sum_k exp(z_k)``: increasing in every ``z_k``, so for wide balls the union of its values at
    the lower and at the upper ends (each a narrow evaluation, shifted by the largest midpoint)."""
    if not any(v.rad() > WIDE for v in values):
        return _lse_at(values)
    return _lse_at([arb(v.lower()) for v in values]).union(_lse_at([arb(v.upper()) for v in values]))


def lse_jet(column: Sequence[Jet]) -> Jet:
    """``log sum_k exp(z_k)`` as a jet ``(LSE, <p, z'>, <p, z''/2> + (<p, z'^2> - <p, z'>^2) / 2)``.

    ``LSE`` increases in every ``z_k`` and ``p_k = softmax(z)_k = 1 / (1 + sum_{j != k} exp(z_j - z_k))``
    increases in ``z_k`` and decreases in the others, so over a box both are evaluated at the ends of
    the balls (exact for independent entries): a ball spanning many orders of magnitude would reach
    below 0. This also keeps the dependency between the exp jets' sums out of the derivatives.
    """
    values = [v[0] for v in column]
    m = len(values)
    low, high = [arb(v.lower()) for v in values], [arb(v.upper()) for v in values]

    def p_at(k: int, zk: arb, others: list) -> arb:
        return 1 / (1 + sum((exp(others[j] - zk) for j in range(m) if j != k), arb(0)))

    if not any(v.rad() > WIDE for v in values):  # a point: narrow balls, one exp per entry is as tight
        shift = arb(max((v.mid() for v in values), key=float))
        e = [(v - shift).exp() for v in values]
        total = sum(e, arb(0))
        value, p = shift + total.log(), [ek / total for ek in e]
    else:
        value = _lse_at(low).union(_lse_at(high))
        p = [p_at(k, low[k], high).union(p_at(k, high[k], low)) for k in range(m)]
    pz1 = sum((pk * v[1] for pk, v in zip(p, column)), arb(0))
    spread = sum((pk * _even_square(v[1]) for pk, v in zip(p, column)), arb(0)) - _even_square(pz1)
    return (value, pz1, sum((pk * v[2] for pk, v in zip(p, column)), arb(0)) + spread / 2)
