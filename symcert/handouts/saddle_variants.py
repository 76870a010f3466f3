r"""Student variants of the ``permutation-saddles`` handout: other data, another split, their own numbers.

:func:`saddle_instance` draws, from a seed, six targets ``y`` (integers from -2 to 2, rising like a
step over ``x = -2..3``), finds an approximate minimiser of the 1-1-1 tanh network by a seeded
float search, and lifts it to 1-2-1 with the outgoing weight split ``lam`` (drawn from
:data:`LAMBDAS`, never 1/2). It keeps only instances where the whole argument is proved (the narrow
critical point by Krawczyk, the lift, a saddle by the certified inertia) and the answers are well
conditioned: the two lifted outgoing weights at least :data:`~symcert.handouts.variant_text.MARGIN`
from zero and apart, the loss at the critical point at least 1/20, and no answer printed in the
student's text. The exercises ask for Brea et al.'s count of lines of critical points for a width
``n`` (exact), the two outgoing weights of the lift and ``L(theta*)`` to three decimals.

>>> v = saddle_instance(17)
>>> v == saddle_instance(17) and v.result.proved and v.lam != sympy.Rational(1, 2)
True
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from fractions import Fraction

import sympy

from symcert.errors import SpecificationError
from symcert.handouts.base import Exercise, Handout
from symcert.handouts.variant_text import (
    MARGIN,
    exact_entry,
    interval_entry,
    key_section,
    outward_decimal,
    rational_latex,
    shows_answer,
)
from symcert.proofs.saddle import SaddleResult, certify_saddle
from symcert.symbolic.data import Dataset
from symcert.symbolic.losses import Loss
from symcert.symbolic.network import MLP
from symcert.symbolic.saddle_example import SADDLE_XS, SaddleExample

__all__ = [
    "LAMBDAS",
    "SaddleVariant",
    "saddle_instance",
    "saddle_exercises",
    "saddle_handout",
    "saddle_key_page",
]

#: The splits a variant may use: inside (0, 1) and outside [0, 1], never 1/2 (both copies equal).
LAMBDAS = tuple(sympy.Rational(p) for p in ("1/4", "1/3", "2/3", "3/4", "3/2", "-1/2"))
#: Candidates drawn per seed before giving up.
MAX_TRIES = 200
#: The wide coordinates of the outgoing weights of the old and the new unit (1-2-1: W1, b1, W2, b2).
_OLD, _NEW = 4, 5


@dataclass(frozen=True)
class SaddleVariant:
    """An instance: the example (loss, approximate minimiser, split), the certified saddle, the
    width ``n`` of the counting exercise and the certified ``L(theta*)``."""

    seed: int
    example: SaddleExample
    result: SaddleResult
    width: int
    loss_star: tuple[Fraction, Fraction]
    handout: str = "permutation-saddles"

    @property
    def lam(self) -> sympy.Rational:
        return self.example.lam

    @property
    def t0(self) -> sympy.Rational:
        """No curvature along a segment is asked (the common interface of variants)."""
        return sympy.Rational(1, 2)

    @property
    def lines(self) -> int:
        """Brea et al.'s count for width ``n``: ``C(n, 2) (n - 1) (n - 2)! = (n - 1) n! / 2``."""
        n = self.width
        return math.comb(n, 2) * (n - 1) * math.factorial(n - 2)

    def outgoing(self) -> tuple[tuple[Fraction, Fraction], tuple[Fraction, Fraction]]:
        """Enclosures of the outgoing weights of the old and the new unit at ``M_lam theta*`` (the
        lifted box)."""
        lo, hi = self.result.wide_lower, self.result.wide_upper
        return (Fraction(lo[_OLD]), Fraction(hi[_OLD])), (Fraction(lo[_NEW]), Fraction(hi[_NEW]))


def _draw(rng: random.Random) -> SaddleExample:
    ys = sorted(rng.randint(-2, 2) for _ in SADDLE_XS)
    loss = Loss(MLP((1, 1, 1), "tanh"), Dataset(SADDLE_XS, [[y] for y in ys]), "mse")
    from symcert.numeric.minima import locate_minimum

    approx = locate_minimum(loss, seed=rng.randrange(1000), refine=False).point
    return SaddleExample(loss, approx, 1, 0, rng.choice(LAMBDAS))


def _loss_star(result: SaddleResult) -> tuple[Fraction, Fraction]:
    """A rigorous enclosure of ``L`` over the narrow box (which holds ``theta*``)."""
    from symcert.numeric.engine.api import loss_range
    from symcert.numeric.engine.backends import ArbBackend

    narrow = result.narrow
    lo, hi = loss_range(ArbBackend(30), narrow.loss, narrow.lower, narrow.upper)
    return Fraction(lo), Fraction(hi)


def _conditioned(variant: SaddleVariant) -> bool:
    (a, b), (c, d) = variant.outgoing()
    apart = min(abs(a), abs(b), abs(c), abs(d)) >= MARGIN and (c - b >= MARGIN or a - d >= MARGIN)
    return apart and variant.loss_star[0] >= Fraction(1, 20)


