"""The ``course`` command: every handout, the tutorial notebook and a table of contents in one folder.

``symcert course -o DIR`` writes ``DIR/NAME.tex`` and ``DIR/NAME.pdf`` for every handout of the
catalogue, ``DIR/tutorial.ipynb`` (a copy of ``docs/tutorial.ipynb``) and ``DIR/index.html``, a plain
page linking each file with its title and a one-line description, ready for a course site. With
``--students ROSTER.csv`` it also writes, through the ``handout --students`` path
(:func:`symcert.handouts.classroom.write_class`), each student's variant of every handout that has
variants into ``DIR/variants/NAME/``; the answer keys (``key.json``, ``key.pdf``) go to
``DIR/instructor/NAME/``, listed by ``DIR/instructor/index.html`` and never by the public index.

>>> print(index_html("Course", [("Handouts", [("a b.pdf", "A & B", "Why <x>.")])]).splitlines()[6])
<li><a href="a%20b.pdf">A &amp; B</a> &mdash; Why &lt;x&gt;.</li>
"""

from __future__ import annotations

import argparse
import html
import json
import os
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from urllib.parse import quote

from symcert.cli.data_files import read_table
from symcert.cli.handout import plain_title
from symcert.cli.options import add_command
from symcert.cli.progress import progress_bar, quiet_flag
from symcert.cli.variants import _seed, _workers
from symcert.errors import SpecificationError

__all__ = ["add_course_parser", "run_course", "index_html", "tutorial_notebook"]

#: Where the tutorial notebook lives in a source checkout.
TUTORIAL = Path(__file__).resolve().parents[2] / "docs" / "tutorial.ipynb"  # beside the package
#: The files of a class set that hold answers: moved out of the public folder.
_KEY_FILES = ("key.json", "key.tex", "key.pdf")


def add_course_parser(commands: argparse._SubParsersAction) -> None:
    """Register ``symcert course``."""
    parser = add_command(
        commands,
        "course",
        purpose="Write a course folder: every handout as PDF, the tutorial and an index.html.",
        details="DIR gets NAME.tex and NAME.pdf for every handout ('symcert handout list'), "
        "tutorial.ipynb and index.html, a page linking each file with its title and what it is "
        "about. With --students ROSTER.csv also each student's variant of every handout that has "
        "variants (DIR/variants/NAME/STUDENT.pdf, without solutions or any graded answer) and the "
        "answer keys (DIR/instructor/NAME/key.json for 'symcert grade', key.pdf to read), linked "
        "from DIR/instructor/index.html only: publish DIR without its instructor folder.",
        examples=[
            ("symcert course -o course", "every handout, the tutorial and course/index.html"),
            ("symcert course -o course --students roster.csv", "plus each student's variants and the keys"),
            ("symcert course -o draft --handouts permutation,sign-flip --no-pdf", "two handouts, LaTeX only"),
        ],
        prints="each file written, then the number of handouts and variants and the seconds. "
        "Exit code 0, 2 on bad input or a TeX error.",
    )
    parser.add_argument("-o", "--output-dir", required=True, help="the course folder to write (created)")
    parser.add_argument(
        "--handouts",
        metavar="NAMES",
        default=None,
        help="comma-separated handouts to include (default: all, in reading order)",
    )
    parser.add_argument("--no-pdf", action="store_true", help="write the LaTeX only (no TeX needed)")
    parser.add_argument(
        "--no-solutions", action="store_true", help="leave the solutions out of the shared handouts"
    )
    parser.add_argument(
        "--students",
        metavar="ROSTER.csv",
        default=None,
        help="also each student's variant of every handout with variants (CSV header student[,seed]) "
        "and the answer keys in DIR/instructor/ (see 'symcert handout --help')",
    )
    parser.add_argument(
        "--seed",
        type=_seed,
        default=None,
        help="with --students: the base seed of the students' seeds (default 0)",
    )
    parser.add_argument("--workers", type=_workers, default=None, help="processes (default: the cores)")
    quiet_flag(parser)


def tutorial_notebook() -> Path | None:
    """The tutorial notebook of a source checkout, or ``None`` in an installed copy without ``docs/``."""
    return TUTORIAL if TUTORIAL.is_file() else None


def _notebook_title(path: Path) -> str:
    """The first heading of a notebook (its title), or a default."""
    try:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        first = "".join(cells[0]["source"]).lstrip()
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return "Tutorial notebook"
    return first.splitlines()[0].lstrip("# ").strip() if first.startswith("#") else "Tutorial notebook"


def index_html(title: str, sections: list[tuple[str, list[tuple[str, str, str]]]]) -> str:
    """A plain HTML page: ``title``, then per section a list of (link, title, description)."""
    lines = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    for heading, items in sections:
        lines += [f"<h2>{html.escape(heading)}</h2>", "<ul>"]
        lines += [
            f'<li><a href="{quote(link)}">{html.escape(name)}</a> &mdash; {html.escape(text)}</li>'
            for link, name, text in items
        ]
        lines.append("</ul>")
    lines += ["</body></html>", ""]
    return "\n".join(lines)


def _selected(text: str | None) -> tuple[str, ...]:
    from symcert.handouts import handout_names

    if text is None:
        return handout_names()
    names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    unknown = [n for n in names if n not in handout_names()]
    if unknown or not names:
        raise SpecificationError(
            f"--handouts takes names from {', '.join(handout_names())}, got {text[:80]!r}"
        )
    return names


