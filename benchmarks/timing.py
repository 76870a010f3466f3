"""One way to time both sides of a comparison: warm, then the minimum of repeats.

A benchmark's ratio compares the rigorous engine with numpy float64 measured in the same
run. Both sides are timed the same way: one untimed warm-up call (caches, layouts, page
faults, BLAS thread start-up), then at least ``repeats`` timed calls (more while the budget
lasts), and the *minimum* is reported. On a shared, loaded machine the minimum is the best
estimate of a call's own cost; a median or a single cold call mixes in other jobs' load and
one-time costs, and did so unevenly between a 40 ms float64 call and a 4 s certificate.

>>> from timing import best_of
>>> best_of(lambda: sum(range(100)), repeats=3) < 1.0
True
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["best_of", "fmt"]


def best_of(run: Callable[[], object], repeats: int = 5, budget: float = 0.5, warm: bool = True) -> float:
    """Minimum seconds of one call of ``run`` over at least ``repeats`` warm calls.

    Keeps repeating (up to 1,000 calls) while the timed calls have taken less than ``budget``
    seconds; ``warm=False`` skips the untimed first call (when it has just been made).
    """
    if warm:
        run()
    times: list[float] = []
    while len(times) < repeats or (sum(times) < budget and len(times) < 1000):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def fmt(seconds: float) -> str:
    """A time with a unit, right-aligned in 10 characters."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:7.1f} us"
    if seconds < 1:
        return f"{seconds * 1e3:7.2f} ms"
    return f"{seconds:7.2f} s "
