r"""LaTeX for the certified barrier between two networks of one layer graph: statement, partition, witness.

A :class:`~symcert.proofs.graph_barrier.GraphBarrierResult` becomes a ``theorem`` (the barrier lies in
``[lo, hi]``) and a ``proof``: the layer graph as a table of its nodes, the loss and the data, the two
exact parameter sets (referred to the certificate), the enclosures of ``L(A)`` and ``L(B)``, the
partition of ``[0, 1]`` as a table of pieces with the rigorous upper bound of ``phi - c`` on each (how
each was obtained: the range form, and the two-sided mean-value form where every layer has a derivative
rule), and the witness ``t`` whose certified value gives the lower end. Every number is rounded
outward, so a printed interval contains the enclosure, hence the true value. Nothing is recomputed.

>>> from fractions import Fraction
>>> from symcert.symbolic.graph import Activation, Dense, Graph, Node
>>> from symcert.numeric.graph import GraphLoss
>>> from symcert.proofs.graph_barrier import certify_graph_barrier
>>> g = Graph((1,), [Node("fc1", Dense(1)), Node("t", Activation("tanh")), Node("fc2", Dense(1))])
>>> loss = GraphLoss(g, [[1]], [[Fraction(1, 2)]], "sse")
>>> A = {"fc1.weight": [[1]], "fc1.bias": [0], "fc2.weight": [[1]], "fc2.bias": [0]}
>>> B = {"fc1.weight": [[-1]], "fc1.bias": [0], "fc2.weight": [[-1]], "fc2.bias": [0]}
>>> text = graph_barrier_to_latex(certify_graph_barrier(loss, A, B, tol=Fraction(1, 100)))
>>> text.startswith(r"\begin{theorem}[Loss barrier between two layer-graph networks]")
True
>>> r"\begin{tabular}" in text and text.rstrip().endswith(r"\end{proof}")
True
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

import sympy

from symcert.numeric.graph.segment import has_tangent
from symcert.printing.latex.display import decimal_bound, escape, interval_latex

if TYPE_CHECKING:
    from symcert.proofs.graph_barrier import GraphBarrierResult

__all__ = ["graph_barrier_to_latex", "graph_barrier_document_body", "LISTED_PIECES"]

#: Pieces listed in the table; beyond this, the ones with the largest bounds, and a count.
LISTED_PIECES = 24


def _q(value: Fraction) -> sympy.Rational:
    return sympy.Rational(value.numerator, value.denominator)


def _inline(value: Fraction) -> str:
    """A rational for a table cell or running text: ``37/64`` rather than a stacked fraction."""
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def _chord(form: str) -> str:
    if form == "midpoint":
        return r"c(t) = \tfrac{1}{2}\bigl(L(A) + L(B)\bigr)"
    return r"c(t) = (1 - t) L(A) + t L(B)"


def _shape(shape: tuple[int, ...]) -> str:
    return r"$%s$" % r" \times ".join(map(str, shape)) if shape else "scalar"


def _graph_table(result: GraphBarrierResult) -> list[str]:
    graph = result.loss.graph
    rows = [
        r"%s & %s & %s & %s \\"
        % (
            r"\texttt{%s}" % escape(node.name),
            escape(", ".join(node.sources)),
            r"\raggedright\texttt{%s}" % escape(node.layer.describe()),
            _shape(graph.shapes[node.name]),
        )
        for node in graph.nodes
    ]
    return [
        r"The network is a layer graph on inputs of shape %s with %d parameters; its nodes, in order "
        r"(each reads the tensors named in the second column):"
        % (_shape(graph.input_shape), graph.n_parameters),
        r"\begin{center}\small",
        r"\begin{tabular}{@{}llp{7.2cm}l@{}}",
        r"\toprule",
        r"node & reads & layer & output (per example) \\",
        r"\midrule",
        *rows,
        r"\bottomrule",
        r"\end{tabular}",
        r"\end{center}",
    ]


def _loss_words(result: GraphBarrierResult) -> str:
    loss = result.loss
    text = r"%s $L$ of this network on $%d$ data points" % (escape(loss.function.description), loss.n_points)
    if loss.factor != 1:
        text += r" (times $%s$)" % sympy.latex(_q(loss.factor))
    if loss.output != "identity":
        text += r" (the network's %s output applied before the loss)" % escape(loss.output)
    return text


def _pieces(result: GraphBarrierResult, digits: int) -> list[str]:
    pieces = list(result.pieces)
    by_bound = sorted(pieces, key=lambda p: -p[2])
    listed = pieces if len(pieces) <= LISTED_PIECES else sorted(by_bound[:LISTED_PIECES])
    box = (
        r"the graph run on the parameter box $\theta(m) + [-h, h](B - A)$, $m$ the piece's midpoint, $h$ "
        r"its half-width"
    )
    how = (
        r"the smaller of two rigorous bounds of $u = \varphi - c$ on the piece: the range of $\varphi$ over "
        r"it (%s) minus the chord's least value, and the two-sided mean-value form from the two ends with "
        r"the range of $\varphi'$ over the piece (every layer's derivative in $t$ carried through the "
        r"graph), maximised over the piece exactly" % box
        if has_tangent(result.loss)
        else r"the range of $\varphi$ over it (%s; a layer here has no derivative rule, so the range form "
        r"alone) minus the chord's least value" % box
    )
    if listed is pieces:
        intro = r"The %d pieces below partition $[0, 1]$. On each, %s, is at most the number shown." % (
            len(pieces),
            how,
        )
    else:
        intro = (
            r"%d pieces partition $[0, 1]$ (all of them, with their bounds, in the certificate). On each, "
            r"%s, is at most its bound; the %d pieces with the largest bounds are:"
            % (len(pieces), how, len(listed))
        )
    rows = [
        r"$%s$ & $%s$ & $%s$ \\" % (_inline(t0), _inline(t1), decimal_bound(_q(u), digits, "up"))
        for t0, t1, u in listed
    ]
    return [
        _heading("The upper end"),
        intro,
        r"\begin{center}\small",
        r"\begin{tabular}{@{}rrr@{}}",
        r"\toprule",
        r"$t_0$ & $t_1$ & $\sup_{[t_0, t_1]} (\varphi - c) \le$ \\",
        r"\midrule",
        *rows,
        r"\bottomrule",
        r"\end{tabular}",
        r"\end{center}",
        r"So $\varphi(t) - c(t) \le %s$ for every $t \in [0, 1]$."
        % decimal_bound(_q(by_bound[0][2]), digits, "up"),
    ]


def _heading(title: str) -> str:
    return r"\par\medskip\noindent\textbf{%s.}" % title


def graph_barrier_to_latex(result: GraphBarrierResult, digits: int = 12, *, label: str | None = None) -> str:
    """A ``theorem``/``proof`` fragment for a graph barrier (see the module docstring)."""
    lo, hi = _q(result.lo), _q(result.hi)
    head = r"\begin{theorem}[Loss barrier between two layer-graph networks]"
    if label:
        head += r"\label{%s}" % label
    lines = [
        head,
        r"For the %s, the parameter sets $A$, $B$ below, $\varphi(t) = L\bigl((1-t)A + tB\bigr)$ and $%s$,"
        % (_loss_words(result), _chord(result.form)),
        r"\[ \sup_{t \in [0, 1]} \bigl(\varphi(t) - c(t)\bigr) \in %s. \]" % interval_latex((lo, hi), digits),
        r"\end{theorem}",
        r"\begin{proof}",
    ]
    if result.status != "proved":
        lines.append(
            r"\noindent(Status \emph{%s}: a cap on pieces or time was reached; the enclosure is still "
            r"rigorous, but wider than asked.)" % escape(result.status)
        )
    lines += [_heading("The network and the loss"), *_graph_table(result)]
    lines += [
        _heading("The points"),
        r"$A$ and $B$ have %d exact rational coordinates each (float32 weights read as exact dyadic "
        r"rationals); they are stored in the certificate, with the data." % result.loss.graph.n_parameters,
    ]
    if result.exact:
        lines += [
            r"$B = A$ exactly, so $\varphi$ is constant and the barrier is exactly $0$.",
            r"\end{proof}",
        ]
        return "\n".join(lines)
    lines += [
        _heading("The ends"),
        r"Interval arithmetic with outward rounding from the exact points gives",
        r"\begin{align*} L(A) &\in %s \\ L(B) &\in %s \end{align*}"
        % (
            interval_latex(tuple(map(_q, result.LA)), digits),
            interval_latex(tuple(map(_q, result.LB)), digits),
        ),
        r"and the chord is bounded below by the same expression with the lower ends.",
        *_pieces(result, digits),
        _heading("The lower end"),
        (
            r"At $t = 0$, $\varphi(0) - c(0) = 0$ exactly, so the barrier is at least $0$."
            if result.form == "entezari" and result.lo <= 0
            else r"At the exact point $t = %s$, the certified enclosure of $\varphi(t) - c(t)$ starts at or "
            r"above $%s$, so the barrier is at least that."
            % (_inline(result.witness), decimal_bound(lo, digits, "down"))
        ),
        r"\end{proof}",
    ]
    return "\n".join(lines)


def graph_barrier_document_body(panels: list[tuple[str, GraphBarrierResult]], digits: int = 12) -> str:
    """The body of a report: one section per barrier (``before alignment``, ``after alignment``)."""
    parts = []
    for title, result in panels:
        if len(panels) > 1:
            parts.append(r"\section*{Barrier %s}" % escape(title))
        parts.append(graph_barrier_to_latex(result, digits))
    return "\n\n".join(parts)
