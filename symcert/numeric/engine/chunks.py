r"""The sum over data points, chunk by chunk: memory bounded by a chunk, and one certificate on many machines.

A loss is ``scale * sum_i loss_i + decay``: its data term is a sum over the data points, and a
sum of rigorous enclosures encloses the sum. With more points than ``chunk_size``, the engine
splits the data into consecutive chunks of ``chunk_size`` rows and, for each chunk, encloses its
partial sums (the value, and the derivatives along the path when asked) in the backend; it takes
their exact rational endpoints, adds those exactly (``Fraction``: no rounding, and the order of
addition does not matter), and rounds the total outward once into the backend. Memory is then
bounded by a chunk's activations, not by the number of points.

Each chunk is a pure task: its inputs are the chunk's exact rows and one :class:`Job` shared by
all chunks (the backend's name and precision, the network's specification, the loss's name, the
parameters and the direction), and its output is exact endpoints. So the chunks may run anywhere:
:func:`streaming` takes an ``executor`` with ``map(fn, shared, items) -> list`` (``fn(item,
shared=shared)`` for each item, in order; ``items`` may be an iterator), such as
:class:`symcert.batch.cluster.DaskExecutor`, and the result does not depend on where they ran.
Arb balls travel as their exact midpoint and radius (``copyreg``; a radius is rounded up once on
the way), and this process's own tasks take the same journey, so a local run and a distributed
one compute with identical balls and return identical enclosures. With one chunk (at most
``chunk_size`` points) nothing changes: the whole data set is one pass in this process, as before.

>>> from fractions import Fraction
>>> from symcert import MLP, Dataset, Loss
>>> from symcert.numeric.engine.api import loss_bounds, point_layout
>>> from symcert.numeric.engine.backends import F64Backend
>>> net = MLP((1, 2, 1), "tanh")
>>> loss = Loss(net, Dataset([[k] for k in range(-3, 4)], [[k % 2] for k in range(7)]), "mse")
>>> A = point_layout(net.point(W1=[[1], [2]], b1=[0, 1], W2=[[1, -1]], b2=[0]))
>>> whole = loss_bounds(F64Backend(), loss, A)
>>> with streaming(chunk_size=2):  # four chunks: 2 + 2 + 2 + 1 points
...     chunked = loss_bounds(F64Backend(), loss, A)
>>> chunked[0] <= whole[1] and whole[0] <= chunked[1] and chunked[1] - chunked[0] < Fraction(1, 10**12)
True
"""

from __future__ import annotations

import contextlib
import contextvars
import copyreg
import pickle
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from symcert.errors import SpecificationError
from symcert.limits import DATA_CHUNK
from symcert.numeric.engine.layout import Exact, data_layout, integer_exact

__all__ = ["Streaming", "streaming", "current", "chunk_bounds", "Job", "run_chunk", "summed", "LocalExecutor"]


class LocalExecutor:
    """Run the chunks here, one after the other (what :func:`summed` does without an executor)."""

    def map(self, fn: Callable[..., Any], shared: Any, items: Iterable[Any]) -> list:
        return [fn(item, shared=shared) for item in items]


@dataclass(frozen=True)
class Streaming:
    """How the engine sums over data: ``chunk_size`` points per chunk, run by ``executor`` (None: here)."""

    chunk_size: int = DATA_CHUNK
    executor: Any = None


_DEFAULT = Streaming()
_CURRENT: contextvars.ContextVar[Streaming | None] = contextvars.ContextVar("symcert_streaming", default=None)


def current() -> Streaming:
    """The streaming settings in force (the default: :data:`~symcert.limits.DATA_CHUNK` points, here)."""
    return _CURRENT.get() or _DEFAULT


