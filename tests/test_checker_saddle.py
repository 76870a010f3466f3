"""The checker on critical_point and saddle certificates: round trip, and every tampering rejected."""

from __future__ import annotations

import copy
import json

import pytest

from symcert import certify_saddle, check
from symcert.checker import CertificateFormatError
from symcert.checker.check import CertificateBudgetError
from symcert.proofs.saddle_certificate import unique_critical_point_certificate
from symcert.symbolic.saddle_example import saddle_example


@pytest.fixture(scope="module")
def result():
    example = saddle_example()
    return certify_saddle(example.loss, example.approx, example.layer, example.unit, example.lam)


@pytest.fixture(scope="module")
def record(result):
    return json.loads(result.certificate().to_json())


def tampered(record, change):
    out = copy.deepcopy(record)
    change(out)
    return out


def rejections(found):
    return [r for r in found.reasons if r.startswith("REJECT")]


def test_the_saddle_certificate_is_accepted(record):
    assert record["kind"] == "saddle" and record["parameters"]["index"] == 1
    found = check(record)
    assert found.accepted, found.reasons
    assert any("Krawczyk" in r for r in found.reasons)
    assert any("saddle of index 1" in r for r in found.reasons)
    assert found.enclosures["dHd"][1] < 0 and found.estimate > 0


def test_the_unique_critical_point_certificate_is_accepted(result):
    record = json.loads(unique_critical_point_certificate(result.narrow).to_json())
    found = check(record)
    assert found.accepted, found.reasons
    assert check(tampered(record, lambda r: r["points"]["A"]["W2"][0].__setitem__(0, "2"))).accepted is False


def test_a_changed_lam_is_rejected(record):
    found = check(tampered(record, lambda r: r["parameters"].__setitem__("lam", "1/3")))
    assert not found.accepted and any("dHd" in r for r in rejections(found))


def test_a_shrunken_box_is_rejected(record):
    radius = record["parameters"]["radius"]
    small = f"{radius}/1000000" if "/" not in radius else radius + "000000"
    found = check(tampered(record, lambda r: r["parameters"].__setitem__("radius", small)))
    assert not found.accepted and any("Krawczyk" in r for r in rejections(found))


def test_a_moved_direction_is_rejected(record):
    def move(r):
        r["parameters"]["direction"]["W2"][0] = ["1", "1"]

    found = check(tampered(record, move))
    assert not found.accepted and any("d^T H_wide d" in r or "dHd" in r for r in rejections(found))


def test_a_wrong_index_is_rejected(record):
    found = check(tampered(record, lambda r: r["parameters"].__setitem__("index", 2)))
    assert not found.accepted and any("not the stated 2" in r for r in rejections(found))


def test_a_moved_unit_or_decay_is_rejected(record):
    bad_unit = tampered(record, lambda r: r["parameters"].__setitem__("unit", 1))
    with pytest.raises(CertificateFormatError, match=r"parameters\.unit"):
        check(bad_unit)
    decayed = check(tampered(record, lambda r: r["loss"].__setitem__("weight_decay", "1/10")))
    assert not decayed.accepted and any("weight decay" in r for r in rejections(decayed))


def test_the_budget_counts_the_hessian_jets(record):
    with pytest.raises(CertificateBudgetError):
        check(record, budget=0.01)


def test_a_point_that_is_not_isolated_is_decided_not_proved(tmp_path):
    # A continuous symmetry makes the Hessian singular: the prover has no box and writes radius 0 with
    # status "undecided". That file is well formed; the checker decides it: not proved (exit 1, not 2).
    from symcert import MLP, Dataset, Loss
    from symcert.cli import main
    from symcert.numeric.minima import locate_minimum
    from symcert.proofs.critical_point import certify_critical_point

    data = Dataset([[-2], [-1], [0], [1], [2], [3]], [[-1], [-1], [0], [1], [2], [2]])
    loss = Loss(MLP((1, 1, 1), "identity"), data, "mse")
    found = certify_critical_point(loss, locate_minimum(loss, seed=0, refine=False).point)
    assert found.status == "not isolated"
    record = json.loads(unique_critical_point_certificate(found).to_json())
    assert record["status"] == "undecided" and record["parameters"]["radius"] == "0"
    verdict = check(record)
    assert not verdict.accepted and any("radius 0" in r for r in rejections(verdict))
    path = tmp_path / "not_isolated.json"
    path.write_text(json.dumps(record))
    assert main(["check", str(path)]) == 1


def test_a_proved_claim_on_a_box_of_radius_0_is_rejected(result, record):
    cp = json.loads(unique_critical_point_certificate(result.narrow).to_json())
    for r in (cp, record):
        zero = tampered(r, lambda r: r["parameters"].__setitem__("radius", "0"))
        found = check(zero)
        assert not found.accepted and any("radius 0" in x for x in rejections(found)), found.reasons
    with pytest.raises(CertificateFormatError, match="radius must be >= 0"):
        check(tampered(cp, lambda r: r["parameters"].__setitem__("radius", "-1/2")))
