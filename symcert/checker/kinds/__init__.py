"""The checker's certificate kinds, one module per kind, sharing nothing with the prover's.

Importing this package registers every kind (:func:`~symcert.checker.kind.register`);
:class:`~symcert.checker.statement.Statement` reads a file by its kind, and
:func:`~symcert.checker.check.check` re-proves it through it. A new kind is a new module
here, listed below.

>>> KINDS[:5]
('chord', 'curvature', 'hessian', 'orbit', 'critical_pair')
"""

from __future__ import annotations

from symcert.checker.kind import SECOND_DIFFERENCE, Kind, kind_named, registered
from symcert.checker.kinds import (
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

__all__ = ["KINDS", "Kind", "kind_named", "SECOND_DIFFERENCE"]

#: The names of the kinds the checker reads, in order.
KINDS = tuple(
    module.KIND.name
    for module in (
        chord,
        curvature,
        hessian,
        orbit,
        critical_pair,
        barrier,
        unique_critical_point,
        saddle,
        path,
    )
)
assert set(KINDS) == set(registered())
