"""Issue 22's targets at a glance: every target case, each in its own process, as ONE markdown table.

Run: ``python benchmarks/bench_targets.py`` (about 6 minutes of CPU on 2 cores), ``--quick`` for a
subset of about 1-2 minutes (start-up, 784-128-10 chord / curvature / hessian and barrier,
64-256-1 at 1,024 points; 66 s at load 3.6), ``--heavy`` to add the 60,000-point MNIST-shaped
stream (about 6 more minutes of CPU, 1.2 GB), ``--only NAME`` for one case (``--list`` names them).

How it measures, so that a ratio compares like with like on a shared, loaded machine:

- every case runs in a fresh process started by this small parent (which never imports numpy
  or symcert), so its peak memory (``ru_maxrss``, which a child inherits from its parent) is
  its own: the case's data, points, float64 baseline and certificates together;
- both sides are timed in the same process, warm, the minimum of repeats, as CPU seconds
  of the process (``time.process_time``; the load of other jobs inflates wall-clock times up
  to 5x, unevenly); commands (``symcert ...``) by their own rusage, the wall time beside;
- a case that times a first call (the set-up from files) runs in ``--cold-runs`` fresh processes
  (default 3), each row kept from the one where symcert's side was fastest;
- BLAS runs on ``--blas-threads`` threads (default 1), set in the environment before any
  child loads numpy (limited afterwards, OpenBLAS's idle threads cost CPU per small product);
- glibc's allocator keeps freed memory (``--allocator steady``, the default: ``MALLOC_MMAP_THRESHOLD_``
  32 MB, ``MALLOC_TRIM_THRESHOLD_`` 1 GB in every child), so that no side pays page faults for arrays
  it frees and makes again on every warm call. Without it a side's time depends on what ran before it
  in the process (glibc raises its thresholds after large frees): the 64-256-1 chord's float64
  baseline took 3.8 ms after symcert's passes and 9.5 ms alone. ``--allocator default`` leaves glibc
  as it is.

The baseline is numpy float64 (symcert's ``FloatLoss`` or the benchmark's own numpy code) in
the same run: the chord's three losses, one forward pass for a set-up, the literature's
25-point grid for a barrier, a numpy Hessian plus ``eigvalsh`` for a saddle, ``python -c
'import numpy'`` for start-up; for a checker row, the prover. A target is a ratio
(``<= 10x``), a time (``< 60 s``) or both with a memory limit; "met?" says whether this run
met every part of it.

>>> print(markdown([{"case": "c", "target": "<= 10x", "symcert": 2.0, "baseline": 0.5,
...     "baseline_what": "3 losses", "note": "", "peak_mb": 200.0, "max_ratio": 10}]).splitlines()[2])
| c | <= 10x | 2.00 s | 500 ms (3 losses) | 4.0x | 200 MB | yes |
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent

#: name -> (what it runs, in --quick, only with --heavy)
CASES: dict[str, tuple[str, bool, bool]] = {
    "startup": (
        "`symcert --help`, `--version`, `check FILE` against `python -c 'import numpy'`",
        True,
        False,
    ),
    "mnist128": ("chord, curvature, hessian at 784-128-10 on 256 points", True, False),
    "wide1024": ("chord at 64-256-1 on 1,024 points", True, False),
    "wide4096": ("chord at 64-256-1 on 4,096 points", False, False),
    "wide16384": ("chord at 64-256-1 on 16,384 points", False, False),
    "files1000": ("784-512-512-512-10 from .npz files, 1,000 points: set-up and chord", False, False),
    "files4096": ("784-512-512-512-10 from .npz files, 4,096 points: set-up and chord", False, False),
    "barrier128": ("barrier at 784-128-10 on 256 points vs the float grid; checker / prover", True, False),
    "digits": ("`symcert barrier --align` on the digits pair, then `symcert check` of both", False, False),
    "saddle16": ("saddle 16-31-1 -> 16-32-1 on 768 points: prover and checker", False, False),
    "stream": ("784-512-512-512-10 on 60,000 points, streamed: chord, set-up, checker", False, True),
}


#: glibc's settings for ``--allocator steady``: freed blocks below 32 MB come from the heap (not fresh
#: ``mmap`` pages each time) and the heap is returned to the system only above 1 GB of free space.
STEADY_ALLOCATOR = {"MALLOC_MMAP_THRESHOLD_": str(32 * 2**20), "MALLOC_TRIM_THRESHOLD_": str(2**30)}


def _runner(name: str) -> Callable[[], list[dict[str, Any]]]:
    import bench_targets_cases as cases

    runners: dict[str, Callable[[], list[dict[str, Any]]]] = {
        "startup": cases.startup,
        "mnist128": cases.mnist128,
        "wide1024": lambda: cases.wide(1024),
        "wide4096": lambda: cases.wide(4096),
        "wide16384": lambda: cases.wide(16384),
        "files1000": lambda: cases.from_files(1000),
        "files4096": lambda: cases.from_files(4096),
        "barrier128": cases.barrier128,
        "digits": cases.digits_cli,
        "saddle16": cases.saddle16,
        "stream": cases.stream,
    }
    return runners[name]


def met(row: dict[str, Any]) -> bool | None:
    """Whether ``row`` meets every limit it states (ratio, seconds, memory); None if it states none."""
    checks = []
    if row.get("max_ratio") is not None:
        checks.append(bool(row.get("baseline")) and row["symcert"] / row["baseline"] <= row["max_ratio"])
    if row.get("max_seconds") is not None:
        checks.append(row["symcert"] < row["max_seconds"])
    if row.get("max_mb") is not None:
        checks.append(row["peak_mb"] < row["max_mb"])
    if row.get("accepted") is False or row.get("error"):
        checks.append(False)
    return all(checks) if checks else None


def seconds(value: float | None) -> str:
    """Three significant digits and a unit: ``0.012`` -> ``12.0 ms``; None -> ``-``."""
    if value is None:
        return "-"
    for scale, unit in ((1.0, "s"), (1e-3, "ms"), (1e-6, "us")):
        if value >= scale or unit == "us":
            v = value / scale
            digits = 2 if v < 10 else 1 if v < 100 else 0
            return f"{v:.{digits}f} {unit}"
    raise AssertionError  # pragma: no cover


def markdown(rows: list[dict[str, Any]]) -> str:
    """The table: case | target | symcert | float64 baseline | ratio | peak memory | met?"""
    lines = [
        "| case | target | symcert | float64 baseline | ratio | peak memory | met? |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if r.get("error"):
            lines.append(f"| {r['case']} | {r.get('target', '')} | failed: {r['error']} | | | | no |")
            continue
        notes = [r["note"]] if r.get("note") else []
        if r.get("runs", 1) > 1:
            notes.append(f"best of {r['runs']} fresh processes")
        note = f" ({'; '.join(notes)})" if notes else ""
        base = r.get("baseline")
        what = f" ({r['baseline_what']})" if r.get("baseline_what") and base is not None else ""
        ratio = f"{r['symcert'] / base:.1f}x" if base else "-"
        peak = f"{r['peak_mb'] / 1024:.2f} GB" if r["peak_mb"] >= 1024 else f"{r['peak_mb']:.0f} MB"
        verdict = {True: "yes", False: "**no**", None: "-"}[met(r)]
        lines.append(
            f"| {r['case']} | {r.get('target', '')} | {seconds(r['symcert'])}{note} | {seconds(base)}{what} "
            f"| {ratio} | {peak} | {verdict} |"
        )
    return "\n".join(lines)


#: Cases whose first row times a first call (set-up: loading, then the first certificate less a warm
#: one), which a process pays once: each is run in this many fresh processes (``--cold-runs``) and
#: every row kept from the run where symcert's side was fastest, the minimum of repeats of a cold
#: measurement. One cold call varies by more than the set-up's whole budget on a shared machine.
COLD_CASES = ("files1000", "files4096")


def best_rows(runs: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Row by row, the run whose symcert time is least (its baseline from the same run); a failed run
    counts only when every run failed.

    >>> best_rows([[{"case": "a", "symcert": 2.0}], [{"case": "a", "symcert": 1.0}]])
    [{'case': 'a', 'symcert': 1.0, 'runs': 2}]
    """
    good = [rows for rows in runs if not any(r.get("error") for r in rows)]
    if not good:
        return runs[0]
    return [{**min(column, key=lambda r: r["symcert"]), "runs": len(good)} for column in zip(*good)]


