"""Student variants: seeded, certified, well-conditioned, reproducible; class sets with an answer key.

Three seeds here (the suite's budget); twenty in benchmarks/bench_teach.py.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
from fractions import Fraction

import pytest

from symcert import check
from symcert.cli import main
from symcert.errors import SpecificationError
from symcert.handouts.classroom import read_roster, student_seed, write_class
from symcert.handouts.grading import grade, parse_key, read_answers
from symcert.handouts.variants import (
    MARGIN,
    VARIANT_HANDOUTS,
    key_exercises,
    key_page,
    variant_handout,
    variant_instance,
)

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
    assert main(["handout", "seed-argument", "--seed", "3"]) == 2
    assert (
        "student variants exist for the handouts permutation, sign-flip, rescaling" in capsys.readouterr().err
    )


# --- The leak test: a student's PDF holds no graded answer in any printed form -------------------

_TOKEN = re.compile(r"-?\d+(?:\.\d+)?(?:/\d+)?")


def _significant(text: str) -> int:
    return len(text.replace("-", "").replace(".", "").lstrip("0"))


def printed_forms(value: Fraction, *, exact: bool = False) -> set[str]:
    """How ``value`` may be printed: exact (``p/q``, and ``pq`` as pdftotext reads a stacked
    fraction) and as a terminating decimal; unless ``exact`` (an answer graded exactly, which no
    rounding answers), also every rounding (down, up, nearest) to 0..12 places with at least 3
    significant digits (shorter ones occur in any text). Each with and without a sign."""
    p, q = abs(value.numerator), value.denominator
    forms = {f"{p}/{q}", f"{p}{q}"} if q != 1 else {str(p)}
    for digits in range(13):
        scaled = abs(value) * 10**digits
        down, up = scaled.numerator // scaled.denominator, -(-scaled.numerator // scaled.denominator)
        for n in {down, up, int(scaled + Fraction(1, 2))}:
            whole, frac = divmod(n, 10**digits)
            text = f"{whole}.{frac:0{digits}d}" if digits else str(whole)
            stripped = text.rstrip("0").rstrip(".") if "." in text else text
            if exact and scaled.denominator == 1:
                forms |= {text, stripped}
            elif not exact and _significant(text) >= 3:  # "2.00" is a rounding of 2.0063, "2" is not
                forms |= {text} | ({stripped} if _significant(stripped) >= 3 else set())
    return forms | {"-" + f for f in forms}


def leaked(text: str, entry: dict, tolerance: str | None) -> list[str]:
    """The tokens of ``text`` that print the graded answer of one key entry (or its certified source)."""
    tokens = set(_TOKEN.findall(text.replace("\u2212", "-").replace("- ", "-")))
    found = set()
    value = entry["value"]
    if isinstance(value, list) or "certified" in entry:
        lo, hi = (Fraction(v) for v in (entry["certified"] if "certified" in entry else value))
        slack = Fraction(tolerance or "0")
        for bound in (lo, hi):
            found |= tokens & printed_forms(bound)
        for token in tokens:  # any number the grader would accept (or that pins the certified value)
            if "." in token and _significant(token) >= 3 and lo - slack <= Fraction(token) <= hi + slack:
                found.add(token)
    elif value not in ("+", "-"):
        found |= tokens & printed_forms(Fraction(value), exact=True)
    return sorted(found)


def curvature_figures(source: str, t0: Fraction) -> list[str]:
    """The plots in the LaTeX ``source`` whose sampled points around ``t0`` show the curvature there."""
    shown = []
    for block in re.findall(r"coordinates\s*\{([^}]*)\}", source):
        xs = [Fraction(x) for x, _ in re.findall(r"\(\s*(-?[\d.eE+-]+)\s*,\s*(-?[\d.eE+-]+)\s*\)", block)]
        near = [x for x in xs if abs(x - t0) <= Fraction(1, 4)]
        if len(near) >= 3 and min(near) <= t0 <= max(near):
            shown.append(block[:60])
    return shown


def test_leak_detector_finds_printed_answers():
    """The detector itself: each way an answer used to be printed is caught."""
    interval = {"value": ["3018958681/1000000000", "3018958682/1000000000"]}
    assert leaked("L(M) ∈ [3.0189586814, 3.0189586815]", interval, "1/1000")
    assert leaked("a mark at (axis cs:0.5,3.01896) {$M$}", interval, "1/1000")
    assert not leaked("L(A) = 0 and y 3.2 and 2.98257", interval, "1/1000")
    near_two = {"value": ["2006/1000", "2028/1000"]}  # rounds to "2.00", which strips to a bare "2"
    assert leaked("the barrier drops by 2.01", near_two, "1/100") == ["2.01"]
    assert leaked("the barrier drops by 2.00", near_two, "1/100") == ["2.00"]
    assert not leaked("Exercise 2: take 2 points", near_two, "1/100")
    assert leaked("W (1) = 14 , W (2) = − 54", {"value": "-5/4"}, None)
    assert leaked("M_v = -1.25", {"value": "-5/4"}, None)
    sign = {"value": "-", "certified": ["-73.416557", "-73.416556"]}
    assert leaked("phi''(1/2) in [-73.4166, -73.4165]", sign, None)
    assert not leaked("Is phi''(0) positive or negative?", sign, None)
    plot = r"\addplot coordinates {(0.4,1.0) (0.45,1.1) (0.5,1.15) (0.55,1.1) (0.6,1.0)};"
    assert curvature_figures(plot, Fraction(1, 2)) and not curvature_figures(plot, Fraction(-2))


#: Students per handout in the leak test: the slower families (a float search, two trainings) build fewer.
_LEAK_ROSTERS = {
    "permutation-saddles": "Ada Lovelace,17\nAlan Turing,4242\n",
    "linear-mode-connectivity": "Ada Lovelace,17\n",
}


@pytest.mark.parametrize("handout", VARIANT_HANDOUTS)
def test_leak_no_graded_answer_in_any_variant_pdf(handout, tmp_path, require_tool):
    """Extract the text of every student's PDF (pdftotext) and the source of its figures; no graded
    value of key.json (nor the certified enclosure a sign comes from) appears in any printed form, and
    no figure samples phi around the point where its curvature is asked."""
    require_tool("pdflatex")
    require_tool("latexmk")
    pdftotext = require_tool("pdftotext")
    if handout == "linear-mode-connectivity":
        pytest.importorskip("sklearn")
    rows = _LEAK_ROSTERS.get(handout, "Ada Lovelace,17\nAlan Turing,4242\nGrace Hopper,0\n")
    roster = read_roster("student,seed\n" + rows)
    result = write_class(handout, roster, tmp_path, workers=2)
    key = json.loads(result.key.read_text())
    assert len(result.files) == len(roster)
    assert len(key["students"]) == len(roster) and (tmp_path / "key.pdf").exists()
    for name, tex, pdf in result.files:
        text = subprocess.run([pdftotext, str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        source = tex.read_text(encoding="utf-8")
        figures = "\n".join(re.findall(r"\\begin\{tikzpicture\}.*?\\end\{tikzpicture\}", source, re.S))
        own = key["students"][name]["exercises"]
        for identifier, entry in own.items():
            tolerance = entry.get("tolerance")
            assert leaked(text, entry, tolerance) == [], (name, identifier, "in the PDF text")
            assert leaked(figures, entry, tolerance) == [], (name, identifier, "in a figure's source")
        if handout in ("permutation", "sign-flip"):  # the others ask no curvature (and have no figure)
            t0 = variant_instance(key["students"][name]["seed"], handout).t0
            assert curvature_figures(source, Fraction(str(t0))) == [], name
        else:
            assert r"\begin{tikzpicture}" not in source, name


def test_class_key_has_no_student_numbers_at_top_level_and_a_key_pdf(tmp_path, require_tool):
    require_tool("pdflatex")
    require_tool("latexmk")
    pdftotext = require_tool("pdftotext")
    roster = read_roster("student,seed\nAda Lovelace,17\nAlan Turing,4242\n")
    result = write_class("permutation", roster, tmp_path, workers=2)
    key = json.loads(result.key.read_text())
    for entry in key["exercises"].values():
        assert set(entry) <= {"kind", "points", "tolerance"}, entry
    for student in key["students"].values():
        lo, hi = (Fraction(v) for v in student["exercises"]["L_M"]["value"])  # exact
        shown = student["exercises"]["L_M"]["decimal"]
        low, high = (Fraction(v) for v in shown.strip("[]").split(", "))
        assert low <= lo <= hi <= high  # the decimal beside it is rounded outward
        midpoint = student["exercises"]["M_w"]
        assert Fraction(midpoint["value"]) == Fraction(midpoint["decimal"])
    parse_key(key)
    pages = subprocess.run(
        [pdftotext, str(tmp_path / "key.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout.split("\f")
    pages = [page for page in pages if page.strip()]
    assert len(pages) == 2  # one page per student (the title on the first)
    assert "Ada Lovelace: variant 17" in pages[0] and "Alan Turing: variant 4242" in pages[1]
    assert "Worked solutions" in pages[1]


def test_sign_flip_variants_are_certified_reproducible_and_graded():
    variant, handout = variant_handout("sign-flip", 17)
    assert variant_handout("sign-flip", 17)[1].document() == handout.document()
    assert variant_instance(17, "sign-flip") == variant and variant != variant_instance(17)
    assert variant.gap_lower >= MARGIN and abs(variant.curvature_sign_bound) >= MARGIN
    (certificate,) = handout.certificates()
    assert certificate.proved and check(certificate.to_dict()).accepted
    assert str(certificate.element).startswith("flip:1:")
    hidden = variant.order_widths[1:-1]
    assert variant.group_order == math.prod(math.factorial(k) * 2**k for k in hidden)
    exercises = key_exercises(variant)
    assert set(exercises) == {"order", "L_M", "sign"}
    key = parse_key({"schema": "symcert-grading-key", "version": 1, "exercises": exercises})
    lo, hi = (Fraction(x) for x in exercises["L_M"]["value"])
    row = f"s,{variant.group_order},{float((lo + hi) / 2):.3f},{variant.sign}\n"
    assert [g.status for g in grade(key, read_answers("student,order,L_M,sign\n" + row, key))] == [
        "correct"
    ] * 3
    text = handout.document(solutions=False)
    assert r"\begin{figure}" not in text and "Certified numbers" not in text and r"\[ B = gA:" in text


def test_rescaling_variants_are_certified_reproducible_and_graded():
    variant, handout = variant_handout("rescaling", 17)
    assert variant_handout("rescaling", 17)[1].document() == handout.document()
    assert variant_instance(17, "rescaling") == variant != variant_instance(4242, "rescaling")
    assert variant.gap_lower >= MARGIN
    (certificate,) = handout.certificates()
    assert certificate.proved and check(certificate.to_dict()).accepted
    assert str(certificate.element).startswith("rescale:1:0:")
    a, c = variant.weights
    alpha = variant.alpha
    B = variant.example.element(variant.example.teacher).arrays()
    assert (Fraction(B["W1"][0][0]), Fraction(B["W2"][0][0])) == (alpha * a, c / alpha)  # a second way
    assert variant.midpoint_entries() == ((a + alpha * a) / 2, (c + c / alpha) / 2)
    assert variant.example.loss.expr.xreplace(variant.example.teacher.as_dict()) == 0  # a global minimum
    exercises = key_exercises(variant)
    assert set(exercises) == {"M_a", "M_c", "L_M", "dQ"}
    key = parse_key({"schema": "symcert-grading-key", "version": 1, "exercises": exercises})
    m_a, m_c = variant.midpoint_entries()
    exact_lm = sum(((m_a * m_c - a * c) * Fraction(str(x[0]))) ** 2 for x in variant.example.loss.data.xs) / 3
    lo, hi = (Fraction(v) for v in exercises["L_M"]["value"])
    assert lo <= exact_lm <= hi  # the certified enclosure holds the value computed by hand
    row = f"s,{m_a},{m_c},{float(exact_lm):.3f},{variant.q_change()}\n"
    grades = grade(key, read_answers("student,M_a,M_c,L_M,dQ\n" + row, key))
    assert [g.status for g in grades] == ["correct"] * 4
    text = handout.document(solutions=False)
    assert r"\begin{figure}" not in text and "Certified numbers" not in text and r"\[ B = gA:" in text
    assert r"\section*{Ada" in key_page(variant, "Ada") and "Worked solutions" in key_page(variant, "Ada")
