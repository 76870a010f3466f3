"""Plain-text rendering of a layer graph's critical-pair certificate, for the terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING

from symcert.printing.text.graph_certificate import enclosures_and_verdict
from symcert.symbolic.graph import element_text

if TYPE_CHECKING:
    from symcert.proofs.graph_critical_pair import GraphCriticalPairCertificate

__all__ = ["graph_critical_pair_to_text"]

_VERDICTS = {
    "proved": "PROVED: the loss is not convex.",
    "refuted": "REFUTED: phi'(t0) = 0 here; this witness does not show non-convexity.",
    "undecided": "UNDECIDED: the enclosure did not decide at the highest precision tried.",
}


def graph_critical_pair_to_text(certificate: GraphCriticalPairCertificate, exact: bool = False) -> str:
    """Statement, the two minima, ``phi(t0)`` and ``phi'(t0)`` with their enclosures, verdict."""
    graph = certificate.loss.graph
    lines = [
        f"Statement: the {certificate.loss.describe()} is not convex.",
        f"Witness (critical_pair): {certificate.claim}",
        f"  A = the given parameters ({graph.n_parameters} exact values), a global minimum (teacher data)",
        f"  B = {element_text(certificate.element)}(A), z = A + t0 (B - A) with t0 = {certificate.t0}",
    ]
    return "\n".join(lines + enclosures_and_verdict(certificate, _VERDICTS, exact))
