"""``barrier``: the claimed enclosure of the loss barrier, re-proved piece by piece (always with Arb)."""

from __future__ import annotations

from typing import Any

from symcert.checker.kind import Kind, register, reprove, short
from symcert.checker.reading import CertificateFormatError, field, rational
from symcert.limits import MAX_BARRIER_PIECES, MAX_ENDPOINT_DIGITS

FORMS = ("entezari", "midpoint")


def read(s: Any, parameters: dict) -> None:
    """``form``, ``witness`` and the partition ``pieces`` ``[t0, t1, upper]``."""
    s.form = field(parameters, "form", str, "parameters")
    if s.form not in FORMS:
        raise CertificateFormatError(f"parameters.form must be one of {', '.join(FORMS)}")
    s.witness = rational(parameters["witness"], "parameters.witness")
    if not 0 <= s.witness <= 1:
        raise CertificateFormatError("parameters.witness must lie in [0, 1]")
    pieces = field(parameters, "pieces", list, "parameters")
    if not 1 <= len(pieces) <= MAX_BARRIER_PIECES:
        raise CertificateFormatError(f"parameters.pieces must hold 1 to {MAX_BARRIER_PIECES} pieces")
    s.pieces = []
    for i, piece in enumerate(pieces):
        where = f"parameters.pieces[{i}]"
        if not isinstance(piece, list) or len(piece) != 3:
            raise CertificateFormatError(f"{where} must be a triple [t0, t1, upper]")
        t0, t1 = rational(piece[0], f"{where} t0"), rational(piece[1], f"{where} t1")
        upper = rational(piece[2], f"{where} upper", MAX_ENDPOINT_DIGITS)
        s.pieces.append((t0, t1, upper))


def verify(s: Any, result: Any, notes: list[str], precisions: tuple[int, ...], arithmetic: str) -> Any:
    """The partition, every piece's upper bound and the witness."""
    from symcert.checker.barrier import first_rung, verify_barrier  # loaded (with numpy) when used

    fast = first_rung(s)  # the float64 rung: its jets are computed once, for every precision
    reprove(result, notes, precisions, lambda dps: verify_barrier(s, dps, fast), s.claimed)
    lo, hi = s.claimed["barrier"]
    if result.accepted:
        rungs = "arb" if fast is None else f"verified float64 on {fast.decided} pieces or halves, arb"
        result.reasons.append(
            f"re-proved: the barrier lies in [{short(lo)}, {short(hi)}] ({len(s.pieces)} pieces, "
            f"{result.dps} digits, {rungs})"
        )
    return result


def cost(s: Any) -> tuple[float, float, float]:
    """Per piece: a jet over the box and one at an end (a bisection: 1.5x that)."""
    pieces = len(s.pieces)
    bisected = pieces // 8 + 1
    overhead = 2e-3 * pieces  # building the boxes and reading the balls back, per piece
    return 4 * pieces + 6 * bisected + 3, 11 * pieces + 17 * bisected + 3, overhead


KIND = register(
    Kind(
        "barrier",
        "barrier",
        "in",
        "sup_t L((1-t)A + tB) - chord(t) lies in the enclosure: each piece of [0, 1] bounds it above, "
        "the witness below",
        ("L(A)", "L(B)", "barrier"),
        ("form", "pieces", "witness"),
        read=read,
        verify=verify,
        cost=cost,
    )
)
