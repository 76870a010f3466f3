"""Progress bars on stderr for the long phases (tqdm), and the ``--quiet`` flag that silences them.

A bar is shown only when stderr is a terminal and ``--quiet`` was not given. It is written to stderr,
never to stdout (``--format json`` keeps stdout one JSON document), and when it closes it leaves one
line with the phase's elapsed time. tqdm is imported only when a bar is actually shown, so the light
commands (``--help``, ``--version``, ``check`` on a pipe) start without it; without tqdm installed,
nothing is shown and nothing fails.

The layers below the command line never import this module: they take a plain callback
``progress(done, total, note)`` (``total`` None when unknown, ``note`` a short status such as the
current width of an enclosure), and a :class:`Progress` is such a callback.

>>> import argparse, io
>>> stream = io.StringIO()  # not a terminal: no bar, no line
>>> with progress_bar(argparse.Namespace(quiet=False), "screening", stream=stream) as bar:
...     bar(3, 10, "best margin 0.1")
>>> stream.getvalue(), bar.shown
('', False)
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import IO, Any

__all__ = ["Progress", "progress_bar", "bars_wanted", "quiet_flag"]


def quiet_flag(parser: argparse.ArgumentParser) -> None:
    """Add ``--quiet``: no progress bars and no progress messages on stderr."""
    parser.add_argument(
        "--quiet", action="store_true", help="no progress bars or progress messages on stderr"
    )


def bars_wanted(args: argparse.Namespace | None, stream: IO[str] | None = None) -> bool:
    """True when a bar should be drawn: ``stream`` (default stderr) is a terminal and not ``--quiet``."""
    if args is not None and getattr(args, "quiet", False):
        return False
    stream = sys.stderr if stream is None else stream
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # a closed or unusual stream: no bar
        return False


class Progress:
    """A progress bar for one phase, drawn by tqdm on ``stream`` when ``enabled``; else silent.

    Call it as ``bar(done, total=None, note="")``; it closes when ``done`` reaches a known ``total``, or
    when closed (or left, as a context manager), ending the phase with the line ``DESCRIPTION: done in
    S s``.
    """

    def __init__(
        self, description: str, *, enabled: bool = True, unit: str = "it", stream: IO[str] | None = None
    ) -> None:
        self.description = description
        self.stream = sys.stderr if stream is None else stream
        self.start = time.perf_counter()
        self._bar: Any = None
        if enabled:
            try:
                from tqdm import tqdm  # only when a bar is drawn: start-up stays light
            except ImportError:  # tqdm is a dependency; a broken install still runs, without bars
                return
            self._bar = tqdm(
                total=None, desc=description, unit=unit, file=self.stream, leave=False, dynamic_ncols=True
            )

    @property
    def shown(self) -> bool:
        """True when a bar is being drawn."""
        return self._bar is not None

    def __call__(self, done: int, total: int | None = None, note: str = "") -> None:
        bar = self._bar
        if bar is None:
            return
        if total is not None and bar.total != total:
            bar.total = total
        bar.n = done
        if note:
            bar.set_postfix_str(note, refresh=False)
        bar.refresh()
        if bar.total is not None and done >= bar.total:  # the phase is over: its time, at once
            self.close()

    def close(self) -> None:
        """Remove the bar and print the phase's elapsed time (only when a bar was shown)."""
        bar, self._bar = self._bar, None
        if bar is None:
            return
        bar.close()
        elapsed = time.perf_counter() - self.start
        print(f"{self.description}: done in {elapsed:.1f} s", file=self.stream, flush=True)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def progress_bar(
    args: argparse.Namespace | None, description: str, *, unit: str = "it", stream: IO[str] | None = None
) -> Progress:
    """The bar of one phase of a command: drawn when :func:`bars_wanted`, silent otherwise."""
    return Progress(description, enabled=bars_wanted(args, stream), unit=unit, stream=stream)
