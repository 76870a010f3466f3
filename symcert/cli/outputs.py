"""Every path a command will write, checked before any work: one helper for every command.

A command's output options (``--json``, ``--latex``, ``--pdf``, ``--plot``, ``--coq``,
``-o``, ``--out``, ``--output-dir``) are read off the parsed arguments by attribute
name, so a new command is covered by naming its options the same way. A file must
not be a folder, and its folder must exist and be writable; a folder to write into
must be a folder (or not exist yet, below a writable folder). Options that are
flags (``group --json``, ``handout --pdf``) are booleans and are skipped.

>>> import argparse, tempfile
>>> with tempfile.TemporaryDirectory() as d:
...     check_output_paths(argparse.Namespace(json=f"{d}/cert.json", latex=None))
...     try:
...         check_output_paths(argparse.Namespace(json=d))
...     except SpecificationError as error:
...         print(str(error).replace(d, "DIR"))
cannot write --json DIR: it is a folder; give a file name inside it, such as DIR/out.json
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from symcert.errors import SpecificationError

__all__ = ["OUTPUT_FILES", "OUTPUT_FOLDERS", "check_output_paths", "check_output_file", "check_output_folder"]

#: Attribute of the parsed arguments -> the flag that sets a file to write.
OUTPUT_FILES = {
    "json": "--json",
    "latex": "--latex",
    "pdf": "--pdf",
    "plot": "--plot",
    "coq": "--coq",
    "output": "--output",
}
#: Attribute -> the flag that sets a folder to write into.
OUTPUT_FOLDERS = {"out": "--out", "output_dir": "--output-dir"}

#: Options of these names that a command reads rather than writes (``check CERT --coq FILE.v``).
INPUT_OPTIONS = {("check", "coq")}

_SUFFIX = {"json": ".json", "latex": ".tex", "pdf": ".pdf", "plot": ".png", "coq": ".v", "output": ".csv"}


def check_output_file(path: str, flag: str, example: str = "out") -> None:
    """Refuse a file to write that is a folder, or whose folder is missing or not writable."""
    if not path.strip():
        raise SpecificationError(f"{flag} needs a file name, got an empty one")
    target = Path(path)
    if target.is_dir():
        raise SpecificationError(
            f"cannot write {flag} {path}: it is a folder; give a file name inside it, such as "
            f"{target / example}"
        )
    folder = target.resolve().parent
    if not folder.is_dir():
        blocking = next((p for p in folder.parents if p.exists() and not p.is_dir()), None)
        if folder.exists() or blocking is not None:
            raise SpecificationError(
                f"cannot write {flag} {path}: {blocking or folder} is a file, not a folder"
            )
        raise SpecificationError(f"cannot write {flag} {path}: its folder does not exist")
    if not os.access(folder, os.W_OK):
        raise SpecificationError(f"cannot write {flag} {path}: its folder is not writable")


def check_output_folder(path: str, flag: str) -> None:
    """Refuse a folder to write into that is a file, or that cannot be created where it is."""
    if not path.strip():
        raise SpecificationError(f"{flag} needs a folder name, got an empty one")
    target = Path(path).resolve()
    if target.exists() and not target.is_dir():
        raise SpecificationError(f"cannot write into {flag} {path}: it is a file, not a folder")
    existing = next(p for p in (target, *target.parents) if p.exists())
    if not existing.is_dir():
        raise SpecificationError(f"cannot write into {flag} {path}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK):
        raise SpecificationError(f"cannot write into {flag} {path}: {existing} is not writable")


def check_output_paths(args: argparse.Namespace) -> None:
    """Check every output path of a parsed command line (see the module docstring)."""
    command = getattr(args, "command", None)
    for name, flag in OUTPUT_FILES.items():
        value = getattr(args, name, None)
        if isinstance(value, str) and (command, name) not in INPUT_OPTIONS:
            check_output_file(value, flag, f"out{_SUFFIX[name]}")
    for name, flag in OUTPUT_FOLDERS.items():
        value = getattr(args, name, None)
        if isinstance(value, str):
            check_output_folder(value, flag)
