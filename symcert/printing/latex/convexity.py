r"""LaTeX for convexity proofs: the Hessian of linear and logistic regression as a Gram matrix,
summed over the data points, each term defined once.

>>> from symcert import MLP, Dataset, Loss, prove_convexity
>>> loss = Loss(MLP((1, 1), "identity"), Dataset([[0], [1]], [[1], [2]]), "mse")
>>> r"\begin{theorem}[Convexity of linear regression]" in convexity_to_latex(prove_convexity(loss))
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sympy

from symcert.printing.latex.certificate import _heading
from symcert.printing.latex.display import escape
from symcert.printing.latex.model import loss_latex, loss_phrase, network_latex
from symcert.printing.latex.names import symbol_names

if TYPE_CHECKING:
    from symcert.proofs.convexity import ConvexityProof

__all__ = ["convexity_repr_latex", "convexity_to_latex"]


def convexity_repr_latex(proof: ConvexityProof) -> str:
    """One MathJax display for notebooks: the Gram form of the Hessian, or why it was not proved."""
    if not proof.proved:
        return r"$\text{convexity not proved}$"
    return (
        r"$\displaystyle \nabla^2 L(\theta) = \sum_{i,k} c_{ik}(\theta) J_{ik} J_{ik}^{\top} + 2\lambda D "
        r"\succeq 0 \ \Rightarrow\ L \text{ is convex}$"
    )


def convexity_to_latex(proof: ConvexityProof, *, context: bool = True, label: str | None = None) -> str:
    """The Gram-matrix argument as a ``theorem``/``proof`` (or the reason it does not apply).

    The Hessian is shown as a sum over the data points, each term defined once: the
    weight ``c_i`` and the constant gradient ``J_i`` of the pre-activation ``z_i``.
    """
    if not proof.proved:
        return _heading("Convexity not proved") + " %s." % _sentence(escape(proof.reason))
    loss = proof.loss
    constant = loss.function.constant_curvature
    curvature = loss.function.curvature
    assert curvature is not None  # the Gram form proved it: a diagonal curvature
    model = loss.function.convex_model
    head = r"\begin{theorem}[Convexity of %s]" % model + (r"\label{%s}" % label if label else "")
    subject = r"The %s" % loss_phrase(loss) if context else r"The loss $L$"
    lines = [head, r"%s is convex." % subject, r"\end{theorem}", r"\begin{proof}"]
    if context:
        lines += [network_latex(loss.mlp), "", loss_latex(loss)]
    multi = loss.mlp.widths[-1] > 1
    ik = "ik" if multi else "i"
    weight = (
        r"c_{%s}(\theta) = \tfrac{1}{N}\,\frac{e^{z_{%s}}}{(1 + e^{z_{%s}})^2} > 0" % (ik, ik, ik)
        if not constant
        else r"c_{%s} = %s > 0" % (ik, sympy.latex(curvature(None) * loss.scale))
    )
    lines += [
        _heading(r"The model is linear in $\theta$")
        + r" Without a hidden layer, the pre-activation $z_{%s}(\theta)$ of %s at the data point $x_i$ "
        r"is linear in $\theta$, so its gradient $J_{%s} = \nabla_\theta z_{%s}$ is a constant vector."
        % (ik, "output $k$" if multi else "the output", ik, ik),
        _heading("The Hessian is a Gram matrix")
        + r" SymPy computes the Hessian of $L$ exactly and checks, entry by entry, that the difference "
        r"from the following sum cancels to $0$:",
        r"\[ \nabla^2 L(\theta) = \sum_{%s} c_{%s}(\theta)\, J_{%s} J_{%s}^{\top}%s,\qquad %s. \]"
        % (
            "i,k" if multi else "i=1}^{N",
            ik,
            ik,
            ik,
            r" + 2\lambda D" if loss.weight_decay else "",
            weight,
        ),
    ]
    if loss.weight_decay:
        lines.append(
            r"with $D$ the diagonal matrix with $1$ for each weight and $0$ for each bias, and "
            r"$\lambda = %s$." % sympy.latex(loss.weight_decay)
        )
    lines += _gram_terms(loss)
    lines += [
        _heading("Positive semidefinite") + r" For every vector $v$, "
        r"\[ v^{\top} \nabla^2 L(\theta)\, v = \sum_{%s} c_{%s}(\theta) (J_{%s} \cdot v)^2%s \ \ge\ 0. \]"
        % ("i,k" if multi else "i", ik, ik, r" + 2\lambda \sum_{w} v_w^2" if loss.weight_decay else ""),
        r"A twice differentiable function on $\mathbb{R}^p$ whose Hessian is positive semidefinite "
        r"everywhere is convex. Hence $L$ is convex.",
        r"\end{proof}",
    ]
    return "\n".join(lines)


def _sentence(text: str) -> str:
    """``text`` with a capital first letter."""
    return text[:1].upper() + text[1:]


#: Gram terms written out one by one up to this many data points and parameters.
_SHOWN_GRAM_POINTS, _SHOWN_GRAM_PARAMETERS = 4, 3


def _gram_terms(loss: Any) -> list[str]:
    """The sum written out for a small model: each point's ``z_i``, ``J_i`` and ``J_i J_i^T``."""
    from symcert.printing.latex.model import forward_pre_activations, input_symbols

    mlp = loss.mlp
    names = symbol_names(mlp)
    symbols = list(mlp.symbols)
    if mlp.widths[-1] > 1 or loss.data.n_points > _SHOWN_GRAM_POINTS:
        return []
    xs, _ = input_symbols(mlp)
    (z,) = forward_pre_activations(mlp, xs)
    parameters = r"\theta = (%s)" % ", ".join(names[s] for s in symbols)
    rows, terms = [], []
    for i, x in enumerate(loss.data.xs, start=1):
        zi = z.xreplace(dict(zip(xs, x)))
        J = sympy.Matrix([sympy.diff(zi, s) for s in symbols])
        rows.append(
            r"z_{%d} &= %s, & J_{%d} &= %s^{\top}"
            % (i, sympy.latex(zi, symbol_names=names), i, sympy.latex(J.T, mat_delim="("))
        )
        terms.append((i, J * J.T))
    out = [
        r"Here $%s$ and, point by point," % parameters,
        "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}",
    ]
    if len(symbols) <= _SHOWN_GRAM_PARAMETERS:
        constant = loss.function.constant_curvature
        summands = [
            r"%s %s" % ("" if constant else r"c_{%d}(\theta)" % i, sympy.latex(G, mat_delim="("))
            for i, G in terms
        ]
        decay = sympy.diag(*[2 * loss.weight_decay if v.name.startswith("W") else 0 for v in symbols])
        extra = r" + 2\lambda D" if loss.weight_decay else ""
        if constant:
            weight = loss.function.curvature(None) * loss.scale
            total = sum((G for _, G in terms), sympy.zeros(len(symbols), len(symbols))) * weight
            out.append(
                r"so \[ \nabla^2 L = %s \bigl(%s\bigr)%s = %s. \]"
                % (
                    sympy.latex(weight),
                    " + ".join(summands),
                    extra,
                    sympy.latex(total + decay, mat_delim="("),
                )
            )
        else:
            out.append(r"so \[ \nabla^2 L(\theta) = %s%s. \]" % (" + ".join(summands), extra))
    return out
