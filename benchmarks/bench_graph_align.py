"""Time ``align_graphs``: weight matching over the derived groups of a CNN, the exact element, its proofs.

Run: ``python benchmarks/bench_graph_align.py`` (about 3-5 minutes, training most of it; ``--quick``
trains for 60 epochs instead of 300).

Cases, on the example CNN of ``symcert example cnn`` (conv 3x3 -> batch norm -> act, twice, global
average pool, dense 10; 4 and 8 channels, 462 parameters), for tanh and ReLU:

- a trained pair: two trainings on the first 300 digits from seeds 0 and 1 (float32, exact);
- a planted pair: ``B = g(A)`` for ``A`` the first training and a random signed permutation ``g`` of every
  group (flips on every sign segment the derivation allows).

For each: the time of the float64 matching alone, of ``align_graphs`` with the structural proofs but
without their spot checks, and with them (mpmath evaluations for tanh); the distances
``||A - B||`` and ``||A - g(B)||`` (float64), and whether ``g(B) == A`` exactly.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from symcert.models.cnn import cnn_graph, digit_images
from symcert.models.cnn_training import train_cnn
from symcert.numeric.graph.matching import weight_matching_graph
from symcert.proofs.graph_alignment import _floats, align_graphs
from symcert.symbolic.graph import Flip, Permute, apply, derive_symmetries


def seconds(run, *args, **options):
    start = time.perf_counter()
    out = run(*args, **options)
    return time.perf_counter() - start, out


def _train_two(X, y, act, epochs):
    return [train_cnn(X, y, (4, 8), act, epochs, seed) for seed in (0, 1)]


def planted(spec, params, rng):
    for group in spec.groups:
        for k, segment in enumerate(group.signs):
            if segment.allowed:
                signs = tuple(int(v) for v in rng.choice([-1, 1], size=group.size))
                params = apply(spec, params, Flip(group.name, k, signs))
        params = apply(spec, params, Permute(group.name, tuple(int(v) for v in rng.permutation(group.size))))
    return params


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="60 training epochs instead of 300")
    args = parser.parse_args()
    epochs = 60 if args.quick else 300
    X, y = digit_images(300)
    rng = np.random.default_rng(0)
    for act in ("tanh", "relu"):
        graph = cnn_graph((4, 8), act)
        spec = derive_symmetries(graph)
        train, (pa, pb) = seconds(_train_two, X, y, act, epochs)
        A, B = graph.check_parameters(pa), graph.check_parameters(pb)
        print(f"{act}: two trainings of {epochs} epochs in {train:.1f} s; group order {spec.order}")
        for name, other in (("trained pair", B), ("planted pair", planted(spec, A, rng))):
            fa, fb = _floats(A), _floats(other)
            core, _ = seconds(weight_matching_graph, spec, fa, fb)
            proved, result = seconds(align_graphs, A, other, graph=graph, spot=False)
            spotted, _ = seconds(align_graphs, A, other, graph=graph, spot=True)
            print(
                f"  {name}: matching {core:.3f} s, align + proofs {proved:.2f} s, with spot checks "
                f"{spotted:.2f} s; ||A - B|| = {result.distance_before:.4g} -> ||A - g(B)|| = "
                f"{result.distance_after:.4g}; g(B) == A exactly: {result.exact_match()}; "
                f"{len(result.elements)} factors {result.status}; {result.iterations} sweeps"
            )
            print("    " + result.text().replace("\n", "\n    "))


if __name__ == "__main__":
    main()
