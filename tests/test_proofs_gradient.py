"""Tests of symcert.proofs.gradient: symmetry-induced gradient identities (Kunin et al. 2021).

Each proved identity is checked a second way, with the concrete activation: for smooth
activations the gradient at random exact points at 50 digits (forward-mode jets) gives
``D = sum w dL/dw - k sum v dL/dv`` within 1e-40 of 0; for ReLU the derivative of the concrete
closed form (with Max), evaluated exactly at points away from the kinks, gives exactly 0. A wrong
degree and weight decay are refuted, and their counterexamples recomputed.
"""

from __future__ import annotations

import mpmath
import pytest
import sympy

from symcert import (
    MLP,
    Dataset,
    Loss,
    SpecificationError,
    gradient_value,
    prove_gradient_identity,
    rescale,
    swap,
)
from symcert.proofs.gradient import identity_parameters
from symcert.symbolic.examples import default_teacher_loss

R = sympy.Rational


def _D_numeric(loss, element, point, degree):
    """D at ``point`` from symcert's 50-digit gradient (smooth activations)."""
    incoming, outgoing = identity_parameters(loss, element.layer, element.unit)
    index = loss.mlp.index
    with mpmath.workdps(50):
        g = gradient_value(loss, point, dps=50)
        values = point.values
        total = mpmath.fsum(
            mpmath.mpf(values[index[str(p)]].p) / values[index[str(p)]].q * g[index[str(p)]] for p in incoming
        )
        total -= degree * mpmath.fsum(
            mpmath.mpf(values[index[str(v)]].p) / values[index[str(v)]].q * g[index[str(v)]] for v in outgoing
        )
    return total


def _D_exact(loss, element, point, degree):
    """D at ``point`` from the concrete closed form, differentiated and evaluated exactly."""
    incoming, outgoing = identity_parameters(loss, element.layer, element.unit)
    expr = loss.expr
    D = sum(p * sympy.diff(expr, p) for p in incoming) - degree * sum(
        v * sympy.diff(expr, v) for v in outgoing
    )
    return D.xreplace(point.as_dict())


CASES = [
    ((1, 2, 1), "square", True, 2),
    ((1, 2, 1), "square", False, 2),
    ((1, 2, 2, 1), "square", True, 2),
    ((1, 2, 1), "cube", True, 3),
    ((1, 2, 1), "identity", True, 1),
]


@pytest.mark.parametrize(("widths", "act", "bias", "k"), CASES)
def test_identities_are_proved_and_hold_numerically(widths, act, bias, k):
    loss = default_teacher_loss(MLP(widths, act, bias=bias))
    for family in loss.mlp.symmetry_group().continuous:
        proof = prove_gradient_identity(loss, family)
        assert proof.status == "proved" and proof.holds, proof.summary()
        assert len(proof.parts) == family.dimension
        for part in proof.parts:
            assert part.degree == k and part.lemma.key == "euler"
            element = rescale(part.layer, part.unit, 1, k)
            for seed in range(3):
                point = loss.mlp.random_point(40 + seed)
                assert abs(_D_numeric(loss, element, point, k)) < mpmath.mpf(10) ** -40
                # and the same expression with a wrong degree is far from 0 (the check can fail)
                assert abs(_D_numeric(loss, element, point, k + 1)) > mpmath.mpf(10) ** -10


def test_identity_names_its_parameters_with_biases():
    data = Dataset([[1, 0], [0, 1]], [[0, 1], [1, 0]])
    loss = Loss(MLP((2, 3, 2), "square"), data, "mse")
    proof = prove_gradient_identity(loss, rescale(1, 2, 5, 2))
    assert [str(s) for s in proof.incoming] == ["W1_31", "W1_32", "b1_3"]
    assert [str(s) for s in proof.outgoing] == ["W2_13", "W2_23"]
    assert "2 * sum over v in (W2_13, W2_23)" in proof.claim
    assert "||w_in||^2 - 2 ||w_out||^2" in proof.conserved
    bare = Loss(MLP((2, 3, 2), "square", bias=False), data, "mse")
    assert [str(s) for s in prove_gradient_identity(bare, "rescale:1:2:5:2").incoming] == ["W1_31", "W1_32"]


