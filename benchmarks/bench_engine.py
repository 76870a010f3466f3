"""Time the rigorous engine against numpy float64 in the same run: certificates, ratios, scaling.

Run: ``python benchmarks/bench_engine.py --blas-threads 1 --cpu`` (about 3-4 minutes; ``--quick`` skips
the two MNIST-shaped networks). Every case runs in a fresh process started by this small parent,
so that its peak memory (``ru_maxrss``, which a child process inherits from its parent) is its
own: the case's data, points, float64 baseline and certificates together.
``--blas-threads N`` sets the BLAS threads *before numpy loads* (``timing.blas_threads``): limited
afterwards, OpenBLAS's idle threads cost up to 0.1 s of CPU per small product on a loaded machine.

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
import json
import random
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from timing import best_of, blas_threads, fmt, peak_mb, threads_flag

blas_threads(sys.argv)  # before numpy loads OpenBLAS

import numpy as np  # noqa: E402

from symcert import MLP, Dataset, Loss, certify_nonconvexity, swap  # noqa: E402
from symcert.numeric.floats import FloatLoss  # noqa: E402

#: ``--cpu``: time CPU seconds of the process (fairer on a loaded machine), else wall-clock seconds.
CPU = ["--cpu"] if "--cpu" in sys.argv else []
CLOCK = time.process_time if CPU else time.perf_counter


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
    return best_of(lambda: [compiled.value(t) for t in thetas], clock=CLOCK)


def headline(widths: tuple[int, ...], points: int, kinds: tuple[str, ...]) -> list[tuple]:
    """One row per kind: shape, points, kind, status, rung, certificate, float64 (seconds)."""
    loss, A = small_problem(widths, points)
    element = swap(1, 0, 1)
    B = element(A)
    base = float_chord(loss, A, B, A.midpoint(B))
    rows = []
    for kind in kinds:
        cert = certify_nonconvexity(loss, A, element=element, kind=kind, dps=50)
        t = best_of(
            lambda kind=kind: certify_nonconvexity(loss, A, element=element, kind=kind, dps=50), clock=CLOCK
        )
        rows.append(("-".join(map(str, widths)), points, kind, cert.status, cert.decision.rung, t, base))
    return rows


def _child(*argv: str) -> dict:
    """Run this file with ``argv`` in a fresh process (the same BLAS threads); its last line, as JSON."""
    done = subprocess.run(
        [sys.executable, __file__, *argv, *threads_flag(), *CPU], check=True, capture_output=True, text=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def big_case(widths: tuple[int, ...], points: int, kinds: tuple[str, ...], repeats: int) -> None:
    loss, A, setup = mnist_problem(widths, points)
    element = swap(1, 0, 1)
    start = time.perf_counter()
    B = element(A)
    setup["swap"] = time.perf_counter() - start
    compiled = FloatLoss(loss)
    M = A.midpoint(B)
    thetas = [compiled.check(P) for P in (A, B, M)]
    base = best_of(lambda: [compiled.value(t) for t in thetas], repeats=5, budget=1.0, clock=CLOCK)
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
            clock=CLOCK,
        )
        peak = peak_mb()
        print(
            f"  {shape if i == 0 else '':<20}{points:>6}{loss.mlp.n_parameters:>9}  {kind:<10}"
            f"{cert.status:<8}{cert.decision.rung:<8}"
            f"{fmt(first):>11}{fmt(warm):>11}{fmt(base):>11}{warm / base:>7.1f}x{peak:>8.0f} MB"
        )
    print(
        f"    setup (SymPy boundary): data {setup['data']:.1f} s, point {setup['point']:.1f} s, "
        f"swap {setup['swap']:.1f} s"
    )


def scaling_case(shape: str, points: int) -> dict:
    """One scaling row, in this process: the warm chord and the float64 chord, minimum of repeats."""
    widths = tuple(int(w) for w in shape.split("-"))
    loss, A = small_problem(widths, points)
    element = swap(1, 0, 1)
    B = element(A)
    repeats = 3 if points >= 4096 else 5
    t = best_of(lambda: certify_nonconvexity(loss, A, B=B, kind="chord"), repeats, clock=CLOCK)
    base = float_chord(loss, A, B, A.midpoint(B))
    return {"seconds": t, "float64": base, "size": loss.mlp.n_parameters * points, "peak_mb": peak_mb()}


def scaling(quick: bool, only: str | None = None) -> None:
    print("\nscaling: chord certificate (warm layouts) vs parameters x points, tanh mse")
    print("  (peak: ru_maxrss of the row's own fresh process: data, points, both sides)")
    print(
        f"  {'network':<12}{'points':>7}{'params x pts':>14}{'chord':>11}{'float64 x3':>12}"
        f"{'ratio':>8}{'ns/(p x n)':>12}{'peak':>10}"
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
        shape = "-".join(map(str, widths))
        row = _child("--scaling-case", shape, "--points", str(points))
        t, base, size = row["seconds"], row["float64"], row["size"]
        print(
            f"  {shape:<12}{points:>7}{size:>14,}{fmt(t):>11}{fmt(base):>12}"
            f"{t / base:>8.1f}{t / size * 1e9:>12.1f}{row['peak_mb']:>7.0f} MB"
        )


HEADLINE_KINDS = ("chord", "curvature", "hessian")


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
        metavar="N",
        help="BLAS threads on both sides, set before numpy loads (1 on a shared machine: "
        "multithreaded OpenBLAS stalls under load)",
    )
    parser.add_argument(
        "--cpu", action="store_true", help="time CPU seconds of each process, not wall time (under load)"
    )
    parser.add_argument("--case", choices=["mnist128", "mnist512"], help=argparse.SUPPRESS)
    parser.add_argument("--scaling-case", help=argparse.SUPPRESS)
    parser.add_argument("--headline-case", help=argparse.SUPPRESS)
    parser.add_argument("--points", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scaling_case:
        print(json.dumps(scaling_case(args.scaling_case, args.points)))
        return
    if args.headline_case:
        widths = tuple(int(w) for w in args.headline_case.split("-"))
        kinds = ("chord", "curvature", "hessian", "orbit") if widths == (4, 8, 1) else HEADLINE_KINDS
        print(json.dumps({"rows": headline(widths, args.points, kinds), "peak_mb": peak_mb()}))
        return
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
            subprocess.run([sys.executable, __file__, "--case", case, *threads_flag(), *CPU], check=True)
    print("\ncertificates at 50 digits (the whole certify_nonconvexity call) vs float64 (three losses)")
    print("  (peak: ru_maxrss of the network's own fresh process, all its kinds)")
    print(
        f"  {'network':<10}{'points':>7}  {'kind':<10}{'status':<8}{'rung':<8}{'time':>11}"
        f"{'float64 x3':>12}{'ratio':>8}{'peak':>10}"
    )
    for shape, points in (("4-8-1", 16), ("16-64-1", 256)):
        found = _child("--headline-case", shape, "--points", str(points))
        for shape, points, kind, status, rung, t, base in found["rows"]:
            print(
                f"  {shape:<10}{points:>7}  {kind:<10}{status:<8}{rung:<8}{fmt(t):>11}"
                f"{fmt(base):>12}{t / base:>8.1f}{found['peak_mb']:>7.0f} MB"
            )
    scaling(args.quick)
    print(f"\ntotal {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
