"""``symcert check``: re-check a certificate file, with the independent checker only.

Nothing here imports the prover or SymPy unless ``--coq`` asks for a Coq proof to be bound to the
certificate (that regenerates the Coq statement with the prover's printer): ``symcert check FILE``
starts as fast as the checker does.
"""

from __future__ import annotations

import argparse

from symcert.cli.cluster import add_cluster_options, executor_of
from symcert.cli.options import add_command, seconds_type
from symcert.cli.progress import progress_bar, quiet_flag
from symcert.cli.report import report_of
from symcert.limits import MAX_CHECK_SECONDS

__all__ = ["add_check_parser", "run_check"]

EXIT_PROVED, EXIT_NOT_PROVED = 0, 1


def add_check_parser(commands: argparse._SubParsersAction) -> None:
    """Register ``symcert check``."""
    checker = add_command(
        commands,
        "check",
        purpose="Re-check a certificate file independently of the prover that wrote it.",
        details="The checker reads the JSON strictly, rebuilds the network, data and loss from the "
        "statement, recomputes the claim with its own interval arithmetic (Arb), and accepts only what "
        "it re-proves. It shares no code with the prover.",
        examples=[
            ("symcert prove --json cert.json && symcert check cert.json", "write a certificate, re-check it"),
            ("symcert check cert.json --arithmetic mpmath", "re-check with mpmath intervals, the reference"),
            ("symcert check cert.json --workers 4", "the sum over data in chunks on 4 local processes"),
            (
                "symcert prove --coq proof.v --json cert.json && symcert check cert.json --coq proof.v",
                "also check a Coq proof of it (needs coqc)",
            ),
        ],
        prints="what it re-proved, then ACCEPTED or REJECTED with the reasons; with --coq also coqc's "
        "verdict and the axioms the proof rests on, one per line. Exit code 0 accepted, 1 rejected, "
        "2 malformed or over the budget.",
    )
    checker.add_argument("certificate", help="a certificate JSON file")
    checker.add_argument(
        "--arithmetic",
        choices=("arb", "mpmath"),
        default="arb",
        help="the checker's arithmetic: Arb balls batched over the data (default) or mpmath intervals",
    )
    checker.add_argument(
        "--budget",
        type=seconds_type("--budget"),
        default=MAX_CHECK_SECONDS,
        help="refuse certificates whose estimated checking time exceeds this many seconds "
        f"(default: {MAX_CHECK_SECONDS:.0f})",
    )
    checker.add_argument(
        "--coq",
        metavar="FILE.v",
        default=None,
        help="also check a Coq proof of the certificate: its statement must be the one regenerated from "
        "the JSON (only proof scripts may differ), then coqc must accept it with standard axioms only",
    )
    quiet_flag(checker)
    add_cluster_options(checker)


def run_check(args: argparse.Namespace) -> int:
    """Re-check a certificate file (and, with ``--coq``, a Coq proof bound to it)."""
    if args.coq is not None:
        from symcert.build.coq_binding import read_coq_source  # the prover's side: only with --coq

        read_coq_source(args.coq)  # a malformed or unreadable .v file is bad input: exit 2 before any work
    from symcert.checker import check  # python-flint and mpmath: only when a file is checked

    # Dask only with --workers or --scheduler
    with (
        executor_of(args) as executor,
        progress_bar(args, f"checking {args.certificate}", unit="step") as bar,
    ):
        result = check(
            args.certificate,
            arithmetic=args.arithmetic,
            budget=args.budget,
            progress=bar,
            chunk_size=args.chunk_size,
            executor=executor,
        )
    report = report_of(args)
    if report is not None:
        report.verdict = "accepted" if result.accepted else "rejected"
        report.details.update(
            kind=result.kind,
            certificate=args.certificate,
            arithmetic=args.arithmetic,
            reasons=list(result.reasons),
            dps=result.dps,
            estimated_seconds=result.estimate,
        )
        for name, (lower, upper) in result.enclosures.items():
            report.enclosure(name, lower, upper, context="checker")
    for reason in result.reasons:
        print(f"  {reason}")
    print(f"{'ACCEPTED' if result.accepted else 'REJECTED'}: {result.kind} certificate {args.certificate}")
    if not result.accepted:
        return EXIT_NOT_PROVED
    if args.coq is None:
        return EXIT_PROVED
    from symcert.build.coq_binding import check_coq_binding
    from symcert.cli.coq_output import axioms_text

    bound = check_coq_binding(args.certificate, args.coq)
    if report is not None:
        report.verdict = "accepted" if bound.accepted else "rejected"
        report.details["coq"] = {"file": args.coq, "accepted": bound.accepted, "reasons": list(bound.reasons)}
    for reason in bound.reasons:
        print(f"  {reason}")
    if bound.accepted and bound.coq is not None:
        print(axioms_text(bound.coq.axioms))
    print(f"{'ACCEPTED' if bound.accepted else 'REJECTED'}: Coq proof {args.coq}")
    return EXIT_PROVED if bound.accepted else EXIT_NOT_PROVED
