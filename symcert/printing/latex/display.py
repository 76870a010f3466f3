r"""Readable LaTeX for the pieces every derivation shows: expressions broken over lines,
exact points, enclosures rounded outward, the network and its loss per data point.

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

from symcert.printing.latex.names import symbol_names

if TYPE_CHECKING:
    from symcert.symbolic.losses import Loss
    from symcert.symbolic.network import MLP
    from symcert.symbolic.point import Point

__all__ = [
    "escape",
    "visible_width",
    "display_lines",
    "aligned_display",
    "decimal_bound",
    "interval_latex",
    "point_latex",
    "network_latex",
    "loss_latex",
    "loss_phrase",
    "network_phrase",
    "input_symbols",
    "MAX_LINES",
]

#: Display lines shown for one expression before the rest is summarised.
MAX_LINES = 14
#: Visible characters per display line (a rough measure of rendered width).
LINE_WIDTH = 56
#: Data points whose loss terms are written out in full.
SHOWN_POINTS = 3


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


def input_symbols(mlp: MLP) -> tuple[list[sympy.Symbol], dict]:
    """Input symbols ``x`` (or ``x_1, ..., x_d``) and their LaTeX names."""
    d = mlp.widths[0]
    xs = [sympy.Symbol("x" if d == 1 else f"x{k + 1}", real=True) for k in range(d)]
    return xs, {s: ("x" if d == 1 else f"x_{{{k + 1}}}") for k, s in enumerate(xs)}


def activation_latex(mlp: MLP) -> str:
    r"""The hidden activation's name as math (``\tanh``, ``\operatorname{relu}``)."""
    return mlp.activation.latex


def network_latex(mlp: MLP, closed_form_limit: int = 40) -> str:
    r"""The network: the layer recursion, and the closed form when it is short enough.

    >>> from symcert import MLP
    >>> r"\tanh" in network_latex(MLP((1, 2, 1)))
    True
    """
    act = activation_latex(mlp)
    out_act = mlp.output_activation.name
    L = mlp.depth
    outer = (r"%s\bigl(" % _out(out_act), r"\bigr)") if out_act != "identity" else ("", "")
    if L == 2:
        recursion = (
            r"a^{(1)} = \sigma\bigl(W^{(1)} x + b^{(1)}\bigr),\quad f(x;\theta) = %sW^{(2)} a^{(1)} + "
            r"b^{(2)}%s" % outer
        )
    elif mlp.hidden_layers:
        recursion = (
            r"a^{(0)} = x,\quad a^{(l)} = \sigma\bigl(W^{(l)} a^{(l-1)} + b^{(l)}\bigr)\ (l = 1, \dots, %d),"
            r"\quad f(x;\theta) = %sW^{(%d)} a^{(%d)} + b^{(%d)}%s" % (L - 1, outer[0], L, L - 1, L, outer[1])
        )
    else:
        recursion = r"f(x;\theta) = %sW^{(1)} x + b^{(1)}%s" % outer
    if not mlp.bias:
        recursion = re.sub(r" \+ b\^\{\((l|\d+)\)\}", "", recursion)
    text = [
        r"The %s has %d parameters $\theta$ and maps $\mathbb{R}^{%d} \to \mathbb{R}^{%d}$ by"
        % ("network" if mlp.hidden_layers else "model", mlp.n_parameters, mlp.widths[0], mlp.widths[-1]),
        r"\[ %s, \]" % recursion,
    ]
    if mlp.hidden_layers:
        text.append(r"with $\sigma = %s$ applied elementwise." % act)
    else:
        text[-1] = text[-1][:-4] + r". \]"
    xs, names = input_symbols(mlp)
    names = {**symbol_names(mlp), **names}
    if mlp.n_parameters <= closed_form_limit and mlp.widths[-1] <= 2:
        text.append("In closed form, with every parameter named,")
        outputs = forward_pre_activations(mlp, xs)
        for k, expr in enumerate(outputs):
            left = "f(x;\\theta)" if len(outputs) == 1 else "z_{%d}(x;\\theta)" % (k + 1)
            if out_act != "identity" and len(outputs) == 1:
                left = "z(x;\\theta)"
            text.append(aligned_display(left, expr, names))
        if out_act != "identity":
            text.append(r"and $f = %s(z)$." % _out(out_act))
    else:
        text.append(
            r"(With %d parameters the closed form is long; the derivation works with the recursion.)"
            % mlp.n_parameters
        )
    return "\n".join(text)


