r"""The symmetries of a graph, derived from its layers' facts: Git Re-Basin's permutation spec, and more.

1. Permutation groups. Every axis of every tensor and parameter is an element of a union-find
   (:mod:`~symcert.symbolic.graph.unionfind`); each layer ties the axes it permutes together
   (:meth:`~symcert.symbolic.graph.base.Layer.ties`), and every axis a layer touches without tying it
   is *fixed*, as are the axes of the graph's input and output. A class with no fixed axis is a
   group: permuting its base of ``n`` channels (as ``I (x) P (x) I`` on each member) leaves the
   network's function unchanged, because every layer commutes with it. Order ``n!``.
2. Sign flips, per channel. Inside a group, the tensors split into *segments* joined by the layers
   that transmit a flip (odd activations, average pooling, flatten, add; the sigmoid as ``1 - s``).
   Flipping the sign of channel ``j`` on every tensor of a segment is a symmetry iff every layer
   that produces a tensor of the segment from outside it can emit the flip through its parameters
   (a dense or conv layer's rows, a batch norm's scale), and every layer that reads one and writes
   outside it can absorb it (columns, an even activation, a batch norm's mean and scale, a later bias
   for the sigmoid's constant). Each such segment doubles the group per channel: ``2^n``.
3. Rescalings, per channel (continuous): the same rule with positive multipliers, where a positively
   homogeneous activation of degree ``k`` transmits ``c`` as ``c^k``, max pooling transmits it, and a
   batch norm absorbs it.
4. The softmax translation (continuous, dimension 1; :mod:`~symcert.symbolic.graph.translation`):
   adding one constant to every entry of a bias whose layer feeds a softmax (through layers that carry
   a constant) changes no output, since ``softmax(z + c 1) = softmax(z)``.

What a batch norm makes of a rescaling, exactly. symcert's :class:`BatchNorm` is the inference form
``gamma (x - mean) / sqrt(var + eps) + beta`` with *stored* statistics. There, rescaling channel ``j``
of the layer before it by ``c > 0`` (its weights and bias) is **not** an invariance on its own: the
stored ``mean`` and ``var`` do not follow. What is exact, for every ``eps``, is the rescaling together
with ``mean_j`` times ``c`` and ``gamma_j`` over ``c`` (``var`` unchanged): that is the element listed
(``kunin`` on the segment) and proved, a symmetry of the function of all four batch-norm parameters,
the stored mean among them. Kunin et al. (2021)'s scale symmetry, the weights before a batch norm
rescaled *alone*, holds for batch norm in training mode (statistics of the batch), and exactly only for
``eps = 0``: ``(c x - c mu) / sqrt(c^2 s^2 + eps)`` equals ``(x - mu) / sqrt(s^2 + eps / c^2)``. The graph
has no training-mode batch norm, so that symmetry is not derived here. Sign flips through a batch norm
are the same with ``c = -1`` (exact in inference form for every ``eps``).

The discrete group has order ``prod over groups of n! 2^(n s)``, ``s`` the number of segments whose
flips are symmetries.

>>> from symcert import MLP
>>> from symcert.symbolic.graph.spec import Graph
>>> spec = derive_symmetries(Graph.from_mlp(MLP((2, 3, 2, 1), "tanh")))
>>> spec.order, [g.name for g in spec.groups]
(384, ['P_fc1', 'P_fc2'])
>>> spec.perm_to_axes["P_fc1"]
[('fc1.weight', 0), ('fc1.bias', 0), ('fc2.weight', 1)]
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from symcert.symbolic.graph.base import Layer
from symcert.symbolic.graph.spec import Graph, Node
from symcert.symbolic.graph.translation import Translation, derive_translations
from symcert.symbolic.graph.unionfind import AxisUnion, Weight

__all__ = ["Member", "Action", "Segment", "AxisGroup", "PermutationSpec", "derive_symmetries"]


@dataclass(frozen=True)
class Member:
    """One axis (of a ``"tensor"`` or a ``"param"``) of a group: ``P`` acts on it as ``I_o (x) P (x) I_i``."""

    kind: str
    name: str
    axis: int
    outer: int = 1
    inner: int = 1


@dataclass(frozen=True)
class Action:
    """What one layer does for a segment: ``absorb``, ``emit``, ``both`` or ``constant``."""

    node: str
    role: str  # "absorb", "emit", "both", "constant" (absorbs the sigmoid's 1 - s)
    inputs: tuple[int, ...]  # which inputs are in the segment


@dataclass(frozen=True)
class Segment:
    """Tensors of a group joined by layers that transmit a flip (``"sign"``) or a rescaling (``"scale"``)."""

    kind: str
    tensors: tuple[str, ...]
    allowed: bool
    reason: str
    exponents: dict[str, int] = field(default_factory=dict, compare=False)
    actions: tuple[Action, ...] = ()
    #: A batch norm absorbs the rescaling (inference form: through its stored mean and its scale; see
    #: the module text for what this is and is not).
    kunin: bool = False
    #: The tensors that become ``1 - x`` on a flipped channel (after a sigmoid), in order.
    complements: tuple[str, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class AxisGroup:
    """A permutation group of ``size`` channels: the axes it permutes, its flip and rescaling segments."""

    name: str
    size: int
    members: tuple[Member, ...]
    signs: tuple[Segment, ...]
    scales: tuple[Segment, ...]

    @property
    def flips(self) -> int:
        """The number of segments whose sign flips are symmetries (each gives ``2^size``)."""
        return sum(s.allowed for s in self.signs)

    @property
    def order(self) -> int:
        """``n! 2^(n s)``."""
        return math.factorial(self.size) * 2 ** (self.size * self.flips)

    def tensor_axis(self, tensor: str) -> Member | None:
        """The member that is an axis of ``tensor``, if any."""
        return next((m for m in self.members if m.kind == "tensor" and m.name == tensor), None)


@dataclass(frozen=True)
class PermutationSpec:
    """The derived symmetries of a graph: its groups, and the classes that are fixed and why."""

    graph: Graph
    groups: tuple[AxisGroup, ...]
    fixed: tuple[tuple[str, str], ...]  # (a description of the class, the reason it is fixed)
    #: The softmax translations (continuous, dimension 1 each).
    translations: tuple[Translation, ...] = ()
    #: Whether the graph's output was taken as the logits of a softmax cross-entropy loss.
    logits: bool = False

    @property
    def order(self) -> int:
        """The order of the discrete group (permutations and sign flips), an ``int``."""
        return math.prod(g.order for g in self.groups)

    @property
    def perm_to_axes(self) -> dict[str, list[tuple[str, int]]]:
        """Git Re-Basin's ``perm_to_axes``: each group's ``(parameter, axis)`` pairs."""
        return {g.name: [(m.name, m.axis) for m in g.members if m.kind == "param"] for g in self.groups}

    @property
    def axes_to_perm(self) -> dict[str, tuple[str | None, ...]]:
        """Git Re-Basin's ``axes_to_perm``: for each parameter, the group of each axis (None: fixed)."""
        out: dict[str, list[str | None]] = {
            name: [None] * len(shape) for name, shape in self.graph.parameter_shapes.items()
        }
        for g in self.groups:
            for m in g.members:
                if m.kind == "param":
                    out[m.name][m.axis] = g.name
        return {name: tuple(axes) for name, axes in out.items()}

    @property
    def continuous(self) -> tuple[tuple[AxisGroup, Segment], ...]:
        """The rescaling families: ``(group, segment)``, each of dimension ``group.size``."""
        return tuple((g, s) for g in self.groups for s in g.scales if s.allowed)

    def group(self, name: str) -> AxisGroup:
        """The group called ``name``."""
        for g in self.groups:
            if g.name == name:
                return g
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (``order`` an int, groups with their axes, flips and rescalings)."""
        return {
            "order": self.order,
            "groups": [
                {
                    "name": g.name,
                    "size": g.size,
                    "order": g.order,
                    "parameters": [[m.name, m.axis] for m in g.members if m.kind == "param"],
                    "tensors": [[m.name, m.axis, m.outer, m.inner] for m in g.members if m.kind == "tensor"],
                    "sign_flips": [
                        {"tensors": list(s.tensors), "symmetry": s.allowed, "reason": s.reason}
                        for s in g.signs
                    ],
                    "rescalings": [
                        {
                            "tensors": list(s.tensors),
                            "symmetry": s.allowed,
                            "reason": s.reason,
                            "kunin": s.kunin,
                        }
                        for s in g.scales
                    ],
                }
                for g in self.groups
            ],
            "fixed": [{"axes": a, "reason": r} for a, r in self.fixed],
            "translations": [t.to_dict() for t in self.translations],
        }

    def summary(self) -> str:
        """The spec as text for people."""
        lines = [f"{self.graph.describe()}", f"discrete group order {self.order}"]
        for g in self.groups:
            params = ", ".join(f"{m.name}[{m.axis}]" for m in g.members if m.kind == "param")
            lines.append(f"{g.name}: {g.size} channels, order {g.order}; permutes {params}")
            for s in g.signs:
                lines.append(
                    f"  sign flips on {', '.join(s.tensors)}: {'yes' if s.allowed else 'no'} ({s.reason})"
                )
            for s in g.scales:
                if s.allowed:
                    note = (
                        "; absorbed by the batch norm's stored mean and scale (inference form)"
                        if s.kunin
                        else ""
                    )
                    lines.append(
                        f"  rescaling on {', '.join(s.tensors)}: continuous, dimension {g.size}{note}"
                    )
        for t in self.translations:
            lines.append(f"translation of {t.parameter}: continuous, dimension 1 ({t.reason})")
        if self.fixed:
            lines.append(
                f"fixed: {len(self.fixed)} other classes of axes (input, output, spatial and kernel axes; "
                "to_dict()['fixed'] says why each is fixed)"
            )
        return "\n".join(lines)


def _port_element(node: Node, port: tuple[Any, ...]) -> tuple[Any, ...]:
    if port[0] == "in":
        return ("tensor", node.sources[port[1]], port[2])
    if port[0] == "out":
        return ("tensor", node.name, port[1])
    return ("param", f"{node.name}.{port[1]}", port[2])


def _ports(graph: Graph, node: Node) -> list[tuple[Any, ...]]:
    shapes = graph.input_shapes(node)
    found: list[tuple[Any, ...]] = [("in", i, a) for i, s in enumerate(shapes) for a in range(len(s))]
    found += [("out", a) for a in range(len(graph.shapes[node.name]))]
    for local, shape in node.layer.parameter_shapes(shapes).items():
        found += [("param", local, a) for a in range(len(shape))]
    return found


def derive_symmetries(graph: Graph, *, logits: bool = False) -> PermutationSpec:
    """Derive the permutation groups, sign flips, rescalings and softmax translations of ``graph``.

    ``logits=True`` takes the graph's output as the logits of a softmax cross-entropy loss (a model
    exported without its final softmax), whose softmax absorbs a translation of the output bias.

    >>> from symcert.symbolic.graph.layers import Activation, Conv, Dense, Flatten, MaxPool
    >>> g = Graph((1, 6, 6), [Node("conv", Conv(3, (3, 3))), Node("relu", Activation("relu")),
    ...                       Node("pool", MaxPool((2, 2))), Node("flat", Flatten()), Node("fc", Dense(2))])
    >>> spec = derive_symmetries(g)
    >>> spec.order, spec.perm_to_axes["P_conv"]
    (6, [('conv.weight', 0), ('conv.bias', 0), ('fc.weight', 1)])
    >>> spec.group("P_conv").tensor_axis("flat")
    Member(kind='tensor', name='flat', axis=0, outer=1, inner=4)
    """
    uf: AxisUnion[tuple[Any, ...]] = AxisUnion()
    fixed: dict[tuple[Any, ...], str] = {}
    for a in range(len(graph.input_shape)):
        fixed[("tensor", graph.input_name, a)] = "the graph's input"
    for a in range(len(graph.shapes[graph.output])):
        fixed[("tensor", graph.output, a)] = "the graph's output"
    for node in graph.nodes:
        ties = node.layer.ties(graph.input_shapes(node))
        tied = set()
        for tie in ties:
            one, two = _port_element(node, tie.first), _port_element(node, tie.second)
            uf.tie(one, two, tie.outer, tie.inner)
            tied |= {one, two}
        for port in _ports(graph, node):
            element = _port_element(node, port)
            uf.add(element)
            if element not in tied:
                fixed.setdefault(element, f"{node.name} ({node.layer.kind}) does not permute it")
    sizes = {("tensor", t, a): n for t, s in graph.shapes.items() for a, n in enumerate(s)}
    sizes |= {("param", p, a): n for p, s in graph.parameter_shapes.items() for a, n in enumerate(s)}
    order = {name: i for i, name in enumerate([graph.input_name, *(n.name for n in graph.nodes)])}
    rank = {name: i for i, name in enumerate(graph.parameter_shapes)}

    groups, fixed_out = [], []
    for root, elements in uf.classes().items():
        label = ", ".join(f"{e[1]}[{e[2]}]" for e, _ in elements[:4]) + (" ..." if len(elements) > 4 else "")
        reason = next((fixed[e] for e, _ in elements if e in fixed), None)
        members, size = _normalise(elements, sizes)
        if reason is None and (uf.conflicted(root) or members is None):
            reason = "its ties place the channels inconsistently"
        if reason is not None:
            if any(sizes[e] > 1 for e, _ in elements):
                fixed_out.append((label, reason))
            continue
        assert members is not None  # else reason is set
        members.sort(key=lambda m: (order[m.name.split(".")[0]], m.kind == "param", rank.get(m.name, 0)))
        first = next((m for m in members if m.kind == "tensor"), members[0])
        name = f"P_{first.name}" + (f".{first.axis}" if first.axis else "")
        signs, scales = (_segments(graph, members, kind) for kind in ("sign", "scale"))
        groups.append(AxisGroup(name, size, tuple(members), signs, scales))
    groups.sort(key=lambda g: order[g.members[0].name.split(".")[0]])
    translations = derive_translations(graph, logits=logits)
    return PermutationSpec(graph, tuple(groups), tuple(fixed_out), translations, logits)


def _normalise(
    elements: list[tuple[tuple[Any, ...], Weight]], sizes: dict[tuple[Any, ...], int]
) -> tuple[list[Member] | None, int]:
    """Members with integer Kronecker positions relative to the class's base, and the base size."""
    outer0 = min(w[0] for _, w in elements)
    inner0 = min(w[1] for _, w in elements)
    members, bases = [], set()
    for e, (o, i) in elements:
        o, i = o / outer0, i / inner0
        if o.denominator != 1 or i.denominator != 1:
            return None, 0
        base = Fraction(sizes[e]) / (o * i)
        bases.add(base)
        members.append(Member(e[0], e[1], e[2], int(o), int(i)))
    if len(bases) != 1 or next(iter(bases)).denominator != 1:
        return None, 0
    return members, int(next(iter(bases)))


