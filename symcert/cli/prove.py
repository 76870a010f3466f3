"""The ``prove`` and ``check`` commands."""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

from symcert.build.files import write_json
from symcert.cli.cluster import add_cluster_options, executor_of
from symcert.cli.coq_output import refuse_coq, write_coq
from symcert.cli.cost import check_prove_budget
from symcert.cli.data_files import read_dataset, read_point
from symcert.cli.digits import digits_flag, printed_digits, shortfall
from symcert.cli.latex_output import write_derivation
from symcert.cli.messages import command_line_message
from symcert.cli.models import add_model_options, run_model_prove
from symcert.cli.options import add_command, exact_flag, seconds_type
from symcert.cli.plot_output import check_plot_path, write_plot
from symcert.cli.report import Report, report_certificates, report_of
from symcert.cli.symmetry import network_from
from symcert.errors import SpecificationError
from symcert.limits import MAX_DPS, MAX_PROVE_SECONDS, MIN_DPS
from symcert.numeric.contexts import check_dps
from symcert.numeric.engine.chunks import streaming
from symcert.proofs.certificates import Certificate
from symcert.proofs.convexity import prove_convexity
from symcert.proofs.invariance import prove_invariance
from symcert.proofs.kinds import RENAMED, kind_of
from symcert.proofs.nonconvexity import KINDS, certify_nonconvexity
from symcert.proofs.witness import search_witness
from symcert.symbolic.data import Dataset
from symcert.symbolic.examples import default_example
from symcert.symbolic.group import GroupElement, parse_element
from symcert.symbolic.losses import LOSS_KINDS, Loss
from symcert.symbolic.point import Point

__all__ = ["add_prove_parser", "run_prove"]

EXIT_PROVED, EXIT_NOT_PROVED = 0, 1

_DEFAULT_WIDTHS = (1, 2, 1)
#: Data points of the teacher data set (a small exact grid).
_TEACHER_POINTS = 5


