r"""Figures as pgfplots code, from values symcert computes (no image files).

The values are float64 (:class:`~symcert.numeric.floats.FloatLoss`): pictures,
not proofs, and the captions say so; the certified numbers are in the text.

- :func:`segment_figure`: ``phi(t) = L(A + t(B - A))`` with the chord from
  ``(0, L(A))`` to ``(1, L(B))``: the bump convexity forbids;
- :func:`plane_figure`: the loss on the plane through ``A``, ``B = gA`` and a
  ``g``-invariant direction (symmetric minima on either side of the midpoint);
- :func:`slice_figure`: the loss on any exact two-parameter slice;
- :func:`direction_figure`: the certified loss along a negative direction through a lifted
  critical point (a permutation saddle).

>>> from symcert import default_example
>>> example = default_example()
>>> text = segment_figure(example.loss, example.teacher, example.element(example.teacher), label="fig:bump")
>>> r"\begin{axis}" in text and r"\label{fig:bump}" in text
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from symcert.numeric.floats import FloatLoss
from symcert.symbolic.losses import Loss
from symcert.symbolic.point import Point

__all__ = ["segment_figure", "plane_figure", "slice_figure", "direction_figure"]

_PICTURE_NOTE = "Float64 values: a picture, not a proof; the certified numbers are in the text."


def _floats(values: Sequence[Any]) -> np.ndarray:
    return np.array([float(v) for v in values])


def _number(x: float) -> str:
    return f"{x:.6g}" if math.isfinite(x) else "nan"


def _figure(body: str, caption: str, label: str | None) -> str:
    lines = [r"\begin{figure}[htbp]", r"\centering", body, r"\caption{%s %s}" % (caption, _PICTURE_NOTE)]
    if label:
        lines.append(r"\label{%s}" % label)
    lines.append(r"\end{figure}")
    return "\n".join(lines)


def segment_figure(
    loss: Loss,
    A: Point,
    B: Point,
    *,
    samples: int = 61,
    margin: float = 0.25,
    caption: str = r"The loss $\varphi(t) = L(A + t(B - A))$ along the line through the points $A$ "
    r"($t = 0$) and $B$ ($t = 1$) of the text, with their midpoint $M$ ($t = \tfrac12$) marked, and the "
    r"chord (dashed) from $(0, L(A))$ to $(1, L(B))$. Convexity would keep the curve below the chord on "
    r"$[0, 1]$.",
    label: str | None = None,
) -> str:
    """The loss along the line through ``A`` and ``B`` (``t`` in ``[-margin, 1 + margin]``) with the chord."""
    compiled = FloatLoss(loss)
    a, d = _floats(A.values), _floats(A.direction(B))
    ts = np.linspace(-margin, 1 + margin, samples)
    values = [compiled.value(a + t * d) for t in ts]
    end_a, end_b = compiled.value(a), compiled.value(a + d)
    curve = " ".join(f"({_number(t)},{_number(v)})" for t, v in zip(ts, values))
    mid = compiled.value(a + 0.5 * d)
    body = "\n".join(
        [
            r"\begin{tikzpicture}",
            r"\begin{axis}[width=0.78\linewidth, height=5.2cm, xlabel={$t$}, ylabel={$\varphi(t)$},"
            r" grid=major, legend columns=2, legend style={at={(0.5,1.03)}, anchor=south, draw=none},"
            r" enlarge y limits=0.15]",
            r"\addplot[very thick, blue!70!black] coordinates {%s};" % curve,
            r"\addlegendentry{$\varphi(t) = L(A + t(B - A))$}",
            r"\addplot[thick, dashed, red!70!black] coordinates {(0,%s) (1,%s)};"
            % (_number(end_a), _number(end_b)),
            r"\addlegendentry{chord}",
            r"\addplot[only marks, mark=*, black] coordinates {(0,%s) (1,%s) (0.5,%s)};"
            % (_number(end_a), _number(end_b), _number(mid)),
            r"\node[below right] at (axis cs:0,%s) {$A$};" % _number(end_a),
            r"\node[below left] at (axis cs:1,%s) {$B$};" % _number(end_b),
            r"\node[above] at (axis cs:0.5,%s) {$M$};" % _number(mid),
            r"\end{axis}",
            r"\end{tikzpicture}",
        ]
    )
    return _figure(body, caption, label)


def slice_figure(
    loss: Loss,
    origin: Sequence[object],
    u: Sequence[object],
    v: Sequence[object],
    *,
    u_range: tuple[float, float] = (-1.6, 1.6),
    v_range: tuple[float, float] = (-1.0, 1.0),
    grid: int = 31,
    marks: Sequence[tuple[float, float, str]] = (),
    xlabel: str = "$u$",
    ylabel: str = "$v$",
    caption: str = "The loss on a two-parameter slice.",
    label: str | None = None,
) -> str:
    r"""A heat map of ``log10(L + 10^{-3})`` on ``origin + s u + t v`` over ``u_range x v_range``."""
    compiled = FloatLoss(loss)
    o, du, dv = _floats(origin), _floats(u), _floats(v)
    us = np.linspace(*u_range, grid)
    vs = np.linspace(*v_range, grid)
    rows = []
    top = -math.inf
    for t in vs:
        for s in us:
            value = math.log10(compiled.value(o + s * du + t * dv) + 1e-3)
            top = max(top, value)
            rows.append(f"{_number(s)} {_number(t)} {_number(value)}")
    marked = [
        r"\addplot3[only marks, mark=*, mark size=2pt, white] coordinates {(%s,%s,%s)};"
        % (_number(s), _number(t), _number(top + 1))
        + "\n"
        + r"\node[white, above right, font=\small] at (axis cs:%s,%s,%s) {%s};"
        % (_number(s), _number(t), _number(top + 1), name)
        for s, t, name in marks
    ]
    body = "\n".join(
        [
            r"\begin{tikzpicture}",
            r"\begin{axis}[width=0.62\linewidth, height=0.5\linewidth, view={0}{90}, xlabel={%s}, "
            r"ylabel={%s}," % (xlabel, ylabel),
            r" colorbar, colormap/viridis, colorbar style={title={\scriptsize $\log_{10}(L + 10^{-3})$}},"
            r" enlargelimits=false, axis on top]",
            r"\addplot3[surf, shader=interp, mesh/rows=%d] table[header=false] {" % grid,
            *rows,
            "};",
            *marked,
            r"\end{axis}",
            r"\end{tikzpicture}",
        ]
    )
    return _figure(body, caption, label)


def plane_figure(
    loss: Loss,
    A: Point,
    B: Point,
    invariant: Sequence[object] | None = None,
    *,
    grid: int = 31,
    caption: str | None = None,
    label: str | None = None,
) -> str:
    r"""The loss on the plane ``M + s (A - M) + t e``: ``s = 1`` is ``A``, ``s = -1`` is ``B``.

    ``invariant`` is the direction ``e`` (default: ``M`` itself, which every
    linear symmetry with ``gA = B``, ``gB = A`` fixes), so the picture is
    symmetric under ``s -> -s`` when ``B = gA`` for an involution ``g``.
    """
    M = A.midpoint(B)
    half = [a - m for a, m in zip(A.values, M.values)]
    e = list(M.values) if invariant is None else list(invariant)
    if not any(e):
        e = [1] * len(half)
    direction = (
        r"the direction $e = M$ (the vector of $M$'s own coordinates, which the symmetry fixes)"
        if invariant is None
        else r"a fixed direction $e$ that the symmetry leaves unchanged"
    )
    text = caption or (
        r"The loss, as $\log_{10}(L + 10^{-3})$, on the plane through the points $A$ ($s = 1$) and "
        r"$B$ ($s = -1$) of the text and their midpoint $M$ ($s = 0$): $\theta = M + s(A - M) + t\,e$ "
        r"for the coordinates $(s, t)$, with %s. The two minima are mirror images; on the way from one "
        r"to the other the loss rises." % direction
    )
    return slice_figure(
        loss,
        M.values,
        half,
        e,
        u_range=(-1.6, 1.6),
        v_range=(-0.8, 0.8),
        grid=grid,
        marks=((1.0, 0.0, "$A$"), (-1.0, 0.0, "$B$"), (0.0, 0.0, "$M$")),
        xlabel="$s$",
        ylabel="$t$",
        caption=text,
        label=label,
    )


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
