"""Derived symmetries acting on exact parameters, and an exact spot check that the output is unchanged.

An element names a group of a :class:`~symcert.symbolic.graph.symmetry.PermutationSpec` and says what
it does to its ``n`` channels: :class:`Permute` (``perm[i]`` is the old channel placed at ``i``),
:class:`Flip` (signs on one sign segment) or :class:`Rescale` (positive factors on one rescaling
segment). :func:`apply` returns the new parameters; each layer changes its own (``Layer.act``).

:func:`spot_check` evaluates the network before and after at an exact random batch. Where every layer
is rational (ReLU, leaky ReLU, polynomial activations, pooling, batch norm with ``var + eps`` a rational
square) the comparison is exact, and equality is a fact about that point (a spot check of the
invariance, not a proof for every input). For tanh, sigmoid, softplus, softmax or an irrational square
root it compares at ``dps`` digits in mpmath: evidence only, and the result says so.

>>> from symcert.symbolic.graph import Activation, Dense, Graph, Node, derive_symmetries, random_parameters
>>> g = Graph((2,), [Node("fc1", Dense(3)), Node("r", Activation("relu")), Node("fc2", Dense(1))])
>>> spec, p = derive_symmetries(g), random_parameters(g, seed=3)
>>> spot_check(spec, p, Permute("P_fc1", (2, 0, 1))).status
'equal (exact)'
>>> spot_check(spec, p, Flip("P_fc1", 0, (-1, 1, 1)), force=True).status  # ReLU is not odd
'differs'
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from symcert.errors import ExactnessError, SpecificationError
from symcert.symbolic.graph.evaluate import evaluate
from symcert.symbolic.graph.linear import Conv, Dense
from symcert.symbolic.graph.moves import Diag, Perm, TensorAction
from symcert.symbolic.graph.symmetry import AxisGroup, Member, PermutationSpec, Segment

__all__ = [
    "Permute",
    "Flip",
    "Rescale",
    "Translate",
    "tensor_actions",
    "apply",
    "spot_check",
    "SpotCheck",
    "parse_element",
    "element_text",
]


@dataclass(frozen=True)
class Permute:
    """Permute the channels of group ``group``: new channel ``i`` is old channel ``perm[i]``."""

    group: str
    perm: tuple[int, ...]


@dataclass(frozen=True)
class Flip:
    """Multiply channel ``j`` of sign segment ``segment`` (an index into ``group.signs``) by ``signs[j]``."""

    group: str
    segment: int
    signs: tuple[int, ...]


@dataclass(frozen=True)
class Rescale:
    """Multiply channel ``j`` of rescaling segment ``segment`` by ``factors[j] > 0``."""

    group: str
    segment: int
    factors: tuple[Fraction, ...]


@dataclass(frozen=True)
class Translate:
    """Add ``shift`` to every entry of the bias ``parameter`` (a derived softmax translation)."""

    parameter: str
    shift: Fraction

    def __post_init__(self) -> None:
        object.__setattr__(self, "shift", Fraction(self.shift))


Element = Permute | Flip | Rescale | Translate


def element_text(element: Element) -> str:
    """The element as text: ``permute:G:2,0,1``, ``flip:G:SEGMENT:-1,1,1``, ``rescale:G:SEGMENT:3/2,1``.

    >>> element_text(Rescale("P_conv1", 1, (Fraction(3, 2), Fraction(1))))
    'rescale:P_conv1:1:3/2,1'
    """
    if isinstance(element, Permute):
        return f"permute:{element.group}:{','.join(map(str, element.perm))}"
    if isinstance(element, Translate):
        return f"translate:{element.parameter}:{element.shift}"
    values = element.signs if isinstance(element, Flip) else element.factors
    kind = "flip" if isinstance(element, Flip) else "rescale"
    return f"{kind}:{element.group}:{element.segment}:{','.join(map(str, values))}"


def parse_element(text: str) -> Element:
    """The element written by :func:`element_text`, or a one-line error saying the forms.

    >>> parse_element("flip:P_fc1:0:-1,1")
    Flip(group='P_fc1', segment=0, signs=(-1, 1))
    >>> parse_element("swap:1:0,1")
    Traceback (most recent call last):
    ...
    symcert.errors.SpecificationError: a graph element is permute:GROUP:2,0,1, flip:GROUP:SEGMENT:-1,1,1, \
