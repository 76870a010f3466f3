"""The structural proof of a layer graph's symmetries (a rule per layer type, composed along the graph).

For every layer type the proof agrees with the exact spot check: each derived symmetry is proved and
the network's output is unchanged at an exact random point; each refusal names the node that blocks
it (a sign flip through ReLU or max pooling, a permutation that splits a residual add, a flip into a
layer norm), and an exact spot check then finds the output changed."""

from __future__ import annotations

import json
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from symcert import MLP
from symcert.display import latex, text
from symcert.errors import SpecificationError
from symcert.proofs.graph_invariance import generators, listed, prove_generators, prove_graph_invariance
from symcert.symbolic.activations import ACTIVATION_NAMES
from symcert.symbolic.graph import (
    Activation,
    Add,
    AveragePool,
    BatchNorm,
    Conv,
    Dense,
    Diag,
    Flatten,
    Flip,
    GlobalAveragePool,
    Graph,
    LayerNorm,
    MaxPool,
    Node,
    Permute,
    Rescale,
    Reshape,
    Softmax,
    TensorAction,
    Translate,
    Transpose,
    derive_symmetries,
    evaluate,
    random_parameters,
    tensor_actions,
)

GRAPHS = {
    "dense-tanh-softmax": Graph(
        (2,),
        [Node("fc1", Dense(3)), Node("t", Activation("tanh")), Node("fc2", Dense(2)), Node("sm", Softmax())],
    ),
    "conv2d-bn-relu-maxpool": Graph(
        (1, 6, 6),
        [
            Node("conv1", Conv(3, (3, 3), padding=1)),
            Node("bn1", BatchNorm()),
            Node("relu1", Activation("relu")),
            Node("pool", MaxPool((2, 2))),
            Node("conv2", Conv(2, (3, 3))),
            Node("relu2", Activation("relu")),
            Node("flat", Flatten()),
            Node("fc", Dense(2)),
        ],
    ),
    "conv1d-avgpool-gap": Graph(
        (1, 6),
        [
            Node("c1", Conv(3, (2,), stride=1, dilation=2, padding=1)),
            Node("bn", BatchNorm()),
            Node("t", Activation("tanh")),
            Node("pool", AveragePool((2,), stride=1)),
            Node("c2", Conv(2, (2,))),
            Node("sq", Activation("leaky_relu:1/10")),
            Node("gap", GlobalAveragePool()),
            Node("f", Flatten()),
            Node("fc", Dense(1)),
        ],
    ),
    "residual-layernorm": Graph(
        (3,),
        [
            Node("inp", Dense(4)),
            Node("a", Activation("tanh")),
            Node("fc1", Dense(3)),
            Node("b", Activation("relu")),
            Node("fc2", Dense(4)),
            Node("add", Add(), ("a", "fc2")),
            Node("ln", LayerNorm()),
            Node("out", Dense(2)),
        ],
    ),
    "dense-rows-layernorm-2d": Graph(
        (2, 3),
        [
            Node("fc", Dense(4)),
            Node("t", Activation("tanh")),
            Node("ln", LayerNorm(axis=0)),
            Node("tr", Transpose((1, 0))),
            Node("fc2", Dense(2, bias=False)),
            Node("f", Flatten()),
            Node("o", Dense(1)),
        ],
    ),
    "reshape-transpose-sigmoid": Graph(
        (1, 2, 2),
        [
            Node("c", Conv(3, (1, 1))),
            Node("s", Activation("sigmoid")),
            Node("r", Reshape((6, 2))),
            Node("tr", Transpose((1, 0))),
            Node("back", Transpose((1, 0))),
            Node("f", Flatten()),
            Node("fc", Dense(2)),
        ],
    ),
}


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_every_derived_symmetry_is_proved_and_the_spot_check_agrees(name: str) -> None:
    spec = derive_symmetries(GRAPHS[name])
    proofs = prove_generators(spec)
    assert proofs
    for element, proof in zip(generators(spec), proofs, strict=True):
        assert proof.status == ("proved" if listed(spec, element) else "not proved"), (
            proof.element,
            proof.conclusion,
        )
        assert proof.spot is not None
        if proof.status == "proved":
            assert proof.spot.holds, proof.element
            assert "exactly as the assembled map does" in proof.implementation
            assert not proof.blocking
        else:
            assert proof.blocking and proof.blocking[0].node in GRAPHS[name].shapes


