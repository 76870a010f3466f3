r"""LaTeX for the group's notation: elements as math (units 1-based in print) and in words, and the
width-generic permutation lemma.

>>> from symcert import swap
>>> element_latex(swap(1, 0, 1))
'\\mathrm{swap}^{(1)}_{1,2}'
"""

from __future__ import annotations

from functools import singledispatch
from typing import TYPE_CHECKING, Any

import sympy

from symcert.printing.latex.display import escape
from symcert.symbolic.elements import Flip, FlipIn, LayerSign, Rescale, Swap
from symcert.symbolic.permutations import Permutation, Product
from symcert.symbolic.translation import Translate

if TYPE_CHECKING:
    from symcert.symbolic.generic import PermutationLemma

__all__ = ["element_latex", "element_words", "permutation_lemma_repr_latex", "permutation_lemma_to_latex"]


@singledispatch
def element_latex(element: Any) -> str:
    r"""A group element as math: ``\mathrm{swap}_{1}(1, 2)`` (units 1-based in print), or its text.

    >>> from symcert import swap, flip, rescale
    >>> element_latex(swap(1, 0, 1)), element_latex(flip(1, 0))
    ('\\mathrm{swap}^{(1)}_{1,2}', '\\mathrm{flip}^{(1)}_{1}')
    >>> element_latex(rescale(1, 0, "3/2"))
    '\\mathrm{rescale}^{(1)}_{1}(\\tfrac{3}{2})'
    >>> from symcert import flip_in, layer_sign
    >>> element_latex(flip_in(1, 0)), element_latex(rescale(1, 0, 2, 2)), element_latex(layer_sign(1, 2))
    ('\\mathrm{flip}^{(1)}_{\\mathrm{in},1}', '\\mathrm{rescale}^{(1)}_{1}(2; k=2)', '\\mathrm{sign}_{1,2}')
    >>> from symcert import permutation, product
    >>> print(element_latex(product(flip(1, 0), permutation(1, (2, 0, 1)))))
    \mathrm{perm}^{(1)}_{(3,1,2)} \circ \mathrm{flip}^{(1)}_{1}
    """
    return r"\mathrm{%s}" % escape(repr(element))


@element_latex.register
def _(element: Swap) -> str:
    return r"\mathrm{swap}^{(%d)}_{%d,%d}" % (element.layer, element.i + 1, element.j + 1)


@element_latex.register
def _(element: Flip) -> str:
    return r"\mathrm{flip}^{(%d)}_{%d}" % (element.layer, element.unit + 1)


@element_latex.register
def _(element: FlipIn) -> str:
    return r"\mathrm{flip}^{(%d)}_{\mathrm{in},%d}" % (element.layer, element.unit + 1)


@element_latex.register
def _(element: LayerSign) -> str:
    return r"\mathrm{sign}_{%d,%d}" % (element.layer, element.last)


@element_latex.register
def _(element: Permutation) -> str:  # unit i of the image is unit source[i] (1-based in print)
    return r"\mathrm{perm}^{(%d)}_{(%s)}" % (element.layer, ",".join(str(s + 1) for s in element.source))


@element_latex.register
def _(element: Product) -> str:  # applied left to right: the last factor is written first
    return r" \circ ".join(element_latex(f) for f in reversed(element.factors)) or r"\mathrm{id}"


@element_latex.register
def _(element: Rescale) -> str:
    alpha = element.alpha
    value = str(alpha) if alpha.q == 1 else r"\tfrac{%d}{%d}" % (alpha.p, alpha.q)
    degree = "" if element.degree == 1 else "; k=%d" % element.degree
    return r"\mathrm{rescale}^{(%d)}_{%d}(%s%s)" % (element.layer, element.unit + 1, value, degree)


@singledispatch
def element_words(element: Any) -> str:
    r"""What a group element does, in words (units and layers 1-based), or ``""``.

    >>> from symcert import swap, flip, rescale
    >>> element_words(swap(1, 0, 1))
    'exchanges hidden units $1$ and $2$ of layer $1$ (their incoming weights, biases and outgoing weights)'
    """
    return ""


@element_words.register
def _(element: Swap) -> str:
    return (
        r"exchanges hidden units $%d$ and $%d$ of layer $%d$ (their incoming weights, biases and "
        r"outgoing weights)" % (element.i + 1, element.j + 1, element.layer)
    )


