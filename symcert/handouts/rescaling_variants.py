r"""Student variants of the ``rescaling`` handout: another ReLU valley, another rescaling, its own numbers.

:func:`rescaling_instance` draws, from a seed, the bias-free 1-1-1 ReLU teacher ``A = (a, c)`` (``f(x) =
c relu(a x)``) with short positive rational weights, three positive integer inputs and a rescaling
``g`` of the unit by ``alpha``; it keeps only instances whose chord gap is certified to be at least
:data:`~symcert.handouts.variants.MARGIN` and whose answers are short fractions that the handout does not
print. The exercises ask for the midpoint ``M`` (exact), ``L(M)`` to three decimals, and the change of
the conserved quantity ``Q = a^2 - c^2`` from ``A`` to ``B = gA`` (exact): why gradient flow from ``A``
never reaches ``B``.

>>> v = rescaling_instance(17)
>>> v == rescaling_instance(17) and v.gap_lower >= MARGIN
True
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction

import sympy

from symcert.handouts.base import Exercise, Handout
from symcert.handouts.variant_text import (
    MARGIN,
    enclosure_bounds,
    exact_entry,
    interval_entry,
    key_section,
    outward_decimal,
    rational_latex,
)
from symcert.proofs.certificates import Certificate
from symcert.proofs.invariance import prove_invariance
from symcert.proofs.nonconvexity import certify_nonconvexity
from symcert.symbolic.data import Dataset
from symcert.symbolic.examples import Example
from symcert.symbolic.group import rescale
from symcert.symbolic.losses import Loss
from symcert.symbolic.network import MLP

__all__ = [
    "MARGIN",
    "RescalingVariant",
    "rescaling_instance",
    "rescaling_exercises",
    "rescaling_handout",
    "rescaling_key_page",
]

_WEIGHTS = tuple(Fraction(k, 2) for k in (1, 2, 3, 4, 5, 6))
_ALPHAS = (Fraction(2), Fraction(3), Fraction(1, 2), Fraction(1, 3), Fraction(3, 2), Fraction(2, 3))


@dataclass(frozen=True)
class RescalingVariant:
    """An instance: the example (loss, teacher ``A``, rescaling), its chord certificate and ``alpha``."""

    seed: int
    example: Example
    chord: Certificate
    alpha: Fraction
    handout: str = "rescaling"

    @property
    def t0(self) -> sympy.Rational:
        """No curvature is asked; ``1/2`` keeps the variants' common interface (figures near it: none)."""
        return sympy.Rational(1, 2)

    @property
    def weights(self) -> tuple[Fraction, Fraction]:
        """``(a, c)`` of the teacher."""
        arrays = self.example.teacher.arrays()
        return Fraction(arrays["W1"][0][0]), Fraction(arrays["W2"][0][0])

    @property
    def gap_lower(self) -> Fraction:
        """The certified lower bound of ``L(M) - (L(A) + L(B))/2``."""
        return Fraction(str(self.chord.enclosures["barrier"][0]))

    def midpoint_entries(self) -> tuple[Fraction, Fraction]:
        """``M = ((a + alpha a)/2, (c + c/alpha)/2)``, exactly."""
        a, c = self.weights
        return (a + self.alpha * a) / 2, (c + c / self.alpha) / 2

    def q_change(self) -> Fraction:
        """``Q(B) - Q(A)`` for the conserved quantity ``Q = a^2 - c^2`` of gradient flow."""
        a, c = self.weights
        return (self.alpha * a) ** 2 - (c / self.alpha) ** 2 - (a * a - c * c)


def _draw(rng: random.Random) -> tuple[Example, Fraction]:
    mlp = MLP((1, 1, 1), "relu", bias=False)
    a, c, alpha = rng.choice(_WEIGHTS), rng.choice(_WEIGHTS), rng.choice(_ALPHAS)
    teacher = mlp.point(W1=[[str(a)]], W2=[[str(c)]])
    xs = [[x] for x in sorted(rng.sample(range(1, 5), 3))]
    example = Example(Loss(mlp, Dataset.teacher(mlp, teacher, xs), "mse"), teacher, rescale(1, 0, str(alpha)))
    return example, alpha


def _printed(variant: RescalingVariant) -> set[Fraction]:
    """Numbers the student's handout prints: the weights of ``A`` and ``B``, ``alpha``, the data."""
    a, c = variant.weights
    data = variant.example.loss.data
    values = {a, c, variant.alpha * a, c / variant.alpha, variant.alpha, 1 / variant.alpha}
    values |= {Fraction(str(x[0])) for x in data.xs} | {Fraction(str(y[0])) for y in data.ys}
    return values | {Fraction(1), Fraction(2)}


def rescaling_instance(seed: int) -> RescalingVariant:
    """The first well-conditioned candidate drawn from ``random.Random(seed)`` (see the module docstring)."""
    rng = random.Random(seed)
    for _ in range(1000):
        example, alpha = _draw(rng)
        draft = RescalingVariant(seed, example, None, alpha)  # type: ignore[arg-type]
        answers = (*draft.midpoint_entries(), draft.q_change())
        printed = _printed(draft)
        if any(x.denominator not in (2, 3, 4, 6, 8, 9) or abs(x) in printed for x in answers):
            continue
        chord = certify_nonconvexity(
            example.loss, example.teacher, element=example.element, kind="chord", dps=30
        )
        if chord.proved and Fraction(str(chord.enclosures["barrier"][0])) >= MARGIN:
            return RescalingVariant(seed, example, chord, alpha)
    raise AssertionError(f"no well-conditioned rescaling instance for seed {seed}")  # pragma: no cover


