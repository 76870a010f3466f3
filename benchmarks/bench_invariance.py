"""Time building a loss expression and proving invariance under every generator.

Run: ``python benchmarks/bench_invariance.py [--widths 2,16,16,1] [--points 16]``

Prints, for a tanh network on teacher data, the time to build the closed-form
loss alone and the time to prove all generators of its symmetry group, and
their ratio (both measured in the same run).
"""

from __future__ import annotations

import argparse
import time

from symcert import MLP, Dataset, Loss, prove_invariance


def run(widths: tuple[int, ...], points: int, activation: str) -> dict[str, float]:
    mlp = MLP(widths, activation)
    side = max(2, round(points ** (1 / widths[0]))) if widths[0] > 1 else points
    xs = [[((i // side**k) % side) - side // 2 for k in range(widths[0])] for i in range(points)]
    start = time.perf_counter()
    loss = Loss(mlp, Dataset.teacher(mlp, mlp.random_point(1), xs), "mse")
    _ = loss.expr
    built = time.perf_counter() - start
    start = time.perf_counter()
    proof = prove_invariance(loss, mlp.symmetry_group())
    proved = time.perf_counter() - start
    assert proof.status == "proved", proof.summary()
    return {"build": built, "prove": proved, "generators": len(proof.parts)}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--widths", default="2,16,16,1")
    parser.add_argument("--points", type=int, default=16)
    parser.add_argument("--activation", default="tanh")
    args = parser.parse_args()
    widths = tuple(int(w) for w in args.widths.split(","))
    rows = [(w, run(w, args.points, args.activation)) for w in [(1, 2, 1), (2, 4, 1), widths]]
    row = "{:>14} {:>6} {:>10} {:>10} {:>14} {:>6}"
    print(row.format("network", "points", "generators", "build (s)", "prove all (s)", "ratio"))
    for w, r in rows:
        name = "-".join(map(str, w))
        cells = (f"{r['build']:.2f}", f"{r['prove']:.2f}", f"{r['prove'] / r['build']:.2f}")
        print(row.format(name, args.points, r["generators"], *cells))


if __name__ == "__main__":
    main()
