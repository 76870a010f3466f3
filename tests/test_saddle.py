"""Certified critical points, exact lifts and certified inertia (issue 14), checked a second way."""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy
from hypothesis import example, given
from hypothesis import strategies as st

from symcert import (
    MLP,
    Dataset,
    Loss,
    SpecificationError,
    certify_critical_point,
    certify_saddle,
    lift,
    prove_lift_identity,
)
from symcert.numeric.derivatives import loss_jet
from symcert.numeric.engine.backends import F64Backend
from symcert.numeric.engine.boxes import gradient_box, hessian_box
from symcert.numeric.floats import FloatLoss
from symcert.numeric.inertia import certified_inertia
from symcert.numeric.jets import JetContext
from symcert.proofs.inertia import MINIMUM, UNDECIDED, certify_inertia
from symcert.symbolic.lift import lift_gradient, lift_values
from symcert.symbolic.saddle_example import saddle_example


def mp_newton(loss, start, dps=60, steps=40):
    """An independent Newton iteration in mpmath (second-order jets of the specification)."""
    ctx = mpmath.mp.clone()
    ctx.dps = dps + 10
    x = [ctx.mpf(v.p) / v.q for v in start.values]
    n = len(x)
    for _ in range(steps):
        jctx = JetContext(ctx, order=2)
        jet = loss_jet(jctx, loss, [jctx.variable(v, i) for i, v in enumerate(x)])
        g = ctx.matrix([jet.d(i) for i in range(n)])
        H = ctx.matrix([[jet.d2(i, j) for j in range(n)] for i in range(n)])
        delta = ctx.lu_solve(H, -g)
        x = [v + d for v, d in zip(x, delta)]
        if ctx.norm(delta) < ctx.mpf(10) ** (-dps):
            break
    return x


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_certified_critical_point_contains_the_60_digit_newton_limit(activation):
    example = saddle_example(activation)
    found = certify_critical_point(example.loss, example.approx)
    assert found.status == "proved" and found.margin < 0
    limit = mp_newton(example.loss, found.center)
    for lo, v, hi in zip(found.lower, limit, found.upper):
        assert mpmath.mpf(lo.numerator) / lo.denominator <= v <= mpmath.mpf(hi.numerator) / hi.denominator
    assert max(abs(float(c) - float(v)) for c, v in zip(found.center.values, limit)) < 1e-12


def teacher_loss():
    net = MLP((1, 2, 1), "tanh")
    teacher = net.point(W1=[[1], ["-1/2"]], b1=["1/4", 1], W2=[[1, "3/2"]], b2=["-1/2"])
    data = Dataset.teacher(net, teacher, [[-2], [-1], ["-1/2"], [0], ["1/2"], [1], [2], [3]])
    return Loss(net, data, "mse"), teacher


def test_a_wider_net_near_its_teacher_is_certified_against_newton_too():
    loss, teacher = teacher_loss()
    near = loss.mlp.point_from_values([v + sympy.Rational(1, 1000) for v in teacher.values])
    found = certify_critical_point(loss, near)
    assert found.status == "proved"
    limit = mp_newton(loss, found.center)
    assert all(lo <= Fraction(str(v)) <= hi for lo, v, hi in zip(found.lower, limit, found.upper))
    assert all(lo <= v <= hi for lo, v, hi in zip(found.lower, teacher.values, found.upper))


def test_a_perturbed_point_is_refused_with_a_clear_message():
    example = saddle_example()
    moved = example.approx.mlp.point_from_values([v + sympy.Rational(3, 10) for v in example.approx.values])
    with pytest.raises(SpecificationError, match="not near a critical point"):
        certify_critical_point(example.loss, moved)


def test_a_lifted_point_is_not_isolated():
    example = saddle_example()
    found = certify_critical_point(example.loss, example.approx)
    wide = Loss(MLP((1, 2, 1), "tanh"), example.loss.data, "mse")
    result = certify_critical_point(wide, lift(found.center, 1, 0, "1/3"))
    assert result.status == "not isolated" and "singular" in result.message


