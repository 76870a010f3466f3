"""Reading data and point files for the command line: CSV or JSON, exact numbers only.

CSV: a header ``x1,...,xd,y1,...,ym`` then one row per data point. JSON:
``{"xs": [[...], ...], "ys": [[...], ...]}``. Numbers are exact decimals or
``p/q`` of ASCII digits (JSON numbers are read as their decimal text, never
through a float). Files are read as the checker reads certificates: regular
files of bounded size (:data:`symcert.limits.MAX_FILE_BYTES`), UTF-8, JSON
without duplicate keys or ``NaN``; every problem is a
:class:`~symcert.errors.SpecificationError` in one sentence.
"""

from __future__ import annotations

import csv
from pathlib import Path

from symcert.errors import SpecificationError
from symcert.limits import MAX_FILE_BYTES, MAX_POINTS, MAX_TABLE_BYTES
from symcert.models.reading import json_file as _json
from symcert.models.reading import text_file as _text
from symcert.symbolic.data import Dataset
from symcert.symbolic.network import MLP
from symcert.symbolic.point import Point

__all__ = ["read_dataset", "read_point", "read_table", "MAX_FILE_BYTES"]


def read_table(path: str | Path, what: str) -> str:
    """The text of a small table (a roster, answers, a key): at most ``MAX_TABLE_BYTES`` bytes.

    A UTF-8 byte-order mark (spreadsheets write one) is dropped. Errors name ``what`` the file is:

    >>> read_table("/dev/zero", "roster")
    Traceback (most recent call last):
    symcert.errors.SpecificationError: the roster /dev/zero is not a regular file (a device, FIFO or socket)
    """
    try:
        text = _text(path, MAX_TABLE_BYTES)
    except SpecificationError as error:
        message = str(error)
        if message.startswith("cannot read "):
            message = message.removeprefix("cannot read ")
            raise SpecificationError(f"cannot read the {what} {message}") from None
        raise SpecificationError(f"the {what} {message}") from None
    return text.removeprefix("\ufeff")


def read_dataset(path: str | Path) -> Dataset:
    """A :class:`Dataset` from a CSV file with an ``x1..xd, y1..ym`` header, or from JSON."""
    if str(path).lower().endswith(".json"):
        record = _json(path)
        if not isinstance(record, dict) or set(record) != {"xs", "ys"}:
            raise SpecificationError(f'{path} must hold an object {{"xs": [[...]], "ys": [[...]]}}')
        return Dataset(record["xs"], record["ys"])
    text = _text(path)
    try:
        rows = []
        for row in csv.reader(text.splitlines()):
            rows.append(row)
            if len(rows) > MAX_POINTS + 1:
                raise SpecificationError(f"{path} holds more than {MAX_POINTS} data rows")
    except csv.Error as error:
        raise SpecificationError(f"{path} is not a CSV file symcert can read ({error})") from None
    if not rows:
        raise SpecificationError(f"{path} is empty; expected a header x1,...,y1,... and data rows")
    header = [name.strip() for name in rows[0]]
    xs_cols = [i for i, name in enumerate(header) if name.startswith("x")]
    ys_cols = [i for i, name in enumerate(header) if name.startswith("y")]
    if not xs_cols or not ys_cols or len(xs_cols) + len(ys_cols) != len(header):
        shown = ",".join(header)[:80]
        raise SpecificationError(f"{path}: the header must name columns x1..xd then y1..ym, got {shown!r}")
    data_rows = [r for r in rows[1:] if any(cell.strip() for cell in r)]
    for number, row in enumerate(data_rows, start=2):
        if len(row) != len(header):
            raise SpecificationError(f"{path}, line {number}: expected {len(header)} values, got {len(row)}")
    return Dataset(
        [[row[i].strip() for i in xs_cols] for row in data_rows],
        [[row[i].strip() for i in ys_cols] for row in data_rows],
    )


def read_point(path: str | Path, mlp: MLP) -> Point:
    """A point of ``mlp`` from a JSON file ``{"W1": [[...]], "b1": [...], ...}``."""
    record = _json(path)
    if not isinstance(record, dict) or not all(key.isascii() and key.isidentifier() for key in record):
        raise SpecificationError(f'{path} must hold an object {{"W1": [[...]], "b1": [...], ...}}')
    return mlp.point(**record)
