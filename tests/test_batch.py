"""Many pairs on Dask: the manifest, a local cluster of 2 workers, resuming, malformed rows, the CLI."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from symcert.batch import read_manifest, run_manifest
from symcert.batch.runner import write_atomically
from symcert.checker import check
from symcert.errors import SpecificationError

pytest.importorskip("distributed")


def _save_net(path: Path, seed: int, permute: bool = False) -> None:
    rng = np.random.default_rng(seed)
    W1, b1 = rng.normal(size=(3, 2)).astype(np.float32), rng.normal(size=3).astype(np.float32)
    W2, b2 = rng.normal(size=(2, 3)).astype(np.float32), rng.normal(size=2).astype(np.float32)
    if permute:  # B = g(A): a hidden permutation of A
        order = [2, 0, 1]
        W1, b1, W2 = W1[order], b1[order], W2[:, order]
    np.savez(path, activation=np.array("tanh"), W1=W1, b1=b1, W2=W2, b2=b2)


@pytest.fixture
def study(tmp_path: Path) -> Path:
    """Three tiny 2-3-2 tanh pairs (cross-entropy on 6 labelled points); pair p3 is B = g(A), aligned."""
    for name, seed, permute in (("a", 0, False), ("b", 1, False), ("c", 2, False), ("pa", 0, True)):
        _save_net(tmp_path / f"{name}.npz", seed, permute)
    rows = [[f"{x / 4}", f"{(x * 3) % 5 / 4}", str(x % 2)] for x in range(6)]
    (tmp_path / "data.csv").write_text("x1,x2,label\n" + "\n".join(",".join(r) for r in rows) + "\n")
    (tmp_path / "pairs.csv").write_text(
        "name,model_a,model_b,data,align,tol\n"
        "p1,a.npz,b.npz,data.csv,no,1e-2\n"
        "p2,b.npz,c.npz,data.csv,no,\n"
        "p3,a.npz,pa.npz,data.csv,yes,1e-2\n"
    )
    return tmp_path


@pytest.fixture(scope="module")
def cluster():
    """A local cluster of 2 worker processes, shared by the tests (through its address, as --scheduler)."""
    import distributed

    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=40
    ) as running:
        yield running.scheduler_address


def _stamps(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.glob("*.json")}


def test_a_local_cluster_certifies_every_pair_and_a_rerun_redoes_only_what_is_missing(study: Path, cluster):
    out = study / "results"
    messages: list[str] = []
    rows = run_manifest(study / "pairs.csv", out, scheduler=cluster, progress=messages.append)
    assert sorted(p.name for p in out.glob("*.json")) == ["p1.json", "p2.json", "p3.before.json", "p3.json"]
    assert [(r["pair"], r["variant"], r["computed"]) for r in rows] == [
        ("p1", "plain", "yes"),
        ("p2", "plain", "yes"),
        ("p3", "before", "yes"),
        ("p3", "after", "yes"),
    ]
    for path in out.glob("*.json"):
        assert check(str(path)).accepted, path
    after = json.loads((out / "p3.json").read_text())
    assert after["enclosures"]["barrier"] == ["0", "0"]  # g(B) == A exactly: the aligned barrier is 0
    with open(out / "summary.csv") as stream:
        summary = list(csv.DictReader(stream))
    assert [r["pair"] for r in summary] == ["p1", "p2", "p3", "p3"]
    assert all(r["status"] == "proved" for r in summary)
    assert Fraction(summary[0]["barrier_lo"]) <= Fraction(summary[0]["barrier_hi"])
    assert any("[3/3]" in m for m in messages)

    # A killed run: p2 never written, p1 half-written (no atomic rename happened), a stray temp file.
    (out / "p2.json").unlink()
    (out / "p1.json").write_text((out / "p1.json").read_text()[:100])
    (out / ".p2.json.x.tmp").write_text("{")
    kept = {k: v for k, v in _stamps(out).items() if k.startswith("p3")}
    rows = run_manifest(study / "pairs.csv", out, workers=2)  # a fresh local cluster of 2 processes
    assert [(r["pair"], r["computed"]) for r in rows] == [
        ("p1", "yes"),
        ("p2", "yes"),
        ("p3", "no"),
        ("p3", "no"),
    ]
    assert {
        k: v for k, v in _stamps(out).items() if k.startswith("p3")
    } == kept  # untouched: same inode, mtime
    assert check(str(out / "p1.json")).accepted and check(str(out / "p2.json")).accepted


def test_a_result_the_checker_rejects_is_recomputed(study: Path, cluster):
    out = study / "results"
    run_manifest(study / "pairs.csv", out, scheduler=cluster)
    record = json.loads((out / "p1.json").read_text())
    record["parameters"]["pieces"][0][2] = "-100"  # an upper bound lowered: a complete but false file
    (out / "p1.json").write_text(json.dumps(record))
    rows = run_manifest(study / "pairs.csv", out, scheduler=cluster)
    assert (rows[0]["pair"], rows[0]["computed"]) == ("p1", "yes")
    assert check(str(out / "p1.json")).accepted


@pytest.mark.parametrize(
    "line, message",
    [
        ("p1,a.npz,missing.npz,data.csv,no,", "row 2: model_b 'missing.npz' is not a file"),
        ("p1,a.npz,b.npz,data.csv,maybe,", "row 2: align must be yes or no"),
        ("p1,a.npz,b.npz,data.csv,no,-1", "row 2: tol must be a positive number"),
        ("p 1,a.npz,b.npz,data.csv,no,", "row 2: name must be letters"),
        ("p1,a.npz,b.npz,data.csv,no", "row 2: expected 6 cells"),
    ],
)
def test_malformed_rows_give_one_line_naming_the_row(study: Path, line: str, message: str):
    (study / "bad.csv").write_text("name,model_a,model_b,data,align,tol\n" + line + "\n")
    with pytest.raises(SpecificationError, match=message) as info:
        read_manifest(study / "bad.csv")
    assert "\n" not in str(info.value) and "bad.csv" in str(info.value)


def test_duplicate_names_and_bad_headers_are_refused(study: Path):
    (study / "dup.csv").write_text(
        "name,model_a,model_b,data\np1,a.npz,b.npz,data.csv\np1,a.npz,c.npz,data.csv\n"
    )
    with pytest.raises(SpecificationError, match="row 3: the name 'p1' is used twice"):
        read_manifest(study / "dup.csv")
    (study / "head.csv").write_text("name,model_a,data\np1,a.npz,data.csv\n")
    with pytest.raises(SpecificationError, match="header must name the columns"):
        read_manifest(study / "head.csv")


def test_atomic_writes_leave_no_temporary_file(tmp_path: Path):
    write_atomically(tmp_path / "x.json", "{}\n")
    write_atomically(tmp_path / "x.json", "[]\n")
    assert os.listdir(tmp_path) == ["x.json"] and (tmp_path / "x.json").read_text() == "[]\n"


def test_the_cli_runs_a_manifest_and_reports_bad_rows_in_one_line(study: Path, capsys):
    from symcert.cli import main

    (study / "one.csv").write_text("name,model_a,model_b,data\nq,a.npz,b.npz,data.csv\n")
    args = ["barrier", "--manifest", str(study / "one.csv"), "--out", str(study / "res"), "--threads"]
    assert main([*args, "--workers", "1"]) == 0
    err = capsys.readouterr().err
    assert (study / "res" / "q.json").is_file() and "[1/1] q: proved" in err
    assert main(args) == 0 and "(kept)" in capsys.readouterr().err  # resumed: nothing recomputed
    (study / "bad.csv").write_text("name,model_a,model_b,data\nq,a.npz,nope.npz,data.csv\n")
    run = [
        sys.executable,
        "-m",
        "symcert",
        "barrier",
        "--manifest",
        str(study / "bad.csv"),
        "--out",
        str(study),
    ]
    bad = subprocess.run(run, capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "bad.csv, row 2" in bad.stderr


def test_without_dask_the_error_names_the_extra(study: Path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed raises ImportError
    with pytest.raises(SpecificationError, match=r"pip install 'symcert\[dask\]'") as info:
        run_manifest(study / "pairs.csv", study / "results")
    assert "\n" not in str(info.value) and not (study / "results").exists()


def test_a_model_that_records_no_activation_needs_the_column(study: Path, capsys):
    """A manifest never picks an activation for a model: the file's, or the row's (one network)."""
    from symcert.cli import main

    rng = np.random.default_rng(3)
    arrays = {"W1": rng.normal(size=(3, 2)), "b1": rng.normal(size=3), "W2": rng.normal(size=(2, 3))}
    np.savez(study / "bare.npz", **arrays, b2=rng.normal(size=2))
    (study / "bare.csv").write_text("name,model_a,model_b,data\nq,bare.npz,b.npz,data.csv\n")
    args = ["barrier", "--manifest", str(study / "bare.csv"), "--out", str(study / "r1"), "--threads"]
    assert main([*args, "--workers", "1"]) != 0
    assert "does not record its hidden activation" in capsys.readouterr().err
    assert not (study / "r1" / "q.json").exists()
    (study / "named.csv").write_text("name,model_a,model_b,data,activation\nq,bare.npz,b.npz,data.csv,tanh\n")
    args = ["barrier", "--manifest", str(study / "named.csv"), "--out", str(study / "r2"), "--threads"]
    assert main([*args, "--workers", "1"]) == 0 and (study / "r2" / "q.json").is_file()
    assert read_manifest(study / "pairs.csv")[0].activation is None


def test_the_summary_prints_each_barrier_enclosure_outward():
    """The summary's 10-digit barrier_lo is at most the proved lower end, barrier_hi at least the upper."""
    from symcert.batch.runner import _summary_text

    lo, hi = Fraction(123456789016, 10**12), Fraction(123456789104, 10**12)  # .10g: hi down
    row = {"pair": "p", "variant": "before", "status": "proved", "barrier_lo": str(lo), "barrier_hi": str(hi)}
    printed = next(csv.DictReader(_summary_text([row]).splitlines()))
    assert Fraction(printed["barrier_lo"]) <= lo and Fraction(printed["barrier_hi"]) >= hi, printed
