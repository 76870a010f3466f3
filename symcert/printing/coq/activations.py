"""The concrete activations in Coq: definition, a form the ``interval`` tactic evaluates, and facts.

The Coq text of each activation is part of its entry (:mod:`symcert.symbolic.activation_entries`);
this module assembles it into a block of the exported file.

Each activation is stated with its usual definition (Coq's own ``tanh``;
ReLU as ``Rmax 0 u``). When ``interval`` cannot evaluate that definition
well, an equal *evaluation form* is defined and proved equal pointwise:
``tanh u = 1 - 2/(exp(2u) + 1)`` (``u`` once, so the enclosure is tight) and
``Rmax 0 u = (u + |u|)/2`` (``interval`` handles ``Rabs`` but not ``Rmax``).
The facts a symmetry needs (odd, complement, positively homogeneous) are
proved for the concrete activation only when the file uses them.

>>> act = coq_activation(activation("relu"), {"homogeneous"})
>>> act.name, act.evaluation
('relu', 'relu_e')
>>> "Lemma relu_homogeneous" in act.text
True
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from symcert.errors import SpecificationError
from symcert.printing.coq.syntax import real
from symcert.symbolic.activations import Activation, activation

__all__ = ["CoqActivation", "coq_activation", "activation_definition", "FACTS"]

#: The facts a symmetry can need, with the hypothesis each one becomes inside the section.
FACTS = {
    "odd": ("s_odd", "forall u, s (- u) = - s u"),
    "complement": ("s_complement", "forall u, s (- u) = 1 - s u"),
    "homogeneous": ("s_homogeneous", "forall a u, 0 < a -> s (a * u) = a * s u"),
}


@dataclass(frozen=True)
class CoqActivation:
    """The Coq text of one activation and the names the rest of the file uses.

    ``name`` is the activation in the final theorem; ``evaluation`` the name of
    the form ``interval`` evaluates (``name`` itself when no rewriting is
    needed); ``equation`` the lemma ``forall u, name u = evaluation u`` (or
    None); ``facts`` maps each requested fact to the lemma proving it.
    """

    name: str
    evaluation: str
    equation: str | None
    facts: dict[str, str]
    text: str


def _form(act: Activation) -> tuple:
    """The activation's Coq form (from its entry), with the slope written as a Coq real."""
    form = act.coq
    if form is None:
        raise SpecificationError(f"{act.label} has no Coq form; add one to its entry (activation_entries.py)")
    slope = real(act.slope) if act.slope is not None else ""

    def fill(text: str) -> str:
        return text.replace("{slope}", slope).replace("{slope_text}", str(act.slope))

    evaluation = None if form.evaluation is None else tuple(fill(part) for part in form.evaluation)
    definition = None if form.definition is None else fill(form.definition)
    return form.name, fill(form.comment), definition, evaluation, {k: fill(v) for k, v in form.facts.items()}


def coq_activation(act: Activation | str, facts: Collection[str] = ()) -> CoqActivation:
    """The Coq block for ``act``, with lemmas for the requested ``facts`` (keys of :data:`FACTS`)."""
    act = activation(act)
    name, comment, body, evaluation, proofs = _form(act)
    missing = [fact for fact in facts if fact not in proofs]
    if missing:
        raise SpecificationError(
            f"{act.label} does not have the fact(s) {', '.join(missing)} a symmetry would need; "
            f"it has {', '.join(proofs) or 'none of them'}"
        )
    lines = [f"(* {comment} *)"]
    if body is not None:
        lines.append(f"Definition {name} (u : R) : R := {body}.")
    evaluation_name, equation = name, None
    if evaluation is not None:
        evaluation_name, formula, proof = evaluation
        equation = f"{name}_equation"
        lines += [
            "",
            f"(* The same function in the form the interval tactic evaluates: {formula}. *)",
            f"Definition {evaluation_name} (u : R) : R := {formula}.",
            f"Lemma {equation} : forall u, {name} u = {evaluation_name} u.",
            f"Proof.\n  {proof}\nQed.",
        ]
    statements = {
        "odd": ("odd", f"forall u, {name} (- u) = - {name} u"),
        "complement": ("complement", f"forall u, {name} (- u) = 1 - {name} u"),
        "homogeneous": ("homogeneous", f"forall a u, 0 < a -> {name} (a * u) = a * {name} u"),
    }
    lemmas = {}
    for fact in facts:
        suffix, statement = statements[fact]
        lemmas[fact] = f"{name}_{suffix}"
        lines += ["", f"Lemma {name}_{suffix} : {statement}.", f"Proof.\n  {proofs[fact]}\nQed."]
    return CoqActivation(name, evaluation_name, equation, lemmas, "\n".join(lines))


def activation_definition(act: Activation | str) -> tuple[str, str]:
    """The activation's Coq name and its ``Definition`` (empty when Coq's library defines it).

    >>> activation_definition("relu")
    ('relu', 'Definition relu (u : R) : R := Rmax 0 u.')
    >>> activation_definition("tanh")
    ('tanh', '')
    """
    name, _, body, _, _ = _form(activation(act))
    return name, "" if body is None else f"Definition {name} (u : R) : R := {body}."
