"""Canonical forms of expressions in the abstract activation ``sigma``.

:func:`canonicalize` rebuilds an expression bottom-up: every argument of
``sigma``, ``exp`` and ``log`` is expanded (a linear form in the layer below),
then the activation's lemmas put each ``sigma(u)`` in a normal form:

- homogeneous of degree ``k``: ``sigma(c p) -> c^k sigma(p)`` for the positive rational content
  ``c`` of ``u``;
- odd: ``sigma(u) -> -sigma(-u)`` when ``u`` has a leading minus sign;
- even: ``sigma(u) -> sigma(-u)`` when ``u`` has a leading minus sign;
- complement: ``sigma(u) -> 1 - sigma(-u)`` when ``u`` has a leading minus sign;
- at 0 they give ``sigma(0) = 0`` (odd, homogeneous) or ``sigma(0) = 1/2`` (complement).

``could_extract_minus_sign`` picks one of ``u`` and ``-u`` for every ``u``, so the
odd, even and complement rewrites map ``sigma(u)`` and ``sigma(-u)`` to the same atom.

Each rewrite is an identity, so two expressions with the same canonical form
are equal for every value of their symbols. The lemmas used are recorded.

>>> import sympy
>>> from symcert.symbolic.lemmas import SIGMA
>>> x, w = sympy.symbols("x w", real=True)
>>> uses = {}
>>> canonicalize(-2 * SIGMA(-3 * w * x), {"odd", "homogeneous"}, uses)
6*sigma(w*x)
>>> sorted(uses)
['homogeneous', 'odd']
>>> canonicalize(SIGMA(-3 * w * x), {"even", "homogeneous"}, {}, degree=2)
9*sigma(w*x)
"""

from __future__ import annotations

from collections.abc import Collection

import sympy

from symcert.symbolic.lemmas import SIGMA

__all__ = ["Canonicalizer", "canonicalize", "same_canonical_form"]

_EXPAND = dict(deep=True, mul=True, multinomial=True, power_exp=False, power_base=False, log=False)


class Canonicalizer:
    """Canonical forms with a fixed set of lemma keys; results are memoised across calls.

    ``used(expr)`` after ``form(expr)`` gives the lemma keys that fired inside ``expr``;
    ``degree`` is the ``k`` of the homogeneous lemma.
    """

    def __init__(self, lemmas: Collection[str], degree: int = 1) -> None:
        self.lemmas = frozenset(lemmas)
        self.degree = degree
        self._memo: dict[sympy.Basic, tuple[sympy.Basic, frozenset[str]]] = {}

    def form(self, expr: sympy.Expr) -> sympy.Expr:
        """The canonical form of ``expr``."""
        return self._visit(sympy.sympify(expr))[0]

    def used(self, expr: sympy.Expr) -> frozenset[str]:
        """The lemma keys used to canonicalise ``expr``."""
        return self._visit(sympy.sympify(expr))[1]

    def _visit(self, node: sympy.Basic) -> tuple[sympy.Basic, frozenset[str]]:
        known = self._memo.get(node)
        if known is not None:
            return known
        result: tuple[sympy.Basic, frozenset[str]]
        if not node.args or not (node.free_symbols or node.has(SIGMA)):
            result = (node, frozenset())
        else:
            visited = [self._visit(a) for a in node.args]
            args = [v[0] for v in visited]
            used = frozenset().union(*(v[1] for v in visited))
            if node.func == SIGMA:
                uses: dict[str, int] = {}
                rewritten = _normal_sigma(sympy.expand(args[0], **_EXPAND), self.lemmas, uses, self.degree)
                result = (rewritten, used | frozenset(uses))
            elif isinstance(node, (sympy.exp, sympy.log)):
                result = (node.func(sympy.expand(args[0], **_EXPAND)), used)
            elif all(a is b for a, b in zip(args, node.args)):
                result = (node, used)
            else:
                result = (node.func(*args), used)
        self._memo[node] = result
        return result


def canonicalize(
    expr: sympy.Expr, lemmas: Collection[str], uses: dict[str, int], degree: int = 1
) -> sympy.Expr:
    """The canonical form of ``expr`` using the lemma keys in ``lemmas``; ``uses`` counts lemmas used."""
    canonicalizer = Canonicalizer(lemmas, degree)
    form = canonicalizer.form(expr)
    for key in sorted(canonicalizer.used(expr)):
        uses[key] = uses.get(key, 0) + 1
    return form


def _normal_sigma(u: sympy.Expr, lemmas: frozenset[str], uses: dict[str, int], degree: int) -> sympy.Expr:
    coefficient = sympy.Integer(1)
    if u == 0:  # sigma(0) = -sigma(0) (odd), alpha sigma(0) (homogeneous) or 1 - sigma(0) (complement)
        for key, value in (("odd", 0), ("homogeneous", 0), ("complement", sympy.Rational(1, 2))):
            if key in lemmas:
                _count(uses, key)
                return sympy.sympify(value)
        return SIGMA(u)
    if "homogeneous" in lemmas:
        content, primitive = u.as_content_primitive()
        if content.is_Rational and content > 0 and content != 1:
            coefficient, u = content**degree, primitive
            _count(uses, "homogeneous")
    if lemmas & {"odd", "even", "complement"} and u.could_extract_minus_sign():
        if "odd" in lemmas:
            _count(uses, "odd")
            return -coefficient * SIGMA(-u)
        if "even" in lemmas:
            _count(uses, "even")
            return coefficient * SIGMA(-u)
        _count(uses, "complement")
        return coefficient * (1 - SIGMA(-u))
    return coefficient * SIGMA(u)


def _count(uses: dict[str, int], key: str) -> None:
    uses[key] = uses.get(key, 0) + 1


def same_canonical_form(left: sympy.Expr, right: sympy.Expr) -> tuple[bool, str]:
    """Decide whether two canonical forms agree: structurally, or after full expansion.

    Returns ``(agree, how)``. Both checks are exact; ``False`` means only that
    the forms differ (it is not a refutation).
    """
    if left == right:
        return True, "the two canonical forms are identical expressions"
    if sympy.expand(left - right, **_EXPAND) == 0:
        return True, "the two canonical forms expand to the same polynomial in the sigma terms"
    return False, "the canonical forms differ"