def _shared_job(job: tuple[str, str, bool, bool]) -> tuple[str, str, str | None, int]:
    """Build, write and (optionally) compile one shipped handout; return its name and paths."""
    from symcert.build.tex import compile_pdf, write_tex
    from symcert.handouts import build_handout

    name, directory, pdf, solutions = job
    handout = build_handout(name)
    tex = write_tex(Path(directory) / f"{name}.tex", handout.document(solutions=solutions))
    out = compile_pdf(tex) if pdf else None
    proved = sum(c.proved for c in handout.certificates()) + sum(p.proved for p in handout.convexity_proofs())
    return name, str(tex), None if out is None else str(out), proved


def _check_inputs(args: argparse.Namespace, names: tuple[str, ...]) -> list:
    """Everything that can be refused before any work: TeX, scikit-learn, the roster."""
    if not args.no_pdf:
        from symcert.build.tex import tex_engine

        if tex_engine() is None:
            raise SpecificationError(
                "no TeX installed (pdflatex/latexmk not found); install TeX Live, or pass --no-pdf"
            )
    if "linear-mode-connectivity" in names:
        from symcert.models.digits import require_sklearn

        require_sklearn()
    if args.students is None:
        if args.seed is not None:
            raise SpecificationError("--seed sets the base seed of --students; give a roster with it")
        return []
    from symcert.handouts.classroom import read_roster

    return read_roster(read_table(args.students, "roster"), args.seed or 0)


def run_course(args: argparse.Namespace) -> int:
    """Write the course folder (see the module docstring)."""
    from symcert.handouts import handout_summary
    from symcert.handouts.classroom import write_class
    from symcert.handouts.variants import VARIANT_HANDOUTS

    start = time.perf_counter()
    names = _selected(args.handouts)
    students = _check_inputs(args, names)
    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    pdf = not args.no_pdf
    jobs = [(name, str(out), pdf, not args.no_solutions) for name in names]
    workers = max(1, min(args.workers or os.cpu_count() or 1, len(jobs)))
    if not args.quiet:
        print(f"Writing {len(jobs)} handouts to {out} ...", file=sys.stderr, flush=True)
    if workers == 1:
        built = [_shared_job(job) for job in jobs]
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            built = list(pool.map(_shared_job, jobs))
    handouts = []
    for name, tex, compiled, proved in built:
        title, summary = plain_title(_title(name)), handout_summary(name)
        print(f"Wrote {compiled or tex} ({proved} certified result(s))")
        if compiled:
            handouts.append((Path(compiled).name, title, summary))
        handouts.append((Path(tex).name, f"{title} (LaTeX source)", summary))
    sections = [("Handouts", handouts)]
    notebook = tutorial_notebook()
    if notebook is not None:
        shutil.copyfile(notebook, out / "tutorial.ipynb")
        print(f"Wrote {out / 'tutorial.ipynb'}")
        text = "The course in one notebook: open it in JupyterLab (pip install symcert[notebook])."
        sections.append(("Tutorial", [("tutorial.ipynb", _notebook_title(notebook), text)]))
    else:
        print(
            "symcert: note: no tutorial notebook in this installation (it is docs/tutorial.ipynb "
            "in the source)",
            file=sys.stderr,
        )
    keys = []
    for name in [n for n in names if n in VARIANT_HANDOUTS] if students else []:
        folder = out / "variants" / name
        if not args.quiet:
            print(f"Writing {len(students)} variants of {name} ...", file=sys.stderr, flush=True)
        with progress_bar(args, f"variants of {name}", unit="student") as bar:
            result = write_class(name, students, folder, pdf=pdf, workers=args.workers, progress=bar)
        own = []
        for student, tex_file, pdf_file in result.files:
            target = pdf_file or tex_file
            own.append((target.relative_to(out).as_posix(), student, f"{plain_title(_title(name))}, variant"))
            print(f"{student}: {target}")
        sections.append((f"Student variants: {name}", own))
        instructor = out / "instructor" / name
        instructor.mkdir(parents=True, exist_ok=True)
        for file in _KEY_FILES:
            if (folder / file).exists():
                os.replace(folder / file, instructor / file)
        print(
            f"Wrote {instructor / 'key.json'} (answer key; grade with: symcert grade "
            f"{instructor / 'key.json'} ANSWERS.csv)"
        )
        keys.append((f"{name}/key.json", f"{name}: answer key (JSON)", "for symcert grade"))
        if pdf:
            keys.append((f"{name}/key.pdf", f"{name}: answer key", "a page per student, worked solutions"))
    (out / "index.html").write_text(index_html("Course handouts", sections), encoding="utf-8")
    print(f"Wrote {out / 'index.html'}")
    if keys:
        warning = "Answer keys: do not publish this folder"
        (out / "instructor" / "index.html").write_text(
            index_html(warning, [("Keys", keys)]), encoding="utf-8"
        )
        print(f"Wrote {out / 'instructor' / 'index.html'}")
    variants = len(students) * sum(n in VARIANT_HANDOUTS for n in names)
    print(
        f"{len(names)} handouts, {variants} variants in {time.perf_counter() - start:.1f} s", file=sys.stderr
    )
    return 0


def _title(name: str) -> str:
    from symcert.handouts import describe_handout

    return describe_handout(name)
