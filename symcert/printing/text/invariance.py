"""Plain-text rendering of proofs, for the terminal.

Long expressions are shortened to their first characters; the LaTeX renderer
shows them in full.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sympy

if TYPE_CHECKING:
    from symcert.proofs.invariance import Proof

__all__ = ["proof_to_text", "shorten"]

_VERDICT = {"proved": "PROVED", "refuted": "REFUTED", "undecided": "UNDECIDED"}


def shorten(value: object, width: int = 110) -> str:
    """``str(value)`` cut to ``width`` characters with a note of the full length.

    >>> shorten("x" * 200, 20)
    'xxxxxxxxxxxxxxxxxxxx... (200 characters)'
    """
    text = sympy.sstr(value) if isinstance(value, sympy.Basic) else str(value)
    return text if len(text) <= width else f"{text[:width]}... ({len(text)} characters)"


def proof_to_text(proof: Proof, indent: str = "") -> str:
    """A readable account: the claim, each step, and the verdict."""
    lines = [f"{indent}Claim: {proof.claim}"]
    for number, step in enumerate(proof.steps, start=1):
        lines.append(f"{indent}  {number}. {step.name}: {step.text}")
        for label, value in step.expressions[:6]:
            separator = " " if label.endswith("->") else ": "
            lines.append(f"{indent}       {label}{separator}{shorten(value)}")
        if len(step.expressions) > 6:
            lines.append(f"{indent}       ... and {len(step.expressions) - 6} more")
    role = "factor" if type(proof.element).__name__ == "Product" else "generator"
    for part in proof.parts:
        lines.append(f"{indent}  - {role} {part.element}: {_VERDICT[part.status]}")
    lines.append(f"{indent}Verdict: {_VERDICT[proof.status]}")
    if proof.verdict != proof.status:
        lines[-1] += " (numerically invariant: not a proof, never called a symmetry)"
    return "\n".join(lines)
