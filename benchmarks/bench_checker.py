"""The checker's budget estimate next to its measured time, Arb against mpmath, for a range of sizes.

For each size a valid chord certificate is written (``make_certificate.py``: a random dyadic teacher,
``k/255`` inputs, ``B = swap(A)``), then ``check`` runs on the file with each arithmetic. The estimate
(:func:`symcert.checker.budget.estimate_seconds`) must stay above the measured time: the script says
``OK`` or ``UNDER`` for each row. mpmath runs only where it takes under about a minute.

    python benchmarks/bench_checker.py            # about 1 minute
    python benchmarks/bench_checker.py --large    # adds 784-512-512-512-10 on 1,000 points (a few minutes)
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from make_certificate import write_certificate

from symcert.checker import check

# (widths, points, activation, loss, dps, run mpmath too)
SIZES = [
    ((4, 8, 1), 16, "tanh", "mse", 50, True),
    ((4, 8, 1), 16, "tanh", "mse", 500, True),
    ((16, 64, 1), 256, "tanh", "mse", 50, True),
    ((64, 128, 10), 256, "tanh", "cross_entropy", 50, False),
    ((784, 128, 10), 64, "tanh", "cross_entropy", 50, False),
    ((784, 128, 10), 256, "tanh", "cross_entropy", 50, False),
    ((784, 128, 10), 256, "sigmoid", "cross_entropy", 200, False),
    ((784, 256, 256, 10), 256, "tanh", "cross_entropy", 50, False),
]
LARGE = [((784, 512, 512, 512, 10), 1000, "tanh", "cross_entropy", 50, False)]


def measure(path: Path, arithmetic: str) -> tuple[float, float, bool]:
    start = time.perf_counter()
    result = check(path, arithmetic=arithmetic, budget=1e9)
    return time.perf_counter() - start, result.estimate, result.accepted


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--large", action="store_true", help="add the 784-512-512-512-10 network on 1,000 points"
    )
    args = parser.parse_args()
    sizes = SIZES + (LARGE if args.large else [])
    print(
        f"{'network':<22} {'points':>6} {'dps':>4} {'arith':>6} {'MB':>6} "
        f"{'estimate s':>10} {'measured s':>10}"
    )
    under = 0
    with tempfile.TemporaryDirectory() as folder:
        for widths, points, activation, loss, dps, with_mpmath in sizes:
            path = Path(folder) / "cert.json"
            write_certificate(path, widths, points, activation=activation, loss=loss, dps=dps)
            size = path.stat().st_size / 1e6
            for arithmetic in ("arb", "mpmath") if with_mpmath else ("arb",):
                seconds, estimate, accepted = measure(path, arithmetic)
                verdict = "OK" if estimate >= seconds else "UNDER"
                under += verdict == "UNDER"
                name = "-".join(map(str, widths)) + f" {activation}"
                print(
                    f"{name:<22} {points:>6} {dps:>4} {arithmetic:>6} {size:>6.1f} {estimate:>10.2f} "
                    f"{seconds:>10.2f}  {verdict}{'' if accepted else ' (NOT ACCEPTED)'}",
                    flush=True,
                )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process: {peak:.0f} MB")
    return 1 if under else 0


if __name__ == "__main__":
    sys.exit(main())
