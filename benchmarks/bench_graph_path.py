"""Certified connecting paths between two trainings of the example CNN, before and after alignment.

Trains the CNN of ``symcert example cnn`` twice (4,8 channels, tanh, batch norm; seeds 0 and 1, 300
digits, 300 steps), then certifies ``sup L`` (cross-entropy on the first ``--samples`` digits) along the
straight segment A -> B and, after aligning B to A over the derived groups, along A -> g(B)
(:func:`symcert.proofs.graph_path.certify_graph_path`), and times the independent checker on each.
Prints CPU seconds (``time.process_time``) beside wall-clock ones.

    python benchmarks/bench_graph_path.py [--samples 10] [--tol 1/10] [--no-check]
"""

from __future__ import annotations

import argparse
import time
from fractions import Fraction

import numpy as np

from symcert.checker import check
from symcert.models.cnn import cnn_graph, digit_images
from symcert.models.cnn_training import train_cnn
from symcert.numeric.graph import GraphLoss
from symcert.proofs.graph_alignment import align_graphs
from symcert.proofs.graph_path import certify_graph_path


def _timed(f):
    wall, cpu = time.perf_counter(), time.process_time()
    out = f()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--tol", type=Fraction, default=Fraction(1, 10))
    parser.add_argument("--no-check", action="store_true")
    args = parser.parse_args()
    graph = cnn_graph((4, 8), "tanh")
    X, y = digit_images(300)
    A, B = (graph.check_parameters(train_cnn(X, y, (4, 8), "tanh", 300, seed)) for seed in (0, 1))
    n = args.samples
    loss = GraphLoss(graph, X[:n], np.eye(10, dtype=int)[y[:n]], "cross_entropy")
    alignment = align_graphs(A, B, graph=graph, spot=False)
    print(f"{graph.n_parameters} parameters, {n} digits, tol {args.tol}; alignment {alignment.status}")
    for label, end in (("A -> B", B), ("A -> g(B)", alignment.aligned)):
        result, wall, cpu = _timed(lambda end=end: certify_graph_path(loss, [A, end], tol=args.tol))
        print(f"{label:10s} {result.note()}  [prove {wall:.1f} s wall, {cpu:.1f} s CPU]")
        if not args.no_check:
            verdict, wall, cpu = _timed(lambda result=result: check(result.to_dict()))
            print(f"{'':10s} checker: accepted={verdict.accepted}  [{wall:.1f} s wall, {cpu:.1f} s CPU]")


if __name__ == "__main__":
    main()
