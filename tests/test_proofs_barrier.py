"""certify_barrier: enclosures against an independent 50-digit grid, caps, exact zeros, alignment."""

from __future__ import annotations

import time
from fractions import Fraction

import mpmath
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from symcert import MLP, Dataset, Loss, SpecificationError, align, certify_barrier, check, swap
from symcert.symbolic.examples import default_example, default_teacher_loss
from symcert.symbolic.permutations import permutation


def _mp_forward(net: MLP, values: list, x) -> list:
    """A one-hidden-layer tanh network at the working precision (plain mpmath loops, no symcert)."""
    n_in, n_h, n_out = net.widths
    k = 0
    W1 = [[values[k + i * n_in + j] for j in range(n_in)] for i in range(n_h)]
    k += n_h * n_in
    b1 = values[k : k + n_h]
    k += n_h
    W2 = [[values[k + i * n_h + j] for j in range(n_h)] for i in range(n_out)]
    k += n_out * n_h
    b2 = values[k : k + n_out]
    h = [
        mpmath.tanh(sum(W1[i][j] * mpmath.mpf(x[j].p) / x[j].q for j in range(n_in)) + b1[i])
        for i in range(n_h)
    ]
    return [sum(W2[o][j] * h[j] for j in range(n_h)) + b2[o] for o in range(n_out)]


def _mp_loss(loss: Loss, values: list, teacher: list) -> mpmath.mpf:
    """The mse/sse on teacher data: targets are the teacher's outputs."""
    net = loss.mlp
    total = mpmath.mpf(0)
    for x in loss.data.xs:
        outs, targets = _mp_forward(net, values, x), _mp_forward(net, teacher, x)
        total += sum((o - y) ** 2 for o, y in zip(outs, targets))
    scale = len(loss.data.xs) * net.widths[-1] if loss.kind == "mse" else 1
    return total / scale


def grid_maximum(loss: Loss, A, B) -> mpmath.mpf:
    """max_t L((1-t)A + tB) on 401 points, refined by a finer grid around the best, at 50 digits."""
    with mpmath.workdps(50):
        a = [mpmath.mpf(v.p) / v.q for v in A.values]
        b = [mpmath.mpf(v.p) / v.q for v in B.values]
        teacher = [mpmath.mpf(v.p) / v.q for v in loss.data.teacher_of.point.values]

        def phi(t):
            return _mp_loss(loss, [(1 - t) * x + t * y for x, y in zip(a, b)], teacher)

        ts = [mpmath.mpf(i) / 400 for i in range(401)]
        best = max(ts, key=phi)
        fine = [best + (mpmath.mpf(i) / 400 - mpmath.mpf(1) / 2) / 200 for i in range(401)]
        return max(phi(t) for t in fine if 0 <= t <= 1)


def teacher_cases():
    example = default_example()
    yield example.loss, example.teacher, example.element(example.teacher)
    net = MLP((2, 3, 1), "tanh")
    loss = default_teacher_loss(net, "sse")
    teacher = loss.data.teacher_of.point
    yield loss, teacher, permutation(1, [2, 0, 1])(teacher)


@pytest.mark.parametrize("case", list(teacher_cases()), ids=["default", "2-3-1"])
def test_teacher_barrier_contains_the_50_digit_grid_maximum(case):
    loss, A, B = case
    tol = Fraction(1, 1000)
    result = certify_barrier(loss, A, B, tol=tol)
    assert result.status == "proved" and result.hi - result.lo <= tol
    peak = grid_maximum(loss, A, B)  # L(A) = L(B) = 0: the barrier is max L on the segment
    assert result.hi >= Fraction(str(mpmath.nstr(peak, 40)))
    assert result.lo <= Fraction(str(mpmath.nstr(peak, 40))) + Fraction(1, 10**8)  # grid error is tiny
    assert result.lo > 0
    assert result.maximiser[0] <= result.witness <= result.maximiser[1]
    # the pieces partition [0, 1] and every maximiser lies in the reported interval
    assert result.pieces[0][0] == 0 and result.pieces[-1][1] == 1
    assert all(p[1] == q[0] for p, q in zip(result.pieces, result.pieces[1:]))
    assert check(result.certificate().to_dict()).accepted


