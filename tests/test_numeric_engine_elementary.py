"""The verified float64 functions: lower bounds never above the truth, upper never below (mpmath)."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

from symcert.numeric.engine import f64
from symcert.numeric.engine.elementary import down, exp_bounds, expm1_bounds, log1p_bounds, log_bounds, up
from symcert.numeric.engine.f64 import F64

TINY = 5e-324
BIG = float(np.finfo(np.float64).max)
LN2 = 0.6931471805599453
# Edge cases: signed zeros, subnormals, the clamps of exp (-700, 709), overflow (709.78),
# underflow (-745), the switch points of each formula (|x| = 0.3 for expm1, 2^-20 for log1p),
# and the places where k = rint(x / ln 2) changes (x = (k + 1/2) ln 2).
EDGES = [
    0.0,
    -0.0,
    TINY,
    -TINY,
    1e-310,
    -1e-310,
    2.0**-1022,
    1e-300,
    -1e-300,
    1e-20,
    -1e-20,
    0.3,
    -0.3,
    np.nextafter(0.3, 1),
    np.nextafter(-0.3, -1),
    0.15,
    -0.15,
    2.0**-20,
    np.nextafter(2.0**-20, 1),
    1.0,
    -1.0,
    20.0,
    -20.0,
    354.0,
    354.9,
    700.0,
    -700.0,
    np.nextafter(-700.0, -800),
    709.0,
    np.nextafter(709.0, 800),
    709.78,
    710.0,
    -745.0,
    -745.2,
    -746.0,
    1000.0,
    -1000.0,
    1e300,
    -1e300,
    BIG,
    -BIG,
    *[(k + 0.5) * LN2 for k in (-1000, -3, -1, 0, 1, 2, 500, 1022)],
]


def _samples(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.concatenate(
        [rng.uniform(-760, 720, 700), rng.normal(0, 1, 700), rng.normal(0, 1e-6, 200), np.array(EDGES)]
    )


def _check(values, lo, hi, exact, what):
    mpmath.mp.dps = 60
    bad = []
    for x, a, b in zip(values, lo, hi):
        truth = exact(mpmath.mpf(float(x)))
        if not (np.isnan(a) or mpmath.mpf(float(a)) <= truth) or not (
            np.isnan(b) or truth <= mpmath.mpf(float(b))
        ):
            bad.append((float(x), float(a), float(b)))
        assert not np.isnan(a) and not np.isnan(b), (what, x)
    assert not bad, f"{what}: {bad[:3]}"


@pytest.mark.parametrize("seed", [0, 1])
def test_exp_and_expm1_bounds_enclose_the_truth(seed):
    xs = _samples(seed)
    _check(xs, *exp_bounds(xs), mpmath.exp, "exp")
    _check(xs, *expm1_bounds(xs), mpmath.expm1, "expm1")


def test_exp_bounds_are_tight_where_the_result_is_normal():
    xs = np.linspace(-690, 700, 5001)
    lo, hi = exp_bounds(xs)
    assert np.all((hi - lo) / lo < 3e-14)
    lo, hi = expm1_bounds(np.array([1e-30, -1e-30, 0.25]))
    assert np.all(np.abs(hi - lo) <= 3e-14 * np.abs(lo))  # relative accuracy also for tiny x


@pytest.mark.parametrize("seed", [0, 1])
def test_log_and_log1p_bounds_enclose_the_truth(seed):
    ys = np.abs(_samples(seed))
    ys = np.concatenate([ys, np.exp(np.random.default_rng(seed).uniform(-740, 709, 500))])
    positive = ys[ys > 0]
    _check(positive, *log_bounds(positive), mpmath.log, "log")
    _check(ys, *log1p_bounds(ys), mpmath.log1p, "log1p")
    lo, hi = log_bounds(np.array([2.0, 1e-200, 1e200]))
    assert np.all(hi - lo < 1e-12 * np.abs(lo))  # the verified candidates are tight


@pytest.mark.parametrize(
    "name, exact",
    [
        ("tanh", mpmath.tanh),
        ("sigmoid", lambda z: 1 / (1 + mpmath.exp(-z))),
        ("softplus", lambda z: mpmath.log1p(mpmath.exp(z))),
        ("exp", mpmath.exp),
    ],
)
def test_interval_functions_enclose_the_truth_at_every_point(name, exact):
    xs = _samples(2)
    xs = xs[np.abs(xs) < 1e4] if name == "exp" else xs
    enclosure = getattr(f64, name)(F64.exact(xs))
    _check(xs, enclosure.lo, enclosure.hi, exact, name)


def test_interval_functions_are_increasing_images_of_intervals():
    x = F64(np.array([-2.0, -1e-9, 3.0]), np.array([1.0, 1e-9, 800.0]))
    for name, exact in [("tanh", mpmath.tanh), ("sigmoid", lambda z: 1 / (1 + mpmath.exp(-z)))]:
        image = getattr(f64, name)(x)
        for a, b, lo, hi in zip(x.lo, x.hi, image.lo, image.hi):
            assert lo <= exact(mpmath.mpf(a)) and exact(mpmath.mpf(b)) <= hi


def test_widening_reaches_the_neighbouring_float_everywhere():
    xs = np.concatenate([_samples(3), np.random.default_rng(3).normal(0, 1, 1000) * 1e-310])
    with np.errstate(over="ignore"):  # up(max float) is inf, as it should be
        assert np.all(up(xs) >= np.nextafter(xs, np.inf))
        assert np.all(down(xs) <= np.nextafter(xs, -np.inf))


def test_products_and_sums_enclose_exact_rational_results():
    from fractions import Fraction

    rng = np.random.default_rng(4)
    a = rng.normal(0, 1, (7, 300)) * np.exp(rng.uniform(-30, 30, (7, 300)))
    b = rng.normal(0, 1, (300, 5))
    A = F64(a - np.abs(a) * 1e-3, a + np.abs(a) * 1e-3)
    C = A @ F64.exact(b)
    S = A.sum(axis=1)
    for i in range(7):
        for j in range(5):
            ends = [
                (
                    Fraction(float(A.lo[i, k])) * Fraction(float(b[k, j])),
                    Fraction(float(A.hi[i, k])) * Fraction(float(b[k, j])),
                )
                for k in range(300)
            ]
            lo, hi = sum(min(e) for e in ends), sum(max(e) for e in ends)
            assert Fraction(float(C.lo[i, j])) <= lo and hi <= Fraction(float(C.hi[i, j]))
        exact_lo = sum(Fraction(float(v)) for v in A.lo[i])
        exact_hi = sum(Fraction(float(v)) for v in A.hi[i])
        assert Fraction(float(S.lo[i])) <= exact_lo and exact_hi <= Fraction(float(S.hi[i]))


def _nextafter_down(x):
    return np.nextafter(x, -np.inf)


def _nextafter_up(x):
    return np.nextafter(x, np.inf)


# Products the float64 rung once missed (found by random search at the subnormal boundary):
# an exact odd subnormal left entry (halving it in the midpoint moved it by 2^-1074), a right
# factor near 2^1000, and a radius that was dropped because the left operand is exact.
_MISSED = [
    (6, 403567405313339, ["0x1.1fdaf62207de8p+1000", "0x1.7b6471fb537f3p+1000", "0x1.a385ac5fac7dap+1000",
                          "0x1.7bc73a82d523ep+1000", "0x1.5815a3d99e7a1p+1000", "0x1.110d7c2d2280dp+1000"]),
    (6, 514229709609151, ["0x1.0b81342c16fa0p+1000", "0x1.b7ebb712c395bp+1000", "0x1.54b96931a0933p+1000",
                          "0x1.e183029d800f6p+1000", "0x1.fb0af1e8ee2b8p+1000", "0x1.81633ac78cea4p+1000"]),
]  # fmt: skip


def _contains_exact_product(A, B, C):
    from fractions import Fraction

    for i in range(C.shape[0]):
        for j in range(C.shape[1]):
            ends = []
            for k in range(A.shape[1]):
                left, right = (A.lo[i, k], A.hi[i, k]), (B.lo[k, j], B.hi[k, j])
                ends.append([Fraction(float(u)) * Fraction(float(v)) for u in left for v in right])
            lo, hi = sum(min(e) for e in ends), sum(max(e) for e in ends)
            if not (Fraction(float(C.lo[i, j])) <= lo and hi <= Fraction(float(C.hi[i, j]))):
                return False
    return True


#: Both forms of a product: the narrow one (radius as a sum of products, right factors of at most
#: ``f64.NARROW`` columns) and the one through the left operand's parts (every width, when NARROW is 0).
PATHS = {"narrow": 10**9, "left": 0}


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("n, m, column", _MISSED)
def test_an_exact_subnormal_operand_keeps_its_value_in_products(monkeypatch, path, n, m, column):
    monkeypatch.setattr(f64, "NARROW", PATHS[path])
    lo = m * 2.0**-1074  # odd: 0.5 lo + 0.5 lo is lo -+ 2^-1074
    A = F64.exact(np.array([[lo] * n]))
    B = F64.exact(np.array([[float.fromhex(h)] for h in column]))
    assert _contains_exact_product(A, B, A @ B)
    mid, rad = A.mid_rad()
    assert np.all(mid == lo) and np.all(rad == 0.0)  # the entry itself, no rounding


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("widening", ["default", "nextafter"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_products_at_the_subnormal_boundary_need_no_margin_of_the_widening(monkeypatch, path, widening, seed):
    """Random products mixing exact and inexact entries, odd subnormals, 2^-1022 and factors near 2^1000,
    checked against exact rationals; with the tightest valid widening (one ulp, ``nextafter``) too;
    through both forms of a product."""
    monkeypatch.setattr(f64, "NARROW", PATHS[path])
    if widening == "nextafter":
        monkeypatch.setattr(f64, "down", _nextafter_down)
        monkeypatch.setattr(f64, "up", _nextafter_up)
    rng = np.random.default_rng(seed)
    for trial in range(150):
        n, p, q = rng.integers(2, 9), rng.integers(1, 3), rng.integers(1, 3)
        # Odd units just below where gamma_n |a| reaches half a unit: the widening's margin is thinnest.
        top = 2.0**52 / ((n + 1) * 1.01)
        units = (rng.uniform(0.5, 1.0, (p, n)) * top).astype(np.int64) | 1
        a = units * 2.0**-1074
        if trial % 3 == 0:  # signs, and entries at the smallest normal number
            a = a * rng.choice([-1.0, 1.0], (p, n))
            a = np.where(rng.random((p, n)) < 0.2, 2.0**-1022, a)
        b = rng.uniform(1, 2, (n, q)) * 2.0**1000
        inexact = rng.random((p, n)) < 0.3
        A = F64.exact(a) if trial % 2 else F64(a, np.where(inexact, np.nextafter(a, np.inf), a))
        upper = np.where(rng.random((n, q)) < 0.3, np.nextafter(b, np.inf), b)
        B = F64.exact(b) if trial % 4 < 2 else F64(b, upper)
        assert _contains_exact_product(A, B, A @ B), (a, b)
        assert _contains_exact_product(B.T, A.T, B.T @ A.T)  # the exact operand on the right


def test_boxes_halve_subnormal_differences_outward():
    from fractions import Fraction

    from symcert.numeric.engine.boxes import _half_down, _half_up

    units = np.arange(-9, 10, dtype=float) * 2.0**-1074
    xs = np.concatenate([units, [2.0**-1022, -(2.0**-1022), 3.0, 0.0]])
    for x, lo, hi in zip(xs, _half_down(xs), _half_up(xs)):
        assert Fraction(float(lo)) <= Fraction(float(x)) / 2 <= Fraction(float(hi))
        assert float(hi) - float(lo) <= 2.0**-1074  # within one unit: tight


def test_tanh_of_narrow_intervals_encloses_both_ends_and_stays_tight():
    """The one-evaluation form (tangent at the end nearest 0): positive, negative, straddling, points."""
    rng = np.random.default_rng(5)
    centres = np.concatenate([rng.normal(0, 3, 300), [0.0, -0.0, 1e-300, -1e-300, 20.0, -20.0, 0.15, -0.15]])
    widths = np.concatenate([[0.0], 2.0 ** -np.arange(26, 60, 3)])
    lo = np.concatenate([centres - w * np.abs(centres) - w for w in widths])
    hi = np.concatenate([centres + w * np.abs(centres) for w in widths])
    image = f64.tanh(F64(lo, hi))
    ref_lo, ref_hi = f64._tanh_bounds(lo)[0], f64._tanh_bounds(hi)[1]  # each end evaluated
    mpmath.mp.dps = 60
    for a, b, ilo, ihi, rlo, rhi in zip(lo, hi, image.lo, image.hi, ref_lo, ref_hi):
        ta, tb = mpmath.tanh(mpmath.mpf(float(a))), mpmath.tanh(mpmath.mpf(float(b)))
        assert mpmath.mpf(float(ilo)) <= ta and tb <= mpmath.mpf(float(ihi)), (a, b)
        assert ihi - ilo <= (rhi - rlo) + 1e-15 * abs(rhi) + 1e-300, (a, b)  # a few ulps; a point is 1e-14


def test_blocks_give_the_same_bounds_as_one_array():
    xs = np.random.default_rng(6).normal(0, 5, 40000)
    lo, hi = exp_bounds(xs)
    part_lo, part_hi = exp_bounds(xs[:1000])
    assert np.array_equal(lo[:1000], part_lo) and np.array_equal(hi[:1000], part_hi)
