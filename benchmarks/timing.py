"""One way to time both sides of a comparison: warm, then the minimum of repeats.

A benchmark's ratio compares the rigorous engine with numpy float64 measured in the same
run. Both sides are timed the same way: one untimed warm-up call (caches, layouts, page
faults, BLAS thread start-up), then at least ``repeats`` timed calls (more while the budget
lasts), and the *minimum* is reported. On a shared, loaded machine the minimum is the best
estimate of a call's own cost; a median or a single cold call mixes in other jobs' load and
one-time costs, and did so unevenly between a 40 ms float64 call and a 4 s certificate.

On a machine shared with other jobs the process's CPU time (``clock=time.process_time``) is
the fairer measure: other jobs' load inflates wall-clock times by up to 5x, unevenly between
the two sides (with one BLAS thread, CPU time is the work done).

BLAS threads must be limited *before* numpy loads OpenBLAS: limited afterwards (threadpoolctl),
OpenBLAS keeps its idle threads spinning, and on a loaded 2-core machine every small matrix
product then cost up to 0.1 s of CPU instead of 1 ms, which a benchmark counts on the side
with many small products (the engine) and hardly on the side with a few large ones (numpy).
A benchmark therefore calls :func:`blas_threads` on ``sys.argv`` before its first
``import numpy``.

>>> from timing import best_of
>>> best_of(lambda: sum(range(100)), repeats=3) < 1.0
True
>>> blas_threads(["bench.py", "--quick"]) is None
True
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Callable, Sequence

__all__ = ["best_of", "best_of_both", "blas_threads", "fmt", "peak_mb", "threads_flag"]

#: The variables OpenBLAS, OpenMP and MKL read once, when numpy loads them.
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def blas_threads(argv: Sequence[str]) -> str | None:
    """Apply ``--blas-threads N`` (or ``--blas-threads=N``) from ``argv`` to the environment.

    Call it before numpy is imported: it sets :data:`THREAD_VARIABLES`, which BLAS reads when
    it loads (and which child processes inherit). Returns ``N``, or None without the flag.
    """
    for i, arg in enumerate(argv):
        value = arg.split("=", 1)[1] if arg.startswith("--blas-threads=") else None
        if arg == "--blas-threads" and i + 1 < len(argv):
            value = argv[i + 1]
        if value is not None:
            if not value.isdigit() or int(value) < 1:
                raise SystemExit(f"--blas-threads must be a positive integer, got {value!r}")
            for name in THREAD_VARIABLES:
                os.environ[name] = value
            return value
    return None


def threads_flag() -> list[str]:
    """``["--blas-threads", N]`` as this process was started with (for its child processes), or []."""
    value = os.environ.get("OPENBLAS_NUM_THREADS")
    return ["--blas-threads", value] if value else []


def best_of(
    run: Callable[[], object],
    repeats: int = 5,
    budget: float = 0.5,
    warm: bool = True,
    clock: Callable[[], float] = time.perf_counter,
) -> float:
    """Minimum seconds of one call of ``run`` over at least ``repeats`` warm calls.

    Keeps repeating (up to 1,000 calls) while the timed calls have taken less than ``budget``
    seconds; ``warm=False`` skips the untimed first call (when it has just been made).
    ``clock=time.process_time`` times CPU seconds of this process instead of wall time.
    """
    if warm:
        run()
    times: list[float] = []
    while len(times) < repeats or (sum(times) < budget and len(times) < 1000):
        start = clock()
        run()
        times.append(clock() - start)
    return min(times)


def best_of_both(run: Callable[[], object], repeats: int = 2) -> tuple[float, float]:
    """The minimum wall and the minimum CPU seconds of ``repeats`` calls after one untimed call.

    For calls too long to time twice over (minutes each): both clocks read around the same calls.

    >>> wall, cpu = best_of_both(lambda: sum(range(100)))
    >>> wall >= 0 and cpu >= 0
    True
    """
    run()
    walls, cpus = [], []
    for _ in range(repeats):
        start, cpu = time.perf_counter(), time.process_time()
        run()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


def peak_mb() -> float:
    """This process's peak resident memory in MB (``ru_maxrss``, kB on Linux).

    Honest per case only in a fresh process started by a small parent: the figure never goes
    down, and Linux carries it across ``fork`` and ``exec`` (a child starts from its parent's).
    """
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fmt(seconds: float) -> str:
    """A time with a unit, right-aligned in 10 characters."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:7.1f} us"
    if seconds < 1:
        return f"{seconds * 1e3:7.2f} ms"
    return f"{seconds:7.2f} s "
