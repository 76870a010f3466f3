r"""The notebook printer: a result's whole derivation as Markdown with MathJax, for Jupyter.

Jupyter shows ``_repr_markdown_`` before ``_repr_latex_``; the objects' ``_repr_markdown_`` call
:func:`notebook` (declared in :mod:`symcert.display`, its renderers registered here). The
derivation is the same as in the terminal and in LaTeX: the statement, each step with its
expressions, the rigorous enclosures and the verdict. MathJax typesets only math, so prose is
Markdown and the mathematics sits in ``$...$`` and ``$$...$$``.

>>> from symcert import MLP, swap, prove_invariance
>>> shown = notebook(prove_invariance(MLP((1, 2, 1), "tanh"), swap(1, 0, 1)))
>>> shown.splitlines()[0][:40]
'**Claim.** f(x; g(theta)) = f(x; theta) '
>>> "**Verdict:** proved" in shown
True
"""

from __future__ import annotations

from typing import Any

import sympy

from symcert.display import notebook
from symcert.printing.latex.certificate import claim_latex, quantity_latex
from symcert.printing.latex.display import interval_latex, point_latex
from symcert.printing.latex.elements import element_latex
from symcert.printing.latex.invariance import claim_to_latex, group_repr_latex
from symcert.printing.latex.names import symbol_names
from symcert.printing.text.invariance import shorten
from symcert.proofs.barrier import BarrierResult
from symcert.proofs.certificates import Certificate
from symcert.proofs.convexity import ConvexityProof
from symcert.proofs.generation import flip_reason, generation_argument
from symcert.proofs.gradient import GradientProof
from symcert.proofs.invariance import Proof, ProofStep
from symcert.symbolic.generic import PermutationLemma
from symcert.symbolic.group import SymmetryGroup
from symcert.symbolic.losses import Loss
from symcert.symbolic.permutations import Product
from symcert.symbolic.point import Point

__all__ = ["markdown_escape", "notebook"]

#: Expressions shown per step; the rest are counted.
SHOWN_EXPRESSIONS = 6
#: Longer LaTeX (in characters) is shown as shortened text instead of a display.
LONG_DISPLAY = 1500

_VERDICTS = {
    "proved": "proved: the loss is not convex",
    "refuted": "refuted: this witness does not show non-convexity",
    "undecided": "undecided: the enclosure did not decide at the highest precision tried",
}


def markdown_escape(text: str) -> str:
    r"""Prose with Markdown's and MathJax's special characters escaped.

    >>> markdown_escape("W1_11 * 2 costs $3")
    'W1\\_11 \\* 2 costs \\$3'
    """
    for char in "\\`*_[]<>$|#":
        text = text.replace(char, "\\" + char)
    return text


def _display(label: str, value: Any, names: dict) -> str:
    if isinstance(value, Point):
        body = point_latex(value)
    elif isinstance(value, sympy.Basic):
        body = sympy.latex(value, symbol_names=names)
    else:
        return f"{markdown_escape(label)}: `{shorten(value)}`"
    if len(body) > LONG_DISPLAY:
        return f"{markdown_escape(label)}: `{shorten(value)}`"
    return "$$\\text{%s:}\\quad %s$$" % (label.replace("$", "").replace("_", r"\_"), body)


def _steps(steps: tuple[ProofStep, ...], names: dict) -> list[str]:
    lines = []
    for number, step in enumerate(steps, start=1):
        lines.append(f"{number}. **{markdown_escape(step.name.capitalize())}.** {markdown_escape(step.text)}")
        by_name = {symbol.name: tex for symbol, tex in names.items()}
        for label, value in step.expressions[:SHOWN_EXPRESSIONS]:
            lines.append("")
            if label.endswith(" ->") and label[:-3] in by_name and isinstance(value, sympy.Basic):
                image = sympy.latex(value, symbol_names=names)
                lines.append(f"   $${by_name[label[:-3]]} \\mapsto {image}$$")
            else:
                lines.append("   " + _display(label.removesuffix(" ->").strip(), value, names))
        if len(step.expressions) > SHOWN_EXPRESSIONS:
            lines.append(f"\n   (and {len(step.expressions) - SHOWN_EXPRESSIONS} more)")
    return lines


def _names(target: Any) -> dict:
    mlp = target.mlp if isinstance(target, Loss) else target
    return symbol_names(mlp)


@notebook.register
def _(obj: Proof) -> str:
    names = _names(obj.target)
    lines = [f"**Claim.** {markdown_escape(obj.claim)}", "", f"$$ {claim_to_latex(obj)} $$", ""]
    lines += _steps(obj.steps, names)
    role = "Factor" if isinstance(obj.element, Product) else "Generator"
    for part in obj.parts:
        lines.append(f"- {role} ${element_latex(part.element)}$: {part.status}")
    lines += ["", f"**Verdict:** {obj.verdict}"]
    return "\n".join(lines)


