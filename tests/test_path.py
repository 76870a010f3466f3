"""Certified connecting paths: exact moves and bounded segments, round-tripped through the checker."""

from __future__ import annotations

import copy
import itertools
import json
import re
from fractions import Fraction

import mpmath
import pytest

from symcert import MLP, Dataset, Loss, check
from symcert.proofs.moves import prove_move, recognise_move, symmetry_chain
from symcert.proofs.path import certify_path
from symcert.symbolic.elements import swap
from symcert.symbolic.permutations import Permutation

F = Fraction
NET = MLP((1, 3, 1), "tanh")
#: unit 2 (0-based) is dead: its outgoing weight is 0
A = NET.point(W1=[[2], [-1], ["1/2"]], b1=["1/2", 1, 0], W2=[[1, "-3/2", 0]], b2=["1/4"])
LOSS = Loss(NET, Dataset.teacher(NET, A, [[-2], [-1], [0], [1], [2]]), "mse")


def record(result) -> dict:
    return json.loads(result.certificate().to_json())


@pytest.fixture(scope="module")
def exact_path():
    return certify_path(LOSS, symmetry_chain(A, swap(1, 0, 1)))


@pytest.fixture(scope="module")
def bounded_path():
    B = swap(1, 0, 1)(A)
    via = NET.point_from_values([v + F(1, 4) for v in A.midpoint(B).values])
    return certify_path(LOSS, [A, via, B], tol=F(1, 100))


@pytest.fixture(scope="module")
def bezier_path():
    B = swap(1, 0, 1)(A)
    control = NET.point_from_values([v + F(1, 4) for v in A.midpoint(B).values])
    return certify_path(LOSS, [A, control, B], curve="bezier", tol=F(1, 100))


def test_exact_moves_give_sup_equal_to_L_A_and_the_checker_accepts(exact_path):
    assert exact_path.exact and exact_path.status == "proved" and exact_path.value == 0
    assert [str(s.move) for s in exact_path.segments][:3] == ["rotate:1:2", "shift:1:0,2", "rotate:1:0"]
    assert exact_path.B == swap(1, 0, 1)(A)
    assert exact_path.lo == 0 and exact_path.hi < F(1, 10**20)
    result = check(record(exact_path))
    assert result.accepted, result.reasons
    assert "7 exact moves" in result.reasons[-1]


def _tampered(data: dict, change) -> dict:
    data = copy.deepcopy(data)
    change(data)
    return data


def _revive(data: dict) -> None:  # the dead unit's outgoing weight is 1/8 along the first move
    for point in (data["points"]["A"], *data["parameters"]["chain"][:2]):
        point["W2"][0][2] = "1/8"


def _unequal(data: dict) -> None:  # the shift's two units no longer have equal incoming weights
    data["parameters"]["chain"][1]["b1"][2] = "1/3"


def _rename(data: dict) -> None:  # call the first rotation a shift
    data["parameters"]["segments"][0] = {"move": "shift", "layer": 1, "units": [0, 2]}


@pytest.mark.parametrize(
    "change, reason",
    [
        (_revive, "not dead"),
        (_unequal, "may change only"),
        (_rename, "may change only"),
        (lambda d: d["enclosures"].update(sup=["0", "0"]), "above hi"),
    ],
)
def test_tampered_exact_paths_are_rejected(exact_path, change, reason):
    result = check(_tampered(record(exact_path), change))
    assert not result.accepted
    assert any(reason in r for r in result.reasons), result.reasons


def test_moves_with_weight_decay_are_refused():
    data = record(certify_path(LOSS, symmetry_chain(A, swap(1, 0, 1))))
    data["loss"]["weight_decay"] = "1/10"
    result = check(data)
    assert not result.accepted and any("weight decay" in r for r in result.reasons)


