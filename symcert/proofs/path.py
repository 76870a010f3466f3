"""Certified connecting paths (mode connectivity): the sup of the loss along a whole path.

:func:`certify_path` encloses ``sup L`` along a polygonal chain ``A = P0, ..., Pk = B``
(``curve="chain"``) or along quadratic Bezier curves given by their control points
(``curve="bezier"``: ``P0, C1, P2, C3, P4, ...``, each triple one curve; Garipov et al. 2018). Each
segment gets one of two arguments:

- an exact move (:mod:`symcert.proofs.moves`, Şimşek et al. 2021): the segment rotates a dead unit's
  incoming weights or shifts outgoing weight between two identical units; the network function is
  then the same all along (proved with SymPy), so without weight decay ``L`` is exactly ``L(P_i)``;
- bounds: a straight segment goes through the barrier's branch and bound
  (:func:`~symcert.proofs.barrier.certify_barrier` with the constant chord ``(L(P_i) + L(P_{i+1}))/2``,
  whose pieces bound ``L`` minus that chord), a curve through the same search on
  :class:`~symcert.numeric.curve_bounds.CurveBounds`.

The claim is "L <= hi along the whole path", with ``lo <= sup L <= hi`` certified: ``lo`` is a
certified value at a witness point. A path of exact moves only has ``sup L = L(A)`` exactly.

>>> from symcert import MLP, Dataset, Loss
>>> from symcert.symbolic.elements import swap
>>> from symcert.proofs.moves import symmetry_chain
>>> net = MLP((1, 3, 1), "tanh")
>>> A = net.point(W1=[[2], [-1], [1]], b1=[1, 1, 0], W2=[[1, -1, 0]], b2=[0])
>>> loss = Loss(net, Dataset.teacher(net, A, [[-1], [0], [1]]), "mse")
>>> result = certify_path(loss, symmetry_chain(A, swap(1, 0, 1)))
>>> result.exact, result.status, result.value
(True, 'proved', 0)
>>> straight = certify_path(loss, [A, swap(1, 0, 1)(A)], tol=Fraction(1, 100))
>>> straight.exact, straight.lo > 0
(False, True)
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy

from symcert.display import Displayed
from symcert.errors import SpecificationError
from symcert.numeric.curve_bounds import CurveBounds
from symcert.numeric.engine.api import loss_bounds, point_layout
from symcert.numeric.engine.backends import ArbBackend, F64Backend
from symcert.numeric.rounding import outward_interval
from symcert.proofs.barrier import DEFAULT_MAX_PIECES, DEFAULT_MAX_SECONDS, certify_barrier
from symcert.proofs.certificates import Certificate
from symcert.proofs.moves import Move, prove_move, recognise_move
from symcert.symbolic.losses import Loss
from symcert.symbolic.point import Point

__all__ = ["certify_path", "PathResult", "PathSegment", "CURVES"]

CURVES = ("chain", "bezier")
Bounds = tuple[Fraction, Fraction]
#: Largest ``parameters x data points`` for which the exact value ``L(A)`` of an exact path is sought.
_EXACT_VALUE_LIMIT = 400


@dataclass(frozen=True)
class PathSegment:
    """One segment of a path, from ``start`` to ``end`` (through ``control`` for a Bezier curve).

    ``move`` is the exact move (then ``lo, hi`` enclose ``L(start)``, which ``L`` equals all along), or
    None: then ``pieces`` ``(t0, t1, upper bound of L)`` partition ``[0, 1]`` and ``L`` at ``witness``
    is at least ``lo``. ``samples`` are certified ``(t, lower, upper)`` of ``L`` (for figures).
    """

    start: Point
    end: Point
    control: Point | None
    move: Move | None
    lo: Fraction
    hi: Fraction
    status: str
    witness: Fraction
    pieces: tuple[tuple[Fraction, Fraction, Fraction], ...] = ()
    samples: tuple[tuple[Fraction, Fraction, Fraction], ...] = ()

    def record(self) -> dict[str, Any]:
        """The segment's JSON record in a ``path`` certificate."""
        if self.move is not None:
            return self.move.record()
        out: dict[str, Any] = {"pieces": [[_text(a), _text(b), _text(u)] for a, b, u in self.pieces]}
        if self.control is not None:
            out["control"] = self.control.arrays()
        return out


