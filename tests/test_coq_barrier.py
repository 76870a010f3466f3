"""Coq for barrier certificates: every piece's bound and the witness's, compiled by a real coqc.

A barrier certificate of a small network (1-2-1 tanh, 3 teacher points, 4 pieces) is written as JSON
and as Coq, bound to its JSON (the statement regenerated from the JSON alone, checked by the kernel),
and compiled by coqc (required in CI). A piece bound lowered below the loss is refused by coqc (the
``interval`` proof of that piece fails), a bound edited in the ``.v`` file alone by the binding; too
many pieces, too large a network and a certificate without its partition are refused in one line.
"""

from __future__ import annotations

import json
import random
from fractions import Fraction

import pytest
import sympy

from symcert import MLP, Dataset, Loss, default_example, swap, write_json
from symcert.build.coq import PROOF_MODULE, check_coq
from symcert.build.coq_binding import certificate_from_record, check_coq_binding
from symcert.errors import SpecificationError
from symcert.printing.coq import certificate_to_coq, coq_refusal
from symcert.printing.coq.barrier import BARRIER_THEOREM, _gap_value
from symcert.printing.coq.limits import MAX_BARRIER_PIECES
from symcert.printing.coq.statement import statement_to_coq
from symcert.proofs.barrier import certify_barrier


@pytest.fixture(scope="module")
def coqc(require_tool):
    return require_tool("coqc")


@pytest.fixture(scope="module")
def small():
    """The barrier between a 1-2-1 tanh teacher and its swapped copy, on 3 exact teacher points."""
    mlp = MLP((1, 2, 1), "tanh")
    teacher = mlp.random_point(1)
    rng = random.Random(1)
    loss = Loss(mlp, Dataset.teacher(mlp, teacher, [[f"{rng.randint(-8, 8)}/4"] for _ in range(3)]), "mse")
    result = certify_barrier(loss, teacher, swap(1, 0, 1)(teacher), tol=Fraction(1, 10))
    assert result.status == "proved" and result.lo > 0 and result.n_pieces == 4
    return result.certificate()


def test_a_barrier_certificate_is_checked_by_coqc_against_its_json(coqc, small, tmp_path):
    text = certificate_to_coq(small)
    assert text.count("Lemma piece_") == 4 and "Admitted" not in text and "Axiom" not in text
    assert f"Theorem {BARRIER_THEOREM} :" in text and "Theorem loss_not_convex : ~ convex (L tanh)." in text
    write_json(small, tmp_path / "cert.json")
    (tmp_path / "proof.v").write_text(text, encoding="utf-8")
    bound = check_coq_binding(tmp_path / "cert.json", tmp_path / "proof.v", assumptions=False)
    assert bound.accepted, bound.reasons
    assert f"the kernel checked that {BARRIER_THEOREM}" in bound.reasons[1]
    # the statement restates the enclosure and non-convexity from the JSON alone
    statement = statement_to_coq(certificate_from_record(json.loads(small.to_json())), PROOF_MODULE)
    assert "/\\ ~ convex (L tanh)." in statement and "Symcert.symcert_proof.barrier_bounds" in statement
    assert "Definition hi : R := " + str(small.enclosures["barrier"][1]) in statement.replace("(", "")


def test_a_piece_bound_below_the_loss_is_refused_by_coqc(coqc, small):
    pieces = [list(piece) for piece in small.parameters["pieces"]]
    t0 = sympy.Rational(pieces[0][0])
    below = _gap_value(small, t0) - sympy.Rational(1, 100)  # below gap at t0: no proof can exist
    pieces[0][2] = str(below)  # piece_1 is proved first, so coqc stops there, in seconds
    tampered = type(small)(**{**small.__dict__, "parameters": {**small.parameters, "pieces": pieces}})
    text = certificate_to_coq(tampered)
    result = check_coq(text, assumptions=False)
    assert not result.accepted and "Numerical evaluation failed" in result.error
    line = text[: text.index("Lemma piece_2")].count("\n")  # the failure lies in piece_1's proof
    assert int(result.error.split("line ")[1].split(",")[0]) < line