def test_a_given_radius_that_is_too_small_is_undecided():
    example = saddle_example()
    found = certify_critical_point(example.loss, example.approx, radius=Fraction(1, 2**80))
    assert found.status == "undecided"


def test_hessian_box_contains_the_hessian_at_points_of_the_box():
    example = saddle_example()
    loss, c = example.loss, [Fraction(int(v.p), int(v.q)) for v in example.approx.values]
    r = Fraction(1, 1000)
    lo, hi = hessian_box(F64Backend(), loss, [v - r for v in c], [v + r for v in c])
    glo, ghi = gradient_box(F64Backend(), loss, [v - r for v in c], [v + r for v in c])
    for shift in ([1, -1, 1, -1], [0, 0, 0, 0], [-1, 1, 1, 0]):
        point = loss.mlp.point_from_values([v + s * r for v, s in zip(c, shift)])
        from symcert import gradient_value, hessian_value

        H = np.array(hessian_value(loss, point, 30), dtype=float)
        g = np.array(gradient_value(loss, point, 30), dtype=float)
        assert np.all(lo <= H) and np.all(H <= hi)
        assert np.all(glo <= g) and np.all(g <= ghi)
    assert float(np.max(hi - lo)) < 100 * r  # and tight: O(r) wide


# -- lifts ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "widths, activation, layer, lam",
    [
        ((1, 2, 1), "tanh", 1, "1/2"),
        ((2, 1, 1), "sigmoid", 1, "2"),
        ((1, 1, 2), "softplus", 1, "-1/3"),
        ((1, 2, 1), "cube", 1, "0"),
    ],
)
def test_the_lift_identity_is_proved(widths, activation, layer, lam):
    proof = prove_lift_identity(MLP(widths, activation), layer, 0, lam, concrete=True)
    assert proof.status == "proved" and proof.lam == sympy.Rational(lam)


@given(
    st.sampled_from(["tanh", "sigmoid", "softplus"]),
    st.integers(1, 2),
    st.integers(0, 9),
    st.fractions(-2, 3, max_denominator=7),
)
@example("tanh", 2, 3, Fraction(1, 2))
@example("sigmoid", 1, 0, Fraction(0))
@example("tanh", 2, 2, Fraction(-1))
def test_lifted_loss_and_gradient_follow_the_narrow_ones(activation, width, seed, lam):
    net = MLP((2, width, 1), activation)
    data = Dataset([[1, 0], [0, -1], ["1/2", 2]], [[1], [0], [-1]])
    point = net.random_point(seed)
    unit = seed % width
    wide = lift(point, 1, unit, lam)
    narrow_f, wide_f = FloatLoss(Loss(net, data, "mse")), FloatLoss(Loss(wide.mlp, data, "mse"))
    x = np.array([float(v) for v in point.values])
    xw = np.array([float(v) for v in wide.values])
    assert wide_f.value(xw) == pytest.approx(narrow_f.value(x), rel=1e-12, abs=1e-12)
    mapped = lift_gradient(net, list(narrow_f.gradient(x)), 1, unit, float(lam))
    assert np.allclose(wide_f.gradient(xw), mapped, rtol=1e-9, atol=1e-9)
    if lam not in (0, 1):  # the map is not the trivial one: lam enters
        swapped = lift_gradient(net, list(narrow_f.gradient(x)), 1, unit, 1 - float(lam))
        incoming = narrow_f.gradient(x)[2 * unit : 2 * unit + 2]  # the unit's incoming weights (2 inputs)
        if lam != Fraction(1, 2) and np.any(np.abs(incoming) > 1e-6):
            assert not np.allclose(wide_f.gradient(xw), swapped, rtol=1e-9, atol=1e-9)


def test_lift_values_is_the_documented_matrix():
    net = MLP((1, 1, 1))
    a, b, c, d = sympy.symbols("a b c d")
    assert lift_values(net, (a, b, c, d), 1, 0, sympy.Rational(1, 4)) == (a, a, b, b, c / 4, 3 * c / 4, d)