@dataclass(frozen=True)
class PathResult(Displayed):
    """``lo <= sup L <= hi`` along the path (exact ``Fraction`` endpoints), segment by segment.

    ``exact`` is True when every segment is an exact move (``sup L = L(A)`` exactly); ``value`` is then
    the exact ``L(A)`` when SymPy finds it (e.g. 0 at a teacher), else None. ``witness`` is
    ``(segment, t)``: where ``L >= lo`` was certified. ``summary()`` and ``to_latex()`` print it
    (:mod:`symcert.printing.path`).
    """

    loss: Loss
    curve: str
    segments: tuple[PathSegment, ...]
    lo: Fraction
    hi: Fraction
    tol: Fraction
    status: str
    exact: bool
    witness: tuple[int, Fraction]
    LA: Bounds
    LB: Bounds
    seconds: float
    value: sympy.Rational | None = None

    @property
    def A(self) -> Point:
        """The first point."""
        return self.segments[0].start

    @property
    def B(self) -> Point:
        """The last point."""
        return self.segments[-1].end

    @property
    def vertices(self) -> tuple[Point, ...]:
        """The chain ``P0, ..., Pk`` (the curves' ends; not their control points)."""
        return (self.segments[0].start, *(s.end for s in self.segments))

    def certificate(self) -> Certificate:
        """The ``path`` certificate: the chain, each segment's move or pieces, the witness, enclosures."""
        q = _rational
        enclosures = {"sup": (q(self.lo), q(self.hi)), "L(A)": tuple(map(q, self.LA))}
        enclosures["L(B)"] = tuple(map(q, self.LB))
        segment, t = self.witness
        parameters = {
            "curve": self.curve,
            "chain": [p.arrays() for p in self.vertices],
            "segments": [s.record() for s in self.segments],
            "witness": {"segment": segment, "t": _text(t)},
        }
        return Certificate(
            "path",
            self.status,
            self.loss,
            self.A,
            self.B,
            None,
            enclosures,
            None,
            30,
            parameters,
            (path_note(self),),
        )


def path_note(result: PathResult) -> str:
    """The certificate's note: what was proved, segment by segment, and the time."""
    moves = sum(s.move is not None for s in result.segments)
    if result.exact:
        value = "" if result.value is None else f" = {result.value}"
        return f"sup L = L(A){value} exactly: {moves} exact moves, the network function never changes"
    return (
        f"sup L in {outward_interval(result.lo, result.hi)} ({result.status}): "
        f"{len(result.segments)} segments ({moves} exact moves), "
        f"{sum(len(s.pieces) for s in result.segments)} pieces, "
        f"{result.seconds:.2f} s"
    )


def _rational(value: Fraction) -> sympy.Rational:
    return sympy.Rational(value.numerator, value.denominator)


