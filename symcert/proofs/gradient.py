r"""Symmetry-induced gradient identities (Kunin et al. 2021, "Neural Mechanics").

If ``L(g_c theta) = L(theta)`` for the one-parameter group ``g_c`` that rescales
unit ``j`` of hidden layer ``l`` (incoming weights ``w`` and bias ``b`` times
``c > 0``, outgoing weights ``v`` (column ``j`` of ``W_{l+1}``) times ``c^-k``),
differentiating at ``c = 1`` gives the identity

.. math:: D(\theta) = \sum_i w_i \partial_{w_i} L + b\, \partial_b L - k \sum_r v_r \partial_{v_r} L = 0

for every ``theta`` (the sums run over the unit's incoming weights, row ``j`` of
``W_l``, its bias ``b_l[j]`` when the network has biases, and its outgoing
weights, column ``j`` of ``W_{l+1}``). Under gradient flow
``theta' = -grad L`` it conserves ``Q = ||w_in||^2 - k ||w_out||^2`` (with the
bias in ``w_in``): ``Q' = 2 (sum w w' + b b' - k sum v v') = -2 D = 0``.

The proof does not differentiate the family: it computes ``D`` exactly from the
loss written with an abstract activation ``sigma`` (``sympy.diff``; the
derivative of ``sigma`` is the abstract ``sigma_prime``), and uses one lemma,
Euler's relation ``u sigma'(u) = k sigma(u)`` (checked exactly for the concrete
activation). For each data point ``x_i`` let ``u_i`` be the unit's pre-activation
and ``P_i = sigma_prime(u_i)``. ``D`` is linear in each ``P_i``:
``D = sum_i c_i P_i + R``. The prover checks, by exact expansion, that
``c_i = g_i u_i`` for a polynomial ``g_i`` in the parameters and the ``sigma``
terms, so ``D = sum_i g_i (u_i P_i) + R = sum_i g_i k sigma(u_i) + R`` by the lemma,
and that this expands to 0. With weight decay the identity fails (the penalty
is not invariant): the prover then looks for an exact point where ``D`` is
rigorously nonzero. A wrong degree ``k`` is refuted the same way.

>>> from symcert import MLP, Dataset, Loss, rescale
>>> net = MLP((1, 2, 1), "square")
>>> loss = Loss(net, Dataset([[1], [2]], [[0], [1]]), "mse")
>>> prove_gradient_identity(loss, rescale(1, 0, 1, degree=2)).status
'proved'
>>> prove_gradient_identity(loss, rescale(1, 0, 1, degree=1)).status
'refuted'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sympy

from symcert.display import Displayed
from symcert.errors import SpecificationError
from symcert.numeric.contexts import exact, lower, upper
from symcert.numeric.decide import Decision, decide
from symcert.numeric.derivatives import gradient_enclosure, gradient_in
from symcert.proofs.invariance import ProofStep
from symcert.symbolic.canonical import Canonicalizer
from symcert.symbolic.elements import GroupElement
from symcert.symbolic.group import ContinuousFamily, Rescale, parse_element, rescale
from symcert.symbolic.lemmas import SIGMA, SIGMA_PRIME, Lemma, euler_lemma, lemma_residues, lemmas_for
from symcert.symbolic.losses import Loss
from symcert.symbolic.network import MLP
from symcert.symbolic.point import Point
from symcert.symbolic.translation import Translate, translate

__all__ = ["GradientProof", "prove_gradient_identity", "identity_parameters", "translation_gradient_identity"]

#: Random exact points tried to refute an identity that the lemma does not prove.
REFUTATION_TRIES = 12


@dataclass(frozen=True)
class GradientProof(Displayed):
    """The outcome of :func:`prove_gradient_identity`: ``status`` "proved", "refuted" or "undecided".

    ``incoming`` and ``outgoing`` name the parameters of the identity; ``degree``
    is ``k``; ``parts`` hold one proof per unit when a whole family was given.
    """

    claim: str
    loss: Loss
    layer: int
    unit: int | None
    degree: int
    incoming: tuple[sympy.Symbol, ...]
    outgoing: tuple[sympy.Symbol, ...]
    status: str
    steps: tuple[ProofStep, ...]
    lemma: Lemma | None = None
    counterexample: tuple[Point, Decision] | None = None
    parts: tuple[GradientProof, ...] = field(default=())
    kind: str = "rescale"

    @property
    def holds(self) -> bool | None:
        """True when proved, False when refuted, None when undecided."""
        return {"proved": True, "refuted": False}.get(self.status)

    @property
    def conserved(self) -> str:
        """The quantity conserved under gradient flow, as text."""
        if self.kind == "translation":
            return " + ".join(map(str, self.incoming)) + " (the sum of the output biases)"
        k = "" if self.degree == 1 else f"{self.degree} "
        return f"||w_in||^2 - {k}||w_out||^2 with w_in = ({', '.join(map(str, self.incoming))})" + (
            f", w_out = ({', '.join(map(str, self.outgoing))})"
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain data (schema ``symcert-gradient-identity``): claim, status, parameters, steps, parts."""
        record: dict[str, Any] = {
            "schema": "symcert-gradient-identity",
            "version": 1,
            "claim": self.claim,
            "status": self.status,
            "holds": self.holds,
            "kind": self.kind,
            "layer": self.layer,
            "unit": self.unit,
            "degree": self.degree,
            "incoming": [str(s) for s in self.incoming],
            "outgoing": [str(s) for s in self.outgoing],
            "conserved": self.conserved if self.unit is not None or self.kind == "translation" else None,
            "steps": [{"name": s.name, "text": s.text} for s in self.steps],
        }
        if self.counterexample is not None:
            point, decision = self.counterexample
            record["counterexample"] = {
                "point": point.arrays(),
                "lower": str(decision.lower),
                "upper": str(decision.upper),
                "dps": decision.dps,
            }
        if self.parts:
            record["parts"] = [part.to_dict() for part in self.parts]
        return record


