"""Plain-text rendering of a layer graph's orbit certificate, for the terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING

from symcert.printing.text.certificate import interval_text

if TYPE_CHECKING:
    from symcert.proofs.graph_orbit import GraphOrbitCertificate

__all__ = ["graph_orbit_to_text"]

_VERDICTS = {
    "proved": "PROVED: the loss is not convex.",
    "refuted": "REFUTED: averaging over this group does not raise the loss here.",
    "undecided": "UNDECIDED: not shown (the enclosure or the invariance did not decide).",
}


def graph_orbit_to_text(certificate: GraphOrbitCertificate, exact: bool = False) -> str:
    """Statement, the group averaged, the two losses and their gap with enclosures, verdict."""
    graph = certificate.loss.graph
    lines = [
        f"Statement: the {certificate.loss.describe()} is not convex.",
        f"Witness (orbit): {certificate.claim}",
        f"  A = the given parameters ({graph.n_parameters} exact values)",
        f"  mean = the average of A over the {certificate.size}! permutations of {certificate.group} (exact)",
    ]
    if certificate.enclosures:
        rung = getattr(certificate.decision, "rung", "arb")
        how = "verified float64" if rung == "float64" else f"{certificate.dps} digits, {rung}"
        lines.append(f"Enclosures (rigorous, outward rounding, {how}):")
        for name, bounds in certificate.enclosures.items():
            lines.append(f"  {name:>10} in {interval_text(bounds, exact=exact)}")
    lines.extend(f"Note: {note}" for note in certificate.notes)
    lines.append(f"Verdict: {_VERDICTS[certificate.status]}")
    return "\n".join(lines)
