"""Claims moved by the smallest step past the true value are rejected, on every float64 rung of the checker.

For a certificate the checker accepts on a float64 rung (packed chords: :mod:`symcert.checker.f64_engine`;
layer graphs: the fast rung, its jets and its pieces), each claimed enclosure is replaced by

- exactly the float64 rung's own enclosure: still accepted, on the same rung (an inclusive, exact
  comparison);
- that enclosure with one end moved inwards by ``2^-2000`` (far below any float64 step): the float64
  rung must not decide it (a comparison rounded to floats would), and Arb, whose enclosure is far
  narrower, accepts it (the value is still inside);
- an interval just beyond Arb's enclosure of the true value, on either side, by ``2^-2000``: the
  claim no longer holds the value, and the checker must reject it, whichever rung it tries.
"""

from __future__ import annotations

import json
from fractions import Fraction

import flint
import pytest

from symcert.checker import check, f64_engine
from symcert.checker.reading import loads
from tests.test_checker_packed_fast import proved_packed_chord

#: Far below any float64 step of the quantities here (about 2^-50): the smallest move that matters.
DELTA = Fraction(1, 2**2000)


def _claim(text: str, name: str, low: Fraction, high: Fraction) -> dict:
    record = loads(text)
    record["enclosures"][name] = [str(low), str(high)]
    return record


def _one_ulp_mutations(text: str, name: str, rung: str) -> None:
    """The three mutations of the module text on the claim ``name``; ``rung`` is a phrase of the
    float64 rung's final reason. A rung of two float64 passes (the jets' plain products, then Dot2)
    may decide a nudged claim on its tighter pass: then that pass's enclosure is nudged in turn."""
    genuine = check(loads(text))
    assert genuine.accepted and rung in genuine.reasons[-1], genuine.reasons
    low, high = genuine.enclosures[name]  # the float64 rung's own enclosure
    for _ in range(3):
        tight = check(_claim(text, name, low, high))
        assert tight.accepted and tight.reasons[-1] == genuine.reasons[-1], tight.reasons
        nudged = check(_claim(text, name, low + DELTA, high))
        assert nudged.accepted, nudged.reasons
        if rung not in nudged.reasons[-1]:
            break  # float64 did not decide: Arb did
        tighter = nudged.enclosures[name]  # a second float64 pass, strictly inside the first
        assert low < tighter[0] and tighter[1] <= high
        low, high = tighter
    else:
        pytest.fail(f"the float64 rung decides a claim nudged inside its own enclosure of {name}")
    for nudged_claim in ((low + DELTA, high), (low, high - DELTA)):
        nudged = check(_claim(text, name, *nudged_claim))
        assert nudged.accepted and rung not in nudged.reasons[-1], nudged.reasons
        a, b = nudged.enclosures[name]  # Arb's enclosure of the true value
        assert nudged_claim[0] <= a <= b <= nudged_claim[1] and b - a < (high - low) / 1000
    for beyond in ((b + DELTA, high), (low, a - DELTA), (b + DELTA, b + 2 * DELTA)):
        result = check(_claim(text, name, *beyond))
        assert not result.accepted, (beyond, result.reasons)
        assert any("does not contain the recomputed one" in r for r in result.reasons), result.reasons


# -- a packed chord on the float64 engine ----------------------------------------------------------


@pytest.fixture(scope="module")
def packed() -> str:
    """A proved chord of a 5-4-3-3 tanh network under cross-entropy on 30 integer points (packed)."""
    return proved_packed_chord()


@pytest.mark.parametrize("name", ["L(A)", "L(M)", "barrier"])
def test_packed_chord_claims_one_step_past_the_value_are_rejected(packed, name, monkeypatch) -> None:
    monkeypatch.setattr(f64_engine, "MIN_ARB_SECONDS", 0.0)  # the float64 rung, as on a large network
    _one_ulp_mutations(packed, name, "verified float64")


# -- layer graphs: the fast rung, its jets, its pieces ---------------------------------------------


@pytest.fixture(scope="module")
def orbit() -> str:
    pytest.importorskip("onnx")
    from symcert.proofs.graph_orbit import certify_graph_orbit
    from tests.test_graph_curvature import _residual_loss

    loss, A = _residual_loss()  # cross-entropy on a residual dense net with layer norm
    certificate = certify_graph_orbit(loss, A)
    assert certificate.status == "proved", certificate.notes
    return json.dumps(certificate.to_dict())


@pytest.fixture(scope="module")
def curvature() -> str:
    pytest.importorskip("onnx")
    from tests.test_graph_fast_jets import _certificate, _cnn_loss

    return json.dumps(_certificate(lambda: _cnn_loss("Relu")))


@pytest.fixture(scope="module")
def barrier() -> str:
    pytest.importorskip("onnx")
    from symcert.proofs.graph_barrier import certify_graph_barrier
    from tests.test_graph_barrier import _problem

    loss, A, B, _ = _problem("residual")  # tanh, convolutions, a skip connection
    return json.dumps(certify_graph_barrier(loss, A, B, tol=Fraction(1, 20)).to_dict())


@pytest.mark.parametrize("name", ["L(A)", "L(mean)"])
def test_graph_orbit_claims_one_step_past_the_value_are_rejected(orbit, name) -> None:
    _one_ulp_mutations(orbit, name, "verified float64")


@pytest.mark.parametrize("name", ["phi(t0)", "phi'(t0)", "phi''(t0)"])
def test_graph_jet_claims_one_step_past_the_value_are_rejected(curvature, name) -> None:
    _one_ulp_mutations(curvature, name, "in verified float64")


def test_graph_barrier_end_claims_one_step_past_the_value_are_rejected(barrier) -> None:
    _one_ulp_mutations(barrier, "L(A)", " 0 in arb")


def test_a_piece_bound_just_below_the_barrier_at_a_point_of_the_piece_is_rejected(barrier) -> None:
    """A piece's claimed bound of the barrier function ``phi(t) - chord(t)`` set ``2^-2000`` below Arb's
    lower bound of it at one of the piece's points (so below its true value there): rejected, though the
    float64 rung's bound over the whole piece is far wider than that step."""
    from symcert.checker.arb_engine import bits_for
    from symcert.checker.graph import barrier as graph_barrier
    from symcert.checker.graph.line import Line

    s = graph_barrier._read(loads(barrier))
    line = Line(s)
    saved = flint.ctx.prec
    flint.ctx.prec = bits_for(60)
    try:
        (_, a_hi), (_, b_hi) = line.point(Fraction(0), precise=True), line.point(Fraction(1), precise=True)
        k = max(range(len(s["pieces"])), key=lambda i: s["pieces"][i][2])  # the highest piece
        t0, t1, _ = s["pieces"][k]
        lows = []
        for t in (t0, (t0 + t1) / 2, t1):
            chord = (a_hi + b_hi) / 2 if s["form"] == "midpoint" else (1 - t) * a_hi + t * b_hi
            lows.append(line.point(t, precise=True)[0] - chord)  # <= phi(t) - chord(t)
    finally:
        flint.ctx.prec = saved
    for low in lows:
        record = loads(barrier)
        assert low - DELTA < Fraction(record["parameters"]["pieces"][k][2])
        record["parameters"]["pieces"][k][2] = str(low - DELTA)
        result = check(record)
        assert not result.accepted, result.reasons
        assert any("exceeds the claimed" in r for r in result.reasons), result.reasons
