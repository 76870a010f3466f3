"""``symcert prove --model FILE`` (your own trained network) and ``symcert example digits``."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

from symcert.build.files import write_json
from symcert.cli.cnn_example import add_cnn_options, refuse_cnn_options, run_cnn_example
from symcert.cli.digits import digits_flag, printed_digits, shortfall
from symcert.cli.framework import classifier_hint, framework_loss, loss_kind
from symcert.cli.latex_output import write_derivation
from symcert.cli.options import add_command, count_type, exact_flag
from symcert.cli.progress import progress_bar
from symcert.cli.report import report_certificates, report_of
from symcert.errors import SpecificationError
from symcert.models.accuracy import float_check
from symcert.models.data import load_data
from symcert.models.loaders import FRAMEWORKS, load_weights
from symcert.models.witness import best_witness, refuted_note
from symcert.proofs.certificates import Certificate
from symcert.proofs.nonconvexity import KINDS, certify_nonconvexity
from symcert.symbolic.group import parse_element
from symcert.symbolic.losses import default_output

__all__ = ["add_model_options", "add_example_parser", "load_model", "run_model_prove", "run_example"]

EXIT_PROVED, EXIT_NOT_PROVED = 0, 1
#: Largest parameters x data points for which --latex writes the derivation.
MAX_LATEX_SIZE = 20_000


def add_model_options(prove: argparse.ArgumentParser) -> None:
    """``--model``, ``--framework`` and ``--quiet`` on ``symcert prove``."""
    prove.add_argument(
        "--model",
        metavar="FILE",
        default=None,
        help="a trained network: .npz (W1, b1, ... out x in), .json (point format) or .safetensors "
        "(PyTorch nn.Sequential of Linear layers); or .onnx (a layer graph: conv, pooling, batch and "
        "layer norm, residual adds; the chord kind, with --data FILE.npz holding X of shape "
        "(n, *input_shape) or flat rows, and y); weights load exactly; needs --data FILE",
    )
    prove.add_argument(
        "--framework",
        choices=FRAMEWORKS,
        default="plain",
        help="layout of --model (default: by suffix); sklearn: the loss is also scikit-learn's, with its 1/2 "
        "on squared error and --weight-decay read as its alpha (penalty alpha/(2n) sum W^2)",
    )
    prove.add_argument("--quiet", action="store_true", help="no progress bars or messages on stderr")


def add_example_parser(commands: argparse._SubParsersAction) -> None:
    """Register ``symcert example``."""
    example = add_command(
        commands,
        "example",
        purpose="Run an example: train an MLP (digits) or a CNN (cnn) and certify its loss non-convex.",
        details="digits: scikit-learn's bundled handwritten digits (1,797 images of 8x8 pixels, no "
        "download); a seeded MLP is trained with scikit-learn (L-BFGS), loaded exactly, and its training "
        "loss (scikit-learn's log-loss with its L2 penalty) is certified non-convex at the trained "
        "network by the best swap of two hidden units. "
        "cnn: the same digits as 1x8x8 images; conv 3x3 -> batch norm -> activation, twice, then global "
        "average pooling, dense 10 and softmax cross-entropy, trained by a small numpy loop (full-batch "
        "Adam, seeded; a training aid, not certified); the parameters are rounded to float32 (exact), the "
        "symmetry group is derived from the layers, and the chord certificate is decided for the channel "
        "swap or sign flip with the largest float64 gap. The barrier before and after alignment is not "
        "yet available for layer graphs. Both need scikit-learn: pip install -e '.[sklearn]'.",
        examples=[
            ("symcert example digits", "1,797 digits, 64-16-10: about 10 s"),
            ("symcert example digits --samples 200 --json digits.json", "smaller, with the certificate"),
            ("symcert example cnn", "300 digits, 4 and 8 channels, tanh: about 20 s"),
            ("symcert example cnn --activation relu --json cnn.json", "ReLU; symcert check cnn.json"),
        ],
        prints="the trained network, its loss, the symmetry used and the certificate's summary "
        "(cnn: also the derived group and the swap's structural invariance proof; progress on stderr; "
        "--quiet silences it). Exit code 0 proved, 1 not proved.",
    )
    example.add_argument("name", choices=("digits", "cnn"), help="the example")
    example.add_argument(
        "--hidden",
        type=count_type("--hidden", 1, 256),
        default=None,
        help="digits: hidden units, 1 to 256 (default: 16)",
    )
    example.add_argument(
        "--seed",
        type=count_type("--seed", 0, 2**32 - 1),
        default=0,
        help="digits: scikit-learn's random_state; cnn: the seed of the initial weights (default: 0)",
    )
    example.add_argument(
        "--max-iter",
        type=count_type("--max-iter", 1, 10000),
        default=None,
        help="digits: L-BFGS iterations, 1 to 10000 (default: 200)",
    )
    example.add_argument(
        "--samples",
        type=count_type("--samples", 1, 1797),
        default=None,
        help="use the first N digits, 1 to 1797 (default: digits all, cnn 300)",
    )
    add_cnn_options(example)
    example.add_argument("--json", metavar="OUT", default=None, help="write the certificate to OUT")
    example.add_argument("--latex", metavar="OUT.tex", default=None, help="write the derivation as LaTeX")
    example.add_argument("--pdf", metavar="OUT.pdf", default=None, help="with --latex: compile it to OUT.pdf")
    example.add_argument("--quiet", action="store_true", help="no progress bars or messages on stderr")
    exact_flag(example)
    digits_flag(example)


def _progress(args: argparse.Namespace) -> Callable[[str], None]:
    start = time.perf_counter()

    def say(text: str) -> None:
        if not args.quiet:
            print(f"[{time.perf_counter() - start:6.1f} s] {text}", file=sys.stderr, flush=True)

    return say


def _check_outputs(args: argparse.Namespace) -> None:
    if args.pdf and not args.latex:
        raise SpecificationError("--pdf needs --latex OUT.tex (the LaTeX source is written first)")


def _short(text: str, width: int = 160) -> str:
    return "\n".join(line if len(line) <= width else line[: width - 3] + "..." for line in text.splitlines())


def _outputs(certificate: Certificate | None, args: argparse.Namespace) -> int:
    if certificate is None:
        return EXIT_NOT_PROVED
    print()
    print(_short(certificate.summary(exact=args.exact, digits=printed_digits(args))))
    for note in shortfall(certificate.enclosures, getattr(args, "digits", None)):
        print(note)
    if args.json:
        try:
            write_json(certificate, args.json)
        except OSError as error:
            raise SpecificationError(f"cannot write {args.json}: {error.strerror}") from None
        print(f"Certificate written to {args.json} (re-check: symcert check {args.json})")
        report = report_of(args)
        if report is not None:
            report.file(args.json, "certificate")
    if args.latex:
        size = certificate.loss.mlp.n_parameters * certificate.loss.data.n_points
        if size > MAX_LATEX_SIZE:
            raise SpecificationError(
                f"the LaTeX derivation prints every parameter and data point ({size} products, more than "
                f"{MAX_LATEX_SIZE}); drop --latex, or use a smaller network or data set"
            )
        write_derivation([certificate], None, args.latex, args.pdf)
    report = report_of(args)
    if report is not None:
        report_certificates(report, [certificate], args)
    return EXIT_PROVED if certificate.proved else EXIT_NOT_PROVED


def load_model(path: str, args: argparse.Namespace, output: str) -> tuple[Any, Any]:
    """``--model FILE`` with the activation the file records; ``--activation`` must agree, or name it."""
    return load_weights(path, args.activation, output, args.framework, on_missing="error")


def run_model_prove(args: argparse.Namespace) -> int:
    """``symcert prove --model FILE --data FILE``: certify the loss of your own trained network."""
    _check_outputs(args)
    if args.data == "teacher":
        raise SpecificationError("--model needs --data FILE (CSV, .npz or .npy) with the training data")
    if args.point is not None:
        raise SpecificationError("--model gives the point A; drop --point")
    if args.kind == "all":
        raise SpecificationError(f"with --model, give one --kind ({', '.join(KINDS)})")
    kind = loss_kind(args)
    output = args.output_activation or default_output(kind)
    # everything that may be refused is read first, before any progress line
    mlp, A = load_model(args.model, args, output)
    try:
        data = load_data(args.data, mlp, kind)
    except SpecificationError as error:
        raise classifier_hint(args, kind, error) from None
    loss = framework_loss(args, mlp, data, kind)
    element = None
    if args.element is not None:
        element = parse_element(args.element)
        element.check(mlp)
    say = _progress(args)
    print(f"Network: {mlp.describe()}, trained weights from {args.model} (exact)")
    print(f"Loss: {loss.describe()}")
    print(f"Check: {float_check(loss, A)} (float64, evidence only)")
    if element is None:
        with progress_bar(args, "screening symmetries", unit="symmetry") as bar:
            choice = best_witness(
                loss, A, kind=args.kind, dps=args.dps, progress=say, screening=bar, digits=args.digits
            )
        print(choice.message)
        return _outputs(choice.certificate, args)
    say(f"certifying {args.kind} for {element} ...")
    certificate = certify_nonconvexity(
        loss, A, element=element, kind=args.kind, dps=args.dps, digits=args.digits
    )
    say(f"{certificate.status}")
    if certificate.status == "refuted":
        print(refuted_note(args.kind, [element]))
    return _outputs(certificate, args)


def run_example(args: argparse.Namespace) -> int:
    """``symcert example digits`` and ``symcert example cnn``."""
    if args.name == "cnn":
        return run_cnn_example(args)
    refuse_cnn_options(args)
    from symcert.models.digits import digits_example

    _check_outputs(args)
    args.hidden = 16 if args.hidden is None else args.hidden
    args.max_iter = 200 if args.max_iter is None else args.max_iter
    say = _progress(args)
    with progress_bar(args, "screening symmetries", unit="symmetry") as bar:
        options = dict(progress=say, screening=bar, digits=args.digits)
        run = digits_example(args.hidden, args.seed, args.max_iter, args.samples, **options)
    model, choice = run.model, run.choice
    print(f"Network: {model.mlp.describe()}, trained by scikit-learn on {run.n_samples} digits (pixels / 16)")
    print(f"Loss: {model.convention}; scikit-learn reports loss_ = {run.sklearn_loss!r}")
    print(choice.message)
    certificate = choice.certificate
    if certificate is not None and certificate.element is not None:
        print(f"Swap used: {certificate.element} (B = swap(A): two hidden units exchanged)")
    return _outputs(certificate, args)
