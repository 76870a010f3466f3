"""Plain-text rendering of a layer graph's chord certificate, for the terminal."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from symcert.printing.text.certificate import interval_text
from symcert.symbolic.graph import element_text

if TYPE_CHECKING:
    from symcert.proofs.graph_chord import GraphCertificate

__all__ = ["graph_certificate_to_text"]

_VERDICTS = {
    "proved": "PROVED: the loss is not convex.",
    "refuted": "REFUTED: this witness does not show non-convexity.",
    "undecided": "UNDECIDED: the enclosure did not decide at the highest precision tried.",
}


def graph_certificate_to_text(certificate: GraphCertificate, exact: bool = False) -> str:
    """Statement, symmetry, the three losses and the barrier with their enclosures, verdict."""
    graph = certificate.loss.graph
    decay = getattr(certificate, "weight_decay", 0)
    penalty = f" plus {decay} times the sum of squares of the trainable parameters" if decay else ""
    t0 = getattr(certificate, "t0", None)
    where = f"t0 = {t0}" if certificate.kind == "curvature" else "M = (A + B)/2"
    lines = [
        f"Statement: the {certificate.loss.describe()}{penalty} is not convex.",
        f"Witness ({certificate.kind}): {certificate.claim}",
        f"  A = the given parameters ({graph.n_parameters} exact values)",
        f"  B = {element_text(certificate.element)}(A), {where}",
    ]
    return "\n".join(lines + enclosures_and_verdict(certificate, _VERDICTS, exact))


def enclosures_and_verdict(certificate: Any, verdicts: Mapping[str, str], exact: bool = False) -> list[str]:
    """The lines every graph certificate ends with: its enclosures (and the rung that gave them), its
    notes and its verdict (``verdicts[status]``)."""
    lines = []
    if certificate.enclosures:
        rung = getattr(certificate.decision, "rung", "arb")
        how = "verified float64" if rung == "float64" else f"{certificate.dps} digits, {rung}"
        lines.append(f"Enclosures (rigorous, outward rounding, {how}):")
        for name, bounds in certificate.enclosures.items():
            lines.append(f"  {name:>10} in {interval_text(bounds, exact=exact)}")
    lines.extend(f"Note: {note}" for note in certificate.notes)
    lines.append(f"Verdict: {verdicts[certificate.status]}")
    return lines
