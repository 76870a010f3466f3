"""Certificates of non-convexity: exact statement, enclosures relied on, verdict, JSON.

A :class:`Certificate` is data. Its statement (network, loss, data, exact
points, kind, claim) is everything the independent checker
(:mod:`symcert.checker`) needs; the enclosures are what the prover found, and
the checker verifies that they contain what it recomputes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sympy

from symcert.display import Displayed
from symcert.numeric.decide import Decision
from symcert.proofs.packed import exact_rows_record, point_record, rows_record
from symcert.symbolic.exact import format_rational
from symcert.symbolic.group import GroupElement
from symcert.symbolic.losses import Loss
from symcert.symbolic.network import MLP
from symcert.symbolic.point import Point

if TYPE_CHECKING:
    from symcert.proofs.kinds.base import CertificateKind

__all__ = ["Certificate", "SCHEMA", "VERSION", "network_record"]

SCHEMA, VERSION = "symcert-certificate", 1


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
    def spec(self) -> CertificateKind:
        """The kind's declaration (:mod:`symcert.proofs.kinds`): its claim, parameters, ladder, limits."""
        from symcert.proofs.kinds import kind_of  # the kinds build certificates: looked up when asked

        return kind_of(self.kind)

    @property
    def claim(self) -> str:
        """The inequality this certificate decides, in words."""
        return self.spec.claim

    @property
    def proved(self) -> bool:
        """True when the loss was proved non-convex."""
        return self.status == "proved"

    def to_dict(self, *, packed: bool | None = None) -> dict[str, Any]:
        """The certificate as plain JSON-ready data (exact rationals as strings).

        Data and points held as integer arrays are written as packed arrays (:mod:`symcert.proofs.packed`)
        when they have at least :data:`~symcert.limits.PACK_MIN_ENTRIES` entries; ``packed=True`` packs
        every such array, ``packed=False`` none (every number a string, as before).
        """
        points = {"A": point_record(self.A, packed)}
        if self.B is not None:
            points["B"] = point_record(self.B, packed)
        return {
            "schema": SCHEMA,
            "version": VERSION,
            "kind": self.kind,
            "status": self.status,
            "network": network_record(self.loss.mlp),
            "loss": _loss_record(self.loss),
            "data": _data_record(self.loss, packed),
            "points": points,
            "element": None if self.element is None else str(self.element),
            "parameters": {
                k: format_rational(v) if isinstance(v, sympy.Rational) else v
                for k, v in self.parameters.items()
            },
            "claim": self.spec.claim_record(),
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

    def to_json(self, *, packed: bool | None = None) -> str:
        """The JSON text of :meth:`to_dict` (write it with :func:`symcert.write_json`)."""
        return json.dumps(self.to_dict(packed=packed), indent=2) + "\n"


def bias_record(mlp: MLP) -> bool | list[bool]:
    """The network's ``"bias"`` entry: one bool when every layer agrees (as before per-layer biases),
    else one bool per weight layer.

    >>> from symcert import MLP
    >>> bias_record(MLP((1, 2, 1))), bias_record(MLP((1, 2, 1), bias=(True, False)))
    (True, [True, False])
    """
    return mlp.bias if isinstance(mlp.bias, bool) else list(mlp.bias)


def network_record(mlp: MLP) -> dict[str, Any]:
    """The network's specification as JSON-ready data."""
    return {
        "widths": list(mlp.widths),
        "activation": mlp.activation.label,
        "bias": bias_record(mlp),
        "output_activation": mlp.output_activation.name,
    }


def _data_record(loss: Loss, packed: bool | None = None) -> dict[str, Any]:
    data = loss.data
    if hasattr(data, "integer_arrays"):  # integer matrices: packed when large, never through SymPy
        X, x_den, Y, y_den = data.integer_arrays()
        return {"xs": rows_record(X, x_den, packed), "ys": rows_record(Y, y_den, packed)}
    # exact rationals: packed over their common denominator when large, else strings (a teacher's
    # inputs stay strings: readers of teacher records take lists)
    teacher = data.teacher_of
    record: dict[str, Any] = {"xs": exact_rows_record(data.xs, False if teacher is not None else packed)}
    if teacher is not None:
        record["teacher"] = {
            "network": network_record(teacher.mlp),
            "point": teacher.point.arrays(),
        }
    else:
        record["ys"] = exact_rows_record(data.ys, packed)
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


def __getattr__(name: str) -> Any:
    """``CLAIMS``, deprecated: each kind declares its claim in :mod:`symcert.proofs.kinds`."""
    if name == "CLAIMS":
        import warnings

        from symcert.proofs.kinds import KINDS

        warnings.warn(
            "symcert.proofs.certificates.CLAIMS is deprecated; use symcert.proofs.kinds.kind_of(name)",
            DeprecationWarning,
            stacklevel=2,
        )
        return {k.name: (k.quantity, k.relation, k.claim) for k in KINDS.values()}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
