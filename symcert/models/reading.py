"""Hardened reading of user files: bounded regular files, UTF-8, JSON with exact numbers.

JSON numbers are kept as their decimal text (never read through a float); duplicate
keys and ``NaN``/``Infinity`` are refused. Every problem is a
:class:`~symcert.errors.SpecificationError` in one sentence.

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as d:
...     path = Path(d) / "p.json"
...     _ = path.write_text('{"W1": [[0.1]]}')
...     json_file(path)
{'W1': [['0.1']]}
"""

from __future__ import annotations

import json
import os
import stat
import zipfile
from pathlib import Path
from typing import Any

from symcert.errors import SpecificationError
from symcert.limits import MAX_ARRAY_BYTES, MAX_DIGITS, MAX_FILE_BYTES

__all__ = ["text_file", "json_file", "npz_arrays"]


def text_file(path: str | Path, limit: int = MAX_FILE_BYTES) -> str:
    """The text of a regular UTF-8 file of at most ``limit`` bytes (devices, FIFOs and folders refused).

    The prover side reads on its own: the independent checker has its own reader and shares no code.
    """
    path = Path(path)
    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            raise SpecificationError(f"{path} is a folder, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise SpecificationError(f"{path} is not a regular file (a device, FIFO or socket)")
        if info.st_size > limit:
            raise SpecificationError(f"{path} is larger than {limit} bytes")
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)  # bounded even if the file grows while it is read
    except OSError as error:
        raise SpecificationError(f"cannot read {path}: {error.strerror}") from None
    if len(data) > limit:
        raise SpecificationError(f"{path} is larger than {limit} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise SpecificationError(f"{path} is not UTF-8 text") from None


def _number_text(text: str) -> str:
    if len(text) > 2 * MAX_DIGITS + 10:
        raise SpecificationError(f"a JSON number has more than {MAX_DIGITS} digits; use a shorter number")
    return text


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise SpecificationError(f"the key {key[:40]!r} appears twice in one object")
        out[key] = value
    return out


def _constant(name: str) -> None:
    raise SpecificationError(f"the JSON constant {name} is not a finite exact number")


def json_file(path: str | Path) -> Any:
    """A JSON file whose numbers stay exact decimal strings."""
    try:
        return json.loads(
            text_file(path),
            parse_float=_number_text,
            parse_int=_number_text,
            parse_constant=_constant,
            object_pairs_hook=_pairs,
        )
    except json.JSONDecodeError as error:
        raise SpecificationError(f"{path} is not valid JSON ({error.msg}, line {error.lineno})") from None
    except RecursionError:
        raise SpecificationError(f"{path} nests arrays or objects too deeply") from None


def npz_arrays(path: str | Path, limit: int = MAX_ARRAY_BYTES) -> dict[str, Any]:
    """The arrays of a ``.npz`` archive, refused before loading if they take more than ``limit`` bytes.

    A compressed archive is small on disk but may inflate without bound: the members'
    declared sizes are added up first (and the reads are bounded by them).
    """
    import numpy as np

    try:
        with zipfile.ZipFile(path) as archive:
            size = sum(info.file_size for info in archive.infolist())
        if size > limit:
            raise SpecificationError(
                f"{path} holds arrays of {size} bytes once uncompressed, more than the limit of {limit} bytes"
            )
        with np.load(path, allow_pickle=False) as archive:
            return {key: archive[key] for key in archive.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        raise SpecificationError(f"{path} is not a numpy .npz archive of numeric arrays ({error})") from None
