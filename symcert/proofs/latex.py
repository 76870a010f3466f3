r"""LaTeX rendering of invariance proofs (the objects hold no LaTeX).

Expressions are printed with the network's LaTeX symbol names
(``W^{(1)}_{21}``); long ones are summarised per data point.

>>> from symcert import MLP, swap, prove_invariance
>>> text = prove_invariance(MLP((1, 2, 1)), swap(1, 0, 1)).to_latex()
>>> text.startswith(r"\begin{theorem}") and r"\end{proof}" in text
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sympy

from symcert.symbolic.generic import PermutationLemma
from symcert.symbolic.losses import Loss

if TYPE_CHECKING:
    from symcert.proofs.invariance import Proof

__all__ = ["proof_to_latex", "claim_to_latex", "expression_to_latex", "permutation_lemma_to_latex"]

#: Expressions longer than this (in LaTeX characters) are not printed whole.
LONG_EXPRESSION = 600


def expression_to_latex(expr: Any, names: dict | None = None) -> str:
    """LaTeX for a SymPy object with the network's symbol names; long ones elided."""
    from symcert.symbolic.point import Point

    if isinstance(expr, Point):
        return r",\ ".join(
            f"{key} = {sympy.latex(sympy.Matrix(sympy.sympify(value)), mat_delim='(')}"
            for key, value in expr.arrays().items()
        )
    text = sympy.latex(expr, symbol_names=names or {})
    if len(text) > LONG_EXPRESSION:
        return r"\text{(an expression of %d characters, omitted)}" % len(text)
    return text


def claim_to_latex(proof: Proof) -> str:
    """The claim as math: ``L(g\\theta) = L(\\theta)`` with ``g`` named."""
    from symcert.symbolic.group import SymmetryGroup

    element = proof.element
    if isinstance(element, SymmetryGroup):
        g = r"g \in G,\ |G| = %d" % element.order
    else:
        g = r"g = \mathrm{%s}" % _escape(repr(element))
    if isinstance(proof.target, Loss):
        return r"L(g\theta) = L(\theta)\ \text{for all } \theta,\quad " + g
    return r"f(x; g\theta) = f(x; \theta)\ \text{for all } x, \theta,\quad " + g


def proof_to_latex(proof: Proof) -> str:
    """A ``theorem``/``proof`` fragment; the environments must be defined by the document."""
    names = _names(proof)
    status = {"proved": "Theorem", "refuted": "Counterexample", "undecided": "Open claim"}[proof.status]
    lines = [
        r"\begin{theorem}[%s]" % status,
        _escape(proof.claim) + r": $" + claim_to_latex(proof) + r"$.",
        r"\end{theorem}",
        r"\begin{proof}",
        r"\begin{enumerate}",
    ]
    for step in proof.steps:
        lines.append(r"\item \textbf{%s.} %s" % (_escape(step.name.capitalize()), _escape(step.text)))
        for label, value in step.expressions[:8]:
            lines.append(_labelled(label, value, names))
        if len(step.expressions) > 8:
            lines.append(r"(and %d more)" % (len(step.expressions) - 8))
    for part in proof.parts:
        lines.append(r"\item Generator $\mathrm{%s}$: %s." % (_escape(repr(part.element)), part.status))
    lines += [r"\end{enumerate}", r"\end{proof}"]
    return "\n".join(lines)


def _labelled(label: str, value: Any, names: dict) -> str:
    if label.endswith(" ->"):  # a substitution: parameter |-> image
        symbol = next((s for s in names if s.name == label[:-3]), None)
        left = names.get(symbol, _escape(label[:-3]))
        return r"\[ %s \mapsto %s \]" % (left, expression_to_latex(value, names))
    return r"\[ \text{%s:}\quad %s \]" % (_escape(label), expression_to_latex(value, names))


def _names(proof: Proof) -> dict:
    mlp = proof.target.mlp if isinstance(proof.target, Loss) else proof.target
    return mlp.latex_names


def _escape(text: str) -> str:
    for char, replacement in (
        ("\\", r"\textbackslash{}"),
        ("_", r"\_"),
        ("&", r"\&"),
        ("%", r"\%"),
        ("#", r"\#"),
    ):
        text = text.replace(char, replacement)
    return text


def permutation_lemma_to_latex(lemma: PermutationLemma, checked: dict[int, int] | None = None) -> str:
    r"""The width-generic permutation lemma as a ``lemma``/``proof`` fragment.

    >>> from symcert import permutation_lemma
    >>> r"\sum_{j=1}^{n}" in permutation_lemma_to_latex(permutation_lemma())
    True
    """
    lines = [
        r"\begin{lemma}[Permutation invariance, any width]",
        r"For every permutation $\pi$ of $\{1, \dots, n\}$: $%s$." % sympy.latex(lemma.statement),
        r"\end{lemma}",
        r"\begin{proof}",
        r"\begin{enumerate}",
    ]
    for text, expr in lemma.steps:
        lines.append(r"\item %s: \[ %s \]" % (_escape(text), sympy.latex(expr)))
    lines.append(r"\end{enumerate}")
    if checked:
        total = sum(checked.values())
        lines.append(
            r"As a check, the identity was verified exactly for all %d permutations of widths 1 to %d."
            % (total, max(checked))
        )
    lines.append(r"\end{proof}")
    return "\n".join(lines)
