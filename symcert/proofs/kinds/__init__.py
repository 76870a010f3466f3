"""The registry of certificate kinds: one module per kind declares it once (:class:`CertificateKind`).

The prover (:func:`symcert.certify_nonconvexity`), the command line's help, the
printers and the JSON writer all look a kind up here. A new kind is a new module
beside these, listed in :data:`KINDS`.

>>> kind_of("chord").quantity, kind_of("curvature").ladder(50)
('barrier', (50, 100, 200))
>>> NONCONVEXITY_KINDS
('chord', 'curvature', 'hessian', 'orbit', 'critical_pair')
>>> kind_of("critical")
Traceback (most recent call last):
...
symcert.errors.SpecificationError: the certificate kind 'critical' is now named 'critical_pair'; use that name
"""

from __future__ import annotations

import warnings

from symcert.errors import SpecificationError
from symcert.proofs.kinds import (
    barrier,
    chord,
    critical_pair,
    curvature,
    hessian,
    orbit,
    path,
    saddle,
    unique_critical_point,
)
from symcert.proofs.kinds.base import CertificateKind, Parameter

__all__ = [
    "CertificateKind",
    "Parameter",
    "KINDS",
    "NONCONVEXITY_KINDS",
    "RENAMED",
    "kind_of",
    "current_name",
]

#: Every kind by name, in the order help and ``--kind all`` list them.
KINDS: dict[str, CertificateKind] = {
    k.name: k
    for k in (
        chord.KIND,
        curvature.KIND,
        hessian.KIND,
        orbit.KIND,
        critical_pair.KIND,
        barrier.KIND,
        unique_critical_point.KIND,
        saddle.KIND,
        path.KIND,
    )
}
#: The kinds :func:`~symcert.certify_nonconvexity` proves (the others have their own provers).
NONCONVEXITY_KINDS: tuple[str, ...] = tuple(name for name, k in KINDS.items() if k.certify is not None)
#: Old kind name -> its name now.
RENAMED: dict[str, str] = {old: k.name for k in KINDS.values() for old in k.old_names}


def kind_of(name: str) -> CertificateKind:
    """The kind called ``name``; an old name is refused with a message that gives the new one.

    >>> kind_of("orbit").exports_to_coq, kind_of("saddle").exports_to_coq
    (True, False)
    """
    if name in KINDS:
        return KINDS[name]
    if name in RENAMED:
        raise SpecificationError(
            f"the certificate kind {name!r} is now named {RENAMED[name]!r}; use that name"
        )
    raise SpecificationError(f"unknown certificate kind {name!r}; the kinds are {', '.join(KINDS)}")


def current_name(name: str) -> str:
    """``name``, or its new name with a :class:`DeprecationWarning` when it is an old one.

    >>> current_name("chord")
    'chord'
    """
    if name in RENAMED:
        warnings.warn(
            f"the certificate kind {name!r} is now named {RENAMED[name]!r}", DeprecationWarning, stacklevel=3
        )
        return RENAMED[name]
    return name
