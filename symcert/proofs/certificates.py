"""Certificates of non-convexity: exact statement, enclosures relied on, verdict, JSON.

A :class:`Certificate` is data. Its statement (network, loss, data, exact
points, kind, claim) is everything the independent checker
(:mod:`symcert.checker`) needs; the enclosures are what the prover found, and
the checker verifies that they contain what it recomputes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import sympy

from symcert.display import Displayed
from symcert.numeric.decide import Decision
from symcert.symbolic.exact import format_rational
from symcert.symbolic.group import GroupElement
from symcert.symbolic.losses import Loss
from symcert.symbolic.network import MLP
from symcert.symbolic.point import Point

__all__ = ["Certificate", "CLAIMS", "SCHEMA", "VERSION", "network_record"]

SCHEMA, VERSION = "symcert-certificate", 1

#: For each kind: the decisive quantity, its relation to 0, and a sentence for people.
CLAIMS = {
    "chord": ("barrier", ">", "L((A+B)/2) - (L(A) + L(B))/2 > 0: the midpoint lies above the chord"),
    "curvature": ("phi''(t0)", "<", "phi''(t0) < 0 for phi(t) = L(A + t(B - A)): concave along the segment"),
    "hessian": (
        "dHd",
        "<",
        "d^T H(M) d < 0 at M = (A+B)/2, d = B - A: the Hessian is not positive semidefinite",
    ),
    "orbit": ("gap", ">", "L(mean of A over the layer's permutations) - L(A) > 0: averaging the orbit hurts"),
    "critical": (
        "phi'(t0)",
        "!=",
        "A and B are critical points (global minima) and grad L(A + t0(B - A)) != 0",
    ),
    "barrier": (
        "barrier",
        "in",
        "sup_t L((1-t)A + tB) - chord(t) lies in the enclosure: each piece of [0, 1] bounds it above, "
        "the witness below",
    ),
    "critical_point": (
        "margin",
        "<",
        "K(X) lies inside X = A + [-r, r]^n (Krawczyk): grad L has exactly one zero in X",
    ),
    "saddle": (
        "dHd",
        "<",
        "grad L has exactly one zero z in X = A + [-r, r]^n (Krawczyk); the lift of z (unit split lam, "
        "1 - lam) is a critical point of the wide network, and d^T H_wide d < 0 over the lifted box: "
        "not a local minimum",
    ),
}


@dataclass(frozen=True)
class Certificate(Displayed):
    """A (possibly failed) certificate that ``loss`` is not convex.

    ``status`` is "proved" (the inequality was decided rigorously), "refuted"
    (it is false at these points, or the loss is convex) or "undecided".
    ``enclosures`` maps names such as ``"L(A)"`` and ``"barrier"`` to exact
    ``(lower, upper)`` endpoints; ``notes`` explain premises and side results.
    """

    kind: str
    status: str
    loss: Loss
    A: Point
    B: Point | None
    element: GroupElement | None
    enclosures: dict[str, tuple[sympy.Rational, sympy.Rational]]
    decision: Decision | None
    dps: int
    parameters: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def claim(self) -> str:
        """The inequality this certificate decides, in words."""
        return CLAIMS[self.kind][2]

    @property
    def proved(self) -> bool:
        """True when the loss was proved non-convex."""
        return self.status == "proved"

    def to_dict(self) -> dict[str, Any]:
        """The certificate as plain JSON-ready data (exact rationals as strings)."""
        quantity, relation, text = CLAIMS[self.kind]
        points = {"A": self.A.arrays()}
        if self.B is not None:
            points["B"] = self.B.arrays()
        return {
            "schema": SCHEMA,
            "version": VERSION,
            "kind": self.kind,
            "status": self.status,
            "network": network_record(self.loss.mlp),
            "loss": _loss_record(self.loss),
            "data": _data_record(self.loss),
            "points": points,
            "element": None if self.element is None else str(self.element),
            "parameters": {
                k: format_rational(v) if isinstance(v, sympy.Rational) else v
                for k, v in self.parameters.items()
            },
            "claim": {"quantity": quantity, "relation": relation, "text": text},
            "enclosures": {
                name: [format_rational(lo), format_rational(hi)] for name, (lo, hi) in self.enclosures.items()
            },
            "dps": self.dps,
            "notes": list(self.notes),
            "prover": {"name": "symcert", "version": _version(), **self._rung()},
        }

    def _rung(self) -> dict[str, str]:
        """Which arithmetic decided (``float64``, ``arb`` or ``mpmath``): information, not the claim."""
        return {} if self.decision is None else {"rung": self.decision.rung}

    def to_json(self) -> str:
        """The JSON text of :meth:`to_dict` (write it with :func:`symcert.write_json`)."""
        return json.dumps(self.to_dict(), indent=2) + "\n"


def network_record(mlp: MLP) -> dict[str, Any]:
    """The network's specification as JSON-ready data."""
    return {
        "widths": list(mlp.widths),
        "activation": mlp.activation.label,
        "bias": mlp.bias,
        "output_activation": mlp.output_activation.name,
    }


def _data_record(loss: Loss) -> dict[str, Any]:
    data = loss.data
    record: dict[str, Any] = {"xs": [[format_rational(v) for v in x] for x in data.xs]}
    if data.teacher_of is not None:
        record["teacher"] = {
            "network": network_record(data.teacher_of.mlp),
            "point": data.teacher_of.point.arrays(),
        }
    else:
        record["ys"] = [[format_rational(v) for v in y] for y in data.ys]
    return record


def _version() -> str:
    from symcert.version import __version__

    return __version__


def _loss_record(loss: Loss) -> dict[str, str]:
    """``kind``, ``weight_decay`` and, only when it is not 1, ``factor`` (so older files are unchanged)."""
    record = {"kind": loss.kind, "weight_decay": format_rational(loss.weight_decay)}
    if loss.factor != 1:
        record["factor"] = format_rational(loss.factor)
    return record