def test_a_sign_flip_through_relu_is_refused_at_the_relu() -> None:
    spec = derive_symmetries(GRAPHS["conv2d-bn-relu-maxpool"])
    proof = prove_graph_invariance(spec, Flip("P_conv2", 0, (-1, 1)))
    assert proof.status == "not proved" and proof.holds is False and proof.refuted_at
    assert [s.node for s in proof.blocking] == ["relu2"]
    assert "relu(-u) is neither" in proof.blocking[0].text
    assert proof.spot.exact and proof.spot.status == "differs"
    # the flip conv1 -> bn1 is absorbed by the batch norm: proved, exactly
    ok = prove_graph_invariance(spec, Flip("P_conv1", 0, (-1, 1, -1)))
    assert ok.status == "proved" and ok.spot.status == "equal (exact)"
    assert [s.rule for s in ok.steps if s.status == "commutes"] == [
        "diagonal scaling",
        "inference-form affine map",
    ]


def test_max_pooling_blocks_a_flip_of_its_input() -> None:
    g = Graph(
        (1, 4, 4),
        [
            Node("c", Conv(2, (1, 1))),
            Node("t", Activation("tanh")),
            Node("p", MaxPool((2, 2))),
            Node("f", Flatten()),
            Node("fc", Dense(1)),
        ],
    )
    spec = derive_symmetries(g)
    proof = prove_graph_invariance(spec, Flip("P_c", 0, (-1, 1)))
    assert proof.status == "not proved" and proof.blocking[0].node == "p"
    assert "max(-x) = -min(x)" in proof.blocking[0].text


def test_a_permutation_that_splits_a_residual_add_is_refused_at_the_add() -> None:
    spec = derive_symmetries(GRAPHS["residual-layernorm"])
    stream = tensor_actions(spec, Permute("P_inp", (1, 0, 2, 3)))
    assert {"inp", "a", "fc2", "add", "ln"} <= set(stream)
    assert prove_graph_invariance(spec, actions=stream).status == "proved"
    # leave the skip branch alone: the add sees its inputs permuted differently
    split = {k: v for k, v in stream.items() if k not in ("inp", "a")}
    proof = prove_graph_invariance(spec, actions=split)
    assert proof.status == "not proved" and [s.node for s in proof.blocking] == ["add"]
    assert "both inputs permuted" in proof.blocking[0].text
    # permute the two branches by different permutations
    other = dict(stream, fc2=tensor_actions(spec, Permute("P_inp", (0, 1, 3, 2)))["fc2"])
    assert prove_graph_invariance(spec, actions=other).blocking[0].node in ("fc2", "add")


def test_a_flip_into_a_layer_norm_is_refused_there_and_one_after_it_is_proved() -> None:
    spec = derive_symmetries(GRAPHS["residual-layernorm"])
    group = spec.group("P_inp")
    before = next(i for i, s in enumerate(group.signs) if "add" in s.tensors)
    after = next(i for i, s in enumerate(group.signs) if "ln" in s.tensors)
    refused = prove_graph_invariance(spec, Flip("P_inp", before, (-1, 1, 1, 1)))
    assert refused.blocking[0].node == "ln" and "changes the mean and variance" in refused.blocking[0].text
    proved = prove_graph_invariance(spec, Flip("P_inp", after, (-1, 1, 1, -1)))
    assert proved.status == "proved" and proved.spot.holds


