"""The ``unique_critical_point`` kind (formerly ``critical_point``): one zero of the gradient in a box.

Krawczyk's operator maps ``X = A + [-r, r]^n`` strictly into itself
(:func:`symcert.proofs.critical_point.certify_critical_point`), so ``grad L`` has exactly
one zero in ``X``. It is about one point: no ``B``.
"""

from __future__ import annotations

from symcert.proofs.kinds.base import CertificateKind, Parameter

__all__ = ["KIND"]

KIND = CertificateKind(
    "unique_critical_point",
    "margin",
    "<",
    "K(X) lies inside X = A + [-r, r]^n (Krawczyk): grad L has exactly one zero in X",
    "a unique critical point in a box",
    (Parameter("radius", "the half-width r of the box X = A + [-r, r]^n"),),
    ("margin",),
    needs_B=False,
    smooth=True,
    old_names=("critical_point",),
)