def test_bounded_chain_encloses_the_sup_and_the_checker_accepts(bounded_path):
    assert not bounded_path.exact and bounded_path.status == "proved"
    assert bounded_path.hi - bounded_path.lo <= F(1, 100)
    # the sup along the chain, independently: mpmath on a fine grid of both segments (a lower bound)
    seen = max(_mp_loss(P.interpolate(Q, F(i, 400))) for P, Q in _pairs(bounded_path) for i in range(401))
    assert _mp(bounded_path.lo) - F(1, 100) <= seen <= _mp(bounded_path.hi)
    result = check(record(bounded_path))
    assert result.accepted, result.reasons


def test_bezier_curve_encloses_the_sup_and_the_checker_accepts(bezier_path):
    assert bezier_path.status == "proved" and bezier_path.segments[0].control is not None
    (segment,) = bezier_path.segments
    P, C, Q = segment.start, segment.control, segment.end

    def at(t):
        return NET.point_from_values(
            [
                (1 - t) ** 2 * p + 2 * t * (1 - t) * c + t * t * q
                for p, c, q in zip(P.values, C.values, Q.values)
            ]
        )

    seen = max(_mp_loss(at(F(i, 400))) for i in range(401))
    assert _mp(bezier_path.lo) - F(1, 100) <= seen <= _mp(bezier_path.hi)
    result = check(record(bezier_path))
    assert result.accepted, result.reasons


@pytest.mark.parametrize("which", ["bounded", "bezier"])
def test_tampered_bounded_paths_are_rejected(bounded_path, bezier_path, which):
    data = record(bounded_path if which == "bounded" else bezier_path)
    low = _tampered(data, lambda d: d["parameters"]["segments"][0]["pieces"][0].__setitem__(2, "1/1000"))
    assert not check(low).accepted
    high_lo = _tampered(data, lambda d: d["enclosures"]["sup"].__setitem__(0, d["enclosures"]["sup"][1]))
    result = check(high_lo)
    assert not result.accepted and any("witness" in r for r in result.reasons), result.reasons
    gap = _tampered(data, lambda d: d["parameters"]["segments"][0]["pieces"].pop())
    assert not check(gap).accepted


def test_a_straight_segment_is_not_a_move():
    B = swap(1, 0, 1)(A)
    assert recognise_move(A, B) is None
    assert not prove_move(A, B)  # the output changes along the straight segment


def test_every_permutation_of_a_layer_with_a_dead_unit_or_a_duplicate_pair():
    net = MLP((2, 3, 1), "tanh")
    dead = net.point(W1=[[1, 2], [3, -1], [5, 6]], b1=[1, 0, 3], W2=[[1, 2, 0]], b2=[0])
    pair = net.point(W1=[[1, 2], [3, -1], [1, 2]], b1=[1, 0, 1], W2=[[1, 2, 3]], b2=[0])
    for start in (dead, pair):
        for source in itertools.permutations(range(3)):
            g = Permutation(1, source)
            chain = symmetry_chain(start, g)
            assert chain[-1] == g(start)
            assert all(recognise_move(P, Q) is not None for P, Q in itertools.pairwise(chain))
    chain = symmetry_chain(pair, Permutation(1, (2, 0, 1)))
    assert all(prove_move(P, Q) for P, Q in itertools.pairwise(chain))


def test_no_exact_path_without_a_dead_unit_or_a_pair():
    net = MLP((1, 2, 1), "tanh")
    A2 = net.point(W1=[[2], [-1]], b1=[0, 1], W2=[[1, 1]], b2=[0])
    with pytest.raises(Exception, match="no dead unit"):
        symmetry_chain(A2, swap(1, 0, 1))


def _mp(value: Fraction) -> mpmath.mpf:
    with mpmath.workdps(40):
        return mpmath.mpf(value.numerator) / value.denominator


def _pairs(result):
    return [(s.start, s.end) for s in result.segments]


