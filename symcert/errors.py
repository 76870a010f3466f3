"""The exceptions symcert raises, in one place.

Every error a user can cause is a :class:`SymcertError`; its message says what
was expected, what was got and how to fix it, in one sentence.

>>> from symcert import MLP, SymcertError
>>> try:
...     MLP((3,))
... except SymcertError as error:
...     print(error)
widths needs at least two entries (input and output), got (3,)

The message speaks Python (``build MLP(..., output_activation='sigmoid')``). An
error may also carry a :class:`Hint`: the same sentence with the arguments left as
placeholders, so that another interface (the command line) names them in its own
terms (``--output-activation sigmoid``) without rewording the library's message.

>>> hint = Hint("{weight_decay} must be >= 0, got {got}", got="-1")
>>> hint.render(lambda name, value: "--" + name.replace("_", "-"))
'--weight-decay must be >= 0, got -1'
>>> hint.arguments
(('weight_decay', None),)
"""

from __future__ import annotations

import string
from collections.abc import Callable

__all__ = ["SymcertError", "SpecificationError", "ExactnessError", "TeXError", "CoqError", "Hint"]


class Hint:
    """An error sentence with its arguments as placeholders, for interfaces other than Python.

    ``template`` names an argument as ``{name}`` (the argument itself) or
    ``{name:value}`` (the argument set to ``value``), with ``name`` a term of the
    specification: ``widths``, ``activation``, ``output_activation``, ``bias``, ``loss``
    (a loss's kind), ``weight_decay``, ``dps``, ``kind`` (a certificate's kind),
    ``element``; every other field is literal
    text given as a keyword (``got=...``), inserted as is, so text that came from
    the user can never be read as a placeholder.
    """

    __slots__ = ("template", "values")

    def __init__(self, template: str, **values: object) -> None:
        self.template = template
        self.values = {key: str(value) for key, value in values.items()}
        self.arguments  # noqa: B018 -- a malformed template fails here, where it is written

    @property
    def arguments(self) -> tuple[tuple[str, str | None], ...]:
        """The ``(name, value)`` pairs the template refers to, in order (``value`` None for ``{name}``)."""
        found = []
        for _, field, spec, _ in string.Formatter().parse(self.template):
            if field is not None and field not in self.values:
                found.append((field, spec or None))
        return tuple(found)

    def render(self, argument: Callable[[str, str | None], str]) -> str:
        """The sentence with each ``{name}``/``{name:value}`` replaced by ``argument(name, value)``."""
        parts = []
        for literal, field, spec, _ in string.Formatter().parse(self.template):
            parts.append(literal)
            if field is None:
                continue
            parts.append(self.values[field] if field in self.values else argument(field, spec or None))
        return "".join(parts)

    def __repr__(self) -> str:
        return f"Hint({self.template!r}, **{self.values!r})"


class SymcertError(ValueError):
    """Base class of every error caused by input to symcert.

    ``hint`` (optional) states the error with its arguments as placeholders (see :class:`Hint`).
    """

    def __init__(self, message: str, *, hint: Hint | None = None) -> None:
        super().__init__(message)
        self.hint = hint


class SpecificationError(SymcertError):
    """A network, point, data set, loss or group element is ill-formed."""


class ExactnessError(SymcertError):
    """A value cannot be turned into an exact rational number."""


class TeXError(SymcertError):
    """LaTeX could not be compiled: no TeX installed, or a TeX error (reported in one line)."""


class CoqError(SymcertError):
    """Coq cannot be run: ``coqc`` (with the Interval library) is not installed."""
