r"""Student variants of the ``linear-mode-connectivity`` handout: other trainings on other digits.

:func:`lmc_instance` draws, from a seed, the two trainings' ``random_state`` and which hundred of
scikit-learn's bundled digits they are trained on, and certifies the barrier before and after weight
matching (as the shipped handout does). It keeps only instances where both barriers and the alignment
are proved and the answers are well conditioned: alignment lowers the barrier by at least
:data:`~symcert.handouts.variant_text.MARGIN` (certified), ``|L(A) - L(B)|/2`` is at least 1/50, and no
answer is printed in the student's text (which has no figure: its points pin the losses along the
segment). The exercises ask for the order of the group of signed permutations of a tanh network with
widths drawn per seed (exact), the threshold ``|L(A) - L(B)|/2`` that a midpoint-form barrier must
exceed to prove non-convexity, and how much alignment lowered the barrier, both from the certified
enclosures the handout prints.

scikit-learn's L-BFGS is deterministic, so a seed gives the same networks, and the same bytes, on the
same machine; another BLAS may train other floats (then the numbers differ, still certified).

>>> THRESHOLD, MARGIN  # what "well conditioned" asks of the two differences
(Fraction(1, 50), Fraction(1, 10))
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

from symcert.handouts.base import Exercise, Handout
from symcert.handouts.variant_text import (
    MARGIN,
    enclosure_bounds,
    exact_entry,
    interval_entry,
    key_section,
    outward_decimal,
    shows_answer,
)

__all__ = ["LMCVariant", "lmc_instance", "lmc_exercises", "lmc_handout", "lmc_key_page"]

#: Candidates drawn per seed before giving up (each trains two networks: about a second).
MAX_TRIES = 20
#: The smallest threshold ``|L(A) - L(B)|/2`` asked (20 times the tolerance of its answer).
THRESHOLD = Fraction(1, 50)


@dataclass(frozen=True)
class LMCVariant:
    """An instance: the trainings' seeds, the first digit used, the trained pair with its certified
    barriers (see :func:`~symcert.handouts.linear_mode_connectivity.trained_pair`), and the widths of
    the counting exercise."""

    seed: int
    seeds: tuple[int, int]
    offset: int
    pair: Any
    widths: tuple[int, ...]
    handout: str = "linear-mode-connectivity"

    @property
    def t0(self) -> Fraction:
        """No curvature is asked (the common interface of variants)."""
        return Fraction(1, 2)

    def certificates(self) -> tuple[Any, Any]:
        """The barrier certificates before and after alignment."""
        _, before, _, after = self.pair
        return before.certificate(), after.certificate()

    @property
    def group_order(self) -> int:
        """``prod n! 2^n`` over the hidden widths of :attr:`widths`."""
        return math.prod(math.factorial(n) * 2**n for n in self.widths[1:-1])

    def threshold(self) -> tuple[Fraction, Fraction]:
        """An enclosure of ``|L(A) - L(B)|/2`` from the certified ``L(A)`` and ``L(B)``."""
        before, _ = self.certificates()
        (a, b), (c, d) = enclosure_bounds(before, "L(A)"), enclosure_bounds(before, "L(B)")
        if a > d:
            return (a - d) / 2, (b - c) / 2
        if c > b:
            return (c - b) / 2, (d - a) / 2
        return Fraction(0), max(b - c, d - a) / 2

    def reduction(self) -> tuple[Fraction, Fraction]:
        """An enclosure of how much alignment lowered the barrier: ``B(A, B) - B(A, g(B))``."""
        before, after = (enclosure_bounds(c, "barrier") for c in self.certificates())
        return before[0] - after[1], before[1] - after[0]


def _candidate(seed: int, rng: random.Random) -> LMCVariant | None:
    from symcert.handouts.linear_mode_connectivity import trained_pair

    seeds = tuple(rng.sample(range(100), 2))
    offset = 100 * rng.randrange(17)
    widths = (64, rng.randint(3, 6), rng.randint(2, 5), 10)
    pair = trained_pair(seeds, offset)  # type: ignore[arg-type]
    variant = LMCVariant(seed, seeds, offset, pair, widths)  # type: ignore[arg-type]
    alignment = pair[2]
    proved = all(c.proved for c in variant.certificates()) and alignment.proof is not None
    if not proved or alignment.proof.status != "proved":
        return None
    if variant.reduction()[0] < MARGIN or variant.threshold()[0] < THRESHOLD:
        return None
    return variant


def lmc_instance(seed: int) -> LMCVariant:
    """The first well-conditioned candidate drawn from ``random.Random(seed)`` (see the module docstring)."""
    from symcert.models.digits import require_sklearn

    require_sklearn()
    rng = random.Random(seed)
    for _ in range(MAX_TRIES):
        variant = _candidate(seed, rng)
        if variant is None:
            continue
        student = lmc_handout(variant, seed, "").latex_body(solutions=False)
        if not any(shows_answer(student, entry) for entry in lmc_exercises(variant).values()):
            return variant
    raise AssertionError(
        f"no well-conditioned linear-mode-connectivity instance for seed {seed}"
    )  # pragma: no cover


def lmc_exercises(variant: LMCVariant) -> dict[str, dict]:
    """The numeric answers in the grading key format (exact values, outward decimals beside them)."""
    return {
        "order": exact_entry(
            Fraction(variant.group_order),
            "Each hidden layer of n units contributes n! permutations times 2^n sign patterns.",
        ),
        "threshold": interval_entry(
            *variant.threshold(), "Half the difference of the certified L(A) and L(B), in absolute value."
        ),
        "reduction": interval_entry(
            *variant.reduction(),
            "The barrier before alignment minus the barrier after (ends of the certified enclosures).",
            tolerance="1/100",
            points=2,
        ),
    }


def _exercise_texts(variant: LMCVariant) -> tuple[Exercise, ...]:
    widths = ", ".join(str(n) for n in variant.widths)
    hidden = r" \cdot ".join(rf"{n}! \cdot 2^{n}" for n in variant.widths[1:-1])
    t_lo, t_hi = variant.threshold()
    r_lo, r_hi = variant.reduction()
    return (
        Exercise(
            r"[\texttt{order}] What is the order of the group of signed permutations (permutations and "
            rf"sign flips) of the hidden units of a $\tanh$ network with widths $({widths})$?",
            rf"Each hidden layer contributes its own signed permutations and they commute: "
            rf"${hidden} = {variant.group_order}$.",
        ),
        Exercise(
            r"[\texttt{threshold}] The midpoint form of the barrier compares $\varphi(t)$ with "
            r"$\bigl(L(A) + L(B)\bigr)/2$ for every $t$ (Ainsworth et al., 2023). From the certified "
            r"$L(A)$ and $L(B)$ above, compute to three decimal places the value $|L(A) - L(B)|/2$ that a "
            r"midpoint barrier must exceed to prove that $L$ is not convex. Why?",
            rf"$|L(A) - L(B)|/2 \in [{outward_decimal(t_lo, 6, False)}, {outward_decimal(t_hi, 6, True)}]$. "
            r"The midpoint chord differs from the chord $c(t)$ by $(t - \tfrac12)\bigl(L(A) - L(B)\bigr)$, "
            r"at most $|L(A) - L(B)|/2$ on $[0, 1]$: only a midpoint barrier above that puts $\varphi$ above "
            r"$c$ somewhere, which convexity forbids.",
        ),
        Exercise(
            r"[\texttt{reduction}] By how much did aligning the hidden units lower the barrier? Give the "
            r"difference to two decimal places, from the two certified enclosures. Does the loss become "
            r"convex after alignment?",
            rf"Between ${outward_decimal(r_lo, 4, False)}$ and ${outward_decimal(r_hi, 4, True)}$ (the lower "
            r"end before minus the upper end after, and the other way round). No: the loss is the same "
            r"function; only the segment changed, and the barrier after alignment is still certified "
            r"positive.",
        ),
    )


def lmc_handout(variant: LMCVariant, seed: int, title_suffix: str) -> Handout:
    """The student's handout: both trainings, both certified barriers and the aligning element, no
    figure, numeric exercises."""
    from symcert.handouts import linear_mode_connectivity

    handout = linear_mode_connectivity.build(variant.seeds, variant.offset, student=True, pair=variant.pair)
    return replace(
        handout,
        name=f"linear-mode-connectivity-{seed}",
        title=handout.title + title_suffix,
        exercises=_exercise_texts(variant),
    )


def lmc_key_page(variant: LMCVariant, who: str) -> str:
    """One page of ``key.pdf`` for a linear-mode-connectivity variant."""
    from symcert.handouts.linear_mode_connectivity import SAMPLES

    (b_lo, b_hi), (a_lo, a_hi) = (enclosure_bounds(c, "barrier") for c in variant.certificates())
    facts = (
        r"Trainings with seeds $%d$ and $%d$ on digits $%d$ to $%d$; barrier before alignment in "
        r"$[%s, %s]$, after in $[%s, %s]$; group widths $(%s)$."
        % (
            *variant.seeds,
            variant.offset + 1,
            variant.offset + SAMPLES,
            outward_decimal(b_lo, 4, False),
            outward_decimal(b_hi, 4, True),
            outward_decimal(a_lo, 4, False),
            outward_decimal(a_hi, 4, True),
            ", ".join(map(str, variant.widths)),
        )
    )
    return key_section(who, variant.seed, facts, lmc_exercises(variant), _exercise_texts(variant))
