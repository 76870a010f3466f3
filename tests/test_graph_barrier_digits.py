"""``--digits N`` for graph barriers: the enclosure tightened until it pins N significant digits (more
pieces near the maximum, Arb alone past float64), the checker accepting the tight certificate, and an
honest note naming --max-seconds or --max-pieces when a cap stopped it first."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest

pytest.importorskip("onnx")

from symcert.checker import check
from symcert.cli import main
from symcert.numeric.rounding import agreed_digits, pins_digits
from symcert.proofs.graph_barrier import certify_graph_barrier
from symcert.proofs.graph_barrier_digits import pins
from tests.test_graph_barrier import _json, _other, _problem


@pytest.fixture(scope="module")
def residual():
    return _problem("residual")


def test_digits_tighten_past_float64_and_the_checker_accepts(residual):
    loss, A, B, _ = residual
    plain = certify_graph_barrier(loss, A, B, tol=Fraction(1, 20))
    tight = certify_graph_barrier(loss, A, B, tol=Fraction(1, 20), digits=11)
    assert not pins_digits(plain.lo, plain.hi, 11) and pins(tight, 11) and tight.stopped == ""
    assert plain.lo <= tight.hi and tight.lo <= plain.hi  # both rigorous: they overlap
    assert tight.hi - tight.lo < (plain.hi - plain.lo) / 10**6  # far tighter
    assert tight.n_pieces > plain.n_pieces and tight.digits == 11
    assert tight.dps >= 31  # past float64's digits: Arb alone, at N + 20 digits
    assert tight.status == "proved" and tight.tol == Fraction(1, 20)
    record = tight.to_dict()
    assert record["dps"] == tight.dps
    verdict = check(_json(record))
    assert verdict.accepted, verdict.reasons
    lo, hi = verdict.enclosures["barrier"]
    assert lo == tight.lo and hi == tight.hi  # the claimed enclosure, re-proved


def test_a_budget_that_runs_out_is_said_and_the_enclosure_stays_rigorous(residual):
    loss, A, B, _ = residual
    capped = certify_graph_barrier(loss, A, B, tol=Fraction(1, 20), digits=12, max_pieces=24)
    assert capped.stopped == "max_pieces" and not pins(capped, 12)
    assert (agreed_digits(capped.lo, capped.hi) or 0) < 12 and check(_json(capped.to_dict())).accepted
    timed = certify_graph_barrier(loss, A, B, tol=Fraction(1, 20), digits=12, max_seconds=0)
    assert timed.stopped == "max_seconds" and timed.lo <= timed.hi


def test_cli_digits_prints_n_digits_and_notes_the_cap(tmp_path, capsys, residual):
    loss, _, _, data = residual
    (tmp_path / "a.onnx").write_bytes(data)
    (tmp_path / "b.onnx").write_bytes(_other(data, 7))
    np.savez(tmp_path / "d.npz", X=np.asarray(loss.X, dtype=np.float32), y=np.arange(len(loss.X)) % 2)
    argv = ["barrier", "--model", str(tmp_path / "a.onnx"), "--model", str(tmp_path / "b.onnx")]
    argv += ["--data", str(tmp_path / "d.npz"), "--loss", "cross_entropy", "--tol", "1/20", "--quiet"]
    assert main([*argv, "--digits", "8", "--json", str(tmp_path / "b.json")]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("Barrier: ["))
    lo, hi = line.split("[")[1].split("]")[0].split(", ")
    assert len(lo.replace("0.", "", 1).lstrip("0")) == 8 and pins_digits(Fraction(lo), Fraction(hi), 8)
    assert "  L(A) in [" in out and "note:" not in out
    record = json.loads((tmp_path / "b.json").read_text())
    assert Fraction(record["enclosures"]["barrier"][0]) >= Fraction(lo)  # printed outward
    assert main([*argv, "--digits", "12", "--max-pieces", "20"]) == 0  # status still compares with --tol
    out = capsys.readouterr().out
    assert "note: barrier pins" in out and "--max-pieces 20 ran out first" in out
    assert main([*argv, "--digits", "0"]) == 2
