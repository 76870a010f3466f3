"""Tests of symcert.proofs.invariance: symbolic invariance proofs and refutations.

Every verdict is checked a second way: a proof against the group's own facts
and an independent evaluation, a refutation by recomputing both sides of its
counterexample exactly (exact activations) or with mpmath at 50 digits.
"""

from __future__ import annotations

import re
from fractions import Fraction

import mpmath
import pytest
import sympy
from hypothesis import example, given
from hypothesis import strategies as st

from symcert import (
    MLP,
    Dataset,
    Loss,
    Proof,
    SpecificationError,
    flip,
    parse_element,
    prove_invariance,
    rescale,
    swap,
)
from symcert.proofs.generation import generation_argument

R = sympy.Rational

ALL = ["identity", "tanh", "sigmoid", "relu", "leaky_relu", "leaky_relu:1/10", "softplus", "square", "cube"]
FLIP_PROVED = ["tanh", "identity", "cube", "sigmoid"]  # sigmoid with biases
FLIP_REFUTED = ["relu", "leaky_relu:1/10", "softplus", "square"]
RESCALE_PROVED = ["relu", "leaky_relu", "leaky_relu:1/10", "identity"]
RESCALE_REFUTED = ["tanh", "sigmoid", "softplus", "square", "cube"]

XS = [[1], ["-1/2"], [2]]
YS = [[1], [0], ["1/3"]]


def _loss(act, *, bias=True, widths=(1, 2, 1), weight_decay=0, xs=XS, ys=YS):
    return Loss(MLP(widths, act, bias=bias), Dataset(xs, ys), "mse", weight_decay)


def _target(kind, act, **kwargs):
    loss = _loss(act, **kwargs)
    return loss.mlp if kind == "mlp" else loss


def check_refutation(proof: Proof, reference) -> None:
    """Re-check a refutation's counterexample without trusting the prover."""
    assert proof.status == "refuted" and proof.holds is False
    ce = proof.counterexample
    assert ce is not None
    decision = ce.difference
    assert decision.proved and decision.status == "proved" and decision.relation == "!="
    assert decision.lower <= decision.upper
    assert decision.lower > 0 or decision.upper < 0
    element, point = proof.element, ce.point
    image = reference.image(point, element)
    assert image == element(point)
    target = proof.target
    mlp = target.mlp if isinstance(target, Loss) else target
    assert point.mlp == mlp
    if isinstance(target, Loss):
        assert ce.x is None
        if mlp.activation.exact:
            before = target.expr.xreplace(point.as_dict())
            after = target.expr.xreplace(image.as_dict())
            if mlp.output_activation.name == "identity" and target.kind in ("mse", "sse"):
                assert isinstance(before, sympy.Rational) and isinstance(after, sympy.Rational)
                assert before != after
                assert decision.lower <= after - before <= decision.upper
        with mpmath.workdps(50):
            difference = reference.loss(target, image) - reference.loss(target, point)
            assert _inside(difference, decision)
    else:
        assert ce.x is not None and len(ce.x) == mlp.widths[0]
        if mlp.activation.exact and mlp.output_activation.name == "identity":
            before = mlp.output(list(ce.x), point)
            after = mlp.output(list(ce.x), image)
            differences = [a - b for a, b in zip(after, before)]
            assert any(decision.lower <= d <= decision.upper for d in differences)
            assert any(d != 0 for d in differences)
        with mpmath.workdps(50):
            before = reference.output(point, ce.x)
            after = reference.output(image, ce.x)
            assert any(_inside(a - b, decision) for a, b in zip(after, before))


def _inside(value, decision) -> bool:
    """``value`` (50 digits) lies in the decision's enclosure, up to 10^-40, and is nonzero."""
    slack = mpmath.mpf(10) ** -40
    lo = mpmath.mpf(decision.lower.p) / decision.lower.q
    hi = mpmath.mpf(decision.upper.p) / decision.upper.q
    return lo - slack <= value <= hi + slack and abs(value) > slack


# -- element by element -------------------------------------------------------------


@pytest.mark.parametrize("kind", ["mlp", "loss"])
@pytest.mark.parametrize("act", ALL)
def test_swap_is_proved_for_every_activation(kind, act):
    proof = prove_invariance(_target(kind, act), swap(1, 0, 1))
    assert proof.status == "proved" and proof.holds is True
    assert proof.counterexample is None


