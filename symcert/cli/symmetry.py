"""The ``group`` and ``invariance`` commands."""

from __future__ import annotations

import argparse
import json
import sys

from symcert.cli.report import report_of
from symcert.errors import SpecificationError
from symcert.models.onnx_import import load_onnx
from symcert.printing import text
from symcert.proofs.graph_invariance import generators, listed, prove_graph_invariance
from symcert.proofs.invariance import Proof, prove_invariance
from symcert.proofs.serialize import group_to_dict, proof_to_dict
from symcert.symbolic.exact import to_rational
from symcert.symbolic.examples import default_teacher_loss
from symcert.symbolic.graph import derive_symmetries
from symcert.symbolic.graph import parse_element as parse_graph_element
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
        options = {"prove": getattr(args, "prove", False), "logits": getattr(args, "logits", False)}
        return _run_graph_group(args.model, args.json, report_of(args), **options)
    if getattr(args, "prove", False) or getattr(args, "logits", False):
        flag = "--prove" if getattr(args, "prove", False) else "--logits"
        raise SpecificationError(
            f"{flag} needs --model FILE.onnx (for a --widths network, `symcert invariance` proves each "
            "generator)"
        )
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


def _run_graph_group(
    path: str, as_json: bool, report=None, *, prove: bool = False, logits: bool = False
) -> int:
    """``symcert group --model FILE.onnx``: the permutation spec derived from the model's layer graph.

    With ``prove``, each generator's structural proof (:mod:`symcert.proofs.graph_invariance`).
    """
    if not path.lower().endswith(".onnx"):
        raise SpecificationError(
            f"symcert group --model reads .onnx models, got {path!r}; describe an MLP with --widths instead"
        )
    spec = derive_symmetries(load_onnx(path).graph, logits=logits)
    details = {"model": path, **spec.to_dict()}
    code, lines = EXIT_PROVED, []
    if prove:
        proofs = [
            (element, listed(spec, element), prove_graph_invariance(spec, element))
            for element in generators(spec)
        ]
        details["proofs"] = [{**p.to_dict(), "listed": is_listed} for _, is_listed, p in proofs]
        if any(is_listed and p.status != "proved" for _, is_listed, p in proofs):
            code = EXIT_NOT_PROVED
        lines = ["", "Structural proofs, one per generator (a rule per layer, composed along the graph):"]
        lines += [text(p, brief=True, indent="  ") for _, _, p in proofs]
    if report is not None:
        # the verdict of group is "listed" (the schema); the proofs are in details, a failure in exit_code
        report.verdict, report.details = "listed", details
        return code
    print(json.dumps(details, indent=2) if as_json else "\n".join([spec.summary(), *lines]))
    return code


def _run_graph_invariance(args: argparse.Namespace) -> int:
    """``symcert invariance --model FILE.onnx --element E``: the structural proof, node by node."""
    if not args.model.lower().endswith(".onnx"):
        raise SpecificationError(f"symcert invariance --model reads .onnx models, got {args.model!r}")
    if args.loss or args.weight_decay not in ("0", 0):
        raise SpecificationError(
            "--loss and --weight-decay are for --widths networks; with --model the claim is about the "
            "network's function, hence the loss on any data (add --logits for a cross-entropy on logits)"
        )
    spec = derive_symmetries(load_onnx(args.model).graph, logits=args.logits)
    chosen = generators(spec) if args.element == "group" else [parse_graph_element(args.element)]
    proofs = [prove_graph_invariance(spec, element) for element in chosen]
    if args.json:
        print(
            json.dumps(
                [p.to_dict() for p in proofs] if args.element == "group" else proofs[0].to_dict(), indent=2
            )
        )
    else:
        print("\n\n".join(text(p) for p in proofs))
    wanted = [p for e, p in zip(chosen, proofs, strict=True) if args.element != "group" or listed(spec, e)]
    return EXIT_PROVED if all(p.status == "proved" for p in wanted) else EXIT_NOT_PROVED


def group_text(group: SymmetryGroup) -> str:
    """What ``symcert group`` prints: :func:`symcert.text` of the group, without the generation argument."""
    return text(group, argument=False)


def run_invariance(args: argparse.Namespace) -> int:
    if getattr(args, "model", None):
        return _run_graph_invariance(args)
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
