"""align: recovering hidden signed permutations exactly, the exact element, its proof, bad input."""

from __future__ import annotations

import json
from itertools import pairwise

import numpy as np
import pytest
import sympy
from hypothesis import example, given, settings
from hypothesis import strategies as st

from symcert import (
    MLP,
    Dataset,
    Loss,
    SpecificationError,
    align,
    flip,
    flip_in,
    inverse,
    parse_element,
    permutation,
    product,
    prove_invariance,
    swap,
)
from symcert.numeric.matching import weight_matching
from symcert.proofs.structural import prove_signed_permutation
from symcert.symbolic.permutations import Permutation

SIGN = {"tanh": flip, "sigmoid": flip, "square": flip_in, "relu": None}


def hidden_element(net: MLP, perms: list[list[int]], signs: list[list[bool]]):
    """The product of the drawn flips (where the activation allows them) and permutations."""
    make = SIGN[net.activation.name] if net.bias or net.activation.name != "sigmoid" else None
    factors = []
    for l, (perm, flips) in enumerate(zip(perms, signs), start=1):
        if make is not None:
            factors += [make(l, u) for u, on in enumerate(flips) if on]
        factors.append(permutation(l, perm))
    return product(*factors)


@st.composite
def hidden_pairs(draw, activations=("tanh", "square", "relu", "sigmoid")):
    act = draw(st.sampled_from(activations))
    hidden = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
    widths = (draw(st.integers(1, 3)), *hidden, draw(st.integers(1, 2)))
    bias = draw(st.booleans())
    perms = [draw(st.permutations(range(n))) for n in hidden]
    signs = [draw(st.lists(st.booleans(), min_size=n, max_size=n)) for n in hidden]
    return MLP(widths, act, bias=bias), perms, signs, draw(st.integers(0, 10**6))


PINNED = [
    (MLP((2, 3, 1), "tanh"), [[2, 0, 1]], [[True, False, True]], 1),
    (MLP((1, 4, 4, 2), "tanh"), [[3, 1, 0, 2], [1, 0, 3, 2]], [[True] * 4, [False, True, False, True]], 0),
    (MLP((2, 3, 3, 1), "square"), [[1, 2, 0], [2, 1, 0]], [[True, True, False], [False, False, True]], 4),
    (MLP((3, 4, 2, 1), "relu"), [[3, 2, 1, 0], [1, 0]], [[False] * 4, [False] * 2], 3),
    (MLP((2, 3, 2, 1), "sigmoid"), [[1, 2, 0], [1, 0]], [[True, False, True], [True, True]], 5),
    (MLP((1, 2, 2, 1), "tanh", bias=False), [[1, 0], [1, 0]], [[True, False], [False, True]], 2),
]

#: The unit of the third layer has zero incoming weights: the data cannot see its sign, the weights can.
DEAD_UNIT = (
    MLP((1, 2, 1, 1, 1), "tanh", bias=False),
    [[0, 1], [0], [0]],
    [[False, False], [False], [True]],
    168,
)


def check_recovered(net, perms, signs, seed, result, B):
    A, g = result.A, hidden_element(net, perms, signs)
    assert result.aligned == A  # exactly: h(B) = A
    if 0 not in A.values:  # A generic enough for a trivial stabiliser: then h = g^-1 exactly
        other = net.random_point(seed + 1, denominator=89)
        assert result.element(g(other)) == other
    assert result.aligned == result.element(B)


@settings(max_examples=12, deadline=None)
@given(hidden_pairs())
@example(PINNED[0])
@example(PINNED[1])
@example(PINNED[2])
@example(PINNED[3])
@example(PINNED[4])
@example(PINNED[5])
def test_weight_matching_recovers_a_hidden_signed_permutation(case):
    net, perms, signs, seed = case
    A = net.random_point(seed, denominator=97)
    B = hidden_element(net, perms, signs)(A)
    result = align(A, B, seed=seed)
    check_recovered(net, perms, signs, seed, result, B)
    assert result.proof.status == "proved"
    assert all(p.status == "proved" for p in result.proof.parts)
    assert result.objective_after >= result.objective_before
    assert result.distance_after == 0.0