@notebook.register
def _(obj: Certificate) -> str:
    own = _OWN_DISPLAY.get(obj.kind)
    if own is not None:
        return own(obj)
    loss = obj.loss
    lines = [
        f"**Statement.** The {markdown_escape(loss.describe())} is not convex.",
        "",
        f"**Witness ({obj.kind}).** $${claim_latex(obj)}$$",
        "",
    ]
    step = 1
    if obj.element is not None:
        lines.append(
            f"{step}. **The symmetry.** $g = {element_latex(obj.element)}$ leaves the loss unchanged, "
            "so $L(B) = L(gA) = L(A)$."
        )
        step += 1
    lines.append(f"{step}. **The points** (exact rationals).")
    lines.append(f"\n   $$A:\\quad {point_latex(obj.A)}$$")
    if obj.B is not None:
        lines.append(f"\n   $$B:\\quad {point_latex(obj.B)}$$")
    for key, value in obj.parameters.items():
        if key != "pieces":
            lines.append(f"\n   {markdown_escape(key)} = `{shorten(value)}`")
    step += 1
    lines.append(f"{step}. **The enclosures** (interval arithmetic, outward rounding).")
    lines += _enclosures(obj.enclosures)
    spec = obj.spec
    name, relation, claim = spec.quantity, spec.relation, spec.claim
    lines.append(f"{step + 1}. **The inequality.** {markdown_escape(claim)}")
    if name in obj.enclosures and obj.status == "proved":
        side = {">": "lower endpoint is above", "<": "upper endpoint is below", "!=": "enclosure excludes"}
        lines.append(f"\n   The {side[relation]} $0$, so ${quantity_latex(name)} {_relation(relation)} 0$.")
    for note in obj.notes:
        lines.append(f"\n*Note:* {markdown_escape(note)}")
    lines += ["", f"**Verdict:** {_VERDICTS[obj.status]}"]
    return "\n".join(lines)


def _relation(relation: str) -> str:
    return {">": ">", "<": "<", "!=": r"\neq"}[relation]


def _enclosures(enclosures: dict[str, tuple[sympy.Rational, sympy.Rational]]) -> list[str]:
    if not enclosures:
        return []
    rows = [
        r"%s &\in %s" % (quantity_latex(name), interval_latex(bounds, 12))
        for name, bounds in enclosures.items()
    ]
    return ["", "   $$\\begin{aligned} " + r" \\ ".join(rows) + r" \end{aligned}$$"]


def _barrier(certificate: Certificate) -> str:
    parameters = certificate.parameters
    lines = [
        f"**Statement.** The loss barrier ({markdown_escape(str(parameters['form']))}) of the "
        f"{markdown_escape(certificate.loss.describe())} between $A$ and $B$:",
        "",
        r"$$B(A, B) = \sup_{t \in [0, 1]} L\bigl((1-t)A + tB\bigr) - \bigl((1-t)L(A) + tL(B)\bigr)$$",
        "",
        f"1. **The points.**\n\n   $$A:\\quad {point_latex(certificate.A)}$$",
    ]
    if certificate.B is not None:
        lines.append(f"\n   $$B:\\quad {point_latex(certificate.B)}$$")
    lines.append(
        f"2. **Branch and bound over $t$.** {len(parameters['pieces'])} pieces partition $[0, 1]$; "
        f"the witness $t = {sympy.latex(parameters['witness'])}$ gives the lower bound."
    )
    lines.append("3. **The enclosures** (rigorous).")
    lines += _enclosures(certificate.enclosures)
    verdict = (
        "proved: the enclosure is within the tolerance"
        if certificate.status == "proved"
        else "undecided: a cap was reached before the tolerance (the enclosure is still rigorous)"
    )
    lines += ["", f"**Verdict:** {verdict}"]
    return "\n".join(lines)


#: The kinds whose display does not follow the common layout (an enclosure, not an inequality).
_OWN_DISPLAY = {"barrier": _barrier}


@notebook.register
def _(obj: BarrierResult) -> str:
    if obj.exact:
        return "**Barrier** $= 0$ exactly ($B = A$: the path is constant)."
    return _barrier(obj.certificate())


@notebook.register
def _(obj: ConvexityProof) -> str:
    lines = [f"**Claim.** The {markdown_escape(obj.loss.describe())} is convex.", ""]
    lines += _steps(obj.steps, symbol_names(obj.loss.mlp))
    if not obj.proved:
        lines.append(f"\n*Not proved:* {markdown_escape(obj.reason)}")
    lines += ["", f"**Verdict:** {obj.status}"]
    return "\n".join(lines)


@notebook.register
def _(obj: GradientProof) -> str:
    lines = [f"**Claim.** {markdown_escape(obj.claim)}", ""]
    lines += _steps(obj.steps, symbol_names(obj.loss.mlp))
    for part in obj.parts:
        lines.append(f"- unit {part.unit}: {part.status}")
    lines += ["", f"**Verdict:** {obj.status}"]
    return "\n".join(lines)


@notebook.register
def _(obj: SymmetryGroup) -> str:

    math = group_repr_latex(obj).removeprefix(r"$\displaystyle").removesuffix("$").strip()
    lines = [f"$${math}$$", ""]
    for layer in obj.layers:
        flips = f"sign flips ({layer.sign_kind})" if layer.flips else "no sign flips"
        lines.append(
            f"- layer {layer.layer}: {layer.width} units, order {layer.order}, {flips}: "
            f"{markdown_escape(flip_reason(layer, obj.mlp.activation.name))}"
        )
    generators = ", ".join(f"${element_latex(g)}$" for g in obj.generators) or "none"
    lines += ["", f"**Generators:** {generators}", "", markdown_escape(generation_argument(obj))]
    return "\n".join(lines)


@notebook.register
def _(obj: PermutationLemma) -> str:
    lines = [
        "**Lemma (permutation invariance, any width).** For every width $n$ and every permutation "
        r"$\pi$ of $\{1, \dots, n\}$:",
        "",
        f"$${sympy.latex(obj.statement)}$$",
        "",
        "**Proof.**",
        "",
    ]
    for number, (text, expr) in enumerate(obj.steps, start=1):
        lines.append(f"{number}. {markdown_escape(text)}\n\n   $${sympy.latex(expr)}$$")
    return "\n".join(lines)
