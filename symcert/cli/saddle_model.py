"""``symcert saddle --model FILE --data FILE``: a trained narrow network as the approximate critical point.

The file's weights (``.npz``, ``.json``, ``.safetensors``; scikit-learn's ``coefs_``/``intercepts_``
saved as ``W{l} = coefs_[l-1].T``, ``b{l} = intercepts_[l-1]``) load exactly, as for ``symcert prove
--model``; Newton's method refines them and Krawczyk proves the critical point. A trained network is
often not at a critical point to 1%: the refusal says how far Newton's method had to go and what to
do (train to a tighter tolerance, ``--newton-steps``, or ``--accept-newton-point``, after which the
certified point is Newton's, not the file's).

>>> import argparse
>>> args = argparse.Namespace(model="net.npz", newton_steps=40, accept_newton_point=True)
>>> newton_options(args)["max_move"] is None
True
"""

from __future__ import annotations

import argparse
from typing import Any

from symcert.cli.options import count_type
from symcert.errors import SpecificationError

__all__ = ["add_saddle_model_options", "model_problem", "newton_options", "newton_note"]


def add_saddle_model_options(parser: argparse.ArgumentParser) -> None:
    """``--model``, ``--framework``, ``--newton-steps``, ``--accept-newton-point`` on ``symcert saddle``."""
    from symcert.models.loaders import FRAMEWORKS

    parser.add_argument(
        "--model",
        metavar="FILE",
        default=None,
        help="a trained narrow network as the approximate critical point: .npz (W1, b1, ... out x in; "
        "scikit-learn: W1 = coefs_[0].T, b1 = intercepts_[0], ...), .json (point format) or .safetensors "
        "(PyTorch nn.Sequential of Linear layers); weights load exactly; the widths and (where the file "
        "records it) the activation come from the file; needs --data FILE (CSV, .npz or .npy)",
    )
    parser.add_argument(
        "--framework",
        choices=FRAMEWORKS,
        default="plain",
        help="layout of --model (default: by suffix); sklearn: the loss is scikit-learn's (1/2 on squared "
        "error, the log-loss on class labels); train with alpha=0, since weight decay breaks the lift",
    )
    parser.add_argument(
        "--newton-steps",
        type=count_type("--newton-steps", 1, 10000),
        default=40,
        metavar="N",
        help="float Newton steps that refine the approximation before Krawczyk, 1 to 10000 (default: 40)",
    )
    parser.add_argument(
        "--accept-newton-point",
        action="store_true",
        help="certify the critical point Newton's method reaches however far it moves the approximation "
        "(by default more than 1%% of 1 + max |weight| is refused); the certified point is then Newton's, "
        "not the file's, and the output says how far it moved",
    )


def _advice(args: argparse.Namespace) -> str:
    steps = f"raise --newton-steps (now {args.newton_steps})"
    accept = (
        "or pass --accept-newton-point to certify the critical point Newton's method reaches (the point "
        "certified is then Newton's, not the file's)"
    )
    if args.model is None:
        return f"start from a closer approximation (--point), {steps}, {accept}"
    separable = ""
    if getattr(args, "loss", None) in ("bce", "cross_entropy"):
        separable = (
            f"the {args.loss} log-loss of a classifier has no critical point when the classes are separable "
            "(its infimum is at infinity); otherwise "
        )
    return (
        f"{separable}--model {args.model} is not a trained critical point to 1%: train longer or to a "
        "tighter "
        "tolerance (scikit-learn: solver='lbfgs', tol=1e-12, a larger max_iter, alpha=0; PyTorch: more "
        f"epochs or L-BFGS, no weight decay), {steps}, {accept}"
    )


def newton_options(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments of :func:`~symcert.proofs.saddle.certify_saddle` for Newton's method."""
    from symcert.proofs.critical_point import MOVE_TOLERANCE

    return {
        "newton_steps": args.newton_steps,
        "max_move": None if args.accept_newton_point else MOVE_TOLERANCE,
        "advice": _advice(args),
    }


def newton_note(args: argparse.Namespace, result: Any) -> str | None:
    """How far Newton's method moved the file's weights (a line for the terminal), or None."""
    from symcert.proofs.critical_point import MOVE_TOLERANCE

    if args.model is None and not args.accept_newton_point:
        return None
    narrow = result.narrow
    source = f"the weights of {args.model}" if args.model else "the approximation"
    scale = 1 + max((abs(float(v)) for v in narrow.center.values), default=0.0)
    line = f"Newton's method moved {source} by {narrow.moved:.3g} (largest coordinate change)"
    if narrow.moved > MOVE_TOLERANCE * scale:
        line += f"; the certified critical point is Newton's, not {source} (--accept-newton-point)"
    return line


def model_problem(args: argparse.Namespace) -> tuple[Any, Any]:
    """``(loss, point)``: the network and exact weights of ``--model``, the loss on ``--data``."""
    from symcert.cli.framework import classifier_hint, framework_loss, loss_kind
    from symcert.cli.models import load_model
    from symcert.models.data import load_data
    from symcert.symbolic.losses import default_output

    if args.data is None:
        raise SpecificationError(
            f"--model {args.model} needs --data FILE (CSV, .npz or .npy) with the training data"
        )
    if args.point is not None:
        raise SpecificationError("--model gives the approximate critical point; drop --point")
    if args.no_bias or args.bias is not None:
        flag = "--no-bias" if args.no_bias else "--bias"
        raise SpecificationError(f"{flag}: with --model the file says which layers have biases; drop {flag}")
    kind = loss_kind(args)
    mlp, point = load_model(args.model, args, args.output_activation or default_output(kind))
    if args.widths is not None and tuple(args.widths) != tuple(mlp.widths):
        raise SpecificationError(
            f"--model {args.model} holds a {mlp.describe()}, but --widths says "
            f"{','.join(map(str, args.widths))}; drop --widths (the file gives them) or give the right file"
        )
    try:
        data = load_data(args.data, mlp, kind)
    except SpecificationError as error:
        raise classifier_hint(args, kind, error) from None
    args.loss = kind
    return framework_loss(argparse.Namespace(**{**vars(args), "weight_decay": "0"}), mlp, data, kind), point
