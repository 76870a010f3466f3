"""The ``symcert`` command line: thin, readable, with exit codes that scripts can use.

Exit codes: 0 proved (or information printed), 1 refuted or not proved,
2 bad input or usage.
"""

from __future__ import annotations

import argparse
import re
import sys
import textwrap
from collections.abc import Sequence

from symcert.checker.reading import CertificateFormatError
from symcert.cli.barrier import add_barrier_parser, run_barrier
from symcert.cli.grade import add_grade_parser, run_grade
from symcert.cli.handout import add_handout_parser, run_handout
from symcert.cli.messages import command_line_message
from symcert.cli.models import add_example_parser, run_example
from symcert.cli.options import add_command
from symcert.cli.outputs import check_output_paths
from symcert.cli.prove import add_check_parser, add_prove_parser, run_check, run_prove
from symcert.cli.saddle import add_saddle_parser, run_saddle
from symcert.cli.symmetry import SHOW_ALL_GENERATORS, run_group, run_invariance
from symcert.errors import SymcertError
from symcert.limits import MAX_LAYERS, MAX_WIDTH
from symcert.symbolic.activations import ACTIVATION_NAMES, OUTPUT_ACTIVATION_NAMES
from symcert.symbolic.losses import LOSS_KINDS
from symcert.version import __version__

__all__ = ["main", "build_parser"]

EXIT_PROVED, EXIT_NOT_PROVED, EXIT_USAGE = 0, 1, 2

