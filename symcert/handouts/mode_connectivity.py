"""Handout ``mode-connectivity``: a certified barrier in a minimal network, a certified path at loss 0
with one unit more (Şimşek et al. 2021).

The 1-2-1 tanh teacher ``A`` and its swapped copy are exact global minima; the straight segment between
them has a certified barrier. In the 1-3-1 student with a dead third unit, the same two minima are joined
by seven exact moves (rotate a dead unit, shift outgoing weight between identical units): the network
function never changes, so the loss is exactly 0 all along.
"""

from __future__ import annotations

import sympy

from symcert.handouts.base import Exercise, Handout
from symcert.printing.latex.display import interval_latex
from symcert.printing.path import path_figure
from symcert.proofs.moves import simsek_contrast
from symcert.proofs.path import certify_path

TITLE = "Mode connectivity: a certified barrier, and a certified path at loss zero"


def _point(P) -> str:
    """A 1-h-1 point as the rows ``(w_j, b_j, a_j)`` of its hidden units."""
    units = [
        r"$(%s, %s, %s)$" % tuple(sympy.latex(v) for v in (P.W(1)[j, 0], P.b(1)[j], P.W(2)[0, j]))
        for j in range(P.mlp.widths[1])
    ]
    return ", ".join(units)


def _moves(result) -> str:
    items = []
    for k, s in enumerate(result.segments, start=1):
        units = [u + 1 for u in s.move.units]
        if s.move.kind == "rotate":
            items.append(
                r"\item Move %d rotates the incoming weights of the dead unit %d to $(%s, %s)$."
                % (
                    k,
                    units[0],
                    *(sympy.latex(v) for v in (s.end.W(1)[units[0] - 1, 0], s.end.b(1)[units[0] - 1])),
                )
            )
        else:
            items.append(
                r"\item Move %d shifts the outgoing weight of unit %d onto unit %d, whose incoming weights "
                r"are the same." % (k, *(units if s.end.W(2)[0, units[0] - 1] == 0 else units[::-1]))
            )
    return "\n".join([r"\begin{enumerate}", *items, r"\end{enumerate}"])


