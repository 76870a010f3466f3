r"""Certified connecting paths on layer graphs: ``sup L`` along a chain of points of one graph.

:func:`certify_graph_path` encloses ``sup L`` along the polygonal chain ``A = P0, ..., Pk = B`` of exact
parameters of one layer graph, to within ``tol``; the claim is "L <= hi along the whole path" (the
``path`` kind, the graph under ``network.graph``). Each straight segment goes through the graph
barrier's branch and bound (:func:`~symcert.proofs.graph_barrier.certify_graph_barrier`, form
``midpoint``): its pieces bound ``L - c`` for the constant chord ``c = (L(P_i) + L(P_{i+1}))/2``, so
adding back the lower end of ``c``'s enclosure bounds ``L`` itself on every piece, and its witness,
plus the upper end, bounds ``sup L`` below. A segment with ``P_{i+1} == P_i`` is constant.

Exact moves. The MLP path kind takes a segment as an exact move (Şimşek et al. 2021) when the
network function is unchanged at *every* point of it. A derived permutation, sign flip or rescaling
``g`` of a graph maps ``P_i`` to ``g(P_i)`` with the same loss, but the straight segment between them
leaves the orbit (it is what the chord certificate measures): such a segment is bounded by pieces like
any other, and Şimşek's dead-unit and identical-unit moves are not derived on graphs yet. The one move
taken exactly is the softmax translation: with the cross-entropy loss (which applies the softmax to
the logits), a segment that changes only the bias of the dense node producing the logits, by the same
``c`` in every entry, moves every logit by ``t c`` at ``t`` and leaves every ``lse(z) - z_j``, hence
``L``, unchanged all along. It is taken when that structure holds exactly *and* the structural
invariance proof of ``Translate(bias, c)`` (:func:`~symcert.proofs.graph_invariance.prove_graph_invariance`
on ``derive_symmetries(graph, logits=True)``) says "proved"; its record is
``{"move": "translate", "parameter": "fc.bias", "shift": "c"}`` and ``L`` there is ``L(P_i)``.

:func:`level_verdict` compares the certified enclosure with a level: ``L <= level`` along the path is
"proved" when ``hi <= level``, "refuted" when ``lo > level`` (a certified point of the path lies above
it), else "undecided".

>>> from symcert.symbolic.graph import Activation, Dense, Graph, Node
>>> from symcert.numeric.graph import GraphLoss
>>> g = Graph((1,), [Node("fc1", Dense(1)), Node("t", Activation("tanh")), Node("fc2", Dense(1))])
>>> loss = GraphLoss(g, [[1]], [[Fraction(1, 2)]], "sse")
>>> A = {"fc1.weight": [[1]], "fc1.bias": [0], "fc2.weight": [[1]], "fc2.bias": [0]}
>>> B = {"fc1.weight": [[-1]], "fc1.bias": [0], "fc2.weight": [[-1]], "fc2.bias": [0]}
>>> result = certify_graph_path(loss, [A, B], tol=Fraction(1, 100))
>>> result.status, result.hi - result.lo <= Fraction(1, 100), result.lo > 0
('proved', True, True)
>>> level_verdict(result, Fraction(1)), level_verdict(result, Fraction(1, 10))
('proved', 'refuted')
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from symcert.errors import SpecificationError
from symcert.numeric.engine.backends import ArbBackend, F64Backend
from symcert.numeric.graph import GraphLoss
from symcert.numeric.graph.loss import loss_enclosure
from symcert.numeric.rounding import outward_interval
from symcert.proofs.graph_barrier import DEFAULT_MAX_PIECES, DEFAULT_MAX_SECONDS, certify_graph_barrier
from symcert.proofs.kinds.path import KIND as PATH
from symcert.symbolic.exact import format_rational
from symcert.symbolic.graph import graph_to_dict, params_to_dict

__all__ = ["GraphPathResult", "GraphPathSegment", "certify_graph_path", "level_verdict", "translation_move"]

Bounds = tuple[Fraction, Fraction]


@dataclass(frozen=True)
class GraphPathSegment:
    """One straight segment ``start -> end``: ``move`` ``(bias, c)`` for a softmax translation (``L`` is
    ``L(start)`` all along; no pieces), or ``pieces`` ``(t0, t1, upper bound of L)`` partitioning
    ``[0, 1]``; ``L`` at ``witness`` is at least ``lo``; ``hi`` bounds ``L`` on the whole segment."""

    start: dict[str, np.ndarray]
    end: dict[str, np.ndarray]
    lo: Fraction
    hi: Fraction
    status: str
    witness: Fraction
    pieces: tuple[tuple[Fraction, Fraction, Fraction], ...]
    L_start: Bounds
    L_end: Bounds

    move: tuple[str, Fraction] | None = None

    def record(self) -> dict[str, Any]:
        """The segment's JSON record in a ``path`` certificate: the move, or the pieces."""
        q = format_rational
        if self.move is not None:
            return {"move": "translate", "parameter": self.move[0], "shift": q(self.move[1])}
        return {"pieces": [[q(a), q(b), q(u)] for a, b, u in self.pieces]}


