"""Time the permutation-saddle pipeline (narrow critical point, lift, inertia, checker).

Run: ``python benchmarks/bench_saddle.py`` (``--quick`` skips 4-8-1).

1. 1-1-1 -> 1-2-1 tanh on six points (``symcert saddle``'s default example), target < 2 s.
2. 4-7-1 -> 4-8-1 tanh on 64 points, target < 30 s. The data are built so that a chosen
   narrow point ``theta0`` (moderate weights, distinct units) is nearly critical with nonzero
   residuals: ``y = f(x; theta0) + r`` with ``r`` orthogonal to the columns of the Jacobian
   ``J(theta0)`` (so ``J^T r = 0`` and ``grad L(theta0) = 0`` up to rounding ``y`` to ``k/2^40``).
   The narrow point is then a well-conditioned strict minimum and its lift a saddle.

The baseline is float64 evidence computed in the same run: the numpy eigenvalues of the float
Hessian at the lifted point (what Brea et al. report); the ratio is certified / evidence.
"""

from __future__ import annotations

import argparse
import json
import time
from fractions import Fraction

import numpy as np

from symcert import MLP, Dataset, Loss, certify_saddle, check
from symcert.proofs.critical_point import float_hessian
from symcert.symbolic.saddle_example import saddle_example


def orthogonal_residual_data(n_in: int, hidden: int, points: int, seed: int = 0) -> tuple[Loss, np.ndarray]:
    """A loss whose data make a chosen point ``theta0`` (nearly) critical with residuals ``r``."""
    rng = np.random.default_rng(seed)
    X = rng.integers(-4, 5, (points, n_in)) / 4
    W1 = rng.normal(0, 0.8, (hidden, n_in))
    b1 = rng.normal(0, 0.5, hidden)
    W2 = rng.normal(0, 1.0, hidden)
    b2 = rng.normal(0, 0.3)
    T = np.tanh(X @ W1.T + b1)
    f = T @ W2 + b2
    D = (1 - T**2) * W2  # df/dz_j
    J = np.hstack([(D[:, :, None] * X[:, None, :]).reshape(points, -1), D, T, np.ones((points, 1))])
    r = rng.normal(0, 0.3, points)
    r -= J @ np.linalg.lstsq(J, r, rcond=None)[0]  # J^T r = 0
    ys = [[Fraction(round(v * 2**40), 2**40)] for v in f + r]
    xs = [[Fraction(v).limit_denominator(4) for v in row] for row in X]
    theta0 = np.concatenate([W1.ravel(), b1, W2, [b2]])
    return Loss(MLP((n_in, hidden, 1), "tanh"), Dataset(xs, ys), "mse"), theta0


def run(name: str, loss: Loss, approx, target: float) -> None:
    start = time.perf_counter()
    result = certify_saddle(loss, approx, 1, 0, "1/2")  # with the symbolic lift proof
    proved = time.perf_counter() - start
    record = json.loads(result.certificate().to_json())
    start = time.perf_counter()
    verdict = check(record)
    checked = time.perf_counter() - start
    wide_x = np.array([float(v) for v in result.wide_center.values])
    start = time.perf_counter()
    np.linalg.eigvalsh(float_hessian(result.wide_loss, wide_x))
    evidence = time.perf_counter() - start
    print(
        f"{name}: {result.verdict} ({result.narrow.message.split(' (')[0]}); "
        f"prover {proved:.2f} s (target < {target:g} s), checker {checked:.2f} s "
        f"(estimate {verdict.estimate:.1f} s, accepted={verdict.accepted}), "
        f"float64 evidence {evidence:.3f} s, ratio {proved / evidence:.0f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="skip the 4-8-1 case")
    args = parser.parse_args()
    example = saddle_example()
    run("1-1-1 -> 1-2-1 tanh, 6 points", example.loss, example.approx, 2)
    if not args.quick:
        loss, theta0 = orthogonal_residual_data(4, 7, 64)
        run("4-7-1 -> 4-8-1 tanh, 64 points", loss, theta0, 30)


if __name__ == "__main__":
    main()
