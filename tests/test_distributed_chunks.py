"""One certificate from chunks of data: the exact sum of chunk enclosures, here and on 2 Dask processes.

The prover (``symcert.numeric.engine.chunks``) and the checker (``symcert.checker.chunks``) each sum
the data term chunk by chunk when the data have more points than a chunk; the result must enclose
the one-pass value, decide the same way, and be identical wherever the chunks ran.
"""

from __future__ import annotations

import json
import os
import pickle
import random
from fractions import Fraction
from pathlib import Path

import flint
import pytest

from symcert import MLP, Dataset, Loss, certify_nonconvexity, swap
from symcert.checker import CertificateFormatError, check
from symcert.cli import main
from symcert.errors import SpecificationError
from symcert.numeric.engine.api import combine, jet_bounds, loss_bounds, point_layout
from symcert.numeric.engine.backends import ArbBackend, F64Backend
from symcert.numeric.engine.chunks import _rebuild_arb, _reduce_arb, streaming

POINTS, CHUNK = 37, 10  # four chunks, the last one of 7 points


def _rows(rng: random.Random, n: int, d: int) -> list[list[str]]:
    return [[f"{rng.randint(-8, 8)}/4" for _ in range(d)] for _ in range(n)]


@pytest.fixture(scope="module")
def problem():
    """A 3-4-3 tanh network, mse with weight decay on 37 exact points, and a point A (seed 0)."""
    rng = random.Random(0)
    xs, ys = _rows(rng, POINTS, 3), _rows(rng, POINTS, 3)
    net = MLP((3, 4, 3), "tanh")
    loss = Loss(net, Dataset(xs, ys), "mse", weight_decay="1/1000")
    return loss, net.random_point(0), xs, ys


def _enclosures(certificate) -> dict:
    return {name: tuple(map(Fraction, map(str, pair))) for name, pair in certificate.enclosures.items()}


# -- in one process ---------------------------------------------------------------------------------


@pytest.mark.parametrize("bk", [F64Backend(), ArbBackend(30)], ids=["float64", "arb"])
def test_chunked_jets_enclose_the_one_pass_values_and_repeat_exactly(problem, bk):
    loss, A, _, _ = problem
    la, lb = point_layout(A), point_layout(swap(1, 0, 1)(A))
    direction = combine(la, lb, Fraction(1), Fraction(-1))
    whole = jet_bounds(bk, loss, la, direction)
    with streaming(chunk_size=CHUNK):
        chunked = jet_bounds(bk, loss, la, direction)
        again = jet_bounds(bk, loss, la, direction)
    assert chunked == again  # deterministic: the same chunks give the same endpoints
    for (a, b), (c, d) in zip(whole, chunked):
        assert c <= b and a <= d  # both enclose the exact value, so they overlap
        assert d - c <= 2 * (b - a) + Fraction(1, 10**20)  # and chunking costs no width
    with streaming(chunk_size=POINTS):  # one chunk: the one-pass computation itself
        assert jet_bounds(bk, loss, la, direction) == whole


def test_chunks_of_teacher_data_recompute_the_targets_per_chunk():
    net = MLP((2, 3, 1), "tanh")
    teacher = net.random_point(1)
    data = Dataset.teacher(net, teacher, _rows(random.Random(1), 11, 2))
    loss = Loss(net, data, "mse")
    with streaming(chunk_size=3):
        lo, hi = loss_bounds(F64Backend(), loss, point_layout(teacher))
        certificate = certify_nonconvexity(loss, teacher, element=swap(1, 0, 1))
    assert lo <= 0 <= hi and hi < Fraction(1, 10**20)  # the teacher's loss is exactly 0
    assert certificate.status == certify_nonconvexity(loss, teacher, element=swap(1, 0, 1)).status


def test_an_arb_ball_travels_with_its_exact_midpoint_and_a_radius_not_smaller():
    ball = (flint.arb(1) / 3) * flint.arb(10) ** -5 + flint.arb(0, 1e-30)
    rebuilt = _rebuild_arb(*_reduce_arb(ball)[1])
    assert rebuilt.mid() == ball.mid() and rebuilt.rad() >= ball.rad()
    assert rebuilt.contains(ball)
    assert pickle.loads(pickle.dumps([ball]))[0].mid() == ball.mid()


