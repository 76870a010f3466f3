r"""Prove convexity where it holds: models without a hidden layer (the convex baselines).

For linear regression (``mse``/``sse``, identity output) and logistic
regression (``bce``, sigmoid output), with or without weight decay, the
Hessian is written as a weighted Gram matrix plus a nonnegative diagonal,

.. math:: H(\theta) = \sum_{i,k} c_{ik}(\theta) J_{ik} J_{ik}^T + 2\lambda D,

where ``J_ik`` is the (constant) gradient of the output pre-activation
``z_ik`` and every ``c_ik >= 0``; SymPy checks exactly that this equals the
Hessian of ``Loss.expr``. Then ``v^T H v = sum c_ik (J_ik . v)^2 + 2 lambda
sum v_w^2 >= 0`` for every ``v``: ``H`` is positive semidefinite everywhere,
so the loss is convex. For any other loss symcert says it cannot prove convexity.

>>> from symcert import MLP, Dataset, Loss
>>> proof = prove_convexity(Loss(MLP((1, 1)), Dataset([[1], [2]], [[0], [1]]), "mse"))
>>> proof.status
'proved'
>>> prove_convexity(Loss(MLP((1, 2, 1)), Dataset([[1]], [[0]]), "mse")).status
'not proved'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy

from symcert.display import Displayed
from symcert.proofs.invariance import ProofStep
from symcert.symbolic.losses import LOSS_KINDS, Loss, LossFunction, loss_function
from symcert.symbolic.network import forward

__all__ = ["ConvexityProof", "prove_convexity"]


@dataclass(frozen=True)
class ConvexityProof(Displayed):
    """``status`` is "proved" or "not proved"; ``steps`` show the Gram-matrix argument."""

    loss: Loss
    status: str
    reason: str
    steps: tuple[ProofStep, ...] = ()

    @property
    def proved(self) -> bool:
        """True when convexity was proved."""
        return self.status == "proved"


def prove_convexity(loss: Loss) -> ConvexityProof:
    """Prove that ``loss`` is convex, or say why symcert cannot."""
    mlp = loss.mlp
    if mlp.hidden_layers:
        return ConvexityProof(
            loss,
            "not proved",
            f"symcert proves convexity only for models without a hidden layer; the {mlp.describe()} "
            "has hidden units (see certify_nonconvexity)",
        )
    if not _gram_applies(loss.function, mlp.output_activation.name):
        return ConvexityProof(
            loss,
            "not proved",
            f"symcert proves convexity for {_gram_models()}; this is {loss.kind} with a "
            f"{mlp.output_activation.name} output",
        )
    return _gram_proof(loss)


def _gram_applies(function: LossFunction, output: str) -> bool:
    """The Gram-matrix proof applies: convex in ``z`` with its own output, and a diagonal curvature."""
    diagonal = function.curvature is not None
    return function.convex_in_outputs and diagonal and output == function.output_activation


def _gram_models() -> str:
    """The models the Gram-matrix proof covers, e.g. ``linear regression (mse/sse, identity output)``."""
    groups: dict[tuple[str | None, str], list[str]] = {}
    for kind in LOSS_KINDS:
        function = loss_function(kind)
        if _gram_applies(function, function.output_activation):
            groups.setdefault((function.convex_model, function.output_activation), []).append(kind)
    return " and ".join(
        f"{model} ({'/'.join(names)}, {out} output)" for (model, out), names in groups.items()
    )


def _powers_of_exp(matrix: sympy.Matrix, positives: dict[sympy.Expr, sympy.Symbol]) -> dict[Any, Any]:
    """Map each ``exp(m z)`` in ``matrix`` (``m`` an integer, ``z`` a known pre-activation) to ``E^m``."""
    mapping = {}
    for atom in matrix.atoms(sympy.exp):
        for z, E in positives.items():
            ratio = sympy.cancel(atom.args[0] / z)
            if ratio.is_Integer:
                mapping[atom] = E**ratio
                break
    return mapping


def _gram_proof(loss: Loss) -> ConvexityProof:
    mlp = loss.mlp
    curvature = loss.function.curvature
    assert curvature is not None  # _gram_applies: a diagonal curvature
    symbols = list(mlp.symbols)
    positives: dict[sympy.Expr, sympy.Symbol] = {}
    claimed = sympy.zeros(len(symbols), len(symbols))
    for x in loss.data.xs:
        z = forward(mlp, mlp.symbols, list(x), lambda u: u, list)
        for zk in z:
            if not zk.free_symbols:
                continue  # no bias and a zero input: this term does not depend on theta
            J = sympy.Matrix([sympy.diff(zk, s) for s in symbols])
            if loss.function.constant_curvature:
                weight = curvature(None) * loss.scale
            else:
                E = positives.setdefault(zk, sympy.Symbol(f"E{len(positives)}", positive=True))
                weight = loss.scale * curvature(E)
            claimed += weight * (J * J.T)
    decay = sympy.diag(*[2 * loss.weight_decay if s.name.startswith("W") else 0 for s in symbols])
    claimed += decay
    hessian = sympy.hessian(loss.expr, symbols)
    if positives:
        hessian = hessian.xreplace(_powers_of_exp(hessian, positives))
    difference = (hessian - claimed).applyfunc(sympy.cancel)
    if difference != sympy.zeros(len(symbols), len(symbols)):
        return ConvexityProof(loss, "not proved", "the Gram form did not match the Hessian exactly")
    weight_text = (
        "c_ik = (1/N) e^{z}/(1 + e^{z})^2 > 0 (the sigmoid's derivative)"
        if not loss.function.constant_curvature
        else f"c_ik = {curvature(None)} * {loss.scale} > 0"
    )
    steps = (
        ProofStep("model", f"{mlp.describe()}: every output pre-activation z_ik is linear in theta"),
        ProofStep(
            "Hessian",
            "the Hessian of L, computed exactly by SymPy, equals sum_ik c_ik J_ik J_ik^T + 2 lambda D "
            f"with {weight_text}, J_ik = grad z_ik and D the diagonal selecting weights "
            "(checked entry by entry: the difference cancels to 0"
            + (", writing E = exp(z_ik) > 0)" if positives else ")"),
            (("H", hessian if len(symbols) <= 6 else f"{len(symbols)} x {len(symbols)} matrix"),),
        ),
        ProofStep(
            "positive semidefinite",
            "v^T H v = sum_ik c_ik (J_ik . v)^2 + 2 lambda sum_w v_w^2 >= 0 for every v, "
            f"since every c_ik >= 0 and lambda = {loss.weight_decay} >= 0",
        ),
        ProofStep(
            "conclusion", "a twice differentiable function on R^n with a PSD Hessian everywhere is convex"
        ),
    )
    return ConvexityProof(
        loss, "proved", "the Hessian is a nonnegative Gram matrix plus a nonnegative diagonal", steps
    )
