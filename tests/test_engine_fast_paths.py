"""The float64 rung's fast paths, each against exact rationals or Arb: the exact first-layer affine map,
``tanh`` at exact arguments as balls, products with a ball on the left, and the network in row blocks."""

from __future__ import annotations

import random
from fractions import Fraction

import numpy as np
import pytest
from flint import arb

from symcert import MLP, Dataset, Loss
from symcert.numeric.engine import f64, network
from symcert.numeric.engine.api import combine, jet_bounds, losses_bounds, point_layout
from symcert.numeric.engine.backends import ArbBackend, F64Backend
from symcert.numeric.engine.f64 import F64, F64Ball
from symcert.numeric.engine.hyperbolic import tanh_ball_bounds, tanh_point_ball, tanh_point_bounds
from symcert.numeric.engine.layout import Exact

ARB = ArbBackend(60)


def _exact(rows: list[list[int]], den: int) -> Exact:
    num = np.empty((len(rows), len(rows[0])), dtype=object)
    num[:] = rows
    return Exact(num, den)


def _exact_affine_reference(x: Exact, w: Exact, b: Exact) -> list[list[Fraction]]:
    X, W, B = x.as_fractions(), w.as_fractions(), b.as_fractions()[0]
    return [
        [sum((a * c for a, c in zip(row, col)), Fraction(0)) + B[j] for j, col in enumerate(W)] for row in X
    ]


# -- the first layer: x W^T + b exactly ------------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_the_exact_affine_map_is_the_exact_rational_result(seed):
    """Dyadic data, weights and bias of different denominators, numerators up to the exactness bound."""
    rng = random.Random(seed)
    n, d, m = rng.randint(1, 6), rng.randint(1, 5), rng.randint(1, 4)
    dx, dw, db = (2 ** rng.randint(0, 12) for _ in range(3))
    top = 2 ** rng.choice([3, 12, 24])
    x = _exact([[rng.randint(-top, top) for _ in range(d)] for _ in range(n)], dx)
    w = _exact([[rng.randint(-top, top) for _ in range(d)] for _ in range(m)], dw)
    b = _exact([[rng.randint(-top, top) for _ in range(m)]], db)
    b = Exact(b.num[0], db)
    z = F64Backend().exact_affine(x, w, b)
    assert z is not None and z.lo is z.hi  # an exact result
    reference = _exact_affine_reference(x, w, _exact([list(b.num)], db))
    assert [[Fraction(float(v)) for v in row] for row in z.lo] == reference
    two = F64Backend().exact_affine(x, (w, w), (b, b))  # a stack of points: the same, twice
    assert two is not None and np.array_equal(two.lo[1], z.lo) and two.lo.shape == (2, n, m)


def test_the_exact_affine_map_refuses_sums_that_would_round():
    """Where a partial result might not be an exact float (or the denominator is not a power of two), no
    exact result: the caller then adds the bias in interval arithmetic."""
    bk = F64Backend()
    big = 2**27  # 2^54 + 1 > 2^53: the float sum rounds
    x, w = _exact([[big]], 1), _exact([[big]], 1)
    assert bk.exact_affine(x, w, Exact(np.array([1], dtype=object), 1)) is None
    assert float(big) * float(big) + 1.0 != big * big + 1  # it would indeed have rounded
    fits = 2**26  # 2^52 + 2^52 - 1 < 2^53: exact
    z = bk.exact_affine(
        _exact([[fits]], 1), _exact([[fits]], 1), Exact(np.array([2**52 - 1], dtype=object), 1)
    )
    assert z is not None and Fraction(float(z.lo[0, 0])) == 2**53 - 1
    # the bias's scale counts: b = 1/2^40 over a product of denominator 1 needs numerators times 2^40
    z = bk.exact_affine(_exact([[2**13]], 1), _exact([[2**13]], 1), Exact(np.array([1], dtype=object), 2**40))
    assert z is None  # 2^26 2^40 + 1 >= 2^53
    thirds = _exact([[1]], 3)
    assert bk.exact_affine(thirds, _exact([[1]], 1), Exact(np.array([0], dtype=object), 1)) is None


# -- tanh at exact arguments as balls ------------------------------------------------------------------

_EDGES = [
    0.0, -0.0, 5e-324, -5e-324, 2.0**-1022, 2.0**-501, 2.0**-500, -(2.0**-500), np.nextafter(2.0**-500, 0.0),
    1e-200, 1e-9, 0.5, -0.5, 1.0, 17.0, -17.0, 18.5, 19.0, -19.0, np.nextafter(19.0, 20.0), 19.5, -25.0,
    30.0, 1e300, -1e300, np.inf, -np.inf,
]  # fmt: skip


