"""Time certified barriers (branch and bound over t) against a float64 grid in the same run.

Run: ``python benchmarks/bench_barrier.py`` (``--quick`` skips the 784-128-10 pair; ``--check`` also times
the independent checker on every certificate written).

1. 64-32-10 tanh/softmax pair on the 1,797 digits (sklearn's ``load_digits``, inputs ``k/16``):
   two ``MLPClassifier`` trained from seeds 0 and 1 (random weights if sklearn is missing), weights
   as float32 (exact dyadic rationals); cross-entropy. Barrier to ``tol = 1e-3`` before and after
   weight-matching alignment (target: together under 60 s).
2. 784-128-10 pair (random float32 weights, seeds 0 and 1) on 256 random pixel images ``k/255``
   (target: under 5 minutes).

The baseline is the literature's method: float64 losses on a grid of 25 values of t
(:class:`symcert.numeric.floats.FloatLoss`), timed in the same run; the ratio is certified / grid.

Times are CPU seconds of the process (``time.process_time``), both sides warm, the smallest of the
repeats; ``--memory`` adds each side's peak resident set (``VmHWM``) in a fresh process. Measured on the
shared 2-core machine (README, "Benchmarks", ``--check --blas-threads 1 --repeats 3 --memory``, load
average 2.5): digits 0.97 s and 0.96 s certified (18x and 20x the grid), checker 0.99x and 1.00x the
prover; 784-128-10 0.46 s (5x), checker 1.19x.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from fractions import Fraction


def _blas_threads(argv: list[str]) -> str | None:
    """``--blas-threads N`` from the command line, applied before numpy loads its BLAS: OpenBLAS limited
    afterwards (threadpoolctl) keeps its idle threads, which cost up to 0.1 s of CPU per small product."""
    for i, arg in enumerate(argv):
        value = arg.split("=", 1)[1] if arg.startswith("--blas-threads=") else None
        if arg == "--blas-threads" and i + 1 < len(argv):
            value = argv[i + 1]
        if value is not None:
            for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
                os.environ[name] = value
            return value
    return None


_blas_threads(sys.argv)

import numpy as np  # noqa: E402  (after the BLAS threads are set)

from symcert import MLP, Dataset, Loss, align, certify_barrier, check  # noqa: E402
from symcert.numeric.floats import FloatLoss  # noqa: E402


def digits_pair() -> tuple[Loss, object, object, str]:
    mlp = MLP((64, 32, 10), "tanh", output_activation="softmax")
    try:
        from sklearn.datasets import load_digits
        from sklearn.neural_network import MLPClassifier
    except ImportError:  # pragma: no cover
        load_digits = None
    if load_digits is None:
        rng = np.random.default_rng(0)
        X = rng.integers(0, 17, (1797, 64))
        y = rng.integers(0, 10, 1797)
        nets = [_random_arrays((64, 32, 10), seed) for seed in (0, 1)]
        how = "random weights (sklearn missing)"
    else:
        X, y = load_digits(return_X_y=True)
        X = X.astype(int)
        nets = []
        import warnings

        for seed in (0, 1):
            clf = MLPClassifier((32,), activation="tanh", max_iter=60, random_state=seed)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                clf.fit(X / 16, y)
            nets.append(
                {
                    "W1": clf.coefs_[0].T.astype(np.float32),
                    "b1": clf.intercepts_[0].astype(np.float32),
                    "W2": clf.coefs_[1].T.astype(np.float32),
                    "b2": clf.intercepts_[1].astype(np.float32),
                }
            )
        how = "two MLPClassifier trained from seeds 0 and 1 (60 epochs)"
    xs = [[Fraction(int(v), 16) for v in row] for row in X]
    ys = np.eye(10, dtype=int)[y]
    loss = Loss(mlp, Dataset(xs, ys), "cross_entropy")
    return loss, mlp.point(**nets[0]), mlp.point(**nets[1]), how


def _random_arrays(widths: tuple[int, ...], seed: int) -> dict:
    rng = np.random.default_rng(seed)
    arrays = {}
    for l in range(1, len(widths)):
        arrays[f"W{l}"] = rng.normal(0, 1 / np.sqrt(widths[l - 1]), (widths[l], widths[l - 1])).astype(
            np.float32
        )
        arrays[f"b{l}"] = rng.normal(0, 0.1, widths[l]).astype(np.float32)
    return arrays


def mnist_pair() -> tuple[Loss, object, object, str]:
    widths = (784, 128, 10)
    mlp = MLP(widths, "tanh", output_activation="softmax")
    rng = np.random.default_rng(0)
    xs = [[Fraction(int(v), 255) for v in row] for row in rng.integers(0, 256, (256, 784))]
    ys = np.eye(10, dtype=int)[rng.integers(0, 10, 256)]
    loss = Loss(mlp, Dataset(xs, ys), "cross_entropy")
    A, B = (mlp.point(**_random_arrays(widths, seed)) for seed in (0, 1))
    return loss, A, B, "random float32 weights, seeds 0 and 1"


#: The clock: CPU seconds of this process (the shared machine's load moves wall-clock times by 5x).
clock = time.process_time


def best_of(repeats: int, run):
    """The smallest time of ``repeats`` calls of ``run`` (after one warm-up call) and the last result."""
    out = run()
    times = []
    for _ in range(repeats):
        start = clock()
        out = run()
        times.append(clock() - start)
    return min(times), out


def grid_seconds(loss: Loss, A, B, repeats: int = 5) -> tuple[float, float]:
    """The float64 25-point grid, warm, the smallest of ``repeats`` timings."""
    compiled = FloatLoss(loss)
    a, b = compiled.check(A), compiled.check(B)

    def grid() -> float:
        ends = compiled.value(a), compiled.value(b)
        return max(
            compiled.value((1 - t) * a + t * b) - ((1 - t) * ends[0] + t * ends[1])
            for t in np.linspace(0, 1, 25)
        )

    return best_of(repeats, grid)


def _case(case: str) -> tuple[Loss, object, object]:
    """The problem of a case (``digits-before``, ``digits-after``, ``mnist``), built in this process."""
    if case == "mnist":
        loss, A, B, _ = mnist_pair()
        return loss, A, B
    loss, A, B, _ = digits_pair()
    return loss, A, (align(A, B).aligned if case == "digits-after" else B)


def _memory_child(side: str, case: str, path: str) -> None:
    """In a fresh process: run one side (``prover``, writing the certificate to ``path``; ``checker``,
    reading it; ``grid``) and print the peak resident set size in bytes (:func:`_peak_rss`)."""
    if side == "checker":
        from symcert.checker import check as check_file

        verdict = check_file(path)
        assert verdict.accepted, verdict.reasons
    else:
        loss, A, B = _case(case)
        if side == "prover":
            result = certify_barrier(loss, A, B, tol=Fraction(1, 1000))
            with open(path, "w") as handle:
                handle.write(result.certificate().to_json())
        else:
            grid_seconds(loss, A, B, repeats=1)
    print(_peak_rss())


def _peak_rss() -> int:
    """This process's peak resident set in bytes: ``VmHWM`` of ``/proc/self/status`` (reset by exec, so
    a child's own), else ``ru_maxrss`` (which on Linux keeps the parent's peak across fork and exec)."""
    import resource

    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux


def peak_memory(case: str, checker: bool) -> dict[str, int]:
    """Peak RSS of a fresh process per side (``prover`` builds the problem as well, ``checker`` only
    reads the certificate file the prover wrote, ``grid`` builds the problem and runs the float64 grid)."""
    import subprocess
    import tempfile

    out: dict[str, int] = {}
    here = os.path.dirname(os.path.abspath(__file__))
    with tempfile.TemporaryDirectory(prefix="bench_barrier-", dir=here) as folder:
        path = os.path.join(folder, f"{case}.json")
        for side in ("prover", "checker", "grid") if checker else ("prover", "grid"):
            command = [sys.executable, os.path.abspath(__file__), "--memory-child", side, case, path]
            if os.environ.get("OPENBLAS_NUM_THREADS"):
                command += ["--blas-threads", os.environ["OPENBLAS_NUM_THREADS"]]
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            out[side] = int(done.stdout.split()[-1])
    return out


def bench(
    name: str,
    loss: Loss,
    A,
    B,
    how: str,
    aligned: bool,
    checker: bool = False,
    repeats: int = 1,
    cases: tuple[str, ...] | None = None,
) -> float:
    print(f"\n{name}: {how}")
    tol = Fraction(1, 1000)
    total = 0.0
    pairs = [("before", B)]
    if aligned:
        start = clock()
        alignment = align(A, B)  # the element proved on the network function (structurally)
        spent = clock() - start
        total += spent
        print(
            f"  align (weight matching + proof of g on the network function, {alignment.proof.status}): "
            f"{spent:.2f} s, g = {str(alignment.element)[:60]}..."
        )
        pairs.append(("after", alignment.aligned))
    for (label, other), case in zip(pairs, cases or (None,) * len(pairs)):
        grid, estimate = grid_seconds(loss, A, other)
        certified, result = best_of(repeats, lambda other=other: certify_barrier(loss, A, other, tol=tol))
        total += certified
        print(f"  {label:6}: {result.summary()}")
        print(
            f"          float64 grid of 25: {estimate:.6g} in {grid * 1e3:.1f} ms (warm, min of 5); "
            f"certified {certified:.2f} s (warm, min of {repeats}) = {certified / grid:.0f}x the grid; "
            f"{result.evaluations} engine evaluations"
        )
        if checker:
            document = result.certificate().to_dict()
            spent, verdict = best_of(repeats, lambda document=document: check(document))
            print(
                f"          checker: accepted={verdict.accepted} in {spent:.2f} s (warm, min of {repeats}) = "
                f"{spent / certified:.2f}x the prover (its estimate {verdict.estimate:.0f} s); "
                f"{verdict.reasons[-1][-60:]}"
            )
        if case is not None:
            peaks = peak_memory(case, checker)
            shown = ", ".join(f"{side} {peak / 2**20:.0f} MB" for side, peak in peaks.items())
            print(f"          peak memory (VmHWM, a fresh process per side): {shown}")
    print(f"  total: {total:.1f} s, load average {os.getloadavg()[0]:.2f}")
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the 784-128-10 pair")
    parser.add_argument("--check", action="store_true", help="also time the checker on each certificate")
    parser.add_argument("--repeats", type=int, default=1, help="timed certified runs after a warm-up (1)")
    parser.add_argument(
        "--blas-threads",
        type=int,
        help="BLAS threads on both sides, set before numpy loads (1 on a shared machine)",
    )
    parser.add_argument(
        "--memory",
        action="store_true",
        help="also measure each side's peak memory (VmHWM) in a fresh process",
    )
    parser.add_argument("--memory-child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        _memory_child(*args.memory_child)
        return
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    print(f"BLAS threads {threads}, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    loss, A, B, how = digits_pair()
    total = bench(
        "64-32-10 on the 1,797 digits, tol 1e-3",
        loss,
        A,
        B,
        how,
        aligned=True,
        checker=args.check,
        repeats=args.repeats,
        cases=("digits-before", "digits-after") if args.memory else None,
    )
    print(f"  target < 60 s together: {'met' if total < 60 else 'MISSED'}")
    if not args.quick:
        loss, A, B, how = mnist_pair()
        total = bench(
            "784-128-10 on 256 points, tol 1e-3",
            loss,
            A,
            B,
            how,
            aligned=False,
            checker=args.check,
            repeats=args.repeats,
            cases=("mnist",) if args.memory else None,
        )
        print(f"  target < 300 s: {'met' if total < 300 else 'MISSED'}")


if __name__ == "__main__":
    main()
