"""The unique_critical_point and saddle kinds on residual layer graphs: prove -> JSON -> the independent
checker, plus tampering, and the lift's refusal for a channel that crosses the residual add.

Two nets on 1x3x3 inputs, targets from a teacher of the same graph (in 256ths):

* ``_residual``: ``conv1 -> tanh -> conv2 (1x1) -> Add(skip from tanh1) -> tanh -> GlobalAveragePool ->
  Flatten -> fc`` (17 parameters, 24 points), for unique_critical_point; its only group, the stream
  ``P_conv1``, is made by conv1 and conv2 (joined at the add), so its lift is refused;
* ``_block``: a stem conv, then a block ``conv_a (1 channel) -> tanh -> conv_b`` added to the stem's
  output (18 parameters, 32 points): conv_a's channel feeds only conv_b, so it lifts (the saddle).

Their Hessians are worse conditioned than the tiny CNN's (smallest eigenvalue ~1e-5 of ~3), so the
default radius schedule (which encloses the Hessian over a box 256 times its smallest radius) stays
undecided; an explicit radius just above ``|Y grad L|`` (~1e-8 after float64 Newton) decides them.
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
from symcert.proofs.graph_saddle import GraphSaddle, certify_graph_saddle, lift
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
#: The same for ``_block`` (conv_b's teacher weights fixed at 2, -3/2 so that the block matters).
BLOCK = [1.579242, 2.662972, -3.822496, -0.200458, 1.480693, 1.977039, 0.944291, 2.178187, 0.431664]
BLOCK += [0.79053, 0.267837, -1.620281, -1.27277, 2.005773, -1.511364, 1.913946, 1.946106, 2.699351]


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


def _block() -> Graph:
    return Graph(
        (1, 3, 3),
        [
            Node("stem", Conv(2, (2, 2))),
            Node("stem_act", Activation("tanh")),
            Node("conv_a", Conv(1, (1, 1))),
            Node("act_a", Activation("tanh")),
            Node("conv_b", Conv(2, (1, 1), bias=False)),
            Node("add", Add(), ("conv_b", "stem_act")),
            Node("act", Activation("tanh")),
            Node("pool", GlobalAveragePool()),
            Node("flat", Flatten()),
            Node("fc", Dense(1)),
        ],
    )


def _loss(g: Graph, seed: int, n: int, values: list[float]) -> tuple[GraphLoss, dict]:
    rng = np.random.default_rng(seed)  # its own generator
    teacher = {k: rng.normal(size=s) * 1.5 for k, s in g.parameter_shapes.items()}
    if "conv_b.weight" in teacher:
        teacher["conv_b.weight"] = np.array([2.0, -1.5]).reshape(2, 1, 1, 1)
    X = np.round(rng.normal(size=(n, 1, 3, 3)) * 4) / 4
    y = np.round(evaluate(g, teacher, X) * 256) / 256
    x, approx = np.array(values), {}
    for name, shape in g.parameter_shapes.items():
        size = int(np.prod(shape))
        approx[name], x = x[:size].reshape(shape), x[size:]
    return GraphLoss(g, X, y, "mse"), approx


@pytest.fixture(scope="module")
def residual_record() -> dict:
    loss, approx = _loss(_residual(), 1, 24, APPROX)
    found = certify_graph_critical_point(loss, approx, radius=Fraction(1, 2**25), max_move=None)
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


@pytest.mark.parametrize("graph, stream", [(_residual, "P_conv1"), (_block, "P_stem")])
def test_the_stream_channel_crossing_the_add_is_refused_in_one_line(graph, stream) -> None:
    g = graph()
    assert stream in [grp.name for grp in derive_symmetries(g).groups]
    with pytest.raises(SpecificationError, match=f"^{stream} must be made by one dense or conv layer") as e:
        lift(g, stream, 0, "1/2")
    assert "\n" not in str(e.value)


@pytest.fixture(scope="module")
def block_saddle() -> GraphSaddle:
    loss, approx = _loss(_block(), 6, 32, BLOCK)
    assert [grp.name for grp in derive_symmetries(loss.graph).groups] == ["P_stem", "P_conv_a"]
    return certify_graph_saddle(loss, approx, "P_conv_a", 0, "1/2", radius=Fraction(1, 2**27))


def test_the_inner_channel_of_a_residual_block_gives_a_saddle(block_saddle) -> None:
    found = block_saddle
    assert found.status == "proved", found.message
    assert found.critical.proved and found.identity.status == "proved"
    assert [name for name, *_ in found.lifted.splits] == ["conv_b.weight"]  # not past the add
    assert found.dHd is not None and found.dHd[1] < 0
    result = check(json.loads(json.dumps(found.to_dict())))
    assert result.accepted, result.reasons
    assert result.enclosures["dHd"][1] < 0 and result.enclosures["margin"][1] < 0
    assert any("split at the linear consumers conv_b.weight" in r for r in result.reasons)


def test_a_tampered_residual_saddle_is_rejected(block_saddle) -> None:
    record = json.loads(json.dumps(block_saddle.to_dict()))
    record["parameters"]["lift"]["lam"] = "3/2"
    result = check(record)
    assert not result.accepted
    assert any("claimed enclosure of dHd" in line for line in result.reasons), result.reasons
