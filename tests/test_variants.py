"""Student variants: seeded, certified, well-conditioned, reproducible; class sets with an answer key.

Three seeds here (the suite's budget); twenty in benchmarks/bench_teach.py.
"""

from __future__ import annotations

import json
import re
import subprocess
from fractions import Fraction

import pytest

from symcert import check
from symcert.cli import main
from symcert.errors import SpecificationError
from symcert.handouts.classroom import read_roster, student_seed, write_class
from symcert.handouts.grading import grade, parse_key, read_answers
from symcert.handouts.variants import MARGIN, key_exercises, variant_handout, variant_instance

SEEDS = (0, 17, 4242)


@pytest.fixture(scope="module")
def variants():
    return {seed: variant_handout("permutation", seed) for seed in SEEDS}


def test_same_seed_same_tex_bytes(variants):
    for seed in SEEDS[:2]:
        again = variant_handout("permutation", seed)[1].document().encode()
        assert again == variants[seed][1].document().encode()


def test_different_seeds_give_different_numbers(variants):
    numbers = {seed: json.dumps(key_exercises(v)) for seed, (v, _) in variants.items()}
    assert len(set(numbers.values())) == len(SEEDS)
    teachers = {str(v.example.teacher) for v, _ in variants.values()}
    assert len(teachers) == len(SEEDS)
    assert len({h.document() for _, h in variants.values()}) == len(SEEDS)


def test_every_certificate_passes_the_independent_checker(variants):
    for variant, handout in variants.values():
        assert handout.certificates()
        for certificate in handout.certificates():
            assert certificate.proved
            assert check(certificate.to_dict()).accepted
        assert handout.certificates()[0].A == variant.example.teacher


def test_instances_are_well_conditioned_and_exact(variants):
    for variant, _ in variants.values():
        assert variant.gap_lower >= MARGIN
        lo, hi = (Fraction(str(v)) for v in variant.curvature)
        assert hi <= -MARGIN or lo >= MARGIN
        assert variant.sign == ("-" if hi < 0 else "+")
        w, v = variant.midpoint_entries()
        assert w != 0 and v != 0 and w.denominator <= 4 and v.denominator <= 4  # short rationals, by hand
        M = variant.example.teacher.midpoint(variant.example.element(variant.example.teacher))
        i, _ = variant.units
        arrays = M.arrays()
        assert (Fraction(arrays["W1"][i][0]), Fraction(arrays["W2"][0][i])) == (w, v)
        assert variant.example.loss.expr.xreplace(variant.example.teacher.as_dict()) == 0  # a global minimum
        for entry in key_exercises(variant).values():
            assert entry["hint"] and "\n" not in entry["hint"]


def test_the_key_grades_the_certified_answers_full_marks(variants):
    variant, _ = variants[17]
    exercises = key_exercises(variant)
    key = parse_key({"schema": "symcert-grading-key", "version": 1, "exercises": exercises})
    lo, hi = (Fraction(x) for x in exercises["L_M"]["value"])
    mid = (lo + hi) / 2
    w, v = variant.midpoint_entries()
    rounded = f"{round(float(mid), 3):.3f}"
    row = f"s,{variant.group_order},{w},{v},{rounded},{variant.sign}\n"
    answers = read_answers("student,order,M_w,M_v,L_M,sign\n" + row, key)
    assert [g.status for g in grade(key, answers)] == ["correct"] * 5
    wrong = f"s,{variant.group_order + 1},{w + 1},{v},{float(mid) + 0.01:.3f},{'+-'[variant.sign == '+']}\n"
    statuses = [g.status for g in grade(key, read_answers("student,order,M_w,M_v,L_M,sign\n" + wrong, key))]
    assert statuses == ["wrong", "wrong", "correct", "wrong", "wrong"]