@pytest.mark.parametrize("act", ["relu", "leaky_relu:1/10"])
def test_relu_identities_are_proved_and_vanish_exactly(act):
    loss = default_teacher_loss(MLP((1, 3, 1), act))
    element = rescale(1, 1, 2)
    proof = prove_gradient_identity(loss, element)
    assert proof.status == "proved"
    assert [residue for _, residue in proof.lemma.checks] == [0, 0, 0]
    checked = 0
    for seed in range(6):
        point = loss.mlp.random_point(70 + seed, scale=3, denominator=7)
        value = _D_exact(loss, element, point, 1)
        if value.has(sympy.Heaviside):  # at a kink: skip
            continue
        assert value == 0
        checked += 1
    assert checked >= 3


@pytest.mark.parametrize(
    ("act", "k", "wrong"),
    [("square", 2, 1), ("square", 2, 3), ("cube", 3, 2), ("identity", 1, 2), ("relu", 1, 2)],
)
def test_a_wrong_degree_is_refuted(act, k, wrong):
    loss = default_teacher_loss(MLP((1, 2, 1), act))
    element = rescale(1, 0, 1, wrong)
    proof = prove_gradient_identity(loss, element)
    assert proof.status == "refuted" and proof.holds is False, proof.summary()
    point, decision = proof.counterexample
    assert decision.lower > 0 or decision.upper < 0
    if act == "relu":
        exact = _D_exact(loss, element, point, wrong)
        assert exact.is_Rational and decision.lower == exact == decision.upper
    else:
        value = _D_numeric(loss, element, point, wrong)
        with mpmath.workdps(50):
            lower = mpmath.mpf(decision.lower.p) / decision.lower.q
            upper = mpmath.mpf(decision.upper.p) / decision.upper.q
            assert lower - mpmath.mpf(10) ** -25 <= value <= upper + mpmath.mpf(10) ** -25
    # the Euler relation with the wrong degree fails its exact check
    assert any(residue != 0 for _, residue in proof.lemma.checks)


def test_weight_decay_breaks_the_identity():
    loss = default_teacher_loss(MLP((1, 2, 1), "square"), weight_decay="1/10")
    proof = prove_gradient_identity(loss, rescale(1, 0, 1, 2))
    assert proof.status == "refuted"
    assert "does not reduce D to 0" in proof.summary()


def test_no_identity_without_homogeneity_and_bad_input():
    loss = Loss(MLP((1, 1, 1), "tanh"), Dataset([[1], [2]], [[0], [1]]), "mse")
    assert prove_gradient_identity(loss, rescale(1, 0, 2)).status == "refuted"
    with pytest.raises(SpecificationError, match="symmetry must be a rescaling"):
        prove_gradient_identity(loss, "flip:1:0")
    with pytest.raises(SpecificationError, match="symmetry must be a rescaling"):
        prove_gradient_identity(loss, swap(1, 0, 1))
    with pytest.raises(SpecificationError, match="loss must be a Loss"):
        prove_gradient_identity(loss.mlp, rescale(1, 0, 2))
    with pytest.raises(SpecificationError, match="uses unit 3"):
        prove_gradient_identity(loss, rescale(1, 3, 2))


def test_json_of_an_identity():
    import json

    loss = default_teacher_loss(MLP((1, 2, 1), "square"))
    record = json.loads(
        json.dumps(prove_gradient_identity(loss, loss.mlp.symmetry_group().continuous[0]).to_dict())
    )
    assert record["status"] == "proved" and record["degree"] == 2 and len(record["parts"]) == 2
    assert record["parts"][1]["incoming"] == ["W1_21", "b1_2"] and record["parts"][1]["outgoing"] == ["W2_12"]
    wrong = prove_gradient_identity(loss, rescale(1, 0, 1, 3)).to_dict()
    assert wrong["status"] == "refuted" and "lower" in wrong["counterexample"]


