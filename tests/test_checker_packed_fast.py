"""The checker's fast path for packed chord certificates (issue 22): points kept as integers, tanh balls,
first-layer rows shared between points. Each piece against exact rationals or Arb, and tampering rejected."""

from __future__ import annotations

import array
import random
from fractions import Fraction

import flint
import numpy as np
import pytest
from flint import arb

from symcert import MLP, Dataset, Loss, certify_nonconvexity, swap
from symcert.checker import check, f64_engine
from symcert.checker.arithmetic import Net
from symcert.checker.f64_tanh import tanh_ball
from symcert.checker.packed import Packed, exact_point
from symcert.checker.points import apply_element, combine, same_point
from symcert.checker.reading import loads


def test_tanh_balls_hold_tanh_over_every_ball():
    rng = np.random.default_rng(3)
    edges = [0.0, 5e-324, 1e-300, 2.0**-10, 2.0**-10 - 2.0**-60, 1.0, 19.999999, 20.0, 20.5, 700.0]
    m = np.concatenate([rng.normal(0, 4, 1500), rng.normal(0, 1e-4, 200), edges, [-e for e in edges]])
    for scale in (0.0, 1e-15, 1e-8, 0.3, 40.0):
        r = np.abs(rng.normal(0, scale, m.size)) if scale else np.zeros(m.size)
        t, s = tanh_ball(m, r)
        assert np.all(s >= 0)
        saved = flint.ctx.prec
        flint.ctx.prec = 300
        try:
            for mi, ri, ti, si in zip(m.tolist(), r.tolist(), t.tolist(), s.tolist()):
                ball = arb(ti, si)  # exactly [t - s, t + s] (both floats, radius rounded up by Arb)
                for end in (arb(mi) - arb(ri), arb(mi) + arb(ri)):  # tanh increases: the image's ends
                    value = end.tanh()
                    assert ball.lower() <= value.lower() and value.upper() <= ball.upper(), (mi, ri)
        finally:
            flint.ctx.prec = saved
        if not scale:  # tight at points: the rung must fit inside the prover's claims
            assert float(s.max()) < 1e-14


def _packed(rng: random.Random, shape: tuple[int, ...], den: int) -> Packed:
    count = shape[0] * (shape[1] if len(shape) == 2 else 1)
    return Packed(array.array("b", [rng.randint(-128, 127) for _ in range(count)]), den, shape)


def _point(rng: random.Random, widths: tuple[int, ...], den: int = 8) -> list:
    return [
        (_packed(rng, (widths[l], widths[l - 1]), den), _packed(rng, (widths[l],), den))
        for l in range(1, len(widths))
    ]


def test_swaps_permutations_and_signs_move_packed_arrays_as_fractions():
    rng = random.Random(0)
    widths = (3, 4, 5, 2)
    net = Net(widths, "tanh", None, True, "softmax")
    for _ in range(30):
        A = _point(rng, widths)
        factors = []
        for _ in range(rng.randint(1, 5)):
            layer = rng.randint(1, 2)
            kind = rng.choice(["swap", "perm", "sign"])
            if kind == "swap":
                i, j = rng.sample(range(widths[layer]), 2)
                factors.append(f"swap:{layer}:{i},{j}")
            elif kind == "perm":
                units = list(range(widths[layer]))
                rng.shuffle(units)
                factors.append(f"perm:{layer}:{','.join(map(str, units))}")
            else:
                factors.append(f"sign:{layer}:{rng.randint(layer + 1, 3)}")
        element = ";".join(factors)
        image = apply_element(net, A, element)
        assert all(isinstance(x, Packed) for layer in image for x in layer)  # no Fraction made
        expected = apply_element(net, exact_point(A), element)
        assert exact_point(image) == expected, element
        assert same_point(image, expected) and same_point(expected, image)
        changed = [list(layer) for layer in image]
        w = changed[0][0]
        values = array.array("q", w.values)
        values[0] += 1
        changed[0][0] = Packed(values, w.den, w.shape)
        assert not same_point(changed, expected)