@pytest.mark.parametrize("kind", ["mlp", "loss"])
@pytest.mark.parametrize("act", FLIP_PROVED)
def test_flip_is_proved_for_odd_activations_and_sigmoid_with_bias(kind, act):
    proof = prove_invariance(_target(kind, act), flip(1, 1))
    assert proof.status == "proved", proof.summary()
    keys = {lemma.key for lemma in proof.lemmas}
    assert ("complement" if act == "sigmoid" else "odd") in keys


@pytest.mark.parametrize("kind", ["mlp", "loss"])
@pytest.mark.parametrize("act", FLIP_REFUTED)
def test_flip_is_refuted_for_other_activations(kind, act, reference):
    proof = prove_invariance(_target(kind, act), flip(1, 1))
    check_refutation(proof, reference)


@pytest.mark.parametrize("kind", ["mlp", "loss"])
def test_flip_is_refuted_for_sigmoid_without_bias(kind, reference):
    proof = prove_invariance(_target(kind, "sigmoid", bias=False), flip(1, 0))
    check_refutation(proof, reference)


@pytest.mark.parametrize("kind", ["mlp", "loss"])
@pytest.mark.parametrize("act", RESCALE_PROVED)
def test_rescale_is_proved_for_positively_homogeneous_activations(kind, act):
    proof = prove_invariance(_target(kind, act), rescale(1, 0, "3/2"))
    assert proof.status == "proved", proof.summary()
    assert "homogeneous" in {lemma.key for lemma in proof.lemmas}


@pytest.mark.parametrize("kind", ["mlp", "loss"])
@pytest.mark.parametrize("act", RESCALE_REFUTED)
def test_rescale_is_refuted_for_other_activations(kind, act, reference):
    proof = prove_invariance(_target(kind, act), rescale(1, 0, "3/2"))
    check_refutation(proof, reference)


@pytest.mark.parametrize("kind", ["mlp", "loss"])
@pytest.mark.parametrize("act", ALL)
def test_rescale_by_one_is_the_identity(kind, act):
    assert prove_invariance(_target(kind, act), rescale(1, 0, 1)).status == "proved"


@pytest.mark.parametrize("act", ["relu", "leaky_relu:1/10", "identity"])
def test_weight_decay_breaks_rescaling(act, reference):
    loss = _loss(act, weight_decay="1/10")
    proof = prove_invariance(loss, rescale(1, 0, 2))
    check_refutation(proof, reference)
    # without weight decay the same rescaling is a symmetry
    assert prove_invariance(_loss(act), rescale(1, 0, 2)).status == "proved"


@pytest.mark.parametrize("act", ["tanh", "cube", "sigmoid"])
def test_weight_decay_keeps_swaps_and_flips(act):
    loss = _loss(act, weight_decay="1/10")
    assert prove_invariance(loss, swap(1, 0, 1)).status == "proved"
    assert prove_invariance(loss, flip(1, 0)).status == "proved"


def test_deeper_networks():
    loss = Loss(MLP((2, 3, 2, 1), "sigmoid"), Dataset([[1, 0], ["-1/2", 2]], [[1], [0]]), "mse")
    for element in (swap(1, 0, 2), swap(2, 0, 1), flip(1, 2), flip(2, 1)):
        assert prove_invariance(loss, element).status == "proved", element
    assert prove_invariance(loss, rescale(2, 1, 2)).status == "refuted"
    relu = Loss(MLP((2, 3, 2, 1), "relu"), Dataset([[1, 0], ["-1/2", 2]], [[1], [0]]), "sse")
    assert prove_invariance(relu, rescale(2, 1, "1/3")).status == "proved"
    assert prove_invariance(relu.mlp, rescale(1, 2, 5)).status == "proved"
    assert prove_invariance(relu, flip(2, 0)).status == "refuted"


def test_sigmoid_flip_without_the_bias_shift_is_not_a_symmetry(reference):
    # the shift b2 += W2[:, j] is what makes the sigmoid flip a symmetry: check
    # with an independent evaluation that dropping it changes the loss
    loss = _loss("sigmoid")
    point = loss.mlp.point(W1=[[1], [2]], b1=[0, "1/2"], W2=[[3, -1]], b2=[0])
    shifted = flip(1, 0)(point)
    unshifted = loss.mlp.point(W1=[[-1], [2]], b1=[0, "1/2"], W2=[[-3, -1]], b2=[0])
    with mpmath.workdps(50):
        base = reference.loss(loss, point)
        assert abs(reference.loss(loss, shifted) - base) < mpmath.mpf(10) ** -40
        assert abs(reference.loss(loss, unshifted) - base) > mpmath.mpf(1) / 100


