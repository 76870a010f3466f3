"""The symmetry in Coq: the group element as a map on parameter records, and its invariance lemmas.

One lemma per step of the derivation, layer by layer: the pre-activations
of the element's layer are permuted (swap), negated (flip) or scaled
(rescale); the activations follow by the activation's fact; the next layer's
pre-activations are unchanged (``ring``, or ``field`` after a rescaling); so
are all later layers, the outputs and the loss. The lemmas are stated for an
abstract activation ``s`` (a section variable) with the fact as a hypothesis.

>>> from symcert import MLP, Dataset, Loss, swap
>>> from symcert.printing.coq.syntax import Network
>>> net = MLP((1, 2, 1))
>>> loss = Loss(net, Dataset([[0]], [[1]]), "mse")
>>> block = symmetry_block(Network(loss, None), swap(1, 0, 1))
>>> block.fact is None, "Lemma loss_invariant" in block.lemmas
(True, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import sympy

from symcert.printing.coq.activations import FACTS
from symcert.printing.coq.syntax import Network, real
from symcert.symbolic.group import Flip, GroupElement, Rescale, Swap

__all__ = ["SymmetryBlock", "symmetry_fact", "symmetry_block"]


@dataclass(frozen=True)
class SymmetryBlock:
    """``action`` defines ``g`` (outside the section); ``lemmas`` go inside it after ``hypothesis``."""

    fact: str | None
    action: str
    hypothesis: str
    lemmas: str


def symmetry_fact(network: Network, element: GroupElement) -> str | Literal[False]:
    """The activation fact that makes ``element`` a symmetry of the loss ("" for none), or False."""
    act, loss = network.mlp.activation, network.loss
    if isinstance(element, Swap):
        return ""
    if isinstance(element, Flip):
        if act.odd:
            return "odd"
        # the complement's shift b{l+1} += W{l+1}[:, j] needs the next layer's biases
        return "complement" if act.complement and network.mlp.has_bias(element.layer + 1) else False
    if isinstance(element, Rescale):
        return "homogeneous" if act.positively_homogeneous and not loss.weight_decay else False
    return False


def _linear(expr: sympy.Expr, point: str = "p") -> str:
    """A linear form in the parameter symbols as Coq text, e.g. ``- W2_11 p`` or ``b2_1 p + W2_11 p``."""
    parts = []
    for term in sympy.Add.make_args(sympy.expand(expr)):
        coefficient, rest = term.as_coeff_Mul()
        atom = f"{rest} {point}" if rest != 1 else real(abs(coefficient))
        if rest != 1 and abs(coefficient) != 1:
            atom = f"{real(abs(coefficient))} * {atom}"
        sign = "-" if coefficient < 0 else "+"
        parts.append((sign, atom))
    text = " ".join(f"{sign} {atom}" for sign, atom in parts)
    return text[2:] if text.startswith("+ ") else text


def _describe(element: GroupElement) -> str:
    l = element.layer
    if isinstance(element, Swap):
        return (
            f"exchanges units {element.i + 1} and {element.j + 1} of hidden layer {l} "
            f"(rows of W{l}, entries of b{l}, columns of W{l + 1})"
        )
    if isinstance(element, Flip):
        return f"flips the sign of unit {element.unit + 1} of hidden layer {l} (its row, bias and column)"
    assert isinstance(element, Rescale)  # symmetry_fact admits swaps, flips and rescalings only
    return (
        f"scales unit {element.unit + 1} of hidden layer {l}: its row and bias by {element.alpha}, "
        f"its column by 1/{element.alpha}"
    )


def symmetry_block(network: Network, element: GroupElement) -> SymmetryBlock | None:
    """The Coq text proving ``L (g p) = L p`` for all ``p``, or None when ``element`` is no symmetry."""
    fact = symmetry_fact(network, element)
    if fact is False:
        return None
    mlp = network.mlp
    image = element.act(mlp, mlp.symbols)
    fields = ";\n     ".join(f"{name} := {_linear(v)}" for name, v in zip(mlp.parameter_names, image))
    action = (
        f"(* The symmetry g = {element!r}: it {_describe(element)}. *)\n"
        f"Definition g (p : params) : params :=\n  {{| {fields} |}}."
    )
    hypothesis = ""
    if fact:
        name, statement = FACTS[fact]
        hypothesis = f"(* The fact about s this symmetry needs. *)\nHypothesis {name} : {statement}."
    lemmas = _lemmas(network, element, fact)
    return SymmetryBlock(fact or None, action, hypothesis, lemmas)


def _unit_image(element: GroupElement, j: int) -> tuple[int, str]:
    """Unit ``j`` of the element's layer: the unit it becomes and how (``""``, ``"-"`` or ``"alpha *"``)."""
    if isinstance(element, Swap):
        return {element.i: element.j, element.j: element.i}.get(j, j), ""
    if isinstance(element, Flip):
        return j, "- " if j == element.unit else ""
    assert isinstance(element, Rescale)  # symmetry_fact admits swaps, flips and rescalings only
    return j, f"{real(element.alpha)} * " if j == element.unit else ""


