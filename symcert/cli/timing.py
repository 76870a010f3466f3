"""A time limit on a step that has no cap of its own (alignment under ``barrier --max-seconds``).

:func:`time_limit` runs a function and stops it with :class:`TimeUp` when ``seconds``
pass, using the interval timer of the main thread (``SIGALRM``); an outer timer, such
as a test's, is restored with the time it has left. Outside the main thread (Dask
workers, notebooks' threads) it cannot interrupt, and the step runs to its end.

>>> time_limit(5.0, lambda: 1 + 1)
2
>>> import time
>>> try:
...     time_limit(0.05, lambda: time.sleep(1))
... except TimeUp:
...     print("stopped")
stopped
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from typing import TypeVar

__all__ = ["TimeUp", "time_limit"]

T = TypeVar("T")


class TimeUp(BaseException):
    """The time limit passed before the step finished."""


def _stop(signum, frame) -> None:
    raise TimeUp


def time_limit(seconds: float, step: Callable[[], T]) -> T:
    """``step()``, stopped with :class:`TimeUp` after ``seconds`` (in the main thread)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        return step()
    start = time.monotonic()
    previous = signal.signal(signal.SIGALRM, _stop)
    outer, _ = signal.setitimer(signal.ITIMER_REAL, 0)
    if outer and outer < seconds:  # an outer limit that ends first keeps its own handler
        signal.signal(signal.SIGALRM, previous)
        signal.setitimer(signal.ITIMER_REAL, outer)
        return step()
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 1e-3))
    try:
        return step()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer:
            signal.setitimer(signal.ITIMER_REAL, max(outer - (time.monotonic() - start), 1e-3))
