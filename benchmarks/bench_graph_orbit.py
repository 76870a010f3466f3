"""The orbit certificate on the CNN of ``symcert example cnn`` (4, 8 channels, tanh and ReLU, trained on
digits) and on bench_graph's ResNet-style net, with the time of the independent checker.

Run: ``PYTHONPATH=. python benchmarks/bench_graph_orbit.py [--quick]`` (``--quick``: 100 digits).
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
from bench_graph import _digits, _params, resnet

from symcert.checker import check
from symcert.models.cnn import cnn_graph, digit_images
from symcert.models.cnn_training import train_cnn
from symcert.numeric.graph import GraphLoss, float_loss
from symcert.proofs.graph_orbit import certify_graph_orbit
from symcert.symbolic.graph import derive_symmetries, evaluate


def _report(name: str, cert, seconds: float, baseline_seconds: float) -> None:
    gap = cert.enclosures.get("gap")
    shown = "" if gap is None else f", gap in [{float(gap[0]):.6g}, {float(gap[1]):.6g}]"
    rung = cert.decision.rung if cert.decision else "-"
    start = time.perf_counter()
    result = check(json.loads(json.dumps(cert.to_dict())), budget=600)
    checked = time.perf_counter() - start
    verdict = "accepted" if result.accepted else "rejected"
    print(
        f"  {name}: {cert.status} ({rung}) in {seconds:.1f} s ({seconds / baseline_seconds:.0f}x one "
        f"float64 loss){shown}; checker {verdict} in {checked:.1f} s"
    )


def random_resnet(n: int) -> None:
    """The ResNet-style net of bench_graph (two residual blocks of convs with batch norm), targets it
    nearly fits; the residual stream's group and a block's inner group."""
    graph = resnet(16)
    X, _ = _digits(n)
    params = graph.check_parameters(_params(graph, 0))
    loss = GraphLoss(graph, X, np.round(evaluate(graph, params, X) * 64) / 64, "mse")
    start = time.perf_counter()
    float_loss(loss, params)
    baseline = time.perf_counter() - start
    print(f"ResNet-style, 2 blocks, width 16 ({graph.n_parameters} parameters), {n} digits:")
    for group in [g.name for g in derive_symmetries(graph).groups if g.size > 1][:2]:
        start = time.perf_counter()
        cert = certify_graph_orbit(loss, params, group)
        _report(group, cert, time.perf_counter() - start, baseline)


def trained_cnn(n: int, activation: str) -> None:
    graph = cnn_graph((4, 8), activation)
    X, y = digit_images(n)
    trained = train_cnn(X, y, (4, 8), activation, 300, 0)
    loss = GraphLoss(graph, X, np.eye(10, dtype=int)[y], "cross_entropy")
    params = graph.check_parameters(trained)
    start = time.perf_counter()
    baseline = float_loss(loss, params)
    numpy_seconds = time.perf_counter() - start
    print(f"CNN 4,8 {activation} on {n} digits ({graph.n_parameters} parameters), L(A) = {baseline:.6g}")
    for group in ("P_conv1", "P_conv2"):
        start = time.perf_counter()
        cert = certify_graph_orbit(loss, params, group)
        _report(group, cert, time.perf_counter() - start, numpy_seconds)


if __name__ == "__main__":
    n = 100 if "--quick" in sys.argv else 300
    trained_cnn(n, "tanh")
    trained_cnn(n, "relu")
    random_resnet(n)
