r"""LaTeX rendering of certificates and convexity proofs (the objects hold no LaTeX).

>>> from symcert.symbolic.examples import default_example
>>> from symcert.proofs.nonconvexity import certify_nonconvexity
>>> example = default_example()
>>> text = certify_nonconvexity(example.loss, example.teacher, element=example.element).to_latex()
>>> r"\begin{theorem}" in text and "not convex" in text
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sympy

from symcert.proofs.latex import expression_to_latex

if TYPE_CHECKING:
    from symcert.proofs.certificates import Certificate
    from symcert.proofs.convexity import ConvexityProof

__all__ = ["certificate_to_latex", "claim_latex", "convexity_to_latex", "interval_latex"]

_CLAIMS = {
    "chord": r"L\!\left(\tfrac{A+B}{2}\right) - \tfrac{1}{2}\bigl(L(A) + L(B)\bigr) > 0",
    "curvature": r"\varphi''(t_0) < 0,\quad \varphi(t) = L\bigl(A + t(B - A)\bigr)",
    "hessian": r"d^{\top} \nabla^2 L(M)\, d < 0,\quad M = \tfrac{A+B}{2},\ d = B - A",
    "orbit": r"L(\bar A) - L(A) > 0,\quad \bar A = \tfrac{1}{|G|}\textstyle\sum_{g \in G} gA",
    "critical": r"\nabla L(A) = \nabla L(B) = 0,\quad \nabla L\bigl(A + t_0 (B - A)\bigr) \neq 0",
}


def interval_latex(bounds: tuple[sympy.Rational, sympy.Rational], digits: int = 12) -> str:
    """``[a, b]`` in LaTeX with ``digits`` significant digits."""
    low, high = bounds
    return r"\left[%s,\ %s\right]" % (
        sympy.latex(sympy.Float(low, digits)),
        sympy.latex(sympy.Float(high, digits)),
    )


def claim_latex(certificate: Certificate) -> str:
    """The certificate's inequality as LaTeX math."""
    return _CLAIMS[certificate.kind]


def certificate_to_latex(certificate: Certificate, digits: int = 12) -> str:
    """A ``theorem``/``proof`` fragment: statement, points, enclosures, conclusion."""
    loss = certificate.loss
    verdict = {
        "proved": "Hence $L$ is not convex.",
        "refuted": "This witness does not show non-convexity.",
        "undecided": "The enclosures did not decide the inequality.",
    }[certificate.status]
    lines = [
        r"\begin{theorem}",
        r"The %s is not convex: $%s$." % (_escape(loss.describe()), claim_latex(certificate)),
        r"\end{theorem}",
        r"\begin{proof}",
        r"Take the exact points \[ A:\ %s \]" % expression_to_latex(certificate.A),
    ]
    if certificate.B is not None:
        name = (
            "" if certificate.element is None else r" = \mathrm{%s}(A)" % _escape(repr(certificate.element))
        )
        lines.append(r"and \[ B%s:\ %s. \]" % (name, expression_to_latex(certificate.B)))
    if certificate.enclosures:
        lines.append(
            r"Interval arithmetic with outward rounding at %d digits encloses" % certificate.dps
            + r" \begin{align*}"
        )
        rows = [
            r"%s &\in %s" % (_quantity(name), interval_latex(bounds, digits))
            for name, bounds in certificate.enclosures.items()
        ]
        lines.append(r" \\ ".join(rows) + r" \end{align*}")
    for note in certificate.notes:
        lines.append(_escape(note) + ".")
    lines += [verdict, r"\end{proof}"]
    return "\n".join(lines)


def convexity_to_latex(proof: ConvexityProof) -> str:
    """The Gram-matrix argument (or the reason it does not apply)."""
    if not proof.proved:
        return r"\paragraph{Convexity not proved.} %s." % _escape(proof.reason)
    lines = [
        r"\begin{theorem}",
        r"The %s is convex." % _escape(proof.loss.describe()),
        r"\end{theorem}",
        r"\begin{proof}",
        r"\begin{enumerate}",
    ]
    lines += [r"\item \textbf{%s.} %s" % (_escape(s.name.capitalize()), _escape(s.text)) for s in proof.steps]
    lines += [r"\end{enumerate}", r"\end{proof}"]
    return "\n".join(lines)


def _quantity(name: str) -> str:
    return {
        "barrier": r"L(M) - \tfrac{1}{2}(L(A) + L(B))",
        "phi''(t0)": r"\varphi''(t_0)",
        "phi'(t0)": r"\varphi'(t_0)",
        "dHd": r"d^{\top} \nabla^2 L(M)\, d",
        "gap": r"L(\bar A) - L(A)",
        "L(mean)": r"L(\bar A)",
    }.get(name, name)


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
