"""Plain-text accounts of the smaller results: gradient identities, convexity, barriers, groups.

>>> from symcert import MLP
>>> print(group_to_text(MLP((1, 2, 1), "tanh").symmetry_group()).splitlines()[3])
  order of the discrete group: 8
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from symcert.numeric.rounding import outward_interval
from symcert.proofs.generation import flip_reason, generation_argument

if TYPE_CHECKING:
    from symcert.proofs.barrier import BarrierResult
    from symcert.proofs.convexity import ConvexityProof
    from symcert.proofs.gradient import GradientProof
    from symcert.symbolic.generic import PermutationLemma
    from symcert.symbolic.group import SymmetryGroup

__all__ = [
    "barrier_to_text",
    "convexity_to_text",
    "gradient_proof_to_text",
    "group_to_text",
    "permutation_lemma_to_text",
]


def gradient_proof_to_text(proof: GradientProof) -> str:
    """The claim, each step, the verdict of each unit, the verdict."""
    lines = [f"Claim: {proof.claim}"]
    for number, step in enumerate(proof.steps, start=1):
        lines.append(f"  {number}. {step.name}: {step.text}")
    for part in proof.parts:
        lines.append(f"  - unit {part.unit}: {part.status.upper()}")
    lines.append(f"Verdict: {proof.status.upper()}")
    return "\n".join(lines)


def convexity_to_text(proof: ConvexityProof) -> str:
    """The Gram-matrix argument step by step, or the reason it does not apply."""
    lines = [f"Claim: the {proof.loss.describe()} is convex."]
    for number, step in enumerate(proof.steps, start=1):
        lines.append(f"  {number}. {step.name}: {step.text}")
    if not proof.proved:
        lines.append(f"  Not proved: {proof.reason}")
    lines.append(f"Verdict: {proof.status.upper()}")
    return "\n".join(lines)


def barrier_to_text(result: BarrierResult, exact: bool = False) -> str:
    """One line for the terminal: the certified enclosure of the barrier and where it is attained.

    Short decimals rounded outward (the printed intervals contain the exact ones); ``exact=True``
    prints the exact endpoints.
    """
    if result.exact:
        return "barrier = 0 exactly (B = A: the path is constant)"
    if exact:
        barrier, where = f"[{result.lo}, {result.hi}]", f"[{result.maximiser[0]}, {result.maximiser[1]}]"
    else:
        barrier, where = outward_interval(result.lo, result.hi), outward_interval(*result.maximiser, digits=4)
    return (
        f"barrier ({result.form}) in {barrier} ({result.status}), maximiser in {where}, "
        f"{result.n_pieces} pieces, {result.seconds:.2f} s"
    )


def group_to_text(group: SymmetryGroup, argument: bool = True) -> str:
    """The group layer by layer (order, sign flips and why), its generators, the elements acting
    across layers and the continuous families; then, with ``argument``, why these generate it."""
    lines = [f"Symmetry group of the {group.mlp.describe()}"]
    if not group.layers:
        lines.append("  no hidden layer: the group is trivial (order 1)")
    for layer in group.layers:
        kind = "signed permutations" if layer.flips else "permutations"
        formula = f"{layer.width}! * 2^{layer.width}" if layer.flips else f"{layer.width}!"
        lines.append(
            f"  hidden layer {layer.layer}: {layer.width} units, {kind}, order {formula} = {layer.order}"
        )
        flips = f"yes, {layer.sign_kind}" if layer.flips else "no"
        lines.append(f"    sign flips: {flips} ({flip_reason(layer, group.mlp.activation.name)})")
    lines.append(f"  order of the discrete group: {group.order}")
    lines.append(f"  generators: {', '.join(str(g) for g in group.generators) or 'none'}")
    for element in group.cross_layer:
        lines.append(f"  sign across layers: {element} (a product of the generators; the order is unchanged)")
    for family in group.continuous:
        lines.append(
            f"  continuous: {family.description} (dimension {family.dimension}, degree {family.degree})"
        )
    if not group.continuous:
        lines.append("  continuous families: none")
    if argument:
        lines.append("  " + generation_argument(group))
    return "\n".join(lines)


def permutation_lemma_to_text(lemma: PermutationLemma) -> str:
    """The statement and the derivation steps."""
    lines = [f"Lemma: {lemma.statement}"]
    lines += [f"  {number}. {text}: {expr}" for number, (text, expr) in enumerate(lemma.steps, start=1)]
    return "\n".join(lines)
