r"""Printers, in the manner of ``sympy.printing``: the objects are data, the printers turn them into text.

- :func:`latex`: a LaTeX fragment for a document (:mod:`symcert.printing.latex`);
- :func:`text`: a plain-text account for the terminal (:mod:`symcert.printing.text`);
- :func:`coq`: a Coq file that proves a certificate's claim (:mod:`symcert.printing.coq`);
- :func:`notebook`: the whole derivation as Markdown with MathJax, for Jupyter
  (:mod:`symcert.printing.notebook`);
- :func:`figure`: pgfplots code for a certificate's segment or a barrier (:mod:`symcert.printing.figures`).

Each printer dispatches on the type of its argument. The objects keep only thin conveniences
(``to_latex()``, ``summary()``, ``to_coq()``, ``_repr_latex_()``, ``_repr_markdown_()``) that call
these. Writing files and running ``latexmk`` or ``coqc`` is :mod:`symcert.build`'s job.

>>> from symcert import MLP, swap, prove_invariance
>>> proof = prove_invariance(MLP((1, 2, 1), "tanh"), swap(1, 0, 1))
>>> latex(proof) == proof.to_latex() and text(proof) == proof.summary()
True
"""

from __future__ import annotations

from functools import singledispatch
from typing import Any

from symcert.errors import SpecificationError
from symcert.printing.coq import certificate_to_coq
from symcert.printing.figures import figure
from symcert.printing.latex import latex
from symcert.printing.notebook import notebook
from symcert.printing.text import text
from symcert.proofs.certificates import Certificate


@singledispatch
def coq(obj: Any) -> str:
    """The Coq file proving a certificate's claim and, from it, that the loss is not convex."""
    raise SpecificationError(
        f"symcert.coq prints certificates (from certify_nonconvexity), got a {type(obj).__name__}; "
        "pass a Certificate"
    )


@coq.register
def _(obj: Certificate) -> str:
    return certificate_to_coq(obj)


__all__ = ["coq", "figure", "latex", "notebook", "text"]
