"""What a certificate kind declares, once: :class:`CertificateKind`.

A kind states its claim (the decisive quantity, its relation to 0, a sentence
for people and a short title), its parameters with their JSON schema, the
enclosures it may carry, its precision ladder, its size limit for the Coq
export (None: no export) and, for the kinds :func:`~symcert.certify_nonconvexity`
runs, the function that proves it. The modules of :mod:`symcert.proofs.kinds`
each declare one; the prover, the command line, the printers and the JSON
writer look them up in :data:`symcert.proofs.kinds.KINDS`.

>>> from fractions import Fraction
>>> toy = CertificateKind("toy", "gap", ">", "L(B) - L(A) > 0", "a toy", (Parameter("t0", "a rational"),))
>>> toy.ladder(30), toy.exports_to_coq, toy.claim_record()["relation"]
((30, 60, 120), False, '>')
>>> toy.schema()["required"]
['t0']
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from symcert.limits import DPS_LADDER

if TYPE_CHECKING:
    from symcert.proofs.certificates import Certificate
    from symcert.symbolic.losses import Loss

__all__ = ["CertificateKind", "Parameter", "RATIONAL", "INTEGER"]

#: The JSON schema of an exact rational written as text ("3/4", "-2", "0").
RATIONAL: dict[str, Any] = {"type": "string", "pattern": r"^-?[0-9]+(/[0-9]+)?$"}
#: The JSON schema of an integer.
INTEGER: dict[str, Any] = {"type": "integer"}


@dataclass(frozen=True)
class Parameter:
    """One entry of a certificate's ``parameters``: its name, meaning, JSON schema and default."""

    name: str
    description: str
    schema: Any = None
    required: bool = True
    default: Any = None

    def json_schema(self) -> dict[str, Any]:
        """The JSON schema of the value, with its description."""
        return {**(self.schema or RATIONAL), "description": self.description}


@dataclass(frozen=True)
class CertificateKind:
    """A certificate kind, declared once (see the module docstring).

    ``quantity``, ``relation`` and ``claim`` are written into every certificate's ``claim``
    record; ``title`` names the argument in headings. ``ladder_factors`` multiply the
    requested precision (:data:`symcert.limits.DPS_LADDER`); ``coq_limit`` is the largest
    ``parameters x data points`` exported to Coq (None: the kind has no Coq export).
    ``certify(loss, A, B, element, dps, t0, layer)`` proves it, for the kinds that
    :func:`~symcert.certify_nonconvexity` runs; ``old_names`` are names older files used.
    """

    name: str
    quantity: str
    relation: str
    claim: str
    title: str
    parameters: tuple[Parameter, ...] = ()
    enclosures: tuple[str, ...] = ()
    needs_B: bool = True
    smooth: bool = False
    ladder_factors: tuple[int, ...] = DPS_LADDER
    coq_limit: int | None = None
    certify: Callable[..., Certificate] | None = None
    old_names: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.name

    def ladder(self, dps: int) -> tuple[int, ...]:
        """The precisions tried from ``dps`` up, in order (a rung only if the one before did not decide)."""
        return tuple(factor * dps for factor in self.ladder_factors)

    @property
    def exports_to_coq(self) -> bool:
        """True when the kind has a Coq export."""
        return self.coq_limit is not None

    def parameter(self, name: str) -> Parameter | None:
        """The declared parameter ``name``, or None."""
        return next((p for p in self.parameters if p.name == name), None)

    def claim_record(self) -> dict[str, str]:
        """The ``claim`` record of the certificate's JSON."""
        return {"quantity": self.quantity, "relation": self.relation, "text": self.claim}

    def schema(self) -> dict[str, Any]:
        """The JSON schema of the certificate's ``parameters`` object."""
        return {
            "type": "object",
            "properties": {p.name: p.json_schema() for p in self.parameters},
            "required": [p.name for p in self.parameters if p.required],
            "additionalProperties": False,
        }

    def coq_size(self, loss: Loss, layer: int = 1) -> int:
        """``parameters x data points`` of the Coq export (what ``coqc``'s time grows with)."""
        return loss.mlp.n_parameters * loss.data.n_points

    def coq_size_text(self) -> str:
        """What :meth:`coq_size` counts, in words."""
        return "parameters x data points"

    def coq_refusal(self, loss: Loss, layer: int = 1) -> str | None:
        """A reason particular to the kind why the Coq export is refused, or None."""
        return None


@dataclass(frozen=True)
class LayerAverageKind(CertificateKind):
    """A kind whose Coq export enumerates a layer's ``n!`` permutations (see ``orbit``)."""

    coq_max_units: int = 4

    def coq_size(self, loss: Loss, layer: int = 1) -> int:
        size = super().coq_size(loss, layer)
        if layer in loss.mlp.hidden_layers:
            size *= math.factorial(loss.mlp.widths[layer])
        return size

    def coq_size_text(self) -> str:
        return "parameters x data points x n!"

    def coq_refusal(self, loss: Loss, layer: int = 1) -> str | None:
        if layer not in loss.mlp.hidden_layers or loss.mlp.widths[layer] <= self.coq_max_units:
            return None
        n, most = loss.mlp.widths[layer], self.coq_max_units
        return (
            f"an {self.name} certificate averages layer {layer} over its {n}! = {math.factorial(n)} "
            f"permutations; Coq export stops at {most} units ({math.factorial(most)} permutations)"
        )
