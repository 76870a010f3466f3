"""What every command shares: a help page that teaches, and the ``--exact`` flag.

Each command's ``--help`` says in one line what it is for, shows examples to copy,
and says what it prints and what its exit code means.
"""

from __future__ import annotations

import argparse
import re
import textwrap
from collections.abc import Callable, Sequence

__all__ = ["add_command", "exact_flag", "seconds_type", "count_type"]

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


def seconds_type(flag: str, high: float = 1e7) -> Callable[[str], float]:
    """An argparse type: a number of seconds in ``(0, high]`` (``nan``, ``inf`` and words refused).

    >>> seconds_type("--max-seconds")("2.5")
    2.5
    >>> seconds_type("--max-seconds")("nan")
    Traceback (most recent call last):
    argparse.ArgumentTypeError: --max-seconds must be a number of seconds above 0 and at most 1e+07, got 'nan'
    """

    def parse(text: str) -> float:
        try:
            value = float(text) if len(text) < 40 else float("nan")
        except ValueError:
            value = float("nan")
        if not 0 < value <= high:
            raise argparse.ArgumentTypeError(
                f"{flag} must be a number of seconds above 0 and at most {high:g}, got {text[:40]!r}"
            )
        return value

    return parse


def count_type(flag: str, low: int, high: int) -> Callable[[str], int]:
    """An argparse type: an integer from ``low`` to ``high``.

    >>> count_type("--max-pieces", 1, 10**6)("100")
    100
    """

    def parse(text: str) -> int:
        if not re.fullmatch(r"-?[0-9]{1,12}", text.strip(), re.ASCII) or not low <= int(text) <= high:
            raise argparse.ArgumentTypeError(
                f"{flag} must be an integer from {low} to {high}, got {text[:40]!r}"
            )
        return int(text)

    return parse