def _segments(graph: Graph, members: list[Member], kind: str) -> tuple[Segment, ...]:
    """The segments of a group for ``kind`` (``"sign"`` or ``"scale"``), each decided by the rule above."""
    axis_of = {m.name: m.axis for m in members if m.kind == "tensor"}
    twice = [t for t in axis_of if sum(m.kind == "tensor" and m.name == t for m in members) > 1]
    if twice:
        # a tensor carries the group on two axes (P X P^T): the per-channel rules below assume one axis
        reason = f"{twice[0]} carries this group on two axes; per-channel {_word(kind)}s are not derived"
        return (Segment(kind, tuple(axis_of), False, reason),)
    touching: list[tuple[Node, list[int], bool, frozenset[str]]] = []
    uf: AxisUnion[str] = AxisUnion()
    for t in axis_of:
        uf.add(t)
    for node in graph.nodes:
        ins = [i for i, s in enumerate(node.sources) if s in axis_of]
        out = node.name in axis_of
        if not ins and not out:
            continue
        axes: dict[tuple[Any, ...], tuple[int, int]] = {
            ("in", i): (axis_of[node.sources[i]], len(graph.shapes[node.sources[i]])) for i in ins
        }
        if out:
            axes[("out",)] = (axis_of[node.name], len(graph.shapes[node.name]))
        carries = node.layer.carries(kind, axes)
        touching.append((node, ins, out, carries))
        if ins and out and carries & {"transmit", "complement"}:
            for i in ins:
                uf.tie(node.sources[i], node.name)
    segments = []
    for tied in uf.classes().values():
        tensors = {t for t, _ in tied}
        segments.append(_decide(graph, kind, tensors, touching))
    return tuple(sorted(segments, key=lambda s: list(axis_of).index(s.tensors[0])))


