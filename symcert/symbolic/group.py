r"""The symmetry group of a network, derived once from its activation's facts.

Notation: hidden unit ``j`` of layer ``l`` computes ``u_j = sum_k W_l[j, k] a_k + b_j``
from the previous layer's activations ``a``, outputs ``s(u_j)``, and contributes
``v_j s(u_j)`` to the pre-activations of layer ``l + 1`` (``v_j`` is column ``j``
of ``W_{l+1}``). The elements are defined in :mod:`symcert.symbolic.elements`.

The mathematics, stated once (each case is a lemma of the activation, checked
exactly in :mod:`symcert.symbolic.lemmas`, and each element is proved by
:func:`symcert.prove_invariance`):

1. Permutations of a layer's units: always symmetries (a sum is reindexed).
2. A sign on one unit. Negating the unit's incoming side (row ``j`` and ``b_j``)
   sends ``u_j`` to ``-u_j``; the activation's facts say where the sign goes:
   an *even* activation (``s(-u) = s(u)``, square) absorbs it: ``flip_in`` is a
   symmetry; an *odd* one (``s(-u) = -s(u)``) passes it to the output, where
   negating ``v_j`` cancels it: ``flip``; a *complement* (``s(-u) = 1 - s(u)``,
   sigmoid) turns ``v_j s(u_j)`` into ``v_j s(u_j) - v_j``, and the constant is
   absorbed by the next bias, ``b_{l+1} += v_j`` (so only when layer ``l + 1`` has biases); any
   other activation blocks it. With the swaps, one sign element per layer
   generates the signed permutations: order ``n! 2^n`` instead of ``n!``.
3. Rescaling one unit (continuous). If ``s(c u) = c^k s(u)`` for every
   ``c > 0`` (positively homogeneous of degree ``k``: ReLU, leaky ReLU and the
   identity ``k = 1``, square ``k = 2``, cube ``k = 3``), scaling the incoming side by
   ``c`` scales the output by ``c^k``, and scaling ``v_j`` by ``c^-k`` restores the
   contribution: ``rescale:l:j:c:k``. One dimension per unit: the family of a layer of
   width ``n`` has dimension ``n``.
4. A sign carried across layers (``layer_sign(F, T)``: negate ``W_F`` and ``W_T``).
   Follow the sign layer by layer. At layer ``p`` the pre-activations become
   ``(-1)^(n_p + s_p) W_p a + b_p``, where ``n_p`` says whether ``W_p`` is negated
   and ``s_p`` whether the incoming activations carry a sign. With ``n_p + s_p``
   even nothing changes; odd, the result is ``-u`` only when layer ``p`` has no biases, and then
   the activation decides as in 2: even absorbs it (``s_{p+1} = 0``), odd
   passes it on (``s_{p+1} = 1``), anything else (and the output layer, whose
   values are compared, not activated) blocks it. The element is a symmetry iff
   no layer blocks and no sign is left after the output layer. So in a network
   without biases square after square absorbs the sign of every layer
   (``layer_sign(F, T)`` for hidden ``F < T``), and odd layers carry a sign from
   ``F`` to ``T`` (any ``F < T <= depth``). A layer of one unit is a special case:
   there the unit's column ``v_0`` is all of ``W_{l+1}``, so ``flip(l, 0)``, which is
   ``flip_in(l, 0)`` followed by negating ``W_{l+1}``, is a symmetry of square after
   square without biases (and ``flip_in(l, 0)`` one of odd layers only if the sign
   sent into layer ``l + 1`` is absorbed later, which one odd activation never does).

   With one hidden activation these are products of unit signs, so they add no
   new elements and leave the order unchanged: for an even activation
   ``layer_sign(F, T)`` is the product of ``flip_in(F, j)`` and ``flip_in(T, j)``
   over all units ``j``; for an odd one, the product of ``flip(p, j)`` over all
   units of the layers ``F <= p < T`` (each intermediate ``W_p`` is negated twice).
   More generally, take a map that multiplies every parameter by ``+1`` or ``-1`` and
   sends every pre-activation to plus or minus itself (at generic parameters). It is
   fixed by the signs ``r_p[j]`` of the hidden pre-activations: ``b_p[j]`` gets the
   sign ``r_p[j]`` and ``W_p[j, k]`` the sign ``r_p[j] t_{p-1}[k]``, where ``t = r`` (odd)
   or ``t = +1`` (even) is the sign of the activation (``t_0 = +1`` on the inputs); the
   output's pre-activations keep theirs, and for any other activation every
   ``r_p[j] = +1``. Such maps therefore number ``prod_l 2^(n_l)`` for an odd or even
   activation, exactly the unit signs, and the discrete group is the product over
   hidden layers of ``n! 2^n`` (with a sign element) or ``n!``.
   The general rule is kept because it is where a network with different
   activations per layer (odd followed by even) would gain new elements.
5. Translating the output biases (continuous, dimension 1). With a softmax output,
   ``softmax(z + c 1) = softmax(z)`` (the lemma of :func:`symcert.symbolic.lemmas.translation_lemma`),
   so adding one constant ``c`` to every output bias changes no output: ``translate:c``. Listed
   only for a softmax output with biases; adding ``c`` to some biases only is not a symmetry.

Biases are per layer (``MLP(..., bias=(True, False))``): a hidden unit's bias moves with its row
under every element above (and a layer without biases has nothing to move), so only the rules that
need a bias read it, each from its own layer: the complement's shift (layer ``l + 1``), the
carried sign (the layer it passes through) and the translation (the output layer).

>>> from symcert import MLP
>>> group = MLP((1, 3, 1), "tanh").symmetry_group()
>>> group.order, group.generators
(48, (swap(1, 0, 1), swap(1, 1, 2), flip(1, 0)))
>>> square = MLP((1, 2, 2, 1), "square", bias=False).symmetry_group()
>>> square.order, square.generators[:2], square.cross_layer
(64, (swap(1, 0, 1), flip_in(1, 0)), (layer_sign(1, 2),))
>>> [(f.layer, f.dimension, f.degree) for f in square.continuous]
[(1, 2, 2), (2, 2, 2)]
>>> [(f.kind, f.layer, f.dimension) for f in MLP((1, 2, 3), "tanh", output_activation="softmax")
...     .symmetry_group().continuous]
[('translation', 2, 1)]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from symcert.display import Displayed
from symcert.symbolic.elements import (
    Flip,
    FlipIn,
    GroupElement,
    LayerSign,
    Rescale,
    Swap,
    flip,
    flip_in,
    layer_sign,
    parse_element,
    rescale,
    swap,
)
from symcert.symbolic.permutations import Permutation, Product
from symcert.symbolic.translation import Translate, translate

if TYPE_CHECKING:
    from symcert.symbolic.activations import Activation
    from symcert.symbolic.network import MLP

__all__ = [
    "GroupElement",
    "Swap",
    "Flip",
    "FlipIn",
    "Rescale",
    "LayerSign",
    "swap",
    "flip",
    "flip_in",
    "rescale",
    "layer_sign",
    "Translate",
    "translate",
    "parse_element",
    "sign_rule",
    "SIGN_RULES",
    "carries_sign",
    "SymmetryGroup",
    "LayerSymmetries",
    "ContinuousFamily",
]


#: Why a unit sign is, or is not, a symmetry (case 2): the fact that decides it.
SIGN_RULES = ("even", "odd", "complement", "complement without bias", "neither")


def sign_rule(facts: Activation, bias: bool) -> tuple[str | None, str]:
    """Where a sign on a unit's pre-activation goes (case 2): the unit sign element and the deciding rule.

    Returns ``("flip_in", "even")`` for an even activation, ``("flip", "odd")`` for an
    odd one, ``("flip", "complement")`` for a complement with biases, and ``(None, rule)``
    otherwise; the rule is one of :data:`SIGN_RULES` (its prose is
    :func:`symcert.proofs.generation.flip_reason`).

    >>> from symcert.symbolic.activations import activation
    >>> sign_rule(activation("square"), True), sign_rule(activation("relu"), True)
    (('flip_in', 'even'), (None, 'neither'))
    """
    if facts.even:
        return "flip_in", "even"
    if facts.odd:
        return "flip", "odd"
    if facts.complement:
        return ("flip", "complement") if bias else (None, "complement without bias")
    return None, "neither"


def carries_sign(mlp: MLP, negated: frozenset[int] | set[int]) -> tuple[bool, str]:
    """Case 4: whether negating the weight matrices ``W_p`` for ``p`` in ``negated`` is a symmetry.

    Follows the sign layer by layer with the activation's facts; returns the
    verdict and the account of where the sign went.

    >>> from symcert import MLP
    >>> carries_sign(MLP((1, 2, 2, 1), "square", bias=False), {1, 2})[0]
    True
    >>> carries_sign(MLP((1, 2, 2, 1), "square"), {1, 2})
    (False, 'W1 negated: the pre-activations of layer 1 become -W1 a + b1, which is not +-(W1 a + b1)')
    """
    facts, carried, account = mlp.activation, False, []
    for p in range(1, mlp.depth + 1):
        flipped = (p in negated) != carried
        if not flipped:
            if carried or p in negated:
                account.append(f"layer {p}: the sign of W{p} cancels the incoming sign")
            carried = False
            continue
        cause = f"W{p} negated" if p in negated else f"the activations of layer {p - 1} carry a sign"
        if mlp.has_bias(p):
            return False, (
                f"{cause}: the pre-activations of layer {p} become -W{p} a + b{p}, "
                f"which is not +-(W{p} a + b{p})"
            )
        if p == mlp.depth:
            return False, f"{cause}: the outputs change sign"
        if facts.even:
            account.append(f"layer {p}: {cause}; {facts.name} is even and absorbs the sign")
            carried = False
        elif facts.odd:
            account.append(f"layer {p}: {cause}; {facts.name} is odd and passes the sign on")
            carried = True
        else:
            return (
                False,
                f"{cause}: {facts.name} is neither odd nor even, so the sign is blocked at layer {p}",
            )
    return True, "; ".join(account)


@dataclass(frozen=True)
class ContinuousFamily:
    """A continuous family of symmetries: ``kind`` ``"rescale"`` (the units of a ReLU layer, degree 1)
    or ``"translation"`` (the output biases of a softmax layer, dimension 1, ``degree`` None)."""

    layer: int
    kind: str
    dimension: int
    description: str
    degree: int | None = 1

    def element(self, unit: int, alpha: object) -> Rescale | Translate:
        """The member that rescales ``unit`` by ``alpha`` (of a translation: shifts by ``alpha``)."""
        if self.kind == "translation":
            return translate(alpha)
        assert self.degree is not None  # a rescaling family has its degree
        return rescale(self.layer, unit, alpha, self.degree)


@dataclass(frozen=True)
class LayerSymmetries:
    """What one hidden layer contributes to the group: its unit sign element and rescaling degree."""

    layer: int
    width: int
    sign_kind: str | None
    sign_rule: str
    degree: int | None

    @property
    def flips(self) -> bool:
        """Whether a unit sign element (``flip`` or ``flip_in``) is a symmetry."""
        return self.sign_kind is not None

    @property
    def rescaling(self) -> bool:
        """Whether rescaling a unit is a (continuous) symmetry."""
        return self.degree is not None

    @property
    def order(self) -> int:
        """``n!`` or, with sign flips, ``n! 2^n``."""
        return math.factorial(self.width) * (2**self.width if self.flips else 1)


@dataclass(frozen=True)
class SymmetryGroup(Displayed):
    """The discrete group of hidden-unit symmetries of a network, and its continuous families.

    ``order`` is the product over hidden layers of ``n!`` (permutations) or
    ``n! 2^n`` (signed permutations); ``generators`` are the adjacent swaps and,
    where valid, one sign element per layer (``flip`` or ``flip_in``);
    ``continuous`` lists rescaling families; ``cross_layer`` the signs carried
    across layers (products of the generators).
    """

    mlp: MLP
    layers: tuple[LayerSymmetries, ...]

    @classmethod
    def of(cls, mlp: MLP) -> SymmetryGroup:
        """Derive the group of ``mlp`` from its activation's facts (the one place this is done)."""
        facts = mlp.activation
        layers = []
        for l in mlp.hidden_layers:
            # a complement's constant is absorbed by the next layer's biases (case 2)
            kind, rule = sign_rule(facts, mlp.has_bias(l + 1))
            layers.append(LayerSymmetries(l, mlp.widths[l], kind, rule, facts.homogeneity))
        return cls(mlp, tuple(layers))

    @property
    def order(self) -> int:
        """The order of the discrete group (an ``int``)."""
        return math.prod(layer.order for layer in self.layers)

    @property
    def generators(self) -> tuple[GroupElement, ...]:
        """Adjacent swaps and, where a unit sign is a symmetry, one ``flip`` or ``flip_in`` per layer."""
        out: list[GroupElement] = []
        for layer in self.layers:
            out.extend(swap(layer.layer, i, i + 1) for i in range(layer.width - 1))
            if layer.sign_kind == "flip":
                out.append(flip(layer.layer, 0))
            elif layer.sign_kind == "flip_in":
                out.append(flip_in(layer.layer, 0))
        return tuple(out)

    @property
    def cross_layer(self) -> tuple[LayerSign, ...]:
        """Signs carried from one layer to the next (case 4): ``layer_sign(F, F + 1)`` where a symmetry.

        They generate every ``layer_sign(F, T)`` that is a symmetry, and are
        themselves products of the generators, so they leave the order unchanged.
        """
        mlp = self.mlp
        found = [
            layer_sign(l, l + 1) for l in mlp.hidden_layers if carries_sign(mlp, frozenset({l, l + 1}))[0]
        ]
        return tuple(found)

    @property
    def continuous(self) -> tuple[ContinuousFamily, ...]:
        """Continuous families of symmetries: rescaling for positively homogeneous activations, and
        the translation of the output biases for a softmax output with biases."""
        name = self.mlp.activation.name
        families = []
        for layer in self.layers:
            if not layer.rescaling:
                continue
            k, l = layer.degree, layer.layer
            power = "" if k == 1 else f"^{k}"
            text = "rescale:{l}:j:alpha" if k == 1 else "rescale:{l}:j:alpha:{k}"
            bias = f" and b{l}_j" if self.mlp.has_bias(l) else ""
            families.append(
                ContinuousFamily(
                    l,
                    "rescale",
                    layer.width,
                    f"{text.format(l=l, k=k)} for each unit j and alpha > 0 "
                    f"(row j of W{l}{bias} times alpha, column j of W{l + 1} over alpha{power}), "
                    f"since {name}(alpha u) = alpha{power} {name}(u)",
                    k,
                )
            )
        mlp = self.mlp
        if mlp.output_activation.name == "softmax" and mlp.has_bias(mlp.depth):
            last = mlp.depth
            families.append(
                ContinuousFamily(
                    last,
                    "translation",
                    1,
                    f"translate:c for every real c (c added to every entry of b{last}), "
                    "since softmax(z + c 1) = softmax(z)",
                    None,
                )
            )
        return tuple(families)

    def contains(self, element: GroupElement) -> bool:
        """Whether the activation's facts make ``element`` a symmetry (a claim to prove)."""
        element.check(self.mlp)
        if isinstance(element, Product):
            return all(self.contains(factor) for factor in element.factors)
        if isinstance(element, Translate):
            every = element.outputs is None or set(element.outputs) == set(range(self.mlp.widths[-1]))
            translation = any(f.kind == "translation" for f in self.continuous)
            return element.shift == 0 or (every and translation)
        if isinstance(element, LayerSign):
            return carries_sign(self.mlp, frozenset({element.first, element.last}))[0]
        facts = self.layers[element.layer - 1]
        if isinstance(element, (Swap, Permutation)):
            return True
        if isinstance(element, (Flip, FlipIn)):
            if facts.sign_kind == ("flip" if isinstance(element, Flip) else "flip_in"):
                return True
            # flip and flip_in differ by the sign of the unit's column of W_{l+1}; in a layer of one
            # unit that column is all of W_{l+1}: a sign carried into layer l+1 (case 4)
            return (
                facts.sign_kind is not None
                and facts.width == 1
                and carries_sign(self.mlp, frozenset({element.layer + 1}))[0]
            )
        if isinstance(element, Rescale):
            return element.alpha == 1 or facts.degree == element.degree
        return False
