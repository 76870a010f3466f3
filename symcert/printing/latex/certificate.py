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
from symcert.printing.latex.model import loss_latex, loss_phrase, network_latex

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

_CLAIMS = {
    "chord": r"L\!\left(\tfrac{A+B}{2}\right) - \tfrac{1}{2}\bigl(L(A) + L(B)\bigr) > 0",
    "curvature": r"\varphi''(t_0) < 0,\quad \varphi(t) = L\bigl(A + t(B - A)\bigr)",
    "hessian": r"d^{\top} \nabla^2 L(M)\, d < 0,\quad M = \tfrac{A+B}{2},\ d = B - A",
    "orbit": r"L(\bar A) - L(A) > 0,\quad \bar A = \tfrac{1}{|G|}\textstyle\sum_{g \in G} gA",
    "critical": r"\nabla L(A) = \nabla L(B) = 0,\quad \nabla L\bigl(A + t_0 (B - A)\bigr) \neq 0",
    "barrier": r"\sup_{t \in [0, 1]} \Bigl(L\bigl((1-t)A + tB\bigr) - c(t)\Bigr) > 0",
}

_TITLES = {
    "chord": "the midpoint lies above the chord",
    "curvature": "negative curvature on a segment",
    "hessian": "a negative Hessian direction",
    "orbit": "averaging over the permutations of a layer",
    "critical": "two critical points with a non-critical point between them",
    "barrier": "a positive loss barrier",
}

#: The chord of a barrier certificate, by form.
_CHORDS = {
    "entezari": r"c(t) = (1-t)L(A) + tL(B)",
    "midpoint": r"c(t) = \tfrac12\bigl(L(A) + L(B)\bigr)",
}


