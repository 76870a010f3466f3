"""Biases per layer (issue 26): ``MLP(widths, act, bias=(True, False))`` and ``--bias 1,0``.

A 1-2-1 network with hidden biases and no output bias (Fukumizu and Amari; Brea et al.) goes
through ``prove``, ``saddle``, the independent checker and Coq; the group's rules that need a bias
read it from their own layer, checked three ways (the group, an exact proof or refutation, the
checker's own facts).
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import random
from fractions import Fraction

import numpy as np
import pytest

from symcert import (
    MLP,
    Dataset,
    Loss,
    SpecificationError,
    certify_nonconvexity,
    prove_invariance,
    swap,
    write_json,
)
from symcert.checker.arithmetic import Net
from symcert.checker.points import is_symmetry
from symcert.cli import main
from symcert.symbolic.group import parse_element

HIDDEN_ONLY = (True, False)
SADDLE_DATA = "x1,y1\n-2,-1\n-1,-1\n0,0\n1,1\n2,2\n3,2\n"


# -- the specification -----------------------------------------------------------------------


def test_a_network_with_hidden_biases_and_no_output_bias():
    net = MLP((1, 2, 1), "tanh", bias=HIDDEN_ONLY)
    assert net.parameter_names == ("W1_11", "W1_21", "b1_1", "b1_2", "W2_11", "W2_12")
    assert net.n_parameters == 6 and net.biases == HIDDEN_ONLY
    assert (net.has_bias(1), net.has_bias(2), net.bias) == (True, False, HIDDEN_ONLY)
    assert net.describe() == "1-2-1 tanh network (6 parameters, no biases in layer 2)"
    assert repr(net) == "MLP((1, 2, 1), 'tanh', bias=(True, False))"
    A = net.point(W1=[[1], [2]], b1=[0, "1/2"], W2=[[3, -1]])
    assert A.arrays() == {"W1": [["1"], ["2"]], "b1": ["0", "1/2"], "W2": [["3", "-1"]]}
    # a bool keeps its meaning, and a uniform tuple is the same network
    assert MLP((1, 2, 1), bias=(True, True)) == MLP((1, 2, 1)) and MLP((1, 2, 1)).bias is True
    assert MLP((1, 2, 1), bias=(False, False)) == MLP((1, 2, 1), bias=False)
    assert MLP((1, 2, 1), bias=[False, False]).bias is False  # one bool when the layers agree, as before
    # dataclasses.replace keeps working, in both directions
    assert dataclasses.replace(net, activation="relu").biases == HIDDEN_ONLY
    assert dataclasses.replace(net, bias=True) == MLP((1, 2, 1), "tanh")
    assert MLP((1, 2, 2, 1), bias=(False, True, False)).describe().endswith("no biases in layers 1, 3)")
    with pytest.raises(SpecificationError, match="missing \\['b2'\\]"):
        MLP((1, 2, 1)).point(W1=[[1], [2]], b1=[0, 0], W2=[[3, -1]])
    with pytest.raises(SpecificationError, match="unexpected \\['b2'\\]"):
        net.point(W1=[[1], [2]], b1=[0, 0], W2=[[3, -1]], b2=[0])


@pytest.mark.parametrize(
    ("bias", "message"),
    [
        ((True, False, True), "bias needs one entry per weight layer: 2 for 3 widths, got 3"),
        ((True,), "2 for 3 widths, got 1"),
        ((1, 0), "bias must hold True or False for each weight layer"),
        ("10", "bias must be True, False or one bool per weight layer"),
        (None, "bias must be True, False or one bool per weight layer"),
    ],
)
def test_bad_biases_say_what_is_expected(bias, message):
    with pytest.raises(SpecificationError, match=message.replace("(", "\\(").replace(")", "\\)")):
        MLP((1, 2, 1), bias=bias)


def test_the_closed_form_has_no_output_bias():
    import sympy

    net = MLP((1, 2, 1), "tanh", bias=HIDDEN_ONLY)
    (out,) = net.output([sympy.Symbol("x")])
    assert "b2" not in str(out) and out.has(sympy.Symbol("b1_2", real=True))


# -- the group, three ways ---------------------------------------------------------------------


def _three_ways(widths, activation, biases, text):
    mlp = MLP(widths, activation, bias=biases)
    claimed = mlp.symmetry_group().contains(parse_element(text))
    proved = prove_invariance(mlp, parse_element(text)).status == "proved"  # exact, or refuted exactly
    checker = is_symmetry(Net(widths, activation, None, biases, "identity"), text)
    return claimed, proved, checker


@pytest.mark.parametrize("biases", list(itertools.product([True, False], repeat=2)))
def test_a_sigmoid_flip_needs_the_next_layers_biases_only(biases):
    # s(-u) = 1 - s(u): the constant is absorbed by b2 += W2[:, j]; b1 is negated with its row, or absent
    found = _three_ways((1, 2, 1), "sigmoid", biases, "flip:1:0")
    assert found == (biases[1],) * 3
    group = MLP((1, 2, 1), "sigmoid", bias=biases).symmetry_group()
    assert group.order == (8 if biases[1] else 2)


@pytest.mark.parametrize(
    ("activation", "text", "biases", "expected"),
    [
        # odd: the pre-activations of layers F..T-1 change sign, so they must have no biases
        ("tanh", "sign:1:2", (False, True, True), True),
        ("tanh", "sign:1:2", (True, False, False), False),
        ("tanh", "sign:1:3", (False, False, True), True),
        ("tanh", "sign:1:3", (False, True, False), False),
        ("tanh", "sign:2:3", (True, False, True), True),
        # even: layers F and T absorb their signs, so those two must have no biases (T hidden)
        ("square", "sign:1:2", (False, False, True), True),
        ("square", "sign:1:2", (False, True, False), False),
        ("square", "sign:1:3", (False, False, False), False),
    ],
)
def test_signs_across_layers_read_each_layers_biases(activation, text, biases, expected):
    assert _three_ways((1, 2, 2, 1), activation, biases, text) == (expected,) * 3


def test_the_group_and_the_checker_agree_on_every_bias_pattern():
    elements = ["flip:1:0", "flip:2:1", "flip_in:1:0", "sign:1:2", "sign:1:3", "sign:2:3", "rescale:2:0:3"]
    for activation in ("tanh", "sigmoid", "square", "relu"):
        for biases in itertools.product([True, False], repeat=3):
            group = MLP((1, 2, 2, 1), activation, bias=biases).symmetry_group()
            net = Net((1, 2, 2, 1), activation, None, biases, "identity")
            for text in elements:
                assert group.contains(parse_element(text)) == is_symmetry(net, text), (
                    activation,
                    biases,
                    text,
                )


def test_the_softmax_translation_needs_output_biases():
    for biases, listed in [((True, True), True), ((False, True), True), ((True, False), False)]:
        group = MLP((1, 2, 3), "tanh", bias=biases, output_activation="softmax").symmetry_group()
        assert any(f.kind == "translation" for f in group.continuous) == listed
    with pytest.raises(SpecificationError, match="has no biases in its output layer"):
        parse_element("translate:1").check(MLP((1, 2, 3), bias=HIDDEN_ONLY, output_activation="softmax"))


# -- the command line: prove, check, saddle, errors ---------------------------------------------


def test_prove_and_the_checker_with_bias_1_0(capsys, tmp_path):
    out = tmp_path / "cert.json"
    assert main(["prove", "--widths", "1,2,1", "--bias", "1,0", "--json", str(out)]) == 0
    assert "no biases in layer 2" in capsys.readouterr().out
    record = json.loads(out.read_text())
    assert record["network"]["bias"] == [True, False]
    assert set(record["points"]["A"]) == {"W1", "b1", "W2"}
    assert main(["check", str(out)]) == 0
    assert "ACCEPTED" in capsys.readouterr().out
    # the checker reads the list: the same points under "bias": true lack b2, a wrong count is refused
    for bias, message in [
        (True, "must have exactly the keys"),
        ([True], "lists 1 booleans"),
        ([True, 0], "has the wrong type list with a non-boolean entry"),
    ]:
        tampered = tmp_path / "tampered.json"
        tampered.write_text(json.dumps({**record, "network": {**record["network"], "bias": bias}}))
        assert main(["check", str(tampered)]) == 2
        assert message in capsys.readouterr().err


def test_old_certificates_record_one_bool(capsys, tmp_path):
    out = tmp_path / "cert.json"
    assert main(["prove", "--no-bias", "--json", str(out)]) == 0
    assert json.loads(out.read_text())["network"]["bias"] is False
    assert main(["check", str(out)]) == 0
    capsys.readouterr()


def test_saddle_with_bias_1_0_lifts_to_a_1_2_1_net_and_is_checked(capsys, tmp_path):
    data = tmp_path / "data.csv"
    data.write_text(SADDLE_DATA)
    out = tmp_path / "saddle.json"
    argv = ["saddle", "--widths", "1,1,1", "--bias", "1,0", "--data", str(data), "--json", str(out)]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "Verdict: saddle of index 1 (proved)" in text
    assert "critical point of the 1-2-1 tanh network (6 parameters, no biases in layer 2)" in text
    record = json.loads(out.read_text())
    assert record["network"]["bias"] == [True, False] and set(record["parameters"]["direction"]) == {
        "W1",
        "b1",
        "W2",
    }
    assert main(["check", str(out)]) == 0
    assert "ACCEPTED: saddle certificate" in capsys.readouterr().out


def test_barrier_between_two_points_of_a_net_without_output_bias(capsys, tmp_path):
    A = {"W1": [["1"], ["-3/2"]], "b1": ["1/2", "0"], "W2": [["2", "1"]]}
    B = {"W1": [["-3/2"], ["1"]], "b1": ["0", "1/2"], "W2": [["1", "2"]]}  # swap(A)
    paths = []
    for name, point in (("A", A), ("B", B)):
        paths += ["--point", str(tmp_path / f"{name}.json")]
        (tmp_path / f"{name}.json").write_text(json.dumps(point))
    out = tmp_path / "barrier.json"
    assert main(["barrier", "--bias", "1,0", *paths, "--json", str(out)]) == 0
    assert "(6 parameters, no biases in layer 2)" in capsys.readouterr().err
    assert json.loads(out.read_text())["network"]["bias"] == [True, False]
    assert main(["check", str(out)]) == 0
    assert "ACCEPTED: barrier certificate" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["prove", "--bias", "1,0,1"], "--bias needs 2 entries, one per weight layer of --widths 1,2,1"),
        (["group", "--widths", "1,2,2,1", "--bias", "1,0"], "--bias needs 3 entries"),
        (["prove", "--bias", "1,0", "--no-bias"], "argument --no-bias: not allowed with argument --bias"),
        (["prove", "--no-bias", "--bias", "1,0"], "argument --bias: not allowed with argument --no-bias"),
        (["group", "--bias", "1,2"], "--bias is one 1 (biases) or 0 (none) per weight layer"),
        (["saddle", "--bias", "1,0"], "--bias needs --data and --widths"),
        (["barrier", "--no-bias"], "--no-bias describes the network of --point A.json --point B.json"),
        (["connect", "--bias", "1,0"], "--bias describes the network of --point A.json"),
    ],
)
def test_bad_bias_flags_are_one_line_errors(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_group_lists_the_sigmoid_flip_with_an_output_bias_only(capsys):
    assert main(["group", "--activation", "sigmoid", "--bias", "0,1", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["network"]["bias"] == [False, True] and record["order"] == 8
    assert main(["group", "--activation", "sigmoid", "--bias", "1,0"]) == 0
    assert "needs biases in layer 2 to absorb the shift" in capsys.readouterr().out


# -- Coq: coqc compiles the export, bound to the JSON -------------------------------------------


def test_coq_export_of_a_net_without_output_bias(require_tool, tmp_path):
    from symcert.build.coq_binding import check_coq_binding

    require_tool("coqc")
    mlp = MLP((1, 2, 1), "tanh", bias=HIDDEN_ONLY)
    teacher = mlp.random_point(2)
    rng = random.Random(2)
    xs = [[f"{rng.randint(-8, 8)}/4"] for _ in range(3)]
    certificate = certify_nonconvexity(
        Loss(mlp, Dataset.teacher(mlp, teacher, xs), "mse"), teacher, element=swap(1, 0, 1)
    )
    assert certificate.proved
    text = certificate.to_coq()
    assert "b1_2" in text and "b2_1" not in text
    assert "z1_j = sum_k W1_jk a_k + b1_j" in text and "z2_j = sum_k W2_jk a_k, a = h1" in text
    write_json(certificate, tmp_path / "cert.json")
    (tmp_path / "proof.v").write_text(text, encoding="utf-8")
    bound = check_coq_binding(tmp_path / "cert.json", tmp_path / "proof.v", assumptions=False)
    assert bound.accepted, bound.reasons


# -- models and printers -------------------------------------------------------------------------


def test_model_files_with_some_layers_without_biases(tmp_path):
    from safetensors.numpy import save_file

    from symcert.models.loaders import load_weights

    W1, b1, W2 = np.array([[0.5], [-1.0]]), np.array([0.25, 0.0]), np.array([[1.0, 2.0]])
    np.savez(tmp_path / "m.npz", W1=W1, b1=b1, W2=W2)
    save_file({"0.weight": W1, "0.bias": b1, "2.weight": W2}, str(tmp_path / "m.safetensors"))
    (tmp_path / "m.json").write_text(json.dumps({"W1": [[0.5], [-1]], "b1": [0.25, 0], "W2": [[1, 2]]}))
    for name in ("m.npz", "m.safetensors", "m.json"):
        mlp, A = load_weights(tmp_path / name, activation="tanh")
        assert mlp.biases == HIDDEN_ONLY, name
        assert A.arrays()["b1"] == ["1/4", "0"] and "b2" not in A.arrays()
        assert Fraction(A.arrays()["W2"][0][1]) == 2


def test_latex_drops_the_missing_bias_only():
    from symcert.printing.latex.model import network_latex, network_phrase

    net = MLP((1, 2, 1), "tanh", bias=HIDDEN_ONLY)
    text = network_latex(net)
    assert r"W^{(1)} x + b^{(1)}" in text and "b^{(2)}" not in text and "b_{2" not in text
    assert network_phrase(net).endswith("(no biases in layer $2$)")
    deep = network_latex(MLP((1, 2, 2, 2, 1), "tanh", bias=(True, False, True, False)))
    assert "where hidden layer $2$ has no biases" in deep