# -- outputs other than identity ------------------------------------------------------


def test_bce_loss_with_sigmoid_output(reference):
    net = MLP((1, 2, 1), "tanh", output_activation="sigmoid")
    loss = Loss(net, Dataset(XS, [[1], [0], ["1/3"]]), "bce")
    assert prove_invariance(loss, swap(1, 0, 1)).status == "proved"
    assert prove_invariance(loss, flip(1, 0)).status == "proved"
    check_refutation(prove_invariance(loss, rescale(1, 1, "1/2")), reference)


def test_bce_loss_with_sigmoid_hidden_units(reference):
    net = MLP((1, 2, 1), "sigmoid", output_activation="sigmoid")
    loss = Loss(net, Dataset(XS, [[1], [0], ["1/3"]]), "bce")
    assert prove_invariance(loss, flip(1, 1)).status == "proved"
    assert prove_invariance(loss, net.symmetry_group()).status == "proved"
    check_refutation(prove_invariance(loss, rescale(1, 1, 3)), reference)


def test_cross_entropy_loss_with_softmax_output(reference):
    net = MLP((1, 2, 3), "relu", output_activation="softmax")
    loss = Loss(net, Dataset([[1], ["-2/3"]], [["1/2", "1/4", "1/4"], [0, 0, 1]]), "cross_entropy")
    assert prove_invariance(loss, swap(1, 0, 1)).status == "proved"
    assert prove_invariance(loss, rescale(1, 0, "5/2")).status == "proved"
    check_refutation(prove_invariance(loss, flip(1, 0)), reference)
    check_refutation(prove_invariance(net, flip(1, 0)), reference)


def test_softmax_output_with_odd_hidden_units():
    net = MLP((2, 2, 2), "tanh", output_activation="softmax")
    assert prove_invariance(net, flip(1, 0)).status == "proved"
    assert prove_invariance(net, net.symmetry_group()).status == "proved"


def test_teacher_data():
    net = MLP((1, 2, 1), "tanh")
    teacher = net.point(W1=[[1], [-2]], b1=[0, "1/2"], W2=[[3, -1]], b2=[0])
    loss = Loss(net, Dataset.teacher(net, teacher, [[1], [0], ["-1/2"]]), "mse")
    assert prove_invariance(loss, flip(1, 0)).status == "proved"
    assert prove_invariance(loss, rescale(1, 0, 2)).status == "refuted"


# -- whole groups ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("widths", "act", "bias"),
    [
        ((1, 2, 1), "tanh", True),
        ((1, 3, 1), "relu", True),
        ((1, 3, 1), "sigmoid", True),
        ((1, 3, 1), "sigmoid", False),
        ((2, 3, 2, 1), "tanh", True),
        ((1, 2, 2, 1), "cube", True),
    ],
)
@pytest.mark.parametrize("kind", ["mlp", "loss"])
def test_whole_group_is_proved_through_its_generators(widths, act, bias, kind):
    xs = [[1] * widths[0], ["-1/2"] * widths[0]]
    loss = Loss(MLP(widths, act, bias=bias), Dataset(xs, [[1], [0]]), "mse")
    target = loss if kind == "loss" else loss.mlp
    group = loss.mlp.symmetry_group()
    proof = prove_invariance(target, group)
    assert proof.status == "proved" and proof.holds is True
    assert proof.element == group
    assert len(proof.parts) == len(group.generators)
    assert [part.element for part in proof.parts] == list(group.generators)
    assert all(part.status == "proved" for part in proof.parts)
    texts = {step.name: step.text for step in proof.steps}
    assert texts["generation"] == generation_argument(group)
    assert "generate" in texts["generation"] and f"order {group.order}" in texts["generation"]
    assert str(group.order) in texts["statement"]
    assert all(str(g) in texts["generators"] for g in group.generators)
    # the lemmas of the parts are collected once
    keys = [lemma.key for lemma in proof.lemmas]
    assert len(keys) == len(set(keys))
    assert set(keys) == {lemma.key for part in proof.parts for lemma in part.lemmas}


def test_group_of_a_network_without_hidden_layers():
    loss = Loss(MLP((2, 1)), Dataset([[1, 2]], [[0]]), "sse")
    proof = prove_invariance(loss, loss.mlp.symmetry_group())
    assert proof.status == "proved" and proof.parts == ()
    assert "trivial" in {s.name: s.text for s in proof.steps}["generation"]


