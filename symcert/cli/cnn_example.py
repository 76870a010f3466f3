"""``symcert example cnn``: a small CNN trained on the digits, its derived group and its chord certificate.

The training (:mod:`symcert.models.cnn_training`) is a numpy aid that only finds the trained point;
the verdict rests on the rigorous enclosures of :func:`~symcert.proofs.graph_chord.certify_graph_chord`
at the float32-rounded (exact) parameters, which ``symcert check`` re-checks independently.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

from symcert.cli.options import count_type
from symcert.errors import SpecificationError

__all__ = ["add_cnn_options", "refuse_cnn_options", "run_cnn_example", "channels_type"]

DEFAULT_SAMPLES, DEFAULT_EPOCHS = 300, 300
#: The barrier between two trainings: on the first digits only (the checker re-proves every piece in Arb).
DEFAULT_BARRIER_SAMPLES, BARRIER_TOL = 10, Fraction(1, 10)
NO_BARRIER_NOTE = "Barrier between two trainings: skipped (--barrier-samples 0)."


def channels_type(text: str) -> tuple[int, int]:
    """``--channels 4,8``: the two convolutions' output channels, 1 to 32 each.

    >>> channels_type("4,8")
    (4, 8)
    """
    parts = text.split(",")
    if len(parts) != 2 or not all(p.strip().isdigit() and 1 <= int(p) <= 32 for p in parts):
        raise argparse.ArgumentTypeError(
            f"--channels must be two integers from 1 to 32, such as 4,8, got {text[:40]!r}"
        )
    return int(parts[0]), int(parts[1])


def add_cnn_options(example: argparse.ArgumentParser) -> None:
    """``--channels``, ``--activation`` and ``--epochs`` (the cnn example's)."""
    example.add_argument(
        "--channels",
        type=channels_type,
        default=None,
        metavar="C1,C2",
        help="cnn: output channels of the two 3x3 convolutions, 1 to 32 each (default: 4,8)",
    )
    example.add_argument(
        "--activation",
        choices=("tanh", "relu"),
        default=None,
        help="cnn: the activation after each batch norm (default: tanh)",
    )
    example.add_argument(
        "--epochs",
        type=count_type("--epochs", 1, 5000),
        default=None,
        help=f"cnn: full-batch Adam steps, 1 to 5000 (default: {DEFAULT_EPOCHS})",
    )
    example.add_argument(
        "--barrier-samples",
        type=count_type("--barrier-samples", 0, 1797),
        default=None,
        metavar="N",
        help="cnn: train a second CNN (seed + 1) and certify the barrier between the two trainings on the "
        f"first N digits (default: {DEFAULT_BARRIER_SAMPLES}; 0: skip it)",
    )


def refuse_cnn_options(args: argparse.Namespace) -> None:
    """The digits example has no channels, activation flag or epochs: say so in one line."""
    for flag in ("channels", "activation", "epochs", "barrier_samples"):
        if getattr(args, flag, None) is not None:
            flag = flag.replace("_", "-")
            raise SpecificationError(f"--{flag} belongs to the cnn example (symcert example cnn); drop it")


def _refuse_digits_options(args: argparse.Namespace) -> None:
    given = (
        ("--hidden", args.hidden),
        ("--max-iter", args.max_iter),
        ("--latex", args.latex),
        ("--pdf", args.pdf),
        ("--digits", getattr(args, "digits", None)),
    )
    for flag, value in given:
        if value is not None:
            raise SpecificationError(f"{flag} is not available with the cnn example; drop {flag}")


def run_cnn_example(args: argparse.Namespace) -> int:
    """Train, derive the group, prove the swap's invariance and decide the chord (see the module text)."""
    _refuse_digits_options(args)
    from symcert.cli.graph_prove import write_outputs
    from symcert.models.cnn import cnn_example
    from symcert.proofs.graph_invariance import generators, listed
    from symcert.symbolic.graph import element_text

    channels = args.channels or (4, 8)
    activation = args.activation or "tanh"
    samples = args.samples or DEFAULT_SAMPLES
    epochs = args.epochs or DEFAULT_EPOCHS
    start = time.perf_counter()

    def say(text: str) -> None:
        if not args.quiet:
            print(f"[{time.perf_counter() - start:6.1f} s] {text}", file=sys.stderr, flush=True)

    run = cnn_example(channels, activation, args.seed, samples, epochs, progress=say)
    certificate = run.certificate
    print(f"Network: {run.graph.describe()}")
    print(
        f"Trained: {epochs} full-batch Adam steps in numpy (seed {args.seed}, a training aid) on "
        f"{run.n_samples} digits (pixels / 16); parameters rounded to float32 (exact dyadics); batch-norm "
        "statistics from the training batch"
    )
    print(f"Loss: {run.loss.kind} of the softmax output, the mean over {run.n_samples} digits")
    print(
        f"Check: L(A) = {run.float_loss:.12g} in float64, training accuracy {run.accuracy:.1%} "
        "(evidence only)"
    )
    print()
    print("Derived symmetry group:")
    summary = run.spec.summary().splitlines()[1:]  # its first line is the network, printed above
    print("\n".join("  " + line for line in summary))
    spec = run.spec
    names = [element_text(e) + ("" if listed(spec, e) else " (not a symmetry)") for e in generators(spec)]
    print(f"  generators: {', '.join(names)}")
    print()
    print(f"Symmetry used: {element_text(run.element)} (largest float64 gap {run.gap:.6g} of the candidates)")
    print(
        f"Invariance: L(g theta) = L(theta) for all theta, g = {element_text(run.element)}: "
        f"{run.invariance.status} (structural, node by node; the chord below does not rely on it)"
    )
    print()
    print(certificate.summary(exact=args.exact))
    print()
    barrier_samples = DEFAULT_BARRIER_SAMPLES if args.barrier_samples is None else args.barrier_samples
    if barrier_samples:
        _barrier(run, args, channels, activation, epochs, barrier_samples, say)
    else:
        print(NO_BARRIER_NOTE)
    return write_outputs(certificate, args)


def _barrier(
    run: Any,
    args: argparse.Namespace,
    channels: tuple[int, int],
    activation: str,
    epochs: int,
    samples: int,
    say: Callable[[str], None],
) -> None:
    """The second training, the certified barriers between the two before and after alignment, their JSON."""
    from symcert.build.files import write_json
    from symcert.models.cnn import cnn_barrier

    before, alignment, after = cnn_barrier(
        run, channels, activation, args.seed + 1, epochs, samples, BARRIER_TOL, say
    )
    n = min(samples, run.n_samples)
    print(
        f"Barrier between two trainings (seeds {args.seed} and {args.seed + 1}), cross-entropy on the first "
        f"{n} digits:"
    )
    print(f"  before alignment: {before.summary(exact=args.exact)}")
    print(f"  alignment: g = {alignment.text().replace(chr(10), '; ')}")
    print(
        f"    ||A - B|| = {alignment.distance_before:.6g} -> ||A - g(B)|| = {alignment.distance_after:.6g} "
        f"(float64); {alignment.conclusion()}"
    )
    print(f"  after alignment:  {after.summary(exact=args.exact)}")
    if args.json:
        for name, result in (("before", before), ("after", after)):
            path = Path(args.json).with_suffix(f".barrier.{name}.json")
            try:
                write_json(result, path)
            except OSError as error:
                raise SpecificationError(f"cannot write {path}: {error.strerror}") from None
            print(f"  certificate written to {path} (re-check: symcert check {path})")