def _mp_loss(point) -> mpmath.mpf:
    """The mse loss in mpmath at 40 digits, from the teacher's exact outputs (independent of symcert)."""
    with mpmath.workdps(40):
        total = mpmath.mpf(0)
        for x in (-2, -1, 0, 1, 2):
            f = _net(point, x)
            y = _net(A, x)
            total += (f - y) ** 2
        return total / 5


def _net(point, x) -> mpmath.mpf:
    def q(v):
        return mpmath.mpf(v.p) / v.q

    out = q(point.b(2)[0])
    for j in range(3):
        out += q(point.W(2)[0, j]) * mpmath.tanh(q(point.W(1)[j, 0]) * x + q(point.b(1)[j]))
    return out


def _mp_forward(point, x) -> list:
    """The network's output in mpmath (tanh or relu hidden layers), straight from the exact weights."""
    act = {"tanh": mpmath.tanh, "relu": lambda z: max(z, 0)}[point.mlp.activation.label]
    a = [mpmath.mpf(v) for v in x]
    layers = point.layers
    for l, layer in enumerate(layers, start=1):
        z = [
            mpmath.fsum(_mp(F(int(w.p), int(w.q))) * v for w, v in zip(row, a)) + _mp(F(int(b.p), int(b.q)))
            for row, b in zip(layer.weights, layer.biases)
        ]
        a = [act(v) for v in z] if l < len(layers) else z
    return a


def _mp_mse(loss, point, teacher) -> mpmath.mpf:
    """The mse loss on teacher data, in mpmath at 40 digits (the targets from the teacher's exact weights)."""
    with mpmath.workdps(40):
        total = mpmath.mpf(0)
        for x in loss.data.xs:
            inputs = [_mp(F(int(v.p), int(v.q))) for v in x]
            f, y = _mp_forward(point, inputs), _mp_forward(teacher, inputs)
            total += mpmath.fsum((a - b) ** 2 for a, b in zip(f, y))
        return total / (len(loss.data.xs) * loss.mlp.widths[-1])


@pytest.mark.parametrize("act", ["tanh", "relu"])
def test_bezier_pieces_bound_the_loss_on_each_piece_and_the_slopes_are_right(act):
    net = MLP((2, 3, 1), act)
    P0, P1, P2 = net.random_point(3), net.random_point(5), net.random_point(4)
    loss = Loss(net, Dataset.teacher(net, P0, [[1, 0], [0, 1], [-1, 1], [2, -1]]), "mse")
    result = certify_path(loss, [P0, P1, P2], curve="bezier", tol=F(1, 1000))
    assert result.status == "proved"

    def at(t):
        return net.point_from_values(
            [
                (1 - t) ** 2 * a + 2 * t * (1 - t) * b + t * t * c
                for a, b, c in zip(P0.values, P1.values, P2.values)
            ]
        )

    (segment,) = result.segments
    for t0, t1, upper in segment.pieces:
        for k in range(5):
            assert _mp_mse(loss, at(t0 + (t1 - t0) * F(k, 4)), P0) <= _mp(upper)
    if act == "tanh":  # the certified slope phi'(t) contains a central difference (c'(t) must be right)
        from symcert.numeric.curve_bounds import CurveBounds

        bounds = CurveBounds(loss, P0, P1, P2)
        for t in (F(1, 5), F(1, 2), F(4, 5)):
            lo, hi = bounds.jets(t)[1]
            h = F(1, 10**8)
            slope = (_mp_mse(loss, at(t + h), P0) - _mp_mse(loss, at(t - h), P0)) / _mp(2 * h)
            assert _mp(lo) - mpmath.mpf(10) ** -6 <= slope <= _mp(hi) + mpmath.mpf(10) ** -6
    assert check(record(result)).accepted


