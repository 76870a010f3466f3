"""``--workers``, ``--scheduler``, ``--chunk-size`` and ``--retries`` on ``prove`` and ``check``.

The loss is a sum over data points: with more points than ``--chunk-size``, the prover and the
checker enclose the sum chunk by chunk and add the chunks' exact endpoints exactly. With
``--workers N`` the chunks run on a new local Dask cluster of N processes, with ``--scheduler
tcp://host:8786`` on a running cluster (``dask scheduler`` on one machine, ``dask worker
tcp://host:8786`` on each, symcert installed on all); the result is the same as in one process
with the same ``--chunk-size``. Dask is imported only when one of the two is given.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from typing import Any

from symcert.cli.options import count_type
from symcert.errors import SpecificationError
from symcert.limits import DATA_CHUNK, MAX_POINTS

__all__ = ["add_cluster_options", "executor_of"]


def add_cluster_options(parser: argparse.ArgumentParser) -> None:
    """Register the four options on a command."""
    group = parser.add_argument_group(
        "many machines",
        "the sum over data points, chunk by chunk (needs the dask extra for --workers and --scheduler)",
    )
    group.add_argument(
        "--workers",
        type=count_type("--workers", 1, 512),
        default=None,
        metavar="N",
        help="run the chunks of data on a local Dask cluster of N processes",
    )
    group.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="run the chunks on the Dask cluster at ADDRESS, e.g. tcp://host:8786 (start it with "
        "'dask scheduler' and 'dask worker ADDRESS' on each machine; symcert must be installed there)",
    )
    group.add_argument(
        "--chunk-size",
        type=count_type("--chunk-size", 1, MAX_POINTS),
        default=DATA_CHUNK,
        metavar="POINTS",
        help=f"data points per chunk (default: {DATA_CHUNK}); data with at most this many points are "
        "one pass in this process. Memory grows with it; the same value gives the same enclosures "
        "anywhere",
    )
    group.add_argument(
        "--retries",
        type=count_type("--retries", 0, 100),
        default=2,
        help="with --workers or --scheduler: rerun a chunk that failed up to this many times (default: 2; "
        "a lost worker's chunks are recomputed by the scheduler in any case)",
    )


@contextlib.contextmanager
def executor_of(args: argparse.Namespace) -> Iterator[Any]:
    """The executor the options ask for (a :class:`~symcert.batch.cluster.DaskExecutor`), or None."""
    workers, scheduler = getattr(args, "workers", None), getattr(args, "scheduler", None)
    if workers is not None and scheduler is not None:
        raise SpecificationError("give --workers N (a local cluster) or --scheduler ADDRESS, not both")
    if workers is None and scheduler is None:
        yield None
        return
    from symcert.batch.cluster import DaskExecutor, dask_client

    with dask_client(workers, scheduler) as client:
        yield DaskExecutor(client, retries=args.retries)
