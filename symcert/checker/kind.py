"""What a checked certificate kind declares (:class:`Kind`), and the checker's registry of them.

The checker's kinds share nothing with the prover's (:mod:`symcert.proofs.kinds`): each
module of :mod:`symcert.checker.kinds` states, once, what a file of its kind must claim
(quantity, relation, text), the enclosures and parameters it may carry, what it
reads beyond the common parameters, the premises it checks on the statement, how it
recomputes its quantities (from an engine's evaluation: Arb or mpmath) or verifies
itself, and its cost for the budget. It registers itself here with :func:`register`;
:class:`~symcert.checker.statement.Statement` and :func:`~symcert.checker.check.check`
look it up with :func:`kind_named`.

>>> kind_named("chord").quantity, kind_named("critical").name
('barrier', 'critical_pair')
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from symcert.checker.reading import CertificateFormatError

__all__ = [
    "outward",
    "Kind",
    "register",
    "kind_named",
    "registered",
    "SECOND_DIFFERENCE",
    "uncontained",
    "reprove",
    "short",
]

#: The chord a curvature or Hessian certificate reduces to, with the optional parameter ``h``:
#: ``phi(t0 - h) + phi(t0 + h) - 2 phi(t0) < 0`` (t0 = 1/2 for hessian), re-proved when ``h`` is given.
SECOND_DIFFERENCE = "phi(t0-h) + phi(t0+h) - 2 phi(t0)"


def _nothing(statement: Any, parameters: dict) -> None:
    return None


def _no_premises(statement: Any) -> list[str]:
    return []


@dataclass(frozen=True)
class Kind:
    """A kind as the checker reads and re-proves it (see the module docstring).

    ``quantities(evaluation, statement)`` returns the recomputed enclosures (the common
    inequality check then decides them); a kind that checks more than one inequality gives
    ``verify(statement, result, notes, precisions, arithmetic)`` instead. ``cost(statement)``
    is ``(linear passes, elementwise passes, overhead seconds)`` for the budget.
    """

    name: str
    quantity: str
    relation: str
    text: str
    enclosures: tuple[str, ...]
    parameters: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    needs_B: bool = True
    smooth: bool = False
    read: Callable[[Any, dict], None] = _nothing
    premises: Callable[[Any], list[str]] = _no_premises
    quantities: Callable[[Any, Any], dict] | None = None
    verify: Callable[..., Any] | None = None
    cost: Callable[[Any], tuple[float, float, float]] | None = None
    old_names: tuple[str, ...] = ()


_KINDS: dict[str, Kind] = {}
_OLD: dict[str, str] = {}


def register(kind: Kind) -> Kind:
    """Add ``kind`` to the registry (its old names resolve to it)."""
    _KINDS[kind.name] = kind
    for old in kind.old_names:
        _OLD[old] = kind.name
    return kind


def registered() -> tuple[str, ...]:
    """The names of the registered kinds, in order."""
    return tuple(_KINDS)


def kind_named(name: str) -> Kind:
    """The kind ``name`` (an old name gives the kind it was renamed to); unknown: a format error."""
    if name in _OLD:
        name = _OLD[name]
    if name not in _KINDS:
        raise CertificateFormatError(f"unknown certificate kind {name[:40]!r}")
    return _KINDS[name]


def uncontained(claimed: dict, found: dict) -> list[str]:
    """A rejection for each claimed enclosure that does not contain the recomputed one."""
    return [
        f"REJECT: the claimed enclosure of {name} does not contain the recomputed one"
        for name, (low, high) in claimed.items()
        if name in found and not (low <= found[name][0] and found[name][1] <= high)
    ]


def reprove(
    result: Any,
    notes: list[str],
    precisions: tuple[int, ...],
    verify_at: Callable[[int], tuple[dict, list[str]]],
    claimed: dict,
) -> None:
    """Climb ``precisions`` until ``verify_at(dps)`` (its enclosures and rejections) finds nothing wrong
    and every ``claimed`` enclosure contains the recomputed one; record the verdict in ``result``."""
    problems: list[str] = []
    for dps in precisions:
        try:
            found, problems = verify_at(dps)
        except (ArithmeticError, ValueError) as error:
            problems = [f"REJECT: cannot evaluate at {dps} digits: {error}"]
            continue
        problems += uncontained(claimed, found)
        result.enclosures, result.dps = found, dps
        if not problems:
            break
    result.accepted = not problems
    result.reasons = notes + problems


def short(value: Fraction) -> str:
    """A few significant digits of an exact endpoint, safe for any magnitude (no float overflow).

    >>> short(Fraction(1, 3)), short(Fraction(0))
    ('0.333333', '0')
    """
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    value = abs(value)
    exponent = value.numerator.bit_length() - value.denominator.bit_length()
    if abs(exponent) > 3000:
        return f"{sign}2^{exponent} (about)"
    return f"{sign}{float(value):.6g}"


def outward(value: Fraction, up: bool, digits: int = 6) -> str:
    """``value`` to ``digits`` significant digits, rounded up (``>= value``) or down (``<= value``), exactly.

    What a reason prints as a bound must stay a bound: ``d^T H d <= u`` with ``u`` rounded up.

    >>> outward(Fraction(-1234564, 10**10), up=True, digits=4), outward(Fraction(1, 3), up=False)
    ('-0.0001234', '0.333333')
    """
    value = Fraction(value)
    if value == 0:
        return "0"
    size = abs(value)
    e = len(str(size.numerator)) - len(str(size.denominator))  # floor(log10(size)) is e or e - 1
    if Fraction(10) ** e > size:
        e -= 1
    scaled = size / Fraction(10) ** (e - digits + 1)
    away = up != (value < 0)  # rounding up a positive number, or down a negative one, grows its size
    mantissa = -(-scaled.numerator // scaled.denominator) if away else scaled.numerator // scaled.denominator
    text = format(Decimal(mantissa).scaleb(e - digits + 1).normalize(), "g")
    return ("-" if value < 0 else "") + text
