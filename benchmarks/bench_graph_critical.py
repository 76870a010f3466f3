"""A unique critical point of a tiny tanh CNN's loss, certified from ONNX and re-checked.

The CNN: 1 x 4 x 4 images, conv 3x3 with 2 channels, tanh, global average pooling, dense 1, mean
squared error (23 parameters) on 32 images with entries in quarters, the targets a teacher CNN's
outputs plus noise, in sixteenths. Trained from a perturbed teacher by the prover's damped Newton in
float64, written as float32 ONNX, then ``symcert prove --kind unique_critical_point`` (Newton again from
the float32 weights, then Krawczyk) and ``symcert check``, then ``symcert saddle --channel P_conv:0:1/2``
(channel 0 duplicated, outgoing weights split 1/2, 1/2) and its check, each timed.

    PYTHONPATH=. python benchmarks/bench_graph_critical.py [--out DIR]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from symcert.cli import main
from symcert.numeric.graph import GraphLoss
from symcert.proofs.graph_critical import certify_graph_critical_point
from symcert.symbolic.graph import Activation, Conv, Dense, Flatten, GlobalAveragePool, Graph, Node, evaluate


def _graph() -> Graph:
    return Graph(
        (1, 4, 4),
        [
            Node("conv", Conv(2, (3, 3))),
            Node("act", Activation("tanh")),
            Node("pool", GlobalAveragePool()),
            Node("flat", Flatten()),
            Node("fc", Dense(1)),
        ],
    )


def _onnx(params: dict) -> bytes:
    f = {k: np.asarray(v, dtype=float).astype(np.float32) for k, v in params.items()}
    inits = {"W1": f["conv.weight"], "B1": f["conv.bias"], "W2": f["fc.weight"], "B2": f["fc.bias"]}
    nodes = [
        helper.make_node("Conv", ["input", "W1", "B1"], ["c"], name="conv"),
        helper.make_node("Tanh", ["c"], ["a"], name="act"),
        helper.make_node("GlobalAveragePool", ["a"], ["g"], name="pool"),
        helper.make_node("Flatten", ["g"], ["h"], name="flat"),
        helper.make_node("Gemm", ["h", "W2", "B2"], ["output"], name="fc", transB=1),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny_cnn",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 1, 4, 4])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", 1])],
        [numpy_helper.from_array(v, k) for k, v in inits.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


def run(out: Path) -> None:
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
    t = time.perf_counter()
    trained = certify_graph_critical_point(loss, start, max_move=None, newton_steps=60)
    print(f"training by damped Newton (and a first certificate): {time.perf_counter() - t:.1f} s")
    print(f"  {trained.describe()}")
    print(f"  Hessian eigenvalues (float64): {trained.eigenvalues[0]:.4g} ... {trained.eigenvalues[-1]:.4g}")
    model, data, cert = out / "tiny_cnn.onnx", out / "tiny_cnn.npz", out / "tiny_cnn.critical.json"
    model.write_bytes(_onnx({k: v.astype(float) for k, v in trained.center.items()}))
    np.savez(data, X=X, y=y)
    t = time.perf_counter()
    prove = ["prove", "--model", str(model), "--data", str(data), "--kind", "unique_critical_point"]
    code = main([*prove, "--json", str(cert)])
    print(f"symcert prove: exit {code}, {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    code = main(["check", str(cert)])
    print(f"symcert check: exit {code}, {time.perf_counter() - t:.1f} s")
    saddle = out / "tiny_cnn.saddle.json"
    t = time.perf_counter()
    lift = ["--channel", "P_conv:0:1/2", "--json", str(saddle)]
    code = main(["saddle", "--model", str(model), "--data", str(data), *lift])
    print(f"symcert saddle: exit {code}, {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    code = main(["check", str(saddle)])
    print(f"symcert check (saddle): exit {code}, {time.perf_counter() - t:.1f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=None, help="directory for the model, data and certificate")
    args = parser.parse_args()
    if args.out:
        Path(args.out).mkdir(parents=True, exist_ok=True)
        run(Path(args.out))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            run(Path(tmp))
