"""A second pair of eyes on the graph jets (curvature and hessian kinds on layer graphs).

1. An independent reference: each tiny graph (one per layer type: conv, batch norm, layer norm, residual
   add, average pooling, softmax + cross-entropy, softmax + mse, sigmoid + bce) is evaluated here from the
   layers' definitions in mpmath at 40 digits, and ``phi'(0)``, ``phi''(0)`` of ``phi(s) = L(P + s D)``
   are taken by mpmath's numerical differentiation. The prover's enclosures (verified float64 and Arb) and
   the checker's own balls must contain them and be narrow (so a missing term or a wrong sign shows).
2. Mutations of a real proved certificate that the checker must reject.
"""

from __future__ import annotations

import copy
import json
from fractions import Fraction

import flint
import mpmath
import numpy as np
import pytest

from symcert.checker import check
from symcert.checker.graph.jets import graph_loss_jet
from symcert.checker.graph.spec import read_graph
from symcert.checker.reading import CertificateFormatError, loads
from symcert.numeric.engine.backends import ArbBackend, F64Backend
from symcert.numeric.graph import GraphLoss
from symcert.numeric.graph.jets import KinkError, loss_jet_enclosure
from symcert.proofs.graph_curvature import certify_graph_curvature
from symcert.symbolic.graph import (
    Activation,
    Add,
    AveragePool,
    BatchNorm,
    Conv,
    Dense,
    Flatten,
    GlobalAveragePool,
    Graph,
    LayerNorm,
    Node,
    Permute,
    Reshape,
    Softmax,
    Transpose,
    graph_to_dict,
    random_parameters,
)

mp = mpmath.mp


# -- the reference: each layer from its definition, in mpmath ----------------------------------------


def _m(v: Fraction) -> mpmath.mpf:
    return mpmath.mpf(v.numerator) / v.denominator


def _conv(x: np.ndarray, w: np.ndarray, b: np.ndarray, pad: int) -> np.ndarray:
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    xp = np.full((n, c, h + 2 * pad, wd + 2 * pad), mpmath.mpf(0), dtype=object)
    xp[:, :, pad : pad + h, pad : pad + wd] = x
    oh, ow = h + 2 * pad - kh + 1, wd + 2 * pad - kw + 1
    y = np.empty((n, o, oh, ow), dtype=object)
    for i in np.ndindex(n, o, oh, ow):
        a, q, r, s = i
        y[i] = b[q] + sum(
            w[q, ch, u, v] * xp[a, ch, r + u, s + v] for ch in range(c) for u in range(kh) for v in range(kw)
        )
    return y


