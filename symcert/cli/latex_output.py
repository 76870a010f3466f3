"""``symcert prove --latex OUT.tex [--pdf OUT.pdf]``: the derivation as a standalone document."""

from __future__ import annotations

from collections.abc import Sequence

from symcert.build.tex import compile_pdf, standalone_document, write_tex
from symcert.printing.figures.loss import segment_figure
from symcert.proofs.certificates import Certificate
from symcert.proofs.invariance import Proof

__all__ = ["derivation_document", "write_derivation"]


def derivation_document(certificates: Sequence[Certificate], invariance: Proof | None) -> str:
    """One document: the invariance proof, each certificate's derivation and the segment figure."""
    parts = [] if invariance is None else [invariance.to_latex()]
    for k, certificate in enumerate(certificates):
        parts.append(
            certificate.to_latex(invariance=invariance, context=(k == 0), label=f"thm:{certificate.kind}")
        )
    first = next((c for c in certificates if c.B is not None), None)
    if first is not None:
        assert first.B is not None  # chosen for its B
        parts.append(r"Figure~\ref{fig:segment} shows the loss along the segment from $A$ to $B$.")
        parts.append(segment_figure(first.loss, first.A, first.B, label="fig:segment"))
    title = "The loss of the %s is not convex" % first.loss.mlp.describe() if first else "Derivation"
    return standalone_document("\n\n".join(parts), title=title.replace("%", r"\%"))


def write_derivation(
    certificates: Sequence[Certificate], invariance: Proof | None, tex_path: str, pdf_path: str | None
) -> None:
    """Write the LaTeX (and compile it when ``pdf_path`` is given), reporting each file written."""
    tex = write_tex(tex_path, derivation_document(certificates, invariance))
    print(f"LaTeX written to {tex}")
    if pdf_path:
        pdf = compile_pdf(tex, pdf_path)
        print(f"PDF written to {pdf}")
