"""A Dask cluster to run on: a local one of processes, or a running one by address; and chunks on it.

:func:`dask_client` opens a client, either on a new local cluster of ``workers`` single-threaded
workers or on the scheduler at ``scheduler`` (``tcp://host:8786``, started with ``dask scheduler``
and joined by ``dask worker tcp://host:8786`` on each machine, where symcert must be installed),
and closes what it opened. :class:`DaskExecutor` runs the engine's and the checker's chunks of data
on it (``map(fn, shared, items)``): the shared part is scattered once to every worker, each chunk
is a task of its own (retried ``retries`` times if it fails, and recomputed by the scheduler
elsewhere if its worker is lost), and the results come back in order.

Dask is optional (``pip install 'symcert[dask]'``) and imported only when a client opens.

>>> from symcert.batch.cluster import DaskExecutor, dask_client
>>> callable(dask_client) and hasattr(DaskExecutor, "map")
True
"""

from __future__ import annotations

import contextlib
import uuid
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from symcert.errors import SpecificationError

__all__ = ["distributed_module", "dask_client", "DaskExecutor", "MAX_LOCAL_WORKERS"]

#: The largest local cluster ``--workers`` starts.
MAX_LOCAL_WORKERS = 512


def distributed_module() -> Any:
    """``distributed``, or a one-line error saying how to install it."""
    try:
        import distributed
    except ImportError:
        raise SpecificationError(
            "running on a Dask cluster needs Dask's distributed scheduler, which is not installed; "
            "install it with: pip install 'symcert[dask]'"
        ) from None
    return distributed


@contextlib.contextmanager
def dask_client(
    workers: int | None = None, scheduler: str | None = None, processes: bool = True
) -> Iterator[Any]:
    """A ``distributed.Client``: on the scheduler at ``scheduler``, else on a new local cluster.

    The local cluster has ``workers`` single-threaded workers (processes, or threads of this
    process with ``processes=False``); both are closed when the block ends.
    """
    if scheduler is None and (workers is None or not 1 <= workers <= MAX_LOCAL_WORKERS):
        raise SpecificationError(f"workers must be from 1 to {MAX_LOCAL_WORKERS}, got {workers}")
    distributed = distributed_module()
    cluster = None
    if scheduler is not None:
        try:
            client = distributed.Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as error:
            raise SpecificationError(
                f"cannot reach the Dask scheduler at {scheduler} ({error}); start one with "
                "'dask scheduler' and give its address, e.g. --scheduler tcp://host:8786"
            ) from None
    else:
        cluster = distributed.LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=processes,
            dashboard_address=":0",  # any free port: never a warning about 8787
            silence_logs=40,
        )
        client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


class DaskExecutor:
    """Chunks as Dask tasks: ``map(fn, shared, items)`` is ``[fn(item, shared=shared) for item in items]``.

    ``shared`` is scattered once to every worker (so a lost worker's copy is not the only one); the
    items travel inside their tasks, so the scheduler can rerun a lost worker's chunk on another
    worker. ``retries`` reruns a task that raised.
    """

    def __init__(self, client: Any, retries: int = 2) -> None:
        self.client = client
        self.retries = retries

    def map(self, fn: Callable[[Any, Any], Any], shared: Any, items: Sequence[Any]) -> list:
        items = list(items)  # an iterator of chunks: every task is submitted at once
        run = uuid.uuid4().hex[:12]  # keys unique per call: a long-lived scheduler never reuses a result
        with warnings.catch_warnings():
            # a chunk of data is a large argument by design (it travels with its task)
            warnings.filterwarnings("ignore", message=".*[Ll]arge object.*", category=UserWarning)
            handle = self.client.scatter(shared, broadcast=True, hash=False)
            futures = self.client.map(
                fn,
                items,
                shared=handle,
                retries=self.retries,
                pure=False,
                key=[f"symcert-chunk-{run}-{i}" for i in range(len(items))],
            )
            try:
                return self.client.gather(futures)
            finally:
                self.client.cancel([*futures, handle])

    def __repr__(self) -> str:
        return f"DaskExecutor({self.client.scheduler.address!r}, retries={self.retries})"
