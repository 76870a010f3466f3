"""Time the teaching tools: student variants, a class set in parallel, the tutorial notebook.

Run: ``python benchmarks/bench_teach.py`` (``--quick``: 5 seeds and 6 students).

Targets (issues 15 and 24, on the 2-core machine): a variant handout in under 5 s including its
certificates and the TeX build; a class of thirty students getting every handout with variants
(``VARIANT_HANDOUTS``: permutation, sign-flip, rescaling, permutation-saddles and
linear-mode-connectivity) as PDFs plus ``key.json`` and ``key.pdf`` in under 5 minutes, in parallel
over the cores (``--class-only`` times just that, with the CPU seconds: on a shared machine the wall
time measures the neighbours too); the tutorial notebook in under 60 s; ``symcert course
--students`` for thirty (every handout, the tutorial, the variants and the keys; ``--course-only``) in
under 5 minutes. Baseline, timed in the same run: the shipped ``permutation`` handout (the default
instance) built and compiled the same way; the ratio is variant / shipped.

For every seed it also checks what the issue asks of the variants: every certificate passes the
independent checker, two seeds give different numbers, the same seed gives the same bytes, and the
TeX log has no overfull box outside the invariance proof's displays (the shared renderer's; the
shipped handout has the same ones), none in the variant's own text.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from symcert import check
from symcert.build.tex import compile_pdf, standalone_document, write_tex
from symcert.handouts import build_handout
from symcert.handouts.classroom import Student, student_seed, write_class
from symcert.handouts.variants import VARIANT_HANDOUTS, key_exercises, variant_handout

ROOT = Path(__file__).resolve().parent.parent


def _overfull_lines(text: str, work: Path) -> list[int]:
    work.mkdir(parents=True, exist_ok=True)
    (work / "v.tex").write_text(text, encoding="utf-8")
    subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "v.tex"],
        cwd=work,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
        check=False,
    )
    log = (work / "v.log").read_text(encoding="latin-1")
    return [int(n) for n in re.findall(r"^Overfull \\[hv]box .*at lines? (\d+)", log, re.M)]


def _in_displays(text: str, lines: list[int]) -> bool:
    inside, depth = set(), 0
    for number, line in enumerate(text.splitlines(), start=1):
        depth += line.count(r"\begin{aligned}")
        if depth:
            inside.add(number)
        depth -= line.count(r"\end{aligned}")
    return all(n in inside for n in lines)


def baseline(work: Path) -> float:
    start = time.perf_counter()
    handout = build_handout("permutation")
    compile_pdf(write_tex(work / "shipped.tex", handout.document()))
    return time.perf_counter() - start


def _cpu() -> float:
    """CPU seconds of this process and its finished children (TeX): the time on an idle machine."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def variants(seeds: list[int], work: Path) -> dict:
    times, builds, cpus, numbers, problems = [], [], [], set(), []
    for seed in seeds:
        cpu = _cpu()
        start = time.perf_counter()
        variant, handout = variant_handout("permutation", seed)
        built = time.perf_counter() - start
        tex = write_tex(work / f"v{seed}.tex", handout.document())
        compile_pdf(tex)
        times.append(time.perf_counter() - start)
        cpus.append(_cpu() - cpu)
        builds.append(built)
        for certificate in handout.certificates():
            if not (certificate.proved and check(certificate.to_dict()).accepted):
                problems.append(f"seed {seed}: a certificate failed the checker")
        again = variant_handout("permutation", seed)[1].document()
        if again != handout.document():
            problems.append(f"seed {seed}: not reproducible")
        numbers.add(json.dumps(key_exercises(variant)))
        own = handout.__class__(handout.name, handout.title, "", "", handout.exercises)
        if _overfull_lines(standalone_document(own.latex_body(), own.title), work / f"own{seed}"):
            problems.append(f"seed {seed}: overfull box in the variant's own text")
        whole = handout.document()
        lines = _overfull_lines(whole, work / f"whole{seed}")
        if not _in_displays(whole, lines):
            problems.append(f"seed {seed}: overfull box outside the renderer's displays: lines {lines}")
    if len(numbers) != len(seeds):
        problems.append("two seeds gave the same numbers")
    return {"times": times, "builds": builds, "cpu": cpus, "problems": problems}


