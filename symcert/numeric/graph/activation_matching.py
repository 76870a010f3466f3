r"""Float64 activation matching over the derived groups of a layer graph: candidates, never proof.

As in Ainsworth et al. (2023, activation matching), each group's channels are paired by the inner
products of their activations over data, one linear assignment per group (the groups are independent
here). A group's tensors fall into sign segments; the first tensor of each (the pre-activation: a conv's
or a batch norm's output) gives a Gram matrix of channel ``i`` of A against channel ``j`` of B, over the
examples and the positions the group leaves alone (the pixels of a conv channel). Where a flip of the
segment is a usable symmetry (:func:`~symcert.numeric.graph.matching.layouts`) a pair takes the better
sign, ``|<a_i, b_j>|``, on that segment; elsewhere ``<a_i, b_j>``. The score of a pair is the sum over the
segments. The result has the form of weight matching's
(:class:`~symcert.numeric.graph.matching.GraphMatching`); its history is the matched score (the sum over
groups, divided by the number of examples) at the identity and after.

>>> from symcert.symbolic.graph import Activation, Dense, Graph, Node, derive_symmetries
>>> from symcert.numeric.graph.matching import apply_float, layouts
>>> g = Graph((2,), [Node("fc1", Dense(3)), Node("t", Activation("tanh")), Node("fc2", Dense(1))])
>>> spec = derive_symmetries(g)
>>> rng = np.random.default_rng(0)
>>> a = {k: rng.normal(size=s) for k, s in g.parameter_shapes.items()}
>>> b = apply_float(layouts(spec), a, {"P_fc1": (np.array([2, 0, 1]), np.array([[1.0, -1.0, 1.0]]))})
>>> found = activation_matching_graph(spec, a, b, rng.normal(size=(20, 2)))
>>> found.sources["P_fc1"].tolist(), found.signs["P_fc1"].tolist()
([1, 2, 0], [[-1.0, 1.0, 1.0]])
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from symcert.numeric.graph.matching import GraphMatching, layouts
from symcert.symbolic.graph.evaluate import evaluate_all
from symcert.symbolic.graph.symmetry import Member, PermutationSpec

__all__ = ["activation_matching_graph"]


def _features(values: np.ndarray, member: Member, size: int) -> np.ndarray:
    """The activations ``(N, *shape)`` as one row per channel of the group (examples and positions)."""
    moved = np.moveaxis(values, member.axis + 1, 1)  # the batch axis first, then the group's axis
    count = moved.shape[0]
    moved = moved.reshape(count, member.outer, size, member.inner, -1)
    return moved.transpose(2, 0, 1, 3, 4).reshape(size, -1)


def activation_matching_graph(
    spec: PermutationSpec, a: Mapping[str, np.ndarray], b: Mapping[str, np.ndarray], x: np.ndarray
) -> GraphMatching:
    """Pair each group's channels by the activations of A and B on the inputs ``x`` (``(N, *input)``)."""
    from scipy.optimize import linear_sum_assignment  # 0.6 s to import: only when aligning

    graph, count = spec.graph, len(x)
    va = evaluate_all(graph, a, x, arithmetic="float64")
    vb = evaluate_all(graph, b, x, arithmetic="float64")
    sources, signs, before, after = {}, {}, 0.0, 0.0
    all_layouts = layouts(spec)
    for group, layout in zip(spec.groups, all_layouts, strict=True):
        n = group.size
        score, chosen = np.zeros((n, n)), {}
        for k, segment in enumerate(group.signs):
            tensor = segment.tensors[0]
            member = group.tensor_axis(tensor)
            assert member is not None  # a segment's tensors carry the group
            gram = _features(va[tensor], member, n) @ _features(vb[tensor], member, n).T / count
            before += float(np.trace(gram))
            if k in layout.segments:
                chosen[k] = np.where(gram < 0, -1.0, 1.0)
                score = score + np.abs(gram)
            else:
                score = score + gram
        rows, cols = linear_sum_assignment(score, maximize=True)
        sources[group.name] = cols
        signs[group.name] = np.array([chosen[k][rows, cols] for k in layout.segments]).reshape(-1, n)
        after += float(np.sum(score[rows, cols]))
    return GraphMatching(
        sources,
        signs,
        {g.name: g.segments for g in all_layouts},
        (before, after),
        1,
        True,
        {g.name: g.refused for g in all_layouts if g.refused},
    )
