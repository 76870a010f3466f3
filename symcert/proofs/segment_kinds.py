"""What the kinds read off the segment from ``A`` to ``B`` share: curvature, Hessian direction, critical pair.

Each evaluates ``phi(t) = L(A + t(B - A))`` with rigorous jets on the batched
engine (:func:`symcert.numeric.segment.jet_decision`: verified float64 first,
then Arb at increasing precision) and needs a smooth activation. The kinds
themselves live in :mod:`symcert.proofs.kinds` (``curvature``, ``hessian``,
``critical_pair``); :func:`certify_on_segment` runs one of them by name.
"""

from __future__ import annotations

from collections.abc import Sequence

from symcert.numeric.decide import Decision
from symcert.proofs.certificates import Certificate
from symcert.symbolic.group import GroupElement
from symcert.symbolic.losses import Loss
from symcert.symbolic.point import Point

__all__ = ["certify_on_segment", "segment_certificate"]


def certify_on_segment(
    kind: str,
    loss: Loss,
    A: Point,
    B: Point,
    element: GroupElement | None,
    dps: int,
    t0: object,
    ladder: Sequence[int] | None = None,
) -> Certificate:
    """The ``curvature``, ``hessian`` or ``critical_pair`` certificate (the kind's ladder from ``dps``)."""
    from symcert.proofs.kinds import kind_of

    certify = kind_of(kind).certify
    assert certify is not None  # the segment kinds have their provers
    return certify(loss, A, B, element, dps, t0, 1)


def segment_certificate(
    kind: str,
    name: str,
    decision: Decision,
    loss: Loss,
    A: Point,
    B: Point,
    element: GroupElement | None,
    parameters: dict,
    notes: tuple[str, ...],
) -> Certificate:
    """The certificate of ``kind`` whose decisive enclosure ``name`` is ``decision``'s (if finite)."""
    enclosures = {name: (decision.lower, decision.upper)} if decision.lower.is_finite else {}
    return Certificate(
        kind, decision.status, loss, A, B, element, enclosures, decision, decision.dps, parameters, notes
    )
