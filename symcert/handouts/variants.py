r"""Student variants of the ``permutation`` handout: the same text, another certified instance.

:func:`variant_instance` draws, from a seed, a 1-n-1 tanh teacher network (``n`` = 2 or 3) with short
rational weights (halves), five integer inputs and a swap of two hidden units; it keeps only instances
that are well-conditioned for students: the chord gap ``L(M) - (L(A) + L(B))/2`` is certified to be at
least :data:`MARGIN`, and ``phi''(t0)`` (``t0`` drawn from 0, 1/4, 1/2) is certified to be at least
:data:`MARGIN` away from zero (so deciding its sign is not a matter of rounding). The same seed
always gives the same instance, the same exercises and the same LaTeX, byte for byte.

:func:`variant_handout` builds the handout for that instance with four exercises whose answers are
numbers: a group order (an exact integer), two entries of the midpoint ``M`` (short exact rationals,
by hand), ``L(M)`` to three decimals (its certified enclosure, with a tolerance of ``1/1000``) and the
sign of ``phi''(t0)``. :func:`key_entries` gives those answers in the grading key format of
:mod:`symcert.handouts.grading`.

>>> a, b = variant_instance(17), variant_instance(17)
>>> a == b and a.seed == 17
True
>>> a.gap_lower >= MARGIN and abs(a.curvature_sign_bound) >= MARGIN
True
"""

from __future__ import annotations

import dataclasses
import math
import random
from dataclasses import dataclass
from fractions import Fraction

import sympy

from symcert.handouts.base import Exercise, Handout
from symcert.numeric.segment import jet_decision, segment_layouts
from symcert.proofs.certificates import Certificate
from symcert.proofs.nonconvexity import certify_nonconvexity
from symcert.symbolic.data import Dataset
from symcert.symbolic.examples import Example
from symcert.symbolic.group import swap
from symcert.symbolic.losses import Loss
from symcert.symbolic.network import MLP

__all__ = [
    "MARGIN",
    "MAX_TRIES",
    "Variant",
    "variant_instance",
    "variant_handout",
    "key_entries",
    "key_exercises",
    "VARIANT_HANDOUTS",
]

#: Certified distance from zero of every quantity whose sign a student decides.
MARGIN = Fraction(1, 10)
#: Candidates drawn per seed before giving up (in practice a few suffice).
MAX_TRIES = 200
#: The handouts that have student variants.
VARIANT_HANDOUTS = ("permutation",)

_WEIGHTS = tuple(Fraction(k, 2) for k in (-4, -3, -2, -1, 1, 2, 3, 4))
_BIASES = tuple(Fraction(k, 2) for k in (-2, -1, 0, 1, 2))
_OUT_BIASES = tuple(Fraction(k, 4) for k in (-2, -1, 0, 1, 2))
_LADDER = (30, 60, 120)
#: Where the sign of phi'' is asked: at A (a minimum: phi'' >= 0), a quarter of the way, the midpoint.
_CURVATURE_POINTS = (sympy.Integer(0), sympy.Rational(1, 4), sympy.Rational(1, 2))


@dataclass(frozen=True)
class Variant:
    """A certified instance: the example (loss, teacher ``A``, swap), its chord certificate, its numbers."""

    seed: int
    example: Example
    chord: Certificate
    units: tuple[int, int]
    order_widths: tuple[int, ...]
    t0: sympy.Rational
    curvature: tuple[sympy.Rational, sympy.Rational]

    @property
    def gap_lower(self) -> Fraction:
        """The certified lower bound of ``L(M) - (L(A) + L(B))/2``."""
        return Fraction(str(self.chord.enclosures["barrier"][0]))

    @property
    def curvature_sign_bound(self) -> Fraction:
        """The endpoint of the certified ``phi''(t0)`` closest to zero (its sign is the sign)."""
        lo, hi = (Fraction(str(v)) for v in self.curvature)
        return hi if hi < 0 else lo

    @property
    def sign(self) -> str:
        """``"+"`` or ``"-"``: the certified sign of ``phi''(t0)``."""
        return "+" if self.curvature_sign_bound > 0 else "-"

    def midpoint_entries(self) -> tuple[Fraction, Fraction]:
        """The incoming weight and the outgoing weight of the first swapped unit in ``M``, exactly."""
        arrays = self.example.teacher.arrays()
        i, j = self.units
        w = (Fraction(arrays["W1"][i][0]) + Fraction(arrays["W1"][j][0])) / 2
        v = (Fraction(arrays["W2"][0][i]) + Fraction(arrays["W2"][0][j])) / 2
        return w, v

    @property
    def group_order(self) -> int:
        """The order of the permutation group of the hidden layers of ``order_widths``."""
        return math.prod(math.factorial(n) for n in self.order_widths[1:-1])