def _decide(graph: Graph, kind: str, tensors: set[str], touching: list) -> Segment:
    """Whether flipping (or rescaling) one channel on every tensor of the segment is a symmetry.

    The actions of the layers that can act are recorded even when another layer blocks, so that a
    blocked element can still be applied (``apply(..., force=True)``) to watch the output change.
    """
    names = tuple(t for t in [graph.input_name, *(n.name for n in graph.nodes)] if t in tensors)
    exponents: dict[str, int] = {}
    affine: set[str] = set()
    actions, problems, kunin = [], [], False
    for node, ins, out, carries in touching:
        layer: Layer = node.layer
        ins_here = [i for i in ins if node.sources[i] in tensors]
        out_here = out and node.name in tensors
        if not ins_here and not out_here:
            continue
        what = f"{node.name} ({layer.describe()})"
        if out_here:
            exponents[node.name] = 1  # emitted as c; a transmitting layer sets c^k below
        if any(node.sources[i] in affine for i in ins_here):
            if out_here and layer.affine_safe and "transmit" in carries:
                affine.add(node.name)
            elif not out_here and layer.absorbs_constant and "absorb" in carries:
                actions.append(Action(node.name, "constant", tuple(ins_here)))
            else:
                problems.append(
                    f"the sigmoid's 1 - s reaches {what}, which has no bias to absorb the constant"
                )
            continue
        if ins_here and out_here:
            incoming = {exponents[node.sources[i]] for i in ins_here}
            if "transmit" in carries or "complement" in carries:
                if len(incoming) != 1:
                    problems.append(f"{what} adds branches rescaled with different degrees")
                step = layer.degree if kind == "scale" else 1
                exponents[node.name] = step * max(incoming)
                if "complement" in carries and "transmit" not in carries:
                    affine.add(node.name)
            elif {"absorb", "emit"} <= carries:
                actions.append(Action(node.name, "both", tuple(ins_here)))
            else:
                problems.append(f"{what} does not commute with a per-channel {_word(kind)}")
        elif out_here:
            if "emit" in carries:
                actions.append(Action(node.name, "emit", ()))
            else:
                problems.append(f"{what} cannot produce a per-channel {_word(kind)} of its output")
        elif "absorb" in carries:
            actions.append(Action(node.name, "absorb", tuple(ins_here)))
            kunin = kunin or (kind == "scale" and layer.kind == "BatchNorm")
        else:
            problems.append(f"{what} does not commute with a per-channel {_word(kind)} of its input")
    complements = tuple(t for t in names if t in affine)
    if problems:
        return Segment(kind, names, False, problems[0], exponents, tuple(actions), False, complements)
    emitted = ", ".join(a.node for a in actions if a.role in ("emit", "both"))
    absorbed = ", ".join(a.node for a in actions if a.role in ("absorb", "both", "constant"))
    reason = f"made by {emitted or 'no layer'}, undone by {absorbed or 'no layer'}"
    if affine:
        reason += " (the sigmoid's s(-u) = 1 - s(u), the constant absorbed by a bias)"
    return Segment(kind, names, True, reason, exponents, tuple(actions), kunin, complements)


def _word(kind: str) -> str:
    return "sign flip" if kind == "sign" else "positive rescaling"
