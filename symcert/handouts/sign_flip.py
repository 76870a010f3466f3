"""Handout ``sign-flip``: odd activations add sign flips, the order becomes n! 2^n."""

from __future__ import annotations

from symcert.handouts.base import Exercise, Handout, numbers_table
from symcert.printing.figures.loss import plane_figure, segment_figure
from symcert.printing.latex.invariance import group_repr_latex
from symcert.printing.latex.model import loss_latex, network_latex
from symcert.proofs.invariance import prove_invariance
from symcert.proofs.nonconvexity import certify_nonconvexity
from symcert.symbolic.examples import default_example
from symcert.symbolic.group import flip
from symcert.symbolic.network import MLP

TITLE = "Sign flips: odd activations and the order $n!\\,2^n$"
#: The title in plain text (``symcert handout list``).
PLAIN_TITLE = "Sign flips: odd activations and the order n! 2^n"


def build() -> Handout:
    """Build the handout (certificates included)."""
    example = default_example()
    loss, A = example.loss, example.teacher
    g = flip(1, 0)
    B = g(A)
    invariance = prove_invariance(loss, g)
    chord = certify_nonconvexity(loss, A, element=g, kind="chord")
    curvature = certify_nonconvexity(loss, A, element=g, kind="curvature")
    rows = []
    for n in (1, 2, 3, 4):
        group = MLP((1, n, 1), "tanh").symmetry_group()
        rows.append(r"$%d$ & $%d$ & %s \\" % (n, group.order, group_repr_latex(group)))
    body = "\n\n".join(
        [
            r"\section{Definitions}",
            r"\begin{definition}An activation $s$ is \emph{odd} if $s(-u) = -s(u)$ for all $u$ "
            r"($\tanh$, the identity, $u^3$). Flipping unit $j$ negates row $j$ of $W^{(l)}$, $b^{(l)}_j$ "
            r"and "
            r"column $j$ of $W^{(l+1)}$.\end{definition}",
            r"\section{Flipping a unit is a symmetry}",
            r"Unit $j$ contributes $v_j\, s(w_j \cdot x + b_j)$; after the flip it contributes "
            r"$(-v_j)\, s(-w_j \cdot x - b_j) = v_j\, s(w_j \cdot x + b_j)$ because $s$ is odd. The prover "
            r"checks this on the concrete loss, for the flip $g = \mathrm{flip}^{(1)}_{1}$ of unit $1$ of "
            r"layer $1$ (written \texttt{flip:1:0} on the command line, which numbers units from $0$), "
            r"on this network and loss:",
            network_latex(loss.mlp),
            loss_latex(loss),
            invariance.to_latex(),
            r"With the permutations, the flips generate the signed permutations of each layer: "
            r"$n!$ orders times $2^n$ sign patterns (Chen, Lu \& Hecht-Nielsen, 1993).",
            r"\begin{center}\begin{tabular}{ccl}\toprule $n$ & $|G|$ & group \\ \midrule "
            + "\n".join(rows)
            + r"\bottomrule\end{tabular}\end{center}",
            r"\section{The flip midpoint switches a unit off}",
            r"For $B = gA$ with $g$ the flip of unit $1$, the midpoint $M = \frac12(A + B)$ has "
            r"$W^{(1)}_{1\cdot} = 0$, $b^{(1)}_1 = 0$ and $W^{(2)}_{\cdot 1} = 0$: unit $1$ is switched off "
            r"and the network can no longer fit the teacher (Figure~\ref{fig:flip:segment}).",
            chord.to_latex(10, invariance=invariance, context=False, label="thm:flip:chord"),
            r"The midpoint is even a local maximum along the segment (Figure~\ref{fig:flip:plane}):",
            curvature.to_latex(10, invariance=invariance, context=False, label="thm:flip:curvature"),
            r"\paragraph{Certified numbers.}",
            numbers_table((chord, curvature)),
            segment_figure(loss, A, B, label="fig:flip:segment"),
            plane_figure(loss, A, B, label="fig:flip:plane"),
        ]
    )
    exercises = (
        Exercise(
            r"What is the order of the symmetry group of a $2$-$3$-$1$ $\tanh$ network?",
            r"$3! \cdot 2^3 = 48$: each of the $6$ orders of the units can be combined with each of the $8$ "
            r"sign patterns.",
        ),
        Exercise(
            r"The logistic sigmoid is not odd, but $\sigma(-u) = 1 - \sigma(u)$. Which change of the next "
            r"layer makes a sign flip a symmetry?",
            r"$v_j \sigma(-z) = v_j - v_j \sigma(z)$, so after flipping, the outgoing weight $-v_j$ gives "
            r"$-v_j + v_j\sigma(z)$; adding $v_j$ to the next layer's bias restores the output. "
            r"Without a bias there is no such symmetry.",
        ),
        Exercise(
            r"Is a sign flip a symmetry of a ReLU network?",
            r"No: $\operatorname{relu}(-u) \ne -\operatorname{relu}(u)$ for $u \ne 0$. The prover refutes it "
            r"with an exact point where the two losses differ rigorously.",
        ),
    )
    motivation = (
        r"For an odd activation such as $\tanh$, negating everything that enters and leaves a hidden unit "
        r"does not change the network. Together with permutations this gives $n!\,2^n$ equivalent copies of "
        r"every minimum. The midpoint between a point and its flipped copy switches the unit off, so it "
        r"fits the data worse: another proof that the loss is not convex."
    )
    references = (
        r"A. M. Chen, H. Lu and R. Hecht-Nielsen, ``On the geometry of feedforward neural network error "
        r"surfaces'', \emph{Neural Computation} 5(6), 1993.",
    )
    return Handout("sign-flip", TITLE, motivation, body, exercises, (chord, curvature), references=references)