# -- networks without biases (inputs that make a pre-activation vanish) ---------------


@pytest.mark.parametrize(
    ("act", "element"),
    [
        ("tanh", flip(1, 1)),
        ("identity", flip(1, 0)),
        ("cube", flip(1, 0)),
        ("relu", rescale(1, 0, "3/2")),
        ("leaky_relu:1/10", rescale(1, 1, 2)),
        ("identity", rescale(1, 0, "1/2")),
    ],
)
def test_true_symmetries_are_proved_without_biases_when_an_input_is_zero(act, element):
    # With bias=False the input x = 0 gives the constant sigma(0) in the loss;
    # the element is still a symmetry (s(0) = 0 for an odd or positively
    # homogeneous s), so the prover must not answer "undecided".
    loss = _loss(act, bias=False, xs=[[0], [1], ["-1/2"]])
    assert loss.mlp.symmetry_group().contains(element)
    assert prove_invariance(loss, element).status == "proved"


def test_whole_group_without_biases_and_a_zero_input():
    loss = _loss("tanh", bias=False, widths=(1, 2, 2, 1), xs=[[0], [1]], ys=[[1], [0]])
    assert prove_invariance(loss, loss.mlp.symmetry_group()).status == "proved"


# -- the record of a proof ------------------------------------------------------------


def test_steps_of_a_proof():
    proof = prove_invariance(_loss("tanh"), flip(1, 0))
    names = [step.name for step in proof.steps]
    assert names[:3] == ["statement", "substitution", "abstract activation"]
    assert names[-2:] == ["canonical form", "conclusion"]
    assert "lemma: tanh is odd" in names
    substitution = proof.steps[1]
    assert "3 of 7 parameters change" in substitution.text
    W1_11 = proof.target.mlp.symbols[0]
    assert (f"{W1_11} ->", -W1_11) in substitution.expressions
    assert proof.claim.startswith("L(g(theta)) = L(theta)")
    assert "flip:1:0" in proof.claim


def test_lemmas_are_checked_exactly():
    sig = prove_invariance(_loss("sigmoid"), flip(1, 0))
    (lemma,) = [lemma for lemma in sig.lemmas if lemma.key == "complement"]
    assert lemma.checks[-1][1] == 0
    # a second way: the instance holds numerically at a few points
    u = sympy.Symbol("u", real=True)
    for value in (R(3, 7), R(-5, 2), R(0)):
        gap = (lemma.instance.lhs - lemma.instance.rhs).doit().subs(u, value)
        assert abs(sympy.N(gap, 40)) < R(1, 10**35)
    relu = prove_invariance(_loss("relu"), rescale(1, 0, 2))
    (hom,) = [lemma for lemma in relu.lemmas if lemma.key == "homogeneous"]
    assert [check[1] for check in hom.checks] == [0, 0, 0]


def test_steps_of_a_refutation():
    proof = prove_invariance(_loss("relu"), flip(1, 0))
    names = [step.name for step in proof.steps]
    assert names[-2:] == ["counterexample", "conclusion"]
    counterexample = proof.steps[-2]
    assert "proved != 0" in counterexample.text
    assert counterexample.expressions[0][1] == proof.counterexample.point


def test_summary():
    proved = prove_invariance(_loss("tanh"), swap(1, 0, 1)).summary()
    assert proved.startswith("Claim: ") and proved.rstrip().endswith("Verdict: PROVED")
    refuted = prove_invariance(_loss("square"), flip(1, 0)).summary()
    assert refuted.rstrip().endswith("Verdict: REFUTED")
    group = prove_invariance(_loss("tanh"), MLP((1, 2, 1)).symmetry_group()).summary()
    assert "generator swap:1:0,1: PROVED" in group and "generator flip:1:0: PROVED" in group


def _balanced(text: str) -> bool:
    depth = 0
    for char in text.replace(r"\{", "").replace(r"\}", ""):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


