"""The invariance proof of the softmax translation ``translate:c`` (used by :func:`prove_invariance`).

Two exact steps. (1) The element changes only output biases, and ``b_k`` enters only
``z_k = (W a)_k + b_k``: so ``z_k(g theta) = z_k(theta) + c`` (checked by expansion at every data
point, or at a symbolic input). (2) The target depends on ``theta`` only through ``z`` (and the
weight decay, which does not see biases): writing it with abstract ``Z_k``, the difference
``ell(Z + c 1, y) - ell(Z, y)`` is rewritten with the translation lemma (``exp(Z_k + c) = T E_k``,
``log(T S) = c + log S``) and cancels to 0. When it does not (some biases only), the prover
looks for an exact point where the two sides differ.

>>> from symcert import MLP, Dataset, Loss, prove_invariance
>>> from symcert.symbolic.translation import translate
>>> loss = Loss(MLP((1, 1, 2), "tanh", output_activation="softmax"),
...             Dataset([[1], [2]], [[1, 0], [0, 1]]), "cross_entropy")
>>> prove_invariance(loss, translate(3)).status
'proved'
>>> prove_invariance(loss, translate(3, outputs=(0,))).status
'refuted'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sympy

from symcert.symbolic.lemmas import SIGMA, C, translation_lemma
from symcert.symbolic.losses import Loss, Ops
from symcert.symbolic.network import forward
from symcert.symbolic.translation import Translate

if TYPE_CHECKING:
    from symcert.proofs.invariance import Proof

__all__ = ["translation_residue"]

_T = sympy.Symbol("T", positive=True)


def translation_residue(shifted: sympy.Expr, plain: sympy.Expr, Z: list[sympy.Symbol]) -> sympy.Expr:
    """``shifted - plain`` rewritten with the translation lemma and cancelled (0 proves it).

    ``exp(Z_k + c) = T E_k`` (exponential law, ``T = exp(c)``, ``E_k = exp(Z_k)`` positive symbols),
    then each ``log(T S)`` with ``T`` factored out is ``c + log S``.

    >>> z1, z2 = sympy.symbols("z1 z2", real=True)
    >>> f = lambda a, b: sympy.log(sympy.exp(a) + sympy.exp(b)) - a
    >>> translation_residue(f(z1 + C, z2 + C), f(z1, z2), [z1, z2])
    0
    """
    E = {sympy.exp(v): sympy.Symbol(f"E_{v}", positive=True) for v in Z}
    expr = sympy.expand(shifted - plain, power_exp=True).xreplace({sympy.exp(C): _T, **E})

    def split(arg: sympy.Expr) -> sympy.Expr:
        return sympy.expand_log(sympy.log(sympy.factor_terms(arg))).xreplace({sympy.log(_T): C})

    expr = expr.replace(lambda e: isinstance(e, sympy.log), lambda e: split(e.args[0]))
    return sympy.cancel(sympy.together(sympy.expand(expr)))


def prove_translation(prover, element: Translate) -> Proof:
    """The proof of ``element`` for ``prover``'s target (see the module docstring)."""
    from symcert.proofs.invariance import Counterexample, Proof, ProofStep

    mlp, target = prover.mlp, prover.target
    m = mlp.widths[-1]
    moved = element.shifted(mlp)
    Z = [sympy.Symbol(f"Z{k + 1}", real=True) for k in range(m)]
    ZC = [Z[k] + C if k in moved else Z[k] for k in range(m)]
    substitution = element.substitution(mlp)
    symbolic = {s: s + C for s in substitution}
    inputs = [list(x) for x in target.data.xs] if isinstance(target, Loss) else [list(prover.inputs)]
    shift_ok = True
    for x in inputs:
        z = forward(mlp, mlp.symbols, x, SIGMA, list)
        image = forward(mlp, [symbolic.get(s, s) for s in mlp.symbols], x, SIGMA, list)
        shift_ok &= all(sympy.expand(image[k] - zk - (C if k in moved else 0)) == 0 for k, zk in enumerate(z))
    if isinstance(target, Loss):
        ops = Ops(sympy.exp, sympy.log, lambda items: sympy.Add(*items), mlp.output_activation.sympy)
        residues = [
            translation_residue(target.function.point(ZC, y, ops), target.function.point(Z, y, ops), Z)
            for y in target.data.ys
        ]
        what = "at each data point, ell(Z + c, y_i) - ell(Z, y_i)"
    else:
        out = mlp.output_activation.sympy
        residues = [translation_residue(a, b, Z) for a, b in zip(out(ZC), out(Z))]
        what = "for each output k, f_k(Z + c) - f_k(Z)"
    lemma = translation_lemma(m)
    which = f"every entry of b{mlp.depth}" if element.outputs is None else f"b{mlp.depth} at {moved}"
    steps = [
        ProofStep("statement", prover.claim(element)),
        ProofStep(
            "substitution",
            f"g = {element} adds c = {element.shift} to {which}; the proof keeps c a symbol",
            tuple((f"{s} ->", v) for s, v in substitution.items()),
        ),
        ProofStep(
            "output pre-activations",
            f"for every output k in {moved}, z_k(g theta) - z_k(theta) - c expands to 0, and every other "
            "z_k is unchanged "
            "(only the biases move, and b_k enters z_k = (W a)_k + b_k alone)"
            + (
                "; weight decay sees weights only, so it is unchanged"
                if getattr(target, "weight_decay", 0)
                else ""
            ),
        ),
        ProofStep(
            f"lemma: {lemma.name}",
            lemma.justification,
            (("general", lemma.general), ("corollary", lemma.instance), *lemma.checks),
        ),
    ]
    if shift_ok and all(r == 0 for r in residues):
        steps.append(
            ProofStep(
                "translation",
                f"{what}, rewritten with the lemma (exp(Z_k + c) = T E_k, log(T S) = c + log S), "
                "cancels to 0",
            )
        )
        steps.append(
            ProofStep("conclusion", f"{prover.name} is invariant under translate:c for every real c.")
        )
        return Proof(prover.claim(element), target, element, "proved", tuple(steps), (lemma,))
    steps.append(
        ProofStep(
            "translation",
            f"{what} does not cancel after the lemma's rewrite; "
            "look for an exact point where the sides differ",
        )
    )
    found, numeric = prover.find_counterexample(element)
    if found is None:
        steps.append(ProofStep("conclusion", "undecided: no exact point showed a rigorous difference"))
        return Proof(
            prover.claim(element),
            target,
            element,
            "undecided",
            tuple(steps),
            (lemma,),
            numerically_invariant=numeric,
        )
    assert isinstance(found, Counterexample)
    steps.append(
        ProofStep(
            "counterexample",
            "at the exact point theta below, "
            + found.difference.describe(f"{prover.name}(g theta) - {prover.name}(theta)"),
            (("theta", found.point),),
        )
    )
    steps.append(ProofStep("conclusion", f"{prover.name} is not invariant under {element}."))
    return Proof(prover.claim(element), target, element, "refuted", tuple(steps), (lemma,), found)
