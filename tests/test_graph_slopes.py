"""Slope rules for ReLU, leaky ReLU, max pooling and layer norm in the graph barrier: the prover's and the
checker's enclosures of ``phi`` and ``phi'`` over random pieces contain the float values and difference
quotients on a fine grid; a ReLU pair needs fewer pieces with them; the checker accepts the new
certificates and rejects a tampered piece bound."""

from __future__ import annotations

import itertools
import json
from fractions import Fraction

import flint
import numpy as np
import pytest

import symcert.proofs.graph_barrier as graph_barrier
from symcert.checker import check
from symcert.checker.graph import barrier as checker_barrier
from symcert.checker.graph.forward import to_arb
from symcert.checker.graph.line import Line
from symcert.checker.reading import loads
from symcert.numeric.engine.backends import ArbBackend, F64Backend
from symcert.numeric.graph import GraphLoss, float_loss
from symcert.numeric.graph.segment import has_tangent, segment_bounds
from symcert.proofs.graph_barrier import certify_graph_barrier
from symcert.symbolic.graph import (
    Activation,
    Conv,
    Dense,
    Flatten,
    Graph,
    LayerNorm,
    MaxPool,
    Node,
    random_parameters,
)


def _graph(which: str) -> Graph:
    if which == "relu-maxpool":
        body = [
            Node("c", Conv(3, (3, 3), padding=1)),
            Node("a", Activation("relu")),
            Node("p", MaxPool((2, 2))),
        ]
    elif which == "leaky-layernorm":
        body = [
            Node("c", Conv(2, (2, 2))),
            Node("a", Activation("leaky_relu:1/8")),
            Node("p", MaxPool((2, 2), stride=(1, 1), padding=((1, 0), (0, 1)))),
            Node("n", LayerNorm(axis=0)),
        ]
    else:  # a ReLU net without pooling
        body = [Node("c", Conv(3, (3, 3), padding=1)), Node("a", Activation("relu"))]
    return Graph((1, 4, 4), [*body, Node("f", Flatten()), Node("d", Dense(2))])


def _problem(which: str, n: int = 3, seed: int = 1):
    g = _graph(which)
    rng = np.random.default_rng(seed)
    X = np.round(rng.standard_normal((n, 1, 4, 4)) * 4) / 4
    Y = np.eye(2, dtype=int)[np.arange(n) % 2]
    loss = GraphLoss(g, X, Y, "cross_entropy")
    A = g.check_parameters(random_parameters(g, seed=seed))
    B = g.check_parameters(random_parameters(g, seed=seed + 10))
    return loss, A, B


def _grid(loss, A, B, t0, t1, n=48):
    ts = [t0 + (t1 - t0) * Fraction(k, n) for k in range(n + 1)]
    values = [float_loss(loss, {k: A[k] + (B[k] - A[k]) * t for k in A}) for t in ts]
    quotients = [(b - a) / float(ts[1] - ts[0]) for a, b in itertools.pairwise(values)]
    return values, quotients


def _inside(values, lo, hi):
    slack = 1e-7 * (1 + max(abs(float(lo)), abs(float(hi))))
    return float(lo) - slack <= min(values) and max(values) <= float(hi) + slack


PIECES = [(Fraction(0), Fraction(1, 8)), (Fraction(3, 8), Fraction(13, 32)), (Fraction(7, 8), Fraction(1))]


@pytest.mark.parametrize("which", ["relu-maxpool", "leaky-layernorm"])
def test_prover_and_checker_enclose_the_float_grid(which):
    loss, A, B = _problem(which)
    assert has_tangent(loss) and not has_tangent(loss, slopes=False)
    record = certify_graph_barrier(loss, A, B, tol=Fraction(1, 2), max_pieces=4).to_dict()
    s = checker_barrier._read(loads(json.dumps(record)))
    for t0, t1 in PIECES:
        values, quotients = _grid(loss, A, B, t0, t1)
        phi, dphi = segment_bounds(F64Backend(), loss, A, B, t0, t1)
        assert _inside(values, *phi) and _inside(quotients, *dphi), (t0, t1)
        try:  # Arb's balls may overflow on a wide piece (a refusal, sound); what they give must hold
            phi, dphi = segment_bounds(ArbBackend(30), loss, A, B, t0, t1)
            assert _inside(values, *phi) and _inside(quotients, *dphi), ("arb", t0, t1)
        except ArithmeticError:
            pass
        saved = flint.ctx.prec
        flint.ctx.prec = 100
        try:
            line = Line(s)
            (v_lo, v_hi), slope = line.piece(t0, t1, precise=True)  # the checker's Arb kernel
            assert slope is not None  # the checker's slope rules applied
            assert _inside(values, v_lo, v_hi) and _inside(quotients, *slope), ("checker arb", t0, t1)
            try:  # the checker's float64 rung, where it decides: what it gives must hold too
                (v_lo, v_hi), slope = Line(s).piece(t0, t1)
            except ArithmeticError:
                continue
            assert _inside(values, v_lo, v_hi), ("checker float64", t0, t1)
            assert slope is None or _inside(quotients, *slope), ("checker float64", t0, t1)
        finally:
            flint.ctx.prec = saved


