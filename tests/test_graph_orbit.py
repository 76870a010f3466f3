"""The orbit kind on layer graphs (issue 23): the exact mean over a derived permutation group, the
certificate ``L(mean) > L(A)``, and the independent checker (its own invariance rules, its own mean).

Models are built with onnx.helper: a small CNN (conv, batch norm, ReLU or tanh, pooling, dense), a
residual conv net whose second convolution maps the residual stream to itself (both of its channel
axes in one group), and a residual dense net with layer norm and softmax. The mean is checked a second
way, as the average of the ``n!`` permuted points; round trips through ``symcert check`` (API and
command line) are accepted; a tampered mean, a wrong group and a claimed bound are rejected; a point
where averaging helps is refuted and reported so."""

from __future__ import annotations

import itertools
import json
from fractions import Fraction

import numpy as np
import pytest

pytest.importorskip("onnx")
from onnx import helper

import symcert.printing  # noqa: F401  (summary() prints through the printers)
from symcert.checker import check
from symcert.checker.graph.orbit import orbit_mean
from symcert.checker.reading import CertificateFormatError
from symcert.cli import main
from symcert.errors import SpecificationError
from symcert.models.onnx_import import load_onnx
from symcert.numeric.graph import GraphLoss
from symcert.proofs.graph_orbit import certify_graph_orbit, group_mean
from symcert.symbolic.graph import Permute, apply, derive_symmetries, evaluate
from tests.test_graph_curvature import _cnn_loss, _residual_loss
from tests.test_onnx_import import _model


