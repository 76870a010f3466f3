r"""Float64 weight matching over the derived groups of a layer graph: candidates for alignment, never proof.

Each group of a :class:`~symcert.symbolic.graph.symmetry.PermutationSpec` gets a signed permutation:
``source`` (channel ``i`` of the aligned network is channel ``source[i]`` of B) and, for each sign
segment on which a flip is a pure change of signs (:func:`layouts` probes it), the sign of each aligned
channel. Such a map moves and negates parameter entries, so it is orthogonal on the parameters and
maximising ``<A, g(B)>`` minimises ``||A - g(B)||``.

Weight matching (Ainsworth et al. 2023, Git Re-Basin) holds every group but one fixed and solves a
linear assignment for that one (:func:`scipy.optimize.linear_sum_assignment`) on the parameters it
permutes along one axis; where sign segments act, each pair ``(i, j)`` takes the best of the ``2^K``
sign choices (``K`` segments: the match on ``|similarity|`` for one segment). Coordinate descent over
the groups in a seeded random order, until a sweep no longer improves: a local optimum. It starts from
a pass over the groups in graph order, each matched on the parameters whose other axes are fixed or
already matched (its incoming weights; this recovers ``g`` exactly when ``B = g(A)`` and the channels of
A have distinct incoming weights), kept only if it beats the identity.

A parameter that carries one group on two axes (a stream-to-stream layer ``P W P^T``) enters the
objective but not the linear scores (its term is quadratic in ``P``).

>>> from symcert.symbolic.graph import Activation, Dense, Graph, Node, derive_symmetries
>>> g = Graph((2,), [Node("fc1", Dense(3)), Node("t", Activation("tanh")), Node("fc2", Dense(1))])
>>> spec = derive_symmetries(g)
>>> rng = np.random.default_rng(0)
>>> a = {k: rng.normal(size=s) for k, s in g.parameter_shapes.items()}
>>> b = apply_float(layouts(spec), a, {"P_fc1": (np.array([2, 0, 1]), np.array([[1.0, -1.0, 1.0]]))})
>>> found = weight_matching_graph(spec, a, b)
>>> found.sources["P_fc1"].tolist(), found.signs["P_fc1"].tolist()
([1, 2, 0], [[-1.0, 1.0, 1.0]])
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from symcert.symbolic.graph.action import Flip, apply
from symcert.symbolic.graph.symmetry import AxisGroup, PermutationSpec

__all__ = [
    "Slot",
    "GroupLayout",
    "GraphMatching",
    "layouts",
    "apply_float",
    "objective",
    "weight_matching_graph",
]

#: More usable sign segments than this in one group: signs are chosen segment by segment instead.
MAX_JOINT_SEGMENTS = 8

Params = Mapping[str, np.ndarray]
Found = Mapping[str, tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class Slot:
    """One parameter a group acts on: the group's axes in it, as ``(axis, outer, inner)``."""

    param: str
    axes: tuple[tuple[int, int, int], ...]


@dataclass(frozen=True)
class GroupLayout:
    """How a group acts on the parameters: its slots, and the sign segments usable for matching.

    ``touched[(segment, param)]`` lists the positions in the slot's ``axes`` that a flip of the segment
    negates; ``refused`` says, per allowed segment left out, why.
    """

    name: str
    size: int
    slots: tuple[Slot, ...]
    segments: tuple[int, ...]
    touched: dict[tuple[int, str], tuple[int, ...]] = field(default_factory=dict)
    refused: dict[int, str] = field(default_factory=dict)
    others: dict[str, frozenset[str]] = field(default_factory=dict)  # other groups acting on each param


