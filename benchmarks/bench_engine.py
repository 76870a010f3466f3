"""Time the rigorous engine against numpy float64 in the same run: certificates, ratios, scaling.

Run: ``python benchmarks/bench_engine.py`` (about 2-3 minutes; ``--quick`` skips the two
MNIST-shaped networks). The MNIST-shaped cases run first, each in its own process, so that its
peak memory (``ru_maxrss``, which a forked child inherits from its parent) is its own.

Problems: random exact data (inputs ``k/8`` in ``[-2, 2]``, or pixels ``k/255`` for the
MNIST shapes), a random point ``A`` (float32 weights, exact dyadic rationals, for the
MNIST shapes), ``B = gA`` for the swap of the first two hidden units of layer 1. The
float64 baseline is :class:`symcert.numeric.floats.FloatLoss` (numpy, vectorised over
the data): the chord's baseline is its three losses ``L(A)``, ``L(B)``, ``L(M)``.
Both sides are timed the same way (``timing.best_of``): warm (one untimed call first), then the
minimum of repeats, so a ratio compares like with like on a shared, loaded machine.
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from timing import best_of, fmt

from symcert import MLP, Dataset, Loss, certify_nonconvexity, swap
from symcert.numeric.floats import FloatLoss


def small_problem(widths: tuple[int, ...], points: int, seed: int = 0) -> tuple[Loss, object]:
    rng = random.Random(seed)
    mlp = MLP(widths, "tanh")
    xs = [[f"{rng.randint(-16, 16)}/8" for _ in range(widths[0])] for _ in range(points)]
    ys = [[f"{rng.randint(-16, 16)}/8" for _ in range(widths[-1])] for _ in range(points)]
    return Loss(mlp, Dataset(xs, ys), "mse"), mlp.random_point(seed)


def mnist_problem(widths: tuple[int, ...], points: int, seed: int = 0) -> tuple[Loss, object, dict]:
    rng = np.random.default_rng(seed)
    setup = {}
    start = time.perf_counter()
    mlp = MLP(widths, "tanh", output_activation="softmax")
    pixels = rng.integers(0, 256, (points, widths[0]))
    xs = [[f"{v}/255" for v in row] for row in pixels.tolist()]
    labels = np.eye(widths[-1], dtype=int)[rng.integers(0, widths[-1], points)]
    data = Dataset(xs, labels)
    setup["data"] = time.perf_counter() - start
    start = time.perf_counter()
    values = []
    for l in range(1, len(widths)):
        fan_in = widths[l - 1]
        values.append(rng.normal(0, 1 / np.sqrt(fan_in), (widths[l], fan_in)).astype(np.float32))
    arrays = {f"W{l}": w for l, w in enumerate(values, start=1)}
    arrays.update({f"b{l}": np.zeros(widths[l], dtype=np.float32) for l in range(1, len(widths))})
    A = mlp.point(**arrays)
    setup["point"] = time.perf_counter() - start
    return Loss(mlp, data, "cross_entropy"), A, setup


def float_chord(loss: Loss, A, B, M) -> float:
    compiled = FloatLoss(loss)
    thetas = [compiled.check(P) for P in (A, B, M)]
    return best_of(lambda: [compiled.value(t) for t in thetas])


def headline(widths: tuple[int, ...], points: int, kinds: tuple[str, ...]) -> list[tuple]:
    loss, A = small_problem(widths, points)
    element = swap(1, 0, 1)
    B = element(A)
    base = float_chord(loss, A, B, A.midpoint(B))
    rows = []
    for kind in kinds:
        cert = certify_nonconvexity(loss, A, element=element, kind=kind, dps=50)
        t = best_of(lambda kind=kind: certify_nonconvexity(loss, A, element=element, kind=kind, dps=50))
        rows.append(("-".join(map(str, widths)), points, kind, cert.status, cert.decision.rung, t, base))
    return rows


def big_case(widths: tuple[int, ...], points: int, kinds: tuple[str, ...], repeats: int) -> None:
    loss, A, setup = mnist_problem(widths, points)
    element = swap(1, 0, 1)
    start = time.perf_counter()
    B = element(A)
    setup["swap"] = time.perf_counter() - start
    compiled = FloatLoss(loss)
    M = A.midpoint(B)
    thetas = [compiled.check(P) for P in (A, B, M)]
    base = best_of(lambda: [compiled.value(t) for t in thetas], repeats=5, budget=1.0)
    shape = "-".join(map(str, widths))
    for i, kind in enumerate(kinds):
        start = time.perf_counter()
        cert = certify_nonconvexity(loss, A, element=element, kind=kind, dps=50)
        first = time.perf_counter() - start
        # Layouts cached from here on: the engine alone, warm (the call above), minimum of repeats.
        warm = best_of(
            lambda kind=kind: certify_nonconvexity(loss, A, B=B, kind=kind, dps=50),
            repeats=repeats,
            budget=0.0,
            warm=False,
        )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"  {shape if i == 0 else '':<20}{points:>6}{loss.mlp.n_parameters:>9}  {kind:<10}"
            f"{cert.status:<8}{cert.decision.rung:<8}"
            f"{fmt(first):>11}{fmt(warm):>11}{fmt(base):>11}{warm / base:>7.1f}x{peak:>8.0f} MB"
        )
    print(
        f"    setup (SymPy boundary): data {setup['data']:.1f} s, point {setup['point']:.1f} s, "
        f"swap {setup['swap']:.1f} s"
    )


def scaling(quick: bool, only: str | None = None) -> None:
    print("\nscaling: chord certificate (warm layouts) vs parameters x points, tanh mse")
    print(
        f"  {'network':<12}{'points':>7}{'params x pts':>14}{'chord':>11}{'float64 x3':>12}"
        f"{'ratio':>8}{'ns/(p x n)':>12}"
    )
    cases = [
        ((8, 16, 1), 64),
        ((8, 16, 1), 256),
        ((16, 64, 1), 256),
        ((16, 64, 1), 1024),
        ((32, 128, 1), 1024),
        ((64, 256, 1), 256),
        ((64, 256, 1), 1024),
        ((64, 256, 1), 4096),
    ]
    if not quick:
        cases.append(((64, 256, 1), 16384))
    for widths, points in cases:
        if only is not None and "-".join(map(str, widths)) != only:
            continue
        loss, A = small_problem(widths, points)
        element = swap(1, 0, 1)
        B = element(A)
        repeats = 3 if points >= 4096 else 5
        t = best_of(lambda loss=loss, A=A, B=B: certify_nonconvexity(loss, A, B=B, kind="chord"), repeats)
        base = float_chord(loss, A, B, A.midpoint(B))
        size = loss.mlp.n_parameters * points
        shape = "-".join(map(str, widths))
        print(
            f"  {shape:<12}{points:>7}{size:>14,}{fmt(t):>11}{fmt(base):>12}"
            f"{t / base:>8.1f}{t / size * 1e9:>12.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="skip the MNIST-shaped networks and 16,384 points"
    )
    parser.add_argument("--scaling", action="store_true", help="only the scaling table")
    parser.add_argument("--network", help="with --scaling: only this network, e.g. 64-256-1")
    parser.add_argument(
        "--blas-threads",
        type=int,
        help="limit BLAS to N threads on both sides (multithreaded OpenBLAS stalls on a loaded machine)",
    )
    parser.add_argument("--case", choices=["mnist128", "mnist512"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.blas_threads:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.blas_threads)
    if args.case == "mnist128":
        big_case((784, 128, 10), 256, ("chord", "curvature", "hessian"), repeats=3)
        return
    if args.case == "mnist512":
        big_case((784, 512, 512, 512, 10), 1000, ("chord",), repeats=2)
        return
    if args.scaling:
        scaling(args.quick, args.network)
        return
    start = time.perf_counter()
    if not args.quick:
        print("MNIST-shaped, softmax cross-entropy (first call incl. layouts; warm call; float64 x3)")
        print(
            f"  {'network':<20}{'points':>6}{'params':>9}  {'kind':<10}{'status':<8}{'rung':<8}{'first':>11}"
            f"{'warm':>11}{'float64':>11}{'ratio':>8}{'peak':>11}"
        )
        for case in ("mnist128", "mnist512"):
            threads = ["--blas-threads", str(args.blas_threads)] if args.blas_threads else []
            subprocess.run([sys.executable, __file__, "--case", case, *threads], check=True)
    print("\ncertificates at 50 digits (the whole certify_nonconvexity call) vs float64 (three losses)")
    print(
        f"  {'network':<10}{'points':>7}  {'kind':<10}{'status':<8}{'rung':<8}{'time':>11}"
        f"{'float64 x3':>12}{'ratio':>8}"
    )
    rows = headline((4, 8, 1), 16, ("chord", "curvature", "hessian", "orbit"))
    rows += headline((16, 64, 1), 256, ("chord", "curvature", "hessian"))
    for shape, points, kind, status, rung, t, base in rows:
        print(
            f"  {shape:<10}{points:>7}  {kind:<10}{status:<8}{rung:<8}{fmt(t):>11}"
            f"{fmt(base):>12}{t / base:>8.1f}"
        )
    scaling(args.quick)
    print(f"\ntotal {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
