"""Signed permutations proved structurally: the network function is unchanged, layer by layer.

A signed permutation of hidden units (sign flips, then one permutation per layer,
as :func:`symcert.align` returns) leaves the network function unchanged, and the
argument needs no canonical form of the network: for each factor,

1. the factor's action on the parameters is read off exactly (applied to the
   parameter symbols) and compared, entry by entry, with the map the argument is
   about: a permutation moves rows of ``W_l``, entries of ``b_l`` and columns of
   ``W_{l+1}`` by one bijection, and changes nothing else; a flip negates the
   unit's row, bias and outgoing column (and, for ``s(-u) = 1 - s(u)``, adds the
   original column to ``b_{l+1}``); ``flip_in`` negates the row and bias only;
2. the unit's pre-activation is linear in its row and bias, so negating both
   negates it: ``z -> -z``;
3. a rewrite lemma closes the step: the permutation lemma
   (:func:`symcert.symbolic.generic.permutation_lemma`, a finite sum reindexed),
   or the activation's parity fact (``odd``, ``even``, ``complement``), each
   checked exactly for the concrete activation by
   :func:`symcert.symbolic.lemmas.lemmas_for`. Every later layer then sees the
   same input, so the output is unchanged.

The cost is linear in the number of parameters per factor and does not depend on
the data. A factor the argument does not cover (a rescaling, a flip where the
activation has no parity fact) is handed to
:func:`symcert.proofs.invariance.prove_invariance`.

>>> from symcert import MLP, product, permutation, flip
>>> net = MLP((2, 3, 1), "tanh")
>>> proof = prove_signed_permutation(net, product(flip(1, 2), permutation(1, (1, 2, 0))))
>>> proof.status, [p.status for p in proof.parts]
('proved', ['proved', 'proved'])
>>> sigmoid = MLP((2, 2, 1), "sigmoid")
>>> prove_signed_permutation(sigmoid, flip(1, 0)).status
'proved'
"""

from __future__ import annotations

from typing import Any

from symcert.errors import SpecificationError
from symcert.proofs.invariance import Proof, ProofStep, prove_invariance
from symcert.symbolic.elements import Flip, FlipIn, GroupElement, MutableLayer, Swap
from symcert.symbolic.generic import permutation_lemma
from symcert.symbolic.lemmas import Lemma, lemmas_for
from symcert.symbolic.network import MLP, Layer
from symcert.symbolic.permutations import Permutation, Product, product

__all__ = ["prove_signed_permutation"]


def prove_signed_permutation(mlp: MLP, element: GroupElement) -> Proof:
    """Prove that ``element`` leaves the network function of ``mlp`` unchanged, factor by factor.

    ``element`` is a product of permutations, swaps and flips (any group element is
    accepted: a factor outside the structural argument goes to ``prove_invariance``
    on ``mlp``). The proof's ``parts`` hold one proof per factor; the claim is
    ``f(x; g(theta)) = f(x; theta)`` for every input and every ``theta``.
    """
    if not isinstance(mlp, MLP):
        raise SpecificationError(f"expected an MLP (the network function), got {type(mlp).__name__}")
    if not isinstance(element, GroupElement):
        raise SpecificationError(f"element must be a group element such as flip(1, 0), got {element!r}")
    element.check(mlp)
    whole = element if isinstance(element, Product) else product(element)
    symbols = mlp.layers(mlp.symbols)
    lemmas = lemmas_for(mlp.activation)
    parts = tuple(_factor(mlp, symbols, lemmas, factor) for factor in whole.factors)
    claim = _claim(mlp, element)
    if any(p.status != "proved" for p in parts):
        return prove_invariance(mlp, element)  # the whole product, decided as one substitution
    used = {lemma.key: lemma for p in parts for lemma in p.lemmas}
    steps = (
        ProofStep("statement", claim),
        ProofStep(
            "factors",
            f"g applies {len(parts)} factor{'s' if len(parts) != 1 else ''} in order, each proved "
            "structurally below; a composition of maps that each leave f unchanged leaves f unchanged",
        ),
        ProofStep("conclusion", f"f is invariant under {element}"),
    )
    if not isinstance(element, Product):
        return parts[0]
    return Proof(claim, mlp, element, "proved", steps, tuple(used.values()), parts=parts)


def _claim(mlp: MLP, element: GroupElement) -> str:
    return (
        f"f(x; g(theta)) = f(x; theta) for every input x and every theta, where g = {element} "
        f"and f is the {mlp.describe()}"
    )