@pytest.mark.parametrize("kind", ["chord", "curvature", "orbit"])
def test_the_checker_sums_chunks_of_its_own_and_accepts_the_same(problem, kind):
    loss, A, _, _ = problem
    seeds = {"chord": 2, "curvature": 0, "orbit": 0}
    A = loss.mlp.random_point(seeds[kind])
    with streaming(chunk_size=CHUNK):
        certificate = certify_nonconvexity(loss, A, element=swap(1, 0, 1), kind=kind)
    assert certificate.status == certify_nonconvexity(loss, A, element=swap(1, 0, 1), kind=kind).status
    assert certificate.status == "proved"
    record = json.loads(certificate.to_json())
    whole, chunked = check(record), check(record, chunk_size=CHUNK)
    assert whole.accepted and chunked.accepted
    for name, (a, b) in whole.enclosures.items():
        c, d = chunked.enclosures[name]
        assert c <= b and a <= d


def test_bad_chunk_sizes_and_two_clusters_are_refused_in_one_line(capsys):
    with pytest.raises(SpecificationError, match="chunk_size must be a positive number"):
        with streaming(chunk_size=0):
            pass
    with pytest.raises(CertificateFormatError, match="chunk_size must be a positive number"):
        check({}, chunk_size=-1)
    code = main(["prove", "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"])
    _, err = capsys.readouterr()
    assert code == 2 and "not both" in err and "Traceback" not in err
    code = main(["check", "x.json", "--chunk-size", "0"])
    _, err = capsys.readouterr()
    assert code == 2 and "--chunk-size must be an integer from 1" in err


# -- on a local Dask cluster of 2 processes ---------------------------------------------------------

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    """2 single-threaded worker processes, shared by the tests (the CLI reaches it as --scheduler)."""
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=40
        ) as running,
        distributed.Client(running) as client,
    ):
        yield running.scheduler_address, client


def test_prove_and_check_on_two_processes_give_the_single_process_result(problem, cluster):
    from symcert.batch.cluster import DaskExecutor

    loss, _, _, _ = problem
    executor = DaskExecutor(cluster[1])
    for kind, seed in (("chord", 2),):  # curvature: the command line's test below
        A = loss.mlp.random_point(seed)
        with streaming(chunk_size=CHUNK):
            here = certify_nonconvexity(loss, A, element=swap(1, 0, 1), kind=kind)
        with streaming(chunk_size=CHUNK, executor=executor):
            there = certify_nonconvexity(loss, A, element=swap(1, 0, 1), kind=kind)
        assert there.status == here.status == "proved"
        assert _enclosures(there) == _enclosures(here)  # identical, not merely overlapping
        record = json.loads(there.to_json())
        local, remote = check(record, chunk_size=CHUNK), check(record, chunk_size=CHUNK, executor=executor)
        assert local.accepted and remote.accepted
        assert remote.enclosures == local.enclosures and remote.dps == local.dps


def test_the_arb_rung_on_two_processes_gives_identical_balls(problem, cluster):
    from symcert.batch.cluster import DaskExecutor

    loss, A, _, _ = problem
    la, lb = point_layout(A), point_layout(swap(1, 0, 1)(A))
    direction = combine(la, lb, Fraction(1), Fraction(-1))
    with streaming(chunk_size=CHUNK):
        here = jet_bounds(ArbBackend(40), loss, la, direction)
    with streaming(chunk_size=CHUNK, executor=DaskExecutor(cluster[1])):
        there = jet_bounds(ArbBackend(40), loss, la, direction)
    assert there == here