@settings(max_examples=8, deadline=None)
@given(hidden_pairs())
@example(PINNED[1])
@example(PINNED[2])
@example(PINNED[4])
@example(DEAD_UNIT)
def test_activation_matching_recovers_a_hidden_signed_permutation(case):
    net, perms, signs, seed = case
    A = net.random_point(seed, denominator=97)
    B = hidden_element(net, perms, signs)(A)
    xs = np.random.default_rng(seed).normal(size=(3 * max(net.widths) + 5, net.widths[0]))
    result = align(A, B, data=xs, prove=False)
    assert result.method == "activations"
    check_recovered(net, perms, signs, seed, result, B)


def test_activation_matching_accepts_a_dataset_and_proves_on_a_loss():
    net = MLP((1, 3, 1), "tanh")
    A = net.random_point(7, denominator=97)
    B = product(flip(1, 0), permutation(1, (1, 2, 0)))(A)
    data = Dataset([[-1], [0], ["1/2"], [1], [2]], [[0], [1], [0], [1], [0]])
    loss = Loss(net, data, "mse")
    result = align(A, B, data=data, target=loss)
    assert result.aligned == A
    assert result.proof.status == "proved" and result.proof.target is loss
    record = json.loads(json.dumps(result.to_dict()))
    assert record["element"] == str(result.element) and record["proof"] == "proved"
    assert parse_element(record["element"])(B) == net.point(**record["aligned"]) == A


@pytest.mark.parametrize("act", ["tanh", "square", "sigmoid"])
def test_one_hidden_layer_is_recovered_from_the_identity_start(act):
    """One hidden layer: a single exact assignment on both sides, signs chosen with the outgoing weights."""
    net = MLP((2, 5, 3), act)
    for seed in range(3):
        A = net.random_point(seed, scale=1, denominator=97)
        big = [v * 6 if name.startswith("W2") else v for name, v in zip(net.parameter_names, A.values)]
        A = net.point_from_values(big)  # outgoing weights dominate the incoming ones
        g = product(*(SIGN[act](1, u) for u in (0, 2, 3)), permutation(1, (4, 2, 0, 1, 3)))
        result = align(A, g(A), init="identity", prove=False)
        assert result.aligned == A and result.iterations == 2  # one sweep to find it, one to stop


def test_units_told_apart_only_by_their_outgoing_weights():
    net = MLP((2, 3, 2), "tanh")
    A = net.point(W1=[[1, 2], [1, 2], [-3, 1]], b1=[1, 1, 0], W2=[[1, 5, 2], [-2, 3, 1]], b2=[0, 1])
    for init in ("forward", "identity"):
        result = align(A, swap(1, 0, 1)(A), init=init, prove=False)
        assert result.aligned == A


def test_softmax_networks_are_proved_on_their_logits_by_default():
    net = MLP((2, 3, 3), "tanh", output_activation="softmax")
    A = net.random_point(4, denominator=97)
    B = product(flip(1, 2), permutation(1, (2, 0, 1)))(A)
    logits = MLP((2, 3, 3), "tanh")
    result = align(A, B)
    assert result.aligned == A and result.proof.status == "proved" and result.proof.target == logits
    assert align(A, B, target=net).proof.target == net


def test_relu_uses_permutations_only_and_is_proved():
    net = MLP((2, 4, 3, 1), "relu")
    A, B = net.random_point(1, denominator=97), net.random_point(2, denominator=97)
    result = align(A, B)
    assert result.element.factors and all(isinstance(f, Permutation) for f in result.element.factors)
    assert result.proof.status == "proved"
    assert prove_invariance(net, flip(1, 0)).status == "refuted"  # why flips must stay out


def test_sign_flips_are_used_for_tanh_and_square():
    for act, kind in (("tanh", "flip"), ("square", "flip_in")):
        net = MLP((2, 3, 1), act)
        A = net.random_point(3, denominator=97)
        B = product(SIGN[act](1, 1), SIGN[act](1, 2))(A)
        result = align(A, B)
        assert result.aligned == A
        assert sorted(str(f) for f in result.element.factors) == [f"{kind}:1:1", f"{kind}:1:2"]


