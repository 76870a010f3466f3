"""The ``symcert`` command line: thin, readable, with exit codes that scripts can use.

Exit codes: 0 proved (or information printed), 1 refuted or not proved,
2 bad input or usage.

Each command's module is imported only when that command runs (or when the full parser is built,
for ``symcert --help``), so ``symcert --version`` and ``symcert check`` start without SymPy.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
import textwrap
from collections.abc import Callable, Collection, Sequence
from typing import NamedTuple, NoReturn

from symcert.cli.messages import command_line_message
from symcert.cli.options import add_command
from symcert.cli.outputs import check_output_paths
from symcert.cli.report import FORMATTED_COMMANDS, add_format_option, run_formatted
from symcert.errors import SymcertError
from symcert.limits import MAX_LAYERS, MAX_WIDTH
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
    def error(self, message: str) -> NoReturn:  # one line, exit 2, as for every bad input
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


def parse_bias(text: str) -> tuple[bool, ...]:
    """``--bias``: comma-separated 1 (biases) or 0 (none), one entry per weight layer.

    >>> parse_bias("1,0")
    (True, False)
    """
    parts = [part.strip() for part in text.split(",")]
    if not all(part in ("0", "1") for part in parts) or len(parts) > MAX_LAYERS:
        raise argparse.ArgumentTypeError(
            f"--bias is one 1 (biases) or 0 (none) per weight layer, comma-separated, such as 1,0 for "
            f"--widths 1,2,1, got {shorten(text)!r}"
        )
    return tuple(part == "1" for part in parts)


def shorten(text: str, length: int = 60) -> str:
    """``text`` cut to ``length`` characters for a one-line message."""
    return text if len(text) <= length else text[: length - 3] + "..."


def _network_options(parser: argparse.ArgumentParser) -> None:
    from symcert.symbolic.activations import ACTIVATION_NAMES, OUTPUT_ACTIVATION_NAMES

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
        help=f"output activation (default: identity; {_outputs_of_losses()})",
    )
    biases = parser.add_mutually_exclusive_group()
    biases.add_argument("--no-bias", action="store_true", help="build the network without biases")
    biases.add_argument(
        "--bias",
        type=parse_bias,
        default=None,
        metavar="1,0",
        help="biases per weight layer, 1 (with) or 0 (without), one entry per weight layer: "
        "--widths 1,2,1 --bias 1,0 has hidden biases and no output bias (default: biases everywhere)",
    )


def _outputs_of_losses() -> str:
    """``sigmoid for --loss bce, softmax for cross_entropy``: each loss's own output, from its entry."""
    from symcert.symbolic.losses import LOSS_KINDS, default_output

    pairs = [f"{default_output(k)} for {k}" for k in LOSS_KINDS if default_output(k) != "identity"]
    return ", ".join(pairs).replace(" for ", " for --loss ", 1)


def _json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json", action="store_true", help="print JSON (stable keys, documented in the README)"
    )


def _add_group_parser(commands: argparse._SubParsersAction, network_options: Callable) -> None:
    """Register ``symcert group``."""
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
            ("symcert group --format json", "one document for scripts: the JSON above under details"),
            ("symcert group --model net.onnx --prove", "each generator proved structurally, node by node"),
            ("symcert group --model net.onnx --logits --json", "with the softmax translation of the logits"),
        ],
        prints="per hidden layer: its units, whether sign flips are symmetries and why, and its order; "
        "then the group's order, its generators (element strings for --element) and its continuous "
        "families. Exit code 0 (with --prove: 1 if a listed symmetry is not proved). With --model "
        "--prove, one line per generator: proved, or not proved with the node that blocks it (--json: "
        "the proof of each, node by node).",
    )
    network_options(group)
    group.add_argument(
        "--model",
        metavar="FILE.onnx",
        default=None,
        help="an ONNX model: its group is derived from its layers (conv, pooling, residual, norms)",
    )
    group.add_argument(
        "--prove",
        action="store_true",
        help="with --model: prove each generator's invariance structurally (a rule per layer, composed "
        "along the graph, then an exact spot check); sign flips the layers forbid are shown refused",
    )
    group.add_argument(
        "--logits",
        action="store_true",
        help="with --model: the model's output is the logits of a softmax cross-entropy loss (exported "
        "without its softmax), so a constant added to the output bias is listed as a symmetry",
    )
    _json_flag(group)


