r"""Printers, in the manner of ``sympy.printing``: the objects are data, the printers turn them into text.

- :func:`latex`: a LaTeX fragment for a document (:mod:`symcert.printing.latex`);
- :func:`text`: a plain-text account for the terminal (:mod:`symcert.printing.text`);
- :func:`coq`: a Coq file that proves a certificate's claim (:mod:`symcert.printing.coq`);
- :func:`notebook`: the whole derivation as Markdown with MathJax, for Jupyter
  (:mod:`symcert.printing.notebook`);
- :func:`figure`: pgfplots code for a certificate's segment or a barrier (:mod:`symcert.printing.figures`).

Each printer dispatches on the type of its argument. The generic functions are declared below
every layer, in :mod:`symcert.display`; importing this package registers the renderers into them.
The objects inherit one mixin, :class:`~symcert.display.Displayed`, whose ``to_latex()``,
``summary()``, ``to_coq()``, ``_repr_latex_()`` and ``_repr_markdown_()`` call these. Writing files
and running ``latexmk`` or ``coqc`` is :mod:`symcert.build`'s job.

>>> from symcert import MLP, swap, prove_invariance
>>> proof = prove_invariance(MLP((1, 2, 1), "tanh"), swap(1, 0, 1))
>>> latex(proof) == proof.to_latex() and text(proof) == proof.summary()
True
"""

from __future__ import annotations

from symcert import display
from symcert.printing.coq import certificate_to_coq
from symcert.printing.figures import figure
from symcert.printing.latex import latex
from symcert.printing.notebook import notebook
from symcert.printing.text import text
from symcert.proofs.certificates import Certificate

display.coq.register(Certificate, certificate_to_coq)
#: the generic function (it shadows the subpackage ``coq`` as an attribute, as the printer did before)
coq = display.coq


__all__ = ["coq", "figure", "latex", "notebook", "text"]
