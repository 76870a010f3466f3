"""``--plot OUT``: check the file name before any work, then write the figure."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from symcert.errors import SpecificationError
from symcert.printing.figures.plots import PLOT_FORMATS, save_plot

__all__ = ["check_plot_path", "write_plot"]


def check_plot_path(out: str) -> None:
    """Refuse at once a plot file with another suffix, in a folder that does not exist, or no matplotlib."""
    path = Path(out)
    if path.suffix.lower() not in PLOT_FORMATS:
        raise SpecificationError(
            f"--plot must name a {', '.join(PLOT_FORMATS)} file, got {path.name!r}; choose one of those"
        )
    if not path.resolve().parent.is_dir():
        raise SpecificationError(f"cannot write {out}: its folder does not exist")
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        from symcert.printing.figures.plots import INSTALL_PLOT

        raise SpecificationError(
            f"--plot needs matplotlib, which is not installed; run {INSTALL_PLOT}"
        ) from None


def write_plot(items: Sequence[Any], out: str, titles: Sequence[str] | None = None) -> None:
    """Draw ``items`` (one panel each) to ``out`` and say so on stderr."""
    save_plot(list(items), out, titles=titles)
    print(f"Plot written to {out}", file=sys.stderr)
