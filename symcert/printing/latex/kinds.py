r"""LaTeX of each certificate kind: its claim, the points it adds, its argument (one entry per kind).

:func:`~symcert.printing.latex.certificate.certificate_to_latex` writes the parts every
certificate shares and looks the kind's own parts up in :data:`KIND_LATEX`: the words
(the claim's title) come from the kind's declaration (:mod:`symcert.proofs.kinds`), the
mathematics from here.

>>> KIND_LATEX["curvature"].claim
"\\varphi''(t_0) < 0,\\quad \\varphi(t) = L\\bigl(A + t(B - A)\\bigr)"
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sympy

from symcert.errors import SpecificationError
from symcert.printing.latex.barrier import barrier_to_latex
from symcert.printing.latex.display import escape, interval_latex, point_latex

if TYPE_CHECKING:
    from symcert.proofs.certificates import Certificate

__all__ = ["KindLatex", "KIND_LATEX", "kind_latex", "CHORDS"]

#: The chord of a barrier certificate, by form.
CHORDS = {
    "entezari": r"c(t) = (1-t)L(A) + tL(B)",
    "midpoint": r"c(t) = \tfrac12\bigl(L(A) + L(B)\bigr)",
}


def _none(certificate: Certificate) -> list[str]:
    return []


@dataclass(frozen=True)
class KindLatex:
    """A kind's mathematics: ``claim`` (LaTeX math), the ``points`` it shows after ``A`` and ``B``,
    its ``argument`` (why the claim contradicts convexity) and the names its enclosures print as."""

    claim: str
    argument: Callable[[Certificate], list[str]]
    points: Callable[[Certificate], list[str]] = _none
    names: dict[str, str] = field(default_factory=dict)
    #: An enclosure (relation ``in``) shows non-convexity when it lies on this side of 0.
    shows: str | None = None
    #: The kind's own document and notebook display, when it does not follow the common one.
    document: Callable[..., str] | None = None
    display: Callable[[Certificate, int], str] | None = None

    def claim_of(self, certificate: Certificate) -> str:
        """The claim of this certificate (an enclosure of a barrier names its chord)."""
        if self.shows is None:
            return self.claim
        return self.claim + r",\quad " + CHORDS[certificate.parameters.get("form", "entezari")]

    def decisive(self, certificate: Certificate) -> tuple[str, str]:
        """The name of the decisive quantity as printed and the relation that shows non-convexity."""
        spec = certificate.spec
        return self.names.get(spec.quantity, spec.quantity), self.shows or spec.relation

    def shows_nonconvexity(self, certificate: Certificate) -> bool:
        """True unless the kind encloses a quantity whose enclosure is not on the side that shows it.

        A midpoint-form barrier (chord ``(L(A) + L(B))/2``) differs from the Entezari bracket by
        ``(t - 1/2)(L(A) - L(B))``: its lower end must exceed ``|L(A) - L(B)|/2``, bounded from
        the enclosures of L(A) and L(B); above 0 is enough only when L(A) = L(B).
        """
        if self.shows is None:
            return True
        low, high = certificate.enclosures[certificate.spec.quantity]
        if self.shows == ">" and certificate.parameters.get("form") == "midpoint":
            (a_lo, a_hi), (b_lo, b_hi) = certificate.enclosures["L(A)"], certificate.enclosures["L(B)"]
            return low > max(a_hi - b_lo, b_hi - a_lo, 0) / 2
        return low > 0 if self.shows == ">" else high < 0


def _symmetric(certificate: Certificate) -> str:
    return r"Since $g$ is a symmetry, $L(B) = L(gA) = L(A)$. " if certificate.element is not None else ""


def _midpoint(certificate: Certificate) -> list[str]:
    A, B = certificate.A, certificate.B
    return [] if B is None else [r"\[ M = \tfrac{1}{2}(A + B):\quad %s \]" % point_latex(A.midpoint(B))]


def _segment_point(certificate: Certificate) -> list[str]:
    A, B, t0 = certificate.A, certificate.B, certificate.parameters.get("t0")
    assert B is not None  # a segment's certificate has its B
    return [
        r"\[ z = A + t_0 (B - A),\ t_0 = %s:\quad %s \]"
        % (sympy.latex(t0), point_latex(A.interpolate(B, t0)))
    ]


def _orbit_points(certificate: Certificate) -> list[str]:
    from symcert.proofs.kinds.orbit import collapsed_network, orbit_mean

    A, layer = certificate.A, certificate.parameters.get("layer", 1)
    narrow, point, same = collapsed_network(A, layer)
    return [
        r"\[ \bar A:\quad %s \]" % point_latex(orbit_mean(A, layer)),
        r"Every unit of layer %d of $\bar A$ has the same incoming weights, bias and outgoing weights, "
        r"so "
        r"$\bar A$ computes the same function as the %s at \[ %s, \] %s."
        % (
            layer,
            escape(narrow.describe()),
            point_latex(point),
            "as an exact comparison of the two closed forms confirms" if same else "(collapse not confirmed)",
        ),
    ]


def _chord(certificate: Certificate) -> list[str]:
    return [
        _symmetric(certificate) + r"If $L$ were convex, then with $t = \tfrac12$: "
        r"\[ L(M) \le \tfrac{1}{2}\bigl(L(A) + L(B)\bigr), \] "
        r"that is, the barrier $L(M) - \tfrac12(L(A) + L(B))$ would be $\le 0$."
    ]


def _curvature(certificate: Certificate) -> list[str]:
    return [
        r"Let $\varphi(t) = L\bigl(A + t(B - A)\bigr)$. The restriction of a convex function to a "
        r"segment "
        r"is convex, so a convex $L$ would give $\varphi''(t) \ge 0$ for every $t$; in particular at "
        r"$t_0$. "
        + (
            r"(For an involution $g$, $\varphi(t) = \varphi(1 - t)$, so $\varphi'(\tfrac12) = 0$.)"
            if certificate.element
            else ""
        )
    ]


def _hessian(certificate: Certificate) -> list[str]:
    return [
        r"With $d = B - A$, $d^{\top} \nabla^2 L(M)\, d = \varphi''(\tfrac12)$ for "
        r"$\varphi(t) = L(A + t d)$. A convex twice differentiable $L$ has a positive semidefinite "
        r"Hessian everywhere, so this would be $\ge 0$."
    ]


def _orbit(certificate: Certificate) -> list[str]:
    return [
        r"Every $g \in G$ (the permutations of the layer) is a symmetry, so $L(gA) = L(A)$. If $L$ were "
        r"convex, Jensen's inequality would give "
        r"\[ L(\bar A) = L\Bigl(\tfrac{1}{|G|}\textstyle\sum_{g \in G} gA\Bigr) \le "
        r"\tfrac{1}{|G|}\textstyle\sum_{g \in G} L(gA) = L(A), \] "
        r"so a network with a single unit in that layer would be at least as good as $A$."
    ]


def _barrier(certificate: Certificate) -> list[str]:
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
            CHORDS[form],
            "" if form == "entezari" else r", and $(1-t)L(A) + tL(B) \le c(t)$ when $L(A) = L(B)$",
            len(pieces),
            sympy.latex(certificate.parameters.get("witness")),
        )
    ]


def _barrier_document(certificate: Certificate, digits: int, **options: Any) -> str:
    options.pop("invariance", None)
    return barrier_to_latex(certificate, digits, **options)


def _barrier_display(certificate: Certificate, digits: int) -> str:
    return r"$\displaystyle \sup_{t} L\bigl((1-t)A + tB\bigr) - c(t) \in %s\quad \text{(%s)}$" % (
        interval_latex(certificate.enclosures["barrier"], digits),
        certificate.status,
    )


def _critical_pair(certificate: Certificate) -> list[str]:
    return [
        r"The targets are the exact outputs of the teacher $A$, so every residual vanishes at $A$: "
        r"$L(A) = 0 \le L(\theta)$ for all $\theta$, a global minimum with $\nabla L(A) = 0$. "
        + _symmetric(certificate)
        + r"So $B = gA$ is a global minimum too, with $\nabla L(B) = 0$. "
        r"The critical points of a convex function are exactly its minimisers, and they form a convex set; "
        r"so a convex $L$ would have $\nabla L(z) = 0$ at $z = A + t_0(B - A)$. "
        r"Since $\varphi'(t_0) = \nabla L(z) \cdot (B - A)$ for $\varphi(t) = L(A + t(B - A))$, "
        r"it suffices that $\varphi'(t_0) \ne 0$."
    ]


#: Each kind's LaTeX, by the kind's name.
KIND_LATEX: dict[str, KindLatex] = {
    "chord": KindLatex(
        r"L\!\left(\tfrac{A+B}{2}\right) - \tfrac{1}{2}\bigl(L(A) + L(B)\bigr) > 0", _chord, _midpoint
    ),
    "curvature": KindLatex(
        r"\varphi''(t_0) < 0,\quad \varphi(t) = L\bigl(A + t(B - A)\bigr)", _curvature, _segment_point
    ),
    "hessian": KindLatex(
        r"d^{\top} \nabla^2 L(M)\, d < 0,\quad M = \tfrac{A+B}{2},\ d = B - A", _hessian, _midpoint
    ),
    "orbit": KindLatex(
        r"L(\bar A) - L(A) > 0,\quad \bar A = \tfrac{1}{|G|}\textstyle\sum_{g \in G} gA",
        _orbit,
        _orbit_points,
    ),
    "critical_pair": KindLatex(
        r"\nabla L(A) = \nabla L(B) = 0,\quad \nabla L\bigl(A + t_0 (B - A)\bigr) \neq 0",
        _critical_pair,
        _segment_point,
    ),
    "barrier": KindLatex(
        r"\sup_{t \in [0, 1]} \Bigl(L\bigl((1-t)A + tB\bigr) - c(t)\Bigr) > 0",
        _barrier,
        names={"barrier": "beta"},
        shows=">",
        document=_barrier_document,
        display=_barrier_display,
    ),
}


def kind_latex(kind: str) -> KindLatex:
    """The LaTeX of ``kind``; a clear error for a kind that has none."""
    try:
        return KIND_LATEX[kind]
    except KeyError:
        raise SpecificationError(
            f"a {kind} certificate has no LaTeX derivation; print it with symcert.text"
        ) from None
