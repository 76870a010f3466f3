"""The cases of ``bench_targets.py``: each runs in its own process and returns rows of the table.

Every case reuses the problem builders and float64 baselines of the benchmark that owns it
(``bench_engine``, ``bench_stream``, ``bench_barrier``, ``bench_saddle``) and times both sides the
same way: CPU seconds of this process (``time.process_time``), warm, the minimum of repeats
(``timing.best_of``). Commands (``symcert ...``) are timed as child processes, by their own
``rusage`` (user + system CPU, and their peak memory), the minimum of repeats where they are fast.

A row is a dict: ``case``, ``symcert`` (seconds), ``note`` (status), ``baseline`` (seconds or
None), ``baseline_what``, ``peak_mb``, and the target as limits: ``max_ratio`` (symcert /
baseline), ``max_seconds``, ``max_mb`` (any of them None), with ``target`` describing it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

from timing import best_of, peak_mb

HERE = Path(__file__).parent
cpu = time.process_time
Row = dict[str, Any]


def row(case: str, seconds: float, baseline: float | None, what: str, **target: Any) -> Row:
    """A table row measured in this process (peak memory: this process's ``ru_maxrss`` so far)."""
    out: Row = {"case": case, "symcert": seconds, "baseline": baseline, "baseline_what": what}
    out.update({"note": "", "peak_mb": peak_mb(), "max_ratio": None, "max_seconds": None, "max_mb": None})
    out.update(target)
    out["load"] = os.getloadavg()[0]
    return out


def measured(argv: list[str], cwd: str | None = None) -> dict[str, Any]:
    """Run ``argv`` as a child process: wall and CPU seconds, peak memory (MB) and exit code, its own."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        child = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=cwd)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode(errors="replace")
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "peak_mb": usage.ru_maxrss / 1024,
        "code": child.returncode,
        "output": text,
    }


def symcert_command() -> list[str]:
    """The ``symcert`` console script next to this interpreter (no pyenv shim), else ``python -m symcert``."""
    script = Path(sys.executable).with_name("symcert")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "symcert"]


def fastest(argv: list[str], repeats: int = 5) -> dict[str, Any]:
    """The run of ``argv`` with the least CPU time of ``repeats`` (after one warm run: the disk cache)."""
    first = measured(argv)
    if first["code"] != 0:
        raise RuntimeError(f"{' '.join(argv)} exited with {first['code']}: {first['output'][-400:]}")
    return min((measured(argv) for _ in range(repeats)), key=lambda r: r["cpu"])


# --- start-up ---------------------------------------------------------------------------------------


def startup() -> list[Row]:
    """``symcert --help``, ``--version`` and ``check FILE`` against ``python -c 'import numpy'``."""
    base = fastest([sys.executable, "-c", "import numpy"])
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        cert = str(Path(folder) / "cert.json")
        made = measured([*symcert_command(), "prove", "--json", cert])
        if made["code"] != 0:
            raise RuntimeError(f"symcert prove --json failed: {made['output'][-400:]}")
        for args in (["--help"], ["--version"], ["check", cert]):
            run = fastest([*symcert_command(), *args])
            rows.append(
                {
                    **row(
                        f"start-up: `symcert {' '.join(args[:1])}`", run["cpu"], base["cpu"], "`import numpy`"
                    ),
                    "note": f"wall {run['wall']:.2f} s",
                    "peak_mb": run["peak_mb"],
                    "max_seconds": 0.3,
                    "target": "< 0.3 s",
                }
            )
    return rows


# --- the chord, curvature and hessian certificates ---------------------------------------------------


def _float_vector(compiled: Any, P: Any) -> Any:
    """``P`` as float64 (an ``ArrayPoint`` straight from its integer layers, not through SymPy)."""
    import numpy as np

    from symcert.symbolic.array_point import ArrayPoint

    if not isinstance(P, ArrayPoint):
        return compiled.check(P)
    parts = [a.num.astype(float) / a.den for W, b in P.integer_layers for a in (W, b) if a is not None]
    return compiled.check(np.concatenate([p.ravel() for p in parts]))


def _float_chord(loss: Any, A: Any, B: Any) -> float:
    """The float64 baseline: the three losses at ``A``, ``B`` and their midpoint (rounded, as a float
    user has it), warm, the minimum of repeats."""
    from symcert.numeric.floats import FloatLoss

    compiled = FloatLoss(loss)
    a, b = _float_vector(compiled, A), _float_vector(compiled, B)
    thetas = [a, b, (a + b) / 2]
    return best_of(lambda: [compiled.value(t) for t in thetas], repeats=5, budget=1.0, clock=cpu)


def mnist128() -> list[Row]:
    """Chord, curvature and hessian at 784-128-10 on 256 points (``bench_engine.mnist_problem``)."""
    from bench_engine import mnist_problem

    from symcert import certify_nonconvexity, swap

    loss, A, _ = mnist_problem((784, 128, 10), 256)
    element = swap(1, 0, 1)
    B = element(A)
    base = _float_chord(loss, A, B)
    rows = []
    for kind, limit in (("chord", 10), ("curvature", 20), ("hessian", 20)):
        cert = certify_nonconvexity(loss, A, element=element, kind=kind, dps=50)
        seconds = best_of(
            lambda kind=kind: certify_nonconvexity(loss, A, B=B, kind=kind, dps=50), 3, clock=cpu
        )
        rows.append(
            {
                **row(f"{kind}, 784-128-10, 256 points", seconds, base, "3 losses"),
                "note": f"{cert.status}, {cert.decision.rung} rung",
                "max_ratio": limit,
                "target": f"<= {limit}x",
            }
        )
    return rows


def wide(points: int) -> list[Row]:
    """The chord at 64-256-1 on ``points`` points (``bench_engine.small_problem``)."""
    from bench_engine import small_problem

    from symcert import certify_nonconvexity, swap

    loss, A = small_problem((64, 256, 1), points)
    element = swap(1, 0, 1)
    B = element(A)
    cert = certify_nonconvexity(loss, A, B=B, kind="chord")
    repeats = 3 if points >= 4096 else 5
    seconds = best_of(lambda: certify_nonconvexity(loss, A, B=B, kind="chord"), repeats, clock=cpu)
    base = _float_chord(loss, A, B)
    case = f"chord, 64-256-1, {points:,} points"
    return [
        {**row(case, seconds, base, "3 losses"), "note": cert.status, "max_ratio": 10, "target": "<= 10x"}
    ]


def from_files(points: int) -> list[Row]:
    """784-512-512-512-10 from an ``.npz`` model and an ``.npz`` data file: set-up, then the chord."""
    import numpy as np
    from bench_stream import data, weights

    from symcert import Loss, certify_nonconvexity, swap
    from symcert.models.data import load_data
    from symcert.models.loaders import load_weights
    from symcert.numeric.floats import FloatLoss

    with tempfile.TemporaryDirectory() as folder:
        model, values = Path(folder) / "model.npz", Path(folder) / "data.npz"
        np.savez(model, activation=np.array("tanh"), **weights())
        pixels, onehot = data(points)
        np.savez(values, X=pixels / 255.0, y=onehot.argmax(axis=1))
        start = cpu()
        mlp, A = load_weights(model, output_activation="softmax", on_missing="error")
        loss = Loss(mlp, load_data(values, mlp, "cross_entropy"), "cross_entropy")
        element = swap(1, 0, 1)
        B = element(A)
        loading = cpu() - start
    start = cpu()
    cert = certify_nonconvexity(loss, A, B=B, kind="chord")
    first = cpu() - start
    warm = best_of(
        lambda: certify_nonconvexity(loss, A, B=B, kind="chord"), 2, budget=0.0, warm=False, clock=cpu
    )
    compiled = FloatLoss(loss)
    theta = compiled.check(A)
    forward = best_of(lambda: compiled.value(theta), 3, budget=1.0, clock=cpu)
    base = _float_chord(loss, A, B)
    setup = loading + max(first - warm, 0.0)
    held = "integer matrices" if type(loss.data).__name__ == "IntegerDataset" else "SymPy rationals"
    return [
        {
            **row(
                f"set-up from files, 784-512-512-512-10, {points:,} points", setup, forward, "1 forward pass"
            ),
            "note": f"files {loading:.2f} s, data as {held}; first call {max(first - warm, 0.0):.2f} s more",
            "max_ratio": 2,
            "target": "<= 2x",
        },
        {
            **row(f"chord, 784-512-512-512-10, {points:,} points", warm, base, "3 losses"),
            "note": f"{cert.status}, {cert.decision.rung} rung",
            "max_ratio": 10,
            "target": "<= 10x",
        },
    ]


# --- barriers ----------------------------------------------------------------------------------------


def barrier128() -> list[Row]:
    """Certified barrier at 784-128-10 on 256 points vs the 25-point float64 grid, and its checker."""
    from bench_barrier import grid_seconds, mnist_pair

    from symcert import certify_barrier, check

    loss, A, B, _ = mnist_pair()
    grid, _ = grid_seconds(loss, A, B)  # bench_barrier's clock: CPU seconds of this process
    tol = 1e-3
    result = certify_barrier(loss, A, B, tol=tol)
    proved = best_of(lambda: certify_barrier(loss, A, B, tol=tol), 3, budget=0.0, warm=False, clock=cpu)
    document = result.certificate().to_dict()
    verdict = check(document)
    checked = best_of(lambda: check(document), 3, budget=0.0, warm=False, clock=cpu)
    return [
        {
            **row("barrier, 784-128-10, 256 points", proved, grid, "25-point grid"),
            "note": f"{result.status}, {len(result.pieces)} pieces",
            "max_ratio": 20,
            "target": "<= 20x",
        },
        {
            **row("barrier checker / prover, 784-128-10", checked, proved, "the prover"),
            "note": "accepted" if verdict.accepted else "REJECTED",
            "baseline_kind": "prover",
            "max_ratio": 1.5,
            "target": "<= 1.5x the prover",
        },
    ]


def digits_files(folder: str) -> dict[str, float]:
    """Write the digits pair (``bench_barrier.digits_pair``) and data as files; CPU time of the grids."""
    import numpy as np
    from bench_barrier import digits_pair, grid_seconds
    from sklearn.datasets import load_digits

    from symcert import align

    loss, A, B, _ = digits_pair()
    exact = np.vectorize(lambda text: float(Fraction(text)))  # float32 weights: exact in float64
    for name, point in (("a", A), ("b", B)):
        arrays = {k: exact(np.array(v, dtype=object)).astype(np.float32) for k, v in point.arrays().items()}
        np.savez(Path(folder) / f"{name}.npz", activation=np.array("tanh"), **arrays)
    X, y = load_digits(return_X_y=True)
    np.savez(Path(folder) / "digits.npz", X=X / 16.0, y=y.astype(np.int64))
    before, _ = grid_seconds(loss, A, B)
    after, _ = grid_seconds(loss, A, align(A, B).aligned)
    return {"grid": before + after}


def digits_cli() -> list[Row]:
    """``symcert barrier --model a --model b --data digits.npz --align``, then ``symcert check`` of both."""
    import json

    with tempfile.TemporaryDirectory() as folder:
        prepared = subprocess.run(
            [sys.executable, str(HERE / "bench_targets.py"), "--case", "digits-files", "--dir", folder],
            check=True,
            capture_output=True,
            text=True,
        )
        grid = json.loads(prepared.stdout.strip().splitlines()[-1])["grid"]
        f = lambda name: str(Path(folder) / name)  # noqa: E731
        argv = [*symcert_command(), "barrier", "--model", f("a.npz"), "--model", f("b.npz")]
        argv += ["--data", f("digits.npz"), "--loss", "cross_entropy", "--align", "--json", f("out.json")]
        prover = measured(argv)
        if prover["code"] != 0:
            raise RuntimeError(f"symcert barrier exited with {prover['code']}: {prover['output'][-600:]}")
        checks = [
            measured([*symcert_command(), "check", f(f"out.{side}.json")]) for side in ("before", "after")
        ]
    accepted = all(c["code"] == 0 for c in checks)
    total = prover["cpu"] + sum(c["cpu"] for c in checks)
    wall = prover["wall"] + sum(c["wall"] for c in checks)
    peak = max(prover["peak_mb"], *(c["peak_mb"] for c in checks))
    checker = sum(c["cpu"] for c in checks)
    return [
        {
            **row("digits `barrier --align` + both `check`s, end to end", total, grid, "2 grids of 25"),
            "note": f"wall {wall:.0f} s; both {'accepted' if accepted else 'NOT accepted'}",
            "peak_mb": peak,
            "max_seconds": 300,
            "target": "< 5 min",
            "accepted": accepted,
        },
        {
            **row("digits checker / prover (CLI, both barriers)", checker, prover["cpu"], "the prover"),
            "note": "2 checks; the prover includes the alignment",
            "peak_mb": peak,
            "baseline_kind": "prover",
            "max_ratio": 1.5,
            "target": "<= 1.5x the prover",
        },
    ]


# --- saddles -----------------------------------------------------------------------------------------


def saddle16() -> list[Row]:
    """16-31-1 -> 16-32-1 (768 points): prover and checker against a numpy Hessian + ``eigvalsh``."""
    import json

    import numpy as np
    from bench_saddle import numpy_hessian, orthogonal_residual_data

    from symcert import certify_saddle, check

    loss, theta0 = orthogonal_residual_data(16, 31, 768)
    start = cpu()
    result = certify_saddle(loss, theta0, 1, 0, "1/2", proof=False)
    proved = cpu() - start
    record = json.loads(result.certificate().to_json())
    start = cpu()
    verdict = check(record)
    checked = cpu() - start
    wide_loss = result.wide_loss
    X = np.array([[float(v) for v in x] for x in wide_loss.data.xs])
    y = np.array([float(v[0]) for v in wide_loss.data.ys])
    theta = np.array([float(v) for v in result.wide_center.values])
    evidence = best_of(
        lambda: np.linalg.eigvalsh(numpy_hessian(wide_loss.mlp.widths, theta, X, y)), clock=cpu
    )
    what = "numpy Hessian + eigvalsh"
    return [
        {
            **row("saddle 16-31-1 -> 16-32-1, 768 points: prover", proved, evidence, what),
            "note": result.verdict,
            "max_seconds": 60,
            "target": "< 60 s",
        },
        {
            **row("saddle 16-31-1 -> 16-32-1, 768 points: checker", checked, evidence, what),
            "note": "accepted" if verdict.accepted else "REJECTED",
            "max_seconds": 60,
            "target": "< 60 s",
        },
        {
            **row("saddle checker / prover, 16-31-1 -> 16-32-1", checked, proved, "the prover"),
            "max_ratio": 1.5,
            "target": "<= 1.5x the prover",
        },
    ]


# --- MNIST-sized data, streamed (heavy) ----------------------------------------------------------------


def stream(points: int = 60_000) -> list[Row]:
    """``bench_stream``'s sides, each in its own process: float64, the streamed chord, the checker."""
    import bench_stream

    base = bench_stream._child("--case", "float", "--points", str(points))
    with tempfile.TemporaryDirectory() as folder:  # the prover's certificate, checked in its own process
        path = str(Path(folder) / "chord.json")
        found = bench_stream._child("--case", "prover", "--points", str(points), "--file", path)
        checked = bench_stream._child("--case", "check-file", "--file", path)
    setup = found["setup"]["cpu"] + max(found["first_cpu"] - found["warm_cpu"], 0.0)
    shape = f"784-512-512-512-10, {points:,} points (streamed)"
    gb = 4096
    return [
        {
            **row(f"chord, {shape}", found["warm_cpu"], base["cpu"], "3 losses"),
            "note": f"{found['status']}; first call {found['first_cpu']:.1f} s",
            "peak_mb": found["peak_mb"],
            "max_seconds": 300,
            "max_mb": gb,
            "max_ratio": 10,
            "target": "< 5 min, < 4 GB, <= 10x",
        },
        {
            **row(
                f"set-up in memory (integer arrays), {shape}", setup, base["forward_cpu"], "1 forward pass"
            ),
            "peak_mb": found["peak_mb"],
            "max_ratio": 2,
            "target": "<= 2x",
        },
        {
            **row(f"checker, {shape}", checked["cpu"], base["cpu"], "3 losses"),
            "note": "accepted" if checked["accepted"] else "REJECTED",
            "peak_mb": checked["peak_mb"],
            "max_seconds": 300,
            "max_mb": gb,
            "target": "< 5 min, < 4 GB",
        },
        {
            **row(f"checker / prover, {shape}", checked["cpu"], found["warm_cpu"], "the prover"),
            "peak_mb": checked["peak_mb"],
            "max_ratio": 1.5,
            "target": "<= 1.5x the prover",
        },
    ]