def add_prove_parser(commands: argparse._SubParsersAction, network_options: Callable) -> None:
    """Register ``symcert prove``."""
    prove = add_command(
        commands,
        "prove",
        purpose="Certify, rigorously, that a network's loss is not convex (the main job).",
        details="With no options: the default example, a 1-2-1 tanh teacher A (an exact global minimum) "
        "and its swapped copy B = swap(A) (another one), whose midpoint is strictly worse. Kinds: "
        + ", ".join(f"{name} ({kind_of(name).title})" for name in KINDS)
        + ", or all.",
        examples=[
            ("symcert prove", "the default example: proved in a few seconds"),
            ("symcert prove --kind all --json cert.json", "five certificates, cert.KIND.json"),
            ("symcert prove --widths 2,3,1 --activation sigmoid --kind curvature", "another network"),
            ("symcert prove --model net.npz --data train.csv", "your own trained network"),
            (
                "symcert prove --model net.npz --data train.npz --scheduler tcp://host:8786",
                "the sum over data in chunks on a running Dask cluster",
            ),
            ("symcert prove --model cnn.onnx --data digits.npz", "a CNN from ONNX: swap two channels"),
            (
                "symcert prove --model cnn.onnx --data digits.npz --kind curvature",
                "phi''(1/2) < 0 along it (ONNX takes chord, curvature, hessian, orbit, critical_pair)",
            ),
        ],
        prints="the symmetry g with its invariance proof, then per certificate: the statement, the "
        "points A and B = g(A), the rigorous enclosures (6 significant digits rounded outward, so they "
        "still enclose; --digits N for N digits, tightened until they agree; --exact for exact "
        "endpoints, as in the JSON) and the verdict. Exit code 0 "
        "proved, 1 not proved (refuted or undecided), 2 bad input.",
    )
    network_options(prove)
    prove.add_argument(
        "--loss",
        choices=LOSS_KINDS,
        default=None,
        help="the loss (default: mse; with --model and --framework sklearn, scikit-learn's: "
        "cross_entropy or bce for class labels, by the number of classes, squared error otherwise)",
    )
    prove.add_argument("--weight-decay", default="0", help="weight decay lambda >= 0, exact (default: 0)")
    prove.add_argument(
        "--data",
        default="teacher",
        help="'teacher' (targets from a teacher network, exact; default) or a CSV/JSON file "
        "(CSV header x1..xd,y1..ym; exact decimals or p/q)",
    )
    prove.add_argument(
        "--point",
        default=None,
        help='JSON file {"W1": [[...]], "b1": [...], ...} for A (default: the teacher point)',
    )
    prove.add_argument(
        "--seed", type=_seed, default=1, help="seed of the teacher point for non-default networks"
    )
    prove.add_argument(
        "--element",
        default=None,
        help="the symmetry g, B = g(A) (default: the first generator of the group, e.g. swap:1:0,1)",
    )
    prove.add_argument(
        "--group",
        default=None,
        help="with an ONNX model and --kind orbit: the derived group averaged over, e.g. P_conv1 (default: "
        "the first for which it is proved; see symcert group --model FILE.onnx)",
    )
    prove.add_argument(
        "--kind",
        type=_kind,
        choices=(*KINDS, "unique_critical_point", "all"),
        default="chord",
        metavar="KIND",
        help=f"the witness: {', '.join(KINDS)}, all (default: chord); or unique_critical_point "
        "(Krawczyk, for an ONNX model)",
    )
    prove.add_argument(
        "--radius",
        default=None,
        help="with --kind unique_critical_point: the box's half-width r, exact (default: chosen from the "
        "Newton step)",
    )
    prove.add_argument(
        "--dps",
        type=_dps,
        default=50,
        help=f"starting precision in digits, {MIN_DPS} to {MAX_DPS} (default: 50)",
    )
    prove.add_argument(
        "--json",
        metavar="OUT",
        default=None,
        help="write the certificate to OUT (with --kind all: OUT's stem + .KIND.json for each kind)",
    )
    exact_flag(prove)
    digits_flag(prove)
    prove.add_argument(
        "--latex", metavar="OUT.tex", default=None, help="write the derivation as a standalone LaTeX document"
    )
    prove.add_argument(
        "--pdf", metavar="OUT.pdf", default=None, help="with --latex: compile it to OUT.pdf (needs TeX)"
    )
    prove.add_argument(
        "--coq", metavar="OUT.v", default=None, help="write a Coq proof of the certificate to OUT.v"
    )
    prove.add_argument(
        "--check-coq", action="store_true", help="with --coq: check OUT.v with coqc (needs Coq and Interval)"
    )
    prove.add_argument(
        "--plot",
        metavar="OUT.png|.svg|.pdf",
        default=None,
        help="draw the certificate(s) with matplotlib: phi(t) along the segment, the chord and the "
        "certified enclosures (needs the plot extra)",
    )
    prove.add_argument(
        "--budget",
        type=seconds_type("--budget"),
        default=MAX_PROVE_SECONDS,
        help="refuse problems whose estimated proving time exceeds this many seconds "
        f"(default: {MAX_PROVE_SECONDS:.0f}; without --model)",
    )
    add_model_options(prove)
    add_cluster_options(prove)


def _kind(text: str) -> str:
    """``--kind``: an old kind name is read as its new one, with a note on stderr."""
    if text in RENAMED:
        print(f"note: the kind {text!r} is now named {RENAMED[text]!r}", file=sys.stderr)
        return RENAMED[text]
    return text


def _dps(text: str) -> int:
    if not re.fullmatch(r"[0-9]{1,9}", text.strip(), re.ASCII) or not MIN_DPS <= int(text) <= MAX_DPS:
        shown = text if len(text) <= 40 else text[:37] + "..."
        raise argparse.ArgumentTypeError(
            f"--dps must be an integer from {MIN_DPS} to {MAX_DPS}, got {shown!r}"
        )
    return int(text)


def _seed(text: str) -> int:
    if not re.fullmatch(r"[0-9]{1,18}", text.strip(), re.ASCII):
        shown = text if len(text) <= 40 else text[:37] + "..."
        raise argparse.ArgumentTypeError(f"--seed must be a nonnegative integer below 10^18, got {shown!r}")
    return int(text)


