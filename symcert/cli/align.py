"""``symcert align --model A.onnx --model B.onnx``: align B to A over the derived groups, and prove it.

Weight matching (Git Re-Basin) over every permutation group derived from the model's layers, with sign
flips where the layers make them symmetries; the element ``g`` is exact, ``g(B)`` is computed exactly,
and each factor of ``g`` is proved a symmetry structurally, node by node. ``--out`` writes ``g(B)`` as an
ONNX model (B's file with its initializers replaced, read back and compared exactly), ready for
``symcert barrier``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from symcert.cli.options import add_command
from symcert.cli.outputs import check_output_file
from symcert.errors import SpecificationError

if TYPE_CHECKING:
    from symcert.proofs.graph_alignment import GraphAlignment
    from symcert.symbolic.graph import Graph

__all__ = ["add_align_parser", "run_align"]

EXIT_PROVED, EXIT_NOT_PROVED = 0, 1


def add_align_parser(commands: argparse._SubParsersAction) -> None:
    """Register ``symcert align``."""
    parser = add_command(
        commands,
        "align",
        purpose="Align two networks over their symmetry group (weight matching), and prove it.",
        details="Git Re-Basin for layer graphs: the permutation groups are derived from the ONNX model's "
        "layers (conv channels, residual streams, batch norms), with per-channel sign flips where the "
        "activation is odd. Weight matching (coordinate descent over the groups, one linear assignment "
        "each) finds g with g(B) close to A; g is exact, g(B) is computed exactly from B's weights, and "
        "each factor of g is proved a symmetry node by node, so g(B) computes the same function as B. "
        "With --data, activation matching on the data instead. The matching is a local optimum; the "
        "distances are float64 (evidence). In the element, B's channels are sign-flipped first, then "
        "permuted: a cycle (0 1 2) puts B's channel 1 at 0, 2 at 1 and 0 at 2.",
        examples=[
            ("symcert align --model a.onnx --model b.onnx", "the element, the distances, the proof"),
            (
                "symcert align --model a.onnx --model b.onnx --out b_aligned.onnx",
                "also write g(B) for `symcert barrier`",
            ),
            ("symcert align --model a.onnx --model b.onnx --json --no-spot", "JSON, no spot checks"),
            ("symcert align --model a.onnx --model b.onnx --data digits.npz", "activation matching on X"),
        ],
        prints="per group it changes, g in the group's own words (conv1 output channels: (0 2)(1) sign -1 "
        "on 3), the float64 distances ||A - B|| and ||A - g(B)||, the matching objective per sweep, "
        "whether g(B) == A exactly, and the proof of g (each factor; --json: one document with stable "
        "keys). Exit code 0 when g is proved a symmetry, 1 when it is not, 2 for bad input.",
    )
    parser.add_argument(
        "--model",
        action="append",
        default=None,
        metavar="FILE.onnx",
        help="give twice: the ONNX models A then B (one architecture; B is aligned to A)",
    )
    parser.add_argument(
        "--out",
        dest="aligned",
        default=None,
        metavar="ALIGNED.onnx",
        help="write g(B) as an ONNX model: B's file with its initializers replaced (float32 stays exact)",
    )
    parser.add_argument(
        "--data",
        default=None,
        metavar="FILE.npz",
        help="activation matching on the inputs X of this .npz (n, *input_shape), instead of weights",
    )
    parser.add_argument("--json", action="store_true", help="print JSON (stable keys)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the order of the groups per sweep (0)")
    parser.add_argument("--max-iter", type=int, default=100, help="at most this many sweeps (100)")
    parser.add_argument(
        "--init",
        choices=("forward", "identity"),
        default="forward",
        help="start from a pass over the groups from the input (forward, default) or the identity",
    )
    parser.add_argument(
        "--logits",
        action="store_true",
        help="the output is the logits of a softmax cross-entropy loss (as in symcert group)",
    )
    parser.add_argument(
        "--no-spot",
        action="store_true",
        help="skip the spot check in each factor's proof (two evaluations of the network each)",
    )


def _models(args: argparse.Namespace) -> tuple[str, str]:
    paths = args.model or []
    if len(paths) != 2:
        raise SpecificationError(f"give --model twice (A then B), got {len(paths)}")
    for path in paths:
        if not path.lower().endswith(".onnx"):
            raise SpecificationError(f"symcert align reads .onnx models, got {path!r}")
    if args.aligned is not None:
        if not args.aligned.lower().endswith(".onnx"):
            raise SpecificationError(
                f"--out writes an ONNX model: give a name ending in .onnx, got {args.aligned!r}"
            )
        check_output_file(args.aligned, "--out", "aligned.onnx")
    if args.max_iter < 1:
        raise SpecificationError(f"--max-iter must be at least 1, got {args.max_iter}")
    return paths[0], paths[1]


def _matching_text(result: GraphAlignment) -> str:
    values = " -> ".join(f"{v:.6g}" for v in result.history)
    if result.method == "activations":
        return f"activations, matched score {values} (identity, after; one assignment per group)"
    state = "converged" if result.converged else "stopped at --max-iter"
    sweeps = f"{result.iterations} sweep{'' if result.iterations == 1 else 's'}"
    return f"weights, <A, g(B)> {values} ({sweeps}, {state}; a local optimum)"


def _data(path: str | None, graph: Graph) -> Any:
    """The inputs ``X`` of an ``.npz`` file (``y`` may be there too and is not used), or None."""
    if path is None:
        return None
    from symcert.models.reading import npz_arrays

    if not path.lower().endswith(".npz") or not Path(path).is_file():
        raise SpecificationError(f"--data needs an .npz file with an array X of inputs, got {path!r}")
    try:
        arrays = npz_arrays(path)
    except (ValueError, OSError, EOFError) as error:
        raise SpecificationError(f"{path} is not a numpy file of numeric arrays ({error})") from None
    if "X" not in arrays:
        raise SpecificationError(f"{path}: expected an array X of inputs, got {sorted(arrays)[:6]}")
    X = arrays["X"]
    size = 1
    for d in graph.input_shape:
        size *= d
    if getattr(X, "ndim", 0) == 2 and X.shape[1] == size:  # flat rows, as `symcert prove --model` reads
        X = X.reshape(len(X), *graph.input_shape)
    return X


def run_align(args: argparse.Namespace) -> int:
    """Align B to A, print (or write) the result; exit 0 when g is proved a symmetry."""
    from symcert.models.onnx_export import onnx_with_parameters
    from symcert.models.onnx_import import load_onnx
    from symcert.proofs.graph_alignment import align_graphs

    path_a, path_b = _models(args)
    A, B = load_onnx(path_a), load_onnx(path_b)
    start = time.perf_counter()
    data = _data(args.data, A.graph)
    result = align_graphs(
        A,
        B,
        data=data,
        max_iter=args.max_iter,
        seed=args.seed,
        init=args.init,
        logits=args.logits,
        spot=not args.no_spot,
    )
    seconds = time.perf_counter() - start
    written = None
    if args.aligned is not None:
        written = Path(args.aligned)
        written.write_bytes(onnx_with_parameters(path_b, result.aligned))
    code = EXIT_PROVED if result.status == "proved" else EXIT_NOT_PROVED
    if args.json:
        record = {
            **result.to_dict(),
            "seconds": seconds,
            "aligned_model": None if written is None else str(written),
        }
        print(json.dumps(record, indent=2, sort_keys=True))
        return code
    print(f"Network:     {A.graph.describe()}")
    print(f"Group:       order {result.spec.order} ({len(result.spec.groups)} permutation groups)")
    print("Element g:   B's channels sign-flipped, then permuted (a cycle (0 1 2) puts B's channel 1 at 0)")
    for line in result.text().splitlines():
        print(f"  {line}")
    print(
        f"Distance:    ||A - B|| = {result.distance_before:.6g}, ||A - g(B)|| = {result.distance_after:.6g} "
        "(float64, evidence)"
    )
    print(f"Matching:    {_matching_text(result)}")
    print(f"g(B) == A:   {'yes, exactly (the aligned barrier is 0)' if result.exact_match() else 'no'}")
    for proof in result.proofs:
        print(f"  {proof.element}: {proof.status.upper()}")
    print(f"Proof:       {result.conclusion()}")
    if written is not None:
        caveat = (
            ""
            if result.status == "proved"
            else "; g is NOT proved a symmetry: it may compute another function"
        )
        print(f"Wrote:       {written} (g(B), read back and compared exactly{caveat})")
    print(f"Time:        {seconds:.2f} s", file=sys.stderr)
    return code
