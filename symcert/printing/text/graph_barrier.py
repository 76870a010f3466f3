"""Plain-text rendering of the certified barrier between two networks of one layer graph."""

from __future__ import annotations

from typing import TYPE_CHECKING

from symcert.numeric.rounding import outward_interval

if TYPE_CHECKING:
    from symcert.proofs.graph_barrier import GraphBarrierResult

__all__ = ["graph_barrier_to_text"]


def graph_barrier_to_text(result: GraphBarrierResult, exact: bool = False, digits: int | None = None) -> str:
    """One line: the enclosure (six digits rounded outward, ``digits`` with a request, or exact), the
    witness, the pieces, the time."""
    if result.exact:
        return "0 exactly (B = A: the path is constant, g is identically 0)"
    shown = (
        f"[{result.lo}, {result.hi}]"
        if exact
        else outward_interval(result.lo, result.hi, digits or 6, pad=digits is not None)
    )
    return (
        f"{shown} ({result.status}; {result.form} chord, tol {float(result.tol):.3g}), witness t = "
        f"{float(result.witness):.6g}, {result.n_pieces} pieces, {result.seconds:.1f} s"
    )
