"""``symcert course``: every handout, the tutorial and an index.html in one folder; with a roster the
students' variants (through ``write_class``) and the keys, kept out of the public index."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from symcert.cli import main
from symcert.cli.course import index_html
from symcert.handouts import handout_names, handout_summary
from symcert.handouts.variants import variant_handout


def _links(index: Path) -> list[Path]:
    hrefs = re.findall(r'<a href="([^"]+)">', index.read_text(encoding="utf-8"))
    return [index.parent / unquote(h) for h in hrefs]


def _published(folder: Path) -> set[Path]:
    """The files a reader opens (not the LaTeX sources)."""
    return {p for p in folder.rglob("*") if p.suffix in {".pdf", ".ipynb", ".json", ".html"}}


def test_course_folder_without_roster_links_every_handout_and_the_tutorial(tmp_path, capsys):
    out = tmp_path / "course"
    assert main(["course", "-o", str(out), "--no-pdf"]) == 0
    links = _links(out / "index.html")
    assert all(link.is_file() for link in links)  # every link resolves
    assert {p.name for p in links} == {f"{n}.tex" for n in handout_names()} | {"tutorial.ipynb"}
    assert (out / "tutorial.ipynb").read_bytes() == (
        Path(__file__).parent.parent / "docs" / "tutorial.ipynb"
    ).read_bytes()
    page = (out / "index.html").read_text(encoding="utf-8")
    for name in handout_names():
        assert handout_summary(name).split("(")[0].strip()[:30] in page.replace("&#x27;", "'"), name
    assert not (out / "instructor").exists() and not (out / "variants").exists()
    assert "8 handouts, 0 variants" in capsys.readouterr().err


def test_course_with_a_two_student_roster_pdfs_variants_and_keys(tmp_path, require_tool):
    require_tool("pdflatex")
    require_tool("latexmk")
    roster = tmp_path / "roster.csv"
    roster.write_text("student,seed\nAda Lovelace,17\nAlan Turing,\n", encoding="utf-8")
    out = tmp_path / "course"
    argv = [
        "course",
        "-o",
        str(out),
        "--handouts",
        "permutation,convexity-baseline",
        "--students",
        str(roster),
    ]
    assert main(argv) == 0
    public, instructor = _links(out / "index.html"), _links(out / "instructor" / "index.html")
    assert all(link.is_file() for link in public + instructor)
    linked = {p for p in public + instructor if p.suffix != ".tex"}
    assert _published(out) == linked | {
        out / "index.html",
        out / "instructor" / "index.html",
    }
    assert {p.relative_to(out).as_posix() for p in public if p.suffix == ".pdf"} == {
        "permutation.pdf",
        "convexity-baseline.pdf",
        "variants/permutation/Ada_Lovelace.pdf",
        "variants/permutation/Alan_Turing.pdf",
    }
    assert not any("instructor" in p.parts or p.name.startswith("key") for p in public)  # answers stay out
    key = json.loads((out / "instructor" / "permutation" / "key.json").read_text())
    assert set(key["students"]) == {"Ada Lovelace", "Alan Turing"}
    assert (out / "instructor" / "permutation" / "key.pdf").stat().st_size > 10_000
    ada = (out / "variants" / "permutation" / "Ada_Lovelace.tex").read_text(encoding="utf-8")
    assert ada == variant_handout("permutation", 17, "Ada Lovelace")[1].document(solutions=False)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--handouts", "permutation,nope"], "--handouts takes names from"),
        (["--seed", "3"], "--seed sets the base seed of --students"),
        (["--students", "missing.csv"], "roster"),
    ],
)
def test_course_refuses_bad_input_before_any_work(tmp_path, capsys, argv, message):
    out = tmp_path / "course"
    assert main(["course", "-o", str(out), "--no-pdf", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_course_output_must_be_a_folder(tmp_path, capsys):
    (tmp_path / "f").write_text("x")
    assert main(["course", "-o", str(tmp_path / "f"), "--no-pdf"]) == 2
    assert "it is a file, not a folder" in capsys.readouterr().err


def test_index_escapes_titles_and_quotes_links():
    page = index_html("A <course>", [("S", [("a b&c.pdf", "T & U", "x")])])
    assert '<a href="a%20b%26c.pdf">T &amp; U</a>' in page and "<h1>A &lt;course&gt;</h1>" in page
