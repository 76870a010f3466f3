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

from typing import TYPE_CHECKING, Any

import sympy

from symcert.proofs.latex import invariance_reason_latex
from symcert.proofs.latex_display import escape, interval_latex, loss_latex, network_latex, point_latex

if TYPE_CHECKING:
    from symcert.proofs.certificates import Certificate
    from symcert.proofs.convexity import ConvexityProof
    from symcert.proofs.invariance import Proof

__all__ = [
    "certificate_to_latex",
    "certificate_repr_latex",
    "claim_latex",
    "convexity_to_latex",
    "convexity_repr_latex",
    "interval_latex",
    "quantity_latex",
]

_CLAIMS = {
    "chord": r"L\!\left(\tfrac{A+B}{2}\right) - \tfrac{1}{2}\bigl(L(A) + L(B)\bigr) > 0",
    "curvature": r"\varphi''(t_0) < 0,\quad \varphi(t) = L\bigl(A + t(B - A)\bigr)",
    "hessian": r"d^{\top} \nabla^2 L(M)\, d < 0,\quad M = \tfrac{A+B}{2},\ d = B - A",
    "orbit": r"L(\bar A) - L(A) > 0,\quad \bar A = \tfrac{1}{|G|}\textstyle\sum_{g \in G} gA",
    "critical": r"\nabla L(A) = \nabla L(B) = 0,\quad \nabla L\bigl(A + t_0 (B - A)\bigr) \neq 0",
    "barrier": r"\sup_{t \in [0, 1]} L\bigl((1-t)A + tB\bigr) - c(t) \in [\ell, h]",
}

_TITLES = {
    "chord": "midpoint above the chord",
    "curvature": "negative curvature on a segment",
    "hessian": "a negative Hessian direction",
    "orbit": "the orbit average",
    "critical": "two critical points with a non-critical point between them",
    "barrier": "the loss barrier",
}


def claim_latex(certificate: Certificate) -> str:
    """The certificate's inequality as LaTeX math."""
    return _CLAIMS[certificate.kind]


def quantity_latex(name: str) -> str:
    r"""The math for an enclosure's name (``"barrier"``, ``"L(A)"``, ``"phi''(t0)"``, ...).

    >>> quantity_latex("L(mean)")
    'L(\\bar A)'
    """
    return {
        "barrier": r"L(M) - \tfrac{1}{2}\bigl(L(A) + L(B)\bigr)",
        "phi''(t0)": r"\varphi''(t_0)",
        "phi'(t0)": r"\varphi'(t_0)",
        "dHd": r"d^{\top} \nabla^2 L(M)\, d",
        "gap": r"L(\bar A) - L(A)",
        "L(mean)": r"L(\bar A)",
    }.get(name, name)


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
        from symcert.proofs.barrier_latex import barrier_to_latex

        return barrier_to_latex(certificate, digits, context=context, label=label)
    loss = certificate.loss
    verdict = {
        "proved": "Hence $L$ is not convex.",
        "refuted": "This witness does not show non-convexity.",
        "undecided": "The enclosures did not decide the inequality.",
    }[certificate.status]
    head = r"\begin{theorem}[Non-convexity: %s]" % _TITLES[certificate.kind]
    if label:
        head += r"\label{%s}" % label
    lines = [
        head,
        r"The %s is not convex. A witness: $%s$." % (escape(loss.describe()), claim_latex(certificate)),
        r"\end{theorem}",
        r"\begin{proof}",
    ]
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
        lines.append(invariance_reason_latex(proof))
    lines.append(paragraph("the points"))
    lines += _points(certificate)
    lines.append(paragraph("the inequality"))
    lines += _argument(certificate)
    lines += _enclosures(certificate, digits)
    lines += [verdict, r"\end{proof}"]
    return "\n".join(lines)


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
        r"%s &\in %s" % (quantity_latex(name), interval_latex(bounds, digits))
        for name, bounds in certificate.enclosures.items()
    ]
    from symcert.proofs.certificates import CLAIMS

    name, relation, _ = CLAIMS[certificate.kind]
    bounds = certificate.enclosures.get(name)
    decided = ""
    if bounds is not None and certificate.status == "proved":
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
    return [
        r"Interval arithmetic with outward rounding (%s), from the exact points, "
        r"encloses (endpoints rounded outward to %d digits):" % (_arithmetic(certificate), digits),
        "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}",
        decided,
    ]


