"""engine.path (the first layer's products made once along a segment) and the shorter float64 forms it
leans on: every enclosure contains the float value and meets the general engine's, and is no wider."""

from __future__ import annotations

import random
from fractions import Fraction

import numpy as np
import pytest

from symcert import MLP, Dataset, Loss, certify_barrier, check
from symcert.numeric import barrier_bounds
from symcert.numeric.barrier_bounds import BarrierBounds
from symcert.numeric.engine.api import point_jets, point_layout, segment_ranges
from symcert.numeric.engine.backends import ArbBackend, F64Backend
from symcert.numeric.engine.f64 import F64, _small_factor
from symcert.numeric.engine.path import SegmentPath, applies
from symcert.numeric.floats import FloatLoss

F = Fraction


def _pair(widths: tuple[int, ...], n: int, seed: int, output: str = "softmax", kind: str = "cross_entropy"):
    rng = np.random.default_rng(seed)
    mlp = MLP(widths, "tanh", output_activation=output)
    xs = [[F(int(v), 16) for v in row] for row in rng.integers(-16, 17, (n, widths[0]))]
    ys = (
        np.eye(widths[-1], dtype=int)[rng.integers(0, widths[-1], n)]
        if kind == "cross_entropy"
        else [[F(int(v), 4) for v in row] for row in rng.integers(-4, 5, (n, widths[-1]))]
    )
    loss = Loss(mlp, Dataset(xs, ys), kind)

    def point(s: int):
        r = np.random.default_rng(s)
        arrays = {}
        for l in range(1, len(widths)):
            arrays[f"W{l}"] = r.normal(0, 1, (widths[l], widths[l - 1])).astype(np.float32)
            arrays[f"b{l}"] = r.normal(0, 0.3, widths[l]).astype(np.float32)
        return mlp.point(**arrays)

    return loss, point(seed + 1), point(seed + 2)


CASES = [((5, 4, 3), 12, "softmax", "cross_entropy"), ((3, 4, 2, 2), 9, "identity", "mse")]


@pytest.mark.parametrize("widths, n, output, kind", CASES)
def test_points_contain_the_float_value_and_meet_the_general_engine(widths, n, output, kind):
    loss, A, B = _pair(widths, n, 3, output, kind)
    la, lb = point_layout(A), point_layout(B)
    path = SegmentPath(loss, la, lb)
    ts = [F(0), F(1, 3), F(5, 8), F(1)]
    fast = path.point_jets(ts, order=2)
    slow = point_jets(F64Backend(), loss, la, lb, ts, 2)
    floats = FloatLoss(loss)
    a, b = floats.check(A), floats.check(B)
    for t, jets, other in zip(ts, fast, slow):
        value = floats.value((1 - float(t)) * a + float(t) * b)
        (lo, hi), (d_lo, d_hi), (c_lo, c_hi) = jets
        assert lo <= F(value) * (1 + F(1, 10**9)) + F(1, 10**12) and F(value) * (1 - F(1, 10**9)) <= hi + F(
            1, 10**12
        )
        slope = float(floats.gradient((1 - float(t)) * a + float(t) * b) @ (b - a))
        assert d_lo - F(1, 10**8) <= F(slope) <= d_hi + F(1, 10**8)
        for (p, q), (r, s) in zip(jets, other):  # both enclose the same reals
            assert p <= s and r <= q
        assert hi - lo < F(1, 10**9) and c_hi - c_lo < F(1, 10**6)


@pytest.mark.parametrize("widths, n, output, kind", CASES)
def test_ranges_contain_sampled_values_and_are_no_wider(widths, n, output, kind):
    loss, A, B = _pair(widths, n, 5, output, kind)
    la, lb = point_layout(A), point_layout(B)
    path = SegmentPath(loss, la, lb)
    intervals = [(F(0), F(1)), (F(1, 4), F(1, 2)), (F(7, 16), F(1, 2))]
    fast = path.ranges(intervals, order=2)
    slow = segment_ranges(F64Backend(), loss, la, lb, intervals, 2)
    floats = FloatLoss(loss)
    a, b = floats.check(A), floats.check(B)
    for (t0, t1), ranges, other in zip(intervals, fast, slow):
        (lo, hi), (d_lo, d_hi), _ = ranges
        for t in np.linspace(float(t0), float(t1), 9):
            theta = (1 - t) * a + t * b
            assert lo <= F(floats.value(theta)) <= hi
            assert d_lo <= F(float(floats.gradient(theta) @ (b - a))) <= d_hi
        for (p, q), (r, s) in zip(ranges, other):
            assert p <= s and r <= q  # they meet
            assert q - p <= (s - r) * F(101, 100)  # the affine first layer is no looser than the box


