"""Adversarial soundness tests of the barrier and saddle checkers' float64 rungs against Arb and rationals.

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

import copy
import itertools
import json
import math
import random
from collections.abc import Iterator
from fractions import Fraction
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
from tests.test_checker_fast_soundness import _tanh

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


def _q(x: float | Fraction) -> fmpq:
    f = Fraction(x)
    return fmpq(f.numerator, f.denominator)


def _lower(x: arb) -> Fraction:
    """An exact rational at or below every point of the ball ``x``."""
    with flint.ctx.workprec(8000):
        return _arb_fraction(x.lower())


def _upper(x: arb) -> Fraction:
    with flint.ctx.workprec(8000):
        return _arb_fraction(x.upper())


def _arb_fraction(x: arb) -> Fraction:
    """An exact ball (radius 0) as a Fraction."""
    assert x.is_exact()
    m, e = x.man_exp()
    man, exp = int(m), int(e)
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


def _ball(mid: float, exp: int, rad: float, shift: float = 0.0, cancel: bool = False) -> arb:
    """``m 2^exp +- rad 2^exp`` with ``m = mid (1 + shift)`` (between floats for a tiny ``shift``; the
    ball may lie outside float64's range); with ``cancel`` the radius is ``(1 - 2^-20) |m|`` instead, so
    that an end is far smaller than the midpoint (the midpoint's conversion error dominates there)."""
    with flint.ctx.workprec(2200):
        m = arb(mid) * (1 + arb(shift)) if shift else arb(mid)
        r = abs(m) * (1 - arb(2) ** -20) if cancel else arb(rad)
        return (m + arb(0, 1) * r) * arb(2) ** exp if r != 0 else m * arb(2) ** exp


BALLS = st.tuples(
    FLOATS,
    st.sampled_from([0, 0, 0, -60, -1100, 40, 1100]),
    st.sampled_from([0.0, 1e-300, 1e-9, 0.5]),
    st.sampled_from([0.0, 0.0, 2.0**-54 / 3, -(2.0**-60), 2.0**-40 / 3]),
    st.booleans(),
)


@FAST
@given(st.lists(BALLS, min_size=1, max_size=6))
def test_to_interval_holds_every_ball_or_refuses(entries: list) -> None:
    """:func:`saddle_f64.to_interval`: ``lo <= ball <= hi`` exactly; a ball beyond float64 refused."""
    balls = [_ball(*e) for e in entries]
    M = arb_mat(1, len(balls), balls)
    try:
        x = saddle_f64.to_interval(M)
    except ArithmeticError:
        assert any(_upper(abs(b)) > 2**1023 for b in balls)  # refused only at the edge of float64
        return
    assert np.all(np.isfinite(x.lo)) and np.all(np.isfinite(x.hi))
    for k, b in enumerate(balls):
        assert Fraction(float(x.lo[0, k])) <= _lower(b) and _upper(b) <= Fraction(float(x.hi[0, k])), entries[
            k
        ]


def test_to_interval_refuses_what_is_not_finite() -> None:
    """NaN, infinities, balls beyond float64, and the largest float (its widened end overflows)."""
    for bad in (arb("nan"), arb("inf"), arb(1) + arb(0, "inf"), arb(2) ** 1024, arb(BIG), arb(-BIG)):
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
    return sum(a != b for a, b in itertools.pairwise(signs))


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


def _symmetric_interval(values: list, n: int, radius: float, scale: float, off: float = 1.0) -> Interval:
    """A symmetric box: ``scale`` times the ``values`` (off-diagonal entries times ``off``, so that the
    Gershgorin discs are near 0 for some ``off``) -+ ``radius |scale|``."""
    m = np.zeros((n, n))
    k = 0
    for i in range(n):
        for j in range(i, n):
            m[i, j] = m[j, i] = values[k % len(values)] * scale * (1.0 if i == j else off)
            k += 1
    return Interval(m - radius * abs(scale), m + radius * abs(scale))


ENTRIES = st.one_of(st.floats(-4.0, 4.0), st.floats(-4.0, 4.0), st.floats(-4.0, 4.0), MODERATE)
MATRICES = st.tuples(
    st.integers(1, 4),
    st.lists(ENTRIES, min_size=10, max_size=10),
    st.sampled_from([0.0, 0.0, 1e-12, 1e-3, 0.3, 1.0]),
    st.sampled_from([1.0, 1.0, -1.0, 2.0**-1000, 2.0**-1060, 5e-324, 1e-300, 2.0**500, 1e300, 0.0]),
    st.integers(0, 2**32),
    st.sampled_from([1.0, 1.0, 0.5, 0.3, 0.1]),
)


@FAST
@given(MATRICES, st.sampled_from(["eigh", "eye", "random", "tiny", "huge"]))
def test_inertia_is_the_exact_count_of_every_symmetric_matrix_in_the_box(case: tuple, basis: str) -> None:
    """:func:`saddle_f64.inertia`: a count, when given, is that of every symmetric matrix in ``Hr``
    (exact characteristic polynomials at the midpoint and random corners), with no zero eigenvalue."""
    n, values, radius, scale, seed, off = case
    rng = random.Random(seed)
    Hr = _symmetric_interval(values, n, radius, scale, off)
    mid = 0.5 * Hr.lo + 0.5 * Hr.hi
    V = {
        "eigh": lambda: np.linalg.eigh(mid)[1] if np.all(np.isfinite(mid)) else np.eye(n),
        "eye": lambda: np.eye(n),
        "random": lambda: (
            np.eye(n) + np.array([[rng.uniform(-0.4, 0.4) / n for _ in range(n)] for _ in range(n)])
        ),
        "tiny": lambda: np.eye(n) * 2.0**-540,
        "huge": lambda: np.eye(n) * 2.0**520,
    }[basis]()
    found = saddle_f64.inertia(Hr, V)
    if found is None:
        return
    for S in _symmetric_samples(Hr, rng):
        negative, zero, _ = _eigen_counts(S)
        assert zero == 0 and negative == found, (n, values, radius, scale, basis)


def test_inertia_near_the_gershgorin_boundary_is_exact() -> None:
    """Symmetric boxes whose discs (in the basis ``I`` or a scaled rotation) nearly reach 0: off-diagonal
    row sums from 0.3 to 1.5 times the diagonal, so that a disc radius or end taken too small would
    count a wrong inertia. At least 50 of the 300 must decide (the test is not vacuous)."""
    rng = np.random.default_rng(7)
    decided = 0
    for trial in range(300):
        n = int(rng.integers(2, 5))
        diag = rng.uniform(0.5, 3.0, n) * rng.choice([-1.0, 1.0], n)
        off = rng.uniform(-1.0, 1.0, (n, n))
        off = np.triu(off, 1) + np.triu(off, 1).T
        ratio = rng.uniform(0.3, 1.5)
        off *= ratio * np.abs(diag)[:, None] / np.maximum(np.abs(off).sum(axis=1), 1e-300)[:, None]
        m = np.diag(diag) + 0.5 * (off + off.T)
        radius = float(rng.choice([0.0, 1e-6, 1e-2])) * float(np.abs(diag).min())
        Hr = Interval(m - radius, m + radius)
        if trial % 2:
            V = np.eye(n)
        else:
            theta = rng.uniform(-0.3, 0.3)
            V = np.eye(n)
            V[:2, :2] = [[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]]
            V = V * 2.0 ** int(rng.integers(-3, 4))
        found = saddle_f64.inertia(Hr, V)
        if found is None:
            continue
        decided += 1
        for S in _symmetric_samples(Hr, random.Random(trial)):
            negative, zero, _ = _eigen_counts(S)
            assert zero == 0 and negative == found, (m, radius, V)
    assert decided >= 50, decided


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
    n, values, radius, scale, seed, off = case
    rng = random.Random(seed)
    H = _symmetric_interval(values, n, radius, scale, off)
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
    with flint.ctx.workprec(2200):
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
        assert (
            saddle_f64.krawczyk_margin(arb_mat([[arb(0)], [arb(0)]]), arb_mat([[bad, 0], [0, 4]]), Y, r)
            is None
        )
    huge = arb_mat([[1e300, 0], [0, 1e300]])
    assert saddle_f64.krawczyk_margin(arb_mat([[arb(0)], [arb(0)]]), huge, huge, r) is None  # overflow


@FAST
@given(st.integers(1, 4), st.integers(1, 3), st.lists(BALLS, min_size=12, max_size=12), st.integers(0, 2**32))
def test_gram_holds_j_transpose_j_at_every_point_of_the_balls(
    rows: int, cols: int, entries: list, seed: int
) -> None:
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
                with flint.ctx.workprec(8000):
                    assert G[i, j].contains(arb(exact[i, j])), (entries, i, j)


# == barrier_f64: its pieces ======================================================================


@FAST
@given(
    st.integers(1, 3),
    st.integers(1, 40),
    st.lists(FLOATS, min_size=1, max_size=12),
    st.sampled_from([0, -30, -1000, -1040, -1074, 900]),
    st.lists(st.integers(-(2**20) + 1, 2**20 - 1), min_size=1, max_size=12),
    st.integers(1, 3),
)
def test_split_products_hold_the_exact_product_or_refuse(
    rows: int, n: int, ws: list, exp: int, ks: list, cols: int
) -> None:
    """:func:`barrier_f64._split_product`: ``w K`` for float ``w`` (every exponent) and integers
    ``|K| < 2^20`` within its ends exactly; an ``ArithmeticError`` or a non-finite end otherwise."""
    w = np.ldexp(np.array([ws[k % len(ws)] for k in range(rows * n)]).reshape(rows, n), exp)
    w = np.where(np.isfinite(w), w, BIG)
    K = np.array([ks[k % len(ks)] for k in range(n * cols)], dtype=float).reshape(n, cols)
    try:
        z = barrier_f64._split_product(w, K)
    except ArithmeticError:
        return
    for i in range(rows):
        for j in range(cols):
            lo, hi = float(z.lo[i, j]), float(z.hi[i, j])
            if not (math.isfinite(lo) and math.isfinite(hi)):
                continue  # refused downstream (every later product checks its inputs are finite)
            exact = sum((Fraction(float(w[i, k])) * int(K[k, j]) for k in range(n)), Fraction(0))
            assert _in(lo, hi, exact), (w[i].tolist(), K[:, j].tolist())


@FAST
@given(
    st.sampled_from("bBhHiIqqqq"),  # int64 most often: the only one beyond 2^53
    st.lists(
        st.one_of(
            st.integers(-(2**63), 2**63 - 1),
            st.integers(-(2**60), 2**60),
            st.integers(2**53 - 2, 2**53 + 3),
            st.sampled_from([-(2**63), 2**63 - 1, -(2**53) - 1, 2**53 + 1, 2**54 + 2, 0, -1]),
        ),
        min_size=1,
        max_size=8,
    ),
    st.sampled_from([1, 1, 2, 3, 8, 255, 256, 2**52, 2**1000, 2**1001, 3 * 2**10]),
)
def test_packed_integers_become_exact_floats_or_none(code: str, values: list, den: int) -> None:
    """:func:`barrier_f64.from_packed`: every ``n / d`` exactly (a point interval), or None; the
    integers clamped to the typecode's range (``-2^63`` too, whose absolute value overflows int64)."""
    import array

    limits = {"b": 7, "B": 8, "h": 15, "H": 16, "i": 31, "I": 32, "q": 63}
    bits = limits[code]
    low = 0 if code in "BHI" else -(2**bits)
    high = 2**bits - 1
    values = [min(max(v, low), high) for v in values]
    packed = barrier_f64.Packed(array.array(code, values), den, (len(values),))
    x = barrier_f64.from_packed(packed, (len(values), 1))
    if x is None:
        return
    for k, v in enumerate(values):
        assert float(x.lo[k, 0]) == float(x.hi[k, 0]) and Fraction(float(x.lo[k, 0])) == Fraction(v, den), (
            v,
            den,
        )


@FAST
@given(st.lists(BALLS, min_size=1, max_size=6))
def test_arb_products_become_float_intervals_holding_them_or_refuse(entries: list) -> None:
    """:func:`barrier_f64.from_balls` (the first layer's products from Arb): outward, or refused."""
    balls = [_ball(*e) for e in entries]
    try:
        x = barrier_f64.from_balls(arb_mat(len(balls), 1, balls))
    except ArithmeticError:
        return
    for k, b in enumerate(balls):
        assert Fraction(float(x.lo[k, 0])) <= _lower(b) and _upper(b) <= Fraction(float(x.hi[k, 0])), entries[
            k
        ]


def test_arb_balls_beyond_float64_are_refused() -> None:
    for bad in (arb("nan"), arb("inf"), arb(2) ** 1100, -(arb(2) ** 1024), arb(0, 1) * arb(2) ** 1100):
        with pytest.raises(ArithmeticError):
            barrier_f64.from_balls(arb_mat([[arb(1)], [bad]]))


def _interval(a: float, b: float) -> tuple[float, float]:
    return (a, b) if a <= b else (b, a)


INTERVALS = st.tuples(FLOATS, FLOATS).map(lambda p: _interval(*p))
SMALL_INTERVALS = st.tuples(MODERATE, st.sampled_from([0.0, 0.0, 5e-324, 1e-300, 1e-12, 0.5, 30.0])).map(
    lambda p: (p[0], p[0] + p[1]) if math.isfinite(p[0] + p[1]) else (p[0], p[0])
)


def _arb_points(pair: tuple[float, float], rng: random.Random) -> list[Fraction]:
    lo, hi = Fraction(pair[0]), Fraction(pair[1])
    return [
        lo,
        hi,
        (lo + hi) / 2,
        lo + (hi - lo) * Fraction(rng.randint(0, 1024), 1024),
    ]  # dyadic: exact in Arb


Pair = tuple[arb, arb]  # exact points below and above a value


def _times(a: Pair, b: Pair) -> Pair:
    """The product of two ranges given by exact ends (at 20,000 bits: a few ulps, outward)."""
    with flint.ctx.workprec(20000):
        corners = [x * y for x in a for y in b]
        return min(c.lower() for c in corners), max(c.upper() for c in corners)


def _tanh_jet_reference(x: Fraction, y: Fraction, w: Fraction) -> list[Pair]:
    """Exact ranges of ``(tanh x, (1 - tanh^2 x) y, (1 - tanh^2 x) (w - tanh(x) y^2))``: ``tanh`` at
    4,000 bits clamped to what is known (Arb cannot tell ``tanh(10^100)`` from 1), the rest as products
    of ranges."""
    f = _tanh(arb(_q(x)))
    f2 = _times(f, f)
    with flint.ctx.workprec(20000):
        d = ((1 - f2[1]).lower(), (1 - (f2[0] if f[0] > 0 or f[1] < 0 else arb(0))).upper())
        d = (d[0] if d[0] > 0 else arb(0), d[1] if d[1] < 1 else arb(1))
        yy, ww = arb(_q(y)), arb(_q(w))
        g = _times(f, (yy * yy, yy * yy))
        g = ((ww - g[1]).lower(), (ww - g[0]).upper())
    return [f, _times(d, (yy, yy)), _times(d, g)]


@FAST
@given(
    st.one_of(INTERVALS, SMALL_INTERVALS),
    st.one_of(INTERVALS, SMALL_INTERVALS),
    SMALL_INTERVALS,
    st.integers(0, 99),
)
def test_the_tanh_jet_holds_its_value_at_every_point_of_the_intervals(
    z0: tuple, z1: tuple, z2: tuple, seed: int
) -> None:
    """:func:`barrier_f64._tanh_jet` (``f``, ``f' z'``, ``f' (z''/2 - f z'^2)``) contains the jet at
    the ends, the midpoints and a random point of its argument intervals; overflow refused or infinite."""
    rng = random.Random(seed)
    args = [Interval(np.array([a]), np.array([b])) for a, b in (z0, z1, z2)]
    try:
        out = barrier_f64._tanh_jet(args[0], args[1], args[2])
    except ArithmeticError:
        return
    assert out[2] is not None
    for x, y, w in zip(_arb_points(z0, rng), _arb_points(z1, rng), _arb_points(z2, rng)):
        for k, (part, ref) in enumerate(zip(out, _tanh_jet_reference(x, y, w))):
            assert part is not None
            lo, hi = float(part.lo[0]), float(part.hi[0])
            if not (math.isfinite(lo) and math.isfinite(hi)):
                continue
            assert Fraction(lo) <= _lower(ref[0]) and _upper(ref[1]) <= Fraction(hi), (k, z0, z1, z2)
    assert barrier_f64._tanh_jet(args[0], args[1], None)[2] is None


COLUMNS = st.lists(
    st.one_of(FLOATS, st.floats(-800.0, 800.0), st.floats(-70.0, 70.0)), min_size=1, max_size=5
)


def _lse(values: list[Fraction]) -> arb:
    with flint.ctx.workprec(3000):
        return sum((arb(_q(v)).exp() for v in values), arb(0)).log()


@FAST
@given(COLUMNS)
def test_log_sum_exp_ends_bound_it(column: list) -> None:
    """:func:`barrier_f64._lse_end`: below and above ``log sum exp`` of a column (or refused)."""
    v = np.array(column)[:, None]
    ref = None
    for upper in (False, True):
        try:
            end = float(barrier_f64._lse_end(v, upper)[0])
        except ArithmeticError:
            continue
        if not math.isfinite(end):
            continue
        if ref is None:
            top = max(Fraction(x) for x in column)
            ref = _lse([Fraction(x) - top for x in column])  # shifted: exp of huge values in Arb
            ref_lo, ref_hi = _lower(ref) + top, _upper(ref) + top
        assert Fraction(end) <= ref_lo if not upper else ref_hi <= Fraction(end), (column, upper)


def _softmax(values: list[Fraction], k: int) -> tuple[Fraction, Fraction]:
    top = max(values)
    with flint.ctx.workprec(3000):
        e = [arb(_q(v - top)).exp() for v in values]
        p = e[k] / sum(e, arb(0))
    return _lower(p), _upper(p)


@FAST
@given(
    st.lists(
        st.one_of(INTERVALS, SMALL_INTERVALS, st.floats(-800, 800).map(lambda x: (x, x))),
        min_size=1,
        max_size=4,
    )
)
def test_probabilities_hold_softmax_at_the_extreme_corners(rows: list) -> None:
    """:func:`barrier_f64._probabilities`: ``p_k`` is smallest at ``(z_k lo, z_j hi)`` and largest at the
    opposite corner; the enclosure holds both (or the computation is refused)."""
    z = Interval(np.array([[a] for a, _ in rows]), np.array([[b] for _, b in rows]))
    try:
        p = barrier_f64._probabilities(z)
    except ArithmeticError:
        return
    if any(abs(v) > 1e4 for pair in rows for v in pair):
        return  # Arb's exp of the shifted values would be slow; the enclosure is within [0, 1] anyway
    for k in range(len(rows)):
        lo, hi = float(p.lo[k, 0]), float(p.hi[k, 0])
        small = [Fraction(rows[j][0] if j == k else rows[j][1]) for j in range(len(rows))]
        large = [Fraction(rows[j][1] if j == k else rows[j][0]) for j in range(len(rows))]
        assert Fraction(lo) <= _softmax(small, k)[0] and _softmax(large, k)[1] <= Fraction(hi), (rows, k)


@SLOW
@given(
    st.lists(st.tuples(SMALL_INTERVALS, SMALL_INTERVALS, SMALL_INTERVALS), min_size=1, max_size=3),
    st.lists(st.sampled_from([0, 1, Fraction(1, 3), Fraction(1, 2)]), min_size=3, max_size=3),
    st.integers(0, 99),
)
def test_cross_entropy_jets_hold_the_jet_at_points_of_the_intervals(rows: list, ys: list, seed: int) -> None:
    """:func:`barrier_f64._cross_entropy`: ``(sum y) LSE(z) - <y, z>`` and its first two Taylor
    coefficients along ``z(t) = z0 + z1 t + z2 t^2`` at points of the intervals, in Arb."""
    rng = random.Random(seed)
    m = len(rows)
    ys = ys[:m]
    z = [Interval(np.array([[r[i][0]] for r in rows]), np.array([[r[i][1]] for r in rows])) for i in range(3)]
    yv = Interval.point(np.array([[float(Fraction(y))] for y in ys]))
    weight = barrier_f64.f64.total(yv, axis=0)
    if not all(Fraction(float(v)) == Fraction(y) for v, y in zip(yv.lo[:, 0], ys)):
        yv = barrier_f64.f64.from_fractions([Fraction(y) for y in ys], (m, 1))
        weight = barrier_f64.f64.total(yv, axis=0)
    try:
        out = barrier_f64._cross_entropy(z[0], z[1], z[2], yv, weight)
    except ArithmeticError:
        return
    for _ in range(3):
        pts = [[rng.choice(_arb_points(r[i], rng)) for r in rows] for i in range(3)]
        with flint.ctx.workprec(3000):
            t = arb(0)
            z0 = [arb(_q(v)) for v in pts[0]]
            lse = _lse(pts[0])
            e = [v.exp() for v in z0]
            total = sum(e, arb(0))
            p = [v / total for v in e]
            y = [arb(_q(Fraction(v))) for v in ys]
            pz1 = sum((pk * arb(_q(v)) for pk, v in zip(p, pts[1])), t)
            pz1sq = sum((pk * arb(_q(v)) ** 2 for pk, v in zip(p, pts[1])), t)
            pz2 = sum((pk * arb(_q(v)) for pk, v in zip(p, pts[2])), t)
            sy = sum(y, t)
            refs = [
                sy * lse - sum((a * b for a, b in zip(y, z0)), t),
                sy * pz1 - sum((a * arb(_q(b)) for a, b in zip(y, pts[1])), t),
                sy * (pz2 + (pz1sq - pz1 * pz1) / 2) - sum((a * arb(_q(b)) for a, b in zip(y, pts[2])), t),
            ]
        for k, (part, ref) in enumerate(zip(out, refs)):
            assert part is not None
            lo, hi = float(part.lo[0]), float(part.hi[0])
            if math.isfinite(lo) and math.isfinite(hi):
                assert Fraction(lo) <= _lower(ref) and _upper(ref) <= Fraction(hi), (k, rows, ys)


@FAST
@given(st.lists(FLOATS, min_size=1, max_size=8))
def test_directed_row_sums_bound_the_exact_sum(values: list) -> None:
    """:func:`barrier_f64._directed_rows`: each addition rounded down (up): below (above) the sum."""
    x = np.array(values)[:, None]
    exact = sum(Fraction(v) for v in values)
    lo = float(barrier_f64._directed_rows(x, barrier_f64.down)[0])
    hi = float(barrier_f64._directed_rows(x, barrier_f64.up)[0])
    if math.isfinite(lo):
        assert Fraction(lo) <= exact
    if math.isfinite(hi):
        assert exact <= Fraction(hi)


# == barrier_f64: the jets along a segment of random MLPs =========================================

_TEMPLATES = {
    "ce": ((2, 3, 3), "tanh", "softmax", "cross_entropy"),
    "ce-deep": ((2, 3, 2, 3), "tanh", "softmax", "cross_entropy"),
    "mse": ((2, 3, 2), "tanh", "identity", "mse"),
    "sse-linear": ((2, 2, 1), "identity", "identity", "sse"),
}


def _template(name: str) -> dict:
    """A barrier certificate's record of the shape ``name`` (its points and data are replaced)."""
    if name not in _TEMPLATE_CACHE:
        widths, activation, output, kind = _TEMPLATES[name]
        net = MLP(widths, activation, output_activation=output)
        rng = random.Random(3)
        xs = [[Fraction(rng.randint(-8, 8), 8) for _ in range(widths[0])] for _ in range(4)]
        ys = [[int(k == i % widths[-1]) for k in range(widths[-1])] for i in range(4)]
        loss = Loss(net, Dataset(xs, ys), kind)
        result = certify_barrier(
            loss, net.random_point(1, scale=1), net.random_point(2, scale=1), tol=Fraction(1, 100)
        )
        _TEMPLATE_CACHE[name] = result.certificate().to_dict()
    return copy.deepcopy(_TEMPLATE_CACHE[name])


_TEMPLATE_CACHE: dict[str, dict] = {}

WEIGHTS = st.one_of(
    st.floats(-2.0, 2.0),
    st.sampled_from(
        [0.0, 5e-324, -1e-300, 2.0**-1060, 2.0**-600, 1 / 3, 19.5, -20.0, 64.0, 700.0, 1e10, 1e300]
    ),
)
DATA = st.sampled_from(["eighths", "255ths", "thirds", "huge-denominators", "large-integers", "tiny"])


def _data_value(kind: str, rng: random.Random) -> Fraction:
    return {
        "eighths": lambda: Fraction(rng.randint(-8, 8), 8),
        "255ths": lambda: Fraction(rng.randint(0, 255), 255),
        "thirds": lambda: Fraction(rng.randint(-6, 6), rng.choice([1, 3, 7])),
        "huge-denominators": lambda: Fraction(rng.randint(-(10**30), 10**30), 10**30 + 7),
        "large-integers": lambda: Fraction(rng.choice([2**19 - 1, -(2**20), 2**21 + 1, 3])),
        "tiny": lambda: Fraction(rng.choice([5e-324, 1e-300, 0.0, 1.0])),
    }[kind]()


def _layers(widths: tuple, values: list, scale: float) -> dict:
    out: dict[str, list] = {}
    k = 0
    for l in range(1, len(widths)):
        rows = []
        for _ in range(widths[l]):
            rows.append([str(Fraction(values[(k + j) % len(values)] * scale)) for j in range(widths[l - 1])])
            k += widths[l - 1]
        out[f"W{l}"] = rows
        out[f"b{l}"] = [str(Fraction(values[(k + j) % len(values)] * scale)) for j in range(widths[l])]
        k += widths[l]
    return out


def _statement(name: str, a: list, b: list, scale: float, data: str, seed: int) -> Statement:
    """A statement of shape ``name`` with points ``A``, ``B`` (``scale`` times the floats ``a``, ``b``)
    and data of the given kind (targets one-hot, soft or rational)."""
    record = _template(name)
    widths = tuple(record["network"]["widths"])
    rng = random.Random(seed)
    record["points"] = {"A": _layers(widths, a, scale), "B": _layers(widths, b, scale)}
    n = rng.randint(1, 5)
    xs = [[str(_data_value(data, rng)) for _ in range(widths[0])] for _ in range(n)]
    if record["loss"]["kind"] == "cross_entropy":
        ys = [
            [str(rng.choice([Fraction(0), Fraction(1), Fraction(1, 3)])) for _ in range(widths[-1])]
            for _ in range(n)
        ]
    else:
        ys = [[str(Fraction(rng.randint(-4, 4), 4)) for _ in range(widths[-1])] for _ in range(n)]
    record["data"] = {"xs": xs, "ys": ys}
    return Statement(record)


def _inside_pair(fast: tuple[Fraction, Fraction], ref: tuple[Fraction, Fraction]) -> bool:
    return fast[0] <= ref[0] and ref[1] <= fast[1]


SEGMENTS = st.tuples(
    st.sampled_from(sorted(_TEMPLATES)),
    st.lists(WEIGHTS, min_size=3, max_size=30),
    st.lists(WEIGHTS, min_size=3, max_size=30),
    st.sampled_from([1.0, 1.0, 4.0, 2.0**-30]),
    DATA,
    st.integers(0, 2**32),
)


@SLOW
@given(SEGMENTS, st.booleans())
def test_path_jets_hold_arb_s_jets_at_points_and_over_pieces(case: tuple, arb_first: bool) -> None:
    """:class:`barrier_f64.PathJets`: ``phi``, ``phi'`` at exact ``t`` hold Arb's (1,200 bits); over a
    piece ``[t0, t1]`` the box jet holds Arb's ``phi``, ``phi'``, ``phi''/2`` at its ends, its midpoint
    and a point inside. Random weights (tanh saturation, subnormals, zeros, overflow), data of every
    kind the first layer reads (exact split products, widened rationals); the first layer's products
    from float64 or, with ``arb_first``, from Arb's 106-bit balls. Refusals (``ArithmeticError``) pass."""
    name, a, b, scale, data, seed = case
    s = _statement(name, a, b, scale, data, seed)
    rng = random.Random(seed)
    try:
        jets = barrier_f64.PathJets(s)
        if arb_first:
            jets.keep_first(*barrier._first_products(s))
    except ArithmeticError:
        return
    ref = barrier._ArbJets(s)
    ts = [
        Fraction(0),
        Fraction(1),
        Fraction(rng.randint(1, 999), 1000),
        Fraction(rng.randint(0, 2**20), 2**20),
    ]
    with flint.ctx.workprec(1200):
        for t in ts:
            try:
                fast = jets.point(t)
            except ArithmeticError:
                continue
            exact = ref.point(t)
            for k in range(2):
                assert _inside_pair(fast[k], exact[k]), (k, t, name, a, b, scale, data)
        t0, t1 = sorted(ts[2:])
        if t0 == t1:
            return
        try:
            box = jets.box(t0, t1)
        except ArithmeticError:
            return
        for t in (t0, t1, (t0 + t1) / 2, t0 + (t1 - t0) * Fraction(rng.randint(0, 64), 64)):
            exact = ref.point(t)
            for k in range(3):
                assert _inside_pair(box[k], exact[k]), (k, t, (t0, t1), name, a, b, scale, data)


@SLOW
@given(SEGMENTS)
def test_the_first_layer_s_exact_products_hold_the_exact_ones(case: tuple) -> None:
    """:func:`barrier_f64._first_exactly`: ``[W_A | b_A] [X; 1]`` and ``[D | db] [X; 1]`` against exact
    rationals (when the data are ``K / q`` and the weights floats; None otherwise)."""
    name, a, b, scale, data, seed = case
    s: Any = _statement(name, a, b, scale, data, seed)
    try:
        start = [(barrier_f64._matrix(w), barrier_f64._column(c)) for w, c in s.A]
        end = [(barrier_f64._matrix(w), barrier_f64._column(c)) for w, c in s.B]
        found = barrier_f64._first_exactly(s, start[0], end[0])
    except ArithmeticError:
        return
    if found is None:
        return
    (wa, ba), (wb, bb) = s.A[0], s.B[0]
    for product, (w, c) in zip(
        found,
        (
            (wa, ba),
            ([[y - x for x, y in zip(r, q)] for r, q in zip(wa, wb)], [y - x for x, y in zip(ba, bb)]),
        ),
    ):
        for i, row in enumerate(w):
            for j, x in enumerate(s.xs):
                exact = sum((u * v for u, v in zip(row, x)), Fraction(0)) + c[i]
                lo, hi = float(product.lo[i, j]), float(product.hi[i, j])
                if math.isfinite(lo) and math.isfinite(hi):
                    assert _in(lo, hi, exact), (i, j, name, data)


# == whole certificates: claims moved 2^-2000 inwards or just past the true value ==================


def _barrier_record(form: str) -> dict:
    """A proved barrier between a 2-3-3 tanh network under cross-entropy and its hidden units permuted
    (a barrier above 0: the witness is checked), every piece decided by the float64 rung."""
    from symcert.symbolic.permutations import permutation

    rng = random.Random(1)
    widths = (2, 3, 3)
    net = MLP(widths, "tanh", output_activation="softmax")
    xs = [[Fraction(rng.randint(-8, 8), 8) for _ in range(2)] for _ in range(6)]
    ys = [[int(k == c) for k in range(3)] for c in [rng.randrange(3) for _ in range(6)]]
    A = net.random_point(1, scale=2)
    result = certify_barrier(
        Loss(net, Dataset(xs, ys), "cross_entropy"),
        A,
        permutation(1, [1, 2, 0])(A),
        tol=Fraction(1, 1000),
        form=form,
    )
    assert result.status == "proved" and result.lo > 0
    return result.certificate().to_dict()


@pytest.fixture(scope="module", params=["entezari", "midpoint"])
def barrier_record(request) -> dict:
    return _barrier_record(request.param)


def _all_on_float64(result: Any, record: dict) -> bool:
    return f"verified float64 on {len(record['parameters']['pieces'])} pieces" in result.reasons[-1]


def _rejected(record: dict, phrase: str) -> None:
    result = check(record)
    assert not result.accepted, result.reasons
    assert any(phrase in r for r in result.reasons), result.reasons


def _with(record: dict, change) -> dict:
    out = copy.deepcopy(record)
    change(out)
    return out


def _set_enclosure(name: str, low: Fraction, high: Fraction):
    return lambda r: r["enclosures"].__setitem__(name, [str(low), str(high)])


@pytest.mark.parametrize("name", ["L(A)", "L(B)"])
def test_barrier_end_claims_one_step_past_the_value_are_rejected(barrier_record: dict, name: str) -> None:
    """``L(A)``/``L(B)``: the float64 rung's own enclosure is accepted as it is (the rung's ends are used);
    moved ``2^-2000`` inwards, Arb decides (accepted, its enclosure inside); just past Arb's enclosure of
    the true value on either side, rejected."""
    genuine = check(barrier_record)
    assert genuine.accepted and _all_on_float64(genuine, barrier_record), genuine.reasons
    s: Any = Statement(barrier_record)
    fast = barrier.first_rung(s)
    assert fast is not None
    low, high = _ends(s, fast)[name]  # the float64 rung's enclosure
    tight = check(_with(barrier_record, _set_enclosure(name, low, high)))
    assert tight.accepted and _all_on_float64(tight, barrier_record) and tight.enclosures[name] == (low, high)
    for _ in range(3):  # the rung's second pass (Arb's first-layer products) may decide a nudged claim
        nudged = check(_with(barrier_record, _set_enclosure(name, low + DELTA, high)))
        assert nudged.accepted, nudged.reasons
        a, b = nudged.enclosures[name]
        if b - a < (high - low) / 1000:
            break  # Arb's
        assert low < a and b <= high  # the tighter float64 pass: nudge its enclosure in turn
        low, high = a, b
    else:
        pytest.fail(f"the float64 rung decides a claim nudged inside its own enclosure of {name}")
    for inner in ((low + DELTA, high), (low, high - DELTA)):
        nudged = check(_with(barrier_record, _set_enclosure(name, *inner)))
        assert nudged.accepted, nudged.reasons
        a, b = nudged.enclosures[name]  # Arb's
        assert inner[0] <= a <= b <= inner[1] and b - a < (high - low) / 1000
    for beyond in ((b + DELTA, high), (low, a - DELTA), (b + DELTA, b + 2 * DELTA)):
        _rejected(_with(barrier_record, _set_enclosure(name, *beyond)), "does not contain the recomputed one")


def _ends(s: Any, fast: Any) -> dict[str, tuple[Fraction, Fraction]]:
    """The float64 rung's ``L(A)``, ``L(B)`` (inside the claimed enclosures)."""
    found = barrier._ends_f64(s, fast)
    assert found is not None
    return found


def _arb_g(s: Any, t: Fraction) -> tuple[Fraction, Fraction]:
    """Bounds of ``g(t) = phi(t) - chord(t)`` at 1,200 bits (the chord from Arb's ``L(A)``, ``L(B)``)."""
    ref = barrier._ArbJets(s)
    with flint.ctx.workprec(1200):
        (pa, _), (pb, _), (p, _) = ref.point(Fraction(0))[:2], ref.point(Fraction(1))[:2], ref.point(t)[:2]
    chord = (lambda u, v: (u + v) / 2) if s.form == "midpoint" else (lambda u, v: (1 - t) * u + t * v)
    return p[0] - chord(pa[1], pb[1]), p[1] - chord(pa[0], pb[0])


def test_a_barrier_lower_bound_one_step_past_g_at_the_witness_is_rejected(
    barrier_record: dict, monkeypatch
) -> None:
    """The claimed lower bound of the barrier: the float64 rung's lower bound of ``g`` at the witness is
    accepted as it is; ``2^-2000`` above it, Arb decides; ``2^-2000`` above Arb's upper bound of
    ``g(witness)`` (so above its true value), rejected."""
    s: Any = Statement(barrier_record)
    fast = barrier.first_rung(s)
    assert fast is not None
    own = barrier._witness_low(s, fast, _ends(s, fast))
    assert own is not None and own > 0
    hi = Fraction(barrier_record["enclosures"]["barrier"][1])

    def low(value: Fraction):
        return lambda r: r["enclosures"]["barrier"].__setitem__(0, str(value))

    arb_point = barrier._ArbJets.point_at
    calls: list[Fraction] = []

    def spy(self: Any, t: Fraction) -> list:
        calls.append(t)
        return arb_point(self, t)

    monkeypatch.setattr(barrier._ArbJets, "point_at", spy)
    assert check(_with(barrier_record, low(own))).accepted and not calls  # float64 alone
    assert (
        check(_with(barrier_record, low(own + DELTA))).accepted and s.witness in calls
    )  # Arb at the witness
    g_lo, g_hi = _arb_g(s, s.witness)
    assert own <= g_lo <= g_hi < hi and g_hi - g_lo < Fraction(1, 2**600)
    _rejected(_with(barrier_record, low(g_hi + DELTA)), "at the witness")


def _f64_piece_bound(s: Any, fast: Any, t0: Fraction, t1: Fraction) -> Fraction:
    """The float64 rung's upper bound of ``g`` on ``[t0, t1]``, as :func:`barrier._verify` forms it
    (smooth loss: the box value, the mean-value form and the Taylor form, each less the chord), its jets
    made as there: every piece's ends, then every piece, in batches (``PathJets.prefetch``)."""
    found = _ends(s, fast)
    fast.prefetch([t for p in s.pieces for t in p[:2]], [(p[0], p[1]) for p in s.pieces])
    la_lo, lb_lo = found["L(A)"][0], found["L(B)"][0]

    def low(t: Fraction) -> Fraction:
        return (la_lo + lb_lo) / 2 if s.form == "midpoint" else (1 - t) * la_lo + t * lb_lo

    rise = Fraction(0) if s.form == "midpoint" else lb_lo - la_lo

    def value_at(t: Fraction) -> tuple:
        value, slope = fast.point(t)
        if t in (0, 1):
            value = (value[0], min(value[1], found["L(A)" if t == 0 else "L(B)"][1]))
        return value, slope

    (v0, p0), (v1, p1) = value_at(t0), value_at(t1)
    u0, u1 = v0[1] - low(t0), v1[1] - low(t1)
    value, slope, bend = fast.box(t0, t1)
    return min(
        value[1] - min(low(t0), low(t1)),
        barrier.two_sided(u0, slope[1] - rise, u1, slope[0] - rise, Fraction(0), t1 - t0),
        barrier.two_sided(u0, p0[1] - rise, u1, p1[0] - rise, 2 * bend[1], t1 - t0),
    )


def test_piece_bounds_one_step_below_g_inside_the_piece_are_rejected(barrier_record: dict) -> None:
    """A piece's claimed upper bound of ``g``: the float64 rung's own bound is accepted on float64 alone;
    ``2^-2000`` below it, still accepted (bisection or Arb); ``2^-2000`` below Arb's lower bound of
    ``g`` at a point of the piece (so below its true value there), rejected."""
    s: Any = Statement(barrier_record)
    fast = barrier.first_rung(s)
    assert fast is not None
    pieces = barrier_record["parameters"]["pieces"]
    k = max(range(len(pieces)), key=lambda i: Fraction(pieces[i][2]))  # the highest piece
    t0, t1 = Fraction(pieces[k][0]), Fraction(pieces[k][1])
    own = _f64_piece_bound(s, fast, t0, t1)
    assert own <= Fraction(pieces[k][2])

    def bound(value: Fraction):
        return lambda r: r["parameters"]["pieces"][k].__setitem__(2, str(value))

    tight = check(_with(barrier_record, bound(own)))
    assert tight.accepted and _all_on_float64(tight, barrier_record), tight.reasons
    inner = check(_with(barrier_record, bound(own - DELTA)))
    assert inner.accepted, inner.reasons
    # not decided on the whole piece by float64 (it would count 1 there), but on its two halves
    assert f"verified float64 on {len(pieces) + 1} pieces or halves" in inner.reasons[-1], inner.reasons
    for t in (t0, (t0 + t1) / 2, t1, t0 + (t1 - t0) / 3):
        g_lo, g_hi = _arb_g(s, t)
        assert g_hi <= own
        _rejected(_with(barrier_record, bound(g_lo - DELTA)), "above its claimed upper bound")


@pytest.fixture(scope="module")
def saddle_record() -> dict:
    from symcert.symbolic.saddle_example import saddle_example

    example = saddle_example()
    result = certify_saddle(example.loss, example.approx, example.layer, example.unit, example.lam)
    return json.loads(result.certificate().to_json())


@pytest.mark.parametrize("name", ["lambda_min", "lambda_min_positive"])
def test_saddle_eigenvalue_claims_one_step_past_the_value_are_rejected(
    saddle_record: dict, name: str, monkeypatch
) -> None:
    """``lambda_min``/``lambda_min_positive`` (the float64 residual bounds of :func:`saddle_f64.pinned`,
    pinned by the float64 inertia): the rung's own enclosure is accepted on the float64 pass with no Arb
    residual bound; moved ``2^-2000`` inwards on either side, Arb's residual bounds decide (accepted,
    inside); just past Arb's enclosure (which holds the eigenvalue at the exact critical point), rejected."""
    genuine = check(saddle_record)
    assert genuine.accepted, genuine.reasons
    low, high = genuine.enclosures[name]  # the float64 rung's
    arb_pinned = saddle._pinned
    calls: list[int] = []

    def spy(*args: Any) -> dict:
        calls.append(1)
        return arb_pinned(*args)

    monkeypatch.setattr(saddle, "_pinned", spy)
    tight = check(_with(saddle_record, _set_enclosure(name, low, high)))
    assert tight.accepted and tight.enclosures[name] == (low, high) and not calls, tight.reasons
    a, b = low, high
    for inner in ((low + DELTA, high), (low, high - DELTA)):
        nudged = check(_with(saddle_record, _set_enclosure(name, *inner)))
        assert nudged.accepted and calls, nudged.reasons
        a, b = nudged.enclosures[name]  # Arb's
        assert inner[0] <= a <= b <= inner[1] and (a, b) != (low, high)
    for beyond in ((b + DELTA, high), (low, a - DELTA), (b + DELTA, b + 2 * DELTA)):
        _rejected(_with(saddle_record, _set_enclosure(name, *beyond)), "does not contain the recomputed one")
