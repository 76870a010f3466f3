"""Symbolic invariance proofs: a group element leaves the output or the loss unchanged.

The prover writes the target with an abstract activation ``sigma``, applies
the element as a substitution, puts both sides in canonical form with the
lemmas the activation's facts provide (each checked exactly for the concrete
activation), and compares. When the forms differ it looks for an exact point
where the two sides differ, shown nonzero by a rigorous enclosure: a
refutation. Otherwise it answers "undecided"; when every random point tried
gave a difference enclosed within ``10^-20`` of 0, it says so ("undecided,
numerically invariant", :attr:`Proof.numerically_invariant`): a float test
suggests invariance, which is evidence, never a proof.

>>> from symcert import MLP, swap, rescale
>>> net = MLP((1, 2, 1), "tanh")
>>> prove_invariance(net, swap(1, 0, 1)).status
'proved'
>>> prove_invariance(net, rescale(1, 0, 2)).status
'refuted'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sympy

from symcert.display import Displayed
from symcert.errors import SpecificationError
from symcert.numeric.decide import Decision, decide
from symcert.numeric.evaluation import loss_in, output_in
from symcert.proofs.generation import generation_argument
from symcert.symbolic.canonical import Canonicalizer, same_canonical_form
from symcert.symbolic.exact import to_rational
from symcert.symbolic.group import GroupElement, SymmetryGroup, parse_element
from symcert.symbolic.lemmas import SIGMA, Lemma, lemmas_for
from symcert.symbolic.losses import Loss
from symcert.symbolic.network import MLP
from symcert.symbolic.permutations import Product
from symcert.symbolic.point import Point
from symcert.symbolic.translation import Translate

__all__ = ["Proof", "ProofStep", "Counterexample", "prove_invariance"]

Target = MLP | Loss

#: Random exact points tried before a false-looking identity is called undecided.
REFUTATION_TRIES = 24
#: A difference enclosed within this distance of 0 at every point tried counts as numerically invariant.
NUMERIC_TOLERANCE = sympy.Rational(1, 10**20)


@dataclass(frozen=True)
class ProofStep:
    """One named step: a sentence and the expressions it shows, as ``(label, expression)``."""

    name: str
    text: str
    expressions: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Counterexample:
    """An exact point (and input, for outputs) where the two sides differ, rigorously."""

    point: Point
    x: tuple[sympy.Rational, ...] | None
    difference: Decision


@dataclass(frozen=True)
class Proof(Displayed):
    """The outcome of :func:`prove_invariance`.

    ``status`` is "proved", "refuted" or "undecided"; ``holds`` is True, False or
    None accordingly. ``steps`` show the argument; ``parts`` hold the proofs of
    the generators when the element was a whole group.
    """

    claim: str
    target: Target
    element: GroupElement | SymmetryGroup
    status: str
    steps: tuple[ProofStep, ...]
    lemmas: tuple[Lemma, ...] = ()
    counterexample: Counterexample | None = None
    parts: tuple[Proof, ...] = field(default=())
    numerically_invariant: bool = False

    @property
    def verdict(self) -> str:
        """The status, with "numerically invariant" added to an undecided claim that floats support."""
        if self.status == "undecided" and self.numerically_invariant:
            return "undecided, numerically invariant"
        return self.status

    @property
    def holds(self) -> bool | None:
        """True when proved, False when refuted, None when undecided."""
        return {"proved": True, "refuted": False}.get(self.status)


def prove_invariance(target: Target, element: GroupElement | SymmetryGroup | str) -> Proof:
    """Prove (or refute) that ``element`` leaves ``target`` unchanged.

    ``target`` is an :class:`MLP` (the claim is about its output for every input)
    or a :class:`Loss`. ``element`` is a group element, its CLI text such as
    ``"swap:1:0,1"``, or a :class:`SymmetryGroup` (every generator is proved, and
    the proof explains why that covers the whole group).
    """
    mlp = _network_of(target)
    if isinstance(element, str):
        element = parse_element(element)
    if isinstance(element, SymmetryGroup):
        if element.mlp != mlp:
            raise SpecificationError("the group belongs to another network than the target")
        return _prove_group(target, element)
    if not isinstance(element, GroupElement):
        raise SpecificationError(f"element must be a group element such as swap(1, 0, 1), got {element!r}")
    element.check(mlp)
    if isinstance(element, Product):
        return _prove_product(target, element)
    if isinstance(element, Translate):
        from symcert.proofs.translation import prove_translation

        return prove_translation(_Prover(target), element)
    return _Prover(target).prove(element)


def _network_of(target: object) -> MLP:
    if isinstance(target, MLP):
        return target
    if isinstance(target, Loss):
        return target.mlp
    raise SpecificationError(f"target must be an MLP or a Loss, got {type(target).__name__}")


class _Prover:
    """Holds the abstract target and its canonical form, shared by every element."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.mlp = _network_of(target)
        self.lemmas = lemmas_for(self.mlp.activation)
        if isinstance(target, Loss):
            self.inputs: tuple[sympy.Symbol, ...] = ()
            self.sides = [target.expression(SIGMA)]
            self.name = "L"
        else:
            self.inputs = tuple(sympy.Symbol(f"x{k + 1}", real=True) for k in range(self.mlp.widths[0]))
            self.sides = self.mlp_output_abstract()
            self.name = "f"
        self.canonicalizer = Canonicalizer(self.lemmas, self.mlp.activation.homogeneity or 1)
        self.canonical = [self.canonicalizer.form(e) for e in self.sides]

    def mlp_output_abstract(self) -> list[sympy.Expr]:
        from symcert.symbolic.network import forward

        return forward(self.mlp, self.mlp.symbols, list(self.inputs), SIGMA, self.mlp.output_activation.sympy)

    def claim(self, element: GroupElement) -> str:
        if isinstance(self.target, Loss):
            return (
                f"L(g(theta)) = L(theta) for every theta, where g = {element} "
                f"and L is the {self.target.describe()}"
            )
        return (
            f"f(x; g(theta)) = f(x; theta) for every input x and every theta, where g = {element} "
            f"and f is the {self.mlp.describe()}"
        )

    def prove(self, element: GroupElement) -> Proof:
        substitution = element.substitution(self.mlp)
        images = [e.xreplace(substitution) for e in self.sides]
        moved = [self.canonicalizer.form(e) for e in images]
        uses = set().union(*(self.canonicalizer.used(e) for e in self.sides + images))
        checks = [same_canonical_form(a, b) for a, b in zip(self.canonical, moved)]
        used = tuple(self.lemmas[k] for k in sorted(uses))
        steps = [
            ProofStep("statement", self.claim(element)),
            ProofStep(
                "substitution",
                f"g = {element} replaces each changed parameter by its image "
                f"({len(substitution)} of {self.mlp.n_parameters} parameters change)",
                tuple((f"{s} ->", v) for s, v in substitution.items()),
            ),
            ProofStep(
                "abstract activation",
                f"write {self.name} with an abstract activation sigma (= {self.mlp.activation.label}); "
                "an identity proved for sigma with the lemmas below holds for the activation itself",
                tuple(
                    (f"{self.name}_{k + 1}" if len(self.sides) > 1 else self.name, e)
                    for k, e in enumerate(self.sides)
                ),
            ),
        ]
        for lemma in used:
            steps.append(
                ProofStep(
                    f"lemma: {lemma.name}",
                    lemma.justification,
                    (("general", lemma.general), ("instance", lemma.instance), *lemma.checks),
                )
            )
        if all(agree for agree, _ in checks):
            steps.append(
                ProofStep(
                    "canonical form",
                    "expand every argument of sigma, exp and log and rewrite with the lemmas: "
                    + checks[0][1],
                    tuple((f"canonical {self.name}(g theta)", e) for e in moved),
                )
            )
            steps.append(ProofStep("conclusion", f"{self.name} is invariant under {element}."))
            return Proof(self.claim(element), self.target, element, "proved", tuple(steps), used)
        steps.append(
            ProofStep(
                "canonical form",
                "the canonical forms of the two sides differ, so the lemmas do not prove the identity; "
                "look for an exact point where the two sides differ",
            )
        )
        counterexample, numeric = self.find_counterexample(element)
        if counterexample is None:
            evidence = (
                f"; numerically invariant: at each of them the difference is enclosed within "
                f"{float(NUMERIC_TOLERANCE):.0e} of 0, which suggests a symmetry but proves nothing"
                if numeric
                else ""
            )
            steps.append(
                ProofStep(
                    "conclusion",
                    f"undecided: no exact point among {REFUTATION_TRIES} random ones showed a "
                    f"rigorous difference, and the canonical forms differ{evidence}",
                )
            )
            return Proof(
                self.claim(element),
                self.target,
                element,
                "undecided",
                tuple(steps),
                used,
                numerically_invariant=numeric,
            )
        steps.append(
            ProofStep(
                "counterexample",
                f"at the exact point theta below{_input_note(counterexample.x)}, "
                f"{counterexample.difference.describe(f'{self.name}(g theta) - {self.name}(theta)')}",
                (("theta", counterexample.point),),
            )
        )
        steps.append(ProofStep("conclusion", f"{self.name} is not invariant under {element}."))
        return Proof(self.claim(element), self.target, element, "refuted", tuple(steps), used, counterexample)

    def find_counterexample(self, element: GroupElement) -> tuple[Counterexample | None, bool]:
        """A rigorous counterexample, or None and whether every difference was within the tolerance."""
        tiny = True
        target = self.target
        for seed in range(REFUTATION_TRIES):
            point = self.mlp.random_point(seed, scale=2, denominator=4 + seed % 5)
            image = element(point)
            if isinstance(target, Loss):
                x = None
                difference = self._difference(lambda ctx, values: loss_in(ctx, target, values), point, image)
            else:
                x = tuple(sympy.Rational(((seed * 7 + 3 * k) % 9) - 4, 3) for k in range(len(self.inputs)))
                difference = None
                for m in range(self.mlp.widths[-1]):

                    def output_m(ctx: Any, values: tuple[Any, ...], m: int = m, x: Any = x) -> Any:
                        return output_in(ctx, self.mlp, values, x)[m]

                    difference = self._difference(output_m, point, image)
                    tiny = tiny and _within(difference)
                    if difference.proved:
                        break
            if difference is not None and difference.proved:
                return Counterexample(point, x, difference), False
            tiny = tiny and difference is not None and _within(difference)
        return None, tiny

    @staticmethod
    def _difference(evaluate: Callable[[Any, tuple[Any, ...]], Any], point: Point, image: Point) -> Decision:
        return decide(lambda ctx: evaluate(ctx, image.values) - evaluate(ctx, point.values), "!=", (30, 60))


