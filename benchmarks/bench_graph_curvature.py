"""The curvature and hessian certificates on layer graphs: prover and independent checker times.

1. The CNN of ``symcert example cnn`` (conv 3x3 -> batch norm -> tanh or relu, twice, global average
   pooling, dense 10, softmax cross-entropy), trained by its numpy loop on the first ``N`` digits;
   the symmetry is chosen by the float64 second-difference screen; curvature, hessian and (for
   comparison) the chord, each proved and then re-checked by ``symcert.checker``.
2. The ResNet-style net of ``bench_graph.py`` (two residual blocks, batch norm, ReLU; random float32
   weights, teacher targets, mse), the symmetry screened, and a swap of two channels of its first block:
   ReLU pre-activations must have certain signs at the point for the jets to decide.

Run: ``python benchmarks/bench_graph_curvature.py [--quick]`` (``--quick``: 100 digits, else 300).
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
from bench_graph import _digits, _params, resnet

from symcert.checker import check
from symcert.checker.reading import loads
from symcert.models.cnn import cnn_graph, digit_images
from symcert.models.cnn_training import train_cnn
from symcert.numeric.graph import GraphLoss
from symcert.proofs.graph_chord import certify_graph_chord
from symcert.proofs.graph_curvature import best_jet_element, certify_graph_curvature
from symcert.symbolic.graph import Permute, evaluate


def _checked(cert) -> str:
    record = loads(json.dumps(cert.to_dict()))
    start = time.perf_counter()
    result = check(record, budget=3600)
    return f"{'accepted' if result.accepted else 'rejected'} in {time.perf_counter() - start:.1f} s"


def _prove(name: str, loss: GraphLoss, params: dict, element) -> None:
    for kind in ("curvature", "hessian", "chord"):
        start = time.perf_counter()
        if kind == "chord":
            cert = certify_graph_chord(loss, params, element)
            quantity = "barrier"
        else:
            cert = certify_graph_curvature(loss, params, element, kind=kind)
            quantity = "phi''(t0)" if kind == "curvature" else "dHd"
        seconds = time.perf_counter() - start
        upper = cert.enclosures.get(quantity, (None, None))[1]
        rung = cert.decision.rung if cert.decision else "-"
        shown = "" if upper is None else f", {quantity} <= {float(upper):.6g}"
        print(f"  {name} {kind}: {cert.status} ({rung}) in {seconds:.1f} s{shown}; checker {_checked(cert)}")


def trained_cnn(n: int, activation: str) -> None:
    graph = cnn_graph((4, 8), activation)
    X, y = digit_images(n)
    start = time.perf_counter()
    trained = train_cnn(X, y, (4, 8), activation, 300, 0)
    print(
        f"CNN 4,8 {activation} on {n} digits ({graph.n_parameters} parameters): trained in "
        f"{time.perf_counter() - start:.0f} s"
    )
    loss = GraphLoss(graph, X, np.eye(10, dtype=int)[y], "cross_entropy")
    params = graph.check_parameters(trained)
    start = time.perf_counter()
    element, bend = best_jet_element(loss, params)
    print(f"  screen: {element} (float64 phi'' {bend:.4g}) in {time.perf_counter() - start:.1f} s")
    _prove("cnn", loss, params, element)


def random_resnet(n: int) -> None:
    graph = resnet(16)
    X, _ = _digits(n)
    params = _params(graph, 0)
    Y = np.round(evaluate(graph, params, X) * 64) / 64
    loss = GraphLoss(graph, X, Y, "mse")
    print(f"ResNet-style, 2 blocks, width 16 ({graph.n_parameters} parameters), {n} digits:")
    exact = graph.check_parameters(params)
    element, bend = best_jet_element(loss, exact)
    print(f"  screen: {element} (float64 phi'' {bend:.4g}); the swap 1,0 of P_b1c1 for comparison")
    _prove("resnet", loss, exact, element)
    _prove("resnet", loss, exact, Permute("P_b1c1", (1, 0, *range(2, 16))))


if __name__ == "__main__":
    n = 100 if "--quick" in sys.argv else 300
    trained_cnn(n, "tanh")
    trained_cnn(n, "relu")
    random_resnet(n)
