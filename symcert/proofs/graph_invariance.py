r"""Invariance of a layer graph under a derived symmetry, proved structurally for any size.

The argument is a composition of local rules, like a DCP calculus: each layer type states once how it
commutes with a permutation, a per-channel sign flip or rescaling, or a constant shift of its axes
(:meth:`Layer.commute <symcert.symbolic.graph.base.Layer.commute>`). For an element ``g``:

1. the hypothesis: what ``g`` does to every tensor (:func:`~symcert.symbolic.graph.action.tensor_actions`,
   from the derivation), the graph's input left alone;
2. one step per node, in topological order: the layer's rule, given the actions on its inputs and its
   output, names the lemma that makes it commute and the change of its parameters it needs (or says
   which fact is missing: the node *blocks*). By induction over the nodes, with the new parameters
   every tensor is its action applied to the old tensor;
3. the output: its action is the identity (or a constant that a softmax cross-entropy loss absorbs),
   so ``f(x; g(theta)) = f(x; theta)`` for every input ``x`` and every ``theta``: the loss on any data
   is unchanged. ``g(theta)`` is the map assembled from the steps' parameter changes;
4. checks a second way: the element as implemented (:func:`~symcert.symbolic.graph.action.apply`) is
   compared with that map on exact parameters, and a spot check evaluates the network before and after
   at an exact random point (:func:`~symcert.symbolic.graph.action.spot_check`). A proof never survives
   a disagreement: its status becomes "not proved" with the reason.

Each rule is a finite check of index and multiplier arrays (exact integers and rationals) and an
identity stated for every size: nothing is sampled, and the cost is linear in the graph's size.
Where a rule does not apply (a sign flip through ReLU, inputs of a residual add permuted differently),
the proof says "not proved" and names the node that blocks it; an exact spot check that differs then
refutes the invariance at that point (``refuted_at``).

>>> from symcert.symbolic.graph import Activation, Dense, Flip, Graph, Node, Permute, derive_symmetries
>>> g = Graph((2,), [Node("fc1", Dense(3)), Node("r", Activation("relu")), Node("fc2", Dense(1))])
>>> spec = derive_symmetries(g)
>>> prove_graph_invariance(spec, Permute("P_fc1", (2, 0, 1))).status
'proved'
>>> proof = prove_graph_invariance(spec, Flip("P_fc1", 0, (-1, 1, 1)))
>>> proof.status, proof.blocking[0].node
('not proved', 'r')
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from symcert.display import Displayed
from symcert.errors import ExactnessError, SpecificationError
from symcert.limits import MAX_EXACT_SPOT_PARAMETERS
from symcert.symbolic.graph.action import (
    Element,
    Flip,
    Permute,
    Rescale,
    SpotCheck,
    Translate,
    apply,
    element_text,
    spot_check,
    tensor_actions,
)
from symcert.symbolic.graph.evaluate import evaluate
from symcert.symbolic.graph.moves import IDENTITY, Blocked, Local, TensorAction, action_text
from symcert.symbolic.graph.spec import Graph, random_parameters
from symcert.symbolic.graph.symmetry import PermutationSpec
from symcert.symbolic.graph.translation import LOSS

__all__ = ["NodeStep", "GraphProof", "prove_graph_invariance", "prove_generators", "generators", "listed"]


@dataclass(frozen=True)
class NodeStep:
    """One node of the composition: ``status`` is ``"commutes"``, ``"blocks"`` or ``"unchanged"``."""

    node: str
    layer: str
    ports: str
    status: str
    rule: str
    text: str
    changes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "layer": self.layer,
            "ports": self.ports,
            "status": self.status,
            "rule": self.rule,
            "text": self.text,
            "changes": list(self.changes),
        }


@dataclass(frozen=True)
class GraphProof(Displayed):
    """The structural proof (or refusal) that ``element`` leaves the graph's function unchanged."""

    claim: str
    graph: Graph
    element: str
    status: str  # "proved" or "not proved"
    steps: tuple[NodeStep, ...]
    conclusion: str
    implementation: str = ""
    spot: SpotCheck | None = None

    @property
    def holds(self) -> bool | None:
        """True if proved; False if an exact spot check refuted it; None otherwise."""
        if self.status == "proved":
            return True
        return False if self.refuted_at else None

    @property
    def refuted_at(self) -> bool:
        """Whether an exact spot check found the output changed (a rigorous refutation at that point)."""
        return self.spot is not None and self.spot.exact and not self.spot.holds

    @property
    def blocking(self) -> tuple[NodeStep, ...]:
        """The nodes whose rule does not apply."""
        return tuple(s for s in self.steps if s.status == "blocks")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready account (exact values as strings)."""
        spot = None
        if self.spot is not None:
            spot = {
                "status": self.spot.status,
                "exact": self.spot.exact,
                "difference": str(self.spot.difference),
            }
        return {
            "element": self.element,
            "claim": self.claim,
            "status": self.status,
            "blocking": [{"node": s.node, "reason": s.text} for s in self.blocking],
            "steps": [s.to_dict() for s in self.steps if s.status != "unchanged"],
            "conclusion": self.conclusion,
            "implementation": self.implementation,
            "spot_check": spot,
        }


def _claim(graph: Graph, name: str, shift: Fraction = Fraction(0)) -> str:
    if shift:  # the logits move by c: the function changes, the softmax cross-entropy loss does not
        return (
            f"f(x; g(theta)) = f(x; theta) + c 1 with c = {shift} for every input x and every theta, where "
            f"g = {name} and f is the {graph.describe()} (its logits); hence the softmax cross-entropy "
            "loss on any data is unchanged"
        )
    return (
        f"f(x; g(theta)) = f(x; theta) for every input x and every theta, where g = {name} and f is the "
        f"{graph.describe()}; hence the loss on any data is unchanged"
    )


def prove_graph_invariance(
    spec: PermutationSpec,
    element: Element | None = None,
    *,
    actions: dict[str, TensorAction] | None = None,
    spot: bool = True,
    seed: int = 0,
) -> GraphProof:
    """Compose the layers' equivariance rules for ``element`` (or for hand-made tensor ``actions``).

    ``actions`` (tensor name to :class:`~symcert.symbolic.graph.moves.TensorAction`) states a candidate
    directly, e.g. a permutation that leaves one input of a residual add alone; the map ``g`` is then
    the one the rules assemble, and no implementation or spot check is run. ``spot=False`` skips the
    spot check: it evaluates the network twice, in exact arithmetic up to
    :data:`~symcert.limits.MAX_EXACT_SPOT_PARAMETERS` parameters and in float64 beyond.
    """
    if not isinstance(spec, PermutationSpec):
        raise SpecificationError(
            f"expected the derived spec (derive_symmetries(graph)), got {type(spec).__name__}"
        )
    if (element is None) == (actions is None):
        raise SpecificationError(
            "give an element (e.g. Permute('P_fc1', (1, 0))) or actions, not both or neither"
        )
    graph = spec.graph
    name = element_text(element) if element is not None else "the given tensor actions"
    hypothesis = tensor_actions(spec, element) if element is not None else dict(actions or {})
    unknown = sorted(set(hypothesis) - set(graph.shapes))
    if unknown:
        raise SpecificationError(
            f"no tensor called {unknown[0]!r}; the tensors are {', '.join(graph.shapes)}"
        )
    steps, acts = _compose(graph, hypothesis)
    output = hypothesis.get(graph.output, IDENTITY)
    absorbed = spec.logits and output.axes == () and output.shift != 0
    claim = _claim(graph, name, output.shift if absorbed else Fraction(0))
    if graph.input_name in hypothesis and not hypothesis[graph.input_name].is_identity:
        steps.insert(
            0, NodeStep(graph.input_name, "input", "", "blocks", "input", "g changes the graph's input")
        )
    if not output.is_identity and not absorbed:
        steps.append(
            NodeStep(
                graph.output, "output", "", "blocks", "output", f"g leaves the output {action_text(output)}"
            )
        )
    blocked = [s for s in steps if s.status == "blocks"]
    if blocked:
        first = blocked[0]
        conclusion = f"not proved: {first.node} ({first.layer}) blocks the composition: {first.text}"
        check = _spot(spec, element, seed, force=True) if spot and element is not None else None
        if check is not None and check.exact and not check.holds:
            conclusion += "; an exact spot check finds the output changed, so g is not a symmetry"
        return GraphProof(claim, graph, name, "not proved", tuple(steps), conclusion, "", check)
    if absorbed:
        steps.append(
            NodeStep(
                graph.output,
                "loss",
                "",
                "commutes",
                "translation",
                f"{LOSS}: softmax cross-entropy of z + c 1 equals that of z (c = {output.shift})",
            )
        )
    conclusion = (
        "every node commutes with g, so by induction over the nodes every tensor is its action applied to "
        "the old one; the output is "
        + ("shifted by a constant the loss's softmax cancels" if absorbed else "unchanged")
        + (": the loss is invariant under g" if absorbed else ": f is invariant under g")
        + " for every size of input batch and every parameter value"
    )
    implementation, agrees = ("", True) if element is None else _implementation(spec, element, acts)
    check = _spot(spec, element, seed) if spot and element is not None else None
    status = "proved"
    if not agrees:
        status, conclusion = "not proved", f"not proved: {implementation}"
    elif check is not None and not check.holds:
        status, conclusion = (
            "not proved",
            f"not proved: the spot check disagrees ({check.status}): a rule is wrong",
        )
    return GraphProof(claim, graph, name, status, tuple(steps), conclusion, implementation, check)


def _compose(graph: Graph, hypothesis: dict[str, TensorAction]) -> tuple[list[NodeStep], dict]:
    steps, acts = [], {}
    for node in graph.nodes:
        ins = tuple(hypothesis.get(s, IDENTITY) for s in node.sources)
        out = hypothesis.get(node.name, IDENTITY)
        local = Local(
            node.name, ins, out, tuple(graph.input_shapes(node)), graph.shapes[node.name], node.sources
        )
        what = node.layer.describe()
        if all(a.is_identity for a in (*ins, out)):
            steps.append(
                NodeStep(
                    node.name, what, local.described(), "unchanged", "", "inputs and parameters unchanged"
                )
            )
            continue
        result = node.layer.commute(local)
        if isinstance(result, Blocked):
            steps.append(NodeStep(node.name, what, local.described(), "blocks", "", result.reason))
            continue
        steps.append(
            NodeStep(node.name, what, local.described(), "commutes", result.rule, result.text, result.changes)
        )
        if result.act is not None:
            acts[node.name] = result.act
    return steps, acts


def _assembled(graph: Graph, params: dict[str, np.ndarray], acts: dict) -> dict[str, np.ndarray]:
    new = dict(params)
    for node, act in acts.items():
        prefix = node + "."
        local = {k[len(prefix) :]: v for k, v in params.items() if k.startswith(prefix)}
        new.update({prefix + k: v for k, v in act(local).items()})
    return new


def _implementation(spec: PermutationSpec, element: Element, acts: dict) -> tuple[str, bool]:
    """Compare ``apply(element)`` with the map the rules assembled, on exact parameters."""
    graph = spec.graph
    # distinct exact entries: for a permutation they are labels, so agreement means the same moves
    params = {}
    start = 1
    for name, shape in graph.parameter_shapes.items():
        count = int(np.prod(shape))
        params[name] = np.array([Fraction(v) for v in range(start, start + count)], dtype=object).reshape(
            shape
        )
        start += count
    implemented = apply(spec, params, element, force=True)
    assembled = _assembled(graph, graph.check_parameters(params), acts)
    differ = [k for k in params if not np.array_equal(implemented[k], assembled[k])]
    if differ:
        return (
            f"the element as implemented changes {differ[0]} differently from the map proved invariant",
            False,
        )
    how = "moves the labelled entries" if isinstance(element, Permute) else "changes distinct exact entries"
    return (
        f"apply({element_text(element)}) {how} exactly as the assembled map does (every parameter compared)",
        True,
    )


def _spot(spec: PermutationSpec, element: Element, seed: int, force: bool = True) -> SpotCheck:
    graph, params = spec.graph, random_parameters(spec.graph, seed=seed)
    logits = next((t for t in spec.translations if t.absorber == LOSS), None)
    shift = isinstance(element, Translate) and logits is not None and element.parameter == logits.parameter
    c = element.shift if isinstance(element, Translate) else Fraction(0)
    if graph.n_parameters > MAX_EXACT_SPOT_PARAMETERS:
        return _float_spot(spec, params, element, seed, c if shift else Fraction(0))
    if not shift:
        return spot_check(spec, params, element, seed=seed, batch=2, force=force)
    # the logits move by c; the loss's softmax cancels it: compare the logits' change with c exactly
    x = _batch(graph, seed)
    moved = apply(spec, params, element, force=True)
    try:
        before, after = (evaluate(graph, p, x, arithmetic="exact") for p in (params, moved))
    except ExactnessError:
        before, after = (evaluate(graph, p, x, arithmetic="mpmath", dps=50) for p in (params, moved))
        gap = max(abs(a - b - c) for a, b in zip(after.ravel(), before.ravel(), strict=True))
        if float(gap) <= 1e-45 * max([float(abs(v)) for v in before.ravel()] + [1.0]):
            return SpotCheck("logits shifted by c to 45 digits (mpmath: evidence, not proof)", False, gap)
        return SpotCheck("differs", False, gap)
    gap = max(abs(a - b - c) for a, b in zip(after.ravel(), before.ravel(), strict=True))
    return SpotCheck("logits shifted by exactly c (exact)" if gap == 0 else "differs", True, gap)


def _batch(graph: Graph, seed: int) -> np.ndarray:
    rng = random.Random(seed)
    count = 2 * int(np.prod(graph.input_shape))
    x = np.array([Fraction(rng.randint(-16, 16), 8) for _ in range(count)], dtype=object)
    return x.reshape((2, *graph.input_shape))


def _float_spot(
    spec: PermutationSpec, params: dict, element: Element, seed: int, shift: Fraction
) -> SpotCheck:
    """The spot check of a large graph in float64: relative agreement to 1e-9 (evidence, as always)."""
    x = _batch(spec.graph, seed).astype(float)
    moved = apply(spec, params, element, force=True)
    before, after = (evaluate(spec.graph, p, x, arithmetic="float64") for p in (params, moved))
    gap = float(np.max(np.abs(after - before - float(shift))))
    if gap <= 1e-9 * max(1.0, float(np.max(np.abs(before)))):
        status = (
            f"agrees in float64 to {gap:.1e} (more than {MAX_EXACT_SPOT_PARAMETERS} parameters: evidence)"
        )
        return SpotCheck(status, False, gap)
    return SpotCheck("differs", False, gap)


def generators(spec: PermutationSpec) -> list[Element]:
    """One element per generator kind: a transposition per group, a flip per sign segment (allowed or
    not), a rescaling per rescaling segment and each translation.

    >>> from symcert.symbolic.graph import Activation, Dense, Graph, Node, derive_symmetries
    >>> g = Graph((1,), [Node("fc1", Dense(2)), Node("t", Activation("tanh")), Node("fc2", Dense(1))])
    >>> [element_text(e) for e in generators(derive_symmetries(g))]
    ['permute:P_fc1:1,0', 'flip:P_fc1:0:-1,1']
    """
    found: list[Element] = []
    for group in spec.groups:
        n = group.size
        if n > 1:
            found.append(Permute(group.name, (1, 0, *range(2, n))))
        for i, _ in enumerate(group.signs):
            found.append(Flip(group.name, i, (-1, *([1] * (n - 1)))))
        for i, s in enumerate(group.scales):
            if s.allowed:
                found.append(Rescale(group.name, i, (Fraction(3, 2), *([Fraction(1)] * (n - 1)))))
    found += [Translate(t.parameter, Fraction(7, 3)) for t in spec.translations]
    return found


def listed(spec: PermutationSpec, element: Element) -> bool:
    """Whether the derivation lists ``element`` as a symmetry (a flip or rescaling on an allowed segment).

    >>> from symcert.symbolic.graph import Activation, Dense, Graph, Node, derive_symmetries
    >>> g = Graph((1,), [Node("fc1", Dense(2)), Node("r", Activation("relu")), Node("fc2", Dense(1))])
    >>> [listed(derive_symmetries(g), e) for e in generators(derive_symmetries(g))]
    [True, False, False, True]
    """
    if isinstance(element, (Flip, Rescale)):
        group = spec.group(element.group)
        return (group.signs if isinstance(element, Flip) else group.scales)[element.segment].allowed
    if isinstance(element, Translate):
        return element.parameter in {t.parameter for t in spec.translations}
    return True


def prove_generators(spec: PermutationSpec, *, spot: bool = True) -> tuple[GraphProof, ...]:
    """The structural proof for each of :func:`generators` (refusals included, with the blocking node)."""
    return tuple(prove_graph_invariance(spec, e, spot=spot) for e in generators(spec))
