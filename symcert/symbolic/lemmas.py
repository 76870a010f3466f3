r"""Rewrite lemmas about activations, each checked by an exact symbolic computation.

Invariance proofs work with an abstract activation ``sigma`` and use only the
lemmas its facts provide; each lemma is then checked for the concrete
activation, exactly: a rational-function identity in ``E = exp(u)`` (cancelled
to 0), a polynomial identity (expanded to 0), or a case split on the sign of
``u`` for piecewise-linear activations.

>>> from symcert.symbolic.activations import activation
>>> lemma = lemmas_for(activation("tanh"))["odd"]
>>> lemma.general
Eq(sigma(-u), -sigma(u))
>>> lemma.instance
Eq(tanh(-u), -tanh(u))
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from symcert.symbolic.activations import Activation

__all__ = ["SIGMA", "U", "ALPHA", "Lemma", "lemmas_for"]

#: The abstract hidden activation used in proofs.
SIGMA = sympy.Function("sigma", real=True)
U = sympy.Symbol("u", real=True)
ALPHA = sympy.Symbol("alpha", positive=True)
_E = sympy.Symbol("E", positive=True)
_P = sympy.Symbol("p", positive=True)


@dataclass(frozen=True)
class Lemma:
    """A rewrite rule ``general`` for ``sigma``, its ``instance`` for the activation,
    and the exact computation ``checks`` (each ``(label, expression)``) that proves it."""

    key: str
    name: str
    general: sympy.Eq
    instance: sympy.Eq
    justification: str
    checks: tuple[tuple[str, sympy.Expr], ...]


def _exp_form(act: Activation, u: sympy.Expr) -> sympy.Expr:
    """The activation at ``u`` with tanh written through exp, so nothing evaluates early."""
    return act.sympy(U).rewrite(sympy.exp).xreplace({U: u})


def _unevaluated(act: Activation, u: sympy.Expr) -> sympy.Expr:
    with sympy.evaluate(False):
        return act.sympy(u)


def _vanishes_in_exp(expr: sympy.Expr) -> sympy.Expr:
    """Cancel ``expr`` as a rational function of ``E = exp(u)``; 0 proves the identity."""
    return sympy.cancel(sympy.expand(expr).subs(sympy.exp(U), _E))


def _odd(act: Activation) -> Lemma:
    difference = _exp_form(act, -U) + _exp_form(act, U)
    return Lemma(
        "odd",
        f"{act.name} is odd",
        sympy.Eq(SIGMA(-U), -SIGMA(U)),
        sympy.Eq(_unevaluated(act, -U), -act.sympy(U), evaluate=False),
        "s(-u) + s(u), written as a rational function of E = exp(u), cancels to 0",
        (("s(-u) + s(u)", difference), ("cancelled", _vanishes_in_exp(difference))),
    )


def _complement(act: Activation) -> Lemma:
    difference = _exp_form(act, -U) - (1 - _exp_form(act, U))
    return Lemma(
        "complement",
        f"{act.name}(-u) = 1 - {act.name}(u)",
        sympy.Eq(SIGMA(-U), 1 - SIGMA(U)),
        sympy.Eq(_unevaluated(act, -U), 1 - act.sympy(U), evaluate=False),
        "s(-u) - (1 - s(u)), written as a rational function of E = exp(u), cancels to 0",
        (("s(-u) - (1 - s(u))", difference), ("cancelled", _vanishes_in_exp(difference))),
    )


def _homogeneous(act: Activation) -> Lemma:
    general = sympy.Eq(SIGMA(ALPHA * U), ALPHA * SIGMA(U))
    instance = sympy.Eq(_unevaluated(act, ALPHA * U), ALPHA * act.sympy(U), evaluate=False)
    if act.polynomial:
        difference = act.sympy(ALPHA * U) - ALPHA * act.sympy(U)
        checks = (("s(alpha u) - alpha s(u)", sympy.expand(difference)),)
        why = "s(alpha u) - alpha s(u) expands to 0"
    else:
        checks = (
            ("u = p > 0", act.sympy(ALPHA * _P) - ALPHA * act.sympy(_P)),
            ("u = -p < 0", act.sympy(-ALPHA * _P) - ALPHA * act.sympy(-_P)),
            ("u = 0", act.sympy(sympy.Integer(0))),
        )
        why = "by cases on the sign of u (alpha > 0 keeps the sign): each difference is 0"
    return Lemma("homogeneous", f"{act.name} is positively homogeneous", general, instance, why, checks)


def lemmas_for(act: Activation) -> dict[str, Lemma]:
    """The lemmas the facts of ``act`` provide, each verified exactly (keys: odd, complement, homogeneous).

    Raises ``AssertionError`` if a declared fact fails its exact check (a bug in
    the activation's declaration, never a user error).
    """
    found = {}
    if act.odd:
        found["odd"] = _odd(act)
    if act.complement:
        found["complement"] = _complement(act)
    if act.positively_homogeneous:
        found["homogeneous"] = _homogeneous(act)
    for lemma in found.values():
        final = lemma.checks[-1][1] if lemma.key != "homogeneous" or act.polynomial else None
        residues = [final] if final is not None else [c[1] for c in lemma.checks]
        if any(r != 0 for r in residues):
            raise AssertionError(f"the declared fact '{lemma.name}' failed its exact check: {residues}")
    return found
