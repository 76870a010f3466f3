"""Handout ``rescaling``: ReLU's continuous symmetry and its valleys of equal loss."""

from __future__ import annotations

from symcert.handouts.base import Exercise, Handout, numbers_table
from symcert.proofs.figures import segment_figure, slice_figure
from symcert.proofs.invariance import prove_invariance
from symcert.proofs.nonconvexity import certify_nonconvexity
from symcert.symbolic.data import Dataset
from symcert.symbolic.group import rescale
from symcert.symbolic.losses import Loss
from symcert.symbolic.network import MLP

TITLE = "Rescaling ReLU units: valleys of equal loss"


def build() -> Handout:
    """Build the handout (certificates included)."""
    mlp = MLP((1, 1, 1), "relu", bias=False)
    A = mlp.point(W1=[[1]], W2=[[2]])
    loss = Loss(mlp, Dataset.teacher(mlp, A, [[1], [2], [3]]), "mse")
    g = rescale(1, 0, 2)
    B = g(A)
    invariance = prove_invariance(loss, g)
    chord = certify_nonconvexity(loss, A, element=g, kind="chord")
    body = "\n\n".join(
        [
            r"\section{Definitions}",
            r"\begin{definition}An activation is \emph{positively homogeneous} if $s(\alpha u) = \alpha "
            r"s(u)$ "
            r"for every $\alpha > 0$ (ReLU, leaky ReLU, the identity). Rescaling unit $j$ by $\alpha$ "
            r"multiplies "
            r"its incoming weights and bias by $\alpha$ and its outgoing weights by "
            r"$1/\alpha$.\end{definition}",
            r"\section{Rescaling is a symmetry}",
            r"Unit $j$ contributes $\frac{v_j}{\alpha}\operatorname{relu}(\alpha(w_j \cdot x + b_j)) = "
            r"v_j \operatorname{relu}(w_j \cdot x + b_j)$. For every $\alpha > 0$ this is a symmetry, so "
            r"each "
            r"minimum lies on a curve $\alpha \mapsto (\alpha w, v / \alpha)$ of minima: a valley of equal "
            r"loss "
            r"(Kunin et al., 2021). The prover checks one member, $\alpha = 2$, on the smallest network:",
            invariance.to_latex(),
            r"\section{The valley is curved, so the loss is not convex}",
            r"The valley $\{(a, c) : a c = 2,\ a > 0\}$ is a hyperbola; the chord between two of its points "
            r"leaves it (Figure~\ref{fig:rescale:slice}), and there the loss is positive.",
            chord.to_latex(10, invariance=invariance, label="thm:rescale:chord"),
            r"\paragraph{Certified numbers.}",
            numbers_table((chord,)),
            slice_figure(
                loss,
                [0, 0],
                [1, 0],
                [0, 1],
                u_range=(-1.0, 3.0),
                v_range=(-1.0, 4.0),
                grid=41,
                marks=((1.0, 2.0, "$A$"), (2.0, 1.0, "$B$"), (1.5, 1.5, "$M$")),
                xlabel=r"$a = W^{(1)}_{11}$",
                ylabel=r"$c = W^{(2)}_{11}$",
                caption=r"The whole parameter space of $f(x) = c \operatorname{relu}(a x)$: the loss "
                r"vanishes on the hyperbola $a c = 2$ ($a > 0$); $A$ and $B = \mathrm{rescale}(2)A$ "
                r"lie on it, their midpoint $M$ does not. For $a < 0$ the unit is dead on the data "
                r"and the loss is constant.",
                label="fig:rescale:slice",
            ),
            segment_figure(loss, A, B, label="fig:rescale:segment"),
            r"Figure~\ref{fig:rescale:segment} shows the loss along the chord from $A$ to $B$.",
        ]
    )
    exercises = (
        Exercise(
            r"Show that for ReLU the gradient at any $\theta$ satisfies $w_j \cdot \partial_{w_j} L + b_j "
            r"\partial_{b_j} L = v_j \cdot \partial_{v_j} L$.",
            r"Differentiate $L(\text{rescale}_\alpha \theta) = L(\theta)$ with respect to $\alpha$ at "
            r"$\alpha = 1$: the incoming parameters scale like $\alpha$, the outgoing ones like $1/\alpha$.",
        ),
        Exercise(
            r"Is rescaling a symmetry of a $\tanh$ network?",
            r"No: $\tanh(2u) \ne 2\tanh(u)$. The prover refutes $\mathrm{rescale}(3/2)$ with an exact "
            r"point where the outputs differ rigorously.",
        ),
        Exercise(
            r"The set of global minima here is $\{a c = 2, a > 0\}$. Why can't the minimisers of a convex "
            r"function look like this?",
            r"The minimisers of a convex function form a convex set; the hyperbola is not convex: the "
            r"midpoint "
            r"$(3/2, 3/2)$ of $(1, 2)$ and $(2, 1)$ has $a c = 9/4 \ne 2$.",
        ),
    )
    motivation = (
        r"ReLU networks have a continuous symmetry besides the discrete ones: scaling a unit's input by "
        r"$\alpha > 0$ and its output by $1/\alpha$ changes nothing. Minima therefore come in curves, and "
        r"these curves are not straight lines: the loss cannot be convex."
    )
    return Handout("rescaling", TITLE, motivation, body, exercises, (chord,))