def _add_invariance_parser(commands: argparse._SubParsersAction, network_options: Callable) -> None:
    """Register ``symcert invariance``."""
    from symcert.cli.symmetry import SHOW_ALL_GENERATORS
    from symcert.symbolic.losses import LOSS_KINDS

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
            ("symcert invariance --model net.onnx --element permute:P_conv1:1,0,2,3", "node by node"),
        ],
        prints="the claim, the numbered steps of the proof (substitution, lemmas, canonical form) or "
        "the exact counterexample, and the verdict; --json the same as JSON. Exit code 0 proved, "
        "1 refuted or undecided, 2 bad input.",
    )
    network_options(invariance)
    _json_flag(invariance)
    invariance.add_argument(
        "--element",
        default="group",
        help="swap:1:0,1 | flip:1:0 | rescale:1:0:3 | group (default: group, every generator)",
    )
    invariance.add_argument(
        "--model",
        metavar="FILE.onnx",
        default=None,
        help="an ONNX model: prove the element structurally, a rule per layer composed along the graph "
        "(elements as `symcert group --model FILE.onnx --prove` lists them: permute:GROUP:2,0,1, "
        "flip:GROUP:SEGMENT:-1,1, rescale:GROUP:SEGMENT:3/2,1, translate:NODE.bias:C, or group)",
    )
    invariance.add_argument(
        "--logits",
        action="store_true",
        help="with --model: the output is the logits of a softmax cross-entropy loss",
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


class _Command(NamedTuple):
    """Where a command lives: the names (``module:function``) of its parser's builder and its runner."""

    adder: str
    network: bool  # the builder takes the shared network options
    runner: str
    purpose: str  # its line in ``symcert --help``: the purpose its own page states (tests/test_cli_help.py)


#: The commands in the order of ``symcert --help``.
_COMMANDS: dict[str, _Command] = {
    "group": _Command(
        "symcert.cli:_add_group_parser",
        True,
        "symcert.cli.symmetry:run_group",
        "List a network's weight-space symmetries: order, generators, continuous families",
    ),
    "invariance": _Command(
        "symcert.cli:_add_invariance_parser",
        True,
        "symcert.cli.symmetry:run_invariance",
        "Prove, or refute, that a symmetry leaves a network's output (or its loss) unchanged",
    ),
    "prove": _Command(
        "symcert.cli.prove:add_prove_parser",
        True,
        "symcert.cli.prove:run_prove",
        "Certify, rigorously, that a network's loss is not convex (the main job)",
    ),
    "check": _Command(
        "symcert.cli.check:add_check_parser",
        False,
        "symcert.cli.check:run_check",
        "Re-check a certificate file independently of the prover that wrote it",
    ),
    "handout": _Command(
        "symcert.cli.handout:add_handout_parser",
        False,
        "symcert.cli.handout:run_handout",
        "Write a course handout (LaTeX, optionally PDF) whose every number is certified",
    ),
    "barrier": _Command(
        "symcert.cli.barrier:add_barrier_parser",
        True,
        "symcert.cli.barrier:run_barrier",
        "Certify the loss barrier between two networks, optionally after aligning them",
    ),
    "align": _Command(
        "symcert.cli.align:add_align_parser",
        False,
        "symcert.cli.align:run_align",
        "Align two networks over their symmetry group (weight matching), and prove it",
    ),
    "connect": _Command(
        "symcert.cli.connect:add_connect_parser",
        True,
        "symcert.cli.connect:run_connect",
        "Certify a low-loss path between two networks: L <= level along the whole path",
    ),
    "example": _Command(
        "symcert.cli.models:add_example_parser",
        False,
        "symcert.cli.models:run_example",
        "Run an example: train an MLP (digits) or a CNN (cnn) and certify its loss non-convex",
    ),
    "saddle": _Command(
        "symcert.cli.saddle:add_saddle_parser",
        True,
        "symcert.cli.saddle:run_saddle",
        "Certify a critical point, lift it by duplicating a unit, and prove it is a saddle",
    ),
    "grade": _Command(
        "symcert.cli.grade:add_grade_parser",
        False,
        "symcert.cli.grade:run_grade",
        "Score students' numeric answers against an answer key of certified values",
    ),
    "course": _Command(
        "symcert.cli.course:add_course_parser",
        False,
        "symcert.cli.course:run_course",
        "Write a course folder: every handout as PDF, the tutorial and an index.html",
    ),
}


def _function(where: str) -> Callable:
    module, name = where.split(":")
    return getattr(importlib.import_module(module), name)


def build_parser(commands: Collection[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests): every command in full, or only ``commands``.

    Given ``commands``, the others are listed (``symcert --help`` names each with its purpose) but
    their modules are not imported; ``main`` builds in full only the command it runs.

    >>> build_parser(["check"]).parse_args(["check", "cert.json"]).certificate
    'cert.json'
    """
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
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, command in _COMMANDS.items():
        if commands is not None and name not in commands:
            subparsers.add_parser(name, help=command.purpose)  # listed only
        elif command.network:
            _function(command.adder)(subparsers, _network_options)
        else:
            _function(command.adder)(subparsers)
        if name in FORMATTED_COMMANDS and (commands is None or name in commands):
            add_format_option(subparsers.choices[name])
    return parser


def _certificate_format_error() -> type[Exception]:
    """The checker's format error; ``main`` names it only once an exception reaches it, so that
    ``symcert --version`` and ``symcert check --help`` do not load the checker's arithmetic."""
    from symcert.checker.reading import CertificateFormatError

    return CertificateFormatError


def _commands_needed(argv: Sequence[str]) -> tuple[str, ...]:
    """The command ``argv`` runs, whose parser is built in full (none for ``--help`` or ``--version``).

    The top-level options take no value, so the first word that is not an option is the command.

    >>> _commands_needed(["check", "cert.json"]), _commands_needed(["--version"]), _commands_needed(["x"])
    (('check',), (), ())
    """
    words = [word for word in argv if not word.startswith("-")]
    return (words[0],) if words and words[0] in _COMMANDS else ()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(_commands_needed(argv))
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
    try:
        check_output_paths(args)  # every file a command will write, before any work
        return run_formatted(_function(_COMMANDS[args.command].runner), args)
    except SymcertError as error:
        print(f"symcert: error: {command_line_message(error)}", file=sys.stderr)
        return EXIT_USAGE
    except _certificate_format_error() as error:  # evaluated only when an exception gets here
        print(f"symcert: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as error:  # a file that became unwritable after the checks (disk full, permissions)
        where = f" ({error.filename})" if error.filename else ""
        print(f"symcert: error: {error.strerror or error}{where}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("symcert: interrupted", file=sys.stderr)
        return EXIT_USAGE
    except RecursionError:
        print("symcert: error: the input is too deeply nested to process", file=sys.stderr)
        return EXIT_USAGE
    except MemoryError as error:  # numpy says how much it wanted: "Unable to allocate 373. GiB for ..."
        wanted = f" ({str(error).split(' for ')[0]})" if str(error) else ""
        print(
            f"symcert: error: this problem needs more memory than is available{wanted}; give fewer data "
            "points or a smaller network (saddles: a narrow network, e.g. 16-31-1 on hundreds of points)",
            file=sys.stderr,
        )
        return EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
