"""Time ``symcert saddle --digits N`` (tight enclosures) against the plain run, prover and checker.

Run: ``python benchmarks/bench_saddle_digits.py`` (``--medium`` adds 4-7-1 -> 4-8-1 on 64 points).

For each case and each ``N`` (none, 12, 30, 60): the prover's wall time, the checker's, the width of
the certificate's ``lambda_min`` claim and how many significant digits it pins. Without ``--digits``
the box radius is about ``1e-13`` (a float64 centre); with it, about ``10^-(2N + 10)``.
"""

from __future__ import annotations

import argparse
import os
import time

from symcert import certify_saddle, check
from symcert.numeric.rounding import agreed_digits
from symcert.symbolic.saddle_example import saddle_example


def _row(name: str, loss, approx, layer: int, unit: int, lam, digits: int | None) -> None:
    start = time.perf_counter()
    result = certify_saddle(loss, approx, layer, unit, lam, digits=digits)
    prover = time.perf_counter() - start
    record = result.certificate().to_dict()
    start = time.perf_counter()
    accepted = check(record).accepted
    checker = time.perf_counter() - start
    lo, hi = result.claims.get("lambda_min", (0, 0))
    pinned = agreed_digits(lo, hi) if "lambda_min" in result.claims else None
    print(
        f"| {name} | {digits or '-'} | {prover:.2f} s | {checker:.2f} s | "
        f"{float(result.narrow.radius):.1e} | "
        f"{float(hi - lo):.1e} | {pinned} | {accepted} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--medium", action="store_true", help="add 4-7-1 -> 4-8-1 on 64 points")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}")
    print("| case | --digits | prover | checker | box radius | lambda_min claim width | digits | accepted |")
    print("|---|---|---|---|---|---|---|---|")
    ex = saddle_example()
    certify_saddle(ex.loss, ex.approx, ex.layer, ex.unit, ex.lam)  # warm: imports, the lift proof's cache
    for digits in (None, 12, 30, 60):
        _row("1-1-1 -> 1-2-1, 6 points", ex.loss, ex.approx, ex.layer, ex.unit, ex.lam, digits)
    if args.medium:
        from bench_saddle import orthogonal_residual_data

        loss, theta0 = orthogonal_residual_data(4, 7, 64)
        for digits in (None, 12):
            _row("4-7-1 -> 4-8-1, 64 points", loss, theta0, 1, 0, "1/2", digits)


if __name__ == "__main__":
    main()
