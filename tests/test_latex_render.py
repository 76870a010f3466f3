"""The LaTeX renderers (no TeX needed): complete derivations, readable displays, honest numbers."""

from __future__ import annotations

import re

import pytest
import sympy
from hypothesis import example, given
from hypothesis import strategies as st

from symcert import (
    MLP,
    Dataset,
    Loss,
    certify_nonconvexity,
    default_example,
    flip,
    prove_convexity,
    prove_invariance,
)
from symcert.build.tex import compile_pdf, first_tex_error, log_problems, standalone_document
from symcert.errors import TeXError
from symcert.printing.latex.certificate import certificate_to_latex
from symcert.printing.latex.display import (
    LINE_WIDTH,
    MAX_LINES,
    decimal_bound,
    display_lines,
    interval_latex,
    visible_width,
)
from symcert.printing.latex.names import symbol_names

EXAMPLE = default_example()
KINDS = ("chord", "curvature", "hessian", "orbit", "critical_pair")


def _balanced(text: str) -> bool:
    begins = re.findall(r"\\begin\{(\w+\*?)\}", text)
    ends = re.findall(r"\\end\{(\w+\*?)\}", text)
    depth = 0
    for char in text.replace(r"\{", "").replace(r"\}", ""):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0 and sorted(begins) == sorted(ends)


def _printed_number(text: str) -> sympy.Rational:
    mantissa, _, exponent = text.partition(r" \times 10^{")
    value = sympy.Rational(mantissa)
    return value * sympy.Rational(10) ** int(exponent.rstrip("}")) if exponent else value


@given(
    st.fractions(min_value=-(10**8), max_value=10**8).filter(lambda f: f != 0),
    st.integers(min_value=1, max_value=15),
)
@example(sympy.Rational(9999, 10000), 3)
@example(sympy.Rational(-1, 3), 1)
@example(sympy.Rational(123456789, 10**20), 4)
def test_printed_bounds_are_rounded_outward(value, digits):
    value = sympy.Rational(value.numerator, value.denominator) if hasattr(value, "numerator") else value
    low = _printed_number(decimal_bound(value, digits, "down"))
    high = _printed_number(decimal_bound(value, digits, "up"))
    assert low <= value <= high
    width = abs(value) * sympy.Rational(10) ** (1 - digits) * 2
    assert high - low <= width


def test_interval_latex_contains_the_enclosure():
    bounds = (sympy.Rational(1, 7), sympy.Rational(2, 7))
    low, high = re.findall(
        r"[-0-9.]+", interval_latex(bounds, 5).replace(r"\left[", "").replace(r"\right]", "")
    )
    assert sympy.Rational(low) <= bounds[0] and bounds[1] <= sympy.Rational(high)


@pytest.mark.parametrize("kind", KINDS)
def test_certificate_derivation_is_complete(kind):
    certificate = certify_nonconvexity(EXAMPLE.loss, EXAMPLE.teacher, element=EXAMPLE.element, kind=kind)
    text = certificate.to_latex()
    assert _balanced(text)
    assert text.startswith(r"\begin{theorem}") and text.rstrip().endswith(r"\end{proof}")
    for piece in (
        r"\sum_{i=1}^{5}",  # the loss per data point
        r"\ell_{1}(\theta)",
        r"\mapsto",  # the substitution
        "canonical form",
        "Lemma used",
        r"\begin{pmatrix} 2 \\ -1 \end{pmatrix}",  # exact coordinates of A
        "Hence $L$ is not convex.",
    ):
        assert piece in text, piece
    for bounds in certificate.enclosures.values():
        assert interval_latex(bounds, 12) in text


def test_digits_and_context_options():
    certificate = certify_nonconvexity(EXAMPLE.loss, EXAMPLE.teacher, element=EXAMPLE.element)
    short = certificate_to_latex(certificate, 4, context=False, label="thm:x")
    assert r"\label{thm:x}" in short and r"\ell_{1}" not in short
    assert interval_latex(certificate.enclosures["barrier"], 4) in short
    assert interval_latex(certificate.enclosures["barrier"], 4) not in certificate.to_latex(12)


