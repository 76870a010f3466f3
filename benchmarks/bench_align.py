"""Time ``align``: weight and activation matching with sign flips, the exact element and its proof.

Run: ``python benchmarks/bench_align.py`` (about 30-60 s; ``--quick`` skips the 784-128-10 network).

Cases:

- 64-32-10 tanh (softmax output) on scikit-learn's bundled digits (1,797 8x8 images):
  two networks trained by ``MLPClassifier`` from different seeds, their float weights
  read exactly; and a planted pair ``B = g(A)`` (a random signed permutation).
- 784-128-10 ReLU: Gaussian weights (no training data set ships for this size),
  a planted pair ``B = g(A)`` (permutation only) and an independent pair, activation
  matching on 256 random inputs.

For each: the time of the float64 matching core alone (the baseline, measured in
the same run), of the whole ``align`` without the proof (converting the exact
points to float64, matching, building ``g`` and ``g(B)`` exactly) and their
ratio, whether ``g(B) = A`` exactly (planted pairs), the relative distance
``||A - g(B)|| / ||A - B||``, and for the 64-32-10 network the time of the
invariance proof of ``g`` on the network's logits (structural,
:func:`symcert.proofs.structural.prove_signed_permutation`) and float64 barrier
*estimates* on 25 values of t (evidence, not certified).
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from symcert import MLP, Dataset, Loss, align, flip, permutation, product
from symcert.numeric.matching import weight_matching
from symcert.proofs.alignment import _layers


def seconds(run) -> tuple[float, object]:
    start = time.perf_counter()
    out = run()
    return time.perf_counter() - start, out


def planted(net: MLP, rng: np.random.Generator, signs: bool):
    factors = []
    for l in net.hidden_layers:
        n = net.widths[l]
        if signs:
            factors += [flip(l, int(u)) for u in np.flatnonzero(rng.random(n) < 0.5)]
        factors.append(permutation(l, [int(s) for s in rng.permutation(n)]))
    return product(*factors)


def point_from_sklearn(net: MLP, model) -> object:
    arrays = {}
    for l, (w, b) in enumerate(zip(model.coefs_, model.intercepts_), start=1):
        arrays[f"W{l}"] = w.T.tolist()
        arrays[f"b{l}"] = b.tolist()
    return net.point(**arrays)


def report(name: str, A, B, *, data=None, kinds, prove=False, loss=None, planted_pair=False):
    a, b = _layers(A), _layers(B)
    core, _ = seconds(lambda: weight_matching(a, b, kinds))
    total, result = seconds(lambda: align(A, B, prove=False))
    rel = result.distance_after / result.distance_before if result.distance_before else 0.0
    line = (
        f"{name:38s} weights: core {core * 1e3:7.1f} ms, align {total:6.2f} s ({total / core:5.0f}x), "
        f"sweeps {result.iterations}, |A-gB|/|A-B| = {rel:.3f}"
    )
    if planted_pair:
        line += f", g(B) == A: {result.aligned == A}"
    print(line)
    if data is not None:
        spent, by_data = seconds(lambda: align(A, B, data=data, prove=False))
        rel = by_data.distance_after / by_data.distance_before if by_data.distance_before else 0.0
        same = f", g(B) == A: {by_data.aligned == A}" if planted_pair else ""
        print(
            f"{'':38s} activations ({len(data)} points): align {spent:6.2f} s, |A-gB|/|A-B| = {rel:.3f}{same}"
        )
    if prove:
        spent, proof = seconds(lambda: align(A, B).proof)
        print(
            f"{'':38s} align + proof on the logits: {spent:6.2f} s, {proof.status} "
            f"({len(proof.parts)} factors)"
        )
    if loss is not None:
        spent, estimates = seconds(lambda: result.estimate_barriers(loss, points=25))
        print(
            f"{'':38s} barrier ESTIMATES (float64, 25 values of t, not certified): "
            f"before {estimates.before:.4f}, after {estimates.after:.4f} ({spent:.2f} s)"
        )


def digits_case() -> None:
    from sklearn.datasets import load_digits
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    net = MLP((64, 32, 10), "tanh", output_activation="softmax")
    models = []
    for seed in (0, 1):
        model = MLPClassifier((32,), activation="tanh", max_iter=200, random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            models.append(model.fit(X, y))
    A, B = (point_from_sklearn(net, m) for m in models)
    onehot = np.eye(10)[y]
    loss = Loss(net, Dataset(X[:256].tolist(), onehot[:256].tolist()), "cross_entropy")
    kinds = ["flip"]
    print("64-32-10 tanh on digits (1,797 points), trained by scikit-learn from seeds 0 and 1:")
    report("  trained pair", A, B, data=X, kinds=kinds, prove=True, loss=loss)
    planted_B = planted(net, np.random.default_rng(0), signs=True)(A)
    report("  planted B = g(A), signed permutation", A, planted_B, data=X, kinds=kinds, planted_pair=True)


def large_case() -> None:
    rng = np.random.default_rng(0)
    net = MLP((784, 128, 10), "relu")

    def gaussian(seed):
        r = np.random.default_rng(seed)
        values = []
        for l in range(1, net.depth + 1):
            fan_in = net.widths[l - 1]
            values += (r.normal(size=net.widths[l] * fan_in) * np.sqrt(2 / fan_in)).tolist()
            values += (r.normal(size=net.widths[l]) * 0.1).tolist()
        return net.point_from_values(values)

    spent, A = seconds(lambda: gaussian(1))
    B = gaussian(2)
    xs = rng.normal(size=(256, 784))
    print(
        f"784-128-10 ReLU, Gaussian weights ({net.n_parameters} parameters; "
        f"exact point built in {spent:.1f} s):"
    )
    report(
        "  planted B = g(A), permutation",
        A,
        planted(net, rng, signs=False)(A),
        data=xs,
        kinds=[None],
        planted_pair=True,
    )
    report("  independent pair", A, B, data=xs, kinds=[None])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the 784-128-10 network")
    args = parser.parse_args()
    digits_case()
    if not args.quick:
        large_case()


if __name__ == "__main__":
    main()
