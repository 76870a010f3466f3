"""Tests of symcert.symbolic.activations: declared facts and the three implementations."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from symcert import ACTIVATION_NAMES, OUTPUT_ACTIVATION_NAMES, ExactnessError, SpecificationError, activation
from symcert.numeric.contexts import exact, interval_context, lower, mp_context, upper
from symcert.symbolic.activations import output_activation
from symcert.symbolic.lemmas import lemmas_for

R = sympy.Rational
ALL = [*ACTIVATION_NAMES, "leaky_relu:1/10"]
u = sympy.Symbol("u", real=True)


def test_names():
    assert ACTIVATION_NAMES == (
        "identity",
        "tanh",
        "sigmoid",
        "relu",
        "leaky_relu",
        "softplus",
        "square",
        "cube",
    )
    assert OUTPUT_ACTIVATION_NAMES == ("identity", "sigmoid", "softmax")


@pytest.mark.parametrize(
    ("name", "odd", "complement", "homogeneous", "exact"),
    [
        ("identity", True, False, True, True),
        ("tanh", True, False, False, False),
        ("sigmoid", False, True, False, False),
        ("relu", False, False, True, True),
        ("leaky_relu", False, False, True, True),
        ("softplus", False, False, False, False),
        ("square", False, False, True, True),
        ("cube", True, False, True, True),
    ],
)
def test_declared_facts(name, odd, complement, homogeneous, exact):
    act = activation(name)
    assert (act.odd, act.complement, act.homogeneity is not None, act.exact) == (
        odd,
        complement,
        homogeneous,
        exact,
    )
    assert act.even == (name == "square")
    assert act.homogeneity == {"identity": 1, "relu": 1, "leaky_relu": 1, "square": 2, "cube": 3}.get(name)
    assert act.positively_homogeneous == (act.homogeneity == 1)
    assert set(lemmas_for(act)) == {
        key
        for key, on in (
            ("odd", odd),
            ("even", act.even),
            ("complement", complement),
            ("homogeneous", homogeneous),
        )
        if on
    }


def test_leaky_relu_slope():
    assert activation("leaky_relu").slope == R(1, 100)
    assert activation("leaky_relu:1/10").slope == R(1, 10)
    assert activation("leaky_relu", slope="0.2").slope == R(1, 5)
    assert activation("leaky_relu:1/10").label == "leaky_relu:1/10"
    assert activation("tanh").label == "tanh" and activation("tanh").slope is None
    for bad in ("leaky_relu:0", "leaky_relu:1", "leaky_relu:-1/2", "leaky_relu:3/2"):
        with pytest.raises(SpecificationError, match="strictly between 0 and 1"):
            activation(bad)
    with pytest.raises(SpecificationError, match="give the leaky ReLU slope once"):
        activation("leaky_relu:1/10", slope="1/5")
    with pytest.raises(SpecificationError, match="only leaky_relu takes a slope"):
        activation("relu", slope="1/5")
    with pytest.raises(ExactnessError, match="leaky_relu slope"):
        activation("leaky_relu:nan")


@pytest.mark.parametrize("spec", ["gelu", "", "Tanh", None, 1])
def test_unknown_activations(spec):
    with pytest.raises(SpecificationError, match="activation must be"):
        activation(spec)
    with pytest.raises(SpecificationError, match="output_activation must be one of"):
        output_activation(spec)


def test_activation_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        activation("tanh").odd = False


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("identity", R(-3, 2), R(-3, 2)),
        ("relu", R(-3, 2), 0),
        ("relu", R(3, 2), R(3, 2)),
        ("relu", 0, 0),
        ("leaky_relu:1/10", R(-3, 2), R(-3, 20)),
        ("leaky_relu:1/10", R(5, 7), R(5, 7)),
        ("square", R(-3, 2), R(9, 4)),
        ("cube", R(-3, 2), R(-27, 8)),
        ("tanh", 0, 0),
        ("sigmoid", 0, R(1, 2)),
        ("softplus", 0, sympy.log(2)),
    ],
)
def test_sympy_values(name, value, expected):
    assert activation(name).sympy(sympy.sympify(value)) == expected


@given(st.sampled_from(ALL), st.fractions(-6, 6, max_denominator=12))
def test_sympy_mpmath_and_interval_implementations_agree(name, value):
    act = activation(name)
    value = R(value.numerator, value.denominator)
    symbolic = act.sympy(value)
    ctx = interval_context(40)
    enclosure = act.iv(ctx, exact(ctx, value))
    lo, hi = lower(enclosure), upper(enclosure)
    assert hi - lo < R(1, 10**30)
    if act.exact:
        assert lo <= symbolic <= hi
    else:
        numeric = symbolic.evalf(60)
        assert lo - R(1, 10**55) <= numeric <= hi + R(1, 10**55)
    mp = mp_context(40)
    approximate = act.mp(mp, exact(mp, value))
    assert (
        lo - R(1, 10**35)
        <= R(*Fraction(str(mp.nstr(approximate, 45))).as_integer_ratio())
        <= hi + R(1, 10**35)
    )


@pytest.mark.parametrize(
    ("name", "interval", "expected"),
    [
        ("relu", (-1, 2), (0, 2)),
        ("relu", (-3, -1), (0, 0)),
        ("leaky_relu:1/10", (-1, 2), (R(-1, 10), 2)),
        ("square", (-1, 2), (0, 4)),
        ("cube", (-1, 2), (-1, 8)),
        ("identity", (-1, 2), (-1, 2)),
    ],
)
def test_interval_implementations_are_tight_on_wide_intervals(name, interval, expected):
    ctx = interval_context(30)
    enclosure = activation(name).iv(ctx, ctx.mpf(list(interval)))
    lo, hi = lower(enclosure), upper(enclosure)
    slack = R(1, 10**25)
    assert expected[0] - slack <= lo <= expected[0] and expected[1] <= hi <= expected[1] + slack


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "softplus"])
def test_interval_implementations_of_smooth_activations_enclose_wide_intervals(name):
    act = activation(name)
    ctx = interval_context(30)
    enclosure = act.iv(ctx, ctx.mpf([-1, 2]))
    lo, hi = lower(enclosure), upper(enclosure)
    for point in (R(-1), R(0), R(1, 3), R(2)):
        assert lo <= act.sympy(point).evalf(40) <= hi
    # increasing activations: tight to their endpoint values
    assert abs(lo - act.sympy(R(-1)).evalf(40)) < R(1, 10**20)
    assert abs(hi - act.sympy(R(2)).evalf(40)) < R(1, 10**20)


@given(st.sampled_from(ALL), st.fractions(-5, 5, max_denominator=7), st.fractions(0, 4, max_denominator=5))
def test_declared_facts_hold_and_undeclared_ones_fail(name, value, alpha):
    act = activation(name)
    v = R(value.numerator, value.denominator)
    a = R(alpha.numerator, alpha.denominator)

    def gap(expr):
        return abs(sympy.N(expr, 40))

    if act.odd:
        assert gap(act.sympy(-v) + act.sympy(v)) < R(1, 10**30)
    if act.complement:
        assert gap(act.sympy(-v) - (1 - act.sympy(v))) < R(1, 10**30)
    if act.even:
        assert gap(act.sympy(-v) - act.sympy(v)) < R(1, 10**30)
    if act.homogeneity is not None and a > 0:
        assert gap(act.sympy(a * v) - a**act.homogeneity * act.sympy(v)) < R(1, 10**30)
    # at u = 3/2 every fact that is not declared fails visibly
    w = R(3, 2)
    if not act.odd:
        assert gap(act.sympy(-w) + act.sympy(w)) > R(1, 100)
    if not act.complement:
        assert gap(act.sympy(-w) - (1 - act.sympy(w))) > R(1, 100)
    if not act.even:
        assert gap(act.sympy(-w) - act.sympy(w)) > R(1, 100)
    for k in (1, 2, 3):
        if act.homogeneity != k:
            assert gap(act.sympy(2 * w) - 2**k * act.sympy(w)) > R(1, 100)


@pytest.mark.parametrize("name", ["identity", "relu", "leaky_relu:1/10", "square", "cube"])
def test_euler_relation_is_verified_exactly_and_a_wrong_degree_fails(name):
    from symcert.symbolic.lemmas import euler_lemma, lemma_residues

    act = activation(name)
    lemma = euler_lemma(act)
    assert all(r == 0 for r in lemma_residues(lemma))
    assert (
        str(lemma.general)
        == f"Eq(u*sigma_prime(u), {'' if act.homogeneity == 1 else f'{act.homogeneity}*'}sigma(u))"
    )
    wrong = euler_lemma(act, act.homogeneity + 1)
    assert any(r != 0 for r in lemma_residues(wrong))


@pytest.mark.parametrize("name", ALL)
def test_lemmas_are_verified_exactly(name):
    for lemma in lemmas_for(activation(name)).values():
        residues = [check[1] for check in lemma.checks]
        if lemma.key == "homogeneous" and not activation(name).polynomial:
            assert residues == [0, 0, 0]
        else:
            assert residues[-1] == 0
        assert lemma.general.lhs.func.__name__ == "sigma"


def test_output_activations():
    z = [sympy.Symbol("z1", real=True), sympy.Symbol("z2", real=True)]
    soft = output_activation("softmax").sympy(z)
    assert sympy.simplify(sum(soft) - 1) == 0
    assert output_activation("sigmoid").sympy([R(0)]) == [R(1, 2)]
    assert output_activation("identity").sympy(z) == z
    ctx = interval_context(30)
    values = output_activation("softmax").numeric(
        ctx, [exact(ctx, R(1)), exact(ctx, R(-2)), exact(ctx, R(1, 2))]
    )
    total = sum(values)
    assert lower(total) <= 1 <= upper(total)
    for enclosure, zk in zip(values, [R(1), R(-2), R(1, 2)]):
        expected = sympy.exp(zk) / (sympy.exp(1) + sympy.exp(-2) + sympy.exp(R(1, 2)))
        assert lower(enclosure) <= expected.evalf(50) <= upper(enclosure)