def _candidate(rng: random.Random) -> tuple[Example, tuple[int, int]]:
    n = rng.choice((2, 3))
    mlp = MLP((1, n, 1), "tanh")
    units = [(rng.choice(_WEIGHTS), rng.choice(_BIASES), rng.choice(_WEIGHTS)) for _ in range(n)]
    i, j = sorted(rng.sample(range(n), 2))
    teacher = mlp.point(
        W1=[[str(w)] for w, _, _ in units],
        b1=[str(b) for _, b, _ in units],
        W2=[[str(v) for _, _, v in units]],
        b2=[str(rng.choice(_OUT_BIASES))],
    )
    xs = [[x] for x in sorted(rng.sample(range(-3, 4), 5))]
    distinct = len(set(units)) == n and all(
        (w, b) != (-w2, -b2) for k, (w, b, _) in enumerate(units) for (w2, b2, _) in units[k + 1 :]
    )
    example = Example(Loss(mlp, Dataset.teacher(mlp, teacher, xs), "mse"), teacher, swap(1, i, j))
    return (example, (i, j)) if distinct else (None, (i, j))


def variant_instance(seed: int) -> Variant:
    """The first well-conditioned candidate drawn from ``random.Random(seed)`` (see the module docstring)."""
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 10**18:
        from symcert.errors import SpecificationError

        raise SpecificationError(f"a variant seed is an integer from 0 to 10^18 - 1, got {seed!r}")
    rng = random.Random(seed)
    for _ in range(MAX_TRIES):
        example, units = _candidate(rng)
        widths = (rng.randint(1, 3), rng.randint(2, 4), rng.randint(2, 5), rng.randint(1, 2))
        if example is None:
            continue
        A, g = example.teacher, example.element
        chord = certify_nonconvexity(example.loss, A, element=g, kind="chord", dps=30)
        if not chord.proved or Fraction(str(chord.enclosures["barrier"][0])) < MARGIN:
            continue
        t0 = rng.choice(_CURVATURE_POINTS)
        decision, _ = jet_decision(example.loss, segment_layouts(A, g(A), t0), 2, "phi''", "<", _LADDER)
        lo, hi = Fraction(str(decision.lower)), Fraction(str(decision.upper))
        if not (hi <= -MARGIN or lo >= MARGIN):
            continue
        variant = Variant(seed, example, chord, units, widths, t0, (decision.lower, decision.upper))
        if 0 in variant.midpoint_entries():
            continue
        return variant
    raise AssertionError(
        f"no well-conditioned instance in {MAX_TRIES} candidates for seed {seed}"
    )  # pragma: no cover


def _q(value: Fraction) -> str:
    """An exact rational in LaTeX: ``-\\tfrac{3}{4}``."""
    sign = "-" if value < 0 else ""
    value = abs(value)
    return (
        f"{sign}{value.numerator}"
        if value.denominator == 1
        else rf"{sign}\tfrac{{{value.numerator}}}{{{value.denominator}}}"
    )


def _decimal(value: Fraction, digits: int, up: bool) -> str:
    scaled = value * 10**digits
    n = math.ceil(scaled) if up else math.floor(scaled)
    sign = "-" if n < 0 else ""
    whole, frac = divmod(abs(n), 10**digits)
    return f"{sign}{whole}.{frac:0{digits}d}"


def _bounds(certificate: Certificate, name: str) -> tuple[Fraction, Fraction]:
    lo, hi = certificate.enclosures[name]
    return Fraction(str(lo)), Fraction(str(hi))


def key_exercises(variant: Variant) -> dict[str, dict]:
    """The numeric answers of a variant in the grading key format (see :mod:`symcert.handouts.grading`)."""
    w, v = variant.midpoint_entries()
    lo, hi = _bounds(variant.chord, "L(M)")
    i, j = variant.units
    return {
        "order": {
            "kind": "exact",
            "value": str(variant.group_order),
            "points": 1,
            "hint": "Each hidden layer of n units contributes n! permutations; multiply over the layers.",
        },
        "M_w": {
            "kind": "exact",
            "value": str(w),
            "points": 1,
            "hint": f"Swapping units {i + 1} and {j + 1} averages their incoming weights in M.",
        },
        "M_v": {
            "kind": "exact",
            "value": str(v),
            "points": 1,
            "hint": f"The outgoing weights of units {i + 1} and {j + 1} are averaged too.",
        },
        "L_M": {
            "kind": "interval",
            "value": [str(lo), str(hi)],
            "tolerance": "1/1000",
            "points": 2,
            "hint": "Evaluate the network at M on every data point; L is the mean of the squared errors.",
        },
        "sign": {
            "kind": "sign",
            "value": variant.sign,
            "points": 1,
            "hint": "Differentiate phi twice (or read its certified enclosure); A itself is a minimum.",
        },
    }