def saddle_instance(seed: int) -> SaddleVariant:
    """The first well-conditioned candidate drawn from ``random.Random(seed)`` (see the module docstring)."""
    rng = random.Random(seed)
    for _ in range(MAX_TRIES):
        example = _draw(rng)
        width = rng.randint(4, 8)
        if len({y[0] for y in example.loss.data.ys}) < 3:  # a fit with at most two levels is too easy
            continue
        try:
            result = certify_saddle(example.loss, example.approx, 1, 0, example.lam, proof=False)
        except SpecificationError:  # the float search stopped far from a critical point: draw again
            continue
        if not (result.proved and result.verdict.startswith("saddle")):
            continue
        variant = SaddleVariant(seed, example, result, width, _loss_star(result))
        if not _conditioned(variant):
            continue
        student = saddle_handout(variant, seed, "").latex_body(solutions=False)
        if not any(shows_answer(student, entry) for entry in saddle_exercises(variant).values()):
            return variant
    raise AssertionError(f"no well-conditioned saddle instance for seed {seed}")  # pragma: no cover


def saddle_exercises(variant: SaddleVariant) -> dict[str, dict]:
    """The numeric answers in the grading key format (exact values, outward decimals beside them)."""
    (a, b), (c, d) = variant.outgoing()
    lo, hi = variant.loss_star
    return {
        "lines": exact_entry(
            Fraction(variant.lines),
            "Choose the two positions of the copies, the duplicated unit and the order of the others.",
        ),
        "v_old": interval_entry(a, b, "The old unit keeps lambda times the outgoing weight of c."),
        "v_new": interval_entry(c, d, "The new unit gets (1 - lambda) times the outgoing weight of c."),
        "L_star": interval_entry(
            lo,
            hi,
            "Evaluate the narrow network at c on the six points; L is the mean squared error.",
            points=2,
        ),
    }


def _exercise_texts(variant: SaddleVariant) -> tuple[Exercise, ...]:
    n, lam = variant.width, sympy.latex(variant.lam)
    (a, b), (c, d) = variant.outgoing()
    lo, hi = variant.loss_star

    def shown(lo: Fraction, hi: Fraction) -> str:
        return rf"[{outward_decimal(lo, 6, False)},\allowbreak {outward_decimal(hi, 6, True)}]"

    return (
        Exercise(
            rf"[\texttt{{lines}}] (Brea et al.'s counting.) Let $\theta^\ast$ be a critical point of a "
            rf"network whose hidden layer has ${n - 1}$ distinct units. How many lines of critical points "
            rf"of the network with $n = {n}$ hidden units arise by duplicating one unit of $\theta^\ast$ and "
            r"permuting the units?",
            rf"Choose the positions of the two copies ($\binom{{{n}}}{{2}}$ ways), the duplicated unit "
            rf"(${n - 1}$ ways) and the places of the other ${n - 2}$ units (${n - 2}!$ ways): "
            rf"$\binom{{{n}}}{{2}} \cdot {n - 1} \cdot {n - 2}! = \frac{{(n-1)\,n!}}{{2}} = {variant.lines}$ "
            r"lines.",
        ),
        Exercise(
            r"[\texttt{v\_old}, \texttt{v\_new}] For the lift above ($\lambda = %s$), compute to three "
            r"decimal places the outgoing weight of the old unit and of the new unit in "
            r"$M_\lambda\theta^\ast$, from the centre $c$ of the box (its third coordinate is the narrow "
            r"outgoing weight $W^{(2)}_{11}$)." % lam,
            rf"The old unit keeps $\lambda$ times the outgoing weight, the new one $1 - \lambda$ times it: "
            rf"${shown(a, b)}$ and ${shown(c, d)}$ (the lifted box). They add up to the narrow weight.",
        ),
        Exercise(
            r"[\texttt{L\_star}] With a calculator, evaluate $L(\theta^\ast)$ to three decimal places (the "
            r"box around $c$ is far smaller than that). Why is $L'(M_\lambda\theta^\ast)$ the same number?",
            rf"$L(\theta^\ast) \in {shown(lo, hi)}$ (certified over the box). The lifted network computes "
            r"the same function as the narrow one, so its loss at the lifted point is the same.",
        ),
    )


def saddle_handout(variant: SaddleVariant, seed: int, title_suffix: str) -> Handout:
    """The student's handout: the certified saddle of the variant's data and split, the line of
    critical points, no figure (its value at the critical point is an answer) and numeric exercises."""
    from dataclasses import replace

    from symcert.handouts import permutation_saddles

    handout = permutation_saddles.build(variant.example, student=True)
    return replace(
        handout,
        name=f"permutation-saddles-{seed}",
        title=handout.title + title_suffix,
        exercises=_exercise_texts(variant),
    )


def saddle_key_page(variant: SaddleVariant, who: str) -> str:
    """One page of ``key.pdf`` for a saddle variant (see :func:`symcert.handouts.variants.key_page`)."""
    ys = ", ".join(str(y[0]) for y in variant.example.loss.data.ys)
    facts = (
        r"Network: $\tanh$, widths $1 \to 1 \to 1$ lifted to $1 \to 2 \to 1$; targets $y = (%s)$ at "
        r"$x = -2, \dots, 3$; split $\lambda = %s$; counting for $n = %d$; %s."
        % (ys, rational_latex(Fraction(str(variant.lam))), variant.width, variant.result.verdict)
    )
    return key_section(who, variant.seed, facts, saddle_exercises(variant), _exercise_texts(variant))
