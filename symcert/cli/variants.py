"""``symcert handout NAME --seed N`` and ``--students ROSTER.csv``: student variants of a handout."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from symcert.cli.data_files import read_table
from symcert.cli.progress import progress_bar, quiet_flag
from symcert.errors import SpecificationError
from symcert.handouts.classroom import read_roster, write_class
from symcert.handouts.variants import VARIANT_HANDOUTS, variant_handout

__all__ = ["add_variant_options", "run_variants"]


def _seed(text: str) -> int:
    if not re.fullmatch(r"[0-9]{1,18}", text.strip(), re.ASCII):
        raise argparse.ArgumentTypeError(
            f"--seed must be a nonnegative integer below 10^18, got {text[:40]!r}"
        )
    return int(text)


def _workers(text: str) -> int:
    if not re.fullmatch(r"[0-9]{1,3}", text.strip(), re.ASCII) or not 1 <= int(text) <= 256:
        raise argparse.ArgumentTypeError(f"--workers must be an integer from 1 to 256, got {text[:40]!r}")
    return int(text)


def add_variant_options(parser: argparse.ArgumentParser) -> None:
    """``--seed``, ``--students`` and ``--workers`` (variants exist for :data:`VARIANT_HANDOUTS`)."""
    parser.add_argument(
        "--seed",
        type=_seed,
        default=None,
        help="write a variant: the same handout on another certified instance (data, symmetry or training); "
        f"the same seed gives the same handout. Handouts with variants: {', '.join(VARIANT_HANDOUTS)}. "
        "With --students: the base seed of the students' seeds (default 0)",
    )
    parser.add_argument(
        "--students",
        metavar="ROSTER.csv",
        default=None,
        help="one variant PDF per student (CSV header student[,seed]) in -o DIR, without solutions or any "
        "graded answer, plus DIR/key.json, the answer key with each student's numbers (for 'symcert "
        "grade'), and DIR/key.pdf, a page per student with their numbers and the worked solutions",
    )
    parser.add_argument(
        "--workers", type=_workers, default=None, help="with --students: processes (default: the cores)"
    )
    quiet_flag(parser)


def run_variants(args: argparse.Namespace) -> int:
    """One variant (``--seed``) or a class set (``--students``)."""
    if args.name not in VARIANT_HANDOUTS:
        raise SpecificationError(
            f"student variants exist for the handouts {', '.join(VARIANT_HANDOUTS)}, got {args.name!r}"
        )
    directory = Path(args.output_dir)
    if args.students is None:
        from symcert.build.tex import compile_pdf, write_tex

        variant, handout = variant_handout(args.name, args.seed)
        tex = write_tex(directory / f"{handout.name}.tex", handout.document(solutions=not args.no_solutions))
        print(
            f"Wrote {tex} (variant {variant.seed}; {sum(c.proved for c in handout.certificates())} certified)"
        )
        if args.pdf:
            print(f"Wrote {compile_pdf(tex)}")
        return 0
    students = read_roster(read_table(args.students, "roster"), args.seed or 0)
    if not args.quiet:
        print(f"Writing {len(students)} variants of {args.name} to {directory} ...", file=sys.stderr)
    with progress_bar(args, f"variants of {args.name}", unit="student") as bar:
        result = write_class(args.name, students, directory, workers=args.workers, progress=bar)
    for name, tex, pdf in result.files:
        print(f"{name}: {pdf or tex}")
    print(f"Wrote {result.key} (answer key; grade with: symcert grade {result.key} ANSWERS.csv)")
    print(f"{len(students)} variants in {result.seconds:.1f} s", file=sys.stderr)
    return 0