def test_segment_path_applies_only_to_one_chunk_without_decay():
    loss, _, _ = _pair((2, 2, 2), 3, 1)
    assert applies(loss)
    decayed = Loss(loss.mlp, loss.data, "cross_entropy", weight_decay=F(1, 10))
    assert not applies(decayed)


def test_others_sum_contains_the_exact_sums_and_is_as_tight_as_the_square_form():
    rng = random.Random(7)
    rows = [[F(rng.randint(0, 10**6), rng.randint(1, 999)) for _ in range(7)] for _ in range(5)]
    lo = np.array([[float(v) for v in row] for row in rows])
    e = F64(np.nextafter(lo, 0), np.nextafter(lo, np.inf))
    bk = F64Backend()
    fast = bk.others_sum(e)
    square = bk.sum(bk.zero_diagonal(e[..., None, :]), axis=-1)
    for i, row in enumerate(rows):
        for k in range(7):
            exact = sum(row) - row[k]
            assert F(fast.lo[i, k]) <= exact <= F(fast.hi[i, k])
            assert fast.hi[i, k] - fast.lo[i, k] <= 2 * (square.hi[i, k] - square.lo[i, k])
    with ArbBackend(30).active():  # the Arb form is the square one
        arb = ArbBackend(30)
        balls = np.array([[arb.constant(v) for v in row] for row in rows], dtype=object)
        out = arb.others_sum(balls)
        lo_, hi_ = arb.endpoints(out[0, 0])
        assert lo_ <= sum(rows[0][1:]) <= hi_


@pytest.mark.parametrize("kind", ["exact+", "exact-", "symmetric"])
def test_products_by_a_small_factor_contain_every_product_and_are_no_wider(kind):
    rng = np.random.default_rng(11)
    ylo = rng.normal(0, 3, (4, 6, 5))
    y = F64(ylo, ylo + rng.uniform(0, 1, ylo.shape))
    col = rng.uniform(0.1, 2, (4, 1, 1))
    x = {"exact+": F64(col, col), "exact-": F64(-col, -col), "symmetric": F64(-col, col)}[kind]
    quick = _small_factor(x, y)
    assert quick is not None
    a, b = np.broadcast_to(x.lo, y.shape), np.broadcast_to(x.hi, y.shape)
    corners = [p * q for p in (a, b) for q in (y.lo, y.hi)]
    assert (quick.lo <= np.minimum.reduce(corners)).all() and (np.maximum.reduce(corners) <= quick.hi).all()
    general = F64(*_general(x, y))
    assert (quick.hi - quick.lo <= general.hi - general.lo).all()
    for p in (x * y, y * x):  # the operator takes the short form, in either order
        assert np.array_equal(p.lo, quick.lo) and np.array_equal(p.hi, quick.hi)
    assert _small_factor(F64(col - 1, col), y) is None  # neither exact nor symmetric: the general product


def _general(x: F64, y: F64) -> tuple[np.ndarray, np.ndarray]:
    from symcert.numeric.engine.elementary import down, up

    p = [x.lo * y.lo, x.lo * y.hi, x.hi * y.lo, x.hi * y.hi]
    return down(np.minimum.reduce(p)), up(np.maximum.reduce(p))


def test_a_large_problem_skips_the_coarse_levels_and_its_certificate_is_accepted(monkeypatch):
    loss, A, B = _pair((4, 50, 3), 200, 2)  # 50 units x 200 points: large
    assert BarrierBounds(loss, A, B, "entezari").large
    small, A, B = _pair((3, 4, 3), 10, 2)
    assert not BarrierBounds(small, A, B, "entezari").large
    monkeypatch.setattr(barrier_bounds, "LARGE_ENTRIES", 1)  # the small one treated as large
    result = certify_barrier(small, A, B, tol=F(1, 100))
    assert result.status == "proved" and result.n_pieces >= 8
    assert all(t1 - t0 <= F(1, 8) for t0, t1, _ in result.pieces)  # the first split cut [0, 1] into 8
    assert check(result.certificate().to_dict()).accepted
    assert certify_barrier(small, A, B, tol=F(1, 100), max_pieces=4).n_pieces <= 4  # the cap still holds
