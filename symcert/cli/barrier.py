"""``symcert barrier``: the certified loss barrier between two points, before and after alignment."""

from __future__ import annotations

import argparse
import sys
import textwrap
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

from symcert.build.files import write_json
from symcert.cli.coq_output import COQ_PIECES, refuse_coq, write_barrier_coq
from symcert.cli.data_files import read_dataset, read_point
from symcert.cli.digits import digits_flag, shortfall
from symcert.cli.framework import classifier_hint, framework_loss, loss_kind
from symcert.cli.models import load_model
from symcert.cli.options import add_command, count_type, exact_flag, seconds_type
from symcert.cli.plot_output import check_plot_path, write_plot
from symcert.cli.progress import progress_bar, quiet_flag
from symcert.cli.report import Report, report_of
from symcert.cli.symmetry import network_from, refuse_bias_flags
from symcert.cli.timing import TimeUp, time_limit
from symcert.errors import SpecificationError
from symcert.limits import MAX_BARRIER_PIECES
from symcert.models.accuracy import float_check
from symcert.models.data import load_data
from symcert.models.loaders import FRAMEWORKS
from symcert.numeric.rounding import outward_interval
from symcert.proofs.alignment import align
from symcert.proofs.barrier import DEFAULT_MAX_PIECES, DEFAULT_MAX_SECONDS, BarrierResult, certify_barrier
from symcert.symbolic.data import Dataset
from symcert.symbolic.examples import default_example
from symcert.symbolic.losses import LOSS_KINDS, Loss, default_output

__all__ = ["add_barrier_parser", "run_barrier"]


