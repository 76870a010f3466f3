r"""LaTeX rendering of gradient-identity proofs (:mod:`symcert.proofs.gradient`).

>>> from symcert import MLP, Dataset, Loss, rescale, prove_gradient_identity
>>> loss = Loss(MLP((1, 1, 1), "relu"), Dataset([[1], [-1]], [[1], [0]]), "mse")
>>> text = prove_gradient_identity(loss, rescale(1, 0, 2)).to_latex()
>>> text.startswith(r"\begin{theorem}") and r"\sigma'(u)" in text
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from symcert.printing.latex.display import escape, point_latex
from symcert.printing.latex.names import symbol_names

if TYPE_CHECKING:
    from symcert.proofs.gradient import GradientProof

__all__ = ["gradient_proof_to_latex", "identity_latex"]


def _sum(symbols, names) -> str:
    return " + ".join(r"%s\,\frac{\partial L}{\partial %s}" % ((names[s],) * 2) for s in symbols)


def identity_latex(proof: GradientProof) -> str:
    """The identity as math, with the network's parameter names."""
    names = symbol_names(proof.loss.mlp)
    outgoing = _sum(proof.outgoing, names)
    if proof.degree != 1:
        outgoing = r"%d\,\Bigl(%s\Bigr)" % (proof.degree, outgoing)
    elif len(proof.outgoing) > 1:
        outgoing = r"\Bigl(%s\Bigr)" % outgoing
    return r"%s - %s = 0" % (_sum(proof.incoming, names), outgoing)


def conserved_latex(proof: GradientProof) -> str:
    """The quantity conserved under gradient flow."""
    names = symbol_names(proof.loss.mlp)
    inc = " + ".join("(%s)^2" % names[s] for s in proof.incoming)
    out = " + ".join("(%s)^2" % names[s] for s in proof.outgoing)
    if proof.degree != 1:
        out = r"%d\,\bigl(%s\bigr)" % (proof.degree, out)
    elif len(proof.outgoing) > 1:
        out = r"\bigl(%s\bigr)" % out
    return r"Q = %s - %s" % (inc, out)


def gradient_proof_to_latex(proof: GradientProof) -> str:
    """A ``theorem``/``proof`` fragment (the environments are defined by the document)."""
    if proof.parts:
        return "\n\n".join(gradient_proof_to_latex(part) for part in proof.parts)
    status = {"proved": "Gradient identity", "refuted": "Counterexample", "undecided": "Open claim"}[
        proof.status
    ]
    lines = [
        r"\begin{theorem}[%s]" % status,
        r"For every $\theta$: \[ %s. \]" % identity_latex(proof),
        r"\end{theorem}",
        r"\begin{proof}",
        r"\begin{enumerate}",
        r"\item Let $g_c$ multiply the incoming weights%s of unit %d of layer %d by $c > 0$ and its "
        r"outgoing weights by $c^{-%d}$; the left-hand side $D$ is $\frac{d}{dc} L(g_c\theta)$ at $c = 1$, "
        r"computed here exactly from $L$ written with an abstract activation $\sigma$."
        % (" and bias" if proof.loss.mlp.bias else "", proof.unit + 1, proof.layer, proof.degree),
    ]
    if proof.lemma is not None:
        lemma = proof.lemma
        lines.append(
            r"\item Lemma (Euler's relation for %s): $u\,\sigma'(u) = %s\sigma(u)$ for every $u$; checked "
            r"exactly, %s."
            % (
                escape(proof.loss.mlp.activation.label),
                "" if proof.degree == 1 else str(proof.degree),
                escape(lemma.justification),
            )
        )
    k = "" if proof.degree == 1 else r"%d\," % proof.degree
    for step in proof.steps:
        if step.name == "Euler" and proof.status == "proved":
            lines.append(
                r"\item Let $u_i$ be the unit's pre-activation at data point $x_i$. $D$ is linear in each "
                r"$\sigma'(u_i)$, and its coefficient is $u_i$ times a polynomial $g_i$ (checked by exact "
                r"expansion); so $D = \sum_i g_i\, u_i \sigma'(u_i) + R = \sum_i g_i\, %s\sigma(u_i) + R$ by "
                r"the lemma, and this expands to $0$." % k
            )
        elif step.name in ("Euler", "counterexample"):
            lines.append(r"\item %s." % escape(step.text.rstrip(".")))
        if step.name == "counterexample":
            lines.append(r"\[ \theta = %s \]" % point_latex(proof.counterexample[0]))
    verdict = {
        "proved": r"Hence $D = 0$ for every $\theta$. Under gradient flow $\dot\theta = -\nabla L$ the "
        r"quantity $%s$ satisfies $\dot Q = -2D = 0$: it is conserved." % conserved_latex(proof),
        "refuted": r"Hence the identity does \emph{not} hold.",
        "undecided": r"The identity was not decided.",
    }[proof.status]
    lines += [r"\item " + verdict, r"\end{enumerate}", r"\end{proof}"]
    return "\n".join(lines)
