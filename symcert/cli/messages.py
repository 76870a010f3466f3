"""Errors in the command line's own terms: flags, not Python calls.

The library's messages speak Python (``use weight_decay=0``). An error that carries a
:class:`~symcert.errors.Hint` names its arguments as placeholders; here each becomes
the flag that sets it, so the same sentence reads ``use --weight-decay 0``.

>>> from symcert.errors import Hint, SpecificationError
>>> error = SpecificationError(
...     "weight_decay must be >= 0, got -1", hint=Hint("{weight_decay} must be >= 0, got {got}", got=-1)
... )
>>> command_line_message(error)
'--weight-decay must be >= 0, got -1'
>>> command_line_message(SpecificationError("swap:1:0,5 uses unit 5, but layer 1 has 2 units"))
'swap:1:0,5 uses unit 5, but layer 1 has 2 units'
"""

from __future__ import annotations

from symcert.errors import SymcertError

__all__ = ["FLAGS", "command_line_message"]

#: The flag that sets each term of the specification a :class:`~symcert.errors.Hint` may name.
FLAGS = {
    "widths": "--widths",
    "activation": "--activation",
    "output_activation": "--output-activation",
    "bias": "--no-bias",
    "loss": "--loss",
    "weight_decay": "--weight-decay",
    "dps": "--dps",
    "kind": "--kind",
    "element": "--element",
}


def _flag(name: str, value: str | None) -> str:
    flag = FLAGS[name]  # a KeyError means the hint names something no flag sets
    return flag if value is None else f"{flag} {value}"


def command_line_message(error: SymcertError) -> str:
    """The error's sentence with flags for arguments; its Python message when it names no flag."""
    hint = getattr(error, "hint", None)
    if hint is not None and all(name in FLAGS for name, _ in hint.arguments):
        return hint.render(_flag)
    return str(error)
