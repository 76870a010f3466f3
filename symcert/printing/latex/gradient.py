r"""LaTeX rendering of gradient-identity proofs (:mod:`symcert.proofs.gradient`).

>>> from symcert import MLP, Dataset, Loss, rescale, prove_gradient_identity
>>> loss = Loss(MLP((1, 1, 1), "relu"), Dataset([[1], [-1]], [[1], [0]]), "mse")
>>> text = prove_gradient_identity(loss, rescale(1, 0, 2)).to_latex()
>>> text.startswith(r"\begin{theorem}") and r"\sigma'(u)" in text
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from symcert.printing.latex.display import interval_latex, point_latex
from symcert.printing.latex.model import activation_latex, loss_phrase
from symcert.printing.latex.names import symbol_names

if TYPE_CHECKING:
    from symcert.proofs.gradient import GradientProof

__all__ = ["gradient_proof_to_latex", "identity_latex"]


def _sum(symbols, names) -> str:
    return " + ".join(r"%s\,\frac{\partial L}{\partial %s}" % ((names[s],) * 2) for s in symbols)


def identity_latex(proof: GradientProof) -> str:
    """The identity as math, with the network's parameter names."""
    names = symbol_names(proof.loss.mlp)
    if proof.kind == "translation":
        return r"%s = 0" % " + ".join(r"\frac{\partial L}{\partial %s}" % names[b] for b in proof.incoming)
    outgoing = _sum(proof.outgoing, names)
    if proof.degree != 1:
        outgoing = r"%d\,\Bigl(%s\Bigr)" % (proof.degree, outgoing)
    elif len(proof.outgoing) > 1:
        outgoing = r"\Bigl(%s\Bigr)" % outgoing
    return r"%s - %s = 0" % (_sum(proof.incoming, names), outgoing)


def conserved_latex(proof: GradientProof) -> str:
    """The quantity conserved under gradient flow."""
    names = symbol_names(proof.loss.mlp)
    if proof.kind == "translation":
        return r"Q = %s" % " + ".join(names[b] for b in proof.incoming)
    inc = " + ".join("(%s)^2" % names[s] for s in proof.incoming)
    out = " + ".join("(%s)^2" % names[s] for s in proof.outgoing)
    if len(proof.outgoing) > 1:
        out = r"\bigl(%s\bigr)" % out
    if proof.degree != 1:
        out = r"%d\,%s" % (proof.degree, out)
    return r"Q = %s - %s" % (inc, out)


