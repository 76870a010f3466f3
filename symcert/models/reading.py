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
from pathlib import Path
from typing import Any

from symcert.checker.reading import CertificateFormatError, read_text
from symcert.errors import SpecificationError
from symcert.limits import MAX_DIGITS, MAX_FILE_BYTES

__all__ = ["text_file", "json_file"]


def text_file(path: str | Path) -> str:
    """The text of a bounded regular UTF-8 file."""
    try:
        return read_text(path, MAX_FILE_BYTES)
    except CertificateFormatError as error:
        raise SpecificationError(str(error)) from None


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
