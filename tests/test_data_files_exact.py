"""Data files load as exact integer matrices at every size: the same rationals as the SymPy route."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

import symcert.models.data as model_data
from symcert import MLP, Loss, certify_nonconvexity, swap
from symcert.numeric.engine.backends import F64Backend
from symcert.numeric.engine.layout import Exact, data_layout

RNG = np.random.default_rng(3)


def _both(path, net, kind, monkeypatch):
    new = model_data.load_data(path, net, kind)
    monkeypatch.setattr(model_data, "LARGE_DATA_ENTRIES", 10**9)  # the old route: SymPy rationals
    old = model_data.load_data(path, net, kind)
    monkeypatch.undo()
    return new, old


@pytest.mark.parametrize(
    "X",
    [
        RNG.integers(0, 256, (30, 4)) / 255.0,  # pixels k/255 as float64: numerators up to 2^60
        (RNG.integers(0, 256, (30, 4)) / 255.0).astype(np.float32),
        (RNG.normal(size=(30, 4)) * np.array([1e-6, 1.0, 1e3, 0.0])).astype(np.float32),
        RNG.integers(0, 256, (30, 4)).astype(np.uint8),
    ],
    ids=["float64-pixels", "float32-pixels", "float32-mixed-scales", "uint8"],
)
def test_a_small_file_gives_the_old_rationals_and_the_same_enclosures(tmp_path, monkeypatch, X):
    path = tmp_path / "data.npz"
    np.savez(path, X=X, y=RNG.integers(0, 3, 30))
    net = MLP((4, 5, 3), "tanh", output_activation="softmax")
    new, old = _both(path, net, "cross_entropy", monkeypatch)
    assert type(new).__name__ == "IntegerDataset" and type(old).__name__ == "Dataset"
    assert new.xs == old.xs and new.ys == old.ys
    assert [[Fraction(str(v)) for v in row] for row in new.xs] == [[Fraction(float(v)) for v in r] for r in X]
    a, b = data_layout(new), data_layout(old)  # the engine's matrices: same numerators, same denominator
    assert (a.X.den, a.X.num.tolist(), a.Y.den, a.Y.num.tolist()) == (
        b.X.den,
        b.X.num.tolist(),
        b.Y.den,
        b.Y.num.tolist(),
    )
    A = net.random_point(1)
    certificates = [
        certify_nonconvexity(Loss(net, d, "cross_entropy"), A, element=swap(1, 0, 1)) for d in (new, old)
    ]
    assert certificates[0].status == certificates[1].status
    assert certificates[0].enclosures == certificates[1].enclosures


def test_targets_as_floats_load_exactly_too(tmp_path, monkeypatch):
    path = tmp_path / "data.npy"
    np.save(path, np.hstack([RNG.normal(size=(12, 3)), RNG.normal(size=(12, 2)).astype(np.float32)]))
    net = MLP((3, 4, 2), "tanh")
    new, old = _both(path, net, "mse", monkeypatch)
    assert type(new).__name__ == "IntegerDataset"
    assert new.xs == old.xs and new.ys == old.ys


def test_values_beyond_one_int64_matrix_keep_the_sympy_route(tmp_path):
    path = tmp_path / "data.npz"
    np.savez(path, X=np.array([[1e-300, 1.0], [2.0, 3.0]]), y=np.array([[0.5], [1.0]]))
    data = model_data.load_data(path, MLP((2, 2, 1), "tanh"), "mse")
    assert type(data).__name__ == "Dataset" and data.xs[0][0] == Fraction(1e-300)


def test_big_dyadic_numerators_convert_exactly_and_others_stay_enclosed():
    ints = (RNG.integers(1, 256, 200) / 255.0 * 2.0**60).astype(np.int64)  # 53 significant bits each
    with_int64 = Exact(ints.astype(object), 2**60)
    with_int64.memo["int64"] = ints
    for x in (with_int64, Exact(ints.astype(object), 2**60)):
        got = F64Backend().array(x)
        assert np.array_equal(got.lo, got.hi)  # exact: no radius
        assert [Fraction(float(v)) for v in got.lo] == [Fraction(int(n), 2**60) for n in ints]
    odd = Exact(np.array([2**53 + 1, 4], dtype=object), 2**60)  # 54 significant bits: not a float64
    got = F64Backend().array(odd)
    exact = Fraction(2**53 + 1, 2**60)
    assert Fraction(float(got.lo[0])) < exact < Fraction(float(got.hi[0]))


def test_the_float64_loss_reads_integer_data_without_sympy_and_agrees(tmp_path, monkeypatch):
    from symcert.numeric.floats import FloatLoss

    path = tmp_path / "data.npz"
    np.savez(path, X=RNG.integers(0, 256, (20, 4)) / 255.0, y=RNG.integers(0, 3, 20))
    net = MLP((4, 5, 3), "tanh", output_activation="softmax")
    new, old = _both(path, net, "cross_entropy", monkeypatch)
    fast, slow = (FloatLoss(Loss(net, d, "cross_entropy")) for d in (new, old))
    assert np.array_equal(fast.xs, slow.xs) and np.array_equal(fast.ys, slow.ys)
    theta = fast.check(net.random_point(2))
    assert fast.value(theta) == slow.value(theta)