@contextlib.contextmanager
def streaming(chunk_size: int | None = None, executor: Any = None) -> Iterator[Streaming]:
    """Within the block, the engine sums over chunks of ``chunk_size`` points, run by ``executor``.

    ``executor`` needs ``map(fn, shared, items)``; None runs the chunks in this process.
    """
    size = DATA_CHUNK if chunk_size is None else chunk_size
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise SpecificationError(f"chunk_size must be a positive number of data points, got {chunk_size!r}")
    if executor is not None and not callable(getattr(executor, "map", None)):
        raise SpecificationError(
            f"executor must have a map(fn, shared, items) method, got {type(executor).__name__}"
        )
    token = _CURRENT.set(Streaming(size, executor))
    try:
        yield current()
    finally:
        _CURRENT.reset(token)


def chunk_bounds(n: int, size: int) -> list[tuple[int, int]]:
    """Consecutive ``[start, stop)`` row ranges of at most ``size`` rows covering ``range(n)``.

    >>> chunk_bounds(7, 3)
    [(0, 3), (3, 6), (6, 7)]
    """
    return [(start, min(start + size, n)) for start in range(0, n, size)]


@dataclass(frozen=True)
class Job:
    """What every chunk of one evaluation shares (plain, picklable values)."""

    backend: tuple[str, int]  # ("float64", dps) or ("arb", dps)
    network: tuple  # (widths, activation label, bias, output activation name)
    loss: str  # the loss's name
    params: Any  # per-layer Weights in the backend
    steps: Any  # per-layer Weights of the direction, or None
    order: int
    teacher: tuple | None  # (network spec, PointLayout) when the targets come from a teacher
    term: Callable  # network.chunk_term (passed in: this module does not import network)


def _backend(name: str, dps: int) -> Any:
    from symcert.numeric.engine.backends import ArbBackend, F64Backend

    return F64Backend() if name == "float64" else ArbBackend(dps)


def _network_spec(mlp: Any) -> tuple:
    return (tuple(mlp.widths), mlp.activation.label, mlp.bias, mlp.output_activation.name)


def _mlp(spec: tuple) -> Any:
    from symcert.symbolic.network import MLP

    widths, act, bias, output = spec
    return MLP(widths, act, bias=bias, output_activation=output)


def run_chunk(chunk: tuple, shared: Job) -> list | str:
    """One chunk's partial sums as exact endpoints ``[(shape, lows, highs) or None] * 3``.

    ``chunk = (X, Y)``: the chunk's exact inputs and targets (``Y`` None for a teacher). Returns
    ``"unbounded"`` when an enclosure is not finite (the ladder then tries its next rung).
    """
    from symcert.symbolic.losses import loss_function

    job = shared
    bk = _backend(*job.backend)
    X, Y = chunk
    teacher = None if job.teacher is None else (_mlp(job.teacher[0]), job.teacher[1])
    with bk.active():
        sums = job.term(
            bk, _mlp(job.network), loss_function(job.loss), X, Y, teacher, job.params, job.steps, job.order
        )
        try:
            return [None if s is None else _exact(bk, s) for s in sums]
        except ArithmeticError:
            return "unbounded"


def _exact(bk: Any, x: Any) -> tuple:
    """``(shape, lows, highs)``: the exact endpoints of every entry of an enclosure."""
    if bk.name == "float64":
        lo, hi = np.asarray(x.lo, dtype=np.float64), np.asarray(x.hi, dtype=np.float64)
        if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
            raise ArithmeticError("the float64 enclosure is unbounded or NaN")
        lows, highs = lo.ravel().tolist(), hi.ravel().tolist()
        return lo.shape, [Fraction(v) for v in lows], [Fraction(v) for v in highs]
    entries = np.asarray(x, dtype=object)
    pairs = [bk.endpoints(v) for v in entries.ravel()]
    return entries.shape, [p[0] for p in pairs], [p[1] for p in pairs]