@pytest.mark.parametrize(
    ("target", "element", "label"),
    [
        (_loss("tanh"), swap(1, 0, 1), "theorem"),
        (_loss("leaky_relu:1/10"), flip(1, 0), "remark"),
        (_loss("sigmoid"), flip(1, 1), "theorem"),
        (MLP((1, 2, 1), "relu"), rescale(1, 0, "3/2"), "theorem"),
        (MLP((1, 2, 1), "tanh"), rescale(1, 0, "3/2"), "remark"),
        (_loss("tanh"), MLP((1, 2, 1)).symmetry_group(), "theorem"),
    ],
)
def test_to_latex(target, element, label):
    proof = prove_invariance(target, element)
    text = proof.to_latex()
    # a proved invariance is a theorem with a title that names the element; a refuted one is a remark
    assert text.startswith(r"\begin{%s}[" % label)
    if label == "theorem":
        assert text.startswith(r"\begin{theorem}[Invariance under")
        assert r"\begin{proof}" in text and text.rstrip().endswith(r"\end{proof}")
        assert text.index(r"\end{theorem}") < text.index(r"\begin{proof}")
    else:
        assert r"\begin{theorem}" not in text and "not a symmetry" in text
        assert text.rstrip().endswith(r"\end{remark}")
    begins = re.findall(r"\\begin\{(\w+)\}", text)
    ends = re.findall(r"\\end\{(\w+)\}", text)
    assert sorted(begins) == sorted(ends)
    assert _balanced(text)
    assert text.count("$") % 2 == 0
    # underscores outside math are escaped (parameter names such as W1_11 appear in the text)
    outside_math = re.sub(
        r"\$[^$]*\$|\\\[.*?\\\]|\\begin\{align\*\}.*?\\end\{align\*\}", "", text, flags=re.S
    )
    assert re.search(r"(?<!\\)_", outside_math) is None
    assert proof.claim_latex().split(r",\quad")[0] in text  # the element is named in the sentence
    assert proof._repr_latex_().startswith("$")
    if proof.parts:
        assert text.count(r"\item Generator") == len(proof.parts)


def test_latex_uses_the_network_symbol_names():
    text = prove_invariance(_loss("tanh"), flip(1, 0)).to_latex()
    assert "W^{(1)}_{11}" in text and "b^{(2)}_{1}" in text


# -- arguments ------------------------------------------------------------------------


def test_element_given_as_text():
    loss = _loss("tanh")
    assert prove_invariance(loss, "swap:1:0,1").element == swap(1, 0, 1)
    assert prove_invariance(loss, "flip:1:1").status == "proved"
    assert prove_invariance(loss, "rescale:1:0:2").status == "refuted"
    with pytest.raises(SpecificationError, match="cannot read the element"):
        prove_invariance(loss, "swap:1")


def test_bad_arguments():
    loss = _loss("tanh")
    with pytest.raises(SpecificationError, match="target must be an MLP or a Loss"):
        prove_invariance(loss.expr, swap(1, 0, 1))
    with pytest.raises(SpecificationError, match="element must be a group element"):
        prove_invariance(loss, 3)
    with pytest.raises(SpecificationError, match="the group belongs to another network"):
        prove_invariance(loss, MLP((1, 3, 1)).symmetry_group())
    with pytest.raises(SpecificationError, match="uses unit 2"):
        prove_invariance(loss, swap(1, 0, 2))
    with pytest.raises(SpecificationError, match="acts on layer 2"):
        prove_invariance(loss.mlp, flip(2, 0))


# -- random networks, elements and data -------------------------------------------


ACTIVATIONS = st.sampled_from(
    ["identity", "tanh", "sigmoid", "relu", "leaky_relu", "leaky_relu:1/3", "softplus", "square", "cube"]
)
SMALL = st.fractions(-2, 2, max_denominator=3)


@st.composite
def cases(draw):
    widths = tuple(draw(st.lists(st.integers(1, 3), min_size=3, max_size=4)))
    net = MLP(widths, draw(ACTIVATIONS), bias=draw(st.booleans()))
    layer = draw(st.integers(1, len(widths) - 2))
    width = widths[layer]
    kind = draw(st.sampled_from(["swap", "flip", "rescale"] if width > 1 else ["flip", "rescale"]))
    if kind == "swap":
        i, j = draw(st.lists(st.integers(0, width - 1), min_size=2, max_size=2, unique=True))
        element = swap(layer, i, j)
    elif kind == "flip":
        element = flip(layer, draw(st.integers(0, width - 1)))
    else:
        alpha = draw(
            st.sampled_from(
                [Fraction(1, 2), Fraction(2), Fraction(3, 2), Fraction(1, 3), Fraction(5, 4), Fraction(1)]
            )
        )
        element = rescale(layer, draw(st.integers(0, width - 1)), alpha)
    if draw(st.booleans()):
        return net, element
    n = draw(st.integers(1, 3))
    # the first input is nonzero, so the data always sees the parameters
    first = [draw(SMALL.filter(bool))] + [draw(SMALL) for _ in range(widths[0] - 1)]
    xs = [first] + [[draw(SMALL) for _ in range(widths[0])] for _ in range(n - 1)]
    ys = [[draw(SMALL) for _ in range(widths[-1])] for _ in range(n)]
    return Loss(net, Dataset(xs, ys), draw(st.sampled_from(["mse", "sse"]))), element


