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

The other handouts with variants (:data:`VARIANT_HANDOUTS`) are families of their own, each in its
module (``rescaling``, ``permutation-saddles``, ``linear-mode-connectivity``; see ``_FAMILIES``), which
the functions here dispatch to by name; what they all share is in :mod:`symcert.handouts.variant_text`.

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
from importlib import import_module
from typing import Any

import sympy

from symcert.handouts.base import Exercise, Handout
from symcert.handouts.variant_text import MARGIN, decimal_text, escape, key_document, key_rows
from symcert.handouts.variant_text import enclosure_bounds as _bounds
from symcert.handouts.variant_text import interval_text as _interval_text
from symcert.handouts.variant_text import outward_decimal as _decimal
from symcert.handouts.variant_text import rational_latex as _q
from symcert.numeric.segment import jet_decision, segment_layouts
from symcert.proofs.certificates import Certificate
from symcert.proofs.kinds import kind_of
from symcert.proofs.nonconvexity import certify_nonconvexity
from symcert.symbolic.data import Dataset
from symcert.symbolic.examples import Example
from symcert.symbolic.group import flip, swap
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
    "key_page",
    "key_document",
    "decimal_text",
    "VARIANT_HANDOUTS",
]

#: Candidates drawn per seed before giving up (in practice a few suffice).
MAX_TRIES = 1000
#: The handouts that have student variants.
VARIANT_HANDOUTS = (
    "permutation",
    "sign-flip",
    "rescaling",
    "permutation-saddles",
    "linear-mode-connectivity",
)
#: The handouts whose variants are another family, in their own module: name -> (module, prefix). The
#: module has ``PREFIX_instance(seed)``, ``PREFIX_exercises(variant)``, ``PREFIX_key_page(variant, who)``
#: and ``PREFIX_handout(variant, seed, title_suffix)``.
_FAMILIES = {
    "rescaling": ("symcert.handouts.rescaling_variants", "rescaling"),
    "permutation-saddles": ("symcert.handouts.saddle_variants", "saddle"),
    "linear-mode-connectivity": ("symcert.handouts.lmc_variants", "lmc"),
}

_WEIGHTS = tuple(Fraction(k, 2) for k in (-4, -3, -2, -1, 1, 2, 3, 4))
_BIASES = tuple(Fraction(k, 2) for k in (-2, -1, 0, 1, 2))
_OUT_BIASES = tuple(Fraction(k, 4) for k in (-2, -1, 0, 1, 2))
#: The precisions a sign of phi'' climbs: the curvature kind's own ladder, from 30 digits.
_LADDER = kind_of("curvature").ladder(30)
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
    handout: str = "permutation"

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
        """The order of the permutation group of the hidden layers of ``order_widths`` (for ``sign-flip``:
        of the signed permutations, ``n! 2^n`` per layer)."""
        flips = self.handout == "sign-flip"
        return math.prod(math.factorial(n) * (2**n if flips else 1) for n in self.order_widths[1:-1])


def _family(name: str, what: str) -> Any:
    """The function ``what`` of the variant family of handout ``name`` (see :data:`_FAMILIES`)."""
    module, prefix = _FAMILIES[name]
    return getattr(import_module(module), f"{prefix}_{what}")


def _candidate(rng: random.Random, handout: str = "permutation") -> tuple[Example | None, tuple[int, int]]:
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
    element = flip(1, i) if handout == "sign-flip" else swap(1, i, j)
    example = Example(Loss(mlp, Dataset.teacher(mlp, teacher, xs), "mse"), teacher, element)
    return (example, (i, j)) if distinct else (None, (i, j))


def variant_instance(seed: int, handout: str = "permutation") -> Variant:
    """The first well-conditioned candidate drawn from ``random.Random(seed)`` (see the module
    docstring) for ``handout``: ``"permutation"`` swaps units ``i < j``, ``"sign-flip"`` flips unit ``i``."""
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 10**18:
        from symcert.errors import SpecificationError

        raise SpecificationError(f"a variant seed is an integer from 0 to 10^18 - 1, got {seed!r}")
    if handout in _FAMILIES:  # another family (a ReLU valley, a saddle, two trained networks)
        return _family(handout, "instance")(seed)
    rng = random.Random(seed)
    for _ in range(MAX_TRIES):
        example, units = _candidate(rng, handout)
        widths = (rng.randint(1, 3), rng.randint(2, 4), rng.randint(2, 5), rng.randint(1, 2))
        if example is None:
            continue
        A, g = example.teacher, example.element
        draft = Variant(seed, example, None, units, widths, sympy.Integer(0), (0, 0), handout)  # type: ignore[arg-type]
        if not _distinctive(draft):  # cheap: before any certificate
            continue
        chord = certify_nonconvexity(example.loss, A, element=g, kind="chord", dps=30)
        if not chord.proved or Fraction(str(chord.enclosures["barrier"][0])) < MARGIN:
            continue
        t0 = rng.choice(_CURVATURE_POINTS)
        decision, _ = jet_decision(example.loss, segment_layouts(A, g(A), t0), 2, "phi''", "<", _LADDER)
        lo, hi = Fraction(str(decision.lower)), Fraction(str(decision.upper))
        if not (hi <= -MARGIN or lo >= MARGIN):
            continue
        return Variant(seed, example, chord, units, widths, t0, (decision.lower, decision.upper), handout)
    raise AssertionError(
        f"no well-conditioned instance in {MAX_TRIES} candidates for seed {seed}"
    )  # pragma: no cover


