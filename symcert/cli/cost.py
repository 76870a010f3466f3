"""The prover's cost, estimated before any work, so that ``prove`` refuses early what it cannot finish.

Without ``--model``, ``symcert prove`` works on closed forms: it evaluates the teacher
network exactly (SymPy) at every data point and proves the symmetry's invariance on
the network's symbolic output. Both grow with the number of parameters, the number of
points and the depth. Measured on this machine's reference runs (1-32-1: 0.35 s,
1-8-8-1: 1.6 s, 1-16-16-1: 4.7 s, 1-32-32-1: 12 s), the time is about
:data:`SECONDS_PER_UNIT` x parameters x (points + 1) x hidden layers; the estimate
uses that constant, which is above every reference run. ``--budget`` (default
:data:`symcert.limits.MAX_PROVE_SECONDS`) refuses a problem whose estimate exceeds it,
in the words of the checker's budget.

>>> round(estimate_prove_seconds((1, 32, 32, 1), 5), 1)
20.8
>>> estimate_prove_seconds((1, 4096, 4096, 4096, 1), 5) > 10**5
True
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from symcert.errors import SpecificationError

__all__ = ["SECONDS_PER_UNIT", "estimate_prove_seconds", "check_prove_budget"]

#: Seconds per parameter, per data point (plus one for the invariance proof) and per hidden layer.
SECONDS_PER_UNIT = 1.5e-3


def _parameters(widths: Sequence[int], bias: bool | Sequence[bool] = True) -> int:
    """The parameter count; ``bias`` is one bool or one per weight layer (as ``MLP``'s).

    >>> _parameters((1, 2, 1)), _parameters((1, 2, 1), False), _parameters((1, 2, 1), (True, False))
    (7, 4, 6)
    """
    pairs = list(pairwise(widths))
    biases = [bias] * len(pairs) if isinstance(bias, bool) else list(bias)
    return sum(n_in * n_out + (n_out if b else 0) for (n_in, n_out), b in zip(pairs, biases))


def estimate_prove_seconds(
    widths: Sequence[int], n_points: int, kinds: int = 1, bias: bool | Sequence[bool] = True
) -> float:
    """Estimated seconds for ``prove`` on closed forms: a network of ``widths`` on ``n_points`` points."""
    hidden = max(1, len(widths) - 2)
    per_kind = 1 + 0.5 * (kinds - 1)  # the closed forms are shared; each further kind adds its enclosures
    return SECONDS_PER_UNIT * _parameters(widths, bias) * (n_points + 1) * hidden * per_kind


def check_prove_budget(
    widths: Sequence[int], n_points: int, budget: float, kinds: int = 1, bias: bool | Sequence[bool] = True
) -> None:
    """Raise :class:`SpecificationError` when the estimate exceeds ``budget`` seconds (before any work).

    >>> check_prove_budget((1, 2, 1), 5, 600.0)
    >>> try:
    ...     check_prove_budget((1, 4096, 4096, 4096, 1), 5, 600.0)
    ... except SpecificationError as error:
    ...     print(str(error)[:96])
    proving non-convexity of this network (33574913 parameters, 5 points, closed forms) is estimated
    """
    estimate = estimate_prove_seconds(widths, n_points, kinds, bias)
    if estimate > budget:
        raise SpecificationError(
            f"proving non-convexity of this network ({_parameters(widths, bias)} parameters, "
            f"{n_points} points, closed forms) is estimated at {estimate:.0f} s, beyond the budget of "
            f"{budget:.0f} s; raise --budget, use a smaller network, or give a trained network with "
            "--model FILE (the numeric path)"
        )
