"""Layer graphs on the rigorous engine: chord certificates of CNNs and a ResNet-style net on scikit-learn's
1,797 digits as 8x8 images, against numpy float64 of the same graph in the same run, and the independent
checker's time (its verified float64 rung, ``symcert/checker/graph/fast.py``).

The cases (``--cases``, default all three):

- ``cnn``: conv 4, tanh, conv 8, tanh, global average pool, dense 10; seeded float32 weights
  (untrained), the mse loss on the network's own outputs rounded to 1/64 (a teacher, so ``A`` nearly
  fits); ``B`` swaps two channels of the first conv;
- ``example``: the CNN of ``symcert example cnn`` (conv 4 - batch norm - tanh - conv 8 - batch norm -
  tanh - GAP - dense 10 - softmax, ``symcert/models/cnn.py``), trained as the example trains it (300
  full-batch Adam steps, seed 0, ``symcert/models/cnn_training.py``) but on all the digits, with the
  cross-entropy loss; ``B`` the swap or flip of the largest float64 gap (the example's search, timed
  apart from the certificate);
- ``resnet``: stem conv 48 and two residual blocks conv-BN-ReLU-conv-BN + skip, GAP, dense 10 (84,874
  parameters), seeded weights and a teacher as for ``cnn``.

Each side runs in a fresh process of its own (this file with a hidden ``--side``), so that its peak
memory is its own: ``ru_maxrss`` of that process (resident set, imports and data included; the
resident size right before the timed work is printed too, as ``base``). The sides: numpy float64 (one
loss, warm, the minimum of 3 repeats, as ``timing.best_of`` does), the verified float64 engine (one
loss, warm, one timed call), the chord certificate (three losses and their decision), and the checker on the
certificate's JSON (reading it included). Wall and CPU seconds are both printed with the load average:
on a shared machine the wall time can be several times the CPU time.

Run: ``python benchmarks/bench_graph.py [--quick] [--cases example,cnn] [--workdir DIR]``
(``--quick``: the first 200 digits).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CASES = ("cnn", "example", "resnet")
SIDES = ("numpy", "f64", "chord", "checker")
HIDDEN_SIDES = (*SIDES, "train")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _digits(n: int) -> tuple[np.ndarray, np.ndarray]:
    from symcert.models.cnn import digit_images

    return digit_images(n)


def _params(graph, seed: int) -> dict:
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


def cnn():
    from symcert.symbolic.graph import Activation, Conv, Dense, Flatten, GlobalAveragePool, Graph, Node

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


def resnet(width: int = 48):
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
    )

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


def _trained(workdir: Path, n: int) -> Path:
    """The example CNN trained on the first ``n`` digits, saved once (float32 ``.npz``)."""
    return workdir / f"example_{n}.npz"


def _train(workdir: Path, n: int) -> dict:
    """The training, in a process of its own (a child's ``ru_maxrss`` starts at its parent's size)."""
    from symcert.models.cnn_training import train_cnn

    X, y = _digits(n)
    np.savez(_trained(workdir, n), **train_cnn(X, y, (4, 8), "tanh", 300, 0))
    return {}


def _best(run, repeats: int) -> tuple[float, float]:
    """Minimum wall and minimum CPU seconds of ``repeats`` calls after one untimed warm call."""
    run()
    walls, cpus = [], []
    for _ in range(repeats):
        t0, c0 = _clock()
        run()
        t1, c1 = _clock()
        walls.append(t1 - t0)
        cpus.append(c1 - c0)
    return min(walls), min(cpus)


def _problem(case: str, n: int, workdir: Path):
    """The graph, the loss, the exact point ``A`` and the group to swap in (None: search)."""
    from symcert.numeric.graph import GraphLoss
    from symcert.symbolic.graph import evaluate

    X, labels = _digits(n)
    if case == "example":
        from symcert.models.cnn import cnn_graph

        graph = cnn_graph((4, 8), "tanh")
        with np.load(_trained(workdir, n)) as saved:
            params = {k: saved[k] for k in saved.files}
        loss = GraphLoss(graph, X, np.eye(10, dtype=int)[labels], "cross_entropy")
        return graph, loss, graph.check_parameters(params), None
    graph = cnn() if case == "cnn" else resnet()
    params = _params(graph, 0)
    Y = np.round(evaluate(graph, params, X) * 64) / 64  # a teacher: A nearly fits
    return (
        graph,
        GraphLoss(graph, X, Y, "mse"),
        graph.check_parameters(params),
        "P_conv1" if case == "cnn" else "P_b1c1",
    )


def side(name: str, case: str, n: int, workdir: Path) -> dict:
    """One side in this process: its times and its peak memory."""
    from symcert.numeric.engine.backends import F64Backend
    from symcert.numeric.graph import float_loss, loss_enclosure

    certificate = workdir / f"{case}_{n}.chord.json"
    out: dict = {}
    if name == "checker":
        from symcert.checker import check
        from symcert.checker.reading import CertificateFormatError, loads

        text = certificate.read_text()
        out["base_mb"] = _peak_mb()
        (t0, c0) = _clock()
        try:
            result = check(loads(text))  # reading the file counts: the checker parses every number
        except CertificateFormatError as error:  # the budget: refused before any work
            return {**out, "refused": str(error), "peak_mb": _peak_mb()}
        (t1, c1) = _clock()
        rung = "float64" if "float64" in result.reasons[-1] else "arb"
        return {
            **out,
            "accepted": result.accepted,
            "rung": rung,
            "wall": t1 - t0,
            "cpu": c1 - c0,
            "estimate": result.estimate,
            "peak_mb": _peak_mb(),
        }
    t0 = time.perf_counter()
    graph, loss, exact, group = _problem(case, n, workdir)
    out["setup"] = time.perf_counter() - t0
    out["parameters"] = graph.n_parameters
    out["base_mb"] = _peak_mb()
    if name == "numpy":
        out["wall"], out["cpu"] = _best(lambda: float_loss(loss, exact), repeats=3)
        out["value"] = float(float_loss(loss, exact))
    elif name == "f64":
        out["wall"], out["cpu"] = _best(lambda: loss_enclosure(F64Backend(), loss, exact), repeats=1)
        lo, hi = loss_enclosure(F64Backend(), loss, exact)
        out["width"] = float(hi - lo)
    else:
        from symcert.proofs.graph_chord import best_graph_element, certify_graph_chord
        from symcert.symbolic.graph import Permute

        (t0, c0) = _clock()
        if group is None:
            element, _ = best_graph_element(loss, exact)
        else:
            size = graph.shapes[group.removeprefix("P_")][0]
            element = Permute(group, (1, 0, *range(2, size)))
        (t1, c1) = _clock()
        cert = certify_graph_chord(loss, exact, element)
        (t2, c2) = _clock()
        certificate.write_text(json.dumps(cert.to_dict()))
        out.update(search=t1 - t0, wall=t2 - t1, cpu=c2 - c1, status=cert.status, rung=cert.decision.rung)
    out["peak_mb"] = _peak_mb()
    return out


def _child(*argv: str) -> dict:
    done = subprocess.run([sys.executable, __file__, *argv], check=False, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"bench_graph: the side {' '.join(argv)} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


LABELS = {
    "cnn": "CNN 1-4-8 tanh (mse)",
    "example": "example CNN, trained (cross-entropy)",
    "resnet": "ResNet-style",
}


def run_case(case: str, n: int, workdir: Path) -> None:
    if case == "example" and not _trained(workdir, n).exists():
        t0 = time.perf_counter()
        _child("--side", "train", "--case", case, "--n", str(n), "--workdir", str(workdir))
        print(f"  (training the example CNN on {n} digits: {time.perf_counter() - t0:.1f} s, not counted)")
    sides = {}
    for name in SIDES:
        sides[name] = _child("--side", name, "--case", case, "--n", str(n), "--workdir", str(workdir))
    a, b, c, d = (sides[k] for k in SIDES)
    print(
        f"{LABELS[case]}: {a['parameters']} parameters, {n} digits (data set-up {a['setup']:.1f} s); "
        f"one loss: numpy float64 {a['wall'] * 1e3:.0f} ms (CPU {a['cpu'] * 1e3:.0f} ms; "
        f"{a['peak_mb']:.0f} MB, base {a['base_mb']:.0f} MB), verified float64 {b['wall'] * 1e3:.0f} ms "
        f"(CPU {b['cpu'] * 1e3:.0f} ms; {b['peak_mb']:.0f} MB), ratio {b['wall'] / a['wall']:.1f} "
        f"(CPU {b['cpu'] / a['cpu']:.1f}), width "
        f"{b['width']:.2g}"
    )
    search = f", the search {c['search']:.1f} s" if case == "example" else ""
    print(
        f"    chord: {c['status']} ({c['rung']}) in {c['wall']:.1f} s (CPU {c['cpu']:.1f} s{search}; "
        f"{c['peak_mb']:.0f} MB, base {c['base_mb']:.0f} MB; load {os.getloadavg()[0]:.1f})"
    )
    if "refused" in d:
        print(f"    checker: refused ({d['refused']})")
        return
    print(
        f"    checker: {'accepted' if d['accepted'] else 'rejected'} ({d['rung']}) in {d['wall']:.1f} s "
        f"(CPU {d['cpu']:.1f} s, estimated {d['estimate']:.0f} s; {d['peak_mb']:.0f} MB, base "
        f"{d['base_mb']:.0f} MB; load {os.getloadavg()[0]:.1f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="bench_graph.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="the first 200 digits, not all 1,797")
    parser.add_argument(
        "--cases",
        default=",".join(CASES),
        help=f"comma-separated, of {', '.join(CASES)} (default: all, in that order)",
    )
    parser.add_argument(
        "--workdir",
        help="keep the certificates and the trained example here (default: a temporary directory, removed)",
    )
    parser.add_argument("--side", choices=HIDDEN_SIDES, help=argparse.SUPPRESS)
    parser.add_argument("--case", choices=CASES, help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side == "train":
        print(json.dumps(_train(Path(args.workdir), args.n)))
        return
    if args.side:
        print(json.dumps(side(args.side, args.case, args.n, Path(args.workdir))))
        return
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = [c for c in cases if c not in CASES]
    if unknown:
        parser.error(f"unknown case {unknown[0]!r}; choose from {', '.join(CASES)}")
    n = 200 if args.quick else 1797
    print(f"bench_graph: {n} digits; load average {', '.join(f'{v:.1f}' for v in os.getloadavg())}")
    if args.workdir:
        Path(args.workdir).mkdir(parents=True, exist_ok=True)
        for case in cases:
            run_case(case, n, Path(args.workdir))
        return
    with tempfile.TemporaryDirectory() as folder:
        for case in cases:
            run_case(case, n, Path(folder))


if __name__ == "__main__":
    main()