#: Group orders a student could copy from the handout's table of n! (or guess): never asked.
_PRINTED_ORDERS = frozenset(math.factorial(n) for n in range(1, 7)) | frozenset(range(30))


def _distinctive(variant: Variant) -> bool:
    """Whether the answers of ``variant`` are not numbers the student's handout prints anyway.

    The midpoint entries must be nonzero quarters whose absolute value is no entry of ``A`` (so neither
    copying a coordinate nor reading a fraction of the text answers the exercise), and the group order
    must not be in the table of ``n!`` nor a small number (so a page number or a width is not it).
    """
    if variant.handout == "sign-flip":  # the sign-flip handout tabulates n! 2^n for n = 1..4
        return variant.group_order not in _PRINTED_ORDERS | {2, 8, 48, 384}
    entries = {abs(Fraction(str(v))) for v in variant.example.teacher.as_dict().values()}
    w, v = variant.midpoint_entries()
    quarters = all(x != 0 and x.denominator == 4 and abs(x) not in entries for x in (w, v))
    return quarters and variant.group_order not in _PRINTED_ORDERS


def key_exercises(variant: Variant) -> dict[str, dict]:
    """The numeric answers of a variant in the grading key format (see :mod:`symcert.handouts.grading`).

    Every value is exact (a rational as a string); ``decimal`` beside it is for a reader (enclosures
    rounded outward), and the sign exercise carries the ``certified`` enclosure of ``phi''(t0)`` it
    comes from.
    """
    if variant.handout in _FAMILIES:
        return _family(variant.handout, "exercises")(variant)
    w, v = variant.midpoint_entries()
    lo, hi = _bounds(variant.chord, "L(M)")
    c_lo, c_hi = (Fraction(str(x)) for x in variant.curvature)
    i, j = variant.units
    flips = variant.handout == "sign-flip"
    exercises = {
        "order": {
            "kind": "exact",
            "value": str(variant.group_order),
            "decimal": decimal_text(Fraction(variant.group_order)),
            "points": 1,
            "hint": "Each hidden layer of n units contributes n! permutations"
            + (" times 2^n sign patterns" if flips else "")
            + "; multiply over the layers.",
        },
        "M_w": {
            "kind": "exact",
            "value": str(w),
            "decimal": decimal_text(w),
            "points": 1,
            "hint": f"Swapping units {i + 1} and {j + 1} averages their incoming weights in M.",
        },
        "M_v": {
            "kind": "exact",
            "value": str(v),
            "decimal": decimal_text(v),
            "points": 1,
            "hint": f"The outgoing weights of units {i + 1} and {j + 1} are averaged too.",
        },
        "L_M": {
            "kind": "interval",
            "value": [str(lo), str(hi)],
            "decimal": _interval_text(lo, hi, 10),
            "tolerance": "1/1000",
            "points": 2,
            "hint": "Evaluate the network at M on every data point; L is the mean of the squared errors.",
        },
        "sign": {
            "kind": "sign",
            "value": variant.sign,
            "certified": [str(c_lo), str(c_hi)],
            "decimal": _interval_text(c_lo, c_hi, 6),
            "points": 1,
            "hint": "Differentiate phi twice (or read its certified enclosure); A itself is a minimum.",
        },
    }
    if flips:  # the flipped unit of M is switched off: nothing to compute by hand
        del exercises["M_w"], exercises["M_v"]
        exercises["L_M"]["hint"] = (
            f"In M unit {i + 1} is switched off; evaluate the rest on every data point."
        )
    return exercises


def key_entries(variant: Variant) -> dict[str, Any]:
    """A student's entry of the key: the seed and, per exercise, the student's own fields (``value``,
    ``decimal``, ``certified``, ``hint``; the tolerance too)."""
    shared = ("kind", "points")
    own = key_exercises(variant)
    exercises = {k: {f: x for f, x in e.items() if f not in shared} for k, e in own.items()}
    return {"seed": variant.seed, "exercises": exercises}


