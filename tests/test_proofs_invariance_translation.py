"""The softmax translation proved invariant (exactly, for every c), and its wrong variant refuted."""

from __future__ import annotations

import pytest

from symcert import MLP, Dataset, Loss, latex, prove_invariance
from symcert.symbolic.translation import translate

DATA = Dataset([[1], [2], [-1]], [[1, 0], [0, 1], ["1/2", "1/2"]])


@pytest.mark.parametrize("act", ["tanh", "relu", "sigmoid"])
@pytest.mark.parametrize("kind", ["cross_entropy", "mse"])
def test_translation_of_every_output_bias_is_proved(act, kind):
    loss = Loss(MLP((1, 2, 2), act, output_activation="softmax"), DATA, kind, weight_decay="1/10")
    proof = prove_invariance(loss, translate("3/2"))
    assert proof.status == "proved"
    assert [lemma.key for lemma in proof.lemmas] == ["translation"]
    assert "cancels to 0" in proof.steps[-2].text


def test_translation_of_the_output_is_proved_for_three_outputs():
    mlp = MLP((2, 2, 3), "tanh", output_activation="softmax")
    assert prove_invariance(mlp, translate(-4)).status == "proved"
    assert prove_invariance(mlp, "translate:1").status == "proved"


@pytest.mark.parametrize("outputs", [(0,), (1,)])
def test_translating_one_bias_is_refuted(outputs):
    loss = Loss(MLP((1, 2, 2), "tanh", output_activation="softmax"), DATA, "cross_entropy")
    proof = prove_invariance(loss, translate(2, outputs=outputs))
    assert proof.status == "refuted"
    assert proof.counterexample is not None and proof.counterexample.difference.proved
    assert prove_invariance(loss.mlp, translate(2, outputs=outputs)).status == "refuted"


@pytest.mark.parametrize("output", ["identity", "sigmoid"])
def test_translation_is_refuted_for_other_outputs(output):
    mlp = MLP((1, 2, 2), "tanh", output_activation=output)
    assert prove_invariance(mlp, translate(1)).status == "refuted"


def test_latex_of_the_translation_proof():
    loss = Loss(MLP((1, 2, 2), "tanh", output_activation="softmax"), DATA, "cross_entropy")
    text = latex(prove_invariance(loss, translate(2)))
    assert text.startswith(r"\begin{theorem}[Invariance under $\mathrm{translate}(2)$]")
    assert r"\textbf{Lemma (softmax translation).}" in text and "factoring $T = e^{c}$" in text
    assert r"\begin{remark}" in latex(prove_invariance(loss, translate(2, outputs=(0,))))
