r"""The LaTeX printer: :func:`latex` dispatches on the type of what it prints.

As in ``sympy.printing``, the objects hold no LaTeX; each type has one renderer here
(registered with :func:`functools.singledispatch`) and the objects' ``to_latex()`` and
``_repr_latex_()`` only delegate.

>>> from symcert import MLP, swap, prove_invariance, latex
>>> fragment = latex(prove_invariance(MLP((1, 2, 1), "tanh"), swap(1, 0, 1)))
>>> fragment.startswith(r"\begin{theorem}")
True
>>> latex(MLP((1, 2, 1), "tanh").symmetry_group())
'$\\displaystyle G = (S_{2} \\ltimes \\{\\pm 1\\}^{2}),\\quad |G| = 8$'
"""

from __future__ import annotations

from functools import singledispatch
from typing import Any

import sympy

from symcert.errors import SpecificationError
from symcert.printing.latex.certificate import certificate_to_latex
from symcert.printing.latex.convexity import convexity_to_latex
from symcert.printing.latex.display import point_latex
from symcert.printing.latex.elements import element_latex, permutation_lemma_to_latex
from symcert.printing.latex.gradient import gradient_proof_to_latex
from symcert.printing.latex.invariance import group_repr_latex, proof_to_latex
from symcert.printing.latex.model import loss_latex, network_latex
from symcert.proofs.barrier import BarrierResult
from symcert.proofs.certificates import Certificate
from symcert.proofs.convexity import ConvexityProof
from symcert.proofs.gradient import GradientProof
from symcert.proofs.invariance import Proof
from symcert.symbolic.elements import GroupElement
from symcert.symbolic.generic import PermutationLemma
from symcert.symbolic.group import SymmetryGroup
from symcert.symbolic.losses import Loss
from symcert.symbolic.network import MLP
from symcert.symbolic.point import Point


@singledispatch
def latex(obj: Any, **options: Any) -> str:
    """A LaTeX fragment for ``obj`` (a proof, certificate, group, network, loss, point or SymPy object)."""
    raise SpecificationError(
        f"symcert.latex prints proofs, certificates, groups, networks, losses, points and SymPy "
        f"expressions, got a {type(obj).__name__}; pass one of those"
    )


@latex.register
def _(obj: sympy.Basic, **options: Any) -> str:
    return sympy.latex(obj, **options)


@latex.register
def _(obj: Proof, **options: Any) -> str:
    return proof_to_latex(obj, **options)


@latex.register
def _(obj: Certificate, digits: int = 12, **options: Any) -> str:
    return certificate_to_latex(obj, digits, **options)


@latex.register
def _(obj: BarrierResult, digits: int = 12, **options: Any) -> str:
    return certificate_to_latex(obj.certificate(), digits, **options)


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


__all__ = ["latex"]
