"""Handout ``convexity-baseline``: linear and logistic regression are convex (the Gram-matrix proof)."""

from __future__ import annotations

from symcert.handouts.base import Exercise, Handout
from symcert.printing.figures.loss import segment_figure
from symcert.proofs.convexity import prove_convexity
from symcert.symbolic.data import Dataset
from symcert.symbolic.losses import Loss
from symcert.symbolic.network import MLP

TITLE = "The convex baseline: linear and logistic regression"


def build() -> Handout:
    """Build the handout (its convexity proofs included)."""
    linear = Loss(MLP((1, 1)), Dataset([[0], [1], [2]], [[1], [2], [2]]), "mse")
    logistic = Loss(
        MLP((1, 1), output_activation="sigmoid"), Dataset([[-1], [1], [2]], [[0], [1], [1]]), "bce"
    )
    proofs = (prove_convexity(linear), prove_convexity(logistic))
    if not all(p.proved for p in proofs):  # pragma: no cover - a regression in prove_convexity
        raise AssertionError("the baseline handout needs both convexity proofs")
    A = linear.mlp.point(W1=[[2]], b1=[-1])
    B = linear.mlp.point(W1=[[-1]], b1=[3])
    body = "\n\n".join(
        [
            r"\section{Definitions}",
            r"\begin{definition}A twice differentiable $L \colon \mathbb{R}^p \to \mathbb{R}$ is convex if "
            r"and "
            r"only if its Hessian $\nabla^2 L(\theta)$ is positive semidefinite at every $\theta$: "
            r"$v^{\top} \nabla^2 L(\theta)\, v \ge 0$ for all $v$.\end{definition}",
            r"\begin{definition}A \emph{Gram matrix} is a sum $\sum_i c_i J_i J_i^{\top}$ with $c_i \ge 0$; "
            r"it is positive semidefinite since $v^{\top}(\sum_i c_i J_i J_i^{\top})v = \sum_i c_i (J_i "
            r"\cdot v)^2$."
            r"\end{definition}",
            r"\section{Linear regression}",
            proofs[0].to_latex(label="thm:base:linear"),
            r"\section{Logistic regression}",
            proofs[1].to_latex(label="thm:base:logistic"),
            r"\section{What changes with a hidden layer}",
            r"With a hidden layer, the output is no longer linear in $\theta$ and the Hessian has a second "
            r"part, \[ \sum_i r_i \nabla^2 f(x_i;\theta) \quad\text{with the residuals } "
            r"r_i = f(x_i;\theta) - y_i, \] that can be indefinite; symcert then "
            r"refuses to claim convexity and looks for a certificate of non-convexity instead (see the "
            r"handouts on permuting hidden units and on sign flips). Figure~\ref{fig:base:segment} shows a "
            r"convex loss along a segment: the chord stays above the curve.",
            segment_figure(
                linear,
                A,
                B,
                label="fig:base:segment",
                caption=r"Linear regression: the loss $\varphi(t) = L(A + t(B - A))$ along the line through "
                r"the parameter points $A = (2, -1)$ ($t = 0$) and $B = (-1, 3)$ ($t = 1$), with their "
                r"midpoint $M$ ($t = \tfrac12$) marked: a parabola below its chord (dashed), as "
                r"Theorem~\ref{thm:base:linear} guarantees.",
            ),
        ]
    )
    exercises = (
        Exercise(
            r"Compute the Hessian of $L(w, b) = \frac1N \sum_i (w x_i + b - y_i)^2$.",
            r"$\nabla^2 L = \frac2N \sum_i \begin{pmatrix} x_i^2 & x_i \\ x_i & 1 \end{pmatrix} = "
            r"\frac2N \sum_i J_i J_i^{\top}$ with $J_i = (x_i, 1)^{\top}$: a Gram matrix.",
        ),
        Exercise(
            r"Show that $u \mapsto \log(1 + e^{u})$ is convex.",
            r"Its second derivative is $\frac{e^u}{(1 + e^u)^2} > 0$, the derivative of the sigmoid.",
        ),
        Exercise(
            r"Does weight decay $\lambda \sum w^2$ with $\lambda \ge 0$ preserve convexity?",
            r"Yes: it adds $2\lambda D$ with $D$ diagonal with entries $0$ or $1$, positive semidefinite, "
            r"and a sum of positive semidefinite matrices is positive semidefinite.",
        ),
    )
    motivation = (
        r"Before proving that network losses are not convex, we check the tool on the cases where the loss "
        r"\emph{is} convex: linear regression with the squared loss and logistic regression with the "
        r"cross-entropy. The proof writes the Hessian, computed exactly, as a nonnegative Gram matrix."
    )
    return Handout("convexity-baseline", TITLE, motivation, body, exercises, (), proofs)