def add_barrier_parser(commands: argparse._SubParsersAction, network_options: Callable) -> None:
    """Register ``symcert barrier``."""
    parser = add_command(
        commands,
        "barrier",
        purpose="Certify the loss barrier between two networks, optionally after aligning them.",
        details="Encloses, rigorously, sup_t L((1-t)A + tB) - ((1-t)L(A) + tL(B)) (--form midpoint: "
        "minus (L(A)+L(B))/2) to within --tol, by branch and bound over t. With --align, B is first "
        "aligned to A (weight matching with sign flips; the element is exact and its invariance "
        "proved) and both barriers are certified. Without --point, the default example: a teacher A "
        "and its swapped copy B.",
        examples=[
            ("symcert barrier", "the default example: about 4.149"),
            ("symcert barrier --widths 2,3,1 --point A.json --point B.json --align", "before and after"),
            ("symcert barrier --tol 1/10 --coq barrier.v --check-coq", "a Coq proof, checked by coqc"),
            (
                "symcert barrier --model a.npz --model b.npz --data train.csv --activation tanh --align",
                "two trained networks",
            ),
            (
                "symcert barrier --model a.onnx --model b.onnx --data digits.npz --loss cross_entropy "
                "--align",
                "two ONNX networks",
            ),
        ],
        prints="the enclosure of the barrier (6 significant digits rounded outward; --digits N for N, "
        "tightened until they agree, with L(A) and L(B); --exact for exact endpoints), where the "
        "maximum lies, the number of pieces and the time; with --align also the "
        "element g and the barrier after alignment. Exit code 0 when every enclosure is certified, "
        "1 when a cap stopped it first.",
    )
    network_options(parser)
    parser.add_argument(
        "--loss",
        choices=LOSS_KINDS,
        default=None,
        help="the loss (default: mse; with --framework sklearn, scikit-learn's: cross_entropy or bce for "
        "class labels, by the number of classes, and squared error otherwise)",
    )
    parser.add_argument(
        "--weight-decay",
        type=_decay,
        default=Fraction(0),
        metavar="LAMBDA",
        help="add LAMBDA times the sum of squared weights (not biases), exact, >= 0 (default 0); with "
        "--framework sklearn it is scikit-learn's alpha: the penalty is alpha/(2n) sum W^2",
    )
    parser.add_argument(
        "--point",
        action="append",
        default=None,
        metavar="FILE.json",
        help='give twice: A then B, JSON {"W1": [[...]], "b1": [...], ...}',
    )
    parser.add_argument(
        "--data",
        default="teacher",
        help="'teacher' (targets from A, exact; default) or a CSV/JSON file (CSV header x1..xd,y1..ym); "
        "with --model also .npz (X, y) or .npy",
    )
    parser.add_argument("--align", action="store_true", help="also certify the barrier after aligning B to A")
    parser.add_argument("--tol", type=_tol, default=Fraction(1, 1000), help="width of the enclosure (1e-3)")
    parser.add_argument("--form", choices=("entezari", "midpoint"), default="entezari", help="the chord")
    parser.add_argument(
        "--max-pieces",
        type=count_type("--max-pieces", 1, MAX_BARRIER_PIECES),
        default=DEFAULT_MAX_PIECES,
        help=f"cap on pieces ({DEFAULT_MAX_PIECES})",
    )
    parser.add_argument(
        "--max-seconds",
        type=seconds_type("--max-seconds"),
        default=DEFAULT_MAX_SECONDS,
        help=f"cap on the whole command's time in seconds ({DEFAULT_MAX_SECONDS:g}): each phase (branch and "
        "bound, alignment, the aligned barrier) gets what is left and is stopped, with a message, if it "
        "would run past it",
    )
    parser.add_argument(
        "--json",
        metavar="OUT",
        default=None,
        help="write the certificate to OUT (with --align: OUT's stem + .before.json and .after.json)",
    )
    parser.add_argument(
        "--coq",
        metavar="OUT.v",
        default=None,
        help="write a Coq proof of the barrier's enclosure (before alignment) to OUT.v: every piece's bound "
        f"and the witness's by interval; small networks only, and --max-pieces is then at most {COQ_PIECES}",
    )
    parser.add_argument(
        "--check-coq", action="store_true", help="with --coq: check OUT.v with coqc (needs Coq and Interval)"
    )
    parser.add_argument(
        "--model",
        action="append",
        default=None,
        metavar="FILE",
        help="give twice: trained networks A then B (.npz W1,b1,..., JSON, or a PyTorch .safetensors "
        "state dict), loaded exactly; needs --data FILE (CSV, .npz or .npy); the activation is the one the "
        "file records (--activation where it records none). "
        "Two ONNX models (A.onnx, B.onnx: one layer graph) take --data FILE.npz (X, y) and --loss; "
        "--align aligns them over the graph's derived groups",
    )
    parser.add_argument(
        "--framework",
        choices=FRAMEWORKS,
        default="plain",
        help="layout of --model (default: by suffix); sklearn: the loss is scikit-learn's, with its 1/2 "
        "factor on squared error, the mean over samples and --weight-decay read as alpha (alpha/(2n))",
    )
    exact_flag(parser)
    digits_flag(parser, "the barrier's enclosure and L(A), L(B)")
    quiet_flag(parser)
    parser.add_argument(
        "--latex",
        metavar="OUT.tex",
        default=None,
        help="write a report with the figure (ONNX models: the statement, the table of nodes, the partition "
        "table and the witness of each barrier)",
    )
    parser.add_argument("--pdf", metavar="OUT.pdf", default=None, help="with --latex: compile it (needs TeX)")
    parser.add_argument(
        "--plot",
        metavar="OUT.png|.svg|.pdf",
        default=None,
        help="draw phi(t), the certified band and the chord with matplotlib (needs the plot extra)",
    )
    study = parser.add_argument_group(
        "many pairs (needs Dask: pip install 'symcert[dask]')",
        textwrap.fill(
            "--manifest PAIRS.csv --out RESULTS/ certifies every pair of the manifest, one certificate per "
            "barrier (RESULTS/NAME.json; with align also NAME.before.json) and RESULTS/summary.csv (pair, "
            "variant, status, barrier_lo, barrier_hi, seconds, computed). Resumable: a result file that is "
            "complete and accepted by the checker is kept, not recomputed; files are written atomically. "
            "Manifest: a CSV with a header; columns name, model_a, model_b, data (required; paths relative "
            "to the manifest: .npz/.json/.safetensors models, CSV/.npz/.npy data), align (yes/no, default "
            "no), tol (default 1e-3), form (entezari/midpoint), activation (default tanh), loss (default "
            "cross_entropy), output (default from the loss). Example row: "
            "pair1,a.npz,b.npz,digits.csv,yes,1e-3. A row of two ONNX models (a.onnx, b.onnx: one layer "
            "graph) takes .npz data (X, y), leaves activation and output empty, and gets the graph "
            "barrier (align: over the graph's derived groups); such rows mix with the others",
            88,
        ),
    )
    study.add_argument("--manifest", metavar="PAIRS.csv", default=None, help="the study's pairs (see above)")
    study.add_argument("--out", metavar="RESULTS", default=None, help="with --manifest: the results folder")
    study.add_argument(
        "--workers",
        type=count_type("--workers", 1, 256),
        default=2,
        help="workers of the local Dask cluster (processes; default 2)",
    )
    study.add_argument(
        "--scheduler", metavar="ADDRESS", default=None, help="use a running Dask scheduler (tcp://host:8786)"
    )
    study.add_argument(
        "--threads",
        action="store_true",
        help="run the local workers as threads of this process (no process start-up; small studies)",
    )
    study.add_argument(
        "--no-recheck",
        action="store_true",
        help="keep any complete result file without running the checker on it when resuming",
    )


