"""Tests of the symmetries derived from the even, odd and homogeneity facts (symcert.symbolic.group).

Orders derived by hand for square networks (``s(u) = u^2``: even, homogeneous of degree 2):

- widths (1, 2, 1), with or without biases. Swapping the two hidden units gives 2! maps. Each
  unit's incoming sign, ``(w_j, b_j) -> (-w_j, -b_j)``, sends ``u_j`` to ``-u_j`` and leaves
  ``u_j^2`` unchanged: 2^2 sign patterns. Swaps and signs act on the rows of ``W1`` (and ``b1``),
  and on the columns of ``W2``, so all 2! * 2^2 = 8 combinations are distinct maps: order 8.
  A flip in the odd sense also negates the unit's column ``v_j``, which changes ``v_j u_j^2``:
  not a symmetry. Without biases a sign carried across layers (negate ``W1`` and ``W2``) would
  end at the output layer, whose values change sign: none. The rescaling
  ``(w_j, b_j, v_j) -> (c w_j, c b_j, v_j / c^2)`` gives one dimension per unit: dimension 2.
- widths (1, 2, 2, 1): each hidden layer contributes 2! * 2^2 = 8 as above, acting on different
  parameters, so the order is 8 * 8 = 64 with or without biases. Without biases, negating all
  of ``W1`` and all of ``W2`` is a symmetry (each square layer absorbs the sign that reaches it),
  but it is the product of the four incoming signs, so it adds nothing: still 64. With biases
  negating ``W2`` alone gives ``-W2 a + b2``, not ``+-(W2 a + b2)``: no sign across layers.
  Continuous dimension 2 + 2 = 4, degree 2.

The orders are also recounted by closing a generic point under the generators (the action is
free at a point with distinct entries, so the orbit size is the order).
"""

from __future__ import annotations

import pytest
import sympy

from symcert import MLP, flip, flip_in, layer_sign, prove_invariance, rescale, swap
from symcert.proofs.serialize import group_to_dict
from symcert.symbolic.group import carries_sign


def _orbit_size(group, seed: int = 3) -> int:
    start = group.mlp.random_point(seed, scale=50, denominator=7)
    seen, frontier = {start.values}, [start]
    while frontier:
        point = frontier.pop()
        for g in group.generators:
            image = g(point)
            if image.values not in seen:
                seen.add(image.values)
                frontier.append(image)
    return len(seen)


@pytest.mark.parametrize(
    ("widths", "bias", "order", "generators", "cross", "dimension"),
    [
        ((1, 2, 1), True, 8, (swap(1, 0, 1), flip_in(1, 0)), (), 2),
        ((1, 2, 1), False, 8, (swap(1, 0, 1), flip_in(1, 0)), (), 2),
        ((1, 2, 2, 1), True, 64, (swap(1, 0, 1), flip_in(1, 0), swap(2, 0, 1), flip_in(2, 0)), (), 4),
        (
            (1, 2, 2, 1),
            False,
            64,
            (swap(1, 0, 1), flip_in(1, 0), swap(2, 0, 1), flip_in(2, 0)),
            (layer_sign(1, 2),),
            4,
        ),
    ],
)
def test_square_group_orders_derived_by_hand(widths, bias, order, generators, cross, dimension):
    group = MLP(widths, "square", bias=bias).symmetry_group()
    assert group.order == order
    assert group.generators == generators
    assert group.cross_layer == cross
    assert sum(f.dimension for f in group.continuous) == dimension
    assert {f.degree for f in group.continuous} == {2}
    assert _orbit_size(group) == order
    data = group_to_dict(group)
    assert data["order"] == order
    assert [c["element"] for c in data["cross_layer"]] == [str(g) for g in cross]
    assert all(
        layer["sign_flip_kind"] == "flip_in" and layer["rescaling_degree"] == 2 for layer in data["layers"]
    )
    assert [f["degree"] for f in data["continuous"]] == [2] * (len(widths) - 2)


def test_cross_layer_signs_are_products_of_the_generators():
    square = MLP((1, 2, 2, 1), "square", bias=False)
    p = square.random_point(5)
    product = p
    for g in (flip_in(1, 0), flip_in(1, 1), flip_in(2, 0), flip_in(2, 1)):
        product = g(product)
    assert layer_sign(1, 2)(p) == product
    tanh = MLP((1, 2, 2, 1), "tanh", bias=False)
    q = tanh.random_point(6)
    product = q
    for g in (flip(1, 0), flip(1, 1), flip(2, 0), flip(2, 1)):
        product = g(product)
    assert layer_sign(1, 3)(q) == product  # W2 is negated twice
    assert tanh.symmetry_group().cross_layer == (layer_sign(1, 2), layer_sign(2, 3))


@pytest.mark.parametrize(
    ("act", "bias", "negated", "holds", "reason"),
    [
        ("square", False, {1, 2}, True, "absorbs"),
        ("square", False, {1, 3}, False, "outputs change sign"),
        ("square", True, {1, 2}, False, "not +-"),
        ("tanh", False, {1, 3}, True, "passes the sign on"),
        ("tanh", False, {1, 2}, True, "cancels"),
        ("tanh", False, {2}, False, "outputs change sign"),
        ("relu", False, {1, 2}, False, "neither odd nor even"),
        ("sigmoid", False, {1, 2}, False, "neither odd nor even"),
    ],
)
def test_the_sign_rule_follows_the_facts(act, bias, negated, holds, reason):
    verdict, account = carries_sign(MLP((1, 2, 2, 1), act, bias=bias), negated)
    assert verdict is holds
    assert reason in account


def test_square_after_square_absorbs_a_flip_of_a_one_unit_layer():
    net = MLP((2, 1, 3, 1), "square", bias=False)
    group = net.symmetry_group()
    assert group.contains(flip(1, 0))  # = flip_in(1, 0) then W2 negated, absorbed by layer 2
    assert not group.contains(flip(2, 1))  # layer 2 has three units
    assert not MLP((2, 1, 3, 1), "square").symmetry_group().contains(flip(1, 0))
    assert prove_invariance(net, flip(1, 0)).status == "proved"


def test_homogeneous_degrees_give_the_continuous_families():
    for act, degree in (("relu", 1), ("leaky_relu:1/10", 1), ("identity", 1), ("square", 2), ("cube", 3)):
        group = MLP((1, 3, 1), act).symmetry_group()
        (family,) = group.continuous
        assert (family.dimension, family.degree) == (3, degree)
        assert group.contains(family.element(2, sympy.Rational(5, 2)))
        assert not group.contains(rescale(1, 2, sympy.Rational(5, 2), degree + 1))
    for act in ("tanh", "sigmoid", "softplus"):
        assert MLP((1, 3, 1), act).symmetry_group().continuous == ()
