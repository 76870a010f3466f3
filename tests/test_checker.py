"""The independent checker: accepts what is true, rejects every falsified certificate, reads strictly."""

from __future__ import annotations

import copy
import json
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symcert import MLP, Loss, certify_nonconvexity, check, default_example
from symcert.checker import CertificateFormatError
from symcert.numeric.contexts import mp_context
from symcert.numeric.evaluation import loss_in


@pytest.fixture(scope="module")
def certificates() -> dict[str, dict]:
    example = default_example()
    return {
        kind: json.loads(
            certify_nonconvexity(example.loss, example.teacher, element=example.element, kind=kind).to_json()
        )
        for kind in ("chord", "curvature", "hessian", "orbit", "critical_pair")
    }


@pytest.mark.parametrize("kind", ["chord", "curvature", "hessian", "orbit", "critical_pair"])
def test_valid_certificates_are_accepted(certificates, kind):
    result = check(certificates[kind])
    assert result.accepted, result.reasons
    assert any(reason.startswith("re-proved") for reason in result.reasons)


def test_check_reads_files(tmp_path, certificates):
    path = tmp_path / "cert.json"
    path.write_text(json.dumps(certificates["chord"]))
    assert check(path).accepted
    assert check(str(path)).accepted


def mutated(record: dict, change) -> dict:
    copy_ = copy.deepcopy(record)
    change(copy_)
    return copy_


def without_claims(record: dict) -> dict:
    """Keep only the decisive enclosure, widened to everything, so a rejection comes from the claim itself."""
    quantity = record["claim"]["quantity"]
    record["enclosures"] = {quantity: ["-1000000", "1000000"]}
    return record


def test_B_equal_to_A_is_rejected(certificates):
    def change(r):
        r["points"]["B"] = r["points"]["A"]
        r["element"] = None
        without_claims(r)

    assert not check(mutated(certificates["chord"], change)).accepted


def test_B_not_the_image_under_the_element_is_rejected(certificates):
    def change(r):
        r["points"]["B"]["W2"][0][0] = "7"
        without_claims(r)

    result = check(mutated(certificates["chord"], change))
    assert not result.accepted
    assert any("not the image" in reason for reason in result.reasons)


def test_points_moved_where_the_chord_inequality_fails_are_rejected(certificates):
    # Along the output bias the loss is a convex quadratic: the midpoint lies below the chord.
    def change(r):
        r["points"]["B"] = copy.deepcopy(r["points"]["A"])
        r["points"]["B"]["b2"][0] = "5/4"
        r["element"] = None
        without_claims(r)

    result = check(mutated(certificates["chord"], change))
    assert not result.accepted
    assert result.enclosures["barrier"][1] < 0


@pytest.mark.parametrize("name", ["barrier", "L(A)", "L(M)"])
def test_claimed_enclosures_that_miss_the_truth_are_rejected(certificates, name):
    def change(r):
        low, high = (Fraction(v) for v in r["enclosures"][name])
        r["enclosures"][name] = [str(low + 1), str(high + 1)]

    result = check(mutated(certificates["chord"], change))
    assert not result.accepted
    assert any(name in reason and "does not contain" in reason for reason in result.reasons)


def test_changed_data_are_rejected(certificates):
    def change(r):
        r["data"]["teacher"]["point"]["b2"][0] = "1"

    assert not check(mutated(certificates["chord"], change)).accepted


def test_changed_inputs_are_rejected(certificates):
    def change(r):
        r["data"]["xs"][0] = ["3"]

    assert not check(mutated(certificates["orbit"], change)).accepted


def test_curvature_at_the_minimum_is_rejected(certificates):
    def change(r):
        r["parameters"]["t0"] = "0"  # at the teacher (a minimum) phi'' >= 0
        without_claims(r)

    assert not check(mutated(certificates["curvature"], change)).accepted


def test_critical_needs_the_teacher_and_a_symmetry(certificates):
    def not_teacher(r):
        r["points"]["A"]["b2"][0] = "1"
        r["element"] = None

    def not_a_symmetry(r):
        r["element"] = "rescale:1:0:2"

    for change in (not_teacher, not_a_symmetry):
        result = check(mutated(certificates["critical_pair"], change))
        assert not result.accepted


