"""The generation step of a group proof: why the generators' invariance gives the whole group's.

Invariance under every generator of a group is invariance under every product of them; this
module states that step for the group of a network, layer by layer (the text of the proof's
``generation`` step).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from symcert.symbolic.group import SymmetryGroup

__all__ = ["generation_argument"]


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