def _problem(args: argparse.Namespace) -> tuple[Loss, Point, GroupElement | None]:
    if (
        args.data == "teacher"
        and args.point is None
        and tuple(args.widths) == _DEFAULT_WIDTHS
        and args.activation in (None, "tanh")
        and args.loss == "mse"
        and args.output_activation in (None, "identity")
        and not args.no_bias
        and (args.bias is None or all(args.bias))
        and args.weight_decay in ("0", 0)
        and args.seed == 1
    ):
        example = default_example()
        return example.loss, example.teacher, parse_element(args.element or str(example.element))
    mlp = network_from(args, args.loss)
    kinds = len(KINDS) if args.kind == "all" else 1
    if args.data == "teacher":
        check_prove_budget(mlp.widths, _TEACHER_POINTS, args.budget, kinds, mlp.biases)  # before any work
        teacher = mlp.random_point(seed=args.seed) if args.point is None else read_point(args.point, mlp)
        xs = [[((i * (k + 2)) % 5 - 2) for k in range(mlp.widths[0])] for i in range(_TEACHER_POINTS)]
        data = Dataset.teacher(mlp, teacher, xs)
        A = teacher
    else:
        if args.point is None:
            raise SpecificationError("with --data FILE, give the point A with --point FILE.json")
        data = read_dataset(args.data)
        check_prove_budget(mlp.widths, data.n_points, args.budget, kinds, mlp.biases)
        A = read_point(args.point, mlp)
    loss = Loss(mlp, data, args.loss, args.weight_decay)
    return loss, A, _element(args.element, loss)


def _element(text: str | None, loss: Loss) -> GroupElement | None:
    if text is not None:
        return parse_element(text)
    generators = loss.mlp.symmetry_group().generators
    return generators[0] if generators else None


def run_prove(args: argparse.Namespace) -> int:
    """Certify non-convexity and print the derivation summary (the data summed in chunks, maybe on Dask)."""
    check_dps(args.dps)  # the API's check; the option's type already gave the user's number
    if args.model is not None and str(args.model).lower().endswith(".onnx"):
        from symcert.cli.graph_prove import run_graph_prove  # a layer graph: its own command path

        if args.plot:
            raise SpecificationError("--plot is not available with an ONNX model; drop it")
        return run_graph_prove(args)
    if getattr(args, "group", None) is not None:
        raise SpecificationError("--group applies to an ONNX model with --kind orbit; drop --group")
    with executor_of(args) as executor, streaming(args.chunk_size, executor):
        return _run_prove(args)