def _chunks(loss: Any, size: int, floats: bool = False) -> Iterator[tuple[Exact, Exact | None]]:
    """The data's rows, ``size`` at a time, as exact ``(X, Y)``, one chunk after the other.

    Integer matrices (:meth:`Dataset.from_integers`) are converted a chunk at a time, so in this
    process only the chunk being summed exists as exact arrays; other data are views of the
    data's layout. With ``floats`` (chunks summed here), inputs read as floats keep them too.
    """
    rows = getattr(loss.data, "integer_rows", None)
    n = loss.data.n_points
    if rows is not None:
        for start, stop in chunk_bounds(n, size):
            xn, x_den, yn, y_den = rows(start, stop)
            kept = loss.data.float_rows(start, stop) if floats else None
            yield integer_exact(xn, x_den, yn, y_den, floats=kept)
        return
    lay = data_layout(loss.data)
    for start, stop in chunk_bounds(n, size):
        Y = None if lay.Y is None else Exact(lay.Y.num[start:stop], lay.Y.den)
        yield Exact(lay.X.num[start:stop], lay.X.den), Y


def summed(
    bk: Any, loss: Any, params: Any, steps: Any, order: int, term: Callable, whole: Callable[[], tuple]
) -> tuple:
    """The data term ``(sum, sum', sum'')`` (unscaled) as backend enclosures, chunk by chunk.

    ``whole()`` computes it in one pass (used when the data fit in one chunk); ``term`` is the
    per-chunk computation (:func:`symcert.numeric.engine.network.chunk_term`).
    """
    settings = current()
    if loss.data.n_points <= settings.chunk_size:
        return whole()
    teacher = loss.data.teacher_of
    from symcert.numeric.engine.layout import point_layout

    job = Job(
        (bk.name, bk.dps),
        _network_spec(loss.mlp),
        loss.kind,
        params,
        steps,
        order,
        None if teacher is None else (_network_spec(teacher.mlp), point_layout(teacher.point)),
        term,
    )
    executor = settings.executor
    if bk.name != "float64" and executor is None:  # a remote task's journey: identical balls and result
        job = pickle.loads(pickle.dumps(job))
    chunks = _chunks(loss, settings.chunk_size, floats=executor is None)  # remote: the integers only
    results = (executor or LocalExecutor()).map(run_chunk, job, chunks)
    if any(r == "unbounded" for r in results):
        raise ArithmeticError("a chunk's enclosure is unbounded or NaN")
    return tuple(_total(bk, [r[k] for r in results]) for k in range(3))


def _total(bk: Any, parts: list) -> Any:
    """The exact sum of the chunks' endpoints, rounded outward once into the backend."""
    if parts[0] is None:
        return None
    shape = parts[0][0]
    lows = [sum(column, Fraction(0)) for column in zip(*(p[1] for p in parts))]
    highs = [sum(column, Fraction(0)) for column in zip(*(p[2] for p in parts))]
    lo, hi = bk.array(Exact.of(lows, shape)), bk.array(Exact.of(highs, shape))
    if bk.name == "float64":
        from symcert.numeric.engine.f64 import F64

        return F64(lo.lo, hi.hi)
    from flint import arb

    hull = np.frompyfunc(lambda a, b: arb.union(a, b), 2, 1)(lo, hi)
    if shape == ():
        return hull.item() if isinstance(hull, np.ndarray) else hull
    return np.asarray(hull, dtype=object)


# -- Arb balls across processes -------------------------------------------------------------------


def _reduce_arb(ball: Any) -> tuple:
    m, e = ball.mid().man_exp()
    r, f = ball.rad().man_exp()
    return _rebuild_arb, (int(m), int(e), int(r), int(f))


def _rebuild_arb(m: int, e: int, r: int, f: int) -> Any:
    """The ball ``m 2^e +- r 2^f``: the midpoint exactly, the radius rounded up (Arb's radii are short)."""
    import flint

    saved = flint.ctx.prec
    flint.ctx.prec = max(saved, m.bit_length() + 16, r.bit_length() + 16)
    try:
        mid = flint.arb(m) * flint.arb(2) ** e  # exact at this precision
        rad = flint.arb(r) * flint.arb(2) ** f
        return flint.arb(mid, rad)
    finally:
        flint.ctx.prec = saved


def _register_arb_pickling() -> None:
    import flint

    copyreg.pickle(flint.arb, _reduce_arb)


_register_arb_pickling()  # here, on import: a worker that unpickles a ball may pickle it again
