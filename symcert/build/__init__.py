"""The edge of symcert: writing files and running external tools (TeX, Coq).

Everything below :mod:`symcert.proofs` returns text; the modules here write it
to disk and compile it, and turn a tool's failure into one readable
:class:`~symcert.errors.SymcertError`.
"""
