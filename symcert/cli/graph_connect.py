"""``symcert connect --model A.onnx --model B.onnx --data F.npz [--via C.onnx ...] [--level X]``: a certified
connecting path between two ONNX networks of one layer graph
(:func:`~symcert.proofs.graph_path.certify_graph_path`).

By default B is first aligned to A over the graph's derived groups
(:func:`~symcert.proofs.graph_alignment.align_graphs`: weight matching, the exact element ``g``, each
factor proved a symmetry structurally, spot checks skipped), and the path runs from A through the
``--via`` models (as given) to ``g(B)``, which computes the same function as B; ``--no-align`` keeps B.
Each segment is straight and bounded by pieces, except a softmax translation of the logits' bias (an
exact move; see :mod:`symcert.proofs.graph_path`). ``--level X`` asks whether
``L <= X`` along the whole path: proved, refuted (a certified point lies above X) or undecided."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from symcert.build.files import write_json
from symcert.cli.progress import progress_bar
from symcert.errors import SpecificationError
from symcert.models.graph_data import load_graph_data
from symcert.models.onnx_import import load_onnx
from symcert.numeric.graph import GraphLoss, float_loss
from symcert.numeric.rounding import outward_interval
from symcert.proofs.graph_path import certify_graph_path, level_verdict
from symcert.symbolic.graph import graph_to_dict

__all__ = ["run_graph_connect"]


def _refuse(args: argparse.Namespace) -> None:
    if len(args.model) != 2:
        raise SpecificationError(
            f"give exactly two models (--model A.onnx --model B.onnx), got {len(args.model)}; "
            "points in between go in --via C.onnx"
        )
    models = [*args.model, *args.via]
    if not all(str(m).lower().endswith(".onnx") for m in models):
        raise SpecificationError("with --model, every model and every --via must be an ONNX file (.onnx)")
    if args.data == "teacher":
        raise SpecificationError(
            "--model FILE.onnx needs --data FILE.npz with arrays X (n, *input_shape) and y"
        )
    given = (
        ("--point", args.point),
        ("--element", args.element),
        ("--latex", args.latex),
        ("--plot", args.plot),
        ("--activation", args.activation),
        ("--output-activation", args.output_activation),
    )
    for flag, value in given:
        if value is not None:
            raise SpecificationError(f"{flag} is not available with ONNX models; drop {flag}")
    if args.curve != "chain":
        raise SpecificationError("--curve bezier is not available with ONNX models; the path is a chain")


def _say(args: argparse.Namespace, text: str) -> None:
    if not args.quiet:
        print(text, file=sys.stderr, flush=True)


def run_graph_connect(args: argparse.Namespace) -> int:
    """Load the models and the data, align B to A (unless ``--no-align``), certify the path, print it."""
    _refuse(args)
    first, second = load_onnx(args.model[0]), load_onnx(args.model[1])
    via = [load_onnx(path) for path in args.via]
    for path, model in zip([args.model[1], *args.via], [second, *via]):
        if graph_to_dict(model.graph) != graph_to_dict(first.graph):
            raise SpecificationError(
                f"--model {args.model[0]} is a {first.graph.describe()} but {path} a "
                f"{model.graph.describe()}; "
                "a path needs networks of the same layer graph"
            )
    graph = first.graph
    X, Y = load_graph_data(args.data, graph, args.loss)
    loss = GraphLoss(graph, X, Y, args.loss)
    print(f"Network: {graph.describe()}")
    print(f"Loss: {loss.describe()}")
    for name, path, model in (("A", args.model[0], first), ("B", args.model[1], second)):
        print(f"Model {name}: {path}, L = {float_loss(loss, model.params):.12g} in float64 (evidence only)")
    end: Any = second.params
    aligned_ok, label = True, "B"
    if not args.no_align:
        from symcert.proofs.graph_alignment import align_graphs

        _say(args, "aligning B to A (weight matching over the derived groups) ...")
        alignment = align_graphs(first, second, spot=False)
        aligned_ok, end, label = alignment.status == "proved", alignment.aligned, "g(B)"
        print(f"Alignment: g = {alignment.text().replace(chr(10), '; ')}")
        print(
            f"  ||A - B|| = {alignment.distance_before:.6g} -> ||A - g(B)|| = {alignment.distance_after:.6g} "
            f"(float64); {alignment.conclusion()}"
        )
    points = [first.params, *(m.params for m in via), end]
    title = " -> ".join(["A", *(f"C{i + 1}" for i in range(len(via))), label])
    _say(args, f"certifying sup L along the straight segments {title} ...")
    with progress_bar(args, f"bounding {title}", unit="segment") as bar:
        result = certify_graph_path(
            loss, points, tol=args.tol, max_pieces=args.max_pieces, max_seconds=args.max_seconds, progress=bar
        )
    shown = f"[{result.lo}, {result.hi}]" if args.exact else outward_interval(result.lo, result.hi, 6)
    print(f"Path {title}: {result.note().replace(outward_interval(result.lo, result.hi, 6), shown, 1)}")
    ok = result.proved and aligned_ok
    if args.level is not None:
        verdict = level_verdict(result, args.level)
        if verdict == "proved" and not result.proved:  # the enclosure decides, the certificate does not
            verdict = (
                "holds on the enclosure, but the certificate is undecided "
                "(a cap stopped it; check rejects it)"
            )
        print(f"Level: L <= {args.level} along the whole path: {verdict}")
        ok = ok and verdict == "proved"
    if not result.proved:
        print(
            "Note: a cap (--max-pieces, --max-seconds) stopped the branch and bound; the enclosure is "
            "rigorous but wider than --tol"
        )
    if args.json:
        path = Path(args.json)
        try:
            write_json(result, path)
        except OSError as error:
            raise SpecificationError(f"cannot write {path}: {error.strerror}") from None
        print(f"Certificate written to {path} (re-check: symcert check {path})")
    return 0 if ok else 1
