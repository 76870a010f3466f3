"""MNIST-sized data, streamed: the chord certificate of the Git Re-Basin MLP on 60,000 points.

Run: ``python benchmarks/bench_stream.py`` (heavy: minutes, a few GB; not part of the test suite).
``--points N`` for fewer points, ``--chunk-size`` to change the chunks, ``--workers N`` to run the
chunks on a local Dask cluster of N processes.

The problem: the 784-512-512-512-10 tanh MLP with a softmax cross-entropy loss (Ainsworth et al.'s
Git Re-Basin MLP), random data in MNIST's shape (pixels ``k/255``, 10 classes, one-hot), held as
integer matrices (``Dataset.from_integers``: no SymPy for the data), a random point ``A`` (float32
weights, exact dyadic rationals, read by ``MLP.point`` from the numpy arrays as exact integer arrays:
no SymPy) and ``B = gA`` for the swap of the first two hidden units of layer 1 (applied to the arrays).
The engine sums the loss over chunks of data (``symcert.numeric.engine.chunks``), so memory is
bounded by a chunk's activations, not by the number of points.

Each side runs in its own process, so that its peak memory (``ru_maxrss``) is its own: the
float64 baseline (numpy: the three losses ``L(A)``, ``L(B)``, ``L(M)``, warm, minimum of repeats,
as in ``timing.best_of_both``; and one forward pass, the yardstick of the set-up), the certificate (the
set-up, its first call and one warm call: a warm call takes minutes, so it is timed once), and the
checker on ``--checker-points`` points (default 1,000; 0 skips it): the certificate is written with
its data and weights packed (``Certificate.to_json(packed=True)``: base64 of little-endian integers
with their SHA-256) to a file, and ``symcert.check`` reads that file and streams over chunks of it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from timing import best_of_both, blas_threads, fmt, peak_mb, threads_flag

blas_threads(sys.argv)  # before numpy loads OpenBLAS (limited afterwards, its idle threads cost CPU)

import numpy as np  # noqa: E402

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


def case_float(points: int) -> dict:
    X, Y = data(points)
    X, Y = X / 255.0, Y.astype(np.float64)
    A = weights()
    B = swapped(A)
    M = {k: (A[k].astype(np.float64) + B[k].astype(np.float64)) / 2 for k in A}
    seconds, cpu = best_of_both(lambda: float_losses(X, Y, [A, B, M]), repeats=2)
    forward, forward_cpu = best_of_both(lambda: float_losses(X, Y, [A]), repeats=2)
    return {
        "seconds": seconds,
        "forward": forward,
        "cpu": cpu,
        "forward_cpu": forward_cpu,
        "peak_mb": peak_mb(),
        "losses": float_losses(X, Y, [A, B, M]),
    }


def _problem(points: int):
    from symcert import MLP, Dataset, Loss, swap

    start = time.perf_counter()
    X, Y = data(points)
    mlp = MLP(WIDTHS, "tanh", output_activation="softmax")
    loss = Loss(mlp, Dataset.from_integers(X, 255, Y), "cross_entropy")
    setup_data = time.perf_counter() - start
    arrays = weights()
    start = time.perf_counter()
    A = mlp.point(**arrays)  # numpy arrays: exact integer arrays, no SymPy
    element = swap(1, 0, 1)
    B = element(A)  # rows and columns moved in the arrays
    return loss, A, B, element, {"data": setup_data, "points": time.perf_counter() - start}


def case_prover(points: int, chunk_size: int, workers: int | None, file: str | None = None) -> dict:
    import contextlib

    from symcert import certify_nonconvexity
    from symcert.numeric.engine.chunks import streaming

    cpu = time.process_time()
    loss, A, _, element, setup = _problem(points)
    setup["cpu"] = time.process_time() - cpu
    with contextlib.ExitStack() as stack:
        executor = None
        if workers:
            from symcert.batch.cluster import DaskExecutor, dask_client

            executor = DaskExecutor(stack.enter_context(dask_client(workers)))
        stack.enter_context(streaming(chunk_size, executor))
        start, cpu = time.perf_counter(), time.process_time()
        cert = certify_nonconvexity(loss, A, element=element, kind="chord")
        first, first_cpu = time.perf_counter() - start, time.process_time() - cpu
        start, cpu = time.perf_counter(), time.process_time()
        certify_nonconvexity(loss, A, element=element, kind="chord")  # warm: timed once (minutes)
        warm, warm_cpu = time.perf_counter() - start, time.process_time() - cpu
    enclosures = {k: [float(v[0]), float(v[1])] for k, v in cert.enclosures.items()}
    if file:  # for a checker run of its own (``--case check-file``)
        Path(file).write_text(cert.to_json(packed=True))
    return {
        "status": cert.status,
        "rung": cert.decision.rung,
        "first": first,
        "warm": warm,
        "first_cpu": first_cpu,
        "warm_cpu": warm_cpu,
        "setup": setup,
        "peak_mb": peak_mb(),
        "enclosures": enclosures,
    }


def case_checker(points: int, chunk_size: int) -> dict:
    import tempfile

    from symcert import certify_nonconvexity
    from symcert.numeric.engine.chunks import streaming

    loss, A, _, element, _ = _problem(points)
    with streaming(chunk_size):
        cert = certify_nonconvexity(loss, A, element=element, kind="chord")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "chord.json"
        start = time.perf_counter()
        path.write_text(cert.to_json(packed=True))
        writing = time.perf_counter() - start
        size = path.stat().st_size
        # checked in a process of its own: its peak memory is the checker's alone
        checked = _child("--case", "check-file", "--file", str(path), "--chunk-size", str(chunk_size))
    return {**checked, "json_seconds": writing, "bytes": size}


def case_check_file(path: str, chunk_size: int) -> dict:
    from symcert.checker import check

    start, cpu = time.perf_counter(), time.process_time()
    result = check(path, chunk_size=chunk_size, budget=1e7)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {
        "accepted": result.accepted,
        "reasons": result.reasons,
        "seconds": seconds,
        "cpu": cpu,
        "peak_mb": peak_mb(),
    }


def _child(*argv: str) -> dict:
    """Run this file with ``argv`` in a fresh process (the same BLAS threads); its last line, as JSON."""
    argv = (*argv, *threads_flag())
    done = subprocess.run([sys.executable, __file__, *argv], check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--points", type=int, default=60_000)
    parser.add_argument("--chunk-size", type=int, default=None, help="default: symcert.limits.DATA_CHUNK")
    parser.add_argument("--workers", type=int, default=None, help="a local Dask cluster of N processes")
    parser.add_argument("--checker-points", type=int, default=1000, help="0: skip the checker")
    parser.add_argument(
        "--blas-threads",
        type=int,
        metavar="N",
        help="BLAS threads on every side, set before numpy loads (1 on a shared machine: "
        "multithreaded OpenBLAS stalls under load)",
    )
    cases = ["float", "prover", "checker", "check-file"]
    parser.add_argument("--case", choices=cases, help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    from symcert.limits import DATA_CHUNK

    chunk = args.chunk_size or DATA_CHUNK
    if args.case == "float":
        print(json.dumps(case_float(args.points)))
        return
    if args.case == "prover":
        print(json.dumps(case_prover(args.points, chunk, args.workers, args.file)))
        return
    if args.case == "checker":
        print(json.dumps(case_checker(args.points, chunk)))
        return
    if args.case == "check-file":
        print(json.dumps(case_check_file(args.file, chunk)))
        return
    shape = "-".join(map(str, WIDTHS))
    blas = f", BLAS threads {args.blas_threads}" if args.blas_threads else ""
    print(f"{shape}, tanh, softmax cross-entropy, {args.points:,} points, chunks of {chunk}{blas}")
    base = _child("--case", "float", "--points", str(args.points))
    print(
        f"  float64 (numpy, 3 losses, warm min): {fmt(base['seconds'])} (CPU {fmt(base['cpu']).strip()})"
        f"   one forward pass {fmt(base['forward'])}   peak {base['peak_mb']:.0f} MB"
    )
    extra = ["--workers", str(args.workers)] if args.workers else []
    if args.points:
        found = _child("--case", "prover", "--points", str(args.points), "--chunk-size", str(chunk), *extra)
        print(
            f"  chord certificate: {found['status']} ({found['rung']}), first call {fmt(found['first'])}, "
            f"warm {fmt(found['warm'])}, ratio {found['warm'] / base['seconds']:.1f}x "
            f"(CPU: warm {fmt(found['warm_cpu']).strip()}, {found['warm_cpu'] / base['cpu']:.1f}x), "
            f"peak {found['peak_mb']:.0f} MB"
        )
        setup = found["setup"]["data"] + found["setup"]["points"]
        print(
            f"    set-up: data {found['setup']['data']:.2f} s, point A and B = gA "
            f"{found['setup']['points']:.2f} s (integer arrays, no SymPy): "
            f"{setup / base['forward']:.2f}x one float64 forward pass"
        )
        lo, hi = found["enclosures"]["barrier"]
        print(
            f"    barrier in [{lo:.12g}, {hi:.12g}]; float64 L(M) - (L(A) + L(B))/2 = "
            f"{base['losses'][2] - (base['losses'][0] + base['losses'][1]) / 2:.12g}"
        )
    if args.checker_points:
        n = args.checker_points
        checked = _child("--case", "checker", "--points", str(n), "--chunk-size", str(chunk))
        print(
            f"  checker on {n:,} points: {'accepted' if checked['accepted'] else 'REJECTED'} in "
            f"{fmt(checked['seconds'])} (CPU {fmt(checked['cpu']).strip()}; {checked['reasons'][-1]}), "
            f"peak {checked['peak_mb']:.0f} MB "
            f"(its own process); packed JSON {checked['bytes'] / 1e6:.1f} MB written in "
            f"{checked['json_seconds']:.1f} s"
        )
        if not checked["accepted"]:
            print("    " + "; ".join(checked["reasons"]))


if __name__ == "__main__":
    main()
