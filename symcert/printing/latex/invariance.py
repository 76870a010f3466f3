r"""LaTeX rendering of invariance proofs (the objects hold no LaTeX).

Each step of a :class:`~symcert.proofs.invariance.Proof` becomes an item of
the proof: the substitution as a table of ``parameter \mapsto image``, the
target written with the abstract activation and broken over lines, each lemma
with its exact check, the canonical form, and the conclusion. Expressions are
printed with the network's symbol names (``W^{(1)}_{21}``).

>>> from symcert import MLP, swap, prove_invariance
>>> text = prove_invariance(MLP((1, 2, 1)), swap(1, 0, 1)).to_latex()
>>> text.startswith(r"\begin{theorem}") and r"\end{proof}" in text
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sympy

from symcert.printing.latex.display import aligned_display, escape, point_latex
from symcert.printing.latex.names import symbol_names
from symcert.symbolic.generic import PermutationLemma
from symcert.symbolic.losses import Loss

if TYPE_CHECKING:
    from symcert.proofs.invariance import Proof
    from symcert.symbolic.group import SymmetryGroup

__all__ = [
    "proof_to_latex",
    "claim_to_latex",
    "expression_to_latex",
    "permutation_lemma_to_latex",
    "proof_repr_latex",
    "group_repr_latex",
    "element_latex",
    "invariance_reason_latex",
]

#: Expressions longer than this (in LaTeX characters) are broken over lines or summarised.
LONG_EXPRESSION = 600
#: Substitution pairs shown before the rest is counted.
SHOWN_SUBSTITUTIONS = 24


def expression_to_latex(expr: Any, names: dict | None = None) -> str:
    """LaTeX for a SymPy object (or a point) with the network's symbol names; very long ones elided."""
    from symcert.symbolic.point import Point

    if isinstance(expr, Point):
        return point_latex(expr)
    text = sympy.latex(expr, symbol_names=names or {})
    if len(text) > LONG_EXPRESSION:
        return r"\text{(an expression of %d characters, omitted)}" % len(text)
    return text


def element_latex(element: Any) -> str:
    r"""A group element as math: ``\mathrm{swap}_{1}(1, 2)`` (units 1-based in print), or its text.

    >>> from symcert import swap, flip, rescale
    >>> element_latex(swap(1, 0, 1)), element_latex(flip(1, 0))
    ('\\mathrm{swap}^{(1)}_{1,2}', '\\mathrm{flip}^{(1)}_{1}')
    >>> element_latex(rescale(1, 0, "3/2"))
    '\\mathrm{rescale}^{(1)}_{1}(\\tfrac{3}{2})'
    >>> from symcert import flip_in, layer_sign
    >>> element_latex(flip_in(1, 0)), element_latex(rescale(1, 0, 2, 2)), element_latex(layer_sign(1, 2))
    ('\\mathrm{flip}^{(1)}_{\\mathrm{in},1}', '\\mathrm{rescale}^{(1)}_{1}(2; k=2)', '\\mathrm{sign}_{1,2}')
    >>> from symcert import permutation, product
    >>> print(element_latex(product(flip(1, 0), permutation(1, (2, 0, 1)))))
    \mathrm{perm}^{(1)}_{(3,1,2)} \circ \mathrm{flip}^{(1)}_{1}
    """
    kind = type(element).__name__
    if kind == "Swap":
        return r"\mathrm{swap}^{(%d)}_{%d,%d}" % (element.layer, element.i + 1, element.j + 1)
    if kind == "Flip":
        return r"\mathrm{flip}^{(%d)}_{%d}" % (element.layer, element.unit + 1)
    if kind == "FlipIn":
        return r"\mathrm{flip}^{(%d)}_{\mathrm{in},%d}" % (element.layer, element.unit + 1)
    if kind == "LayerSign":
        return r"\mathrm{sign}_{%d,%d}" % (element.layer, element.last)
    if kind == "Permutation":  # unit i of the image is unit source[i] (1-based in print)
        return r"\mathrm{perm}^{(%d)}_{(%s)}" % (element.layer, ",".join(str(s + 1) for s in element.source))
    if kind == "Product":  # applied left to right: the last factor is written first
        return r" \circ ".join(element_latex(f) for f in reversed(element.factors)) or r"\mathrm{id}"
    if kind == "Rescale":
        alpha = element.alpha
        value = str(alpha) if alpha.q == 1 else r"\tfrac{%d}{%d}" % (alpha.p, alpha.q)
        degree = "" if element.degree == 1 else "; k=%d" % element.degree
        return r"\mathrm{rescale}^{(%d)}_{%d}(%s%s)" % (element.layer, element.unit + 1, value, degree)
    return r"\mathrm{%s}" % escape(repr(element))


