"""Tie a Coq proof to its certificate: the statement comes from the JSON, the proof from Coq.

:func:`check_coq_binding` reads a certificate (strictly, as the checker does) and decides, in order:

1. the text: the ``.v`` file is split into sentences by Coq's lexical rules
   (:mod:`symcert.build.coq_lexer`) and screened (:func:`~symcert.build.coq_screen.screen_source`);
   outside its proof scripts it must be, sentence by sentence, the file symcert regenerates from the
   certificate (comments and blanks aside); its proof scripts (from ``Proof.`` to ``Qed.``) hold
   tactics only (:func:`~symcert.build.coq_screen.screen_script`): no ``Section``, ``Hypothesis``,
   ``Variable``, ``Context``, ``Let``, ``Local``, ``Admitted`` or any other command;
2. the kernel: ``coqc`` compiles the file, then a second file generated from the certificate alone
   (:func:`~symcert.printing.coq.statement.statement_to_coq`), which ``Require``-s it and states the
   theorem over fresh definitions; the kernel accepts it only when the file's ``loss_not_convex`` has
   that type (a premise discharged from a section, or any edited definition, fails here);
3. the axioms: ``Print Assumptions`` in the second file, every axiom by fully qualified name.

A refusal names the line of the sentence refused and why, in one line.

>>> skeleton("Lemma a : True. (* why *) Proof. exact I. Qed.")
('Lemma a : True. Proof. ... Qed.', ['exact I.'])
>>> skeleton("Lemma a : True. Proof. exact I. Qed . Section Cheat.")[0]
'Lemma a : True. Proof. ... Qed. Section Cheat.'
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import sympy

from symcert.build.coq import PROOF_MODULE, CoqResult, check_coq, read_coq_text
from symcert.build.coq_lexer import Sentence, head_word, sentences
from symcert.build.coq_screen import declaration_risk, screen_script, screen_source
from symcert.checker.reading import loads, read_text
from symcert.checker.statement import Statement
from symcert.errors import CoqError
from symcert.printing.coq import THEOREM, certificate_to_coq
from symcert.printing.coq.barrier import BARRIER_THEOREM
from symcert.printing.coq.statement import statement_to_coq
from symcert.proofs.certificates import Certificate
from symcert.proofs.kinds import kind_of
from symcert.proofs.packed import point_arrays, unpack
from symcert.symbolic.data import Dataset
from symcert.symbolic.group import parse_element
from symcert.symbolic.losses import Loss
from symcert.symbolic.network import MLP

__all__ = ["CoqBinding", "check_coq_binding", "certificate_from_record", "skeleton", "read_coq_source"]

#: Sentences that end a proof script (bullets and braces before them aside).
_ENDS = ("Qed", "Defined", "Admitted", "Abort", "Save")


@dataclass(frozen=True)
class CoqBinding:
    """Whether a ``.v`` file proves its certificate's statement: ``accepted``, ``reasons``, coqc's result."""

    accepted: bool
    reasons: list[str] = field(default_factory=list)
    coq: CoqResult | None = None


def read_coq_source(path: str | os.PathLike[str]) -> str:
    """The text of a ``.v`` file, refusing devices, FIFOs, folders, huge and non-UTF-8 files (CoqError)."""
    return read_coq_text(path)


@dataclass(frozen=True)
class _Item:
    """A sentence outside proof scripts, or a whole proof script (``Proof. ... Qed.``)."""

    text: str
    line: int
    script: tuple[Sentence, ...] | None = None


def _tidy(text: str) -> str:
    """A sentence as compared: ``Qed .`` and ``Qed.`` are the same sentence."""
    return text[:-2] + "." if text.endswith(" .") else text


def _outline(parts: Sequence[Sentence]) -> list[_Item]:
    items: list[_Item] = []
    k = 0
    while k < len(parts):
        sentence = parts[k]
        k += 1
        if _tidy(sentence.text) != "Proof.":
            items.append(_Item(_tidy(sentence.text), sentence.line))
            continue
        script: list[Sentence] = []
        end = "<the end of the file>"
        while k < len(parts):
            inner = parts[k]
            k += 1
            word = head_word(inner.text)
            if word in _ENDS:  # bullets or braces before it close goals: they are part of the script
                end = _tidy(inner.text[inner.text.index(word) :])
                break
            script.append(inner)
        items.append(_Item(f"Proof. ... {end}", sentence.line, tuple(script)))
    return items


def skeleton(text: str) -> tuple[str, list[str]]:
    """``text`` without comments, blanks normalised, proof scripts cut to ``...``; and the scripts.

    Sentences are Coq's (see :mod:`symcert.build.coq_lexer`); raises
    :class:`~symcert.errors.CoqError` where they cannot be read exactly.
    """
    items = _outline(sentences(text))
    scripts = [" ".join(s.text for s in item.script) for item in items if item.script is not None]
    return " ".join(item.text for item in items), scripts


def _matrix_of(value: Any) -> tuple[Any, int]:
    """A data matrix of a record, packed or as lists of exact strings, as ``(integers, denominator)``."""
    if isinstance(value, dict):
        return unpack(value)
    import numpy as np

    rows = [[Fraction(v) for v in row] for row in value]
    den = math.lcm(*(v.denominator for row in rows for v in row))
    return np.array([[int(v * den) for v in row] for row in rows], dtype=np.int64), den


def certificate_from_record(record: dict[str, Any]) -> Certificate:
    """The prover's :class:`Certificate` for a certificate record (read strictly by the checker first)."""
    statement = Statement(record)  # malformed records stop here, with the checker's message
    network = record["network"]

    def mlp_of(spec: dict) -> MLP:
        return MLP(
            tuple(int(w) for w in spec["widths"]),
            spec["activation"],
            bias=spec["bias"],
            output_activation=spec["output_activation"],
        )

    mlp = mlp_of(network)
    data = record["data"]
    if "teacher" in data:
        teacher_mlp = mlp_of(data["teacher"]["network"])
        dataset = Dataset.teacher(teacher_mlp, teacher_mlp.point(**data["teacher"]["point"]), data["xs"])
    elif isinstance(data["xs"], dict) or isinstance(data["ys"], dict):  # packed: integer matrices
        X, x_den = _matrix_of(data["xs"])
        Y, y_den = _matrix_of(data["ys"])
        dataset = Dataset.from_integers(X, x_den, Y, y_den)
    else:
        dataset = Dataset(data["xs"], data["ys"])
    loss = Loss(
        mlp, dataset, statement.loss_kind, record["loss"]["weight_decay"], record["loss"].get("factor", "1")
    )
    A = point_arrays(mlp, record["points"]["A"])
    B = point_arrays(mlp, record["points"]["B"]) if "B" in record["points"] else None
    element = None if record["element"] is None else parse_element(record["element"])
    enclosures = {
        name: (
            sympy.Rational(low.numerator, low.denominator),
            sympy.Rational(high.numerator, high.denominator),
        )
        for name, (low, high) in statement.claimed.items()
    }

    def exact(value: Fraction) -> sympy.Rational:
        return sympy.Rational(value.numerator, value.denominator)

    parameters: dict[str, Any] = {}
    spec = kind_of(statement.kind)
    if spec.parameter("t0") is not None:
        parameters["t0"] = exact(statement.t0)
    if spec.parameter("layer") is not None:
        parameters["layer"] = statement.layer
    if statement.h is not None:
        parameters["h"] = exact(statement.h)
    if statement.kind == "barrier":
        barrier: Any = statement  # with its kind's fields (set by checker/kinds/barrier.py)
        parameters["form"], parameters["witness"] = barrier.form, exact(barrier.witness)
        parameters["pieces"] = [[str(exact(v)) for v in piece] for piece in barrier.pieces]
    return Certificate(
        statement.kind, statement.status, loss, A, B, element, enclosures, None, statement.dps, parameters
    )