def _text(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def certify_path(
    loss: Loss,
    points: Any,
    *,
    curve: str = "chain",
    tol: Any = Fraction(1, 1000),
    moves: bool = True,
    max_pieces: int = DEFAULT_MAX_PIECES,
    max_seconds: float = DEFAULT_MAX_SECONDS,
    progress: Callable[[int, int | None, str], None] | None = None,
) -> PathResult:
    """A rigorous enclosure of ``sup L`` along the path through ``points`` (see the module).

    ``max_pieces`` and ``max_seconds`` cap each bounded segment; with ``moves=False`` no segment is
    taken as an exact move. ``progress(segments done, segments, note)``, when given, is called as each
    segment is bounded; it only reports.
    """
    points = _check(loss, points, curve)
    tol = Fraction(str(tol)) if isinstance(tol, float) else Fraction(tol)
    if tol <= 0:
        raise SpecificationError(f"tol must be > 0, got {tol}")
    start = time.perf_counter()
    step = 2 if curve == "bezier" else 1
    segments: list[PathSegment] = []
    starts = range(0, len(points) - 1, step)
    for i in starts:
        if progress is not None:
            progress(len(segments), len(starts), f"segment {len(segments) + 1}")
        P, Q = points[i], points[i + step]
        C = points[i + 1] if curve == "bezier" else None
        options = dict(tol=tol, max_pieces=max_pieces, max_seconds=max_seconds)
        segments.append(_segment(loss, P, C, Q, moves, options))
    if progress is not None:
        progress(len(segments), len(starts), "done")
    best = max(range(len(segments)), key=lambda k: segments[k].lo)  # the first of the largest
    lo, witness = segments[best].lo, (best, segments[best].witness)
    hi = max(s.hi for s in segments)
    exact = all(s.move is not None for s in segments)
    status = "proved" if all(s.status == "proved" for s in segments) else "undecided"
    value = _exact_value(loss, points[0]) if exact else None
    first, last = segments[0], segments[-1]
    LA = _value(loss, first.start)
    LB = _value(loss, last.end)
    return PathResult(
        loss,
        curve,
        tuple(segments),
        lo,
        hi,
        tol,
        status,
        exact,
        witness,
        LA,
        LB,
        time.perf_counter() - start,
        value,
    )


def _check(loss: Loss, points: Any, curve: str) -> list[Point]:
    if not isinstance(loss, Loss):
        raise SpecificationError(f"expected a Loss, got {type(loss).__name__}")
    if curve not in CURVES:
        raise SpecificationError(f"curve must be one of {', '.join(CURVES)}, got {curve!r}")
    points = list(points) if isinstance(points, (list, tuple)) else None
    if points is None or not all(isinstance(p, Point) for p in points):
        raise SpecificationError("points must be a list of Points (build them with loss.mlp.point)")
    if any(p.mlp != loss.mlp for p in points):
        raise SpecificationError(
            "every point must be a point of the loss's network; build it with loss.mlp.point"
        )
    if curve == "chain" and len(points) < 2:
        raise SpecificationError(f"a chain needs at least two points (A and B), got {len(points)}")
    if curve == "bezier" and (len(points) < 3 or len(points) % 2 == 0):
        raise SpecificationError(
            "Bezier curves need an odd number of control points (A, C1, P2, ..., B), at least 3; "
            f"got {len(points)}"
        )
    return list(points)  # every item is a Point (checked above)


def _value(loss: Loss, point: Point) -> Bounds:
    """Certified endpoints of ``L(point)`` (float64, then Arb); a squared-error loss is at least 0."""
    for bk in (F64Backend(), ArbBackend(30)):
        try:
            lo, hi = loss_bounds(bk, loss, point_layout(point))
        except (ArithmeticError, ValueError):
            continue
        return (max(lo, Fraction(0)), hi) if loss.kind in ("mse", "sse") else (lo, hi)
    raise ArithmeticError("no rung bounded the loss at a point of the path")


def _exact_value(loss: Loss, point: Point) -> sympy.Rational | None:
    """The exact ``L(point)`` when it expands to a rational (e.g. 0 at a teacher), for small problems."""
    if loss.mlp.n_parameters * loss.data.n_points > _EXACT_VALUE_LIMIT:
        return None
    value = sympy.expand(loss.expr.xreplace(dict(zip(loss.mlp.symbols, point.values))))
    return value if isinstance(value, sympy.Rational) else None


def _segment(
    loss: Loss, P: Point, C: Point | None, Q: Point, moves: bool, options: dict[str, Any]
) -> PathSegment:
    if C is None and moves and not loss.weight_decay:
        move = recognise_move(P, Q)
        if move is not None and prove_move(P, Q):
            lo, hi = _value(loss, P)
            return PathSegment(P, Q, None, move, lo, hi, "proved", Fraction(0), (), ((Fraction(0), lo, hi),))
    if C is None:
        return _straight(loss, P, Q, options)
    return _curved(loss, P, C, Q, options)


def _straight(loss: Loss, P: Point, Q: Point, options: dict[str, Any]) -> PathSegment:
    """The barrier's branch and bound with the constant chord ``c = (L(P) + L(Q))/2`` (form ``midpoint``).

    Its pieces bound ``L - c_lo`` (``c_lo`` the lower end of the chord's enclosure) and its lower bound
    is ``L(w) - c_hi`` at the witness ``w``: adding the chord back gives bounds of ``L`` itself.
    """
    r = certify_barrier(loss, P, Q, form="midpoint", **options)
    c_lo, c_hi = (r.LA[0] + r.LB[0]) / 2, (r.LA[1] + r.LB[1]) / 2
    if r.exact:  # Q == P: a constant path
        return PathSegment(
            P, Q, None, None, r.LA[0], r.LA[1], "proved", Fraction(0), ((Fraction(0), Fraction(1), r.LA[1]),)
        )
    pieces = tuple((a, b, u + c_lo) for a, b, u in r.pieces)
    return PathSegment(P, Q, None, None, r.lo + c_hi, r.hi + c_lo, r.status, r.witness, pieces, r.samples)


def _curved(loss: Loss, P: Point, C: Point, Q: Point, options: dict[str, Any]) -> PathSegment:
    """Branch and bound over ``t`` on a Bezier curve: split the piece with the largest claim first."""
    tol, max_pieces, max_seconds = options["tol"], options["max_pieces"], options["max_seconds"]
    start = time.perf_counter()
    bounds = CurveBounds(loss, P, C, Q)
    zero, one, half = Fraction(0), Fraction(1), Fraction(1, 2)
    lo, witness = max((bounds.phi(t)[0], t) for t in (zero, half, one))
    heap = [_entry(p) for p in bounds.pieces([(zero, half), (half, one)])]
    heapq.heapify(heap)  # heap[0] must be the larger claim of the two halves
    status = "undecided"
    while True:
        if -heap[0][0] - lo <= tol:
            status = "proved"
            break
        if len(heap) >= max_pieces or time.perf_counter() - start > max_seconds:
            break
        _, _, t0, t1, _ = heapq.heappop(heap)
        m = (t0 + t1) / 2
        lo, witness = max((lo, witness), (bounds.phi(m)[0], m))
        for p in bounds.pieces([(t0, m), (m, t1)]):
            heapq.heappush(heap, _entry(p))
    hi = max(-c for c, *_ in heap)
    pieces = tuple(sorted((t0, t1, (hi - c) / 2) for c, _, t0, t1, _ in heap))
    samples = tuple((t, *v) for t, v in bounds.samples.items())
    return PathSegment(P, Q, C, None, lo, hi, status, witness, pieces, samples)


def _entry(piece: Any) -> tuple[Any, ...]:
    """A heap entry: the largest claim first (ties: the wider piece first)."""
    return (-piece.claim, piece.t0 - piece.t1, piece.t0, piece.t1, piece.own)