@pytest.mark.parametrize("layer", [1, 2])
def test_exact_paths_in_either_hidden_layer_of_a_deeper_network(layer):
    net = MLP((2, 3, 3, 1), "tanh")
    W2 = [[1, 2, 0], [3, 4, 0], [5, 6, 0]] if layer == 1 else [[1, 2, 3], [3, 4, 5], [5, 6, 7]]
    W3 = [[1, 2, 3]] if layer == 1 else [[1, 2, 0]]  # unit 2 of the layer is dead
    A = net.point(W1=[[1, 2], [3, 4], [5, 6]], b1=[1, 2, 3], W2=W2, b2=[0, 1, 2], W3=W3, b3=[0])
    g = Permutation(layer, (1, 0, 2))
    chain = symmetry_chain(A, g)
    assert all(prove_move(P, Q) for P, Q in itertools.pairwise(chain))  # local blocks, a symbolic
    loss = Loss(net, Dataset.teacher(net, A, [[1, 0], [0, 1], [-1, 2]]), "mse")
    result = certify_path(loss, chain)
    assert result.exact and result.B == g(A)
    assert check(record(result)).accepted


def test_the_latex_claim_rounds_the_upper_bound_up_and_the_interval_outward():
    """``L <= hi`` printed with fewer digits must stay true: hi rounded up, never to the nearest."""
    from types import SimpleNamespace

    from symcert.printing.path import path_latex

    lo, hi = Fraction(1234561, 10**7), Fraction(1234564, 10**7)  # .6g rounds hi down to 0.123456
    result = SimpleNamespace(lo=lo, hi=hi, status="proved", segments=[])
    claim = path_latex(result).splitlines()[1]
    printed = [Fraction(v) for v in re.findall(r"[-0-9.e]+(?=[$,\]])", claim)]
    bound, low, high = printed
    assert bound >= hi and high >= hi and low <= lo, claim


def test_the_barrier_report_prints_its_bounds_outward():
    """``lo <= beta <= hi`` and the figure's caption, printed with six digits, stay true."""
    from types import SimpleNamespace

    from symcert.printing.figures.barrier import barrier_document_body

    lo, hi = Fraction(1234567, 10**7), Fraction(1234564, 10**6)  # .6g: lo up to 0.123457, hi down to 1.23456
    r = SimpleNamespace(
        lo=lo, hi=hi, exact=False, form="entezari", status="proved", n_pieces=1, witness="1/2"
    )
    r.LA = r.LB = (Fraction(0), Fraction(0))
    r.samples, r.pieces = [], []
    body = barrier_document_body([("before", r)])
    low, high = (
        Fraction(v) for v in re.search(r"\$([-0-9.e]+) \\le \\beta \\le ([-0-9.e]+)\$", body).groups()
    )
    caption = re.search(r"barrier in \$\[([-0-9.e]+), ([-0-9.e]+)\]\$", body).groups()
    assert low <= lo and high >= hi, (low, high)
    assert Fraction(caption[0]) <= lo and Fraction(caption[1]) >= hi, caption


def test_the_certificate_note_prints_the_enclosure_outward():
    from types import SimpleNamespace

    from symcert.proofs.path import path_note

    lo, hi = Fraction(1234567, 10**7), Fraction(1234574, 10**7)  # .6g: lo up, hi down to 0.123457
    note = path_note(SimpleNamespace(exact=False, segments=[], lo=lo, hi=hi, status="proved", seconds=1.0))
    low, high = (Fraction(v) for v in re.search(r"in \[([-0-9.e]+), ([-0-9.e]+)\]", note).groups())
    assert low <= lo and high >= hi, note


def test_a_bezier_curve_whose_maximum_lies_in_the_second_half_is_refined_to_tol():
    """Branch and bound starts from the two halves; it must look at the larger claim first."""
    far = NET.point_from_values([v * 3 for v in A.values])  # L rises towards the end of the curve
    control = NET.point_from_values([v + F(1, 4) for v in A.midpoint(far).values])
    tol = F(1, 10**4)
    result = certify_path(LOSS, [A, control, far], curve="bezier", tol=tol)
    assert result.status == "proved" and result.hi - result.lo <= tol, float(result.hi - result.lo)
