r"""Text and LaTeX for certified critical points and permutation saddles (data in, text out).

>>> from symcert import certify_saddle
>>> from symcert.symbolic.saddle_example import saddle_example
>>> e = saddle_example()
>>> result = certify_saddle(e.loss, e.approx, e.layer, e.unit, e.lam)
>>> print(saddle_to_text(result).splitlines()[0])
Permutation saddle: 1-1-1 tanh network (4 parameters) lifted at layer 1, unit 0, lam = 1/2
>>> r"\begin{theorem}" in saddle_to_latex(result)
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

__all__ = ["saddle_to_text", "saddle_to_latex", "direction_figure", "critical_point_to_text"]


def _num(value: Any, digits: int = 6) -> str:
    return f"{float(value):.{digits}g}"


def critical_point_to_text(found: Any) -> str:
    """A certified critical point, for the terminal."""
    names = found.loss.mlp.parameter_names
    lines = [f"Critical point of the {found.loss.mlp.describe()}: {found.message}"]
    if found.proved:
        lines.append(f"  box: centre +- {_num(found.radius, 3)} (exact dyadic endpoints), centre:")
        lines.extend(f"    {n} = {_num(v, 12)}" for n, v in zip(names, found.center.values))
    if found.eigenvalues:
        shown = ", ".join(_num(v, 4) for v in found.eigenvalues[:8])
        more = ", ..." if len(found.eigenvalues) > 8 else ""
        lines.append(f"  Hessian eigenvalues at the centre (float64 evidence): {shown}{more}")
    return "\n".join(lines)


def saddle_to_text(result: Any) -> str:
    """The whole argument, for the terminal."""
    narrow, inertia = result.narrow, result.inertia
    lines = [
        f"Permutation saddle: {narrow.loss.mlp.describe()} lifted at layer {result.layer}, "
        f"unit {result.unit}, lam = {result.lam}",
        "1. " + critical_point_to_text(narrow).replace("\n", "\n   "),
    ]
    if result.proof is not None:
        lines.append("2. lift identity (exact, SymPy): " + "; ".join(result.proof.steps[-2:]))
    else:
        lines.append("2. lift identity: the exact identity of symcert.prove_lift_identity (not re-run here)")
    lines.append(
        f"   the lifted point is a critical point of the {result.wide_loss.mlp.describe()}, on a line of "
        "critical points (one exactly flat direction)"
    )
    if inertia is not None:
        if inertia.decided:
            lines.append(
                f"3. inertia over the lifted box (Sylvester + Gershgorin): {inertia.negative} negative, "
                f"{inertia.zero} zero (the line), {inertia.positive} positive"
            )
        else:
            lines.append("3. inertia over the lifted box: undecided (a Gershgorin disc contains 0)")
        if inertia.dHd is not None:
            lines.append(
                f"   negative direction d (rational): d^T H d in [{_num(inertia.dHd[0])}, "
                f"{_num(inertia.dHd[1])}] "
                "over the whole lifted box"
            )
    lines.append(f"Verdict: {result.verdict} ({result.status})")
    return "\n".join(lines)


def _vector(values: Sequence[Any], digits: int) -> str:
    return r"\bigl(" + ", ".join(_num(v, digits) for v in values) + r"\bigr)"


def saddle_to_latex(result: Any, digits: int = 8) -> str:
    """The argument as a LaTeX fragment: a theorem with its proof (figures separately)."""
    narrow, inertia = result.narrow, result.inertia
    wide = result.wide_loss.mlp
    lam = result.lam
    centre = _vector(narrow.center.values, digits)
    body = [
        r"\begin{theorem}[A certified permutation saddle]",
        rf"Let $L$ be the {narrow.loss.describe()} and $L'$ the same loss on the {wide.describe()}. "
        rf"The gradient of $L$ has exactly one zero $\theta^\ast$ in the box $X = c + [-r, "
        rf"r]^{{{len(narrow.center.values)}}}$, "
        rf"$c = {centre}$, $r = {_num(narrow.radius, 3)}$. Duplicating unit {result.unit + 1} of hidden "
        rf"layer "
        rf"{result.layer} with outgoing weights split $\lambda = {lam}$ and $1-\lambda$ maps $\theta^\ast$ "
        rf"to a critical "
        rf"point $M_\lambda\theta^\ast$ of $L'$, for every $\lambda$: a line of critical points.",
    ]
    if result.status == "proved":
        body.append(rf"At $\lambda = {lam}$ the point is: \emph{{{result.verdict}}}.")
    body.append(r"\end{theorem}")
    proof = [
        r"\begin{proof}",
        r"\emph{Critical point.} Newton's method in floating point gives $c$. Krawczyk's operator "
        r"$K(X) = c - Y\nabla L(c) + (I - Y\,\nabla^2 L(X))(X - c)$, with $Y$ a floating-point inverse of "
        r"the "
        r"Hessian at $c$ and $\nabla^2 L(X)$ an interval enclosure of the Hessian over $X$, lies inside $X$ "
        rf"(margin ${_num(narrow.margin, 3)}$), so $\nabla L$ has exactly one zero in $X$.",
        r"\emph{Lift.} $f'(x; M_\lambda\theta) = f(x;\theta)$ and "
        r"$\nabla L'(M_\lambda\theta) = G_\lambda \nabla L(\theta)$ are exact identities on the closed forms "
        r"(checked by SymPy for a generic input and an abstract activation): both units see the same "
        r"pre-activation, the outgoing weights add up to the old one, the incoming gradients are "
        r"$\lambda$ and $1-\lambda$ times the old one. So $\nabla L'(M_\lambda\theta^\ast) = 0$.",
    ]
    if inertia is not None:
        proof.append(
            r"\emph{Inertia.} Along the line, $\nabla^2 L'\,v = 0$ for $v = \frac{d}{d\lambda} "
            r"M_\lambda\theta^\ast$ "
            r"(the outgoing column $c_j$ on the old unit, $-c_j$ on the new); one coordinate of $v$ is "
            r"proved "
            r"nonzero and deleted, which leaves the inertia of the rest unchanged. Congruence with a "
            r"floating-point eigenbasis (Sylvester) and Gershgorin discs in interval arithmetic over the "
            r"lifted box "
            + (
                rf"give {inertia.negative} negative and {inertia.positive} positive eigenvalues."
                if inertia.decided
                else r"do not decide every sign."
            )
        )
        if inertia.dHd is not None:
            proof.append(
                rf"\emph{{Witness.}} A rational direction $d$ has $d^\top \nabla^2 L'\, d \in "
                rf"[{_num(inertia.dHd[0])}, {_num(inertia.dHd[1])}]$ over the whole lifted box, so the "
                rf"critical "
                r"point is not a local minimum."
            )
    proof.append(r"\end{proof}")
    return "\n".join([*body, "", *proof]) + "\n"


def _tick_step(span: float, most: int = 7) -> str:
    """A round tick distance (1, 2 or 5 times a power of ten) giving at most ``most`` ticks over ``span``.

    >>> _tick_step(0.375), _tick_step(2.0), _tick_step(0.0)
    ('0.1', '0.5', '1')
    """
    if span <= 0:
        return "1"
    power = 10.0 ** math.floor(math.log10(span / most))
    for factor in (1, 2, 5, 10):
        if span / (factor * power) <= most - 1:
            return f"{factor * power:.10g}"
    return f"{10 * power:.10g}"  # pragma: no cover


def direction_figure(
    profile: Sequence[tuple[Fraction, Fraction, Fraction]], label: str = "fig:saddle-direction"
) -> str:
    r"""A pgfplots figure of ``L'(M c + s d)`` against ``s`` (certified enclosures, drawn at their "
    r"midpoints)."""
    points = " ".join(f"({float(s):.6g},{float((lo + hi) / 2):.12g})" for s, lo, hi in profile)
    xs = [float(s) for s, _, _ in profile]
    step = _tick_step(max(xs) - min(xs) if xs else 1.0)
    return "\n".join(
        [
            r"\begin{figure}[ht]\centering",
            r"\begin{tikzpicture}",
            r"\begin{axis}[width=0.7\textwidth, height=5cm, xlabel={$s$}, ylabel={$L'(M c + s\,d)$}, "
            r"grid=major, scaled y ticks=false, y tick label style={/pgf/number format/fixed, "
            r"/pgf/number format/precision=5}, scaled x ticks=false, xtick distance=%s, "
            r"x tick label style={/pgf/number format/fixed, /pgf/number format/precision=4}]" % step,
            rf"\addplot[thick, blue!60!black, mark=*, mark size=1pt] coordinates {{{points}}};",
            r"\end{axis}",
            r"\end{tikzpicture}",
            r"\caption{The loss of the wide network along the certified negative direction $d$ through the "
            r"lifted critical point ($s = 0$): a local maximum along $d$. Each value is a certified "
            r"enclosure "
            r"narrower than the line.}",
            rf"\label{{{label}}}",
            r"\end{figure}",
        ]
    )
