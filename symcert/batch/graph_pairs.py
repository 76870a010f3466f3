"""A manifest row of two ONNX models: the graph barrier, before and (with ``align``) after alignment.

:func:`graph_barriers` is what :func:`symcert.batch.runner.certify_pair` runs for a row whose models
are ``.onnx`` files (:attr:`symcert.batch.manifest.Pair.graph`): both models are read exactly
(:func:`~symcert.models.onnx_import.load_onnx`), must have one layer graph, and the data is the
row's ``.npz`` (``X``, ``y``) shaped as the graph expects. The barrier is
:func:`~symcert.proofs.graph_barrier.certify_graph_barrier`; with ``align``, ``B`` is aligned to ``A``
over the graph's derived groups (:func:`~symcert.proofs.graph_alignment.align_graphs`, each factor
proved a symmetry structurally, spot checks skipped as on the command line) and the barrier between
``A`` and ``g(B)`` is certified too. Nothing is written here: the runner writes each certificate.

>>> from symcert.batch.graph_pairs import graph_barriers
>>> callable(graph_barriers)
True
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from symcert.errors import SpecificationError

if TYPE_CHECKING:
    from symcert.batch.manifest import Pair

__all__ = ["graph_barriers"]


def graph_barriers(pair: Pair, variants: tuple[str, ...], wanted: set[str]) -> Iterator[tuple[str, Any]]:
    """``(variant, result)`` for each variant in ``wanted`` (``plain``, ``before``, ``after``), in order,
    computed as it is asked for; the models and data are read (and refused) at once. A result has
    ``to_json()``, ``status``, ``lo`` and ``hi``."""
    from symcert.models.graph_data import load_graph_data
    from symcert.models.onnx_import import load_onnx
    from symcert.numeric.graph import GraphLoss
    from symcert.proofs.graph_barrier import certify_graph_barrier
    from symcert.symbolic.graph import graph_to_dict

    first, second = load_onnx(pair.model_a), load_onnx(pair.model_b)
    if graph_to_dict(first.graph) != graph_to_dict(second.graph):
        raise SpecificationError(
            f"{pair.name}: model_a and model_b are not of the same layer graph (its layers, shapes and node "
            f"names must agree for a barrier); model_a is a {first.graph.describe()}, model_b a "
            f"{second.graph.describe()}"
        )
    X, Y = load_graph_data(pair.data, first.graph, pair.loss)
    loss = GraphLoss(first.graph, X, Y, pair.loss)

    def results() -> Iterator[tuple[str, Any]]:
        for variant in (v for v in variants if v in wanted):
            other = second.params
            if variant == "after":
                from symcert.proofs.graph_alignment import align_graphs

                alignment = align_graphs(first, second, spot=False)
                if alignment.status != "proved":
                    raise SpecificationError(
                        f"{pair.name}: the alignment's element was not proved a symmetry "
                        f"({alignment.conclusion()})"
                    )
                other = alignment.aligned
            yield variant, certify_graph_barrier(loss, first.params, other, tol=pair.tol, form=pair.form)

    return results()
