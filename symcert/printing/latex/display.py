r"""Readable LaTeX for the pieces every derivation shows: expressions broken over lines,
exact points and enclosures rounded outward (the network and its loss: :mod:`.model`).

Pure functions returning strings; the objects they print hold no LaTeX.

>>> import sympy
>>> x, y = sympy.symbols("x y")
>>> text = aligned_display("g", sum(sympy.Symbol(f"a{k}") for k in range(80)))
>>> text.startswith(r"\begin{align*}") and text.count(r"\\") >= 2    # one sum, several lines
True
>>> decimal_bound(sympy.Rational(1, 3), 4, "down"), decimal_bound(sympy.Rational(1, 3), 4, "up")
('0.3333', '0.3334')
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import sympy

if TYPE_CHECKING:
    from symcert.symbolic.point import Point

__all__ = [
    "escape",
    "visible_width",
    "display_lines",
    "aligned_display",
    "decimal_bound",
    "interval_latex",
    "point_latex",
    "MAX_LINES",
]

#: Display lines shown for one expression before the rest is summarised.
MAX_LINES = 14
#: Visible characters per display line (a rough measure of rendered width).
LINE_WIDTH = 56


def escape(text: str) -> str:
    r"""Text with LaTeX's special characters escaped (for prose, not math).

    >>> escape("W1_11 & 50%")
    'W1\\_11 \\& 50\\%'
    """
    text = text.replace("->", "\x00")
    for char, replacement in (
        ("\\", r"\textbackslash{}"),
        ("_", r"\_"),
        ("&", r"\&"),
        ("%", r"\%"),
        ("#", r"\#"),
        ("^", r"\^{}"),
        ("~", r"\~{}"),
        ("<", r"\textless{}"),
        (">", r"\textgreater{}"),
    ):
        text = text.replace(char, replacement)
    return text.replace("\x00", r"$\to$")


def visible_width(latex: str) -> float:
    r"""A measure of the width a math string shows, in units of about 6.5pt at 11pt (calibrated
    against TeX's own box widths): commands and braces dropped, sub- and superscripts counted at
    0.6 (stacked ones once), a fraction at its wider part, binary operators with their spacing.

    >>> visible_width(r"W^{(1)}_{11} \tanh{\left(x \right)}")
    9.8
    >>> visible_width(r"\frac{1}{5} + x") < visible_width(r"15 + x")
    True
    """
    text = latex
    while True:  # a fraction shows its wider part
        found = re.search(r"\\[dt]?frac\{([^{}]*)\}\{([^{}]*)\}", text)
        if not found:
            break
        a, b = found.group(1), found.group(2)
        wider = a if visible_width(a) >= visible_width(b) else b
        text = text[: found.start()] + "{" + wider + "}" + text[found.end() :]
    text = re.sub(r"\\(left|right|[Bb]ig[glr]?|quad|qquad|,|;|!|textstyle|displaystyle)", "", text)
    text = re.sub(r"\\(mathrm|operatorname|text)", "", text)
    text = re.sub(r"\\(tanh|log|exp|sin|cos|relu|cdots|max|min)", lambda m: "f" * len(m.group(1)), text)
    text = re.sub(r"\\[a-zA-Z]+", "x", text)
    script = 0.0
    for sup, sub in re.findall(r"\^\{([^{}]*)\}_\{([^{}]*)\}", text):  # stacked: the wider one
        script += max(len(sup), len(sub))
    text = re.sub(r"\^\{[^{}]*\}_\{[^{}]*\}", "", text)
    for group in re.findall(r"[\^_]\{([^{}]*)\}", text):
        script += len(group)
    text = re.sub(r"[\^_]\{[^{}]*\}", "", text)
    operators = len(re.findall(r"(?<=[\w)}\]]) *[-+=<>] *(?=[\w(\\{])", latex))
    return round(len(re.sub(r"[{}^_ ]", "", text)) + 0.6 * script + 0.6 * operators, 1)


def _latex(expr: Any, names: dict) -> str:
    return sympy.latex(expr, symbol_names=names)


def _sign_join(term_latex: str) -> str:
    return term_latex if term_latex.startswith("-") else "+ " + term_latex


def _pieces(expr: sympy.Expr, names: dict, width: int) -> list[str]:
    """Pieces whose concatenation is the LaTeX of ``expr``; each fits ``width`` where it can."""
    if isinstance(expr, sympy.Mul):
        coefficient, rest = expr.as_coeff_Mul()
        if (
            coefficient.is_Rational
            and coefficient not in (1, -1)
            and isinstance(rest, (sympy.Add, sympy.Pow))
        ):
            sign = "-" if coefficient < 0 else ""
            if coefficient.q != 1:
                prefix = sign + r"\tfrac{%d}{%d}" % (abs(coefficient.p), coefficient.q)
            else:
                prefix = sign + str(abs(coefficient.p))
            parts = _pieces(rest, names, width)
            if isinstance(rest, sympy.Add):
                parts[0], parts[-1] = prefix + r"\Bigl(" + parts[0], parts[-1] + r"\Bigr)"
            else:
                parts[0] = prefix + " " + parts[0]
            return parts
    whole = _latex(expr, names)
    if visible_width(whole) <= width:
        return [whole]
    if isinstance(expr, sympy.Add):
        out: list[str] = []
        for k, term in enumerate(expr.as_ordered_terms()):
            parts = _pieces(term, names, width)
            if k > 0:
                parts[0] = _sign_join(parts[0])
            out.extend(parts)
        return out
    if isinstance(expr, sympy.Pow) and isinstance(expr.base, sympy.Add) and expr.exp.is_Integer:
        parts = _pieces(expr.base, names, width)
        parts[0] = r"\Bigl(" + parts[0]
        parts[-1] += r"\Bigr)^{%s}" % expr.exp
        return parts
    return [whole]


def display_lines(expr: Any, names: dict | None = None, width: int = LINE_WIDTH) -> list[str]:
    r"""The LaTeX of ``expr`` broken into display lines of about ``width`` visible characters.

    Sums are broken between terms (inside parentheses too); at most
    :data:`MAX_LINES` lines are returned, the last one saying how many terms were left out.

    >>> import sympy
    >>> display_lines(sympy.Symbol("x") + 1)
    ['x + 1']
    """
    names = names or {}
    pieces = _pieces(sympy.sympify(expr), names, width)
    lines: list[str] = []
    for piece in pieces:
        if lines and visible_width(lines[-1] + piece) <= width:
            lines[-1] += " " + piece
        else:
            lines.append(piece)
    if len(lines) > MAX_LINES:
        left = len(lines) - MAX_LINES + 1
        lines = [*lines[: MAX_LINES - 1], r"+ \cdots \quad \text{(%d more lines of terms)}" % left]
    return lines


def aligned_display(left: str, expr: Any, names: dict | None = None, width: int = LINE_WIDTH) -> str:
    """A display ``left = expr`` (an ``align*``, so it may break across pages), broken over lines.

    Every line starts after ``left =``, so the room for the expression is ``width`` less the
    width of ``left``; a long ``left`` goes on a line of its own.
    """
    room = width - visible_width(left) - 3
    if room < width // 2:
        lines = display_lines(expr, names, width - 4)
        rows = [f"&{left} \\\\ &\\quad = {lines[0]}"] + [r"&\qquad " + line for line in lines[1:]]
    else:
        lines = display_lines(expr, names, int(room))
        rows = [f"{left} &= {lines[0]}"] + [r"&\quad " + line for line in lines[1:]]
    # align* (not aligned inside \[ \]): a long display may break across pages (\allowdisplaybreaks)
    return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}"


# -- numbers --------------------------------------------------------------------------


def _decimal_length(n: int) -> int:
    """The number of decimal digits of ``n > 0``, without ``str`` (limited to 4300 digits in Python)."""
    length = max(1, int((n.bit_length() - 1) * 0.30102999566))
    while 10**length <= n:
        length += 1
    return length


def decimal_bound(value: sympy.Rational, digits: int, direction: str) -> str:
    r"""``value`` with ``digits`` significant digits, rounded ``"down"`` or ``"up"`` (outward rounding).

    >>> decimal_bound(sympy.Rational(-123456, 10**10), 3, "down")
    '-1.24 \\times 10^{-5}'
    """
    value = sympy.Rational(value)
    if value == 0:
        return "0"
    p, q = abs(int(value.p)), int(value.q)
    exponent = _decimal_length(p) - _decimal_length(q)
    if p * 10 ** max(-exponent, 0) < q * 10 ** max(exponent, 0):
        exponent -= 1  # now 10^exponent <= |value| < 10^(exponent + 1)
    shift = digits - 1 - exponent
    scaled = sympy.Rational(p * 10 ** max(shift, 0), q * 10 ** max(-shift, 0))
    up = (direction == "up") == (value > 0)
    mantissa = int(sympy.ceiling(scaled)) if up else int(sympy.floor(scaled))
    if mantissa >= 10**digits:  # rounding carried into a new digit
        mantissa //= 10
        exponent += 1
        shift -= 1
        if up and mantissa * 10 < scaled:
            mantissa += 1
    sign = "-" if value < 0 else ""
    text = str(mantissa)
    if -4 <= exponent < 6:
        if shift <= 0:
            body = text + "0" * (-shift)
        else:
            text = text.rjust(shift + 1, "0")
            body = text[:-shift] + "." + text[-shift:]
        return sign + body
    body = text[0] + ("." + text[1:] if len(text) > 1 else "")
    return sign + body + r" \times 10^{%d}" % exponent


def interval_latex(bounds: tuple[sympy.Rational, sympy.Rational], digits: int = 12) -> str:
    r"""``[a, b]`` with ``digits`` significant digits, rounded outward.

    The printed interval contains the enclosure, hence the true value.

    >>> interval_latex((sympy.Rational(1, 3), sympy.Rational(1, 2)), 3)
    '\\left[0.333,\\ 0.500\\right]'
    """
    low, high = bounds
    return r"\left[%s,\ %s\right]" % (
        decimal_bound(low, digits, "down"),
        decimal_bound(high, digits, "up"),
    )


# -- points, network, loss -----------------------------------------------------------------


def _matrix(rows: list[list[Any]]) -> str:
    body = r" \\ ".join(" & ".join(sympy.latex(v) for v in row) for row in rows)
    return r"\begin{pmatrix} %s \end{pmatrix}" % body


def point_latex(point: Point, max_entries: int = 48) -> str:
    r"""The exact values of ``point``, one matrix per weight, biases as transposed rows.

    >>> from symcert import MLP
    >>> print(point_latex(MLP((1, 1)).point(W1=[["1/2"]], b1=[0])))
    W^{(1)} = \begin{pmatrix} \frac{1}{2} \end{pmatrix},\quad b^{(1)} = \begin{pmatrix} 0 \end{pmatrix}^{\top}
    """
    parts = []
    for l, layer in enumerate(point.layers, start=1):
        rows = [list(row) for row in layer.weights]
        if sum(len(r) for r in rows) > max_entries:
            parts.append(
                r"W^{(%d)} \in \mathbb{Q}^{%d \times %d}\ \text{(in the certificate)}"
                % (l, len(rows), len(rows[0]))
            )
        else:
            parts.append(r"W^{(%d)} = %s" % (l, _matrix(rows)))
        if layer.biases is not None:
            if len(layer.biases) > max_entries:
                parts.append(r"b^{(%d)} \in \mathbb{Q}^{%d}" % (l, len(layer.biases)))
            else:
                parts.append(r"b^{(%d)} = %s^{\top}" % (l, _matrix([list(layer.biases)])))
    return r",\quad ".join(parts)
