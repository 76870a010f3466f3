r"""The LaTeX printer: :func:`latex` dispatches on the type of what it prints.

As in ``sympy.printing``, the objects hold no LaTeX; each type has one renderer here, registered
into the generic functions :func:`~symcert.display.latex`, :func:`~symcert.display.repr_latex` (the
one-line display of ``_repr_latex_()`` in Jupyter) and :func:`~symcert.display.claim_latex`, which
the leaf module :mod:`symcert.display` declares and the objects' display methods call.

>>> from symcert import MLP, swap, prove_invariance, latex
>>> fragment = latex(prove_invariance(MLP((1, 2, 1), "tanh"), swap(1, 0, 1)))
>>> fragment.startswith(r"\begin{theorem}")
True
>>> latex(MLP((1, 2, 1), "tanh").symmetry_group())
'$\\displaystyle G = (S_{2} \\ltimes \\{\\pm 1\\}^{2}),\\quad |G| = 8$'
"""

from __future__ import annotations

from typing import Any

import sympy

from symcert.display import claim_latex, latex, repr_latex
from symcert.printing.latex.certificate import certificate_repr_latex, certificate_to_latex
from symcert.printing.latex.certificate import claim_latex as certificate_claim_latex
from symcert.printing.latex.convexity import convexity_repr_latex, convexity_to_latex
from symcert.printing.latex.display import point_latex
from symcert.printing.latex.elements import (
    element_latex,
    permutation_lemma_repr_latex,
    permutation_lemma_to_latex,
)
from symcert.printing.latex.gradient import gradient_proof_to_latex
from symcert.printing.latex.graph import graph_proof_to_latex
from symcert.printing.latex.graph_barrier import graph_barrier_to_latex
from symcert.printing.latex.invariance import (
    claim_to_latex,
    group_repr_latex,
    proof_repr_latex,
    proof_to_latex,
)
from symcert.printing.latex.model import loss_latex, network_latex
from symcert.proofs.barrier import BarrierResult
from symcert.proofs.certificates import Certificate
from symcert.proofs.convexity import ConvexityProof
from symcert.proofs.gradient import GradientProof
from symcert.proofs.graph_barrier import GraphBarrierResult
from symcert.proofs.graph_invariance import GraphProof
from symcert.proofs.invariance import Proof
from symcert.symbolic.elements import GroupElement
from symcert.symbolic.generic import PermutationLemma
from symcert.symbolic.group import SymmetryGroup
from symcert.symbolic.losses import Loss
from symcert.symbolic.network import MLP
from symcert.symbolic.point import Point


@latex.register
def _(obj: sympy.Basic, **options: Any) -> str:
    return sympy.latex(obj, **options)


@latex.register
def _(obj: Proof, **options: Any) -> str:
    return proof_to_latex(obj, **options)


@latex.register
def _(obj: GraphProof, **options: Any) -> str:
    return graph_proof_to_latex(obj, **options)


@latex.register
def _(obj: Certificate, digits: int = 12, **options: Any) -> str:
    return certificate_to_latex(obj, digits, **options)


@latex.register
def _(obj: BarrierResult, digits: int = 12, **options: Any) -> str:
    return certificate_to_latex(obj.certificate(), digits, **options)


@latex.register
def _(obj: GraphBarrierResult, digits: int = 12, **options: Any) -> str:
    return graph_barrier_to_latex(obj, digits, **options)


@latex.register
def _(obj: ConvexityProof, **options: Any) -> str:
    return convexity_to_latex(obj, **options)


@latex.register
def _(obj: GradientProof, **options: Any) -> str:
    return gradient_proof_to_latex(obj, **options)


@latex.register
def _(obj: SymmetryGroup, **options: Any) -> str:
    return group_repr_latex(obj, **options)


@latex.register
def _(obj: GroupElement, **options: Any) -> str:
    return "$%s$" % element_latex(obj, **options)


@latex.register
def _(obj: PermutationLemma, **options: Any) -> str:
    return permutation_lemma_to_latex(obj, **options)


@latex.register
def _(obj: MLP, **options: Any) -> str:
    return network_latex(obj, **options)


@latex.register
def _(obj: Loss, **options: Any) -> str:
    return loss_latex(obj, **options)


@latex.register
def _(obj: Point, **options: Any) -> str:
    return point_latex(obj, **options)


# the one-line displays of Jupyter's _repr_latex_ (a type without one shows only its Markdown)
repr_latex.register(Proof, proof_repr_latex)
repr_latex.register(Certificate, certificate_repr_latex)
repr_latex.register(ConvexityProof, convexity_repr_latex)
repr_latex.register(PermutationLemma, permutation_lemma_repr_latex)
repr_latex.register(SymmetryGroup, group_repr_latex)

claim_latex.register(Proof, claim_to_latex)
claim_latex.register(Certificate, certificate_claim_latex)

__all__ = ["latex"]
