r"""LaTeX rendering of certificates and convexity proofs (the objects hold no LaTeX).

A certificate becomes a ``theorem`` and a step-by-step ``proof``: the network
and its loss per data point, the symmetry and why it is one, the exact points,
the inequality with its rigorous enclosures (rounded outward to ``digits``
significant digits, so the printed intervals still contain the true values),
and the conclusion.

>>> from symcert.symbolic.examples import default_example
>>> from symcert.proofs.nonconvexity import certify_nonconvexity
>>> example = default_example()
>>> text = certify_nonconvexity(example.loss, example.teacher, element=example.element).to_latex()
>>> r"\begin{theorem}" in text and "not convex" in text
True
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import sympy

from symcert.printing.latex.display import escape, interval_latex, point_latex
from symcert.printing.latex.elements import element_latex
from symcert.printing.latex.invariance import invariance_reason_latex
from symcert.printing.latex.kinds import KIND_LATEX, kind_latex
from symcert.printing.latex.model import loss_latex, loss_phrase, network_latex
from symcert.proofs.reduction import SECOND_DIFFERENCE

if TYPE_CHECKING:
    from symcert.proofs.certificates import Certificate
    from symcert.proofs.invariance import Proof

__all__ = [
    "certificate_to_latex",
    "certificate_repr_latex",
    "claim_latex",
    "interval_latex",
    "quantity_latex",
    "certificate_quantity",
    "certificate_arithmetic",
]


def claim_latex(certificate: Certificate) -> str:
    """The certificate's inequality as LaTeX math."""
    return kind_latex(certificate.kind).claim_of(certificate)


def quantity_latex(name: str) -> str:
    r"""The math for an enclosure's name (``"barrier"``, ``"L(A)"``, ``"phi''(t0)"``, ...).

    >>> quantity_latex("L(mean)")
    'L(\\bar A)'
    """
    return {
        "barrier": r"L(M) - \tfrac{1}{2}\bigl(L(A) + L(B)\bigr)",
        "beta": r"\beta",
        "phi''(t0)": r"\varphi''(t_0)",
        "phi'(t0)": r"\varphi'(t_0)",
        "dHd": r"d^{\top} \nabla^2 L(M)\, d",
        "gap": r"L(\bar A) - L(A)",
        "L(mean)": r"L(\bar A)",
        "phi(t0-h) + phi(t0+h) - 2 phi(t0)": r"\varphi(t_0 - h) + \varphi(t_0 + h) - 2\varphi(t_0)",
    }.get(name, name if re.fullmatch(r"[A-Za-z]\([A-Za-z]+\)", name) else r"\text{%s}" % escape(name))


def certificate_repr_latex(certificate: Certificate, digits: int = 8) -> str:
    """One MathJax display for notebooks: the decisive enclosure and the verdict."""
    own = kind_latex(certificate.kind)
    if own.display is not None:
        return own.display(certificate, digits)
    name = certificate.spec.quantity
    parts = [claim_latex(certificate)]
    if name in certificate.enclosures:
        parts.append(
            r"%s \in %s" % (quantity_latex(name), interval_latex(certificate.enclosures[name], digits))
        )
    verdict = {
        "proved": r"\Rightarrow\ L \text{ is not convex}",
        "refuted": r"\text{(refuted)}",
        "undecided": r"\text{(undecided)}",
    }[certificate.status]
    return r"$\displaystyle %s\quad %s$" % (r",\quad ".join(parts), verdict)


def certificate_to_latex(
    certificate: Certificate,
    digits: int = 12,
    *,
    invariance: Proof | None = None,
    context: bool = True,
    label: str | None = None,
) -> str:
    """A ``theorem``/``proof`` fragment: the whole derivation, step by step.

    ``digits`` is the number of significant digits printed for each enclosure;
    ``invariance`` the proof that ``certificate.element`` is a symmetry (proved
    here when not given); ``context=False`` leaves out the network and loss
    (for documents that define them before); ``label`` labels the theorem.
    """
    own = kind_latex(certificate.kind)
    if own.document is not None:
        return own.document(certificate, digits, context=context, label=label)
    loss = certificate.loss
    proved = certificate.status == "proved" and own.shows_nonconvexity(certificate)
    verdict = {
        "proved": "Hence $L$ is not convex.",
        "refuted": "This witness does not show non-convexity.",
        "undecided": "The enclosures did not decide the inequality.",
    }[certificate.status if proved or certificate.status != "proved" else "undecided"]
    if certificate.status == "proved" and not proved:
        verdict = r"The barrier is not positive, so this pair of points does not show non-convexity."
        if certificate.parameters.get("form") == "midpoint":
            verdict = (
                r"The lower end does not exceed $|L(A) - L(B)|/2$, so this midpoint-form barrier does not "
                r"show non-convexity."
            )
    subject = r"The %s" % loss_phrase(loss) if context else r"The loss $L$"
    points = r"at the exact points $A$ and $B%s$ below" % ("" if certificate.element is None else " = gA")
    if proved:
        head = r"\begin{theorem}[Non-convexity: %s]" % certificate.spec.title
        if label:
            head += r"\label{%s}" % label
        lines = [
            head,
            r"%s is not convex: %s, $%s$." % (subject, points, claim_latex(certificate)),
            r"\end{theorem}",
            r"\begin{proof}",
        ]
        end = r"\end{proof}"
    else:  # a claim that failed is never typeset as a theorem
        head = r"\begin{remark}[Non-convexity not shown: %s]" % certificate.spec.title
        if label:
            head += r"\label{%s}" % label
        lines = [
            head,
            r"%s was tested for $%s$ %s; the inequality was %s."
            % (subject, claim_latex(certificate), points, certificate.status),
        ]
        end = r"\end{remark}"
    step = 0

    def paragraph(title: str) -> str:
        nonlocal step
        step += 1
        return _heading("Step %d: %s" % (step, title))

    if context:
        lines += [paragraph("the network and the loss"), network_latex(loss.mlp), "", loss_latex(loss)]
    if certificate.element is not None:
        lines.append(paragraph("the symmetry"))
        proof = invariance
        if proof is None:
            from symcert.proofs.invariance import prove_invariance

            proof = prove_invariance(loss, certificate.element)
        if not context and proof.status == "proved":  # the document proved it before: refer to it
            lines.append(
                r"As proved above, $g = %s$ is a symmetry of $L$: $L(g\theta) = L(\theta)$ for every "
                r"$\theta$." % element_latex(certificate.element)
            )
        else:
            lines.append(invariance_reason_latex(proof))
    lines.append(paragraph("the points"))
    lines += _points(certificate)
    lines.append(paragraph("the inequality"))
    lines += own.argument(certificate)
    lines += _enclosures(certificate, digits)
    lines += [verdict, end]
    return "\n".join(lines)