def key_entries(variant: Variant) -> dict[str, dict]:
    """A student's entry of the key: the seed and, per exercise, ``value``, ``tolerance`` and ``hint``."""
    fields = ("value", "tolerance", "hint")
    exercises = {k: {f: e[f] for f in fields if f in e} for k, e in key_exercises(variant).items()}
    return {"seed": variant.seed, "exercises": exercises}


def _exercises(variant: Variant) -> tuple[Exercise, ...]:
    widths = ", ".join(str(n) for n in variant.order_widths)
    w, v = variant.midpoint_entries()
    i, j = (u + 1 for u in variant.units)
    lo, hi = _bounds(variant.chord, "L(M)")
    c_lo, c_hi = (Fraction(str(x)) for x in variant.curvature)
    t0 = sympy.latex(variant.t0)
    hidden = " \\cdot ".join(f"{n}!" for n in variant.order_widths[1:-1])
    return (
        Exercise(
            r"[\texttt{order}] What is the order of the permutation group of the hidden units of a network "
            rf"with widths $({widths})$?",
            rf"Each hidden layer contributes its own permutations and they commute: ${hidden} = "
            rf"{variant.group_order}$.",
        ),
        Exercise(
            rf"[\texttt{{M\_w}}, \texttt{{M\_v}}] For the swap $g$ of units ${i}$ and ${j}$ used above, "
            rf"compute by hand, as exact fractions, the incoming and the outgoing weight of unit ${i}$ "
            r"in the midpoint $M = \frac12(A + gA)$.",
            rf"Unit ${i}$ of $M$ is the average of units ${i}$ and ${j}$ of $A$: incoming weight ${_q(w)}$, "
            rf"outgoing weight ${_q(v)}$ (and unit ${j}$ of $M$ is the same).",
        ),
        Exercise(
            r"[\texttt{L\_M}] With a calculator, evaluate $L(M)$ to three decimal places. Why does this "
            r"number alone show that $L$ is not convex?",
            rf"$L(M) \in [{_decimal(lo, 6, False)}, {_decimal(hi, 6, True)}]$ (certified), while "
            r"$L(A) = L(gA) = 0$: the midpoint lies strictly above the chord.",
        ),
        Exercise(
            rf"[\texttt{{sign}}] Is $\varphi''({t0})$ positive or negative, for "
            r"$\varphi(t) = L(A + t(gA - A))$? What does the sign say?",
            rf"$\varphi''({t0}) \in [{_decimal(c_lo, 4, False)}, {_decimal(c_hi, 4, True)}]$ (certified), so "
            + (
                r"it is negative: $\varphi$ is strictly concave near this point, so $L$ is not convex."
                if variant.sign == "-"
                else r"it is positive: $\varphi$ is convex near this point, which decides nothing by itself; "
                r"the chord inequality at $M$ is what fails."
            ),
        ),
    )


def _escape(text: str) -> str:
    specials = {
        "\\": r"\textbackslash{}",
        "&": r"\&",
        "%": r"\%",
        "$": r"\$",
        "#": r"\#",
        "_": r"\_",
        "{": r"\{",
        "}": r"\}",
        "~": r"\textasciitilde{}",
        "^": r"\textasciicircum{}",
    }
    return "".join(specials.get(c, c) for c in text)


def variant_handout(name: str, seed: int, student: str | None = None) -> tuple[Variant, Handout]:
    """The instance of ``seed`` and the handout ``name`` (``"permutation"``) on it, with numeric exercises."""
    if name not in VARIANT_HANDOUTS:
        from symcert.errors import SpecificationError

        raise SpecificationError(
            f"student variants exist for the handouts {', '.join(VARIANT_HANDOUTS)}, got {name!r}"
        )
    from symcert.handouts.permutation import build

    variant = variant_instance(seed)
    handout = build(variant.example)
    who = f" for {_escape(student)}" if student else ""
    return variant, dataclasses.replace(
        handout,
        name=f"{name}-{seed}",
        title=handout.title + r"\\[4pt] \large Variant %d%s" % (seed, who),
        exercises=_exercises(variant),
    )
