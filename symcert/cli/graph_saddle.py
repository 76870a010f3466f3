"""``symcert saddle --model F.onnx --data D.npz [--channel GROUP:CHANNEL:LAM] [--json OUT]``.

The ONNX model's weights approximate a critical point of the narrow network; Newton refines them and
Krawczyk proves it (:mod:`symcert.proofs.graph_critical`); one channel of a derived permutation group
is duplicated with its outgoing weights split ``LAM``, ``1 - LAM`` (an exact identity of the network
function), and ``d^T H_wide d < 0`` over the lifted box proves the lifted critical point is not a
minimum (:mod:`symcert.proofs.graph_saddle`). Exit code 0 proved, 1 not proved, 2 bad input.
"""

from __future__ import annotations

import argparse

from symcert.build.files import write_json
from symcert.cli.framework import graph_loss_and_data
from symcert.errors import SpecificationError
from symcert.models.onnx_import import load_onnx
from symcert.numeric.graph import GraphLoss
from symcert.proofs.graph_critical import refuse_kinks
from symcert.proofs.graph_saddle import certify_graph_saddle
from symcert.symbolic.graph import derive_symmetries

__all__ = ["run_graph_saddle"]


def _channel(text: str | None, groups: list[str]) -> tuple[str, int, str]:
    if text is None:
        if not groups:
            raise SpecificationError("the model has no permutation group: no channel to duplicate")
        return groups[0], 0, "1/2"
    parts = text.split(":")
    if len(parts) != 3 or not parts[1].strip().isdigit():
        raise SpecificationError(f"--channel must be GROUP:CHANNEL:LAM such as P_conv:0:1/2, got {text!r}")
    return parts[0].strip(), int(parts[1]), parts[2].strip()


def run_graph_saddle(args: argparse.Namespace) -> int:
    """Certify a permutation saddle of the ONNX model's loss (see the module text)."""
    if args.data is None:
        raise SpecificationError("--model F.onnx needs --data FILE.npz with arrays X (n, *input_shape) and y")
    unavailable = (
        ("--lift", args.lift),
        ("--point", args.point),
        ("--latex", args.latex),
        ("--digits", args.digits),
    )
    for flag, value in unavailable:
        if value is not None:
            raise SpecificationError(f"{flag} is not available with an ONNX model; drop it (use --channel)")
    model = load_onnx(args.model)
    kind, X, Y = graph_loss_and_data(
        args, model.graph
    )  # --loss, or the model's own (a softmax on class labels)
    loss = GraphLoss(model.graph, X, Y, kind)
    refuse_kinks(loss)
    group, channel, lam = _channel(args.channel, [g.name for g in derive_symmetries(model.graph).groups])
    print(f"Network: {model.graph.describe()}, parameters from {args.model} (the approximation)")
    found = certify_graph_saddle(loss, model.params, group, channel, lam, newton_steps=args.newton_steps)
    print(f"1. critical point: {found.critical.describe()}")
    print(f"2. lift: channel {channel} of {group} (producer {found.lifted.producer}), lam = {lam}:")
    for step in found.identity.steps:
        print(f"   {step}")
    print(f"   identity f_wide(x; M theta) = f(x; theta): {found.identity.status}")
    if found.eigenvalues:
        print(
            "   wide Hessian at the lifted point (float64, evidence): smallest eigenvalue "
            f"{found.eigenvalues[0]:.6g}"
        )
    print(f"3. {found.message}")
    if args.json:
        try:
            write_json(found, args.json)
        except OSError as error:
            raise SpecificationError(f"cannot write {args.json}: {error.strerror}") from None
        print(f"Certificate written to {args.json} (re-check: symcert check {args.json})")
    return 0 if found.proved else 1