def rescaling_exercises(variant: RescalingVariant) -> dict[str, dict]:
    """The numeric answers in the grading key format (exact values, outward decimals beside them)."""
    m_a, m_c = variant.midpoint_entries()
    lo, hi = enclosure_bounds(variant.chord, "L(M)")
    return {
        "M_a": exact_entry(m_a, "Average the incoming weights of A and B."),
        "M_c": exact_entry(m_c, "Average the outgoing weights of A and B."),
        "L_M": interval_entry(
            lo,
            hi,
            "At M the network is x -> M_c M_a x on positive inputs; L is the mean squared error.",
            points=2,
        ),
        "dQ": exact_entry(variant.q_change(), "Q = a^2 - c^2 at B minus at A."),
    }


def _exercise_texts(variant: RescalingVariant) -> tuple[Exercise, ...]:
    _q, _decimal = rational_latex, outward_decimal
    m_a, m_c = variant.midpoint_entries()
    lo, hi = enclosure_bounds(variant.chord, "L(M)")
    a, c = variant.weights
    return (
        Exercise(
            r"[\texttt{M\_a}, \texttt{M\_c}] Compute by hand, as exact fractions, the two coordinates "
            r"$(a, c)$ of the midpoint $M = \frac12(A + B)$.",
            rf"$M = \bigl({_q(m_a)}, {_q(m_c)}\bigr)$; its product $ac$ is not the teacher's, so $M$ leaves "
            r"the valley.",
        ),
        Exercise(
            r"[\texttt{L\_M}] With a calculator, evaluate $L(M)$ to three decimal places. Why does this "
            r"number alone show that $L$ is not convex?",
            rf"$L(M) \in [{_decimal(lo, 6, False)}, {_decimal(hi, 6, True)}]$ (certified), while "
            r"$L(A) = L(B) = 0$: the midpoint lies strictly above the chord.",
        ),
        Exercise(
            r"[\texttt{dQ}] Gradient flow conserves $Q = a^2 - c^2$. Compute $Q(B) - Q(A)$ exactly. "
            r"Can gradient flow started at $A$ reach $B$?",
            rf"$Q(A) = {_q(a * a - c * c)}$ and $Q(B) - Q(A) = {_q(variant.q_change())} \ne 0$: the flow "
            r"stays on its level set of $Q$, so it never reaches $B$, although $L(B) = L(A) = 0$.",
        ),
    )


def rescaling_handout(variant: RescalingVariant, seed: int, title_suffix: str) -> Handout:
    """The student's handout: the symmetry, proved on the variant's loss, and the two minima ``A`` and
    ``B = gA``, exactly; no midpoint, no loss value at it, no figure (those are the exercises)."""
    from symcert.handouts import rescaling
    from symcert.printing.latex.display import point_latex
    from symcert.printing.latex.model import loss_latex, network_latex

    example = variant.example
    loss, A, g = example.loss, example.teacher, example.element
    invariance = prove_invariance(loss, g)
    if invariance.status != "proved":  # pragma: no cover - a rescaling of a ReLU unit is a symmetry
        raise AssertionError(f"the rescaling variant needs a proved invariance, got {invariance.status}")
    alpha = sympy.latex(sympy.Rational(variant.alpha.numerator, variant.alpha.denominator))
    body = "\n\n".join(
        [
            r"\section{Rescaling is a symmetry}",
            r"A unit with a positively homogeneous activation contributes "
            r"$\frac{c}{\alpha}\operatorname{relu}(\alpha a x) = c \operatorname{relu}(a x)$ for every "
            r"$\alpha > 0$, so each minimum lies on a valley $\alpha \mapsto (\alpha a, c/\alpha)$ of "
            r"minima (Kunin et al., 2021). The prover checks the rescaling by $\alpha = %s$ on this "
            r"network and loss:" % alpha,
            network_latex(loss.mlp),
            loss_latex(loss),
            invariance.to_latex(),
            r"\section{Two minima in the valley}",
            r"The teacher $A$ generated the data, so $L(A) = 0$, and $L(B) = L(gA) = 0$ because $g$ is a "
            r"symmetry. Writing a point as $(a, c) = (W^{(1)}_{11}, W^{(2)}_{11})$, all exact:",
            r"\[ A:\quad %s \]" % point_latex(A),
            r"\[ B = gA:\quad %s \]" % point_latex(g(A)),
            r"The exercises below ask what happens between them, at the midpoint $M = \frac12(A + B)$, and "
            r"what the symmetry says about gradient flow: $Q = a^2 - c^2$ is constant along it.",
        ]
    )
    return Handout(
        f"rescaling-{seed}",
        rescaling.TITLE + title_suffix,
        r"Scaling a ReLU unit's input by $\alpha > 0$ and its output by $1/\alpha$ changes nothing, so "
        r"minima come in curves; the curves are not straight, so the loss cannot be convex.",
        body,
        _exercise_texts(variant),
        (variant.chord,),
    )


def rescaling_key_page(variant: RescalingVariant, who: str) -> str:
    """One page of ``key.pdf`` for a rescaling variant (see :func:`symcert.handouts.variants.key_page`)."""
    a, c = variant.weights
    facts = r"Network: $f(x) = c \operatorname{relu}(a x)$, teacher $(a, c) = (%s, %s)$, " % (a, c)
    facts += r"rescaling by $\alpha = %s$." % variant.alpha
    return key_section(who, variant.seed, facts, rescaling_exercises(variant), _exercise_texts(variant))
