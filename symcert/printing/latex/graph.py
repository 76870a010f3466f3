r"""LaTeX rendering of a layer graph's structural invariance proof: the composition as an enumerated list.

>>> from symcert.symbolic.graph import Activation, Dense, Graph, Node, Permute, derive_symmetries
>>> from symcert.proofs.graph_invariance import prove_graph_invariance
>>> g = Graph((1,), [Node("fc1", Dense(2)), Node("t", Activation("tanh")), Node("fc2", Dense(1))])
>>> text = graph_proof_to_latex(prove_graph_invariance(derive_symmetries(g), Permute("P_fc1", (1, 0))))
>>> text.startswith(r"\begin{theorem}[Invariance under a channel permutation]") and r"\end{proof}" in text
True
>>> from symcert.symbolic.graph import Flip
>>> r = Graph((1,), [Node("fc1", Dense(2)), Node("r", Activation("relu")), Node("fc2", Dense(1))])
>>> refused = prove_graph_invariance(derive_symmetries(r), Flip("P_fc1", 0, (-1, 1)))
>>> graph_proof_to_latex(refused).split("\n")[0]
'\\begin{remark}[Not proved]'

"""

from __future__ import annotations

from typing import TYPE_CHECKING

from symcert.printing.latex.display import escape

if TYPE_CHECKING:
    from symcert.proofs.graph_invariance import GraphProof

__all__ = ["graph_proof_to_latex"]


_TITLES = {
    "permute": "a channel permutation",
    "flip": "per-channel sign flips",
    "rescale": "a per-channel rescaling",
    "translate": "the softmax translation",
}


def _breakable(text: str) -> str:
    """``text`` in typewriter type, breakable after its colons and commas (element strings are long)."""
    return r"\texttt{" + escape(text).replace(":", r":\allowbreak{}").replace(",", r",\allowbreak{}") + "}"


def _claim(proof: GraphProof) -> str:
    element = proof.element if " " in proof.element else _breakable(proof.element)
    return (
        rf"$f(x; g(\theta)) = f(x; \theta)$ for every input $x$ and every $\theta$, where $g$ is {element} "
        rf"and $f$ is the {escape(proof.graph.describe())}; hence the loss on any data is unchanged"
    )


def graph_proof_to_latex(proof: GraphProof) -> str:
    """A theorem (the claim) and its proof, one item per node the element touches; a remark if not proved."""
    items = []
    for step in proof.steps:
        if step.status == "unchanged":
            continue
        head = rf"\texttt{{{escape(step.node)}}} ({escape(step.layer)})"
        verb = (
            rf"commutes by \emph{{{escape(step.rule)}}}" if step.status == "commutes" else r"\textbf{blocks}"
        )
        item = rf"\item {head} {verb}: {escape(step.text)}."
        if step.ports:
            item += rf" Actions: {escape(step.ports)}."
        if step.changes:
            item += " Parameters: " + "; ".join(escape(c) for c in step.changes) + "."
        items.append(item)
    closing = [escape(proof.conclusion[0].upper() + proof.conclusion[1:]) + "."]
    if proof.spot is not None:
        closing.append(rf"Spot check at an exact random point: {escape(proof.spot.status)}.")
    induction = (
        r"By induction over the nodes in topological order: with the new parameters, each tensor is "
        r"$g$'s action applied to the old one."
    )
    claim = _claim(proof)
    if proof.status == "proved":
        kind = _TITLES.get(proof.element.split(":")[0], "the given actions")
        title = rf"\begin{{theorem}}[Invariance under {kind}]"
        opening = [title, claim + ".", r"\end{theorem}", r"\begin{proof}", induction]
        return "\n".join(
            [*opening, r"\begin{enumerate}", *items, r"\end{enumerate}", *closing, r"\end{proof}"]
        )
    opening = [r"\begin{remark}[Not proved]", "The claim: " + claim + "."]
    return "\n".join([*opening, r"\begin{enumerate}", *items, r"\end{enumerate}", *closing, r"\end{remark}"])
