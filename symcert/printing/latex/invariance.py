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

from symcert.printing.latex.display import aligned_display, escape, interval_latex, point_latex
from symcert.printing.latex.elements import element_latex, element_words
from symcert.printing.latex.model import activation_latex, loss_phrase, network_phrase
from symcert.printing.latex.names import symbol_names
from symcert.symbolic.losses import Loss
from symcert.symbolic.permutations import Product

if TYPE_CHECKING:
    from symcert.proofs.invariance import Proof
    from symcert.symbolic.group import SymmetryGroup

__all__ = [
    "proof_to_latex",
    "claim_to_latex",
    "expression_to_latex",
    "proof_repr_latex",
    "group_repr_latex",
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


def claim_to_latex(proof: Proof) -> str:
    """The claim as math: ``L(g\\theta) = L(\\theta)`` with ``g`` named (units 1-based)."""
    from symcert.symbolic.group import SymmetryGroup

    element = proof.element
    if isinstance(element, SymmetryGroup):
        g = r"g \in G,\ |G| = %d" % element.order
    else:
        g = r"g = %s" % element_latex(element)
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
    rescalings = [f for f in group.continuous if f.kind == "rescale"]
    dimension = sum(f.dimension for f in rescalings)
    degrees = sorted({f.degree for f in rescalings if f.degree is not None})  # a rescaling has one
    degree = "" if degrees == [1] else r"\ (\text{degree } %s)" % ", ".join(map(str, degrees))
    rescale = (
        r",\quad \text{and rescalings } (\mathbb{R}_{>0})^{%d}%s" % (dimension, degree) if rescalings else ""
    )
    if any(f.kind == "translation" for f in group.continuous):
        rescale += r",\quad \text{and the softmax translation } \mathbb{R}"
    return r"$\displaystyle G = %s,\quad |G| = %d%s$" % (body, group.order, rescale)


def proof_to_latex(proof: Proof) -> str:
    """A ``theorem``/``proof`` fragment when the invariance is proved; a ``remark`` when it is
    refuted or undecided (a claim that failed is never typeset as a theorem). The environments
    must be defined by the document."""
    from symcert.symbolic.group import SymmetryGroup

    names = _names(proof)
    subject = "L" if isinstance(proof.target, Loss) else "f"
    element = proof.element
    if isinstance(element, SymmetryGroup):
        g = r"every element of its symmetry group $G$ ($|G| = %d$)" % element.order
        title = r"Invariance under the whole group"
    else:
        g = r"$g = %s$" % element_latex(element)
        words = element_words(element)
        g += r", which %s," % words if words else ""
        title = r"Invariance under $%s$" % element_latex(element)
    target = (
        r"the %s" % loss_phrase(proof.target)
        if isinstance(proof.target, Loss)
        else r"the output $f$ of the %s" % network_phrase(proof.target)
    )
    claim = claim_to_latex(proof).split(r",\quad")[0]
    items = _step_items(proof, names, subject)
    if proof.status == "proved":
        return "\n".join(
            [
                r"\begin{theorem}[%s]" % title,
                r"For %s, %s leaves it unchanged: $%s$." % (target, g, claim),
                r"\end{theorem}",
                r"\begin{proof}",
                r"\begin{enumerate}",
                *items,
                r"\end{enumerate}",
                r"\end{proof}",
            ]
        )
    verdict = (
        r"This is false: %s is not a symmetry." % g.split(",")[0]
        if proof.status == "refuted"
        else r"This was not decided%s."
        % (
            ", although the two sides agree numerically (floats, not a proof)"
            if proof.numerically_invariant
            else ""
        )
    )
    heading = (
        r"%s is not a symmetry" % g.split(",")[0]
        if proof.status == "refuted"
        else "An open claim" + (", numerically invariant" if proof.numerically_invariant else "")
    )
    return "\n".join(
        [
            r"\begin{remark}[%s]" % heading.replace("$g = ", "$"),
            r"The claim: for %s, $%s$. %s" % (target, claim, verdict),
            r"\begin{enumerate}",
            *items,
            r"\end{enumerate}",
            r"\end{remark}",
        ]
    )


def _step_items(proof: Proof, names: dict, subject: str) -> list[str]:
    """Each step of the proof as an ``\\item`` written in LaTeX (never the prover's plain text)."""
    from symcert.proofs.invariance import REFUTATION_TRIES

    mlp = proof.target.mlp if isinstance(proof.target, Loss) else proof.target
    out: list[str] = []
    for step in proof.steps:
        name = step.name
        if name == "statement":
            continue
        if name == "substitution":
            changed = sum(1 for label, _ in step.expressions if label.endswith(" ->"))
            out.append(
                r"\item \textbf{Substitution.} The element $g = %s$ replaces each parameter it changes by "
                r"its image (%d of the %d parameters change):"
                % (element_latex(proof.element), changed, mlp.n_parameters)
            )
            out.extend(_step_expressions(step.expressions, names))
        elif name == "abstract activation":
            out.append(
                r"\item \textbf{Abstract activation.} Write $%s$ with an abstract activation $\sigma$ in "
                r"place of $s = %s$; an identity proved for $\sigma$ using only the lemmas below holds for "
                r"$s$ itself." % (subject, activation_latex(mlp))
            )
            out.extend(_step_expressions(step.expressions, names))
        elif name.startswith("lemma"):
            lemma = next((lem for lem in proof.lemmas if name.endswith(lem.name)), None)
            if lemma is not None:
                out.append(_lemma_item(lemma, mlp))
        elif name == "canonical form" and proof.status == "proved" and step.expressions:
            out.append(
                r"\item \textbf{Canonical form.} Expand every argument of $\sigma$, $\exp$ and $\log$ and "
                r"rewrite with the lemmas. Both sides reach the same canonical form: SymPy compares the two "
                r"expression trees and finds them identical, so one display shows both; call it $C$:"
            )
            for k, (_, value) in enumerate(step.expressions, start=1):
                left = "C" if len(step.expressions) == 1 else "C_{%d}" % k
                out.append(aligned_display(left, value, names))
        elif name == "canonical form":
            out.append(
                r"\item \textbf{Canonical forms.} The canonical forms of the two sides differ, so the "
                r"lemmas do not prove the identity; the prover looks for an exact point where the two "
                r"sides differ."
            )
        elif name == "counterexample" and proof.counterexample is not None:
            example = proof.counterexample
            difference = example.difference
            x = (
                r" and the input $x = (%s)$" % ", ".join(sympy.latex(v) for v in example.x)
                if example.x
                else ""
            )
            out.append(
                r"\item \textbf{Counterexample.} At the exact point $\theta$ below%s, interval arithmetic "
                r"encloses $%s(g\theta) - %s(\theta)$ in $%s$, which does not contain $0$:"
                % (x, subject, subject, interval_latex((difference.lower, difference.upper), 6))
            )
            out.append(r"\[ \theta:\quad %s \]" % point_latex(example.point))
        elif name == "conclusion":
            out.append(r"\item " + _conclusion(proof, subject, REFUTATION_TRIES))
        elif name == "generators":
            from symcert.symbolic.group import SymmetryGroup

            assert isinstance(proof.element, SymmetryGroup)  # a group's proof lists its generators
            generators = [element_latex(e) for e in proof.element.generators]
            out.append(
                r"\item \textbf{Generators.} %s."
                % (r"The group is generated by $%s$" % ", ".join(generators) if generators else "None")
            )
        elif name == "factors" and proof.status == "proved" and proof.parts:
            assert isinstance(proof.element, Product)  # a product's proof lists its factors
            out.append(
                r"\item \textbf{Factors.} $g$ applies its factors in order, $%s$. If $%s(h\theta) = "
                r"%s(\theta)$ for every $\theta$ and every factor $h$, applying the factors one at a time "
                r"gives $%s(g\theta) = %s(\theta)$."
                % (
                    ",\\ ".join(element_latex(f) for f in proof.element.factors),
                    subject,
                    subject,
                    subject,
                    subject,
                )
            )
        elif name == "factors":
            out.append(
                r"\item \textbf{Factors.} Not every factor was proved on its own, so the product is decided "
                r"as one substitution."
            )
        else:  # the group's generation argument and other prose from the prover
            out.append(r"\item \textbf{%s.} %s" % (escape(name.capitalize()), _sentence(escape(step.text))))
    if isinstance(proof.element, Product) or type(proof.element).__name__ == "SymmetryGroup":
        role = "Factor" if type(proof.element).__name__ == "Product" else "Generator"
        for part in proof.parts:
            out.append(r"\item %s $%s$: %s." % (role, element_latex(part.element), part.status))
    return out


def _sentence(text: str) -> str:
    """``text`` with a capital first letter and a final full stop."""
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", r"\]")) else ".")


