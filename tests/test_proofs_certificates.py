"""Non-convexity certificates: every kind proves the default example; convex losses are never 'proved'."""

from __future__ import annotations

import json

import pytest
import sympy
from mpmath.libmp import to_rational

from symcert import (
    MLP,
    Dataset,
    Loss,
    SpecificationError,
    certify_nonconvexity,
    check,
    default_example,
    flip,
    prove_convexity,
    rescale,
    search_witness,
    swap,
)
from symcert.numeric.contexts import mp_context
from symcert.numeric.evaluation import loss_in
from symcert.proofs.nonconvexity import KINDS, collapsed_network, orbit_mean

EXAMPLE = default_example()


def _width(certificate):
    """The enclosure width the deciding rung guarantees: float64 about 1e-15 relative, Arb its dps."""
    if certificate.decision.rung == "float64":
        return sympy.Rational(1, 10**10)
    return sympy.Rational(1, 10 ** (certificate.dps - 10))


@pytest.mark.parametrize("kind", KINDS)
def test_default_example_is_proved_by_every_kind_and_rechecked(kind):
    certificate = certify_nonconvexity(EXAMPLE.loss, EXAMPLE.teacher, element=EXAMPLE.element, kind=kind)
    assert certificate.status == "proved" and certificate.kind == kind
    assert check(json.loads(certificate.to_json())).accepted


def test_chord_enclosures_agree_with_a_second_evaluation():
    certificate = certify_nonconvexity(EXAMPLE.loss, EXAMPLE.teacher, element=swap(1, 0, 1))
    A, B = certificate.A, certificate.B
    ctx = mp_context(80)
    barrier = (
        loss_in(ctx, EXAMPLE.loss, A.midpoint(B).values)
        - (loss_in(ctx, EXAMPLE.loss, A.values) + loss_in(ctx, EXAMPLE.loss, B.values)) / 2
    )
    low, high = certificate.enclosures["barrier"]
    value = sympy.Rational(*to_rational(barrier._mpf_))
    slack = sympy.Rational(1, 10**70)  # the 80-digit value is within this of the truth
    assert low - slack <= value <= high + slack
    assert low > 0 and high - low < _width(certificate)


def test_teacher_loss_is_exactly_zero_and_enclosed():
    certificate = certify_nonconvexity(EXAMPLE.loss, EXAMPLE.teacher, element=EXAMPLE.element)
    low, high = certificate.enclosures["L(A)"]
    assert low <= 0 <= high and high < _width(certificate)


def test_given_B_must_match_the_element():
    with pytest.raises(SpecificationError, match="not the image"):
        certify_nonconvexity(EXAMPLE.loss, EXAMPLE.teacher, element=swap(1, 0, 1), B=EXAMPLE.teacher)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"kind": "magic"}, "kind must be one of"),
        ({"kind": "chord"}, "needs element"),
        ({"kind": "chord", "element": "flip:2:0"}, "hidden layers"),
        ({"kind": "chord", "element": swap(1, 0, 1), "dps": 2}, "dps must be"),
        ({"kind": "curvature", "element": swap(1, 0, 1), "t0": 0.5}, "floats never prove"),
        ({"kind": "curvature", "element": swap(1, 0, 1), "t0": "3/2"}, "t0 must lie"),
        ({"kind": "critical_pair", "element": rescale(1, 0, 2)}, "not a proved symmetry"),
    ],
)
def test_bad_requests_raise_clear_errors(kwargs, fragment):
    with pytest.raises(SpecificationError, match=fragment):
        certify_nonconvexity(EXAMPLE.loss, EXAMPLE.teacher, **kwargs)


def test_relu_curvature_is_refused_but_chord_works():
    net = MLP((1, 2, 1), "relu")
    teacher = net.point(W1=[[1], [-1]], b1=[0, 1], W2=[[2, 1]], b2=[0])
    loss = Loss(net, Dataset.teacher(net, teacher, [[-2], [-1], [0], [1], [2]]), "mse")
    with pytest.raises(SpecificationError, match="smooth"):
        certify_nonconvexity(loss, teacher, element=swap(1, 0, 1), kind="curvature")
    assert certify_nonconvexity(loss, teacher, element=swap(1, 0, 1)).status == "proved"


