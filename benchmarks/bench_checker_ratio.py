"""Checker / prover: the independent checker's CPU time against the prover's, on the same certificate.

For every case both sides are timed in this process the same way (``timing.best_of`` with
``clock=time.process_time``: one untimed warm call, then the minimum of ``--repeats`` timed calls);
the checker reads the certificate's JSON text (``symcert.checker.reading.loads``) inside its timing,
as ``symcert check FILE`` does. The target (symcert issue 22): checker <= 1.5x prover on every case.

Cases (``--cases``, comma-separated; default all):

- ``orbit``: the orbit certificate on the CNN of ``symcert example cnn`` (tanh and ReLU, trained 300
  epochs on the first ``--n`` digits), groups ``P_conv1`` and ``P_conv2``, and on bench_graph's
  ResNet-style net (width 16), its first two groups (as ``bench_graph_orbit.py``);
- ``curvature``: curvature, hessian and chord on the tanh CNN (the screened element) and on the
  ResNet-style net (the screened element, and the swap 1,0 of ``P_b1c1``, whose curvature is refuted:
  its checker only confirms the rejection) (as ``bench_graph_curvature.py``);
- ``critical``: the tiny tanh CNN of ``bench_graph_critical.py``: the unique critical point and the
  channel-duplication saddle;
- ``saddle``: ``certify_saddle`` on 1-1-1 -> 1-2-1 (also with ``digits=12, 30``) and 4-7-1 -> 4-8-1 on
  64 points (as ``bench_saddle.py`` and ``bench_saddle_digits.py``).

Run: ``PYTHONPATH=. python benchmarks/bench_checker_ratio.py [--cases orbit,curvature] [--n 100]
[--repeats 3] [--workdir DIR]`` (``--workdir`` keeps the trained CNNs between runs).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from timing import best_of, blas_threads

blas_threads(sys.argv)  # before numpy loads OpenBLAS

import numpy as np  # noqa: E402

from symcert.checker import check  # noqa: E402
from symcert.checker.reading import loads  # noqa: E402

CASES = ("orbit", "curvature", "critical", "saddle")
ROWS: list[tuple[str, float, float, bool]] = []


def measure(name: str, prove: Callable[[], object], repeats: int) -> None:
    """Time ``prove`` (returns a certificate with ``to_dict``) and the checker on its JSON; one row."""
    cert = prove()
    text = json.dumps(cert.to_dict() if hasattr(cert, "to_dict") else cert.certificate().to_dict())
    proved = best_of(prove, repeats=repeats, budget=0.0, warm=False, clock=time.process_time)
    accepted = check(loads(text), budget=3600).accepted
    checked = best_of(
        lambda: check(loads(text), budget=3600),
        repeats=repeats,
        budget=0.0,
        warm=False,
        clock=time.process_time,
    )
    ROWS.append((name, proved, checked, accepted))
    print(
        f"| {name} | {proved:.2f} | {checked:.2f} | {checked / proved:.2f} | {accepted} | "
        f"{os.getloadavg()[0]:.1f} |",
        flush=True,
    )


def _trained(workdir: Path, n: int, activation: str) -> dict:
    from symcert.models.cnn import digit_images
    from symcert.models.cnn_training import train_cnn

    path = workdir / f"cnn_{activation}_{n}.npz"
    if not path.exists():
        X, y = digit_images(n)
        np.savez(path, **train_cnn(X, y, (4, 8), activation, 300, 0))
    with np.load(path) as saved:
        return {k: saved[k] for k in saved.files}


def _cnn_loss(n: int, activation: str, workdir: Path):
    from symcert.models.cnn import cnn_graph, digit_images
    from symcert.numeric.graph import GraphLoss

    graph = cnn_graph((4, 8), activation)
    X, y = digit_images(n)
    loss = GraphLoss(graph, X, np.eye(10, dtype=int)[y], "cross_entropy")
    return loss, graph.check_parameters(_trained(workdir, n, activation))


def _resnet_loss(n: int):
    from bench_graph import _digits, _params, resnet

    from symcert.numeric.graph import GraphLoss
    from symcert.symbolic.graph import evaluate

    graph = resnet(16)
    X, _ = _digits(n)
    params = _params(graph, 0)
    loss = GraphLoss(graph, X, np.round(evaluate(graph, params, X) * 64) / 64, "mse")
    return loss, graph.check_parameters(params)


def orbit(n: int, repeats: int, workdir: Path) -> None:
    from symcert.proofs.graph_orbit import certify_graph_orbit
    from symcert.symbolic.graph import derive_symmetries

    for activation in ("tanh", "relu"):
        loss, params = _cnn_loss(n, activation, workdir)
        for group in ("P_conv1", "P_conv2"):
            measure(
                f"orbit CNN {activation} {group}",
                lambda loss=loss, params=params, group=group: certify_graph_orbit(loss, params, group),
                repeats,
            )
    loss, params = _resnet_loss(n)
    for group in [g.name for g in derive_symmetries(loss.graph).groups if g.size > 1][:2]:
        measure(
            f"orbit ResNet {group}", lambda group=group: certify_graph_orbit(loss, params, group), repeats
        )


def curvature(n: int, repeats: int, workdir: Path) -> None:
    from symcert.proofs.graph_chord import certify_graph_chord
    from symcert.proofs.graph_curvature import best_jet_element, certify_graph_curvature
    from symcert.symbolic.graph import Permute

    cases = []
    loss, params = _cnn_loss(n, "tanh", workdir)
    cases.append(("CNN tanh", loss, params, best_jet_element(loss, params)[0]))
    loss, params = _resnet_loss(n)
    cases.append(("ResNet screened", loss, params, best_jet_element(loss, params)[0]))
    cases.append(("ResNet swap P_b1c1", loss, params, Permute("P_b1c1", (1, 0, *range(2, 16)))))
    for name, loss, params, element in cases:
        for kind in ("curvature", "hessian", "chord"):

            def prove(loss=loss, params=params, element=element, kind=kind):
                if kind == "chord":
                    return certify_graph_chord(loss, params, element)
                return certify_graph_curvature(loss, params, element, kind=kind)

            measure(f"{kind} {name}", prove, repeats)


def critical(repeats: int) -> None:
    from bench_graph_critical import _graph

    from symcert.numeric.graph import GraphLoss
    from symcert.proofs.graph_critical import certify_graph_critical_point
    from symcert.proofs.graph_saddle import certify_graph_saddle
    from symcert.symbolic.graph import evaluate

    g = _graph()
    rng = np.random.default_rng(0)
    teacher = {
        "conv.weight": rng.normal(size=(2, 1, 3, 3)),
        "conv.bias": rng.normal(size=2) * 0.5,
        "fc.weight": np.array([[1.5, -1.0]]),
        "fc.bias": np.array([0.25]),
    }
    X = rng.integers(-4, 5, size=(32, 1, 4, 4)) / 4
    y = np.round(evaluate(g, teacher, X) * 16 + rng.integers(-1, 2, size=(32, 1))) / 16
    loss = GraphLoss(g, X, y, "mse")
    start = {k: v + rng.normal(size=np.shape(v)) * 0.05 for k, v in teacher.items()}
    trained = certify_graph_critical_point(loss, start, max_move=None, newton_steps=60)
    approx = {
        k: np.asarray(v, dtype=float).astype(np.float32).astype(float) for k, v in trained.center.items()
    }
    measure("critical point tiny CNN", lambda: certify_graph_critical_point(loss, approx), repeats)
    measure("graph saddle tiny CNN", lambda: certify_graph_saddle(loss, approx, "P_conv", 0, "1/2"), repeats)


def saddle(repeats: int) -> None:
    from bench_saddle import orthogonal_residual_data

    from symcert import certify_saddle
    from symcert.symbolic.saddle_example import saddle_example

    ex = saddle_example()
    for digits in (None, 12, 30):
        measure(
            f"saddle 1-1-1 -> 1-2-1 digits={digits}",
            lambda digits=digits: certify_saddle(
                ex.loss, ex.approx, ex.layer, ex.unit, ex.lam, digits=digits
            ),
            repeats,
        )
    loss, theta0 = orthogonal_residual_data(4, 7, 64)
    measure("saddle 4-7-1 -> 4-8-1, 64 points", lambda: certify_saddle(loss, theta0, 1, 0, "1/2"), repeats)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--n", type=int, default=100, help="digits for the CNN and ResNet cases")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--workdir", default=None, help="keep the trained CNNs here")
    parser.add_argument("--blas-threads", metavar="N", help="BLAS threads, set before numpy loads")
    args = parser.parse_args()
    workdir = Path(args.workdir or "/tmp/bench_checker_ratio")
    workdir.mkdir(parents=True, exist_ok=True)
    print(
        f"load average {', '.join(f'{v:.1f}' for v in os.getloadavg())}; CPU seconds, min of {args.repeats}"
    )
    print("| case | prover s | checker s | checker / prover | accepted | load |")
    print("|---|---|---|---|---|---|")
    for case in args.cases.split(","):
        if case == "orbit":
            orbit(args.n, args.repeats, workdir)
        elif case == "curvature":
            curvature(args.n, args.repeats, workdir)
        elif case == "critical":
            critical(args.repeats)
        elif case == "saddle":
            saddle(args.repeats)
        else:
            parser.error(f"unknown case {case!r}; choose from {', '.join(CASES)}")
    worst = max(ROWS, key=lambda r: r[2] / r[1])
    print(f"worst: {worst[0]} at {worst[2] / worst[1]:.2f}x")


if __name__ == "__main__":
    main()
