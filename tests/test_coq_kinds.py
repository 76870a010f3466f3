"""Coq for every certificate kind: curvature and Hessian (through a chord of step h), critical, orbit.

Every file is compiled by a real ``coqc`` (required in CI) through the binding to its JSON (the
kernel checks the theorem against the statement regenerated from the certificate); tampered files
are rejected by ``coqc`` or by the binding; the printer decides nothing (it keeps the certificate's
decisions); the independent checker re-proves the curvature-to-chord reduction and rejects a wrong
or undecided ``h``.
"""

from __future__ import annotations

import json
import random
import re
import sys
from fractions import Fraction

import pytest
import sympy
from hypothesis import example, given, settings
from hypothesis import strategies as st

from symcert import MLP, Dataset, Loss, certify_nonconvexity, default_example, loss_value, swap, write_json
from symcert.build.coq import check_coq
from symcert.build.coq_binding import certificate_from_record, check_coq_binding
from symcert.checker import check
from symcert.checker.reading import CertificateFormatError
from symcert.errors import SpecificationError
from symcert.printing.coq import EXPORTED_KINDS, THEOREM, certificate_to_coq, coq_refusal
from symcert.printing.coq.orbit import orbit_points
from symcert.printing.coq.statement import statement_to_coq
from symcert.proofs.barrier import certify_barrier
from symcert.proofs.reduction import SECOND_DIFFERENCE, chord_step, segment_points


@pytest.fixture(scope="module")
def coqc(require_tool):
    return require_tool("coqc")


def teacher_certificate(widths, act, seed, kind, *, t0=None, A_is_teacher=True, n_points=4):
    mlp = MLP(widths, act)
    teacher = mlp.random_point(seed)
    rng = random.Random(seed)
    xs = [[f"{rng.randint(-8, 8)}/4" for _ in range(widths[0])] for _ in range(n_points)]
    loss = Loss(mlp, Dataset.teacher(mlp, teacher, xs), "mse")
    A = teacher if A_is_teacher else mlp.random_point(seed + 100)
    certificate = certify_nonconvexity(loss, A, element=swap(1, 0, 1), kind=kind, t0=t0)
    assert certificate.proved, certificate.summary()
    return certificate


def default_certificate(kind):
    example = default_example()
    return certify_nonconvexity(example.loss, example.teacher, element=example.element, kind=kind)


def assert_compiles(certificate, folder, assumptions=False):
    """The export is accepted by the binding to its JSON: the text, coqc, and the kernel's statement check."""
    text = certificate.to_coq()
    assert "Admitted" not in text and "Axiom" not in text
    assert f"Theorem {THEOREM} : ~ convex" in text
    write_json(certificate, folder / "cert.json")
    (folder / "proof.v").write_text(text, encoding="utf-8")
    bound = check_coq_binding(folder / "cert.json", folder / "proof.v", assumptions=assumptions)
    assert bound.accepted, bound.reasons
    assert "the kernel checked" in bound.reasons[1]
    return bound.coq


def test_every_kind_is_exported():
    assert EXPORTED_KINDS == ("chord", "curvature", "hessian", "orbit", "critical_pair", "barrier")


@pytest.mark.parametrize("kind", ["curvature", "hessian", "critical_pair", "orbit"])
def test_default_example_compiles_for_every_kind(coqc, tmp_path, kind):
    result = assert_compiles(default_certificate(kind), tmp_path, assumptions=kind == "orbit")
    if kind == "orbit":  # Jensen's induction (lia, INR) adds no axiom beyond the allowlist
        assert result.axioms and result.user_axioms == ()


@pytest.mark.parametrize(
    ("widths", "act", "seed", "kind", "t0", "teacher"),
    [
        ((1, 2, 1), "tanh", 2, "curvature", "1/4", True),  # h = 1/4: a proper sub-segment
        ((1, 2, 1), "square", 1, "curvature", "1/4", False),  # h = 1/8, A not the teacher (targets from T)
        ((1, 2, 1), "sigmoid", 1, "hessian", None, False),
        ((1, 2, 1), "square", 1, "critical_pair", None, True),
        ((1, 2, 1), "sigmoid", 1, "critical_pair", None, True),
        ((1, 3, 1), "relu", 1, "orbit", None, True),  # 3! = 6 orbit points
        ((1, 2, 1), "sigmoid", 1, "orbit", None, True),
    ],
)
def test_random_teachers_compile(coqc, tmp_path, widths, act, seed, kind, t0, teacher):
    certificate = teacher_certificate(widths, act, seed, kind, t0=t0, A_is_teacher=teacher)
    assert_compiles(certificate, tmp_path)


