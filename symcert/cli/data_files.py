"""Reading data and point files for the command line: CSV or JSON, exact numbers only.

CSV: a header ``x1,...,xd,y1,...,ym`` then one row per data point. JSON:
``{"xs": [[...], ...], "ys": [[...], ...]}``. Numbers are exact decimals or
``p/q`` (JSON numbers are read as their decimal text, never through a float).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from symcert.errors import SpecificationError
from symcert.symbolic.data import Dataset
from symcert.symbolic.network import MLP
from symcert.symbolic.point import Point

__all__ = ["read_dataset", "read_point", "MAX_FILE_BYTES"]

MAX_FILE_BYTES = 20_000_000


def _text(path: str | Path) -> str:
    file = Path(path)
    try:
        if file.stat().st_size > MAX_FILE_BYTES:
            raise SpecificationError(f"{file} is larger than {MAX_FILE_BYTES} bytes")
        return file.read_text(encoding="utf-8")
    except OSError as error:
        raise SpecificationError(f"cannot read {file}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise SpecificationError(f"{file} is not UTF-8 text") from None


def _json(path: str | Path) -> Any:
    try:
        return json.loads(_text(path), parse_float=str, parse_int=str)
    except json.JSONDecodeError as error:
        raise SpecificationError(f"{path} is not valid JSON ({error.msg}, line {error.lineno})") from None


def read_dataset(path: str | Path) -> Dataset:
    """A :class:`Dataset` from a CSV file with an ``x1..xd, y1..ym`` header, or from JSON."""
    if str(path).lower().endswith(".json"):
        record = _json(path)
        if not isinstance(record, dict) or "xs" not in record or "ys" not in record:
            raise SpecificationError(f'{path} must hold an object {{"xs": [[...]], "ys": [[...]]}}')
        return Dataset(record["xs"], record["ys"])
    rows = list(csv.reader(_text(path).splitlines()))
    if not rows:
        raise SpecificationError(f"{path} is empty; expected a header x1,...,y1,... and data rows")
    header = [name.strip() for name in rows[0]]
    xs_cols = [i for i, name in enumerate(header) if name.startswith("x")]
    ys_cols = [i for i, name in enumerate(header) if name.startswith("y")]
    if not xs_cols or not ys_cols or len(xs_cols) + len(ys_cols) != len(header):
        raise SpecificationError(f"{path}: the header must name columns x1..xd then y1..ym, got {header}")
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
    if not isinstance(record, dict):
        raise SpecificationError(f'{path} must hold an object {{"W1": [[...]], "b1": [...], ...}}')
    return mlp.point(**record)
