"""Trained networks: the digits example end to end, and a 784-128-10 safetensors model with 1,000 points.

Run: ``python benchmarks/bench_models.py`` (``--quick`` skips the 784-128-10 case). Prints wall
times of each stage and, as a same-run baseline, the float64 forward loss at the trained point.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

from symcert.models import load_weights
from symcert.models.data import load_data
from symcert.models.digits import digits_example
from symcert.models.witness import best_witness
from symcert.symbolic.losses import Loss


def digits() -> None:
    start = time.perf_counter()
    run = digits_example()
    total = time.perf_counter() - start
    cert = run.choice.certificate
    print(f"digits 64-16-10, 1797 points: {cert.status} with {cert.element} in {total:.1f} s end to end")


def mnist_shaped() -> None:
    rng = np.random.default_rng(0)
    tensors = {
        "0.weight": (rng.normal(size=(128, 784)) / 28).astype(np.float32),
        "0.bias": (rng.normal(size=128) / 10).astype(np.float32),
        "2.weight": (rng.normal(size=(10, 128)) / 11).astype(np.float32),
        "2.bias": (rng.normal(size=10) / 10).astype(np.float32),
    }
    with tempfile.TemporaryDirectory() as folder:
        model, data = Path(folder) / "m.safetensors", Path(folder) / "d.npz"
        save_file(tensors, str(model))
        np.savez(data, X=rng.integers(0, 256, size=(1000, 784)) / 256, y=rng.integers(0, 10, size=1000))
        t0 = time.perf_counter()
        mlp, A = load_weights(model, "tanh", "softmax", "torch")
        t1 = time.perf_counter()
        loss = Loss(mlp, load_data(data, mlp, "cross_entropy"), "cross_entropy")
        t2 = time.perf_counter()
        choice = best_witness(loss, A, progress=lambda text: print("   ", text))
        t3 = time.perf_counter()
    cert = choice.certificate
    status = "none" if cert is None else f"{cert.status} with {cert.element}"
    print(
        f"784-128-10 safetensors, 1000 points: load {t1 - t0:.2f} s, data {t2 - t1:.2f} s, "
        f"screen + chord {t3 - t2:.1f} s ({status}); total {t3 - t0:.1f} s"
    )


if __name__ == "__main__":
    digits()
    if "--quick" not in sys.argv:
        mnist_shaped()