def test_the_coq_printer_decides_nothing(monkeypatch):
    """A decision computed once is kept: printing (and regenerating from the JSON) recomputes none."""
    import symcert.numeric.decide
    import symcert.numeric.engine.ladder
    import symcert.numeric.segment

    certificates = [default_certificate(kind) for kind in EXPORTED_KINDS if kind != "barrier"]
    example = default_example()
    certificates.append(
        certify_barrier(example.loss, example.teacher, example.element(example.teacher)).certificate()
    )
    certificates.append(
        teacher_certificate((1, 2, 1), "square", 1, "curvature", t0="1/4", A_is_teacher=False)
    )
    records = [json.loads(c.to_json()) for c in certificates]

    def refuse(*args, **kwargs):
        raise AssertionError("the Coq printer recomputed a decision")

    deciders = ("decide", "decide_on_rungs", "jet_decision", "chord_step")
    for name, module in list(sys.modules.items()):
        if name.startswith(("symcert.numeric", "symcert.printing", "symcert.proofs")):
            for attribute in deciders:
                if callable(getattr(module, attribute, None)):
                    monkeypatch.setattr(module, attribute, refuse)
    with pytest.raises(AssertionError, match="recomputed"):
        symcert.numeric.decide.decide(None, ">", (30,))
    for certificate, record in zip(certificates, records):
        text = certificate_to_coq(certificate)
        assert f"Theorem {THEOREM}" in text
        regenerated = certificate_from_record(record)
        assert certificate_to_coq(regenerated) == text
        assert "symcert_statement_proved" in statement_to_coq(regenerated, "Lib.proof")


def test_the_chord_step_is_a_sub_segment_of_the_certified_line():
    certificate = teacher_certificate((1, 2, 1), "square", 1, "curvature", t0="1/4", A_is_teacher=False)
    t0, h = certificate.parameters["t0"], certificate.parameters["h"]
    assert (t0, h) == (sympy.Rational(1, 4), sympy.Rational(1, 8))
    P, X, Q = segment_points(certificate.A, certificate.B, t0, h)
    assert X == P.midpoint(Q)
    low, high = certificate.enclosures[SECOND_DIFFERENCE]
    value = sum(loss_value(certificate.loss, p) for p in (P, Q)) - 2 * loss_value(certificate.loss, X)
    assert low <= sympy.Rational(str(value)) <= high < 0
    assert "Definition h : R := (1/8)." in certificate.to_coq()


def test_no_decided_step_means_no_export():
    example = default_example()
    certificate = default_certificate("curvature")
    assert chord_step(
        example.loss, certificate.A, certificate.B, sympy.Rational(1, 2), (30,)
    ).h == 1 / sympy.Integer(2)
    stripped = type(certificate)(**{**certificate.__dict__, "parameters": {"t0": sympy.Rational(1, 2)}})
    with pytest.raises(SpecificationError, match="no chord step h"):
        stripped.to_coq()


# -- tampering ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def curvature_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("coq-kinds")
    certificate = teacher_certificate((1, 2, 1), "tanh", 2, "curvature", t0="1/4")
    (folder / "c.json").write_text(certificate.to_json())
    (folder / "c.v").write_text(certificate.to_coq())
    return folder


def test_binding_accepts_the_genuine_curvature_proof(coqc, curvature_files):
    bound = check_coq_binding(curvature_files / "c.json", curvature_files / "c.v", assumptions=False)
    assert bound.accepted, bound.reasons


def test_an_edited_h_is_rejected_by_coqc_and_by_the_binding(coqc, curvature_files):
    text = (curvature_files / "c.v").read_text()
    assert "Definition h : R := (1/4)." in text
    far = text.replace("Definition h : R := (1/4).", "Definition h : R := 2.")
    assert not check_coq(far, assumptions=False).accepted  # no chord violation that far: interval fails
    edited = text.replace("Definition h : R := (1/4).", "Definition h : R := (1/8).")
    (curvature_files / "h.v").write_text(edited)
    bound = check_coq_binding(curvature_files / "c.json", curvature_files / "h.v")
    assert not bound.accepted and "does not state what the certificate says" in bound.reasons[0]


def test_edited_data_are_rejected_by_the_binding(curvature_files):
    text = (curvature_files / "c.v").read_text()
    first = re.search(r"\(f1 p (\S+) - ", text)
    edited = text[: first.start(1)] + "(7/3)" + text[first.end(1) :]
    assert edited != text
    (curvature_files / "d.v").write_text(edited)
    bound = check_coq_binding(curvature_files / "c.json", curvature_files / "d.v")
    assert not bound.accepted and "does not state what the certificate says" in bound.reasons[0]


def test_an_edited_orbit_element_is_rejected(coqc, tmp_path):
    certificate = default_certificate("orbit")
    text = certificate.to_coq()
    start = text.index("Definition G2 : params")
    field = text.index(":= ", start) + 3
    end = text.index(";", field)
    edited = text[:field] + "7/3" + text[end:]
    assert not check_coq(edited, assumptions=False).accepted  # L(G2) = L(A) no longer holds by ring
    (tmp_path / "o.json").write_text(certificate.to_json())
    (tmp_path / "o.v").write_text(edited)
    bound = check_coq_binding(tmp_path / "o.json", tmp_path / "o.v")
    assert not bound.accepted