def identity_parameters(loss: Loss, layer: int, unit: int) -> tuple[tuple[sympy.Symbol, ...], ...]:
    """The incoming parameters (row ``unit`` of ``W_layer``, then its bias) and the outgoing ones."""
    layers = loss.mlp.layers(loss.mlp.symbols)
    incoming = list(layers[layer - 1].weights[unit])
    biases = layers[layer - 1].biases
    if biases is not None:
        incoming.append(biases[unit])
    outgoing = [row[unit] for row in layers[layer].weights]
    return tuple(incoming), tuple(outgoing)


def prove_gradient_identity(
    loss: Loss, symmetry: Rescale | Translate | ContinuousFamily | str
) -> GradientProof:
    """Prove (or refute) the gradient identity of a rescaling or translation symmetry of ``loss``.

    For the softmax translation (a :class:`~symcert.symbolic.translation.Translate`, ``"translate:c"``
    or the family of kind ``"translation"``) the identity is Kunin's: ``sum_k dL/db_k = 0`` over the
    output biases (``d/dc L(b + c 1) = 0``); see :func:`translation_gradient_identity`.

    ``symmetry`` is a :class:`~symcert.symbolic.elements.Rescale` element (its
    layer, unit and degree; ``alpha`` only names a member of the one-parameter
    group), its text such as ``"rescale:1:0:2:2"``, or a
    :class:`~symcert.symbolic.group.ContinuousFamily` from
    ``mlp.symmetry_group().continuous`` (one identity per unit, in ``parts``).
    """
    if not isinstance(loss, Loss):
        raise SpecificationError(f"loss must be a Loss, got {type(loss).__name__}")
    element: GroupElement | ContinuousFamily = (
        parse_element(symmetry) if isinstance(symmetry, str) else symmetry
    )
    if isinstance(element, ContinuousFamily) and element.kind == "translation":
        element = translate(1)
    if isinstance(element, Translate):
        element.check(loss.mlp)
        return translation_gradient_identity(loss, element)
    if isinstance(element, ContinuousFamily):
        degree = element.degree
        assert degree is not None  # a rescaling family (the translations went above)
        parts = tuple(
            prove_gradient_identity(loss, rescale(element.layer, j, 1, degree))
            for j in range(element.dimension)
        )
        statuses = {p.status for p in parts}
        status = "proved" if statuses == {"proved"} else ("refuted" if "refuted" in statuses else "undecided")
        first = parts[0]
        claim = f"the gradient identity of every unit of {element.description.split(' for ')[0]}"
        steps = (ProofStep("statement", claim), ProofStep("units", f"{len(parts)} identities, one per unit"))
        return GradientProof(
            claim,
            loss,
            element.layer,
            None,
            degree,
            (),
            (),
            status,
            steps,
            first.lemma,
            parts=parts,
        )
    if not isinstance(element, Rescale):
        raise SpecificationError(
            f"symmetry must be a rescaling such as rescale(1, 0, 2, degree=2) or a continuous family, "
            f"got {element!r}"
        )
    element.check(loss.mlp)
    return _prove_unit(loss, element)


