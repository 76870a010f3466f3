"""Time checking the Coq proofs of layer-graph chord certificates (needs ``coqc`` with Interval).

Run: ``python benchmarks/bench_coq_graph.py`` (a minute or two). Two graphs, each on 2 exact points:

- ``tiny``: conv 1 -> 2 channels (2x2 kernel) on a 3x3 image, tanh, global average pool, dense 1, mse
  (13 parameters, size 26); the case ``tests/test_coq_graph.py`` checks;
- ``mixed``: conv (stride 2, zero padding 1), batch norm, relu, a 1x1 conv added back (residual),
  transpose, average pool, dense 2, softmax cross-entropy (30 parameters, size 60).

It prints the size (parameters x points), the ``let``-bound entries per point, the lines of the file
and coqc's CPU seconds for the proof file (without ``Print Assumptions``), which is what
``MAX_COQ_GRAPH_SIZE`` and ``MAX_COQ_GRAPH_ENTRIES`` in :mod:`symcert.limits` bound.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from symcert.numeric.graph import GraphLoss
from symcert.printing.coq.graph_chord import graph_chord_to_coq
from symcert.printing.coq.graph_lower import lower_graph
from symcert.proofs.graph_chord import best_graph_element, certify_graph_chord
from symcert.symbolic.graph import (
    Activation,
    Add,
    AveragePool,
    BatchNorm,
    Conv,
    Dense,
    Flatten,
    GlobalAveragePool,
    Graph,
    Node,
    Softmax,
    Transpose,
)


def _tiny() -> tuple[GraphLoss, dict]:
    g = Graph(
        (1, 3, 3),
        [
            Node("c", Conv(2, (2, 2))),
            Node("t", Activation("tanh")),
            Node("gap", GlobalAveragePool()),
            Node("f", Flatten()),
            Node("fc", Dense(1)),
        ],
    )
    A = {
        "c.weight": [[[[1, -1], [0, 2]]], [[[-1, 1], [1, 0]]]],
        "c.bias": [0, "1/2"],
        "fc.weight": [[1, 1]],
        "fc.bias": [0],
    }
    X = [[[[0, 1, 0], [1, 0, -1], [0, 1, 1]]], [[[1, 0, 1], [0, -1, 0], ["1/2", 0, 1]]]]
    return GraphLoss(g, X, [["1/4"], ["-1/2"]], "mse"), A


def _mixed(seed: int = 5) -> tuple[GraphLoss, dict]:
    g = Graph(
        (1, 3, 3),
        [
            Node("c1", Conv(2, (2, 2), stride=2, padding=1)),
            Node("bn", BatchNorm()),
            Node("r", Activation("relu")),
            Node("c2", Conv(2, (1, 1))),
            Node("s", Add(), ("r", "c2")),
            Node("t", Transpose((0, 2, 1))),
            Node("p", AveragePool((2, 2), stride=1)),
            Node("f", Flatten()),
            Node("fc", Dense(2)),
            Node("sm", Softmax()),
        ],
    )
    rng = np.random.default_rng(seed)

    def q(shape: tuple) -> np.ndarray:
        return (np.round(rng.standard_normal(shape) * 4) / 4).astype(object)

    A = {k: q(v) for k, v in g.parameter_shapes.items()}
    A["bn.var"] = np.abs(A["bn.var"]) + 1
    X = q((2, 1, 3, 3)).tolist()
    return GraphLoss(g, X, [[1, 0], [0, 1]], "cross_entropy"), {k: v.tolist() for k, v in A.items()}


def _coqc_seconds(text: str) -> float:
    with tempfile.TemporaryDirectory(prefix="symcert-bench-") as folder:
        path = Path(folder) / "proof.v"
        path.write_text(text)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(["coqc", "-q", path.name], cwd=folder, capture_output=True, text=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"coqc rejected the file: {done.stderr[:400]}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    print(f"{'graph':8} {'params':>6} {'points':>6} {'size':>5} {'lets':>5} {'lines':>6} {'coqc CPU':>9}")
    for name, build in (("tiny", _tiny), ("mixed", _mixed)):
        loss, A = build()
        element, _ = best_graph_element(loss, A)
        record = certify_graph_chord(loss, A, element).to_dict()
        lowered = lower_graph(record)
        text = graph_chord_to_coq(record)
        n, k = loss.n_points, len(lowered.fields)
        seconds = _coqc_seconds(text)
        lines = text.count("\n")
        print(f"{name:8} {k:6} {n:6} {k * n:5} {len(lowered.body) - 1:5} {lines:6} {seconds:8.1f}s")


if __name__ == "__main__":
    main()