def _numerically_invariant(target, element, reference) -> bool:
    """Whether ``target`` takes the same value at a few random points and their images (50 digits)."""
    mlp = target.mlp if isinstance(target, Loss) else target
    slack = mpmath.mpf(10) ** -30
    with mpmath.workdps(50):
        for seed in range(6):
            point = mlp.random_point(1000 + seed)
            image = reference.image(point, element)
            if isinstance(target, Loss):
                pairs = [(reference.loss(target, point), reference.loss(target, image))]
            else:
                x = [R(seed - 3 + k, 2) for k in range(mlp.widths[0])]
                pairs = list(zip(reference.output(point, x), reference.output(image, x)))
            if any(abs(a - b) > slack for a, b in pairs):
                return False
    return True


@given(cases())
@example((Loss(MLP((1, 2, 1), "tanh", bias=False), Dataset([[1], [0]], [[0], [1]]), "mse"), flip(1, 0)))
@example((Loss(MLP((1, 1, 1), "relu", bias=False), Dataset([[1], [0]], [[0], [1]]), "sse"), rescale(1, 0, 2)))
@example((MLP((1, 1, 1), "sigmoid", bias=False), flip(1, 0)))
@example((MLP((1, 2, 1), "leaky_relu"), rescale(1, 1, 1)))
@example((MLP((1, 1, 1, 1), "square", bias=False), flip(1, 0)))
def test_prover_agrees_with_the_group(reference, case):
    target, element = case
    mlp = target.mlp if isinstance(target, Loss) else target
    proof = prove_invariance(target, element)
    if mlp.symmetry_group().contains(element):
        assert proof.status == "proved", proof.summary()
    elif proof.status == "undecided":
        # allowed only for a non-generic network or data set where the element
        # happens to be a symmetry after all (e.g. a flip before a square layer of width 1)
        assert _numerically_invariant(target, element, reference), proof.summary()
    else:
        assert proof.status == "refuted", proof.summary()
        assert proof.counterexample is not None and proof.counterexample.difference.proved


@given(cases())
def test_refutations_survive_an_independent_recheck(reference, case):
    target, element = case
    mlp = target.mlp if isinstance(target, Loss) else target
    if mlp.symmetry_group().contains(element):
        return
    proof = prove_invariance(target, element)
    if proof.status == "refuted":
        check_refutation(proof, reference)
    else:
        assert proof.status == "undecided" and _numerically_invariant(target, element, reference)


def test_square_after_square_absorbs_the_sign_of_a_one_unit_layer(reference):
    # f = W3 (W2 (W1 x)^2)^2: flip(1, 0) negates W1 (absorbed by the first square) and the
    # column of the single unit, which is all of W2 (absorbed by the second square, no biases)
    net = MLP((1, 1, 1, 1), "square", bias=False)
    assert net.symmetry_group().contains(flip(1, 0))
    assert _numerically_invariant(net, flip(1, 0), reference)
    assert prove_invariance(net, flip(1, 0)).status == "proved"
    # with biases, W2 sigma(.) + b2 is not +-(its image): neither in the group nor invariant
    biased = MLP((1, 1, 1, 1), "square")
    assert not biased.symmetry_group().contains(flip(1, 0))
    assert prove_invariance(biased, flip(1, 0)).status == "refuted"


def test_a_symmetry_outside_the_group_is_never_refuted(reference):
    # L = (W2 W1^2)^2 is unchanged by flip(1, 0) (it negates W2, the output weights), although
    # the network's output changes sign: a symmetry of this data set only
    target = Loss(MLP((1, 1, 1), "square", bias=False), Dataset([[1]], [[0]]), "mse")
    element = flip(1, 0)
    assert not target.mlp.symmetry_group().contains(element)
    assert _numerically_invariant(target, element, reference)
    assert prove_invariance(target, element).status in ("proved", "undecided")


def test_parse_and_prove_round_trip():
    loss = _loss("relu")
    for element in (*loss.mlp.symmetry_group().generators, rescale(1, 1, "2/3"), flip(1, 0)):
        again = parse_element(str(element))
        assert prove_invariance(loss, again).status == prove_invariance(loss, element).status