def _overfull(pdflatex, directory, text):
    """Compile ``text`` once and return the TeX source lines of its overfull boxes."""
    directory.mkdir()
    (directory / "v.tex").write_text(text, encoding="utf-8")
    subprocess.run(
        [pdflatex, "-interaction=nonstopmode", "-halt-on-error", "v.tex"],
        cwd=directory,
        capture_output=True,
        timeout=180,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    log = (directory / "v.log").read_text(encoding="latin-1")
    assert (directory / "v.pdf").exists(), log[-2000:]
    found = re.findall(r"^Overfull \\[hv]box .*(?:at lines? (\d+))", log, re.M)
    assert len(found) == len(re.findall(r"^Overfull", log, re.M))
    return [int(n) for n in found]


def test_variants_compile_without_overfull_boxes(variants, require_tool, tmp_path):
    """No overfull box wider than 1pt or float too large in the whole variant (one pdflatex pass, so
    references are not resolved yet; the handout tests check those)."""
    from symcert.build.tex import layout_problems

    pdflatex = require_tool("pdflatex")
    for seed, (_, handout) in variants.items():
        _overfull(pdflatex, tmp_path / str(seed), handout.document(solutions=True))
        log = (tmp_path / str(seed) / "v.log").read_text(encoding="latin-1")
        problems = [p for p in layout_problems(log) if "Reference" not in p]
        assert problems == [], (seed, problems)


def test_class_set_in_parallel_and_its_key(tmp_path):
    roster = read_roster("student,seed\nAda Lovelace,17\nAlan Turing,\n")
    result = write_class("permutation", roster, tmp_path, pdf=False, workers=2)
    assert [name for name, _, _ in result.files] == ["Ada Lovelace", "Alan Turing"]
    ada = (tmp_path / "Ada_Lovelace.tex").read_text()
    assert r"\section*{Solutions}" not in ada and "Variant 17 for Ada Lovelace" in ada
    assert ada == variant_handout("permutation", 17, "Ada Lovelace")[1].document(solutions=False)
    key = json.loads(result.key.read_text())
    assert key["students"]["Ada Lovelace"]["seed"] == 17
    assert key["students"]["Alan Turing"]["seed"] == student_seed("Alan Turing")
    expected = key_exercises(variant_instance(17))
    assert key["students"]["Ada Lovelace"]["exercises"]["L_M"]["value"] == expected["L_M"]["value"]
    parsed = parse_key(key)
    assert parsed.students_only and set(parsed.students) == {"Ada Lovelace", "Alan Turing"}
    right = f"Ada Lovelace,{expected['order']['value']},{expected['sign']['value']}\n"
    grades = grade(parsed, read_answers("student,order,sign\n" + right, parsed))
    assert sum(g.points for g in grades) == 2 and parsed.total == 6


def test_cli_students_writes_pdfs_and_key(tmp_path, require_tool, capsys):
    require_tool("pdflatex")
    require_tool("latexmk")
    roster = tmp_path / "roster.csv"
    roster.write_text("student,seed\nAda Lovelace,17\n", encoding="utf-8")
    out = tmp_path / "class"
    assert main(["handout", "permutation", "--students", str(roster), "-o", str(out)]) == 0
    assert (out / "Ada_Lovelace.pdf").stat().st_size > 30_000
    answers = tmp_path / "answers.csv"
    answers.write_text("student,order\nAda Lovelace,0\n")
    assert main(["grade", str(out / "key.json"), str(answers), "-o", str(tmp_path / "s.csv")]) == 0
    assert "Ada Lovelace: 0/6" in capsys.readouterr().err


def test_roster_errors_and_variant_errors(tmp_path, capsys):
    with pytest.raises(SpecificationError, match="header 'student'"):
        read_roster("name\nx\n")
    with pytest.raises(SpecificationError, match="share the file name"):
        read_roster("student\nA B\nA/B\n")
    with pytest.raises(SpecificationError, match="seed must be a nonnegative integer"):
        read_roster("student,seed\nA,-3\n")
    assert [s.seed for s in read_roster("student,seed\nA,5\nB,\n", base=1)] == [5, student_seed("B", 1)]
    assert main(["handout", "sign-flip", "--seed", "3"]) == 2
    assert "student variants exist for the handouts permutation" in capsys.readouterr().err
