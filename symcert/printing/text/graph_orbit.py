"""Plain-text rendering of a layer graph's orbit certificate, for the terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING

from symcert.printing.text.graph_certificate import enclosures_and_verdict

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
    return "\n".join(lines + enclosures_and_verdict(certificate, _VERDICTS, exact))