def _tol(text: str) -> Fraction:
    try:
        value = Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise argparse.ArgumentTypeError(
            f"--tol must be a positive number such as 1e-3, got {text[:40]!r}"
        ) from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"--tol must be > 0, got {text[:40]!r}")
    return value


def _decay(text: str) -> Fraction:
    try:
        value = Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise argparse.ArgumentTypeError(
            f"--weight-decay must be a number >= 0 such as 1e-4 or 1/100, got {text[:40]!r}"
        ) from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"--weight-decay must be >= 0, got {text[:40]!r}")
    return value


def _models(args: argparse.Namespace) -> tuple[Loss, object, object]:
    """``--model A --model B --data FILE``: two trained networks of one shape, loaded exactly."""
    if args.point is not None:
        raise SpecificationError("give the two networks with --model or with --point, not both")
    if len(args.model) != 2:
        raise SpecificationError(f"give exactly two models (--model A --model B), got {len(args.model)}")
    if args.data == "teacher":
        raise SpecificationError("--model needs --data FILE (CSV, .npz or .npy) with the training data")
    kind = loss_kind(args)
    output = args.output_activation or default_output(kind)
    mlp, A = load_model(args.model[0], args, output)
    mlp_b, B = load_model(args.model[1], args, output)
    if mlp_b != mlp:
        raise SpecificationError(
            f"--model {args.model[0]} is a {mlp.describe()} but --model {args.model[1]} a "
            f"{mlp_b.describe()}; a barrier needs two networks of the same shape"
        )
    try:
        data = load_data(args.data, mlp, kind)
    except SpecificationError as error:
        raise classifier_hint(args, kind, error) from None
    return framework_loss(args, mlp, data, kind), A, B


def _problem(args: argparse.Namespace):
    if args.model is not None:
        return _models(args)
    if args.point is None:
        if args.data != "teacher":
            raise SpecificationError(
                "with --data FILE, give the two points with --point A.json --point B.json"
            )
        if args.weight_decay or args.loss not in (None, "mse") or args.framework != "plain":
            raise SpecificationError(
                "the default example has its own loss (mse, no weight decay); give --point A.json "
                "--point B.json or --model A --model B to choose --loss, --weight-decay or --framework"
            )
        refuse_bias_flags(args, "--point A.json --point B.json")
        example = default_example()
        return example.loss, example.teacher, example.element(example.teacher)
    if len(args.point) != 2:
        raise SpecificationError(
            f"give exactly two points (--point A.json --point B.json), got {len(args.point)}"
        )
    kind = loss_kind(args)
    mlp = network_from(args, kind)
    A, B = (read_point(path, mlp) for path in args.point)
    if args.data == "teacher":
        xs = [[((i * (k + 2)) % 5 - 2) for k in range(mlp.widths[0])] for i in range(5)]
        data = Dataset.teacher(mlp, A, xs)
    else:
        data = read_dataset(args.data)
    return framework_loss(args, mlp, data, kind), A, B


