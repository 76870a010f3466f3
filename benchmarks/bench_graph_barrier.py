"""The certified barrier between two trainings of the example CNN, before and after alignment.

Trains the CNN of ``symcert example cnn`` twice (4,8 channels, batch norm, ``--activation`` tanh or
relu; seeds 0 and 1, 300 digits, 300 steps), then certifies the barrier (cross-entropy on the first
``--samples`` digits) on the straight segment A -> B and, after aligning B to A over the derived groups
(signed permutations), on A -> g(B) (:func:`symcert.proofs.graph_barrier.certify_graph_barrier`), and
times the independent checker on each certificate. The baseline is the literature's float64 estimate
in the same run: the loss at 25 evenly spaced values of t (symcert's own float64 graph evaluation),
warm, the minimum of ``--repeats``. Times are CPU seconds of this process (``time.process_time``),
wall-clock beside; the peak memory is this process's ``ru_maxrss`` (training included).

    python benchmarks/bench_graph_barrier.py [--samples 10] [--tol 1/20] [--activation tanh] [--no-check]
"""

from __future__ import annotations

import argparse
import resource
import time
from fractions import Fraction

import numpy as np

from symcert.checker import check
from symcert.models.cnn import cnn_graph, digit_images
from symcert.models.cnn_training import train_cnn
from symcert.numeric.graph import GraphLoss, float_loss
from symcert.proofs.graph_alignment import align_graphs
from symcert.proofs.graph_barrier import certify_graph_barrier


def _timed(f):
    wall, cpu = time.perf_counter(), time.process_time()
    out = f()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def _grid(loss: GraphLoss, A: dict, B: dict, n: int = 25) -> float:
    """The float64 barrier estimate: ``max_t L((1-t)A + tB) - ((1-t)L(A) + tL(B))`` on ``n`` values of t."""
    a = {k: np.asarray(v, dtype=float) for k, v in A.items()}
    d = {k: np.asarray(B[k], dtype=float) - a[k] for k in a}
    ts = np.linspace(0, 1, n)
    values = [float_loss(loss, {k: a[k] + t * d[k] for k in a}) for t in ts]
    return max(v - ((1 - t) * values[0] + t * values[-1]) for t, v in zip(ts, values))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10, help="digits in the loss (default 10)")
    parser.add_argument("--tol", type=Fraction, default=Fraction(1, 20), help="branch and bound (1/20)")
    parser.add_argument("--activation", default="tanh", choices=("tanh", "relu"))
    parser.add_argument("--repeats", type=int, default=3, help="repeats of the float grid (3)")
    parser.add_argument("--no-check", action="store_true", help="skip the independent checker")
    args = parser.parse_args()
    graph = cnn_graph((4, 8), args.activation)
    X, y = digit_images(300)
    A, B = (graph.check_parameters(train_cnn(X, y, (4, 8), args.activation, 300, seed)) for seed in (0, 1))
    n = args.samples
    loss = GraphLoss(graph, X[:n], np.eye(10, dtype=int)[y[:n]], "cross_entropy")
    alignment = align_graphs(A, B, graph=graph, spot=False)
    print(
        f"{graph.n_parameters} parameters, {args.activation}, {n} digits, tol {args.tol}; "
        f"alignment {alignment.status}"
    )
    print("| segment | certified barrier | pieces | prover (CPU) | 25-point grid (CPU) | ratio | checker |")
    print("|---|---|---|---|---|---|---|")
    for label, end in (("A -> B", B), ("A -> g(B)", alignment.aligned)):
        _grid(loss, A, end)  # warm
        grid = min(_timed(lambda end=end: _grid(loss, A, end))[2] for _ in range(args.repeats))
        result, wall, cpu = _timed(lambda end=end: certify_graph_barrier(loss, A, end, tol=args.tol))
        enclosure = f"[{float(result.lo):.6g}, {float(result.hi):.6g}] ({result.status})"
        checked = ""
        if not args.no_check:
            verdict, cwall, ccpu = _timed(lambda result=result: check(result.to_dict()))
            checked = f"{'accepted' if verdict.accepted else 'REJECTED'}, {ccpu:.1f} s (wall {cwall:.1f} s)"
        print(
            f"| {label} | {enclosure} | {result.n_pieces} | {cpu:.1f} s (wall {wall:.1f} s) | "
            f"{grid * 1000:.0f} ms | {cpu / grid:.0f}x | {checked} |"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (ru_maxrss, training included): {peak:.0f} MB")


if __name__ == "__main__":
    main()
