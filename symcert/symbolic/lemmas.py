r"""Rewrite lemmas about activations, each checked by an exact symbolic computation.

Invariance proofs work with an abstract activation ``sigma`` and use only the
lemmas its facts provide; each lemma is then checked for the concrete
activation, exactly: a rational-function identity in ``E = exp(u)`` (cancelled
to 0), a polynomial identity (expanded to 0), or a case split on the sign of
``u`` for piecewise-linear activations.

Lemmas (keys): ``odd`` ``s(-u) = -s(u)``; ``even`` ``s(-u) = s(u)``; ``complement``
``s(-u) = 1 - s(u)``; ``homogeneous`` ``s(alpha u) = alpha^k s(u)`` for ``alpha > 0``;
and, for gradient identities, ``euler`` ``u s'(u) = k s(u)`` (Euler's relation for
a function homogeneous of degree ``k``; at ``u = 0`` both sides vanish whatever
finite value is taken for ``s'(0)``, so it also holds for ReLU with any choice of
its derivative at 0). ``sigma`` is differentiable as a SymPy function: its
derivative is the abstract ``sigma_prime``.

>>> from symcert.symbolic.activations import activation
>>> lemma = lemmas_for(activation("tanh"))["odd"]
>>> lemma.general
Eq(sigma(-u), -sigma(u))
>>> lemma.instance
Eq(tanh(-u), -tanh(u))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy

from symcert.symbolic.activations import Activation

__all__ = [
    "SIGMA",
    "SIGMA_PRIME",
    "U",
    "ALPHA",
    "C",
    "Lemma",
    "lemmas_for",
    "lemma_residues",
    "euler_lemma",
    "translation_lemma",
]

#: The derivative of the abstract activation (an undefined function).
SIGMA_PRIME = sympy.Function("sigma_prime", real=True)


class SIGMA(sympy.Function):
    """The abstract hidden activation used in proofs: ``sigma(u)``, with derivative ``sigma_prime(u)``.

    >>> sympy.diff(SIGMA(2 * U), U)
    2*sigma_prime(2*u)
    """

    nargs = 1

    def _eval_is_real(self):
        return True

    def fdiff(self, argindex=1):
        return SIGMA_PRIME(self.args[0])


SIGMA.__name__ = "sigma"
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


def _even(act: Activation) -> Lemma:
    difference = act.sympy(-U) - act.sympy(U)
    return Lemma(
        "even",
        f"{act.name} is even",
        sympy.Eq(SIGMA(-U), SIGMA(U)),
        sympy.Eq(_unevaluated(act, -U), act.sympy(U), evaluate=False),
        "s(-u) - s(u) expands to 0",
        (("s(-u) - s(u)", sympy.expand(difference)),),
    )


def _power(k: int) -> str:
    return "" if k == 1 else f"^{k}"


def _homogeneous(act: Activation) -> Lemma:
    k = act.homogeneity
    if k is None:
        raise ValueError(f"{act.name} is not positively homogeneous")
    general = sympy.Eq(SIGMA(ALPHA * U), ALPHA**k * SIGMA(U))
    instance = sympy.Eq(_unevaluated(act, ALPHA * U), ALPHA**k * act.sympy(U), evaluate=False)
    label = f"s(alpha u) - alpha{_power(k)} s(u)"
    if act.polynomial:
        difference = act.sympy(ALPHA * U) - ALPHA**k * act.sympy(U)
        checks: tuple[tuple[str, Any], ...] = ((label, sympy.expand(difference)),)
        why = f"{label} expands to 0"
    else:
        checks = (
            ("u = p > 0", act.sympy(ALPHA * _P) - ALPHA**k * act.sympy(_P)),
            ("u = -p < 0", act.sympy(-ALPHA * _P) - ALPHA**k * act.sympy(-_P)),
            ("u = 0", act.sympy(sympy.Integer(0))),
        )
        why = "by cases on the sign of u (alpha > 0 keeps the sign): each difference is 0"
    degree = "" if k == 1 else f" of degree {k}"
    return Lemma(
        "homogeneous", f"{act.name} is positively homogeneous{degree}", general, instance, why, checks
    )


def euler_lemma(act: Activation, degree: int | None = None) -> Lemma:
    """Euler's relation ``u s'(u) = k s(u)``, checked exactly for ``act`` (``k`` its homogeneity degree).

    ``degree`` overrides ``k`` (to state a wrong relation, whose checks then do not vanish).

    >>> from symcert.symbolic.activations import activation
    >>> euler_lemma(activation("square")).general
    Eq(u*sigma_prime(u), 2*sigma(u))
    >>> [residue for _, residue in euler_lemma(activation("relu")).checks]
    [0, 0, 0]
    """
    k = degree if degree is not None else act.homogeneity
    if k is None:
        raise ValueError(f"{act.name} is not positively homogeneous: no Euler relation")
    general = sympy.Eq(U * SIGMA_PRIME(U), k * SIGMA(U))
    derivative = sympy.Derivative(act.sympy(U), U)
    instance = sympy.Eq(U * derivative, k * act.sympy(U), evaluate=False)
    if act.polynomial:
        label = "u s'(u) - s(u)" if k == 1 else f"u s'(u) - {k} s(u)"
        checks: tuple[tuple[str, Any], ...] = (
            (label, sympy.expand(U * sympy.diff(act.sympy(U), U) - k * act.sympy(U))),
        )
        why = f"{label} expands to 0"
    else:
        # for u = -p < 0: s'(u) = -d/dp s(-p), so u s'(u) = p d/dp s(-p)
        checks = (
            ("u = p > 0", sympy.expand(_P * sympy.diff(act.sympy(_P), _P) - k * act.sympy(_P))),
            ("u = -p < 0", sympy.expand(_P * sympy.diff(act.sympy(-_P), _P) - k * act.sympy(-_P))),
            ("u = 0", -k * act.sympy(sympy.Integer(0))),
        )
        why = (
            "by cases on the sign of u (s is linear on each side of 0); at u = 0 both sides are 0 "
            "for any finite value of s'(0)"
        )
    return Lemma("euler", f"Euler's relation for {act.name} (degree {k})", general, instance, why, checks)


def lemmas_for(act: Activation) -> dict[str, Lemma]:
    """The lemmas the facts of ``act`` provide, each verified exactly.

    Keys: odd, even, complement, homogeneous.

    Raises ``AssertionError`` if a declared fact fails its exact check (a bug in
    the activation's declaration, never a user error).
    """
    found = {}
    if act.odd:
        found["odd"] = _odd(act)
    if act.even:
        found["even"] = _even(act)
    if act.complement:
        found["complement"] = _complement(act)
    if act.homogeneity is not None:
        found["homogeneous"] = _homogeneous(act)
    for lemma in found.values():
        if any(r != 0 for r in lemma_residues(lemma)):
            raise AssertionError(
                f"the declared fact '{lemma.name}' failed its exact check: {lemma_residues(lemma)}"
            )
    return found


def lemma_residues(lemma: Lemma) -> list[sympy.Expr]:
    """What must vanish for ``lemma`` to be proved: the last check of an exp or rational
    cancellation (odd, complement), every check otherwise (expansions and case splits)."""
    if lemma.key in ("odd", "complement"):
        return [lemma.checks[-1][1]]
    return [residue for _, residue in lemma.checks]


#: The translation of the output pre-activations (softmax translation lemma).
C = sympy.Symbol("c", real=True)
_T = sympy.Symbol("T", positive=True)


def translation_lemma(outputs: int = 2) -> Lemma:
    """The softmax translation ``exp(z_i + c) / sum_j exp(z_j + c) = exp(z_i) / sum_j exp(z_j)``,
    checked exactly for ``outputs`` outputs, with its log-sum-exp corollary
    ``log sum_j exp(z_j + c) = c + log sum_j exp(z_j)``.

    The check factors ``exp(c)``: with ``T = exp(c)`` and ``E_j = exp(z_j)`` (positive symbols),
    ``exp(z_j + c) = T E_j`` (the exponential law), the softmax difference is a rational function
    of ``T`` and the ``E_j`` that cancels to 0, and ``log(T S) = log T + log S = c + log S`` for
    ``T, S > 0``.

    >>> lemma = translation_lemma(2)
    >>> lemma.general
    Eq(exp(c + z1)/(exp(c + z1) + exp(c + z2)), exp(z1)/(exp(z1) + exp(z2)))
    >>> lemma_residues(lemma)
    [0, 0, 0]
    """
    if isinstance(outputs, bool) or not isinstance(outputs, int) or outputs < 1:
        raise ValueError(f"the softmax translation lemma needs a positive number of outputs, got {outputs!r}")
    z = [sympy.Symbol(f"z{j + 1}", real=True) for j in range(outputs)]
    E = [sympy.Symbol(f"E{j + 1}", positive=True) for j in range(outputs)]
    shifted = sympy.Add(*[sympy.exp(v + C) for v in z])
    plain = sympy.Add(*[sympy.exp(v) for v in z])
    general = sympy.Eq(sympy.exp(z[0] + C) / shifted, sympy.exp(z[0]) / plain, evaluate=False)
    # the exponential law exp(z + c) = exp(c) exp(z), then T = exp(c), E_j = exp(z_j)
    to_symbols = {sympy.exp(C): _T, **{sympy.exp(v): e for v, e in zip(z, E)}}

    def in_symbols(expr: sympy.Expr) -> sympy.Expr:
        return sympy.expand(expr, power_exp=True).xreplace(to_symbols)

    law = sympy.Add(*[in_symbols(sympy.exp(v + C)) - _T * e for v, e in zip(z, E)])
    ratio = sympy.cancel(in_symbols(sympy.exp(z[0] + C) / shifted - sympy.exp(z[0]) / plain))
    total = in_symbols(shifted)
    factored = sympy.factor_terms(total)  # T * (E1 + ... + Em)
    log_residue = sympy.expand(sympy.expand_log(sympy.log(factored)).xreplace({sympy.log(_T): C}))
    log_residue -= sympy.expand(C + sympy.log(in_symbols(plain)))
    return Lemma(
        "translation",
        "softmax is invariant under translation",
        general,
        sympy.Eq(sympy.log(shifted), C + sympy.log(plain), evaluate=False),
        "with T = exp(c) and E_j = exp(z_j): exp(z_j + c) = T E_j (the exponential law), so the softmax "
        "difference is a rational function of T and the E_j that cancels to 0; and sum_j exp(z_j + c) "
        "= T sum_j E_j, so log sum_j exp(z_j + c) = log T + log sum_j E_j = c + log sum_j exp(z_j) "
        "(T and the sum are positive)",
        (
            ("exp(z_j + c) - T E_j, summed", sympy.expand(law)),
            ("softmax(z + c)_1 - softmax(z)_1, cancelled", ratio),
            ("log sum_j exp(z_j + c) - c - log sum_j exp(z_j)", log_residue),
        ),
    )
