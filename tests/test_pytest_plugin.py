"""The pytest plugin: certificate files collected as tests, checked by the independent checker.

pytest runs (in-process, with ``pytester``) on a folder holding a valid certificate, a tampered one
and a malformed one, and must report 1 passed, 1 failed and 1 error, each with the checker's reason.
"""

from __future__ import annotations

import json
from importlib.metadata import entry_points

import pytest

from symcert import certify_nonconvexity, default_example
from symcert.pytest_plugin import CertificateRejected, assert_certified, check_certificate


@pytest.fixture(scope="module")
def record() -> dict:
    example = default_example()
    certificate = certify_nonconvexity(example.loss, example.teacher, element=example.element, kind="chord")
    return json.loads(json.dumps(certificate.to_dict()))


def _plugin_args() -> list[str]:
    """``-p symcert.pytest_plugin`` unless installing symcert registered it (the ``pytest11`` entry point)."""
    names = {point.value for point in entry_points(group="pytest11")}
    # pytest-benchmark, where installed, warns inside an xdist worker, and the warning is an error here
    quiet = ["-p", "no:benchmark"]
    return quiet if "symcert.pytest_plugin" in names else [*quiet, "-p", "symcert.pytest_plugin"]


def test_the_entry_point_registers_the_plugin() -> None:
    # pyproject.toml declares it; an editable or wheel install writes it into the metadata.
    points = {point.name: point.value for point in entry_points(group="pytest11")}
    assert points.get("symcert") == "symcert.pytest_plugin"


def _tampered(record: dict) -> dict:
    tampered = json.loads(json.dumps(record))
    tampered["enclosures"]["L(M)"] = ["0", "1/2"]  # a claim the checker's own enclosure refutes
    return tampered


def test_valid_tampered_and_malformed_files(pytester: pytest.Pytester, record: dict) -> None:
    pytester.makefile(".symcert.json", good=json.dumps(record))
    pytester.makefile(".symcert.json", tampered=json.dumps(_tampered(record)))
    pytester.makefile(".symcert.json", malformed='{"schema": "symcert-certificate", "version": 1,')
    pytester.makefile(".json", ignored="{}")  # not a certificate name: not collected
    result = pytester.runpytest(*_plugin_args(), "-p", "no:cacheprovider", "-rA")
    result.assert_outcomes(passed=1, failed=1, errors=1)
    text = result.stdout.str()
    assert "the claimed enclosure of L(M) does not contain the recomputed one" in text
    assert "malformed.symcert.json" in text and "ERROR" in text
    assert "ignored.json" not in text


def test_ini_globs_and_budget(pytester: pytest.Pytester, record: dict) -> None:
    pytester.mkdir("proofs")
    (pytester.path / "proofs" / "chord.json").write_text(json.dumps(record))
    pytester.makeini("[pytest]\nsymcert_certificates = proofs/*.json\n")
    result = pytester.runpytest(*_plugin_args(), "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    # A budget too small for the certificate is an error carrying the checker's budget message.
    result = pytester.runpytest(*_plugin_args(), "-p", "no:cacheprovider", "--symcert-budget", "1e-9")
    result.assert_outcomes(errors=1)
    assert "budget" in result.stdout.str()


def test_coq_option_needs_the_proof_beside_the_certificate(pytester: pytest.Pytester, record: dict) -> None:
    pytester.makefile(".symcert.json", chord=json.dumps(record))
    result = pytester.runpytest(*_plugin_args(), "-p", "no:cacheprovider", "--symcert-coq")
    result.assert_outcomes(failed=1)
    assert "no Coq file chord.v beside chord.symcert.json" in result.stdout.str()


def test_fixture_and_assertion(pytester: pytest.Pytester, record: dict) -> None:
    (pytester.path / "cert.json").write_text(json.dumps(record))
    (pytester.path / "bad.json").write_text(json.dumps(_tampered(record)))
    pytester.makepyfile(
        """
        from symcert.pytest_plugin import assert_certified

        def test_good(symcert_check):
            assert_certified(symcert_check("cert.json"))

        def test_bad(symcert_check):
            assert_certified(symcert_check("bad.json"))
        """
    )
    result = pytester.runpytest(*_plugin_args(), "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    assert "the checker did not accept this chord certificate" in result.stdout.str()


def test_check_certificate_reads_objects_records_and_paths(record: dict, tmp_path) -> None:
    path = tmp_path / "c.json"
    path.write_text(json.dumps(record))
    assert check_certificate(path).accepted and check_certificate(record).accepted
    with pytest.raises(CertificateRejected, match="REJECT: the claimed enclosure of L"):
        assert_certified(check_certificate(_tampered(record)))
    from symcert.checker import CertificateFormatError

    with pytest.raises(CertificateFormatError, match="got int"):
        check_certificate(3)
