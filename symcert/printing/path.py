r"""Printers of a certified path (:class:`~symcert.proofs.path.PathResult`): text, LaTeX and a figure.

The figure draws the certified band of ``L`` along the path (each piece's upper bound, each move's
constant value) against the path's arc parameter (segment ``k`` spans ``[k, k + 1]``), with the
certified point values as error bars; every number drawn comes from the result's enclosures.

>>> from symcert import MLP, Dataset, Loss
>>> from symcert.proofs.path import certify_path
>>> net = MLP((1, 1, 1), "tanh")
>>> A = net.point(W1=[[1]], b1=[0], W2=[[0]], b2=[0])
>>> loss = Loss(net, Dataset([[1]], [[0]]), "sse")
>>> result = certify_path(loss, [A, net.point(W1=[[2]], b1=[1], W2=[[0]], b2=[0])])
>>> path_summary(result) == result.summary()
True
>>> result.summary()
'sup L = L(A) = 0 exactly, in [0, 1.97627e-323] (proved): 1 segment, 1 exact move (rotate:1:0)'
"""

from __future__ import annotations

from typing import Any

import sympy

from symcert.display import latex, notebook, text
from symcert.numeric.rounding import DIGITS, decimal_up, outward_interval
from symcert.printing.latex.display import interval_latex
from symcert.proofs.path import PathResult
from symcert.symbolic.exact import format_rational

__all__ = ["path_summary", "path_latex", "path_figure", "save_path_plot", "path_certificate_text"]


def _interval(lo: Any, hi: Any, exact: bool, digits: int | None = None) -> str:
    """``[lo, hi]`` rounded outward to six digits, or ``digits`` with their trailing zeros (it still
    encloses); or exactly."""
    if exact:
        return f"[{format_rational(lo)}, {format_rational(hi)}]"
    return outward_interval(sympy.Rational(lo), sympy.Rational(hi), digits or DIGITS, bool(digits))


def path_summary(result: Any, exact: bool = False) -> str:
    """One line: the enclosure of ``sup L`` along the path, the verdict, and the segments' arguments."""
    n = len(result.segments)
    moves = [str(s.move) for s in result.segments if s.move is not None]
    count = f"{n} segment{'s' if n != 1 else ''}"
    band = _interval(result.lo, result.hi, exact)
    if result.exact:
        value = "" if result.value is None else f" = {result.value}"
        shown = ", ".join(moves) if len(moves) <= 3 else f"{', '.join(moves[:2])}, ..."
        plural = "s" if len(moves) != 1 else ""
        head = f"sup L = L(A){value} exactly, in {band} ({result.status})"
        return f"{head}: {count}, {len(moves)} exact move{plural} ({shown})"
    pieces = sum(len(s.pieces) for s in result.segments)
    where = f"segment {result.witness[0]}, t = {format_rational(result.witness[1])}"
    return (
        f"sup L in {band} ({result.status}): {count} ({len(moves)} exact moves), {pieces} pieces, "
        f"the sup near {where}"
    )


def path_certificate_text(certificate: Any, exact: bool = False, digits: int | None = None) -> str:
    """A ``path`` certificate for the terminal: the path, each segment's argument, the enclosures."""
    p = certificate.parameters
    moves = [s for s in p["segments"] if "move" in s]
    lines = [
        f"Statement: L <= level along a path of the {certificate.loss.describe()} from A to B.",
        f"  A = {certificate.A}",
        f"  B = {certificate.B}",
        f"Path ({p['curve']}): {len(p['segments'])} segments, {len(moves)} exact moves "
        f"(the network function is unchanged along each), witness {p['witness']}",
    ]
    for name, bounds in certificate.enclosures.items():
        lo, hi = bounds
        lines.append(f"  {name:>10} in {_interval(lo, hi, exact, digits)}")
    lines.extend(f"Note: {note}" for note in certificate.notes)
    verdict = (
        "PROVED: L is at most the upper end of sup along the whole path."
        if certificate.status == "proved"
        else "UNDECIDED: a cap was reached before the tolerance (the enclosure is still rigorous)."
    )
    lines.append(f"Verdict: {verdict}")
    return "\n".join(lines)


