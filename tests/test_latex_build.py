"""Real TeX: a ``prove --latex --pdf`` document compiles cleanly; TeX errors, undefined references
and missing figures fail with one readable line. Skips without TeX, except when CI is set."""

from __future__ import annotations

import subprocess

import pytest

from symcert.build.tex import compile_pdf, standalone_document, write_tex
from symcert.cli import main
from symcert.errors import TeXError


@pytest.fixture(scope="module")
def tex(require_tool):
    require_tool("pdflatex")
    require_tool("latexmk")
    return True


def _compile_body(tmp_path, body):
    source = write_tex(tmp_path / "doc.tex", standalone_document(body, title="Test"))
    return compile_pdf(source)


def test_prove_latex_pdf(tex, require_tool, tmp_path, monkeypatch, capsys):
    require_tool("pdftoppm")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").mkdir()  # output folders are not created: a missing one is refused before any work
    assert (
        main(["prove", "--kind", "all", "--latex", "out/derivation.tex", "--pdf", "out/derivation.pdf"]) == 0
    )
    out = capsys.readouterr().out
    assert "PDF written to out/derivation.pdf" in out
    text = (tmp_path / "out" / "derivation.tex").read_text(encoding="utf-8")
    assert text.count(r"\begin{theorem}") >= 6 and "Hence $L$ is not convex." in text
    pdf = tmp_path / "out" / "derivation.pdf"
    assert pdf.stat().st_size > 20_000
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["derivation.pdf", "derivation.tex"]
    subprocess.run(
        ["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True
    )
    assert (tmp_path / "page-1.png").stat().st_size > 5_000


def test_tex_error_is_one_readable_line(tex, tmp_path):
    with pytest.raises(TeXError) as caught:
        _compile_body(tmp_path, r"Some text. \undefinedmacro")
    message = str(caught.value)
    assert "\n" not in message
    assert "! Undefined control sequence." in message and "(line " in message and "doc.log" in message


def test_undefined_reference_fails(tex, tmp_path):
    with pytest.raises(TeXError, match="undefined reference 'thm:nowhere'"):
        _compile_body(tmp_path, r"See Theorem~\ref{thm:nowhere}.")


def test_missing_figure_fails(tex, tmp_path):
    with pytest.raises(TeXError, match=r"bump\.png"):
        _compile_body(tmp_path, r"\includegraphics{bump.png}")


def test_cli_reports_a_tex_error_with_exit_2(tex, tmp_path, monkeypatch, capsys):
    import symcert.cli.latex_output as latex_output

    real = latex_output.derivation_document
    monkeypatch.setattr(
        latex_output, "derivation_document", lambda *a: real(*a).replace("\\maketitle", "\\oops")
    )
    monkeypatch.chdir(tmp_path)
    assert main(["prove", "--latex", "d.tex", "--pdf", "d.pdf"]) == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith("symcert: error: TeX failed on d.tex: ! Undefined control sequence.")