@pytest.mark.parametrize(
    "widths, act", [((2, 4, 4, 1), "tanh"), ((3, 5, 4, 2), "relu"), ((2, 4, 3, 1), "sigmoid")]
)
def test_objective_never_decreases_and_matches_the_exact_image(widths, act):
    net = MLP(widths, act)
    for seed in range(4):
        A, B = net.random_point(seed, denominator=97), net.random_point(seed + 50, denominator=97)
        result = align(A, B, seed=seed, prove=False)
        history = result.history
        assert all(later >= earlier for earlier, later in pairwise(history))
        assert result.iterations == len(history) - 2 and result.converged
        assert result.objective_after == pytest.approx(history[-1], rel=1e-12)
        if act != "sigmoid":  # plain inner products, recomputed exactly from the exact points
            exact_before = sum(a * b for a, b in zip(A.values, B.values))
            exact_after = sum(a * b for a, b in zip(A.values, result.aligned.values))
            assert result.objective_before == pytest.approx(float(exact_before), rel=1e-12)
            assert result.objective_after == pytest.approx(float(exact_after), rel=1e-12)
            assert result.distance_after <= result.distance_before


def test_coordinate_descent_improves_on_its_start():
    rng = np.random.default_rng(0)
    shapes = [(6, 3), (6, 6), (6, 6), (1, 6)]
    a = [(rng.normal(size=s), rng.normal(size=s[0])) for s in shapes]
    b = [(rng.normal(size=s), rng.normal(size=s[0])) for s in shapes]
    found = weight_matching(a, b, ["flip", "flip", "flip"], init="identity", seed=0)
    assert found.history[-1] > found.history[0]
    assert all(y >= x for x, y in pairwise(found.history))


def test_barrier_hook_and_float_estimates():
    net = MLP((1, 2, 1), "tanh")
    teacher = net.point(W1=[[1], [-2]], b1=[0, "1/2"], W2=[[1, 3]], b2=[0])
    loss = Loss(net, Dataset.teacher(net, teacher, [[-1], [0], [1]]), "mse")
    result = align(teacher, swap(1, 0, 1)(teacher), target=loss)
    assert result.barrier_before is None and result.barrier_after is None
    estimates = result.estimate_barriers(loss, points=11)
    assert estimates.before > 0.1 and abs(estimates.after) < 1e-12
    filled = result.with_barriers("before", "after")
    assert (filled.barrier_before, filled.barrier_after, result.barrier_before) == ("before", "after", None)


def test_bad_input_is_rejected_with_a_clear_error():
    net = MLP((2, 3, 1), "tanh")
    A = net.random_point(0)
    with pytest.raises(SpecificationError, match="same network"):
        align(A, MLP((2, 4, 1), "tanh").random_point(0))
    with pytest.raises(SpecificationError, match="two Points"):
        align(A, [1, 2, 3])
    with pytest.raises(SpecificationError, match=r"shape \(n_points, 2\)"):
        align(A, A, data=np.zeros((5, 3)))
    with pytest.raises(SpecificationError, match=r"shape \(n_points, 2\)"):
        align(A, A, data=[1, 2, 3])
    with pytest.raises(SpecificationError, match="needs data"):
        align(A, A, method="activations")
    with pytest.raises(SpecificationError, match="method must be"):
        align(A, A, method="greedy")
    with pytest.raises(SpecificationError, match="init must be"):
        align(A, A, init="random")
    with pytest.raises(SpecificationError, match="max_iter"):
        align(A, A, max_iter=0)
    with pytest.raises(SpecificationError, match="target"):
        align(A, A, target=MLP((2, 3, 1), "relu"))


def test_permutation_element():
    net = MLP((1, 3, 1), "tanh")
    P = permutation(1, (2, 0, 1))
    A = net.point(W1=[[1], [2], [3]], b1=[4, 5, 6], W2=[[7, 8, 9]], b2=[0])
    assert P(A) == net.point(W1=[[3], [1], [2]], b1=[6, 4, 5], W2=[[9, 7, 8]], b2=[0])
    assert P(A) == product(swap(1, 0, 2), swap(1, 1, 2))(A)  # the same as two swaps
    assert inverse(P)(P(A)) == A and P(inverse(P)(A)) == A
    assert parse_element(str(P)) == P and str(P) == "perm:1:2,0,1"
    g = product(flip(1, 0), P, flip_in(1, 2))
    assert parse_element(str(g)) == g and parse_element("identity") == product()
    assert inverse(g)(g(A)) == A
    assert net.symmetry_group().contains(P) and net.symmetry_group().contains(product(P, flip(1, 1)))
    assert not MLP((1, 3, 1), "relu").symmetry_group().contains(product(P, flip(1, 1)))
    for bad in ((0, 0, 1), (1, 2, 3), "012"):
        with pytest.raises(SpecificationError, match="exactly once"):
            permutation(1, bad)
    with pytest.raises(SpecificationError, match="lists 2 units"):
        permutation(1, (1, 0))(A)
    for text in ("perm:1:0;", ";", "perm:1:0,x", "identity;identity"):
        with pytest.raises(SpecificationError, match="cannot read"):
            parse_element(text)


