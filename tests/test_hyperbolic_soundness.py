"""The one-evaluation tanh bounds (hyperbolic.py) and up_nonneg against mpmath at 50 digits.

Every bound is compared exactly (an mpf holds a float exactly) with tanh at 50 digits, on random
points of every magnitude and on the edges of each formula: 0, -0, subnormals, the tiny-path
switch 2^-500, the places where k = rint(2s / ln 2) changes, the clip at 19, huge, inf, NaN; and
intervals around the tangent-width threshold, straddling 0, with infinite or NaN ends.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

from symcert.numeric.engine import f64
from symcert.numeric.engine.elementary import down, up_nonneg
from symcert.numeric.engine.f64 import F64
from symcert.numeric.engine.hyperbolic import (
    TANGENT_WIDTH,
    tanh_abs_bounds,
    tanh_interval_bounds,
    tanh_point_bounds,
)

TINY = 5e-324
BIG = float(np.finfo(np.float64).max)
LN2 = math.log(2)


def _around(v: float, steps: int = 2) -> list[float]:
    out, a, b = [v], v, v
    for _ in range(steps):
        a, b = float(np.nextafter(a, -np.inf)), float(np.nextafter(b, np.inf))
        out += [a, b]
    return out


def _edges() -> np.ndarray:
    pts = [0.0, TINY, 2 * TINY, 1e-310, 2.0**-1022, 2.0**-1021, 1e-300, 1e-200, 1e-100, 1e-20, 1e-8]
    pts += _around(2.0**-500) + _around(2.0**-26) + _around(0.15) + _around(0.3)
    for k in range(57):  # the switch points of k = rint(2 s / ln 2): 2 s = (k + 1/2) ln 2
        pts += _around((k + 0.5) * LN2 / 2, 1)
    pts += _around(18.72) + _around(19.0) + [20.0, 30.0, 354.0, 355.0, 710.0, 1e10, 1e300, BIG]
    return np.array(pts)


def _points(rng: np.random.Generator) -> np.ndarray:
    mags = np.concatenate(
        [
            2.0 ** rng.uniform(-1074, 10, 3000),  # every binade, subnormals included
            rng.uniform(0, 25, 3000),
            rng.normal(0, 3, 2000),
        ]
    )
    s = np.abs(mags)
    z = np.concatenate([_edges(), s])
    return np.concatenate([z, -z])


def _tanh(x: float) -> mpmath.mpf:
    return mpmath.tanh(mpmath.mpf(x))


def _check_enclosure(z, lo, hi, exact_lo, exact_hi):
    for a, b, ilo, ihi in zip(exact_lo, exact_hi, lo, hi):
        if math.isnan(a) or math.isnan(b):
            continue
        ta = mpmath.mpf(-1) if a == -np.inf else (mpmath.mpf(1) if a == np.inf else _tanh(float(a)))
        tb = mpmath.mpf(-1) if b == -np.inf else (mpmath.mpf(1) if b == np.inf else _tanh(float(b)))
        assert mpmath.mpf(float(ilo)) <= ta, (a, b, ilo)
        assert tb <= mpmath.mpf(float(ihi)), (a, b, ihi)


def test_point_bounds_enclose_tanh_and_are_tight():
    mpmath.mp.dps = 50
    z = _points(np.random.default_rng(22))
    lo, hi = tanh_point_bounds(z)
    assert lo.shape == z.shape and not np.isnan(lo).any() and not np.isnan(hi).any()
    assert np.all(lo <= hi) and np.all(lo >= -1) and np.all(hi <= 1)
    _check_enclosure(z, lo, hi, z, z)
    t = np.tanh(z)
    assert np.all(hi - lo <= 5e-14 * np.abs(t) + 1e-300)  # about 1.2e-14 relative each side
    s = np.abs(z)
    small = s < 2.0**-500
    assert np.array_equal(np.abs(np.where(z < 0, lo, hi))[small], s[small])  # [down(s), s] below 2^-500
    zero = z == 0
    assert np.all(lo[zero] == 0) and np.all(hi[zero] == 0)


def test_abs_bounds_nan_inf_and_clip():
    lo, hi = tanh_abs_bounds(np.array([np.nan, np.inf, 19.0, np.nextafter(19.0, 20), 1e300]))
    assert np.isnan(lo[0]) and np.isnan(hi[0])
    at19 = lo[2]
    assert np.all(hi[1:] == 1.0) and np.all(lo[1:] == at19) and 1 - 3e-14 < at19 < 1
    lo, hi = tanh_point_bounds(np.array([-np.inf, np.nan]))
    assert hi[0] == -at19 and lo[0] == -1.0 and np.isnan(lo[1]) and np.isnan(hi[1])


def _intervals(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    c = np.concatenate([rng.normal(0, 3, 1200), rng.uniform(-25, 25, 600), _edges(), -_edges()])
    widths = np.concatenate(
        [
            [0.0, TINY, 1e-300],
            2.0 ** rng.uniform(-60, -20, 40),
            _around(TANGENT_WIDTH),
            [0.5, 3.0],
        ]
    )
    w = rng.choice(widths, c.size)
    rel = rng.choice([0.0, 1.0], c.size)
    with np.errstate(over="ignore"):  # BIG - 3 BIG is -inf: an infinite end, kept
        lo = c - w * rel * np.abs(c) - (1 - rel) * w
        hi = c + w * rel * np.abs(c)
    # straddling 0, touching 0 (+0 and -0), infinite and NaN ends
    extra_lo = np.array([-1e-9, -0.0, -1e-9, 0.0, -np.inf, -np.inf, 1.0, np.nan, -1e-300, -TINY, -3.0])
    extra_hi = np.array([1e-9, 1e-9, 0.0, -0.0 + 0.0, 0.5, np.inf, np.inf, 1.0, 1e-300, 0.0, -2.0])
    return np.concatenate([lo, extra_lo]), np.concatenate([hi, extra_hi])


def test_interval_bounds_enclose_both_ends():
    mpmath.mp.dps = 50
    lo, hi = _intervals(np.random.default_rng(23))
    assert np.all((lo <= hi) | np.isnan(lo))
    olo, ohi = tanh_interval_bounds(lo, hi)
    _check_enclosure(None, olo, ohi, lo, hi)
    ok = ~(np.isnan(lo) | np.isnan(hi))
    assert np.all(olo[ok] <= ohi[ok]) and np.all(olo[ok] >= -1) and np.all(ohi[ok] <= 1)
    assert np.isnan(olo[~ok]).all() or np.isnan(ohi[~ok]).all()
    # narrow intervals stay tight: within a few ulps of evaluating both ends
    ref_lo, ref_hi = tanh_point_bounds(lo)[0], tanh_point_bounds(hi)[1]
    narrow = ok & (hi - lo <= 2.0**-30) & ~((lo < 0) & (hi > 0))
    excess = (ohi - olo) - (ref_hi - ref_lo)
    assert np.all(excess[narrow] <= 1e-15 * np.abs(ref_hi[narrow]) + 1e-300)
    # the same bounds block by block, through F64
    image = f64.tanh(F64(np.nan_to_num(lo, nan=0.0), np.nan_to_num(hi, nan=0.0)))
    blo, bhi = tanh_interval_bounds(np.nan_to_num(lo, nan=0.0), np.nan_to_num(hi, nan=0.0))
    assert np.array_equal(image.lo, blo) and np.array_equal(image.hi, bhi)


def test_all_points_and_all_wide_take_the_endpoint_path():
    z = np.array([-2.0, 0.0, 0.5])
    plo, phi = tanh_point_bounds(z)
    lo, hi = tanh_interval_bounds(z, z.copy())
    assert np.array_equal(lo, plo) and np.array_equal(hi, phi)
    lo, hi = tanh_interval_bounds(np.array([-3.0, 0.0]), np.array([-1.0, 2.0]))
    assert (
        lo[0] == tanh_point_bounds(np.array([-3.0]))[0][0]
        and hi[1] == tanh_point_bounds(np.array([2.0]))[1][0]
    )


def test_up_nonneg_is_at_least_the_next_float():
    rng = np.random.default_rng(24)
    x = np.concatenate(
        [
            [
                0.0,
                -0.0,
                TINY,
                2.0**-1022,
                np.nextafter(2.0**-1022, 0),
                1.0,
                np.nextafter(1.0, 0),
                2.0**1023,
                BIG,
            ],
            2.0 ** rng.uniform(-1074, 1024, 20000),
            2.0 ** rng.integers(-1074, 1024, 2000).astype(float),  # powers of two: the spacing changes
        ]
    )
    x = x[np.isfinite(x)]
    with np.errstate(over="ignore"):  # up(BIG) and up_nonneg(BIG) are +inf
        y, succ = up_nonneg(x), np.nextafter(x, np.inf)
        succ3 = np.nextafter(np.nextafter(succ, np.inf), np.inf)
    assert np.all(y >= succ)
    assert np.all(y <= succ3)  # and at most three units above x, as up()
    special = up_nonneg(np.array([np.inf, np.nan]))
    assert special[0] == np.inf and np.isnan(special[1])
    assert float(up_nonneg(np.float64(0.0))) == TINY
    with np.errstate(invalid="ignore"):
        assert np.isnan(down(np.array([np.inf]))[0])  # unchanged: down(+inf) is not +inf


@pytest.mark.parametrize("name", ["_tanh_bounds", "_tanh_interval", "_tanh_abs_bounds"])
def test_old_private_names_still_work(name):
    assert callable(getattr(f64, name))