def test_the_sigmoid_complement_needs_a_bias_after_it() -> None:
    with_bias = Graph((2,), [Node("fc1", Dense(2)), Node("s", Activation("sigmoid")), Node("fc2", Dense(1))])
    proof = prove_graph_invariance(derive_symmetries(with_bias), Flip("P_fc1", 0, (1, -1)))
    assert proof.status == "proved" and proof.spot.holds
    fc2 = next(s for s in proof.steps if s.node == "fc2")
    assert "complemented columns negated and added to bias" in " ".join(fc2.changes)
    no_bias = Graph(
        (2,), [Node("fc1", Dense(2)), Node("s", Activation("sigmoid")), Node("fc2", Dense(1, bias=False))]
    )
    spec = derive_symmetries(no_bias)
    refused = prove_graph_invariance(spec, Flip("P_fc1", 0, (1, -1)))
    assert refused.status == "not proved" and refused.blocking[0].node == "fc2"
    assert "no bias" in refused.blocking[0].text


def test_rescalings_follow_positive_homogeneity() -> None:
    g = Graph((2,), [Node("fc1", Dense(2)), Node("r", Activation("relu")), Node("fc2", Dense(1))])
    spec = derive_symmetries(g)
    proof = prove_graph_invariance(spec, Rescale("P_fc1", 0, (Fraction(5, 2), Fraction(1, 3))))
    assert proof.status == "proved" and proof.spot.status == "equal (exact)"
    square = Graph((2,), [Node("fc1", Dense(2)), Node("q", Activation("square")), Node("fc2", Dense(1))])
    sq = derive_symmetries(square)
    assert prove_graph_invariance(sq, Rescale("P_fc1", 0, (Fraction(2), Fraction(1)))).status == "proved"
    tanh = derive_symmetries(GRAPHS["dense-tanh-softmax"])
    # no rescaling segment is a symmetry for tanh; force one by hand: refused at the tanh
    actions = {"fc1": TensorAction(((0, Diag((2, 1, 1))),)), "t": TensorAction(((0, Diag((2, 1, 1))),))}
    refused = prove_graph_invariance(tanh, actions=actions)
    assert refused.blocking[0].node == "t" and "not positively homogeneous" in refused.blocking[0].text


def test_the_softmax_translation_is_derived_and_proved() -> None:
    spec = derive_symmetries(GRAPHS["dense-tanh-softmax"])
    assert [(t.parameter, t.absorber, t.tensors) for t in spec.translations] == [("fc2.bias", "sm", ("fc2",))]
    proof = prove_graph_invariance(spec, Translate("fc2.bias", Fraction(-7, 4)))
    assert proof.status == "proved" and proof.spot.holds
    assert next(s for s in proof.steps if s.node == "sm").rule == "translation"
    # a translation of the hidden bias is not one: tanh does not carry the constant
    refused = prove_graph_invariance(spec, Translate("fc1.bias", 1))
    assert refused.status == "not proved" and refused.blocking[0].node == "t"
    # through flatten and max pooling to a softmax; none when another layer reads the shifted tensor
    g = Graph(
        (1, 4, 4),
        [Node("c", Conv(2, (1, 1))), Node("p", MaxPool((2, 2))), Node("f", Flatten()), Node("sm", Softmax())],
    )
    assert [t.tensors for t in derive_translations_of(g)] == [("c", "p", "f")]
    assert prove_graph_invariance(derive_symmetries(g), Translate("c.bias", 3)).status == "proved"
    branch = Graph((2,), [Node("fc", Dense(2)), Node("sm", Softmax()), Node("add", Add(), ("fc", "sm"))])
    assert derive_translations_of(branch) == ()


def derive_translations_of(graph: Graph) -> tuple:
    return derive_symmetries(graph).translations


