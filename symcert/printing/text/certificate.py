"""Plain-text rendering of certificates and convexity proofs, for the terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sympy

from symcert.numeric.rounding import DIGITS, outward_interval
from symcert.printing.path import path_certificate_text

if TYPE_CHECKING:
    from symcert.proofs.certificates import Certificate

__all__ = ["certificate_to_text", "interval_text"]


def interval_text(
    bounds: tuple[sympy.Rational, sympy.Rational],
    digits: int = DIGITS,
    exact: bool = False,
    pad: bool = False,
) -> str:
    """``[a, b]`` with ``digits`` significant digits, rounded outward (it still encloses); or exactly.
    ``pad`` keeps trailing zeros, so that every one of the ``digits`` shows.

    >>> interval_text((sympy.Rational(1, 3), sympy.Rational(1, 2)), 4)
    '[0.3333, 0.5]'
    >>> interval_text((sympy.Rational(1, 3), sympy.Rational(1, 2)), 4, pad=True)
    '[0.3333, 0.5000]'
    >>> interval_text((sympy.Rational(1, 3), sympy.Rational(1, 2)), exact=True)
    '[1/3, 1/2]'
    """
    low, high = bounds
    return f"[{low}, {high}]" if exact else outward_interval(low, high, digits, pad)


def certificate_to_text(certificate: Certificate, exact: bool = False, digits: int | None = None) -> str:
    """Statement, symmetry, inequality with enclosures, verdict.

    Enclosures are decimals rounded outward, of 6 significant digits or, given ``digits``, of that
    many with their trailing zeros (``--digits``); ``exact=True`` prints their exact endpoints.
    """
    loss = certificate.loss
    own = _OWN_TEXT.get(certificate.kind)
    if own is not None:
        return own(certificate, exact, digits)
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
            lines.append(f"  {name:>10} in {interval_text(bounds, digits or DIGITS, exact, bool(digits))}")
    for note in certificate.notes:
        lines.append(f"Note: {note}")
    verdict = {
        "proved": "PROVED: the loss is not convex.",
        "refuted": "REFUTED: this witness does not show non-convexity.",
        "undecided": "UNDECIDED: the enclosure did not decide at the highest precision tried.",
    }[certificate.status]
    lines.append(f"Verdict: {verdict}")
    return "\n".join(lines)


def _barrier_text(certificate: Certificate, exact: bool, digits: int | None = None) -> str:
    """A barrier certificate: the segment, the enclosure, the partition's size, the witness."""
    p = certificate.parameters
    lines = [
        f"Statement: the loss barrier ({p['form']}) of the {certificate.loss.describe()} between A and B.",
        f"  A = {certificate.A}",
        f"  B = {certificate.B}",
        f"Enclosures (rigorous): {len(p['pieces'])} pieces partition [0, 1]; witness t = {p['witness']}",
    ]
    for name, bounds in certificate.enclosures.items():
        lines.append(f"  {name:>10} in {interval_text(bounds, digits or DIGITS, exact, bool(digits))}")
    lines.extend(f"Note: {note}" for note in certificate.notes)
    verdict = (
        "PROVED: the enclosure is certified."
        if certificate.status == "proved"
        else ("UNDECIDED: a cap was reached before the tolerance (the enclosure is still rigorous).")
    )
    lines.append(f"Verdict: {verdict}")
    return "\n".join(lines)


#: The kinds whose text does not follow the common layout (an enclosure, not an inequality).
_OWN_TEXT = {"barrier": _barrier_text, "path": path_certificate_text}