def forward_pre_activations(mlp: MLP, xs: list[sympy.Symbol]) -> list[sympy.Expr]:
    """The output layer's pre-activations ``z(x; theta)`` in closed form (real activation)."""
    from symcert.symbolic.network import forward

    return forward(mlp, mlp.symbols, xs, mlp.activation.sympy, list)


def _out(name: str) -> str:
    return {"identity": "", "sigmoid": r"\operatorname{sigmoid}", "softmax": r"\operatorname{softmax}"}[name]


_POINT_FORMULAS = {
    "mse": r"\ell_i(\theta) = \textstyle\sum_{k} \bigl(f_k(x_i;\theta) - y_{ik}\bigr)^2",
    "sse": r"\ell_i(\theta) = \textstyle\sum_{k} \bigl(f_k(x_i;\theta) - y_{ik}\bigr)^2",
    "bce": r"\ell_i(\theta) = \log\bigl(1 + e^{z_i}\bigr) - y_i z_i"
    r" = -\bigl(y_i \log f_i + (1 - y_i)\log(1 - f_i)\bigr)",
    "cross_entropy": r"\ell_i(\theta) = \log \textstyle\sum_{j} e^{z_{ij}} - \sum_k y_{ik} z_{ik}",
}


_LOSS_NAMES = {
    "mse": "mean squared error",
    "sse": "sum of squared errors",
    "bce": "binary cross-entropy",
    "cross_entropy": "cross-entropy",
}


def network_phrase(mlp: MLP) -> str:
    r"""The network in a few words of LaTeX prose (no parameter count: :func:`network_latex` gives it).

    >>> from symcert import MLP
    >>> network_phrase(MLP((1, 2, 1), "tanh"))
    '$\\tanh$ network with widths $1 \\to 2 \\to 1$'
    >>> network_phrase(MLP((2, 1), output_activation="sigmoid"))
    'logistic model with $2$ inputs'
    """
    if not mlp.hidden_layers:
        model = {"identity": "linear model", "sigmoid": "logistic model", "softmax": "softmax model"}
        d = mlp.widths[0]
        return "%s with $%d$ input%s" % (model[mlp.output_activation.name], d, "" if d == 1 else "s")
    widths = r" \to ".join(str(w) for w in mlp.widths)
    out = mlp.output_activation.name
    notes = ([] if out == "identity" else [r"%s output" % out]) + ([] if mlp.bias else ["no biases"])
    tail = " (%s)" % ", ".join(notes) if notes else ""
    return r"$%s$ network with widths $%s$%s" % (activation_latex(mlp), widths, tail)


def loss_phrase(loss: Loss) -> str:
    r"""The loss in a few words of LaTeX prose: its kind, the network, the number of data points.

    >>> from symcert import default_example
    >>> loss_phrase(default_example().loss)
    'mean squared error $L$ of the $\\tanh$ network with widths $1 \\to 2 \\to 1$ on $5$ data points'
    """
    text = r"%s $L$ of the %s on $%d$ data points" % (
        _LOSS_NAMES[loss.kind],
        network_phrase(loss.mlp),
        loss.data.n_points,
    )
    if loss.factor != 1:
        text = r"%s (times $%s$)" % (text, sympy.latex(loss.factor))
    if loss.weight_decay:
        text += r" with weight decay $\lambda = %s$" % sympy.latex(loss.weight_decay)
    return text


