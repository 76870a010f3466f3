r"""Permutation saddles, certified: a narrow critical point, its exact lift, the inertia there.

:func:`certify_saddle` (Brea et al. 2019, made rigorous):

1. the narrow critical point: :func:`~symcert.proofs.critical_point.certify_critical_point`
   proves exactly one zero ``theta*`` of ``grad L`` in a box ``X``;
2. the lift: :func:`~symcert.symbolic.lift.prove_lift_identity` proves
   ``grad L_wide(M theta) = G grad L(theta)`` exactly, so ``M theta*`` is a critical point of
   the wide loss, inside ``M X`` (its interval hull is the *lifted box*), and so is every
   point ``M_mu theta*`` of the line ``mu -> M_mu theta*``;
3. the inertia: along the line ``H v = 0`` with ``v = d/dmu M_mu theta*`` (the unit's outgoing
   column ``c`` on the old unit, ``-c`` on the new), so one coordinate of ``-c`` proved
   nonzero is deleted exactly (:mod:`symcert.proofs.inertia`), and Sylvester + Gershgorin over
   the lifted box count the rest; a rational direction with ``d^T H d < 0`` over the lifted
   box is the simplest witness that the point is not a local minimum.

For ``lam`` in ``{0, 1}`` one unit has zero outgoing weights: its incoming weights become
further flat directions, which are not removed, so the inertia is "undecided" there (the
witness may still decide "not a local minimum"). Passing from ``lam`` in ``(0, 1)`` to ``lam``
outside ``[0, 1]`` flips the sign of the block ``lam (1 - lam) B`` of the splitting directions
(Fukumizu and Amari 2000), which is why the index usually changes there.

>>> from symcert import MLP, Dataset, Loss
>>> from symcert.numeric.minima import locate_minimum
>>> data = Dataset([[-2], [-1], [0], [1], [2], [3]], [[-1], [-1], [0], [1], [2], [2]])
>>> loss = Loss(MLP((1, 1, 1), "tanh"), data, "mse")
>>> result = certify_saddle(loss, locate_minimum(loss, seed=0, refine=False).point, 1, 0, "1/2")
>>> result.verdict
'saddle of index 1'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy

from symcert.errors import SpecificationError
from symcert.proofs.critical_point import MOVE_TOLERANCE, CriticalPoint, certify_critical_point
from symcert.proofs.inertia import UNDECIDED, Inertia, certify_inertia
from symcert.symbolic.lift import LiftProof, check_lift, lift, lift_values, lifted_mlp, line_direction
from symcert.symbolic.losses import Loss
from symcert.symbolic.point import Point

__all__ = [
    "SaddleResult",
    "certify_saddle",
    "saddle_from_critical_point",
    "lifted_box",
    "lifted_loss",
    "direction_profile",
]


@dataclass(frozen=True)
class SaddleResult:
    """Everything :func:`certify_saddle` proved, as data (rendered by ``symcert.printing``).

    ``narrow``: the certified narrow critical point; ``proof``: the lift identity;
    ``wide_loss``, ``wide_center`` (``M c``), ``wide_lower``/``wide_upper`` (the lifted box, which
    holds the wide critical point ``M theta*``); ``line``: enclosures of the line's direction
    ``v``; ``inertia``: the certified inertia (and witness) over the lifted box;
    ``status``: "proved" when the verdict is decided (a saddle, a minimum on the complement, or
    not a minimum), "not isolated"/"undecided" otherwise. ``loss_value``: an enclosure of
    ``L(theta*)`` (the same for the wide loss at the lifted point); ``digits``: the significant
    digits asked for (:mod:`symcert.proofs.saddle_digits`), ``dps`` the precision that gave them,
    ``notes`` what could not be tightened.
    """

    narrow: CriticalPoint
    proof: LiftProof | None
    layer: int
    unit: int
    lam: sympy.Rational
    wide_loss: Loss
    wide_center: Point
    wide_lower: tuple[Fraction, ...]
    wide_upper: tuple[Fraction, ...]
    line: tuple[tuple[Fraction, Fraction], ...]
    inertia: Inertia | None
    status: str
    verdict: str
    loss_value: tuple[Fraction, Fraction] | None = None
    digits: int | None = None
    dps: int = 30
    notes: tuple[str, ...] = ()

    @property
    def proved(self) -> bool:
        return self.status == "proved"

    @property
    def claims(self) -> dict[str, tuple[Fraction, Fraction]]:
        """The enclosures the ``saddle`` certificate states (its claims are wider than the prover's
        own, leaving the checker room); empty when nothing is proved."""
        found = self.certificate().enclosures
        return {k: (_frac(a), _frac(b)) for k, (a, b) in found.items()}

    def certificate(self) -> Any:
        """The ``saddle`` certificate (a :class:`~symcert.proofs.certificates.Certificate`)."""
        from symcert.proofs.saddle_certificate import saddle_certificate

        return saddle_certificate(self)


def _frac(v: Any) -> Fraction:
    return Fraction(int(v.p), int(v.q))


def lifted_loss(loss: Loss, layer: int) -> Loss:
    """The same loss (data, kind, factor) on the network widened at ``layer``; no weight decay."""
    if loss.weight_decay:
        raise SpecificationError(
            f"the lift identity needs a loss without weight decay, got weight_decay={loss.weight_decay}: "
            "duplicating a unit changes the penalty; use weight_decay=0"
        )
    return Loss(lifted_mlp(loss.mlp, layer), loss.data, loss.kind, 0, loss.factor)


def lifted_box(
    mlp: Any, lower: Sequence[Any], upper: Sequence[Any], layer: int, unit: int, lam: Fraction
) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """The interval hull of ``M X`` (each wide coordinate is a multiple of one narrow coordinate)."""
    a = lift_values(mlp, list(lower), layer, unit, lam)
    b = lift_values(mlp, list(upper), layer, unit, lam)
    return tuple(min(x, y) for x, y in zip(a, b)), tuple(max(x, y) for x, y in zip(a, b))


def certify_saddle(
    loss: Loss,
    approx: Any,
    layer: int,
    unit: int,
    lam: object,
    *,
    radius: object = None,
    proof: bool = True,
    newton_steps: int = 40,
    max_move: float | None = MOVE_TOLERANCE,
    advice: str | None = None,
    digits: int | None = None,
) -> SaddleResult:
    """Certify the critical point near ``approx``, lift it (unit ``unit`` of ``layer``, split ``lam``),
    and decide the inertia of the wide Hessian there.

    ``proof=False`` skips the symbolic lift proof (it is generic: one proof per shape and ``lam``
    serves every point; large networks make the closed form slow). ``newton_steps``, ``max_move``
    and ``advice`` go to :func:`~symcert.proofs.critical_point.certify_critical_point`. ``digits``
    tightens ``lambda_min``, ``lambda_min_positive`` and ``L(theta*)`` to that many significant
    digits (:func:`~symcert.proofs.saddle_digits.tighten_saddle`).
    """
    from symcert.numeric.rounding import check_digits

    digits = check_digits(digits)
    lam_r = check_lift(loss.mlp, layer, unit, lam)
    lifted_loss(loss, layer)  # refuses weight decay before any work
    newton = dict(newton_steps=newton_steps, max_move=max_move, advice=advice)
    narrow = certify_critical_point(loss, approx, radius=radius, **newton)  # type: ignore[arg-type]
    lift_proof = None
    if proof and narrow.proved:
        from symcert.symbolic.lift import prove_lift_identity

        lift_proof = prove_lift_identity(loss.mlp, layer, unit, lam_r)
        if not lift_proof.holds:  # pragma: no cover - the identity is a theorem
            raise AssertionError("the lift identity failed")
    result = saddle_from_critical_point(narrow, layer, unit, lam_r, lift_proof)
    if digits is not None and result.narrow.proved:
        from symcert.proofs.saddle_digits import tighten_saddle

        return tighten_saddle(result, digits)
    return result


def saddle_from_critical_point(
    narrow: CriticalPoint, layer: int, unit: int, lam: sympy.Rational, lift_proof: LiftProof | None = None
) -> SaddleResult:
    """Steps 2 and 3 of :func:`certify_saddle` from a certified narrow critical point (float64 enclosures)."""
    loss = narrow.loss
    wide_loss = lifted_loss(loss, layer)
    lam_f = Fraction(int(lam.p), int(lam.q))
    wide_center = lift(narrow.center, layer, unit, lam)
    if not narrow.proved:
        lower = upper = tuple(Fraction(int(v.p), int(v.q)) for v in wide_center.values)
        return SaddleResult(
            narrow,
            None,
            layer,
            unit,
            lam,
            wide_loss,
            wide_center,
            lower,
            upper,
            (),
            None,
            narrow.status,
            f"{UNDECIDED}: the narrow critical point is {narrow.status}",
        )
    lower, upper = lifted_box(loss.mlp, narrow.lower, narrow.upper, layer, unit, lam_f)
    line = tuple(
        (min(a, b), max(a, b))
        for a, b in zip(
            line_direction(loss.mlp, narrow.lower, layer, unit),
            line_direction(loss.mlp, narrow.upper, layer, unit),
        )
    )
    removed = _removable(line)
    inertia = certify_inertia(wide_loss, lower, upper, removed)
    status = "undecided" if inertia.verdict == UNDECIDED else "proved"
    from symcert.proofs.critical_point_tight import loss_at_critical_point

    centre = [Fraction(int(v.p), int(v.q)) for v in narrow.center.values]
    try:
        value: tuple[Fraction, Fraction] | None = loss_at_critical_point(loss, centre, narrow.radius)
    except ArithmeticError:  # pragma: no cover - an overflowing enclosure: not printed
        value = None
    return SaddleResult(
        narrow,
        lift_proof,
        layer,
        unit,
        lam,
        wide_loss,
        wide_center,
        lower,
        upper,
        line,
        inertia,
        status,
        inertia.verdict,
        value,
    )


def _removable(line: tuple[tuple[Fraction, Fraction], ...]) -> tuple[int, ...]:
    """The coordinate where the line's direction is proved farthest from 0, or none."""
    nonzero = [(min(abs(a), abs(b)), i) for i, (a, b) in enumerate(line) if a > 0 or b < 0]
    return (max(nonzero)[1],) if nonzero else ()


def direction_profile(
    result: SaddleResult, span: Fraction = Fraction(3, 16), samples: int = 25
) -> list[tuple[Fraction, Fraction, Fraction]]:
    """Certified enclosures ``(s, lower, upper)`` of ``L_wide(M c + s d)`` for ``s`` in ``[-span, span]``.

    ``d`` is the certified negative direction (a ``ValueError`` when there is none); for figures.
    """
    from symcert.numeric.engine.api import loss_bounds
    from symcert.numeric.engine.backends import F64Backend
    from symcert.numeric.engine.layout import exact_layout

    if result.inertia is None or result.inertia.direction is None:
        raise ValueError("the result has no certified negative direction to plot along")
    centre = [Fraction(int(v.p), int(v.q)) for v in result.wide_center.values]
    d = result.inertia.direction
    out = []
    for k in range(samples):
        s = -span + 2 * span * Fraction(k, samples - 1)
        layout = exact_layout(result.wide_loss.mlp, [c + s * v for c, v in zip(centre, d)])
        lo, hi = loss_bounds(F64Backend(), result.wide_loss, layout)
        out.append((s, lo, hi))
    return out
