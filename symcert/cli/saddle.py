"""``symcert saddle``: a certified critical point of a narrow network, its lift, and the inertia there.

>>> from symcert.cli import main
>>> main(["saddle", "--lift", "1:0:x"])
2
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable

from symcert.build.files import write_json
from symcert.cli.data_files import read_dataset, read_point
from symcert.cli.digits import digits_flag, shortfall
from symcert.cli.options import add_command, count_type
from symcert.cli.progress import quiet_flag
from symcert.cli.report import Report, report_of
from symcert.cli.saddle_model import add_saddle_model_options, model_problem, newton_note, newton_options
from symcert.cli.symmetry import hidden_activation, network_from
from symcert.errors import SpecificationError, SymcertError
from symcert.symbolic.exact import to_rational
from symcert.symbolic.losses import LOSS_KINDS, Loss

__all__ = ["add_saddle_parser", "run_saddle", "parse_lift"]

_LIFT = re.compile(r"([0-9]{1,3}):([0-9]{1,4}):(-?[0-9]{1,40}(?:/[0-9]{1,40})?)", re.ASCII)


def parse_lift(text: str) -> tuple[int, int, object]:
    """``LAYER:UNIT:LAM`` such as ``1:0:1/2`` (layer from 1, unit from 0, lam exact)."""
    match = _LIFT.fullmatch(text.strip())
    if match is None:
        raise argparse.ArgumentTypeError(
            f"--lift is LAYER:UNIT:LAM such as 1:0:1/2 (layer from 1, unit from 0, lam exact), got "
            f"{text[:40]!r}"
        )
    try:
        lam = to_rational(match[3], "lam")
    except SymcertError as error:
        raise argparse.ArgumentTypeError(f"--lift {text[:40]}: {error}") from None
    return int(match[1]), int(match[2]), lam


def add_saddle_parser(commands: argparse._SubParsersAction, network_options: Callable) -> None:
    """Register ``symcert saddle``."""
    parser = add_command(
        commands,
        "saddle",
        purpose="Certify a critical point, lift it by duplicating a unit, and prove it is a saddle.",
        details="Proves (Krawczyk) that the gradient of the loss of a narrow network has exactly one zero "
        "in a small box around an approximate critical point; duplicates a hidden unit with outgoing "
        "weights split lam, 1-lam (an exact lift: the wide network has a line of critical points); "
        "certifies the inertia of the wide Hessian there (Sylvester + Gershgorin) and a rational "
        "direction of negative curvature. Without --data, the default example: a 1-1-1 tanh network "
        "on six points, lifted to 1-2-1. --widths are the narrow network's. --model FILE takes your trained "
        "narrow network (with --data) as the approximation: Newton refines it, and a network that is not at "
        "a critical point to 1% is refused with what to do (--newton-steps, --accept-newton-point). "
        "--digits N proves the critical point again in a much smaller box (Newton and Krawczyk in Arb) so "
        "that lambda_min, lambda_min_positive and L(theta*) pin N significant digits.",
        examples=[
            ("symcert saddle", "the default example: a saddle of index 1"),
            ("symcert saddle --widths 1,1,1 --activation tanh --data points.csv --lift 1:0:1/3", "your data"),
            ("symcert saddle --json saddle.json && symcert check saddle.json", "write and re-check"),
            ("symcert saddle --model net.npz --data train.csv", "your trained narrow network (1-H-1 ...)"),
            ("symcert saddle --digits 12", "lambda_min and L(theta*) to 12 significant digits"),
        ],
        prints="progress on stderr, then the critical point's box, L(theta*), the lift, the inertia verdict, "
        "the certified eigenvalues (as the certificate states them, then the prover's tighter ones; 7 "
        "significant digits rounded outward, --digits N for N) and the negative direction. Exit code 0 "
        "when the verdict is proved, 1 when undecided, 2 on bad input (also: an approximation that is "
        "not near a critical point).",
    )
    network_options(parser)
    parser.set_defaults(widths=None)
    parser.add_argument("--data", help="data file: CSV with header x1..xd,y1..ym, or JSON {xs, ys}")
    parser.add_argument("--point", help="JSON file with an approximate critical point (default: search)")
    parser.add_argument(
        "--seed",
        type=count_type("--seed", 0, 2**32 - 1),
        default=0,
        help="seed of the search for a critical point",
    )
    parser.add_argument(
        "--loss",
        choices=LOSS_KINDS,
        default=None,
        help="the loss (default: mse; with --model --framework sklearn on class labels, its log-loss)",
    )
    parser.add_argument(
        "--lift", type=parse_lift, default=None, help="LAYER:UNIT:LAM, e.g. 1:0:1/2 (default: 1:0:1/2)"
    )
    parser.add_argument(
        "--channel",
        default=None,
        help="with --model F.onnx: GROUP:CHANNEL:LAM, the channel of a derived group to duplicate, e.g. "
        "P_conv:0:1/2 (default: the first group's channel 0, lam 1/2)",
    )
    parser.add_argument("--json", metavar="OUT", help="write the saddle certificate (JSON) to OUT")
    parser.add_argument("--latex", metavar="OUT.tex", help="write the argument and its figure as LaTeX")
    parser.add_argument("--pdf", metavar="OUT.pdf", help="compile the LaTeX to a PDF (needs --latex)")
    add_saddle_model_options(parser)
    quiet_flag(parser)
    digits_flag(parser, "lambda_min, lambda_min_positive, L(theta*) and the critical point's box")


def _progress(args: argparse.Namespace, message: str) -> None:
    """A progress message on stderr, unless ``--quiet``."""
    if not getattr(args, "quiet", False):
        print(f"symcert saddle: {message}", file=sys.stderr, flush=True)


def _problem(args: argparse.Namespace) -> tuple[Loss, object]:
    if args.model is not None:
        loss, point = model_problem(args)
        _check_lift(args, loss.mlp.widths)
        return loss, point
    if args.framework != "plain":
        raise SpecificationError(f"--framework {args.framework} describes a --model FILE; give --model")
    args.loss = args.loss or "mse"
    if args.data is None:
        if args.point is not None or args.widths is not None:
            raise SpecificationError(
                "--point and --widths need --data (without --data the default example runs)"
            )
        if args.no_bias or args.bias is not None:
            flag = "--no-bias" if args.no_bias else "--bias"
            raise SpecificationError(
                f"{flag} needs --data and --widths (the default example is a 1-1-1 network with biases), "
                "e.g. symcert saddle --widths 1,1,1 --bias 1,0 --data points.csv"
            )
        from symcert.symbolic.saddle_example import saddle_example

        example = saddle_example(hidden_activation(args))
        return example.loss, example.approx
    args.widths = args.widths or (1, 1, 1)
    loss = Loss(network_from(args, args.loss), read_dataset(args.data), args.loss)
    _check_lift(args, loss.mlp.widths)
    if args.point is not None:
        return loss, read_point(args.point, loss.mlp)
    from symcert.numeric.minima import locate_minimum

    _progress(args, f"searching for a critical point (L-BFGS, seed {args.seed})")
    return loss, locate_minimum(loss, seed=args.seed, refine=False).point


def _check_lift(args: argparse.Namespace, widths: tuple[int, ...]) -> None:
    """Refuse, before any work, a --lift whose layer or unit the narrow network does not have."""
    if args.lift is None:
        return
    layer, unit, _ = args.lift
    if not 1 <= layer <= len(widths) - 2:
        raise SpecificationError(
            f"--lift {layer}:{unit}: the narrow network has hidden layers 1 to {len(widths) - 2}, "
            f"got layer {layer}"
        )
    if not 0 <= unit < widths[layer]:
        raise SpecificationError(
            f"--lift {layer}:{unit}: hidden layer {layer} has units 0 to {widths[layer] - 1}, got unit {unit}"
        )


def run_saddle(args: argparse.Namespace) -> int:
    from symcert.printing.text.results import saddle_to_text
    from symcert.proofs.saddle import certify_saddle

    if args.model is not None and str(args.model).lower().endswith(".onnx"):
        from symcert.cli.graph_saddle import run_graph_saddle  # a layer graph: its own command path

        return run_graph_saddle(args)
    if args.channel is not None:
        raise SpecificationError("--channel takes an ONNX model (--model F.onnx); for an MLP use --lift")
    if args.pdf and not args.latex:
        raise SpecificationError("--pdf needs --latex OUT.tex (the PDF is compiled from it)")
    loss, approx = _problem(args)
    _check_lift(args, loss.mlp.widths)
    layer, unit, lam = args.lift or (1, 0, to_rational("1/2"))
    _progress(args, f"certifying the critical point of the {loss.mlp.describe()} (Newton, Krawczyk)")
    _progress(args, f"lifting unit {unit} of layer {layer} with lam = {lam}; certifying the inertia")
    if args.digits is not None:
        tighten = f"tightening the enclosures to {args.digits} significant digits (Arb Newton, Krawczyk)"
        _progress(args, tighten)
    result = certify_saddle(loss, approx, layer, unit, lam, digits=args.digits, **newton_options(args))
    note = newton_note(args, result)
    if note:
        print(note)
    print(saddle_to_text(result, args.digits))
    _digits_notes(result, args.digits)
    if args.json:
        write_json(result.certificate(), args.json)
        print(f"certificate written to {args.json} (check it with: symcert check {args.json})")
    if args.latex:
        _write_latex(result, args.latex, args.pdf)
    report = report_of(args)
    if report is not None:
        _report(report, result, args)
    return 0 if result.proved else 1


def _digits_notes(result, digits: int | None) -> None:
    """With ``--digits``: a note for each printed enclosure that does not pin ``digits`` digits, and why."""
    if digits is None or not result.narrow.proved:
        return
    from symcert.proofs.saddle_digits import stated

    for line in shortfall(stated(result), digits):
        print(line)
    for line in result.notes:
        print(f"note: {line}")


def _report(report: Report, result, args: argparse.Namespace) -> None:
    """``--format json``: the verdict, the critical point's status, the inertia and its witness."""
    report.verdict = result.status
    inertia = result.inertia
    report.details.update(
        verdict=result.verdict,
        critical_point=result.narrow.status,
        lift={"layer": result.layer, "unit": result.unit, "lam": str(result.lam)},
        wide_network=result.wide_loss.mlp.describe(),
    )
    if inertia is not None:
        report.details["inertia"] = {
            "negative": inertia.negative,
            "zero": inertia.zero,
            "positive": inertia.positive,
            "direction": None if inertia.direction is None else [str(d) for d in inertia.direction],
        }
        if inertia.dHd is not None:
            report.enclosure("d^T H d", *inertia.dHd, context="over the lifted box")
        claims = result.claims
        for name in ("lambda_min", "lambda_min_positive"):
            if name in claims:  # what the certificate states (and the checker re-proves)
                lo, hi = claims[name]
                where = "wide Hessian at the lifted point, as the certificate states it"
                report.enclosure(name, lo, hi, context=where, digits=args.digits)
            elif getattr(inertia, name) is not None:
                lo, hi = getattr(inertia, name)
                where = "wide Hessian at the lifted point (the prover's; not in the certificate)"
                report.enclosure(name, lo, hi, context=where, digits=args.digits)
    if result.loss_value is not None:
        lo, hi = result.loss_value
        report.enclosure("L(theta*)", lo, hi, context="the prover's, over the box", digits=args.digits)
    if result.narrow.margin is not None:
        report.details["krawczyk_margin"] = str(result.narrow.margin)
    for lower, upper in zip(result.wide_lower, result.wide_upper):
        report.enclosure("wide critical point coordinate", lower, upper, context="lifted box")
    for role in ("json", "latex", "pdf"):
        if getattr(args, role, None):
            report.file(getattr(args, role), "certificate" if role == "json" else role)


def _write_latex(result, tex_path: str, pdf_path: str | None) -> None:
    from symcert.build.tex import compile_pdf, standalone_document, write_tex
    from symcert.printing.figures.loss import direction_figure
    from symcert.printing.latex.lift import saddle_to_latex
    from symcert.proofs.saddle import direction_profile

    parts = [saddle_to_latex(result)]
    if result.inertia is not None and result.inertia.direction is not None:
        parts.append(direction_figure(direction_profile(result)))
    title = f"A certified permutation saddle of the {result.wide_loss.mlp.describe()}"
    tex = write_tex(tex_path, standalone_document("\n\n".join(parts), title=title))
    print(f"LaTeX written to {tex}")
    if pdf_path:
        print("symcert saddle: compiling the PDF", file=sys.stderr, flush=True)
        print(f"PDF written to {compile_pdf(tex, pdf_path)}")