def test_relu_curvature_is_rejected(certificates):
    def change(r):
        r["network"]["activation"] = "relu"
        r["data"]["teacher"]["network"]["activation"] = "relu"
        without_claims(r)

    result = check(mutated(certificates["curvature"], change))
    assert not result.accepted and any("smooth" in reason for reason in result.reasons)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda r: r.update(version=2), "unknown certificate version"),
        (lambda r: r.update(schema="other"), "not a symcert certificate"),
        (lambda r: r.update(kind="magic"), "unknown certificate kind"),
        (lambda r: r["network"].update(widths="1,2,1"), "wrong type"),
        (lambda r: r["network"].update(widths=[1, 0, 1]), "integer from 1"),
        (lambda r: r["network"].update(bias="yes"), "wrong type"),
        (lambda r: r["points"]["A"]["W1"].append(["1"]), "list of 2 rows"),
        (lambda r: r["points"]["A"].update(W9=[]), "exactly the keys"),
        (lambda r: r["points"]["A"]["b1"].__setitem__(0, "1" * 5000), "more than"),
        (lambda r: r["points"]["A"]["b1"].__setitem__(0, "1e99999"), "exponent"),
        (lambda r: r["points"]["A"]["b1"].__setitem__(0, "__import__('os').getcwd()"), "not an exact number"),
        (lambda r: r["points"]["A"]["b1"].__setitem__(0, True), "must be a string"),
        (lambda r: r["points"]["A"]["b1"].__setitem__(0, "1/0"), "zero denominator"),
        (lambda r: r["enclosures"].update(oops=["0", "1"]), "unknown enclosure"),
        (lambda r: r["enclosures"].update(barrier=["2", "1"]), "lower > upper"),
        (lambda r: r.pop("enclosures"), "lacks the field"),
        (lambda r: r["loss"].update(kind="hinge"), "unknown loss kind"),
    ],
)
def test_malformed_certificates_raise_a_format_error(certificates, change, fragment):
    with pytest.raises(CertificateFormatError, match=None) as error:
        check(mutated(certificates["chord"], change))
    assert fragment in str(error.value)


@pytest.mark.parametrize(
    "text",
    ['{"schema": "symcert-certificate", "version": 1, "kind": "chord", "netw', "[1, 2]", "NaN", "\xff\xfe"],
)
def test_truncated_or_non_object_files_raise(tmp_path, text):
    path = tmp_path / "bad.json"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(CertificateFormatError):
        check(path)


def test_missing_file_raises(tmp_path):
    with pytest.raises(CertificateFormatError, match="cannot read"):
        check(tmp_path / "absent.json")


def test_the_checker_imports_nothing_from_the_prover():
    import pathlib

    folder = pathlib.Path(__file__).parent.parent / "symcert" / "checker"
    for module in folder.glob("*.py"):
        for line in module.read_text().splitlines():
            if line.startswith(("import ", "from ")) and "symcert" in line:
                assert "symcert.checker" in line or "symcert.limits" in line, f"{module.name}: {line}"
            assert "eval(" not in line and "sympify" not in line, f"{module.name}: {line}"
    limits = folder.parent / "limits.py"
    assert not [line for line in limits.read_text().splitlines() if line.startswith(("import ", "from "))]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    entry=st.sampled_from(["W1", "b1", "W2", "b2"]),
    shift=st.fractions(min_value=-3, max_value=3, max_denominator=8),
    which=st.sampled_from(["A", "B"]),
)
def test_random_point_mutations_are_accepted_only_when_true(certificates, entry, shift, which):
    """Move one coordinate of A or B; if the checker accepts, the barrier really is positive."""
    record = copy.deepcopy(certificates["chord"])
    record["element"] = None
    without_claims(record)
    array = record["points"][which][entry]
    row = array[0] if isinstance(array[0], list) else array
    row[0] = str(Fraction(row[0]) + shift)
    result = check(record)
    example = default_example()
    mlp: MLP = example.loss.mlp
    A, B = (mlp.point(**record["points"][name]) for name in ("A", "B"))
    ctx = mp_context(60)
    loss: Loss = example.loss
    barrier = (
        loss_in(ctx, loss, A.midpoint(B).values)
        - (loss_in(ctx, loss, A.values) + loss_in(ctx, loss, B.values)) / 2
    )
    if result.accepted:
        assert barrier > 0
    elif shift == 0:
        pytest.fail("the unmutated certificate must be accepted")
