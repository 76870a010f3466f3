"""Trained networks loaded exactly, the frameworks' losses, your own data, the digits example."""

from __future__ import annotations

import json
import pickle
import warnings
from fractions import Fraction

import numpy as np
import pytest
from safetensors.numpy import save_file
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor

from symcert.cli import main
from symcert.errors import SpecificationError
from symcert.models import from_sklearn, load_weights, network_from_arrays
from symcert.models.data import load_data
from symcert.models.witness import screen
from symcert.numeric.engine.api import loss_bounds
from symcert.numeric.engine.backends import ArbBackend, F64Backend
from symcert.numeric.engine.layout import point_layout
from symcert.symbolic.losses import Loss

RNG = np.random.default_rng(7)
W = [RNG.normal(size=(5, 3)), RNG.normal(size=(2, 5))]
B = [RNG.normal(size=5), RNG.normal(size=2)]


def _fractions(point):
    return [Fraction(int(v.p), int(v.q)) for v in point.values]


def _expected():
    out = []
    for w, b in zip(W, B):
        out += [Fraction(float(v)) for v in w.ravel()] + [Fraction(float(v)) for v in b]
    return out


def test_float_weights_load_to_exact_fractions_and_layout_agrees():
    net, A = network_from_arrays(W, B, "tanh")
    assert net.widths == (3, 5, 2)
    assert _fractions(A) == _expected()
    lay = point_layout(A).layers[0].W
    assert [Fraction(int(n), lay.den) for n in lay.num.ravel()] == [Fraction(float(v)) for v in W[0].ravel()]


def test_numpy_safetensors_json_round_trips(tmp_path):
    np.savez(tmp_path / "m.npz", W1=W[0], b1=B[0], W2=W[1], b2=B[1])
    save_file(
        {"0.weight": W[0], "0.bias": B[0], "2.weight": W[1], "2.bias": B[1]}, str(tmp_path / "m.safetensors")
    )
    _, A = network_from_arrays(W, B, "tanh")
    (tmp_path / "m.json").write_text(json.dumps(A.arrays()))
    for name in ("m.npz", "m.safetensors", "m.json"):
        net, P = load_weights(tmp_path / name, "tanh")
        assert net.widths == (3, 5, 2) and _fractions(P) == _expected(), name


