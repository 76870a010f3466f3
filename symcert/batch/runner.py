"""Certify the barrier of every pair of a manifest on Dask ``distributed``, resumably.

Each pair runs as one task on a worker: it loads both networks and the data exactly, certifies
the barrier (and, with ``align``, aligns ``B`` to ``A`` and certifies it again), and writes one
certificate per barrier into the results folder, atomically (a temporary file in the same folder,
then ``os.replace``): a file named ``NAME.json`` is either absent or complete. A result file that
exists, reads as a complete certificate and (with ``recheck``, the default) is accepted by the
independent checker is kept untouched and not recomputed, so a killed run resumes where it stopped.
``summary.csv`` in the results folder has one row per certificate (pair, variant, status, barrier
lo and hi, seconds spent in this run, computed or kept), rewritten atomically after every pair.

Dask is optional (``pip install 'symcert[dask]'``) and imported only here, when a run starts.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

from symcert.batch.cluster import MAX_LOCAL_WORKERS, dask_client, distributed_module
from symcert.batch.manifest import Pair, read_manifest
from symcert.errors import SpecificationError

__all__ = ["run_manifest", "certify_pair", "SUMMARY_COLUMNS"]

SUMMARY_COLUMNS = ("pair", "variant", "status", "barrier_lo", "barrier_hi", "seconds", "computed")


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that ``path`` is never seen half-written (temp file + rename)."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _finished(path: Path, recheck: bool) -> dict | None:
    """The summary of a complete (and, with ``recheck``, checker-accepted) barrier certificate, else None."""
    from symcert.checker import check

    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        lo, hi = record["enclosures"]["barrier"]
        status = record["status"]
        if record.get("kind") != "barrier":
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if recheck:
        try:
            if not check(str(path)).accepted and status == "proved":
                return None
        except (ValueError, ArithmeticError):
            return None
    return {"status": status, "barrier_lo": lo, "barrier_hi": hi}


def certify_pair(pair: Pair, out: str, recheck: bool = True) -> list[dict]:
    """Certify one pair (the task a worker runs); one summary row per certificate."""
    folder = Path(out)
    variants = ("before", "after") if pair.align else ("plain",)
    kept = {v: _finished(folder / f, recheck) for v, f in zip(variants, pair.files())}
    rows = []
    if all(kept.values()):
        return [
            {"pair": pair.name, "variant": v, **(kept[v] or {}), "seconds": "", "computed": "no"}
            for v in variants
        ]
    results = _graph_results(pair, variants, kept) if pair.graph else _mlp_results(pair, variants, kept)
    for variant, name in zip(variants, pair.files()):
        done = kept[variant]
        if done:
            rows.append({"pair": pair.name, "variant": variant, **done, "seconds": "", "computed": "no"})
            continue
        start = time.perf_counter()
        result = next(results)[1]
        write_atomically(folder / name, _json_text(result))
        rows.append(
            {
                "pair": pair.name,
                "variant": variant,
                "status": result.status,
                "barrier_lo": _decimal(result.lo, up=False),
                "barrier_hi": _decimal(result.hi, up=True),
                "seconds": f"{time.perf_counter() - start:.2f}",
                "computed": "yes",
            }
        )
    return rows


def _mlp_results(pair: Pair, variants: tuple[str, ...], kept: dict) -> Iterator[tuple[str, Any]]:
    """The MLP barriers still missing, one at a time (the networks and data are read at once)."""
    from symcert.models.data import load_data
    from symcert.models.loaders import load_weights
    from symcert.proofs.alignment import align
    from symcert.proofs.barrier import certify_barrier
    from symcert.symbolic.losses import Loss

    mlp, A = load_weights(pair.model_a, pair.activation, pair.output, on_missing="error")
    mlp_b, B = load_weights(pair.model_b, pair.activation, pair.output, on_missing="error")
    if mlp_b != mlp:
        raise SpecificationError(
            f"{pair.name}: model_a is a {mlp.describe()} but model_b a {mlp_b.describe()}; a barrier needs "
            "two networks of the same shape"
        )
    loss = Loss(mlp, load_data(pair.data, mlp, pair.loss), pair.loss)

    def results() -> Iterator[tuple[str, Any]]:
        for variant in variants:
            if not kept[variant]:
                other = align(A, B).aligned if variant == "after" else B
                yield variant, certify_barrier(loss, A, other, tol=pair.tol, form=pair.form)

    return results()


def _graph_results(pair: Pair, variants: tuple[str, ...], kept: dict) -> Iterator[tuple[str, Any]]:
    """The graph barriers still missing, for a row of two ONNX models."""
    from symcert.batch.graph_pairs import graph_barriers

    return graph_barriers(pair, variants, {v for v in variants if not kept[v]})


def _json_text(result: Any) -> str:
    """The certificate's JSON: an MLP barrier's through its certificate, a graph barrier's directly."""
    return result.to_json() if hasattr(result, "to_json") else result.certificate().to_json()


