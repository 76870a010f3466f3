"""The group's argument in words: why each layer's signs are symmetries, and why the generators suffice.

The group itself is derived in :mod:`symcert.symbolic.group` from the activation's facts; this
module says why, for the proofs' steps and the records: :func:`flip_reason` (case 2 of that
module, from the rule that decided it) and :func:`generation_argument` (invariance under every
generator is invariance under every product of them: the text of a group proof's ``generation``
step).

>>> from symcert import MLP
>>> flip_reason(MLP((1, 2, 1), "sigmoid").symmetry_group().layers[0], "sigmoid")
'sigmoid(-u) = 1 - sigmoid(u): a flip with the shift b2 += W2[:, j]'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from symcert.symbolic.group import LayerSymmetries, SymmetryGroup

__all__ = ["flip_reason", "generation_argument"]


def flip_reason(layer: LayerSymmetries, name: str) -> str:
    """Why a unit sign is, or is not, a symmetry of hidden layer ``layer`` of activation ``name``."""
    l = layer.layer
    return {
        "even": f"{name} is even: s(-u) = s(u), so the unit absorbs a sign on its incoming side",
        "odd": f"{name} is odd: s(-u) = -s(u)",
        "complement": f"{name}(-u) = 1 - {name}(u): a flip with the shift b{l + 1} += W{l + 1}[:, j]",
        "complement without bias": f"{name}(-u) = 1 - {name}(u) needs biases in layer {l + 1} to absorb "
        "the shift",
        "neither": f"{name} is neither odd nor even",
    }[layer.sign_rule]


def generation_argument(group: SymmetryGroup) -> str:
    """Why invariance under the generators gives invariance under the whole group.

    >>> from symcert import MLP
    >>> generation_argument(MLP((1, 1), "tanh").symmetry_group())
    'The network has no hidden layer: the group is trivial.'
    """
    if not group.layers:
        return "The network has no hidden layer: the group is trivial."
    parts = []
    for layer in group.layers:
        if layer.flips:
            what = "sign flip" if layer.sign_kind == "flip" else "incoming sign flip"
            parts.append(
                f"layer {layer.layer}: the adjacent swaps and one {what} generate the "
                f"signed permutations of {layer.width} units (order {layer.order})"
            )
        else:
            parts.append(
                f"layer {layer.layer}: the adjacent swaps generate all permutations of "
                f"{layer.width} units (order {layer.order})"
            )
    return (
        "; ".join(parts) + ". Elements acting on different layers commute, so the group is the product "
        f"(order {group.order}), and a function invariant under every generator is invariant "
        "under every product of generators, that is, under the whole group."
    )
