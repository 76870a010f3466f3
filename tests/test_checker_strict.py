"""The checker reads a file one way only, checks every field that states something, and re-proves
whatever the prover proves (a round trip over random networks, activations, losses, kinds and digits)."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from symcert import (
    MLP,
    Dataset,
    Loss,
    SpecificationError,
    certify_nonconvexity,
    check,
    default_example,
    flip,
    swap,
)
from symcert.checker import CertificateBudgetError, CertificateFormatError, loads
from symcert.cli import main


@pytest.fixture(scope="module")
def texts() -> dict[str, str]:
    example = default_example()
    return {
        kind: certify_nonconvexity(
            example.loss, example.teacher, element=example.element, kind=kind
        ).to_json()
        for kind in ("chord", "orbit", "curvature")
    }


def edited(text: str, change) -> dict:
    record = json.loads(text)
    change(record)
    return loads(json.dumps(record))


def test_the_unmutated_certificates_are_accepted(texts):
    for text in texts.values():
        assert check(loads(text)).accepted
        assert check(loads(text), arithmetic="mpmath").accepted


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda r: r["claim"].update(relation="<"), "the claim of a chord certificate"),
        (lambda r: r["claim"].update(quantity="L(M)"), "the claim of a chord certificate"),
        (lambda r: r["claim"].update(text="L is convex"), "the claim of a chord certificate"),
        (lambda r: r.update(status="banana"), "status must be one of"),
        (lambda r: r["data"].update(ys=[["0"]] * 5), "either ys or a teacher"),
        (lambda r: r["data"].pop("teacher"), "lacks the field"),
        (lambda r: r.update(element="swap:1:-2,-1"), "malformed"),
        (lambda r: r.update(element="swap:1:0,2"), "numbered 0 to 1"),
        (lambda r: r.update(element="swap:2:0,1"), "not a hidden layer"),
        (lambda r: r.update(element="swap:1:0,\u0661"), "malformed"),
        (lambda r: r.update(extra="anything"), "unknown field"),
        (lambda r: r["parameters"].update(t0="1/3"), "unknown field"),
        (lambda r: r.update(dps="50"), "dps must be an integer"),
        (lambda r: r["points"]["A"]["W1"][0].__setitem__(0, 2), "must be a string"),
        (lambda r: r["points"]["A"]["W1"][0].__setitem__(0, 2.0), "unquoted JSON number"),
        (lambda r: r["points"]["A"]["b1"].__setitem__(0, "1_0"), "not an exact number"),
        (lambda r: r["points"]["A"]["b1"].__setitem__(0, " 1"), "not an exact number"),
        (lambda r: r["points"]["A"]["b1"].__setitem__(0, "0x10"), "not an exact number"),
        (lambda r: r["data"]["xs"][0].__setitem__(0, "1\u06605"), "ASCII digits"),
        (lambda r: r["enclosures"]["barrier"].__setitem__(0, "1e999999"), "exponent"),
    ],
)
def test_mutations_are_refused_as_malformed(texts, change, fragment):
    with pytest.raises(CertificateFormatError) as error:
        check(edited(texts["chord"], change))
    assert fragment in str(error.value)


@pytest.mark.parametrize("status", ["refuted", "undecided"])
def test_a_certificate_that_does_not_claim_proof_is_rejected(texts, status):
    result = check(edited(texts["chord"], lambda r: r.update(status=status)))
    assert not result.accepted and f"status is {status!r}" in result.reasons[-1]


def test_orbit_layer_must_be_hidden(texts):
    with pytest.raises(CertificateFormatError, match="hidden layer"):
        check(edited(texts["orbit"], lambda r: r["parameters"].update(layer=2)))
    with pytest.raises(CertificateFormatError, match="integer"):
        check(edited(texts["orbit"], lambda r: r["parameters"].update(layer="1")))


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        (
            '"1/2"',
            "0.5",
            "unquoted JSON number",
        ),  # a float literal means different points to different readers
        ('"1/2"', "1", "unquoted JSON number"),
        ('"schema": "symcert-certificate",', '"schema": "symcert-certificate", "kind": "orbit",', "twice"),
        ('"dps": DPS', '"dps": DPS.0', "unquoted JSON number"),
        ('"dps": DPS', '"dps": NaN', "constant NaN"),
    ],
)
def test_number_syntax_and_duplicate_keys_in_the_text(texts, tmp_path, old, new, fragment):
    dps = str(json.loads(texts["chord"])["dps"])  # the precision that decided (15 on the float64 rung)
    old, new = old.replace("DPS", dps), new.replace("DPS", dps)
    assert old in texts["chord"]
    path = tmp_path / "c.json"
    path.write_text(texts["chord"].replace(old, new, 1))
    with pytest.raises(CertificateFormatError, match=fragment):
        check(path)
    assert main(["check", str(path)]) == 2


def test_the_budget_is_decided_before_any_arithmetic(texts, tmp_path):
    record = loads(texts["chord"])
    with pytest.raises(CertificateBudgetError, match="beyond the budget"):
        check(record, budget=1e-6)
    path = tmp_path / "c.json"
    path.write_text(texts["chord"])
    assert main(["check", str(path), "--budget", "0.000001"]) == 2
    assert main(["check", str(path), "--arithmetic", "mpmath"]) == 0


def test_an_overflowing_enclosure_stays_out_of_the_message(texts):
    # A cube network whose loss is astronomically large: the message must not call float() on it.
    example = default_example()
    mlp = MLP((1, 2, 1), "cube")
    A = mlp.point(W1=[["10"], ["-20"]], b1=["0", "1"], W2=[["1", "3"]], b2=["0"])
    B = swap(1, 0, 1)(A)
    loss = Loss(mlp, Dataset([["1e300"]], [["0"]]), "mse")
    certificate = certify_nonconvexity(loss, A, B=B)
    record = loads(certificate.to_json())
    record["status"] = "proved"
    record["enclosures"] = {"barrier": ["1", "2"]}
    result = check(record)
    assert not result.accepted
    assert example is not None and all(len(reason) < 400 for reason in result.reasons)


_SMOOTH = ["tanh", "sigmoid", "softplus", "cube", "identity", "square"]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    activation=st.sampled_from([*_SMOOTH, "relu", "leaky_relu:1/10"]),
    loss_kind=st.sampled_from(["mse", "sse", "bce", "cross_entropy"]),
    kind=st.sampled_from(["chord", "curvature", "hessian", "orbit", "critical_pair"]),
    dps=st.sampled_from([10, 30, 60]),
    seed=st.integers(0, 50),
    teacher_is_A=st.booleans(),
    use_flip=st.booleans(),
    decay=st.sampled_from(["0", "1/10"]),
    inputs=st.sampled_from([1, 2]),
    hidden=st.sampled_from([(2,), (3,), (2, 2)]),
)
@example(
    activation="tanh",
    loss_kind="bce",
    kind="curvature",
    dps=30,
    seed=3,
    teacher_is_A=True,
    use_flip=False,
    decay="0",
    inputs=1,
    hidden=(2,),
)  # crashed the checker: interval times jet
@example(
    activation="tanh",
    loss_kind="cross_entropy",
    kind="hessian",
    dps=30,
    seed=3,
    teacher_is_A=True,
    use_flip=False,
    decay="1/10",
    inputs=2,
    hidden=(2,),
)
@example(
    activation="sigmoid",
    loss_kind="mse",
    kind="critical_pair",
    dps=10,
    seed=1,
    teacher_is_A=True,
    use_flip=False,
    decay="0",
    inputs=1,
    hidden=(3,),
)
def test_whatever_the_prover_proves_the_checker_accepts(
    activation, loss_kind, kind, dps, seed, teacher_is_A, use_flip, decay, inputs, hidden
):
    output = {"bce": "sigmoid", "cross_entropy": "softmax"}.get(loss_kind, "identity")
    widths = (inputs, *hidden, 2 if output == "softmax" else 1)
    mlp = MLP(widths, activation, output_activation=output)
    teacher = mlp.random_point(seed)
    xs = [[(i * 3 + k) % 5 - 2 for k in range(widths[0])] for i in range(3)]
    loss = Loss(mlp, Dataset.teacher(mlp, teacher, xs), loss_kind, decay)
    A = teacher if teacher_is_A else mlp.random_point(seed + 1000)
    odd = activation in ("tanh", "identity", "cube")
    element = flip(1, 0) if use_flip and odd else swap(1, 0, 1)
    try:
        certificate = certify_nonconvexity(loss, A, element=element, kind=kind, dps=dps)
    except SpecificationError:
        assume(False)  # the kind does not apply (e.g. curvature of ReLU, critical with bce)
    assume(certificate.status == "proved")
    record = loads(certificate.to_json())
    result = check(record)
    assert result.accepted, result.reasons
    reference = check(record, arithmetic="mpmath")  # the reference path re-proves it too
    assert reference.accepted, reference.reasons
    for name, (low, high) in result.enclosures.items():  # both enclose the same true value
        other_low, other_high = reference.enclosures[name]
        assert max(low, other_low) <= min(high, other_high), name
