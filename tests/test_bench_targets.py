"""``benchmarks/bench_targets.py``: its help teaches, and its table marks each target met or not.

No timings are asserted: the table is checked on made-up rows.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import bench_targets  # noqa: E402


def rows(**limits: object) -> dict:
    base = {"case": "c", "target": "t", "symcert": 2.0, "baseline": 0.5, "baseline_what": "3 losses"}
    return {**base, "note": "", "peak_mb": 200.0, **limits}


def test_help_explains_the_cases_and_how_it_measures():
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_targets.py"), "--help"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    for words in ("--quick", "--heavy", "--blas-threads", "CPU seconds", "peak memory", "minimum of repeats"):
        assert words in done.stdout, words


def test_list_names_every_case_and_quick_leaves_out_the_heavy_ones():
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_targets.py"), "--list"], capture_output=True, text=True
    )
    assert [line.split()[0] for line in done.stdout.splitlines()] == list(bench_targets.CASES)
    quick = bench_targets.selected(argparse.Namespace(only=None, quick=True, heavy=False))
    assert "mnist128" in quick and "stream" not in quick and "saddle16" not in quick


@pytest.mark.parametrize(
    ("limits", "expected"),
    [
        ({"max_ratio": 10}, True),  # 2.0 / 0.5 = 4x
        ({"max_ratio": 3}, False),
        ({"max_seconds": 60}, True),
        ({"max_seconds": 1.5}, False),
        ({"max_seconds": 60, "max_mb": 100}, False),  # fast enough, but 200 MB over 100
        ({"max_ratio": 10, "accepted": False}, False),  # a rejected certificate never meets a target
        ({}, None),
    ],
)
def test_met_checks_every_limit_a_row_states(limits, expected):
    assert bench_targets.met(rows(**limits)) is expected


def test_the_table_has_one_line_per_row_and_says_no_plainly():
    table = bench_targets.markdown([rows(max_ratio=10), rows(max_ratio=3, peak_mb=5000.0)])
    lines = table.splitlines()
    assert lines[0] == "| case | target | symcert | float64 baseline | ratio | peak memory | met? |"
    assert lines[2] == "| c | t | 2.00 s | 500 ms (3 losses) | 4.0x | 200 MB | yes |"
    assert lines[3] == "| c | t | 2.00 s | 500 ms (3 losses) | 4.0x | 4.88 GB | **no** |"
    failed = bench_targets.markdown([{"case": "x", "error": "boom", "peak_mb": 0.0, "symcert": 0.0}])
    assert failed.splitlines()[2] == "| x |  | failed: boom | | | | no |"


def test_a_cold_case_keeps_each_row_from_its_fastest_run_and_says_so():
    slow = [rows(case="set-up", symcert=3.0, baseline=1.0), rows(case="chord", symcert=1.0, baseline=0.5)]
    fast = [rows(case="set-up", symcert=1.5, baseline=1.2), rows(case="chord", symcert=2.0, baseline=0.4)]
    failed = [{"case": "set-up", "error": "killed", "peak_mb": 0.0, "symcert": 0.0}]
    best = bench_targets.best_rows([slow, failed, fast])
    assert [(r["symcert"], r["baseline"], r["runs"]) for r in best] == [(1.5, 1.2, 2), (1.0, 0.5, 2)]
    assert "best of 2 fresh processes" in bench_targets.markdown(best)
    assert bench_targets.best_rows([failed, failed]) == failed  # every run failed: the failure shows
