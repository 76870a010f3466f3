"""The checker's progress reports: a callback set for one ``check`` call, called from its long loops.

:func:`symcert.checker.check` takes ``progress(done, total, note)``; while it runs, the loops over
pieces (barriers, paths) and over precisions call :func:`report`, which does nothing when no callback
was given. Reports never change a verdict: the callback's return value is ignored.

>>> seen = []
>>> with reporting(lambda done, total, note: seen.append((done, total, note))):
...     report(1, 4, "piece 1")
>>> report(2, 4, "outside: ignored")
>>> seen
[(1, 4, 'piece 1')]
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar

__all__ = ["reporting", "report"]

Callback = Callable[[int, "int | None", str], None]

_CURRENT: ContextVar[Callback | None] = ContextVar("symcert_checker_progress", default=None)


@contextlib.contextmanager
def reporting(callback: Callback | None) -> Iterator[None]:
    """Send the reports made inside the block to ``callback`` (None: to nobody)."""
    token = _CURRENT.set(callback)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def report(done: int, total: int | None = None, note: str = "") -> None:
    """Tell the current callback, if any, that ``done`` of ``total`` steps are finished."""
    callback = _CURRENT.get()
    if callback is not None:
        callback(done, total, note)