def _conclusion(proof: Proof, subject: str, tries: int) -> str:
    if proof.status == "proved":
        return r"Hence $%s(g\theta) = %s(\theta)$ for every $\theta$." % (subject, subject)
    if proof.status == "refuted":
        return r"Hence $%s$ is not invariant under $g$." % subject
    numeric = (
        r" At each of them the difference is enclosed within $10^{-20}$ of $0$: this suggests a symmetry "
        r"but proves nothing."
        if proof.numerically_invariant
        else ""
    )
    return (
        r"Undecided: none of %d random exact points showed a rigorous difference, and the canonical "
        r"forms differ.%s" % (tries, numeric)
    )


def _lemma_item(lemma: Any, mlp: Any) -> str:
    """A lemma with its exact check, every symbol defined: ``sigma`` abstract, ``s`` the activation."""
    if lemma.key == "translation":
        return r"\item \textbf{Lemma (softmax translation).} $%s$ and $%s$ for all real $z_j$ and $c$. %s" % (
            sympy.latex(lemma.general),
            sympy.latex(lemma.instance),
            _sentence(_lemma_check(lemma)),
        )
    return r"\item \textbf{Lemma.} $%s$ for every $u$%s; for $s = %s$: $%s$. %s" % (
        sympy.latex(lemma.general),
        r" and $\alpha > 0$" if "alpha" in str(lemma.general) else "",
        activation_latex(mlp),
        sympy.latex(lemma.instance),
        _sentence(_lemma_check(lemma)),
    )


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
    """How the lemma was checked, in LaTeX, with the exact computation shown."""
    if lemma.key in ("odd", "complement"):
        left = r"s(-u) + s(u)" if lemma.key == "odd" else r"s(-u) - \bigl(1 - s(u)\bigr)"
        return r"checked exactly: written with $E = e^{u}$ as a rational function, \[ %s = %s = 0. \]" % (
            left,
            sympy.latex(lemma.checks[0][1]),
        )
    if lemma.key == "even":
        return r"checked exactly: $s(-u) - s(u)$ expands to $0$"
    if lemma.key == "translation":
        return (
            r"checked exactly by factoring $T = e^{c}$: with $E_j = e^{z_j}$, $e^{z_j + c} = T E_j$, the "
            r"difference of the two sides is a rational function of $T$ and the $E_j$ that cancels to "
            r"$%s$, and $\log(T \sum_j E_j) - c - \log \sum_j E_j = %s$ ($T$ and the sum are positive)"
            % (sympy.latex(lemma.checks[1][1]), sympy.latex(lemma.checks[2][1]))
        )
    difference = sympy.latex(lemma.general.lhs - lemma.general.rhs).replace(r"\sigma", "s")
    if "expands" in lemma.justification:
        return r"checked exactly: $%s$ expands to $0$" % difference
    cases = [value for _, value in lemma.checks]
    values = ", ".join(r"$D(%s) = %s$" % (u, sympy.latex(v)) for u, v in zip(("p", "-p", "0"), cases))
    return (
        r"checked exactly by cases on the sign of $u$ ($\alpha > 0$ keeps the sign): with "
        r"$D(u) = %s$ and any $p > 0$, %s" % (difference, values)
    )