def class_sets(n: int, work: Path) -> dict[str, float]:
    """A class of ``n``: every handout with variants, one PDF per student plus key.json and key.pdf."""
    students = [Student(f"Student {k:02d}", student_seed(f"Student {k:02d}")) for k in range(n)]
    seconds = {}
    for name in VARIANT_HANDOUTS:
        result = write_class(name, students, work / f"class-{name}")
        assert (work / f"class-{name}" / "key.pdf").exists() and len(result.files) == n
        seconds[name] = result.seconds
    return seconds


def course(n: int, work: Path) -> float:
    """``symcert course -o DIR --students ROSTER`` for a class of ``n`` (a fresh process, output
    discarded): every handout, the tutorial, each student's variants and the keys. Wall seconds."""
    roster = work / "roster.csv"
    roster.write_text("student\n" + "".join(f"Student {k:02d}\n" for k in range(n)), encoding="utf-8")
    out = work / "course"
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "symcert", "course", "-o", str(out), "--students", str(roster)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - start
    written = sorted(out.glob("variants/*/*.pdf"))
    assert len(written) == n * len(VARIANT_HANDOUTS) and (out / "index.html").exists(), len(written)
    return seconds


def _report_course(students: int, work: Path) -> None:
    cpu = _cpu()
    seconds = course(students, work)
    cpu = _cpu() - cpu
    print(
        f"symcert course --students, {students} students (every handout, the tutorial, "
        f"{students * len(VARIANT_HANDOUTS)} variants, the keys) on {os.cpu_count()} cores: {seconds:.1f} s "
        f"wall (target < 300 s for 30); CPU {cpu:.1f} s, so about {cpu / (os.cpu_count() or 1):.0f} s on "
        f"idle cores; load average now {os.getloadavg()[0]:.1f}"
    )


def notebook() -> float:
    import nbclient
    import nbformat

    with tempfile.TemporaryDirectory() as spec_dir:
        spec = Path(spec_dir, "kernels", "python3")
        spec.mkdir(parents=True)
        argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        (spec / "kernel.json").write_text(
            json.dumps({"argv": argv, "display_name": "P", "language": "python"})
        )
        os.environ["JUPYTER_PATH"] = spec_dir
        nb = nbformat.read(ROOT / "docs" / "tutorial.ipynb", as_version=4)
        start = time.perf_counter()
        nbclient.NotebookClient(nb, kernel_name="python3", timeout=600).execute()
        return time.perf_counter() - start


def _report_class(students: int, work: Path) -> None:
    cpu = _cpu()
    seconds = class_sets(students, work)
    cpu = _cpu() - cpu
    each = ", ".join(f"{name} {t:.1f} s" for name, t in seconds.items())
    print(
        f"class of {students} students, every handout with variants ({each}) plus the keys, on "
        f"{os.cpu_count()} cores: {sum(seconds.values()):.1f} s wall (target < 300 s for 30); "
        f"CPU {cpu:.1f} s, so about {cpu / (os.cpu_count() or 1):.0f} s on idle cores; "
        f"load average now {os.getloadavg()[0]:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--class-only", action="store_true", help="only the class of 30 (6 with --quick)")
    parser.add_argument(
        "--course-only", action="store_true", help="only 'symcert course --students' for 30 (6 with --quick)"
    )
    args = parser.parse_args()
    seeds = list(range(5 if args.quick else 20))
    students = 6 if args.quick else 30
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        if args.class_only:
            _report_class(students, work)
            return
        if args.course_only:
            _report_course(students, work)
            return
        variant_handout("permutation", 999)  # warm up SymPy's caches, as in a CLI run after import
        base = baseline(work)
        print(f"shipped permutation handout (build + TeX): {base:.2f} s")
        result = variants(seeds, work)
        t, median = result["times"], statistics.median
        print(
            f"variant handout, {len(seeds)} seeds (build + certificates + TeX): median {median(t):.2f} s, "
            f"max {max(t):.2f} s wall (target < 5 s); CPU median {median(result['cpu']):.2f} s; "
            f"ratio to shipped {median(t) / base:.2f}; build alone {median(result['builds']):.2f} s"
        )
        print("checks:", "all passed" if not result["problems"] else "; ".join(result["problems"]))
        _report_class(students, work)
        _report_course(students, work)
    print(f"tutorial notebook: {notebook():.1f} s (target < 60 s)")


if __name__ == "__main__":
    main()
