r"""LaTeX for a certified permutation saddle: a critical point, lifted, with its inertia (data in, text out).

>>> from symcert import certify_saddle
>>> from symcert.symbolic.saddle_example import saddle_example
>>> e = saddle_example()
>>> result = certify_saddle(e.loss, e.approx, e.layer, e.unit, e.lam)
>>> r"\begin{theorem}" in saddle_to_latex(result)
True
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from symcert.printing.text.results import _outward

__all__ = ["saddle_to_latex"]


def _num(value: Any, digits: int = 6) -> str:
    return f"{float(value):.{digits}g}"


def _exact(value: Any) -> str:
    r"""An exact rational in LaTeX: a power of two as ``2^{k}``, else a fraction (or an integer).

    >>> _exact(Fraction(1, 4398046511104)), _exact(Fraction(3, 8)), _exact(5)
    ('2^{-42}', '\\frac{3}{8}', '5')
    >>> _exact(Fraction(3, 2**40))
    '3 \\cdot 2^{-40}'
    """
    q = Fraction(str(value)) if not isinstance(value, (int, Fraction)) else Fraction(value)
    p, d = q.numerator, q.denominator
    if p > 0 and d & (d - 1) == 0 and p & (p - 1) == 0 and (p == 1 or d == 1):
        k = p.bit_length() - d.bit_length()
        return f"2^{{{k}}}" if k < 0 or k > 10 else str(p)
    if d > 1024 and d & (d - 1) == 0:  # a dyadic: p 2^{-m}
        return rf"{p} \cdot 2^{{{1 - d.bit_length()}}}"
    return str(p) if d == 1 else rf"\frac{{{p}}}{{{d}}}"


def _vector(values: Sequence[Any], digits: int) -> str:
    return r"\bigl(" + r",\allowbreak ".join(_num(v, digits) for v in values) + r"\bigr)"


def _stated(result: Any) -> str:
    """The certificate's (wider) eigenvalue claims, which the checker re-proves, when it states them."""
    claims = result.claims if hasattr(result, "claims") else {}
    if "lambda_min" not in claims:
        return ""
    lo, hi = claims["lambda_min"]
    return (
        rf" The certificate states the wider $\lambda_{{\min}} \in {_outward(lo, hi)}$, leaving the "
        r"independent checker room for its own enclosure."
    )


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
        rf"$c \approx {centre}$ (its exact dyadic coordinates are in the certificate), "
        rf"$r = {_exact(narrow.radius)}$. Duplicating unit {result.unit + 1} of hidden "
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
        rf"(margin $\approx {_num(narrow.margin, 3)}$), so $\nabla L$ has exactly one zero in $X$.",
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
        if inertia.lambda_min is not None:
            proof.append(
                rf"\emph{{Eigenvalues.}} Residual bounds of floating-point eigenpairs, in interval "
                rf"arithmetic over the lifted box and pinned by the inertia, give "
                rf"$\lambda_{{\min}} \in {_outward(*inertia.lambda_min)}$"
                + (
                    rf" and the smallest positive eigenvalue in "
                    rf"${_outward(*inertia.lambda_min_positive)}$."
                    if inertia.lambda_min_positive is not None
                    else "."
                )
                + _stated(result)
            )
        if inertia.dHd is not None:
            proof.append(
                rf"\emph{{Witness.}} A rational direction $d$ has $d^\top \nabla^2 L'\, d \in "
                rf"{_outward(*inertia.dHd)}$ (rounded outward) over the whole lifted box, so the "
                rf"critical "
                r"point is not a local minimum."
            )
    proof.append(r"\end{proof}")
    return "\n".join([*body, "", *proof]) + "\n"
