"""``path``: ``L <= level`` along a whole connecting path, re-proved segment by segment (Arb, exact moves)."""

from __future__ import annotations

from typing import Any

from symcert.checker.kind import Kind, register, reprove, short
from symcert.checker.reading import CertificateFormatError, field, integer, keys, rational
from symcert.checker.statement import read_point
from symcert.limits import MAX_BARRIER_PIECES, MAX_ENDPOINT_DIGITS

CURVES = ("chain", "bezier")


def _pieces(record: Any, where: str) -> list:
    if not isinstance(record, list) or not 1 <= len(record) <= MAX_BARRIER_PIECES:
        raise CertificateFormatError(f"{where} must hold 1 to {MAX_BARRIER_PIECES} pieces")
    out = []
    for i, piece in enumerate(record):
        if not isinstance(piece, list) or len(piece) != 3:
            raise CertificateFormatError(f"{where}[{i}] must be a triple [t0, t1, upper]")
        t0, t1 = rational(piece[0], f"{where}[{i}] t0"), rational(piece[1], f"{where}[{i}] t1")
        out.append((t0, t1, rational(piece[2], f"{where}[{i}] upper", MAX_ENDPOINT_DIGITS)))
    return out


def _segment(s: Any, record: Any, k: int) -> tuple:
    where = f"parameters.segments[{k}]"
    if not isinstance(record, dict):
        raise CertificateFormatError(f"{where} must be an object")
    depth = len(s.net.widths) - 1
    if "move" in record:
        kind = field(record, "move", str, where)
        if kind == "rotate":
            keys(record, {"move", "layer", "unit"}, set(), where)
            layer = integer(record["layer"], f"{where}.layer", 1, depth - 1)
            unit = integer(record["unit"], f"{where}.unit", 0, s.net.widths[layer] - 1)
            return ("rotate", layer, (unit,))
        if kind == "shift":
            keys(record, {"move", "layer", "units"}, set(), where)
            layer = integer(record["layer"], f"{where}.layer", 1, depth - 1)
            units = field(record, "units", list, where)
            if len(units) != 2:
                raise CertificateFormatError(f"{where}.units must be two units [i, j]")
            i, j = (integer(u, f"{where}.units", 0, s.net.widths[layer] - 1) for u in units)
            if i == j:
                raise CertificateFormatError(f"{where}.units must be two different units")
            return ("shift", layer, (i, j))
        raise CertificateFormatError(f"{where}.move must be rotate or shift, got {kind[:40]!r}")
    optional = {"control"} if s.curve == "bezier" else set()
    keys(record, {"pieces"}, optional, where)
    if s.curve == "bezier" and "control" not in record:
        raise CertificateFormatError(f"{where}: a bezier segment needs its control point")
    control = read_point(s.net, record["control"], f"{where}.control") if "control" in record else None
    return ("bounds", _pieces(record["pieces"], f"{where}.pieces"), control)


def read(s: Any, parameters: dict) -> None:
    """``curve``, the ``chain`` of points, one record per segment and the ``witness``."""
    s.curve = field(parameters, "curve", str, "parameters")
    if s.curve not in CURVES:
        raise CertificateFormatError(f"parameters.curve must be one of {', '.join(CURVES)}")
    chain = field(parameters, "chain", list, "parameters")
    if not 2 <= len(chain) <= MAX_BARRIER_PIECES:
        raise CertificateFormatError(f"parameters.chain must hold 2 to {MAX_BARRIER_PIECES} points")
    s.chain = [read_point(s.net, p, f"parameters.chain[{i}]") for i, p in enumerate(chain)]
    segments = field(parameters, "segments", list, "parameters")
    if len(segments) != len(chain) - 1:
        raise CertificateFormatError("parameters.segments must hold one record per step of the chain")
    s.segments = [_segment(s, record, k) for k, record in enumerate(segments)]
    witness = field(parameters, "witness", dict, "parameters")
    keys(witness, {"segment", "t"}, set(), "parameters.witness")
    s.witness_segment = integer(witness["segment"], "parameters.witness.segment", 0, len(segments) - 1)
    s.witness_t = rational(witness["t"], "parameters.witness.t")
    if not 0 <= s.witness_t <= 1:
        raise CertificateFormatError("parameters.witness.t must lie in [0, 1]")


def premises(s: Any) -> list[str]:
    """The chain runs from A to B; an exact move keeps L constant only without weight decay."""
    problems = []
    if s.chain[0] != s.A or s.chain[-1] != s.B:
        problems.append("REJECT: parameters.chain must start at points.A and end at points.B")
    if s.decay and any(seg[0] != "bounds" for seg in s.segments):
        problems.append("REJECT: with weight decay the moves change the loss; they prove nothing here")
    return problems


def verify(s: Any, result: Any, notes: list[str], precisions: tuple[int, ...], arithmetic: str) -> Any:
    """Every segment's move or pieces, the witness, and the enclosures of L(A), L(B)."""
    from symcert.checker.path import verify_path  # loaded (with numpy, by the barrier's) when used

    reprove(result, notes, precisions, lambda dps: verify_path(s, dps), s.claimed)
    lo, hi = s.claimed["sup"]
    if result.accepted:
        moves = sum(seg[0] != "bounds" for seg in s.segments)
        result.reasons.append(
            f"re-proved: L <= {short(hi)} along the whole path, sup L in [{short(lo)}, {short(hi)}] "
            f"({len(s.segments)} segment{'s' * (len(s.segments) != 1)}, {moves} exact moves; "
            f"{result.dps} digits, arb)"
        )
    return result


def cost(s: Any) -> tuple[float, float, float]:
    """Per piece as for a barrier (a bisection: 1.5x); per point of the chain one evaluation."""
    pieces = sum(len(seg[1]) for seg in s.segments if seg[0] == "bounds")
    bisected = pieces // 8 + len(s.segments)
    points = len(s.chain)
    return 4 * pieces + 6 * bisected + points + 3, 11 * pieces + 17 * bisected + points + 3, 2e-3 * pieces


KIND = register(
    Kind(
        "path",
        "sup",
        "in",
        "L <= the upper end of sup along the whole path parameters.chain: each exact move keeps the network "
        "function unchanged, each other segment's pieces bound L above; the witness bounds sup L below",
        ("L(A)", "L(B)", "sup"),
        ("curve", "chain", "segments", "witness"),
        read=read,
        premises=premises,
        verify=verify,
        cost=cost,
    )
)