def _heading(title: str) -> str:
    # a run-in heading that, unlike \paragraph, may be followed by a display or a list inside a proof
    return r"\par\medskip\noindent\textbf{%s.}" % title


def convexity_repr_latex(proof: ConvexityProof) -> str:
    """One MathJax display for notebooks: the Gram form of the Hessian, or why it was not proved."""
    if not proof.proved:
        return r"$\text{convexity not proved}$"
    return (
        r"$\displaystyle \nabla^2 L(\theta) = \sum_{i,k} c_{ik}(\theta) J_{ik} J_{ik}^{\top} + 2\lambda D "
        r"\succeq 0 \ \Rightarrow\ L \text{ is convex}$"
    )


def convexity_to_latex(proof: ConvexityProof, *, context: bool = True, label: str | None = None) -> str:
    """The Gram-matrix argument as a ``theorem``/``proof`` (or the reason it does not apply)."""
    if not proof.proved:
        return _heading("Convexity not proved") + " %s." % escape(proof.reason)
    loss = proof.loss
    bce = loss.kind == "bce"
    head = r"\begin{theorem}[Convexity]" + (r"\label{%s}" % label if label else "")
    weight = (
        r"c_{ik}(\theta) = \tfrac{1}{N}\,\frac{e^{z_{ik}}}{(1 + e^{z_{ik}})^2} > 0"
        if bce
        else r"c_{ik} = 2 \cdot %s > 0" % sympy.latex(loss.scale)
    )
    lines = [
        head,
        r"The %s is convex." % escape(loss.describe()),
        r"\end{theorem}",
        r"\begin{proof}",
    ]
    if context:
        lines += [network_latex(loss.mlp), "", loss_latex(loss)]
    lines += [
        _heading(r"The model is linear in $\theta$")
        + r" Without a hidden layer, every output pre-activation "
        r"$z_{ik}(\theta) = W^{(1)}_{k} x_i + b^{(1)}_k$ is linear in $\theta$; its gradient $J_{ik} = "
        r"\nabla "
        r"z_{ik}$ is a constant vector.",
        _heading("The Hessian is a Gram matrix")
        + r" SymPy computes the Hessian of $L$ exactly and checks, entry "
        r"by entry (the difference cancels to $0$%s), that"
        % (r", writing $E = e^{z_{ik}} > 0$" if bce else ""),
        r"\[ \nabla^2 L(\theta) = \sum_{i,k} c_{ik}(\theta)\, J_{ik} J_{ik}^{\top} + 2\lambda D,\qquad %s, \]"
        % weight,
        r"with $D$ the diagonal matrix selecting the weights and $\lambda = %s$."
        % sympy.latex(loss.weight_decay),
    ]
    hessian = (
        proof.steps[1].expressions[0][1] if len(proof.steps) > 1 and proof.steps[1].expressions else None
    )
    if isinstance(hessian, sympy.MatrixBase):
        text = sympy.latex(hessian, symbol_names=loss.mlp.latex_names)
        if len(text) < 1500:
            lines.append(r"Here \[ \nabla^2 L = %s. \]" % text)
    lines += [
        _heading("Positive semidefinite") + r" For every vector $v$, "
        r"\[ v^{\top} \nabla^2 L(\theta)\, v = \sum_{i,k} c_{ik}(\theta) (J_{ik} \cdot v)^2 + 2\lambda "
        r"\sum_{w} v_w^2 \ \ge\ 0. \]",
        r"A twice differentiable function on $\mathbb{R}^n$ whose Hessian is positive semidefinite "
        r"everywhere is "
        r"convex. Hence $L$ is convex.",
        r"\end{proof}",
    ]
    return "\n".join(lines)


def _arithmetic(certificate: Any) -> str:
    """How the enclosures were computed, in words: verified float64, or Arb or mpmath at some digits."""
    rung = getattr(certificate.decision, "rung", "mpmath")
    if rung == "float64":
        return "verified IEEE double precision"
    return "%d significant digits" % certificate.dps
