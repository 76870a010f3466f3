"""``symcert connect``: a certified connecting path between two networks (mode connectivity).

Without ``--point`` it prints the contrast of Şimşek et al. (2021): in the minimal 1-2-1 teacher the
straight segment from ``A`` to ``swap(A)`` has a certified positive barrier, while in the 1-3-1
student with one dead unit ``A`` and ``swap(A)`` are joined by seven exact moves at loss exactly 0.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

from symcert.build.files import write_json
from symcert.cli.barrier import _tol
from symcert.cli.data_files import read_dataset, read_point
from symcert.cli.options import add_command, count_type, exact_flag, seconds_type
from symcert.cli.plot_output import check_plot_path
from symcert.cli.progress import progress_bar, quiet_flag
from symcert.cli.symmetry import network_from, refuse_bias_flags
from symcert.errors import SpecificationError
from symcert.limits import MAX_BARRIER_PIECES
from symcert.printing.path import path_latex, save_path_plot  # also registers the path printers
from symcert.proofs.barrier import DEFAULT_MAX_PIECES, DEFAULT_MAX_SECONDS
from symcert.proofs.graph_path import level_verdict
from symcert.proofs.moves import simsek_contrast, symmetry_chain
from symcert.proofs.path import CURVES, PathResult, certify_path
from symcert.symbolic.data import Dataset
from symcert.symbolic.elements import parse_element
from symcert.symbolic.losses import LOSS_KINDS, Loss

__all__ = ["add_connect_parser", "run_connect"]


def add_connect_parser(commands: argparse._SubParsersAction, network_options: Callable) -> None:
    """Register ``symcert connect``."""
    parser = add_command(
        commands,
        "connect",
        purpose="Certify a low-loss path between two networks: L <= level along the whole path.",
        details="Encloses, rigorously, the sup of the loss along the polygonal chain A, --via points, B "
        "(--curve bezier: quadratic Bezier curves, each --via a control point, then every second one a "
        "point of the path) to within --tol, by branch and bound over t on each segment. A straight "
        "segment that rotates a dead unit's incoming weights, or shifts outgoing weight between two "
        "units with equal incoming weights, is an exact move: the network function is unchanged "
        "(proved symbolically), so the loss is constant along it. With --element, the path from A to "
        "g(A) is built from such moves (Simsek et al. 2021). Without --point, the default example: the "
        "1-2-1 teacher's straight segment to swap(A), and the 1-3-1 student's exact path. With two ONNX "
        "models (--model A.onnx --model B.onnx --data F.npz), B is first aligned to A over the graph's "
        "derived groups (--no-align: B as given) and the path is the straight segment A -> g(B) (through "
        "--via C.onnx ..., as given); every segment is bounded by pieces, except a softmax translation "
        "(the logits' bias moved by one constant, with --loss cross_entropy), an exact move. "
        "--level X asks whether L <= X along the whole path: proved, refuted or undecided.",
        examples=[
            ("symcert connect", "the contrast: a barrier of about 4.149, then a path at loss exactly 0"),
            ("symcert connect --widths 1,3,1 --point A.json --element swap:1:0,1", "exact moves"),
            ("symcert connect --widths 2,3,1 --point A.json --via P.json --point B.json", "a chain"),
            (
                "symcert connect --model a.onnx --model b.onnx --data d.npz --loss cross_entropy --level 1",
                "A -> g(B) after alignment, and whether L <= 1 along it",
            ),
        ],
        prints="per path: the enclosure of sup L (6 significant digits rounded outward; --exact for "
        "exact endpoints), the verdict, and its segments (exact moves, or pieces). Exit code 0 when "
        "every enclosure is certified (and, with --level, L <= level is proved), 1 when a cap stopped it "
        "first (or the level is refuted or undecided), 2 for bad input.",
    )
    network_options(parser)
    parser.add_argument("--loss", choices=LOSS_KINDS, default="mse", help="the loss (default: mse)")
    parser.add_argument(
        "--point",
        action="append",
        default=None,
        metavar="FILE.json",
        help='A, then B (B may be left out with --element); JSON {"W1": [[...]], "b1": [...], ...}',
    )
    parser.add_argument(
        "--model",
        action="append",
        default=None,
        metavar="FILE.onnx",
        help="A, then B: two ONNX models of one layer graph (needs --data FILE.npz with X and y)",
    )
    parser.add_argument(
        "--via",
        action="append",
        default=[],
        metavar="P.json",
        help="a point the path goes through, in order (--curve bezier: a control point; with --model, "
        "an ONNX model C.onnx)",
    )
    parser.add_argument(
        "--no-align",
        action="store_true",
        help="with --model: connect A to B as given, not to B aligned to A over the derived groups",
    )
    parser.add_argument(
        "--level",
        type=_level,
        default=None,
        metavar="X",
        help="also decide L <= X along the whole path (proved: sup's upper end <= X; refuted: a certified "
        "point above X; else undecided)",
    )
    parser.add_argument(
        "--element",
        default=None,
        help="build the path from A to g(A) by exact moves, g a swap or permutation of one hidden layer "
        "(e.g. swap:1:0,1); the layer needs a dead unit or two units with equal incoming weights",
    )
    parser.add_argument("--curve", choices=CURVES, default="chain", help="chain (default) or bezier")
    parser.add_argument(
        "--data",
        default="teacher",
        help="'teacher' (targets from A, exact; default) or a CSV/JSON file (CSV header x1..xd,y1..ym)",
    )
    parser.add_argument("--tol", type=_tol, default=Fraction(1, 1000), help="width of the enclosure (1e-3)")
    parser.add_argument(
        "--max-pieces",
        type=count_type("--max-pieces", 1, MAX_BARRIER_PIECES),
        default=DEFAULT_MAX_PIECES,
        help=f"cap on pieces per segment ({DEFAULT_MAX_PIECES})",
    )
    parser.add_argument(
        "--max-seconds",
        type=seconds_type("--max-seconds"),
        default=DEFAULT_MAX_SECONDS,
        help=f"cap on time per segment ({DEFAULT_MAX_SECONDS:g})",
    )
    parser.add_argument(
        "--json",
        metavar="OUT",
        default=None,
        help="write the path certificate to OUT (default example: OUT's stem + .straight.json and "
        ".path.json)",
    )
    exact_flag(parser)
    quiet_flag(parser)
    parser.add_argument("--latex", metavar="OUT.tex", default=None, help="write a LaTeX report of the path")
    parser.add_argument(
        "--plot",
        metavar="OUT.png|.svg|.pdf",
        default=None,
        help="draw the certified loss along the path with matplotlib (needs the plot extra)",
    )


def _level(text: str) -> Fraction:
    try:
        return Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise argparse.ArgumentTypeError(
            f"--level must be a number such as 1/2 or 0.25, got {text[:40]!r}"
        ) from None


def _problems(args: argparse.Namespace) -> list[tuple[str, Loss, list]]:
    if args.point is None:
        if args.via or args.element or args.data != "teacher":
            raise SpecificationError("--via, --element and --data need --point A.json (and B)")
        refuse_bias_flags(args, "--point A.json")
        return list(simsek_contrast())
    if not 1 <= len(args.point) <= 2:
        raise SpecificationError(f"give --point A.json and --point B.json, got {len(args.point)} points")
    if (len(args.point) == 1) == (args.element is None):
        raise SpecificationError("give either two points (--point A --point B) or one point and --element")
    mlp = network_from(args, args.loss)
    A = read_point(args.point[0], mlp)
    if args.data == "teacher":
        xs = [[((i * (k + 2)) % 5 - 2) for k in range(mlp.widths[0])] for i in range(5)]
        data = Dataset.teacher(mlp, A, xs)
    else:
        data = read_dataset(args.data)
    loss = Loss(mlp, data, args.loss)
    if args.element is not None:
        if args.via or args.curve != "chain":
            raise SpecificationError("--element builds the whole path; drop --via and --curve")
        return [(f"exact moves A -> {args.element}(A)", loss, symmetry_chain(A, parse_element(args.element)))]
    points = [A, *(read_point(p, mlp) for p in args.via), read_point(args.point[1], mlp)]
    if args.curve == "bezier" and len(points) % 2 == 0:
        raise SpecificationError(
            f"--curve bezier needs an odd number of control points (A, --via ..., B), got {len(points)}; "
            "give one --via per curve, plus one point between curves"
        )
    return [(f"path through {len(points)} points", loss, points)]


def run_connect(args: argparse.Namespace) -> int:
    """Certify each path; exit 0 when every enclosure is proved."""
    if args.model is not None:
        from symcert.cli.graph_connect import run_graph_connect

        return run_graph_connect(args)
    if args.no_align:
        raise SpecificationError("--no-align needs two ONNX models (--model A.onnx --model B.onnx)")
    if args.plot:
        check_plot_path(args.plot)
    problems = _problems(args)  # everything that may be refused, before any progress line
    results = []
    levels: list[str] = []
    for title, loss, points in problems:
        if not args.quiet:
            print(f"Certifying {title} ({loss.describe()}) ...", file=sys.stderr, flush=True)
        with progress_bar(args, f"bounding the {title}", unit="segment") as bar:
            result = certify_path(
                loss,
                points,
                curve=args.curve,
                tol=args.tol,
                max_pieces=args.max_pieces,
                max_seconds=args.max_seconds,
                progress=bar,
            )
        results.append((title, result))
        print(f"{title}:")
        print(f"  {result.summary(exact=args.exact)}")
        if args.level is not None:
            levels.append(level_verdict(result, args.level))
            print(f"  Level: L <= {args.level} along the whole path: {levels[-1]}")
    if args.point is None:
        print(
            "A certified barrier separates the minimal network's two minima; "
            "one more unit joins them at L = 0."
        )
    if args.json:
        _write_json(results, args.json, args.point is None)
    if args.latex:
        _write_latex(results, args.latex)
    if args.plot:
        save_path_plot(results, args.plot)
        print(f"Plot written to {args.plot}", file=sys.stderr)
    proved = all(r.status == "proved" for _, r in results) and all(v == "proved" for v in levels)
    return 0 if proved else 1


def _write_json(results: list[tuple[str, PathResult]], out: str, contrast: bool) -> None:
    if not contrast:
        write_json(results[0][1].certificate(), out)
        print(f"Certificate written to {out}", file=sys.stderr)
        return
    stem = Path(out).with_suffix("")
    for (_, result), name in zip(results, ("straight", "path")):
        path = f"{stem}.{name}.json"
        write_json(result.certificate(), path)
        print(f"Certificate written to {path}", file=sys.stderr)


def _write_latex(results: list[tuple[str, PathResult]], tex: str) -> None:
    from symcert.build.tex import standalone_document, write_tex

    arrow = r"$\to$"
    body = "\n".join(
        "\\section*{" + title.replace("->", arrow) + "}\n" + path_latex(r) for title, r in results
    )
    write_tex(tex, standalone_document(body, "Certified connecting paths"))
    print(f"LaTeX written to {tex}", file=sys.stderr)
