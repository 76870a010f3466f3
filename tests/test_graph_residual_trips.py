"""The unique_critical_point and saddle kinds on a residual layer graph: prove -> JSON -> the independent
checker, plus tampering, and the lift's refusal for the channel that crosses the residual add.

The net: ``conv1 -> tanh -> conv2 (1x1) -> Add(skip from tanh1) -> tanh -> GlobalAveragePool -> Flatten
-> fc`` on 1x3x3 inputs (17 parameters, 24 points; targets from a teacher of the same graph, in 256ths).
Its Hessian is worse conditioned than the tiny CNN's (smallest eigenvalue ~1e-5 of ~2), so the default
radius schedule (which encloses the Hessian over a box 256 times the smallest radius) stays undecided;
an explicit radius ``2^-25`` (above ``|Y grad L|`` ~ 1e-8 from float64 Newton) decides it.
"""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest

from symcert.checker import check
from symcert.errors import SpecificationError
from symcert.numeric.graph import GraphLoss
from symcert.proofs.graph_critical import certify_graph_critical_point
from symcert.proofs.graph_saddle import lift
from symcert.symbolic.graph import (
    Activation,
    Add,
    Conv,
    Dense,
    Flatten,
    GlobalAveragePool,
    Graph,
    Node,
    derive_symmetries,
    evaluate,
)
from tests.test_graph_critical import _move, _tampered

#: A minimum of the residual net's loss found offline (Levenberg-Marquardt from the teacher, 6 digits).
APPROX = [0.516559, 1.24263, 0.502183, -1.977827, 1.395899, 0.695672, -0.843004, 0.899196, 0.546104]
APPROX += [0.454741, 0.03112, 0.770503, -1.11248, -0.194632, -0.775393, 0.854487, 0.057246]
RADIUS = Fraction(1, 2**25)


def _residual() -> Graph:
    return Graph(
        (1, 3, 3),
        [
            Node("conv1", Conv(2, (2, 2))),
            Node("tanh1", Activation("tanh")),
            Node("conv2", Conv(2, (1, 1), bias=False)),
            Node("skip", Add(), ("conv2", "tanh1")),
            Node("tanh2", Activation("tanh")),
            Node("gap", GlobalAveragePool()),
            Node("flat", Flatten()),
            Node("fc", Dense(1)),
        ],
    )


def _residual_loss() -> tuple[GraphLoss, dict]:
    g = _residual()
    rng = np.random.default_rng(1)  # its own generator
    teacher = {k: rng.normal(size=s) * 1.5 for k, s in g.parameter_shapes.items()}
    X = np.round(rng.normal(size=(24, 1, 3, 3)) * 4) / 4
    y = np.round(evaluate(g, teacher, X) * 256) / 256
    x, approx = np.array(APPROX), {}
    for name, shape in g.parameter_shapes.items():
        size = int(np.prod(shape))
        approx[name], x = x[:size].reshape(shape), x[size:]
    return GraphLoss(g, X, y, "mse"), approx


@pytest.fixture(scope="module")
def residual_record() -> dict:
    loss, approx = _residual_loss()
    found = certify_graph_critical_point(loss, approx, radius=RADIUS, max_move=None)
    assert found.status == "proved", found.describe()
    assert found.margin is not None and found.margin < 0
    return found.to_dict()


def test_residual_round_trip(residual_record) -> None:
    assert residual_record["kind"] == "unique_critical_point"
    assert any(n["layer"]["type"] == "Add" for n in residual_record["network"]["graph"]["nodes"])
    result = check(json.loads(json.dumps(residual_record)))
    assert result.accepted, result.reasons
    assert result.enclosures["margin"][1] < 0


def test_a_moved_centre_is_rejected(residual_record) -> None:
    result = check(_tampered(residual_record, lambda r: _move(r["points"]["A"]["conv2.weight"][0][0][0])))
    assert not result.accepted
    assert any("does not lie inside" in line for line in result.reasons), result.reasons


def test_the_stream_channel_crossing_the_add_is_refused_in_one_line() -> None:
    g = _residual()
    assert [grp.name for grp in derive_symmetries(g).groups] == ["P_conv1"]  # conv2 is tied to the stream
    with pytest.raises(SpecificationError, match=r"^P_conv1 must be made by one dense or conv layer") as e:
        lift(g, "P_conv1", 0, "1/2")
    assert "\n" not in str(e.value)