def test_a_bound_edited_in_the_coq_file_alone_is_refused_by_the_binding(small, tmp_path):
    write_json(small, tmp_path / "cert.json")
    text = certificate_to_coq(small)
    low = str(small.enclosures["barrier"][0])
    assert f"Definition lo : R := ({low})." in text
    edited = text.replace(f"Definition lo : R := ({low}).", "Definition lo : R := (1/1000000).")
    (tmp_path / "proof.v").write_text(edited, encoding="utf-8")
    bound = check_coq_binding(tmp_path / "cert.json", tmp_path / "proof.v", assumptions=False)
    assert not bound.accepted and "does not state what the certificate says" in bound.reasons[0]


def test_too_many_pieces_or_too_large_a_network_are_refused_in_one_line(small):
    many = [[str(Fraction(k, 40)), str(Fraction(k + 1, 40)), "100"] for k in range(40)]
    wide = type(small)(**{**small.__dict__, "parameters": {**small.parameters, "pieces": many}})
    with pytest.raises(SpecificationError, match=rf"40 pieces is beyond the {MAX_BARRIER_PIECES} pieces"):
        certificate_to_coq(wide)
    big = MLP((3, 8, 1), "tanh")
    loss = Loss(big, Dataset([[k, 0, 1] for k in range(4)], [[0]] * 4), "mse")
    message = coq_refusal(loss, "barrier")
    assert "size 164" in message and "beyond the 100" in message and "symcert check" in message
    gaps = [[str(Fraction(0)), str(Fraction(1, 2)), "100"], [str(Fraction(3, 4)), "1", "100"]]
    hole = type(small)(**{**small.__dict__, "parameters": {**small.parameters, "pieces": gaps}})
    with pytest.raises(SpecificationError, match="must cover"):
        certificate_to_coq(hole)


def test_barrier_coq_on_the_command_line(tmp_path, capsys):
    from symcert.cli import main

    out = tmp_path / "barrier.v"
    assert main(["barrier", "--coq", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"Coq proof written to {out}" in printed and "Theorem barrier_bounds" in out.read_text()
    example = default_example()
    assert "(L tanh)" in out.read_text() and example.loss.mlp.describe().split(" (")[0] in out.read_text()
    assert main(["barrier", "--check-coq"]) == 2
    assert "--check-coq needs --coq OUT.v" in capsys.readouterr().err
    point = {"W1": [[1, 0, 0]] * 8, "b1": [0] * 8, "W2": [[1] * 8], "b2": [0]}
    for name in ("a", "b"):
        (tmp_path / f"{name}.json").write_text(json.dumps(point), encoding="utf-8")
    files = ["--point", str(tmp_path / "a.json"), "--point", str(tmp_path / "b.json")]
    assert main(["barrier", "--widths", "3,8,1", *files, "--coq", str(tmp_path / "big.v")]) == 2
    captured = capsys.readouterr()
    assert "--coq: a barrier certificate of the 3-8-1" in captured.err and "beyond the 100" in captured.err
    assert "Certifying" not in captured.err and not (tmp_path / "big.v").exists()


def test_a_zero_lower_bound_at_an_end_is_proved_exactly_and_midpoint_claims_no_nonconvexity():
    """The text only: both files were compiled by coqc by hand (about a minute each on 2 busy cores)."""
    mlp = MLP((1, 2, 1), "tanh")
    teacher = mlp.random_point(2)
    loss = Loss(mlp, Dataset.teacher(mlp, teacher, [["-1"], ["1/2"]]), "mse")
    near = type(teacher)(mlp, (teacher.values[0] + Fraction(1, 8), *teacher.values[1:]))
    flat = certify_barrier(loss, teacher, near, tol=Fraction(1, 10)).certificate()
    assert flat.enclosures["barrier"][0] == 0 and flat.parameters["witness"] == 0
    text = certificate_to_coq(flat)
    assert "replace (comb (1 - 0) A B) with A; [lra |]." in text and "loss_not_convex" not in text
    midpoint = certify_barrier(loss, teacher, swap(1, 0, 1)(teacher), tol=Fraction(1, 10), form="midpoint")
    certificate = midpoint.certificate()
    assert midpoint.lo > 0 and "loss_not_convex" not in certificate_to_coq(certificate)
    statement = statement_to_coq(certificate_from_record(json.loads(certificate.to_json())), PROOF_MODULE)
    assert "((L s A + L s B) / 2)" in statement and "~ convex" not in statement
