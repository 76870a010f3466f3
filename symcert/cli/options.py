"""Options shared by several commands."""

from __future__ import annotations

import argparse

__all__ = ["exact_flag"]


def exact_flag(parser: argparse.ArgumentParser) -> None:
    """``--exact``: print enclosures with their exact endpoints instead of short decimals."""
    parser.add_argument(
        "--exact",
        action="store_true",
        help="print enclosures with exact rational endpoints (default: 6 significant digits, rounded "
        "outward, so the printed interval still contains the exact one; JSON is always exact)",
    )