@element_words.register
def _(element: Flip) -> str:
    return r"negates the incoming weights, the bias and the outgoing weights of unit $%d$ of layer $%d$" % (
        element.unit + 1,
        element.layer,
    )


@element_words.register
def _(element: FlipIn) -> str:
    return r"negates the incoming weights and the bias of unit $%d$ of layer $%d$" % (
        element.unit + 1,
        element.layer,
    )


@element_words.register
def _(element: Rescale) -> str:
    alpha = sympy.latex(element.alpha)
    return (
        r"multiplies the incoming weights and the bias of unit $%d$ of layer $%d$ by $\alpha = %s$ "
        r"and its outgoing weights by $\alpha^{-%d}$"
        % (element.unit + 1, element.layer, alpha, element.degree)
    )


@element_words.register
def _(element: Permutation) -> str:
    return r"puts unit $%s$ of layer $%d$ in position $1, 2, \dots$ (in that order)" % (
        ", ".join(str(k + 1) for k in element.source),
        element.layer,
    )


_LEMMA_STEPS = (
    r"The layer's contribution to the next pre-activation is a sum over its $n$ units",
    r"A permutation $\pi$ of $\{1, \dots, n\}$ moves unit $\pi(j)$ to position $j$: "
    r"$w_j \mapsto w_{\pi(j)}$, $b_j \mapsto b_{\pi(j)}$, $v_j \mapsto v_{\pi(j)}$",
    r"Reindex with $k = \pi(j)$: $\pi$ is a bijection of $\{1, \dots, n\}$, and a finite sum does not "
    r"depend on the order of its terms (addition is commutative and associative)",
    r"Every later layer sees the same value, so the output is unchanged, and so is the loss, which depends "
    r"on the parameters only through the outputs and a sum of squared weights (reindexed the same way)",
)


def permutation_lemma_to_latex(lemma: PermutationLemma, checked: dict[int, int] | None = None) -> str:
    r"""The width-generic permutation lemma as a ``lemma``/``proof`` fragment.

    >>> from symcert import permutation_lemma
    >>> r"\sum_{j=1}^{n}" in permutation_lemma_to_latex(permutation_lemma())
    True
    """
    lines = [
        r"\begin{lemma}[Permutation invariance, any width]\label{lem:permutation}",
        r"For every width $n$ and every permutation $\pi$ of $\{1, \dots, n\}$:",
        r"\[ %s. \]" % sympy.latex(lemma.statement),
        r"\end{lemma}",
        r"\begin{proof}",
        r"\begin{enumerate}",
    ]
    texts = _LEMMA_STEPS if len(lemma.steps) == len(_LEMMA_STEPS) else [escape(t) for t, _ in lemma.steps]
    for text, (_, expr) in zip(texts, lemma.steps):
        lines.append(r"\item %s: \[ %s \]" % (text, sympy.latex(expr)))
    lines.append(r"\end{enumerate}")
    if checked:
        total = sum(checked.values())
        lines.append(
            r"As a check, the identity was verified exactly for all %d permutations of widths 1 to %d."
            % (total, max(checked))
        )
    lines.append(r"\end{proof}")
    return "\n".join(lines)


def permutation_lemma_repr_latex(lemma: PermutationLemma) -> str:
    r"""The lemma's statement as one MathJax display, for notebooks.

    >>> from symcert import permutation_lemma
    >>> permutation_lemma_repr_latex(permutation_lemma()).startswith(r"$\displaystyle")
    True
    """
    return r"$\displaystyle %s$" % sympy.latex(lemma.statement)


@element_latex.register
def _(element: Translate) -> str:
    outputs = "" if element.outputs is None else "_{%s}" % ",".join(str(k + 1) for k in element.outputs)
    return r"\mathrm{translate}%s(%s)" % (outputs, sympy.latex(element.shift))


@element_words.register
def _(element: Translate) -> str:
    which = (
        "every output bias"
        if element.outputs is None
        else "the output bias%s %s"
        % ("es" if len(element.outputs) > 1 else "", ", ".join("$%d$" % (k + 1) for k in element.outputs))
    )
    return r"adds $%s$ to %s" % (sympy.latex(element.shift), which)