def _names(proof: Proof) -> dict:
    """The network's symbol names, and the prover's inputs ``x1, x2, ...`` as ``x_1, x_2, ...``."""
    mlp = proof.target.mlp if isinstance(proof.target, Loss) else proof.target
    d = mlp.widths[0]
    inputs = {sympy.Symbol(f"x{k + 1}", real=True): ("x" if d == 1 else f"x_{{{k + 1}}}") for k in range(d)}
    return {**symbol_names(mlp), **inputs}


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
            lines.append(  # a check ending in a display has its full stop inside it
                _sentence(
                    r"Lemma used: $%s$, that is $%s$; %s"
                    % (sympy.latex(lemma.general), sympy.latex(lemma.instance), _lemma_check(lemma))
                )
            )
        elif step.name == "abstract activation":
            lines.append(
                r"Write the loss with an abstract activation $\sigma$; an identity proved for $\sigma$ "
                r"using only the lemmas stated here holds for the activation itself."
            )
        elif step.name == "canonical form" and proof.status == "proved" and step.expressions:
            lines.append(
                r"Expanding every argument of $\sigma$ and rewriting with the lemmas puts $L(\theta)$ and "
                r"$L(g\theta)$ in canonical form. SymPy compares the two expression trees and finds them "
                r"identical, so one display shows both:"
            )
            lines.extend(aligned_display("C", value, names) for _, value in step.expressions[:1])
        elif step.name == "canonical form":
            lines.append(
                r"Expanding every argument of $\sigma$ and rewriting with the lemmas puts $L(\theta)$ and "
                r"$L(g\theta)$ in canonical form; the two forms differ."
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