def _pool2(x: np.ndarray) -> np.ndarray:
    n, c, h, w = x.shape
    y = np.empty((n, c, h // 2, w // 2), dtype=object)
    for a, q, r, s in np.ndindex(*y.shape):
        y[a, q, r, s] = sum(x[a, q, 2 * r + u, 2 * s + v] for u in range(2) for v in range(2)) / 4
    return y


def _layer_norm(x: np.ndarray, scale: np.ndarray, bias: np.ndarray, eps: Fraction) -> np.ndarray:
    y = np.empty(x.shape, dtype=object)
    for i in range(x.shape[0]):
        row = x[i]
        mu = sum(row) / len(row)
        var = sum((v - mu) ** 2 for v in row) / len(row)
        y[i] = [(v - mu) / mpmath.sqrt(var + _m(eps)) * g + b for v, g, b in zip(row, scale, bias)]
    return y


def _softmax(z: np.ndarray) -> np.ndarray:
    out = np.empty(z.shape, dtype=object)
    for i in range(z.shape[0]):
        e = [mpmath.exp(v) for v in z[i]]
        out[i] = [v / sum(e) for v in e]
    return out


def _reference(graph: Graph, p: dict, X: np.ndarray) -> dict:
    """Every tensor of ``graph`` on ``X`` (object arrays of mpf), from the layers' definitions."""
    values = {graph.input_name: X}
    for node in graph.nodes:
        layer, x = node.layer, values[node.sources[0]]
        q = {k.split(".", 1)[1]: v for k, v in p.items() if k.startswith(node.name + ".")}
        if isinstance(layer, Dense):
            y = np.array(
                [
                    [
                        q["bias"][j] + sum(q["weight"][j, i] * row[i] for i in range(len(row)))
                        for j in range(layer.features)
                    ]
                    for row in x
                ],
                dtype=object,
            )
        elif isinstance(layer, Conv):
            y = _conv(x, q["weight"], q["bias"], 1)
        elif isinstance(layer, BatchNorm):
            t = (slice(None), *([None] * (x.ndim - 2)))
            r = np.array([1 / mpmath.sqrt(v + _m(layer.epsilon)) for v in q["var"]], dtype=object)
            y = (x - q["mean"][t]) * (q["scale"] * r)[t] + q["bias"][t]
        elif isinstance(layer, LayerNorm):
            y = _layer_norm(x, q["scale"], q["bias"], layer.epsilon)
        elif isinstance(layer, Activation):
            f = {
                "tanh": mpmath.tanh,
                "sigmoid": lambda v: 1 / (1 + mpmath.exp(-v)),
                "softplus": lambda v: mpmath.log(1 + mpmath.exp(v)),
                "relu": lambda v: max(v, 0),
            }[layer.name]
            y = np.vectorize(f, otypes=[object])(x)
        elif isinstance(layer, AveragePool):
            y = _pool2(x)
        elif isinstance(layer, GlobalAveragePool):
            y = x.sum(axis=(2, 3), keepdims=True) / (x.shape[2] * x.shape[3])
        elif isinstance(layer, Flatten):
            y = x.reshape(x.shape[0], -1)
        elif isinstance(layer, Add):
            y = x + values[node.sources[1]]
        elif isinstance(layer, Softmax):
            y = _softmax(x)
        else:
            raise AssertionError(layer)
        values[node.name] = y
    return values


def _reference_loss(graph: Graph, p: dict, X: np.ndarray, Y: np.ndarray, kind: str) -> mpmath.mpf:
    values = _reference(graph, p, X)
    n, m = Y.shape
    last = graph.nodes[-1]
    if kind in ("mse", "sse"):
        f = values[last.name]
        total = sum((a - b) ** 2 for a, b in zip(f.ravel(), Y.ravel()))
        return total / (n * m) if kind == "mse" else total
    z = values[last.sources[0]]  # the logits before the final softmax or sigmoid
    if kind == "bce":  # -y log s(z) - (1 - y) log(1 - s(z)) = softplus(z) - y z
        return sum(mpmath.log(1 + mpmath.exp(a)) - b * a for a, b in zip(z.ravel(), Y.ravel())) / n
    total = mpmath.mpf(0)
    for row, y in zip(z, Y):
        lse = mpmath.log(sum(mpmath.exp(v) for v in row))
        total += sum(y) * lse - sum(a * b for a, b in zip(row, y))
    return total / n


def _reference_jet(loss: GraphLoss, P: dict, D: dict) -> tuple:
    """``(phi(0), phi'(0), phi''(0))`` in mpmath at 40 digits (the exact data converted at 40 digits)."""
    with mpmath.workdps(40):
        X = np.vectorize(_m, otypes=[object])(loss.X)
        Y = np.vectorize(_m, otypes=[object])(loss.Y)
        Pm = {k: np.vectorize(_m, otypes=[object])(v) for k, v in P.items()}
        Dm = {k: np.vectorize(_m, otypes=[object])(v) for k, v in D.items()}

        def phi(s: mpmath.mpf) -> mpmath.mpf:
            return _reference_loss(loss.graph, {k: Pm[k] + s * Dm[k] for k in Pm}, X, Y, loss.kind)

        return phi(0), mpmath.diff(phi, 0, 1), mpmath.diff(phi, 0, 2)


# -- the tiny graphs, one per layer type --------------------------------------------------------------


def _conv_bn() -> GraphLoss:
    g = Graph(
        (1, 4, 4),
        [
            Node("c", Conv(2, (3, 3), padding=1)),
            Node("bn", BatchNorm(Fraction(1, 10))),
            Node("t", Activation("tanh")),
            Node("ap", AveragePool((2, 2))),
            Node("gap", GlobalAveragePool()),
            Node("f", Flatten()),
            Node("fc", Dense(2)),
        ],
    )
    return GraphLoss(g, _data((2, 1, 4, 4), 1), _data((2, 2), 2), "mse")


def _residual_ln_ce() -> GraphLoss:
    g = Graph(
        (3,),
        [
            Node("fc1", Dense(3)),
            Node("t1", Activation("tanh")),
            Node("fc2", Dense(3)),
            Node("t2", Activation("softplus")),
            Node("res", Add(), ("t1", "t2")),
            Node("ln", LayerNorm(epsilon=Fraction(1, 10))),
            Node("fc3", Dense(3)),
            Node("sm", Softmax()),
        ],
    )
    return GraphLoss(g, _data((3, 3), 3), np.eye(3, dtype=int)[[0, 2, 1]], "cross_entropy")


def _softmax_mse() -> GraphLoss:
    g = Graph(
        (2,),
        [Node("fc1", Dense(3)), Node("t", Activation("tanh")), Node("fc2", Dense(3)), Node("sm", Softmax())],
    )
    return GraphLoss(g, _data((3, 2), 4), _data((3, 3), 5), "sse")


def _sigmoid_bce() -> GraphLoss:
    g = Graph(
        (2,),
        [
            Node("fc1", Dense(2)),
            Node("bn", BatchNorm(Fraction(1, 4))),
            Node("t", Activation("tanh")),
            Node("fc2", Dense(1)),
            Node("s", Activation("sigmoid")),
        ],
    )
    return GraphLoss(g, _data((3, 2), 6), [[0], [1], [1]], "bce")


def _data(shape: tuple, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    values = rng.integers(-8, 9, size=shape)
    return np.vectorize(lambda v: Fraction(int(v), 8), otypes=[object])(values)


GRAPHS = {
    "conv_bn_pool": _conv_bn,
    "residual_ln_ce": _residual_ln_ce,
    "softmax_sse": _softmax_mse,
    "bn_sigmoid_bce": _sigmoid_bce,
}


def _line(loss: GraphLoss) -> tuple[dict, dict]:
    P = random_parameters(loss.graph, seed=3)
    D = random_parameters(loss.graph, seed=4)
    return P, D


def _contains(low: object, high: object, value: mpmath.mpf) -> bool:
    with mpmath.workdps(40):
        tol = mpmath.mpf(10) ** -25 * (1 + abs(value))
        return bool(_m(Fraction(low)) - tol <= value <= _m(Fraction(high)) + tol)


@pytest.mark.parametrize("name", list(GRAPHS))
def test_the_enclosures_contain_an_independent_mpmath_derivative(name: str) -> None:
    loss = GRAPHS[name]()
    P, D = _line(loss)
    ref = _reference_jet(loss, P, D)
    assert abs(ref[2]) > 1e-3  # a real second derivative to miss
    for bk, width in ((F64Backend(), 1e-9), (ArbBackend(30), 1e-24)):
        jet = loss_jet_enclosure(bk, loss, P, D)
        for (low, high), value in zip(jet, ref):
            assert _contains(low, high, value), (bk.name, low, high, value)
            assert float(high - low) < width * (1 + abs(float(value)))
    checked = read_graph(loads(json.dumps(graph_to_dict(loss.graph))))
    point = {k: v.tolist() for k, v in P.items()}
    direction = {k: v.tolist() for k, v in D.items()}
    saved, flint.ctx.prec = flint.ctx.prec, 150
    try:
        balls = graph_loss_jet(
            checked, point, direction, loss.X.tolist(), loss.Y.tolist(), loss.kind, Fraction(1)
        )
    finally:
        flint.ctx.prec = saved
    for ball, value in zip(balls, ref):
        low, high = Fraction(ball.lower().str(40, radius=False)), Fraction(ball.upper().str(40, radius=False))
        assert _contains(low - abs(low) / 10**30, high + abs(high) / 10**30, value), (ball, value)
        assert ball.rad() < 1e-20


def test_a_relu_pre_activation_at_zero_is_a_kink_not_a_derivative() -> None:
    """P with a ReLU input exactly 0 on one data point: neither side computes a second derivative."""
    g = Graph((1,), [Node("fc1", Dense(1)), Node("r", Activation("relu")), Node("fc2", Dense(1))])
    loss = GraphLoss(g, [[1]], [[0]], "sse")
    P = {"fc1.weight": [[1]], "fc1.bias": [-1], "fc2.weight": [[1]], "fc2.bias": [0]}
    D = {"fc1.weight": [[1]], "fc1.bias": [0], "fc2.weight": [[0]], "fc2.bias": [0]}
    with pytest.raises(KinkError):
        loss_jet_enclosure(F64Backend(), loss, P, D)
    with pytest.raises(ArithmeticError):
        graph_loss_jet(
            read_graph(loads(json.dumps(graph_to_dict(g)))), P, D, [[1]], [[0]], "sse", Fraction(1)
        )


# -- mutations of a real proved certificate ------------------------------------------------------------


@pytest.fixture(scope="module")
def proved() -> dict:
    g = Graph((1,), [Node("fc1", Dense(2)), Node("t", Activation("tanh")), Node("fc2", Dense(1))])
    A = {"fc1.weight": [[-2], [2]], "fc1.bias": [-1, 0], "fc2.weight": [[1, 1]], "fc2.bias": [0]}
    loss = GraphLoss(g, [[-1], [0], [1], [2]], [["-1/5"], ["-4/5"], [0], [0]], "mse")
    cert = certify_graph_curvature(
        loss, A, Permute("P_fc1", (1, 0)), t0=Fraction(1, 2), weight_decay="1/1000"
    )
    assert cert.status == "proved"
    record = json.loads(cert.to_json())
    assert check(copy.deepcopy(record)).accepted
    return record


def _edit(record: dict, path: tuple, value: object) -> dict:
    out = copy.deepcopy(record)
    place = out
    for key in path[:-1]:
        place = place[key]
    place[path[-1]] = value
    return out


MUTATIONS = {
    "t0": (("parameters", "t0"), "0"),
    "decay larger": (("loss", "weight_decay"), "10"),
    "decay smaller": (("loss", "weight_decay"), "1/2000"),
    "decayed list": (("loss", "decayed"), ["fc2.bias"]),
    "factor": (("loss", "factor"), "2"),
    "kind": (("loss", "kind"), "sse"),
    "status": (("status",), "undecided"),
    "relation": (("claim", "relation"), "<="),
    "a target": (("data", "ys", 0, 0), "-1/4"),
    "an input": (("data", "xs", 1, 0), "1/8"),
    "point B": (("points", "B", "fc1.bias", 0), "-1/2"),
    "point A": (("points", "A", "fc2.weight", 0, 0), "2"),
    "activation": (("network", "graph", "nodes", 1, "layer", "name"), "sigmoid"),
}


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_a_mutated_certificate_is_rejected(proved: dict, name: str) -> None:
    path, value = MUTATIONS[name]
    _rejected(_edit(proved, path, value))


def _rejected(record: dict) -> None:
    try:
        result = check(record)
    except CertificateFormatError:
        return  # refused as malformed
    assert not result.accepted, result.reasons


def test_a_claimed_enclosure_off_the_value_is_rejected(proved: dict) -> None:
    for quantity in ("phi(t0)", "phi'(t0)", "phi''(t0)"):
        low, high = (Fraction(v) for v in proved["enclosures"][quantity])
        shifted = _edit(proved, ("enclosures", quantity), [str(high), str(high + (high - low))])
        _rejected(shifted)


def test_a_hessian_certificate_may_not_choose_its_point(proved: dict) -> None:
    record = dict(_edit(proved, ("kind",), "hessian"), parameters={"t0": "2/5"})
    record["claim"] = {**record["claim"], "quantity": "dHd"}
    _rejected(record)  # the hessian kind has no t0: M = (A + B)/2 is fixed


# -- the other layers, against a finite difference of the checker's own forward at 400 bits ------------


def _strided() -> GraphLoss:
    g = Graph(
        (2, 5, 5),
        [
            Node("c", Conv(3, (3, 3), stride=2, padding=1)),
            Node("a", Activation("leaky_relu:1/10")),
            Node("c2", Conv(2, (2, 2), dilation=2, padding=1)),
            Node("ap", AveragePool((2, 2), stride=1, padding=1)),
            Node("ln", LayerNorm(axis=1, epsilon=Fraction(1, 10))),
            Node("f", Flatten()),
            Node("fc", Dense(2)),
        ],
    )
    return GraphLoss(g, _data((2, 2, 5, 5), 7), _data((2, 2), 8), "sse")


def _moves() -> GraphLoss:
    g = Graph(
        (2, 3),
        [
            Node("fc0", Dense(3)),
            Node("tr", Transpose((1, 0))),
            Node("sm", Softmax(axis=0)),
            Node("rs", Reshape((6,))),
            Node("fc", Dense(2)),
            Node("cube", Activation("cube")),
            Node("fc2", Dense(2)),
        ],
    )
    return GraphLoss(g, _data((3, 2, 3), 9), _data((3, 2), 10), "mse")


def _forward_difference(checked: object, point: dict, direction: dict, loss: GraphLoss) -> tuple:
    """``phi'(0)``, ``phi''(0)`` by central differences of the checker's forward with ``h = 2^-40`` at
    400 bits (truncation about ``h^2``: far below the tolerance used)."""
    from symcert.checker.graph.forward import graph_loss, to_arb

    h = Fraction(1, 2**40)
    X = to_arb(loss.X.tolist())

    def phi(s: Fraction) -> flint.arb:
        p = {
            k: (np.array(point[k], dtype=object) + s * np.array(direction[k], dtype=object)).tolist()
            for k in point
        }
        return graph_loss(checked, p, X, loss.Y.tolist(), loss.kind, Fraction(1))

    a, b, c = phi(-h), phi(Fraction(0)), phi(h)
    step = flint.arb(flint.fmpq(h.numerator, h.denominator))
    return (c - a) / (2 * step), (c - 2 * b + a) / (step * step)


@pytest.mark.parametrize("make", [_strided, _moves])
def test_strides_dilations_padding_hidden_softmax_and_moves_against_a_difference(make) -> None:
    loss = make()
    P, D = _line(loss)
    checked = read_graph(loads(json.dumps(graph_to_dict(loss.graph))))
    point = {k: v.tolist() for k, v in P.items()}
    direction = {k: v.tolist() for k, v in D.items()}
    saved, flint.ctx.prec = flint.ctx.prec, 400
    try:
        d1, d2 = _forward_difference(checked, point, direction, loss)
        balls = graph_loss_jet(
            checked, point, direction, loss.X.tolist(), loss.Y.tolist(), loss.kind, Fraction(1)
        )
    finally:
        flint.ctx.prec = saved
    assert abs(d2.mid()) > 1e-3
    for bk in (F64Backend(), ArbBackend(30)):
        jet = loss_jet_enclosure(bk, loss, P, D)
        for (low, high), ref in zip(jet[1:], (d1, d2)):
            value = Fraction(ref.mid().str(40, radius=False))
            tol = Fraction(1, 10**18) * (1 + abs(value))
            assert low - tol <= value <= high + tol, (bk.name, float(low), float(high), float(value))
    for ball, ref in zip(balls[1:], (d1, d2)):
        assert abs((ball - ref).mid()) < 1e-18 * (1 + abs(ref.mid())), (ball, ref)
        assert ball.rad() < 1e-30


# -- alignment: g(B) computes B's function, checked by evaluation (not by the proofs) -------------------


def _residual_cnn(activation: str) -> Graph:
    return Graph(
        (1, 4, 4),
        [
            Node("c1", Conv(3, (3, 3), padding=1)),
            Node("bn", BatchNorm(Fraction(1, 10))),
            Node("a1", Activation(activation)),
            Node("c2", Conv(3, (3, 3), padding=1)),
            Node("a2", Activation(activation)),
            Node("res", Add(), ("a1", "a2")),
            Node("gap", GlobalAveragePool()),
            Node("f", Flatten()),
            Node("fc", Dense(2)),
        ],
    )


def _hidden_pair(g: Graph) -> tuple[dict, dict]:
    """A, and B = a hidden permutation of A plus small exact noise (so g(B) != A but g is not 1)."""
    from symcert.symbolic.graph import apply, derive_symmetries

    A = random_parameters(g, seed=11)
    noise = random_parameters(g, seed=12, denominator=64)
    moved = apply(derive_symmetries(g), A, Permute("P_c1", (2, 0, 1)))
    B = {k: moved[k] + noise[k] / 16 if not k.endswith(".var") else moved[k] for k in moved}
    return A, B


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_the_aligned_network_computes_b_function(activation: str) -> None:
    from symcert.proofs.graph_alignment import align_graphs
    from symcert.symbolic.graph import evaluate

    g = _residual_cnn(activation)
    A, B = _hidden_pair(g)
    result = align_graphs(A, B, graph=g, spot=False)
    assert result.status == "proved" and not result.is_identity
    assert result.distance_after <= result.distance_before
    X = _data((3, 1, 4, 4), 13)
    if activation == "relu":  # exact: entry for entry the same outputs
        assert np.array_equal(
            evaluate(g, result.aligned, X, arithmetic="exact"), evaluate(g, B, X, arithmetic="exact")
        )
    else:
        out, ref = evaluate(g, result.aligned, X), evaluate(g, B, X)
        assert np.max(np.abs(out - ref)) < 1e-12 * (1 + np.max(np.abs(ref)))
    if activation == "sigmoid":  # 1 - s is a symmetry, but no pure sign change: no flips
        assert all(not flipped for m in result.matches for _, flipped in m.flips)


def test_an_unproved_factor_is_never_reported_proved(monkeypatch) -> None:
    import symcert.proofs.graph_alignment as alignment

    real = alignment.prove_graph_invariance

    def failing(spec, element, spot=True):
        proof = real(spec, element, spot=spot)
        return (
            type(proof)(**{**proof.__dict__, "status": "not proved"}) if hasattr(proof, "__dict__") else proof
        )

    monkeypatch.setattr(alignment, "prove_graph_invariance", failing)
    g = _residual_cnn("tanh")
    result = alignment.align_graphs(*_hidden_pair(g), graph=g, spot=False)
    assert result.elements and result.status == "not proved"
    assert result.conclusion().startswith("not proved")
    assert result.to_dict()["proof"] == "not proved"


def test_an_accepted_decayed_loss_says_which_loss_was_re_proved(proved: dict) -> None:
    """The decayed list is part of the statement (the checker takes it as stated): the verdict names it."""
    result = check(copy.deepcopy(proved))
    assert result.accepted
    note = next(r for r in result.reasons if "weight decay" in r)
    assert "1/1000" in note and "4 of 4 parameters" in note and "fc1.weight" in note


def test_align_out_with_an_unproved_g_says_so(tmp_path, capsys, monkeypatch) -> None:
    pytest.importorskip("onnx")
    import symcert.proofs.graph_alignment as alignment
    from symcert.cli import main
    from tests.test_align_cli import _planted

    real = alignment.prove_graph_invariance

    def failing(spec, element, spot=True):
        proof = real(spec, element, spot=spot)
        return type(proof)(**{**proof.__dict__, "status": "not proved"})

    _, a, b = _planted(tmp_path)
    out = str(tmp_path / "aligned.onnx")
    monkeypatch.setattr(alignment, "prove_graph_invariance", failing)
    assert main(["align", "--model", a, "--model", b, "--out", out, "--no-spot"]) == 1
    text = capsys.readouterr().out
    assert "Wrote:" in text and "NOT proved a symmetry" in text
    monkeypatch.setattr(alignment, "prove_graph_invariance", real)
    assert (
        main(["align", "--model", a, "--model", b, "--out", str(tmp_path / "again.onnx"), "--no-spot"]) == 0
    )
    assert "NOT proved" not in capsys.readouterr().out


def test_the_reported_element_reproduces_the_aligned_network_exactly() -> None:
    """``to_dict()["element"]``, parsed back and applied to B in order, gives ``aligned`` entry for entry."""
    from symcert.proofs.graph_alignment import align_graphs
    from symcert.symbolic.graph import apply, parse_element

    g = _residual_cnn("relu")
    A, B = _hidden_pair(g)
    result = align_graphs(A, B, graph=g, spot=False)
    texts = result.to_dict()["element"]
    assert texts and len(texts) == len(result.proofs)
    again = g.check_parameters(B)
    for text in texts:
        again = apply(result.spec, again, parse_element(text))
    assert all(np.array_equal(again[k], result.aligned[k]) for k in again)
    assert not result.exact_match()  # the noise stays: g(B) is close to A, not A


# -- exact: a polynomial network's phi is a polynomial in s, recovered by exact interpolation ----------


def _interpolated_second_derivative(loss: GraphLoss, P: dict, D: dict, degree: int) -> Fraction:
    """``phi''(0)`` exactly: ``phi`` (a polynomial of at most ``degree`` in ``s``) evaluated exactly at
    ``degree + 2`` rational points by the exact graph evaluation, interpolated (the extra point checks the
    degree)."""
    import sympy

    from symcert.symbolic.graph import evaluate

    def phi(s: Fraction) -> Fraction:
        out = evaluate(loss.graph, {k: P[k] + s * D[k] for k in P}, loss.X, arithmetic="exact")
        return sum(((a - b) ** 2 for a, b in zip(out.ravel(), loss.Y.ravel())), Fraction(0))

    s = sympy.Symbol("s")
    points = [
        (Fraction(k, 3), phi(Fraction(k, 3))) for k in range(-degree // 2 - 1, degree - degree // 2 + 1)
    ]
    poly = sympy.interpolate(
        [
            (sympy.Rational(x.numerator, x.denominator), sympy.Rational(y.numerator, y.denominator))
            for x, y in points[:-1]
        ],
        s,
    )
    x, y = points[-1]
    assert poly.subs(s, sympy.Rational(x.numerator, x.denominator)) == sympy.Rational(
        y.numerator, y.denominator
    )
    value = sympy.diff(poly, s, 2).subs(s, 0)
    return Fraction(int(value.p), int(value.q))


def test_a_polynomial_conv_pool_network_against_its_exact_second_derivative() -> None:
    g = Graph(
        (1, 3, 3),
        [
            Node("c", Conv(2, (2, 2), padding=1)),
            Node("sq", Activation("square")),
            Node("ap", AveragePool((2, 2), stride=1)),
            Node("f", Flatten()),
            Node("fc", Dense(1)),
        ],
    )
    loss = GraphLoss(g, _data((2, 1, 3, 3), 14), _data((2, 1), 15), "sse")
    P, D = _line(loss)
    exact = _interpolated_second_derivative(loss, P, D, 6)
    assert exact != 0
    for bk in (F64Backend(), ArbBackend(30)):
        low, high = loss_jet_enclosure(bk, loss, P, D)[2]
        assert low <= exact <= high and high - low < abs(exact) / 10**8, bk.name
    checked = read_graph(loads(json.dumps(graph_to_dict(g))))
    point = {k: v.tolist() for k, v in P.items()}
    direction = {k: v.tolist() for k, v in D.items()}
    ball = graph_loss_jet(checked, point, direction, loss.X.tolist(), loss.Y.tolist(), "sse", Fraction(1))[2]
    assert ball.contains(flint.fmpq(exact.numerator, exact.denominator))
