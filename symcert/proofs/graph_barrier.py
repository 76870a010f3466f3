r"""The certified loss barrier between two networks of one layer graph: branch and bound over ``t``.

``g(t) = phi(t) - chord(t)`` with ``phi(t) = L((1 - t) A + t B)`` and the chord ``(1 - t) L(A) + t L(B)``
(``"entezari"``, Entezari et al. 2022) or ``(L(A) + L(B))/2`` (``"midpoint"``); the barrier is
``sup_{t in [0, 1]} g(t)``. :func:`certify_graph_barrier` keeps a partition of ``[0, 1]`` into dyadic
pieces, each with a rigorous upper bound of ``g``: the range of ``phi`` over the piece
(:func:`~symcert.numeric.graph.ranges.phi_range`, the graph's forward pass on the box of parameters
``A + [t0, t1] (B - A)``, a plain interval extension through the layers) minus the smaller end of the
chord's lower bound; and a witness ``t`` whose certified point value bounds ``g`` below. Each round
splits the pieces with the largest bounds, until ``hi - lo <= tol``, or ends "undecided" at
``max_pieces`` pieces or ``max_seconds`` (the enclosure is rigorous either way). Each piece's bound is
verified float64 first, Arb balls when float64 overflows. A piece certifies a bound *claimed* above its
own (by a quarter of the range's width, then halfway to ``hi``), room for the checker's balls.

When ``B == A`` exactly, the path is constant and ``g`` is identically 0: the barrier is exactly 0.

>>> from symcert.symbolic.graph import Activation, Dense, Graph, Node
>>> from symcert.numeric.graph import GraphLoss
>>> g = Graph((1,), [Node("fc1", Dense(1)), Node("t", Activation("tanh")), Node("fc2", Dense(1))])
>>> loss = GraphLoss(g, [[1]], [[Fraction(1, 2)]], "sse")
>>> A = {"fc1.weight": [[1]], "fc1.bias": [0], "fc2.weight": [[1]], "fc2.bias": [0]}
>>> B = {"fc1.weight": [[-1]], "fc1.bias": [0], "fc2.weight": [[-1]], "fc2.bias": [0]}
>>> result = certify_graph_barrier(loss, A, B, tol=Fraction(1, 100))
>>> result.status, result.hi - result.lo <= Fraction(1, 100), result.lo > 0
('proved', True, True)
>>> certify_graph_barrier(loss, A, A).exact
True
"""

from __future__ import annotations

import heapq
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

import numpy as np

from symcert.display import Displayed
from symcert.errors import SpecificationError
from symcert.numeric.barrier_bounds import two_sided
from symcert.numeric.engine.backends import ArbBackend, F64Backend
from symcert.numeric.graph import GraphLoss, float_loss
from symcert.numeric.graph.ranges import phi_point, phi_range, segment_point
from symcert.numeric.graph.segment import has_tangent, segment_bounds
from symcert.numeric.rounding import check_digits, outward_interval
from symcert.proofs.kinds.barrier import KIND as BARRIER
from symcert.symbolic.exact import format_rational
from symcert.symbolic.graph import graph_to_dict, params_to_dict

__all__ = ["GraphBarrierResult", "certify_graph_barrier", "DEFAULT_MAX_PIECES", "DEFAULT_MAX_SECONDS"]

DEFAULT_MAX_PIECES, DEFAULT_MAX_SECONDS = 2000, 600.0
FORMS = ("entezari", "midpoint")
Bounds = tuple[Fraction, Fraction]
#: Pieces split per round, and the float64 grid that seeds the witness (evidence only).
_ROUND, _GRID = 8, 33
_BIG = Fraction(10**30)  # the bound of a piece no rung bounded: it must be split


