"""The checker's sums over data, chunk by chunk: its own code, sharing nothing with the prover's.

A loss is ``scale * (sum over data points) + decay``. With more data points than the chunk size,
:class:`~symcert.checker.arb_engine.Evaluation` asks this module for the data term: the points
are split into consecutive chunks, each chunk's partial sums are enclosed by Arb balls, turned
into exact rational endpoints, and added exactly (``Fraction``; the order does not matter); the
total becomes one ball again (the union of the balls of its two ends), which the evaluation
scales and adds the weight decay to. Each chunk is a task of plain values (exact points, exact
rows, the precision in bits), so an ``executor`` with ``map(fn, shared, items)`` (a Dask cluster,
``symcert check --workers N``) may run them anywhere, with the same result as here.

>>> with streaming(chunk_size=2):
...     settings().chunk_size
2
>>> settings().chunk_size == DATA_CHUNK
True
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from symcert.limits import DATA_CHUNK

__all__ = ["Settings", "streaming", "settings", "chunked", "losses", "jet", "run_chunk"]


@dataclass(frozen=True)
class Settings:
    """``chunk_size`` points per chunk, run by ``executor`` (None: in this process)."""

    chunk_size: int = DATA_CHUNK
    executor: Any = None


_DEFAULT = Settings()
_CURRENT: contextvars.ContextVar[Settings | None] = contextvars.ContextVar("checker_chunks", default=None)


def settings() -> Settings:
    """The settings in force."""
    return _CURRENT.get() or _DEFAULT


@contextlib.contextmanager
def streaming(chunk_size: int | None = None, executor: Any = None) -> Iterator[Settings]:
    """Within the block, data terms are summed over chunks of ``chunk_size`` points by ``executor``."""
    size = DATA_CHUNK if chunk_size is None else chunk_size
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"chunk_size must be a positive number of data points, got {chunk_size!r}")
    token = _CURRENT.set(Settings(size, executor))
    try:
        yield settings()
    finally:
        _CURRENT.reset(token)


def chunked(s: Any) -> bool:
    """Whether the statement's data are summed chunk by chunk (more points than one chunk)."""
    return len(s.xs) > settings().chunk_size


def _items(s: Any) -> list[tuple]:
    size, n = settings().chunk_size, len(s.xs)
    return [(s.xs[i : i + size], None if s.ys is None else s.ys[i : i + size]) for i in range(0, n, size)]


def _run(s: Any, kernel: Callable, what: str, payload: Any) -> list[tuple[Fraction, Fraction]]:
    import flint

    executor = settings().executor
    run: Callable = executor.map if executor is not None else _here
    context = (what, s.net, s.loss_kind, s.teacher_net, s.teacher, payload)
    results = run(run_chunk, (kernel, flint.ctx.prec, context), _items(s))
    for r in results:
        if isinstance(r, str):
            raise ArithmeticError(r)
    return [
        (sum((r[k][0] for r in results), Fraction(0)), sum((r[k][1] for r in results), Fraction(0)))
        for k in range(len(results[0]))
    ]


def _here(fn: Callable, shared: Any, items: Sequence[Any]) -> list:
    return [fn(item, shared=shared) for item in items]


def _ball(lower: Fraction, upper: Fraction) -> Any:
    """A ball (at the current precision) containing ``[lower, upper]``."""
    from flint import arb, fmpq

    return arb(fmpq(lower.numerator, lower.denominator)).union(arb(fmpq(upper.numerator, upper.denominator)))


def losses(s: Any, points: Sequence[list], kernel: Callable) -> list[Any]:
    """The data term at each exact point, as balls (summed chunk by chunk with ``kernel``)."""
    return [_ball(*pair) for pair in _run(s, kernel, "losses", list(points))]


def jet(s: Any, start: list, step: list, kernel: Callable) -> tuple:
    """The data term's jet ``(c0, c1, c2)`` along ``step`` at ``start`` (exact points), as balls."""
    return tuple(_ball(*pair) for pair in _run(s, kernel, "jet", (start, step)))


def run_chunk(item: tuple, shared: tuple) -> list | str:
    """One chunk's partial sums as exact endpoints, by ``kernel(item, context)`` at ``prec`` bits.

    ``shared = (kernel, prec, context)``; the kernel is
    :func:`symcert.checker.arb_engine.chunk_kernel` (passed in, so this module imports none of the
    arithmetic). Returns a message string when a ball is unbounded.
    """
    import flint

    kernel, prec, context = shared
    saved = flint.ctx.prec
    flint.ctx.prec = prec
    try:
        return kernel(item, context)
    except ArithmeticError as error:
        return str(error)
    finally:
        flint.ctx.prec = saved