def test_bad_lifts_are_refused():
    point = MLP((1, 2, 1)).random_point(0)
    with pytest.raises(SpecificationError, match="hidden layer"):
        lift(point, 2, 0, "1/2")
    with pytest.raises(SpecificationError, match="unit must be"):
        lift(point, 1, 2, "1/2")
    example = saddle_example()
    decayed = Loss(example.loss.mlp, example.loss.data, "mse", weight_decay="1/10")
    with pytest.raises(SpecificationError, match="weight decay"):
        certify_saddle(decayed, example.approx, 1, 0, "1/2")


# -- inertia --------------------------------------------------------------------------------


@given(st.lists(st.integers(-5, 5).filter(bool), min_size=1, max_size=6), st.integers(0, 99))
@example([1, -1], 0)
def test_certified_inertia_counts_a_known_spectrum(eigen, seed):
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.normal(size=(len(eigen), len(eigen))))
    H = Q @ np.diag(np.array(eigen, dtype=float)) @ Q.T
    counts = certified_inertia(H - 1e-9, H + 1e-9)
    assert counts == (sum(e < 0 for e in eigen), sum(e > 0 for e in eigen))


def test_a_singular_enclosure_is_undecided():
    H = np.diag([1.0, 0.0, -1.0])
    assert certified_inertia(H - 1e-12, H + 1e-12) is None


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_the_lifted_point_is_a_saddle_never_a_minimum(activation):
    example = saddle_example(activation)
    result = certify_saddle(example.loss, example.approx, 1, 0, "1/2")
    assert result.verdict == "saddle of index 1" and result.verdict != MINIMUM
    assert result.inertia.dHd[1] < 0 and result.inertia.zero == 1
    narrow = certify_inertia(example.loss, result.narrow.lower, result.narrow.upper)
    assert narrow.verdict == MINIMUM  # the narrow point is a strict minimum


@pytest.mark.parametrize("lam", ["0", "1"])
def test_lam_zero_or_one_is_undecided(lam):
    example = saddle_example()
    result = certify_saddle(example.loss, example.approx, 1, 0, lam, proof=False)
    assert result.verdict == UNDECIDED and not result.inertia.decided


def test_lam_outside_the_interval_changes_the_splitting_block_as_known():
    # at a strict narrow minimum the wide Hessian is (narrow Hessian) + lam (1 - lam) B + (line):
    # index(lam in (0, 1)) + index(lam outside [0, 1]) = dim B = fan-in + 1
    example = saddle_example()
    inside = certify_saddle(example.loss, example.approx, 1, 0, "1/3", proof=False).inertia
    outside = certify_saddle(example.loss, example.approx, 1, 0, "3", proof=False).inertia
    assert inside.decided and outside.decided
    assert inside.negative + outside.negative == example.loss.mlp.widths[0] + 1


def test_a_teacher_point_is_a_strict_minimum_never_a_saddle():
    loss, teacher = teacher_loss()
    found = certify_critical_point(loss, teacher)
    assert found.status == "proved"
    inertia = certify_inertia(loss, found.lower, found.upper)
    assert inertia.verdict == MINIMUM and inertia.dHd is None


def test_a_wrong_gradient_map_is_refuted_by_the_symbolic_proof(monkeypatch):
    import symcert.symbolic.lift as lift_module

    right = lift_module.lift_gradient
    monkeypatch.setattr(
        lift_module, "lift_gradient", lambda mlp, g, layer, unit, lam: right(mlp, g, layer, unit, 1 - lam)
    )
    assert prove_lift_identity(MLP((1, 1, 1)), 1, 0, "1/3").status == "refuted"


def test_a_float_or_negative_radius_is_refused():
    example = saddle_example()
    with pytest.raises(SpecificationError, match="floats never prove"):
        certify_critical_point(example.loss, example.approx, radius=1e-9)
    with pytest.raises(SpecificationError, match="radius must be an exact number > 0"):
        certify_critical_point(example.loss, example.approx, radius="-1/1000")


# -- the Hessian as batched Hessian-vector products -----------------------------------------


