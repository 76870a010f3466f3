"""Handout ``sign-flip``: odd activations add sign flips, the order becomes n! 2^n."""

from __future__ import annotations

from symcert.handouts.base import Exercise, Handout, numbers_table
from symcert.printing.figures.loss import plane_figure, segment_figure
from symcert.printing.latex.display import point_latex
from symcert.printing.latex.elements import element_latex
from symcert.printing.latex.invariance import group_repr_latex
from symcert.printing.latex.model import loss_latex, network_latex
from symcert.proofs.invariance import prove_invariance
from symcert.proofs.nonconvexity import certify_nonconvexity
from symcert.symbolic.examples import Example, default_example
from symcert.symbolic.group import Flip, flip
from symcert.symbolic.network import MLP

TITLE = "Sign flips: odd activations and the order $n!\\,2^n$"
#: The title in plain text (``symcert handout list``).
PLAIN_TITLE = "Sign flips: odd activations and the order n! 2^n"


def build(example: Example | None = None, *, student: bool = False) -> Handout:
    """Build the handout (certificates included) on ``example`` (default: the built-in one, flipping
    unit 1); its element must be a flip of a unit of layer 1.

    Student variants (:mod:`symcert.handouts.variants`) pass another teacher, data and flip, and
    ``student=True``: the body then states the network, the data, the symmetry and the two minima but
    not the midpoint's loss, the curvature, the certified numbers or the figures (the exercises' answers).
    """
    if example is None:
        default = default_example()
        example = Example(default.loss, default.teacher, flip(1, 0))
    loss, A, g = example.loss, example.teacher, example.element
    assert isinstance(g, Flip)  # the sign-flip handout's element
    unit = g.unit + 1
    B = g(A)
    invariance = prove_invariance(loss, g)
    chord = certify_nonconvexity(loss, A, element=g, kind="chord")
    curvature = None if student else certify_nonconvexity(loss, A, element=g, kind="curvature")
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
            r"checks this on the concrete loss, for the flip $g = %s$ of unit $%d$ of "
            r"layer $1$ (written \texttt{%s} on the command line, which numbers units from $0$), "
            r"on this network and loss:" % (element_latex(g), unit, str(g)),
            network_latex(loss.mlp),
            loss_latex(loss),
            invariance.to_latex(),
            r"With the permutations, the flips generate the signed permutations of each layer: "
            r"$n!$ orders times $2^n$ sign patterns (Chen, Lu \& Hecht-Nielsen, 1993).",
            r"\begin{center}\begin{tabular}{ccl}\toprule $n$ & $|G|$ & group \\ \midrule "
            + "\n".join(rows)
            + r"\bottomrule\end{tabular}\end{center}",
            r"\section{The flip midpoint switches a unit off}",
            r"For $B = gA$ with $g$ the flip of unit $%d$, the midpoint $M = \frac12(A + B)$ has "
            r"$W^{(1)}_{%d\cdot} = 0$, $b^{(1)}_%d = 0$ and $W^{(2)}_{\cdot %d} = 0$: unit $%d$ is switched "
            r"off and the network can no longer fit the teacher%s."
            % (unit, unit, unit, unit, unit, "" if student else r" (Figure~\ref{fig:flip:segment})"),
            *(_student_points(A, B) if student else _results(loss, A, B, chord, curvature, invariance)),
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
    certified = (chord,) if curvature is None else (chord, curvature)
    return Handout("sign-flip", TITLE, motivation, body, exercises, certified, references=references)


def _results(loss, A, B, chord, curvature, invariance) -> list[str]:
    """The certified part of the handout: the two theorems, their numbers and the figures."""
    return [
        chord.to_latex(10, invariance=invariance, context=False, label="thm:flip:chord"),
        r"The midpoint is even a local maximum along the segment (Figure~\ref{fig:flip:plane}):",
        curvature.to_latex(10, invariance=invariance, context=False, label="thm:flip:curvature"),
        r"\paragraph{Certified numbers.}",
        numbers_table((chord, curvature)),
        segment_figure(loss, A, B, label="fig:flip:segment"),
        plane_figure(loss, A, B, label="fig:flip:plane"),
    ]


def _student_points(A, B) -> list[str]:
    """A student's variant: the two minima, exactly, and what the exercises ask about them."""
    return [
        r"The teacher $A$ generated the data, so $L(A) = 0$, and $L(B) = L(gA) = 0$ because $g$ is a "
        r"symmetry: two global minima. All coordinates are exact rationals:",
        r"\[ A:\quad %s \]" % point_latex(A),
        r"\[ B = gA:\quad %s \]" % point_latex(B),
        r"The exercises below ask what happens between them, at the midpoint $M = \frac12(A + B)$.",
    ]