def _factor(mlp: MLP, symbols: list[Layer], lemmas: dict[str, Lemma], factor: GroupElement) -> Proof:
    """One factor: its exact action matches the structural map, and a lemma closes the step."""
    plan = _structural_map(mlp, symbols, lemmas, factor)
    if plan is None:
        return prove_invariance(mlp, factor)
    expected, lemma, text = plan
    image = mlp.layers(factor.act(mlp, mlp.symbols))
    if image != expected:  # the element does not act as the argument assumes: decide it directly
        return prove_invariance(mlp, factor)
    steps = (
        ProofStep("statement", _claim(mlp, factor)),
        ProofStep("action", text),
        ProofStep(f"lemma: {lemma.name}", lemma.justification, (("general", lemma.general),))
        if isinstance(lemma, Lemma)
        else ProofStep("lemma: permutation", lemma),
        ProofStep(
            "conclusion",
            f"the input of layer {factor.layer + 1} is unchanged, so every later layer and the output "
            f"are: f is invariant under {factor}",
        ),
    )
    used = (lemma,) if isinstance(lemma, Lemma) else ()
    return Proof(_claim(mlp, factor), mlp, factor, "proved", steps, used)


def _copy(symbols: list[Layer]) -> list[MutableLayer]:
    return [
        MutableLayer([list(r) for r in s.weights], None if s.biases is None else list(s.biases))
        for s in symbols
    ]


def _frozen(layers: list[MutableLayer]) -> list[Layer]:
    return [s.frozen() for s in layers]


def _structural_map(
    mlp: MLP, symbols: list[Layer], lemmas: dict[str, Lemma], factor: GroupElement
) -> tuple[list[Layer], Any, str] | None:
    """The map the structural argument covers for ``factor``, its lemma and the step's text; or None."""
    layers = _copy(symbols)
    l = factor.layer
    here, after = layers[l - 1], layers[l]
    if isinstance(factor, (Permutation, Swap)):
        width = mlp.widths[l]
        source = list(range(width))
        if isinstance(factor, Swap):
            source[factor.i], source[factor.j] = factor.j, factor.i
        else:
            source = list(factor.source)
        here.weights[:] = [here.weights[s] for s in source]
        if here.biases is not None:
            here.biases[:] = [here.biases[s] for s in source]
        for row in after.weights:
            row[:] = [row[s] for s in source]
        lemma = permutation_lemma()
        text = (
            f"g moves rows of W{l}, entries of b{l} and columns of W{l + 1} by one bijection of the "
            f"{width} units of layer {l} and changes nothing else (checked entry by entry on the "
            "parameter symbols); each unit keeps its row, bias and column"
        )
        why = (
            f"layer {l}'s contribution to every pre-activation of layer {l + 1} is a sum over its units, "
            f"and {lemma.statement} (reindex k = pi(j): a finite sum does not depend on the order of "
            "its terms)"
        )
        return _frozen(layers), why, text
    if isinstance(factor, (Flip, FlipIn)):
        u = factor.unit
        here.weights[u] = [-w for w in here.weights[u]]
        if here.biases is not None:
            here.biases[u] = -here.biases[u]
        moved = f"the row {u + 1} of W{l}" + (f" and b{l}[{u + 1}]" if here.biases is not None else "")
        if isinstance(factor, FlipIn):
            if "even" not in lemmas:
                return None
            text = (
                f"g negates {moved} and changes nothing else, so the unit's pre-activation z, linear in "
                "them, becomes -z, and its output s(-z) = s(z)"
            )
            return _frozen(layers), lemmas["even"], text
        column = [row[u] for row in after.weights]
        for row in after.weights:
            row[u] = -row[u]
        if "odd" in lemmas and not mlp.activation.complement:
            text = (
                f"g negates {moved} and column {u + 1} of W{l + 1}, and changes nothing else; the "
                "unit's pre-activation z, linear in its row and bias, becomes -z, and its contribution "
                "(-v) s(-z) = v s(z) to the next layer is unchanged"
            )
            return _frozen(layers), lemmas["odd"], text
        if "complement" in lemmas and after.biases is not None:
            for m, w in enumerate(column):
                after.biases[m] = after.biases[m] + w
            text = (
                f"g negates {moved} and column {u + 1} of W{l + 1} and adds the original column v to "
                f"b{l + 1}; the unit's pre-activation z becomes -z, and its contribution "
                "(-v) s(-z) + v = -v (1 - s(z)) + v = v s(z) is unchanged"
            )
            return _frozen(layers), lemmas["complement"], text
    return None
