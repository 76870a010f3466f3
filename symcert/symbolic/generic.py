r"""The width-generic permutation lemma: a sum over hidden units does not depend on their order.

For a hidden layer of symbolic width ``n`` with incoming weights ``w_j``,
biases ``b_j`` and outgoing weights ``v_j``, and any permutation ``pi`` of
``{1, ..., n}``:

.. math:: \sum_{j=1}^{n} v_{\pi(j)} \sigma(w_{\pi(j)} x + b_{\pi(j)}) = \sum_{k=1}^{n} v_k \sigma(w_k x + b_k)

by reindexing ``k = pi(j)``. The derivation is written with SymPy ``Sum`` and
``Indexed``; :meth:`PermutationLemma.check_instances` also checks every
permutation of every width up to a bound, exactly.

>>> lemma = permutation_lemma()
>>> lemma.statement
Eq(Sum(sigma(x*w[pi(j)] + b[pi(j)])*v[pi(j)], (j, 1, n)), Sum(sigma(x*w[k] + b[k])*v[k], (k, 1, n)))
>>> lemma.check_instances(3)
{1: 1, 2: 2, 3: 6}
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sympy

from symcert.display import Displayed
from symcert.symbolic.lemmas import SIGMA

__all__ = ["PermutationLemma", "permutation_lemma"]

n = sympy.Symbol("n", integer=True, positive=True)
j, k = sympy.symbols("j k", integer=True, positive=True)
x = sympy.Symbol("x", real=True)
v, w, b = sympy.IndexedBase("v"), sympy.IndexedBase("w"), sympy.IndexedBase("b")
pi = sympy.Function("pi")


def _unit_sum(index_map: Callable[[Any], Any], index: sympy.Symbol, width: sympy.Expr) -> sympy.Sum:
    i = index_map(index)
    return sympy.Sum(v[i] * SIGMA(w[i] * x + b[i]), (index, 1, width))


@dataclass(frozen=True)
class PermutationLemma(Displayed):
    """The general statement, its derivation steps ``(text, expression)`` and an exact instance check."""

    statement: sympy.Eq
    steps: tuple[tuple[str, sympy.Basic], ...]

    def check_instances(self, max_width: int = 4) -> dict[int, int]:
        """Check the identity exactly for every permutation of widths ``1..max_width``.

        Returns ``{width: permutations checked}``; raises ``AssertionError`` if
        an instance fails (it cannot: finite sums are reordered exactly).
        """
        checked = {}
        for width in range(1, max_width + 1):
            plain = _unit_sum(lambda i: i, k, width).doit()
            count = 0
            for perm in itertools.permutations(range(1, width + 1)):
                table = dict(zip(range(1, width + 1), perm))
                permuted = sympy.Add(
                    *[v[table[i]] * SIGMA(w[table[i]] * x + b[table[i]]) for i in range(1, width + 1)]
                )
                if permuted != plain:
                    raise AssertionError(f"permutation {perm} changed the sum: {permuted} != {plain}")
                count += 1
            checked[width] = count
        return checked


def permutation_lemma() -> PermutationLemma:
    """The permutation lemma for a hidden layer of symbolic width ``n``."""
    permuted = _unit_sum(pi, j, n)
    plain = _unit_sum(lambda i: i, k, n)
    steps = (
        (
            "The layer's contribution to the next pre-activation is a sum over its n units",
            sympy.Eq(sympy.Function("h")(x), plain),
        ),
        (
            "A permutation pi of {1, ..., n} moves unit pi(j) to position j: "
            "w_j -> w_pi(j), b_j -> b_pi(j), v_j -> v_pi(j)",
            permuted,
        ),
        (
            "Reindex with k = pi(j): pi is a bijection of {1, ..., n}, and a finite sum "
            "does not depend on the order of its terms (addition is commutative and associative)",
            sympy.Eq(permuted, plain),
        ),
        (
            "Every later layer sees the same value, so the output, and the loss, which depends on "
            "the parameters only through the outputs and a sum of squared weights (reindexed the "
            "same way), are unchanged",
            sympy.Eq(
                sympy.Function("L")(sympy.Symbol("theta_pi")), sympy.Function("L")(sympy.Symbol("theta"))
            ),
        ),
    )
    return PermutationLemma(sympy.Eq(permuted, plain), steps)
