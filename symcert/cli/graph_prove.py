"""``symcert prove --model FILE.onnx --data FILE.npz``: the chord certificate for an imported network.

The ONNX model is read as a layer graph with exact parameters (the trained point ``A``); its
symmetries are derived from the graph; without ``--element`` the swap or sign flip with the largest
float64 gap ``L(M) - (L(A) + L(B))/2`` is chosen (a search), and the chord certificate is decided on
rigorous enclosures (verified float64, then Arb). ``--kind curvature`` (or ``hessian``) certifies
``phi''(1/2) < 0`` instead (:mod:`symcert.proofs.graph_curvature`), the element chosen by the most
negative float64 second difference. ``--kind orbit [--group NAME]`` averages ``A`` over a derived
permutation group (:mod:`symcert.proofs.graph_orbit`; :mod:`symcert.cli.graph_orbit`); ``--kind
critical_pair`` takes the model's exact outputs as teacher targets (:mod:`symcert.cli.graph_critical_pair`).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

from symcert.build.files import write_json
from symcert.cli.framework import graph_loss_and_data
from symcert.cli.graph_coq import refuse_graph_coq, write_graph_coq
from symcert.cli.report import report_certificates, report_of
from symcert.errors import SpecificationError
from symcert.models.onnx_import import load_onnx
from symcert.numeric.graph import GraphLoss, float_loss
from symcert.numeric.graph.jets import refuse_unsupported
from symcert.proofs.graph_chord import GraphCertificate, best_graph_element, certify_graph_chord
from symcert.proofs.graph_curvature import best_jet_element, certify_graph_curvature
from symcert.proofs.graph_invariance import prove_graph_invariance
from symcert.symbolic.graph import Graph, Translate, derive_symmetries, element_text, parse_element

__all__ = ["run_graph_prove"]

EXIT_PROVED, EXIT_NOT_PROVED = 0, 1
#: The kinds an ONNX model is certified with.
GRAPH_KINDS = ("chord", "curvature", "hessian", "orbit", "critical_pair", "unique_critical_point")


def _progress(args: argparse.Namespace) -> Callable[[str], None]:
    start = time.perf_counter()

    def say(text: str) -> None:
        if not getattr(args, "quiet", False):
            print(f"[{time.perf_counter() - start:6.1f} s] {text}", file=sys.stderr, flush=True)

    return say


def _refuse_options(args: argparse.Namespace) -> None:
    if args.data == "teacher":
        raise SpecificationError(
            "--model FILE.onnx needs --data FILE.npz with arrays X (n, *input_shape) and y"
        )
    if args.kind not in GRAPH_KINDS:
        raise SpecificationError(
            f"an ONNX model is certified with --kind {', '.join(GRAPH_KINDS)} so far, got --kind {args.kind}"
        )
    given = (
        ("--point", args.point),
        ("--latex", args.latex),
        ("--pdf", args.pdf),
        ("--digits", getattr(args, "digits", None)),
        ("--activation", getattr(args, "activation", None)),  # the model's layers say
        ("--output-activation", getattr(args, "output_activation", None)),
    )
    for flag, value in given:
        if value is not None:
            raise SpecificationError(f"{flag} is not available with an ONNX model; drop {flag}")
    if getattr(args, "radius", None) is not None and args.kind != "unique_critical_point":
        raise SpecificationError("--radius needs --kind unique_critical_point; drop it or add that kind")
    if getattr(args, "group", None) is not None and args.kind != "orbit":
        raise SpecificationError(f"--group applies to --kind orbit, got --kind {args.kind}; drop --group")
    if getattr(args, "no_bias", False):
        raise SpecificationError("--no-bias is not available with an ONNX model (its layers say); drop it")
    if getattr(args, "framework", "plain") not in ("plain", None):
        raise SpecificationError(
            f"--framework {args.framework} does not apply to an ONNX model; drop it and name --loss"
        )
    if str(args.weight_decay) not in ("0", "0.0") and args.kind == "chord":
        raise SpecificationError(
            "--weight-decay with an ONNX model needs --kind curvature or --kind hessian (the chord takes "
            "none yet); add --kind curvature or drop --weight-decay"
        )


def run_graph_prove(args: argparse.Namespace) -> int:
    """Certify the ONNX model's loss non-convex on its data (see the module text)."""
    _refuse_options(args)
    model = load_onnx(args.model)
    graph = model.graph
    kind, X, Y = graph_loss_and_data(args, graph)  # --loss, or the model's own (a softmax on class labels)
    loss = GraphLoss(graph, X, Y, kind)
    refuse_graph_coq(args, loss)  # --coq past the size limit: before any work
    A = model.params
    say = _progress(args)
    if args.kind == "unique_critical_point":
        from symcert.cli.graph_critical import run_graph_critical

        return run_graph_critical(args, loss, A, say)
    if args.kind == "orbit":
        from symcert.cli.graph_orbit import run_graph_orbit

        return run_graph_orbit(args, loss, A, say, _outputs)
    if args.kind == "critical_pair":
        from symcert.cli.graph_critical_pair import run_graph_critical_pair

        return run_graph_critical_pair(args, loss, A, say, _outputs)
    element = None
    if args.element is not None:
        element = parse_element(args.element)
        if isinstance(element, Translate):
            raise SpecificationError(
                f"--element {args.element}: a chord certificate needs a channel permutation or sign flip "
                "(permute:GROUP:..., flip:GROUP:SEGMENT:...), not a translation"
            )
        _check_group(graph, element.group)
    print(f"Network: {graph.describe()}, trained parameters from {args.model} (exact)")
    print(f"Loss: {loss.describe()} (logits: {loss.logits_name()}, output: {loss.output})")
    print(f"Check: L(A) = {float_loss(loss, A):.12g} in float64 (evidence only)")
    jet = args.kind != "chord"
    if jet:
        refuse_unsupported(loss)  # max pooling: before any search
        if str(args.weight_decay) not in ("0", "0.0"):
            print(f"Weight decay: {args.weight_decay} ||theta||^2 over the trainable parameters (exact)")
    if element is None and jet:
        element, bend = best_jet_element(loss, A, progress=say, weight_decay=args.weight_decay)
        print(f"Symmetry: {element_text(element)} (most negative float64 phi''(1/2), {bend:.6g})")
    elif element is None:
        element, gap = best_graph_element(loss, A, progress=say)
        print(f"Symmetry: {element_text(element)} (largest float64 gap {gap:.6g} of the candidates)")
    invariance = prove_graph_invariance(derive_symmetries(graph), element, spot=False)
    print(
        f"Invariance: L(g theta) = L(theta) for all theta, g = {element_text(element)}: {invariance.status} "
        f"(structural, node by node; the {args.kind} certificate below does not rely on it)"
    )
    say(f"certifying {args.kind} for {element_text(element)} ...")
    certificate: GraphCertificate
    if jet:
        certificate = certify_graph_curvature(
            loss, A, element, dps=args.dps, kind=args.kind, weight_decay=args.weight_decay
        )
    else:
        certificate = certify_graph_chord(loss, A, element, dps=args.dps)
    say(certificate.status)
    return _outputs(certificate, args)


