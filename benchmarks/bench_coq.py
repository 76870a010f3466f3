"""Time checking exported Coq proofs: chord certificates of 1-2-1, 2-4-1 and 4-8-1 tanh networks.

Run: ``python benchmarks/bench_coq.py`` (about 30-60 s; needs ``coqc`` with the Interval library).
``python benchmarks/bench_coq.py --kinds`` times every other kind (curvature, hessian, critical,
orbit) on growing tanh teachers and prints each file's size (parameters x points, x n! for orbit, the
measure :mod:`symcert.printing.coq.limits` bounds) and coqc's time, up to the 60 s the limits target
(several minutes).

Each network is a teacher at a reproducible random exact point ``A`` with mse
loss on 4, 8 and 16 exact inputs; ``B = swap(1, 0, 1)(A)``. For each it prints
the size of the Coq file, the time ``coqc`` takes to check it (median of
``--repeat`` runs, without ``Print Assumptions``), the time of the one
``interval`` call among them (from ``coqc -time``), and the extra time
``Print Assumptions`` of the final theorem adds (about 5 s, independent of the
network: it walks through the Interval library).
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from symcert import MLP, Dataset, Loss, certify_nonconvexity, swap
from symcert.build.coq import check_coq, coqc_available

CASES = (((1, 2, 1), 4), ((2, 4, 1), 8), ((4, 8, 1), 16))


def certificate(widths: tuple[int, ...], n_points: int, seed: int = 1):
    """A proved chord certificate of a tanh teacher network on ``n_points`` exact inputs."""
    mlp = MLP(widths, "tanh")
    teacher = mlp.random_point(seed)
    rng = random.Random(seed)
    xs = [[f"{rng.randint(-8, 8)}/4" for _ in range(widths[0])] for _ in range(n_points)]
    loss = Loss(mlp, Dataset.teacher(mlp, teacher, xs), "mse")
    found = certify_nonconvexity(loss, teacher, element=swap(1, 0, 1))
    if not found.proved:
        raise SystemExit(f"the {mlp.describe()} certificate is {found.status}; pick another seed")
    return found


def interval_seconds(text: str) -> float:
    """Seconds ``coqc -time`` reports for the ``interval`` tactic in ``text``."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.v"
        path.write_text(text, encoding="utf-8")
        out = subprocess.run(
            ["coqc", "-time", path.name], cwd=folder, capture_output=True, text=True, check=True
        ).stdout
    return sum(float(m.group(1)) for m in re.finditer(r"\[interval[^\]]*\] ([0-9.]+) secs", out))


#: For each kind, the (widths, points) tried in turn, growing.
KIND_CASES = {
    "curvature": (((2, 4, 1), 8), ((4, 8, 1), 16), ((8, 8, 1), 16), ((8, 8, 1), 32)),
    "hessian": (((4, 8, 1), 16), ((8, 8, 1), 32)),
    "critical_pair": (((2, 4, 1), 8), ((4, 8, 1), 16), ((8, 8, 1), 32)),
    "orbit": (((1, 3, 1), 8), ((2, 3, 1), 16), ((2, 4, 1), 8), ((2, 4, 1), 16)),
}


def kind_certificate(kind: str, widths: tuple[int, ...], n_points: int):
    """A proved ``kind`` certificate of a tanh teacher (the first seed, and A, that prove it)."""
    mlp = MLP(widths, "tanh")
    for seed in range(1, 30):
        teacher = mlp.random_point(seed)
        rng = random.Random(seed)
        xs = [[f"{rng.randint(-8, 8)}/4" for _ in range(widths[0])] for _ in range(n_points)]
        loss = Loss(mlp, Dataset.teacher(mlp, teacher, xs), "mse")
        A = teacher if kind in ("critical_pair", "orbit") or seed % 2 else mlp.random_point(seed + 100)
        found = certify_nonconvexity(loss, A, element=swap(1, 0, 1), kind=kind)
        if found.proved and (kind not in ("curvature", "hessian") or "h" in found.parameters):
            return found
    raise SystemExit(f"no seed gives a proved {kind} certificate for {mlp.describe()}")


def bench_kinds() -> None:
    """coqc's time for every kind on growing networks, stopping a kind past 60 s."""
    from symcert.printing.coq.limits import coq_size

    print(f"{'kind':<10} {'network':<34} {'points':>6} {'size':>7} {'lines':>6} {'coqc (s)':>9}")
    for kind, cases in KIND_CASES.items():
        for widths, n_points in cases:
            found = kind_certificate(kind, widths, n_points)
            size = coq_size(found.loss, kind, 1)
            text = _render_unlimited(found)
            result = check_coq(text, assumptions=False, timeout=120)
            seconds = f"{result.seconds:.1f}" if result.accepted else f"> {result.seconds:.0f}"
            if result.returncode is not None and not result.accepted:
                sys.exit(f"coqc rejected the {kind} file of {found.loss.mlp.describe()}:\n{result.error}")
            print(
                f"{kind:<10} {found.loss.mlp.describe():<34} {n_points:>6} {size:>7} "
                f"{text.count(chr(10)):>6} {seconds:>9}",
                flush=True,
            )
            if not result.accepted or result.seconds > 60:
                break


def _render_unlimited(certificate) -> str:
    """The Coq file without the size limit (the benchmark measures where the limit should be)."""
    from symcert.printing.coq import limits

    saved = dict(limits.MAX_COQ_SIZE)
    limits.MAX_COQ_SIZE.update({k: 10**9 for k in saved})
    try:
        return certificate.to_coq()
    finally:
        limits.MAX_COQ_SIZE.update(saved)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of coqc per network (median)")
    parser.add_argument("--kinds", action="store_true", help="time curvature, hessian, critical and orbit")
    args = parser.parse_args()
    if not coqc_available():
        sys.exit("coqc is not installed (Debian: apt-get install coq libcoq-interval)")
    if args.kinds:
        bench_kinds()
        return
    baseline = check_coq(
        "Require Import Reals Lra.\nRequire Import Interval.Tactic.\nLemma t : True.\nProof. exact I. Qed.\n",
        theorem="t",
        assumptions=False,
    )
    print(f"coqc loading Reals and Interval alone: {baseline.seconds:.2f} s\n")
    columns = ("points", 6), ("lines", 6), ("check (s)", 10), ("interval (s)", 13), ("+assumptions (s)", 17)
    print(f"{'network':<34} " + " ".join(f"{name:>{width}}" for name, width in columns))
    for widths, n_points in CASES:
        found = certificate(widths, n_points)
        text = found.to_coq()
        runs = []
        for _ in range(args.repeat):
            result = check_coq(text, assumptions=False)
            if not result.accepted:
                sys.exit(f"coqc rejected the {found.loss.mlp.describe()} file:\n{result.error}")
            runs.append(result.seconds)
        with_assumptions = check_coq(text)
        extra = with_assumptions.seconds - statistics.median(runs)
        print(
            f"{found.loss.mlp.describe():<34} {n_points:>6} {text.count(chr(10)):>6} "
            f"{statistics.median(runs):>10.2f} {interval_seconds(text):>13.2f} {extra:>17.2f}"
        )


if __name__ == "__main__":
    main()
