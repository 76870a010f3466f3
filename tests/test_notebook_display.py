"""In Jupyter a result shows its whole derivation: IPython's own display formatter is asked.

IPython is in the ``test`` extra. The formatter picks ``_repr_markdown_`` (the derivation, from
:mod:`symcert.printing.notebook`) and ``_repr_latex_`` (a one-line summary); frontends show the
Markdown first. Each check names what a reader must see: the statement, every step, the rigorous
enclosures, the verdict.
"""

from __future__ import annotations

import pytest

from symcert import (
    MLP,
    Dataset,
    Loss,
    certify_barrier,
    certify_nonconvexity,
    default_example,
    permutation_lemma,
    prove_convexity,
    prove_gradient_identity,
    prove_invariance,
    rescale,
)
from symcert.printing.latex.certificate import quantity_latex

formatters = pytest.importorskip("IPython.core.formatters")

EXAMPLE = default_example()


def _shown(obj) -> str:
    data, _ = formatters.DisplayFormatter().format(obj)
    assert "text/markdown" in data, sorted(data)
    text = data["text/markdown"]
    assert text.count("$$") % 2 == 0, text  # every display is closed
    return text


def test_a_proof_shows_its_claim_every_step_and_the_verdict():
    proof = prove_invariance(EXAMPLE.loss, EXAMPLE.element)
    text = _shown(proof)
    assert text.startswith("**Claim.**")
    for step in proof.steps:
        assert f"**{step.name.capitalize()}.**" in text
    assert r"W^{(1)}_{11} \mapsto W^{(1)}_{21}" in text  # the substitution, in the paper's symbols
    assert text.rstrip().endswith("**Verdict:** proved")


def test_a_group_proof_shows_each_generator():
    proof = prove_invariance(EXAMPLE.loss, EXAMPLE.loss.mlp.symmetry_group())
    text = _shown(proof)
    assert text.count("- Generator $") == len(proof.parts) == 2
    assert "**Generation.**" in text


@pytest.mark.parametrize("kind", ["chord", "orbit"])
def test_a_certificate_shows_statement_points_enclosures_and_verdict(kind):
    certificate = certify_nonconvexity(EXAMPLE.loss, EXAMPLE.teacher, element=EXAMPLE.element, kind=kind)
    text = _shown(certificate)
    assert text.startswith("**Statement.** The mse loss")
    assert "$$A:\\quad W^{(1)}" in text
    for name in certificate.enclosures:
        assert quantity_latex(name) + r" &\in \left[" in text
    assert "The lower endpoint is above $0$" in text
    assert text.rstrip().endswith("**Verdict:** proved: the loss is not convex")


def test_an_undecided_certificate_says_so():
    import dataclasses

    certificate = certify_nonconvexity(EXAMPLE.loss, EXAMPLE.teacher, element=EXAMPLE.element)
    undecided = dataclasses.replace(certificate, status="undecided")
    text = _shown(undecided)
    assert "lower endpoint is above" not in text and "**Verdict:** undecided" in text


def test_convexity_and_gradient_proofs_show_their_steps():
    convexity = prove_convexity(Loss(MLP((1, 1)), Dataset([[1], [2]], [[0], [1]]), "mse"))
    text = _shown(convexity)
    assert text.startswith("**Claim.** The mse loss") and text.rstrip().endswith("**Verdict:** proved")
    assert all(f"**{step.name.capitalize()}.**" in text for step in convexity.steps)
    loss = Loss(MLP((1, 1, 1), "relu"), Dataset([[1], [-1]], [[1], [0]]), "mse")
    gradient = prove_gradient_identity(loss, rescale(1, 0, 2))
    text = _shown(gradient)
    assert all(f"**{step.name.capitalize()}.**" in text for step in gradient.steps)
    assert text.rstrip().endswith("**Verdict:** proved")


def test_a_barrier_shows_its_definition_and_enclosure():
    result = certify_barrier(EXAMPLE.loss, EXAMPLE.teacher, EXAMPLE.element(EXAMPLE.teacher), tol=0.1)
    text = _shown(result)
    assert r"\sup_{t \in [0, 1]}" in text and "pieces partition $[0, 1]$" in text
    assert quantity_latex("barrier") + r" &\in \left[" in text
    assert "**Verdict:**" in text


def test_the_permutation_lemma_and_the_group_display():
    text = _shown(permutation_lemma())
    assert text.startswith("**Lemma (permutation invariance, any width).**")
    assert text.count("$$") >= 2 * (1 + len(permutation_lemma().steps))
    data, _ = formatters.DisplayFormatter().format(permutation_lemma())
    assert data["text/latex"].startswith(r"$\displaystyle")
    group = _shown(EXAMPLE.loss.mlp.symmetry_group())
    assert group.startswith("$$G = ") and "|G| = 8" in group and "**Generators:**" in group


def test_a_result_without_a_one_line_display_shows_only_its_markdown():
    loss = Loss(MLP((1, 1, 1), "relu"), Dataset([[1], [-1]], [[1], [0]]), "mse")
    data, _ = formatters.DisplayFormatter().format(prove_gradient_identity(loss, rescale(1, 0, 2)))
    assert "text/markdown" in data and "text/latex" not in data


def test_import_symcert_is_enough_for_a_notebook():
    """A notebook's first cell is ``import symcert``: the printers are there when a result is shown."""
    import subprocess
    import sys

    code = "\n".join(
        [
            "import symcert",
            "from IPython.core.formatters import DisplayFormatter",
            "ex = symcert.default_example()",
            "data, _ = DisplayFormatter().format(symcert.prove_invariance(ex.loss, ex.element))",
            "print(data['text/markdown'].splitlines()[0][:10], data['text/latex'][:14])",
        ]
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["**Claim.**", r"$\displaystyle"]
