r"""Certified inertia at a certified critical point, and the simplest witness of "not a minimum".

Given a box that holds a critical point (exactly), :func:`certify_inertia` encloses the
Hessian over the whole box (:func:`~symcert.numeric.engine.boxes.hessian_box`), removes
exactly known flat directions, and decides the inertia of the rest by Sylvester's law and
Gershgorin discs (:func:`~symcert.numeric.inertia.certified_inertia`).

Flat directions are removed exactly: if ``H v = 0`` for a known ``v`` (the line of
critical points of a lift), then for any coordinate ``k`` with ``v_k != 0`` the coordinate
subspace ``S`` without ``e_k`` is a complement of ``v``, and for ``x = s + a v`` one has
``x^T H x = s^T H s``: the inertia of ``H`` is that of ``H`` restricted to ``S`` (delete row
and column ``k``) plus one zero. ``v`` need only be known in an enclosure that proves
``v_k != 0``.

The simplest witness: a rational direction ``d`` (the rounded lowest eigenvector of the
midpoint) with ``d^T H d < 0`` enclosed over the whole box (one jet): the critical point is
not a local minimum.

Eigenvalue enclosures: when the inertia is decided, the Hessian ``H(z)`` at the critical point
``z`` has exactly ``negative`` negative, ``zero`` zero and ``positive`` positive eigenvalues
(the reduced count plus the removed flat directions). Residual intervals of float
eigenpairs of the full midpoint Hessian, valid for every matrix in the box's enclosure
(:func:`~symcert.numeric.inertia.eigenvalue_enclosures`), then pin ``lambda_min`` and
``lambda_min_positive`` of ``H(z)`` (:func:`~symcert.numeric.inertia.pin_extreme_eigenvalues`).

>>> from symcert import MLP, Dataset, Loss
>>> from symcert.numeric.minima import locate_minimum
>>> from symcert.proofs.critical_point import certify_critical_point
>>> data = Dataset([[-2], [-1], [0], [1], [2], [3]], [[-1], [-1], [0], [1], [2], [2]])
>>> loss = Loss(MLP((1, 1, 1), "tanh"), data, "mse")
>>> found = certify_critical_point(loss, locate_minimum(loss, seed=0, refine=False).point)
>>> inertia = certify_inertia(loss, found.lower, found.upper)
>>> inertia.verdict
'strict local minimum on the complement of the flat directions'
>>> inertia.lambda_min[0] > 0
True
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from symcert.numeric.engine.backends import ArbBackend, F64Backend
from symcert.numeric.engine.boxes import curvature_box
from symcert.numeric.engine.hessian_columns import hessian_over_box
from symcert.numeric.inertia import certified_inertia, eigenvalue_enclosures, pin_extreme_eigenvalues
from symcert.symbolic.losses import Loss

__all__ = ["Inertia", "certify_inertia", "MINIMUM", "UNDECIDED", "NOT_MINIMUM", "saddle_verdict"]

MINIMUM = "strict local minimum on the complement of the flat directions"
UNDECIDED = "undecided"
NOT_MINIMUM = "not a local minimum (a certified negative direction); the index is undecided"
#: Denominator of the rounded witness direction (entries p / 2^16, largest |entry| 1).
DIRECTION_BITS = 16


def saddle_verdict(negative: int, positive: int) -> str:
    """The answer for a decided inertia."""
    if negative == 0:
        return MINIMUM
    if positive == 0:
        return "strict local maximum on the complement of the flat directions"
    return f"saddle of index {negative}"


@dataclass(frozen=True)
class Inertia:
    """Certified sign counts of the Hessian at every point of a box (``None`` when undecided).

    ``negative``, ``zero``, ``positive``: eigenvalue counts (``zero`` counts only the exactly
    removed flat directions); ``removed``: the deleted coordinates; ``direction`` and ``dHd``:
    the witness (exact) and the enclosure of ``d^T H d`` over the box, when it is negative;
    ``reduced_eigenvalues``: float evidence, the eigenvalues of the midpoint Hessian with the
    ``removed`` coordinates deleted (not the Hessian's own); ``verdict``: the answer;
    ``lambda_min``, ``lambda_min_positive``: exact enclosures of the smallest and the smallest
    positive eigenvalue of the full Hessian at the critical point, when certified.
    """

    negative: int | None
    zero: int
    positive: int | None
    removed: tuple[int, ...]
    direction: tuple[Fraction, ...] | None
    dHd: tuple[Fraction, Fraction] | None
    reduced_eigenvalues: tuple[float, ...]
    verdict: str
    lambda_min: tuple[Fraction, Fraction] | None = None
    lambda_min_positive: tuple[Fraction, Fraction] | None = None

    @property
    def eigenvalues(self) -> tuple[float, ...]:
        """Deprecated: the reduced matrix's float eigenvalues, now ``reduced_eigenvalues``."""
        warnings.warn(
            "Inertia.eigenvalues is deprecated: it holds the eigenvalues of the reduced midpoint "
            "matrix (removed coordinates deleted); use Inertia.reduced_eigenvalues, or "
            "Inertia.lambda_min for a certified eigenvalue of the Hessian",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.reduced_eigenvalues

    @property
    def decided(self) -> bool:
        return self.negative is not None

    @property
    def not_minimum(self) -> bool:
        """Deprecated: ``bool(inertia.negative) or inertia.dHd is not None`` says the same."""
        warnings.warn(
            "Inertia.not_minimum is deprecated; test bool(inertia.negative) or inertia.dHd is not None",
            DeprecationWarning,
            stacklevel=2,
        )
        return bool(self.negative) or self.dHd is not None


def certify_inertia(
    loss: Loss, lower: Sequence[Fraction], upper: Sequence[Fraction], removed: Sequence[int] = ()
) -> Inertia:
    """Inertia of ``H`` over the box ``[lower, upper]`` with coordinates ``removed`` deleted.

    The caller guarantees that each removed coordinate carries a nonzero entry of an exact null
    vector of ``H`` at the critical point (so the deletion is exact; see the module text).
    """
    n = loss.mlp.n_parameters
    lo, hi = hessian_over_box(F64Backend(), loss, lower, upper)
    keep = [i for i in range(n) if i not in set(removed)]
    lo_r, hi_r = lo[np.ix_(keep, keep)], hi[np.ix_(keep, keep)]
    counts = certified_inertia(lo_r, hi_r)
    mid = 0.5 * lo_r + 0.5 * hi_r
    values, vectors = np.linalg.eigh(0.5 * (mid + mid.T))
    direction, dHd = None, None
    if values.size and values[0] < 0:
        direction, dHd = _witness(loss, lower, upper, keep, vectors[:, 0])
    pinned: dict[str, tuple[Fraction, Fraction]] = {}
    negative: int | None
    positive: int | None
    if counts is not None:
        negative, positive = counts
        verdict = saddle_verdict(negative, positive)
        intervals = eigenvalue_enclosures(lo, hi)
        if intervals is not None:
            pinned = pin_extreme_eigenvalues(intervals, negative, positive)
    else:
        negative = positive = None
        verdict = NOT_MINIMUM if dHd is not None else UNDECIDED
    return Inertia(
        negative,
        len(removed),
        positive,
        tuple(removed),
        direction,
        dHd,
        tuple(float(v) for v in values),
        verdict,
        pinned.get("lambda_min"),
        pinned.get("lambda_min_positive"),
    )


def _witness(loss: Loss, lower, upper, keep: list[int], vector: np.ndarray):
    n = loss.mlp.n_parameters
    scale = 2**DIRECTION_BITS / float(np.max(np.abs(vector)))
    d = [Fraction(0)] * n
    for i, v in zip(keep, vector):
        d[i] = Fraction(round(float(v) * scale), 2**DIRECTION_BITS)
    for bk in (F64Backend(), ArbBackend(30)):
        try:
            lo, hi = curvature_box(bk, loss, lower, upper, d)
        except ArithmeticError:
            continue
        if hi < 0:
            return tuple(d), (lo, hi)
    return None, None
