"""``symcert prove --model F.onnx --data D.npz --kind unique_critical_point [--radius R]``.

The model's parameters are the approximation; Newton's method in float64 refines them (the certified
centre is Newton's float64 point, which the output says how far it moved), and Krawczyk's test on the
graph's Hessian over the box proves exactly one critical point in it
(:mod:`symcert.proofs.graph_critical`). Exit code 0 proved, 1 not proved, 2 bad input.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from typing import Any

from symcert.cli.graph_prove import write_outputs
from symcert.errors import SpecificationError
from symcert.numeric.graph import GraphLoss
from symcert.proofs.graph_critical import certify_graph_critical_point, refuse_kinks

__all__ = ["run_graph_critical"]


def run_graph_critical(
    args: argparse.Namespace, loss: GraphLoss, A: Mapping[str, Any], say: Callable[[str], None]
) -> int:
    """Certify a unique critical point near the model's parameters (see the module text)."""
    if str(args.weight_decay) not in ("0", "0.0"):
        raise SpecificationError("--weight-decay is not available with --kind unique_critical_point; drop it")
    if args.element is not None:
        raise SpecificationError(
            "--element does not apply to --kind unique_critical_point (no symmetry); drop it"
        )
    refuse_kinks(loss)  # ReLU, max pooling: one line, before any work
    print(f"Network: {loss.graph.describe()}, parameters from {args.model} (the approximation)")
    print(f"Loss: {loss.describe()} (logits: {loss.logits_name()}, output: {loss.output})")
    say("Newton's method in float64, then Krawczyk over the box ...")
    found = certify_graph_critical_point(loss, A, radius=args.radius, max_move=None)
    say(found.status)
    print(
        f"Newton: {found.newton_steps} steps, |grad L| = {found.gradient_norm:.3g} (float64), the point "
        f"moved by {found.moved:.3g} from the model's parameters (the certified centre is Newton's)"
    )
    if found.eigenvalues:
        print(
            f"Hessian eigenvalues at the centre (float64, evidence): min {found.eigenvalues[0]:.6g}, "
            f"max {found.eigenvalues[-1]:.6g}"
        )
    print(f"Verdict: {found.describe()}")
    return write_outputs(found, args)  # type: ignore[arg-type]
