"""``symcert prove --model FILE.onnx --data FILE.npz --kind orbit [--group NAME]``: the orbit certificate.

The mean of the trained point ``A`` over all permutations of one derived group (the channels of a
convolution with its batch norm and the next layer's inputs, say) makes every channel of the group
equal; with the invariance proved structurally, ``L(mean) > L(A)`` shows the loss is not convex
(:mod:`symcert.proofs.graph_orbit`). Without ``--group``, the groups are tried in the derivation's order
and the first one proved is kept (the output says which).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from symcert.errors import SpecificationError
from symcert.numeric.graph import GraphLoss
from symcert.proofs.graph_orbit import GraphOrbitCertificate, certify_graph_orbit, orbit_groups
from symcert.symbolic.graph import derive_symmetries

__all__ = ["run_graph_orbit"]


def run_graph_orbit(
    args: argparse.Namespace,
    loss: GraphLoss,
    A: dict[str, Any],
    say: Callable[[str], None],
    outputs: Callable[[GraphOrbitCertificate, argparse.Namespace], int],
) -> int:
    """Certify the orbit kind and print it; ``outputs`` writes ``--json`` and gives the exit code."""
    if args.element is not None:
        raise SpecificationError(
            "--kind orbit averages over a whole group: name it with --group NAME, not --element"
        )
    if str(args.weight_decay) not in ("0", "0.0"):
        raise SpecificationError(
            "--weight-decay is not available with --kind orbit on an ONNX model; drop it"
        )
    names = [g.name for g in orbit_groups(derive_symmetries(loss.graph))]
    group = getattr(args, "group", None)
    if group is not None and group not in names:
        raise SpecificationError(
            f"--group {group}: this model's groups of two or more channels are "
            f"{', '.join(names) or 'none'} (see symcert group --model FILE.onnx)"
        )
    print(f"Network: {loss.graph.describe()}, trained parameters from {args.model} (exact)")
    print(f"Loss: {loss.describe()} (logits: {loss.logits_name()}, output: {loss.output})")
    how = f"--group {group}" if group else f"the first of {', '.join(names)} that is proved"
    say(f"certifying orbit for {how} ...")
    certificate = certify_graph_orbit(loss, A, group, dps=args.dps)
    chosen = "given" if group else "the first group proved" if certificate.proved else "none proved"
    print(f"Group: {certificate.group} ({certificate.size} channels; {chosen})")
    say(certificate.status)
    return outputs(certificate, args)
