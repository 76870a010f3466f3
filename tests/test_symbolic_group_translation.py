"""The softmax translation in the group: listed exactly for a softmax output with biases."""

from __future__ import annotations

import json

import pytest
import sympy

from symcert import MLP, SpecificationError, parse_element
from symcert.cli import main
from symcert.proofs.serialize import group_to_dict
from symcert.symbolic.group import Translate, translate
from symcert.symbolic.lemmas import lemma_residues, translation_lemma


def _kinds(mlp):
    return [f.kind for f in mlp.symmetry_group().continuous]


@pytest.mark.parametrize("act", ["tanh", "relu", "sigmoid"])
@pytest.mark.parametrize("widths", [(1, 2, 2), (2, 2, 3), (1, 2, 2, 3)])
def test_translation_is_listed_for_softmax_with_biases(act, widths):
    group = MLP(widths, act, output_activation="softmax").symmetry_group()
    (family,) = [f for f in group.continuous if f.kind == "translation"]
    assert (family.layer, family.dimension, family.degree) == (len(widths) - 1, 1, None)
    assert "softmax(z + c 1) = softmax(z)" in family.description
    assert group.contains(translate(5)) and group.contains(family.element(0, "1/2"))


@pytest.mark.parametrize("output", ["identity", "sigmoid"])
def test_translation_is_not_listed_for_other_outputs(output):
    mlp = MLP((1, 2, 2), "tanh", output_activation=output)
    assert "translation" not in _kinds(mlp)
    assert not mlp.symmetry_group().contains(translate(1))


def test_translation_is_not_listed_without_output_bias():
    mlp = MLP((1, 2, 2), "relu", bias=False, output_activation="softmax")
    assert "translation" not in _kinds(mlp)
    with pytest.raises(SpecificationError, match="has no biases"):
        translate(1).check(mlp)


def test_translating_some_biases_only_is_not_claimed():
    group = MLP((1, 2, 3), "tanh", output_activation="softmax").symmetry_group()
    assert not group.contains(translate(1, outputs=(0,)))
    assert group.contains(translate(1, outputs=(2, 0, 1)))  # all of them, in another order
    assert group.contains(translate(0, outputs=(1,)))  # the identity


def test_translate_acts_on_the_output_biases_and_parses():
    mlp = MLP((1, 1, 2), "tanh", output_activation="softmax")
    point = mlp.point(W1=[[1]], b1=[2], W2=[[3], [4]], b2=[5, 6])
    assert translate("1/2")(point) == mlp.point(W1=[[1]], b1=[2], W2=[[3], [4]], b2=["11/2", "13/2"])
    assert translate(1, outputs=(1,))(point) == mlp.point(W1=[[1]], b1=[2], W2=[[3], [4]], b2=[5, 7])
    assert parse_element("translate:-2") == Translate(sympy.Integer(-2))
    assert parse_element("translate:3:0,1") == translate(3, outputs=(0, 1))
    assert str(translate("1/3", outputs=(1,))) == "translate:1/3:1"
    with pytest.raises(SpecificationError, match="output unit 2"):
        translate(1, outputs=(2,)).check(mlp)
    for bad in ("translate", "translate:x", "translate:1:a", "translate:1:0,0"):
        with pytest.raises(SpecificationError):
            parse_element(bad)


@pytest.mark.parametrize("m", [1, 2, 3, 4])
def test_the_translation_lemma_is_checked_exactly(m):
    lemma = translation_lemma(m)
    assert lemma_residues(lemma) == [0, 0, 0]
    # a second way: the lemma's two sides agree at exact points, to 40 digits
    z = sorted(lemma.general.free_symbols - {sympy.Symbol("c", real=True)}, key=str)
    values = {s: sympy.Rational(k + 1, 3) for k, s in enumerate(z)} | {sympy.Symbol("c", real=True): 7}
    for eq in (lemma.general, lemma.instance):
        assert abs(sympy.N((eq.lhs - eq.rhs).xreplace(values), 40)) < sympy.Float("1e-35")


def test_group_json_has_a_translation_entry(capsys):
    code = main(
        ["group", "--widths", "1,2,3", "--activation", "tanh", "--output-activation", "softmax", "--json"]
    )
    out, _ = capsys.readouterr()
    assert code == 0
    (entry,) = json.loads(out)["continuous"]
    assert entry["kind"] == "translation" and entry["dimension"] == 1 and entry["layer"] == 2
    identity = group_to_dict(MLP((1, 2, 3), "tanh").symmetry_group())
    assert identity["continuous"] == []


def test_group_text_shows_the_translation(capsys):
    main(["group", "--widths", "1,2,2", "--activation", "relu", "--output-activation", "softmax"])
    out, _ = capsys.readouterr()
    assert "continuous: translate:c for every real c" in out and "(dimension 1)" in out
    latex = MLP((1, 2, 2), "relu", output_activation="softmax").symmetry_group()._repr_latex_()
    assert r"\text{and the softmax translation } \mathbb{R}" in latex