def _points(certificate: Certificate) -> list[str]:
    A, B, element = certificate.A, certificate.B, certificate.element
    out = [r"All coordinates are exact rationals. \[ A:\quad %s \]" % point_latex(A)]
    if B is not None:
        name = "B" if element is None else r"B = gA"
        out.append(r"\[ %s:\quad %s \]" % (name, point_latex(B)))
    return out + kind_latex(certificate.kind).points(certificate)


def _enclosures(certificate: Certificate, digits: int) -> list[str]:
    if not certificate.enclosures:
        return []
    rows = [
        r"%s &\in %s" % (quantity_latex(_name(certificate, name)), interval_latex(bounds, digits))
        for name, bounds in certificate.enclosures.items()
    ]
    bounds = certificate.enclosures.get(certificate.spec.quantity)
    name, relation = kind_latex(certificate.kind).decisive(certificate)
    decided = ""
    low, high = bounds if bounds is not None else (0, 0)
    holds = {">": low > 0, "<": high < 0, "!=": low > 0 or high < 0}[relation]
    if bounds is not None and certificate.status == "proved" and holds:
        side = {">": ("lower", 0), "<": ("upper", 1), "!=": ("", None)}[relation]
        if side[1] is None:
            decided = r"The enclosure of $%s$ does not contain $0$, so $%s \ne 0$." % (
                quantity_latex(name),
                quantity_latex(name),
            )
        else:
            decided = r"The %s endpoint of the enclosure of $%s$ is %s $0$, so $%s %s 0$, strictly." % (
                side[0],
                quantity_latex(name),
                "above" if relation == ">" else "below",
                quantity_latex(name),
                relation,
            )
    h = certificate.parameters.get("h")
    if h is not None and certificate.status == "proved":
        t0 = certificate.parameters.get("t0", sympy.Rational(1, 2))
        decided += (
            r" The negative second derivative also gives a chord directly: with $t_0 = %s$ and $h = %s$, "
            r"the point $A + t_0(B - A)$ is the midpoint of $A + (t_0 \mp h)(B - A)$, and the enclosure of "
            r"$%s$ above is negative, so it lies strictly above their chord."
            % (sympy.latex(t0), sympy.latex(h), quantity_latex(SECOND_DIFFERENCE))
        )
    return [
        r"Interval arithmetic with outward rounding (%s), from the exact points, "
        r"encloses (endpoints rounded outward to %d digits):" % (_arithmetic(certificate), digits),
        "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}",
        decided,
    ]


def certificate_quantity(certificate: Certificate, name: str) -> str:
    """The name under which an enclosure is printed (see :func:`quantity_latex`)."""
    return _name(certificate, name)


def certificate_arithmetic(certificate: Certificate) -> str:
    """How the certificate's enclosures were computed, in words."""
    return _arithmetic(certificate)


def _name(certificate: Certificate, name: str) -> str:
    """The name an enclosure prints as (a barrier certificate's ``barrier`` is the supremum ``beta``)."""
    own = KIND_LATEX.get(certificate.kind)  # a kind without a derivation still has enclosures to print
    return name if own is None else own.names.get(name, name)


def _heading(title: str) -> str:
    # a run-in heading that, unlike \paragraph, may be followed by a display or a list inside a proof
    return r"\par\medskip\noindent\textbf{%s.}" % title


def _arithmetic(certificate: Any) -> str:
    """How the enclosures were computed, in words: verified float64, or Arb or mpmath at some digits."""
    rung = getattr(certificate.decision, "rung", "mpmath")
    if rung == "float64":
        return "verified IEEE double precision"
    return "%d significant digits" % certificate.dps
