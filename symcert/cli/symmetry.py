"""The ``group`` and ``invariance`` commands."""

from __future__ import annotations

import argparse
import json
import sys

from symcert.cli.report import report_of
from symcert.errors import SpecificationError
from symcert.models.onnx_import import load_onnx
from symcert.printing import text
from symcert.proofs.invariance import Proof, prove_invariance
from symcert.proofs.serialize import group_to_dict, proof_to_dict
from symcert.symbolic.exact import to_rational
from symcert.symbolic.examples import default_teacher_loss
from symcert.symbolic.graph import derive_symmetries
from symcert.symbolic.group import SymmetryGroup, parse_element
from symcert.symbolic.losses import Loss, default_output
from symcert.symbolic.network import MLP

__all__ = [
    "network_from",
    "network_bias",
    "refuse_bias_flags",
    "hidden_activation",
    "run_group",
    "run_invariance",
    "group_text",
]

EXIT_PROVED, EXIT_NOT_PROVED = 0, 1

#: The hidden activation of a network described on the command line (not of a --model: see models.py).
DEFAULT_ACTIVATION = "tanh"


def hidden_activation(args: argparse.Namespace) -> str:
    """``--activation``, or tanh for a network described by ``--widths`` (a model file records its own)."""
    return args.activation or DEFAULT_ACTIVATION


def network_from(args: argparse.Namespace, loss: str | None = None) -> MLP:
    output = args.output_activation or default_output(loss or "")
    return MLP(args.widths, hidden_activation(args), bias=network_bias(args), output_activation=output)


def refuse_bias_flags(args: argparse.Namespace, needs: str) -> None:
    """Refuse ``--bias``/``--no-bias`` where the default example (with its own network) runs."""
    if args.no_bias or getattr(args, "bias", None) is not None:
        flag = "--no-bias" if args.no_bias else "--bias"
        raise SpecificationError(
            f"{flag} describes the network of {needs}; the default example has its own (with biases)"
        )


def network_bias(args: argparse.Namespace) -> bool | tuple[bool, ...]:
    """``--bias 1,0`` (one entry per weight layer of ``--widths``), else all or none (``--no-bias``)."""
    bias = getattr(args, "bias", None)
    if bias is None:
        return not args.no_bias
    depth = len(args.widths) - 1
    if len(bias) != depth:
        shape = ",".join(map(str, args.widths))
        raise SpecificationError(
            f"--bias needs {depth} entries, one per weight layer of --widths {shape} "
            f"(such as --bias {','.join(['1'] * (depth - 1) + ['0'])}), got {len(bias)}"
        )
    return bias


def run_group(args: argparse.Namespace) -> int:
    if getattr(args, "model", None):
        return _run_graph_group(args.model, args.json, report_of(args))
    mlp = network_from(args)
    group = mlp.symmetry_group()
    report = report_of(args)
    if report is not None:  # --format json: the group's JSON (as --json prints it) in the report
        report.verdict, report.details = "listed", group_to_dict(group)
        return EXIT_PROVED
    if args.json:
        print(json.dumps(group_to_dict(group), indent=2))
    else:
        print(group_text(group))
    return EXIT_PROVED


def _run_graph_group(path: str, as_json: bool, report=None) -> int:
    """``symcert group --model FILE.onnx``: the permutation spec derived from the model's layer graph."""
    if not path.lower().endswith(".onnx"):
        raise SpecificationError(
            f"symcert group --model reads .onnx models, got {path!r}; describe an MLP with --widths instead"
        )
    spec = derive_symmetries(load_onnx(path).graph)
    if report is not None:
        report.verdict, report.details = "listed", {"model": path, **spec.to_dict()}
        return EXIT_PROVED
    print(json.dumps({"model": path, **spec.to_dict()}, indent=2) if as_json else spec.summary())
    return EXIT_PROVED


def group_text(group: SymmetryGroup) -> str:
    """What ``symcert group`` prints: :func:`symcert.text` of the group, without the generation argument."""
    return text(group, argument=False)


def run_invariance(args: argparse.Namespace) -> int:
    mlp = network_from(args, args.loss)
    target: MLP | Loss = mlp
    if args.loss:
        target = default_teacher_loss(mlp, args.loss, args.weight_decay)
    elif args.weight_decay not in ("0", 0):
        to_rational(args.weight_decay, "weight_decay")  # a malformed number is named as such first
        raise SpecificationError(
            f"--weight-decay {args.weight_decay[:40]} needs --loss (weight decay is part of a loss, not of "
            "the network's output); add --loss mse, or drop --weight-decay"
        )
    element = mlp.symmetry_group() if args.element == "group" else parse_element(args.element)
    if not isinstance(element, SymmetryGroup):
        element.check(mlp)  # before the progress line: a bad element is one line on stderr
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
            print(group_text(element))
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
