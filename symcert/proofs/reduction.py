"""From a negative second derivative to a chord violation on a short sub-segment.

If ``phi(t) = L(A + t(B - A))`` has ``phi''(t0) < 0``, then for small ``h > 0``
``phi(t0 - h) + phi(t0 + h) < 2 phi(t0)``: the point ``X = A + t0 (B - A)`` is
the midpoint of ``P = A + (t0 - h)(B - A)`` and ``Q = A + (t0 + h)(B - A)`` and
lies strictly above their chord, which a convex function forbids. The second
difference is ``h^2 phi''(t0) + O(h^4)``, so some dyadic ``h = 2^-k`` decides it.
:func:`chord_step` finds the first one, from ``h = 1/2`` down, on rigorous
enclosures (the engine's ladder every certificate uses, the three losses in one
batch); :func:`with_chord_step` records it in a curvature or Hessian certificate
(``parameters["h"]`` and the enclosure :data:`SECOND_DIFFERENCE`), so that the
Coq export proves that chord and the checker re-proves it.

>>> from symcert import MLP, Dataset, Loss, swap
>>> net = MLP((1, 2, 1), "tanh")
>>> A = net.point(W1=[[1], [3]], b1=[0, 0], W2=[[1, -1]], b2=[0])
>>> loss = Loss(net, Dataset.teacher(net, A, [[1], [-1], [2]]), "mse")
>>> step = chord_step(loss, A, swap(1, 0, 1)(A), sympy.Rational(1, 2), (30, 60))
>>> step.h, step.decision.status
(1/2, 'proved')
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

import sympy

from symcert.numeric.decide import Decision
from symcert.numeric.engine.api import combine, losses_bounds, point_layout
from symcert.numeric.engine.ladder import decide_on_rungs
from symcert.symbolic.losses import Loss
from symcert.symbolic.point import Point

if TYPE_CHECKING:
    from symcert.proofs.certificates import Certificate

__all__ = [
    "ChordStep",
    "chord_step",
    "with_chord_step",
    "segment_points",
    "SECOND_DIFFERENCE",
    "MAX_HALVINGS",
]

#: The enclosure a curvature or Hessian certificate carries for the chord it reduces to.
SECOND_DIFFERENCE = "phi(t0-h) + phi(t0+h) - 2 phi(t0)"
#: The smallest step tried is ``2^-MAX_HALVINGS``.
MAX_HALVINGS = 40


@dataclass(frozen=True)
class ChordStep:
    """The step ``h`` (exact) and the decision of ``phi(t0 - h) + phi(t0 + h) - 2 phi(t0) < 0``."""

    h: sympy.Rational
    decision: Decision


def segment_points(A: Point, B: Point, t0: sympy.Rational, h: sympy.Rational) -> tuple[Point, Point, Point]:
    """``P, X, Q = A + (t0 - h, t0, t0 + h)(B - A)``, exactly: ``X`` is the midpoint of ``P`` and ``Q``."""
    return A.interpolate(B, t0 - h), A.interpolate(B, t0), A.interpolate(B, t0 + h)


def chord_step(loss: Loss, A: Point, B: Point, t0: sympy.Rational, ladder: Sequence[int]) -> ChordStep | None:
    """The first ``h = 2^-k`` (``k = 1, 2, ...``) whose second difference is proved negative, or None."""
    start, end = point_layout(A), point_layout(B)
    t0 = Fraction(int(sympy.numer(t0)), int(sympy.denom(t0)))
    for k in range(1, MAX_HALVINGS + 1):
        h = Fraction(1, 2**k)
        layouts = [combine(start, end, t) for t in (t0 - h, t0, t0 + h)]  # P, X, Q exactly

        def second(bk, layouts=layouts) -> dict:
            LP, LX, LQ = losses_bounds(bk, loss, layouts)
            return {SECOND_DIFFERENCE: (LP[0] + LQ[0] - 2 * LX[1], LP[1] + LQ[1] - 2 * LX[0])}

        decision, _ = decide_on_rungs(second, SECOND_DIFFERENCE, "<", ladder)
        if decision.proved:
            return ChordStep(sympy.Rational(h.numerator, h.denominator), decision)
    return None


def with_chord_step(certificate: Certificate, ladder: Sequence[int]) -> Certificate:
    """A proved curvature or Hessian certificate with its chord step recorded (unchanged otherwise).

    When no step up to ``2^-MAX_HALVINGS`` decides, the certificate is returned unchanged, with a note:
    it stays proved (the second derivative decides), but it cannot be exported to Coq.
    """
    if certificate.status != "proved" or certificate.spec.parameter("h") is None:  # kinds that reduce
        return certificate
    t0 = certificate.parameters.get("t0", sympy.Rational(1, 2))
    assert certificate.B is not None  # a curvature or Hessian certificate has its segment's B
    step = chord_step(certificate.loss, certificate.A, certificate.B, t0, ladder)
    if step is None:
        note = f"no step h >= 2^-{MAX_HALVINGS} decided the chord phi(t0-h) + phi(t0+h) < 2 phi(t0)"
        return dataclasses.replace(certificate, notes=(*certificate.notes, note))
    enclosures = dict(certificate.enclosures)
    enclosures[SECOND_DIFFERENCE] = (step.decision.lower, step.decision.upper)
    note = (
        f"with h = {step.h}: {step.decision.describe(SECOND_DIFFERENCE)}; so X = A + t0(B - A) lies above "
        "the chord between A + (t0 - h)(B - A) and A + (t0 + h)(B - A)"
    )
    return dataclasses.replace(
        certificate,
        parameters={**certificate.parameters, "h": step.h},
        enclosures=enclosures,
        notes=(*certificate.notes, note),
    )
