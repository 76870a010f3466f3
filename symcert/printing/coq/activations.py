"""The concrete activations in Coq: definition, a form the ``interval`` tactic evaluates, and facts.

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

__all__ = ["CoqActivation", "coq_activation", "FACTS"]

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


_EXP_POS = "assert (0 < exp u) by apply exp_pos."

# name -> (Coq name, comment, definition or None, evaluation (name, body, proof) or None, facts)
_TABLE: dict[str, tuple] = {
    "tanh": (
        "tanh",
        "tanh is Coq's own tanh u = sinh u / cosh u (Reals).",
        None,
        (
            "tanh_e",
            "1 - 2 / (exp (2 * u) + 1)",
            "intro u. unfold tanh_e, tanh, sinh, cosh.\n  replace (2 * u) with (u + u) by ring."
            f"\n  rewrite exp_plus, exp_Ropp. {_EXP_POS}\n  field. split; nra.",
        ),
        {
            "odd": "intro u. unfold tanh, sinh, cosh. rewrite Ropp_involutive.\n"
            f"  {_EXP_POS} assert (0 < exp (- u)) by apply exp_pos.\n  field. lra.",
        },
    ),
    "sigmoid": (
        "sigmoid",
        "The logistic sigmoid.",
        "/ (1 + exp (- u))",
        None,
        {
            "complement": "intro u. unfold sigmoid. rewrite Ropp_involutive, exp_Ropp.\n"
            f"  {_EXP_POS}\n  field. split; lra.",
        },
    ),
    "softplus": ("softplus", "Softplus.", "ln (1 + exp u)", None, {}),
    "square": ("square", "The square activation.", "u ^ 2", None, {}),
    "cube": ("cube", "The cube activation.", "u ^ 3", None, {"odd": "intro u. unfold cube. ring."}),
    "identity": (
        "id_act",
        "The identity activation (a linear network).",
        "u",
        None,
        {
            "odd": "intro u. reflexivity.",
            "homogeneous": "intros a u Ha. reflexivity.",
        },
    ),
    "relu": (
        "relu",
        "ReLU, written with Rmax; interval evaluates it as (u + |u|)/2.",
        "Rmax 0 u",
        (
            "relu_e",
            "(u + Rabs u) / 2",
            "intro u. unfold relu, relu_e, Rmax.\n"
            "  destruct (Rle_dec 0 u); unfold Rabs; destruct (Rcase_abs u); lra.",
        ),
        {
            "homogeneous": "intros a u Ha. rewrite !relu_equation. unfold relu_e.\n"
            "  rewrite Rabs_mult, (Rabs_pos_eq a) by lra. field.",
        },
    ),
}


def _leaky(slope) -> tuple:
    a = real(slope)
    return (
        "leaky_relu",
        f"The leaky ReLU with slope {slope}, written with Rmax; interval evaluates it through Rabs.",
        f"Rmax u ({a} * u)",
        (
            "leaky_relu_e",
            f"((1 + {a}) * u + (1 - {a}) * Rabs u) / 2",
            "intro u. unfold leaky_relu, leaky_relu_e, Rmax.\n"
            f"  destruct (Rle_dec u ({a} * u)); unfold Rabs; destruct (Rcase_abs u); lra.",
        ),
        {
            "homogeneous": "intros a u Ha. rewrite !leaky_relu_equation. unfold leaky_relu_e.\n"
            "  rewrite Rabs_mult, (Rabs_pos_eq a) by lra. field.",
        },
    )


def coq_activation(act: Activation | str, facts: Collection[str] = ()) -> CoqActivation:
    """The Coq block for ``act``, with lemmas for the requested ``facts`` (keys of :data:`FACTS`)."""
    act = activation(act)
    name, comment, body, evaluation, proofs = (
        _leaky(act.slope) if act.name == "leaky_relu" else _TABLE[act.name]
    )
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