def run_cold_case(name: str, runs: int) -> list[dict[str, Any]]:
    """:func:`run_case` ``runs`` times in fresh processes, each row the best of them (:func:`best_rows`)."""
    return best_rows([run_case(name) for _ in range(runs)])


def run_case(name: str) -> list[dict[str, Any]]:
    """Run case ``name`` in a fresh process; its rows (or one row saying how it failed)."""
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--case", name], capture_output=True, text=True
    )
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1][:160]
        return [{"case": name, "error": tail.replace("|", "/"), "peak_mb": 0.0, "symcert": 0.0}]
    rows: list[dict[str, Any]] = json.loads(lines[-1])
    return rows


def selected(args: argparse.Namespace) -> list[str]:
    """The cases to run: ``--only``, else the quick ones with ``--quick``, else all but ``--heavy`` ones."""
    if args.only:
        return args.only
    return [
        n for n, (_, quick, heavy) in CASES.items() if (quick or not args.quick) and (args.heavy or not heavy)
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench_targets.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a subset of about 1-2 minutes")
    parser.add_argument("--heavy", action="store_true", help="add the 60,000-point stream (minutes, GB)")
    parser.add_argument(
        "--only", action="append", choices=sorted(CASES), metavar="NAME", help="one case (repeatable)"
    )
    parser.add_argument("--list", action="store_true", help="name and describe the cases, then stop")
    parser.add_argument(
        "--blas-threads", default="1", metavar="N", help="BLAS threads on every side (default 1)"
    )
    parser.add_argument(
        "--allocator",
        choices=("steady", "default"),
        default="steady",
        help="steady (default): glibc keeps freed memory, no side page-faults on warm calls; default: as is",
    )
    parser.add_argument(
        "--cold-runs",
        type=int,
        default=3,
        metavar="N",
        help=f"fresh processes for each case that times a first call ({', '.join(COLD_CASES)}; default 3)",
    )
    parser.add_argument("--json", metavar="OUT", help="also write the rows as JSON to OUT")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.list:
        for name, (what, quick, heavy) in CASES.items():
            print(f"{name:<11} {what}{' (--quick)' if quick else ''}{' (--heavy)' if heavy else ''}")
        return 0
    if args.case:  # a child: the only place that imports numpy and symcert
        sys.path.insert(0, str(HERE))
        if args.case == "digits-files":
            import bench_targets_cases

            print(json.dumps(bench_targets_cases.digits_files(args.dir)))
        else:
            print(json.dumps(_runner(args.case)()))
        return 0
    if args.cold_runs < 1:
        parser.error(f"--cold-runs must be at least 1, got {args.cold_runs}")
    if not args.blas_threads.isdigit() or int(args.blas_threads) < 1:
        parser.error(f"--blas-threads must be a positive integer, got {args.blas_threads!r}")
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = args.blas_threads  # before any child loads numpy
    if args.allocator == "steady":  # read by glibc when a child starts
        os.environ.update(STEADY_ALLOCATOR)
    loads = [os.getloadavg()]
    start = time.perf_counter()
    rows: list[dict[str, Any]] = []
    for name in selected(args):
        began = time.perf_counter()
        found = run_cold_case(name, args.cold_runs) if name in COLD_CASES else run_case(name)
        loads.append(os.getloadavg())
        rows += found
        print(
            f"{name}: {len(found)} rows in {time.perf_counter() - began:.0f} s, load {loads[-1][0]:.1f}",
            file=sys.stderr,
        )
    low, high = min(load[0] for load in loads), max(load[0] for load in loads)
    print(
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores, BLAS threads "
        f"{args.blas_threads}, load average {low:.1f} to {high:.1f}, {time.perf_counter() - start:.0f} s; "
        "times are CPU seconds, warm, the minimum of repeats\n"
    )
    print(markdown(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