def test_slopes_cut_the_pieces_of_a_relu_pair(monkeypatch):
    loss, A, B = _problem("relu", n=2, seed=3)
    tol = Fraction(1, 4)
    with_slopes = certify_graph_barrier(loss, A, B, tol=tol)
    assert with_slopes.proved
    monkeypatch.setattr(graph_barrier, "has_tangent", lambda l: has_tangent(l, slopes=False))
    cap = 2 * with_slopes.n_pieces  # range form alone: 278 pieces here, with the slopes 18
    range_only = certify_graph_barrier(loss, A, B, tol=tol, max_pieces=cap)
    assert not range_only.proved and range_only.n_pieces >= cap  # it needs more than twice as many


def test_checker_accepts_and_rejects_a_tampered_piece():
    loss, A, B = _problem("leaky-layernorm", n=2, seed=2)
    record = certify_graph_barrier(loss, A, B, tol=Fraction(1, 4)).to_dict()
    verdict = check(loads(json.dumps(record)))
    assert verdict.accepted, verdict.reasons
    bad = json.loads(json.dumps(record))
    pieces = bad["parameters"]["pieces"]
    k = max(range(len(pieces)), key=lambda i: Fraction(pieces[i][2]))
    pieces[k][2] = str(Fraction(pieces[k][2]) - 1)
    verdict = check(loads(json.dumps(bad)))
    assert not verdict.accepted and any("exceeds the claimed" in r for r in verdict.reasons)


LAYERS = {
    "relu": Activation("relu"),
    "leaky": Activation("leaky_relu:1/8"),
    "maxpool": MaxPool((2, 2), stride=(1, 1), padding=((1, 0), (0, 1))),
    "layernorm": LayerNorm(axis=0),
}


@pytest.mark.parametrize("which", sorted(LAYERS))
def test_each_rule_encloses_the_slopes_of_an_affine_path(which):
    """``x(t) = a + t b`` over ``[t0, t1]``: each output's difference quotients on a fine grid lie in the
    rule's tangent, on the prover's float64 rung and in the checker's balls."""
    from symcert.checker.graph import slopes as checker_slopes
    from symcert.checker.graph.forward import _layer
    from symcert.checker.graph.spec import read_graph
    from symcert.numeric.engine.f64 import F64
    from symcert.numeric.graph import slopes
    from symcert.numeric.graph.tensors import enclose
    from symcert.symbolic.graph import graph_to_dict

    g = Graph((2, 4, 4), [Node("n", LAYERS[which])])
    rng = np.random.default_rng(len(which))
    a = np.vectorize(Fraction, otypes=[object])(rng.integers(-8, 9, (3, 2, 4, 4)), 8)
    b = np.vectorize(Fraction, otypes=[object])(rng.integers(-16, 17, (3, 2, 4, 4)), 8)
    t0, t1, n = Fraction(-1, 4), Fraction(3, 4), 64
    ts = [t0 + (t1 - t0) * Fraction(k, n) for k in range(n + 1)]
    params = {k[2:]: v for k, v in g.check_parameters(random_parameters(g, seed=2)).items()}
    bk = F64Backend()
    with bk.active():
        ends = [enclose(bk, a + b * t) for t in (t0, t1)]
        x = F64(np.minimum(ends[0].lo, ends[1].lo), np.maximum(ends[0].hi, ends[1].hi))
        box = {k: enclose(bk, v) for k, v in params.items()}
        step = {k: enclose(bk, v * 0) for k, v in params.items()}
        _, tangent = slopes.slope_node(bk, g.nodes[0].layer, box, step, x, enclose(bk, b))
        ys = [
            slopes.slope_node(bk, g.nodes[0].layer, box, step, enclose(bk, a + b * t), None)[0].lo for t in ts
        ]
    q = np.stack([(y1 - y0) / float(ts[1] - ts[0]) for y0, y1 in itertools.pairwise(ys)])
    assert np.all(tangent.lo - 1e-6 <= q.min(axis=0)) and np.all(q.max(axis=0) <= tangent.hi + 1e-6)

    node = read_graph(graph_to_dict(g)).nodes[0]
    out = read_graph(graph_to_dict(g)).shapes["n"]
    S = flint.arb(float(t0 + t1) / 2, float(t1 - t0) / 2)
    p_arb = {k: to_arb(v) for k, v in params.items()}
    zero = {k: to_arb(v * 0) for k, v in params.items()}
    _, tangent = checker_slopes.slope_node(node, p_arb, zero, [(to_arb(a) + to_arb(b) * S, to_arb(b))], out)
    ys = [np.vectorize(lambda u: float(u.mid()))(_layer(node, p_arb, [to_arb(a + b * t)], out)) for t in ts]
    q = np.stack([(y1 - y0) / float(ts[1] - ts[0]) for y0, y1 in itertools.pairwise(ys)])
    lo = np.vectorize(lambda u: float(u.lower()))(tangent)
    hi = np.vectorize(lambda u: float(u.upper()))(tangent)
    assert np.all(lo - 1e-6 <= q.min(axis=0)) and np.all(q.max(axis=0) <= hi + 1e-6)