@pytest.mark.parametrize("t", [Fraction(1, 2), Fraction(1, 3), Fraction(-2, 5), Fraction(3, 2)])
def test_packed_combinations_are_exact(t):
    rng = random.Random(1)
    a, b = _packed(rng, (4, 3), 8), _packed(rng, (4, 3), 12)
    mixed = a.combined(b, t)
    assert mixed is not None
    expected = [[u + t * (v - u) for u, v in zip(ra, rb)] for ra, rb in zip(a.exact(), b.exact())]
    assert mixed.exact() == expected
    A, B = [(a, None)], [(b, None)]
    assert exact_point(combine(A, B, t)) == combine(exact_point(A), exact_point(B), t)
    huge = Packed(array.array("q", [2**62] * 12), 1, (4, 3))
    assert huge.combined(a, Fraction(1, 3)) is None  # leaves int64: the caller uses Fraction
    assert exact_point(combine([(huge, None)], A, t)) == combine([(huge.exact(), None)], exact_point(A), t)


def test_shared_first_layer_rows_give_the_exact_products():
    rng = np.random.default_rng(2)
    X = rng.integers(0, 256, (7, 6)).astype(np.float64)
    W = (rng.normal(0, 1, (5, 6)).astype(np.float32)).astype(np.float64)
    b = rng.normal(0, 1, 5).astype(np.float32).astype(np.float64)
    swapped = W[[1, 0, 2, 3, 4]]
    middle = W.copy()
    middle[:2] = (W[0] + W[1]) / 2  # exact: one more bit
    layers = []
    for w in (W, swapped, middle):
        floats, ints, k = f64_engine.exact_floats([[Fraction(v) for v in row] for row in w.tolist()])
        layers.append((floats, b, ints, k))
    found = f64_engine.first_layers(X, 255, layers)
    for (c, rad), (w, _, _, _) in zip(found, layers):
        for i in range(X.shape[0]):
            for j in range(w.shape[0]):
                exact = sum(Fraction(x) * Fraction(v) for x, v in zip(X[i], w[j])) / 255 + Fraction(b[j])
                assert abs(Fraction(c[i, j]) - exact) <= Fraction(rad[i, j])
                assert rad[i, j] <= 1e-15 * (1 + abs(c[i, j]))


def proved_packed_chord() -> str:
    """A proved chord of a 5-4-3-3 tanh network under cross-entropy on 30 integer points, as packed JSON
    (also used by ``tests/test_checker_fast_mutations.py``)."""
    rng = np.random.default_rng(0)
    widths = (5, 4, 3, 3)
    X = rng.integers(0, 256, (30, widths[0]))
    Y = np.eye(3, dtype=np.int64)[rng.integers(0, 3, 30)]
    mlp = MLP(widths, "tanh", output_activation="softmax")
    loss = Loss(mlp, Dataset.from_integers(X, 255, Y), "cross_entropy")
    arrays = {}
    for l in range(1, len(widths)):
        arrays[f"W{l}"] = rng.normal(0, 1, (widths[l], widths[l - 1])).astype(np.float32)
        arrays[f"b{l}"] = rng.normal(0, 0.3, widths[l]).astype(np.float32)
    for seed in range(20):  # a point whose chord is proved (a float64 search: evidence only)
        cert = certify_nonconvexity(loss, mlp.point(**arrays), element=swap(1, 0, 1), kind="chord")
        if cert.status == "proved":
            return cert.to_json(packed=True)
        arrays = {k: (v * np.float32(1.5 + seed / 10)).astype(np.float32) for k, v in arrays.items()}
    pytest.fail("no proved chord among the seeds")


@pytest.fixture(scope="module")
def record() -> str:
    return proved_packed_chord()


def test_a_packed_chord_is_checked_without_a_fraction_per_weight(record, monkeypatch):
    monkeypatch.setattr(f64_engine, "MIN_ARB_SECONDS", 0.0)  # the float64 rung, as on a large network

    def refused(self):
        raise AssertionError("a packed weight was made into Fractions")

    monkeypatch.setattr(Packed, "exact", refused)
    result = check(loads(record))
    assert result.accepted and "verified float64" in result.reasons[-1], result.reasons


def test_the_fast_path_still_rejects_a_tampered_midpoint_claim(record, monkeypatch):
    monkeypatch.setattr(f64_engine, "MIN_ARB_SECONDS", 0.0)
    tampered = loads(record)
    low, high = (Fraction(v) for v in tampered["enclosures"]["L(M)"])
    tampered["enclosures"]["L(M)"] = [str(low + (high - low) / 2), str(high)]  # cuts off the true value
    result = check(tampered)
    assert not result.accepted
    assert any("does not contain the recomputed one" in r for r in result.reasons)
