"""What every command shares: a help page that teaches, and the ``--exact`` flag.

Each command's ``--help`` says in one line what it is for, shows examples to copy,
and says what it prints and what its exit code means.
"""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Sequence

__all__ = ["add_command", "exact_flag"]

_WIDTH = 88


def _wrap(text: str, indent: str = "") -> str:
    return textwrap.fill(" ".join(text.split()), _WIDTH, initial_indent=indent, subsequent_indent=indent)


def add_command(
    commands: argparse._SubParsersAction,
    name: str,
    *,
    purpose: str,
    examples: Sequence[tuple[str, str]],
    prints: str,
    details: str = "",
) -> argparse.ArgumentParser:
    """Register a command whose help page has its purpose, ``examples`` (command, comment) and ``prints``.

    >>> parser = argparse.ArgumentParser(prog="symcert")
    >>> demo = add_command(
    ...     parser.add_subparsers(), "demo", purpose="Show the layout.",
    ...     examples=[("symcert demo", "the default")], prints="one line; exit 0",
    ... )
    >>> print(demo.format_help().split("options:")[0].strip())
    usage: symcert demo [-h]
    <BLANKLINE>
    Show the layout.
    >>> print(demo.epilog)
    examples:
      # the default
      symcert demo
    <BLANKLINE>
    prints:
      one line; exit 0
    """
    description = purpose if not details else f"{purpose}\n\n{_wrap(details)}"
    lines = ["examples:"]
    for command, comment in examples:
        lines += [f"  # {comment}", f"  {command}"]
    lines += ["", "prints:", _wrap(prints, "  ")]
    return commands.add_parser(
        name,
        help=purpose.rstrip("."),
        description=description,
        epilog="\n".join(lines),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def exact_flag(parser: argparse.ArgumentParser) -> None:
    """``--exact``: print enclosures with their exact endpoints instead of short decimals."""
    parser.add_argument(
        "--exact",
        action="store_true",
        help="print enclosures with exact rational endpoints (default: 6 significant digits, rounded "
        "outward, so the printed interval still contains the exact one; JSON is always exact)",
    )
