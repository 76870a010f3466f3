"""Plain-text rendering of a layer graph's structural invariance proof: one line per node of the composition.

>>> from symcert.symbolic.graph import Activation, Dense, Graph, Node, Permute, derive_symmetries
>>> from symcert.proofs.graph_invariance import prove_graph_invariance
>>> g = Graph((1,), [Node("fc1", Dense(2)), Node("t", Activation("tanh")), Node("fc2", Dense(1))])
>>> proof = prove_graph_invariance(derive_symmetries(g), Permute("P_fc1", (1, 0)))
>>> print(graph_proof_to_text(proof).splitlines()[-1])
Verdict: PROVED
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from symcert.proofs.graph_invariance import GraphProof

__all__ = ["graph_proof_to_text"]

_MARK = {"commutes": "commutes", "blocks": "BLOCKS", "unchanged": "unchanged"}


def graph_proof_to_text(proof: GraphProof, indent: str = "", brief: bool = False) -> str:
    """The claim, each node's rule (input and output actions, lemma, parameter change), and the verdict.

    ``brief=True`` prints only the verdict line with the blocking node, for one line per generator.
    """
    verdict = "PROVED" if proof.status == "proved" else "NOT PROVED"
    if brief:
        why = f" (blocked at {proof.blocking[0].node}: {proof.blocking[0].text})" if proof.blocking else ""
        spot = f"; spot check: {proof.spot.status}" if proof.spot is not None else ""
        return f"{indent}{proof.element}: {verdict}{why}{spot}"
    lines = [f"{indent}Claim: {proof.claim}"]
    number = 0
    for step in proof.steps:
        if step.status == "unchanged":
            continue
        number += 1
        head = f"{indent}  {number}. {step.node} ({step.layer}) {_MARK[step.status]}"
        lines.append(head + (f" by {step.rule}" if step.rule else ""))
        if step.ports:
            lines.append(f"{indent}       g: {step.ports}")
        lines.append(f"{indent}       {'why' if step.status == 'commutes' else 'blocked'}: {step.text}")
        for change in step.changes:
            lines.append(f"{indent}       parameters: {change}")
    untouched = sum(s.status == "unchanged" for s in proof.steps)
    if untouched:
        lines.append(f"{indent}  ({untouched} other nodes see unchanged inputs and parameters)")
    lines.append(f"{indent}Conclusion: {proof.conclusion}")
    if proof.implementation:
        lines.append(f"{indent}Implementation: {proof.implementation}")
    if proof.spot is not None:
        lines.append(f"{indent}Spot check at an exact random point: {proof.spot.status}")
    lines.append(f"{indent}Verdict: {verdict}")
    return "\n".join(lines)
