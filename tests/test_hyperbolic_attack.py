"""Adversarial checks of hyperbolic.py beyond test_hyperbolic_soundness: any shape and dtype, dense
scans (+-40 ulps and +-1e-12 relative) around every branch and table switch, random bit patterns,
and mixed batches (points, tangent-path and wide intervals together), all against mpmath at 60 digits.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

from symcert.numeric.engine.hyperbolic import TANGENT_WIDTH, tanh_interval_bounds, tanh_point_bounds

LN2 = math.log(2)


def _tanh(v: float) -> mpmath.mpf:
    if math.isinf(v):
        return mpmath.mpf(1 if v > 0 else -1)
    return mpmath.tanh(mpmath.mpf(v))


def _encloses(z, lo, hi) -> list:
    mpmath.mp.dps = 60
    bad = []
    for v, a, b in zip(np.ravel(z).tolist(), np.ravel(lo).tolist(), np.ravel(hi).tolist()):
        if math.isnan(v):
            if not (math.isnan(a) and math.isnan(b)):
                bad.append((v, a, b))
        elif not (a <= b and mpmath.mpf(a) <= _tanh(v) <= mpmath.mpf(b)):
            bad.append((v, a, b))
    return bad


def _ulps(v: float, n: int) -> list[float]:
    up, dn = [v], [v]
    for _ in range(n):
        up.append(float(np.nextafter(up[-1], np.inf)))
        dn.append(float(np.nextafter(dn[-1], -np.inf)))
    return up + dn[1:]


def _edges() -> list[float]:
    pts = [2.0**-500, 19.0, 2.0**-1022, 2.0**-26, math.atanh(0.5), 18.7, 18.4]
    pts += [(k + 0.5) * LN2 / 2 for k in range(56)] + [k * LN2 / 2 for k in range(1, 56)]
    return pts


def test_dense_scans_and_bit_patterns():
    rng = np.random.default_rng(31)
    z = [p for e in _edges() for p in _ulps(e, 40)]
    switches = [(k + 0.5) * LN2 / 2 for k in range(56)]
    z += [c * (1 + d) for c in switches for d in rng.uniform(-1e-12, 1e-12, 40)]
    z = np.array(z)
    bits = rng.integers(0, 2**63, 3000, dtype=np.int64).view(np.float64)  # every exponent, NaNs too
    z = np.concatenate([z, -z, bits, np.exp(rng.uniform(math.log(1e-320), math.log(1e3), 4000))])
    lo, hi = tanh_point_bounds(z)
    assert _encloses(z, lo, hi) == []


def test_any_shape_and_dtype():
    """2-D input with a tiny entry once overwrote whole rows (lo = 2 > tanh 2); float32 input was
    evaluated in float32 under the float64 error bound; a 0-d input raised."""
    z = np.array([[0.5, 1e-300], [2.0, 3.0]])
    lo, hi = tanh_point_bounds(z)
    assert lo.shape == z.shape and _encloses(z, lo, hi) == []
    assert np.array_equal(lo, tanh_point_bounds(z.ravel())[0].reshape(2, 2))
    z32 = np.array([0.3, 0.5, 0.7, 2.0, -1e-30], dtype=np.float32)
    lo, hi = tanh_point_bounds(z32)
    assert lo.dtype == np.float64 and _encloses(z32.astype(np.float64), lo, hi) == []
    lo, hi = tanh_point_bounds(np.float64(0.5))
    assert np.shape(lo) == () and _encloses([0.5], [lo], [hi]) == []
    a = np.array([[0.5, 0.5], [-3.0, 1e-310]])
    b = np.array([[0.5 + 1e-12, 0.6], [-1.0, 1e-300]])
    lo, hi = tanh_interval_bounds(a, b)
    assert lo.shape == a.shape and hi.shape == a.shape
    assert _encloses(a, lo, np.ones_like(a)) == [] and _encloses(b, -np.ones_like(b), hi) == []
    lo, hi = tanh_interval_bounds(a.astype(np.float32), b.astype(np.float32))
    assert _encloses(a.astype(np.float32), lo, np.ones_like(a)) == []
    assert _encloses(b.astype(np.float32), -np.ones_like(b), hi) == []


@pytest.mark.parametrize("seed", [41, 42])
def test_mixed_interval_batches(seed):
    rng = np.random.default_rng(seed)
    n = 3000
    mags = np.exp(rng.uniform(math.log(1e-320), math.log(30), n // 2))
    c = np.concatenate([mags, rng.choice(_edges(), n // 2)])
    c *= rng.choice([-1.0, 1.0], n)
    w = np.exp(rng.uniform(math.log(1e-323), math.log(10), n))
    w[rng.random(n) < 0.2] = 0.0  # points inside a non-point batch: width 2^-1074 on the tangent path
    w[rng.random(n) < 0.2] = TANGENT_WIDTH * rng.choice([0.5, 1.0, 1 + 2.0**-52, 2.0])
    lo = c - rng.random(n) * w
    hi = np.maximum(lo + w, lo)
    for i in range(0, n, 250):  # batches mixing point, tangent, straddling and wide entries
        olo, ohi = tanh_interval_bounds(lo[i : i + 250], hi[i : i + 250])
        assert _encloses(lo[i : i + 250], olo, np.ones(250)) == []
        assert _encloses(hi[i : i + 250], -np.ones(250), ohi) == []
