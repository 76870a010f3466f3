"""Hessian eigenvalues at high precision: evidence for saddles and minima, labelled as such.

The eigenvalues are computed in mpmath (``eigsy``) from the jet Hessian. They
are evidence, not proof: the eigen-solver is not rigorous. To turn a negative
eigenvalue into a proof, round its eigenvector to exact rationals
(:meth:`Spectrum.lowest_direction`) and decide the curvature along it with
:func:`~symcert.numeric.segment.direction_curvature_decision`.

>>> from symcert import MLP, Dataset, Loss, swap
>>> net = MLP((1, 2, 1), "tanh")
>>> loss = Loss(net, Dataset([[1], [-1]], [[1], [0]]), "mse")
>>> A = net.point(W1=[[2], [-1]], b1=[0, 1], W2=[[1, 2]], b2=[0])
>>> spectrum = hessian_spectrum(loss, A.midpoint(swap(1, 0, 1)(A)), dps=30)
>>> spectrum.negative >= 1
True
>>> print(spectrum.describe().split(":")[0])
Hessian eigenvalues at 30 digits (evidence, not proof)
>>> from symcert.numeric.segment import direction_curvature_decision
>>> direction_curvature_decision(loss, spectrum.point, spectrum.lowest_direction()).status
'proved'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy

from symcert.errors import SpecificationError
from symcert.numeric._inputs import require_exact_t, require_point
from symcert.numeric.contexts import exact, mp_context
from symcert.numeric.derivatives import hessian_in
from symcert.symbolic.losses import Loss
from symcert.symbolic.point import Point

__all__ = ["Spectrum", "hessian_spectrum", "MAX_SPECTRUM_PARAMETERS"]

#: Largest number of parameters whose Hessian spectrum is computed (dense, in mpmath).
MAX_SPECTRUM_PARAMETERS = 400


@dataclass(frozen=True)
class Spectrum:
    """Eigenvalues (ascending) of the Hessian at ``point``, with their sign counts.

    ``zero`` counts eigenvalues with ``|lambda| <= tolerance``. ``kind`` is
    always ``"evidence"``: nothing here is a proof.
    """

    point: Point
    dps: int
    eigenvalues: tuple[Any, ...]
    tolerance: Any
    negative: int
    zero: int
    positive: int
    lowest_vector: tuple[Any, ...]
    kind: str = "evidence"

    def lowest_direction(self, digits: int = 20) -> tuple[sympy.Rational, ...]:
        """The eigenvector of the lowest eigenvalue, rounded to exact rationals (``digits`` digits)."""
        scale = 10**digits
        return tuple(sympy.Rational(int(v.context.nint(v * scale)), scale) for v in self.lowest_vector)

    def describe(self, digits: int = 6) -> str:
        """One line for people, saying that this is evidence."""
        if self.negative and self.positive:
            verdict = "the point looks like a saddle"
        elif self.negative:
            verdict = "the point looks like a local maximum"
        elif self.zero:
            verdict = "no negative curvature seen, but flat directions remain"
        else:
            verdict = "the point looks like a strict local minimum"
        low = sympy.Float(str(self.eigenvalues[0]), digits)
        return (
            f"Hessian eigenvalues at {self.dps} digits ({self.kind}, not proof): "
            f"{self.negative} negative, {self.zero} zero within {sympy.Float(str(self.tolerance), 3)}, "
            f"{self.positive} positive; lowest {low}; {verdict}"
        )


def hessian_spectrum(loss: Loss, point: Point, dps: int = 50, tolerance: object = None) -> Spectrum:
    """The Hessian's eigenvalues at ``point`` in mpmath at ``dps`` digits, with sign counts.

    ``tolerance`` (an exact number; default ``10^(-dps/2)`` times the largest
    ``|lambda|``, at least ``10^(-dps/2)``) separates zero from nonzero eigenvalues.
    """
    require_point(loss, point)
    n = loss.mlp.n_parameters
    if n > MAX_SPECTRUM_PARAMETERS:
        raise SpecificationError(
            f"the Hessian spectrum is computed for up to {MAX_SPECTRUM_PARAMETERS} parameters, got {n}; "
            "use a direction and direction_curvature_decision instead"
        )
    ctx = mp_context(dps)
    rows = hessian_in(ctx, loss, point.values)
    values, vectors = ctx.eigsy(ctx.matrix(rows))
    order = sorted(range(n), key=lambda i: values[i])
    eigenvalues = tuple(values[i] for i in order)
    if tolerance is None:
        biggest = max([abs(v) for v in eigenvalues] + [ctx.one])
        tol = biggest * ctx.mpf(10) ** (-(dps // 2))
    else:
        exact_tol = require_exact_t(tolerance, "tolerance")
        if exact_tol < 0:
            raise SpecificationError(f"tolerance must be >= 0, got {exact_tol}")
        tol = exact(ctx, exact_tol)
    negative = sum(1 for v in eigenvalues if v < -tol)
    positive = sum(1 for v in eigenvalues if v > tol)
    lowest = tuple(vectors[i, order[0]] for i in range(n))
    return Spectrum(point, dps, eigenvalues, tol, negative, n - negative - positive, positive, lowest)
