"""Writing results to disk: JSON records of certificates, alignments, groups and gradient proofs.

The objects serialise themselves to plain data (``to_dict()``, exact rationals as text); this
module is where that data becomes a file.

>>> import json, tempfile, pathlib
>>> from symcert import certify_nonconvexity, default_example
>>> ex = default_example()
>>> cert = certify_nonconvexity(ex.loss, ex.teacher, element=ex.element, kind="chord")
>>> path = pathlib.Path(tempfile.mkdtemp()) / "cert.json"
>>> text = write_json(cert, path)
>>> json.loads(path.read_text())["kind"]
'chord'
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from symcert.errors import SpecificationError

__all__ = ["json_text", "write_json"]


def json_text(obj: Any) -> str:
    """The JSON text of ``obj`` (anything with ``to_dict()``, or plain data), with a final newline."""
    if hasattr(obj, "to_dict"):
        obj = obj.to_dict()
    try:
        return json.dumps(obj, indent=2) + "\n"
    except TypeError as error:
        raise SpecificationError(
            f"write_json expects a certificate or other object with to_dict(), or plain data; {error}"
        ) from None


def write_json(obj: Any, path: str | Path) -> str:
    """Write the JSON text of ``obj`` to ``path`` (UTF-8) and return the text."""
    text = json_text(obj)
    Path(path).write_text(text, encoding="utf-8")
    return text