def check_coq_binding(
    certificate: str | os.PathLike[str] | dict, coq_file: str | os.PathLike[str], *, assumptions: bool = True
) -> CoqBinding:
    """Check that ``coq_file`` proves exactly the statement of ``certificate``, then run coqc on it.

    ``certificate`` is a path to the JSON file (or the parsed record). Unreadable or malformed inputs
    raise :class:`~symcert.checker.reading.CertificateFormatError` or :class:`~symcert.errors.CoqError`.
    """
    record = certificate if isinstance(certificate, dict) else loads(read_text(certificate), str(certificate))
    if isinstance(record, dict) and isinstance(record.get("network"), dict) and "graph" in record["network"]:
        from symcert.build.coq_graph import check_graph_coq_binding  # a layer graph's chord

        return check_graph_coq_binding(record, coq_file, assumptions=assumptions)
    text = read_coq_source(coq_file)
    problems = screen_source(text)
    if problems:
        return CoqBinding(False, [f"REJECT: {p}" for p in problems])
    regenerated = certificate_from_record(record)
    expected = _outline(sentences(certificate_to_coq(regenerated)))
    try:
        got = _outline(sentences(text))
    except CoqError as error:  # pragma: no cover - screen_source reads the same sentences first
        return CoqBinding(False, [f"REJECT: {error}"])
    refused = _compare(expected, got) or [
        p for item in got if item.script for p in screen_script(item.script)
    ]
    if refused:
        return CoqBinding(False, [f"REJECT: {p}" for p in refused])
    statement = statement_to_coq(regenerated, PROOF_MODULE)
    theorem = BARRIER_THEOREM if regenerated.kind == "barrier" else THEOREM
    result = check_coq(text, theorem=theorem, assumptions=assumptions, statement=statement)
    if not result.accepted:
        return CoqBinding(False, [f"REJECT: {result.error[:600]}"], result)
    scripts = sum(item.script is not None for item in got)
    reasons = [
        f"the statement ({scripts} proof scripts aside) is the one regenerated from the certificate",
        f"the kernel checked that {theorem} has the type the certificate states, over definitions "
        "regenerated from the certificate alone",
        f"coqc accepted it in {result.seconds:.1f} s; it rests on {len(result.axioms)} standard axiom(s)",
    ]
    return CoqBinding(True, reasons, result)


def _short(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _compare(expected: list[_Item], got: list[_Item]) -> list[str]:
    """The first sentence of ``got`` (outside proof scripts) that is not the regenerated one, as a reason."""
    for want, have in zip(expected, got):
        if want.text == have.text:
            continue
        why = declaration_risk(head_word(have.text)) or (
            "the Coq file does not state what the certificate says (only proof scripts may differ)"
        )
        found, wanted = _short(have.text), _short(want.text)
        return [f"line {have.line}: refused `{found}`: {why}; the regenerated file has `{wanted}`"]
    if len(got) > len(expected):
        extra = got[len(expected)]
        return [
            f"line {extra.line}: refused `{_short(extra.text)}`: the Coq file does not state what the "
            "certificate says (its statement ends with the final theorem's proof)"
        ]
    if len(got) < len(expected):
        last = got[-1].line if got else 1
        return [
            f"line {last}: the Coq file does not state what the certificate says (it ends before "
            f"`{_short(expected[len(got)].text)}`)"
        ]
    return []