def _polynomial_case(widths, activation, *, bias=True, decay=0, kind="mse", seed=0):
    """A small loss whose Hessian is a polynomial (exact rationals at rational points) and a centre."""
    rng = np.random.default_rng(seed)
    mlp = MLP(widths, activation, bias=bias)
    xs = [[Fraction(int(v), 4) for v in rng.integers(-4, 5, widths[0])] for _ in range(4)]
    ys = [[Fraction(int(v), 4) for v in rng.integers(-4, 5, widths[-1])] for _ in range(4)]
    centre = [Fraction(int(v), 8) for v in rng.integers(-8, 9, mlp.n_parameters)]
    return Loss(mlp, Dataset(xs, ys), kind, decay), centre


def _exact_derivatives(loss, values):
    """SymPy's exact gradient and Hessian of the closed form at rational ``values``."""
    syms = list(loss.mlp.symbols)
    at = dict(zip(syms, (sympy.Rational(v.numerator, v.denominator) for v in values)))
    expr = loss.expr
    grad = [sympy.diff(expr, a) for a in syms]
    hess = [[sympy.diff(g, b).xreplace(at) for b in syms] for g in grad]
    return [g.xreplace(at) for g in grad], hess


def _inside(lo, hi, exact) -> bool:
    return all(
        Fraction(float(a)) <= Fraction(int(v.p), int(v.q)) <= Fraction(float(b))
        for a, b, v in zip(np.ravel(lo), np.ravel(hi), np.ravel(np.array(exact, dtype=object)))
    )


POLYNOMIAL_CASES = [
    ((1, 2, 1), "cube", {}),
    ((2, 2, 1), "square", {"bias": False, "decay": "1/10", "kind": "sse"}),
    ((1, 2, 1, 1), "square", {}),
    ((2, 1, 2), "identity", {"decay": "1/4"}),
    ((1, 2, 1), "cube", {"bias": (True, False)}),  # biases per layer: hidden ones, no output bias
    ((1, 2, 1, 1), "square", {"bias": (False, True, False), "decay": "1/8"}),
]


@pytest.mark.parametrize(("widths", "activation", "options"), POLYNOMIAL_CASES)
def test_batched_hessian_columns_contain_the_exact_hessian_over_the_box(widths, activation, options):
    from symcert.numeric.engine.hessian_columns import gradient_over_box, hessian_columns

    loss, c = _polynomial_case(widths, activation, **options)
    r = Fraction(1, 64)
    lower, upper = [v - r for v in c], [v + r for v in c]
    lo, hi = hessian_columns(loss, lower, upper)
    glo, ghi = gradient_over_box(F64Backend(), loss, lower, upper)
    rng = np.random.default_rng(1)
    for shift in [np.zeros(len(c), int), np.ones(len(c), int), *rng.integers(-1, 2, (3, len(c)))]:
        exact_g, exact_H = _exact_derivatives(loss, [v + int(s) * r for v, s in zip(c, shift)])
        assert _inside(lo, hi, exact_H)
        assert _inside(glo, ghi, exact_g)
    assert np.all((lo < hi) | ((lo == 0) & (hi == 0)))  # genuine intervals, or an exact structural 0
    # at the centre alone the enclosure is tight
    lo0, hi0 = hessian_columns(loss, c, c)
    assert _inside(lo0, hi0, _exact_derivatives(loss, c)[1]) and float(np.max(hi0 - lo0)) < 1e-9


@pytest.mark.parametrize(("widths", "activation", "options"), POLYNOMIAL_CASES)
def test_the_arb_gradient_by_back_propagation_contains_the_exact_gradient(widths, activation, options):
    from symcert.numeric.engine.backends import ArbBackend
    from symcert.numeric.engine.hessian_columns import gradient_over_box
    from symcert.numeric.krawczyk import arb_bounds

    loss, c = _polynomial_case(widths, activation, **options)
    found = gradient_over_box(ArbBackend(30), loss, c, c)
    exact = _exact_derivatives(loss, c)[0]
    assert len(found) == loss.mlp.n_parameters
    for ball, v in zip(found, exact):
        low, high = arb_bounds(ball)
        assert low <= Fraction(int(v.p), int(v.q)) <= high and high - low < Fraction(1, 10**25)


