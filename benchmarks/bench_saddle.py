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
Every case runs in a fresh process started by this small parent, so its peak memory (the
process's maximum resident set size, ``ru_maxrss``, which a child inherits from its parent) is
its own; CPU times are printed beside the wall times because the machine is shared (the load
average is printed too). ``--blas-threads N`` sets the BLAS threads before numpy loads.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from timing import best_of, blas_threads, peak_mb, threads_flag

blas_threads(sys.argv)  # before numpy loads OpenBLAS

import numpy as np  # noqa: E402

from symcert import MLP, Dataset, Loss, certify_saddle, check  # noqa: E402
from symcert.symbolic.saddle_example import saddle_example  # noqa: E402


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
    peak = peak_mb() / 1024
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
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="stop after the 4-8-1 case")
    parser.add_argument("--large", action="store_true", help="add 16-31-1 -> 16-32-1 on 768 points")
    parser.add_argument("--only", choices=("1", "4", "8", "16"), help="run one size only, in this process")
    parser.add_argument("--blas-threads", metavar="N", help="BLAS threads, set before numpy loads")
    args = parser.parse_args()
    cases = [("4", 4, 7, 64, 30), ("8", 8, 15, 256, 60), ("16", 16, 31, 768, 60)]
    if args.only is None:  # each case in a fresh process: its peak memory is its own
        names = ["1", "4"] if args.quick else ["1", "4", "8", "16"] if args.large else ["1", "4", "8"]
        for name in names:
            subprocess.run([sys.executable, __file__, "--only", name, *threads_flag()], check=True)
        return
    if args.only == "1":
        example = saddle_example()
        run("1-1-1 -> 1-2-1 tanh, 6 points", example.loss, example.approx, 2)
        return
    for _, d, h, points, target in [c for c in cases if c[0] == args.only]:
        loss, theta0 = orthogonal_residual_data(d, h, points)
        # the symbolic lift proof is generic (one per shape and lam); large shapes skip it
        name = f"{d}-{h}-1 -> {d}-{h + 1}-1 tanh, {points} points"
        run(name, loss, theta0, target, proof=h < 8)


if __name__ == "__main__":
    main()