def test_midpoint_form_and_round_trip():
    loss, A, B = next(teacher_cases())
    entezari = certify_barrier(loss, A, B)
    midpoint = certify_barrier(loss, A, B, form="midpoint")
    # L(A) = L(B) = 0: both forms have the same barrier
    assert midpoint.lo <= entezari.hi and entezari.lo <= midpoint.hi
    for result in (entezari, midpoint):
        record = result.certificate().to_dict()
        assert record["kind"] == "barrier" and record["parameters"]["form"] == result.form
        assert check(record).accepted, check(record).reasons


def test_B_equal_to_A_is_exactly_zero():
    loss, A, _ = next(teacher_cases())
    result = certify_barrier(loss, A, A)
    assert result.exact and (result.lo, result.hi) == (0, 0) and result.status == "proved"
    assert "exactly" in result.summary()
    assert check(result.certificate().to_dict()).accepted


def relu_pieces():
    """g = 0 on [0, 1/2] exactly, ((1-t)(2t-1))^2 after it: the barrier is 1/64 at t = 3/4."""
    net = MLP((1, 1, 1), "relu")
    loss = Loss(net, Dataset([[1]], [[0]]), "sse")
    A = net.point(W1=[[-1]], b1=[0], W2=[[1]], b2=[0])
    B = net.point(W1=[[1]], b1=[0], W2=[[0]], b2=[0])
    return loss, A, B


def test_barrier_zero_on_part_of_the_segment_ends_within_the_cap():
    loss, A, B = relu_pieces()
    start = time.perf_counter()
    capped = certify_barrier(loss, A, B, tol=Fraction(1, 10**40), max_pieces=40)
    assert time.perf_counter() - start < 30
    assert capped.status == "undecided" and capped.n_pieces <= 40
    assert capped.lo <= Fraction(1, 64) <= capped.hi  # still rigorous at the cap
    assert not check(capped.certificate().to_dict()).accepted  # only proved claims are accepted
    timed = certify_barrier(loss, A, B, tol=Fraction(1, 10**40), max_seconds=0.2)
    assert timed.status == "undecided" and timed.lo <= Fraction(1, 64) <= timed.hi
    done = certify_barrier(loss, A, B, tol=Fraction(1, 10**3))
    assert done.status == "proved" and done.lo <= Fraction(1, 64) <= done.hi
    assert Fraction(3, 4) >= done.maximiser[0] and done.maximiser[1] >= Fraction(3, 4)
    assert check(done.certificate().to_dict()).accepted


def test_constant_but_distinct_path_is_certified_zero():
    loss, A, _ = relu_pieces()
    net = loss.mlp
    A = net.point(W1=[[-1]], b1=[0], W2=[[0]], b2=[0])
    B = net.point(W1=[[1]], b1=[0], W2=[[0]], b2=[0])
    result = certify_barrier(loss, A, B, tol=Fraction(1, 10**12))
    assert result.lo == 0 and result.hi <= Fraction(1, 10**12) and result.n_pieces <= 8


def test_aligned_barrier_is_exactly_zero():
    net = MLP((1, 2, 1), "tanh")
    teacher = net.point(W1=[[1], [-2]], b1=[0, "1/2"], W2=[[1, 3]], b2=[0])
    loss = Loss(net, Dataset.teacher(net, teacher, [[-1], [0], [1]]), "mse")
    result = align(teacher, swap(1, 0, 1)(teacher), target=loss).certify_barriers(loss, tol=Fraction(1, 100))
    assert result.barrier_after.exact and result.barrier_after.hi == 0
    assert result.barrier_before.lo > Fraction(1, 10) and result.barrier_before.status == "proved"


