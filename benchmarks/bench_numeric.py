"""Time the numeric layer: float64, mpmath and rigorous interval losses, chords, derivatives.

Run: ``python benchmarks/bench_numeric.py`` (about 30-60 s; ``--quick`` skips the large network).

For tanh networks 4-8-1 on 16 points and 16-64-1 on 256 points (mse on random
exact data, a random exact point ``A``, ``gA`` its image under the swap of the
first two hidden units, ``M`` their midpoint) it prints the time of one float64
loss, one mpmath loss at 50 digits, one rigorous enclosure at 50 digits, the
three enclosures a chord certificate needs (``L(A)``, ``L(gA)``, ``L(M)``), and
the ratio of the rigorous chord to the float64 chord (three float64 losses),
all measured in the same run. Then the growth of the enclosure's time with
width, number of points and digits, and the cost of derivative enclosures.
Every time is a warm call, the minimum of repeats (``timing.best_of``), float64 and enclosures alike.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

import sympy

sys.path.insert(0, str(Path(__file__).parent))

from timing import best_of

from symcert import MLP, Dataset, Loss, swap
from symcert.numeric.contexts import interval_context
from symcert.numeric.derivatives import gradient_enclosure, hessian_enclosure
from symcert.numeric.evaluation import loss_in
from symcert.numeric.floats import FloatLoss
from symcert.numeric.segment import segment_enclosure
from symcert.numeric.values import loss_enclosure, loss_value


def timed(run: Callable[[], object], budget: float = 0.3) -> float:
    """Seconds per warm call, the minimum of repeats (``timing.best_of``), the same on every side."""
    return best_of(run, repeats=1 if budget == 0.0 else 5, budget=budget)


def problem(widths: tuple[int, ...], points: int, seed: int = 0) -> tuple[Loss, object]:
    rng = random.Random(seed)
    mlp = MLP(widths, "tanh")
    xs = [[sympy.Rational(rng.randint(-16, 16), 8) for _ in range(widths[0])] for _ in range(points)]
    ys = [[sympy.Rational(rng.randint(-16, 16), 8) for _ in range(widths[-1])] for _ in range(points)]
    return Loss(mlp, Dataset(xs, ys), "mse"), mlp.random_point(seed)


def fmt(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:8.1f} us"
    if seconds < 1:
        return f"{seconds * 1e3:8.2f} ms"
    return f"{seconds:8.2f} s "


def headline(widths: tuple[int, ...], points: int) -> None:
    loss, A = problem(widths, points)
    gA = swap(1, 0, 1)(A)
    M = A.midpoint(gA)
    compiled = FloatLoss(loss)
    thetas = [compiled.check(P) for P in (A, gA, M)]
    t_float = timed(lambda: compiled.value(thetas[0]))
    t_float_chord = timed(lambda: [compiled.value(t) for t in thetas])
    t_mp = timed(lambda: loss_value(loss, A, 50))
    t_iv = timed(lambda: loss_enclosure(loss, A, 50))
    t_ref = timed(lambda: loss_in(interval_context(50), loss, A.values))
    t_chord = timed(lambda: [loss_enclosure(loss, P, 50) for P in (A, gA, M)])
    shape = "-".join(map(str, widths))
    print(f"\n{shape} tanh, {points} points, {loss.mlp.n_parameters} parameters")
    print(f"  float64 loss                       {fmt(t_float)}")
    print(f"  mpmath loss, 50 digits             {fmt(t_mp)}   ({t_mp / t_float:,.0f} x float64)")
    print(f"  Arb enclosure (engine), 50 digits  {fmt(t_iv)}   ({t_iv / t_float:,.0f} x float64)")
    print(f"  mpmath interval reference, 50 dig. {fmt(t_ref)}   ({t_ref / t_float:,.0f} x float64)")
    print(f"  float64 chord (3 losses)           {fmt(t_float_chord)}")
    print(f"  Arb chord (3 enclosures)           {fmt(t_chord)}")
    print(f"  ratio Arb chord / float64 chord    {t_chord / t_float_chord:,.0f}")
    print("  (the certificates' ladder starts with verified float64: see bench_engine.py)")


def growth(quick: bool) -> None:
    print("\ngrowth of one Arb enclosure (engine; tanh, 50 digits unless stated)")
    print(f"  {'network':<12}{'points':>8}{'digits':>8}{'enclosure':>14}{'float64':>13}{'ratio':>9}")
    rows = [((4, w, 1), 16, 50) for w in (8, 16, 32, 64)]
    rows += [((4, 8, 1), n, 50) for n in (64, 256)]
    rows += [((4, 8, 1), 16, d) for d in (100, 200, 400, 800)]
    if not quick:
        rows += [((4, 8, 1), 1024, 50)]
    for widths, points, dps in rows:
        loss, A = problem(widths, points)
        compiled = FloatLoss(loss)
        theta = compiled.check(A)
        t_iv = timed(lambda loss=loss, A=A, dps=dps: loss_enclosure(loss, A, dps))
        t_float = timed(lambda compiled=compiled, theta=theta: compiled.value(theta))
        shape = "-".join(map(str, widths))
        print(f"  {shape:<12}{points:>8}{dps:>8}{fmt(t_iv):>14}{fmt(t_float):>13}{t_iv / t_float:>9,.0f}")


def derivatives() -> None:
    print("\nderivative enclosures at 50 digits (tanh 4-8-1, 16 points, 49 parameters)")
    loss, A = problem((4, 8, 1), 16)
    gA = swap(1, 0, 1)(A)
    t_loss = timed(lambda: loss_enclosure(loss, A, 50))
    t_seg = timed(lambda: segment_enclosure(loss, A, gA, "1/2", 50))
    t_grad = timed(lambda: gradient_enclosure(loss, A, 50))
    t_hess = timed(lambda: hessian_enclosure(loss, A, 50), budget=0.0)
    print(f"  loss enclosure                     {fmt(t_loss)}")
    print(f"  phi, phi', phi'' at t = 1/2        {fmt(t_seg)}   ({t_seg / t_loss:.1f} x loss)")
    print(f"  gradient (49 entries)              {fmt(t_grad)}   ({t_grad / t_loss:.1f} x loss)")
    print(f"  Hessian (49 x 49)                  {fmt(t_hess)}   ({t_hess / t_loss:.1f} x loss)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="skip the 16-64-1 network and 1024 points")
    args = parser.parse_args()
    start = time.perf_counter()
    headline((4, 8, 1), 16)
    if not args.quick:
        headline((16, 64, 1), 256)
    growth(args.quick)
    derivatives()
    print(f"\ntotal {time.perf_counter() - start:.1f} s (one process, one core)")


if __name__ == "__main__":
    main()
