"""Handout ``permutation-saddles``: duplicate a unit of a critical point and prove the result is a saddle."""

from __future__ import annotations

import sympy

from symcert.handouts.base import Exercise, Handout, numbers_table
from symcert.printing.figures.loss import direction_figure
from symcert.printing.latex.lift import saddle_to_latex
from symcert.proofs.saddle import certify_saddle, direction_profile
from symcert.symbolic.saddle_example import SaddleExample, saddle_example

TITLE = "Permutation saddles: a critical point of a narrow network, lifted, is a saddle"

#: The points of the line of critical points shown in the table (lam = 1/2 is the handout's theorem).
LINE = ("-1", "0", "1/4", "1/2", "3/4", "1", "2")


def _line_table(example, results: dict) -> str:
    rows = []
    for lam, result in results.items():
        inertia = result.inertia
        counts = (
            f"{inertia.negative} & {inertia.zero} & {inertia.positive}"
            if inertia is not None and inertia.decided
            else r"\multicolumn{3}{c}{undecided}"
        )
        witness = "yes" if inertia is not None and inertia.dHd is not None else "no"
        rows.append(rf"${sympy.latex(sympy.Rational(lam))}$ & {counts} & {witness} & {result.verdict} \\")
    return "\n".join(
        [
            r"\begin{center}\small\begin{tabular}{cccccl}",
            r"\toprule",
            r"$\lambda$ & neg. & zero & pos. & $d^\top H d < 0$ & verdict \\ \midrule",
            *rows,
            r"\bottomrule",
            r"\end{tabular}\end{center}",
        ]
    )


def _points_latex(loss) -> str:
    """The data as ``(x, y)`` pairs: ``(-2,-1), (-1,-1), ...``."""
    return ", ".join(
        "(%s,%s)" % (sympy.latex(x[0]), sympy.latex(y[0])) for x, y in zip(loss.data.xs, loss.data.ys)
    )


