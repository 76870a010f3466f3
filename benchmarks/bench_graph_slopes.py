"""The graph barrier with and without the slope rules (ReLU, max pooling), in the same run.

Two pairs on the digits as 8x8 images: the example CNN with ReLU (``cnn_graph(activation="relu")``,
trained twice, seeds 0 and 1, 300 digits, ``--epochs`` steps) and a max-pool CNN (conv 3x3 -> ReLU ->
max pool 2x2 -> conv 3x3 -> ReLU -> global average pool -> dense 10 -> softmax, random parameters,
seeds 1 and 2). For each: the certified barrier (cross-entropy on the first ``--samples`` digits) with
the slope rules and with the range form alone through those layers (``has_tangent(loss,
slopes=False)``), pieces and seconds, then the checker on the certificate made with the slopes.

    python benchmarks/bench_graph_slopes.py [--samples 10] [--tol 1/20] [--epochs 60] [--max-pieces 2000]
"""

from __future__ import annotations

import argparse
import json
import time
from fractions import Fraction

import numpy as np

import symcert.proofs.graph_barrier as graph_barrier
from symcert.checker import check
from symcert.checker.reading import loads
from symcert.models.cnn import cnn_graph, digit_images
from symcert.models.cnn_training import train_cnn
from symcert.numeric.graph import GraphLoss
from symcert.numeric.graph.segment import has_tangent
from symcert.symbolic.graph import (
    Activation,
    Conv,
    Dense,
    Flatten,
    GlobalAveragePool,
    Graph,
    MaxPool,
    Node,
    Softmax,
    random_parameters,
)


def _max_pool_cnn() -> Graph:
    return Graph(
        (1, 8, 8),
        [
            Node("conv1", Conv(4, (3, 3), padding=1)),
            Node("act1", Activation("relu")),
            Node("pool1", MaxPool((2, 2))),
            Node("conv2", Conv(8, (3, 3), padding=1)),
            Node("act2", Activation("relu")),
            Node("gap", GlobalAveragePool()),
            Node("flat", Flatten()),
            Node("fc", Dense(10)),
            Node("softmax", Softmax()),
        ],
    )


def _run(
    name: str, loss: GraphLoss, A: dict, B: dict, tol: Fraction, max_pieces: int, do_check: bool
) -> None:
    for slopes in (False, True):
        graph_barrier.has_tangent = lambda l, s=slopes: has_tangent(l, slopes=s)  # type: ignore[misc]
        start = time.perf_counter()
        r = graph_barrier.certify_graph_barrier(loss, A, B, tol=tol, max_pieces=max_pieces)
        seconds = time.perf_counter() - start
        label = "slopes    " if slopes else "range only"
        print(
            f"{name:10s} {label} {r.status:9s} pieces {r.n_pieces:5d}  {seconds:7.2f} s  "
            f"barrier in [{float(r.lo):.4g}, {float(r.hi):.4g}]"
        )
        if slopes and do_check and r.proved:
            start = time.perf_counter()
            verdict = check(loads(json.dumps(r.to_dict())), budget=3600)
            print(f"{name:10s} checker    accepted={verdict.accepted}  {time.perf_counter() - start:7.2f} s")
    graph_barrier.has_tangent = has_tangent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samples", type=int, default=10)
    ap.add_argument("--tol", type=Fraction, default=Fraction(1, 20))
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--max-pieces", type=int, default=2000)
    ap.add_argument("--no-check", action="store_true")
    args = ap.parse_args()
    X, y = digit_images(300)
    Y = np.eye(10, dtype=int)[y[: args.samples]]
    g = cnn_graph((4, 8), "relu")
    A, B = (g.check_parameters(train_cnn(X, y, (4, 8), "relu", args.epochs, seed)) for seed in (0, 1))
    _run(
        "relu CNN",
        GraphLoss(g, X[: args.samples], Y, "cross_entropy"),
        A,
        B,
        args.tol,
        args.max_pieces,
        not args.no_check,
    )
    g = _max_pool_cnn()
    A, B = (g.check_parameters(random_parameters(g, seed=seed)) for seed in (1, 2))
    _run(
        "maxpool",
        GraphLoss(g, X[: args.samples], Y, "cross_entropy"),
        A,
        B,
        args.tol,
        args.max_pieces,
        not args.no_check,
    )


if __name__ == "__main__":
    main()