def test_tanh_balls_hold_tanh_at_edges_and_random_points():
    """``|tanh(z) - mid| <= rad`` and ``lo <= tanh(z) <= hi``, decided by Arb at 3,000 bits (every float, and
    every sum of two, exact there; ``tanh`` a ball of radius far below the smallest subnormal)."""
    import flint

    rng = np.random.default_rng(3)
    z = np.concatenate([_EDGES, rng.normal(0, 8, 3000), np.round(rng.normal(0, 8, 2000) * 64) / 64])
    mid, rad = tanh_point_ball(z)
    lo, hi = tanh_ball_bounds(mid, rad)
    saved, flint.ctx.prec = flint.ctx.prec, 3000
    try:
        for v, m, r, l, h in zip(z.tolist(), mid.tolist(), rad.tolist(), lo.tolist(), hi.tolist()):
            # beyond 100 Arb's ball of tanh(v) reaches past 1; tanh(v) is in [1 - 2^-280, 1]: a point of it
            t = arb(v).tanh() if abs(v) <= 100 else arb(int(np.sign(v))) * (1 - arb(2) ** -1100)
            assert r >= 0 and arb(m) - arb(r) <= t <= arb(m) + arb(r), v
            assert arb(l) <= t <= arb(h), v
            assert r <= 4e-14 * abs(m) + 1e-300 or abs(v) > 19  # tight: within the bound's relative error
    finally:
        flint.ctx.prec = saved


def test_tanh_ball_bounds_are_the_proved_point_bounds_where_no_fix_up_applies():
    """Between 2^-500 and 17 the bounds from the balls are those of ``tanh_point_bounds``, float for float
    (the same computation, whose error analysis is the module's); beyond, the fixed-up balls."""
    rng = np.random.default_rng(7)
    z = rng.normal(0, 6, 20000)
    z = z[(np.abs(z) >= 2.0**-500) & (np.abs(z) <= 17)]
    lo, hi = tanh_ball_bounds(*tanh_point_ball(z))
    plo, phi = tanh_point_bounds(z)
    assert np.array_equal(lo, plo) and np.array_equal(hi, phi)
    mid, rad = tanh_point_ball(np.array([25.0, -25.0, 0.0, -(2.0**-600)]))
    assert mid.tolist()[:3] == [1.0, -1.0, 0.0] and rad[2] == 0.0  # saturated; tanh(0) = 0 exactly
    assert mid[3] == -(2.0**-600) and 0 < rad[3] <= 2.0**-650
    assert np.isnan(tanh_point_ball(np.array([np.nan]))[0][0])


def test_the_engine_tanh_of_exact_arguments_is_a_ball_with_lazy_bounds():
    z = F64.exact(np.array([[-3.0, 0.0, 2.5]]))
    t = f64.tanh(z)
    assert isinstance(t, F64Ball) and t._bounds is None and t.shape == (1, 3)
    assert t.lo[0, 1] == 0.0 == t.hi[0, 1] and t.lo[0, 0] < np.tanh(-3.0) < t.hi[0, 0]
    assert not isinstance(f64.tanh(F64(np.array([1.0]), np.array([1.5]))), F64Ball)  # intervals: bounds


# -- products with a ball on the left ----------------------------------------------------------------


@pytest.mark.parametrize("narrow", [10**9, 0])
@pytest.mark.parametrize("seed", range(3))
def test_products_of_balls_hold_the_product_of_every_point(monkeypatch, narrow, seed):
    """``a @ b`` for balls ``a`` (and exact or interval ``b``): the exact product at the balls' ends and at
    random rational points inside them lies in the result, through both forms of a product."""
    monkeypatch.setattr(f64, "NARROW", narrow)
    rng = np.random.default_rng(seed)
    p, n, q = 3, 7, 2
    mid = rng.normal(0, 1, (p, n)) * 2.0 ** rng.integers(-40, 40, (p, n))
    rad = np.abs(mid) * rng.choice([0.0, 1e-12, 1e-3], (p, n))
    bm = rng.normal(0, 1, (n, q))
    exact_b = seed % 2 == 0
    b = F64.exact(bm) if exact_b else F64(bm, np.nextafter(bm, np.inf))
    c = F64Ball(mid, rad) @ b
    for trial in range(20):
        theta = [[Fraction(int(t), 64) for t in row] for row in rng.integers(-64, 65, (p, n))]
        if trial < 2:
            theta = [[Fraction(2 * trial - 1)] * n for _ in range(p)]  # the balls' ends
        a = [[Fraction(float(mid[i, k])) + theta[i][k] * Fraction(float(rad[i, k])) for k in range(n)]
             for i in range(p)]  # fmt: skip
        u = [[Fraction(float(b.hi[k, j] if trial % 2 else b.lo[k, j])) for j in range(q)] for k in range(n)]
        for i in range(p):
            for j in range(q):
                value = sum((a[i][k] * u[k][j] for k in range(n)), Fraction(0))
                assert Fraction(float(c.lo[i, j])) <= value <= Fraction(float(c.hi[i, j]))