def _exercises(variant: Variant) -> tuple[Exercise, ...]:
    widths = ", ".join(str(n) for n in variant.order_widths)
    w, v = variant.midpoint_entries()
    i, j = (u + 1 for u in variant.units)
    lo, hi = _bounds(variant.chord, "L(M)")
    c_lo, c_hi = (Fraction(str(x)) for x in variant.curvature)
    t0 = sympy.latex(variant.t0)
    flips = variant.handout == "sign-flip"
    hidden = " \\cdot ".join(
        f"{n}!" + (f" \\cdot 2^{n}" if flips else "") for n in variant.order_widths[1:-1]
    )
    group = "group of signed permutations (permutations and sign flips)" if flips else "permutation group"
    exercises = [
        Exercise(
            rf"[\texttt{{order}}] What is the order of the {group} of the hidden units of a $\tanh$ network "
            rf"with widths $({widths})$?",
            rf"Each hidden layer contributes its own {'signed ' if flips else ''}permutations and they "
            rf"commute: ${hidden} = {variant.group_order}$.",
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
    ]
    if flips:  # unit i of M is switched off: the midpoint entries are 0, nothing to ask
        del exercises[1]
        exercises[1] = Exercise(
            rf"[\texttt{{L\_M}}] For the flip $g$ of unit ${i}$, the midpoint $M = \frac12(A + gA)$ switches "
            r"that unit off. With a calculator, evaluate $L(M)$ to three decimal places. Why does this "
            r"number alone show that $L$ is not convex?",
            rf"In $M$ unit ${i}$ has zero weights and bias, so $f(x; M)$ is $A$'s network without it; "
            rf"$L(M) \in [{_decimal(lo, 6, False)}, {_decimal(hi, 6, True)}]$ (certified), while "
            r"$L(A) = L(gA) = 0$: the midpoint lies strictly above the chord.",
        )
    return tuple(exercises)


def _terms_table(variant: Variant) -> str:
    """The per-point terms ``ell_i(M)`` to six significant digits (a reading aid for the worked solution)."""
    example = variant.example
    M = example.teacher.midpoint(example.element(example.teacher)).as_dict()
    rows = []
    for k, (term, x) in enumerate(zip(example.loss.terms(), example.loss.data.xs), start=1):
        value = sympy.N(term.xreplace(M), 6)
        rows.append(rf"${k}$ & ${sympy.latex(x[0])}$ & ${sympy.latex(value)}$ \\")
    return "\n".join(
        [
            r"\begin{center}\small\begin{tabular}{ccc}\toprule",
            r"$i$ & $x_i$ & $\ell_i(M) = (f(x_i; M) - y_i)^2 \approx$ \\ \midrule",
            *rows,
            r"\bottomrule\end{tabular}\end{center}",
        ]
    )


def key_page(variant: Variant, student: str | None = None) -> str:
    r"""One page of ``key.pdf``: the student's numbers (exact, with a decimal) and the worked solutions.

    >>> page = key_page(variant_instance(17), "Ada")
    >>> page.startswith(r"\section*{Ada") and "Worked solutions" in page
    True
    """
    who = escape(student) if student else "Variant"
    if variant.handout in _FAMILIES:
        return _family(variant.handout, "key_page")(variant, who)
    solutions = [
        r"\par\smallskip\noindent\textbf{Exercise %d.} %s" % (k, exercise.solution)
        for k, exercise in enumerate(_exercises(variant), start=1)
    ]
    i, j = (u + 1 for u in variant.units)
    return "\n".join(
        [
            r"\section*{%s: variant %d}" % (who, variant.seed),
            r"Network: $\tanh$, widths $1 \to %d \to 1$; %s; "
            r"$\varphi''$ asked at $t_0 = %s$. Accept an answer within the tolerance of the value."
            % (
                variant.example.loss.mlp.widths[1],
                f"flip of hidden unit ${i}$"
                if variant.handout == "sign-flip"
                else f"swap of hidden units ${i}$ and ${j}$",
                sympy.latex(variant.t0),
            ),
            *key_rows(key_exercises(variant)),
            r"\noindent\textbf{Worked solutions.} $L(M)$ is the mean of the terms below; the decimals are "
            r"for checking by hand, the graded value is the certified enclosure above.",
            _terms_table(variant),
            *solutions,
        ]
    )


def variant_handout(name: str, seed: int, student: str | None = None) -> tuple[Variant, Handout]:
    """The instance of ``seed`` and the handout ``name`` (one of :data:`VARIANT_HANDOUTS`) on it, with numeric
    exercises; the body keeps every graded answer out (see the ``student`` option of the handouts)."""
    if name not in VARIANT_HANDOUTS:
        from symcert.errors import SpecificationError

        raise SpecificationError(
            f"student variants exist for the handouts {', '.join(VARIANT_HANDOUTS)}, got {name!r}"
        )
    from symcert.handouts import permutation, sign_flip

    variant = variant_instance(seed, name)
    who = f" for {escape(student)}" if student else ""
    if name in _FAMILIES:
        suffix = r"\\[4pt] \large Variant %d%s" % (seed, who)
        return variant, _family(name, "handout")(variant, seed, suffix)
    build = sign_flip.build if name == "sign-flip" else permutation.build
    handout = build(variant.example, student=True)
    return variant, dataclasses.replace(
        handout,
        name=f"{name}-{seed}",
        title=handout.title + r"\\[4pt] \large Variant %d%s" % (seed, who),
        exercises=_exercises(variant),
    )