def _run_prove(args: argparse.Namespace) -> int:
    if args.kind == "unique_critical_point" or getattr(args, "radius", None) is not None:
        raise SpecificationError(
            "--kind unique_critical_point (and --radius) take an ONNX model (--model F.onnx --data D.npz); "
            "for an MLP use symcert saddle, which certifies its critical point first"
        )
    if args.model is not None:
        if args.coq:
            raise SpecificationError("--coq is not available with --model (large networks); drop --coq")
        if args.plot:
            raise SpecificationError("--plot is not available with --model; drop --plot")
        return run_model_prove(args)
    if args.loss is None:
        args.loss = "mse"
    if args.pdf and not args.latex:
        raise SpecificationError("--pdf needs --latex OUT.tex (the LaTeX source is written first)")
    if args.check_coq and not args.coq:
        raise SpecificationError("--check-coq needs --coq OUT.v (the Coq file is written first)")
    if args.plot:
        check_plot_path(args.plot)  # before any work: a bad file name is refused at once
    loss, A, element = _problem(args)
    if element is None:
        return _without_symmetry(loss, args)
    element.check(loss.mlp)
    kinds = KINDS if args.kind == "all" else (args.kind,)
    if args.coq:
        refuse_coq(loss, kinds)  # before any work: a network too large for coqc is refused at once
    invariance = prove_invariance(loss, element)
    outcomes: list[Certificate | tuple[str, SpecificationError]] = []
    seconds: dict[str, float] = {}  # per kind, for --format json
    for kind in kinds:  # all the work first: a kind that does not apply is refused before any output
        if len(kinds) > 1:  # progress for the long run; one kind answers in seconds, or fails in one line
            print(f"Certifying ({kind}) ...", file=sys.stderr, flush=True)
        try:
            start = time.perf_counter()
            outcomes.append(
                certify_nonconvexity(loss, A, element=element, kind=kind, dps=args.dps, digits=args.digits)
            )
            seconds[f"certify {kind}"] = round(time.perf_counter() - start, 6)
        except SpecificationError as error:
            if len(kinds) == 1:
                raise
            outcomes.append((kind, error))
    lemmas = ", ".join(lemma.name for lemma in invariance.lemmas) or "none needed"
    print(
        f"Symmetry: g = {element}; L(g theta) = L(theta) for all theta: "
        f"{invariance.status} (lemmas: {lemmas})"
    )
    certificates = []
    for certificate in outcomes:
        if isinstance(certificate, tuple):
            print(f"\n[{certificate[0]}] not applicable: {command_line_message(certificate[1])}")
            continue
        certificates.append(certificate)
        print()
        print(certificate.summary(exact=args.exact, digits=printed_digits(args)))
        for note in shortfall(certificate.enclosures, args.digits):
            print(note)
        if args.json:
            _write(certificate, args.json, len(kinds) > 1, report_of(args))
    if args.latex:
        write_derivation(certificates, invariance, args.latex, args.pdf)
    if args.plot and certificates:
        write_plot(certificates, args.plot)
    coq_ok = write_coq(certificates, args.coq, args.check_coq) if args.coq else True
    report = report_of(args)
    if report is not None:
        report.details["symmetry"] = {"element": str(element), "invariance": invariance.status}
        report.details["not_applicable"] = {
            outcome[0]: command_line_message(outcome[1]) for outcome in outcomes if isinstance(outcome, tuple)
        }
        report_certificates(report, certificates, args)
        report.timings.update(seconds)
    return EXIT_PROVED if coq_ok and any(c.proved for c in certificates) else EXIT_NOT_PROVED


def _without_symmetry(loss: Loss, args: argparse.Namespace) -> int:
    """No hidden-unit symmetry: prove convexity where it holds, otherwise search for a witness."""
    convexity = prove_convexity(loss)
    report = report_of(args)
    if convexity.proved:
        if report is not None:
            report.verdict = "convex"
            report.details["convexity"] = {"reason": convexity.reason}
        print(f"The {loss.describe()} is convex: {convexity.reason}.")
        for step in convexity.steps:
            print(f"  {step.name}: {step.text}")
        print("Verdict: no certificate of non-convexity can exist.")
        return EXIT_NOT_PROVED
    print(f"The {loss.describe()} has no hidden-unit symmetry to use; searching for a witness ...")
    result = search_witness(loss, dps=args.dps)
    print(result.message)
    if result.certificate is None:
        return EXIT_NOT_PROVED
    print()
    print(result.certificate.summary(exact=args.exact, digits=printed_digits(args)))
    for note in shortfall(result.certificate.enclosures, args.digits):
        print(note)
    if args.json:
        _write(result.certificate, args.json, False, report)
    if args.latex:
        write_derivation([result.certificate], None, args.latex, args.pdf)
    if args.plot:
        write_plot([result.certificate], args.plot)
    coq_ok = write_coq([result.certificate], args.coq, args.check_coq) if args.coq else True
    if report is not None:
        report_certificates(report, [result.certificate], args)
    return EXIT_PROVED if coq_ok and result.found else EXIT_NOT_PROVED


def _write(certificate: Certificate, out: str, several: bool, report: Report | None = None) -> None:
    path = Path(out)
    if several:
        path = path.with_name(f"{path.stem}.{certificate.kind}.json")
    try:
        write_json(certificate, path)
    except OSError as error:
        raise SpecificationError(f"cannot write {path}: {error.strerror}") from None
    print(f"Certificate written to {path} (re-check: symcert check {path})")
    if report is not None:
        report.file(path, "certificate")
