"""Plain-text rendering of certificates and convexity proofs, for the terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sympy

if TYPE_CHECKING:
    from symcert.proofs.certificates import Certificate

__all__ = ["certificate_to_text", "interval_text"]


def interval_text(bounds: tuple[sympy.Rational, sympy.Rational], digits: int = 15) -> str:
    """``[a, b]`` with ``digits`` significant digits (rounded outward is not needed: for display only).

    >>> interval_text((sympy.Rational(1, 3), sympy.Rational(1, 2)), 4)
    '[0.3333, 0.5000]'
    """
    low, high = bounds
    return f"[{sympy.Float(low, digits)}, {sympy.Float(high, digits)}]"


def certificate_to_text(certificate: Certificate) -> str:
    """Statement, symmetry, inequality with enclosures, verdict."""
    loss = certificate.loss
    if certificate.kind == "barrier":
        return _barrier_text(certificate)
    lines = [
        f"Statement: the {loss.describe()} is not convex.",
        f"Witness ({certificate.kind}): {certificate.claim}",
        f"  A = {certificate.A}",
    ]
    if certificate.B is not None:
        relation = f" = {certificate.element}(A)" if certificate.element is not None else ""
        lines.append(f"  B{relation} = {certificate.B}")
    for key, value in certificate.parameters.items():
        lines.append(f"  {key} = {value}")
    if certificate.enclosures:
        rung = getattr(certificate.decision, "rung", "mpmath")
        how = "verified float64" if rung == "float64" else f"{certificate.dps} digits, {rung}"
        lines.append(f"Enclosures (rigorous, outward rounding, {how}):")
        for name, bounds in certificate.enclosures.items():
            lines.append(f"  {name:>10} in {interval_text(bounds)}")
    for note in certificate.notes:
        lines.append(f"Note: {note}")
    verdict = {
        "proved": "PROVED: the loss is not convex.",
        "refuted": "REFUTED: this witness does not show non-convexity.",
        "undecided": "UNDECIDED: the enclosure did not decide at the highest precision tried.",
    }[certificate.status]
    lines.append(f"Verdict: {verdict}")
    return "\n".join(lines)


def _barrier_text(certificate: Certificate) -> str:
    """A barrier certificate: the segment, the enclosure, the partition's size, the witness."""
    p = certificate.parameters
    lines = [
        f"Statement: the loss barrier ({p['form']}) of the {certificate.loss.describe()} between A and B.",
        f"  A = {certificate.A}",
        f"  B = {certificate.B}",
        f"Enclosures (rigorous): {len(p['pieces'])} pieces partition [0, 1]; witness t = {p['witness']}",
    ]
    for name, bounds in certificate.enclosures.items():
        lines.append(f"  {name:>10} in {interval_text(bounds)}")
    lines.extend(f"Note: {note}" for note in certificate.notes)
    verdict = "PROVED: the enclosure is certified." if certificate.status == "proved" else (
        "UNDECIDED: a cap was reached before the tolerance (the enclosure is still rigorous)."
    )
    lines.append(f"Verdict: {verdict}")
    return "\n".join(lines)
