"""The ``saddle`` kind: a lifted critical point (Brea et al. 2019) that is not a local minimum.

A unique zero ``z`` of the narrow network's gradient (Krawczyk), its lift with the unit
split ``lam, 1 - lam`` (an exact identity) and a rational direction ``d`` with
``d^T H_wide d < 0`` over the lifted box (:func:`symcert.proofs.saddle.certify_saddle`).
"""

from __future__ import annotations

from symcert.proofs.kinds.base import INTEGER, CertificateKind, Parameter

__all__ = ["KIND"]

KIND = CertificateKind(
    "saddle",
    "dHd",
    "<",
    "grad L has exactly one zero z in X = A + [-r, r]^n (Krawczyk); the lift of z (unit split lam, "
    "1 - lam) is a critical point of the wide network, and d^T H_wide d < 0 over the lifted box: "
    "not a local minimum",
    "a lifted critical point that is a saddle",
    (
        Parameter("radius", "the half-width r of the narrow box"),
        Parameter("layer", "the hidden layer of the duplicated unit", INTEGER),
        Parameter("unit", "the duplicated unit (0-based)", INTEGER),
        Parameter("lam", "the split of the outgoing weights (lam, 1 - lam)"),
        Parameter("direction", "the wide network's direction d, as a point", {"type": "object"}),
        Parameter("index", "the certified number of negative eigenvalues", INTEGER, required=False),
    ),
    ("dHd", "margin", "lambda_min", "lambda_min_positive"),
    needs_B=False,
    smooth=True,
)
