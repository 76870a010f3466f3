"""Student variants of permutation-saddles and linear-mode-connectivity: certified, reproducible,
well conditioned, graded; their numbers checked a second way. (The leak test is in test_variants.py.)"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
import sympy

from symcert import check
from symcert.handouts.grading import grade, parse_key, read_answers
from symcert.handouts.variant_text import MARGIN, shows_answer
from symcert.handouts.variants import key_exercises, key_page, variant_handout, variant_instance


def _key(exercises):
    return parse_key({"schema": "symcert-grading-key", "version": 1, "exercises": exercises})


def _middle(entry) -> Fraction:
    lo, hi = (Fraction(v) for v in entry["value"])
    return (lo + hi) / 2


def _statuses(exercises, answers: dict[str, str]) -> list[str]:
    key = _key(exercises)
    text = "student," + ",".join(answers) + "\ns," + ",".join(answers.values()) + "\n"
    return [g.status for g in grade(key, read_answers(text, key))]


@pytest.fixture(scope="module")
def saddle():
    return variant_handout("permutation-saddles", 17)


def test_saddle_variant_is_certified_and_reproducible(saddle):
    variant, handout = saddle
    assert variant_handout("permutation-saddles", 17)[1].document() == handout.document()
    assert variant.lam not in (0, 1, sympy.Rational(1, 2)) and variant.result.verdict.startswith("saddle")
    (certificate,) = handout.certificates()
    assert certificate.proved and check(certificate.to_dict()).accepted
    other = variant_instance(4242, "permutation-saddles")
    assert key_exercises(other) != key_exercises(variant)


def test_saddle_numbers_a_second_way(saddle):
    """The lifted weights from the narrow box by hand, L(theta*) by mpmath intervals at the centre."""
    from symcert.numeric.contexts import interval_context, lower, upper
    from symcert.numeric.evaluation import loss_in

    variant, _ = saddle
    narrow = variant.result.narrow
    v = Fraction(str(narrow.center.values[2]))  # W1, b1, W2, b2: the outgoing weight
    lam = Fraction(str(variant.lam))
    exercises = key_exercises(variant)
    for name, share in (("v_old", lam), ("v_new", 1 - lam)):
        ends = sorted(share * (v + s * narrow.radius) for s in (-1, 1))
        assert [Fraction(x) for x in exercises[name]["value"]] == ends, name
        assert abs(share * v) >= MARGIN
    enclosure = loss_in(interval_context(50), narrow.loss, narrow.center.values)
    lo, hi = (Fraction(x) for x in exercises["L_star"]["value"])
    assert lo <= Fraction(str(lower(enclosure))) and Fraction(str(upper(enclosure))) <= hi
    assert hi - lo < Fraction(1, 10**6) and lo >= Fraction(1, 20)
    n = variant.width
    assert int(exercises["lines"]["value"]) == (n - 1) * math.factorial(n) // 2


def test_saddle_variant_is_graded_and_keeps_its_answers_out(saddle):
    variant, handout = saddle
    exercises = key_exercises(variant)
    right = {
        "lines": exercises["lines"]["value"],
        "v_old": f"{float(_middle(exercises['v_old'])):.3f}",
        "v_new": f"{float(_middle(exercises['v_new'])):.3f}",
        "L_star": f"{float(_middle(exercises['L_star'])):.3f}",
    }
    assert _statuses(exercises, right) == ["correct"] * 4
    swapped = dict(right, v_old=right["v_new"], v_new=right["v_old"], lines=str(int(right["lines"]) + 1))
    assert _statuses(exercises, swapped) == ["wrong", "wrong", "wrong", "correct"]
    text = handout.document(solutions=False)
    assert r"\begin{figure}" not in text and r"$\lambda = %s$" % sympy.latex(variant.lam) in text
    assert not any(shows_answer(text, entry) for entry in exercises.values())
    assert shows_answer(handout.document(solutions=True), exercises["L_star"])  # the solutions do show it
    page = key_page(variant, "Ada")
    assert page.startswith(r"\section*{Ada: variant 17}") and "Worked solutions" in page


@pytest.fixture(scope="module")
def lmc():
    pytest.importorskip("sklearn")
    return variant_handout("linear-mode-connectivity", 17)


def test_lmc_variant_is_certified_and_reproducible(lmc):
    """Both barriers proved (one re-checked: the checker takes seconds at 310 parameters); the seed's
    trainings, run again, give the same exact points (the rest is exact arithmetic on them)."""
    from symcert.handouts.linear_mode_connectivity import _train

    variant, handout = lmc
    before, after = handout.certificates()
    assert before.proved and after.proved and before.A == after.A and before.B != after.B
    assert check(after.to_dict()).accepted
    assert (variant.seeds, variant.offset) != ((0, 1), 0)  # not the shipped pair
    first, second = (_train(seed, variant.offset) for seed in variant.seeds)
    assert (first.point, second.point) == (before.A, before.B)
    assert first.loss.data == before.loss.data


def test_lmc_numbers_a_second_way(lmc):
    """L(A), L(B) and the barriers re-enclosed from the points in Arb; the order from its formula."""
    from symcert.numeric.engine.api import loss_bounds, point_layout
    from symcert.numeric.engine.backends import ArbBackend

    variant, handout = lmc
    before, after = handout.certificates()
    exercises = key_exercises(variant)
    (a, _), (c, _) = (loss_bounds(ArbBackend(40), before.loss, point_layout(p)) for p in (before.A, before.B))
    t_lo, t_hi = (Fraction(x) for x in exercises["threshold"]["value"])
    assert t_lo <= abs(Fraction(a) - Fraction(c)) / 2 <= t_hi and t_lo >= Fraction(1, 50)
    r_lo, r_hi = (Fraction(x) for x in exercises["reduction"]["value"])
    lower_before, upper_after = Fraction(str(before.enclosures["barrier"][0])), after.enclosures["barrier"][1]
    assert r_lo == lower_before - Fraction(str(upper_after)) and r_lo >= MARGIN and r_lo < r_hi
    hidden = variant.widths[1:-1]
    assert int(exercises["order"]["value"]) == math.prod(math.factorial(n) * 2**n for n in hidden)


def test_lmc_variant_is_graded_and_keeps_its_answers_out(lmc):
    variant, handout = lmc
    exercises = key_exercises(variant)
    right = {
        "order": exercises["order"]["value"],
        "threshold": f"{float(_middle(exercises['threshold'])):.3f}",
        "reduction": f"{float(_middle(exercises['reduction'])):.2f}",
    }
    assert _statuses(exercises, right) == ["correct"] * 3
    wrong = dict(right, threshold=f"{float(_middle(exercises['threshold'])) * 2:.3f}", reduction="0")
    assert _statuses(exercises, wrong) == ["correct", "wrong", "wrong"]
    text = handout.document(solutions=False)
    assert r"\begin{figure}" not in text and "Variant 17" in handout.title
    assert not any(shows_answer(text, entry) for entry in exercises.values())
    assert r"\section*{Ada: variant 17}" in key_page(variant, "Ada")


def test_variant_documents_pass_the_tex_checks(saddle, lmc, require_tool, tmp_path):
    """The checks of test_tex_quality on the variants' own text (with solutions) and key pages; the
    saddle variant and its key page compiled without an overfull box (its vector of numbers, once)."""
    from symcert.build.tex import compile_pdf, layout_problems, write_tex
    from symcert.handouts.variants import key_document
    from tests.test_tex_quality import display_slips, leading_punctuation, long_fractions

    for variant, handout in (saddle, lmc):
        page = key_document([key_page(variant, "Ada Lovelace")], "key")
        for text in (handout.latex_body(solutions=True), page):  # the title's \\[4pt] is no display
            assert display_slips(text) == [] and long_fractions(text) == []
            assert leading_punctuation(text.splitlines()) == []
    require_tool("pdflatex")
    require_tool("latexmk")
    variant, handout = saddle
    page = key_document([key_page(variant, "Ada Lovelace")], "key")
    for name, text in (("variant", handout.document(solutions=True)), ("key", page)):
        tex = write_tex(tmp_path / f"{name}.tex", text)
        compile_pdf(tex, log_path=tmp_path / f"{name}.texlog")
        assert layout_problems((tmp_path / f"{name}.texlog").read_text(encoding="latin-1")) == [], name
