"""The ``handout`` command: list the catalogue, write a handout's LaTeX, compile it."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from symcert.build.tex import compile_pdf, write_tex
from symcert.cli.options import add_command
from symcert.cli.variants import add_variant_options, run_variants
from symcert.handouts import build_handout, describe_handout, handout_names

__all__ = ["add_handout_parser", "run_handout"]

EXIT_OK = 0


def add_handout_parser(commands: argparse._SubParsersAction) -> None:
    """Register ``symcert handout``."""
    parser = add_command(
        commands,
        "handout",
        purpose="Write a course handout (LaTeX, optionally PDF) whose every number is certified.",
        details="'symcert handout list' shows the catalogue; 'symcert handout NAME' writes DIR/NAME.tex, "
        "and with --pdf also DIR/NAME.pdf (needs TeX: latexmk or pdflatex). Every certificate in a "
        "handout is proved when it is built.",
        examples=[
            ("symcert handout list", "the catalogue"),
            ("symcert handout permutation -o handouts --pdf", "handouts/permutation.tex and .pdf"),
        ],
        prints="list: each handout's name and subject; NAME: the files written and how many certified "
        "results they hold. Exit code 0, 2 on bad input or a TeX error.",
    )
    parser.add_argument("name", help="'list', or a handout name: " + ", ".join(handout_names()))
    parser.add_argument("-o", "--output-dir", default=".", help="directory to write to (default: .)")
    parser.add_argument("--pdf", action="store_true", help="compile the LaTeX to NAME.pdf too")
    parser.add_argument(
        "--no-solutions", action="store_true", help="leave out the solutions to the exercises"
    )
    add_variant_options(parser)


def plain_title(title: str) -> str:
    r"""A handout title for the terminal: its LaTeX math as plain text.

    >>> plain_title(r"Sign flips: odd activations and the order $n!\,2^n$")
    'Sign flips: odd activations and the order n! 2^n'
    >>> plain_title(r"Products $a \cdot b$ and $\{x\}$")
    'Products a * b and {x}'
    """
    for latex, text in (
        (r"\,", " "),
        (r"\;", " "),
        (r"\ ", " "),
        (r"\cdot", "*"),
        (r"\{", "{"),
        (r"\}", "}"),
    ):
        title = title.replace(latex, text)
    return re.sub(r"\s+", " ", title.replace("$", "")).strip()


def run_handout(args: argparse.Namespace) -> int:
    """List the catalogue, or build one handout."""
    if args.name == "list":
        width = max(map(len, handout_names()))
        for name in handout_names():
            print(f"{name:<{width}}  {plain_title(describe_handout(name))}")
        return EXIT_OK
    if args.students is not None or args.seed is not None:
        return run_variants(args)
    handout = build_handout(args.name)
    directory = Path(args.output_dir)
    tex = write_tex(directory / f"{handout.name}.tex", handout.document(solutions=not args.no_solutions))
    proved = sum(c.proved for c in handout.certificates()) + sum(p.proved for p in handout.convexity_proofs())
    print(f"Wrote {tex} ({proved} certified result(s))")
    if args.pdf:
        pdf = compile_pdf(tex)
        print(f"Wrote {pdf}")
    return EXIT_OK
