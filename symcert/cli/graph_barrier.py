"""``symcert barrier --model A.onnx --model B.onnx --data F.npz [--align]``: the certified barrier between
two ONNX networks of one layer graph (:func:`~symcert.proofs.graph_barrier.certify_graph_barrier`); with
``--align``, B is first aligned to A over the graph's derived groups
(:func:`~symcert.proofs.graph_alignment.align_graphs`: weight matching, the exact element, each factor
proved a symmetry structurally; spot checks skipped) and the barrier after alignment is certified too
(``--json OUT``: OUT's stem + ``.before.json`` and ``.after.json``). ``--digits N`` tightens each
enclosure to N significant digits (:mod:`symcert.proofs.graph_barrier_digits`) or says which cap stopped
it; ``--latex OUT.tex`` (``--pdf OUT.pdf``) writes the statement, the partition and the witness of each
barrier (:mod:`symcert.printing.latex.graph_barrier`)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from symcert.build.files import write_json
from symcert.cli.digits import shortfall
from symcert.cli.framework import graph_loss_and_data
from symcert.cli.progress import progress_bar
from symcert.errors import SpecificationError
from symcert.models.onnx_import import load_onnx
from symcert.numeric.graph import GraphLoss, float_loss
from symcert.numeric.rounding import outward_interval
from symcert.proofs.graph_barrier import GraphBarrierResult, certify_graph_barrier
from symcert.symbolic.graph import graph_to_dict

__all__ = ["run_graph_barrier", "is_onnx"]


def is_onnx(args: argparse.Namespace) -> bool:
    """True when the models given are ONNX files."""
    return any(str(m).lower().endswith(".onnx") for m in (args.model or []))


def _refuse(args: argparse.Namespace) -> None:
    if len(args.model) != 2:
        raise SpecificationError(
            f"give exactly two models (--model A.onnx --model B.onnx), got {len(args.model)}"
        )
    if not all(str(m).lower().endswith(".onnx") for m in args.model):
        raise SpecificationError(
            "give two ONNX models (--model A.onnx --model B.onnx), not one of each format"
        )
    if args.data == "teacher":
        raise SpecificationError(
            "--model FILE.onnx needs --data FILE.npz with arrays X (n, *input_shape) and y"
        )
    given = (
        ("--point", args.point),
        ("--coq", args.coq),
        ("--plot", args.plot),
        ("--activation", getattr(args, "activation", None)),
        ("--output-activation", getattr(args, "output_activation", None)),
    )
    for flag, value in given:
        if value is not None:
            raise SpecificationError(f"{flag} is not available with ONNX models; drop {flag}")
    if args.framework not in ("plain", None):
        raise SpecificationError(f"--framework {args.framework} does not apply to ONNX models; name --loss")
    if args.weight_decay:
        raise SpecificationError("--weight-decay is not available with ONNX models yet; drop it")
    if args.pdf and not args.latex:
        raise SpecificationError("--pdf needs --latex OUT.tex (the LaTeX source is written first)")
    for flag, path in (("--latex", args.latex), ("--pdf", args.pdf), ("--json", args.json)):
        if path is not None and not Path(path).resolve().parent.is_dir():
            raise SpecificationError(
                f"{flag} {path}: the folder {Path(path).parent} does not exist; create it first"
            )


def run_graph_barrier(args: argparse.Namespace) -> int:
    """Load both ONNX models and the data, certify the barrier, print it, write ``--json``."""
    _refuse(args)
    first, second = (load_onnx(path) for path in args.model)
    if graph_to_dict(first.graph) != graph_to_dict(second.graph):
        raise SpecificationError(
            f"--model {args.model[0]} is a {first.graph.describe()} but --model {args.model[1]} a "
            f"{second.graph.describe()}; a barrier needs two networks of the same layer graph"
        )
    graph = first.graph
    kind, X, Y = graph_loss_and_data(args, graph)  # --loss, or the model's own (a softmax on class labels)
    loss = GraphLoss(graph, X, Y, kind)
    A, B = first.params, second.params
    print(f"Network: {graph.describe()}")
    print(f"Loss: {loss.describe()}")
    for name, path, point in (("A", args.model[0], A), ("B", args.model[1], B)):
        print(f"Model {name}: {path}, L = {float_loss(loss, point):.12g} in float64 (evidence only)")
    before = _certify(args, loss, A, B, "A, B")
    print(f"Barrier{' before alignment' if args.align else ''}: {_shown(args, before)}")
    _digits_notes(args, before, "before alignment" if args.align else "")
    results = [("before", before)]
    aligned_ok = True
    if args.align:
        from symcert.proofs.graph_alignment import align_graphs

        _say(args, "aligning B to A (weight matching over the derived groups) ...")
        alignment = align_graphs(first, second, spot=False)
        aligned_ok = alignment.status == "proved"
        shown = alignment.text().replace("\n", "; ")
        print(f"Alignment: g = {shown}")
        print(
            f"  ||A - B|| = {alignment.distance_before:.6g} -> ||A - g(B)|| = {alignment.distance_after:.6g} "
            f"(float64); {alignment.conclusion()}"
        )
        after = _certify(args, loss, A, alignment.aligned, "A, g(B)")
        print(f"Barrier after alignment:  {_shown(args, after)}")
        _digits_notes(args, after, "after alignment")
        results.append(("after", after))
    if any(r.status != "proved" for _, r in results):
        print(
            "Note: a cap (--max-pieces, --max-seconds) stopped the branch and bound; the enclosure is "
            "rigorous but wider than --tol"
        )
    if args.json:
        for name, result in results:
            path = Path(args.json).with_suffix(f".{name}.json") if args.align else Path(args.json)
            try:
                write_json(result, path)
            except OSError as error:
                raise SpecificationError(f"cannot write {path}: {error.strerror}") from None
            print(f"Certificate written to {path} (re-check: symcert check {path})")
    if args.latex:
        _write_latex(args, results)
    return 0 if aligned_ok and all(r.proved for _, r in results) else 1


def _write_latex(args: argparse.Namespace, results: list[tuple[str, GraphBarrierResult]]) -> None:
    """``--latex OUT.tex``: the statement, the partition table and the witness of each barrier (``--pdf``:
    compiled with TeX); printed with ``--digits`` digits, 12 without."""
    from symcert.build.tex import compile_pdf, standalone_document, write_tex
    from symcert.printing.latex.graph_barrier import graph_barrier_document_body

    panels = [(f"{name} alignment" if args.align else name, result) for name, result in results]
    body = graph_barrier_document_body(panels, args.digits or 12)
    title = "Certified loss barrier between two layer-graph networks"
    write_tex(args.latex, standalone_document(body, title))
    print(f"LaTeX written to {args.latex}")
    if args.pdf:
        compile_pdf(args.latex, args.pdf)
        print(f"PDF written to {args.pdf}")


def _say(args: argparse.Namespace, text: str) -> None:
    if not args.quiet:
        print(text, file=sys.stderr, flush=True)


def _certify(args: argparse.Namespace, loss: GraphLoss, A: Any, B: Any, label: str) -> GraphBarrierResult:
    start = time.perf_counter()
    _say(args, f"certifying the barrier between {label} ...")
    with progress_bar(args, f"branch and bound ({label})", unit="piece") as bar:
        result = certify_graph_barrier(
            loss,
            A,
            B,
            tol=args.tol,
            form=args.form,
            max_pieces=args.max_pieces,
            max_seconds=args.max_seconds,
            progress=bar,
            digits=args.digits,
        )
    _say(args, f"[{time.perf_counter() - start:6.1f} s] {result.status}")
    return result


def _shown(args: argparse.Namespace, result: GraphBarrierResult) -> str:
    return result.summary(exact=args.exact, digits=args.digits)


def _digits_notes(args: argparse.Namespace, result: GraphBarrierResult, where: str) -> None:
    """With ``--digits``: L(A), L(B) with that many digits, and a note for each enclosure that did not
    get there, saying honestly what stopped it (a cap, or the highest precision tried)."""
    digits = args.digits
    if digits is None or result.exact:
        return
    for name, bounds in (("L(A)", result.LA), ("L(B)", result.LB)):
        print(f"  {name} in {outward_interval(*bounds, digits, pad=True)}")
    reason = "the highest precision tried did not get further"
    if result.stopped == "max_seconds":
        reason = f"--max-seconds {args.max_seconds:g} ran out first (raise it for more digits)"
    elif result.stopped == "max_pieces":
        reason = f"--max-pieces {args.max_pieces} ran out first (raise it for more digits)"
    found = {"barrier": (result.lo, result.hi), "L(A)": result.LA, "L(B)": result.LB}
    for note in shortfall(found, digits, where, reason):
        print(note)