def _claim(
    loss: Loss, element: Rescale, incoming: tuple[sympy.Symbol, ...], outgoing: tuple[sympy.Symbol, ...]
) -> str:
    k = element.degree
    times = "" if k == 1 else f"{k} * "
    return (
        f"sum over theta in ({', '.join(map(str, incoming))}) of theta dL/dtheta - {times}sum over "
        f"v in ({', '.join(map(str, outgoing))}) of v dL/dv = 0 for every theta, for the {loss.describe()}"
    )


def _prove_unit(loss: Loss, element: Rescale) -> GradientProof:
    mlp, k, l, j = loss.mlp, element.degree, element.layer, element.unit
    incoming, outgoing = identity_parameters(loss, l, j)
    claim = _claim(loss, element, incoming, outgoing)
    act = mlp.activation
    expr = loss.expression(SIGMA)
    D = sympy.Add(*[p * sympy.diff(expr, p) for p in incoming]) - k * sympy.Add(
        *[v * sympy.diff(expr, v) for v in outgoing]
    )
    steps: list[ProofStep] = [
        ProofStep("statement", claim),
        ProofStep(
            "identity",
            f"D is the derivative at c = 1 of L along rescale:{l}:{j}:c:{k} (incoming times c, outgoing "
            f"times c^-{k}); it is computed exactly from L written with an abstract activation sigma",
        ),
    ]
    make = _maker(claim, loss, element, incoming, outgoing)
    if act.homogeneity is None:
        steps.append(ProofStep("lemma", f"{act.label} is not positively homogeneous: no Euler relation"))
        return _refute_or_leave(make, loss, element, steps, None)
    lemma = euler_lemma(act, k)
    lemma_holds = all(r == 0 for r in lemma_residues(lemma))
    steps.append(
        ProofStep(
            f"lemma: {lemma.name}",
            lemma.justification if lemma_holds else "the exact check of the relation does not vanish",
            (("general", lemma.general), ("instance", lemma.instance), *lemma.checks),
        )
    )
    if lemma_holds:
        reduced = _apply_euler(loss, D, l, j, k)
        if reduced is not None:
            lemmas = lemmas_for(act)
            canonical = Canonicalizer(lemmas, act.homogeneity).form(reduced)
            if reduced == 0 or sympy.expand(canonical) == 0:
                steps.append(
                    ProofStep(
                        "Euler",
                        "D is linear in sigma_prime(u_i) for the unit's pre-activation u_i at each data "
                        "point; each coefficient is u_i times a polynomial g_i (checked by expansion), so "
                        f"u_i sigma_prime(u_i) = {'' if k == 1 else f'{k} '}sigma(u_i) removes every "
                        "sigma_prime(u_i), and what is left expands to 0",
                    )
                )
                steps.append(
                    ProofStep(
                        "conclusion",
                        f"D = 0 for every theta; under gradient flow Q = ||w_in||^2 - {k} ||w_out||^2 is "
                        f"conserved (dQ/dt = -2 D)",
                    )
                )
                return make("proved", steps, lemma)
    steps.append(ProofStep("Euler", "the lemma does not reduce D to 0; look for an exact point where D != 0"))
    return _refute_or_leave(make, loss, element, steps, lemma)


def _maker(
    claim: str,
    loss: Loss,
    element: Rescale,
    incoming: tuple[sympy.Symbol, ...],
    outgoing: tuple[sympy.Symbol, ...],
) -> Callable[..., GradientProof]:
    def make(
        status: str,
        steps: list[ProofStep],
        lemma: Lemma | None,
        counterexample: tuple[Point, Decision] | None = None,
    ) -> GradientProof:
        return GradientProof(
            claim,
            loss,
            element.layer,
            element.unit,
            element.degree,
            incoming,
            outgoing,
            status,
            tuple(steps),
            lemma,
            counterexample,
        )

    return make