def claim_to_latex(proof: Proof) -> str:
    """The claim as math: ``L(g\\theta) = L(\\theta)`` with ``g`` named."""
    from symcert.symbolic.group import SymmetryGroup

    element = proof.element
    if isinstance(element, SymmetryGroup):
        g = r"g \in G,\ |G| = %d" % element.order
    else:
        g = r"g = \mathrm{%s}" % escape(repr(element))
    if isinstance(proof.target, Loss):
        return r"L(g\theta) = L(\theta)\ \text{for all } \theta,\quad " + g
    return r"f(x; g\theta) = f(x; \theta)\ \text{for all } x, \theta,\quad " + g


def proof_repr_latex(proof: Proof) -> str:
    """A one-line MathJax display for notebooks: the claim and the verdict."""
    verdict = proof.verdict
    return r"$\displaystyle %s \qquad \text{(%s)}$" % (claim_to_latex(proof), verdict)


def group_repr_latex(group: SymmetryGroup) -> str:
    r"""The group as a product of (signed) permutation groups, with its order, for notebooks.

    >>> from symcert import MLP
    >>> group_repr_latex(MLP((1, 3, 1), "tanh").symmetry_group())
    '$\\displaystyle G = (S_{3} \\ltimes \\{\\pm 1\\}^{3}),\\quad |G| = 48$'
    """
    factors = [
        r"(S_{%d} \ltimes \{\pm 1\}^{%d})" % (layer.width, layer.width)
        if layer.flips
        else r"S_{%d}" % layer.width
        for layer in group.layers
    ]
    body = r" \times ".join(factors) or r"\{e\}"
    dimension = sum(f.dimension for f in group.continuous)
    degrees = sorted({f.degree for f in group.continuous})
    degree = "" if degrees == [1] else r"\ (\text{degree } %s)" % ", ".join(map(str, degrees))
    rescale = (
        r",\quad \text{and rescalings } (\mathbb{R}_{>0})^{%d}%s" % (dimension, degree)
        if group.continuous
        else ""
    )
    return r"$\displaystyle G = %s,\quad |G| = %d%s$" % (body, group.order, rescale)


def proof_to_latex(proof: Proof) -> str:
    """A ``theorem``/``proof`` fragment; the environments must be defined by the document."""
    names = _names(proof)
    status = {"proved": "Theorem", "refuted": "Counterexample", "undecided": "Open claim"}[proof.status]
    if proof.numerically_invariant:
        status = "Open claim, numerically invariant"
    lines = [
        r"\begin{theorem}[%s]" % status,
        escape(proof.claim) + r": $" + claim_to_latex(proof) + r"$.",
        r"\end{theorem}",
        r"\begin{proof}",
        r"\begin{enumerate}",
    ]
    for step in proof.steps:
        lines.append(
            r"\item \textbf{%s.} %s." % (escape(step.name.capitalize()), escape(step.text.rstrip(".")))
        )
        lines.extend(_step_expressions(step.expressions, names))
    role = "Factor" if type(proof.element).__name__ == "Product" else "Generator"
    for part in proof.parts:
        lines.append(r"\item %s $%s$: %s." % (role, element_latex(part.element), part.status))
    lines += [r"\end{enumerate}", r"\end{proof}"]
    return "\n".join(lines)


