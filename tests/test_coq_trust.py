"""The Coq trust story: the statement comes from the certificate, the proof from Coq, axioms by full name.

A disguised axiom, a module shadowing a library name, an edited data constant,
an edited definition of convexity and an ``Admitted`` are all rejected; so are
the false theorems a section can produce (the ``Qed .`` trick, a section
``Hypothesis``, a section ``Context``, a ``Let`` that redefines convexity, an
extra premise), both by the text (Coq's lexical rules, each refusal naming its
line) and, with the text checks bypassed, by the kernel, which checks the
theorem against the statement regenerated from the certificate. The file
symcert writes for a certificate is accepted through ``check --coq``.
"""

from __future__ import annotations

import re
import subprocess

import pytest

from symcert import certify_nonconvexity, default_example, write_json
from symcert.build.coq import PROOF_MODULE, check_coq
from symcert.build.coq_binding import check_coq_binding, skeleton
from symcert.build.coq_lexer import sentences
from symcert.build.coq_screen import assumption_commands, screen_script, screen_source, trusted_axioms
from symcert.cli import main
from symcert.errors import CoqError
from symcert.printing.coq import THEOREM
from symcert.printing.coq.statement import statement_to_coq

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
def certificate():
    example = default_example()
    return certify_nonconvexity(example.loss, example.teacher, element=example.element)


@pytest.fixture(scope="module")
def files(tmp_path_factory, certificate):
    folder = tmp_path_factory.mktemp("coq-trust")
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
        ("Local Definition x := 1.", "Local"),
        ("#[local] Definition x := 1.", "attribute"),
        ("Lemma t : True. (* open", "never closed"),
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


def test_coqs_lexical_rules_split_the_sentences():
    text = 'Lemma a : True.\n(* (* nested *) "*)" *) Proof . exact I. Qed .\nCheck Coq.Init.Logic.I.'
    assert [(s.line, s.text) for s in sentences(text)] == [
        (1, "Lemma a : True."),
        (2, "Proof ."),
        (2, "exact I."),
        (2, "Qed ."),
        (3, "Check Coq.Init.Logic.I."),
    ]
    assert sentences('Check "a"" (*". Check x.')[0].strings == 1  # "" is a quote; (* inside a string
    assert sentences("Check x.(y).")[0].text == "Check x.(y)."  # a dot before a non-blank ends nothing
    for bad, why in [
        ("Lemma a : True. (* (* *)", "line 1: the comment opened here is never closed"),
        ('Lemma a.\n(* " *)', "line 2: the string opened here inside a comment is never closed"),
        ("Lemma a.\nexact I...", "line 2: a run of dots"),
        ("Lemma a :\u00a0True.", "character outside ASCII"),
        ("Qed.\x0cCheck a.", "control character"),
    ]:
        with pytest.raises(CoqError, match=re.escape(why)):
            sentences(bad)


def test_coqc_reads_a_string_inside_a_comment_as_the_lexer_does(coqc):
    text = '(* "*)" *) Lemma t : True. Proof. exact I. Qed .\n'
    assert [s.text for s in sentences(text)] == ["Lemma t : True.", "Proof.", "exact I.", "Qed ."]
    assert check_coq(text, theorem="t", assumptions=False).accepted


def test_proof_scripts_hold_tactics_only():
    assert screen_script(sentences("intros. - { exact I. } 2: lra. all: ring. (split; lra).")) == ()
    for script, word in [
        ("intro H.\nSection Cheat.", "Section"),
        ("Hypothesis cheat : False.", "Hypothesis"),
        ("Context (cheat : False).", "Context"),
        ("- Let cheat := 1.", "Let"),
        ("Local Definition x := 1.", "Local"),
        ("Admitted.", "Admitted"),
        ("admit.", "admit"),
    ]:
        (problem,) = screen_script(sentences(script))
        assert problem.startswith(f"line {script.count(chr(10)) + 1}: refused `") and word in problem


def test_only_proof_scripts_may_differ():
    body, scripts = skeleton("Lemma a : 1 = 1. (* c *) Proof.  reflexivity.\nQed.")
    assert body == "Lemma a : 1 = 1. Proof. ... Qed." and scripts == ["reflexivity."]
    # A script that closes early and declares something after: the rest is statement, and must match.
    body, _ = skeleton("Lemma a : True. Proof. exact I. Qed. Lemma b : False. Proof. exact I. Qed.")
    assert body.count("Proof. ... Qed.") == 2 and "Lemma b : False." in body
    # ``Qed .`` ends a proof as ``Qed.`` does: what follows is statement, not script.
    body, scripts = skeleton(
        "Lemma a : True. Proof. exact I. Qed . Section Cheat. Lemma b : True. Proof. exact I. Qed."
    )
    assert body == "Lemma a : True. Proof. ... Qed. Section Cheat. Lemma b : True. Proof. ... Qed."
    assert scripts == ["exact I.", "exact I."]


