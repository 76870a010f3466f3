"""Real PyTorch models, trained here and saved as a PyTorch user saves them, loaded by symcert.

symcert never imports torch: it reads safetensors state dicts (with the safetensors package's numpy
API) and ONNX files. These tests check that reading against torch itself, which is a test
requirement (``pip install -e '.[test]'`` installs the CPU build): the loss symcert encloses at a
trained model's exact float32 weights must contain the value torch computes for the same weights in
float64, for each loss's PyTorch convention (``nn.MSELoss``, ``nn.CrossEntropyLoss`` and
``nn.BCEWithLogitsLoss``, each with ``reduction='mean'``), and the enclosure must be tight enough that
a wrong convention (a sum for a mean, a missing softmax) would fail. When CI is set, a missing torch is
a failure, not a skip.
"""

from __future__ import annotations

import itertools
import warnings
from fractions import Fraction

import numpy as np
import pytest

from symcert.cli import main
from symcert.models import load_weights
from symcert.models.data import load_data
from symcert.numeric.engine.api import loss_bounds
from symcert.numeric.engine.backends import ArbBackend
from symcert.numeric.engine.layout import point_layout
from symcert.symbolic.losses import Loss


@pytest.fixture(scope="module")
def torch(require_module):
    return require_module("torch")


def _trained(torch, widths, activation, criterion, X, target, steps=60, seed=0):
    """An ``nn.Sequential`` MLP trained for ``steps`` steps of Adam in float32, in eval mode."""
    torch.manual_seed(seed)
    layers = []
    for i, (fan_in, fan_out) in enumerate(itertools.pairwise(widths)):
        if i:
            hidden = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU, "sigmoid": torch.nn.Sigmoid}[activation]
            layers.append(hidden())
        layers.append(torch.nn.Linear(fan_in, fan_out))
    net = torch.nn.Sequential(*layers)
    optimiser = torch.optim.Adam(net.parameters(), lr=0.05)
    inputs = torch.from_numpy(X.astype(np.float32))
    for _ in range(steps):
        optimiser.zero_grad()
        criterion(net(inputs), target).backward()
        optimiser.step()
    return net.eval()


def _save(torch, net, path, activation):
    from safetensors.torch import save_file

    tensors = {k: v.contiguous() for k, v in net.state_dict().items()}
    save_file(tensors, str(path), metadata={"activation": activation})


def _torch_loss(torch, net, criterion, X, target):
    """torch's own value of the loss at the trained float32 weights, computed in float64."""
    with torch.no_grad():
        double = net.double()
        value = criterion(double(torch.from_numpy(X)), target).item()
        net.float()
    return value


def _enclosure(model_path, data_path, activation, output, kind):
    mlp, point = load_weights(model_path, activation, output_activation=output)
    loss = Loss(mlp, load_data(data_path, mlp, kind), kind)
    return loss_bounds(ArbBackend(40), loss, point_layout(point))


def _assert_encloses(lo, hi, value):
    # torch's float64 value carries its own rounding (relative 1e-12 here), nothing more
    slack = Fraction(abs(value)) * Fraction(1, 10**12) + Fraction(1, 10**300)
    assert lo - slack <= Fraction(value) <= hi + slack, (float(lo), float(hi), value)
    assert hi - lo < Fraction(abs(value)) * Fraction(1, 10**9)  # tight: a wrong convention would fail


RNG = np.random.default_rng(11)
X = RNG.normal(size=(24, 3))


def test_mse_of_a_trained_torch_regressor(torch, tmp_path):
    Y = np.stack([X @ [1.0, -2.0, 0.5], np.sin(X[:, 0])], axis=1)
    criterion = torch.nn.MSELoss(reduction="mean")
    net = _trained(torch, (3, 5, 2), "tanh", criterion, X, torch.from_numpy(Y.astype(np.float32)))
    _save(torch, net, tmp_path / "m.safetensors", "tanh")
    np.savez(tmp_path / "d.npz", X=X, y=Y)
    lo, hi = _enclosure(tmp_path / "m.safetensors", tmp_path / "d.npz", "tanh", "identity", "mse")
    _assert_encloses(lo, hi, _torch_loss(torch, net, criterion, X, torch.from_numpy(Y)))
    summed = _torch_loss(torch, net, torch.nn.MSELoss(reduction="sum"), X, torch.from_numpy(Y))
    assert not lo <= Fraction(summed) <= hi  # the mean, not the sum: the check can tell them apart


def test_cross_entropy_of_a_trained_torch_classifier(torch, tmp_path):
    labels = np.argmax(X, axis=1)
    criterion = torch.nn.CrossEntropyLoss(reduction="mean")
    net = _trained(torch, (3, 6, 3), "relu", criterion, X, torch.from_numpy(labels))
    _save(torch, net, tmp_path / "m.safetensors", "relu")
    np.savez(tmp_path / "d.npz", X=X, y=labels)
    lo, hi = _enclosure(tmp_path / "m.safetensors", tmp_path / "d.npz", "relu", "softmax", "cross_entropy")
    _assert_encloses(lo, hi, _torch_loss(torch, net, criterion, X, torch.from_numpy(labels)))


def test_bce_of_a_trained_torch_binary_classifier(torch, tmp_path):
    labels = (X[:, 0] + X[:, 1] > 0).astype(np.float64)
    criterion = torch.nn.BCEWithLogitsLoss(reduction="mean")
    target = torch.from_numpy(labels[:, None])
    net = _trained(torch, (3, 4, 1), "tanh", criterion, X, target.float())
    _save(torch, net, tmp_path / "m.safetensors", "tanh")
    np.savez(tmp_path / "d.npz", X=X, y=labels.astype(int))
    lo, hi = _enclosure(tmp_path / "m.safetensors", tmp_path / "d.npz", "tanh", "sigmoid", "bce")
    _assert_encloses(lo, hi, _torch_loss(torch, net, criterion, X, target))


def test_a_trained_torch_classifier_exported_to_onnx_is_proved_non_convex(torch, tmp_path, capsys):
    labels = np.argmax(X, axis=1)
    criterion = torch.nn.CrossEntropyLoss(reduction="mean")
    net = _trained(torch, (3, 6, 3), "tanh", criterion, X, torch.from_numpy(labels), seed=1)
    with warnings.catch_warnings():  # the exporter's own warnings (deprecations, tracer notes)
        warnings.simplefilter("ignore")
        torch.onnx.export(
            net,
            torch.zeros(1, 3),
            str(tmp_path / "m.onnx"),
            input_names=["x"],
            output_names=["z"],
            dynamo=False,
        )
    np.savez(tmp_path / "d.npz", X=X, y=labels)
    code = main(
        [
            "prove",
            "--model",
            str(tmp_path / "m.onnx"),
            "--data",
            str(tmp_path / "d.npz"),
            "--loss",
            "cross_entropy",
            "--json",
            str(tmp_path / "c.json"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "proved" in out.lower()
    assert main(["check", str(tmp_path / "c.json")]) == 0
    assert "accepted" in capsys.readouterr().out.lower()