@dataclass(frozen=True)
class GraphBarrierResult(Displayed):
    """A certified enclosure ``lo <= barrier <= hi`` between two points of one layer graph.

    ``pieces`` is the partition of ``[0, 1]`` as ``(t0, t1, claimed upper bound)``; ``witness`` the exact
    ``t`` whose certified lower bound is ``lo``; ``LA``, ``LB`` the enclosures of the end losses.
    ``status`` is "proved" when ``hi - lo <= tol``, else "undecided" (a cap was reached: ``stopped``
    names it). With ``digits``, ``dps`` is the precision of the last attempt (the checker starts there).
    """

    loss: GraphLoss
    A: dict[str, np.ndarray]
    B: dict[str, np.ndarray]
    form: str
    lo: Fraction
    hi: Fraction
    tol: Fraction
    status: str
    exact: bool
    witness: Fraction
    pieces: tuple[tuple[Fraction, Fraction, Fraction], ...]
    LA: Bounds
    LB: Bounds
    seconds: float
    evaluations: int
    dps: int = 30
    #: What ended the branch and bound short of ``tol``: "" (nothing), "max_pieces" or "max_seconds".
    stopped: str = ""
    #: The significant digits asked for (``digits=``), None without a request.
    digits: int | None = None

    @property
    def kind(self) -> str:
        return "barrier"

    @property
    def proved(self) -> bool:
        """True when the enclosure is at most ``tol`` wide."""
        return self.status == "proved"

    @property
    def n_pieces(self) -> int:
        return len(self.pieces)

    def note(self) -> str:
        """One line: the enclosure, the pieces and the time."""
        if self.exact:
            return "barrier = 0 exactly (B = A: the path is constant, g is identically 0)"
        return (
            f"barrier ({self.form}) in {outward_interval(self.lo, self.hi, 6)} ({self.status}), witness "
            f"t = {float(self.witness):.6g}, {self.n_pieces} pieces, {self.seconds:.2f} s"
        )

    def to_dict(self) -> dict[str, Any]:
        """The ``barrier`` certificate as JSON-ready data, the graph as in the graph chord certificate."""
        from symcert.version import __version__

        loss = self.loss
        record: dict[str, Any] = {"kind": loss.kind, "weight_decay": "0"}
        if loss.factor != 1:
            record["factor"] = str(loss.factor)
        q = format_rational
        return {
            "schema": "symcert-certificate",
            "version": 1,
            "kind": "barrier",
            "status": self.status,
            "network": {"graph": graph_to_dict(loss.graph), "output_activation": loss.output},
            "loss": record,
            "data": {"xs": _strings(loss.X), "ys": _strings(loss.Y)},
            "points": {"A": params_to_dict(self.A), "B": params_to_dict(self.B)},
            "element": None,
            "parameters": {
                "form": self.form,
                "witness": q(self.witness),
                "pieces": [[q(a), q(b), q(u)] for a, b, u in self.pieces],
            },
            "claim": BARRIER.claim_record(),
            "enclosures": {
                name: [q(lo), q(hi)]
                for name, (lo, hi) in (("L(A)", self.LA), ("L(B)", self.LB), ("barrier", (self.lo, self.hi)))
            },
            "dps": self.dps,
            "notes": [self.note()],
            "prover": {"name": "symcert", "version": __version__},
        }

    def to_json(self) -> str:
        """The JSON text of :meth:`to_dict`."""
        return json.dumps(self.to_dict(), indent=2) + "\n"


def _strings(values: np.ndarray) -> Any:
    return np.vectorize(str, otypes=[object])(values).tolist()


