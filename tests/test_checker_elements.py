"""The independent checker re-applies the new group elements: flip_in, rescale of degree k, sign:F:T.

Certificates built with them are accepted; a wrong degree or a sign on the wrong layers no longer
maps A to B and is rejected; ``is_symmetry`` follows the facts (used by critical certificates).
"""

from __future__ import annotations

import copy
import json
from fractions import Fraction

import pytest

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