def build() -> Handout:
    """Build the handout (one barrier, one path of exact moves: well under a second)."""
    (_, small, straight_points), (_, wide, chain) = simsek_contrast()
    straight = certify_path(small, straight_points)
    path = certify_path(wide, chain)
    one, two = straight.certificate(), path.certificate()
    enclosure = {name: interval_latex(bounds, 10) for name, bounds in one.enclosures.items()}
    exact = {name: interval_latex(bounds, 10) for name, bounds in two.enclosures.items()}
    body = "\n\n".join(
        [
            r"\section{Definitions}",
            r"\begin{definition}A \emph{path} from $A$ to $B$ is a continuous map $\gamma$ from $[0, 1]$ "
            r"to parameter space with $\gamma(0) = A$ and $\gamma(1) = B$. Its \emph{level} is "
            r"$\sup_{t} L(\gamma(t))$. Two minima are \emph{connected at level} $c$ when some path joins "
            r"them with level at most $c$ (Garipov et al., 2018; Draxler et al., 2018).\end{definition}",
            r"\begin{definition}In a hidden layer, unit $j$ has incoming weights $(w_j, b_j)$ and outgoing "
            r"weight $a_j$, and contributes $a_j \tanh(w_j x + b_j)$ to the output. It is \emph{dead} when "
            r"$a_j = 0$. A \emph{rotation} moves the incoming weights of a dead unit along a straight line; "
            r"a \emph{shift} moves outgoing weight between two units with the same incoming weights, "
            r"keeping $a_i + a_j$ fixed.\end{definition}",
            r"\section{A minimal network: the straight segment has a barrier}",
            r"The teacher $A$ of the %s has hidden units $(w_j, b_j, a_j)$: %s, and output bias "
            r"$%s$; the data are its own outputs at $x = -2, \dots, 2$, so $L(A) = 0$. Swapping its two "
            r"units gives $B$, another exact global minimum."
            % (small.mlp.describe(), _point(straight.A), sympy.latex(straight.A.b(2)[0])),
            r"\begin{theorem}[A certified barrier on the straight segment]\label{thm:mc:barrier}"
            r"Along the segment from $A$ to $B$, the level and the loss at both ends satisfy"
            r"\begin{align*}\sup_t L &\in %s, \\ L(A) &\in %s, \\ L(B) &\in %s.\end{align*}"
            r"\end{theorem}" % (enclosure["sup"], enclosure["L(A)"], enclosure["L(B)"]),
            r"\begin{proof}Branch and bound over $t$: each of the %d pieces of a partition of $[0, 1]$ "
            r"gets a rigorous upper bound of $L$ (interval arithmetic over the piece, with the mean-value "
            r"and Taylor forms), and a certified value at $t = %s$ bounds the supremum below. The "
            r"independent checker re-proves every piece.\end{proof}"
            % (len(straight.segments[0].pieces), sympy.latex(sympy.Rational(straight.witness[1]))),
            r"\section{One unit more: a path at loss exactly zero}",
            r"The student of the %s adds a dead third unit to $A$: its units are %s. It computes the "
            r"teacher's function, so its loss is $0$ there, and at its swapped copy."
            % (wide.mlp.describe(), _point(path.A)),
            r"\begin{theorem}[A path of exact moves]\label{thm:mc:path}"
            r"The seven moves below join the student $A$ to its swapped copy, and $L = L(A) = 0$ at every "
            r"point of the path; the certified enclosure of its level is \[ \sup_t L \in %s. \]"
            r"\end{theorem}" % exact["sup"],
            r"\begin{proof}Along each move the network function does not change: a dead unit contributes "
            r"$0 \cdot \tanh(\cdot)$ whatever its incoming weights, and two units with the same incoming "
            r"weights contribute $(a_i + a_j) \tanh(w x + b)$, with $a_i + a_j$ fixed. SymPy proves each "
            r"identity exactly, with the move's parameter as a symbol. So $L$ stays equal to $L(A) = 0$, "
            r"whose certified enclosures at both ends are"
            r"\begin{align*} L(A) &\in %s, \\ L(B) &\in %s. \end{align*}"
            r"\end{proof}" % (exact["L(A)"], exact["L(B)"]),
            _moves(path),
            r"Figure~\ref{fig:mc} draws both certified levels.",
            path_figure(
                [("straight segment (1-2-1)", straight), ("exact moves (1-3-1)", path)], label="fig:mc"
            ),
        ]
    )
    exercises = (
        Exercise(
            r"Show that rotating the incoming weights of a dead unit leaves the network function unchanged, "
            r"and that with weight decay it may change the loss.",
            r"The unit adds $a_j \tanh(w_j x + b_j)$ with $a_j = 0$: nothing, for any $(w_j, b_j)$. Weight "
            r"decay adds $\lambda (w_j^2 + \dots)$, which changes as $w_j$ moves.",
        ),
        Exercise(
            r"How many moves exchange two live units through one dead unit, as in Theorem~\ref{thm:mc:path}?",
            r"Seven: park the dead unit on unit 1 (rotate), move unit 1's weight onto it (shift), then "
            r"repeat for unit 2 and for the parked copy; two consecutive rotations of one unit merge into "
            r"one.",
        ),
        Exercise(
            r"Why can no path of exact moves join $A$ to $B$ in the minimal network?",
            r"Its units are distinct and none is dead, so neither move applies; Şimşek et al. (2021) show "
            r"that the permuted global minima of a minimal network are isolated, and "
            r"Theorem~\ref{thm:mc:barrier} certifies the barrier on the straight segment.",
        ),
    )
    motivation = (
        r"Minima found by training are often joined by curves of low loss (mode connectivity), found and "
        r"plotted in floating point. Here both sides of the picture are \emph{certified}: in a minimal "
        r"network the straight segment between two permuted minima rises to a certified height, and with "
        r"one unit more the same minima are joined by a path along which the loss is exactly $0$."
    )
    return Handout("mode-connectivity", TITLE, motivation, body, exercises, (one, two))
