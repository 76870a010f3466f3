"""The shipped handouts are the project's proof library: each one compiles with real TeX, has every
part a handout needs, and every certificate in it is re-checked by the independent checker."""

from __future__ import annotations

import subprocess
import time

import pytest

from symcert import check
from symcert.cli import main
from symcert.handouts import build_handout, handout_names
from symcert.proofs.latex_display import interval_latex

NAMES = handout_names()


@pytest.fixture(scope="module")
def handouts():
    """Every handout, built once."""
    return {name: build_handout(name) for name in NAMES}


@pytest.fixture(scope="module")
def compiled(require_tool, tmp_path_factory):
    """Every handout written and compiled through the CLI, once per module: {name: (tex, pdf, seconds)}."""
    require_tool("pdflatex")
    require_tool("latexmk")
    directory = tmp_path_factory.mktemp("handouts")
    out = {}
    for name in NAMES:
        start = time.perf_counter()
        assert main(["handout", name, "-o", str(directory), "--pdf"]) == 0
        out[name] = (directory / f"{name}.tex", directory / f"{name}.pdf", time.perf_counter() - start)
    return out


def test_catalogue_names():
    assert NAMES == (
        "convexity-baseline",
        "permutation",
        "sign-flip",
        "seed-argument",
        "rescaling",
        "linear-mode-connectivity",
    )


def test_handout_list(capsys):
    assert main(["handout", "list"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in NAMES)


def test_unknown_handout_exits_2(capsys):
    assert main(["handout", "no-such-handout"]) == 2
    assert "the handouts are convexity-baseline" in capsys.readouterr().err


@pytest.mark.parametrize("name", NAMES)
def test_every_certificate_is_rechecked(handouts, name):
    handout = handouts[name]
    certificates = handout.certificates()
    if name == "convexity-baseline":
        assert not certificates and len(handout.convexity_proofs()) == 2
        assert all(proof.proved for proof in handout.convexity_proofs())
        return
    assert certificates
    for certificate in certificates:
        assert certificate.proved
        result = check(certificate.to_dict())
        assert result.accepted, result.reasons


@pytest.mark.parametrize("name", NAMES)
def test_handout_has_every_part(handouts, name):
    handout = handouts[name]
    text = handout.document()
    for piece in (
        r"\section*{Motivation}",
        r"\begin{definition}",
        r"\begin{theorem}",
        r"\begin{proof}",
        r"\begin{figure}",
        r"\begin{axis}",
        r"\section*{Exercises}",
        r"\section*{Solutions}",
    ):
        assert piece in text, piece
    assert 2 <= len(handout.exercises) <= 3
    assert r"\includegraphics" not in text  # figures are drawn from computed values
    for certificate in handout.certificates():  # the certified numbers are printed, rounded outward
        for bounds in certificate.enclosures.values():
            assert interval_latex(bounds, 10) in text
    without = handout.document(solutions=False)
    assert r"\section*{Solutions}" not in without and r"\begin{exercise}" in without


@pytest.mark.parametrize("name", NAMES)
def test_handout_compiles(compiled, name):
    tex, pdf, seconds = compiled[name]
    assert tex.exists() and pdf.stat().st_size > 30_000
    assert not tex.with_suffix(".log").exists()  # only kept when TeX failed
    assert seconds < 30


def test_a_page_has_content(compiled, require_tool, tmp_path):
    require_tool("pdftoppm")
    _, pdf, _ = compiled["permutation"]
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "p")], check=True
    )
    assert (tmp_path / "p-1.png").stat().st_size > 10_000
    subprocess.run(
        ["pdftoppm", "-gray", "-r", "30", "-f", "5", "-l", "5", str(pdf), str(tmp_path / "g")], check=True
    )
    pixels = _pgm_pixels((tmp_path / "g-5.pgm").read_bytes())
    dark = sum(1 for value in pixels if value < 200)
    assert dark > 0.02 * len(pixels)  # a page with a figure on it, not a blank page


def _pgm_pixels(data: bytes) -> bytes:
    fields, position = [], 0
    while len(fields) < 4:
        while data[position : position + 1].isspace():
            position += 1
        if data[position : position + 1] == b"#":
            position = data.index(b"\n", position) + 1
            continue
        end = position
        while not data[end : end + 1].isspace():
            end += 1
        fields.append(data[position:end])
        position = end
    assert fields[0] == b"P5"
    return data[position + 1 :]