def _step_expressions(expressions: tuple[tuple[str, Any], ...], names: dict) -> list[str]:
    mapped = [(label[:-3], value) for label, value in expressions if label.endswith(" ->")]
    out = []
    if mapped:
        out.append(_substitution_table(mapped, names))
    for label, value in expressions:
        if label.endswith(" ->"):
            continue
        out.append(_labelled(label, value, names))
    return out


def _substitution_table(pairs: list[tuple[str, Any]], names: dict) -> str:
    by_name = {s.name: tex for s, tex in names.items()}
    cells = [
        r"%s &\mapsto %s" % (by_name.get(name, escape(name)), sympy.latex(value, symbol_names=names))
        for name, value in pairs[:SHOWN_SUBSTITUTIONS]
    ]
    rows = [r",\ &\qquad ".join(cells[k : k + 3]) for k in range(0, len(cells), 3)]
    if len(pairs) > SHOWN_SUBSTITUTIONS:
        rows.append(r"&\text{and %d more}" % (len(pairs) - SHOWN_SUBSTITUTIONS))
    return "\\[ \\begin{alignedat}{3}\n" + " \\\\\n".join(rows) + "\n\\end{alignedat} \\]"


def _labelled(label: str, value: Any, names: dict) -> str:
    from symcert.symbolic.point import Point

    if isinstance(value, Point):
        return r"\[ %s:\quad %s \]" % (_label_math(label), point_latex(value))
    if isinstance(value, str):
        return r"\[ \text{%s: %s} \]" % (escape(label), escape(value))
    if isinstance(value, sympy.Eq):
        return r"\[ \text{%s:}\quad %s \]" % (escape(label), sympy.latex(value, symbol_names=names))
    return aligned_display(_label_math(label), value, names)


def _label_math(label: str) -> str:
    label = label.replace(" theta", r"\theta").replace("(theta)", r"(\theta)")
    if label in ("L", "f") or label.startswith(("L_", "f_")):
        head, _, index = label.partition("_")
        return head + (r"_{%s}" % index if index else "") + r"(\theta)"
    if label.startswith("canonical "):
        return r"\text{canonical } " + label[len("canonical ") :].replace(" ", r"\,")
    return r"\text{%s}" % escape(label)


def _lemma_check(lemma: Any) -> str:
    """How the lemma was checked, in LaTeX."""
    if lemma.key == "odd":
        return (
            r"checked exactly: $s(-u) + s(u)$, written as a rational function of $E = e^{u}$, cancels to $0$"
        )
    if lemma.key == "complement":
        return (
            r"checked exactly: $s(-u) - (1 - s(u))$, written as a rational function of $E = e^{u}$, "
            r"cancels to $0$"
        )
    if lemma.key == "even":
        return r"checked exactly: $s(-u) - s(u)$ expands to $0$"
    if "expands" in lemma.justification:
        return r"checked exactly: $%s$ expands to $0$" % sympy.latex(
            lemma.general.lhs - lemma.general.rhs
        ).replace(r"\sigma", "s")
    return (
        r"checked exactly by cases on the sign of $u$ ($\alpha > 0$ keeps the sign): each difference is $0$"
    )


def _names(proof: Proof) -> dict:
    """The network's symbol names, and the prover's inputs ``x1, x2, ...`` as ``x_1, x_2, ...``."""
    mlp = proof.target.mlp if isinstance(proof.target, Loss) else proof.target
    d = mlp.widths[0]
    inputs = {sympy.Symbol(f"x{k + 1}", real=True): ("x" if d == 1 else f"x_{{{k + 1}}}") for k in range(d)}
    return {**symbol_names(mlp), **inputs}


_LEMMA_STEPS = (
    r"The layer's contribution to the next pre-activation is a sum over its $n$ units",
    r"A permutation $\pi$ of $\{1, \dots, n\}$ moves unit $\pi(j)$ to position $j$: "
    r"$w_j \mapsto w_{\pi(j)}$, $b_j \mapsto b_{\pi(j)}$, $v_j \mapsto v_{\pi(j)}$",
    r"Reindex with $k = \pi(j)$: $\pi$ is a bijection of $\{1, \dots, n\}$, and a finite sum does not "
    r"depend on the order of its terms (addition is commutative and associative)",
    r"Every later layer sees the same value, so the output is unchanged, and so is the loss, which depends "
    r"on the parameters only through the outputs and a sum of squared weights (reindexed the same way)",
)


