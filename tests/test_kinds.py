"""Certificate kinds are objects: one declaration per kind on each side, and the old names still read.

The prover's registry (``symcert.proofs.kinds``) and the checker's (``symcert.checker.kinds``) share no
code; these tests check that they state the same claims, that every certificate the prover writes
follows its kind's declared schema, and that files with the old names ``critical`` and
``critical_point`` are still read (as ``critical_pair`` and ``unique_critical_point``).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from symcert import certify_nonconvexity, certify_saddle, check, default_example
from symcert.checker.kinds import KINDS as CHECKED
from symcert.checker.kinds import kind_named
from symcert.errors import SpecificationError
from symcert.proofs.kinds import KINDS, NONCONVEXITY_KINDS, RENAMED, kind_of
from symcert.proofs.saddle_certificate import critical_point_certificate, unique_critical_point_certificate
from symcert.symbolic.saddle_example import saddle_example

EXAMPLE = default_example()


@pytest.fixture(scope="module")
def certificates():
    made = {
        kind: certify_nonconvexity(EXAMPLE.loss, EXAMPLE.teacher, element=EXAMPLE.element, kind=kind)
        for kind in NONCONVEXITY_KINDS
    }
    example = saddle_example()
    result = certify_saddle(example.loss, example.approx, example.layer, example.unit, example.lam)
    made["saddle"] = result.certificate()
    made["unique_critical_point"] = unique_critical_point_certificate(result.narrow)
    return made


def test_the_two_registries_state_the_same_kinds_and_claims():
    assert tuple(KINDS) == CHECKED
    for name, kind in KINDS.items():
        checked = kind_named(name)
        assert (checked.quantity, checked.relation, checked.text) == (
            kind.quantity,
            kind.relation,
            kind.claim,
        )
        assert checked.enclosures == kind.enclosures and checked.needs_B == kind.needs_B
        assert checked.smooth == kind.smooth and checked.old_names == kind.old_names
        required = tuple(p.name for p in kind.parameters if p.required)
        optional = tuple(p.name for p in kind.parameters if not p.required)
        assert set(checked.parameters) == set(required) and set(checked.optional) == set(optional)


def test_every_certificate_follows_its_kinds_declaration(certificates):
    for name, certificate in certificates.items():
        record = certificate.to_dict()
        kind = kind_of(name)
        assert record["kind"] == name and certificate.spec is kind
        assert record["claim"] == {"quantity": kind.quantity, "relation": kind.relation, "text": kind.claim}
        schema = kind.schema()
        assert set(schema["required"]) <= set(record["parameters"]) <= set(schema["properties"])
        assert set(record["enclosures"]) <= set(kind.enclosures)
        assert certificate.proved and check(record).accepted, name


def test_the_ladder_and_the_coq_limits_are_declared_by_the_kind():
    assert kind_of("chord").ladder(30) == (30, 60, 120)
    from symcert.printing.coq import EXPORTED_KINDS
    from symcert.printing.coq.limits import MAX_COQ_SIZE

    assert EXPORTED_KINDS == tuple(name for name, kind in KINDS.items() if kind.exports_to_coq)
    assert MAX_COQ_SIZE == {
        "chord": 2600,
        "curvature": 300,
        "hessian": 300,
        "critical_pair": 300,
        "orbit": 1200,
        "barrier": 100,
    }


@pytest.mark.parametrize(
    ("old", "new"), [("critical", "critical_pair"), ("critical_point", "unique_critical_point")]
)
def test_an_old_kind_name_in_python_is_refused_with_the_new_name(old, new):
    assert RENAMED[old] == new
    with pytest.raises(SpecificationError, match=f"'{old}' is now named '{new}'"):
        kind_of(old)


def test_the_old_name_critical_still_proves_with_a_deprecation_warning(certificates):
    with pytest.warns(DeprecationWarning, match="now named 'critical_pair'"):
        certificate = certify_nonconvexity(
            EXAMPLE.loss, EXAMPLE.teacher, element=EXAMPLE.element, kind="critical"
        )
    assert certificate.kind == "critical_pair"
    assert certificate.to_json() == certificates["critical_pair"].to_json()


def test_the_renamed_function_keeps_a_deprecated_shim(certificates):
    example = saddle_example()
    result = certify_saddle(example.loss, example.approx, example.layer, example.unit, example.lam)
    with pytest.warns(DeprecationWarning, match="unique_critical_point_certificate"):
        old = critical_point_certificate(result.narrow)
    assert old.to_json() == certificates["unique_critical_point"].to_json()


@pytest.mark.parametrize(
    ("old", "new"), [("critical", "critical_pair"), ("critical_point", "unique_critical_point")]
)
def test_a_file_with_an_old_kind_name_is_still_read_and_says_the_new_name(certificates, old, new):
    record = json.loads(certificates[new].to_json())
    record["kind"] = old  # what symcert wrote before the rename: the same claim under the old name
    found = check(record)
    assert found.accepted, found.reasons
    assert found.kind == new
    assert any(f"'{old}' is now named '{new}'" in reason for reason in found.reasons)
    assert check(json.loads(certificates[new].to_json())).enclosures == found.enclosures


def test_an_unknown_kind_is_still_a_format_error(certificates):
    from symcert.checker import CertificateFormatError

    record = json.loads(certificates["chord"].to_json())
    record["kind"] = "critical_points"
    with pytest.raises(CertificateFormatError, match="unknown certificate kind"):
        check(record)


def test_the_command_line_reads_the_old_kind_name_with_a_note():
    done = subprocess.run(
        [sys.executable, "-m", "symcert", "prove", "--kind", "critical", "--dps", "20"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "now named 'critical_pair'" in done.stderr
    assert "Witness (critical_pair)" in done.stdout


def test_a_kind_without_a_latex_derivation_still_names_its_enclosures(certificates):
    from symcert.printing.latex.certificate import certificate_quantity

    assert certificate_quantity(certificates["saddle"], "dHd") == "dHd"
    assert certificate_quantity(certificates["chord"], "barrier") == "barrier"
    with pytest.raises(SpecificationError, match="no LaTeX derivation"):
        certificates["saddle"].to_latex()
