"""Certified connecting paths on layer graphs: prove -> JSON -> the checker's own Arb re-proof, for ONNX
models built with onnx.helper (a tanh residual CNN), against an independent float64 grid; a level below
the witness is refuted, never proved; the softmax translation as an exact move; tampered bounds, moves
and chains are rejected; ``symcert connect --model`` aligns B to A first (a hidden signed permutation:
a constant path at L(A))."""

from __future__ import annotations

import itertools
import json
from fractions import Fraction

import numpy as np
import pytest

pytest.importorskip("onnx")

from symcert.checker import check
from symcert.checker.reading import loads
from symcert.cli import main
from symcert.errors import SpecificationError
from symcert.models.onnx_import import load_onnx
from symcert.numeric.graph import float_loss
from symcert.proofs.graph_path import certify_graph_path, level_verdict
from tests.test_align_cli import _planted
from tests.test_graph_barrier import _other, _problem

TOL = Fraction(1, 20)


def _json(value):
    return loads(json.dumps(value))  # as the checker reads files


@pytest.fixture(scope="module")
def proved():
    """A -> C -> C -> B on the residual tanh net (the middle segment constant), proved to 1/20."""
    loss, A, B, data = _problem("residual")
    C = load_onnx(_other(data, 9)).params
    return loss, [A, C, C, B], certify_graph_path(loss, [A, C, C, B], tol=TOL)


def _grid(loss, points, n=33):
    """float64 values of L along the chain (an independent evaluation; evidence)."""
    out = []
    for P, Q in itertools.pairwise(points):
        for t in np.linspace(0, 1, n):
            out.append(float_loss(loss, {k: P[k] + (Q[k] - P[k]) * Fraction(t) for k in P}))
    return out


def test_round_trip_float64_grid_and_checker(proved):
    loss, points, result = proved
    assert result.proved and result.hi - result.lo <= TOL and len(result.segments) == 3
    assert result.segments[1].pieces == ((0, 1, result.segments[1].L_start[1]),)  # C -> C: constant
    grid = max(_grid(loss, points))
    assert float(result.lo) - 1e-9 <= grid <= float(result.hi) + 1e-9
    record = result.to_dict()
    assert record["kind"] == "path" and record["network"]["graph"]["format"] == "symcert-graph"
    assert len(record["parameters"]["chain"]) == 4 and record["parameters"]["curve"] == "chain"
    verdict = check(_json(record))
    assert verdict.accepted, verdict.reasons
    assert "along the whole path" in verdict.reasons[-1]
    for name in ("L(A)", "L(B)"):
        lo, hi = (Fraction(v) for v in record["enclosures"][name])
        assert lo <= verdict.enclosures[name][0] and verdict.enclosures[name][1] <= hi


def test_a_level_below_the_witness_is_refuted_never_proved(proved):
    _, _, result = proved
    assert level_verdict(result, result.hi) == "proved"
    assert level_verdict(result, result.lo - Fraction(1, 100)) == "refuted"
    assert level_verdict(result, (result.lo + result.hi) / 2) == "undecided"


def test_tampered_certificates_are_rejected(proved):
    _, _, result = proved
    record = result.to_dict()
    bad = json.loads(json.dumps(record))
    k = 0 if result.witness[0] == 0 else 2
    pieces = bad["parameters"]["segments"][k]["pieces"]
    i = max(range(len(pieces)), key=lambda j: Fraction(pieces[j][2]))  # the piece holding the maximum
    pieces[i][2] = str(Fraction(pieces[i][2]) - 1)
    verdict = check(_json(bad))
    assert not verdict.accepted and any("exceeds the claimed" in r for r in verdict.reasons)
    bad = json.loads(json.dumps(record))
    bad["parameters"]["segments"][1]["pieces"][0][2] = "0"  # the constant segment: L(C) > 0 there
    verdict = check(_json(bad))
    assert not verdict.accepted and any("segment 1 piece 0" in r for r in verdict.reasons)
    bad = json.loads(json.dumps(record))
    bad["enclosures"]["sup"][0] = str(Fraction(bad["enclosures"]["sup"][1]) + 1)  # lo above the max
    assert any("witness" in r for r in check(_json(bad)).reasons)
    bad = json.loads(json.dumps(record))
    bad["parameters"]["chain"][0] = bad["parameters"]["chain"][1]  # no longer starts at A
    assert any("must start at points.A" in r for r in check(_json(bad)).reasons)
    bad = json.loads(json.dumps(record))
    bad["parameters"]["segments"][0]["pieces"] = bad["parameters"]["segments"][0]["pieces"][1:]
    assert any("not at 0" in r for r in check(_json(bad)).reasons)
    bad = json.loads(json.dumps(record))
    bad["status"] = "undecided"
    assert not check(_json(bad)).accepted


def _translated(P, c):
    return {**P, "fc.bias": P["fc.bias"] + Fraction(c)}


