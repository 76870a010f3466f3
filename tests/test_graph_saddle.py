"""A permutation saddle on layer graphs: a channel of a derived group duplicated, its outgoing weights split.

The lift is an exact identity of the network function (structural, checked exactly with polynomial
activations at random exact parameters, and in 40-digit mpmath at the point); a wrong lift is caught by
the exact check; a group through a layer that mixes channels is refused; on the tiny tanh CNN the lifted
critical point is proved not a minimum (``d^T H_wide d < 0`` over the lifted box).
"""

from __future__ import annotations

import dataclasses
import json
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

from symcert.checker import check
from symcert.checker.reading import CertificateFormatError
from symcert.cli import main
from symcert.errors import SpecificationError
from symcert.proofs.graph_saddle import GraphSaddle, _exact_spot_check, certify_graph_saddle, lift
from symcert.symbolic.graph import (
    Activation,
    BatchNorm,
    Conv,
    Dense,
    Flatten,
    Graph,
    LayerNorm,
    Node,
    random_parameters,
)
from tests.test_graph_critical import _cnn_loss, _onnx


def test_the_lift_is_an_exact_identity_with_batch_norm_and_flatten_blocks() -> None:
    g = Graph(
        (1, 3, 3),
        [
            Node("conv", Conv(3, (2, 2))),
            Node("bn", BatchNorm()),
            Node("act", Activation("tanh")),
            Node("flat", Flatten()),  # channel blocks of 4 in fc's columns
            Node("fc", Dense(2)),
        ],
    )
    lifted = lift(g, "P_conv", 2, "1/3")
    assert {name for name, *_ in lifted.copies} == {
        "conv.weight",
        "conv.bias",
        "bn.scale",
        "bn.bias",
        "bn.mean",
        "bn.var",
    }
    assert [(name, inner) for name, _, _, inner in lifted.splits] == [("fc.weight", 4)]
    same, text = _exact_spot_check(lifted)
    assert same and "equal" in text
    theta = random_parameters(g, seed=3)
    wide = lifted.apply(theta)
    assert list(wide["fc.weight"][0, 8:12]) == [v * Fraction(1, 3) for v in theta["fc.weight"][0, 8:12]]
    assert list(wide["fc.weight"][0, 12:16]) == [v * Fraction(2, 3) for v in theta["fc.weight"][0, 8:12]]


def test_a_wrong_lift_is_caught_by_the_exact_check() -> None:
    loss, _ = _cnn_loss()
    lifted = lift(loss.graph, "P_conv", 0, "1/2")
    unsplit = dataclasses.replace(
        lifted, copies=lifted.copies + lifted.splits, splits=()
    )  # copied, not split
    same, text = _exact_spot_check(unsplit)
    assert not same and "DIFFERENT" in text


def test_a_group_through_a_layer_norm_is_refused() -> None:
    g = Graph(
        (2,),
        [
            Node("fc1", Dense(3)),
            Node("ln", LayerNorm()),
            Node("t", Activation("tanh")),
            Node("fc2", Dense(1)),
        ],
    )
    with pytest.raises(
        SpecificationError, match="ln \\(LayerNorm\\), which does not act on each channel alone"
    ):
        lift(g, "P_fc1", 0, "1/2")
    with pytest.raises(SpecificationError, match="no group 'P_nope'"):
        lift(g, "P_nope", 0, "1/2")


@pytest.fixture(scope="module")
def saddle() -> GraphSaddle:
    loss, approx = _cnn_loss()
    return certify_graph_saddle(loss, approx, "P_conv", 1, "1/4")


@pytest.fixture(scope="module")
def cnn_saddle(saddle) -> dict:
    return saddle.to_dict()


def test_the_tiny_cnn_has_a_permutation_saddle(saddle) -> None:
    found = saddle
    assert found.status == "proved", found.message
    assert found.critical.proved and found.identity.status == "proved"
    assert found.dHd is not None and found.dHd[1] < 0
    assert found.lifted.wide.parameter_shapes["conv.weight"] == (3, 1, 2, 2)
    assert found.lifted.wide.parameter_shapes["fc.weight"] == (1, 3)
    assert found.eigenvalues[0] < 0  # float64 evidence agrees


def test_the_saddle_certificate_round_trip(cnn_saddle) -> None:
    result = check(json.loads(json.dumps(cnn_saddle)))
    assert result.accepted, result.reasons
    assert result.enclosures["dHd"][1] < 0 and result.enclosures["margin"][1] < 0
    assert any("split at the linear consumers fc.weight" in r for r in result.reasons)


def _zero(values: Any) -> Any:
    return [_zero(v) for v in values] if isinstance(values, list) else "0"


@pytest.mark.parametrize(
    "change, reason",
    [
        (lambda r: r["parameters"]["lift"].update(lam="1/2"), "claimed enclosure of dHd"),
        (
            lambda r: r["parameters"].update(
                direction={k: _zero(v) for k, v in r["parameters"]["direction"].items()}
            ),
            "is not < 0",
        ),
        (lambda r: r["parameters"].update(radius=f"1/{10**30}"), "does not lie inside"),
    ],
)
def test_a_tampered_saddle_is_rejected(cnn_saddle, change, reason) -> None:
    record = json.loads(json.dumps(cnn_saddle))
    change(record)
    result = check(record)
    assert not result.accepted
    assert any(reason in line for line in result.reasons), result.reasons


def test_a_lift_into_the_output_is_rejected(cnn_saddle) -> None:
    record = json.loads(json.dumps(cnn_saddle))
    record["parameters"]["lift"]["producer"] = "fc"
    with pytest.raises(CertificateFormatError, match="reaches the graph's output"):
        check(record)


def test_the_saddle_from_an_onnx_model_on_the_command_line(tmp_path, capsys) -> None:
    loss, approx = _cnn_loss()
    model, data, out = tmp_path / "cnn.onnx", tmp_path / "data.npz", tmp_path / "saddle.json"
    model.write_bytes(_onnx(approx))
    np.savez(data, X=loss.X.astype(float), y=loss.Y.astype(float))
    args = ["saddle", "--model", str(model), "--data", str(data), "--channel", "P_conv:0:1/2"]
    assert main([*args, "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "exact spot check" in text and "proved: d^T H_wide d" in text
    assert main(["check", str(out)]) == 0
    assert main([*args[:5], "--channel", "P_conv:zero:1/2"]) == 2
    assert "--channel must be GROUP:CHANNEL:LAM" in capsys.readouterr().err
    assert main([*args, "--digits", "12"]) == 2  # not silently ignored
    assert "--digits is not available with an ONNX model" in capsys.readouterr().err


def test_newton_steps_reach_the_onnx_path(tmp_path, capsys, monkeypatch) -> None:
    import symcert.proofs.graph_saddle as graph_saddle

    loss, approx = _cnn_loss()
    model, data = tmp_path / "cnn.onnx", tmp_path / "data.npz"
    model.write_bytes(_onnx(approx))
    np.savez(data, X=loss.X.astype(float), y=loss.Y.astype(float))
    seen = []
    real = graph_saddle.certify_graph_critical_point
    monkeypatch.setattr(
        graph_saddle,
        "certify_graph_critical_point",
        lambda *a, **k: seen.append(k["newton_steps"]) or real(*a, **k),
    )
    args = ["saddle", "--model", str(model), "--data", str(data), "--channel", "P_conv:0:1/2"]
    assert main([*args, "--newton-steps", "7"]) == 0
    assert seen == [7]
