"""The batched engine: every rung encloses the 100-digit mpmath reference; the ladder; boxes; layouts."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import example, given, settings
from hypothesis import strategies as st

from symcert import MLP, Dataset, Loss, certify_nonconvexity, swap
from symcert.numeric.contexts import interval_context, lower, upper
from symcert.numeric.engine.api import (
    combine,
    jet_bounds,
    loss_bounds,
    loss_range,
    losses_bounds,
    point_layout,
    segment_range,
)
from symcert.numeric.engine.backends import ArbBackend, F64Backend
from symcert.numeric.engine.ladder import decide_on_rungs
from symcert.numeric.evaluation import loss_in
from symcert.numeric.segment import segment_in

R = sympy.Rational
ACTIVATIONS = ["identity", "tanh", "sigmoid", "relu", "leaky_relu:1/3", "softplus", "square", "cube"]
SMOOTH = ["identity", "tanh", "sigmoid", "softplus", "square", "cube"]
KINDS = [
    ("mse", "identity"),
    ("sse", "identity"),
    ("mse", "sigmoid"),
    ("sse", "softmax"),
    ("bce", "sigmoid"),
    ("cross_entropy", "softmax"),
]
SMALL = st.fractions(-2, 2, max_denominator=5)
RUNGS = (F64Backend(), ArbBackend(30))


@st.composite
def problems(draw, activations=ACTIVATIONS):
    """A network (depth 1-3), a loss of every kind (with or without weight decay), exact data and point."""
    kind, output = draw(st.sampled_from(KINDS))
    hidden = draw(st.lists(st.integers(1, 3), min_size=0, max_size=2))
    m = 2 if output == "softmax" else draw(st.integers(1, 2))
    widths = (draw(st.integers(1, 3)), *hidden, m)
    net = MLP(widths, draw(st.sampled_from(activations)), output_activation=output)
    n = draw(st.integers(1, 4))
    xs = [[draw(SMALL) for _ in range(widths[0])] for _ in range(n)]
    if kind == "bce":
        ys = [[draw(st.fractions(0, 1, max_denominator=4)) for _ in range(m)] for _ in range(n)]
    elif kind == "cross_entropy":
        ys = [[p, 1 - p] for p in (draw(st.fractions(0, 1, max_denominator=4)) for _ in range(n))]
    else:
        ys = [[draw(SMALL) for _ in range(m)] for _ in range(n)]
    loss = Loss(net, Dataset(xs, ys), kind, draw(st.sampled_from([0, Fraction(1, 10)])))
    scale = draw(st.sampled_from([1, 1, 1, 1000, Fraction(1, 10**30), 0]))  # huge, tiny, zero weights
    point = net.point_from_values([draw(SMALL) * scale for _ in range(net.n_parameters)])
    return loss, point


def _inside(bounds, reference):
    """The engine's endpoints enclose the 100-digit reference interval's (1e-95 wide) contents."""
    lo, hi = bounds
    return R(lo.numerator, lo.denominator) <= upper(reference) and lower(reference) <= R(
        hi.numerator, hi.denominator
    )


def _kink_problem():
    # ReLU pre-activations exactly 0 at the data points: w x + b = 1 * 1 + (-1) = 0.
    net = MLP((1, 2, 1), "relu")
    loss = Loss(net, Dataset([[1], [R(1, 2)]], [[1], [0]]), "mse")
    return loss, net.point(W1=[[1], [2]], b1=[-1, -1], W2=[[3, -1]], b2=[0])


def _overflow_problem(kind, output):
    # Pre-activations near 800: exp overflows float64, the log-sum-exp and softplus must not.
    net = MLP((1, 2, 2), "softplus", output_activation=output)
    ys = [[R(1, 3), R(2, 3)]]
    return Loss(net, Dataset([[1]], ys), kind), net.point(
        W1=[[800], [-800]], b1=[0, 1], W2=[[1, -1], [2, 1]], b2=[0, 0]
    )


@settings(max_examples=40)
@given(problems())
@example(_kink_problem())
@example(_overflow_problem("cross_entropy", "softmax"))
@example(_overflow_problem("bce", "sigmoid"))
@example(_overflow_problem("sse", "softmax"))
def test_every_rung_encloses_the_100_digit_reference(problem):
    loss, point = problem
    reference = loss_in(interval_context(100), loss, point.values)
    extreme = max(abs(v) for v in point.values) >= 1000
    for bk in RUNGS:
        try:
            bounds = loss_bounds(bk, loss, point_layout(point))
        except ArithmeticError:  # a rung may decline (unbounded) on extreme inputs, never be wrong
            assert extreme, bk.name
            continue
        assert _inside(bounds, reference), (bk.name, bounds, reference)
        if bk.name == "arb" and not extreme:
            lo, hi = bounds
            assert hi - lo <= Fraction(1, 10**20) * max(1, abs(lo))  # tight, not merely valid


@settings(max_examples=25)
@given(problems(SMOOTH), st.lists(SMALL, min_size=60, max_size=60), st.fractions(-1, 2, max_denominator=7))
def test_every_rung_encloses_the_reference_jets_along_a_segment(problem, entries, t):
    loss, A = problem
    B = loss.mlp.point_from_values(entries[: loss.mlp.n_parameters])
    reference = segment_in(
        interval_context(100), loss, A.values, A.direction(B), R(t.numerator, t.denominator)
    )
    layouts = (combine(point_layout(A), point_layout(B), t), combine(point_layout(A), point_layout(B), 1, -1))
    for bk in RUNGS:
        try:
            found = jet_bounds(bk, loss, *layouts)
        except ArithmeticError:  # declining is allowed on extreme inputs only
            assert max(abs(v) for v in A.values) >= 1000, bk.name
            continue
        for bounds, ref in zip(found, reference):
            assert _inside(bounds, ref), (bk.name, bounds, ref)


def test_stacked_points_give_the_same_enclosures_as_one_at_a_time():
    net = MLP((3, 4, 2), "tanh", output_activation="softmax")
    loss = Loss(net, Dataset([[1, 2, 3], [0, -1, R(1, 3)]], [[1, 0], [R(1, 4), R(3, 4)]]), "cross_entropy")
    layouts = [point_layout(net.random_point(s)) for s in range(3)]
    together = losses_bounds(F64Backend(), loss, layouts)
    for lay, bounds in zip(layouts, together):
        reference = loss_in(interval_context(60), loss, [*_flat(lay)])
        assert _inside(bounds, reference)


def _flat(layout):
    for layer in layout.layers:
        yield from (R(int(n), layer.W.den) for n in layer.W.num.ravel())
        yield from (R(int(n), layer.b.den) for n in layer.b.num.ravel())


def test_the_ladder_escalates_exactly_when_a_rung_cannot_decide():
    seen = []

    def compute(bk):
        seen.append((bk.name, bk.dps))
        width = Fraction(1, 10**12) if bk.name == "float64" else Fraction(1, 10 ** (bk.dps - 5))
        value = Fraction(1, 10**20)
        return {"x": (value - width, value + width)}

    decision, found = decide_on_rungs(compute, "x", ">", (30, 60))
    assert seen == [("float64", 15), ("arb", 30)]  # float64 could not decide, Arb at 30 digits could
    assert (decision.status, decision.rung, decision.dps) == ("proved", "arb", 30)
    assert found["x"][0] > 0
    seen.clear()
    decision, _ = decide_on_rungs(
        lambda bk: compute(bk) if bk.name == "arb" else {"x": (1, 2)}, "x", ">", (30,)
    )
    assert decision.rung == "float64" and seen == []  # decided on the first rung: nothing else runs


def test_a_barrier_below_float64_resolution_is_decided_by_arb():
    net = MLP((1, 2, 1), "tanh")
    loss = Loss(net, Dataset([[1], [-1], [2]], [[1], [0], [1]]), "mse")
    eps = R(1, 10**9)
    A = net.point(W1=[[2], [2 + eps]], b1=[0, eps], W2=[[1, 1 - eps]], b2=[0])  # B - A is about 1e-9
    certificate = certify_nonconvexity(loss, A, element=swap(1, 0, 1), dps=50)
    assert certificate.decision.rung == "arb" and certificate.status in ("proved", "refuted")
    assert certificate.decision.dps == 50


def test_a_true_zero_is_never_proved():
    net = MLP((1, 2, 1), "tanh")
    loss = Loss(net, Dataset([[1], [-1]], [[1], [0]]), "mse")
    fixed = net.point(W1=[[1], [1]], b1=[0, 0], W2=[[2, 2]], b2=[0])  # the swap maps it to itself
    for kind in ("chord", "curvature", "hessian"):
        certificate = certify_nonconvexity(loss, fixed, element=swap(1, 0, 1), kind=kind, dps=30)
        assert certificate.status != "proved"
    chord = certify_nonconvexity(loss, fixed, element=swap(1, 0, 1), dps=30)
    assert chord.status == "undecided"
    assert (chord.decision.rung, chord.decision.dps) == ("arb", 120)  # the whole ladder was climbed


def test_segment_ranges_enclose_every_point_value_in_the_sub_interval():
    net = MLP((2, 3, 1), "tanh")
    loss = Loss(net, Dataset([[1, 0], [R(-1, 2), 2]], [[1], [0]]), "mse", weight_decay=R(1, 100))
    A, B = net.random_point(5), net.random_point(6)
    for bk in RUNGS:
        ranges = segment_range(bk, loss, A, B, Fraction(1, 4), Fraction(1, 2))
        for t in (R(1, 4), R(1, 3), R(1, 2)):
            values = segment_in(interval_context(50), loss, A.values, A.direction(B), t)
            for bounds, ref in zip(ranges, values):
                assert _inside(bounds, ref)
    with pytest.raises(ValueError, match="t0 <= t1"):
        segment_range(F64Backend(), loss, A, B, Fraction(1, 2), Fraction(1, 4))


def test_loss_ranges_over_a_box_enclose_the_loss_at_its_points():
    net = MLP((1, 2, 1), "sigmoid")
    loss = Loss(net, Dataset([[1], [-1]], [[1], [0]]), "mse")
    low = [R(v) for v in (-1, 0, 0, 1, 1, -2, 0)]
    high = [v + R(1, 8) for v in low]
    rng = np.random.default_rng(0)
    for bk in RUNGS:
        bounds = loss_range(bk, loss, low, high)
        for _ in range(5):
            inside = [lo + R(int(rng.integers(0, 9)), 64) for lo in low]
            assert _inside(bounds, loss_in(interval_context(50), loss, inside))


def test_layouts_are_exact_cached_and_combine_without_sympy():
    net = MLP((2, 2, 1))
    A = net.point(W1=[[1, R(1, 3)], [0.1, 2]], b1=[0, R(-5, 7)], W2=[[1, 2]], b2=["0.5"])
    B = net.random_point(3)
    assert point_layout(A) is point_layout(A)
    for t in (Fraction(1, 2), Fraction(-3, 7)):
        combined = combine(point_layout(A), point_layout(B), t)
        expected = A.interpolate(B, R(t.numerator, t.denominator))
        assert [*_flat(combined)] == list(expected.values)


def test_input_errors_are_not_mistaken_for_undecided_arithmetic():
    from symcert import SpecificationError
    from symcert.numeric.engine.api import jet_bounds as jets

    net = MLP((1, 2, 1), "relu")
    loss = Loss(net, Dataset([[1]], [[0]]), "mse")
    lay = point_layout(net.random_point(0))

    def compute(bk):
        return {"x": jets(bk, loss, lay, lay)[2]}

    with pytest.raises(SpecificationError, match="smooth hidden activation"):
        decide_on_rungs(compute, "x", "<", (30,))


def test_certificates_record_the_rung_and_keep_the_enclosures_that_decided():
    net = MLP((1, 2, 1), "tanh")
    loss = Loss(net, Dataset([[1], [-1], [2]], [[1], [0], [1]]), "mse")
    A = net.point(W1=[[2], [-1]], b1=[0, 1], W2=[[1, 2]], b2=[0])
    certificate = certify_nonconvexity(loss, A, element=swap(1, 0, 1), dps=30)
    record = certificate.to_dict()
    assert record["prover"]["rung"] == certificate.decision.rung == "float64" and record["dps"] == 15
    a, b, m, barrier = (certificate.enclosures[k] for k in ("L(A)", "L(B)", "L(M)", "barrier"))
    # The barrier's enclosure is the one computed from these three (no recomputation, same rung).
    assert barrier[0] <= m[0] - (a[1] + b[1]) / 2 and m[1] - (a[0] + b[0]) / 2 <= barrier[1]
    assert (barrier[0], barrier[1]) == (certificate.decision.lower, certificate.decision.upper)


@pytest.mark.parametrize(
    "activation, kind, output", [("tanh", "cross_entropy", "softmax"), ("sigmoid", "mse", "identity")]
)
def test_gradients_and_hessian_vector_products_enclose_the_jet_reference(activation, kind, output):
    from symcert.numeric.derivatives import gradient_in, hessian_in
    from symcert.numeric.engine.api import gradient_bounds, hessian_vector_bounds

    net = MLP((2, 3, 2), activation, output_activation=output)
    ys = [[R(1, 3), R(2, 3)], [1, 0]]
    loss = Loss(net, Dataset([[1, R(1, 3)], [-2, R(1, 2)]], ys), kind, weight_decay=R(1, 10))
    A = net.random_point(1)
    ctx = interval_context(60)
    g, H = gradient_in(ctx, loss, A.values), hessian_in(ctx, loss, A.values)
    v = [Fraction(k % 3 - 1, 2) for k in range(net.n_parameters)]
    Hv = [
        ctx.fsum([H[i][j] * ctx.mpf(v[j].numerator) / v[j].denominator for j in range(len(v))])
        for i in range(len(v))
    ]
    for bk in RUNGS:
        assert all(_inside(b, r) for b, r in zip(gradient_bounds(bk, loss, point_layout(A)), g))
        assert all(_inside(b, r) for b, r in zip(hessian_vector_bounds(bk, loss, point_layout(A), v), Hv))


def test_an_exact_combination_with_a_huge_factor_on_a_zero_term_stays_exact():
    """Pinned (found by the jets test above): ``b`` is 0, so the int64 guard's bound is small, but the
    factor on ``b`` (10^30) does not fit in int64; the combination must fall back to Python integers."""
    from symcert.numeric.engine.layout import Exact, _lincomb

    a = Exact.of([Fraction(1, 10**30)], (1,))
    b = Exact.of([Fraction(0)], (1,))
    out = _lincomb(a, b, Fraction(-1), Fraction(1))
    assert out.as_fractions() == [Fraction(-1, 10**30)]
    big = _lincomb(Exact.of([Fraction(3)], (1,)), Exact.of([Fraction(5, 7)], (1,)), Fraction(2), Fraction(1))
    assert big.as_fractions() == [Fraction(47, 7)]
