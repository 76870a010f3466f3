"""MNIST-sized data, streamed: the chord certificate of the Git Re-Basin MLP on 60,000 points.

Run: ``python benchmarks/bench_stream.py`` (heavy: minutes, a few GB; not part of the test suite).
``--points N`` for fewer points, ``--chunk-size`` to change the chunks, ``--workers N`` to run the
chunks on a local Dask cluster of N processes.

The problem: the 784-512-512-512-10 tanh MLP with a softmax cross-entropy loss (Ainsworth et al.'s
Git Re-Basin MLP), random data in MNIST's shape (pixels ``k/255``, 10 classes, one-hot), held as
integer matrices (``Dataset.from_integers``: no SymPy for the data), a random point ``A`` (float32
weights, exact dyadic rationals) and ``B = gA`` for the swap of the first two hidden units of layer 1.
The engine sums the loss over chunks of data (``symcert.numeric.engine.chunks``), so memory is
bounded by a chunk's activations, not by the number of points.

Each side runs in its own process, so that its peak memory (``ru_maxrss``) is its own: the
float64 baseline (numpy: the three losses ``L(A)``, ``L(B)``, ``L(M)``, warm, minimum of repeats,
as in ``timing.best_of``), the certificate (its first call, which converts the point to integer
layouts, and one warm call: a warm call takes minutes, so it is timed once), and the checker
(``--checker-points``, default 256: the checker reads a JSON certificate, whose data section at
60,000 points (47 million numbers) it cannot hold in 4 GB; see the README).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from timing import best_of, fmt

WIDTHS = (784, 512, 512, 512, 10)


def data(points: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    # uint8, as MNIST stores them (the same values as before, for each seed)
    pixels = rng.integers(0, 256, (points, WIDTHS[0]), dtype=np.int64).astype(np.uint8)
    labels = rng.integers(0, WIDTHS[-1], points)
    return pixels, np.eye(WIDTHS[-1], dtype=np.uint8)[labels]


#: The seed of A: one whose float64 barrier is positive (found by a float64 search: evidence, not proof;
#: with seed 0 the midpoint lies below the chord and the certificate is "refuted", decided as well).
SEED = 7


def weights(seed: int = SEED) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed + 1)
    arrays = {}
    for l in range(1, len(WIDTHS)):
        fan_in = WIDTHS[l - 1]
        arrays[f"W{l}"] = rng.normal(0, 1 / np.sqrt(fan_in), (WIDTHS[l], fan_in)).astype(np.float32)
        arrays[f"b{l}"] = np.zeros(WIDTHS[l], dtype=np.float32)
    return arrays


def swapped(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out = {k: v.copy() for k, v in arrays.items()}
    order = [1, 0, *range(2, WIDTHS[1])]
    out["W1"], out["b1"], out["W2"] = arrays["W1"][order], arrays["b1"][order], arrays["W2"][:, order]
    return out


def float_losses(X: np.ndarray, Y: np.ndarray, points: list[dict[str, np.ndarray]]) -> list[float]:
    """The three cross-entropy losses in numpy float64 (the mean over points)."""
    out = []
    for arrays in points:
        a = X
        depth = len(WIDTHS) - 1
        for l in range(1, depth + 1):
            z = a @ arrays[f"W{l}"].T.astype(np.float64) + arrays[f"b{l}"].astype(np.float64)
            a = np.tanh(z) if l < depth else z
        top = a.max(axis=1, keepdims=True)
        lse = np.log(np.exp(a - top).sum(axis=1)) + top[:, 0]
        out.append(float(np.mean(lse - (Y * a).sum(axis=1))))
    return out


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def case_float(points: int) -> dict:
    X, Y = data(points)
    X, Y = X / 255.0, Y.astype(np.float64)
    A = weights()
    B = swapped(A)
    M = {k: (A[k].astype(np.float64) + B[k].astype(np.float64)) / 2 for k in A}
    seconds = best_of(lambda: float_losses(X, Y, [A, B, M]), repeats=3, budget=0.0)
    return {"seconds": seconds, "peak_mb": peak_mb(), "losses": float_losses(X, Y, [A, B, M])}


def _problem(points: int):
    from symcert import MLP, Dataset, Loss, swap

    start = time.perf_counter()
    X, Y = data(points)
    mlp = MLP(WIDTHS, "tanh", output_activation="softmax")
    loss = Loss(mlp, Dataset.from_integers(X, 255, Y), "cross_entropy")
    setup_data = time.perf_counter() - start
    start = time.perf_counter()
    A = mlp.point(**weights())
    B = swap(1, 0, 1)(A)
    return loss, A, B, {"data": setup_data, "points": time.perf_counter() - start}


def case_prover(points: int, chunk_size: int, workers: int | None) -> dict:
    import contextlib

    from symcert import certify_nonconvexity
    from symcert.numeric.engine.chunks import streaming

    loss, A, B, setup = _problem(points)
    with contextlib.ExitStack() as stack:
        executor = None
        if workers:
            from symcert.batch.cluster import DaskExecutor, dask_client

            executor = DaskExecutor(stack.enter_context(dask_client(workers)))
        stack.enter_context(streaming(chunk_size, executor))
        start = time.perf_counter()
        cert = certify_nonconvexity(loss, A, B=B, kind="chord")
        first = time.perf_counter() - start
        warm = best_of(
            lambda: certify_nonconvexity(loss, A, B=B, kind="chord"), repeats=1, budget=0.0, warm=False
        )
    enclosures = {k: [float(v[0]), float(v[1])] for k, v in cert.enclosures.items()}
    return {
        "status": cert.status,
        "rung": cert.decision.rung,
        "first": first,
        "warm": warm,
        "setup": setup,
        "peak_mb": peak_mb(),
        "enclosures": enclosures,
    }


def case_checker(points: int, chunk_size: int) -> dict:
    from symcert import certify_nonconvexity
    from symcert.checker import check
    from symcert.numeric.engine.chunks import streaming

    loss, A, B, _ = _problem(points)
    with streaming(chunk_size):
        cert = certify_nonconvexity(loss, A, B=B, kind="chord")
    start = time.perf_counter()
    record = json.loads(cert.to_json())
    writing = time.perf_counter() - start
    start = time.perf_counter()
    result = check(record, chunk_size=chunk_size, budget=1e7)
    seconds = time.perf_counter() - start
    return {"accepted": result.accepted, "seconds": seconds, "json_seconds": writing, "peak_mb": peak_mb()}


def _child(*argv: str) -> dict:
    done = subprocess.run([sys.executable, __file__, *argv], check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--points", type=int, default=60_000)
    parser.add_argument("--chunk-size", type=int, default=None, help="default: symcert.limits.DATA_CHUNK")
    parser.add_argument("--workers", type=int, default=None, help="a local Dask cluster of N processes")
    parser.add_argument("--checker-points", type=int, default=256, help="0: skip the checker")
    parser.add_argument(
        "--blas-threads",
        type=int,
        help="limit BLAS to N threads on both sides (multithreaded OpenBLAS stalls on a loaded machine)",
    )
    parser.add_argument("--case", choices=["float", "prover", "checker"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.blas_threads:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.blas_threads)
    from symcert.limits import DATA_CHUNK

    chunk = args.chunk_size or DATA_CHUNK
    if args.case == "float":
        print(json.dumps(case_float(args.points)))
        return
    if args.case == "prover":
        print(json.dumps(case_prover(args.points, chunk, args.workers)))
        return
    if args.case == "checker":
        print(json.dumps(case_checker(args.points, chunk)))
        return
    shape = "-".join(map(str, WIDTHS))
    blas = f", BLAS threads {args.blas_threads}" if args.blas_threads else ""
    print(f"{shape}, tanh, softmax cross-entropy, {args.points:,} points, chunks of {chunk}{blas}")
    threads = ["--blas-threads", str(args.blas_threads)] if args.blas_threads else []
    base = _child("--case", "float", "--points", str(args.points), *threads)
    print(f"  float64 (numpy, 3 losses, warm min): {fmt(base['seconds'])}   peak {base['peak_mb']:.0f} MB")
    extra = ["--workers", str(args.workers)] if args.workers else []
    found = _child(
        "--case", "prover", "--points", str(args.points), "--chunk-size", str(chunk), *extra, *threads
    )
    print(
        f"  chord certificate: {found['status']} ({found['rung']}), first call {fmt(found['first'])}, "
        f"warm {fmt(found['warm'])}, ratio {found['warm'] / base['seconds']:.1f}x, "
        f"peak {found['peak_mb']:.0f} MB"
    )
    print(
        f"    set-up: data {found['setup']['data']:.2f} s (integers, no SymPy), "
        f"point and B = gA {found['setup']['points']:.1f} s (SymPy)"
    )
    lo, hi = found["enclosures"]["barrier"]
    print(
        f"    barrier in [{lo:.12g}, {hi:.12g}]; float64 L(M) - (L(A) + L(B))/2 = "
        f"{base['losses'][2] - (base['losses'][0] + base['losses'][1]) / 2:.12g}"
    )
    if args.checker_points:
        n = args.checker_points
        checked = _child("--case", "checker", "--points", str(n), "--chunk-size", str(chunk), *threads)
        print(
            f"  checker on {n:,} points: {'accepted' if checked['accepted'] else 'REJECTED'} in "
            f"{fmt(checked['seconds'])}, peak {checked['peak_mb']:.0f} MB "
            f"(writing and parsing the JSON: {checked['json_seconds']:.1f} s)"
        )


if __name__ == "__main__":
    main()