def _within(decision: Decision) -> bool:
    lower, upper = decision.lower, decision.upper
    return bool(
        lower.is_finite and upper.is_finite and -NUMERIC_TOLERANCE <= lower and upper <= NUMERIC_TOLERANCE
    )


def _prove_group(target: Target, group: SymmetryGroup) -> Proof:
    prover = _Prover(target)
    parts = tuple(prover.prove(g) for g in (*group.generators, *group.cross_layer))
    proved = all(p.status == "proved" for p in parts)
    status = "proved" if proved else ("refuted" if any(p.status == "refuted" for p in parts) else "undecided")
    subject = "L" if isinstance(target, Loss) else "f"
    steps = [
        ProofStep(
            "statement", f"{subject} is invariant under the whole symmetry group (order {group.order})"
        ),
        ProofStep(
            "generators", f"the generators are {', '.join(str(g) for g in group.generators) or 'none'}"
        ),
        ProofStep("generation", generation_argument(group)),
        *(
            [
                ProofStep(
                    "signs across layers",
                    "also proved: " + ", ".join(str(g) for g in group.cross_layer) + " (products of the "
                    "generators, proved directly as a check)",
                )
            ]
            if group.cross_layer
            else []
        ),
        ProofStep(
            "conclusion",
            f"each generator was proved: {subject} is invariant under all {group.order} elements"
            if proved
            else "not every generator was proved: " + ", ".join(f"{p.element}: {p.status}" for p in parts),
        ),
    ]
    lemmas = {lemma.key: lemma for p in parts for lemma in p.lemmas}
    claim = f"{subject} is invariant under every element of the symmetry group of the {group.mlp.describe()}"
    return Proof(claim, target, group, status, tuple(steps), tuple(lemmas.values()), parts=parts)