def claim_latex(certificate: Certificate) -> str:
    """The certificate's inequality as LaTeX math."""
    if certificate.kind == "barrier":
        return _CLAIMS["barrier"] + r",\quad " + _CHORDS[certificate.parameters.get("form", "entezari")]
    return _CLAIMS[certificate.kind]


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
    from symcert.proofs.certificates import CLAIMS

    name = CLAIMS[certificate.kind][0]
    parts = [claim_latex(certificate)]
    if name in certificate.enclosures:
        parts.append(
            r"%s \in %s" % (quantity_latex(name), interval_latex(certificate.enclosures[name], digits))
        )
    if certificate.kind == "barrier":
        bounds = certificate.enclosures["barrier"]
        return r"$\displaystyle \sup_{t} L\bigl((1-t)A + tB\bigr) - c(t) \in %s\quad \text{(%s)}$" % (
            interval_latex(bounds, digits),
            certificate.status,
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
    if certificate.kind == "barrier":
        from symcert.printing.latex.barrier import barrier_to_latex

        return barrier_to_latex(certificate, digits, context=context, label=label)
    loss = certificate.loss
    proved = certificate.status == "proved" and _shows_nonconvexity(certificate)
    verdict = {
        "proved": "Hence $L$ is not convex.",
        "refuted": "This witness does not show non-convexity.",
        "undecided": "The enclosures did not decide the inequality.",
    }[certificate.status if proved or certificate.status != "proved" else "undecided"]
    if certificate.kind == "barrier" and certificate.status == "proved" and not proved:
        verdict = r"The barrier is not positive, so this pair of points does not show non-convexity."
        if certificate.parameters.get("form") == "midpoint":
            verdict = (
                r"The lower end does not exceed $|L(A) - L(B)|/2$, so this midpoint-form barrier does not "
                r"show non-convexity."
            )
    subject = r"The %s" % loss_phrase(loss) if context else r"The loss $L$"
    points = r"at the exact points $A$ and $B%s$ below" % ("" if certificate.element is None else " = gA")
    if proved:
        head = r"\begin{theorem}[Non-convexity: %s]" % _TITLES[certificate.kind]
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
        head = r"\begin{remark}[Non-convexity not shown: %s]" % _TITLES[certificate.kind]
        if label:
            head += r"\label{%s}" % label
        lines = [
            head,
            r"%s was tested for $%s$ %s; the inequality was %s." % (
                subject, claim_latex(certificate), points, certificate.status
            ),
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
    lines += _argument(certificate)
    lines += _enclosures(certificate, digits)
    lines += [verdict, end]
    return "\n".join(lines)


def _shows_nonconvexity(certificate: Certificate) -> bool:
    """Whether a barrier certificate's lower end proves the loss non-convex (other kinds: always).

    Entezari form: a lower end above 0 puts ``phi(t)`` above the chord. Midpoint form, whose
    chord is ``(L(A) + L(B))/2``: the two brackets differ by ``(t - 1/2)(L(A) - L(B))``, so
    the lower end must exceed ``|L(A) - L(B)|/2`` (bounded from the enclosures of L(A) and
    L(B)); above 0 is enough only when L(A) = L(B).
    """
    if certificate.kind != "barrier":
        return True
    low = certificate.enclosures["barrier"][0]
    if certificate.parameters.get("form", "entezari") != "midpoint":
        return low > 0
    (a_lo, a_hi), (b_lo, b_hi) = certificate.enclosures["L(A)"], certificate.enclosures["L(B)"]
    return low > max(a_hi - b_lo, b_hi - a_lo, 0) / 2


def _points(certificate: Certificate) -> list[str]:
    A, B, element = certificate.A, certificate.B, certificate.element
    out = [r"All coordinates are exact rationals. \[ A:\quad %s \]" % point_latex(A)]
    if B is not None:
        name = "B" if element is None else r"B = gA"
        out.append(r"\[ %s:\quad %s \]" % (name, point_latex(B)))
    kind = certificate.kind
    if kind in ("chord", "hessian") and B is not None:
        out.append(r"\[ M = \tfrac{1}{2}(A + B):\quad %s \]" % point_latex(A.midpoint(B)))
    if kind in ("curvature", "critical"):
        t0 = certificate.parameters.get("t0")
        out.append(
            r"\[ z = A + t_0 (B - A),\ t_0 = %s:\quad %s \]"
            % (sympy.latex(t0), point_latex(A.interpolate(B, t0)))
        )
    if kind == "orbit":
        from symcert.proofs.nonconvexity import collapsed_network, orbit_mean

        layer = certificate.parameters.get("layer", 1)
        narrow, point, same = collapsed_network(A, layer)
        out.append(r"\[ \bar A:\quad %s \]" % point_latex(orbit_mean(A, layer)))
        out.append(
            r"Every unit of layer %d of $\bar A$ has the same incoming weights, bias and outgoing weights, "
            r"so "
            r"$\bar A$ computes the same function as the %s at \[ %s, \] %s."
            % (
                layer,
                escape(narrow.describe()),
                point_latex(point),
                "as an exact comparison of the two closed forms confirms"
                if same
                else "(collapse not confirmed)",
            )
        )
    return out


def _argument(certificate: Certificate) -> list[str]:
    kind, g = certificate.kind, certificate.element
    symmetric = r"Since $g$ is a symmetry, $L(B) = L(gA) = L(A)$. " if g is not None else ""
    if kind == "chord":
        return [
            symmetric + r"If $L$ were convex, then with $t = \tfrac12$: "
            r"\[ L(M) \le \tfrac{1}{2}\bigl(L(A) + L(B)\bigr), \] "
            r"that is, the barrier $L(M) - \tfrac12(L(A) + L(B))$ would be $\le 0$."
        ]
    if kind == "curvature":
        return [
            r"Let $\varphi(t) = L\bigl(A + t(B - A)\bigr)$. The restriction of a convex function to a "
            r"segment "
            r"is convex, so a convex $L$ would give $\varphi''(t) \ge 0$ for every $t$; in particular at "
            r"$t_0$. "
            + (
                r"(For an involution $g$, $\varphi(t) = \varphi(1 - t)$, so $\varphi'(\tfrac12) = 0$.)"
                if g
                else ""
            )
        ]
    if kind == "hessian":
        return [
            r"With $d = B - A$, $d^{\top} \nabla^2 L(M)\, d = \varphi''(\tfrac12)$ for "
            r"$\varphi(t) = L(A + t d)$. A convex twice differentiable $L$ has a positive semidefinite "
            r"Hessian everywhere, so this would be $\ge 0$."
        ]
    if kind == "orbit":
        return [
            r"Every $g \in G$ (the permutations of the layer) is a symmetry, so $L(gA) = L(A)$. If $L$ were "
            r"convex, Jensen's inequality would give "
            r"\[ L(\bar A) = L\Bigl(\tfrac{1}{|G|}\textstyle\sum_{g \in G} gA\Bigr) \le "
            r"\tfrac{1}{|G|}\textstyle\sum_{g \in G} L(gA) = L(A), \] "
            r"so a network with a single unit in that layer would be at least as good as $A$."
        ]
    if kind == "barrier":
        form = certificate.parameters.get("form", "entezari")
        pieces = certificate.parameters.get("pieces", ())
        return [
            r"Let $\varphi(t) = L\bigl((1-t)A + tB\bigr)$ and $%s$. If $L$ were convex, $\varphi(t) \le "
            r"(1-t)L(A) + tL(B)$ for every $t \in [0, 1]$%s, so the barrier "
            r"$\beta = \sup_{t} \bigl(\varphi(t) - c(t)\bigr)$ would be $\le 0$. Branch and bound over $t$ "
            r"encloses $\beta$: each of the %d pieces of $[0, 1]$ gets a rigorous upper bound of "
            r"$\varphi - c$ on it (this bounds $\beta$ above), and a certified value of $\varphi$ at the "
            r"witness $t = %s$ bounds it below."
            % (
                _CHORDS[form],
                "" if form == "entezari" else r", and $(1-t)L(A) + tL(B) \le c(t)$ when $L(A) = L(B)$",
                len(pieces),
                sympy.latex(certificate.parameters.get("witness")),
            )
        ]
    return [
        r"The targets are the exact outputs of the teacher $A$, so every residual vanishes at $A$: "
        r"$L(A) = 0 \le L(\theta)$ for all $\theta$, a global minimum with $\nabla L(A) = 0$. "
        + symmetric
        + r"So $B = gA$ is a global minimum too, with $\nabla L(B) = 0$. "
        r"The critical points of a convex function are exactly its minimisers, and they form a convex set; "
        r"so a convex $L$ would have $\nabla L(z) = 0$ at $z = A + t_0(B - A)$. "
        r"Since $\varphi'(t_0) = \nabla L(z) \cdot (B - A)$ for $\varphi(t) = L(A + t(B - A))$, "
        r"it suffices that $\varphi'(t_0) \ne 0$."
    ]


def _enclosures(certificate: Certificate, digits: int) -> list[str]:
    if not certificate.enclosures:
        return []
    rows = [
        r"%s &\in %s" % (quantity_latex(_name(certificate, name)), interval_latex(bounds, digits))
        for name, bounds in certificate.enclosures.items()
    ]
    from symcert.proofs.certificates import CLAIMS

    name, relation, _ = CLAIMS[certificate.kind]
    bounds = certificate.enclosures.get(name)
    if certificate.kind == "barrier":
        name, relation = "beta", ">"
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


#: The enclosure a curvature or Hessian certificate carries for its chord step (see ``proofs.reduction``).
SECOND_DIFFERENCE = "phi(t0-h) + phi(t0+h) - 2 phi(t0)"


def certificate_quantity(certificate: Certificate, name: str) -> str:
    """The name under which an enclosure is printed (see :func:`quantity_latex`)."""
    return _name(certificate, name)


def certificate_arithmetic(certificate: Certificate) -> str:
    """How the certificate's enclosures were computed, in words."""
    return _arithmetic(certificate)


def _name(certificate: Certificate, name: str) -> str:
    """The barrier certificate's ``barrier`` is the supremum ``beta``, not the midpoint gap."""
    return "beta" if certificate.kind == "barrier" and name == "barrier" else name


def _heading(title: str) -> str:
    # a run-in heading that, unlike \paragraph, may be followed by a display or a list inside a proof
    return r"\par\medskip\noindent\textbf{%s.}" % title


def _arithmetic(certificate: Any) -> str:
    """How the enclosures were computed, in words: verified float64, or Arb or mpmath at some digits."""
    rung = getattr(certificate.decision, "rung", "mpmath")
    if rung == "float64":
        return "verified IEEE double precision"
    return "%d significant digits" % certificate.dps
