"""Handout ``permutation``: swapping hidden units is a symmetry, so permuted minima have a worse midpoint."""

from __future__ import annotations

import math

from symcert.handouts.base import Exercise, Handout, numbers_table
from symcert.printing.figures.loss import plane_figure, segment_figure
from symcert.printing.latex.display import point_latex
from symcert.printing.latex.elements import element_latex, permutation_lemma_to_latex
from symcert.printing.latex.model import loss_latex, network_latex
from symcert.proofs.invariance import prove_invariance
from symcert.proofs.nonconvexity import certify_nonconvexity
from symcert.symbolic.examples import Example, default_example
from symcert.symbolic.generic import permutation_lemma

TITLE = "Permuting hidden units: why a network's loss is not convex"


def build(example: Example | None = None, *, student: bool = False) -> Handout:
    """Build the handout (certificates included) on ``example`` (default: the built-in one).

    Student variants (:mod:`symcert.handouts.variants`) pass another teacher, data and swap, and
    ``student=True``: the body then states the network, the data, the symmetry and the two minima
    ``A`` and ``B = gA`` but not the midpoint, its loss, the certified numbers or the figures, which
    are the answers to the variant's exercises (the certificate is still built and checked).
    """
    example = default_example() if example is None else example
    loss, A, g = example.loss, example.teacher, example.element
    B = g(A)
    invariance = prove_invariance(loss, g)
    chord = certify_nonconvexity(loss, A, element=g, kind="chord")
    lemma = permutation_lemma()
    orders = " & ".join(f"${math.factorial(n)}$" for n in range(1, 7))
    sections = [
        r"\section{Definitions}",
        r"\begin{definition}A function $L \colon \mathbb{R}^p \to \mathbb{R}$ is \emph{convex} if "
        r"$L(tA + (1-t)B) \le t L(A) + (1-t) L(B)$ for all $A, B$ and $t \in [0, 1]$.\end{definition}",
        r"\begin{definition}A \emph{symmetry} of $L$ is a map $g$ of parameter space with "
        r"$L(g\theta) = L(\theta)$ for every $\theta$. Permuting the units of a hidden layer permutes "
        r"row $j$ of $W^{(l)}$, entry $j$ of $b^{(l)}$ and column $j$ of $W^{(l+1)}$ "
        r"together.\end{definition}",
        r"\section{Swapping units is a symmetry, for every width}",
        permutation_lemma_to_latex(lemma, lemma.check_instances(3)),
        r"The permutations of a layer of $n$ units form the group $S_n$ of order $n!$; "
        r"with several hidden layers the orders multiply (Chen, Lu \& Hecht-Nielsen, 1993):",
        r"\begin{center}\begin{tabular}{lcccccc}\toprule $n$ & 1 & 2 & 3 & 4 & 5 & 6 \\ \midrule "
        r"$|S_n| = n!$ & " + orders + r" \\ \bottomrule\end{tabular}\end{center}",
        r"\section{A concrete network}",
        r"The general lemma is checked on a concrete loss by the symbolic prover: "
        r"it substitutes, writes the loss with an abstract activation and compares canonical forms. "
        r"Units and layers are numbered from $1$; the swap $g = %s$ is written \texttt{%s} on the "
        r"command line, which numbers units from $0$." % (element_latex(g), str(g)),
        network_latex(loss.mlp),
        loss_latex(loss),
        invariance.to_latex(),
    ]
    if student:
        sections += [
            r"\section{Two permuted minima}",
            r"The teacher $A$ generated the data, so $L(A) = 0$, and its permuted copy $B = gA$ has "
            r"$L(B) = L(A) = 0$ because $g$ is a symmetry: two global minima. All coordinates are exact "
            r"rationals:",
            r"\[ A:\quad %s \]" % point_latex(A),
            r"\[ B = gA:\quad %s \]" % point_latex(B),
            r"The exercises below ask what happens between them, at the midpoint $M = \frac12(A + B)$.",
        ]
    else:
        sections += [
            r"\section{Two permuted minima and a worse midpoint}",
            r"The teacher $A$ generated the data, so $L(A) = 0$; by Theorem~\ref{thm:perm:chord} below its "
            r"permuted copy $B = gA$ is a second global minimum and the midpoint is strictly worse. "
            r"Figures~\ref{fig:perm:segment} and~\ref{fig:perm:plane} show the bump.",
            chord.to_latex(10, invariance=invariance, context=False, label="thm:perm:chord"),
            r"\paragraph{Certified numbers.}",
            numbers_table((chord,)),
            segment_figure(loss, A, B, label="fig:perm:segment"),
            plane_figure(loss, A, B, label="fig:perm:plane"),
        ]
    body = "\n\n".join(sections)
    exercises = (
        Exercise(
            r"What is the order of the permutation group of the hidden units of a network with widths "
            r"$(2, 3, 4, 1)$?",
            r"Each hidden layer contributes its own permutations and they commute: $3! \cdot 4! = 6 \cdot "
            r"24 = 144$.",
        ),
        Exercise(
            r"Show that the midpoint $M = \frac12(A + gA)$ of a point and its swapped copy has two identical "
            r"units. When is $M = A$?",
            r"Swapping units $1$ and $2$ exchanges their parameters, so in $M$ both units get the average "
            r"of the "
            r"two. $M = A$ exactly when the two units of $A$ were identical already: a reducible point "
            r"(Sussmann, 1992), fixed by the swap.",
        ),
        Exercise(
            r"Why does the single inequality $L(M) > \frac12(L(A) + L(B))$ disprove convexity?",
            r"Convexity must hold for every $t \in [0,1]$; at $t = \frac12$ it says "
            r"$L(M) \le \frac12(L(A) + L(B))$. One pair of points violating it is a counterexample.",
        ),
    )
    motivation = (
        r"Textbooks say that neural-network losses are non-convex because hidden units can be permuted "
        r"(Goodfellow, Bengio \& Courville, Section 8.2.2; Bishop, Section 5.1.1). This handout turns the "
        r"remark into a proof: the permutation is a symmetry (for any width), so every minimum comes with "
        r"$n!$ copies, and the midpoint of two copies is strictly worse, which convexity forbids. Every "
        r"number below was certified by interval arithmetic from exact rational inputs."
    )
    return Handout("permutation", TITLE, motivation, body, exercises, (chord,), references=REFERENCES)


#: What the handout relies on, by name.
REFERENCES = (
    r"I. Goodfellow, Y. Bengio and A. Courville, \emph{Deep Learning}, MIT Press, 2016, "
    r"Sections 8.2.2--8.2.3.",
    r"C. M. Bishop, \emph{Pattern Recognition and Machine Learning}, Springer, 2006, Section 5.1.1.",
    r"A. M. Chen, H. Lu and R. Hecht-Nielsen, ``On the geometry of feedforward neural network error "
    r"surfaces'', \emph{Neural Computation} 5(6), 1993.",
    r"H. J. Sussmann, ``Uniqueness of the weights for minimal feedforward nets with a given "
    r"input-output map'', \emph{Neural Networks} 5, 1992.",
)
