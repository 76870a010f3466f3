"""Layer graphs on the rigorous engine: the chord certificate of a small CNN and of a ResNet-style net
(two residual blocks of 3x3 convs with batch norm, about 100,000 parameters) on scikit-learn's 1,797
digits as 8x8 images, against numpy float64 in the same run, and the independent checker's time (its
verified float64 rung, ``symcert/checker/graph/fast.py``).

Wall and CPU times are printed with the load average: on the shared machine the wall time can be
several times the CPU time.

Run: ``python benchmarks/bench_graph.py [--quick]`` (``--quick``: the first 200 digits). The weights
are random (seeded, float32 like a trained model's), not trained; the targets
are the network's own outputs rounded to 1/64 (a teacher, so ``A`` nearly fits and ``L(A)`` is small),
with the mse loss; ``B`` swaps two channels of the first conv (of the first block, for the ResNet).
"""

from __future__ import annotations

import json
import os
import sys
import time

import numpy as np
from timing import best_of

from symcert.checker import check
from symcert.checker.reading import CertificateFormatError, loads
from symcert.numeric.engine.backends import F64Backend
from symcert.numeric.graph import GraphLoss, float_loss, loss_enclosure
from symcert.proofs.graph_chord import certify_graph_chord
from symcert.symbolic.graph import (
    Activation,
    Add,
    BatchNorm,
    Conv,
    Dense,
    Flatten,
    GlobalAveragePool,
    Graph,
    Node,
    Permute,
    evaluate,
)


def _digits(n: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    d = load_digits()
    X = (d.data[:n] / 16).reshape(-1, 1, 8, 8)
    return X, np.eye(10, dtype=int)[d.target[:n]]


def _params(graph: Graph, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    out = {}
    for name, shape in graph.parameter_shapes.items():
        fan = int(np.prod(shape[1:])) if len(shape) > 1 else 1
        if name.endswith(".var"):
            v = 0.5 + rng.random(shape)
        elif name.endswith(".scale"):
            v = 1 + 0.1 * rng.standard_normal(shape)
        else:
            v = rng.standard_normal(shape) / np.sqrt(fan)
        out[name] = v.astype(np.float32)  # a float32 model: exact dyadic rationals
    return out


def cnn() -> Graph:
    return Graph(
        (1, 8, 8),
        [
            Node("conv1", Conv(4, (3, 3), padding=1)),
            Node("act1", Activation("tanh")),
            Node("conv2", Conv(8, (3, 3), padding=1)),
            Node("act2", Activation("tanh")),
            Node("pool", GlobalAveragePool()),
            Node("flat", Flatten()),
            Node("fc", Dense(10)),
        ],
    )


def resnet(width: int = 48) -> Graph:
    nodes = [Node("stem", Conv(width, (3, 3), padding=1)), Node("stem_act", Activation("relu"))]
    previous = "stem_act"
    for b in (1, 2):
        nodes += [
            Node(f"b{b}c1", Conv(width, (3, 3), padding=1), (previous,)),
            Node(f"b{b}n1", BatchNorm()),
            Node(f"b{b}r1", Activation("relu")),
            Node(f"b{b}c2", Conv(width, (3, 3), padding=1)),
            Node(f"b{b}n2", BatchNorm()),
            Node(f"b{b}add", Add(), (f"b{b}n2", previous)),
            Node(f"b{b}out", Activation("relu")),
        ]
        previous = f"b{b}out"
    nodes += [Node("pool", GlobalAveragePool(), (previous,)), Node("flat", Flatten()), Node("fc", Dense(10))]
    return Graph((1, 8, 8), nodes)


def run(name: str, graph: Graph, group: str, n: int, checker: bool) -> None:
    X, _ = _digits(n)
    params = _params(graph, 0)
    Y = np.round(evaluate(graph, params, X) * 64) / 64  # a teacher: A nearly fits
    t0 = time.perf_counter()
    loss = GraphLoss(graph, X, Y, "mse")
    exact = graph.check_parameters(params)
    t1 = time.perf_counter()
    numpy_s = best_of(lambda: float_loss(loss, exact), repeats=3, budget=1.0)
    f64_s = best_of(lambda: loss_enclosure(F64Backend(), loss, exact), repeats=1, budget=0.0)
    lo, hi = loss_enclosure(F64Backend(), loss, exact)
    size = graph.shapes[group.removeprefix("P_")][0]
    t2, c2 = time.perf_counter(), time.process_time()
    cert = certify_graph_chord(loss, exact, Permute(group, (1, 0, *range(2, size))))
    t3, c3 = time.perf_counter(), time.process_time()
    print(
        f"{name}: {graph.n_parameters} parameters, {n} digits; data {t1 - t0:.1f} s; one loss: numpy float64 "
        f"{numpy_s * 1e3:.0f} ms, verified float64 {f64_s * 1e3:.0f} ms (ratio {f64_s / numpy_s:.1f}), width "
        f"{float(hi - lo):.2g}; chord {cert.status} ({cert.decision.rung}) in {t3 - t2:.1f} s "
        f"(CPU {c3 - c2:.1f} s; load {os.getloadavg()[0]:.1f})"
    )
    if checker:
        text = json.dumps(cert.to_dict())
        t4, c4 = time.perf_counter(), time.process_time()
        try:
            result = check(loads(text))  # reading the file counts: the checker parses every number
        except CertificateFormatError as error:  # the budget: refused before any work
            print(f"    checker: refused ({error})")
            return
        t5, c5 = time.perf_counter(), time.process_time()
        rung = "float64" if "float64" in result.reasons[-1] else "arb"
        print(
            f"    checker: {'accepted' if result.accepted else 'rejected'} ({rung}) in {t5 - t4:.1f} s "
            f"(CPU {c5 - c4:.1f} s, estimated {result.estimate:.0f} s; load {os.getloadavg()[0]:.1f})"
        )


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    n = 200 if quick else 1797
    run("CNN 1-4-8 tanh", cnn(), "P_conv1", n, checker=True)
    run("ResNet-style, 2 blocks", resnet(), "P_b1c1", n, checker=True)