class _Oracle:
    """Certified values of ``phi`` at points and over pieces, on the rungs in turn."""

    def __init__(self, loss: GraphLoss, A: Any, B: Any, form: str, dps: int, float64: bool = True) -> None:
        self.loss, self.A, self.B, self.form = loss, A, B, form
        self.rungs: tuple[Any, ...] = (F64Backend(), ArbBackend(dps)) if float64 else (ArbBackend(dps),)
        self.evaluations = 0
        self.tangent = has_tangent(loss)
        self._points: dict[Fraction, Bounds] = {}
        self.LA, self.LB = self.point(Fraction(0)), self.point(Fraction(1))

    def _first(self, compute: Callable[[Any], Bounds]) -> Bounds | None:
        for bk in self.rungs:
            self.evaluations += 1
            try:
                return compute(bk)
            except (ArithmeticError, ValueError):
                continue
        return None

    def _first2(self, compute: Callable[[Any], tuple[Bounds, Bounds]]) -> tuple[Bounds, Bounds] | None:
        for bk in self.rungs:
            self.evaluations += 1
            try:
                return compute(bk)
            except (ArithmeticError, ValueError):
                continue
        return None

    def point(self, t: Fraction) -> Bounds:
        if t not in self._points:
            found = self._first(lambda bk: phi_point(bk, self.loss, self.A, self.B, t))
            if found is None:
                raise SpecificationError(f"no rung bounded the loss at t = {t} (overflow at every precision)")
            self._points[t] = found
        return self._points[t]

    def chord(self, t: Fraction) -> Bounds:
        (a0, a1), (b0, b1) = self.LA, self.LB
        if self.form == "midpoint":
            return (a0 + b0) / 2, (a1 + b1) / 2
        return (1 - t) * a0 + t * b0, (1 - t) * a1 + t * b1

    def lower(self, t: Fraction) -> Fraction:
        return self.point(t)[0] - self.chord(t)[1]

    def piece(self, t0: Fraction, t1: Fraction) -> tuple[Fraction, Fraction, Fraction, Fraction]:
        """A heap entry ``(-claim, t0, t1, own)`` for the piece: the smaller of the range form and (when
        the graph has tangents) the two-sided mean-value form; the claim widens each enclosure over the
        box by a quarter of its width."""
        low = self.chord(t0)[0], self.chord(t1)[0]
        if not self.tangent:
            found = self._first(lambda bk: phi_range(bk, self.loss, self.A, self.B, t0, t1))
            if found is None:
                return (-_BIG, t0, t1, _BIG)
            own = found[1] - min(low)
            return (-(own + (found[1] - found[0]) / 4), t0, t1, own)
        jets = self._first2(lambda bk: segment_bounds(bk, self.loss, self.A, self.B, t0, t1))
        if jets is None:
            return (-_BIG, t0, t1, _BIG)
        (p_lo, p_hi), (d_lo, d_hi) = jets
        w = t1 - t0
        rise = Fraction(0) if self.form == "midpoint" else (low[1] - low[0]) / w  # the chord's slope
        G0, G1 = self.point(t0)[1] - low[0], self.point(t1)[1] - low[1]
        bounds = []
        for widen in (Fraction(0), Fraction(1, 4)):
            pw, dw = widen * (p_hi - p_lo), widen * (d_hi - d_lo)
            bounds.append(
                min(
                    p_hi + pw - min(low),
                    two_sided(G0, d_hi + dw - rise, G1, d_lo - dw - rise, Fraction(0), w),
                )
            )
        own, claim = bounds
        return (-max(claim, own), t0, t1, own)


def _check(
    loss: GraphLoss, A: Mapping[str, Any], B: Mapping[str, Any], form: str, tol: Any
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], Fraction]:
    if not isinstance(loss, GraphLoss):
        raise SpecificationError(f"expected a GraphLoss, got {type(loss).__name__}")
    if form not in FORMS:
        raise SpecificationError(f"form must be one of {', '.join(FORMS)}, got {form!r}")
    tol = Fraction(str(tol)) if isinstance(tol, float) else Fraction(tol)
    if tol <= 0:
        raise SpecificationError(f"tol must be > 0, got {tol}")
    return loss.graph.check_parameters(A), loss.graph.check_parameters(B), tol


def certify_graph_barrier(
    loss: GraphLoss,
    A: Mapping[str, Any],
    B: Mapping[str, Any],
    *,
    tol: Any = Fraction(1, 1000),
    form: str = "entezari",
    max_pieces: int = DEFAULT_MAX_PIECES,
    max_seconds: float = DEFAULT_MAX_SECONDS,
    dps: int = 30,
    progress: Callable[[int, int | None, str], None] | None = None,
    digits: int | None = None,
) -> GraphBarrierResult:
    """A rigorous enclosure of the barrier between ``A`` and ``B`` (exact parameters of ``loss.graph``)
    of width at most ``tol`` (see the module text); ``progress(pieces, max_pieces, note)`` only reports.

    ``digits`` asks for tight values (:mod:`symcert.proofs.graph_barrier_digits`): the branch and bound
    runs again with a tolerance under a quarter unit of the ``digits``-th significant digit, so it splits
    the pieces near the maximum further, on Arb balls alone at a precision that doubles each attempt,
    until the barrier and ``L(A)``, ``L(B)`` pin that many digits or ``max_seconds`` (the whole call's
    budget) or ``max_pieces`` stops it (``stopped`` says which); ``status`` still compares with ``tol``.
    """
    exact_A, exact_B, tol = _check(loss, A, B, form, tol)
    if isinstance(max_pieces, bool) or not isinstance(max_pieces, int) or max_pieces < 1:
        raise SpecificationError(f"max_pieces must be an integer >= 1, got {max_pieces!r}")
    digits = check_digits(digits)
    start = time.perf_counter()
    first = _Oracle(loss, exact_A, exact_B, form, dps)
    result = _branch_and_bound(first, tol, max_pieces, start + max_seconds, progress)
    if digits is None or result.exact:
        return replace(result, seconds=time.perf_counter() - start, digits=digits)
    from symcert.proofs.graph_barrier_digits import tighten

    def search(oracle: _Oracle, narrower: Fraction, deadline: float) -> GraphBarrierResult:
        return _branch_and_bound(oracle, narrower, max_pieces, deadline, progress)

    return tighten(result, digits, start, max_seconds, search)