def test_long_expressions_are_broken_into_readable_lines():
    net = MLP((2, 3, 1), "tanh")
    loss = Loss(net, Dataset([[1, 0], [0, 1], [1, 1], [-1, 2]], [[1], [0], [1], [0]]), "mse")
    text = prove_invariance(loss, flip(1, 2)).to_latex()
    assert "omitted" not in text
    for expr in [*loss.terms(), loss.expr]:
        lines = display_lines(expr, symbol_names(net))
        assert len(lines) <= MAX_LINES
        # a line is wider than the target only when it holds one unbreakable factor
        assert all(visible_width(line) <= 2 * LINE_WIDTH for line in lines)
    assert max(len(line) for line in text.splitlines()) < 400


def test_proof_latex_escapes_prose_and_names_inputs():
    text = prove_invariance(MLP((2, 2, 1), "tanh"), flip(1, 0)).to_latex()
    assert "x_{1}" in text and "x_{2}" in text
    assert "->" not in text


def test_convexity_latex():
    proof = prove_convexity(Loss(MLP((1, 1)), Dataset([[1], [2]], [[0], [1]]), "mse"))
    text = proof.to_latex(label="thm:c")
    assert _balanced(text) and r"J_{i} J_{i}^{\top}" in text and "Hence $L$ is convex." in text


def test_repr_latex_for_notebooks():
    certificate = certify_nonconvexity(EXAMPLE.loss, EXAMPLE.teacher, element=EXAMPLE.element)
    proof = prove_invariance(EXAMPLE.loss, EXAMPLE.element)
    convexity = prove_convexity(Loss(MLP((1, 1)), Dataset([[1], [2]], [[0], [1]]), "mse"))
    group = EXAMPLE.loss.mlp.symmetry_group()
    for shown in (certificate, proof, convexity, group):
        text = shown._repr_latex_()
        assert text.startswith("$") and text.endswith("$") and _balanced(text)
        assert r"\begin{theorem}" not in text  # MathJax shows math, not theorem environments
    assert "not convex" in certificate._repr_latex_() and "|G| = 8" in group._repr_latex_()


def test_standalone_document_defines_every_environment():
    text = standalone_document("x", title="T")
    for env in ("theorem", "lemma", "definition", "exercise"):
        assert r"\newtheorem{%s}" % env in text
    for package in (
        "amsmath",
        "amssymb",
        "amsthm",
        "mathtools",
        "booktabs",
        "hyperref",
        "geometry",
        "pgfplots",
    ):
        assert package in text
    assert r"\pgfplotsset{compat=" in text


def test_tex_log_parsing():
    log = "This is pdfTeX\n! LaTeX Error: Environment foo undefined.\n\nl.7 \\begin{foo}\n"
    assert first_tex_error(log) == r"! LaTeX Error: Environment foo undefined. (line 7: \begin{foo})"
    assert first_tex_error("all fine") is None
    assert log_problems("LaTeX Warning: Citation `Chen1993' on page 2 undefined on input line 3.") == (
        "undefined citation 'Chen1993'"
    )
    assert log_problems("LaTeX Warning: There were undefined references.") == "undefined references"
    assert log_problems("! LaTeX Error: File `bump.png' not found.") == "missing file 'bump.png'"


def test_no_tex_installed_is_one_clear_error(tmp_path, monkeypatch):
    tex = tmp_path / "a.tex"
    tex.write_text(standalone_document("x"), encoding="utf-8")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(TeXError, match=r"no TeX installed \(pdflatex/latexmk not found\)"):
        compile_pdf(tex)


def test_prove_pdf_without_tex_exits_2(tmp_path, monkeypatch, capsys):
    from symcert.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["prove", "--latex", "d.tex", "--pdf", "d.pdf"]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) >= 1 and "no TeX installed" in error[-1]
    assert (tmp_path / "d.tex").exists() and not (tmp_path / "d.pdf").exists()
    assert main(["prove", "--pdf", "d.pdf"]) == 2  # --pdf needs --latex