def _lemmas(network: Network, element: GroupElement, fact: str) -> str:
    mlp, xs = network.mlp, " ".join(network.inputs)
    binders = f"forall (p : params) ({xs} : R)"
    finish = {
        "": "reflexivity",
        "odd": "apply s_odd",
        "complement": "apply s_complement",
        "homogeneous": "apply s_homogeneous; lra",
    }[fact]
    blocks = []
    for l in range(1, mlp.depth + 1):
        width = mlp.widths[l]
        hidden = l < mlp.depth
        previous = [f"{network.h(l - 1, k)}_g" for k in range(mlp.widths[l - 1])] if l > 1 else []
        rewrite = f"rewrite {', '.join('?' + name for name in previous)}. " if previous else ""
        closing = "field" if isinstance(element, Rescale) and l == element.layer + 1 else "ring"
        if l == element.layer:
            head = (
                f"(* Layer {l}: g acts on the pre-activations of its units"
                + (" (and on nothing before them)." if l > 1 else ".")
                + " *)"
            )
        elif l == element.layer + 1:
            head = f"(* Layer {l}: the changes cancel in every pre-activation. *)"
        else:
            head = f"(* Layer {l}: " + (
                "untouched by g. *)" if l < element.layer else "unchanged, since its inputs are. *)"
            )
        lines = [head]
        for j in range(width):
            z = network.z(l, j)
            target, how = _unit_image(element, j) if l == element.layer else (j, "")
            if how.startswith("-") and isinstance(element, Flip) and fact == "complement":
                how_h = "1 - "
            else:
                how_h = how
            rhs_z = network.z(l, target)
            unfolds = ", ".join(dict.fromkeys([z, rhs_z]))
            lines.append(
                f"Lemma {z}_g : {binders},\n  {network.call(z, '(g p)')} = {how}{network.call(rhs_z)}.\n"
                f"Proof.\n  intros p {xs}. unfold {unfolds}. {rewrite}unfold g; coordinates. {closing}.\nQed."
            )
            if hidden:
                h, rhs_h = network.h(l, j), network.h(l, target)
                step = finish if how_h else "reflexivity"
                unfolds = ", ".join(dict.fromkeys([h, rhs_h]))
                statement = f"{binders},\n  {network.call(h, '(g p)')} = {how_h}{network.call(rhs_h)}"
                lines.append(
                    _lemma(f"{h}_g", statement, f"intros p {xs}. unfold {unfolds}. rewrite {z}_g. {step}.")
                )
        blocks.append("\n".join(lines))
    outputs = [f"{network.f(k)}_g" for k in range(mlp.widths[-1])]
    logits = [f"{network.z(mlp.depth, k)}_g" for k in range(mlp.widths[-1])]
    rewrite_logits = f"rewrite {', '.join('?' + n for n in logits)}."
    output_lemmas = [
        _lemma(
            f"{network.f(k)}_g",
            f"{binders},\n  {network.call(network.f(k), '(g p)')} = {network.call(network.f(k))}",
            f"intros p {xs}. unfold {network.f(k)}. {rewrite_logits} reflexivity.",
        )
        for k in range(mlp.widths[-1])
    ]
    decay = " unfold g; coordinates." if network.loss.weight_decay else ""
    blocks.append(
        "(* The outputs, hence every term of the loss, are unchanged. *)\n"
        + "\n".join(output_lemmas)
        + "\n\n(* Symmetry: L(g p) = L(p) for every parameter point p. *)\n"
        + _lemma(
            "loss_invariant",
            "forall p : params, L (g p) = L p",
            f"intro p. unfold L. rewrite {', '.join('?' + n for n in outputs + logits)}.{decay} ring.",
        )
    )
    return "\n\n".join(blocks)


def _lemma(name: str, statement: str, proof: str) -> str:
    return f"Lemma {name} : {statement}.\nProof.\n  {proof}\nQed."
