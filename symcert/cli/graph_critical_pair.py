"""``symcert prove --model FILE.onnx --data FILE.npz --kind critical_pair``: two minima, a slope between.

The targets are the model's own exact outputs at its parameters ``A`` on the file's inputs ``X``
(teacher data: ``L(A) = 0``; the file's ``y`` are not used, and the output says so), which needs a
piecewise-linear model (dense, conv, ReLU, average pooling, batch norm with ``var + eps`` a rational
square); others are refused in one line. ``B = g(A)`` for ``--element`` or, by default, the first
channel swap for which ``phi'(1/4) != 0`` is proved (:mod:`symcert.proofs.graph_critical_pair`).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from symcert.errors import SpecificationError
from symcert.numeric.graph import GraphLoss
from symcert.numeric.graph.jets import refuse_unsupported
from symcert.proofs.graph_chord import Element, candidate_elements
from symcert.proofs.graph_critical_pair import (
    GraphCriticalPairCertificate,
    certify_graph_critical_pair,
    teacher_targets,
)
from symcert.symbolic.graph import Permute, element_text, parse_element

__all__ = ["run_graph_critical_pair"]

#: The most channel swaps tried when no --element is given.
MAX_TRIED = 6


def run_graph_critical_pair(
    args: argparse.Namespace,
    loss: GraphLoss,
    A: dict[str, Any],
    say: Callable[[str], None],
    outputs: Callable[[GraphCriticalPairCertificate, argparse.Namespace], int],
) -> int:
    """Certify the critical_pair kind on teacher data of the model and print it."""
    if str(args.weight_decay) not in ("0", "0.0"):
        raise SpecificationError("--weight-decay is not available with --kind critical_pair; drop it")
    if loss.kind not in ("mse", "sse"):
        raise SpecificationError(
            f"--kind critical_pair needs --loss mse or sse (teacher data), got {loss.kind}"
        )
    refuse_unsupported(loss)
    graph = loss.graph
    teacher = GraphLoss(graph, loss.X, teacher_targets(graph, A, loss.X), loss.kind, loss.factor)
    print(f"Network: {graph.describe()}, trained parameters from {args.model} (exact)")
    print(
        f"Data: the {loss.n_points} inputs of {args.data}; targets: the model's exact outputs at A (teacher "
        "data, L(A) = 0; the file's y are not used)"
    )
    elements: list[Element]
    if args.element is not None:
        elements = [parse_element(args.element)]
    else:
        elements = [e for e in candidate_elements(teacher) if isinstance(e, Permute)][:MAX_TRIED]
        if not elements:
            raise SpecificationError(f"the {graph.describe()} has no channel swap; critical_pair needs one")
    certificate = None
    for element in elements:
        say(f"certifying critical_pair for {element_text(element)} ...")
        certificate = certify_graph_critical_pair(teacher, A, element, dps=args.dps)
        if certificate.proved:
            break
    assert certificate is not None
    print(f"Symmetry: {element_text(certificate.element)}")
    say(certificate.status)
    return outputs(certificate, args)
