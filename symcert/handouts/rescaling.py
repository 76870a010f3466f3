"""Handout ``rescaling``: ReLU's continuous symmetry, its valleys of equal loss, and the gradient
identity and conserved quantity it forces (Kunin et al. 2021)."""

from __future__ import annotations

from symcert.handouts.base import Exercise, Handout, numbers_table
from symcert.printing.figures.loss import segment_figure, slice_figure
from symcert.printing.latex.model import loss_latex, network_latex
from symcert.proofs.gradient import prove_gradient_identity
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
    identity = prove_gradient_identity(loss, g)
    square = MLP((1, 1, 1), "square")
    square_loss = Loss(
        square,
        Dataset.teacher(square, square.point(W1=[[1]], b1=[1], W2=[[1]], b2=[0]), [[-1], [0], [1]]),
        "mse",
    )
    square_identity = prove_gradient_identity(square_loss, rescale(1, 0, 2, degree=2))
    _check((invariance, identity, square_identity))
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
            network_latex(mlp),
            loss_latex(loss),
            invariance.to_latex(),
            r"\section{The valley is curved, so the loss is not convex}",
            r"The valley $\{(a, c) : a c = 2,\ a > 0\}$ is a hyperbola; the chord between two of its points "
            r"leaves it (Figure~\ref{fig:rescale:slice}), and there the loss is positive.",
            chord.to_latex(10, invariance=invariance, context=False, label="thm:rescale:chord"),
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
                r"vanishes on the hyperbola $a c = 2$ ($a > 0$); the global minima $A = (1, 2)$ and "
                r"$B = \mathrm{rescale}^{(1)}_{1}(2)A = (2, 1)$ "
                r"lie on it, their midpoint $M$ does not. For $a < 0$ the unit is dead on the data "
                r"and the loss is constant.",
                label="fig:rescale:slice",
            ),
            segment_figure(loss, A, B, label="fig:rescale:segment"),
            r"Figure~\ref{fig:rescale:segment} shows the loss along the chord from $A$ to $B$.",
            r"\section{A symmetry forces a gradient identity}",
            r"Differentiate $L(\alpha a, c/\alpha) = L(a, c)$ with respect to $\alpha$ at $\alpha = 1$: "
            r"$a\,\partial_a L - c\,\partial_c L = 0$ at every point (Kunin et al., 2021). "
            r"The prover does not "
            r"take this derivative: it computes the left-hand side exactly from the loss written with an "
            r"abstract activation $\sigma$ and removes every $\sigma'$ with Euler's relation "
            r"$u\,\sigma'(u) = \sigma(u)$, which holds for ReLU on each side of $0$ and at $0$ for any "
            r"value of $\operatorname{relu}'(0)$.",
            identity.to_latex(),
            r"Under gradient flow $\dot\theta = -\nabla L$ this makes $Q = a^2 - c^2$ constant: "
            r"$\dot Q = 2(a\dot a - c\dot c) = -2(a\,\partial_a L - c\,\partial_c L) = 0$. Training "
            r"started at $A = (1, 2)$ stays on the hyperbola $a^2 - c^2 = -3$ and can only reach the minimum "
            r"where it meets $ac = 2$: the symmetry decides which minimum gradient flow finds.",
            r"For an activation homogeneous of degree $k$, $s(\alpha u) = \alpha^k s(u)$ (the "
            r"square: $k = 2$), "
            r"the outgoing weights scale by $\alpha^{-k}$, Euler's relation reads $u\,s'(u) = k\,s(u)$, and "
            r"the identity and the conserved quantity carry the factor $k$. For a square unit with a bias:",
            square_identity.to_latex(),
        ]
    )
    exercises = (
        Exercise(
            r"Let $s$ be positively homogeneous of degree $k$ and let unit $j$ have incoming "
            r"weights and bias "
            r"$w$ and outgoing weights $v$. Show that $\|w\|^2 - k\|v\|^2$ is conserved under gradient flow. "
            r"What goes wrong with weight decay $\lambda\|W\|^2$?",
            r"Along $g_\alpha$ (incoming times $\alpha$, outgoing times $\alpha^{-k}$) the loss is constant; "
            r"the derivative at $\alpha = 1$ is $w \cdot \nabla_w L - k\, v \cdot \nabla_v L = 0$. With "
            r"$\dot\theta = -\nabla L$, $\frac{d}{dt}(\|w\|^2 - k\|v\|^2) = 2(w\cdot\dot w - "
            r"k\, v\cdot\dot v) "
            r"= -2(w \cdot \nabla_w L - k\, v\cdot\nabla_v L) = 0$. Weight decay is not invariant under "
            r"$g_\alpha$: the identity gains $2\lambda(\|w_{\mathrm{weights}}\|^2 - "
            r"k\|v\|^2)$ and the prover "
            r"refutes it at an exact point.",
        ),
        Exercise(
            r"Is rescaling a symmetry of a $\tanh$ network?",
            r"No: $\tanh(2u) \ne 2\tanh(u)$. The prover refutes $\mathrm{rescale}^{(1)}_{1}(\tfrac{3}{2})$ "
            r"with an exact "
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


def _check(proofs) -> None:
    """The handout states only proved identities."""
    for proof in proofs:
        if proof.status != "proved":
            raise AssertionError(f"the rescaling handout needs a proved identity, got {proof.status}")