def gradient_proof_to_latex(proof: GradientProof) -> str:
    """A ``theorem``/``proof`` fragment when the identity is proved; a ``remark`` otherwise (a
    claim that failed is never typeset as a theorem). The environments are defined by the document."""
    if proof.parts:
        return "\n\n".join(gradient_proof_to_latex(part) for part in proof.parts)
    if proof.kind == "translation":
        return _translation_latex(proof)
    mlp = proof.loss.mlp
    assert proof.unit is not None  # a single rescaling (a family has parts)
    unit = r"unit $%d$ of layer $%d$" % (proof.unit + 1, proof.layer)
    lines = [
        r"\item Let $g_c$ multiply the incoming weights%s of %s by $c > 0$ and its outgoing weights by "
        r"$c^{-%d}$. The left-hand side $D$ is $\frac{d}{dc} L(g_c\theta)$ at $c = 1$, computed here "
        r"exactly from $L$ written with an abstract activation $\sigma$ in place of $s = %s$."
        % (" and bias" if mlp.has_bias(proof.layer) else "", unit, proof.degree, activation_latex(mlp)),
    ]
    if proof.lemma is not None:
        lemma = proof.lemma
        holds = all(value == 0 for _, value in lemma.checks)
        lines.append(
            r"\item Lemma (Euler's relation for $s = %s$): $u\,\sigma'(u) = %s\sigma(u)$ for every $u$; %s."
            % (
                activation_latex(mlp),
                "" if proof.degree == 1 else str(proof.degree),
                "checked exactly by cases on the sign of $u$" if holds else "its exact check does not vanish",
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
        elif step.name == "Euler":
            lines.append(
                r"\item The lemma does not reduce $D$ to $0$, so the prover looks for an exact point where "
                r"$D \ne 0$."
            )
        elif step.name == "lemma":
            lines.append(
                r"\item $s = %s$ is not positively homogeneous: there is no Euler relation."
                % (activation_latex(mlp))
            )
        elif step.name == "counterexample" and proof.counterexample is not None:
            lines += _counterexample_items(proof)
    verdict = {
        "proved": r"Hence $D = 0$ for every $\theta$. Under gradient flow $\dot\theta = -\nabla L$ the "
        r"quantity $%s$ satisfies $\dot Q = -2D = 0$: it is conserved." % conserved_latex(proof),
        "refuted": r"Hence the identity does \emph{not} hold.",
        "undecided": r"The identity was not decided.",
    }[proof.status]
    lines += [r"\item " + verdict, r"\end{enumerate}"]
    if proof.status == "proved":
        head = [
            r"\begin{theorem}[The rescaling symmetry of %s forces a gradient identity]" % unit,
            r"For the %s and every $\theta$: \[ %s. \]" % (loss_phrase(proof.loss), identity_latex(proof)),
            r"\end{theorem}",
            r"\begin{proof}",
            r"\begin{enumerate}",
        ]
        return "\n".join([*head, *lines, r"\end{proof}"])
    head = [
        r"\begin{remark}[No gradient identity for %s]" % unit,
        r"The claim, for the %s: \[ %s \] %s"
        % (
            loss_phrase(proof.loss),
            identity_latex(proof),
            "is false." if proof.status == "refuted" else "was not decided.",
        ),
        r"\begin{enumerate}",
    ]
    return "\n".join([*head, *lines, r"\end{remark}"])


def _counterexample_items(proof: GradientProof) -> list[str]:
    """The exact point where ``D`` is proved nonzero, as two items' lines."""
    assert proof.counterexample is not None  # called for a refuted identity
    point, decision = proof.counterexample
    return [
        r"\item \textbf{Counterexample.} At the exact point $\theta$ below, $D \in %s$, which does "
        r"not contain $0$:" % interval_latex((decision.lower, decision.upper), 6),
        r"\[ \theta:\quad %s \]" % point_latex(point),
    ]


def _translation_latex(proof: GradientProof) -> str:
    """Kunin's identity for the softmax translation: a theorem when proved, a remark otherwise."""
    lines = [
        r"\item Let $g_c$ add $c$ to the output biases in the sum. The left-hand side $D$ is "
        r"$\frac{d}{dc} L(g_c\theta)$ at $c = 0$, computed here exactly from $L$ written with an "
        r"abstract activation $\sigma$ in place of $s = %s$." % activation_latex(proof.loss.mlp)
    ]
    for step in proof.steps:
        if step.name == "cancellation" and proof.status == "proved":
            lines.append(
                r"\item Replace each exponential in $D$ by a positive symbol $E_n$: $D$ becomes a rational "
                r"function of the $E_n$, which cancels to $0$ exactly."
            )
        elif step.name == "numeric spot check":
            lines.append(r"\item Numeric spot check (evidence only): %s." % step.text.replace("_", r"\_"))
        elif step.name == "counterexample" and proof.counterexample is not None:
            lines += _counterexample_items(proof)
    verdict = {
        "proved": r"Hence $D = 0$ for every $\theta$. Under gradient flow the sum of these biases, $%s$, "
        r"is conserved ($\dot Q = -D = 0$)." % conserved_latex(proof),
        "refuted": r"Hence the identity does \emph{not} hold.",
        "undecided": r"The identity was not decided.",
    }[proof.status]
    lines += [r"\item " + verdict, r"\end{enumerate}"]
    claim = r"\[ %s \]" % identity_latex(proof)
    if proof.status == "proved":
        return "\n".join(
            [
                r"\begin{theorem}[The softmax translation forces a gradient identity (Kunin et al.)]",
                r"For the %s and every $\theta$: %s" % (loss_phrase(proof.loss), claim),
                r"\end{theorem}",
                r"\begin{proof}",
                r"\begin{enumerate}",
                *lines,
                r"\end{proof}",
            ]
        )
    status = "is false." if proof.status == "refuted" else "was not decided."
    return "\n".join(
        [
            r"\begin{remark}[No gradient identity for this translation]",
            r"The claim, for the %s: %s %s" % (loss_phrase(proof.loss), claim, status),
            r"\begin{enumerate}",
            *lines,
            r"\end{remark}",
        ]
    )