def _apply_euler(loss: Loss, D: sympy.Expr, layer: int, unit: int, k: int) -> sympy.Expr | None:
    """``D`` with every ``u_i sigma_prime(u_i)`` of the unit replaced by ``k sigma(u_i)``, or None.

    ``D`` is expanded once; for each data point the terms holding ``P_i = sigma_prime(u_i)``
    give the coefficient ``c_i``, which must equal ``g_i u_i`` exactly (``g_i`` from polynomial
    division with remainder 0, in the parameters and the ``sigma`` terms as generators, then
    checked again by expanding ``c_i - g_i u_i``).
    """
    terms = list(sympy.Add.make_args(sympy.expand(D)))
    replaced = []
    for x in loss.data.xs:
        u = _pre_activation(loss.mlp, list(x), layer, unit)
        P = SIGMA_PRIME(u)
        holding = [t for t in terms if t.has(P)]
        if not holding:
            continue
        terms = [t for t in terms if not t.has(P)]
        coefficient = sympy.Add(*[t.xreplace({P: 1}) for t in holding])
        if any(t.xreplace({P: 1}).has(P) or not t.is_Mul or P not in t.args for t in holding) or u == 0:
            return None  # not linear in P_i
        g, remainder = sympy.div(coefficient, u)
        if remainder != 0 or sympy.expand(g * u - coefficient) != 0:
            return None
        replaced.append(g * k * SIGMA(u))
    return sympy.expand(sympy.Add(*terms) + sympy.Add(*replaced))


def _pre_activation(mlp: MLP, x: list[Any], layer: int, unit: int) -> sympy.Expr:
    """The unit's pre-activation at input ``x``, with the abstract activation below it."""
    a = list(x)
    for l, layer_params in enumerate(mlp.layers(mlp.symbols), start=1):
        z = [
            sympy.Add(*[w * v for w, v in zip(row, a)], *(() if layer_params.biases is None else (b,)))
            for row, b in zip(layer_params.weights, layer_params.biases or [0] * len(layer_params.weights))
        ]
        if l == layer:
            return sympy.expand(z[unit])
        a = [SIGMA(v) for v in z]
    raise AssertionError("unreachable: the layer is hidden")


def _refute_or_leave(
    make: Callable[..., GradientProof],
    loss: Loss,
    element: Rescale,
    steps: list[ProofStep],
    lemma: Lemma | None,
) -> GradientProof:
    found = _counterexample(loss, element)
    if found is None:
        steps.append(
            ProofStep("conclusion", f"undecided: no exact point among {REFUTATION_TRIES} showed D != 0")
        )
        return make("undecided", steps, lemma)
    point, decision = found
    steps.append(
        ProofStep(
            "counterexample", f"at the exact point theta below, {decision.describe('D')}", (("theta", point),)
        )
    )
    steps.append(ProofStep("conclusion", "the identity does not hold."))
    return make("refuted", steps, lemma, found)


def _counterexample(loss: Loss, element: Rescale) -> tuple[Point, Decision] | None:
    if not loss.mlp.activation.smooth:
        return _exact_counterexample(loss, element)
    incoming, outgoing = identity_parameters(loss, element.layer, element.unit)
    index = loss.mlp.index
    weights = [(index[str(p)], 1) for p in incoming] + [(index[str(v)], -element.degree) for v in outgoing]
    for seed in range(REFUTATION_TRIES):
        point = loss.mlp.random_point(500 + seed, scale=2, denominator=3 + seed % 4)

        def D(ctx: Any, point: Point = point) -> Any:
            grad = gradient_in(ctx, loss, point.values)
            return ctx.fsum([c * exact(ctx, point.values[i]) * grad[i] for i, c in weights])

        decision = decide(D, "!=", (30, 60))
        if decision.proved:
            return point, decision
    return None