def _conv_residual() -> bytes:
    """conv 3x3 (1 -> 3) -> relu -> conv 3x3 (3 -> 3) -> add the skip -> tanh -> global mean -> dense 2."""
    rng = np.random.default_rng(11)

    def w(*shape: int, scale: float = 1.0) -> np.ndarray:
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    p = {"W1": w(3, 1, 3, 3), "B1": w(3, scale=0.3), "W2": w(3, 3, 3, 3, scale=0.4), "B2": w(3, scale=0.2)}
    p |= {"W3": w(2, 3, scale=1.5), "B3": w(2, scale=0.1)}
    nodes = [
        helper.make_node("Conv", ["input", "W1", "B1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Conv", ["r1", "W2", "B2"], ["c2"], name="conv2", pads=[1, 1, 1, 1]),
        helper.make_node("Add", ["r1", "c2"], ["s"], name="res"),
        helper.make_node("Tanh", ["s"], ["t"], name="tanh"),
        helper.make_node("GlobalAveragePool", ["t"], ["g"], name="gap"),
        helper.make_node("Flatten", ["g"], ["f"], name="flat"),
        helper.make_node("Gemm", ["f", "W3", "B3"], ["output"], name="fc", transB=1),
    ]
    return _model(nodes, p, [1, 6, 6], [2])


def _conv_residual_loss():
    model = load_onnx(_conv_residual())
    X = np.round(np.random.default_rng(3).standard_normal((5, 1, 6, 6)) * 4) / 4
    y = np.round(evaluate(model.graph, model.params, X) * 64) / 64
    return GraphLoss(model.graph, X, y, "mse"), model.params


MAKERS = {
    "cnn-relu": lambda: _cnn_loss("Relu"),
    "cnn-tanh": lambda: _cnn_loss("Tanh"),
    "conv-residual": _conv_residual_loss,
    "dense-residual": _residual_loss,
}


@pytest.mark.parametrize("make", ["cnn-relu", "conv-residual", "dense-residual"])
def test_the_mean_is_the_average_of_the_permuted_points(make) -> None:
    loss, A = MAKERS[make]()
    spec = derive_symmetries(loss.graph)
    group = spec.groups[0]
    mean = group_mean(spec, A, group.name)
    perms = list(itertools.permutations(range(group.size)))
    points = [apply(spec, A, Permute(group.name, p)) for p in perms]
    for name, value in mean.items():
        brute = sum((q[name] for q in points[1:]), points[0][name]) / Fraction(len(points))
        assert (value == brute).all(), name
    # the checker's own mean agrees, entry for entry
    tied = {m.name: [] for m in group.members if m.kind == "param"}
    for m in group.members:
        if m.kind == "param":
            tied[m.name].append((m.axis, m.outer, m.inner))
    for name, axes in tied.items():
        own = orbit_mean(A[name].shape, A[name].tolist(), group.size, axes)
        assert own == mean[name].tolist(), name


def test_a_parameter_with_two_axes_in_the_group_is_averaged_by_classes() -> None:
    loss, A = _conv_residual_loss()
    spec = derive_symmetries(loss.graph)
    stream = next(g for g in spec.groups if ("conv2.weight", 0) in spec.perm_to_axes[g.name])
    assert ("conv2.weight", 1) in spec.perm_to_axes[stream.name]
    W = group_mean(spec, A, stream.name)["conv2.weight"]
    assert (W[0, 0] == W[1, 1]).all() and (W[0, 1] == W[2, 0]).all()
    assert not (W[0, 0] == W[0, 1]).all()  # the diagonal and the rest are different classes


@pytest.mark.parametrize("make", list(MAKERS))
def test_a_proved_orbit_certificate_round_trips_through_check(make) -> None:
    loss, A = MAKERS[make]()
    certificate = certify_graph_orbit(loss, A)
    assert certificate.status == "proved", certificate.notes
    assert certificate.enclosures["gap"][0] > 0
    result = check(json.loads(json.dumps(certificate.to_dict())))
    assert result.accepted, result.reasons
    assert any("re-proved: permuting" in r for r in result.reasons)
    assert "mean = the average of A" in certificate.summary()


def _good():
    loss, A = _cnn_loss("Relu")
    return json.loads(json.dumps(certify_graph_orbit(loss, A).to_dict()))


def test_a_tampered_mean_is_rejected() -> None:
    record = _good()
    assert check(record).accepted
    record["points"]["mean"]["fc.bias"][0] = "1/3"
    result = check(record)
    assert not result.accepted
    assert any("stated mean is not the mean" in r for r in result.reasons)


def test_a_wrong_group_is_rejected() -> None:
    record = _good()
    members = record["parameters"]["members"]
    # leave the dense layer's columns out: the permuted channels then reach fc unmatched
    record["parameters"]["members"] = [m for m in members if m["name"] != "fc.weight"]
    result = check(record)
    assert not result.accepted
    assert any("node fc" in r and "not shown to be a symmetry" in r for r in result.reasons)
    # a member that does not fit its axis is a format error, named
    record = _good()
    record["parameters"]["members"].append(
        {"kind": "tensor", "name": "fc", "axis": 0, "outer": 1, "inner": 1}
    )
    with pytest.raises(CertificateFormatError, match="is not the length 2 of fc's axis 0"):
        check(record)


def test_a_claimed_bound_that_is_not_an_enclosure_is_rejected() -> None:
    record = _good()
    _, high = record["enclosures"]["L(mean)"]
    record["enclosures"]["L(mean)"] = [high, str(Fraction(high) + 1)]
    result = check(record)
    assert not result.accepted
    assert any("claimed enclosure of L(mean)" in r for r in result.reasons)


def test_averaging_that_helps_is_refuted_and_not_accepted() -> None:
    loss, A = _cnn_loss("Relu")
    spec = derive_symmetries(loss.graph)
    mean = group_mean(spec, A, "P_conv")
    y = np.round(evaluate(loss.graph, mean, loss.X) * 64) / 64  # the data fit the mean, not A
    refuted = certify_graph_orbit(GraphLoss(loss.graph, loss.X, y, "mse"), A, "P_conv")
    assert refuted.status == "refuted" and refuted.enclosures["gap"][1] < 0
    assert "REFUTED" in refuted.summary()
    record = refuted.to_dict()
    assert not check(record).accepted
    record["status"] = "proved"  # a claim that does not hold: the checker's own enclosure rejects it
    result = check(record)
    assert not result.accepted and any("is not > 0" in r for r in result.reasons)


def test_a_group_that_does_not_exist_is_refused() -> None:
    loss, A = _cnn_loss("Relu")
    with pytest.raises(SpecificationError, match="no group called 'P_nope'"):
        certify_graph_orbit(loss, A, "P_nope")


def test_the_command_line_proves_and_checks(tmp_path, capsys) -> None:
    loss, _ = _cnn_loss("Relu")
    model, data, out = tmp_path / "cnn.onnx", tmp_path / "d.npz", tmp_path / "orbit.json"
    from tests.test_graph_curvature import _seed, _small_cnn

    _seed(7)
    model.write_bytes(_small_cnn("Relu"))
    np.savez(data, X=np.asarray(loss.X, dtype=float), y=np.asarray(loss.Y, dtype=float))
    code = main(["prove", "--model", str(model), "--data", str(data), "--kind", "orbit", "--json", str(out)])
    printed = capsys.readouterr().out
    assert code == 0 and "Group: P_conv (3 channels; the first group proved)" in printed
    assert main(["check", str(out)]) == 0
    code = main(["prove", "--model", str(model), "--data", str(data), "--kind", "orbit", "--group", "P_x"])
    assert code == 2 and "--group P_x" in capsys.readouterr().err
