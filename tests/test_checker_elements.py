"""The independent checker re-applies the new group elements: flip_in, rescale of degree k, sign:F:T.

Certificates built with them are accepted; a wrong degree or a sign on the wrong layers no longer
maps A to B and is rejected; ``is_symmetry`` follows the facts (used by critical certificates).
"""

from __future__ import annotations

import copy
import json
from fractions import Fraction

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from symcert import (
    MLP,
    CertificateFormatError,
    certify_nonconvexity,
    check,
    flip,
    flip_in,
    layer_sign,
    permutation,
    product,
    rescale,
)
from symcert.checker.arithmetic import Net
from symcert.checker.points import apply_element, is_symmetry
from symcert.symbolic.examples import default_teacher_loss


def _certificate(widths, bias, element, kind="chord"):
    loss = default_teacher_loss(MLP(widths, "square", bias=bias))
    teacher = loss.data.teacher_of.point
    certificate = certify_nonconvexity(loss, teacher, element=element, kind=kind)
    assert certificate.status == "proved", certificate.notes
    return json.loads(certificate.to_json())


@pytest.mark.parametrize(
    ("widths", "bias", "element", "kind"),
    [
        ((1, 2, 1), True, flip_in(1, 0), "chord"),
        ((1, 2, 1), True, rescale(1, 1, 2, 2), "chord"),
        ((1, 2, 1), True, flip_in(1, 1), "critical_pair"),
        ((1, 2, 2, 1), False, layer_sign(1, 2), "chord"),
    ],
)
def test_certificates_with_the_new_elements_are_accepted(widths, bias, element, kind):
    record = _certificate(widths, bias, element, kind)
    assert record["element"] == str(element)
    result = check(record)
    assert result.accepted, result.reasons
    assert f"B = {element}(A) exactly" in result.reasons


@pytest.mark.parametrize(
    ("widths", "bias", "element", "wrong"),
    [
        ((1, 2, 1), True, rescale(1, 1, 2, 2), "rescale:1:1:2"),
        ((1, 2, 1), True, rescale(1, 1, 2, 2), "rescale:1:1:2:3"),
        ((1, 2, 1), True, flip_in(1, 0), "flip:1:0"),
        ((1, 2, 2, 1), False, layer_sign(1, 2), "sign:1:3"),
    ],
)
def test_a_relabelled_element_is_rejected(widths, bias, element, wrong):
    record = copy.deepcopy(_certificate(widths, bias, element))
    record["element"] = wrong
    result = check(record)
    assert not result.accepted
    assert any("not the image" in reason for reason in result.reasons)


def test_is_symmetry_and_apply_element_follow_the_facts():
    F = Fraction
    square = Net((1, 2, 2, 1), "square", None, False, "identity")
    tanh = Net((1, 2, 2, 1), "tanh", None, False, "identity")
    biased = Net((1, 2, 2, 1), "square", None, True, "identity")
    assert is_symmetry(square, "flip_in:1:0") and not is_symmetry(tanh, "flip_in:1:0")
    assert is_symmetry(square, "rescale:2:1:3:2") and not is_symmetry(square, "rescale:2:1:3")
    assert not is_symmetry(Net((1, 2, 1), "relu", None, True, "identity"), "rescale:1:0:3:2")
    assert is_symmetry(square, "sign:1:2") and not is_symmetry(square, "sign:1:3")
    assert is_symmetry(tanh, "sign:1:3") and not is_symmetry(biased, "sign:1:2")
    layers = [
        ([[F(1)], [F(2)]], None),
        ([[F(3), F(4)], [F(5), F(6)]], None),
        ([[F(7), F(8)]], None),
    ]
    assert apply_element(square, layers, "sign:1:3") == [
        ([[F(-1)], [F(-2)]], None),
        ([[F(3), F(4)], [F(5), F(6)]], None),
        ([[F(-7), F(-8)]], None),
    ]
    assert apply_element(square, layers, "rescale:1:0:2:2")[1][0] == [[F(3, 4), F(4)], [F(5, 4), F(6)]]
    assert apply_element(square, layers, "flip_in:2:1")[1][0] == [[F(3), F(4)], [F(-5), F(-6)]]


def _tanh_certificate(element, kind="chord"):
    loss = default_teacher_loss(MLP((1, 3, 1), "tanh"))
    teacher = loss.data.teacher_of.point
    certificate = certify_nonconvexity(loss, teacher, element=element, kind=kind)
    assert certificate.status == "proved", certificate.notes
    return json.loads(certificate.to_json())


@pytest.mark.parametrize(
    ("element", "kind"),
    [
        (permutation(1, (2, 0, 1)), "chord"),
        (product(flip(1, 0), permutation(1, (1, 2, 0))), "chord"),
        (product(flip(1, 2), permutation(1, (2, 0, 1))), "critical_pair"),
    ],
)
def test_permutations_and_products_are_accepted(element, kind):
    record = _tanh_certificate(element, kind)
    assert record["element"] == str(element)
    result = check(record)
    assert result.accepted, result.reasons


@pytest.mark.parametrize(
    "wrong",
    ["perm:1:1,2,0", "flip:1:1;perm:1:1,2,0", "perm:1:2,0,1;flip:1:0", "identity"],
)
def test_a_relabelled_product_is_rejected(wrong):
    record = _tanh_certificate(product(flip(1, 0), permutation(1, (1, 2, 0))))
    record["element"] = wrong
    result = check(record)
    assert not result.accepted
    assert any("not the image" in reason for reason in result.reasons)