def test_latex_of_an_identity():
    loss = default_teacher_loss(MLP((1, 2, 1), "square"))
    text = prove_gradient_identity(loss, rescale(1, 0, 1, 2)).to_latex()
    assert r"\frac{\partial L}{\partial W^{(1)}_{11}}" in text and r"2\,\Bigl(" in text
    assert r"u\,\sigma'(u) = 2\sigma(u)" in text and "conserved" in text
    refuted = prove_gradient_identity(loss, rescale(1, 0, 1, 1)).to_latex()
    assert "Counterexample" in refuted and r"\emph{not}" in refuted


# -- the softmax translation: Kunin's identity sum_k dL/db_k = 0 over the output biases --------------

_SOFT_DATA = Dataset([[1], [2], [-1]], [[1, 0, 0], [0, 1, 0], ["1/2", 0, "1/2"]])


@pytest.mark.parametrize("act", ["tanh", "sigmoid", "relu", "square"])
@pytest.mark.parametrize("kind", ["cross_entropy", "mse"])
def test_translation_identity_is_proved(act, kind):
    loss = Loss(MLP((1, 2, 3), act, output_activation="softmax"), _SOFT_DATA, kind, weight_decay="1/5")
    family = next(f for f in loss.mlp.symmetry_group().continuous if f.kind == "translation")
    proof = prove_gradient_identity(loss, family)
    assert proof.status == "proved" and proof.kind == "translation"
    assert [str(b) for b in proof.incoming] == ["b2_1", "b2_2", "b2_3"]
    assert "cancels to 0" in next(s.text for s in proof.steps if s.name == "cancellation")
    spot = [s for s in proof.steps if s.name == "numeric spot check"]
    if loss.mlp.activation.smooth:  # the engine's enclosure of the sum contains 0
        (step,) = spot
        lower, upper = step.expressions[1][1], step.expressions[2][1]
        assert lower <= 0 <= upper and upper - lower < R(1, 10**20)
    else:
        assert spot == []


def test_translation_identity_holds_numerically_at_a_second_point():
    loss = Loss(MLP((1, 2, 3), "tanh", output_activation="softmax"), _SOFT_DATA, "cross_entropy")
    point = loss.mlp.random_point(3, scale=2, denominator=5)
    grad = gradient_value(loss, point, dps=40)
    total = sum(grad[loss.mlp.index[b]] for b in ("b2_1", "b2_2", "b2_3"))
    assert abs(total) < mpmath.mpf(10) ** -35
    assert abs(grad[loss.mlp.index["b2_1"]]) > mpmath.mpf(10) ** -3  # one bias alone: not 0


def test_translation_identity_for_one_bias_is_refuted_and_printed():
    loss = Loss(
        MLP((1, 2, 2), "tanh", output_activation="softmax"),
        _SOFT_DATA.__class__([[1], [2]], [[1, 0], [0, 1]]),
        "cross_entropy",
    )
    wrong = prove_gradient_identity(loss, "translate:1:0")
    assert wrong.status == "refuted" and wrong.counterexample[1].proved
    record = wrong.to_dict()
    assert record["kind"] == "translation" and record["incoming"] == ["b2_1"] and "counterexample" in record
    proof = prove_gradient_identity(loss, "translate:1")
    assert proof.to_dict()["conserved"] == "b2_1 + b2_2 (the sum of the output biases)"
    text = proof.to_latex()
    assert text.startswith(r"\begin{theorem}[The softmax translation forces a gradient identity")
    assert r"\frac{\partial L}{\partial b^{(2)}_{1}} + \frac{\partial L}{\partial b^{(2)}_{2}} = 0" in text
    assert r"Q = b^{(2)}_{1} + b^{(2)}_{2}" in text
    assert "Numeric spot check" in text
    assert r"\emph{not}" in wrong.to_latex()
    assert "Verdict: PROVED" in proof.summary() and "numeric spot check" in proof.summary()


def test_translation_identity_needs_output_biases():
    loss = Loss(
        MLP((1, 2, 2), "tanh", bias=False, output_activation="softmax"),
        Dataset([[1], [2]], [[1, 0], [0, 1]]),
        "cross_entropy",
    )
    with pytest.raises(SpecificationError, match="has no biases"):
        prove_gradient_identity(loss, "translate:1")