@pytest.mark.parametrize(
    ("widths", "activation", "bias"),
    [
        ((2, 3, 1), "tanh", True),
        ((2, 3, 2, 2), "sigmoid", True),
        ((2, 2, 2), "softplus", False),
        ((2, 3, 2, 2), "tanh", (True, False, True)),
        ((2, 2, 2), "sigmoid", (False, True)),
    ],
)
def test_batched_hessian_columns_agree_with_the_polarized_jets(widths, activation, bias):
    from symcert.numeric.engine.hessian_columns import hessian_columns

    rng = np.random.default_rng(7)
    mlp = MLP(widths, activation, bias=bias)
    xs = [[Fraction(int(v), 4) for v in rng.integers(-4, 5, widths[0])] for _ in range(6)]
    ys = [[Fraction(int(v), 4) for v in rng.integers(-4, 5, widths[-1])] for _ in range(6)]
    loss = Loss(mlp, Dataset(xs, ys), "mse")
    c = [Fraction(float(v)) for v in rng.normal(size=mlp.n_parameters)]
    r = Fraction(1, 2**20)
    lower, upper = [v - r for v in c], [v + r for v in c]
    old_lo, old_hi = hessian_box(F64Backend(), loss, lower, upper)
    lo, hi = hessian_columns(loss, lower, upper)
    assert np.all(lo <= old_hi) and np.all(old_lo <= hi)  # both enclose the same matrices
    assert np.array_equal(lo, lo.T) and np.array_equal(hi, hi.T)
    assert float(np.max(hi - lo)) <= float(np.max(old_hi - old_lo))  # and no wider
    # the mpmath reference at the centre lies inside
    from symcert import hessian_value as mp_hessian

    H = np.array(mp_hessian(loss, mlp.point_from_values(c), 30), dtype=float)
    assert np.all(lo <= H) and np.all(H <= hi)


def test_losses_the_batched_columns_do_not_cover_keep_the_polarized_jets():
    from symcert.numeric.engine.hessian_columns import batched, hessian_columns, hessian_over_box

    loss = Loss(MLP((1, 2, 1), "tanh", output_activation="sigmoid"), Dataset([[0], [1]], [[0], [1]]), "bce")
    c = [Fraction(1, 2)] * loss.mlp.n_parameters
    assert not batched(loss)
    with pytest.raises(ValueError, match="mse or sse"):
        hessian_columns(loss, c, c)
    lo, hi = hessian_over_box(F64Backend(), loss, c, c)
    old = hessian_box(F64Backend(), loss, c, c)
    assert np.array_equal(lo, old[0]) and np.array_equal(hi, old[1])


def test_the_line_direction_of_a_layer_of_ten_units_or_more():
    from symcert.symbolic.lift import lifted_mlp, line_direction

    mlp = MLP((1, 9, 1), "tanh")
    values = [Fraction(k + 1, 7) for k in range(mlp.n_parameters)]
    wide = line_direction(mlp, values, 1, 2)
    names = lifted_mlp(mlp, 1).parameter_names
    column = mlp.layers(values)[1].weights[0][2]
    assert wide[names.index("W2_1_3")] == column and wide[names.index("W2_1_10")] == -column
    assert sum(1 for v in wide if v != 0) == 2


# -- certified eigenvalues (issue 26) ----------------------------------------------------


def mp_spectrum(loss, values, dps=50):
    """The Hessian's eigenvalues at ``values`` in mpmath at ``dps`` digits (specification jets)."""
    ctx = mpmath.mp.clone()
    ctx.dps = dps
    x = [ctx.mpf(v) for v in values]
    n = len(x)
    jctx = JetContext(ctx, order=2)
    jet = loss_jet(jctx, loss, [jctx.variable(v, i) for i, v in enumerate(x)])
    H = ctx.matrix([[jet.d2(i, j) for j in range(n)] for i in range(n)])
    return sorted(ctx.eigsy(H, eigvals_only=True))


def inside(interval, value):
    lo, hi = interval
    return mpmath.mpf(lo.numerator) / lo.denominator <= value <= mpmath.mpf(hi.numerator) / hi.denominator