def test_a_softmax_translation_is_an_exact_move_and_checks():
    """A -> A + c 1 on the logits' bias keeps the cross-entropy loss exactly (no pieces), then a straight
    segment to B; the checker re-checks the move by its exact structure."""
    loss, A, B, _ = _problem("residual")
    T = _translated(A, Fraction(3, 2))
    result = certify_graph_path(loss, [A, T, B], tol=TOL)
    first = result.segments[0]
    assert first.move == ("fc.bias", Fraction(3, 2)) and first.pieces == () and result.proved
    assert first.lo <= Fraction(float_loss(loss, A)) <= first.hi  # L(A), which L equals all along
    middle = {k: (A[k] + T[k]) / 2 for k in A}
    assert abs(float_loss(loss, middle) - float_loss(loss, A)) < 1e-12  # float evidence, a second way
    assert certify_graph_path(loss, [A, T, B], tol=TOL, moves=False).segments[0].move is None
    record = result.to_dict()
    assert record["parameters"]["segments"][0] == {
        "move": "translate",
        "parameter": "fc.bias",
        "shift": "3/2",
    }
    verdict = check(_json(record))
    assert verdict.accepted, verdict.reasons
    assert "1 exact moves" in verdict.reasons[-1]
    bad = json.loads(json.dumps(record))
    bad["parameters"]["segments"][0]["shift"] = "1"
    assert any("moves by exactly 1" in r for r in check(_json(bad)).reasons)
    bad = json.loads(json.dumps(record))
    bad["parameters"]["segments"][0]["parameter"] = "conv1.bias"
    assert any("bias of the dense node" in r for r in check(_json(bad)).reasons)
    bad = json.loads(json.dumps(record))
    bad["parameters"]["chain"][1]["fc.bias"][0] = "0"  # no longer the same shift in every entry
    assert any("moves by exactly" in r for r in check(_json(bad)).reasons)
    bad = json.loads(json.dumps(record))
    bad["loss"]["kind"] = "mse"  # the squared error of the logits changes under a translation
    assert any("only the cross-entropy loss" in r for r in check(_json(bad)).reasons)


def test_bad_input_is_refused():
    loss, A, _, _ = _problem("residual")
    with pytest.raises(SpecificationError, match="at least two points"):
        certify_graph_path(loss, [A])
    with pytest.raises(SpecificationError, match="parameter dicts"):
        certify_graph_path(loss, [A, 3])


def test_cli_connect_aligns_first_and_checks(tmp_path, capsys):
    """A hidden signed permutation: aligned, g(B) == A, so the path is constant and sup L = L(A);
    without alignment the straight segment A -> B is bounded by pieces, and a level below L(A) is refuted."""
    _, a, b = _planted(tmp_path)
    rng = np.random.default_rng(5)
    X = (rng.integers(0, 17, (4, 1, 5, 5)) / 16).astype(np.float32)
    np.savez(tmp_path / "d.npz", X=X, y=np.arange(4) % 2)
    out = tmp_path / "path.json"
    argv = ["connect", "--model", a, "--model", b, "--data", str(tmp_path / "d.npz")]
    argv += ["--loss", "cross_entropy", "--tol", "1/4", "--quiet"]
    assert main([*argv, "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Alignment: g = " in printed and "Path A -> g(B): sup L in [" in printed
    record = json.loads(out.read_text())
    assert record["enclosures"]["sup"] == record["enclosures"]["L(A)"]  # constant: exactly L(A)'s enclosure
    assert main(["check", str(out)]) == 0
    capsys.readouterr()
    argv += ["--no-align", "--level", "4/5", "--json", str(out)]  # 4/5 is below L(A) = 0.885...
    assert main([*argv, "--via", b]) == 1  # A -> C1 = B -> B: the second segment constant
    printed = capsys.readouterr().out
    assert "Path A -> C1 -> B:" in printed and "Level: L <= 4/5 along the whole path: refuted" in printed
    unaligned = json.loads(out.read_text())
    assert (
        len(unaligned["parameters"]["chain"]) == 3
        and len(unaligned["parameters"]["segments"][1]["pieces"]) == 1
    )
    sup = [Fraction(v) for v in unaligned["enclosures"]["sup"]]
    assert sup[1] > Fraction(record["enclosures"]["sup"][1])  # the unaligned segment rises above L(A)
    assert main(["check", str(out)]) == 0  # the enclosure itself is proved and checks
    capsys.readouterr()
    argv = argv[:9]  # connect --model a --model b --data d --loss cross_entropy
    assert main([*argv, "--element", "swap:1:0,1"]) == 2
    assert "--element is not available with ONNX models" in capsys.readouterr().err
    assert main(["connect", "--no-align"]) == 2
    capsys.readouterr()
    assert main([*argv[:5], "--data", str(tmp_path / "d.npz"), "--via", "c.json"]) == 2
    assert "every --via must be an ONNX file" in capsys.readouterr().err


def test_cli_connect_level_on_the_mlp_contrast(capsys):
    """--level applies to MLP paths too: the 1-2-1 barrier's sup (about 4.149) is below 5, above 4."""
    assert main(["connect", "--quiet", "--level", "5"]) == 0
    assert capsys.readouterr().out.count("Level: L <= 5 along the whole path: proved") == 2
    assert main(["connect", "--quiet", "--level", "4"]) == 1
    printed = capsys.readouterr().out
    assert "Level: L <= 4 along the whole path: refuted" in printed  # the straight segment
    assert "Level: L <= 4 along the whole path: proved" in printed  # the exact path, at L = 0


def test_cli_connect_level_says_undecided_when_a_cap_stopped_the_certificate(tmp_path, capsys):
    """A level above the enclosure is not "proved" while the certificate itself is undecided."""
    _, a, b = _planted(tmp_path)
    rng = np.random.default_rng(5)
    X = (rng.integers(0, 17, (4, 1, 5, 5)) / 16).astype(np.float32)
    np.savez(tmp_path / "d.npz", X=X, y=np.arange(4) % 2)
    argv = ["connect", "--model", a, "--model", b, "--data", str(tmp_path / "d.npz")]
    argv += ["--loss", "cross_entropy", "--no-align", "--tol", "1/1000000", "--max-pieces", "2"]
    argv += ["--level", "1000", "--quiet"]
    assert main(argv) == 1
    printed = capsys.readouterr().out
    expected = "Level: L <= 1000 along the whole path: holds on the enclosure, but the certificate is"
    assert expected in printed
    assert ": proved" not in printed.split("Level:")[1]
