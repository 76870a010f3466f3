"""Tie a Coq proof to a layer graph's chord certificate (the graph case of ``check_coq_binding``).

The same three steps as :mod:`symcert.build.coq_binding`, with the files of
:mod:`symcert.printing.coq.graph_chord`: the graph record is read by the checker's own reader
(:func:`~symcert.checker.graph.spec.read_graph`); the ``.v`` file, outside its proof scripts, must be
sentence by sentence the file regenerated from the JSON, its scripts tactics only; ``coqc`` compiles
it, then the statement file regenerated from the JSON alone, in which the kernel checks that
``loss_not_convex`` has the type ``~ convex L``; ``Print Assumptions`` lists only allowed
standard-library axioms.
"""

from __future__ import annotations

import os

from symcert.build.coq import check_coq
from symcert.build.coq_binding import CoqBinding, _compare, _outline, read_coq_source
from symcert.build.coq_lexer import sentences
from symcert.build.coq_screen import screen_script, screen_source
from symcert.checker.graph.spec import read_graph
from symcert.errors import CoqError, SpecificationError
from symcert.printing.coq.graph_chord import THEOREM, graph_chord_to_coq, graph_statement_to_coq

__all__ = ["check_graph_coq_binding"]

_MODULE = "Symcert.symcert_proof"


def check_graph_coq_binding(
    record: dict, coq_file: str | os.PathLike[str], *, assumptions: bool = True
) -> CoqBinding:
    """Whether ``coq_file`` proves exactly the graph chord certificate ``record`` (see the module text)."""
    read_graph(record["network"]["graph"])  # malformed graphs stop here, with the checker's message
    text = read_coq_source(coq_file)
    problems = screen_source(text)
    if problems:
        return CoqBinding(False, [f"REJECT: {p}" for p in problems])
    try:
        regenerated = graph_chord_to_coq(record)
        statement = graph_statement_to_coq(record, _MODULE)
    except SpecificationError as error:
        return CoqBinding(False, [f"REJECT: {error}"])
    expected = _outline(sentences(regenerated))
    try:
        got = _outline(sentences(text))
    except CoqError as error:  # pragma: no cover - screen_source reads the same sentences first
        return CoqBinding(False, [f"REJECT: {error}"])
    refused = _compare(expected, got) or [
        p for item in got if item.script for p in screen_script(item.script)
    ]
    if refused:
        return CoqBinding(False, [f"REJECT: {p}" for p in refused])
    result = check_coq(text, theorem=THEOREM, assumptions=assumptions, statement=statement)
    if not result.accepted:
        return CoqBinding(False, [f"REJECT: {result.error[:600]}"], result)
    scripts = sum(item.script is not None for item in got)
    return CoqBinding(
        True,
        [
            f"the statement ({scripts} proof scripts aside) is the one regenerated from the certificate",
            f"the kernel checked that {THEOREM} has the type ~ convex L, over definitions regenerated from "
            "the certificate alone",
            f"coqc accepted it in {result.seconds:.1f} s; it rests on {len(result.axioms)} standard axiom(s)",
        ],
        result,
    )