def _decimal(value: Fraction, up: bool) -> str:
    """Ten significant digits, rounded outward: ``barrier_lo`` down, ``barrier_hi`` up."""
    from symcert.numeric.rounding import decimal_down, decimal_up  # not at start-up

    return decimal_up(value, 10) if up else decimal_down(value, 10)


def _summary_text(rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, SUMMARY_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {
                k: (_decimal(Fraction(v), k == "barrier_hi") if k.startswith("barrier") and v else v)
                for k, v in row.items()
            }
        )
    return buffer.getvalue()


def run_manifest(
    manifest: str | Path,
    out: str | Path,
    *,
    workers: int = 2,
    scheduler: str | None = None,
    processes: bool = True,
    recheck: bool = True,
    progress: Callable[[str], None] | None = None,
) -> list[dict]:
    """Certify every pair of ``manifest`` into the folder ``out`` on Dask (see the module docstring).

    A local cluster of ``workers`` single-threaded workers (``processes=False``: threads of this
    process) unless ``scheduler`` gives the address of a running one. Returns the summary rows; a
    pair that fails gets a row with status ``error: ...`` and the run goes on.
    """
    pairs = read_manifest(manifest)
    if scheduler is None and not 1 <= workers <= MAX_LOCAL_WORKERS:
        raise SpecificationError(f"workers must be from 1 to {MAX_LOCAL_WORKERS}, got {workers}")
    distributed = distributed_module()
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    say = progress or (lambda text: None)
    rows: dict[str, list[dict]] = {}
    with dask_client(workers, scheduler, processes) as client:
        say(f"{len(pairs)} pairs on {scheduler or f'a local cluster of {workers} workers'}")
        run = uuid.uuid4().hex[:12]  # keys unique per run: a long-lived scheduler never reuses a result
        futures = {
            client.submit(
                certify_pair, pair, str(folder), recheck, pure=False, key=f"symcert-{run}-{i}"
            ): pair
            for i, pair in enumerate(pairs)
        }
        for done, future in enumerate(distributed.as_completed(futures), start=1):
            pair = futures[future]
            try:
                rows[pair.name] = future.result()
            except Exception as error:  # one pair's failure is reported, the run goes on
                message = " ".join(str(error).split())[:200]
                rows[pair.name] = [
                    {
                        "pair": pair.name,
                        "variant": "",
                        "status": f"error: {type(error).__name__}: {message}",
                        "barrier_lo": "",
                        "barrier_hi": "",
                        "seconds": "",
                        "computed": "no",
                    }
                ]
            ordered = [row for p in pairs if p.name in rows for row in rows[p.name]]
            write_atomically(folder / "summary.csv", _summary_text(ordered))
            say(f"[{done}/{len(pairs)}] {pair.name}: " + "; ".join(_describe(r) for r in rows[pair.name]))
    return [row for p in pairs for row in rows.get(p.name, [])]


def _describe(row: dict) -> str:
    if row["status"].startswith("error"):
        return row["status"]
    what = f"{row['variant']} " if row["variant"] != "plain" else ""
    how = f"{row['seconds']} s" if row["computed"] == "yes" else "kept"
    return f"{what}{row['status']} in [{row['barrier_lo']}, {row['barrier_hi']}] ({how})"