def test_sklearn_estimator_loads_to_the_same_point():
    X = RNG.normal(size=(30, 3))
    est = MLPRegressor(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, X @ [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    model = from_sklearn(est)
    _, P = network_from_arrays([c.T for c in est.coefs_], est.intercepts_, "relu")
    assert model.point == P and model.mlp.activation.name == "relu"
    assert _fractions(model.point)[0] == Fraction(float(est.coefs_[0][0, 0]))


@pytest.mark.parametrize("alpha", [0.0, 0.3])
@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_enclosure_contains_sklearns_loss(task, alpha):
    X = RNG.normal(size=(40, 3))
    if task == "regression":
        est, y = (
            MLPRegressor(
                hidden_layer_sizes=(4,),
                activation="tanh",
                solver="lbfgs",
                max_iter=60,
                random_state=0,
                alpha=alpha,
            ),
            X
            @ [
                1.0,
                -2.0,
                0.5,
            ],
        )
    else:
        y = (X[:, 0] > 0).astype(int) if task == "binary" else np.argmax(X, axis=1)
        est = MLPClassifier(
            (4,), activation="logistic", solver="lbfgs", max_iter=60, random_state=0, alpha=alpha
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    model = from_sklearn(est, X, y)
    expected_kind = {"binary": "bce", "multiclass": "cross_entropy", "regression": "mse"}[task]
    assert model.loss.kind == expected_kind
    lo, hi = loss_bounds(ArbBackend(30), model.loss, point_layout(model.point))
    # sklearn computes loss_ in float64: allow its rounding (relative 1e-9), nothing more
    slack = Fraction(abs(est.loss_)) * Fraction(1, 10**9)
    assert lo - slack <= Fraction(est.loss_) <= hi + slack
    assert hi - lo < slack  # the enclosure is tight: the test could fail


def test_labels_become_one_hot_and_out_of_range_labels_fail(tmp_path):
    net, _ = network_from_arrays(
        [W[0], RNG.normal(size=(3, 5))], [B[0], RNG.normal(size=3)], "tanh", "softmax"
    )
    np.savez(tmp_path / "d.npz", X=RNG.normal(size=(4, 3)), y=np.array([0, 2, 1, 2]))
    data = load_data(tmp_path / "d.npz", net, "cross_entropy")
    assert [list(map(int, y)) for y in data.ys][:2] == [[1, 0, 0], [0, 0, 1]]
    np.savez(tmp_path / "bad.npz", X=RNG.normal(size=(2, 3)), y=np.array([0, 3]))
    with pytest.raises(SpecificationError, match="label 3 is out of range"):
        load_data(tmp_path / "bad.npz", net, "cross_entropy")
    (tmp_path / "d.csv").write_text("x1,x2,x3,label\n0.5,1,2,1\n1/3,0,0,2\n")
    data = load_data(tmp_path / "d.csv", net, "cross_entropy")
    assert str(data.xs[1][0]) == "1/3" and [int(v) for v in data.ys[1]] == [0, 0, 1]


def test_screen_margins_match_the_engine_at_the_midpoints():
    net, A = network_from_arrays(W, B, "tanh")
    X, Y = RNG.normal(size=(6, 3)), RNG.normal(size=(6, 2))
    from symcert.symbolic.data import Dataset

    loss = Loss(net, Dataset(X, Y), "mse", "1/8")
    base = float(loss_bounds(F64Backend(), loss, point_layout(A))[0])
    candidates = screen(loss, A)
    assert len(candidates) == 10 + 5  # all pairs of 5 units, and 5 sign flips (tanh is odd)
    for c in candidates[:3] + candidates[-2:]:
        mid = A.midpoint(c.element(A))
        assert abs(float(loss_bounds(F64Backend(), loss, point_layout(mid))[0]) - base - c.margin) < 1e-9


def _prove(tmp_path, model, data, *extra):
    out = tmp_path / "c.json"
    args = ["prove", "--model", str(model), "--data", str(data), "--activation", "tanh", "--json", str(out)]
    return main([*args, "--quiet", *extra]), out


def test_cli_model_prove_finds_the_swap_and_check_accepts(tmp_path, capsys):
    np.savez(tmp_path / "m.npz", W1=W[0], b1=B[0], W2=W[1], b2=B[1])
    np.savez(tmp_path / "d.npz", X=RNG.normal(size=(8, 3)), y=RNG.normal(size=(8, 2)))
    code, out = _prove(tmp_path, tmp_path / "m.npz", tmp_path / "d.npz")
    text = capsys.readouterr().out
    assert code == 0 and "best of 15 symmetries" in text and "PROVED" in text
    assert main(["check", str(out)]) == 0


BAD_MODELS = {
    "missing.npz": dict(W1=W[0], b1=B[0], W3=W[1], b3=B[1]),
    "extra.npz": dict(W1=W[0], b1=B[0], W2=W[1], b2=B[1], W9x=W[1]),
    "transposed.npz": dict(W1=W[0], b1=B[0], W2=W[1].T, b2=B[1]),
    "nan.npz": dict(W1=np.where(W[0] > 0, np.nan, W[0]), b1=B[0], W2=W[1], b2=B[1]),
    "inf.npz": dict(W1=W[0], b1=B[0], W2=np.full((2, 5), np.inf), b2=B[1]),
}


@pytest.mark.parametrize("name", [*BAD_MODELS, "model.pkl", "labels", "empty"])
def test_bad_input_is_one_line_exit_2_nothing_written(tmp_path, capsys, name):
    np.savez(tmp_path / "good.npz", W1=W[0], b1=B[0], W2=W[1], b2=B[1])
    np.savez(tmp_path / "d.npz", X=RNG.normal(size=(4, 3)), y=RNG.normal(size=(4, 2)))
    model, data, extra = tmp_path / "good.npz", tmp_path / "d.npz", []
    if name in BAD_MODELS:
        model = tmp_path / name
        np.savez(model, **BAD_MODELS[name])
    elif name == "model.pkl":
        model = tmp_path / name
        model.write_bytes(pickle.dumps({"W1": W[0]}))
    elif name == "labels":
        data = tmp_path / "labels.csv"
        data.write_text("x1,x2,x3,label\n0,0,0,5\n")
        extra = ["--loss", "cross_entropy"]
    else:
        data = tmp_path / "empty.csv"
        data.write_text("")
    code, out = _prove(tmp_path, model, data, *extra)
    err = capsys.readouterr().err.strip()
    assert code == 2 and not out.exists()
    assert err.startswith("symcert: error:") and "\n" not in err and "Traceback" not in err
    if name == "transposed.npz":
        assert "(5, 2)" in err and "transposed" in err


def test_digits_example_proves_and_check_accepts(tmp_path, capsys):
    out = tmp_path / "digits.json"
    code = main(
        [
            "example",
            "digits",
            "--samples",
            "60",
            "--hidden",
            "6",
            "--max-iter",
            "60",
            "--quiet",
            "--json",
            f"{out}",
        ]
    )
    text = capsys.readouterr().out
    assert code == 0 and "Swap used: swap:1:" in text and "PROVED" in text
    assert main(["check", str(out)]) == 0


# --- a model means one network: the activation the file records ---------------------------------


def _weights():
    return {
        "W1": np.array([[0.5], [-1.25]]),
        "b1": np.array([0.0, 0.5]),
        "W2": np.array([[1.0, 0.75]]),
        "b2": np.array([0.25]),
    }


def _recorded_files(folder):
    w = _weights()
    np.savez(folder / "m.npz", activation=np.array("tanh"), **w)
    record = {"activation": "tanh", **{k: v.tolist() for k, v in w.items()}}
    (folder / "m.json").write_text(json.dumps(record))
    save_file(
        {"0.weight": w["W1"], "0.bias": w["b1"], "2.weight": w["W2"], "2.bias": w["b2"]},
        str(folder / "m.safetensors"),
        metadata={"activation": "tanh"},
    )
    return [folder / "m.npz", folder / "m.json", folder / "m.safetensors"]


def test_the_activation_is_read_from_the_file(tmp_path):
    for path in _recorded_files(tmp_path):
        net, point = load_weights(path)
        assert net.activation.name == "tanh", path
        assert load_weights(path, "tanh")[1].values == point.values  # naming it the same is fine


def test_a_contradicting_activation_is_refused(tmp_path):
    for path in _recorded_files(tmp_path):
        with pytest.raises(SpecificationError, match="records the activation tanh, but activation=relu"):
            load_weights(path, "relu")


def test_an_unknown_recorded_activation_is_refused(tmp_path):
    np.savez(tmp_path / "m.npz", activation=np.array("swish"), **_weights())
    with pytest.raises(SpecificationError, match="'swish', which symcert does not know"):
        load_weights(tmp_path / "m.npz")


def test_no_recorded_activation_needs_one_or_warns(tmp_path):
    np.savez(tmp_path / "plain.npz", **_weights())
    with pytest.raises(SpecificationError, match="does not record its hidden activation"):
        load_weights(tmp_path / "plain.npz", on_missing="error")
    with pytest.warns(DeprecationWarning, match="default is deprecated"):
        net, _ = load_weights(tmp_path / "plain.npz")
    assert net.activation.name == "relu"  # the old default, for one deprecation period
    with pytest.warns(DeprecationWarning):
        network_from_arrays(W, B)
    assert load_weights(tmp_path / "plain.npz", "tanh")[0].activation.name == "tanh"


def test_the_loader_hands_its_layout_to_the_engine_through_a_public_function():
    import symcert.models.loaders as loaders

    assert not hasattr(loaders, "_cached")
    _, A = network_from_arrays(W, B, "tanh")
    layout = point_layout(A).layers[0].W
    assert Fraction(int(layout.num[0, 0]), layout.den) == Fraction(float(W[0][0, 0]))


def test_npz_arrays_are_bounded_before_they_are_inflated(tmp_path):
    from symcert.models.reading import npz_arrays

    np.savez_compressed(tmp_path / "bomb.npz", X=np.zeros(100_000), y=np.zeros(10))
    assert (tmp_path / "bomb.npz").stat().st_size < 10_000  # small on disk, 800 kB in memory
    with pytest.raises(SpecificationError, match="once uncompressed, more than the limit of 100000 bytes"):
        npz_arrays(tmp_path / "bomb.npz", limit=100_000)
    assert set(npz_arrays(tmp_path / "bomb.npz")) == {"X", "y"}


def test_the_float_check_shows_a_wrong_activation_at_once():
    from symcert.models.accuracy import float_check
    from symcert.symbolic.data import Dataset

    # a tanh classifier: the sign of x decides the class; read as relu, every x < 0 gives equal logits
    weights, biases = [np.array([[4.0]]), np.array([[1.0], [-1.0]])], [np.array([0.0]), np.array([0.0, 0.0])]
    xs = [[-2], [-1], [1], [2]]
    ys = [[0, 1], [0, 1], [1, 0], [1, 0]]
    lines = []
    for activation in ("tanh", "relu"):
        net, A = network_from_arrays(weights, biases, activation, "softmax")
        lines.append(float_check(Loss(net, Dataset(xs, ys), "cross_entropy"), A))
    assert lines[0].endswith("4 of 4 points classified correctly (100.0%)")
    assert lines[1].endswith("2 of 4 points classified correctly (50.0%)")
