"""The linear-mode-connectivity handout: trained networks, certified barriers, TeX without overfull boxes.

(test_handouts.py re-checks its certificates with the independent checker, as for every handout.)
"""

from __future__ import annotations

import subprocess

import pytest

from symcert.handouts import build_handout

pytest.importorskip("sklearn")


@pytest.fixture(scope="module")
def handout():
    return build_handout("linear-mode-connectivity")


def test_barriers_before_and_after_alignment_are_certified(handout):
    before, after = handout.certificates()
    assert before.kind == after.kind == "barrier" and before.proved and after.proved
    assert before.A == after.A and before.B != after.B  # after: A and g(B)
    assert before.loss.mlp.widths == (64, 4, 10)
    assert (
        after.enclosures["barrier"][1] < before.enclosures["barrier"][0]
    )  # alignment certifiably lowers the barrier for these two networks
    text = handout.document()
    assert r"\begin{figure}" in text and "after alignment" in text and "(proved: $g(B)$" in text


def test_the_exercise_on_lower_ends_respects_the_form(handout):
    exercise = next(e for e in handout.exercises if "lower end" in e.question)
    assert "midpoint form" in exercise.question
    assert "only when $L(A) = L(B)$" in exercise.solution and "|L(A) - L(B)|/2" in exercise.solution


def test_compiles_with_real_tex_without_overfull_boxes(handout, require_tool, tmp_path):
    require_tool("pdflatex")
    (tmp_path / "lmc.tex").write_text(handout.document(), encoding="utf-8")
    for _ in range(2):  # references settle on the second run
        subprocess.run(
            ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "lmc.tex"],
            cwd=tmp_path,
            capture_output=True,
            check=False,
            timeout=120,
        )
    log = (tmp_path / "lmc.log").read_text(encoding="latin-1")
    assert (tmp_path / "lmc.pdf").stat().st_size > 30_000
    problems = [line for line in log.splitlines() if line.startswith(("!", "Overfull", "LaTeX Warning"))]
    assert problems == []


def test_the_loss_is_written_as_mathematics(handout):
    """No Python spelling of the loss, no raw 40-digit weight decay: alpha/(2n), exactly and in decimals."""
    text = handout.document()
    assert "cross\\_entropy" not in text and "(sum of squared weights)" not in text
    assert "7378697629483821/14757395258967641292800" not in text
    assert r"\frac{\alpha}{2n} \sum_{w \in \text{weights}} w^2" in text
    assert r"\alpha/(2n) \approx 5.000000000 \times 10^{-7}" in text
    assert r"exactly $7378697629483821/2^{66}$" in text  # the double nearest to 1e-4, as scikit-learn has it
    assert r"\lambda \approx 5.000000000 \times 10^{-7}" in text  # in both theorems


def test_one_plural(handout):
    text = handout.document()
    assert "network (310 parameters, softmax output) networks" not in text
    assert r"Two $64$-$4$-$10$ $\tanh$ networks (310 parameters each, softmax output) were trained" in text