@pytest.mark.parametrize("narrow", [10**9, 0])
def test_products_whose_every_term_underflows_keep_their_sum(monkeypatch, narrow):
    """2,000 products of about 0.49 2^-1074 each round to 0, their exact sum is about 980 2^-1074: only the
    a-priori ``n eta`` terms hold it (one widening adds a unit or two), on balls and on exact operands."""
    monkeypatch.setattr(f64, "NARROW", narrow)
    n = 2000
    a = np.full((1, n), 0.7 * 2.0**-537)
    b = np.full((n, 1), 0.7 * 2.0**-537)
    exact = n * Fraction(float(a[0, 0])) * Fraction(float(b[0, 0]))
    assert float(a[0, 0] * b[0, 0]) == 0.0 and exact > 900 * Fraction(2) ** -1074
    for left in (F64.exact(a), F64Ball(a, np.zeros_like(a)), F64(a, np.nextafter(a, 1.0))):
        c = left @ F64.exact(b)
        assert Fraction(float(c.lo[0, 0])) <= exact <= Fraction(float(c.hi[0, 0]))


# -- the network in row blocks -------------------------------------------------------------------------


def _problem(seed: int, kind: str = "mse", output: str = "identity", points: int = 37):
    rng = random.Random(seed)
    widths = (3, 6, 2)
    net = MLP(widths, "tanh", output_activation=output)
    xs = [[Fraction(rng.randint(-16, 16), 8) for _ in range(3)] for _ in range(points)]
    if kind == "cross_entropy":
        ys = [[Fraction(k, 4), 1 - Fraction(k, 4)] for k in (rng.randint(0, 4) for _ in range(points))]
    else:
        ys = [[Fraction(rng.randint(-8, 8), 8) for _ in range(2)] for _ in range(points)]
    values = [Fraction(rng.randint(-16, 16), 8) for _ in range(net.n_parameters)]
    values[:3] = [Fraction(12)] * 3  # one unit saturates (|z| > 19) on most points
    values[3:6] = [Fraction(0)] * 3  # one unit's pre-activation is its bias alone: 0 where b = 0
    return Loss(net, Dataset(xs, ys), kind), net.point_from_values(values)


def _holds(outer, inner) -> bool:
    return outer[0] <= inner[0] and inner[1] <= outer[1]


@pytest.mark.parametrize("kind, output", [("mse", "identity"), ("cross_entropy", "softmax")])
@pytest.mark.parametrize("seed", range(3))
def test_row_blocks_enclose_what_arb_encloses(monkeypatch, kind, output, seed):
    """Three stacked points (the chord's), and a second-order jet, in blocks of a few rows (the last one
    short): each enclosure holds Arb's, and is as tight as the whole pass's to a few ulps."""
    loss, A = _problem(seed, kind, output)
    la = point_layout(A)
    lb = point_layout(A.mlp.point_from_values([v / 2 for v in A.values]))
    lm = combine(la, lb, Fraction(1, 2))
    whole = losses_bounds(F64Backend(), loss, [la, lb, lm])
    monkeypatch.setattr(network, "BLOCK_ENTRIES", 3 * 6 * 4)  # 4 rows a block: 10 blocks, the last of 1
    monkeypatch.setattr(network, "MIN_BLOCK_ROWS", 1)
    stack = network.stacked(F64Backend(), [la, lb, lm])
    assert network.block_rows(F64Backend(), loss.mlp, stack, None) == 4
    blocked = losses_bounds(F64Backend(), loss, [la, lb, lm])
    reference = losses_bounds(ARB, loss, [la, lb, lm])
    for b, w, r in zip(blocked, whole, reference):
        assert _holds(b, r) and _holds(w, r)
        assert b[1] - b[0] <= 4 * (w[1] - w[0]) + Fraction(1, 10**300)
    direction = combine(la, lb, Fraction(1), Fraction(-1))
    jets = jet_bounds(F64Backend(), loss, la, direction, order=2)
    for j, r in zip(jets, jet_bounds(ARB, loss, la, direction, order=2)):
        assert _holds(j, r)


def test_rows_are_blocked_only_in_float64_and_never_below_the_least_block():
    loss, A = _problem(0)
    params = network.weights_of(F64Backend(), point_layout(A))
    assert network.block_rows(ARB, loss.mlp, params, None) >= 10**18  # Arb: one pass over every row
    width = max(loss.mlp.widths[1:])
    assert network.block_rows(F64Backend(), loss.mlp, params, None) == max(
        network.MIN_BLOCK_ROWS, network.BLOCK_ENTRIES // width
    )
    deep = MLP((3, 4000, 1), "tanh")  # BLOCK_ENTRIES // 4000 < the least rows
    wide_params = network.weights_of(F64Backend(), point_layout(deep.random_point()))
    assert network.block_rows(F64Backend(), deep, wide_params, None) == network.MIN_BLOCK_ROWS
