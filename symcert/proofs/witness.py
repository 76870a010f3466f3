"""Search for a non-convexity witness: floats propose, interval arithmetic decides.

:func:`search_witness` screens candidates in float64 (symmetric pairs from
located minima, random pairs, and pairs along random segments), rounds the
most promising ones to short exact rationals, and returns the first that
:func:`~symcert.proofs.nonconvexity.certify_nonconvexity` proves. It works
without any symmetry too, e.g. for a single logistic neuron with square loss.

>>> from symcert import MLP, Dataset, Loss
>>> neuron = MLP((1, 1), output_activation="sigmoid")
>>> loss = Loss(neuron, Dataset([[1], [-1]], [[1], [0]]), "mse")
>>> found = search_witness(loss, seed=0)
>>> found.certificate.status, found.certificate.kind
('proved', 'chord')
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from symcert.errors import SpecificationError
from symcert.numeric.floats import FloatLoss
from symcert.numeric.minima import lbfgs
from symcert.proofs.certificates import Certificate
from symcert.proofs.nonconvexity import certify_nonconvexity
from symcert.symbolic.losses import Loss
from symcert.symbolic.point import Point

__all__ = ["SearchResult", "search_witness"]


@dataclass(frozen=True)
class SearchResult:
    """The outcome of a search: a proved ``certificate`` or None, and what was tried."""

    certificate: Certificate | None
    screened: int
    certified_attempts: int
    message: str

    @property
    def found(self) -> bool:
        """True when a certificate was proved."""
        return self.certificate is not None and self.certificate.proved


def _exact(loss: Loss, theta: np.ndarray, denominator: int) -> Point:
    return loss.mlp.point_from_values([Fraction(float(v)).limit_denominator(denominator) for v in theta])


def search_witness(
    loss: Loss,
    *,
    seed: int = 0,
    random_pairs: int = 400,
    minima: int = 4,
    candidates: int = 8,
    denominator: int = 64,
    dps: int = 50,
) -> SearchResult:
    """Find and certify a chord witness ``L((A+B)/2) > (L(A)+L(B))/2`` for ``loss``.

    Floats only rank candidates; the returned certificate (if any) was proved by
    interval arithmetic from exact points. Reproducible under ``seed``.
    """
    if not isinstance(loss, Loss):
        raise SpecificationError(f"loss must be a Loss, got {type(loss).__name__}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise SpecificationError(f"seed must be an integer, got {seed!r}")
    from symcert.proofs.convexity import prove_convexity

    if prove_convexity(loss).proved:
        return SearchResult(None, 0, 0, "the loss is convex (prove_convexity): no witness exists")
    compiled = FloatLoss(loss)
    rng = np.random.default_rng(seed)
    n = compiled.n_parameters
    pool: list[tuple[float, np.ndarray, np.ndarray]] = []

    def screen(a: np.ndarray, b: np.ndarray) -> None:
        values = (compiled.value(a), compiled.value(b), compiled.value((a + b) / 2))
        if all(np.isfinite(values)):
            barrier = values[2] - (values[0] + values[1]) / 2
            scale = 1.0 + abs(values[0]) + abs(values[1])
            pool.append((barrier / scale, a, b))

    if loss.mlp.hidden_layers and loss.mlp.activation.smooth:
        group = loss.mlp.symmetry_group()
        for _ in range(minima):
            a, _ = lbfgs(compiled.value_and_gradient, rng.normal(0.0, 1.0, n), max_iter=300)
            A = _exact(loss, a, denominator)
            for g in group.generators:
                B = g(A)
                if B != A:
                    screen(np.array([float(v) for v in A.values]), np.array([float(v) for v in B.values]))
    for _ in range(random_pairs):
        scale = rng.choice([0.5, 2.0, 6.0])
        screen(rng.normal(0.0, scale, n), rng.normal(0.0, scale, n))
    pool.sort(key=lambda item: -item[0])
    attempts = 0
    for score, a, b in pool[:candidates]:
        if score <= 0:
            break
        attempts += 1
        A, B = _exact(loss, a, denominator), _exact(loss, b, denominator)
        if A == B:
            continue
        certificate = certify_nonconvexity(loss, A, B=B, kind="chord", dps=dps)
        if certificate.proved:
            message = f"certified the best of {len(pool)} screened pairs after {attempts} attempt(s)"
            return SearchResult(certificate, len(pool), attempts, message)
    return SearchResult(
        None, len(pool), attempts, f"no candidate among {len(pool)} screened pairs was certified"
    )