def test_a_flip_midpoint_zeroes_the_unit_and_is_worse():
    certificate = certify_nonconvexity(EXAMPLE.loss, EXAMPLE.teacher, element=flip(1, 0))
    M = certificate.A.midpoint(certificate.B)
    assert M["W1_11"] == 0 and M["b1_1"] == 0 and M["W2_11"] == 0
    assert certificate.status == "proved"


def test_orbit_mean_collapses_to_width_one_exactly():
    net = MLP((2, 3, 1), "tanh")
    A = net.random_point(4)
    mean = orbit_mean(A, 1)
    assert len(set(mean.layers[0].weights)) == 1
    narrow, point, same = collapsed_network(A, 1)
    assert narrow.widths == (2, 1, 1) and same
    x = [sympy.Rational(1, 3), sympy.Rational(-2, 5)]
    assert net.output(x, mean) == narrow.output(x, point)


def test_a_midpoint_that_is_better_is_refuted_not_proved():
    # Near the teacher along the output bias the loss is convex: the chord claim is false.
    B = EXAMPLE.loss.mlp.point_from_values([*EXAMPLE.teacher.values[:-1], sympy.Rational(5, 4)])
    certificate = certify_nonconvexity(EXAMPLE.loss, EXAMPLE.teacher, B=B)
    assert certificate.status == "refuted"


@pytest.mark.parametrize(
    "loss",
    [
        Loss(MLP((2, 1)), Dataset([[1, 2], [0, -1], [3, 1]], [[1], [0], [2]]), "mse"),
        Loss(MLP((2, 2)), Dataset([[1, 2], [0, -1]], [[1, 0], [0, 1]]), "sse", weight_decay="1/10"),
        Loss(MLP((1, 1), output_activation="sigmoid"), Dataset([[1], [2], [-1]], [[1], [0], ["1/2"]]), "bce"),
        Loss(
            MLP((2, 2), output_activation="sigmoid"),
            Dataset([[1, 2], [0, -1]], [[1, 0], [0, 1]]),
            "bce",
            weight_decay=1,
        ),
    ],
)
def test_convex_baselines_are_proved_convex_and_never_nonconvex(loss):
    assert prove_convexity(loss).status == "proved"
    A = loss.mlp.random_point(1)
    B = loss.mlp.random_point(2)
    for kind in ("chord", "curvature", "hessian"):
        assert certify_nonconvexity(loss, A, B=B, kind=kind).status != "proved"
    assert not search_witness(loss, random_pairs=50).found


def test_convexity_is_not_claimed_for_hidden_layers_or_sigmoid_square_loss():
    assert prove_convexity(EXAMPLE.loss).status == "not proved"
    neuron = Loss(MLP((1, 1), output_activation="sigmoid"), Dataset([[1], [-1]], [[1], [0]]), "mse")
    proof = prove_convexity(neuron)
    assert proof.status == "not proved" and "sigmoid" in proof.reason


def test_search_finds_a_witness_without_symmetry():
    neuron = Loss(MLP((1, 1), output_activation="sigmoid"), Dataset([[1], [-1]], [[1], [0]]), "mse")
    result = search_witness(neuron, seed=3)
    assert result.found
    assert check(json.loads(result.certificate.to_json())).accepted


def test_search_finds_a_witness_for_a_hidden_layer():
    net = MLP((2, 3, 1), "tanh")
    loss = Loss(net, Dataset([[1, 0], [0, 1], [1, 1], [-1, 2]], [[1], [0], [1], [0]]), "mse")
    result = search_witness(loss, seed=1)
    assert result.found and result.certificate.kind == "chord"


def test_certificate_renders_text_and_latex():
    certificate = certify_nonconvexity(EXAMPLE.loss, EXAMPLE.teacher, element=EXAMPLE.element)
    assert "Verdict: PROVED" in certificate.summary()
    latex = certificate.to_latex()
    assert r"\begin{proof}" in latex and "Hence $L$ is not convex." in latex
