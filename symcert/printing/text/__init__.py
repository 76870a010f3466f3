"""The plain-text printer: its renderers register into :func:`symcert.display.text` (for the terminal).

>>> from symcert import MLP, swap, prove_invariance, text
>>> print(text(prove_invariance(MLP((1, 2, 1), "tanh"), swap(1, 0, 1))).splitlines()[-1])
Verdict: PROVED
"""

from __future__ import annotations

from typing import Any

import sympy

from symcert.display import text
from symcert.printing.text.certificate import certificate_to_text
from symcert.printing.text.graph import graph_proof_to_text
from symcert.printing.text.graph_barrier import graph_barrier_to_text
from symcert.printing.text.graph_certificate import graph_certificate_to_text
from symcert.printing.text.graph_critical_pair import graph_critical_pair_to_text
from symcert.printing.text.graph_orbit import graph_orbit_to_text
from symcert.printing.text.invariance import proof_to_text
from symcert.printing.text.results import (
    barrier_to_text,
    convexity_to_text,
    gradient_proof_to_text,
    group_to_text,
    permutation_lemma_to_text,
)
from symcert.proofs.barrier import BarrierResult
from symcert.proofs.certificates import Certificate
from symcert.proofs.convexity import ConvexityProof
from symcert.proofs.gradient import GradientProof
from symcert.proofs.graph_barrier import GraphBarrierResult
from symcert.proofs.graph_chord import GraphCertificate
from symcert.proofs.graph_critical_pair import GraphCriticalPairCertificate
from symcert.proofs.graph_invariance import GraphProof
from symcert.proofs.graph_orbit import GraphOrbitCertificate
from symcert.proofs.invariance import Proof
from symcert.symbolic.generic import PermutationLemma
from symcert.symbolic.group import SymmetryGroup


@text.register
def _(obj: sympy.Basic, **options: Any) -> str:
    return sympy.sstr(obj, **options)


@text.register
def _(obj: Proof, **options: Any) -> str:
    return proof_to_text(obj, **options)


@text.register
def _(obj: GraphProof, **options: Any) -> str:
    return graph_proof_to_text(obj, **options)


@text.register
def _(obj: Certificate, **options: Any) -> str:
    return certificate_to_text(obj, **options)


@text.register
def _(obj: GraphCertificate, **options: Any) -> str:
    return graph_certificate_to_text(obj, **options)


@text.register
def _(obj: GraphCriticalPairCertificate, **options: Any) -> str:
    return graph_critical_pair_to_text(obj, **options)


@text.register
def _(obj: GraphOrbitCertificate, **options: Any) -> str:
    return graph_orbit_to_text(obj, **options)


@text.register
def _(obj: GraphBarrierResult, **options: Any) -> str:
    return graph_barrier_to_text(obj, **options)


@text.register
def _(obj: BarrierResult, **options: Any) -> str:
    return barrier_to_text(obj, **options)


@text.register
def _(obj: ConvexityProof, **options: Any) -> str:
    return convexity_to_text(obj, **options)


@text.register
def _(obj: GradientProof, **options: Any) -> str:
    return gradient_proof_to_text(obj, **options)


@text.register
def _(obj: SymmetryGroup, **options: Any) -> str:
    return group_to_text(obj, **options)


@text.register
def _(obj: PermutationLemma, **options: Any) -> str:
    return permutation_lemma_to_text(obj, **options)


__all__ = ["text"]