def build(example: SaddleExample | None = None, *, student: bool = False) -> Handout:
    """Build the handout (certificates included) for ``example`` (default: :func:`saddle_example`).

    ``student=True`` (a student's variant): the figure along the negative direction is left out, since
    its value at ``s = 0`` is the loss at the critical point, which the variant's exercises ask for.
    """
    example = example or saddle_example()
    loss = example.loss
    result = certify_saddle(loss, example.approx, example.layer, example.unit, example.lam)
    line = {
        lam: result if lam == "1/2" else certify_saddle(loss, example.approx, 1, 0, lam, proof=False)
        for lam in LINE
    }
    certificate = result.certificate()
    body = "\n\n".join(
        [
            r"\section{Definitions}",
            r"\begin{definition}A \emph{critical point} of a smooth loss $L$ is a point $\theta$ with "
            r"$\nabla L(\theta) = 0$. Its \emph{index} is the number of negative eigenvalues of the Hessian "
            r"$\nabla^2 L(\theta)$; a critical point of index $k \ge 1$ is a \emph{saddle}: it is not a "
            r"local "
            r"minimum.\end{definition}",
            r"\begin{definition}The \emph{lift} $M_\lambda$ duplicates hidden unit $j$: the new unit copies "
            r"the incoming weights and bias of unit $j$, and the outgoing column $c$ of unit $j$ is split "
            r"into "
            r"$\lambda c$ (old unit) and $(1-\lambda) c$ (new unit). The wide network computes the same "
            r"function: "
            r"$c\,\sigma(u) = \lambda c\,\sigma(u) + (1-\lambda) c\,\sigma(u)$.\end{definition}",
            r"\section{The narrow critical point, the lift and the saddle}",
            r"The network is the " + loss.mlp.describe() + r" with the mean squared error on the six points "
            r"$(x, y) = %s$. A floating-point search gives an "
            r"approximate minimiser; everything below is then proved." % _points_latex(loss),
            saddle_to_latex(result),
            r"\paragraph{Certified numbers.} The certificate states these enclosures; the independent "
            r"checker recomputes them from the statement alone.",
            numbers_table((certificate,)),
            r"\section{The line of critical points}",
            r"Every $\lambda$ gives a critical point $M_\lambda\theta^\ast$ of the wide network. Along the "
            r"line "
            r"the inertia is certified afresh for each $\lambda$ (Sylvester + Gershgorin over the lifted "
            r"box, "
            r"the line's own direction removed exactly). At $\lambda \in \{0, 1\}$ one unit has no outgoing "
            r"weight, its incoming weights are flat to second order, and the method rightly says "
            r"\emph{undecided}.",
            _line_table(example, line),
            r"\section{The negative direction}",
            r"The witness $d$ moves the incoming weights of the two copies apart: the units stop being "
            r"identical, and the loss drops on both sides"
            + ("." if student else r" (Figure~\ref{fig:saddle-direction}).")
            + r" Gradient descent "
            r"started exactly on the line stays on it; any perturbation along $d$ escapes.",
            *(() if student else (direction_figure(direction_profile(result)),)),
        ]
    )
    exercises = (
        Exercise(
            r"(Brea et al.'s counting.) Let $\theta^\ast$ be a critical point of a network whose hidden "
            r"layer "
            r"has $n - 1$ distinct units. How many lines of critical points of the network with $n$ units "
            r"arise "
            r"by duplicating one unit of $\theta^\ast$ and permuting the units? Compare with the $n!$ "
            r"copies of "
            r"a minimum of the wide network.",
            r"Choose the pair of positions $\{i, j\}$ that carry the two copies ($\binom{n}{2}$ ways), the "
            r"narrow unit that is duplicated ($n - 1$ ways) and the places of the other $n - 2$ narrow units "
            r"($(n-2)!$ ways): $\binom{n}{2}(n-1)(n-2)! = \frac{(n-1)\,n!}{2}$ lines, each a different "
            r"affine "
            r"line of critical points. For $n = 2$ this is one line, for $n = 3$ six, for $n = 10$ about "
            r"$1.6 \cdot 10^7$: the saddles outnumber the $n!$ permuted minima by the factor $(n-1)/2$ "
            r"(Brea, Simsek, Illing \& Gerstner, 2019; Simsek et al., 2021).",
        ),
        Exercise(
            r"Why does the Hessian at every lifted point have a zero eigenvalue, and why can the inertia be "
            r"decided only after that direction is removed?",
            r"All points $M_\lambda\theta^\ast$ are critical, so differentiating $\nabla "
            r"L(M_\lambda\theta^\ast) "
            r"= 0$ in $\lambda$ gives $\nabla^2 L\, v = 0$ with $v = "
            r"\frac{d}{d\lambda}M_\lambda\theta^\ast$. "
            r"An enclosure of the Hessian over a box always contains matrices with a small nonzero "
            r"eigenvalue "
            r"of either sign there, so no interval method decides its sign; removing $v$ exactly "
            r"(a coordinate where $v \ne 0$ is deleted) leaves a nonsingular matrix whose inertia can be "
            r"certified.",
        ),
        Exercise(
            r"In the table, the index for $\lambda \in (0,1)$ and for $\lambda \notin [0,1]$ add up to $2$, "
            r"the number of incoming parameters of the unit (one weight and one bias). Explain.",
            r"In coordinates that separate the difference of the two copies' incoming parameters, the wide "
            r"Hessian is block diagonal: the narrow Hessian (positive definite here, a strict minimum), "
            r"$\lambda(1-\lambda) B$ for a fixed symmetric $B$ on the difference directions, and the zero "
            r"of the "
            r"line (Fukumizu \& Amari, 2000). $\lambda(1-\lambda)$ changes sign at $0$ and $1$, so the "
            r"negative "
            r"eigenvalues of one side are the positive ones of the other; here $B$ has one of each.",
        ),
    )
    motivation = (
        r"Symmetric copies of a minimum are separated by worse points. Brea et al. (2019) made this precise: "
        r"duplicating a hidden unit of a critical point of a narrower network gives a whole line of critical "
        r"points of the wider one, and these are typically saddles, which they showed numerically. Here the "
        r"saddle is proved: the narrow critical point by an interval Newton (Krawczyk) test, the lift by an "
        r"exact identity, and the index by Sylvester's law of inertia with Gershgorin discs in interval "
        r"arithmetic. Every number below was certified from exact rational inputs."
    )
    return Handout("permutation-saddles", TITLE, motivation, body, exercises, (certificate,))
