"""Data as integer matrices (``Dataset.from_integers``): the same loss as SymPy data, without SymPy."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy

import symcert.models.data as model_data
from symcert import MLP, Dataset, Loss, certify_nonconvexity, swap
from symcert.errors import SpecificationError
from symcert.numeric.engine.chunks import streaming


@pytest.fixture(scope="module")
def pixels():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, (40, 6))
    return X, np.eye(3, dtype=np.int64)[rng.integers(0, 3, 40)]


def test_integer_data_give_the_certificate_of_the_same_data_in_sympy(pixels):
    X, Y = pixels
    net = MLP((6, 5, 3), "tanh", output_activation="softmax")
    integer = Dataset.from_integers(X, 255, Y)
    symbolic = Dataset([[f"{v}/255" for v in row] for row in X.tolist()], Y)
    assert integer.xs == symbolic.xs and integer.ys == symbolic.ys  # converted on request, exactly
    A = net.random_point(0)
    found = []
    for data in (Dataset.from_integers(X, 255, Y), symbolic):
        loss = Loss(net, data, "cross_entropy")
        with streaming(chunk_size=7):
            chunked = certify_nonconvexity(loss, A, element=swap(1, 0, 1))
        found.append((certify_nonconvexity(loss, A, element=swap(1, 0, 1)).enclosures, chunked.enclosures))
    assert found[0] == found[1]


def test_integer_targets_are_checked_like_any_others(pixels):
    X, Y = pixels
    net = MLP((6, 5, 3), "tanh", output_activation="softmax")
    with pytest.raises(SpecificationError, match=r"must lie in \[0, 1\], got ys\[0\]"):
        Loss(net, Dataset.from_integers(X, 255, 2 * Y), "cross_entropy")
    with pytest.raises(SpecificationError, match="must sum to 1"):
        Loss(net, Dataset.from_integers(X, 255, Y, 2), "cross_entropy")
    with pytest.raises(SpecificationError, match="must hold integers"):
        Dataset.from_integers(X / 255, 1, Y)
    with pytest.raises(SpecificationError, match="x_den must be a positive integer"):
        Dataset.from_integers(X, 0, Y)
    with pytest.raises(SpecificationError, match="one row per data point"):
        Dataset.from_integers(X, 255, Y[:3])


def test_a_large_numpy_file_loads_as_exact_integers(tmp_path, monkeypatch, pixels):
    X, _ = pixels
    path = tmp_path / "data.npz"
    floats = X / 255.0  # float64 values: dyadic rationals, not k/255
    np.savez(path, X=floats, y=np.arange(40) % 3)
    monkeypatch.setattr(model_data, "LARGE_DATA_ENTRIES", 10)
    net = MLP((6, 5, 3), "tanh", output_activation="softmax")
    data = model_data.load_data(path, net, "cross_entropy")
    assert type(data).__name__ == "IntegerDataset"
    assert data.xs[3] == tuple(sympy.Rational(Fraction(v)) for v in floats[3])
    monkeypatch.setattr(model_data, "LARGE_DATA_ENTRIES", 10**9)
    assert model_data.load_data(path, net, "cross_entropy").xs == data.xs
