"""Handout ``seed-argument``: the two arguments of a Data Science Stack Exchange answer, made exact.

1. Averaging a point over the whole permutation group of a layer makes all its
   units equal, so the network collapses to width one; convexity would make that
   narrow network at least as good (``kind="orbit"``).
2. Two distinct critical points with a non-critical point between them
   (``kind="critical_pair"``).
"""

from __future__ import annotations

from symcert.handouts.base import Exercise, Handout, numbers_table
from symcert.printing.figures.loss import segment_figure
from symcert.proofs.invariance import prove_invariance
from symcert.proofs.nonconvexity import certify_nonconvexity
from symcert.symbolic.examples import default_example

TITLE = "Two arguments from a forum answer: collapsing orbits and separated critical points"

#: The sources, cited by title (the URLs are the question's and the answer's addresses).
QUESTION = (
    r"``Explanation of why Neural Networks are non convex'', question 87961 on Data Science Stack "
    r"Exchange, \url{https://datascience.stackexchange.com/questions/87961/"
    r"explanation-of-why-neural-networks-are-non-convex}"
)
ANSWER = (
    r"The (only) answer to that question, answer 88011, "
    r"\url{https://datascience.stackexchange.com/questions/87961/"
    r"explanation-of-why-neural-networks-are-non-convex/88011}. It quotes the Cross Validated thread "
    r"``Cost function of neural network is non-convex?'' and the blog post ``NonConvexity of neural "
    r"networks''."
)


def build() -> Handout:
    """Build the handout (certificates included)."""
    example = default_example()
    loss, A, g = example.loss, example.teacher, example.element
    invariance = prove_invariance(loss, g)
    orbit = certify_nonconvexity(loss, A, element=g, kind="orbit")
    critical = certify_nonconvexity(loss, A, element=g, kind="critical_pair")
    body = "\n\n".join(
        [
            r"\section{Definitions}",
            r"\begin{definition}The \emph{orbit average} of $A$ over a finite group $G$ of symmetries is "
            r"$\bar A = \frac{1}{|G|}\sum_{g \in G} gA$. A \emph{critical point} of a differentiable $L$ is "
            r"a "
            r"point with $\nabla L = 0$.\end{definition}",
            r"\begin{lemma}\label{lem:seed:critical}The critical points of a differentiable convex function "
            r"are "
            r"exactly its global minimisers, and they form a convex set.\end{lemma}",
            r"\begin{proof}If $\nabla L(a) = 0$, convexity gives $L(y) \ge L(a) + \nabla L(a) \cdot (y - a) "
            r"= L(a)$ "
            r"for every $y$. The set of minimisers $\{L \le \min L\}$ is a sublevel set of a convex "
            r"function, "
            r"hence convex; at an interior minimum of a differentiable function the gradient "
            r"vanishes.\end{proof}",
            r"\section{First argument: the orbit average collapses the layer}",
            r"Averaging over all permutations of a layer gives every unit the same incoming weights, bias "
            r"and "
            r"outgoing weights; the layer then behaves like a single unit. If $L$ were convex, Jensen's "
            r"inequality and invariance would make this width-1 network at least as good as any $A$: "
            r"wide networks would be useless. Theorem~\ref{thm:seed:orbit} refutes it.",
            orbit.to_latex(10, invariance=invariance, label="thm:seed:orbit"),
            r"\section{Second argument: two critical points, and none between}",
            r"The answer's second argument: if $x \ne y$ are critical points and some $z$ on the segment "
            r"between them is not critical, $L$ is not convex (Lemma~\ref{lem:seed:critical}). "
            r"The teacher and its swapped "
            r"copy "
            r"are exact critical points; a directional derivative at $z$ is rigorously nonzero.",
            critical.to_latex(10, invariance=invariance, context=False, label="thm:seed:critical"),
            r"\paragraph{Certified numbers.}",
            numbers_table((orbit, critical)),
            r"Figure~\ref{fig:seed:segment} shows the segment between the two critical points.",
            segment_figure(
                loss,
                A,
                g(A),
                label="fig:seed:segment",
                caption=r"The loss between the two critical points $A$ ($t = 0$) and $B = gA$ ($t = 1$): the "
                r"slope is nonzero at $t_0 = \frac14$, so $z = A + t_0(B - A)$ is not critical.",
            ),
        ]
    )
    exercises = (
        Exercise(
            r"For a layer of $n$ units, what is the orbit average of its outgoing weights $v_1, \dots, v_n$?",
            r"Each unit receives the mean $\bar v = \frac1n \sum_j v_j$. The collapsed width-1 network has "
            r"outgoing weight $n \bar v = \sum_j v_j$.",
        ),
        Exercise(
            r"Why do $L(A) = 0$ and $L \ge 0$ give $\nabla L(A) = 0$ for the squared loss?",
            r"$A$ is a global minimum of the differentiable function $L$, so the gradient vanishes there. "
            r"Directly: each residual $f(x_i; A) - y_i$ is $0$, and $\nabla L = \frac{2}{N}\sum_i "
            r"(f(x_i;\theta) - y_i)\nabla f(x_i;\theta)$.",
        ),
        Exercise(
            r"Why is it enough to show $\varphi'(t_0) \ne 0$ instead of $\nabla L(z) \ne 0$?",
            r"$\varphi'(t_0) = \nabla L(z) \cdot (B - A)$; if the gradient were $0$ this product would be "
            r"$0$.",
        ),
    )
    motivation = (
        r"The question ``Explanation of why Neural Networks are non convex'' on Data Science Stack "
        r"Exchange [1] has an answer [2] that gives two arguments: swapping units gives many minima, "
        r"and ``if a function has two local minima whose connecting segment contains a point that is not "
        r"a minimum, it is not convex''. Here both become theorems with exact points and certified "
        r"enclosures, on the network with widths $1 \to 2 \to 1$ and activation $\tanh$ used throughout."
    )
    return Handout(
        "seed-argument",
        TITLE,
        motivation,
        body,
        exercises,
        (orbit, critical),
        references=(
            QUESTION + ".",
            ANSWER,
        ),
    )