def _check_group(graph: Graph, name: str) -> None:
    names = [g.name for g in derive_symmetries(graph).groups]
    if name not in names:
        raise SpecificationError(
            f"--element names the group {name!r}, but this model's groups are {', '.join(names) or 'none'} "
            "(see symcert group --model FILE.onnx)"
        )


def _outputs(certificate: GraphCertificate, args: argparse.Namespace) -> int:
    print()
    print(certificate.summary(exact=args.exact))
    code = write_outputs(certificate, args)
    if getattr(args, "coq", None) and not write_graph_coq(certificate, args.coq, args.check_coq):
        return EXIT_NOT_PROVED
    return code


def write_outputs(certificate: GraphCertificate, args: argparse.Namespace) -> int:
    """``--json OUT`` and ``--format json`` for a graph certificate; the exit code of its verdict."""
    report = report_of(args)
    if args.json:
        try:
            write_json(certificate, args.json)
        except OSError as error:
            raise SpecificationError(f"cannot write {args.json}: {error.strerror}") from None
        print(f"Certificate written to {args.json} (re-check: symcert check {args.json})")
        if report is not None:
            report.file(args.json, "certificate")
    if report is not None:
        report_certificates(report, [certificate], args)
    return EXIT_PROVED if certificate.proved else EXIT_NOT_PROVED
