"""The ``symcert`` command line: thin, readable, with exit codes that scripts can use.

Exit codes: 0 proved (or information printed), 1 refuted or not proved,
2 bad input or usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from symcert.errors import SymcertError
from symcert.proofs.invariance import Proof, prove_invariance
from symcert.proofs.serialize import proof_to_dict
from symcert.symbolic.activations import ACTIVATION_NAMES, OUTPUT_ACTIVATION_NAMES
from symcert.symbolic.data import Dataset
from symcert.symbolic.group import SymmetryGroup, parse_element
from symcert.symbolic.losses import LOSS_KINDS, Loss
from symcert.symbolic.network import MLP

__all__ = ["main", "build_parser"]

EXIT_PROVED, EXIT_NOT_PROVED, EXIT_USAGE = 0, 1, 2

_EPILOG = """\
examples:
  symcert group --widths 1,3,1 --activation tanh
  symcert invariance                                  # default 1-2-1 tanh network, whole group
  symcert invariance --widths 2,3,1 --activation relu --element rescale:1:0:3 --loss mse
  symcert invariance --activation relu --element flip:1:0 --json

exit codes: 0 proved, 1 refuted or not proved, 2 bad input or usage
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, as for every bad input
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"symcert: error: {message}\n")


def _widths(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"widths are comma-separated integers such as 1,2,1, got {text!r}"
        ) from None


def _network_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--widths",
        type=_widths,
        default=(1, 2, 1),
        help="input, hidden and output sizes, comma-separated (default: 1,2,1)",
    )
    parser.add_argument(
        "--activation",
        default="tanh",
        help=f"hidden activation: {', '.join(ACTIVATION_NAMES)}; "
        "leaky_relu:P/Q sets the slope (default: tanh)",
    )
    parser.add_argument(
        "--output-activation",
        default=None,
        choices=OUTPUT_ACTIVATION_NAMES,
        help="output activation (default: identity; sigmoid for --loss bce, softmax for cross_entropy)",
    )
    parser.add_argument("--no-bias", action="store_true", help="build the network without biases")
    parser.add_argument(
        "--json", action="store_true", help="print JSON (stable keys, documented in the README)"
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = _Parser(
        prog="symcert",
        description=(
            "Prove that neural-network losses are non-convex, and show why: weight-space symmetry. "
            "Describe a small network, list its symmetry group, and prove (or refute) that a "
            "symmetry leaves its output or loss unchanged."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    group = commands.add_parser(
        "group",
        help="the symmetry group of a network: order, generators, continuous families",
        description=(
            "List the discrete symmetry group of the hidden units (permutations, and sign flips "
            "for odd activations or the logistic sigmoid with biases) and the continuous "
            "rescaling families (ReLU, leaky ReLU, identity). Layers are indexed as in --widths: "
            "layer 1 is the first hidden layer; units are numbered from 0."
        ),
    )
    _network_options(group)

    invariance = commands.add_parser(
        "invariance",
        help="prove or refute that a symmetry leaves the output or the loss unchanged",
        description=(
            "Prove symbolically that a group element leaves the network's output (or, with "
            "--loss, its loss on teacher data) unchanged, or refute it with an exact point where "
            "the two sides differ rigorously. Elements: swap:LAYER:I,J  flip:LAYER:UNIT  "
            "rescale:LAYER:UNIT:ALPHA (alpha > 0, exact, e.g. 3/2), or 'group' for every generator."
        ),
    )
    _network_options(invariance)
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
        help=f"print the steps of every generator (shown anyway for up to {4} generators)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help (0) and usage errors (2), already printed
        return int(stop.code or 0)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        if args.command == "group":
            return _group(args)
        return _invariance(args)
    except SymcertError as error:
        print(f"symcert: error: {error}", file=sys.stderr)
        return EXIT_USAGE


def _network(args: argparse.Namespace, loss: str | None = None) -> MLP:
    output = args.output_activation or {"bce": "sigmoid", "cross_entropy": "softmax"}.get(
        loss or "", "identity"
    )
    return MLP(args.widths, args.activation, bias=not args.no_bias, output_activation=output)


def _group(args: argparse.Namespace) -> int:
    mlp = _network(args)
    group = mlp.symmetry_group()
    if args.json:
        print(json.dumps(group.to_dict(), indent=2))
    else:
        print(_group_text(group))
    return EXIT_PROVED


def _group_text(group: SymmetryGroup) -> str:
    lines = [f"Symmetry group of the {group.mlp.describe()}"]
    if not group.layers:
        lines.append("  no hidden layer: the group is trivial (order 1)")
    for layer in group.layers:
        kind = "signed permutations" if layer.flips else "permutations"
        formula = f"{layer.width}! * 2^{layer.width}" if layer.flips else f"{layer.width}!"
        lines.append(
            f"  hidden layer {layer.layer}: {layer.width} units, {kind}, order {formula} = {layer.order}"
        )
        lines.append(f"    sign flips: {'yes' if layer.flips else 'no'} ({layer.flip_reason})")
    lines.append(f"  order of the discrete group: {group.order}")
    lines.append(f"  generators: {', '.join(str(g) for g in group.generators) or 'none'}")
    for family in group.continuous:
        lines.append(f"  continuous: {family.description}")
    if not group.continuous:
        lines.append("  continuous families: none")
    return "\n".join(lines)


def default_teacher_loss(mlp: MLP, kind: str, weight_decay: Any = 0) -> Loss:
    """The loss on default teacher data: a reproducible teacher point and an input grid."""
    xs = [[((i * (k + 2)) % 5 - 2) for k in range(mlp.widths[0])] for i in range(4)]
    data = Dataset.teacher(mlp, mlp.random_point(seed=1), xs)
    return Loss(mlp, data, kind, weight_decay)


def _invariance(args: argparse.Namespace) -> int:
    mlp = _network(args, args.loss)
    target: MLP | Loss = mlp
    if args.loss:
        target = default_teacher_loss(mlp, args.loss, args.weight_decay)
    element = mlp.symmetry_group() if args.element == "group" else parse_element(args.element)
    if not args.json:
        print(
            f"Proving invariance under {args.element} for the {target.describe()} ...",
            file=sys.stderr,
            flush=True,
        )
    proof = prove_invariance(target, element)
    if args.json:
        print(json.dumps(proof_to_dict(proof), indent=2))
    else:
        if isinstance(element, SymmetryGroup):
            print(_group_text(element))
            print()
        print(_proof_text(proof, args.verbose))
    return EXIT_PROVED if proof.status == "proved" else EXIT_NOT_PROVED


#: Group proofs with at most this many generators print every generator's steps.
SHOW_ALL_GENERATORS = 4


def _proof_text(proof: Proof, verbose: bool) -> str:
    text = proof.summary()
    if proof.parts and (verbose or len(proof.parts) <= SHOW_ALL_GENERATORS):
        text += "".join(f"\n\nGenerator {part.element}:\n" + part.summary() for part in proof.parts)
    elif proof.parts:
        text += "\n(--verbose shows the steps for every generator)"
    return text


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
