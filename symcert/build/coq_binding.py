"""Tie a Coq proof to its certificate: the statement comes from the JSON, the proof from Coq.

:func:`check_coq_binding` reads a certificate (strictly, as the checker does),
regenerates from it the Coq file symcert would write (definitions of the
parameter record, convexity, the network, the loss, the data, the points,
every lemma statement and the final theorem), and requires the given ``.v``
file to be that file, comments and whitespace aside, except for what lies
between ``Proof.`` and ``Qed.``: only the proof scripts may differ. The file
then goes through :func:`~symcert.build.coq.check_coq` (the text screen,
``coqc``, and the axioms by fully qualified name).

>>> skeleton("Lemma a : True. (* why *) Proof. exact I. Qed.")
('Lemma a : True. Proof. ... Qed.', ['exact I.'])
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import sympy

from symcert.build.coq import CoqResult, check_coq, read_coq_text
from symcert.build.coq_screen import screen_source, strip_comments
from symcert.checker.reading import loads, read_text
from symcert.checker.statement import Statement
from symcert.printing.coq import THEOREM, certificate_to_coq
from symcert.proofs.certificates import Certificate
from symcert.proofs.kinds import kind_of
from symcert.symbolic.data import Dataset
from symcert.symbolic.group import parse_element
from symcert.symbolic.losses import Loss
from symcert.symbolic.network import MLP

__all__ = ["CoqBinding", "check_coq_binding", "certificate_from_record", "skeleton", "read_coq_source"]

_PROOF = re.compile(r"(?<![\w.'])Proof\.(?=\s)(.*?)(?<![\w.'])(Qed|Defined)\.(?=\s|$)", re.S)


@dataclass(frozen=True)
class CoqBinding:
    """Whether a ``.v`` file proves its certificate's statement: ``accepted``, ``reasons``, coqc's result."""

    accepted: bool
    reasons: list[str] = field(default_factory=list)
    coq: CoqResult | None = None


def read_coq_source(path: str | os.PathLike[str]) -> str:
    """The text of a ``.v`` file, refusing devices, FIFOs, folders, huge and non-UTF-8 files (CoqError)."""
    return read_coq_text(path)


def skeleton(text: str) -> tuple[str, list[str]]:
    """``text`` without comments, whitespace normalised, proof scripts cut to ``...``; and the scripts."""
    scripts: list[str] = []

    def cut(match: re.Match) -> str:
        scripts.append(" ".join(match.group(1).split()))
        return f"Proof. ... {match.group(2)}."

    body = _PROOF.sub(cut, strip_comments(text))
    return " ".join(body.split()), scripts


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
    else:
        dataset = Dataset(data["xs"], data["ys"])
    loss = Loss(
        mlp, dataset, statement.loss_kind, record["loss"]["weight_decay"], record["loss"].get("factor", "1")
    )
    A = mlp.point(**record["points"]["A"])
    B = mlp.point(**record["points"]["B"]) if "B" in record["points"] else None
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
    text = read_coq_source(coq_file)
    problems = screen_source(text)
    if problems:
        return CoqBinding(False, [f"REJECT: {p}" for p in problems])
    expected_text = certificate_to_coq(certificate_from_record(record))
    expected, _ = skeleton(expected_text)
    got, scripts = skeleton(text)
    if got != expected:
        return CoqBinding(False, [f"REJECT: {_first_difference(expected, got)}"])
    result = check_coq(text, theorem=THEOREM, assumptions=assumptions)
    if not result.accepted:
        return CoqBinding(False, [f"REJECT: {result.error[:500]}"], result)
    reasons = [
        f"the statement ({len(scripts)} proof scripts aside) is the one regenerated from the certificate",
        f"coqc accepted it in {result.seconds:.1f} s; it rests on {len(result.axioms)} standard axiom(s)",
    ]
    return CoqBinding(True, reasons, result)


def _first_difference(expected: str, got: str) -> str:
    at = next((i for i, (a, b) in enumerate(zip(expected, got)) if a != b), min(len(expected), len(got)))
    start = max(0, at - 40)
    return (
        "the Coq file does not state what the certificate says (only proof scripts may differ): "
        f"expected ...{expected[start : at + 40]!r}..., got ...{got[start : at + 40]!r}..."
    )