def test_products_are_proved_factor_by_factor_and_decided_whole_otherwise():
    relu = MLP((2, 3, 1), "relu")
    assert prove_invariance(relu, permutation(1, (1, 2, 0))).status == "proved"
    proof = prove_invariance(relu, product(swap(1, 0, 1), permutation(1, (1, 2, 0))))
    assert proof.status == "proved" and [p.status for p in proof.parts] == ["proved", "proved"]
    assert prove_invariance(relu, product(flip(1, 0))).status == "refuted"
    twice = prove_invariance(relu, product(flip(1, 0), flip(1, 0)))  # the identity, through refuted factors
    assert twice.status == "proved" and [p.status for p in twice.parts] == ["refuted", "refuted"]
    assert prove_invariance(relu, product()).status == "proved"
    sigmoid = MLP((1, 2, 1), "sigmoid")
    point = sigmoid.point(W1=[[1], [2]], b1=[3, 4], W2=[[5, 6]], b2=[sympy.Rational(1, 3)])
    g = product(flip(1, 0), permutation(1, (1, 0)))
    assert g(point).values[-1] == sympy.Rational(1, 3) + 5  # the bias shift of the sigmoid flip
    assert prove_invariance(sigmoid, g).status == "proved"


@settings(max_examples=15, deadline=None)
@given(hidden_pairs())
@example(PINNED[2])
@example(PINNED[4])
@example(PINNED[5])
def test_the_structural_proof_agrees_with_the_symbolic_one(case):
    """prove_signed_permutation decides as prove_invariance does, a second way, on every drawn element."""
    net, perms, signs, _ = case
    g = hidden_element(net, perms, signs)
    structural = prove_signed_permutation(net, g)
    assert structural.status == prove_invariance(net, g).status == "proved"
    assert all(p.status == "proved" for p in structural.parts)


def test_the_structural_proof_refuses_what_is_not_a_symmetry():
    relu = MLP((2, 3, 1), "relu")
    assert prove_signed_permutation(relu, flip(1, 0)).status == "refuted"  # relu is not odd
    assert prove_signed_permutation(relu, product(flip(1, 0), flip(1, 0))).status == "proved"  # identity
    no_bias = MLP((1, 2, 1), "sigmoid", bias=False)  # the flip needs the bias shift it cannot make
    assert (
        prove_signed_permutation(no_bias, flip(1, 0)).status == prove_invariance(no_bias, flip(1, 0)).status
    )
    assert prove_signed_permutation(MLP((1, 2, 1), "tanh"), product()).status == "proved"
    with pytest.raises(SpecificationError, match="acts on layer"):
        prove_signed_permutation(relu, flip(2, 0))


def test_align_proves_a_digits_sized_element_on_the_network_function_quickly():
    """64-32-10: the symbolic canonical form takes seconds; the structural argument per factor a fraction."""
    import time

    net = MLP((64, 32, 10), "tanh", output_activation="softmax")
    A = net.random_point(3, denominator=97)
    rng = np.random.default_rng(0)
    g = product(
        *(flip(1, int(u)) for u in rng.permutation(32)[:12]), permutation(1, rng.permutation(32).tolist())
    )
    start = time.perf_counter()
    result = align(A, g(A))
    assert time.perf_counter() - start < 2.0
    assert result.aligned == A and result.proof.status == "proved"
    assert all(any(step.name == "action" for step in p.steps) for p in result.proof.parts)
    assert result.proof.claim.startswith("f(x; g(theta)) = f(x; theta)")
