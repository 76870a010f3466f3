r"""The barrier as a pgfplots figure: ``phi(t)``, its certified band and the chord.

The band is certified: above, each piece's bound of ``g`` plus the chord (an upper bound of
``phi`` over the piece); the marks are certified enclosures of ``phi`` at points. The curves are
drawn in float64 from those exact endpoints (a picture of certified numbers).

>>> from symcert import default_example, certify_barrier
>>> ex = default_example()
>>> result = certify_barrier(ex.loss, ex.teacher, ex.element(ex.teacher))
>>> text = barrier_figure([("before alignment", result)])
>>> r"\begin{axis}" in text and "chord" in text
True
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from symcert.numeric.rounding import decimal_down, decimal_up, outward_interval

__all__ = ["barrier_figure", "barrier_document_body"]


def _n(x: Fraction | float) -> str:
    """A coordinate to draw (float64, six digits: a picture); the printed bounds round outward."""
    return f"{float(x):.6g}"


def _chord(result: Any, t: Fraction) -> Fraction:
    LA, LB = result.LA[1], result.LB[1]
    return (LA + LB) / 2 if result.form == "midpoint" else (1 - t) * LA + t * LB


def _axis(title: str, result: Any) -> str:
    band = []
    for t0, t1, upper in result.pieces:
        top = upper + max(_chord(result, t0), _chord(result, t1))
        band += [f"({_n(t0)},{_n(top)})", f"({_n(t1)},{_n(top)})"]
    lows = " ".join(f"({_n(t)},{_n(lo)})" for t, lo, _ in result.samples)
    highs = " ".join(f"({_n(t)},{_n(hi)})" for t, _, hi in result.samples)
    c0, c1 = _chord(result, Fraction(0)), _chord(result, Fraction(1))
    return "\n".join(
        [
            r"\begin{axis}[width=0.48\textwidth, height=5cm, xmin=0, xmax=1, xlabel={$t$}, "
            r"title={%s}, legend style={font=\tiny}, legend pos=north east]" % title,
            r"\addplot[draw=none, fill=blue!15] coordinates {%s (1,0) (0,0)} \closedcycle;" % " ".join(band),
            r"\addlegendentry{certified upper band}",
            r"\addplot[blue, thick, mark=none] coordinates {%s};" % highs,
            r"\addlegendentry{$\varphi(t)$ (certified points)}",
            r"\addplot[blue, thin, mark=none, forget plot] coordinates {%s};" % lows,
            r"\addplot[red, dashed] coordinates {(0,%s) (1,%s)};" % (_n(c0), _n(c1)),
            r"\addlegendentry{chord}",
            r"\end{axis}",
        ]
    )


def barrier_figure(panels: Sequence[tuple[str, Any]], label: str = "fig:barrier") -> str:
    """A figure with one axis per ``(title, BarrierResult)``, side by side."""
    axes = [r"\begin{tikzpicture}" + "\n" + _axis(t, r) + "\n" + r"\end{tikzpicture}" for t, r in panels]
    caption = "; ".join(
        f"{t.capitalize()}: barrier in ${outward_interval(r.lo, r.hi)}$" + (" (exactly 0)" if r.exact else "")
        for t, r in panels
    )
    return "\n".join(
        [
            r"\begin{figure}[ht]\centering",
            "\n\\hfill\n".join(axes),
            r"\caption{The loss $\varphi(t) = L((1-t)A + tB)$ on the segment from the network $A$ "
            r"($t = 0$) to the network $B$ ($t = 1$): certified enclosures of $\varphi$ at points (solid), "
            r"the certified upper band (shaded; each piece of $[0, 1]$ bounds $\varphi$ above on it) and "
            r"the chord (dashed) from $(0, L(A))$ to $(1, L(B))$. The barrier is the largest height of "
            r"$\varphi$ above the chord. "
            r"%s.}" % caption,
            r"\label{%s}" % label,
            r"\end{figure}",
        ]
    )


def barrier_document_body(panels: Sequence[tuple[str, Any]]) -> str:
    """The body of a standalone report: the numbers, then the figure."""
    lines = [
        r"\section*{Certified loss barrier}",
        r"The barrier $\beta = \sup_{t \in [0, 1]} \bigl(\varphi(t) - c(t)\bigr)$ of "
        r"$\varphi(t) = L((1-t)A + tB)$ above the chord $c$ between the networks $A$ and $B$, enclosed by "
        r"branch and bound over $t$:",
        r"\begin{itemize}",
    ]
    for title, r in panels:
        lines.append(
            r"\item %s: $%s \le \beta \le %s$ (chord: %s; %s; %d pieces of $[0,1]$; witness $t = %s$)."
            % (
                title.capitalize(),
                decimal_down(r.lo),
                decimal_up(r.hi),
                r.form,
                r.status,
                r.n_pieces,
                r.witness,
            )
        )
    lines += [r"\end{itemize}", barrier_figure(panels)]
    return "\n".join(lines)