def test_the_orbit_is_every_permutation_of_the_layer():
    certificate = default_certificate("orbit")
    orbit = orbit_points(certificate.A, 1)
    assert len(orbit) == 2 and orbit[0] == certificate.A and orbit[1] == swap(1, 0, 1)(certificate.A)
    net = MLP((1, 3, 1), "relu")
    A = net.random_point(3)
    images = orbit_points(A, 1)
    assert len(images) == 6 == len(set(images))


# -- limits and the CLI --------------------------------------------------------------------


def test_too_large_exports_are_refused_clearly_before_any_work(tmp_path, capsys):
    net = MLP((1, 5, 1), "tanh")
    loss = Loss(net, Dataset([[0], [1]], [[0], [1]]), "mse")
    assert "5! = 120 permutations" in coq_refusal(loss, "orbit")
    big = MLP((8, 8, 1), "tanh")
    many = Loss(big, Dataset([[k] * 8 for k in range(40)], [[0]] * 40), "mse")
    for kind in EXPORTED_KINDS:
        assert "symcert check" in coq_refusal(many, kind)
    from symcert.cli import main

    code = main(["prove", "--widths", "1,5,1", "--kind", "orbit", "--coq", str(tmp_path / "p.v")])
    captured = capsys.readouterr()
    assert code == 2 and "120 permutations" in captured.err and "Certifying" not in captured.err
    assert not (tmp_path / "p.v").exists()


@pytest.mark.parametrize("kind", ["curvature", "hessian", "critical_pair", "orbit"])
def test_prove_writes_the_coq_file_of_every_kind(tmp_path, capsys, kind):
    """The CLI writes the file the API renders (compiled by coqc in the tests above)."""
    from symcert.cli import main

    out = tmp_path / "proof.v"
    code = main(["prove", "--kind", kind, "--coq", str(out)])
    text = capsys.readouterr().out
    assert code == 0, text
    assert out.read_text() == default_certificate(kind).to_coq()


# -- the checker re-proves the reduction -------------------------------------------------------


def test_checker_reproves_the_reduction_and_rejects_a_wrong_h():
    record = json.loads(default_certificate("curvature").to_json())
    for arithmetic in ("arb", "mpmath"):
        result = check(record, arithmetic=arithmetic)
        assert result.accepted and "re-proved the reduction to a chord" in result.reasons[-1]
    wrong = json.loads(json.dumps(record))
    wrong["parameters"]["h"] = "1/3"
    result = check(wrong)
    assert not result.accepted
    assert any(SECOND_DIFFERENCE in r and "does not contain" in r for r in result.reasons)


def test_checker_rejects_an_h_whose_chord_is_not_decided():
    record = json.loads(default_certificate("curvature").to_json())
    record["parameters"]["h"] = "1"  # phi(-1/2) + phi(3/2) - 2 phi(1/2) is about +5.9: no chord violation
    record["enclosures"][SECOND_DIFFERENCE] = ["-1000", "1000"]
    result = check(record)
    assert not result.accepted
    assert any("the chord of step h = 1 is not decided" in r for r in result.reasons)


def test_checker_reads_h_strictly():
    record = json.loads(default_certificate("hessian").to_json())
    bad = json.loads(json.dumps(record))
    bad["parameters"]["h"] = "-1/2"
    with pytest.raises(CertificateFormatError, match="positive step"):
        check(bad)
    lone = json.loads(json.dumps(record))
    del lone["parameters"]["h"]
    with pytest.raises(CertificateFormatError, match=r"needs parameters\.h"):
        check(lone)
    unclaimed = json.loads(json.dumps(record))  # h alone: the checker still re-proves the chord
    del unclaimed["enclosures"][SECOND_DIFFERENCE]
    assert "re-proved the reduction" in check(unclaimed).reasons[-1]
    older = json.loads(json.dumps(record))  # a version-1 file written before h existed still checks
    del older["enclosures"][SECOND_DIFFERENCE], older["parameters"]["h"]
    assert check(older).accepted


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(1, 40), act=st.sampled_from(["tanh", "sigmoid", "square"]))
@example(seed=1, act="square")
def test_every_recorded_step_is_reproved_by_the_checker(seed, act):
    mlp = MLP((1, 2, 1), act)
    A = mlp.random_point(seed)
    rng = random.Random(seed)
    xs = [[f"{rng.randint(-8, 8)}/4"] for _ in range(3)]
    loss = Loss(mlp, Dataset.teacher(mlp, mlp.random_point(seed + 7), xs), "mse")
    certificate = certify_nonconvexity(loss, A, element=swap(1, 0, 1), kind="curvature", t0="1/3")
    if not certificate.proved:
        return
    if "h" not in certificate.parameters:  # no dyadic step decided: said so, and nothing recorded
        assert "no step h" in certificate.notes[-1] and SECOND_DIFFERENCE not in certificate.enclosures
        return
    h = certificate.parameters["h"]
    k = int(1 / h)
    assert 1 / h == k and k & (k - 1) == 0  # h = 2^-j
    record = json.loads(certificate.to_json())
    assert Fraction(record["parameters"]["h"]) == Fraction(int(h.p), int(h.q))
    result = check(record)
    assert result.accepted and "re-proved the reduction" in result.reasons[-1], result.reasons
