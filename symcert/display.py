r"""The printer functions, declared at the bottom of the tree; :mod:`symcert.printing` fills them in.

A result (a proof, a certificate, a group) is data: it holds no LaTeX and imports no printer. This leaf
module declares the generic functions, each dispatching on the type of its argument
(:func:`functools.singledispatch`, as ``sympy.printing`` dispatches on ``_print_<Type>``):

- :func:`latex`: a LaTeX fragment for a document;
- :func:`text`: a plain-text account for the terminal;
- :func:`coq`: a Coq file proving a certificate's claim;
- :func:`notebook`: the whole derivation as Markdown with MathJax, for Jupyter;
- :func:`repr_latex`: the one-line MathJax display Jupyter shows beside it;
- :func:`claim_latex`: a result's claim as LaTeX math.

The renderers live in :mod:`symcert.printing` and register themselves there
(``@latex.register``), so importing ``symcert.printing`` (or touching any prover name of the
``symcert`` top level, which imports it) is what fills these in. :class:`Displayed` is the one
mixin the results inherit: ``to_latex()``, ``summary()``, ``to_coq()``, ``claim_latex()`` and
Jupyter's ``_repr_latex_()`` and ``_repr_markdown_()`` call the functions above, loading
``symcert.printing`` first when nothing has (:func:`load_printers`).

>>> from symcert import MLP, swap, prove_invariance
>>> proof = prove_invariance(MLP((1, 2, 1), "tanh"), swap(1, 0, 1))
>>> latex(proof) == proof.to_latex() and text(proof) == proof.summary()
True
>>> try:
...     latex(3.5)
... except SymcertError as error:
...     print(str(error).split("; ")[-1])
pass one of those
"""

from __future__ import annotations

import importlib
import sys
from functools import singledispatch
from typing import Any

from symcert.errors import SpecificationError, SymcertError

__all__ = [
    "Displayed",
    "claim_latex",
    "coq",
    "latex",
    "load_printers",
    "notebook",
    "printers_loaded",
    "repr_latex",
    "text",
]

#: The package whose import registers every renderer.
PRINTERS = "symcert.printing"


def printers_loaded() -> bool:
    """True once :mod:`symcert.printing` has been imported (and so has registered its renderers).

    >>> import symcert.printing
    >>> printers_loaded()
    True
    """
    return PRINTERS in sys.modules


def _refuse(function: str, obj: Any, prints: str, instead: str) -> SymcertError:
    """The error for ``obj`` that no renderer of ``function`` takes: printers not loaded, or wrong type."""
    if not printers_loaded():
        return SymcertError(
            f"symcert.{function} has no printers yet, so it cannot print a {type(obj).__name__}; "
            f"run `import {PRINTERS}` (or use the names of the symcert top level, which load it) first"
        )
    return SpecificationError(f"symcert.{function} {prints}, got a {type(obj).__name__}; {instead}")


@singledispatch
def latex(obj: Any, *args: Any, **options: Any) -> str:
    """A LaTeX fragment for ``obj`` (a proof, certificate, group, network, loss, point or SymPy object)."""
    raise _refuse(
        "latex",
        obj,
        "prints proofs, certificates, groups, networks, losses, points and SymPy expressions",
        "pass one of those",
    )


@singledispatch
def text(obj: Any, **options: Any) -> str:
    """A plain-text account of ``obj`` (a proof, certificate, barrier, group or SymPy object)."""
    prints = "prints proofs, certificates, barriers, groups and SymPy expressions"
    raise _refuse("text", obj, prints, "pass one of those")


@singledispatch
def coq(obj: Any) -> str:
    """The Coq file proving a certificate's claim and, from it, that the loss is not convex."""
    raise _refuse("coq", obj, "prints certificates (from certify_nonconvexity)", "pass a Certificate")


@singledispatch
def notebook(obj: Any) -> str:
    """The derivation of ``obj`` (a proof, certificate, barrier, group or lemma) as Markdown."""
    raise _refuse(
        "printing.notebook",
        obj,
        "shows proofs, certificates, barriers, groups and the permutation lemma",
        "pass one of those",
    )


@singledispatch
def repr_latex(obj: Any) -> str | None:
    """The one-line MathJax display of ``obj`` for Jupyter, or None for a type that has none."""
    if not printers_loaded():
        raise _refuse("repr_latex", obj, "", "")
    return None


@singledispatch
def claim_latex(obj: Any) -> str:
    """The claim of ``obj`` (a proof or a certificate) as LaTeX math."""
    raise _refuse("claim_latex", obj, "prints the claims of proofs and certificates", "pass one of those")


class Displayed:
    """The display methods of a result; each calls the generic function of the same purpose.

    A subclass writes no display code: it is printed by whatever :mod:`symcert.printing` registered
    for its type. The options are those of the generic function (see :func:`symcert.latex`).
    """

    __slots__ = ()

    def to_latex(self, *args: Any, **options: Any) -> str:
        """The LaTeX fragment of :func:`symcert.latex` (a certificate takes ``digits`` and its options)."""
        load_printers()
        return latex(self, *args, **options)

    def summary(self, **options: Any) -> str:
        """A readable account for the terminal (:func:`symcert.text`; a certificate takes ``exact``)."""
        load_printers()
        return text(self, **options)

    def to_coq(self) -> str:
        """The Coq file of :func:`symcert.coq`, for certificates (check it with ``build.coq.check_coq``)."""
        load_printers()
        return coq(self)

    def claim_latex(self) -> str:
        """The claim in LaTeX math."""
        load_printers()
        return claim_latex(self)

    def _repr_latex_(self) -> str | None:
        load_printers()
        return repr_latex(self)

    def _repr_markdown_(self) -> str:
        load_printers()
        return notebook(self)


def load_printers() -> None:
    """Import :mod:`symcert.printing` (which registers every renderer) if nothing has yet.

    A result's own methods (``summary()``, ``to_latex()``, ...) call this, so a result built from the
    submodules alone prints without the caller importing the printers; only the bare generic functions
    above still ask for the import. The import happens at call time, never when this module loads, so
    the layers keep their order.
    """
    if not printers_loaded():
        importlib.import_module(PRINTERS)
