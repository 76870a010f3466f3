"""``--digits N``: tight values on request, and an honest note where ``N`` digits were not reached.

With ``--digits N`` the prover climbs its precision ladder until every printed enclosure pins ``N``
significant digits (:func:`symcert.numeric.rounding.pins_digits`: its outward ``N``-digit decimals
agree to within one unit of the last digit, or every number in it rounds to the same ``N``-digit
decimal), and prints the enclosures with ``N`` digits, rounded outward. An enclosure that does not
get there within the budget is printed all the same, with a note saying how many digits it pins.

>>> from fractions import Fraction
>>> shortfall({"L(A)": (Fraction(27496813883, 10**14), Fraction(27496827029, 10**14))}, 15)
... # doctest: +NORMALIZE_WHITESPACE
['note: L(A) pins 6 significant digits, not the 15 asked for (--digits): the highest precision
  tried did not get further']
>>> shortfall({"L(A)": (Fraction(-1, 10**60), Fraction(1, 10**60))}, 15)
['note: L(A) contains 0, so it has no significant digits to pin; |L(A)| <= 1e-60']
"""

from __future__ import annotations

import argparse
import re

from symcert.limits import MAX_SIGNIFICANT_DIGITS

__all__ = ["digits_flag", "printed_digits", "shortfall"]

_MOST = MAX_SIGNIFICANT_DIGITS


def _digits(text: str) -> int:
    if not re.fullmatch(r"[0-9]{1,5}", text.strip(), re.ASCII) or not 1 <= int(text) <= _MOST:
        shown = text if len(text) <= 40 else text[:37] + "..."
        raise argparse.ArgumentTypeError(
            f"--digits must be an integer from 1 to {MAX_SIGNIFICANT_DIGITS}, got {shown!r}"
        )
    return int(text)


def digits_flag(parser: argparse.ArgumentParser, what: str = "every printed enclosure") -> None:
    """Add ``--digits N``."""
    parser.add_argument(
        "--digits",
        type=_digits,
        default=None,
        metavar="N",
        help=f"tighten {what} to N significant digits (a value a paper can quote), raising the "
        "precision as needed, and print it with N digits rounded outward; a note says so where N "
        "digits were not reached (default: 6 digits, at the first precision that decides)",
    )


def printed_digits(args: argparse.Namespace) -> int | None:
    """The significant digits to print: ``--digits``, or None (the printers' default, 6)."""
    return getattr(args, "digits", None)


def shortfall(
    enclosures: dict,
    digits: int | None,
    where: str = "",
    reason: str = "the highest precision tried did not get further",
) -> list[str]:
    """One note per enclosure that does not pin ``digits`` significant digits (none without a request);
    ``reason`` says why it stopped there."""
    from symcert.numeric.rounding import agreed_digits, decimal_up  # not at start-up

    if digits is None:
        return []
    notes = []
    suffix = f" ({where})" if where else ""
    for name, (lo, hi) in enclosures.items():
        reached = agreed_digits(lo, hi, limit=digits)
        if reached is None:
            bound = decimal_up(max(abs(lo), abs(hi)), 3)
            notes.append(
                f"note: {name}{suffix} contains 0, so it has no significant digits to pin; "
                f"|{name}| <= {bound}"
            )
        elif reached < digits:
            notes.append(
                f"note: {name}{suffix} pins {reached} significant digits, not the {digits} asked for "
                f"(--digits): {reason}"
            )
    return notes
