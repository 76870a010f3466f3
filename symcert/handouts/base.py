r"""What a handout is: a title, a motivation, a LaTeX body, exercises with solutions, and the
certificates and proofs it relies on (so the test suite can re-check every one).

>>> handout = Handout("demo", "A demo", "Why.", r"\section{Body}", (Exercise("$1+1$?", "$2$."),))
>>> r"\section*{Solutions}" in handout.latex_body() and "Solutions" not in handout.latex_body(solutions=False)
True
"""

from __future__ import annotations

from dataclasses import dataclass

from symcert.printing.latex.certificate import certificate_quantity, quantity_latex
from symcert.printing.latex.display import interval_latex
from symcert.proofs.certificates import Certificate
from symcert.proofs.convexity import ConvexityProof

__all__ = ["Exercise", "Handout", "numbers_table"]


@dataclass(frozen=True)
class Exercise:
    """A question and its solution, both LaTeX."""

    question: str
    solution: str


@dataclass(frozen=True)
class Handout:
    """A built handout: its text and the certified objects behind it."""

    name: str
    title: str
    motivation: str
    body: str
    exercises: tuple[Exercise, ...] = ()
    certified: tuple[Certificate, ...] = ()
    convexity: tuple[ConvexityProof, ...] = ()
    references: tuple[str, ...] = ()

    def certificates(self) -> tuple[Certificate, ...]:
        """The non-convexity certificates the handout states (re-check them with :func:`symcert.check`)."""
        return self.certified

    def convexity_proofs(self) -> tuple[ConvexityProof, ...]:
        """The convexity proofs the handout states."""
        return self.convexity

    def latex_body(self, solutions: bool = True) -> str:
        """The handout's body: motivation, the body, exercises, and (optionally) the solutions."""
        key = self.name.replace("-", "")
        parts = [r"\section*{Motivation}", self.motivation.strip(), self.body.strip()]
        if self.exercises:
            parts.append(r"\section*{Exercises}")
            for k, exercise in enumerate(self.exercises, start=1):
                parts.append(
                    r"\begin{exercise}\label{ex:%s:%d}" % (key, k)
                    + "\n"
                    + exercise.question.strip()
                    + "\n"
                    + r"\end{exercise}"
                )
        if self.references:
            parts.append(r"\section*{References}")
            parts.append(
                r"\begin{enumerate}\raggedright\renewcommand{\labelenumi}{[\theenumi]}"
                + "".join("\n" + r"\item " + ref for ref in self.references)
                + "\n"
                + r"\end{enumerate}"
            )
        if solutions and self.exercises:
            parts.append(r"\section*{Solutions}")
            for k, exercise in enumerate(self.exercises, start=1):
                parts.append(
                    r"\par\medskip\noindent\textbf{Solution to Exercise~\ref{ex:%s:%d}.} " % (key, k)
                    + exercise.solution.strip()
                )
        return "\n\n".join(parts)

    def document(self, solutions: bool = True) -> str:
        """The handout as a standalone LaTeX document."""
        from symcert.build.tex import standalone_document

        return standalone_document(self.latex_body(solutions), title=self.title)


def numbers_table(certificates: tuple[Certificate, ...], digits: int = 10) -> str:
    """A booktabs table of every enclosure the certificates rely on (rounded outward), grouped by
    certificate, with the arithmetic each one used."""
    from symcert.printing.latex.certificate import certificate_arithmetic

    rows = []
    for certificate in certificates:
        rows.append(
            r"\multicolumn{2}{l}{\emph{%s certificate (%s)}} \\"
            % (certificate.kind.replace("_", " ").capitalize(), certificate_arithmetic(certificate))
        )
        for name, bounds in certificate.enclosures.items():
            rows.append(
                r"\quad $%s$ & $%s$ \\"
                % (quantity_latex(certificate_quantity(certificate, name)), interval_latex(bounds, digits))
            )
    return "\n".join(
        [
            r"\begin{center}\begin{tabular}{ll}",
            r"\toprule",
            r"quantity & enclosure (rounded outward) \\ \midrule",
            *rows,
            r"\bottomrule",
            r"\end{tabular}\end{center}",
        ]
    )