def _prove_product(target: Target, element: Product) -> Proof:
    """Prove a product factor by factor: a composition of invariances is an invariance.

    A factor that is not proved does not refute the product (``flip;flip`` is the
    identity for any activation): then the whole product is decided directly.
    """
    prover = _Prover(target)
    parts = tuple(prover.prove(factor) for factor in element.factors)
    if any(p.status != "proved" for p in parts):
        whole = prover.prove(element)
        note = ProofStep(
            "factors",
            "not every factor was proved ("
            + ", ".join(f"{p.element}: {p.status}" for p in parts if p.status != "proved")
            + "), so the product was decided as one substitution",
        )
        return Proof(
            whole.claim,
            target,
            element,
            whole.status,
            (whole.steps[0], note, *whole.steps[1:]),
            whole.lemmas,
            whole.counterexample,
            parts,
            whole.numerically_invariant,
        )
    subject = "L" if isinstance(target, Loss) else "f"
    steps = (
        ProofStep("statement", prover.claim(element)),
        ProofStep(
            "factors",
            f"g applies {len(parts)} factor{'s' if len(parts) != 1 else ''} in order: "
            + (", ".join(str(f) for f in element.factors) or "none (the identity)")
            + f"; if {subject}(h(theta)) = {subject}(theta) for every theta and every factor h, "
            f"then {subject}(g(theta)) = {subject}(theta), applying the factors one at a time",
        ),
        ProofStep(
            "conclusion",
            f"each factor was proved, so {subject} is invariant under {element}"
            if parts
            else f"{element} changes no parameter: {subject} is unchanged",
        ),
    )
    lemmas = {lemma.key: lemma for p in parts for lemma in p.lemmas}
    return Proof(prover.claim(element), target, element, "proved", steps, tuple(lemmas.values()), parts=parts)


def _input_note(values: tuple[sympy.Rational, ...] | None) -> str:
    if not values:
        return ""
    return " and input x = (" + ", ".join(str(to_rational(v)) for v in values) + ")"
