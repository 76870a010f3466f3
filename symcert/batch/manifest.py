"""The manifest of a barrier study: one pair of trained networks per CSV row.

Columns (a header row names them; order free; unknown columns are refused):

- ``name`` (required): the pair's name, letters, digits, ``.``, ``_`` and ``-`` only (it names the
  result files ``NAME.json``, and ``NAME.before.json`` with ``align``); unique in the manifest.
- ``model_a``, ``model_b`` (required): the two trained networks (``.npz`` with ``W1, b1, ...``,
  ``.json`` point files or ``.safetensors``), paths relative to the manifest's folder.
- ``data`` (required): the training data (CSV, ``.npz`` or ``.npy``), relative to the manifest.
- ``align``: ``yes``/``no`` (also ``true``/``false``, ``1``/``0``; default ``no``): also align ``B``
  to ``A`` (weight matching with sign flips) and certify the barrier after alignment.
- ``tol``: the width of the enclosure (default ``1e-3``), ``form``: ``entezari`` or ``midpoint``.
- ``activation`` (default: the one each model file records; required when a file records none, and
  it must agree with the file's when both are given), ``loss`` (default ``cross_entropy``; ``mse``,
  ``sse``, ``bce``), ``output`` (the output activation; default ``softmax`` for cross-entropy,
  ``sigmoid`` for bce, else ``identity``).

A row whose two models are ONNX files (``.onnx``: one layer graph, :mod:`symcert.models.onnx_import`) is a
graph row: its data is an ``.npz`` with ``X`` and ``y`` (:mod:`symcert.models.graph_data`), the barrier is
the graph barrier (:func:`~symcert.proofs.graph_barrier.certify_graph_barrier`; ``align``: over the
graph's derived groups), and ``activation`` and ``output`` must be empty (the graph names its layers).
MLP rows and graph rows mix freely in one manifest; one ``.onnx`` model beside one of another format is
refused.

A malformed row raises :class:`~symcert.errors.SpecificationError` with one line naming the row.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> for name in ("a.npz", "b.npz", "d.csv"):
...     _ = (folder / name).write_text("")
>>> _ = (folder / "pairs.csv").write_text("name,model_a,model_b,data,align\\np1,a.npz,b.npz,d.csv,yes\\n")
>>> [(p.name, p.model_a.name, p.align, p.tol) for p in read_manifest(folder / "pairs.csv")]
[('p1', 'a.npz', True, Fraction(1, 1000))]
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from symcert.errors import SpecificationError

__all__ = ["Pair", "read_manifest", "COLUMNS", "REQUIRED"]

REQUIRED = ("name", "model_a", "model_b", "data")
COLUMNS = (*REQUIRED, "align", "tol", "form", "activation", "loss", "output")
_YES, _NO = ("yes", "true", "1", "y"), ("no", "false", "0", "n", "")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
#: The most rows a manifest may have.
MAX_ROWS = 100_000


@dataclass(frozen=True)
class Pair:
    """One row of the manifest, checked: absolute paths, exact ``tol``."""

    name: str
    model_a: Path
    model_b: Path
    data: Path
    align: bool = False
    tol: Fraction = Fraction(1, 1000)
    form: str = "entezari"
    activation: str | None = None  # None: the activation the model files record
    loss: str = "cross_entropy"
    output: str = "softmax"

    @property
    def graph(self) -> bool:
        """True for a row of two ONNX models (a layer graph): the graph barrier certifies it."""
        return _is_onnx(self.model_a) and _is_onnx(self.model_b)

    def files(self) -> tuple[str, ...]:
        """The result files of this pair (names inside the results folder)."""
        return (f"{self.name}.before.json", f"{self.name}.json") if self.align else (f"{self.name}.json",)


def read_manifest(path: str | Path) -> list[Pair]:
    """The pairs of the manifest CSV at ``path`` (see the module docstring)."""
    from symcert.limits import MAX_TABLE_BYTES
    from symcert.models.reading import text_file
    from symcert.symbolic.activations import ACTIVATION_NAMES, OUTPUT_ACTIVATION_NAMES
    from symcert.symbolic.losses import LOSS_KINDS, default_output

    p = Path(path)
    if not p.is_file():
        raise SpecificationError(f"the manifest {path} is not a readable file; give the path of a CSV file")
    try:
        rows = list(csv.reader(text_file(p, MAX_TABLE_BYTES).splitlines()))  # bounded: never /dev/zero
    except csv.Error as error:
        raise SpecificationError(f"the manifest {path} is not a UTF-8 CSV file ({error})") from None
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise SpecificationError(f"the manifest {path} is empty; expected a header {','.join(REQUIRED)}")
    header = [cell.strip().lower() for cell in rows[0]]
    unknown = [c for c in header if c not in COLUMNS]
    missing = [c for c in REQUIRED if c not in header]
    if unknown or missing or len(set(header)) != len(header):
        raise SpecificationError(
            f"the manifest's header must name the columns {', '.join(REQUIRED)} (optional: "
            f"{', '.join(COLUMNS[len(REQUIRED) :])}), each once; got {','.join(header)[:120]}"
        )
    if len(rows) - 1 > MAX_ROWS:
        raise SpecificationError(f"the manifest has {len(rows) - 1} rows, more than the limit {MAX_ROWS}")
    pairs: list[Pair] = []
    seen: set[str] = set()
    for number, row in enumerate(rows[1:], start=2):
        where = f"{p.name}, row {number}"
        if len(row) != len(header):
            raise SpecificationError(
                f"{where}: expected {len(header)} cells as in the header, got {len(row)}"
            )
        cell = {key: value.strip() for key, value in zip(header, row)}
        name = cell["name"]
        if not _NAME.fullmatch(name):
            raise SpecificationError(
                f"{where}: name must be letters, digits, '.', '_' or '-' (up to 100), got {name[:40]!r}"
            )
        if name in seen:
            raise SpecificationError(f"{where}: the name {name!r} is used twice; names must be unique")
        seen.add(name)
        files = {}
        for key in ("model_a", "model_b", "data"):
            if not cell[key]:
                raise SpecificationError(
                    f"{where}: the {key} cell is empty; give a path relative to the manifest"
                )
            files[key] = (p.parent / cell[key]).resolve()
            if not files[key].is_file():
                raise SpecificationError(
                    f"{where}: {key} {cell[key]!r} is not a file (relative to {p.parent})"
                )
        align = cell.get("align", "").lower()
        if align not in _YES + _NO:
            raise SpecificationError(f"{where}: align must be yes or no, got {cell['align'][:20]!r}")
        tol = _tol(cell.get("tol", ""), where)
        form = cell.get("form", "") or "entezari"
        activation = cell.get("activation", "") or None
        loss = cell.get("loss", "") or "cross_entropy"
        output = cell.get("output", "") or default_output(loss)
        for key, value, allowed in (
            ("form", form, ("entezari", "midpoint")),
            ("activation", activation, ACTIVATION_NAMES),
            ("loss", loss, LOSS_KINDS),
            ("output", output, OUTPUT_ACTIVATION_NAMES),
        ):
            if value is not None and value not in allowed:  # no activation: the model files'
                raise SpecificationError(
                    f"{where}: {key} must be one of {', '.join(allowed)}, got {value[:30]!r}"
                )
        model_a, model_b, data = files["model_a"], files["model_b"], files["data"]
        _graph_row(cell, model_a, model_b, data, where)
        pairs.append(Pair(name, model_a, model_b, data, align in _YES, tol, form, activation, loss, output))
    if not pairs:
        raise SpecificationError(f"the manifest {path} has a header but no pairs")
    return pairs


def _is_onnx(path: Path) -> bool:
    return path.suffix.lower() == ".onnx"


def _graph_row(cell: dict[str, str], model_a: Path, model_b: Path, data: Path, where: str) -> None:
    """Refuse what a row of ONNX models cannot mean: one ONNX model only, an activation, an output."""
    onnx = [_is_onnx(model_a), _is_onnx(model_b)]
    if not any(onnx):
        return
    if not all(onnx):
        raise SpecificationError(
            f"{where}: model_a and model_b must both be ONNX files (.onnx) or neither, got "
            f"{model_a.name!r} and {model_b.name!r}"
        )
    for key in ("activation", "output"):
        if cell.get(key, ""):
            raise SpecificationError(
                f"{where}: {key} does not apply to ONNX models (the graph names its layers); leave it empty"
            )
    if data.suffix.lower() != ".npz":
        raise SpecificationError(
            f"{where}: ONNX models read their data from an .npz file with arrays X and y, got {data.name!r}"
        )


def _tol(text: str, where: str) -> Fraction:
    if not text:
        return Fraction(1, 1000)
    try:
        value = Fraction(text)
    except (ValueError, ZeroDivisionError):
        value = Fraction(-1)
    if value <= 0:
        raise SpecificationError(f"{where}: tol must be a positive number such as 1e-3, got {text[:30]!r}")
    return value