def run_barrier(args: argparse.Namespace) -> int:
    """Certify the barrier (and after alignment with --align); exit 0 when every enclosure is proved."""
    from symcert.cli.graph_barrier import is_onnx, run_graph_barrier

    if is_onnx(args) and args.manifest is None:
        return run_graph_barrier(args)
    if args.manifest is not None or args.out is not None:
        return _run_manifest(args)
    if args.pdf and not args.latex:
        raise SpecificationError("--pdf needs --latex OUT.tex (the LaTeX source is written first)")
    if args.plot:
        check_plot_path(args.plot)
    if args.check_coq and not args.coq:
        raise SpecificationError("--check-coq needs --coq OUT.v (the Coq file is written first)")
    loss, A, B = _problem(args)  # everything that may be refused, before any progress line
    if args.coq:
        refuse_coq(loss, ["barrier"])  # before any work: a network too large for coqc is refused at once
    start = time.perf_counter()
    if args.model is not None:
        for name, point in zip(("A", "B"), (A, B)):
            print(f"Model {name}: {float_check(loss, point)} (float64, evidence only)")
    pieces = min(args.max_pieces, COQ_PIECES) if args.coq else args.max_pieces
    options = dict(tol=args.tol, form=args.form, max_pieces=pieces, digits=args.digits)
    say(args, f"Certifying the barrier between A and B ({loss.describe()}) ...")
    # --max-seconds caps the whole command: each phase gets what is left, and a phase that would run
    # past it is stopped (its own cap is checked only between rounds; the first round can be long)
    before = _bounded(args, start, "Barrier:         ", "branch and bound (A, B)", loss, A, B, options)
    if before is None:
        print("Nothing written: raise --max-seconds (or --tol) to get a certified enclosure")
        report = report_of(args)
        if report is not None:
            report.verdict = "undecided"
            report.details.update(form=args.form, tol=str(args.tol), aligned=bool(args.align), stopped=True)
        return 1
    panels = [("before alignment", before)]
    print(f"Barrier:         {before.summary(exact=args.exact, digits=args.digits)}")
    _shortfall(before, args.digits, "before alignment" if args.align else "")
    stopped = False
    if args.align:  # alignment and the second barrier share what is left
        say(args, "Aligning B to A (weight matching) ...")
        try:
            # the symmetry is proved on the network function (no data): a structural argument per factor
            alignment = time_limit(_left(args, start), lambda: align(A, B))
        except TimeUp:
            stopped = True
            print(f"Alignment:       stopped by --max-seconds {args.max_seconds:g} before it finished")
        else:
            proof = alignment.proof.status if alignment.proof is not None else "not attempted"
            print(f"Alignment:       g = {alignment.element}; g(B) computes the same function as B: {proof}")
            say(args, "Certifying the barrier between A and g(B) ...")
            label, phase = "Aligned barrier: ", "branch and bound (A, g(B))"
            after = _bounded(args, start, label, phase, loss, A, alignment.aligned, options)
            if after is None:
                stopped = True
            else:
                panels.append(("after alignment", after))
                print(f"Aligned barrier: {after.summary(exact=args.exact, digits=args.digits)}")
                _shortfall(after, args.digits, "after alignment")
    report = report_of(args)
    if args.json:
        _write_json(panels, args.json, args.align, report)
    if args.latex:
        _write_latex(panels, args.latex, args.pdf)
    if args.plot:
        write_plot([result for _, result in panels], args.plot, titles=[title for title, _ in panels])
    coq_ok = write_barrier_coq(panels[0][1], args.coq, args.check_coq) if args.coq else True
    proved = not stopped and coq_ok and all(r.status == "proved" for _, r in panels)
    if report is not None:
        _report(report, panels, args, stopped, proved)
    return 0 if proved else 1


def _report(
    report: Report,
    panels: list[tuple[str, BarrierResult]],
    args: argparse.Namespace,
    stopped: bool,
    proved: bool,
) -> None:
    """``--format json``: each barrier's enclosure, where its maximum lies, its pieces and its time."""
    report.verdict = "proved" if proved else "undecided"
    report.details.update(form=args.form, tol=str(args.tol), aligned=bool(args.align), stopped=stopped)
    report.details["barriers"] = []
    for title, result in panels:
        report.enclosure("barrier", result.lo, result.hi, context=title, digits=args.digits)
        if args.digits is not None and not result.exact:  # printed with --digits: reported too
            report.enclosure("L(A)", *result.LA, context=title, digits=args.digits)
            report.enclosure("L(B)", *result.LB, context=title, digits=args.digits)
        report.enclosure("maximiser t", *result.maximiser, context=title, digits=4)
        report.details["barriers"].append(
            {
                "context": title,
                "status": result.status,
                "pieces": result.n_pieces,
                "witness": str(result.witness),
            }
        )
        report.timings[f"barrier {title}"] = round(result.seconds, 6)
    for role in ("latex", "pdf", "plot", "coq"):
        if getattr(args, role, None):
            report.file(getattr(args, role), role)