def test_the_command_line_on_a_running_scheduler(problem, cluster, tmp_path: Path, capsys):
    loss, _, xs, ys = problem
    A = loss.mlp.random_point(0)
    data = tmp_path / "data.csv"
    header = "x1,x2,x3,y1,y2,y3"
    data.write_text(header + "\n" + "\n".join(",".join(x + y) for x, y in zip(xs, ys)) + "\n")
    point = tmp_path / "A.json"
    point.write_text(json.dumps(A.arrays()))
    common = ["prove", "--widths", "3,4,3", "--activation", "tanh", "--data", str(data)]
    common += ["--point", str(point), "--weight-decay", "1/1000", "--kind", "curvature"]
    common += ["--chunk-size", str(CHUNK)]
    assert main([*common, "--json", str(tmp_path / "here.json")]) == 0
    assert main([*common, "--json", str(tmp_path / "there.json"), "--scheduler", cluster[0]]) == 0
    here, there = (json.loads((tmp_path / f"{n}.json").read_text()) for n in ("here", "there"))
    assert there["enclosures"] == here["enclosures"] and there["status"] == "proved"
    capsys.readouterr()
    code = main(
        ["check", str(tmp_path / "there.json"), "--chunk-size", str(CHUNK), "--scheduler", cluster[0]]
    )
    out, _ = capsys.readouterr()
    assert code == 0 and "ACCEPTED" in out


def _once(fn, marker: str, action: str):
    """``fn``, except that the first call anywhere (the one that creates ``marker``) first kills its
    own worker process (``action="kill"``: SIGKILL, mid-task) or raises (``"raise"``). A function made
    here is pickled by value, so the workers need not import this module."""
    import os
    import signal

    def run(item, shared):
        try:
            handle = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)  # atomic: one caller wins
        except FileExistsError:
            return fn(item, shared=shared)
        os.write(handle, str(os.getpid()).encode())
        os.close(handle)
        if action == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        raise RuntimeError("a transient failure of one chunk")

    return run


class _Faulty:
    """A :class:`~symcert.batch.cluster.DaskExecutor` whose first chunk fails once (see :func:`_once`)."""

    def __init__(self, client, marker: Path, action: str, retries: int = 2) -> None:
        from symcert.batch.cluster import DaskExecutor

        self.inner, self.marker, self.action = DaskExecutor(client, retries=retries), str(marker), action

    def map(self, fn, shared, items):
        return self.inner.map(_once(fn, self.marker, self.action), shared, items)


def _direction(loss, A):
    la, lb = point_layout(A), point_layout(swap(1, 0, 1)(A))
    return la, combine(la, lb, Fraction(1), Fraction(-1))


def test_a_lost_workers_chunk_is_recomputed_and_the_result_is_unchanged(problem, tmp_path: Path):
    """One worker process is killed (SIGKILL) while it runs a chunk: the scheduler reruns that chunk on
    a worker that lives, the run does not fail, and the balls are those of the single-process run."""
    loss, A, _, _ = problem
    la, direction = _direction(loss, A)
    with streaming(chunk_size=CHUNK):
        here = jet_bounds(ArbBackend(40), loss, la, direction)
    marker = tmp_path / "killed"
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=50
        ) as running,
        distributed.Client(running) as client,
    ):
        before = set(client.run(os.getpid).values())
        with streaming(chunk_size=CHUNK, executor=_Faulty(client, marker, "kill")):
            there = jet_bounds(ArbBackend(40), loss, la, direction)
        after = set(client.run(os.getpid).values())
    killed = int(marker.read_text())  # the pid of the worker that killed itself in a chunk
    assert len(before) == 2 and killed in before and killed not in after
    assert there == here


def test_a_chunk_that_raises_once_is_retried(problem, cluster, tmp_path: Path):
    """``retries`` (``--retries``): a chunk that raises is rerun; with ``retries=0`` the run fails."""
    loss, A, _, _ = problem
    la, direction = _direction(loss, A)
    with streaming(chunk_size=CHUNK):
        here = jet_bounds(F64Backend(), loss, la, direction)
    with streaming(chunk_size=CHUNK, executor=_Faulty(cluster[1], tmp_path / "once", "raise", retries=1)):
        assert jet_bounds(F64Backend(), loss, la, direction) == here
    with (
        streaming(chunk_size=CHUNK, executor=_Faulty(cluster[1], tmp_path / "never", "raise", retries=0)),
        pytest.raises(RuntimeError, match="transient"),
    ):
        jet_bounds(F64Backend(), loss, la, direction)
