"""The Coq trust story: the statement comes from the certificate, the proof from Coq, axioms by full name.

A disguised axiom, a module shadowing a library name, an edited data constant,
an edited definition of convexity and an ``Admitted`` are all rejected; the
file symcert writes for a certificate is accepted through ``check --coq``.
"""

from __future__ import annotations

import subprocess

import pytest

from symcert import certify_nonconvexity, default_example, write_json
from symcert.build.coq import check_coq
from symcert.build.coq_binding import check_coq_binding, skeleton
from symcert.build.coq_screen import assumption_commands, screen_source, trusted_axioms
from symcert.cli import main

# A false theorem "proved" with an axiom hidden in a module named like the standard library's.
SHADOWING = """Require Import Reals.
Open Scope R_scope.
Definition convex (f : R -> R) := forall x y t, 0 <= t <= 1 ->
  f (t * x + (1 - t) * y) <= t * f x + (1 - t) * f y.
Module ClassicalDedekindReals.
Axiom sig_forall_dec : False.
End ClassicalDedekindReals.
Theorem loss_not_convex : ~ convex (fun _ => 0).
Proof. intros _. exact ClassicalDedekindReals.sig_forall_dec. Qed.
"""


@pytest.fixture(scope="module")
def coqc(require_tool):
    return require_tool("coqc")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("coq-trust")
    example = default_example()
    certificate = certify_nonconvexity(example.loss, example.teacher, element=example.element)
    write_json(certificate, folder / "cert.json")
    (folder / "proof.v").write_text(certificate.to_coq(), encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (SHADOWING, "module"),
        ("Lemma t : False. Proof. Axiom cheat : False. exact cheat. Qed.", "axiom"),  # inside a proof
        ("Parameter cheat : False.", "axiom or parameter"),
        ("Hypothesis cheat : False.", "outside a section"),
        ("Variables (a : nat) (h : a = 1).", "outside a section"),
        ("Lemma t : False. Proof. admit. Admitted.", "admits"),
        ("Unset Guard Checking.", "kernel"),
        ('Lemma t : True. Proof. idtac "(*". exact I. Qed.', "string literal"),
    ],
)
def test_the_screen_refuses_assumptions_anywhere(text, problem):
    assert any(problem in p for p in screen_source(text)), screen_source(text)
    result = check_coq(text)  # refused before coqc runs, so no coqc is needed here
    assert not result.accepted and result.seconds == 0.0


def test_a_shadowing_module_resolves_to_the_files_own_path(coqc, tmp_path):
    """Past the text screen, the axiom still fails: Locate gives its full name, not the library's."""
    from symcert.build.coq import _allowed, parse_assumptions

    allowed = _allowed(coqc, 120.0)
    assert "Coq.Reals.ClassicalDedekindReals.sig_forall_dec" in allowed
    source = tmp_path / "shadow.v"
    source.write_text(SHADOWING + assumption_commands("loss_not_convex", allowed), encoding="utf-8")
    done = subprocess.run([coqc, "-q", source.name], cwd=tmp_path, capture_output=True, text=True, check=True)
    printed = parse_assumptions(done.stdout.split("No object of basename symcert_marker_0")[0])
    # The user's axiom takes the library's short name; the library's own one is printed qualified.
    assert "ClassicalDedekindReals.sig_forall_dec" in printed
    assert "Reals.ClassicalDedekindReals.sig_forall_dec" in printed
    assert trusted_axioms(done.stdout, printed, allowed) == ("ClassicalDedekindReals.sig_forall_dec",)


def test_a_standard_but_unlisted_axiom_is_not_trusted(coqc):
    text = (
        "Require Import Coq.Logic.ProofIrrelevance.\n"
        "Lemma same : forall (p q : True), p = q.\nProof. intros. apply proof_irrelevance. Qed.\n"
    )
    result = check_coq(text, theorem="same")
    assert result.returncode == 0 and not result.accepted
    assert result.user_axioms == ("proof_irrelevance",)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("{| W1_11 := 2;", "{| W1_11 := 3;"),  # a data constant: the teacher A (targets are its outputs)
        ("(f1 p (-2) - f1 A (-2)) ^ 2", "(f1 p (-3) - f1 A (-3)) ^ 2"),  # a data input x_i
        ("F (comb t p q) <= t * F p + (1 - t) * F q", "F (comb t p q) <= t * F p + t * F q"),  # convexity
        ("Theorem loss_not_convex : ~ convex (L tanh).", "Theorem loss_not_convex : True."),
    ],
    ids=["teacher-constant", "data-input", "convexity-definition", "theorem"],
)
def test_edited_statements_are_rejected(files, old, new):
    text = (files / "proof.v").read_text()
    assert text.count(old) >= 1, old
    edited = files / "edited.v"
    edited.write_text(text.replace(old, new, 1), encoding="utf-8")
    binding = check_coq_binding(files / "cert.json", edited)
    assert not binding.accepted and binding.coq is None  # refused before coqc runs
    assert "does not state what the certificate says" in binding.reasons[0]


def test_admitted_is_rejected_by_check_coq(files, capsys):
    text = (files / "proof.v").read_text()
    start = text.index("Proof.", text.index("Lemma margin"))
    end = text.index("Qed.", start) + len("Qed.")
    cheated = files / "cheated.v"
    cheated.write_text(text[:start] + "Admitted." + text[end:], encoding="utf-8")
    assert main(["check", str(files / "cert.json"), "--coq", str(cheated)]) == 1
    assert "REJECTED: Coq proof" in capsys.readouterr().out


def test_only_proof_scripts_may_differ():
    body, scripts = skeleton("Lemma a : 1 = 1. (* c *) Proof.  reflexivity.\nQed.")
    assert body == "Lemma a : 1 = 1. Proof. ... Qed." and scripts == ["reflexivity."]
    # A script that closes early and declares something after: the rest is statement, and must match.
    body, _ = skeleton("Lemma a : True. Proof. exact I. Qed. Lemma b : False. Proof. exact I. Qed.")
    assert body.count("Proof. ... Qed.") == 2 and "Lemma b : False." in body


def test_check_coq_accepts_the_exported_proof(coqc, files, capsys):
    code = main(["check", str(files / "cert.json"), "--coq", str(files / "proof.v")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "ACCEPTED: Coq proof" in out and "regenerated from the certificate" in out
