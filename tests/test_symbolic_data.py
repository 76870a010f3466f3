"""Tests of symcert.symbolic.data: exact data sets and teacher data."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import sympy

from symcert import MLP, Dataset, ExactnessError, SpecificationError

R = sympy.Rational


def test_dataset_is_exact_and_scalars_are_vectors_of_length_one():
    data = Dataset([0, "1/2", 0.25], [[1], ["-3/4"], [2]])
    assert data.xs == ((0,), (R(1, 2),), (R(1, 4),))
    assert data.ys == ((1,), (R(-3, 4),), (2,))
    assert all(isinstance(v, sympy.Rational) for row in data.xs + data.ys for v in row)
    assert (data.n_points, data.input_dim, data.output_dim) == (3, 1, 1)
    assert data.teacher_of is None
    assert repr(data) == "<Dataset: 3 points of data, 1 -> 1>"


def test_dataset_accepts_numpy_arrays():
    data = Dataset(np.array([[1, 2], [3, 4]]), np.array([0.5, 1.5]))
    assert data.xs == ((1, 2), (3, 4))
    assert data.ys == ((R(1, 2),), (R(3, 2),))


@pytest.mark.parametrize(
    ("xs", "ys", "message"),
    [
        ([[1, 2], [3]], [[1], [2]], r"every vector in xs must have the same length, got lengths \[1, 2\]"),
        ([[1], [2]], [[1], [2, 3]], r"every vector in ys must have the same length"),
        ([[1, 2]], [[1], [2]], r"one entry per data point, got 1 inputs and 2 targets"),
        ([], [], r"xs must hold at least one data point"),
        ([[1]], [], r"ys must hold at least one data point"),
        ([[]], [[1]], r"xs\[0\] is empty"),
        ("12", [[1]], r"xs must be a list"),
        (5, [[1]], r"xs must be a list"),
    ],
)
def test_malformed_datasets(xs, ys, message):
    with pytest.raises(SpecificationError, match=message):
        Dataset(xs, ys)


def test_non_exact_data_raises_exactness_error_naming_the_entry():
    with pytest.raises(ExactnessError, match=r"ys\[1\]"):
        Dataset([[1], [2]], [[0], [float("nan")]])
    with pytest.raises(ExactnessError, match=r"xs\[0\]"):
        Dataset([[sympy.pi]], [[0]])


def test_dataset_is_frozen():
    data = Dataset([[1]], [[2]])
    with pytest.raises(dataclasses.FrozenInstanceError):
        data.xs = ((3,),)


def test_teacher_targets_are_the_exact_outputs():
    net = MLP((1, 1, 1), "tanh")
    teacher = net.point(W1=[[1]], b1=[0], W2=[[2]], b2=[0])
    data = Dataset.teacher(net, teacher, [[0], ["1/2"], [-1]])
    assert data.ys == ((0,), (2 * sympy.tanh(R(1, 2)),), (-2 * sympy.tanh(1),))
    # a second way: the targets equal the closed form at the point
    x = sympy.Symbol("x", real=True)
    (f,) = net.output([x])
    for (xi,), (yi,) in zip(data.xs, data.ys):
        assert f.xreplace(teacher.as_dict()).xreplace({x: xi}) == yi
    assert data.teacher_of.mlp == net and data.teacher_of.point == teacher
    assert repr(data) == "<Dataset: 3 points of teacher data, 1 -> 1>"


def test_teacher_of_an_exact_network_has_rational_targets():
    net = MLP((2, 2, 1), "relu")
    teacher = net.point(W1=[[1, -1], [2, "1/2"]], b1=[0, -3], W2=[["3/2", -1]], b2=["1/7"])
    data = Dataset.teacher(net, teacher, [[2, 5], [0, 0]])
    assert data.ys == ((R(-47, 14),), (R(1, 7),))


def test_teacher_errors():
    net = MLP((2, 2, 1))
    with pytest.raises(SpecificationError, match="the teacher point must be a Point of 2-2-1 tanh"):
        Dataset.teacher(net, MLP((2, 2, 1), "relu").random_point(0), [[1, 2]])
    with pytest.raises(SpecificationError, match="the teacher point must be a Point"):
        Dataset.teacher(net, net.random_point(0).values, [[1, 2]])
    with pytest.raises(SpecificationError, match="teacher inputs must have 2 entries"):
        Dataset.teacher(net, net.random_point(0), [[1]])
    with pytest.raises(SpecificationError, match="same length"):
        Dataset.teacher(net, net.random_point(0), [[1, 2], [1]])
    with pytest.raises(SpecificationError, match="at least one data point"):
        Dataset.teacher(net, net.random_point(0), [])