def _shortfall(result: BarrierResult, digits: int | None, where: str) -> None:
    """With ``--digits``: L(A) and L(B) with that many digits, and a note where they were not reached."""
    if digits is None or result.exact:
        return
    for name, bounds in (("L(A)", result.LA), ("L(B)", result.LB)):
        print(f"  {name} in {outward_interval(*bounds, digits, pad=True)}")
    found = {"barrier": (result.lo, result.hi), "L(A)": result.LA, "L(B)": result.LB}
    for note in shortfall(found, digits, where):
        print(note)


def say(args: argparse.Namespace, text: str) -> None:
    """A progress message on stderr, unless ``--quiet``."""
    if not getattr(args, "quiet", False):
        print(text, file=sys.stderr, flush=True)


def _bounded(
    args: argparse.Namespace, start: float, label: str, phase: str, loss: Any, A: Any, B: Any, options: dict
) -> BarrierResult | None:
    """``certify_barrier`` within the seconds of --max-seconds left, or None (said on stdout) when they
    ran out before it returned. Its own cap ends branch and bound "undecided" between rounds; this one
    also stops a round (or the first partition's pass) that would run past the limit."""

    def step() -> BarrierResult:
        with progress_bar(args, phase, unit="piece") as bar:
            return certify_barrier(loss, A, B, max_seconds=_left(args, start), progress=bar, **options)

    try:
        return time_limit(_left(args, start), step)
    except TimeUp:
        print(f"{label}stopped by --max-seconds {args.max_seconds:g} before it finished")
        return None


def _left(args: argparse.Namespace, start: float) -> float:
    """The seconds of --max-seconds not yet spent (at least a millisecond, so a cap is met, not skipped)."""
    return max(args.max_seconds - (time.perf_counter() - start), 1e-3)


def _write_json(
    panels: list[tuple[str, BarrierResult]], out: str, aligned: bool = False, report: Report | None = None
) -> None:
    if not aligned:
        write_json(panels[0][1].certificate(), out)
        print(f"Certificate written to {out}", file=sys.stderr)
        if report is not None:
            report.file(out, "certificate")
        return
    stem = Path(out).with_suffix("")
    for (title, result), name in zip(panels, ("before", "after")):
        path = f"{stem}.{name}.json"
        write_json(result.certificate(), path)
        print(f"Certificate ({title}) written to {path}", file=sys.stderr)
        if report is not None:
            report.file(path, "certificate")


def _write_latex(panels: list[tuple[str, BarrierResult]], tex: str, pdf: str | None) -> None:
    from symcert.build.tex import compile_pdf, standalone_document, write_tex
    from symcert.printing.figures.barrier import barrier_document_body

    write_tex(tex, standalone_document(barrier_document_body(panels), "Certified loss barrier"))
    print(f"LaTeX written to {tex}", file=sys.stderr)
    if pdf:
        compile_pdf(tex, pdf)
        print(f"PDF written to {pdf}", file=sys.stderr)


def _run_manifest(args: argparse.Namespace) -> int:
    """``--manifest PAIRS.csv --out RESULTS``: every pair on Dask; exit 0 when every barrier is proved."""
    from symcert.batch import run_manifest

    if args.manifest is None or args.out is None:
        raise SpecificationError("--manifest PAIRS.csv and --out RESULTS go together; give both")
    if args.point is not None or args.align or args.json or args.latex or args.coq:
        raise SpecificationError(
            "with --manifest, the pairs and their options come from the manifest; drop --point, --align, "
            "--json, --latex and --coq"
        )
    start = time.perf_counter()

    def say(text: str) -> None:
        print(f"[{time.perf_counter() - start:7.1f} s] {text}", file=sys.stderr, flush=True)

    rows = run_manifest(
        args.manifest,
        args.out,
        workers=args.workers,
        scheduler=args.scheduler,
        processes=not args.threads,
        recheck=not args.no_recheck,
        progress=say,
    )
    proved = sum(r["status"] == "proved" for r in rows)
    print(f"{proved} of {len(rows)} barriers proved; summary in {Path(args.out) / 'summary.csv'}")
    report = report_of(args)
    if report is not None:  # the summary's rows, as strings, and the summary file
        report.verdict = "proved" if proved == len(rows) else "undecided"
        report.details["pairs"] = [{key: str(value) for key, value in row.items()} for row in rows]
        report.file(Path(args.out) / "summary.csv", "summary")
    return 0 if proved == len(rows) else 1