def test_logits_translation_is_proved_for_the_loss() -> None:
    g = Graph((2,), [Node("fc1", Dense(3)), Node("r", Activation("relu")), Node("fc2", Dense(2))])
    assert derive_symmetries(g).translations == ()
    spec = derive_symmetries(g, logits=True)
    proof = prove_graph_invariance(spec, Translate("fc2.bias", 5))
    assert proof.status == "proved" and proof.steps[-1].node == "fc2" and proof.steps[-1].layer == "loss"
    assert proof.spot.status == "logits shifted by exactly c (exact)"
    # the logits move by 5, so the claim must not say f is unchanged: it is the loss that is
    assert (
        "f(x; g(theta)) = f(x; theta) for every" not in proof.claim
        and "f is invariant" not in proof.conclusion
    )
    assert proof.claim.startswith("f(x; g(theta)) = f(x; theta) + c 1 with c = 5")
    assert "softmax cross-entropy loss on any data is unchanged" in proof.claim
    # without logits=True the shifted output is a change of f: refused at the output
    plain = prove_graph_invariance(derive_symmetries(g), Translate("fc2.bias", 5))
    assert plain.status == "not proved" and plain.blocking[0].layer == "output"


def test_batch_norm_rescaling_holds_only_with_the_stored_mean_following() -> None:
    g = Graph(
        (1, 5),
        [
            Node("c", Conv(2, (2,))),
            Node("bn", BatchNorm()),
            Node("t", Activation("tanh")),
            Node("f", Flatten()),
            Node("fc", Dense(1)),
        ],
    )
    spec = derive_symmetries(g)
    (segment,) = [s for s in spec.group("P_c").scales if s.kunin]
    proof = prove_graph_invariance(spec, Rescale("P_c", spec.group("P_c").scales.index(segment), (3, 1)))
    assert proof.status == "proved"
    bn = next(s for s in proof.steps if s.node == "bn")
    assert bn.changes == ("scale times v / u, mean times u, bias times v (var unchanged)",)
    # in inference form the conv's weights and bias rescaled alone change the output (exactly)
    p = random_parameters(g, seed=4)
    alone = dict(p, **{"c.weight": p["c.weight"] * 3, "c.bias": p["c.bias"] * 3})
    x = np.array([[[Fraction(v, 4) for v in (1, -3, 2, 5, -1)]]], dtype=object)
    rational = [Node("c", Conv(2, (2,))), Node("bn", BatchNorm()), Node("f", Flatten()), Node("fc", Dense(1))]
    square = Graph((1, 5), rational)  # no tanh: the exact evaluation stays exact
    assert not np.array_equal(
        evaluate(square, p, x, arithmetic="exact"), evaluate(square, alone, x, arithmetic="exact")
    )


ACTIVATIONS = [*ACTIVATION_NAMES, "leaky_relu:1/10"]


@settings(max_examples=25, deadline=None)
@given(
    widths=st.lists(st.integers(1, 3), min_size=3, max_size=4),
    act=st.sampled_from(ACTIVATIONS),
    bias=st.booleans(),
)
@example(widths=[1, 2, 1], act="sigmoid", bias=False)
@example(widths=[2, 2, 2, 1], act="square", bias=True)
def test_on_mlps_the_proof_agrees_with_the_derivation(widths, act, bias) -> None:
    spec = derive_symmetries(Graph.from_mlp(MLP(widths, act, bias=bias)))
    for element in generators(spec):
        proof = prove_graph_invariance(spec, element, spot=False)
        assert (proof.status == "proved") == listed(spec, element), (element, proof.conclusion)


def test_the_proof_prints_as_text_latex_and_json() -> None:
    spec = derive_symmetries(GRAPHS["conv2d-bn-relu-maxpool"])
    proof = prove_graph_invariance(spec, Permute("P_conv1", (2, 0, 1)))
    words = text(proof)
    assert "1. conv1 (" in words and "commutes by reindexing" in words and words.endswith("Verdict: PROVED")
    assert "flat" not in [line.split()[1] for line in words.splitlines() if line[:4].strip().endswith(".")]
    assert latex(proof).startswith(r"\begin{theorem}") and r"\texttt{bn1}" in latex(proof)
    record = json.loads(json.dumps(proof.to_dict()))
    assert record["status"] == "proved" and [s["node"] for s in record["steps"]] == [
        "conv1",
        "bn1",
        "relu1",
        "pool",
        "conv2",
    ]
    refused = prove_graph_invariance(spec, Flip("P_conv2", 0, (-1, 1)))
    assert "relu2 (relu) BLOCKS" in text(refused) and r"\textbf{blocks}" in latex(refused)
    assert text(refused, brief=True).startswith("flip:P_conv2:0:-1,1: NOT PROVED (blocked at relu2")