@pytest.mark.parametrize(("activation", "lam"), [("tanh", "1/2"), ("sigmoid", "1/2"), ("tanh", "3")])
def test_certified_eigenvalues_contain_the_50_digit_spectrum_of_the_lifted_saddle(activation, lam):
    # lam = 3 is outside [0, 1]: the splitting block lam (1 - lam) B flips sign there
    example = saddle_example(activation)
    result = certify_saddle(example.loss, example.approx, 1, 0, lam, proof=False)
    inertia = result.inertia
    assert inertia.decided and inertia.lambda_min is not None and inertia.lambda_min_positive is not None
    limit = mp_newton(example.loss, result.narrow.center)  # the narrow critical point, 60 digits
    lam_mp = mpmath.mpf(sympy.Rational(lam).p) / sympy.Rational(lam).q
    wide = lift_values(example.loss.mlp, limit, 1, 0, lam_mp)
    spectrum = mp_spectrum(result.wide_loss, wide)
    negative = [v for v in spectrum if v < -(mpmath.mpf(10) ** -30)]
    positive = [v for v in spectrum if v > mpmath.mpf(10) ** -30]
    assert len(negative) == inertia.negative and len(positive) == inertia.positive
    assert inside(inertia.lambda_min, spectrum[0])
    assert inside(inertia.lambda_min_positive, positive[0])
    assert inertia.lambda_min[1] < 0 < inertia.lambda_min_positive[0]
    assert inertia.lambda_min[1] - inertia.lambda_min[0] < 1e-6  # tight, not merely true


def test_certified_eigenvalues_of_a_strict_minimum_contain_the_50_digit_spectrum():
    loss, teacher = teacher_loss()
    found = certify_critical_point(loss, teacher)
    inertia = certify_inertia(loss, found.lower, found.upper)
    spectrum = mp_spectrum(loss, [mpmath.mpf(v.p) / v.q for v in teacher.values])
    assert inertia.lambda_min == inertia.lambda_min_positive and inside(inertia.lambda_min, spectrum[0])


def test_overlapping_residual_intervals_pin_nothing():
    from symcert.numeric.inertia import eigenvalue_enclosures, pin_extreme_eigenvalues

    H = np.diag([-2.0, -2.0 + 1e-12, 3.0])  # two negative eigenvalues closer than the enclosure's width
    intervals = eigenvalue_enclosures(H - 1e-9, H + 1e-9)
    assert all(lo <= v <= hi for (lo, hi), v in zip(intervals, (-2.0, -2.0 + 1e-12, 3.0)))
    pinned = pin_extreme_eigenvalues(intervals, 2, 1)
    assert "lambda_min" not in pinned and pinned["lambda_min_positive"][0] > 0


def test_the_reduced_eigenvalues_are_labelled_as_such():
    example = saddle_example()
    inertia = certify_saddle(example.loss, example.approx, 1, 0, "1/2", proof=False).inertia
    assert len(inertia.reduced_eigenvalues) == example.loss.mlp.n_parameters + 2  # 7 wide, 1 deleted
    with pytest.warns(DeprecationWarning, match="reduced_eigenvalues"):
        assert inertia.eigenvalues == inertia.reduced_eigenvalues


def test_the_checkers_printed_bounds_round_outward():
    """``d^T H d <= u < 0`` and an eigenvalue's ``[a, b]`` in the checker's reasons stay true, shortened."""
    from symcert.checker.kind import outward

    u = Fraction(-1234564, 10**10)  # -0.0001234564: .4g gives -0.0001235, below u
    assert Fraction(outward(u, up=True, digits=4)) >= u
    assert Fraction(outward(u, up=False, digits=4)) <= u
    for value in (
        Fraction(999999, 10**9),
        Fraction(-999999, 10**9),
        Fraction(1, 3),
        Fraction(-7, 3) * 10**40,
    ):
        for digits in (1, 3, 6):
            up, down = Fraction(outward(value, True, digits)), Fraction(outward(value, False, digits))
            assert down <= value <= up, (value, digits, down, up)
    assert outward(Fraction(0), True) == "0" and outward(Fraction(-1, 3), False, 3) == "-0.334"