@pytest.mark.parametrize(
    "malformed", ["perm:1:0,0,1", "perm:1:0,1", "perm:1:0,1,3", "perm:1:", "flip:1:0;", ";"]
)
def test_a_malformed_permutation_is_refused(malformed):
    record = _tanh_certificate(permutation(1, (2, 0, 1)))
    record["element"] = malformed
    with pytest.raises(CertificateFormatError):
        check(record)


def test_products_apply_left_to_right():
    net = Net((1, 3, 1), "tanh", None, True, "identity")
    one = [([[Fraction(1)], [Fraction(2)], [Fraction(3)]], [Fraction(4), Fraction(5), Fraction(6)])]
    A = [*one, ([[Fraction(7), Fraction(8), Fraction(9)]], [Fraction(0)])]
    image = apply_element(net, A, "flip:1:0;perm:1:2,0,1")
    assert image[0] == (
        [[Fraction(3)], [Fraction(-1)], [Fraction(2)]],
        [Fraction(6), Fraction(-4), Fraction(5)],
    )
    assert image[1] == ([[Fraction(9), Fraction(-7), Fraction(8)]], [Fraction(0)])
    assert is_symmetry(net, "flip:1:0;perm:1:2,0,1")
    assert not is_symmetry(Net((1, 3, 1), "relu", None, True, "identity"), "flip:1:0;perm:1:2,0,1")


# -- the cost of applying the element is priced before any arithmetic --------------------------


@pytest.fixture(scope="module")
def chord_record():
    from symcert import default_example

    example = default_example()
    certificate = certify_nonconvexity(example.loss, example.teacher, element=example.element, kind="chord")
    return json.loads(certificate.to_json())


def test_an_element_whose_exact_image_explodes_is_refused_at_once(chord_record, tmp_path):
    # The audit's 2.7 KB file: fifty rescalings by 10^2000 of degree 64 (entries of 6 million digits)
    # ran for more than 120 s; it is now refused by the estimate, before any arithmetic.
    import time

    from symcert.checker import CertificateBudgetError
    from symcert.cli import main

    record = copy.deepcopy(chord_record)
    record["element"] = ";".join(["rescale:1:0:1e2000:64"] * 50)
    path = tmp_path / "element.json"
    path.write_text(json.dumps(record))
    assert path.stat().st_size < 4000
    start = time.perf_counter()
    with pytest.raises(CertificateBudgetError, match=r"applying its element exactly .* digits"):
        check(path)
    assert time.perf_counter() - start < 0.5
    assert main(["check", str(path)]) == 2


def test_a_short_element_is_priced_above_its_measured_cost(chord_record):
    # Four rescalings (entries of 1.7 million digits) are checked, and their estimate bounds the time.
    import time

    from symcert.checker import loads
    from symcert.checker.budget import element_cost
    from symcert.checker.statement import Statement

    record = copy.deepcopy(chord_record)
    record["element"] = ";".join(["rescale:1:0:1e2000:64"] * 4)
    statement = Statement(loads(json.dumps(record)))
    start = time.perf_counter()
    image = apply_element(statement.net, statement.A, statement.element)
    measured = time.perf_counter() - start
    cost = element_cost(statement)
    bits = max(v.numerator.bit_length() + v.denominator.bit_length() for w, _ in image for r in w for v in r)
    assert cost.seconds > measured and cost.bits >= bits
    result = check(record)  # within the budget: checked, and B is not that image
    assert not result.accepted and "not the image" in result.reasons[0]
    assert len(result.reasons[0]) < 200  # the element is shown shortened
    assert check(chord_record).accepted  # the prover's own element is priced at almost nothing
    assert element_cost(Statement(loads(json.dumps(chord_record)))).seconds < 0.01


_FACTORS = st.sampled_from(
    [
        "swap:1:0,1",
        "swap:1:1,2",
        "flip:1:0",
        "flip:1:2",
        "perm:1:2,0,1",
        "rescale:1:0:3/7",
        "rescale:1:1:10:3",
    ]
)


@settings(max_examples=40, deadline=None)
@given(
    factors=st.lists(_FACTORS, min_size=1, max_size=12), activation=st.sampled_from(["sigmoid", "identity"])
)
@example(factors=["rescale:1:0:10:3", "flip:1:0"] * 6, activation="sigmoid")
def test_the_size_bound_holds_for_every_product(factors, activation):
    # The estimate's bound of every entry's size is an upper bound of the sizes of the exact image.
    from types import SimpleNamespace

    from symcert.checker.budget import element_cost

    net = Net((2, 3, 2), activation, None, True, "identity")
    F = Fraction
    A = [
        ([[F(1, 3), F(-2)], [F(5, 7), F(1)], [F(2), F(-1, 9)]], [F(1, 2), F(0), F(-3)]),
        ([[F(1), F(2, 5), F(-1)], [F(3), F(-1, 4), F(1, 6)]], [F(1, 11), F(2)]),
    ]
    element = ";".join(factors)
    image = apply_element(net, A, element)
    bits = max(
        v.numerator.bit_length() + v.denominator.bit_length()
        for w, b in image
        for v in [*(x for r in w for x in r), *b]
    )
    assert element_cost(SimpleNamespace(net=net, A=A, B=A, element=element)).bits >= bits