def test_the_prover_says_what_it_needs() -> None:
    spec = derive_symmetries(GRAPHS["dense-tanh-softmax"])
    with pytest.raises(SpecificationError, match="give an element"):
        prove_graph_invariance(spec)
    with pytest.raises(SpecificationError, match="no tensor called 'h'"):
        prove_graph_invariance(spec, actions={"h": TensorAction()})
    with pytest.raises(SpecificationError, match="derive_symmetries"):
        prove_graph_invariance(GRAPHS["dense-tanh-softmax"], Permute("P_fc1", (1, 0, 2)))
    # an action on the graph's input is a change of the data, not of the parameters
    moved = {"x": TensorAction(((0, Diag((-1, 1))),))}
    assert prove_graph_invariance(spec, actions=moved).blocking[0].node == "x"


@pytest.mark.parametrize("name", ["cnn", "residual", "shapes"])
def test_imported_onnx_models_are_proved_generator_by_generator(name: str) -> None:
    pytest.importorskip("onnx")
    from symcert.models.onnx_import import load_onnx
    from tests.test_onnx_import import CASES

    build = CASES[name][0]
    spec = derive_symmetries(load_onnx(build()[0]).graph)
    for element in generators(spec):
        proof = prove_graph_invariance(spec, element, spot=name != "cnn")
        assert (proof.status == "proved") == listed(spec, element), (name, proof.element, proof.conclusion)
        if proof.spot is not None and proof.status == "proved":
            assert proof.spot.holds
    assert math.prod(g.order for g in spec.groups) == spec.order


LAYERS = st.sampled_from(["bn", "relu", "tanh", "sigmoid", "square", "leaky", "avg", "max", "conv"])


@st.composite
def cnn_chains(draw) -> Graph:
    """A random chain conv -> (layers) -> flatten -> dense on a 1 x 4 x 4 input."""
    nodes = [Node("c0", Conv(draw(st.integers(1, 3)), (1, 1), bias=draw(st.booleans())))]
    size = 4
    for i, kind in enumerate(draw(st.lists(LAYERS, max_size=4))):
        name = f"n{i}"
        if kind == "bn":
            nodes.append(Node(name, BatchNorm()))
        elif kind in ("avg", "max"):
            if size < 2:
                continue
            nodes.append(Node(name, AveragePool((2, 2)) if kind == "avg" else MaxPool((2, 2))))
            size //= 2
        elif kind == "conv":
            nodes.append(Node(name, Conv(draw(st.integers(1, 3)), (1, 1), bias=draw(st.booleans()))))
        else:
            act = {
                "relu": "relu",
                "tanh": "tanh",
                "sigmoid": "sigmoid",
                "square": "square",
                "leaky": "leaky_relu:1/10",
            }
            nodes.append(Node(name, Activation(act[kind])))
    nodes += [Node("flat", Flatten()), Node("fc", Dense(1, bias=draw(st.booleans())))]
    return Graph((1, 4, 4), nodes)


@settings(max_examples=20, deadline=None)
@given(graph=cnn_chains())
def test_on_random_conv_chains_proved_means_listed_and_the_spot_check_agrees(graph: Graph) -> None:
    spec = derive_symmetries(graph)
    for element in generators(spec):
        proof = prove_graph_invariance(spec, element)
        assert (proof.status == "proved") == listed(spec, element), (
            graph.describe(),
            proof.element,
            proof.conclusion,
        )
        if proof.status == "proved":
            assert proof.spot.holds, (graph.describe(), proof.element)