@dataclass(frozen=True)
class GraphPathResult:
    """``lo <= sup L <= hi`` along the chain (exact ``Fraction`` endpoints), segment by segment.

    ``witness`` is ``(segment, t)``, where ``L >= lo`` was certified; ``status`` is "proved" when every
    segment's enclosure is at most ``tol`` wide, else "undecided" (a cap was reached; still rigorous).
    """

    loss: GraphLoss
    segments: tuple[GraphPathSegment, ...]
    lo: Fraction
    hi: Fraction
    tol: Fraction
    status: str
    witness: tuple[int, Fraction]
    seconds: float
    dps: int = 30

    @property
    def kind(self) -> str:
        return "path"

    @property
    def proved(self) -> bool:
        return self.status == "proved"

    @property
    def LA(self) -> Bounds:
        return self.segments[0].L_start

    @property
    def LB(self) -> Bounds:
        return self.segments[-1].L_end

    @property
    def vertices(self) -> tuple[dict[str, np.ndarray], ...]:
        """The chain ``P0, ..., Pk``."""
        return (self.segments[0].start, *(s.end for s in self.segments))

    def note(self) -> str:
        """One line: the enclosure of ``sup L``, the segments, the pieces, where the sup is, the time."""
        segment, t = self.witness
        pieces = sum(len(s.pieces) for s in self.segments)
        moves = sum(s.move is not None for s in self.segments)
        return (
            f"sup L in {outward_interval(self.lo, self.hi, 6)} ({self.status}): {len(self.segments)} "
            f"straight segment{'s' * (len(self.segments) != 1)} ({moves} exact moves), "
            f"{pieces} piece{'s' * (pieces != 1)}, the sup near segment {segment}, "
            f"t = {float(t):.6g}, {self.seconds:.2f} s"
        )

    def to_dict(self) -> dict[str, Any]:
        """The ``path`` certificate as JSON-ready data, the graph as in the graph barrier certificate."""
        from symcert.version import __version__

        loss, q = self.loss, format_rational
        record: dict[str, Any] = {"kind": loss.kind, "weight_decay": "0"}
        if loss.factor != 1:
            record["factor"] = str(loss.factor)
        segment, t = self.witness
        enclosures = {"L(A)": self.LA, "L(B)": self.LB, "sup": (self.lo, self.hi)}
        return {
            "schema": "symcert-certificate",
            "version": 1,
            "kind": "path",
            "status": self.status,
            "network": {"graph": graph_to_dict(loss.graph), "output_activation": loss.output},
            "loss": record,
            "data": {"xs": _strings(loss.X), "ys": _strings(loss.Y)},
            "points": {"A": params_to_dict(self.vertices[0]), "B": params_to_dict(self.vertices[-1])},
            "element": None,
            "parameters": {
                "curve": "chain",
                "chain": [params_to_dict(p) for p in self.vertices],
                "segments": [s.record() for s in self.segments],
                "witness": {"segment": segment, "t": q(t)},
            },
            "claim": PATH.claim_record(),
            "enclosures": {name: [q(lo), q(hi)] for name, (lo, hi) in enclosures.items()},
            "dps": self.dps,
            "notes": [self.note()],
            "prover": {"name": "symcert", "version": __version__},
        }

    def to_json(self) -> str:
        """The JSON text of :meth:`to_dict`."""
        return json.dumps(self.to_dict(), indent=2) + "\n"


def _strings(values: np.ndarray) -> Any:
    return np.vectorize(str, otypes=[object])(values).tolist()


def level_verdict(result: GraphPathResult | Any, level: Any) -> str:
    """``"proved"`` (``L <= level`` along the whole path: ``hi <= level``), ``"refuted"`` (``lo > level``:
    a certified point of the path lies above it) or ``"undecided"``; any result with ``lo`` and ``hi``."""
    level = Fraction(str(level)) if isinstance(level, float) else Fraction(level)
    if result.hi <= level:
        return "proved"
    if result.lo > level:
        return "refuted"
    return "undecided"


