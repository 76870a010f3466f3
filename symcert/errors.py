"""The exceptions symcert raises, in one place.

Every error a user can cause is a :class:`SymcertError`; its message says what
was expected, what was got and how to fix it, in one sentence.

>>> from symcert import MLP, SymcertError
>>> try:
...     MLP((3,))
... except SymcertError as error:
...     print(error)
widths needs at least two entries (input and output), got (3,)
"""

from __future__ import annotations

__all__ = ["SymcertError", "SpecificationError", "ExactnessError", "TeXError", "CoqError"]


class SymcertError(ValueError):
    """Base class of every error caused by input to symcert."""


class SpecificationError(SymcertError):
    """A network, point, data set, loss or group element is ill-formed."""


class ExactnessError(SymcertError):
    """A value cannot be turned into an exact rational number."""


class TeXError(SymcertError):
    """LaTeX could not be compiled: no TeX installed, or a TeX error (reported in one line)."""


class CoqError(SymcertError):
    """Coq cannot be run: ``coqc`` (with the Interval library) is not installed."""
