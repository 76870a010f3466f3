r"""LaTeX for ``barrier`` certificates: the statement, the partition of ``[0, 1]``, the witness.

A barrier certificate (:func:`symcert.certify_barrier`) becomes a ``theorem`` (the barrier lies in
``[lo, hi]``) and a ``proof``: the network and loss, the two exact points (small ones printed, large
ones referred to the certificate), the enclosures of ``L(A)`` and ``L(B)``, the pieces of the partition
with their rigorous upper bounds (and how each was obtained), and the witness ``t`` whose certified
value gives the lower end. Every number is rounded outward, so the printed intervals still contain
the true values.

>>> from symcert import certify_barrier, default_example
>>> ex = default_example()
>>> cert = certify_barrier(ex.loss, ex.teacher, ex.element(ex.teacher)).certificate()
>>> text = barrier_to_latex(cert)
>>> r"\begin{theorem}[Loss barrier]" in text and "pieces" in text
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sympy

from symcert.printing.latex.display import decimal_bound, interval_latex, point_latex
from symcert.printing.latex.model import loss_latex, loss_phrase, network_latex

if TYPE_CHECKING:
    from symcert.proofs.certificates import Certificate

__all__ = ["barrier_to_latex"]

#: Pieces listed one by one; beyond this, the largest bounds and a count.
LISTED_PIECES = 24
#: Points printed entry by entry up to this many parameters.
PRINTED_PARAMETERS = 40


def _chord(form: str) -> str:
    if form == "midpoint":
        return r"c(t) = \tfrac{1}{2}\bigl(L(A) + L(B)\bigr)"
    return r"c(t) = (1 - t) L(A) + t L(B)"


def _inline(value: sympy.Rational) -> str:
    """A rational for running text: ``37/64`` rather than a stacked fraction."""
    return str(value.p) if value.q == 1 else "%d/%d" % (value.p, value.q)


def _loss_words(loss) -> str:
    r"""The loss in LaTeX prose, its weight decay (a long exact rational when it comes from a float,
    such as scikit-learn's alpha/(2n)) as mathematics with a 10-digit decimal rather than a raw fraction.

    >>> from symcert import MLP, Dataset, Loss
    >>> net = MLP((1, 1))
    >>> _loss_words(Loss(net, Dataset([[0]], [[1]]), "mse", weight_decay=1e-4 / 200)).split(" with ")[-1]
    '$\\lambda \\approx 5.000000000 \\times 10^{-7}$'
    """
    decay = sympy.Rational(loss.weight_decay) if loss.weight_decay else sympy.Integer(0)
    if decay == 0:
        return loss_phrase(loss)
    phrase = loss_phrase(loss).split(r" with weight decay $\lambda")[0]
    exact = sympy.latex(decay)
    if len(str(decay.p)) + len(str(decay.q)) <= 12:
        shown = r"= %s" % exact
    else:  # a reading aid: the exact value is in the certificate
        mantissa, exponent = f"{float(decay):.9e}".split("e")
        shown = r"\approx %s \times 10^{%d}" % (mantissa, int(exponent))
    return r"%s plus $\lambda \sum_{w \in \text{weights}} w^2$ with $\lambda %s$" % (phrase, shown)


def barrier_to_latex(
    certificate: Certificate, digits: int = 12, *, context: bool = True, label: str | None = None
) -> str:
    """A ``theorem``/``proof`` fragment for a barrier certificate (see the module docstring)."""
    loss, params = certificate.loss, certificate.parameters
    lo, hi = certificate.enclosures["barrier"]
    form = params.get("form", "entezari")
    head = r"\begin{theorem}[Loss barrier]"
    if label:
        head += r"\label{%s}" % label
    lines = [
        head,
        r"For the %s, the points $A$, $B$ below and $\varphi(t) = L\bigl((1-t)A + tB\bigr)$, $%s$,"
        % (_loss_words(loss), _chord(form)),
        r"\[ \sup_{t \in [0, 1]} \bigl(\varphi(t) - c(t)\bigr) \in %s. \]" % interval_latex((lo, hi), digits),
        r"\end{theorem}",
        r"\begin{proof}",
    ]
    if certificate.status != "proved":
        lines.insert(
            4,
            r"\noindent(Status \emph{%s}: a cap on pieces or time was reached; the enclosure is still "
            r"rigorous, but wider than asked.)" % certificate.status,
        )
    if context:
        lines += [_heading("The network and the loss"), network_latex(loss.mlp), "", loss_latex(loss)]
    lines.append(_heading("The points"))
    assert certificate.B is not None  # a barrier certificate has its B
    if loss.mlp.n_parameters <= PRINTED_PARAMETERS:
        lines.append(
            r"All coordinates are exact rationals. \[ A:\quad %s \] \[ B:\quad %s \]"
            % (point_latex(certificate.A), point_latex(certificate.B))
        )
    else:
        lines.append(
            r"$A$ and $B$ have %d exact rational coordinates each (the trained weights, converted exactly); "
            r"they are stored in the certificate." % loss.mlp.n_parameters
        )
    if certificate.A == certificate.B:
        lines += [
            r"$B = A$ exactly, so $\varphi$ is constant and the barrier is exactly $0$.",
            r"\end{proof}",
        ]
        return "\n".join(lines)
    lines += [
        _heading("The ends"),
        r"Interval arithmetic with outward rounding from the exact points gives",
        r"\begin{align*} L(A) &\in %s \\ L(B) &\in %s \end{align*}"
        % tuple(interval_latex(certificate.enclosures[k], digits) for k in ("L(A)", "L(B)")),
        r"and the chord is bounded below by the same expression with the lower ends.",
    ]
    lines += _pieces(certificate, digits)
    witness = params.get("witness", 0)
    lines += [
        _heading("The lower end"),
        (
            r"At $t = 0$, $\varphi(0) - c(0) = 0$ exactly, so the barrier is at least $0$."
            if form == "entezari" and lo <= 0
            else r"At the exact point $t = %s$, the certified enclosure of $\varphi(t) - c(t)$ starts "
            r"at or above $%s$, so the barrier is at least that."
            % (_inline(sympy.Rational(witness)), decimal_bound(lo, digits, "down"))
        ),
        r"\end{proof}",
    ]
    return "\n".join(lines)


def _pieces(certificate: Certificate, digits: int) -> list[str]:
    pieces = [tuple(sympy.Rational(v) for v in piece) for piece in certificate.parameters["pieces"]]
    smooth = certificate.loss.mlp.activation.smooth
    how = (
        r"the smallest of three rigorous bounds of $u = \varphi - c$ on the piece: the range of "
        r"$\varphi$ over it minus the chord's least value, the mean-value form from the two ends with "
        r"the range of $\varphi'$, and the Taylor form from the two ends, $u(t_0) + u'(t_0)s + M s^2/2$ "
        r"and $u(t_1) - u'(t_1)(w - s) + M (w-s)^2/2$ with $M \ge \varphi''$ on the piece (their "
        r"smaller value, maximised over $0 \le s \le w$ exactly)"
        if smooth
        else r"the range of $\varphi$ over the piece minus the chord's least value"
    )
    top = sorted(pieces, key=lambda p: -p[2])
    listed = pieces if len(pieces) <= LISTED_PIECES else sorted(top[:8])

    def item(piece: tuple) -> str:
        t0, t1, upper = piece
        return r"$[%s, %s]$: $%s$" % (sympy.latex(t0), sympy.latex(t1), decimal_bound(upper, digits, "up"))

    intro = (
        r"The %d pieces below partition $[0, 1]$. On each, %s, is at most the number shown:"
        % (len(pieces), how)
        if listed is pieces
        else r"%d pieces partition $[0, 1]$ (all in the certificate). On each, %s, is at most its listed "
        r"bound; the %d largest bounds are:" % (len(pieces), how, len(listed))
    )
    return [
        _heading("The upper end"),
        intro,
        "; ".join(item(p) for p in listed) + ".",
        r"So $\varphi(t) - c(t) \le %s$ for every $t \in [0, 1]$." % decimal_bound(top[0][2], digits, "up"),
    ]


def _heading(title: str) -> str:
    return r"\par\medskip\noindent\textbf{%s.}" % title
