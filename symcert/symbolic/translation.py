"""The softmax translation: add one constant ``c`` to output biases (``translate:C``).

``softmax(z + c 1) = softmax(z)``, so adding the same ``c`` to every output bias leaves the
outputs of a softmax network, and any loss on them, unchanged: a continuous symmetry of
dimension 1 (Kunin et al. 2021, "translation"). It acts on the output layer, not on a hidden
one. ``translate:C:K1,K2`` adds ``c`` to some output biases only: in general not a symmetry
(kept so that the wrong variant can be stated and refuted).

>>> from symcert import MLP
>>> net = MLP((1, 1, 2), "tanh", output_activation="softmax")
>>> translate(3)(net.point(W1=[[1]], b1=[0], W2=[[1], [2]], b2=[5, 6]))
Point(W1=[[1]], b1=[0], W2=[[1], [2]], b2=[8, 9])
>>> parse_translation("translate:1/2:0")
translate(1/2, outputs=(0,))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import sympy

from symcert.errors import SpecificationError
from symcert.symbolic.elements import GroupElement
from symcert.symbolic.exact import to_rational

if TYPE_CHECKING:
    from symcert.symbolic.elements import MutableLayer
    from symcert.symbolic.network import MLP

__all__ = ["Translate", "translate", "parse_translation"]


@dataclass(frozen=True)
class Translate(GroupElement):
    """Add the exact ``shift`` to the output biases ``outputs`` (all of them when None)."""

    shift: sympy.Rational
    outputs: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "shift", to_rational(self.shift, "shift"))
        if self.outputs is not None:
            outputs = tuple(self.outputs)
            if not outputs or any(isinstance(k, bool) or not isinstance(k, int) or k < 0 for k in outputs):
                raise SpecificationError(
                    f"translate needs output units that are non-negative integers, got {self.outputs!r}"
                )
            if len(set(outputs)) != len(outputs):
                raise SpecificationError(f"translate names an output unit twice: {outputs}")
            object.__setattr__(self, "outputs", outputs)

    @property
    def units(self) -> tuple[int, ...]:
        return self.outputs or ()

    def check(self, mlp: MLP) -> None:
        if not mlp.has_bias(mlp.depth):
            raise SpecificationError(
                f"{self} shifts output biases, but {mlp.describe()} has no biases in its output layer; "
                "build it with bias=True (or a last entry True in bias=(...))"
            )
        width = mlp.widths[-1]
        for k in self.units:
            if k >= width:
                raise SpecificationError(
                    f"{self} uses output unit {k}, but the network has {width} output"
                    f"{'s' if width != 1 else ''} (0 to {width - 1})"
                )

    def shifted(self, mlp: MLP) -> tuple[int, ...]:
        """The output units whose bias moves."""
        return self.outputs if self.outputs is not None else tuple(range(mlp.widths[-1]))

    def _act_layers(self, mlp: MLP, layers: list[MutableLayer]) -> None:
        last = layers[-1]
        assert last.biases is not None  # check() asks for biases
        for k in self.shifted(mlp):
            last.biases[k] = last.biases[k] + self.shift

    def __str__(self) -> str:
        tail = "" if self.outputs is None else ":" + ",".join(map(str, self.outputs))
        return f"translate:{self.shift}{tail}"

    def __repr__(self) -> str:
        tail = "" if self.outputs is None else f", outputs={self.outputs}"
        return f"translate({self.shift}{tail})"


def translate(shift: object, outputs: tuple[int, ...] | None = None) -> Translate:
    """Add exact ``shift`` to every output bias (or to those of ``outputs``, 0-based).

    >>> translate("1/3"), translate(2, outputs=(1,))
    (translate(1/3), translate(2, outputs=(1,)))
    """
    return Translate(shift, outputs)


def parse_translation(text: str) -> Translate:
    """Read ``translate:C`` or ``translate:C:K1,K2`` (see the module docstring)."""
    kind, *fields = text.strip().split(":")
    if kind != "translate" or len(fields) not in (1, 2):
        raise SpecificationError(f"cannot read the element {text!r}: write translate:C or translate:C:K1,K2")
    try:
        outputs = None if len(fields) == 1 else tuple(int(k) for k in fields[1].split(","))
    except ValueError:
        raise SpecificationError(
            f"cannot read the element {text!r}: the output units are integers, e.g. translate:1:0,1"
        ) from None
    return translate(fields[0], outputs)
