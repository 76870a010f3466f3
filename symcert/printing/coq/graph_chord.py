"""A layer graph's chord certificate as a Coq file, and the statement file that checks it.

Both are written from the certificate's JSON record alone (``GraphCertificate.to_dict()`` or the file
read back), with the graph lowered by :mod:`.graph_lower`. The proof file:

1. the parameter record (one field per parameter entry), ``comb`` and the definition of convexity;
2. ``point_loss`` and ``L`` (every tensor entry a ``let``; exact data);
3. the exact points ``A``, ``B`` and ``M = (A + B)/2`` (``M = comb (1/2) A B`` by ``lra``);
4. ``L A <= a_hi``, ``L B <= b_hi`` and ``m_lo <= L M`` by ``interval`` at an explicit
   precision, where ``a_hi``, ``b_hi``, ``m_lo`` are short decimals within a quarter of the certified
   margin of the certificate's enclosures, so that ``m_lo > (a_hi + b_hi)/2`` (``lra`` checks it);
5. ``loss_not_convex : ~ convex L``: convexity at ``t = 1/2`` contradicts the three bounds.

The printer decides nothing: ``interval`` proves the bounds and ``lra`` their combination; the
enclosures only choose the decimals and the precision.

>>> from symcert.proofs.graph_chord import certify_graph_chord
>>> from symcert.symbolic.graph import Activation, Dense, Graph, Node, Permute
>>> from symcert.numeric.graph import GraphLoss
>>> g = Graph((1,), [Node("fc1", Dense(2)), Node("t", Activation("tanh")), Node("fc2", Dense(1))])
>>> A = {"fc1.weight": [[-2], [2]], "fc1.bias": [-1, 0], "fc2.weight": [[1, 1]], "fc2.bias": [0]}
>>> loss = GraphLoss(g, [[-1], [0], [1], [2]], [["-1/5"], ["-4/5"], [0], [0]], "mse")
>>> text = graph_chord_to_coq(certify_graph_chord(loss, A, Permute("P_fc1", (1, 0))).to_dict())
>>> "Theorem loss_not_convex : ~ convex L." in text
True
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Any

from symcert.errors import SpecificationError
from symcert.limits import MAX_COQ_GRAPH_ENTRIES, MAX_COQ_GRAPH_SIZE
from symcert.printing.coq.graph_lower import LoweredGraph, coq_real, entries, lower_graph, shape_of
from symcert.printing.coq.syntax import CONVEXITY
from symcert.version import __version__

__all__ = ["graph_chord_to_coq", "graph_statement_to_coq", "graph_coq_refusal", "is_graph_record"]

THEOREM = "loss_not_convex"
STATEMENT, PROVED = "symcert_statement", "symcert_statement_proved"
_GUARD_BITS = 24
_CHECKER = "check its JSON with symcert check CERT.json instead, which has no such limit"


def is_graph_record(record: Any) -> bool:
    """True for a certificate record whose network is a layer graph."""
    return (
        isinstance(record, dict) and isinstance(record.get("network"), dict) and "graph" in record["network"]
    )


def graph_coq_refusal(record: dict) -> str | None:
    """Why this graph certificate is not exported to Coq (one sentence), or None.

    The size is ``parameters x data points`` (at most :data:`~symcert.limits.MAX_COQ_GRAPH_SIZE`), and the
    ``let``-bound tensor entries times data points (at most ``MAX_COQ_GRAPH_ENTRIES``).
    """
    lowered = lower_graph(record)
    n = len(record["data"]["xs"])
    size = len(lowered.fields) * n
    if size > MAX_COQ_GRAPH_SIZE:
        return (
            f"a graph chord certificate with {len(lowered.fields)} parameters on {n} points has size {size} "
            f"(parameters x data points), beyond the {MAX_COQ_GRAPH_SIZE} that coqc checks quickly; "
            + _CHECKER
        )
    entries = (len(lowered.body) - 1) * n
    if entries > MAX_COQ_GRAPH_ENTRIES:
        return (
            f"a graph chord certificate with {len(lowered.body) - 1} computed tensor entries per point "
            f"on {n} points has {entries} (entries x data points), beyond the {MAX_COQ_GRAPH_ENTRIES} that "
            f"coqc checks quickly; {_CHECKER}"
        )
    return None


def _checked(record: dict) -> LoweredGraph:
    if record.get("kind") != "chord":
        raise SpecificationError(
            f"the Coq export of a layer graph supports chord certificates, got {record.get('kind')!r}"
        )
    if record.get("status") != "proved":
        raise SpecificationError(
            f"only proved certificates can be exported to Coq, got status {record.get('status')!r}"
        )
    refusal = graph_coq_refusal(record)
    if refusal:
        raise SpecificationError(refusal)
    return lower_graph(record)


def _values(lowered: LoweredGraph, point: dict) -> list[str]:
    if list(point) != list(lowered.tensors):
        raise SpecificationError("the certificate's points A and B name different parameters")
    out: list[str] = []
    for _name, values in point.items():
        out += entries(values, shape_of(values))
    if len(out) != len(lowered.fields):
        raise SpecificationError("a point of the certificate has the wrong number of entries")
    return out


def _record_text(lowered: LoweredGraph) -> str:
    fields = lowered.fields
    body = ";\n  ".join(f"{f} : R" for f in fields)
    combination = ";\n     ".join(f"{f} := t * {f} p + (1 - t) * {f} q" for f in fields)
    names = ", ".join(lowered.tensors)
    return "\n".join(
        [
            f"(* The {len(fields)} parameters, entry by entry (row-major) of the tensors {names}. *)",
            f"Record params : Type := mkparams {{\n  {body} }}.",
            "",
            "(* Reduces the coordinates of explicit points, and nothing else. *)",
            f"Ltac coordinates := cbn [{' '.join(fields)}].",
            "",
            "(* Two points are equal when their coordinates are. *)",
            "Lemma params_eq : forall p q : params,",
            "  " + " ->\n  ".join(f"{f} p = {f} q" for f in fields) + " ->",
            "  p = q.",
            "Proof. intros [] []; cbn; intros; subst; reflexivity. Qed.",
            "",
            "(* The convex combination t p + (1 - t) q, coordinate by coordinate. *)",
            "Definition comb (t : R) (p q : params) : params :=",
            f"  {{| {combination} |}}.",
            "",
            CONVEXITY,
        ]
    )


def _point(lowered: LoweredGraph, name: str, values: list[str], comment: str) -> str:
    fields = [f"{f} := {coq_real(v)}" for f, v in zip(lowered.fields, values)]
    return f"(* {comment} *)\nDefinition {name} : params :=\n  {{| " + ";\n     ".join(fields) + " |}."


def _decimal(value: Fraction, step: Fraction, up: bool) -> Fraction:
    """``value`` rounded up (or down) to a multiple of ``10^-d``, the first ``10^-d <= step``."""
    digits = 0
    while Fraction(1, 10**digits) > step:
        digits += 1
    unit = Fraction(1, 10**digits)
    k = math.ceil(value / unit) if up else math.floor(value / unit)
    return k * unit


def _bounds(record: dict) -> tuple[Fraction, Fraction, Fraction, int]:
    """``a_hi``, ``b_hi``, ``m_lo`` (a quarter of the margin of slack each) and the bits for interval."""
    enc = {k: (Fraction(lo), Fraction(hi)) for k, (lo, hi) in record["enclosures"].items()}
    (_, a), (_, b), (m, _) = enc["L(A)"], enc["L(B)"], enc["L(M)"]
    margin = m - (a + b) / 2
    if margin <= 0:
        raise SpecificationError("the certificate's enclosures do not put L(M) above the chord")
    slack = margin / 4
    a_hi, b_hi = _decimal(a + slack, slack / 2, True), _decimal(b + slack, slack / 2, True)
    m_lo = _decimal(m - slack, slack / 2, False)
    assert m_lo > (a_hi + b_hi) / 2  # a quarter of the margin is left
    scale = max(Fraction(1), abs(a_hi), abs(b_hi), abs(m_lo))
    bits = max(40, math.ceil(math.log2(scale / (slack / 2))) + _GUARD_BITS)
    return a_hi, b_hi, m_lo, bits


def _decimal_text(value: Fraction) -> str:
    return coq_real(f"{value.numerator}/{value.denominator}")


def graph_chord_to_coq(record: dict) -> str:
    """The Coq file proving a graph chord certificate's claim (see the module text)."""
    lowered = _checked(record)
    points = record["points"]
    A, B = _values(lowered, points["A"]), _values(lowered, points["B"])
    M = [str((Fraction(a) + Fraction(b)) / 2) for a, b in zip(A, B)]
    a_hi, b_hi, m_lo, bits = _bounds(record)
    unfold = lowered.unfold()
    out = [
        "\n".join(
            [
                f"(* Generated by symcert {__version__}: a machine-checked proof that the loss of a graph",
                f"   ({len(record['network']['graph']['nodes'])} nodes, {len(lowered.fields)} parameters,"
                f" {len(record['data']['xs'])} data points, {record['loss']['kind']}) is not convex.",
                f"   Chord certificate: B = {record.get('element')}(A), M = (A + B)/2 exactly, and",
                "   L(M) > (L(A) + L(B))/2, which a convex function forbids.",
                "   Check with: coqc FILE.v (Coq 8.16, Interval 4.6). *)",
                "",
                "Require Import Reals Lra.",
                "Require Import Interval.Tactic.",
                "Open Scope R_scope.",
            ]
        ),
        _record_text(lowered),
        "(** * The network and the loss *)\n" + lowered.loss_definition(),
        "(** * The points *)\n"
        + "\n\n".join(
            [
                _point(lowered, "A", A, "The point A."),
                _point(lowered, "B", B, "The point B."),
                _point(lowered, "M", M, "The midpoint M = (A + B)/2, exactly."),
            ]
        )
        + "\n\nLemma midpoint : M = comb (1/2) A B.\n"
        "Proof. apply params_eq; unfold M, comb, A, B; coordinates; lra. Qed.",
    ]
    lemmas = ["(** * The three bounds, evaluated rigorously by interval *)"]
    for name, point, relation, bound in (
        ("bound_A", "A", "<=", a_hi),
        ("bound_B", "B", "<=", b_hi),
        ("bound_M", "M", ">=", m_lo),
    ):
        claim = (
            f"L {point} <= {_decimal_text(bound)}"
            if relation == "<="
            else f"{_decimal_text(bound)} <= L {point}"
        )
        lemmas.append(
            f"Lemma {name} : {claim}.\n"
            f"Proof.\n  unfold {unfold}, {point}; coordinates.\n  interval with (i_prec {bits}).\nQed."
        )
    lemmas.append(
        "(* m_lo > (a_hi + b_hi)/2: the midpoint lies strictly above the chord. *)\n"
        "Lemma chord : (L A + L B) / 2 < L M.\nProof. pose proof bound_A. pose proof bound_B. "
        "pose proof bound_M. lra. Qed."
    )
    out.append("\n\n".join(lemmas))
    out.append(
        "\n".join(
            [
                "(** * Non-convexity *)",
                "(* Convexity at p = A, q = B, t = 1/2 would put L(M) below the chord. *)",
                f"Theorem {THEOREM} : ~ convex L.",
                "Proof.",
                "  intro convexity.",
                "  pose proof (convexity A B (1/2) ltac:(lra)) as below.",
                "  rewrite <- midpoint in below.",
                "  pose proof chord. lra.",
                "Qed.",
            ]
        )
    )
    return "\n\n".join(out) + "\n"


