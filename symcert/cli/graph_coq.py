"""``symcert prove --model F.onnx --data F.npz --coq OUT.v [--check-coq]``: a graph chord certificate in Coq.

The Coq file is written from the certificate's JSON record (:mod:`symcert.printing.coq.graph_chord`);
``--check-coq`` runs ``coqc`` on it and on the statement file regenerated from the JSON, in which the
kernel checks the theorem's type, then prints the axioms ``Print Assumptions`` lists.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from symcert.build.coq import PROOF_MODULE, check_coq
from symcert.cli.coq_output import axioms_text
from symcert.errors import SpecificationError
from symcert.limits import MAX_COQ_GRAPH_SIZE
from symcert.numeric.graph import GraphLoss
from symcert.printing.coq.graph_chord import graph_chord_to_coq, graph_statement_to_coq
from symcert.proofs.graph_chord import GraphCertificate

__all__ = ["refuse_graph_coq", "write_graph_coq"]


def refuse_graph_coq(args: argparse.Namespace, loss: GraphLoss) -> None:
    """Before any work: refuse ``--check-coq`` alone, a kind other than chord, a graph past the limit."""
    if getattr(args, "check_coq", False) and not args.coq:
        raise SpecificationError("--check-coq needs --coq OUT.v (the Coq file is written first)")
    if not args.coq:
        return
    if args.kind != "chord":
        raise SpecificationError(
            f"--coq with an ONNX model exports chord certificates only, got --kind {args.kind}; "
            "drop --coq or use --kind chord"
        )
    if loss.kind not in ("mse", "sse", "cross_entropy"):
        raise SpecificationError(
            f"--coq with an ONNX model exports mse, sse and cross_entropy losses, got --loss {loss.kind}; "
            "drop --coq"
        )
    n_parameters = loss.graph.n_parameters
    size = n_parameters * loss.n_points
    if size > MAX_COQ_GRAPH_SIZE:
        raise SpecificationError(
            f"--coq: a graph chord certificate with {n_parameters} parameters on {loss.n_points} points has "
            f"size {size} (parameters x data points), beyond the {MAX_COQ_GRAPH_SIZE} that coqc checks "
            "quickly; check its JSON with symcert check CERT.json instead, which has no such limit"
        )


def write_graph_coq(certificate: GraphCertificate, path: str, check: bool) -> bool:
    """Write the Coq proof of a proved graph chord certificate (``check``: run coqc); False if rejected."""
    if not certificate.proved:
        raise SpecificationError(
            f"--coq exports a proved certificate, and this one is {certificate.status}; no Coq file written"
        )
    record = certificate.to_dict()
    text = graph_chord_to_coq(record)  # refuses past the limits, one line
    target = Path(path)
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as error:
        raise SpecificationError(f"cannot write {target}: {error.strerror}") from None
    print(f"Coq proof written to {target} (check: coqc {target})")
    if not check:
        return True
    result = check_coq(target, statement=graph_statement_to_coq(record, PROOF_MODULE))
    if result.accepted:
        print(f"coqc accepted {target} in {result.seconds:.1f} s")
        print(axioms_text(result.axioms))
        return True
    print(f"coqc REJECTED {target}: {result.error}")
    return False