_EPILOG = """\
examples:
  symcert prove                                       # the default example: two minima, a worse midpoint
  symcert prove --kind all --json cert.json && symcert check cert.chord.json
  symcert group --widths 1,3,1 --activation tanh
  symcert invariance                                  # default 1-2-1 tanh network, whole group
  symcert invariance --widths 2,3,1 --activation relu --element rescale:1:0:3 --loss mse
  symcert invariance --activation relu --element flip:1:0 --json
  symcert saddle                                      # a certified permutation saddle (1-1-1 -> 1-2-1)

exit codes: 0 proved, 1 refuted or not proved, 2 bad input or usage
'symcert COMMAND --help' shows what a command is for, examples, and what it prints.
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, as for every bad input
        message = " ".join(message.split())
        if len(message) > 300:
            message = message[:297] + "..."
        self.exit(EXIT_USAGE, f"symcert: error: {message} (see {self.prog} --help)\n")


def parse_widths(text: str) -> tuple[int, ...]:
    """Comma-separated widths, each from 1 to MAX_WIDTH, at most MAX_LAYERS + 1 of them."""
    parts = text.split(",")
    if not all(re.fullmatch(r"[0-9]{1,9}", part.strip(), re.ASCII) for part in parts):
        raise argparse.ArgumentTypeError(
            f"widths are comma-separated integers such as 1,2,1, got {shorten(text)!r}"
        )
    widths = tuple(int(part) for part in parts)
    if not 2 <= len(widths) <= MAX_LAYERS + 1 or not all(1 <= w <= MAX_WIDTH for w in widths):
        raise argparse.ArgumentTypeError(
            f"widths must be positive integers up to {MAX_WIDTH}, 2 to {MAX_LAYERS + 1} of them, "
            f"got {shorten(text)!r}"
        )
    return widths


def shorten(text: str, length: int = 60) -> str:
    """``text`` cut to ``length`` characters for a one-line message."""
    return text if len(text) <= length else text[: length - 3] + "..."


def _network_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--widths",
        type=parse_widths,
        default=(1, 2, 1),
        help="input, hidden and output sizes, comma-separated (default: 1,2,1)",
    )
    parser.add_argument(
        "--activation",
        default=None,
        help=f"hidden activation: {', '.join(ACTIVATION_NAMES)}; leaky_relu:P/Q sets the slope (default: "
        "tanh; with --model: the one the file records, and required when it records none)",
    )
    parser.add_argument(
        "--output-activation",
        default=None,
        choices=OUTPUT_ACTIVATION_NAMES,
        help="output activation (default: identity; sigmoid for --loss bce, softmax for cross_entropy)",
    )
    parser.add_argument("--no-bias", action="store_true", help="build the network without biases")


def _json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json", action="store_true", help="print JSON (stable keys, documented in the README)"
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = _Parser(
        prog="symcert",
        description=textwrap.fill(
            "Prove that neural-network losses are non-convex, and show why: weight-space symmetry. "
            "Describe a small network, list its symmetry group, prove (or refute) that a symmetry "
            "leaves its output or loss unchanged, certify with rigorous interval arithmetic that "
            "the loss is not convex, and re-check certificates independently.",
            88,
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    group = add_command(
        commands,
        "group",
        purpose="List a network's weight-space symmetries: order, generators, continuous families.",
        details="The discrete group permutes the units of each hidden layer, and flips their signs where "
        "the activation allows it (odd activations; the logistic sigmoid with biases); ReLU, leaky ReLU "
        "and identity also have continuous rescalings. Layers are indexed as in --widths: layer 1 is the "
        "first hidden layer; units are numbered from 0.",
        examples=[
            ("symcert group", "the default 1-2-1 tanh network: order 8"),
            ("symcert group --widths 1,3,1 --activation relu", "order 3! = 6, plus rescalings"),
            ("symcert group --widths 2,3,2,1 --json", "the same as JSON"),
        ],
        prints="per hidden layer: its units, whether sign flips are symmetries and why, and its order; "
        "then the group's order, its generators (element strings for --element) and its continuous "
        "families. Exit code 0.",
    )
    _network_options(group)
    group.add_argument(
        "--model",
        metavar="FILE.onnx",
        default=None,
        help="an ONNX model: its group is derived from its layers (conv, pooling, residual, norms)",
    )
    _json_flag(group)

    invariance = add_command(
        commands,
        "invariance",
        purpose="Prove, or refute, that a symmetry leaves a network's output (or its loss) unchanged.",
        details="The proof is symbolic: the element is applied as a substitution and both sides are put "
        "in a canonical form with the activation's lemmas; a refutation gives an exact point where the "
        "two sides differ, with the difference enclosed rigorously away from 0. Elements: "
        "swap:LAYER:I,J  flip:LAYER:UNIT  rescale:LAYER:UNIT:ALPHA (alpha > 0, exact, e.g. 3/2), "
        "or 'group' for every generator. With --loss, the claim is about the loss on teacher data.",
        examples=[
            ("symcert invariance", "every generator of the 1-2-1 tanh network: proved"),
            ("symcert invariance --activation relu --element flip:1:0", "refuted: relu is not odd"),
            ("symcert invariance --activation relu --element rescale:1:0:3 --loss mse", "proved"),
        ],
        prints="the claim, the numbered steps of the proof (substitution, lemmas, canonical form) or "
        "the exact counterexample, and the verdict; --json the same as JSON. Exit code 0 proved, "
        "1 refuted or undecided, 2 bad input.",
    )
    _network_options(invariance)
    _json_flag(invariance)
    invariance.add_argument(
        "--element",
        default="group",
        help="swap:1:0,1 | flip:1:0 | rescale:1:0:3 | group (default: group, every generator)",
    )
    invariance.add_argument(
        "--loss",
        choices=LOSS_KINDS,
        default=None,
        help="prove invariance of this loss on teacher data (default: of the network's output)",
    )
    invariance.add_argument(
        "--weight-decay", default="0", help="weight decay lambda >= 0, exact (default: 0)"
    )
    invariance.add_argument(
        "--verbose",
        action="store_true",
        help=f"print the steps of every generator (shown anyway for up to {SHOW_ALL_GENERATORS} generators)",
    )
    add_prove_parser(commands, _network_options)
    add_check_parser(commands)
    add_handout_parser(commands)
    add_barrier_parser(commands, _network_options)
    add_example_parser(commands)
    add_saddle_parser(commands, _network_options)
    add_grade_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help (0) and usage errors (2), already printed
        return int(stop.code or 0)
    if args.version:  # alone: 'symcert --version extra' or '--version prove' is a usage error
        if args.command is not None:
            print(f"symcert: error: --version takes no command, got {args.command!r}", file=sys.stderr)
            return EXIT_USAGE
        print(f"symcert {__version__}")
        return EXIT_PROVED
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    handlers = {
        "group": run_group,
        "invariance": run_invariance,
        "prove": run_prove,
        "check": run_check,
        "handout": run_handout,
        "barrier": run_barrier,
        "example": run_example,
        "saddle": run_saddle,
        "grade": run_grade,
    }
    try:
        check_output_paths(args)  # every file a command will write, before any work
        return handlers[args.command](args)
    except SymcertError as error:
        print(f"symcert: error: {command_line_message(error)}", file=sys.stderr)
        return EXIT_USAGE
    except CertificateFormatError as error:
        print(f"symcert: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as error:  # a file that became unwritable after the checks (disk full, permissions)
        where = f" ({error.filename})" if error.filename else ""
        print(f"symcert: error: {error.strerror or error}{where}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("symcert: interrupted", file=sys.stderr)
        return EXIT_USAGE
    except (RecursionError, MemoryError):
        print("symcert: error: the input is too large or too deeply nested to process", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