def graph_statement_to_coq(record: dict, module: str) -> str:
    """The Coq file in which the kernel checks that ``module``'s ``loss_not_convex`` proves
    ``~ convex L`` for the loss regenerated here from ``record`` (none taken from the proof)."""
    if not re.fullmatch(r"[A-Za-z_][\w']*(\.[A-Za-z_][\w']*)*", module):
        raise SpecificationError(f"module must be a qualified Coq name such as Lib.proof, got {module!r}")
    lowered = _checked(record)
    fields = lowered.fields
    arguments = " ".join(f"a{k}" for k in range(1, len(fields) + 1))
    laws = " /\\\n  ".join(f"{name} p = a{k}" for k, name in enumerate(fields, start=1))
    combination = "\n    ".join(f"(t * {n} p + (1 - t) * {n} q)" for n in fields)
    out = [
        "\n".join(
            [
                f"(* Generated by symcert from a graph certificate: the kernel checks that {module}.",
                f"   {THEOREM} proves the certificate's statement, over definitions regenerated here. *)",
                "Require Import Reals.",
                f"Require {module}.",
                "Open Scope R_scope.",
            ]
        ),
        "\n".join(
            [
                "(* The proof's parameter record, through its constructor and projections: R^n. *)",
                f"Definition params : Type := {module}.params.",
                f"Definition mkparams : {' -> '.join(['R'] * len(fields))} -> params := {module}.mkparams.",
                *(f"Definition {name} : params -> R := {module}.{name}." for name in fields),
                f"Lemma coordinates_of_mkparams : forall {arguments} : R, let p := mkparams {arguments} in",
                f"  {laws}.",
                "Proof. intros; repeat split; reflexivity. Qed.",
            ]
        ),
        "\n".join(
            [
                "(* The convex combination t p + (1 - t) q, coordinate by coordinate. *)",
                "Definition comb (t : R) (p q : params) : params :=",
                f"  mkparams\n    {combination}.",
                "",
                CONVEXITY,
            ]
        ),
        lowered.loss_definition(),
        "\n".join(
            [
                "(* The certificate's theorem, and the proof's theorem checked against it by the kernel. *)",
                f"Definition {STATEMENT} : Prop := ~ convex L.",
                f"Definition {PROVED} : {STATEMENT} := {module}.{THEOREM}.",
            ]
        ),
    ]
    return "\n\n".join(out) + "\n"
