r"""Figures of results: :func:`figure` writes pgfplots code for documents, :func:`plot` draws with matplotlib.

- :func:`figure` (pgfplots, no image files): a certificate with two points is drawn along its segment
  (:func:`~.loss.segment_figure`), a barrier with its certified band (:func:`~.barrier.barrier_figure`);
- :func:`plot` and :func:`save_plot` (:mod:`~.plots`, for notebooks and slides): a matplotlib Figure,
  imported only when a plot is drawn (``symcert.plot``).

The values in a drawing are float64: pictures of certified numbers, never proofs.

>>> from symcert import certify_nonconvexity, default_example
>>> ex = default_example()
>>> cert = certify_nonconvexity(ex.loss, ex.teacher, element=ex.element)
>>> r"\begin{axis}" in figure(cert, label="fig:segment")
True
"""

from __future__ import annotations

from functools import singledispatch
from typing import Any

from symcert.errors import SpecificationError
from symcert.printing.figures.barrier import barrier_figure
from symcert.printing.figures.loss import segment_figure
from symcert.printing.figures.plots import plot, save_plot
from symcert.proofs.barrier import BarrierResult
from symcert.proofs.certificates import Certificate

__all__ = ["figure", "plot", "save_plot"]


@singledispatch
def figure(obj: Any, **options: Any) -> str:
    """A pgfplots figure of ``obj`` (a certificate with two points, or a barrier)."""
    raise SpecificationError(
        f"symcert.printing.figure draws certificates and barriers, got a {type(obj).__name__}; "
        "pass one of those"
    )


@figure.register
def _(obj: Certificate, **options: Any) -> str:
    if obj.B is None:
        raise SpecificationError(
            f"a {obj.kind} certificate has no second point to draw a segment to; draw a chord, curvature, "
            "hessian or critical certificate"
        )
    return segment_figure(obj.loss, obj.A, obj.B, **options)


@figure.register
def _(obj: BarrierResult, title: str = "", **options: Any) -> str:
    return barrier_figure([(title, obj)], **options)