def loss_latex(loss: Loss, hidden: Any = None, symbol: str = "L", shown: int = SHOWN_POINTS) -> str:
    r"""The loss as ``scale * sum_i ell_i`` with a data table and the first per-point terms written out.

    ``hidden`` replaces the activation (proofs pass the abstract ``sigma``).

    >>> from symcert import default_example
    >>> text = loss_latex(default_example().loss)
    >>> r"\sum_{i=1}^{5}" in text and r"\ell_{1}(\theta)" in text
    True
    """
    n = loss.data.n_points
    scale = loss.scale
    factor = "" if scale == 1 else r"\frac{%d}{%d}" % (scale.p, scale.q)
    total = r"%s(\theta) = %s\sum_{i=1}^{%d} \ell_i(\theta)" % (symbol, factor, n)
    if loss.weight_decay:
        total += r" + %s \sum_{w \in \text{weights}} w^2" % sympy.latex(loss.weight_decay)
    names = dict(symbol_names(loss.mlp))
    formula = _POINT_FORMULAS[loss.kind]
    if loss.mlp.widths[-1] == 1 and loss.kind in ("mse", "sse"):
        formula = r"\ell_i(\theta) = \bigl(f(x_i;\theta) - y_i\bigr)^2"
    lines = [
        r"The loss is the %s over the $N = %d$ data points," % (_LOSS_NAMES[loss.kind], n),
        r"\[ %s,\qquad %s, \]" % (total, formula),
        _point_symbols(loss) + "on the exact data",
        _data_table(loss),
    ]
    terms = loss.terms(hidden)
    count = min(shown, n)
    lines.append(
        "Written out, each term is explicit in the parameters; the first %s:"
        % ("one" if count == 1 else f"{count}")
        if count < n
        else "Written out, the terms are:"
    )
    for i in range(count):
        lines.append(aligned_display(r"\ell_{%d}(\theta)" % (i + 1), terms[i], names))
    if count < n:
        rest = (
            r"$\ell_{%d}$ is" % n if count + 1 == n else r"$\ell_{%d}, \dots, \ell_{%d}$ are" % (count + 1, n)
        )
        lines.append(r"and %s the same with $x_i$ and $y_i$ from the table." % rest)
    return "\n".join(lines)


def _point_symbols(loss: Loss) -> str:
    """The per-point symbols of the loss formula, defined in words."""
    if loss.kind in ("bce", "cross_entropy"):
        k = "k" if loss.kind == "cross_entropy" else ""
        if k:
            return r"with $z_{ik} = z_k(x_i;\theta)$ the output pre-activations and $f_i = f(x_i;\theta)$, "
        return r"with $z_i = z(x_i;\theta)$ the output pre-activation and $f_i = f(x_i;\theta)$, "
    return ""


def _data_table(loss: Loss, max_rows: int = 12) -> str:
    data = loss.data
    teacher = data.teacher_of is not None
    if not any(v.free_symbols or not v.is_Rational for y in data.ys for v in y):
        return _rational_table(loss, max_rows)
    rows = []
    for i, (x, y) in enumerate(zip(data.xs, data.ys)):
        if i == max_rows:
            rows.append(r"\multicolumn{4}{c}{$\vdots$ (%d more)} \\" % (data.n_points - max_rows))
            break
        exact_y = ", ".join(sympy.latex(v) for v in y)
        approx = ", ".join(_approx(v) for v in y)
        rows.append(
            r"$%d$ & $%s$ & $%s$ & $%s$ \\" % (i + 1, ", ".join(sympy.latex(v) for v in x), exact_y, approx)
        )
    note = (
        r"\par\smallskip\footnotesize Targets from a teacher network: $y_i = f(x_i; T)$ exactly "
        r"(never rounded); the decimals are for reading only."
        if teacher
        else ""
    )
    return (
        "\\begin{center}\\begin{tabular}{cccc}\n\\toprule\n"
        r"$i$ & $x_i$ & $y_i$ (exact) & $y_i \approx$ \\ \midrule"
        + "\n"
        + "\n".join(rows)
        + "\n\\bottomrule\n\\end{tabular}"
        + note
        + "\\end{center}"
    )


def _rational_table(loss: Loss, max_rows: int) -> str:
    """The data when every target is rational: no decimal column."""
    rows = []
    for i, (x, y) in enumerate(zip(loss.data.xs, loss.data.ys)):
        if i == max_rows:
            rows.append(r"\multicolumn{3}{c}{$\vdots$ (%d more)} \\" % (loss.data.n_points - max_rows))
            break
        rows.append(
            r"$%d$ & $%s$ & $%s$ \\"
            % (i + 1, ", ".join(sympy.latex(v) for v in x), ", ".join(sympy.latex(v) for v in y))
        )
    return (
        "\\begin{center}\\begin{tabular}{ccc}\n\\toprule\n"
        r"$i$ & $x_i$ & $y_i$ \\ \midrule"
        + "\n"
        + "\n".join(rows)
        + "\n\\bottomrule\n\\end{tabular}\\end{center}"
    )


def _approx(value: sympy.Expr) -> str:
    number = sympy.N(value, 8)
    return sympy.latex(sympy.Float(number, 6)) if value.free_symbols == set() else sympy.latex(value)
