"""Coq export: every exported certificate is checked by a real ``coqc``, and tampering is caught.

A file ``coqc`` rejects fails the test. Every export goes through the binding to its JSON
(``check_coq_binding``): the kernel checks its theorem against the statement regenerated from the
certificate alone. ``Print Assumptions`` of the final
theorem must list only axioms of Coq's standard library: those a trivial
lemma over the reals proved by ``interval`` rests on. Without ``coqc`` these
tests skip, except under CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import random
import re
import tempfile
from pathlib import Path

import pytest

from symcert import (
    MLP,
    Dataset,
    Loss,
    SpecificationError,
    certify_nonconvexity,
    default_example,
    flip,
    rescale,
    swap,
    write_json,
)
from symcert.build.coq import STANDARD_AXIOM_MODULES, check_coq, coqc_available, parse_assumptions
from symcert.build.coq_binding import check_coq_binding
from symcert.errors import CoqError
from symcert.printing.coq import EXPORTED_KINDS, THEOREM, certificate_to_coq, coq_refusal

FORBIDDEN = re.compile(r"\b(Admitted|admit|Axiom|Parameter|Conjecture)\b")


@pytest.fixture(scope="module")
def coqc(require_tool):
    return require_tool("coqc")


@pytest.fixture(scope="module")
def baseline_axioms(coqc):
    """The axioms of a trivial lemma over the reals proved by ``ring`` and by ``interval``."""
    text = (
        "Require Import Reals Lra.\nRequire Import Interval.Tactic.\nOpen Scope R_scope.\n"
        "Lemma trivial : 0 < exp 1 - 2 /\\ 1 + 1 = 2.\n"
        "Proof. split. interval with (i_prec 40). ring. Qed.\n"
    )
    result = check_coq(text, theorem="trivial")
    assert result.accepted, result.error
    return set(result.axioms)


def teacher_certificate(widths, act, seed, *, n_points=4, element=None, kind="mse", A_is_teacher=True):
    """A chord certificate on teacher data of a random exact teacher (seeded)."""
    mlp = MLP(widths, act)
    teacher = mlp.random_point(seed)
    rng = random.Random(seed)
    xs = [[f"{rng.randint(-8, 8)}/4" for _ in range(widths[0])] for _ in range(n_points)]
    loss = Loss(mlp, Dataset.teacher(mlp, teacher, xs), kind)
    A = teacher if A_is_teacher else mlp.random_point(seed + 100)
    certificate = certify_nonconvexity(loss, A, element=element or swap(1, 0, 1))
    assert certificate.proved, certificate.summary()
    return certificate


def assert_checked(certificate, baseline=None):
    """The binding accepts ``certificate``'s export (the text, coqc, the kernel's check of the statement);
    with ``baseline``, its axioms are standard ones."""
    text = certificate.to_coq()
    assert not FORBIDDEN.search(text), FORBIDDEN.search(text).group(0)
    with tempfile.TemporaryDirectory(prefix="symcert-test-") as folder:
        write_json(certificate, Path(folder) / "cert.json")
        (Path(folder) / "proof.v").write_text(text, encoding="utf-8")
        bound = check_coq_binding(
            Path(folder) / "cert.json", Path(folder) / "proof.v", assumptions=baseline is not None
        )
    assert bound.accepted, bound.reasons
    result = bound.coq
    if baseline is not None:
        assert result.axioms, "Print Assumptions was not parsed"
        assert result.user_axioms == ()
        assert set(result.axioms) <= baseline, set(result.axioms) - baseline
    return result


def test_default_example_is_checked_with_standard_axioms_only(coqc, baseline_axioms):
    example = default_example()
    certificate = certify_nonconvexity(example.loss, example.teacher, element=example.element)
    text = certificate.to_coq()
    assert text == certificate_to_coq(certificate)
    for name in ("W1_11", "W2_12", "b2_1", "Lemma loss_invariant", "Lemma chord", "Definition convex"):
        assert name in text
    assert f"Theorem {THEOREM} : ~ convex (L tanh)." in text
    assert "interval" in text and "Admitted" not in text
    result = assert_checked(certificate, baseline_axioms)
    assert any(a.startswith("ClassicalDedekindReals.") for a in result.axioms)


RANDOM_NETWORKS = [
    ("tanh", 1, True),
    ("tanh", 2, False),
    ("tanh", 3, False),
    ("sigmoid", 1, True),
    ("sigmoid", 2, False),
    ("relu", 3, True),
    ("relu", 4, False),
    ("square", 1, True),
    ("square", 5, False),
]


@pytest.mark.parametrize(("act", "seed", "with_axioms"), RANDOM_NETWORKS)
def test_random_teacher_networks_are_checked(coqc, baseline_axioms, act, seed, with_axioms):
    certificate = teacher_certificate((1, 2, 1), act, seed)
    assert_checked(certificate, baseline_axioms if with_axioms else None)


@pytest.mark.parametrize(
    ("widths", "act", "seed", "options"),
    [
        ((1, 2, 1), "tanh", 1, {"element": flip(1, 0)}),  # odd activation: s(-u) = -s(u)
        ((1, 2, 1), "sigmoid", 2, {"element": flip(1, 1)}),  # s(-u) = 1 - s(u), with the bias shift
        ((1, 2, 1), "relu", 3, {"element": rescale(1, 0, "3/2"), "A_is_teacher": False}),
        ((2, 2, 2), "tanh", 6, {"kind": "sse", "A_is_teacher": False}),  # L(M) - L(A) > 0
        ((1, 2, 2, 1), "cube", 4, {}),  # two hidden layers
    ],
)
def test_other_symmetries_and_shapes_are_checked(coqc, widths, act, seed, options):
    certificate = teacher_certificate(widths, act, seed, **options)
    assert_checked(certificate)


def test_certificate_without_symmetry_is_checked(coqc):
    # B is given as a point, not as g(A): the file proves the full barrier L(M) - (L(A) + L(B))/2 > 0.
    example = default_example()
    B = example.element(example.teacher)
    certificate = certify_nonconvexity(example.loss, example.teacher, B=B)
    assert certificate.proved and certificate.element is None
    text = certificate.to_coq()
    assert "Definition g" not in text and "(L tanh_e A + L tanh_e B) / 2" in text
    assert_checked(certificate)


@pytest.fixture(scope="module")
def default_text():
    example = default_example()
    return certify_nonconvexity(example.loss, example.teacher, element=example.element).to_coq()


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("Lemma margin : 0 < L tanh_e M.", "Lemma margin : L tanh_e M < 0."),  # the inequality flipped
        ("Definition B : params :=\n  {| W1_11 := -1;", "Definition B : params :=\n  {| W1_11 := -2;"),
        ("Definition M : params :=\n  {| W1_11 := 1/2;", "Definition M : params :=\n  {| W1_11 := 2;"),
        ("Lemma loss_A : L A = 0.", "Lemma loss_A : L A = 1/100."),
    ],
    ids=["flipped-inequality", "wrong-B", "wrong-midpoint", "wrong-teacher-loss"],
)
def test_tampered_files_are_rejected(coqc, default_text, old, new):
    assert default_text.count(old) == 1
    result = check_coq(default_text.replace(old, new), assumptions=False)
    assert not result.accepted
    assert "Error" in result.error


def test_an_admitted_step_is_refused_before_coqc_runs(default_text):
    start = default_text.index("Lemma margin")
    proof = default_text.index("Proof.", start)
    end = default_text.index("Qed.", proof) + len("Qed.")
    cheated = default_text[:proof] + "Admitted." + default_text[end:]
    result = check_coq(cheated)  # coqc would accept Admitted; the screen refuses it without running coqc
    assert not result.accepted and result.seconds == 0.0
    (problem,) = result.problems
    assert problem == f"line {cheated[:proof].count(chr(10)) + 1}: the file admits a proof (Admitted)"


def test_unsupported_certificates_raise_a_clear_error():
    example = default_example()
    curvature = certify_nonconvexity(example.loss, example.teacher, element=example.element, kind="curvature")
    unknown = type(curvature)(**{**curvature.__dict__, "kind": "no-such-kind"})
    with pytest.raises(SpecificationError, match="Coq export supports chord, curvature"):
        unknown.to_coq()
    barrier = type(curvature)(**{**curvature.__dict__, "kind": "barrier"})
    with pytest.raises(SpecificationError, match="barrier certificate records no partition"):
        barrier.to_coq()  # a barrier's export needs its pieces (tests/test_coq_barrier.py compiles one)
    assert "barrier" in EXPORTED_KINDS
    mlp = MLP((1, 1), output_activation="identity")
    linear = Loss(mlp, Dataset([[0], [1]], [[0], [1]]), "mse")
    A = mlp.point(W1=[[1]], b1=[0])
    refuted = certify_nonconvexity(linear, A, B=mlp.point(W1=[[2]], b1=[1]))
    with pytest.raises(SpecificationError, match="only proved certificates"):
        refuted.to_coq()


def test_missing_coqc_raises_coq_error():
    with pytest.raises(CoqError, match="not on the PATH"):
        check_coq("Lemma t : True. Proof. exact I. Qed.", coqc="symcert-no-such-coqc")
    assert coqc_available("symcert-no-such-coqc") is False


def test_parse_assumptions_reads_names_only():
    output = (
        "Axioms:\nClassicalDedekindReals.sig_not_dec : forall P : Prop, {~ ~ P} + {~ P}\n"
        "Uint63.add_spec\n  : forall x y : PrimInt63.int,\n    True\ncheat : False\n"
    )
    assert parse_assumptions(output) == ("ClassicalDedekindReals.sig_not_dec", "Uint63.add_spec", "cheat")
    assert parse_assumptions("Closed under the global context\n") == ()
    assert "ClassicalDedekindReals" in STANDARD_AXIOM_MODULES


def _handout_certificates():
    from symcert.handouts import build_handout, handout_names

    for name in handout_names():
        for number, certificate in enumerate(build_handout(name).certificates()):
            yield pytest.param(certificate, id=f"{name}-{number}-{certificate.kind}")


@pytest.mark.parametrize("certificate", list(_handout_certificates()))
def test_every_shipped_handout_certificate_is_checked_by_coq_or_refused_clearly(coqc, certificate):
    """The handouts are the proof library: their chord certificates are machine-checked."""
    if certificate.kind not in EXPORTED_KINDS:
        with pytest.raises(SpecificationError, match=r"chord"):
            certificate.to_coq()
        return
    if coq_refusal(certificate.loss, certificate.kind):  # a trained network: too large for coqc
        with pytest.raises(SpecificationError, match=r"beyond the .* symcert check"):
            certificate.to_coq()
        return
    assert_checked(certificate)


def test_prove_writes_and_checks_a_coq_file(coqc, tmp_path, capsys):
    from symcert.cli import main

    out = tmp_path / "proof.v"
    code = main(["prove", "--coq", str(out), "--check-coq"])
    text = capsys.readouterr().out
    assert code == 0, text
    assert "coqc accepted" in text and THEOREM in out.read_text()


def test_prove_coq_refuses_a_network_too_large_for_coqc(tmp_path, capsys):
    from symcert.cli import main

    code = main(["prove", "--widths", "1,6,1", "--kind", "orbit", "--coq", str(tmp_path / "p.v")])
    err = capsys.readouterr().err
    assert code == 2 and "720 permutations" in err and "symcert check" in err
