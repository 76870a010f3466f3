"""The ``unique_critical_point`` and ``saddle`` certificates: exact statements for the independent checker.

Two kinds (``critical_pair`` is a different claim: two symmetric global minima and a
non-critical point between them):

- ``unique_critical_point`` (formerly ``critical_point``): ``grad L`` has exactly one zero in
  ``X = A + [-r, r]^n`` (Krawczyk); parameters ``radius``; the checker recomputes the Krawczyk
  margin and needs it ``< 0``.
- ``saddle``: the same, plus the lift (``layer``, ``unit`` 0-based, ``lam``) and a rational
  ``direction`` of the wide network with ``d^T H_wide d < 0`` over the lifted box; optional
  ``index``, the certified number of negative eigenvalues (Sylvester + Gershgorin, after the
  line of critical points is taken out), which the checker re-proves when present;
  optional enclosures ``lambda_min`` and ``lambda_min_positive`` of the smallest and the
  smallest positive eigenvalue of the wide Hessian at the lifted critical point (residual
  bounds pinned by the index; written only with ``index``), re-proved by the checker.

The claimed enclosure of ``dHd`` is the prover's, widened by its own width and a thousandth of
its size (but kept below 0), so that the checker's tighter Arb enclosure fits inside while a
moved direction or a changed ``lam`` does not.

>>> from symcert import MLP, Dataset, Loss
>>> from symcert.numeric.minima import locate_minimum
>>> from symcert.proofs.critical_point import certify_critical_point
>>> data = Dataset([[-2], [-1], [0], [1], [2], [3]], [[-1], [-1], [0], [1], [2], [2]])
>>> loss = Loss(MLP((1, 1, 1), "tanh"), data, "mse")
>>> found = certify_critical_point(loss, locate_minimum(loss, seed=0, refine=False).point)
>>> record = unique_critical_point_certificate(found).to_dict()
>>> record["kind"], record["claim"]["quantity"], record["enclosures"]["margin"][1]
('unique_critical_point', 'margin', '0')
"""

from __future__ import annotations

import math
import warnings
from fractions import Fraction
from typing import Any

import sympy

from symcert.proofs.certificates import Certificate

__all__ = [
    "unique_critical_point_certificate",
    "critical_point_certificate",
    "saddle_certificate",
    "widened",
    "eigenvalue_claim",
]


def _rational(value: Fraction | int) -> sympy.Rational:
    value = Fraction(value)
    return sympy.Rational(value.numerator, value.denominator)


def _pairs(enclosures: dict) -> dict:
    return {k: (_rational(lo), _rational(hi)) for k, (lo, hi) in enclosures.items()}


def unique_critical_point_certificate(found: Any) -> Certificate:
    """The ``unique_critical_point`` certificate of a
    :class:`~symcert.proofs.critical_point.CriticalPoint`."""
    status = "proved" if found.proved else "undecided"
    enclosures = {"margin": (-found.radius, Fraction(0))} if found.proved else {}
    return Certificate(
        "unique_critical_point",
        status,
        found.loss,
        found.center,
        None,
        None,
        _pairs(enclosures),
        None,
        30,
        {"radius": _rational(found.radius)},
        (found.message,),
    )


def critical_point_certificate(found: Any) -> Certificate:
    """Deprecated name of :func:`unique_critical_point_certificate` (the kind was renamed)."""
    warnings.warn(
        "critical_point_certificate is deprecated; use unique_critical_point_certificate",
        DeprecationWarning,
        stacklevel=2,
    )
    return unique_critical_point_certificate(found)


def widened(lo: Fraction, hi: Fraction) -> tuple[Fraction, Fraction]:
    """``[lo, hi]`` widened by its width and a thousandth of its size, the upper end kept below 0."""
    width = hi - lo
    low = lo - width - abs(lo) / 1000
    high = hi + min(width + abs(hi) / 1000, abs(hi) / 2) if hi < 0 else hi + width + abs(hi) / 1000
    return low, high


def eigenvalue_claim(lo: Fraction, hi: Fraction, digits: int | None = None) -> tuple[Fraction, Fraction]:
    """``[lo, hi]`` widened by twice its width and a millionth of its size (with ``digits``: a
    ``10^-(digits + 3)``-th), never across 0, then rounded outward to multiples of ``2^-64``
    (with ``digits``: ``2^-(64 + 4 digits)``).

    Room for the checker's own enclosure (its own eigenvectors, its own Hessian over the box);
    with ``digits`` the claim still pins that many significant digits (the checker refines its
    eigenvectors to its working precision when a claim is that tight).

    >>> [float(v) for v in eigenvalue_claim(Fraction(-3), Fraction(-1))]
    [-7.000003, -0.5]
    >>> [float(v) for v in eigenvalue_claim(Fraction(-3), Fraction(-3), digits=12)]
    [-3.000000000000003, -2.999999999999997]
    """
    relative = 10**6 if digits is None else 10 ** (digits + 3)
    pad = 2 * (hi - lo) + max(abs(lo), abs(hi)) / relative
    low, high = lo - pad, hi + pad
    if hi < 0:
        high = min(high, hi / 2)
    if lo > 0:
        low = max(low, lo / 2)
    grid = 2 ** (64 if digits is None else 64 + 4 * digits)
    return Fraction(math.floor(low * grid), grid), Fraction(math.ceil(high * grid), grid)


def saddle_certificate(result: Any) -> Certificate:
    """The ``saddle`` certificate of a :class:`~symcert.proofs.saddle.SaddleResult`."""
    narrow, inertia = result.narrow, result.inertia
    wide = result.wide_loss.mlp
    parameters: dict[str, Any] = {
        "radius": _rational(narrow.radius),
        "layer": result.layer,
        "unit": result.unit,
        "lam": result.lam,
    }
    enclosures: dict[str, tuple[Fraction, Fraction]] = {}
    status = "undecided"
    if inertia is not None and inertia.dHd is not None and narrow.proved:
        parameters["direction"] = wide.point_from_values(list(inertia.direction)).arrays()
        enclosures = {"dHd": widened(*inertia.dHd), "margin": (-narrow.radius, Fraction(0))}
        status = "proved"
        if inertia.decided:
            parameters["index"] = inertia.negative
            for name in ("lambda_min", "lambda_min_positive"):
                if getattr(inertia, name) is not None:
                    lo, hi = getattr(inertia, name)
                    enclosures[name] = eigenvalue_claim(lo, hi, digits=result.digits)
    else:
        parameters["direction"] = wide.point_from_values([0] * wide.n_parameters).arrays()
    return Certificate(
        "saddle",
        status,
        narrow.loss,
        narrow.center,
        None,
        None,
        _pairs(enclosures),
        None,
        getattr(result, "dps", 30),
        parameters,
        (narrow.message, f"verdict: {result.verdict}"),
    )