rescale:GROUP:SEGMENT:3/2,1,1 or translate:NODE.bias:C, got 'swap:1:0,1'
    """
    parts = text.strip().split(":") if isinstance(text, str) else []
    try:
        if parts[0] == "permute" and len(parts) == 3:
            return Permute(parts[1], tuple(int(v) for v in parts[2].split(",")))
        if parts[0] == "flip" and len(parts) == 4:
            return Flip(parts[1], int(parts[2]), tuple(int(v) for v in parts[3].split(",")))
        if parts[0] == "translate" and len(parts) == 3:
            return Translate(parts[1], Fraction(parts[2]))
        if parts[0] == "rescale" and len(parts) == 4:
            return Rescale(parts[1], int(parts[2]), tuple(Fraction(v) for v in parts[3].split(",")))
    except (ValueError, ZeroDivisionError):
        pass
    raise SpecificationError(
        "a graph element is permute:GROUP:2,0,1, flip:GROUP:SEGMENT:-1,1,1, rescale:GROUP:SEGMENT:3/2,1,1 "
        "or translate:NODE.bias:C, "
        f"got {str(text)[:60]!r}"
    )


def _group(spec: PermutationSpec, name: str) -> AxisGroup:
    try:
        return spec.group(name)
    except KeyError:
        raise SpecificationError(
            f"no group called {name!r}; the groups are {', '.join(g.name for g in spec.groups) or 'none'}"
        ) from None


def _expand(member: Member, vector: np.ndarray) -> np.ndarray:
    return np.kron(np.kron(np.ones(member.outer, dtype=int), vector), np.ones(member.inner, dtype=int))


def _permute(spec: PermutationSpec, params: dict, element: Permute) -> dict:
    group, perm = _checked_perm(spec, element)
    new = dict(params)
    for m in group.members:
        if m.kind == "param":
            index = np.arange(m.outer * group.size * m.inner).reshape(m.outer, group.size, m.inner)
            new[m.name] = np.take(new[m.name], index[:, list(perm), :].reshape(-1), axis=m.axis)
    return new


def _checked_perm(spec: PermutationSpec, element: Permute) -> tuple[AxisGroup, tuple[int, ...]]:
    group = _group(spec, element.group)
    perm = tuple(element.perm)
    if sorted(perm) != list(range(group.size)):
        raise SpecificationError(
            f"{element.group} has {group.size} channels: perm must reorder 0..{group.size - 1}, got {perm}"
        )
    return group, perm


def _checked_diagonal(
    spec: PermutationSpec, element: Flip | Rescale
) -> tuple[AxisGroup, Segment, np.ndarray]:
    """The group, the segment and the multipliers of a flip or rescaling, or a one-line error."""
    group = _group(spec, element.group)
    kind = "signs" if isinstance(element, Flip) else "scales"
    segments: tuple[Segment, ...] = getattr(group, kind)
    if not 0 <= element.segment < len(segments):
        raise SpecificationError(
            f"{element.group} has {len(segments)} {kind} segments, got index {element.segment}"
        )
    segment = segments[element.segment]
    values = element.signs if isinstance(element, Flip) else element.factors
    if len(values) != group.size:
        raise SpecificationError(f"{element.group} has {group.size} channels, got {len(values)} multipliers")
    if isinstance(element, Flip) and any(v not in (1, -1) for v in values):
        raise SpecificationError(f"signs must be 1 or -1, got {tuple(values)}")
    base = np.array([Fraction(v) for v in values], dtype=object)
    if isinstance(element, Rescale) and any(v <= 0 for v in base):
        raise SpecificationError(f"rescaling factors must be > 0, got {', '.join(map(str, base))}")
    return group, segment, base


def _diagonal(spec: PermutationSpec, params: dict, element: Flip | Rescale, force: bool) -> dict:
    group, segment, base = _checked_diagonal(spec, element)
    kind = "signs" if isinstance(element, Flip) else "scales"
    if not segment.allowed and not force:
        raise SpecificationError(
            f"segment {element.segment} of {element.group}'s {kind} is not a symmetry ({segment.reason}); "
            "apply it with force=True to see the output change"
        )
    return _act(spec, params, group, segment, base)


def _act(spec: PermutationSpec, params: dict, group: AxisGroup, segment: Segment, base: np.ndarray) -> dict:
    graph = spec.graph
    vectors = {}
    for t in segment.tensors:
        member = group.tensor_axis(t)
        assert member is not None  # a segment's tensors carry the group
        vectors[t] = _expand(member, base ** segment.exponents.get(t, 1))
    new = dict(params)
    for action in segment.actions:
        node = graph.node(action.node)
        prefix = node.name + "."
        local = {k[len(prefix) :]: v for k, v in new.items() if k.startswith(prefix)}
        ins = [vectors[s] if i in action.inputs else None for i, s in enumerate(node.sources)]
        if action.role == "constant":
            assert isinstance(node.layer, (Dense, Conv))  # the layers that absorb a complement's constant
            local = node.layer.absorb_complement(local, ins[0])
        else:
            out = vectors[node.name] if action.role in ("emit", "both") else None
            out_axis = None
            if out is not None:
                emits = group.tensor_axis(node.name)
                assert emits is not None  # the node emits the group
                out_axis = emits.axis - len(graph.shapes[node.name])
            local = node.layer.act(local, ins if action.role != "emit" else [None] * len(ins), out, out_axis)
        new.update({prefix + k: v for k, v in local.items()})
    return new


def apply(
    spec: PermutationSpec, params: dict[str, np.ndarray], element: Element, *, force: bool = False
) -> dict[str, np.ndarray]:
    """The exact parameters after ``element`` (raises for a flip or rescaling the facts do not allow).

    ``force=True`` applies a flip or rescaling on a segment that is not a symmetry anyway (the
    changes the layers that can act would make; the blocking layer makes none), to watch the output
    change.

    >>> from symcert.symbolic.graph import Activation, Dense, Graph, Node, derive_symmetries
    >>> g = Graph((1,), [Node("fc1", Dense(2)), Node("t", Activation("tanh")), Node("fc2", Dense(1))])
    >>> p = {"fc1.weight": [[1], [2]], "fc1.bias": [0, 3], "fc2.weight": [[4, 5]], "fc2.bias": [6]}
    >>> q = apply(derive_symmetries(g), p, Flip("P_fc1", 0, (1, -1)))
    >>> [[int(v) for v in q[name].ravel()] for name in ("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias")]
    [[1, -2], [0, -3], [4, -5], [6]]
    """
    exact = spec.graph.check_parameters(params)
    if isinstance(element, Permute):
        return _permute(spec, exact, element)
    if isinstance(element, Translate):
        if element.parameter not in exact:
            raise SpecificationError(f"no parameter called {element.parameter!r} to translate")
        if not force and element.parameter not in {t.parameter for t in spec.translations}:
            derived = ", ".join(t.parameter for t in spec.translations) or "none"
            raise SpecificationError(
                f"translating {element.parameter} is not a derived symmetry (the derived translations: "
                f"{derived}); apply it with force=True to see the output change"
            )
        return {**exact, element.parameter: exact[element.parameter] + element.shift}
    return _diagonal(spec, exact, element, force)


def tensor_actions(spec: PermutationSpec, element: Element) -> dict[str, TensorAction]:
    """What ``element`` does to each tensor it changes, as the derivation says (the proof's hypothesis).

    >>> from symcert.symbolic.graph import Activation, Dense, Graph, Node, derive_symmetries
    >>> g = Graph((1,), [Node("fc1", Dense(2)), Node("t", Activation("tanh")), Node("fc2", Dense(1))])
    >>> sorted(tensor_actions(derive_symmetries(g), Permute("P_fc1", (1, 0))))
    ['fc1', 't']
    """
    if isinstance(element, Translate):
        if element.parameter not in spec.graph.parameter_shapes or not element.parameter.endswith(".bias"):
            biases = [p for p in spec.graph.parameter_shapes if p.endswith(".bias")]
            raise SpecificationError(
                f"translate needs a bias, got {element.parameter!r}; the biases are "
                f"{', '.join(biases) or 'none'}"
            )
        found = next((t for t in spec.translations if t.parameter == element.parameter), None)
        if found is None:
            return {element.parameter.split(".")[0]: TensorAction(shift=element.shift)}
        return {t: TensorAction(shift=element.shift) for t in found.tensors}
    actions: dict[str, list] = {}
    if isinstance(element, Permute):
        group, _ = _checked_perm(spec, element)
        for m in group.members:
            if m.kind == "tensor":
                index = np.arange(m.outer * group.size * m.inner).reshape(m.outer, group.size, m.inner)
                perm = Perm(tuple(int(v) for v in index[:, list(element.perm), :].reshape(-1)))
                actions.setdefault(m.name, []).append((m.axis, perm))
        return {t: TensorAction(tuple(axes)) for t, axes in actions.items()}
    group, segment, base = _checked_diagonal(spec, element)
    out = {}
    for t in segment.tensors:
        member = group.tensor_axis(t)
        assert member is not None  # a segment's tensors carry the group
        if t in segment.complements:
            flipped = tuple(bool(v) for v in _expand(member, np.array([b == -1 for b in base], dtype=int)))
            diag = Diag((Fraction(1),) * len(flipped), flipped)
        else:
            diag = Diag(tuple(_expand(member, base ** segment.exponents.get(t, 1))))
        out[t] = TensorAction(((member.axis, diag),))
    return out


@dataclass(frozen=True)
class SpotCheck:
    """The outcome of :func:`spot_check`: ``status`` is ``"equal (exact)"``, ``"differs"`` or
    ``"agrees to N digits (mpmath: evidence, not proof)"``; ``difference`` the largest change seen."""

    status: str
    exact: bool
    difference: Any

    @property
    def holds(self) -> bool:
        """Whether the output was unchanged (exactly, or to the digits compared)."""
        return self.status != "differs"


def spot_check(
    spec: PermutationSpec,
    params: dict[str, np.ndarray],
    element: Element,
    *,
    x: Any = None,
    seed: int = 0,
    batch: int = 3,
    dps: int = 50,
    force: bool = False,
) -> SpotCheck:
    """Compare the output before and after ``element`` at an exact random batch (or at ``x``).

    Exact where the graph is rational (equality is then exact at that batch); otherwise at ``dps``
    digits in mpmath, which is evidence only.

    >>> from symcert.symbolic.graph import Activation, Dense, Graph, Node, derive_symmetries
    >>> from symcert.symbolic.graph import random_parameters
    >>> g = Graph((2,), [Node("fc1", Dense(3)), Node("t", Activation("tanh")), Node("fc2", Dense(1))])
    >>> spot_check(derive_symmetries(g), random_parameters(g), Flip("P_fc1", 0, (-1, 1, 1))).status
    'agrees to 45 digits (mpmath: evidence, not proof)'
    """
    graph = spec.graph
    if x is None:
        rng = random.Random(seed)
        count = batch * int(np.prod(graph.input_shape))
        x = np.array([Fraction(rng.randint(-16, 16), 8) for _ in range(count)], dtype=object)
        x = x.reshape((batch, *graph.input_shape))
    moved = apply(spec, params, element, force=force)
    try:
        before = evaluate(graph, params, x, arithmetic="exact")
        after = evaluate(graph, moved, x, arithmetic="exact")
    except ExactnessError:
        before = evaluate(graph, params, x, arithmetic="mpmath", dps=dps)
        after = evaluate(graph, moved, x, arithmetic="mpmath", dps=dps)
        gap = max(abs(a - b) for a, b in zip(before.ravel(), after.ravel(), strict=True))
        scale = max([float(abs(a)) for a in before.ravel()] + [1.0])
        if float(gap) <= scale * 10.0 ** (5 - dps):
            return SpotCheck(f"agrees to {dps - 5} digits (mpmath: evidence, not proof)", False, gap)
        return SpotCheck("differs", False, gap)
    gap = max(abs(a - b) for a, b in zip(before.ravel(), after.ravel(), strict=True))
    return SpotCheck("equal (exact)" if gap == 0 else "differs", True, gap)
