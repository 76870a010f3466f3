"""Time the rigorous engine against numpy float64 in the same run: certificates, ratios, scaling.

Run: ``python benchmarks/bench_engine.py`` (about 2-3 minutes; ``--quick`` skips the two
MNIST-shaped networks). The MNIST-shaped cases run first, each in its own process, so that its
peak memory (``ru_maxrss``, which a forked child inherits from its parent) is its own.

Problems: random exact data (inputs ``k/8`` in ``[-2, 2]``, or pixels ``k/255`` for the
MNIST shapes), a random point ``A`` (float32 weights, exact dyadic rationals, for the
MNIST shapes), ``B = gA`` for the swap of the first two hidden units of layer 1. The
float64 baseline is :class:`symcert.numeric.floats.FloatLoss` (numpy, vectorised over
the data): the chord's baseline is its three losses ``L(A)``, ``L(B)``, ``L(M)``.
Times are medians of repeats (one run for anything slower than 1 s).
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import numpy as np

from symcert import MLP, Dataset, Loss, certify_nonconvexity, swap
from symcert.numeric.floats import FloatLoss


def timed(run: Callable[[], object], budget: float = 0.5) -> float:
    """Median seconds per call, repeating until ``budget`` seconds have passed (at least once)."""
    times: list[float] = []
    spent = 0.0
    while not times or (spent < budget and len(times) < 1000):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
        spent += times[-1]
    return statistics.median(times)


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


def fmt(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:7.1f} us"
    if seconds < 1:
        return f"{seconds * 1e3:7.2f} ms"
    return f"{seconds:7.2f} s "


def float_chord(loss: Loss, A, B, M) -> float:
    compiled = FloatLoss(loss)
    thetas = [compiled.check(P) for P in (A, B, M)]
    return timed(lambda: [compiled.value(t) for t in thetas])


def headline(widths: tuple[int, ...], points: int, kinds: tuple[str, ...]) -> list[tuple]:
    loss, A = small_problem(widths, points)
    element = swap(1, 0, 1)
    B = element(A)
    base = float_chord(loss, A, B, A.midpoint(B))
    rows = []
    for kind in kinds:
        cert = certify_nonconvexity(loss, A, element=element, kind=kind, dps=50)
        t = timed(lambda kind=kind: certify_nonconvexity(loss, A, element=element, kind=kind, dps=50))
        rows.append(("-".join(map(str, widths)), points, kind, cert.status, cert.decision.rung, t, base))
    return rows


def big_case(widths: tuple[int, ...], points: int) -> None:
    loss, A, setup = mnist_problem(widths, points)
    element = swap(1, 0, 1)
    start = time.perf_counter()
    B = element(A)
    setup["swap"] = time.perf_counter() - start
    start = time.perf_counter()
    cert = certify_nonconvexity(loss, A, element=element, kind="chord", dps=50)
    total = time.perf_counter() - start
    start = time.perf_counter()
    cert2 = certify_nonconvexity(loss, A, B=B, kind="chord", dps=50)  # layouts cached: the engine alone
    warm = time.perf_counter() - start
    compiled = FloatLoss(loss)
    M = A.midpoint(B)
    thetas = [compiled.check(P) for P in (A, B, M)]
    base = timed(lambda: [compiled.value(t) for t in thetas], budget=1.0)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    shape = "-".join(map(str, widths))
    print(
        f"  {shape:<20}{points:>6}{loss.mlp.n_parameters:>9}  {cert.status:<8}{cert.decision.rung:<8}"
        f"{fmt(total):>11}{fmt(warm):>11}{fmt(base):>11}{warm / base:>8.0f}x{peak:>9.0f} MB"
    )
    print(
        f"    setup (SymPy boundary): data {setup['data']:.1f} s, point {setup['point']:.1f} s, "
        f"swap {setup['swap']:.1f} s; barrier >= {float(cert2.enclosures['barrier'][0]):.3e}"
    )


def scaling() -> None:
    print("\nscaling: chord certificate (warm layouts) vs parameters x points, tanh mse")
    print(
        f"  {'network':<12}{'points':>7}{'params x pts':>14}{'chord':>11}{'float64 x3':>12}"
        f"{'ratio':>8}{'ns/(p x n)':>12}"
    )
    for widths, points in [
        ((8, 16, 1), 64),
        ((8, 16, 1), 256),
        ((16, 64, 1), 256),
        ((16, 64, 1), 1024),
        ((32, 128, 1), 1024),
        ((64, 256, 1), 1024),
        ((64, 256, 1), 4096),
    ]:
        loss, A = small_problem(widths, points)
        element = swap(1, 0, 1)
        B = element(A)
        certify_nonconvexity(loss, A, B=B, kind="chord")
        t = timed(lambda loss=loss, A=A, B=B: certify_nonconvexity(loss, A, B=B, kind="chord"))
        base = float_chord(loss, A, B, A.midpoint(B))
        size = loss.mlp.n_parameters * points
        shape = "-".join(map(str, widths))
        print(
            f"  {shape:<12}{points:>7}{size:>14,}{fmt(t):>11}{fmt(base):>12}"
            f"{t / base:>8.0f}{t / size * 1e9:>12.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="skip the MNIST-shaped networks")
    parser.add_argument("--case", choices=["mnist128", "mnist512"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case == "mnist128":
        big_case((784, 128, 10), 256)
        return
    if args.case == "mnist512":
        big_case((784, 512, 512, 512, 10), 1000)
        return
    start = time.perf_counter()
    if not args.quick:
        print(
            "MNIST-shaped, softmax cross-entropy, chord (first call incl. layouts; warm call; float64 x3)"
        )
        print(
            f"  {'network':<20}{'points':>6}{'params':>9}  {'status':<8}{'rung':<8}{'first':>11}{'warm':>11}"
            f"{'float64':>11}{'ratio':>9}{'peak':>12}"
        )
        for case in ("mnist128", "mnist512"):
            subprocess.run([sys.executable, __file__, "--case", case], check=True)
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
    scaling()
    print(f"\ntotal {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
