r"""A permutation saddle on a layer graph (Brea et al. 2019): a narrow critical point, lifted by one channel.

1. **critical point**: :func:`~symcert.proofs.graph_critical.certify_graph_critical_point` proves that
   ``grad L`` has exactly one zero ``z`` in the box ``X = c + [-r, r]^n``;
2. **lift** (:func:`lift`): channel ``j`` of a derived permutation group (a conv's or dense layer's
   output channel, with its batch-norm parameters, and the consumer's input channel) is duplicated: the
   wide graph has one more channel at the producing layer, the copy gets the channel's incoming
   parameters, and the consumer's weights on the channel are split ``lam``, ``1 - lam``. This is an
   exact identity of the network function, ``f_wide(x; M theta) = f(x; theta)`` for every input and
   parameter, proved structurally (:func:`lift_identity`): every layer that carries the group's axis is
   channel-wise (the producer's output channel depends only on its own row of weights; batch norm, the
   elementwise activations, pooling and flatten act on each channel alone, or on its block), so the copy
   equals channel ``j`` everywhere; and each consumer is linear in its input, where
   ``lam W_j h_j + (1 - lam) W_j h_j = W_j h_j``. A 40-digit mpmath spot check must agree (evidence).
   Differentiating the identity channel by channel gives Brea et al.'s lemma
   ``grad L_wide(M theta) = G grad L(theta)``, so ``M z`` is a critical point of the wide loss, inside the
   lifted box ``M X`` (computed exactly: copies keep their intervals, split entries are scaled);
3. **not a minimum**: a rational direction ``d`` (a float eigenvector of the wide Hessian's smallest
   eigenvalue at ``M c``) with ``d^T H_wide d < 0`` over the whole lifted box, one second-order jet with
   interval parameters (:mod:`symcert.numeric.graph.jets`), decided strictly.

The certificate (``to_dict``: the kind ``saddle`` with the graph under ``network``) is re-checked by
:mod:`symcert.checker.graph.saddle`, which derives the lift from the graph itself.

>>> from symcert.numeric.graph import GraphLoss
>>> from symcert.symbolic.graph import Activation, Dense, Graph, Node
>>> g = Graph((1,), [Node("fc1", Dense(1)), Node("t", Activation("tanh")), Node("fc2", Dense(1))])
>>> loss = GraphLoss(g, [[-2], [-1], [0], [1], [2], [3]], [[-1], [-1], [0], [1], [2], [2]], "mse")
>>> approx = {"fc1.weight": [[0.798]], "fc1.bias": [-0.399], "fc2.weight": [[1.633]], "fc2.bias": [0.5]}
>>> found = certify_graph_saddle(loss, approx, "P_fc1", 0, "1/2")
>>> found.status, found.critical.status, found.identity.status, found.dHd[1] < 0
('proved', 'proved', 'proved', True)
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import mpmath
import numpy as np

from symcert.errors import ExactnessError, SpecificationError
from symcert.numeric.engine.backends import ArbBackend, F64Backend
from symcert.numeric.graph import GraphLoss
from symcert.numeric.graph.hessian import coordinates, float_gradient_hessian, trainable
from symcert.numeric.graph.jets import loss_jet
from symcert.numeric.graph.ranges import segment_box
from symcert.proofs.graph_critical import GraphCriticalPoint, certify_graph_critical_point
from symcert.proofs.kinds.saddle import KIND as SADDLE
from symcert.symbolic.exact import format_rational
from symcert.symbolic.graph import (
    Activation,
    AveragePool,
    BatchNorm,
    Conv,
    Dense,
    Flatten,
    GlobalAveragePool,
    Graph,
    MaxPool,
    Node,
    derive_symmetries,
    evaluate,
    params_to_dict,
    random_parameters,
)

__all__ = ["GraphLift", "LiftIdentity", "GraphSaddle", "lift", "lift_identity", "certify_graph_saddle"]

#: Layers that act on each channel alone (a copy of a channel stays a copy through them).
CHANNELWISE = (BatchNorm, Activation, AveragePool, GlobalAveragePool, MaxPool, Flatten)


@dataclass(frozen=True)
class GraphLift:
    """The wide graph, and for each parameter the roles of its group axis: ``copies`` (incoming: the
    channel's entries duplicated), ``splits`` (outgoing: scaled ``lam`` and ``1 - lam``)."""

    narrow: Graph
    wide: Graph
    group: str
    channel: int
    lam: Fraction
    producer: str
    copies: tuple[tuple[str, int, int, int], ...]  # (parameter, axis, outer, inner)
    splits: tuple[tuple[str, int, int, int], ...]

    def apply(self, params: Mapping[str, Any], radius: Any = None) -> dict[str, np.ndarray]:
        """``M theta`` exactly (object arrays); with ``radius`` (per-entry arrays, or a number), the
        lifted radii instead: copies keep theirs, split entries get ``|lam| r`` and ``|1 - lam| r``."""
        P = self.narrow.check_parameters(params) if radius is None else None
        out: dict[str, np.ndarray] = {}
        n = self.narrow_size
        for name in self.narrow.parameter_shapes:
            value = P[name] if P is not None else _radius_array(radius, self.narrow.parameter_shapes[name])
            roles = [r for r in self.copies if r[0] == name] + [r for r in self.splits if r[0] == name]
            for role in roles:
                _, axis, outer, inner = role
                split = role in self.splits
                value = _duplicate(
                    value, axis, outer, n, inner, self.channel, self.lam, split, radius is not None
                )
            out[name] = value
        return out

    @property
    def narrow_size(self) -> int:
        return next(g.size for g in derive_symmetries(self.narrow).groups if g.name == self.group)


def _radius_array(radius: Any, shape: tuple[int, ...]) -> np.ndarray:
    if isinstance(radius, Mapping):
        raise TypeError("per-parameter radii are not supported")  # one radius for the whole box
    return np.full(shape, Fraction(radius), dtype=object)


def _duplicate(
    value: np.ndarray,
    axis: int,
    outer: int,
    n: int,
    inner: int,
    j: int,
    lam: Fraction,
    split: bool,
    radii: bool,
) -> np.ndarray:
    shape = value.shape
    blocks = value.reshape((*shape[:axis], outer, n, inner, *shape[axis + 1 :]))
    k = axis + 1  # the channel axis inside the blocks
    chosen = np.take(blocks, [j], axis=k)
    if split:
        first, second = (abs(lam), abs(1 - lam)) if radii else (lam, 1 - lam)
        blocks = blocks.copy()
        index = [slice(None)] * blocks.ndim
        index[k] = slice(j, j + 1)
        blocks[tuple(index)] = chosen * first
        chosen = chosen * second
    wide = np.concatenate([blocks, chosen], axis=k)
    return wide.reshape((*shape[:axis], outer * (n + 1) * inner, *shape[axis + 1 :]))


def lift(graph: Graph, group: str, channel: int, lam: Any) -> GraphLift:
    """The lift of ``channel`` of the derived group ``group`` (see the module text); refused, with the
    node that blocks it, where a layer carrying the group is not channel-wise or a consumer not linear."""
    spec = derive_symmetries(graph)
    found = next((g for g in spec.groups if g.name == group), None)
    if found is None:
        names = ", ".join(g.name for g in spec.groups) or "none"
        raise SpecificationError(f"the graph has no group {group!r}; its groups are {names}")
    if not 0 <= channel < found.size:
        raise SpecificationError(f"channel must be 0 to {found.size - 1} for {group}, got {channel}")
    try:
        lam = Fraction(lam.strip() if isinstance(lam, str) else lam)
    except (TypeError, ValueError, ZeroDivisionError):
        raise SpecificationError(f"lam must be an exact rational such as 1/2, got {lam!r}") from None
    nodes = {node.name: node for node in graph.nodes}
    carried = {m.name for m in found.members if m.kind == "tensor"}
    producers = [nodes[t] for t in carried if isinstance(nodes[t].layer, (Dense, Conv))]
    if len(producers) != 1:
        raise SpecificationError(f"{group} must be made by one dense or conv layer to lift a channel")
    producer = producers[0]
    for name in carried:
        node = nodes[name]
        if node is not producer and not isinstance(node.layer, CHANNELWISE):
            raise SpecificationError(
                f"{group} passes through {node.name} ({node.layer.kind}), which does not act on each channel "
                "alone: duplicating a channel would change it"
            )
    copies, splits = [], []
    for m in found.members:
        if m.kind != "param":
            continue
        owner = m.name.split(".", 1)[0]
        if owner in carried:
            copies.append((m.name, m.axis, m.outer, m.inner))
        elif isinstance(nodes[owner].layer, (Dense, Conv)) and m.name.endswith(".weight") and m.axis == 1:
            splits.append((m.name, m.axis, m.outer, m.inner))
        else:
            raise SpecificationError(f"{m.name} carries {group} but is not a linear consumer's input weight")
    if not splits:
        raise SpecificationError(f"{group} has no linear consumer whose weights could be split")
    layer = producer.layer
    bigger: Conv | Dense
    if isinstance(layer, Conv):
        bigger = dataclasses.replace(layer, channels=layer.channels + 1)
    else:
        assert isinstance(layer, Dense)  # the producers are dense or conv
        bigger = dataclasses.replace(layer, features=layer.features + 1)
    wide = Graph(
        graph.input_shape,
        [Node(n.name, bigger, n.inputs) if n is producer else n for n in graph.nodes],
    )
    return GraphLift(graph, wide, group, channel, lam, producer.name, tuple(copies), tuple(splits))


@dataclass(frozen=True)
class LiftIdentity:
    """``f_wide(x; M theta) = f(x; theta)``: ``status`` "proved" (structural, with the steps) or "not
    proved"; ``spot_gap`` the largest difference of a 40-digit mpmath evaluation (evidence)."""

    status: str
    steps: tuple[str, ...]
    spot_gap: float


def lift_identity(lifted: GraphLift, params: Mapping[str, Any], X: Any) -> LiftIdentity:
    """The structural proof of the lift identity (see the module text) and its spot check at ``params``."""
    steps = [
        f"{lifted.producer}: the new output channel has channel {lifted.channel}'s weights and bias "
        "(copied), so it computes the same values",
    ]
    carried = {
        m.name for g in derive_symmetries(lifted.narrow).groups if g.name == lifted.group for m in g.members
    }
    shapes = lifted.narrow.parameter_shapes
    for node in lifted.narrow.nodes:
        if node.name in carried and node.name != lifted.producer:
            own = any(k.startswith(node.name + ".") for k in shapes)
            copied = " (its parameters copied)" if own else ""
            steps.append(f"{node.name} ({node.layer.kind}): acts on each channel alone{copied}")
    for name, *_ in lifted.splits:
        steps.append(
            f"{name}: linear in its input; lam W_j h_j + (1 - lam) W_j h_j = W_j h_j with lam = {lifted.lam}"
        )
    exact = _exact_spot_check(lifted)
    steps.append(exact[1])
    wide = lifted.apply(params)
    narrow_out = evaluate(lifted.narrow, params, X, arithmetic="mpmath", dps=40)
    wide_out = evaluate(lifted.wide, wide, X, arithmetic="mpmath", dps=40)
    gap = max((float(abs(a - b)) for a, b in zip(narrow_out.ravel(), wide_out.ravel())), default=0.0)
    agree = gap <= float(mpmath.mpf(10) ** -30) * (1 + max(float(abs(v)) for v in narrow_out.ravel()))
    steps.append(f"spot check at the point (40-digit mpmath, evidence): largest difference {gap:.3g}")
    return LiftIdentity("proved" if agree and exact[0] else "not proved", tuple(steps), gap)


def _squared(graph: Graph) -> Graph:
    """The graph with every activation replaced by ``x^2`` (exact in rationals; the lift identity holds
    for any elementwise activation, so this checks the parameter bookkeeping exactly)."""
    nodes = [
        Node(n.name, Activation("square"), n.inputs) if isinstance(n.layer, Activation) else n
        for n in graph.nodes
    ]
    return Graph(graph.input_shape, nodes)


def _exact_spot_check(lifted: GraphLift) -> tuple[bool, str]:
    """``f_wide(x; M theta) == f(x; theta)`` exactly at random exact ``theta`` and ``x`` (activations x^2)."""
    narrow, wide = _squared(lifted.narrow), _squared(lifted.wide)
    theta = random_parameters(narrow, seed=11)
    rng = np.random.default_rng(11)
    X = np.vectorize(lambda v: Fraction(int(v), 4), otypes=[object])(
        rng.integers(-4, 5, size=(3, *narrow.input_shape))
    )
    try:
        a = evaluate(narrow, theta, X, arithmetic="exact")
        b = evaluate(wide, lifted.apply(theta), X, arithmetic="exact")
    except ExactnessError as error:  # an irrational layer (softmax, a layer norm): no exact check
        return True, f"exact spot check skipped: {error}"
    same = bool(np.all(a == b))
    verdict = "equal" if same else "DIFFERENT"
    return same, (
        f"exact spot check (activations replaced by x^2, random exact theta and x): the outputs are {verdict}"
    )


@dataclass(frozen=True)
class GraphSaddle:
    """The outcome of :func:`certify_graph_saddle`: "proved" (the wide loss has a critical point in the
    lifted box that is not a local minimum), "undecided" or "not proved" (the lift identity failed)."""

    status: str
    critical: GraphCriticalPoint
    lifted: GraphLift
    identity: LiftIdentity
    direction: dict[str, np.ndarray] | None
    dHd: tuple[Fraction, Fraction] | None
    rung: str
    eigenvalues: tuple[float, ...]
    message: str

    @property
    def proved(self) -> bool:
        return self.status == "proved"

    kind = "saddle"
    dps = 30

    @property
    def claim(self) -> str:
        return SADDLE.claim

    @property
    def enclosures(self) -> dict[str, tuple[Fraction, Fraction]]:
        """``dHd`` and ``margin`` in ``[-r, 0]`` when proved, as claimed (the checker recomputes both)."""
        if not self.proved or self.dHd is None:
            return {}
        lo, hi = self.dHd  # widened to [2 lo, hi / 2] (still < 0): room for the checker's own balls
        return {"dHd": (2 * lo, hi / 2), "margin": (-self.critical.radius, Fraction(0))}

    def describe(self) -> str:
        """One line for people."""
        return self.message

    def to_dict(self) -> dict[str, Any]:
        """The certificate (the narrow critical point's, with the lift and the direction), JSON-ready."""
        record = self.critical.to_dict()
        lifted = self.lifted
        record["kind"], record["status"] = "saddle", self.status
        record["parameters"]["lift"] = {
            "group": lifted.group,
            "producer": lifted.producer,
            "channel": lifted.channel,
            "lam": format_rational(lifted.lam),
        }
        record["parameters"]["direction"] = None if self.direction is None else params_to_dict(self.direction)
        record["claim"] = SADDLE.claim_record()
        record["enclosures"] = {
            k: [format_rational(lo), format_rational(hi)] for k, (lo, hi) in self.enclosures.items()
        }
        record["notes"] = [*record["notes"], *self.identity.steps, self.message]
        record["prover"]["rung"] = self.rung
        return record

    def to_json(self) -> str:
        """The JSON text of :meth:`to_dict`."""
        return json.dumps(self.to_dict(), indent=2) + "\n"


def _dyadic(v: float) -> Fraction:
    return Fraction(float(np.float32(v)))  # a short exact rational


def certify_graph_saddle(
    loss: GraphLoss,
    approx: Mapping[str, Any],
    group: str,
    channel: int = 0,
    lam: Any = "1/2",
    *,
    radius: Any = None,
    newton_steps: int = 20,
) -> GraphSaddle:
    """Steps 1-3 of the module text for ``loss`` near ``approx``, lifting ``channel`` of ``group``;
    ``radius`` (exact, optional) fixes the narrow box's half-width and ``newton_steps`` caps the float
    Newton refinement, as in :func:`~symcert.proofs.graph_critical.certify_graph_critical_point`."""
    lifted = lift(loss.graph, group, channel, lam)
    critical = certify_graph_critical_point(
        loss, approx, radius=radius, newton_steps=newton_steps, max_move=None
    )
    identity = lift_identity(lifted, critical.center, loss.X[: min(4, loss.n_points)])
    wide_loss = GraphLoss(lifted.wide, loss.X, loss.Y, loss.kind, loss.factor)

    def result(status: str, message: str, **rest: Any) -> GraphSaddle:
        parts = {"direction": None, "dHd": None, "rung": "float64", "eigenvalues": ()} | rest
        return GraphSaddle(status, critical, lifted, identity, message=message, **parts)

    if not critical.proved:
        return result("undecided", f"the narrow critical point is {critical.status}: {critical.describe()}")
    if identity.status != "proved":
        return result("not proved", "the lift's spot check disagrees: the identity is not established")
    if set(trainable(loss.graph)) != set(loss.graph.parameter_shapes):
        return result(
            "undecided", "a batch norm's running statistics are fixed: the lift is not checked there"
        )
    center = lifted.apply(critical.center)
    radii = lifted.apply({}, radius=critical.radius)
    coords = coordinates(lifted.wide, trainable(lifted.wide))
    _, _, H = float_gradient_hessian(wide_loss, center, coords)
    eig, vec = np.linalg.eigh(0.5 * (H + H.T))
    evidence = tuple(float(v) for v in eig)
    if not eig[0] < 0:
        return result(
            "undecided",
            f"the wide Hessian at the lifted point has no negative eigenvalue in float64 (smallest "
            f"{eig[0]:.3g}): no direction to prove; try another lam",
            eigenvalues=evidence,
        )
    d = {
        name: np.full(shape, Fraction(0), dtype=object)
        for name, shape in lifted.wide.parameter_shapes.items()
    }
    for (name, index), v in zip(coords, vec[:, 0] / np.max(np.abs(vec[:, 0]))):
        d[name][index] = _dyadic(v)
    for bk in (F64Backend(), ArbBackend(30)):
        try:
            with bk.active():
                ends = {k: center[k] + radii[k] for k in center}
                region = segment_box(bk, center, ends, Fraction(-1), Fraction(1))  # M X, entry by entry
                bounds = bk.endpoints(loss_jet(bk, wide_loss, center, d, box=region)[2])
        except ArithmeticError:
            continue
        if bounds[1] < 0:
            return result(
                "proved",
                f"proved: d^T H_wide d in [{float(bounds[0]):.6g}, {float(bounds[1]):.6g}] < 0 over the "
                f"lifted box ({bk.name}): the critical point M z of the wide loss is not a local minimum "
                "(a saddle)",
                direction=d,
                dHd=bounds,
                rung=bk.name,
                eigenvalues=evidence,
            )
    return result(
        "undecided", "d^T H_wide d was not decided below 0 over the lifted box", eigenvalues=evidence
    )