def permutation_lemma_to_latex(lemma: PermutationLemma, checked: dict[int, int] | None = None) -> str:
    r"""The width-generic permutation lemma as a ``lemma``/``proof`` fragment.

    >>> from symcert import permutation_lemma
    >>> r"\sum_{j=1}^{n}" in permutation_lemma_to_latex(permutation_lemma())
    True
    """
    lines = [
        r"\begin{lemma}[Permutation invariance, any width]\label{lem:permutation}",
        r"For every width $n$ and every permutation $\pi$ of $\{1, \dots, n\}$:",
        r"\[ %s. \]" % sympy.latex(lemma.statement),
        r"\end{lemma}",
        r"\begin{proof}",
        r"\begin{enumerate}",
    ]
    texts = _LEMMA_STEPS if len(lemma.steps) == len(_LEMMA_STEPS) else [escape(t) for t, _ in lemma.steps]
    for text, (_, expr) in zip(texts, lemma.steps):
        lines.append(r"\item %s: \[ %s \]" % (text, sympy.latex(expr)))
    lines.append(r"\end{enumerate}")
    if checked:
        total = sum(checked.values())
        lines.append(
            r"As a check, the identity was verified exactly for all %d permutations of widths 1 to %d."
            % (total, max(checked))
        )
    lines.append(r"\end{proof}")
    return "\n".join(lines)


def invariance_reason_latex(proof: Proof) -> str:
    r"""Why a symmetry leaves the loss unchanged, compactly: the substitution, each lemma with its
    exact check, and the comparison of canonical forms (without printing the whole loss).

    >>> from symcert import default_example, prove_invariance
    >>> example = default_example()
    >>> text = invariance_reason_latex(prove_invariance(example.loss, example.element))
    >>> r"\mapsto" in text and "canonical" in text
    True
    """
    names = _names(proof)
    lines = []
    for step in proof.steps:
        if step.name == "substitution":
            lines.append(
                r"The element $g = %s$ acts on the parameters by the substitution"
                % element_latex(proof.element)
            )
            lines.extend(_step_expressions(step.expressions, names))
        elif step.name.startswith("lemma"):
            lemma = next((lemma for lemma in proof.lemmas if step.name.endswith(lemma.name)), None)
            if lemma is None:
                continue
            lines.append(
                r"Lemma used: $%s$, that is $%s$; %s."
                % (sympy.latex(lemma.general), sympy.latex(lemma.instance), _lemma_check(lemma))
            )
        elif step.name == "abstract activation":
            lines.append(
                r"Write the loss with an abstract activation $\sigma$; an identity proved for $\sigma$ "
                r"using only the lemmas above holds for the activation itself."
            )
        elif step.name == "canonical form":
            lines.append(
                r"Expanding every argument of $\sigma$ and rewriting with the lemmas puts $L(\theta)$ and "
                r"$L(g\theta)$ in canonical form: %s." % escape(step.text.split(": ", 1)[-1])
            )
        elif step.name == "counterexample":
            lines.append(escape(step.text) + ".")
    verdict = {
        "proved": r"Hence $L(g\theta) = L(\theta)$ for every $\theta$: $g$ is a symmetry of the loss.",
        "refuted": r"Hence $g$ is \emph{not} a symmetry of this loss.",
        "undecided": r"The invariance of $L$ under $g$ was not decided."
        + (
            r" It is numerically invariant (floats), which is not a proof."
            if proof.numerically_invariant
            else ""
        ),
    }[proof.status]
    lines.append(verdict)
    return "\n".join(lines)


def permutation_lemma_repr_latex(lemma: PermutationLemma) -> str:
    r"""The lemma's statement as one MathJax display, for notebooks.

    >>> from symcert import permutation_lemma
    >>> permutation_lemma_repr_latex(permutation_lemma()).startswith(r"$\displaystyle")
    True
    """
    return r"$\displaystyle %s$" % sympy.latex(lemma.statement)