def _branch_and_bound(
    oracle: _Oracle,
    tol: Fraction,
    max_pieces: int,
    deadline: float,
    progress: Callable[[int, int | None, str], None] | None,
) -> GraphBarrierResult:
    """Branch and bound over ``t`` with ``oracle``'s rungs until ``hi - lo <= tol`` or a cap."""
    start = time.perf_counter()
    loss, A, B, form = oracle.loss, oracle.A, oracle.B, oracle.form
    zero, one = Fraction(0), Fraction(1)
    dps = oracle.rungs[-1].dps

    def result(
        lo: Fraction,
        hi: Fraction,
        status: str,
        exact: bool,
        witness: Fraction,
        pieces: tuple,
        stopped: str = "",
    ) -> GraphBarrierResult:
        seconds = time.perf_counter() - start
        return GraphBarrierResult(
            loss,
            A,
            B,
            form,
            lo,
            hi,
            tol,
            status,
            exact,
            witness,
            pieces,
            oracle.LA,
            oracle.LB,
            seconds,
            oracle.evaluations,
            dps,
            stopped,
        )

    if all(np.array_equal(A[name], B[name]) for name in A):
        return result(zero, zero, "proved", True, zero, ((zero, one, zero),))
    lo, witness = max((oracle.lower(t), t) for t in (zero, one))
    if form == "entezari" and lo < 0:
        lo, witness = zero, zero  # g(0) = L(A) - L(A) = 0 exactly
    guess = _grid_guess(loss, A, B, form)
    if guess not in (zero, one):
        lo, witness = max((lo, witness), (oracle.lower(guess), guess))
    heap = [oracle.piece(zero, one)]
    status, stopped = "undecided", ""
    while True:
        width = -heap[0][0] - lo
        if progress is not None:
            progress(len(heap), max_pieces, f"width {float(width):.3g}, tol {float(tol):.3g}")
        if width <= tol:
            status = "proved"
            break
        if len(heap) >= max_pieces or time.perf_counter() > deadline:
            stopped = "max_pieces" if len(heap) >= max_pieces else "max_seconds"
            break
        batch: list[tuple[Fraction, Fraction, Fraction, Fraction]] = []
        while heap and -heap[0][0] - lo > tol and len(batch) < _ROUND and len(heap) + len(batch) < max_pieces:
            batch.append(heapq.heappop(heap))
        if not batch:
            stopped = "max_pieces"
            break
        for rank, (_, t0, t1, _own) in enumerate(batch):
            m = (t0 + t1) / 2
            if rank < 2:  # a certified point where g is likely largest: the lower bound
                lo, witness = max((lo, witness), (oracle.lower(m), m))
            heapq.heappush(heap, oracle.piece(t0, m))
            heapq.heappush(heap, oracle.piece(m, t1))
    hi = max(-c for c, *_ in heap)
    pieces = tuple(sorted((t0, t1, (hi - c) / 2) for c, t0, t1, _ in heap))  # halfway to hi
    return result(lo, hi, status, False, witness, pieces, stopped)


def _grid_guess(loss: GraphLoss, A: Any, B: Any, form: str) -> Fraction:
    """The grid point ``k / (_GRID - 1)`` with the largest float64 ``g`` (a search, not proof)."""
    ts = [Fraction(k, _GRID - 1) for k in range(_GRID)]
    values = [float_loss(loss, segment_point(A, B, t)) for t in ts]
    a, b = values[0], values[-1]
    chord = [(a + b) / 2 if form == "midpoint" else (1 - float(t)) * a + float(t) * b for t in ts]
    gaps = [v - c for v, c in zip(values, chord)]
    gaps = [g if np.isfinite(g) else -np.inf for g in gaps]
    return ts[int(np.argmax(gaps))]