def path_latex(result: Any) -> str:
    r"""A LaTeX fragment: the claim, then one line per segment (its move, or its enclosure)."""
    lines = [
        r"\begin{itemize}",
        rf"\item Claim: $L \le {decimal_up(result.hi)}$ along the whole path, with "
        rf"$\sup L \in {outward_interval(result.lo, result.hi)}$ ({result.status}).",
    ]
    for k, s in enumerate(result.segments):
        if s.move is not None:
            kind = (
                "rotates the incoming weights of the dead unit"
                if s.move.kind == "rotate"
                else ("shifts outgoing weight between the identical units")
            )
            units = ", ".join(str(u + 1) for u in s.move.units)
            lines.append(
                rf"\item Segment {k + 1} {kind} {units} of layer {s.move.layer}: the network function is "
                r"unchanged (proved symbolically), so $L$ is constant."
            )
        else:
            shape = "Bezier curve" if s.control is not None else "straight segment"
            lines.append(
                rf"\item Segment {k + 1} ({shape}): $\sup L \in {outward_interval(s.lo, s.hi)}$ "
                rf"by branch and bound over {len(s.pieces)} pieces."
            )
    lines.append(r"\end{itemize}")
    return "\n".join(lines) + "\n"


def _n(x: Any) -> str:
    return f"{float(x):.6g}"


def _axis(title: str, result: Any) -> str:
    """One pgfplots axis: the certified upper band (pieces, and each move's constant value) and points."""
    band, points = [], []
    for k, s in enumerate(result.segments):
        if s.move is not None:
            band += [f"({k},{_n(s.hi)})", f"({k + 1},{_n(s.hi)})"]
            points += [f"({k},{_n(s.hi)})"]
            continue
        for t0, t1, upper in s.pieces:
            band += [f"({_n(k + t0)},{_n(upper)})", f"({_n(k + t1)},{_n(upper)})"]
        points += [f"({_n(k + t)},{_n(hi)})" for t, _, hi in s.samples]
    n = len(result.segments)
    return "\n".join(
        [
            r"\begin{axis}[width=0.48\textwidth, height=5cm, xmin=0, xmax=%d, ymin=0, "
            r"xlabel={segment $k$ + $t$}, title={%s}, legend style={font=\tiny}, legend pos=north east]"
            % (n, title),
            r"\addplot[draw=none, fill=blue!15] coordinates {%s (%d,0) (0,0)} \closedcycle;"
            % (" ".join(band), n),
            r"\addlegendentry{certified upper band}",
            r"\addplot[blue, only marks, mark size=1pt] coordinates {%s};" % " ".join(points),
            r"\addlegendentry{certified values}",
            r"\end{axis}",
        ]
    )


def path_figure(panels: list[tuple[str, Any]], label: str = "fig:path") -> str:
    r"""A pgfplots figure with one axis per ``(title, PathResult)``, side by side."""
    axes = [r"\begin{tikzpicture}" + "\n" + _axis(t, r) + "\n" + r"\end{tikzpicture}" for t, r in panels]
    caption = "; ".join(
        f"{t.capitalize()}: level in ${interval_latex((sympy.Rational(r.lo), sympy.Rational(r.hi)), 6)}$"
        for t, r in panels
    )
    return "\n".join(
        [
            r"\begin{figure}[ht]\centering",
            "\n\\hfill\n".join(axes),
            r"\caption{The loss $L$ along each path, segment $k$ drawn over $[k, k + 1]$: the certified "
            r"upper band (shaded; each piece of a segment bounds $L$ above on it, and along an exact move "
            r"$L$ is constant) and certified values of $L$ at points (marks). %s.}" % caption,
            r"\label{%s}" % label,
            r"\end{figure}",
        ]
    )


def save_path_plot(results: list[tuple[str, Any]], out: str) -> None:
    """Draw each ``(title, result)`` in its own panel to ``out`` (png, svg or pdf; needs matplotlib)."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 3.2 * len(results)))
    for row, (title, result) in enumerate(results, start=1):
        ax = figure.add_subplot(len(results), 1, row)
        for k, s in enumerate(result.segments):
            if s.move is not None:
                ax.fill_between(
                    [k, k + 1], [float(s.lo)] * 2, [float(s.hi)] * 2, color="tab:green", alpha=0.4
                )
                ax.plot([k, k + 1], [float(s.hi)] * 2, color="tab:green")
                continue
            for t0, t1, upper in s.pieces:
                ax.plot([k + float(t0), k + float(t1)], [float(upper)] * 2, color="tab:red", lw=1)
            for t, lo, hi in s.samples:
                ax.plot([k + float(t)] * 2, [float(lo), float(hi)], color="tab:blue", marker="o", ms=3)
        ax.set_xlabel("segment + t")
        ax.set_ylabel("L (certified)")
        ax.set_title(title)
    figure.tight_layout()
    figure.savefig(out)


@text.register
def _(obj: PathResult, exact: bool = False) -> str:
    return path_summary(obj, exact=exact)


@latex.register
def _(obj: PathResult, *args: Any, **options: Any) -> str:
    return path_latex(obj)


@notebook.register
def _(obj: PathResult) -> str:
    return f"**Certified path**: {path_summary(obj)}"
