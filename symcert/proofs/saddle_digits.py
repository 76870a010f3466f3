r"""Tight values on request: a saddle's enclosures to ``N`` significant digits.

The enclosures of :func:`~symcert.proofs.saddle.certify_saddle` (``lambda_min``,
``lambda_min_positive``, ``L(theta*)``) are taken over the Krawczyk box, whose radius (about
``1e-13``, a float64 centre) bounds how many digits they pin. :func:`tighten_saddle` climbs a
ladder of precisions (``2N + 10`` digits, then ``4N + 20``): at each rung the narrow critical point
is proved again in a box of radius about ``10^-dps``
(:func:`~symcert.proofs.critical_point_tight.tighten_critical_point`), lifted, its inertia decided
again over the (tiny) lifted box, the wide Hessian enclosed over that box in Arb and its extreme
eigenvalues enclosed by refined eigenpairs
(:func:`~symcert.numeric.eigen_refine.tight_eigenvalue_enclosures`), and ``L(theta*)`` by the mean
value theorem in Arb. It stops at the first rung where every enclosure the certificate states pins
``N`` digits; ``notes`` say what could not be tightened.

>>> from symcert.proofs.saddle import certify_saddle
>>> from symcert.symbolic.saddle_example import saddle_example
>>> ex = saddle_example()
>>> result = certify_saddle(ex.loss, ex.approx, ex.layer, ex.unit, ex.lam, digits=12)
>>> from symcert.numeric.rounding import pins_digits
>>> pins_digits(*result.claims["lambda_min"], 12), result.narrow.radius < 10**-30
(True, True)
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from symcert.numeric.eigen_refine import tight_eigenvalue_enclosures
from symcert.numeric.engine.backends import ArbBackend
from symcert.numeric.inertia import pin_extreme_eigenvalues
from symcert.numeric.rounding import pins_digits
from symcert.proofs.critical_point_tight import (
    TIGHT_PARAMETERS,
    arb_hessian_over_box,
    loss_at_critical_point,
    tighten_critical_point,
)

if TYPE_CHECKING:
    from symcert.proofs.saddle import SaddleResult

__all__ = ["tighten_saddle", "digit_ladder", "TIGHTENED"]

#: The enclosures ``--digits`` tightens (the certificate's names, and ``L(theta*)``).
TIGHTENED = ("lambda_min", "lambda_min_positive", "L(theta*)")


def digit_ladder(digits: int) -> tuple[int, ...]:
    """The working precisions (decimal digits) tried for ``digits`` significant digits.

    >>> digit_ladder(12)
    (34, 68)
    """
    return (2 * digits + 10, 4 * digits + 20)


def stated(result: Any) -> dict[str, tuple[Fraction, Fraction]]:
    """The enclosures that ``--digits`` tightens, as printed: the certificate's claims and ``L(theta*)``."""
    found = {k: v for k, v in result.claims.items() if k in TIGHTENED}
    if result.loss_value is not None:
        found["L(theta*)"] = result.loss_value
    return found


def tighten_saddle(result: SaddleResult, digits: int) -> SaddleResult:
    """``result`` (a proved narrow critical point) with its enclosures tightened to ``digits`` digits."""
    from symcert.proofs.saddle import saddle_from_critical_point

    notes: list[str] = []
    best = replace(result, digits=digits)
    for dps in digit_ladder(digits):
        narrow = tighten_critical_point(result.narrow, dps)
        if narrow.radius == result.narrow.radius:
            notes = [f"the critical point's box could not be tightened at {dps} digits ({narrow.message})"]
            break
        tight = saddle_from_critical_point(narrow, result.layer, result.unit, result.lam, result.proof)
        centre = [Fraction(int(v.p), int(v.q)) for v in narrow.center.values]
        value: tuple[Fraction, Fraction] | None
        try:
            value = loss_at_critical_point(narrow.loss, centre, narrow.radius, dps)
        except ArithmeticError:  # pragma: no cover - an unbounded enclosure at a proved point
            value = tight.loss_value
        inertia, note = _tight_eigenvalues(tight, dps)
        notes = [note] if note else []  # what this rung could not tighten, whatever the precision
        best = replace(tight, inertia=inertia, loss_value=value, digits=digits, dps=dps)
        if all(pins_digits(lo, hi, digits) for lo, hi in stated(best).values()):
            break
    return replace(best, notes=tuple(notes))


def _tight_eigenvalues(result: Any, dps: int) -> tuple[Any, str]:
    """The inertia with ``lambda_min``/``lambda_min_positive`` from the Arb Hessian over the lifted box."""
    inertia = result.inertia
    if inertia is None or not inertia.decided:
        return inertia, "lambda_min is not certified: the inertia over the lifted box is undecided"
    n = result.wide_loss.mlp.n_parameters
    if n > TIGHT_PARAMETERS:
        return inertia, (
            f"lambda_min and lambda_min_positive keep their float64 enclosures: the wide network has {n} "
            f"parameters, more than the {TIGHT_PARAMETERS} of the high-precision Hessian"
        )
    bk = ArbBackend(dps)
    try:
        H = arb_hessian_over_box(bk, result.wide_loss, list(result.wide_lower), list(result.wide_upper))
        intervals, _ = tight_eigenvalue_enclosures(H, bk.prec)
    except ArithmeticError:
        return inertia, f"the wide Hessian's enclosure at {dps} digits is not finite"
    pinned = pin_extreme_eigenvalues(intervals, inertia.negative, inertia.positive)
    missing = [k for k in ("lambda_min", "lambda_min_positive") if getattr(inertia, k) and k not in pinned]
    note = f"{', '.join(missing)}: the tight residual intervals were not disjoint" if missing else ""
    return replace(
        inertia,
        lambda_min=pinned.get("lambda_min", inertia.lambda_min),
        lambda_min_positive=pinned.get("lambda_min_positive", inertia.lambda_min_positive),
    ), note