def _acted(values: np.ndarray, action: TensorAction) -> np.ndarray:
    """``action`` applied to every example of a batch (the entry maps of the moves module)."""
    from symcert.symbolic.graph.moves import entry_map

    index, factor, offset = entry_map(values.shape[1:], action)
    return np.array([factor * example.reshape(-1)[index] + offset for example in values], dtype=object)


@pytest.mark.parametrize(
    "name", ["residual-layernorm", "conv2d-bn-relu-maxpool", "reshape-transpose-sigmoid"]
)
def test_hand_made_actions_that_are_proved_move_every_tensor_as_stated(name: str) -> None:
    """``actions=`` runs no spot check, so the rules alone decide: derived actions with one tensor's action
    replaced (dropped, shifted, permuted, rescaled, complemented); every proved one must send each tensor
    to its stated action of the old one, evaluated at 40 digits with the assembled parameters."""
    import random

    from symcert.proofs.graph_invariance import _assembled, _compose
    from symcert.symbolic.graph.evaluate import evaluate_all
    from symcert.symbolic.graph.moves import Perm

    graph, rng = GRAPHS[name], random.Random(3)
    spec = derive_symmetries(graph)
    params = random_parameters(graph, seed=1)
    x = np.array(
        [Fraction(rng.randint(-16, 16), 8) for _ in range(2 * math.prod(graph.input_shape))], dtype=object
    ).reshape((2, *graph.input_shape))
    before = evaluate_all(graph, params, x, arithmetic="mpmath", dps=40)
    proved = 0
    candidates = [tensor_actions(spec, element) for element in generators(spec)]
    for element in generators(
        spec
    ):  # a flip travelling along a rescaling's tensors: what a lax sign rule takes
        if isinstance(element, Rescale):
            candidates.append(
                {
                    t: TensorAction(
                        tuple(
                            (a, Diag(tuple(Fraction(1 if f == 1 else -1) for f in d.factor)))
                            if isinstance(d, Diag)
                            else (a, d)
                            for a, d in action.axes
                        ),
                        action.shift,
                    )
                    for t, action in tensor_actions(spec, element).items()
                }
            )
    for element, stated in enumerate(candidates):
        for t in rng.sample(sorted(graph.shapes), min(4, len(graph.shapes))):
            old, axis = stated.get(t, TensorAction()), rng.randrange(len(graph.shapes[t]))
            n, rest = (
                graph.shapes[t][axis],
                tuple(p for p in stated.get(t, TensorAction()).axes if p[0] != axis),
            )
            perm = rng.sample(range(n), n)
            factors = tuple(Fraction(rng.choice([-1, 2, -3])) for _ in range(n))
            for new in (
                None,
                TensorAction(old.axes, old.shift + Fraction(1, 3)),
                TensorAction((*rest, (axis, Perm(tuple(perm)))), old.shift),
                TensorAction((*rest, (axis, Diag(factors))), old.shift),
                TensorAction((*rest, (axis, Diag(factors, tuple(f < 0 for f in factors)))), old.shift),
            ):
                actions = {k: v for k, v in stated.items() if k != t} | ({} if new is None else {t: new})
                if prove_graph_invariance(spec, actions=actions).status != "proved":
                    continue
                proved += 1
                _, acts = _compose(graph, actions)
                after = evaluate_all(
                    graph,
                    _assembled(graph, graph.check_parameters(params), acts),
                    x,
                    arithmetic="mpmath",
                    dps=40,
                )
                for tensor in graph.shapes:
                    want = _acted(before[tensor], actions.get(tensor, TensorAction()))
                    gap = max(abs(a - b) for a, b in zip(np.ravel(after[tensor]), want.ravel(), strict=True))
                    assert gap < 1e-30, (name, element, t, new, tensor)
    assert proved  # some replacements are symmetries too (the derived action itself, a shift absorbed, ...)