def _channel(length: int, outer: int, size: int, inner: int) -> np.ndarray:
    """The channel of each index along an axis of ``outer * size * inner`` entries."""
    return (np.arange(length) // inner) % size


def _view(vector: np.ndarray, axis: int, ndim: int) -> np.ndarray:
    shape = [1] * ndim
    shape[axis] = -1
    return vector.reshape(shape)


def _pattern(shape: tuple[int, ...], slot: Slot, size: int, positions: tuple[int, ...], signs: np.ndarray):
    """The sign of each entry when channel ``j`` is multiplied by ``signs[j]`` on the given axes."""
    out = np.ones(shape)
    for pos in positions:
        axis, outer, inner = slot.axes[pos]
        out = out * _view(signs[_channel(shape[axis], outer, size, inner)], axis, len(shape))
    return out


def _slots(spec: PermutationSpec, group: AxisGroup) -> tuple[Slot, ...]:
    found: dict[str, list[tuple[int, int, int]]] = {}
    for m in group.members:
        if m.kind == "param":
            found.setdefault(m.name, []).append((m.axis, m.outer, m.inner))
    return tuple(Slot(name, tuple(axes)) for name, axes in found.items())


def _probe(spec: PermutationSpec, group: AxisGroup, slots: tuple[Slot, ...], segment: int):
    """Flip channel 0 of ``segment`` on all-ones parameters: which axes it negates, or why it is unusable."""
    shapes = spec.graph.parameter_shapes
    ones = {name: np.ones(shape, dtype=int) for name, shape in shapes.items()}
    signs = (-1, *([1] * (group.size - 1)))
    moved = {
        k: np.array(v, dtype=float) for k, v in apply(spec, ones, Flip(group.name, segment, signs)).items()
    }
    touched, vector = {}, np.array(signs, dtype=float)
    for slot in slots:
        shape, positions = shapes[slot.param], []
        for pos in range(len(slot.axes)):
            where = [0] * len(shape)  # channel 0 on this axis (index 0 on every axis is channel 0)
            for other, (axis2, _, inner2) in enumerate(slot.axes):
                if other != pos and group.size > 1:
                    where[axis2] = inner2  # channel 1 on the other group axes
            if moved[slot.param][tuple(where)] == -1:
                positions.append(pos)
        touched[(segment, slot.param)] = tuple(positions)
        if not np.array_equal(moved[slot.param], _pattern(shape, slot, group.size, tuple(positions), vector)):
            return None, f"a flip on it changes {slot.param} by more than signs"
    inside = {s.param for s in slots}
    for name, value in moved.items():
        if name not in inside and not np.all(value == 1):
            return (
                None,
                f"a flip on it changes {name}, which the group does not permute (the sigmoid's 1 - s)",
            )
    return touched, ""


def layouts(spec: PermutationSpec) -> tuple[GroupLayout, ...]:
    """Each group's slots and usable sign segments (allowed ones whose flips only negate entries)."""
    acting: dict[str, set[str]] = {}
    for group in spec.groups:
        for m in group.members:
            if m.kind == "param":
                acting.setdefault(m.name, set()).add(group.name)
    out = []
    for group in spec.groups:
        slots = _slots(spec, group)
        touched: dict[tuple[int, str], tuple[int, ...]] = {}
        segments, refused = [], {}
        for k, segment in enumerate(group.signs):
            if not segment.allowed:
                continue
            found, why = _probe(spec, group, slots, k)
            if found is None:
                refused[k] = why
                continue
            segments.append(k)
            touched.update(found)
        others = {s.param: frozenset(acting[s.param] - {group.name}) for s in slots}
        out.append(GroupLayout(group.name, group.size, slots, tuple(segments), touched, refused, others))
    return tuple(out)


def _permute(array: np.ndarray, slot: Slot, size: int, source: np.ndarray) -> np.ndarray:
    for axis, outer, inner in slot.axes:
        index = np.arange(outer * size * inner).reshape(outer, size, inner)[:, source, :].reshape(-1)
        array = np.take(array, index, axis=axis)
    return array


def _act(layout: GroupLayout, params: dict[str, np.ndarray], source: np.ndarray, signs: np.ndarray) -> None:
    """Apply one group's signed permutation in place: flips at B's channels, then the permutation."""
    at_b = np.ones((len(layout.segments), layout.size))
    if len(layout.segments):
        at_b[:, source] = signs
    for slot in layout.slots:
        array = params[slot.param]
        for k, segment in enumerate(layout.segments):
            positions = layout.touched.get((segment, slot.param), ())
            if positions:
                array = array * _pattern(array.shape, slot, layout.size, positions, at_b[k])
        params[slot.param] = _permute(array, slot, layout.size, source)


def apply_float(all_layouts: tuple[GroupLayout, ...], params: Params, found: Found) -> dict[str, np.ndarray]:
    """The parameters moved by ``found`` (group name to ``(source, signs)``; groups left out: identity)."""
    out = {k: np.asarray(v, dtype=float) for k, v in params.items()}
    for layout in all_layouts:
        if layout.name in found:
            _act(layout, out, *found[layout.name])
    return out


def objective(a: Params, b: Params) -> float:
    """``<A, B>`` over every parameter."""
    return float(sum(np.vdot(a[k], b[k]) for k in a))


def _channels_first(array: np.ndarray, axis: int, outer: int, size: int, inner: int) -> np.ndarray:
    moved = np.moveaxis(array, axis, 0).reshape(outer, size, inner, -1)
    return moved.transpose(1, 0, 2, 3).reshape(size, -1)


def _scores(
    layout: GroupLayout, a: Params, b: Params, allowed: set[str] | None
) -> dict[frozenset[int], np.ndarray]:
    """The similarity of aligned channel ``i`` to B's channel ``j``, per subset of sign segments."""
    n = layout.size
    terms: dict[frozenset[int], np.ndarray] = {}
    for slot in layout.slots:
        if len(slot.axes) != 1 or (allowed is not None and not layout.others[slot.param] <= allowed):
            continue
        axis, outer, inner = slot.axes[0]
        gram = (
            _channels_first(a[slot.param], axis, outer, n, inner)
            @ _channels_first(b[slot.param], axis, outer, n, inner).T
        )
        subset = frozenset(k for k, s in enumerate(layout.segments) if layout.touched.get((s, slot.param)))
        terms[subset] = terms[subset] + gram if subset in terms else gram
    return terms


def _best(layout: GroupLayout, terms: dict) -> tuple[np.ndarray, np.ndarray]:
    """For each pair, the best total over the sign choices, and the choice (``(K, n, n)`` signs)."""
    n, count = layout.size, len(layout.segments)
    if not terms:
        return np.zeros((n, n)), np.ones((count, n, n))
    if count <= MAX_JOINT_SEGMENTS:
        choices = [np.array(c, dtype=float) for c in itertools.product((1.0, -1.0), repeat=count)]
    else:  # segment by segment: each sign alone, against all others +1
        choices = [np.ones(count)] + [np.where(np.arange(count) == k, -1.0, 1.0) for k in range(count)]
    totals = np.stack(
        [sum(term * np.prod(c[list(subset)]) for subset, term in terms.items()) for c in choices]
    )
    pick = np.argmax(totals, axis=0)
    chosen = np.stack(choices)[pick]  # (n, n, K)
    return np.max(totals, axis=0), np.moveaxis(chosen, -1, 0)


def _solve(all_layouts, layout, a, b, found, allowed=None):
    """One group's best signed permutation with the others fixed (``allowed``: only those matched)."""
    from scipy.optimize import linear_sum_assignment  # 0.6 s to import: only when aligning

    others = {k: v for k, v in found.items() if k != layout.name}
    moved = apply_float(all_layouts, b, others)
    score, chosen = _best(layout, _scores(layout, a, moved, allowed))
    rows, cols = linear_sum_assignment(score, maximize=True)
    return cols, chosen[:, rows, cols].reshape(len(layout.segments), layout.size)


@dataclass(frozen=True)
class GraphMatching:
    """Signed permutations per group and the objective's history (identity, start, after each sweep)."""

    sources: dict[str, np.ndarray]
    signs: dict[str, np.ndarray]
    segments: dict[str, tuple[int, ...]]
    history: tuple[float, ...]
    iterations: int
    converged: bool
    refused: dict[str, dict[int, str]]


def weight_matching_graph(
    spec: PermutationSpec,
    a: Params,
    b: Params,
    *,
    max_iter: int = 100,
    seed: int = 0,
    init: str = "forward",
) -> GraphMatching:
    """Coordinate descent over the groups on ``<A, g(B)>`` (``a``, ``b``: float arrays by parameter name).

    ``init="forward"`` first matches the groups in graph order on the parameters already determined
    (see the module text); ``init="identity"`` starts from the identity, as Ainsworth et al. do. A new
    assignment is kept only if the objective does not decrease, so the history never decreases.
    """
    if init not in ("forward", "identity"):
        raise ValueError(f"init must be 'forward' or 'identity', got {init!r}")
    all_layouts = layouts(spec)
    a = {k: np.asarray(v, dtype=float) for k, v in a.items()}
    b = {k: np.asarray(v, dtype=float) for k, v in b.items()}
    found: dict[str, tuple[np.ndarray, np.ndarray]] = {
        g.name: (np.arange(g.size), np.ones((len(g.segments), g.size))) for g in all_layouts
    }

    def value(trial: Found) -> float:
        return objective(a, apply_float(all_layouts, b, trial))

    current = value(found)
    history = [current]
    if init == "forward":
        trial, done = dict(found), set[str]()
        for layout in all_layouts:
            trial[layout.name] = _solve(all_layouts, layout, a, b, trial, allowed=set(done))
            done.add(layout.name)
        if value(trial) >= current:
            found, current = trial, value(trial)
    history.append(current)
    rng = np.random.default_rng(seed)
    converged, sweeps = not all_layouts, 0
    while not converged and sweeps < max_iter:
        sweeps += 1
        start = current
        for i in rng.permutation(len(all_layouts)):
            layout = all_layouts[int(i)]
            trial = {**found, layout.name: _solve(all_layouts, layout, a, b, found)}
            trial_value = value(trial)
            if trial_value >= current:
                found, current = trial, trial_value
        history.append(current)
        converged = current <= start + 1e-12 * max(1.0, abs(start))
    return GraphMatching(
        {k: v[0] for k, v in found.items()},
        {k: v[1] for k, v in found.items()},
        {g.name: g.segments for g in all_layouts},
        tuple(history),
        sweeps,
        converged,
        {g.name: g.refused for g in all_layouts if g.refused},
    )