def _exact_counterexample(loss: Loss, element: Rescale) -> tuple[Point, Decision] | None:
    """For piecewise-linear activations: ``D`` exactly at points where no pre-activation vanishes."""
    mlp, act = loss.mlp, loss.mlp.activation
    incoming, outgoing = identity_parameters(loss, element.layer, element.unit)
    expr = loss.expression(SIGMA)
    D = sympy.Add(*[p * sympy.diff(expr, p) for p in incoming]) - element.degree * sympy.Add(
        *[v * sympy.diff(expr, v) for v in outgoing]
    )
    slope = act.slope if act.slope is not None else 0
    for seed in range(REFUTATION_TRIES):
        point = mlp.random_point(500 + seed, scale=2, denominator=3 + seed % 4)
        at = D.xreplace(dict(zip(mlp.symbols, point.values))).replace(SIGMA, act.sympy)
        kinks = [f.args[0] for f in at.atoms(SIGMA_PRIME)]
        if not all(u.is_Rational for u in kinks) or 0 in kinks:
            continue  # a kink: the derivative is not defined there
        value = at.replace(SIGMA_PRIME, lambda u: 1 if u > 0 else slope)
        if value.is_Rational and value != 0:  # exact: the loss is rational at rational points
            return point, Decision("proved", "!=", value, value, 0)
    return None


def translation_gradient_identity(loss: Loss, element: Translate) -> GradientProof:
    """Kunin's identity for the translated output biases ``b_k``: ``D = sum_k dL/db_k = 0``.

    ``D`` is computed exactly from the closed-form loss (abstract ``sigma`` for the hidden
    activation); every ``exp`` in it is replaced by a positive symbol, and the rational function
    that results cancels to 0 (an identity for independent symbols holds for the exponentials).
    A numeric spot check follows: the sum of the engine's enclosures of ``dL/db_k`` at an exact
    point contains 0 (evidence, not part of the proof). Some biases only: refuted at an exact point.

    >>> from symcert import MLP, Dataset, Loss
    >>> loss = Loss(MLP((1, 1, 2), "tanh", output_activation="softmax"),
    ...             Dataset([[1], [2]], [[1, 0], [0, 1]]), "cross_entropy")
    >>> prove_gradient_identity(loss, "translate:1").status
    'proved'
    >>> prove_gradient_identity(loss, "translate:1:0").status
    'refuted'
    """
    mlp = loss.mlp
    biases = mlp.layers(mlp.symbols)[-1].biases
    assert biases is not None  # element.check(mlp): a translation needs biases
    incoming = tuple(biases[k] for k in element.shifted(mlp))
    claim = (
        f"sum over b in ({', '.join(map(str, incoming))}) of dL/db = 0 for every theta, "
        f"for the {loss.describe()}"
    )
    # D = scale * sum_i D_i + (the penalty's part, 0: it sees weights only); each D_i is reduced
    # on its own (the same exact check, in smaller rational functions)
    pieces = [sympy.Add(*[sympy.diff(term, b) for b in incoming]) for term in loss.terms(SIGMA)]
    penalty = sympy.Add(
        *[
            sympy.diff(loss.expression(SIGMA) - loss.scale * sympy.Add(*loss.terms(SIGMA)), b)
            for b in incoming
        ]
    )
    atoms = sorted(set().union(*(p.atoms(sympy.exp) for p in pieces)), key=sympy.default_sort_key)
    positive = {a: sympy.Symbol(f"E{n + 1}", positive=True) for n, a in enumerate(atoms)}
    residues = [sympy.cancel(sympy.together(p.xreplace(positive))) for p in pieces]
    reduced = sympy.expand(penalty) + sympy.Add(*residues)
    how = (
        f"D = scale * sum_i D_i over the data points (the weight decay has no bias term); with "
        f"each of the {len(atoms)} exponentials replaced by a positive symbol E_n, every D_i is a "
        "rational function that cancels to 0"
    )
    if reduced != 0 and sympy.expand(penalty) == 0 and _by_the_chain_rule(loss, incoming):
        reduced = sympy.Integer(0)
        how = (
            "b_k enters only z_k(x_i), with dz_j/db_k = [j = k] (checked exactly), so D_i = sum_k "
            "(d ell/dZ_k)(z(x_i)); with Z_k = log E_k (E_k > 0) the sum is a rational function of the E_k "
            "that cancels to 0 (the weight decay has no bias term)"
        )
    steps = [
        ProofStep("statement", claim),
        ProofStep(
            "identity",
            "D = sum_k dL/db_k is the derivative at c = 0 of L(b + c 1) over these biases; it is "
            "computed exactly from L written with an abstract activation sigma",
        ),
    ]

    def make(status: str, counterexample: tuple[Point, Decision] | None = None) -> GradientProof:
        return GradientProof(
            claim,
            loss,
            mlp.depth,
            None,
            1,
            incoming,
            (),
            status,
            tuple(steps),
            None,
            counterexample,
            kind="translation",
        )

    smooth = mlp.activation.smooth
    if reduced == 0:
        steps.append(
            ProofStep(
                "cancellation",
                how,
            )
        )
        if smooth:
            steps.append(_spot_check(loss, incoming))
        steps.append(
            ProofStep(
                "conclusion",
                "D = 0 for every theta; under gradient flow the sum of the output biases is conserved "
                "(its time derivative is -D)",
            )
        )
        return make("proved")
    steps.append(ProofStep("cancellation", "D does not cancel to 0; look for an exact point where D != 0"))
    index = mlp.index
    for seed in range(REFUTATION_TRIES if smooth else 0):
        point = mlp.random_point(500 + seed, scale=2, denominator=3 + seed % 4)

        def value(ctx: Any, point: Point = point) -> Any:
            grad = gradient_in(ctx, loss, point.values)
            return ctx.fsum([grad[index[str(b)]] for b in incoming])

        decision = decide(value, "!=", (30, 60))
        if decision.proved:
            steps.append(
                ProofStep(
                    "counterexample",
                    f"at the exact point theta below, {decision.describe('D')}",
                    (("theta", point),),
                )
            )
            steps.append(ProofStep("conclusion", "the identity does not hold."))
            return make("refuted", (point, decision))
    tried = (
        f"no exact point among {REFUTATION_TRIES} showed D != 0"
        if smooth
        else f"{mlp.activation.label} is not differentiable everywhere, so the engine's gradient is not "
        "used to look for a point where D != 0"
    )
    steps.append(ProofStep("conclusion", f"undecided: {tried}"))
    return make("undecided")


