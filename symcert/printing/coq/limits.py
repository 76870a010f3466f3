"""The largest certificates each kind exports to Coq: what ``coqc`` checks within about 60 s.

The work of ``coqc`` grows with the loss's size, ``parameters x data points``
(every ``interval`` call and every ``ring`` goes through the whole loss); an
orbit certificate repeats the invariance ``ring`` once per element of the
orbit, ``n!`` for ``n`` units. The bounds below come from
``benchmarks/bench_coq.py`` (Coq 8.16.1, Interval 4.6.1, see the README);
past them :func:`coq_refusal` explains the refusal before any work, and points
to the JSON checker, which has no such limit.

>>> from symcert import MLP, Dataset, Loss
>>> net = MLP((1, 5, 1), "tanh")
>>> loss = Loss(net, Dataset([[0]], [[1]]), "mse")
>>> coq_refusal(loss, "chord") is None
True
>>> print(coq_refusal(loss, "orbit"))  # doctest: +ELLIPSIS
an orbit certificate averages layer 1 over its 5! = 120 permutations; ...
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from symcert.proofs.kinds import KINDS, kind_of
from symcert.proofs.kinds.barrier import BarrierKind
from symcert.proofs.kinds.base import LayerAverageKind

if TYPE_CHECKING:
    from symcert.symbolic.losses import Loss

__all__ = ["MAX_COQ_SIZE", "MAX_ORBIT_UNITS", "MAX_BARRIER_PIECES", "coq_refusal", "barrier_refusal"]

#: For each kind, the largest ``parameters x data points`` (x ``n!`` for orbit) exported to Coq
#: (each kind declares it: ``coq_limit`` in :mod:`symcert.proofs.kinds`).
MAX_COQ_SIZE = {name: kind.coq_limit for name, kind in KINDS.items() if kind.exports_to_coq}
_ORBIT, _BARRIER = KINDS["orbit"], KINDS["barrier"]
assert isinstance(_ORBIT, LayerAverageKind) and isinstance(_BARRIER, BarrierKind)  # their own limits
#: The most units of the averaged layer an orbit certificate exports (its orbit has ``n!`` elements).
MAX_ORBIT_UNITS = _ORBIT.coq_max_units
#: The most pieces a barrier certificate exports (one ``interval`` proof per piece).
MAX_BARRIER_PIECES = _BARRIER.coq_max_pieces

_CHECKER = "check its JSON with symcert check CERT.json instead, which has no such limit"


def coq_size(loss: Loss, kind: str, layer: int = 1) -> int:
    """``parameters x data points``, times ``n!`` for an orbit certificate of an ``n``-unit layer."""
    return kind_of(kind).coq_size(loss, layer)


def coq_refusal(loss: Loss, kind: str, layer: int = 1) -> str | None:
    """Why a ``kind`` certificate of ``loss`` is not exported to Coq (one sentence), or None."""
    spec = kind_of(kind)
    own = spec.coq_refusal(loss, layer)
    if own:
        return own + "; " + _CHECKER
    size, limit = spec.coq_size(loss, layer), MAX_COQ_SIZE.get(kind)
    if limit is not None and size > limit:
        return (
            f"a {kind} certificate of the {loss.mlp.describe()} on {loss.data.n_points} points has size "
            f"{size} ({spec.coq_size_text()}), beyond the {limit} that coqc checks within about 60 s; "
            + _CHECKER
        )
    return None


def barrier_refusal(n_pieces: int) -> str | None:
    """Why a barrier certificate of ``n_pieces`` pieces is not exported to Coq (one sentence), or None.

    >>> print(barrier_refusal(40))  # doctest: +ELLIPSIS
    a barrier certificate with 40 pieces is beyond the 16 pieces ... coqc checks within about 60 s; ...
    """
    if n_pieces <= MAX_BARRIER_PIECES:
        return None
    return (
        f"a barrier certificate with {n_pieces} pieces is beyond the {MAX_BARRIER_PIECES} pieces "
        "(one interval proof each) that coqc checks within about 60 s; certify it with a larger --tol or "
        f"--max-pieces {MAX_BARRIER_PIECES}, or " + _CHECKER
    )