def translation_move(
    loss: GraphLoss, P: Mapping[str, Any], Q: Mapping[str, Any]
) -> tuple[str, Fraction] | None:
    """``(bias, c)`` when the segment ``P -> Q`` is the softmax translation described in the module
        text (exact structure and the structural invariance proof), else None.

        >>> from symcert.symbolic.graph import Dense, Graph, Node
    >>> from symcert.numeric.graph import GraphLoss
        >>> g = Graph((1,), [Node("fc", Dense(2))])
        >>> loss = GraphLoss(g, [[1]], [[1, 0]], "cross_entropy")
        >>> P = {"fc.weight": [[1], [2]], "fc.bias": [0, 0]}
        >>> translation_move(loss, P, {**P, "fc.bias": [Fraction(3, 2), Fraction(3, 2)]})
        ('fc.bias', Fraction(3, 2))
        >>> translation_move(loss, P, {**P, "fc.bias": [1, 0]}) is None
        True
    """
    from symcert.proofs.graph_invariance import prove_graph_invariance
    from symcert.symbolic.graph import Dense, Translate, derive_symmetries

    if loss.kind != "cross_entropy":
        return None
    P, Q = loss.graph.check_parameters(P), loss.graph.check_parameters(Q)
    node = next((n for n in loss.graph.nodes if n.name == loss.logits_name()), None)
    name = f"{node.name}.bias" if node is not None else ""
    if node is None or not isinstance(node.layer, Dense) or name not in P:
        return None
    if any(not np.array_equal(P[k], Q[k]) for k in P if k != name):
        return None
    shifts = set((Q[name] - P[name]).ravel().tolist())
    if len(shifts) != 1 or 0 in shifts:
        return None
    c = Fraction(shifts.pop())
    spec = derive_symmetries(loss.graph, logits=True)
    proof = prove_graph_invariance(spec, Translate(name, c), spot=False)
    return (name, c) if proof.status == "proved" else None


def _segment(loss: GraphLoss, P: Any, Q: Any, options: dict[str, Any], moves: bool) -> GraphPathSegment:
    """A softmax translation (``L = L(P)`` all along), or the graph barrier (form ``midpoint``) with the
    chord added back: bounds of ``L`` itself."""
    move = translation_move(loss, P, Q) if moves else None
    if move is not None:
        zero, dps = Fraction(0), options["dps"]
        LP, LQ = (_value(loss, X, dps) for X in (P, Q))
        return GraphPathSegment(P, Q, LP[0], LP[1], "proved", zero, (), LP, LQ, move)
    r = certify_graph_barrier(loss, P, Q, form="midpoint", **options)
    if r.exact:  # Q == P: a constant segment, L = L(P) all along
        (a, b), zero, one = r.LA, Fraction(0), Fraction(1)
        return GraphPathSegment(r.A, r.B, a, b, "proved", zero, ((zero, one, b),), r.LA, r.LB)
    c_lo, c_hi = (r.LA[0] + r.LB[0]) / 2, (r.LA[1] + r.LB[1]) / 2
    pieces = tuple((a, b, u + c_lo) for a, b, u in r.pieces)
    return GraphPathSegment(r.A, r.B, r.lo + c_hi, r.hi + c_lo, r.status, r.witness, pieces, r.LA, r.LB)


def _value(loss: GraphLoss, point: Any, dps: int) -> Bounds:
    """Certified endpoints of ``L(point)`` (verified float64, then Arb)."""
    for bk in (F64Backend(), ArbBackend(dps)):
        try:
            return loss_enclosure(bk, loss, point)
        except (ArithmeticError, ValueError):
            continue
    raise SpecificationError("no rung bounded the loss at a point of the path (overflow at every precision)")


def certify_graph_path(
    loss: GraphLoss,
    points: Any,
    *,
    tol: Any = Fraction(1, 1000),
    max_pieces: int = DEFAULT_MAX_PIECES,
    max_seconds: float = DEFAULT_MAX_SECONDS,
    dps: int = 30,
    moves: bool = True,
    progress: Callable[[int, int | None, str], None] | None = None,
) -> GraphPathResult:
    """A rigorous enclosure of ``sup L`` along the chain through ``points`` (parameter dicts of
    ``loss.graph``, at least two) of width at most ``tol`` (see the module text). ``max_pieces`` and
    ``max_seconds`` cap each segment; ``moves=False`` takes no segment as a softmax translation;
    ``progress(segments done, segments, note)`` only reports."""
    if not isinstance(loss, GraphLoss):
        raise SpecificationError(f"expected a GraphLoss, got {type(loss).__name__}")
    if not isinstance(points, (list, tuple)) or not all(isinstance(p, Mapping) for p in points):
        raise SpecificationError("points must be a list of parameter dicts of the loss's graph")
    if len(points) < 2:
        raise SpecificationError(f"a chain needs at least two points (A and B), got {len(points)}")
    tol = Fraction(str(tol)) if isinstance(tol, float) else Fraction(tol)
    if tol <= 0:
        raise SpecificationError(f"tol must be > 0, got {tol}")
    checked = [loss.graph.check_parameters(p) for p in points]
    start = time.perf_counter()
    options = dict(tol=tol, max_pieces=max_pieces, max_seconds=max_seconds, dps=dps)
    segments: list[GraphPathSegment] = []
    for i in range(len(checked) - 1):
        if progress is not None:
            progress(i, len(checked) - 1, f"segment {i + 1}")
        segments.append(_segment(loss, checked[i], checked[i + 1], options, moves))
    if progress is not None:
        progress(len(segments), len(segments), "done")
    best = max(range(len(segments)), key=lambda k: segments[k].lo)  # the first of the largest
    status = "proved" if all(s.status == "proved" for s in segments) else "undecided"
    return GraphPathResult(
        loss,
        tuple(segments),
        segments[best].lo,
        max(s.hi for s in segments),
        tol,
        status,
        (best, segments[best].witness),
        time.perf_counter() - start,
        dps,
    )
