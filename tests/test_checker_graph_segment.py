"""The checker's float64 rung for the graph barrier and path pieces (symcert.checker.graph.fast_segment,
symcert.checker.graph.line): its enclosures hold the Arb rung's point values and slopes, a genuine
certificate is accepted in float64 alone, a mutated one is rejected, and where float64 does not decide
the check falls back to Arb and still accepts."""

from __future__ import annotations

import json
from fractions import Fraction

import flint
import pytest

pytest.importorskip("onnx")

from symcert.checker import check
from symcert.checker.arb_engine import bits_for
from symcert.checker.graph import barrier as graph_barrier
from symcert.checker.graph import line as line_module
from symcert.checker.graph.balls import Undecided
from symcert.checker.graph.fast_jets import fast_loss_jet
from symcert.checker.graph.line import Line
from symcert.checker.reading import loads
from symcert.proofs.graph_barrier import certify_graph_barrier
from tests.test_graph_barrier import _problem


@pytest.fixture(scope="module")
def record():
    loss, A, B, _ = _problem("residual")  # tanh, convolutions, a skip connection
    return certify_graph_barrier(loss, A, B, tol=Fraction(1, 20)).to_dict()


def _json(value):
    return loads(json.dumps(value))


def _line(record) -> tuple[dict, Line]:
    s = graph_barrier._read(_json(record))
    return s, Line(s)


def test_pieces_hold_the_values_and_slopes_at_points(record):
    s, line = _line(record)
    assert line.segment is not None
    D = {k: s["B"][k] - s["A"][k] for k in s["A"]}
    saved = flint.ctx.prec
    flint.ctx.prec = bits_for(30)
    try:
        for t0, t1, _ in s["pieces"][::3]:
            (p_lo, p_hi), slope = line.piece(t0, t1)
            assert slope is not None
            for t in (t0, (3 * t0 + t1) / 4, t1):
                lo, hi = line.point(t, precise=True)  # Arb
                assert p_lo <= lo and hi <= p_hi
                point = {k: (s["A"][k] + D[k] * t).tolist() for k in s["A"]}
                _, (d_lo, d_hi), _ = fast_loss_jet(
                    s["graph"],
                    point,
                    {k: v.tolist() for k, v in D.items()},
                    s["xs"],
                    s["ys"],
                    s["kind"],
                    s["factor"],
                )
                assert slope[0] <= d_hi and d_lo <= slope[1]  # phi'(t) lies in both enclosures
                assert slope[0] <= (d_lo + d_hi) / 2 <= slope[1]
            fast = line.point(t0)
            exact = line.point(t0, precise=True)
            assert fast[0] <= exact[1] and exact[0] <= fast[1] and fast[1] - fast[0] < Fraction(1, 10**9)
    finally:
        flint.ctx.prec = saved


def test_the_genuine_certificate_is_decided_in_float64_and_mutations_rejected(record):
    verdict = check(_json(record))
    assert verdict.accepted, verdict.reasons
    assert "in float64, 0 in arb" in verdict.reasons[-1]
    bad = json.loads(json.dumps(record))
    pieces = bad["parameters"]["pieces"]
    k = max(range(len(pieces)), key=lambda i: Fraction(pieces[i][2]))
    pieces[k][2] = str(Fraction(pieces[k][2]) - Fraction(1, 2))
    verdict = check(_json(bad))
    assert not verdict.accepted and any("exceeds the claimed" in r for r in verdict.reasons)
    bad = json.loads(json.dumps(record))
    bad["enclosures"]["L(A)"][1] = bad["enclosures"]["L(A)"][0]  # too narrow to hold L(A)
    verdict = check(_json(bad))
    assert not verdict.accepted and any("L(A)" in r for r in verdict.reasons)
    bad = json.loads(json.dumps(record))
    bad["points"]["B"]["fc.bias"][0] = str(Fraction(bad["points"]["B"]["fc.bias"][0]) + 3)
    assert not check(_json(bad)).accepted


def test_undecided_float64_goes_to_arb(record, monkeypatch):
    """When the float64 rung raises Undecided on every piece and point, Arb decides them all."""

    def refuse(*args, **kwargs):
        raise Undecided("refused for the test")

    monkeypatch.setattr(line_module.FastSegment, "piece", refuse)
    monkeypatch.setattr(line_module.FastSegment, "point", refuse)
    verdict = check(_json(record))
    assert verdict.accepted, verdict.reasons
    assert "0 evaluations in float64" in verdict.reasons[-1]
    bad = json.loads(json.dumps(record))
    pieces = bad["parameters"]["pieces"]
    k = max(range(len(pieces)), key=lambda i: Fraction(pieces[i][2]))
    pieces[k][2] = str(Fraction(pieces[k][2]) - Fraction(1, 2))
    assert not check(_json(bad)).accepted


def test_a_loose_float64_bound_is_rechecked_in_arb(record, monkeypatch):
    """A float64 bound too loose to decide (widened here) is recomputed in Arb, which decides it."""
    original = line_module.FastSegment.piece

    def loose(self, t0, t1, smooth=True):
        (lo, hi), slope = original(self, t0, t1, smooth)
        wide = None if slope is None else (slope[0] - 10**6, slope[1] + 10**6)
        return (lo - 10**6, hi + 10**6), wide

    monkeypatch.setattr(line_module.FastSegment, "piece", loose)
    verdict = check(_json(record))
    assert verdict.accepted, verdict.reasons
    assert " 0 in arb" not in verdict.reasons[-1]  # the pieces were decided in Arb


def test_unsupported_graphs_have_no_float64_segment():
    from symcert.checker.graph.fast_segment import unsupported
    from symcert.checker.graph.spec import read_graph

    g = read_graph(
        {
            "format": "symcert-graph",
            "version": 1,
            "input_shape": [2],
            "nodes": [
                {"name": "fc", "inputs": ["x"], "layer": {"type": "Dense", "features": 2, "bias": True}},
                {"name": "a", "inputs": ["fc"], "layer": {"type": "Activation", "name": "softplus"}},
            ],
        }
    )
    assert unsupported(g, "sse") == "the softplus activation"
    assert unsupported(g, "hinge") is not None