# -- false theorems a section can produce -----------------------------------------------------

CHEAT = "Proof.\n  exact (False_ind _ cheat).\nQed."


def _final_proof(text):
    start = text.index("Proof.", text.index(f"Theorem {THEOREM}"))
    return start, text.index("Qed.", start) + len("Qed.")


def qed_space_trick(text):
    """The audit's file: ``Qed .`` closes the first lemma; a section hypothesis proves the theorem."""
    end = text.index("Qed.", text.index("Proof."))
    text = (
        text[:end]
        + "Qed . Section Cheat. Hypothesis cheat : False.\nLemma pad : True. Proof. exact I. "
        + text[end:]
    )
    start, end = _final_proof(text)
    return (
        text[:start]
        + CHEAT[: -len("Qed.")]
        + "Qed . End Cheat.\nLemma pad2 : True. Proof. exact I. Qed."
        + text[end:]
    )


def in_section(opening, proof=CHEAT):
    def cheat(text):
        at = text.index("(** * Non-convexity *)")
        start, end = _final_proof(text)
        return (
            text[:at] + f"Section Cheat.\n{opening}\n" + text[at:start] + proof + "\nEnd Cheat." + text[end:]
        )

    return cheat


def extra_premise(text):
    statement = f"Theorem {THEOREM} : ~ convex (L tanh)."
    start, end = _final_proof(text)
    text = text[:start] + "Proof.\n  intro absurd. destruct absurd.\nQed." + text[end:]
    return text.replace(statement, f"Theorem {THEOREM} : False -> ~ convex (L tanh).")


CHEATS = {
    "qed-space": (qed_space_trick, "Section Cheat."),
    "section-hypothesis": (in_section("Hypothesis cheat : False."), "Section Cheat."),
    "section-context": (in_section("Context (cheat : False)."), "Section Cheat."),
    "let-redefines-convexity": (
        in_section(
            "Let convex (F : params -> R) : Prop := False.", "Proof.\n  intro absurd. exact absurd.\nQed."
        ),
        "Section Cheat.",
    ),
    "extra-premise": (extra_premise, f"Theorem {THEOREM} : False ->"),
}


def _line_of(text, needle):
    return text[: text.index(needle)].count("\n") + 1


@pytest.mark.parametrize("name", list(CHEATS))
def test_false_theorems_are_refused_by_the_text_with_their_line(files, name):
    cheat, refused = CHEATS[name]
    text = cheat((files / "proof.v").read_text())
    (files / f"{name}.v").write_text(text, encoding="utf-8")
    binding = check_coq_binding(files / "cert.json", files / f"{name}.v")
    assert not binding.accepted and binding.coq is None, binding.reasons  # refused before coqc runs
    (reason,) = binding.reasons
    assert reason.startswith(f"REJECT: line {_line_of(text, refused)}: refused `{refused}"), reason
    assert "\n" not in reason


@pytest.fixture(scope="module")
def statement_only(certificate):
    """The exported file up to the chord inequality, then the final theorem: cheap for coqc."""
    text = certificate.to_coq()
    return text[: text.index("(** * The chord inequality *)")] + text[text.index("(** * Non-convexity *)") :]


@pytest.mark.parametrize("name", list(CHEATS))
def test_false_theorems_are_refused_by_the_kernel(coqc, certificate, statement_only, name):
    """With the text checks bypassed, the file compiles, and the kernel refuses its theorem."""
    cheat, _ = CHEATS[name]
    statement = statement_to_coq(certificate, PROOF_MODULE)
    result = check_coq(cheat(statement_only), assumptions=False, statement=statement)
    assert result.mismatch and not result.accepted, result.error  # the user's file itself compiled
    assert f"the theorem {THEOREM} does not prove the statement regenerated" in result.error
    assert "symcert_statement" in result.error and "\n" not in result.error


def test_check_coq_accepts_the_exported_proof(coqc, files, capsys):
    code = main(["check", str(files / "cert.json"), "--coq", str(files / "proof.v")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "ACCEPTED: Coq proof" in out and "regenerated from the certificate" in out
