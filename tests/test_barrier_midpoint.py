"""Midpoint-form barriers: a lower end above 0 shows non-convexity only when L(A) = L(B).

The midpoint form's chord is (L(A) + L(B))/2 for every t; it differs from the Entezari bracket by
(t - 1/2)(L(A) - L(B)). On a convex loss (linear regression) with L(A) = 0 and L(B) = 10 the
midpoint barrier is 5 > 0: reading that as "not convex" would be a false theorem.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction

from symcert import MLP, Dataset, Loss
from symcert.printing.latex.kinds import kind_latex
from symcert.proofs.barrier import certify_barrier


def _shows_nonconvexity(certificate) -> bool:
    return kind_latex(certificate.kind).shows_nonconvexity(certificate)


NET = MLP((1, 1), "identity")
LINEAR = Loss(NET, Dataset([[0], [1]], [[0], [1]]), "mse")  # convex in (w, b): a Gram matrix
A = NET.point(W1=[[1]], b1=[0])  # L(A) = 0
B = NET.point(W1=[[3]], b1=[2])  # L(B) = 10


def test_a_positive_midpoint_barrier_on_a_convex_loss_shows_nothing():
    result = certify_barrier(LINEAR, A, B, form="midpoint")
    assert result.status == "proved" and result.lo > 4  # the midpoint barrier is 5, certified > 0 ...
    assert not _shows_nonconvexity(result.certificate())  # ... and proves nothing about convexity


def test_the_entezari_form_of_the_same_pair_is_zero():
    result = certify_barrier(LINEAR, A, B)
    assert result.lo <= 0 and not _shows_nonconvexity(result.certificate())


def test_with_equal_losses_a_positive_midpoint_barrier_shows_nonconvexity():
    from symcert import default_example

    example = default_example()  # B = swap(A): L(A) = L(B), both chords coincide
    B = example.element(example.teacher)
    for form in ("midpoint", "entezari"):
        certificate = certify_barrier(example.loss, example.teacher, B, form=form).certificate()
        assert certificate.enclosures["barrier"][0] > 4
        assert _shows_nonconvexity(certificate), form


def test_the_rule_uses_the_gap_between_the_enclosures_of_L_A_and_L_B():
    certificate = certify_barrier(LINEAR, A, B, form="midpoint").certificate()
    enclosures = dict(certificate.enclosures)
    enclosures["barrier"] = (Fraction(51, 10), Fraction(52, 10))  # above |L(A) - L(B)|/2 = 5: shown
    assert _shows_nonconvexity(dataclasses.replace(certificate, enclosures=enclosures))
    enclosures["barrier"] = (Fraction(49, 10), Fraction(52, 10))  # below it: not shown
    assert not _shows_nonconvexity(dataclasses.replace(certificate, enclosures=enclosures))
