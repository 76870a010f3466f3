"""``--latex`` for graph barriers: the statement, the table of nodes, the partition table and the witness,
compiled by real TeX without layout defects (skips without TeX, fails when CI is set); the printer
prints the result's own numbers and recomputes nothing."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import numpy as np
import pytest

pytest.importorskip("onnx")

from symcert.build.tex import compile_pdf, layout_problems, standalone_document, write_tex
from symcert.cli import main
from symcert.printing.latex.display import decimal_bound
from symcert.printing.latex.graph_barrier import LISTED_PIECES, graph_barrier_document_body
from symcert.proofs.graph_barrier import certify_graph_barrier
from tests.test_graph_barrier import _other, _problem


@pytest.fixture(scope="module")
def tex(require_tool):
    require_tool("pdflatex")
    require_tool("latexmk")
    return True


@pytest.fixture(scope="module")
def residual():
    loss, A, B, data = _problem("residual")
    return loss, A, B, data, certify_graph_barrier(loss, A, B, tol=Fraction(1, 20))


def test_the_fragment_states_the_claim_and_prints_the_results_own_numbers(residual, monkeypatch):
    loss, A, _, _, result = residual

    def refuse(*args, **kwargs):
        raise AssertionError("the printer recomputed an enclosure")

    for name in ("phi_point", "phi_range", "segment_bounds", "_Oracle"):
        monkeypatch.setattr(f"symcert.proofs.graph_barrier.{name}", refuse)
    text = result.to_latex()
    assert text.startswith(r"\begin{theorem}[Loss barrier between two layer-graph networks]")
    assert decimal_bound(result.hi, 12, "up") in text and decimal_bound(result.lo, 12, "down") in text
    assert text.count(r"\\") >= len(result.pieces) + len(loss.graph.nodes)  # a row per piece and node
    assert (
        r"\texttt{skip}" in text
        and "mean-value form" in text
        and "t = %d/%d"
        % (
            result.witness.numerator,
            result.witness.denominator,
        )
        in text
    )
    many = replace(result, pieces=tuple((Fraction(k, 64), Fraction(k + 1, 64), result.hi) for k in range(64)))
    text = many.to_latex()
    assert "64 pieces partition" in text and text.count(r"$ & $") == 2 * LISTED_PIECES + 2  # and the header
    same = replace(result, B=A, exact=True, lo=Fraction(0), hi=Fraction(0))
    assert "the barrier is exactly $0$" in same.to_latex()


def test_the_report_compiles_without_layout_defects(tex, residual, tmp_path):
    *_, result = residual
    many = replace(result, pieces=tuple((Fraction(k, 64), Fraction(k + 1, 64), result.hi) for k in range(64)))
    body = graph_barrier_document_body([("before alignment", result), ("after alignment", many)], 15)
    source = write_tex(tmp_path / "report.tex", standalone_document(body, "Graph barrier"))
    log = tmp_path / "report.texlog"
    pdf = compile_pdf(source, log_path=log)
    assert pdf.stat().st_size > 20_000
    assert layout_problems(log.read_text(encoding="latin-1")) == []


def test_cli_latex_and_pdf(tex, residual, tmp_path, capsys):
    loss, _, _, data, _ = residual
    (tmp_path / "a.onnx").write_bytes(data)
    (tmp_path / "b.onnx").write_bytes(_other(data, 7))
    np.savez(tmp_path / "d.npz", X=np.asarray(loss.X, dtype=np.float32), y=np.arange(len(loss.X)) % 2)
    argv = ["barrier", "--model", str(tmp_path / "a.onnx"), "--model", str(tmp_path / "b.onnx")]
    argv += ["--data", str(tmp_path / "d.npz"), "--loss", "cross_entropy", "--tol", "1/20", "--quiet"]
    tex_path, pdf_path = tmp_path / "b.tex", tmp_path / "b.pdf"
    assert main([*argv, "--latex", str(tex_path), "--pdf", str(pdf_path)]) == 0
    out = capsys.readouterr().out
    assert f"PDF written to {pdf_path}" in out and pdf_path.stat().st_size > 20_000
    text = tex_path.read_text(encoding="utf-8")
    assert r"\begin{tabular}" in text and "The lower end" in text and r"\end{document}" in text
    assert main([*argv, "--pdf", str(pdf_path)]) == 2
    assert "--pdf needs --latex" in capsys.readouterr().err
    assert main([*argv, "--latex", str(tmp_path / "missing" / "b.tex")]) == 2  # refused before any work
    assert "does not exist" in capsys.readouterr().err
