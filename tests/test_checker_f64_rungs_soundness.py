"""Adversarial soundness tests of the barrier and saddle checkers' float64 rungs against Arb and exact rationals.

:mod:`symcert.checker.barrier_f64` (the loss's jets along a segment, for MLPs) and
:mod:`symcert.checker.saddle_f64` (Krawczyk's margin, Sylvester + Gershgorin inertia, residual eigenvalue
bounds, ``J^T J``) enclose every quantity they return by float64 operations whose roundings are directed
(:func:`symcert.checker.f64.down` / :func:`~symcert.checker.f64.up`) or bounded (the ``gamma_n`` model of
:func:`~symcert.checker.f64.matmul` and :func:`~symcert.checker.f64.total`). The operations that must be so:

- barrier_f64: the packed and rational weights and data as floats (exact, or widened one ulp); the
  exact split product ``w K`` of the first layer (Sterbenz splitting, exact BLAS partial sums, the tail
  through ``matmul``) and its division by ``q``; Arb balls as floats (:func:`from_balls`, faithful
  conversions widened); ``B - A`` and ``W(t) = W_A + t D``; every interval product and sum of the
  forward jets, ``tanh`` and ``1 - tanh^2``; the residual's square; the cross-entropy's log-sum-exp
  (directed sums, ``exp``/``log`` ends), probabilities (the subtraction ``sum - e_k``, the quotient and
  ``1 / (1 + ratio)``), the variance clipped at 0; the piece's half width ``h`` rounded up.
- saddle_f64: Arb balls as floats (:func:`to_interval`), the products ``Y H``, ``Y g``, ``V^T V``,
  ``V^T H V``, ``H V``, ``J^T J``, ``I - Y H``, the upper row sums, the radius rounded up, the
  Gershgorin ends, ``V diag(mu)``, the squared column norms, ``sqrt`` and the quotient, ``mu -+ rho``,
  and the float intervals back as Arb balls (:func:`to_arb`).

The reference is exact (``Fraction``, ``fmpq_mat`` and its characteristic polynomial: for a symmetric
matrix, whose roots are all real, Descartes' rule of signs counts them exactly) or Arb at 1,000 bits
and more. Every enclosure must contain the reference for every finite input it accepts, the hard
regions included (subnormals, 0 and -0, tanh's saturation, exp's range limits, overflow); non-finite
inputs must be refused (``ArithmeticError`` or ``None``), never a finite enclosure that misses.

Then whole certificates: claims the float64 rung decides, moved ``2^-2000`` inwards (Arb decides) or
just past Arb's enclosure of the true value (rejected, whichever rung runs).
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import random
from collections.abc import Iterator
from fractions import Fraction
from types import SimpleNamespace
from typing import Any

import flint
import numpy as np
import pytest
from flint import arb, arb_mat, fmpq, fmpq_mat
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symcert import MLP, Dataset, Loss, certify_barrier, certify_saddle, check
from symcert.checker import barrier, barrier_f64, saddle, saddle_f64
from symcert.checker.f64 import Interval
from symcert.checker.statement import Statement

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BIG = 1.7976931348623157e308
#: Far below any float64 step of the quantities here: the smallest move that matters.
DELTA = Fraction(1, 2**2000)


@pytest.fixture(autouse=True)
def _quiet_floats() -> Iterator[None]:
    """Overflow to an infinite end is a legitimate answer (then refused); numpy must not warn."""
    with np.errstate(all="ignore"):
        yield


@contextlib.contextmanager
def _prec(bits: int) -> Iterator[None]:
    saved = flint.ctx.prec
    flint.ctx.prec = bits
    try:
        yield
    finally:
        flint.ctx.prec = saved


def _q(x: float | Fraction) -> fmpq:
    f = Fraction(x)
    return fmpq(f.numerator, f.denominator)


def _lower(x: arb) -> Fraction:
    """An exact rational at or below every point of the ball ``x``."""
    with _prec(8000):
        return _arb_fraction(x.lower())


def _upper(x: arb) -> Fraction:
    with _prec(8000):
        return _arb_fraction(x.upper())


def _arb_fraction(x: arb) -> Fraction:
    """An exact ball (radius 0) as a Fraction."""
    assert x.is_exact()
    man, exp = x.man_exp()
    man, exp = int(man), int(exp)
    return Fraction(man * 2**exp) if exp >= 0 else Fraction(man, 2**-exp)


def _in(lo: float, hi: float, value: Fraction) -> bool:
    return Fraction(lo) <= value <= Fraction(hi)


# -- the hard regions ------------------------------------------------------------------------------

_EDGES = [
    0.0,
    -0.0,
    5e-324,
    2.0**-1022,
    np.nextafter(2.0**-1022, 0.0),
    1e-300,
    2.0**-600,
    2.0**-52,
    1e-8,
    1 / 3,
    0.5,
    1.0,
    19.0,
    20.0,
    np.nextafter(20.0, 21.0),
    64.0,
    700.0,
    710.0,
    2.0**480,
    1e300,
    BIG,
]
MAGNITUDES = st.one_of(
    st.sampled_from([float(e) for e in _EDGES]),
    st.floats(0.0, 4.0),
    st.floats(5e-324, 1e-290),
    st.floats(0.0, BIG),
)
FLOATS = st.tuples(MAGNITUDES, st.booleans()).map(lambda p: -p[0] if p[1] else p[0])
MODERATE = st.one_of(st.floats(-4.0, 4.0), st.sampled_from([0.0, -0.0, 5e-324, -1e-300, 2.0**-1022, 1e-8]))


# == saddle_f64 ===================================================================================


def _ball(mid: float, exp: int, rad: float) -> arb:
    """``mid 2^exp +- rad 2^exp`` (the midpoint exact; it may lie outside float64's range)."""
    with _prec(2200):
        return (arb(mid) + arb(0, rad)) * arb(2) ** exp if rad else arb(mid) * arb(2) ** exp


BALLS = st.tuples(FLOATS, st.sampled_from([0, 0, 0, -60, -1100, 40, 1100]), st.sampled_from([0.0, 1e-300, 1e-9, 0.5]))


@FAST
@given(st.lists(BALLS, min_size=1, max_size=6))
def test_to_interval_holds_every_ball_or_refuses(entries: list) -> None:
    """:func:`saddle_f64.to_interval`: ``lo <= ball <= hi`` exactly; a ball beyond float64 refused."""
    balls = [_ball(*e) for e in entries]
    M = arb_mat(1, len(balls), balls)
    try:
        x = saddle_f64.to_interval(M)
    except ArithmeticError:
        assert any(not math.isfinite(float(b.mid())) or not math.isfinite(float(b.rad())) for b in balls)
        return
    assert np.all(np.isfinite(x.lo)) and np.all(np.isfinite(x.hi))
    for k, b in enumerate(balls):
        assert Fraction(float(x.lo[0, k])) <= _lower(b) and _upper(b) <= Fraction(float(x.hi[0, k])), entries[k]


def test_to_interval_refuses_what_is_not_finite() -> None:
    for bad in (arb("nan"), arb("inf"), arb(1) + arb(0, "inf"), arb(2) ** 1024):
        with pytest.raises(ArithmeticError):
            saddle_f64.to_interval(arb_mat([[arb(1), bad]]))


@FAST
@given(st.lists(st.tuples(FLOATS, FLOATS), min_size=1, max_size=6))
def test_to_arb_holds_the_interval(pairs: list) -> None:
    """:func:`saddle_f64.to_arb`: the ball holds both float ends (a non-finite radius holds all)."""
    lo = np.array([[min(a, b) for a, b in pairs]])
    hi = np.array([[max(a, b) for a, b in pairs]])
    M = saddle_f64.to_arb(Interval(lo, hi))
    for k in range(len(pairs)):
        ball = M[0, k]
        if not ball.is_finite():
            continue
        assert ball.contains(arb(lo[0, k])) and ball.contains(arb(hi[0, k])), pairs[k]


def _fmpq_matrix(x: np.ndarray) -> fmpq_mat:
    return fmpq_mat(x.shape[0], x.shape[1], [_q(float(v)) for v in x.ravel()])


def _sign_changes(coefficients: list) -> int:
    signs = [c > 0 for c in coefficients if c != 0]
    return sum(a != b for a, b in zip(signs, signs[1:]))


def _eigen_counts(S: fmpq_mat, shift: Fraction = Fraction(0)) -> tuple[int, int, int]:
    """Eigenvalues of the symmetric ``S`` below, at and above ``shift``, exactly: the characteristic
    polynomial of ``S - shift I`` has real roots only, so Descartes' rule counts the positive ones
    (sign changes of ``p(x)``) and the negative ones (of ``p(-x)``); zero roots are the low zero
    coefficients."""
    n = S.nrows()
    T = S - fmpq_mat(n, n, [_q(shift) if i == j else 0 for i in range(n) for j in range(n)])
    c = T.charpoly().coeffs()  # ascending
    zero = next(i for i, v in enumerate(c) if v != 0)
    positive = _sign_changes(c)
    negative = _sign_changes([v * (-1) ** i for i, v in enumerate(c)])
    assert negative + zero + positive == n
    return negative, zero, positive


def _symmetric_samples(H: Interval, rng: random.Random, count: int = 4) -> list[fmpq_mat]:
    """Exact symmetric matrices inside ``H`` (its ends and the midpoint, per upper entry, mirrored;
    only where both ``H_ij`` and ``H_ji`` hold the value)."""
    n = H.shape[0]
    out = []
    for k in range(count):
        S = [[Fraction(0)] * n for _ in range(n)]
        for i in range(n):
            for j in range(i, n):
                lo = max(Fraction(float(H.lo[i, j])), Fraction(float(H.lo[j, i])))
                hi = min(Fraction(float(H.hi[i, j])), Fraction(float(H.hi[j, i])))
                assert lo <= hi
                S[i][j] = S[j][i] = (lo + hi) / 2 if k == 0 else rng.choice([lo, hi, (3 * lo + hi) / 4])
        out.append(fmpq_mat(n, n, [_q(v) for row in S for v in row]))
    return out


def _symmetric_interval(values: list, n: int, radius: float, scale: float) -> Interval:
    m = np.zeros((n, n))
    k = 0
    for i in range(n):
        for j in range(i, n):
            m[i, j] = m[j, i] = values[k % len(values)] * scale
            k += 1
    return Interval(m - radius * abs(scale), m + radius * abs(scale))


MATRICES = st.tuples(
    st.integers(1, 4),
    st.lists(MODERATE, min_size=10, max_size=10),
    st.sampled_from([0.0, 0.0, 1e-12, 1e-3, 0.3]),
    st.sampled_from([1.0, 1.0, -1.0, 2.0**-1000, 2.0**-1060, 5e-324, 1e-300, 2.0**500, 1e300, 0.0]),
    st.integers(0, 2**32),
)


@FAST
@given(MATRICES, st.sampled_from(["eigh", "eye", "random", "tiny", "huge"]))
def test_inertia_is_the_exact_count_of_every_symmetric_matrix_in_the_box(case: tuple, basis: str) -> None:
    """:func:`saddle_f64.inertia`: a count, when given, is that of every symmetric matrix in ``Hr``
    (exact characteristic polynomials at the midpoint and random corners), with no zero eigenvalue."""
    n, values, radius, scale, seed = case
    rng = random.Random(seed)
    Hr = _symmetric_interval(values, n, radius, scale)
    mid = 0.5 * Hr.lo + 0.5 * Hr.hi
    V = {
        "eigh": lambda: np.linalg.eigh(mid)[1] if np.all(np.isfinite(mid)) else np.eye(n),
        "eye": lambda: np.eye(n),
        "random": lambda: np.eye(n) + np.array([[rng.uniform(-0.4, 0.4) / n for _ in range(n)] for _ in range(n)]),
        "tiny": lambda: np.eye(n) * 2.0**-540,
        "huge": lambda: np.eye(n) * 2.0**520,
    }[basis]()
    found = saddle_f64.inertia(Hr, V)
    if found is None:
        return
    for S in _symmetric_samples(Hr, rng):
        negative, zero, _ = _eigen_counts(S)
        assert zero == 0 and negative == found, (n, values, radius, scale, basis)


def test_inertia_refuses_what_is_not_finite() -> None:
    H = Interval(np.array([[-1.0, 0.0], [0.0, 2.0]]), np.array([[-1.0, 0.0], [0.0, 2.0]]))
    assert saddle_f64.inertia(H, np.eye(2)) == 1
    for bad in (np.inf, np.nan):
        assert saddle_f64.inertia(Interval(H.lo, np.where(np.eye(2) > 0, H.hi, bad)), np.eye(2)) is None
        assert saddle_f64.inertia(H, np.array([[1.0, 0.0], [bad, 1.0]])) is None
    assert saddle_f64.inertia(Interval(H.lo * 1e300, H.hi * 1e300), np.eye(2) * 1e10) is None  # overflow


@FAST
@given(MATRICES, st.sampled_from(["eigh", "moved", "eye", "tiny"]))
def test_pinned_intervals_each_hold_an_eigenvalue_of_every_symmetric_matrix_in_the_box(
    case: tuple, basis: str
) -> None:
    """:func:`saddle_f64.pinned`: each interval ``[a, b]`` holds an eigenvalue of each sampled symmetric
    matrix ``S`` in ``H``: exactly, fewer eigenvalues below ``a`` than at or below ``b``."""
    n, values, radius, scale, seed = case
    rng = random.Random(seed)
    H = _symmetric_interval(values, n, radius, scale)
    mid = 0.5 * H.lo + 0.5 * H.hi
    finite = bool(np.all(np.isfinite(mid)))
    mus, V = np.linalg.eigh(mid) if finite else (np.zeros(n), np.eye(n))
    if basis == "moved":  # approximate pairs a little off: wider, still sound
        mus = mus * (1 + 1e-6) + 1e-9 * scale
        V = V + 1e-5
    elif basis == "eye":
        V = np.eye(n)
    elif basis == "tiny":
        V = V * 2.0**-540
    found = saddle_f64.pinned(H, mus, V)
    if found is None:
        return
    assert len(found) == n
    for S in _symmetric_samples(H, rng, count=3):
        for a, b in found:
            below, _, _ = _eigen_counts(S, a)
            _, _, above = _eigen_counts(S, b)
            assert below < n - above, (a, b, values, radius, scale, basis)


def test_pinned_refuses_what_is_not_finite() -> None:
    H = Interval.point(np.array([[2.0, 1.0], [1.0, 3.0]]))
    mus, V = np.linalg.eigh(H.lo)
    assert saddle_f64.pinned(H, mus, V) is not None
    for bad in (np.inf, np.nan):
        assert saddle_f64.pinned(H, np.array([mus[0], bad]), V) is None
        assert saddle_f64.pinned(H, mus, np.where(V > 0, bad, V)) is None
        assert saddle_f64.pinned(Interval(H.lo, np.full((2, 2), bad)), mus, V) is None
    assert saddle_f64.pinned(H, mus, V * 1e200) is None  # the squared norms overflow
    assert saddle_f64.pinned(H, mus, np.zeros((2, 2))) is None  # no length to divide by


def _exact_margin(g: list, H: list, Y: list, r: Fraction) -> Fraction:
    """``max_i |(Y g)_i| + r sum_j |(I - Y H)_ij| - r``, exactly, for exact ``g``, ``H``, ``Y``: the
    largest ``|D_i|`` over ``D = -Y g + (I - Y H)[-r, r]`` less ``r``."""
    n = len(g)
    worst = None
    for i in range(n):
        yg = sum(Y[i][k] * g[k] for k in range(n))
        row = sum(abs(int(i == j) - sum(Y[i][k] * H[k][j] for k in range(n))) for j in range(n))
        value = abs(yg) + r * row
        worst = value if worst is None else max(worst, value)
    assert worst is not None
    return worst - r


@SLOW
@given(
    st.integers(1, 3),
    st.lists(MODERATE, min_size=9, max_size=9),
    st.lists(st.floats(-1.0, 1.0), min_size=3, max_size=3),
    st.sampled_from([0.0, 1e-300, 1e-14, 1e-9]),
    st.sampled_from([0, 0, -1000, -1070, 400, 1000, 1030]),
    st.sampled_from([Fraction(1, 2**20), Fraction(1, 2**40), Fraction(1, 3), Fraction(1, 2**1070)]),
    st.sampled_from([0.0, 1e-12, 1e-6]),
    st.integers(0, 2**32),
)
def test_krawczyk_margin_bounds_the_exact_margin_at_every_point_of_the_balls(
    n: int, values: list, gs: list, rad: float, exp: int, r: Fraction, g_scale: float, seed: int
) -> None:
    """:func:`saddle_f64.krawczyk_margin`: when it decides (a bound below 0), the exact margin at the
    balls' midpoints and corners (``H`` and ``g`` scaled by ``2^exp``, ``Y`` an approximate inverse) is
    at most it."""
    rng = random.Random(seed)
    base = np.array(values[: n * n]).reshape(n, n) + 3 * np.eye(n)  # invertible, mostly
    with _prec(2200):
        H = arb_mat(n, n, [_ball(float(v), exp, rad) for v in base.ravel()])
        g = arb_mat(n, 1, [_ball(float(v) * g_scale, exp, rad) for v in gs[:n]])
    try:
        inverse = np.ldexp(np.linalg.inv(base), -exp)
    except np.linalg.LinAlgError:
        return
    if not np.all(np.isfinite(inverse)):
        return
    Y = arb_mat(n, n, [arb(float(v)) for v in inverse.ravel()])
    found = saddle_f64.krawczyk_margin(g, H, Y, r)
    if found is None:
        return
    assert found < 0
    Yq = [[Fraction(float(inverse[i, j])) for j in range(n)] for i in range(n)]

    def pick(ball: arb, k: int) -> Fraction:
        lo, hi = _lower(ball), _upper(ball)
        return (lo + hi) / 2 if k == 0 else rng.choice([lo, hi])

    for k in range(3):
        Hq = [[pick(H[i, j], k) for j in range(n)] for i in range(n)]
        gq = [pick(g[i, 0], k) for i in range(n)]
        assert _exact_margin(gq, Hq, Yq, r) <= found, (values, exp, rad, r)


def test_krawczyk_margin_refuses_what_is_not_finite() -> None:
    H, Y = arb_mat([[2, 0], [0, 4]]), arb_mat([[0.5, 0], [0, 0.25]])
    r = Fraction(1, 2**20)
    assert saddle_f64.krawczyk_margin(arb_mat([[arb(0)], [arb(0)]]), H, Y, r) is not None
    for bad in (arb("nan"), arb("inf"), arb(2) ** 1100):
        assert saddle_f64.krawczyk_margin(arb_mat([[bad], [arb(0)]]), H, Y, r) is None
        assert saddle_f64.krawczyk_margin(arb_mat([[arb(0)], [arb(0)]]), arb_mat([[bad, 0], [0, 4]]), Y, r) is None
    huge = arb_mat([[1e300, 0], [0, 1e300]])
    assert saddle_f64.krawczyk_margin(arb_mat([[arb(0)], [arb(0)]]), huge, huge, r) is None  # overflow


@FAST
@given(st.integers(1, 4), st.integers(1, 3), st.lists(BALLS, min_size=12, max_size=12), st.integers(0, 2**32))
def test_gram_holds_j_transpose_j_at_every_point_of_the_balls(rows: int, cols: int, entries: list, seed: int) -> None:
    """:func:`saddle_f64.gram`: ``J^T J`` at the midpoints and corners of ``J``'s balls, exactly."""
    rng = random.Random(seed)
    balls = [_ball(*e) for e in entries[: rows * cols]]
    J = arb_mat(rows, cols, balls)
    G = saddle_f64.gram(J)
    if G is None:
        return
    for k in range(3):
        pts = []
        for b in balls:
            lo, hi = _lower(b), _upper(b)
            pts.append((lo + hi) / 2 if k == 0 else rng.choice([lo, hi]))
        Jq = fmpq_mat(rows, cols, [_q(v) for v in pts])
        exact = Jq.transpose() * Jq
        for i in range(cols):
            for j in range(cols):
                if not G[i, j].is_finite():
                    continue
                with _prec(8000):
                    assert G[i, j].contains(arb(exact[i, j])), (entries, i, j)
