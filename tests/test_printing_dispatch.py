"""The printers dispatch on type, and the objects' conveniences only delegate to them."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest
import sympy

import symcert
from symcert import (
    MLP,
    Dataset,
    Loss,
    SpecificationError,
    certify_barrier,
    certify_nonconvexity,
    default_example,
    permutation_lemma,
    prove_convexity,
    prove_gradient_identity,
    prove_invariance,
    rescale,
)
from symcert.printing import figure, notebook
from symcert.printing.latex.certificate import certificate_to_latex
from symcert.printing.latex.display import point_latex
from symcert.printing.latex.elements import permutation_lemma_to_latex
from symcert.printing.latex.invariance import proof_to_latex
from symcert.printing.latex.model import loss_latex, network_latex
from symcert.printing.text.certificate import certificate_to_text

EXAMPLE = default_example()
CERTIFICATE = certify_nonconvexity(EXAMPLE.loss, EXAMPLE.teacher, element=EXAMPLE.element)
PROOF = prove_invariance(EXAMPLE.loss, EXAMPLE.element)


def test_each_type_goes_to_its_renderer():
    assert symcert.latex(PROOF) == proof_to_latex(PROOF)
    assert symcert.latex(CERTIFICATE, 6) == certificate_to_latex(CERTIFICATE, 6)
    assert symcert.text(CERTIFICATE) == certificate_to_text(CERTIFICATE)
    assert symcert.latex(EXAMPLE.loss.mlp) == network_latex(EXAMPLE.loss.mlp)
    assert symcert.latex(EXAMPLE.loss) == loss_latex(EXAMPLE.loss)
    assert symcert.latex(EXAMPLE.teacher) == point_latex(EXAMPLE.teacher)
    assert symcert.latex(permutation_lemma()) == permutation_lemma_to_latex(permutation_lemma())
    assert symcert.latex(EXAMPLE.element) == r"$\mathrm{swap}^{(1)}_{1,2}$"
    assert symcert.latex(sympy.Rational(1, 2)) == r"\frac{1}{2}"
    assert symcert.text(sympy.Rational(1, 2)) == "1/2"


def test_the_conveniences_delegate():
    assert PROOF.to_latex() == symcert.latex(PROOF) and PROOF.summary() == symcert.text(PROOF)
    assert CERTIFICATE.to_latex() == symcert.latex(CERTIFICATE) and CERTIFICATE.summary() == symcert.text(
        CERTIFICATE
    )
    assert CERTIFICATE.to_coq() == symcert.coq(CERTIFICATE)
    assert CERTIFICATE._repr_markdown_() == notebook(CERTIFICATE)
    convexity = prove_convexity(Loss(MLP((1, 1)), Dataset([[1], [2]], [[0], [1]]), "mse"))
    assert convexity.to_latex() == symcert.latex(convexity) and convexity.summary() == symcert.text(convexity)
    assert symcert.text(convexity).endswith("Verdict: PROVED")
    loss = Loss(MLP((1, 1, 1), "relu"), Dataset([[1], [-1]], [[1], [0]]), "mse")
    gradient = prove_gradient_identity(loss, rescale(1, 0, 2))
    assert gradient.summary() == symcert.text(gradient) and gradient.summary().endswith("Verdict: PROVED")
    group = EXAMPLE.loss.mlp.symmetry_group()
    assert group._repr_latex_() == symcert.latex(group)
    assert symcert.text(group).splitlines()[0] == "Symmetry group of the 1-2-1 tanh network (7 parameters)"


def test_figures_of_a_certificate_and_a_barrier():
    assert r"\label{fig:s}" in figure(CERTIFICATE, label="fig:s")
    result = certify_barrier(EXAMPLE.loss, EXAMPLE.teacher, EXAMPLE.element(EXAMPLE.teacher), tol=0.1)
    assert r"\begin{axis}" in figure(result, title="before")
    assert symcert.text(result) == result.summary() and result.summary().startswith("barrier (")
    without_b = dataclasses.replace(CERTIFICATE, kind="orbit", B=None)
    with pytest.raises(SpecificationError, match="no second point"):
        figure(without_b)


@pytest.mark.parametrize("printer", [symcert.latex, symcert.text, symcert.coq, figure, notebook])
def test_an_unknown_type_is_one_clear_error(printer):
    with pytest.raises(SpecificationError, match=r"got a dict; pass "):
        printer({"not": "printable"})


def test_coq_refuses_what_is_not_a_certificate():
    with pytest.raises(SpecificationError, match="pass a Certificate"):
        symcert.coq(PROOF)


# -- the printer functions are declared below every layer, the printers register from above ---------

#: The seven results that display themselves, and the display methods none of them writes by hand.
DISPLAYED = (
    symcert.Proof,
    symcert.Certificate,
    symcert.ConvexityProof,
    symcert.GradientProof,
    symcert.BarrierResult,
    symcert.SymmetryGroup,
    type(permutation_lemma()),
)
DISPLAY_METHODS = ("to_latex", "summary", "to_coq", "claim_latex", "_repr_latex_", "_repr_markdown_")


def test_the_printers_are_the_functions_declared_in_the_leaf_module():
    from symcert import display

    assert symcert.latex is display.latex and symcert.text is display.text and symcert.coq is display.coq
    assert notebook is display.notebook


@pytest.mark.parametrize("cls", DISPLAYED, ids=lambda cls: cls.__name__)
def test_a_result_inherits_its_display_and_writes_none(cls):
    from symcert.display import Displayed

    assert issubclass(cls, Displayed)
    assert not set(DISPLAY_METHODS) & set(vars(cls)), sorted(set(DISPLAY_METHODS) & set(vars(cls)))


def test_the_display_methods_keep_their_options():
    assert CERTIFICATE.to_latex(6) == certificate_to_latex(CERTIFICATE, 6)
    assert CERTIFICATE.summary(exact=True) == certificate_to_text(CERTIFICATE, exact=True)
    assert PROOF.claim_latex() in PROOF._repr_latex_()
    with pytest.raises(SpecificationError, match="got a Proof; pass a Certificate"):
        PROOF.to_coq()


def test_a_new_type_registers_its_printer_from_above():
    from symcert.display import Displayed

    class Note(Displayed):
        pass

    with pytest.raises(SpecificationError, match="got a Note; pass one of those"):
        Note().to_latex()
    symcert.latex.register(Note, lambda note, **options: r"\emph{note}")  # a class local to this test
    assert Note().to_latex() == r"\emph{note}"


def test_without_the_printers_a_result_loads_them_and_the_bare_function_says_how():
    """A result built from the submodules alone (no symcert.printing yet) prints through its own
    methods, which load the printers; before that, the bare generic function says what to import."""
    code = "\n".join(
        [
            "import sys",
            "from symcert.display import latex",
            "from symcert.errors import SymcertError",
            "from symcert.proofs.invariance import prove_invariance",
            "from symcert.symbolic.group import swap",
            "from symcert.symbolic.network import MLP",
            "proof = prove_invariance(MLP((1, 2, 1), 'tanh'), swap(1, 0, 1))",
            "assert 'symcert.printing' not in sys.modules",
            "try:",
            "    latex(proof)",
            "except SymcertError as error:",
            "    print(error)",
            "print(proof.to_latex().startswith(r'\\begin{theorem}'), 'symcert.printing' in sys.modules)",
        ]
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    message, loaded = out.strip().splitlines()
    assert "has no printers yet" in message and "import symcert.printing" in message, message
    assert loaded == "True True"
