r"""LaTeX for the network and its loss: the closed form, the phrases that name them, the loss
per data point with its data table.

>>> from symcert import MLP
>>> network_phrase(MLP((1, 2, 1), "tanh"))
'$\\tanh$ network with widths $1 \\to 2 \\to 1$'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sympy

from symcert.printing.latex.display import aligned_display
from symcert.printing.latex.names import symbol_names

if TYPE_CHECKING:
    from symcert.symbolic.losses import Loss
    from symcert.symbolic.network import MLP

__all__ = [
    "activation_latex",
    "forward_pre_activations",
    "input_symbols",
    "loss_latex",
    "loss_phrase",
    "network_latex",
    "network_phrase",
    "SHOWN_POINTS",
]

#: Data points whose loss terms are written out in full.
SHOWN_POINTS = 3


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
    recursion, absent = _drop_biases(mlp, recursion)
    text = [
        r"The %s has %d parameters $\theta$ and maps $\mathbb{R}^{%d} \to \mathbb{R}^{%d}$ by"
        % ("network" if mlp.hidden_layers else "model", mlp.n_parameters, mlp.widths[0], mlp.widths[-1]),
        r"\[ %s, \]" % recursion,
    ]
    if absent:
        several = "," in absent
        text.append(
            r"where hidden layer%s %s ha%s no biases ($b^{(l)} = 0$ there),"
            % ("s" if several else "", absent, "ve" if several else "s")
        )
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


def _drop_biases(mlp: MLP, recursion: str) -> tuple[str, str]:
    r"""The recursion without the bias terms of the layers that have none, and (when only some hidden
    layers have biases, so that the generic ``b^{(l)}`` stays) those layers as LaTeX, else ``""``.

    >>> from symcert import MLP
    >>> _drop_biases(MLP((1, 2, 1), bias=(True, False)), r"\sigma(W^{(1)} x + b^{(1)}) + b^{(2)}")
    ('\\sigma(W^{(1)} x + b^{(1)})', '')
    """
    for l in range(1, mlp.depth + 1):
        if not mlp.has_bias(l):
            recursion = recursion.replace(r" + b^{(%d)}" % l, "")
    hidden = [l for l in mlp.hidden_layers if not mlp.has_bias(l)]
    if hidden and len(hidden) == len(mlp.hidden_layers):
        return recursion.replace(r" + b^{(l)}", ""), ""
    return recursion, ", ".join("$%d$" % l for l in hidden)


def forward_pre_activations(mlp: MLP, xs: list[sympy.Symbol]) -> list[sympy.Expr]:
    """The output layer's pre-activations ``z(x; theta)`` in closed form (real activation)."""
    from symcert.symbolic.network import forward

    return forward(mlp, mlp.symbols, xs, mlp.activation.sympy, list)


def _out(name: str) -> str:
    return {"identity": "", "sigmoid": r"\operatorname{sigmoid}", "softmax": r"\operatorname{softmax}"}[name]


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
    notes = ([] if out == "identity" else [r"%s output" % out]) + _bias_notes(mlp)
    tail = " (%s)" % ", ".join(notes) if notes else ""
    return r"$%s$ network with widths $%s$%s" % (activation_latex(mlp), widths, tail)


def _bias_notes(mlp: MLP) -> list[str]:
    """``["no biases"]``, ``["no biases in layer 2"]`` or nothing, for :func:`network_phrase`."""
    if all(mlp.biases):
        return []
    if not any(mlp.biases):
        return ["no biases"]
    without = [l for l in range(1, mlp.depth + 1) if not mlp.has_bias(l)]
    return [r"no biases in layer%s $%s$" % ("s" if len(without) > 1 else "", ", ".join(map(str, without)))]


def loss_phrase(loss: Loss) -> str:
    r"""The loss in a few words of LaTeX prose: its kind, the network, the number of data points.

    >>> from symcert import default_example
    >>> loss_phrase(default_example().loss)
    'mean squared error $L$ of the $\\tanh$ network with widths $1 \\to 2 \\to 1$ on $5$ data points'
    """
    text = r"%s $L$ of the %s on $%d$ data points" % (
        loss.function.description,
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
    formula = loss.function.latex
    if loss.mlp.widths[-1] == 1 and loss.function.latex_one_output:
        formula = loss.function.latex_one_output
    lines = [
        r"The loss is the %s over the $N = %d$ data points," % (loss.function.description, n),
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
    return loss.function.latex_symbols


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