def _spot_check(loss: Loss, biases: tuple[sympy.Symbol, ...]) -> ProofStep:
    """The sum of the engine's enclosures of ``dL/db_k`` at an exact point (evidence: contains 0)."""
    point = loss.mlp.random_point(7, scale=2, denominator=3)
    grad = gradient_enclosure(loss, point, 30)
    index = loss.mlp.index
    total = grad[index[str(biases[0])]]
    for b in biases[1:]:
        total = total + grad[index[str(b)]]
    lo, hi = lower(total), upper(total)
    verdict = "contains" if lo <= 0 <= hi else "does NOT contain"
    return ProofStep(
        "numeric spot check",
        f"at an exact point, the sum of the enclosures of dL/db_k is [{float(lo):.3g}, {float(hi):.3g}], "
        f"which {verdict} 0 (evidence, not proof)",
        (("theta", point), ("lower", lo), ("upper", hi)),
    )


def _by_the_chain_rule(loss: Loss, biases: tuple[sympy.Symbol, ...]) -> bool:
    """``D = 0`` through the output pre-activations: exact ``dz_j/db_k = [j = k]`` at every data point,
    and ``sum_k d ell(Z, y)/dZ_k = 0`` as a rational function of ``E_k = exp(Z_k)``."""
    from symcert.symbolic.losses import Ops
    from symcert.symbolic.network import forward

    mlp = loss.mlp
    last = list(mlp.layers(mlp.symbols)[-1].biases or ())
    moved = [last.index(b) for b in biases]
    for x in loss.data.xs:
        z = forward(mlp, mlp.symbols, list(x), SIGMA, list)
        for k, b in zip(moved, biases):
            if any(sympy.expand(sympy.diff(zj, b)) != (1 if j == k else 0) for j, zj in enumerate(z)):
                return False
    Z = [sympy.Symbol(f"Z{k + 1}", real=True) for k in range(mlp.widths[-1])]
    E = {v: sympy.log(sympy.Symbol(f"E{k + 1}", positive=True)) for k, v in enumerate(Z)}
    ops = Ops(sympy.exp, sympy.log, lambda items: sympy.Add(*items), mlp.output_activation.sympy)
    for y in loss.data.ys:
        ell = loss.function.point(Z, y, ops)
        G = sympy.Add(*[sympy.diff(ell, Z[k]) for k in moved]).xreplace(E)
        if sympy.cancel(sympy.together(G)) != 0:
            return False
    return True