def test_bad_input_is_rejected():
    loss, A, B = next(teacher_cases())
    with pytest.raises(SpecificationError, match="form must be one of"):
        certify_barrier(loss, A, B, form="chord")
    with pytest.raises(SpecificationError, match="tol must be > 0"):
        certify_barrier(loss, A, B, tol=0)
    with pytest.raises(SpecificationError, match="max_pieces"):
        certify_barrier(loss, A, B, max_pieces=0)
    other = MLP((1, 3, 1), "tanh").random_point(1)
    with pytest.raises(SpecificationError, match="points of the loss's network"):
        certify_barrier(loss, A, other)


@settings(max_examples=60, deadline=None)
@given(
    st.fractions(-5, 5, max_denominator=16),
    st.fractions(-5, 5, max_denominator=16),
    st.fractions(-8, 8, max_denominator=16),
    st.fractions(Fraction(1, 16), 2, max_denominator=16),
)
@example(Fraction(0), Fraction(0), Fraction(-2), Fraction(1))
@example(Fraction(1), Fraction(-3), Fraction(0), Fraction(1))
def test_two_sided_taylor_is_exact_on_quadratics(c0, c1, c2, w):
    # g(s) = c0 + c1 s + c2 s^2 has g'' = 2 c2 exactly: both expansions are g itself, so the bound is max g.
    from symcert.numeric.barrier_bounds import two_sided

    def g(s):
        return c0 + c1 * s + c2 * s * s

    candidates = [Fraction(0), w] + ([-c1 / (2 * c2)] if c2 and 0 < -c1 / (2 * c2) < w else [])
    exact = max(g(s) for s in candidates)
    assert two_sided(g(0), c1, g(w), c1 + 2 * c2 * w, 2 * c2, w) == exact
    # a larger M, or looser slopes, never give less (each side stays an upper bound)
    assert two_sided(g(0), c1 + 1, g(w), c1 + 2 * c2 * w - 1, 2 * c2 + 1, w) >= exact


def test_barrier_certificates_render_as_latex_and_coq():
    ex = default_example()
    cert = certify_barrier(ex.loss, ex.teacher, ex.element(ex.teacher), tol=Fraction(1, 100)).certificate()
    text = cert.to_latex(digits=6)
    assert r"\begin{theorem}[Loss barrier]" in text and text.count("]$: $") == len(cert.parameters["pieces"])
    lo = cert.enclosures["barrier"][0]
    assert r"\left[4.14896,\ 4.14897\right]" in text and lo > Fraction(414896, 10**5)
    assert r"\in \left[4.1489660,\ 4.1489661\right]" in cert._repr_latex_()
    coq = cert.to_coq()  # compiled by coqc in tests/test_coq_barrier.py
    assert "Theorem barrier_bounds :" in coq and coq.count("Lemma piece_") == len(cert.parameters["pieces"])


def test_a_large_problem_refines_its_first_partition_until_tol(monkeypatch):
    """A large problem starts from 16 pieces; branch and bound must split the one of largest claim
    (a heap of the 16), not stop as soon as the first piece's claim is below the lower bound."""
    import symcert.numeric.barrier_bounds as barrier_bounds

    example = default_example()
    A = example.teacher
    monkeypatch.setattr(barrier_bounds, "LARGE_ENTRIES", 1)  # the default example counts as large
    for tol in (Fraction(1, 10**3), Fraction(1, 10**7)):
        result = certify_barrier(example.loss, A, example.element(A), tol=tol)
        assert result.status == "proved" and result.hi - result.lo <= tol, (tol, result.hi - result.lo)
    capped = certify_barrier(example.loss, A, example.element(A), tol=Fraction(1, 10**30), max_pieces=20)
    assert capped.status == "undecided" and capped.hi - capped.lo > Fraction(1, 10**30)
