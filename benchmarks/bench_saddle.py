"""Time the permutation-saddle pipeline (narrow critical point, lift, inertia, checker).

Run: ``python benchmarks/bench_saddle.py`` (``--quick`` stops after 4-8-1, ``--large`` adds
16-31-1 -> 16-32-1).

1. 1-1-1 -> 1-2-1 tanh on six points (``symcert saddle``'s default example), target < 2 s.
2. 4-7-1 -> 4-8-1 tanh on 64 points, 8-15-1 -> 8-16-1 on 256 points and (``--large``)
   16-31-1 -> 16-32-1 on 768 points, target < 60 s each side. The data are built so that a chosen
   narrow point ``theta0`` (moderate weights, distinct units) is nearly critical with nonzero
   residuals: ``y = f(x; theta0) + r`` with ``r`` orthogonal to the columns of the Jacobian
   ``J(theta0)`` (so ``J^T r = 0`` and ``grad L(theta0) = 0`` up to rounding ``y`` to ``k/2^40``).
   The narrow point is then a well-conditioned strict minimum and its lift a saddle.

The narrow point must be an *isolated* critical point with nonzero residuals, so ``J^T r = 0``
needs more data points than narrow parameters: 16-31-1 has 559 parameters, so on 256 points
every critical point with ``J`` of full rank interpolates (``r = 0``) and its Hessian ``J^T J``
is singular ("not isolated"); the 16-31-1 row uses 768 points.

The baseline is float64 evidence computed in the same run: a plain numpy Hessian (closed
form of the one-hidden-layer tanh network) at the lifted point and ``numpy.linalg.eigvalsh``
(what Brea et al. report), warm, the minimum of repeats (``timing.best_of``); the ratios are
certified / evidence.
Peak memory is the process's maximum resident set size; CPU times are printed beside the wall
times because the machine is shared (the load average is printed too).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from fractions import Fraction

import numpy as np
from timing import best_of

from symcert import MLP, Dataset, Loss, certify_saddle, check
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


def numpy_hessian(widths: tuple[int, ...], theta: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The float64 Hessian of the mse of a ``d-h-1`` tanh network (closed form; evidence only)."""
    d, h = widths[0], widths[1]
    N = X.shape[0]
    W1 = theta[: h * d].reshape(h, d)
    b1 = theta[h * d : h * d + h]
    W2 = theta[h * d + h : h * d + 2 * h]
    b2 = theta[-1]
    T = np.tanh(X @ W1.T + b1)
    S1 = 1 - T**2
    r = T @ W2 + b2 - y
    Xt = np.hstack([X, np.ones((N, 1))])  # (N, d + 1)
    U = S1 * W2  # df/dz_k
    # Jacobian in the order W1 (row-major), b1, W2, b2
    JW = U[:, :, None] * Xt[:, None, :]  # (N, h, d + 1): weights then bias of unit k
    J = np.hstack([JW[:, :, :d].reshape(N, -1), JW[:, :, d], T, np.ones((N, 1))])
    H = J.T @ J
    n1 = h * d
    # residual terms: W1/b1 of unit k with itself, and with W2[k]
    C = r[:, None] * W2 * (-2 * T * S1)  # (N, h): r f''_k
    blocks = np.einsum("nk,ni,nj->kij", C, Xt, Xt)  # (h, d + 1, d + 1)
    cross = np.einsum("nk,ni->ki", r[:, None] * S1, Xt)  # (h, d + 1)
    for k in range(h):
        idx = [k * d + i for i in range(d)] + [n1 + k]
        H[np.ix_(idx, idx)] += blocks[k]
        H[idx, n1 + h + k] += cross[k]
        H[n1 + h + k, idx] += cross[k]
    return H * (2.0 / N)


def _evidence(result) -> tuple[float, int]:
    """The warm minimum time of the numpy Hessian plus ``eigvalsh`` at the lifted point, and its index."""
    loss = result.wide_loss
    X = np.array([[float(v) for v in x] for x in loss.data.xs])
    y = np.array([float(v[0]) for v in loss.data.ys])
    theta = np.array([float(v) for v in result.wide_center.values])
    values = np.linalg.eigvalsh(numpy_hessian(loss.mlp.widths, theta, X, y))
    seconds = best_of(lambda: np.linalg.eigvalsh(numpy_hessian(loss.mlp.widths, theta, X, y)))
    return seconds, int(np.sum(values < -1e-9 * np.max(np.abs(values))))


def run(name: str, loss: Loss, approx, target: float, proof: bool = True) -> dict:
    start, cpu = time.perf_counter(), time.process_time()
    result = certify_saddle(loss, approx, 1, 0, "1/2", proof=proof)
    proved, proved_cpu = time.perf_counter() - start, time.process_time() - cpu
    record = json.loads(result.certificate().to_json())
    start, cpu = time.perf_counter(), time.process_time()
    verdict = check(record)
    checked, checked_cpu = time.perf_counter() - start, time.process_time() - cpu
    evidence, index = _evidence(result)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # kB -> GB
    print(
        f"{name}: {result.verdict} ({result.narrow.message.split(' (')[0]}); "
        f"prover {proved:.2f} s (CPU {proved_cpu:.2f} s; target < {target:g} s), "
        f"checker {checked:.2f} s (CPU {checked_cpu:.2f} s) "
        f"(estimate {verdict.estimate:.1f} s, accepted={verdict.accepted}); "
        f"numpy Hessian + eigvalsh {evidence * 1e3:.1f} ms (index {index}): "
        f"prover {proved / evidence:.0f}x, checker {checked / evidence:.0f}x; peak memory {peak:.2f} GB; "
        f"load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    return {
        "proved": proved,
        "checked": checked,
        "evidence": evidence,
        "peak_gb": peak,
        "load": os.getloadavg(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="stop after the 4-8-1 case")
    parser.add_argument("--large", action="store_true", help="add 16-31-1 -> 16-32-1 on 768 points")
    parser.add_argument("--only", choices=("4", "8", "16"), help="run one size only")
    args = parser.parse_args()
    cases = [("4", 4, 7, 64, 30), ("8", 8, 15, 256, 60), ("16", 16, 31, 768, 60)]
    if args.only is None:
        example = saddle_example()
        run("1-1-1 -> 1-2-1 tanh, 6 points", example.loss, example.approx, 2)
        cases = cases[:1] if args.quick else cases if args.large else cases[:2]
    else:
        cases = [c for c in cases if c[0] == args.only]
    for _, d, h, points, target in cases:
        loss, theta0 = orthogonal_residual_data(d, h, points)
        # the symbolic lift proof is generic (one per shape and lam); large shapes skip it
        name = f"{d}-{h}-1 -> {d}-{h + 1}-1 tanh, {points} points"
        run(name, loss, theta0, target, proof=h < 8)


if __name__ == "__main__":
    main()
