"""Certified loss barriers along a segment: branch and bound over ``t``.

The barrier (Entezari et al. 2022) is ``sup_{t in [0, 1]} g(t)`` with
``g(t) = L((1 - t) A + t B) - ((1 - t) L(A) + t L(B))``; with ``form="midpoint"``
(Ainsworth et al. 2023) the chord is ``(L(A) + L(B)) / 2``. :func:`certify_barrier`
keeps a partition of ``[0, 1]`` into dyadic pieces, each with a rigorous upper bound of
``g`` (:class:`~symcert.numeric.barrier_bounds.BarrierBounds`), and a witness ``t`` with a
rigorous lower bound of ``g(t)``. It splits the piece with the largest upper bound until
``hi - lo <= tol``, or stops "undecided" at ``max_pieces`` pieces or ``max_seconds``.
When ``B == A`` exactly the path is constant and the barrier is exactly 0.
For ``"entezari"``, ``g(0) = 0`` exactly, so the lower bound is at least 0.

>>> from symcert import MLP, Dataset, Loss
>>> net = MLP((1, 1, 1), "tanh")
>>> loss = Loss(net, Dataset([[1]], [[Fraction(1, 2)]]), "sse")
>>> A = net.point(W1=[[1]], b1=[0], W2=[[1]], b2=[0])
>>> B = net.point(W1=[[-1]], b1=[0], W2=[[-1]], b2=[0])
>>> result = certify_barrier(loss, A, B, tol=Fraction(1, 1000))
>>> result.status, result.hi - result.lo <= Fraction(1, 1000), result.lo <= 0 <= result.hi
('proved', True, False)
>>> certify_barrier(loss, A, A).exact
True
"""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy

from symcert.errors import SpecificationError
from symcert.numeric.barrier_bounds import FORMS, BarrierBounds
from symcert.proofs.certificates import Certificate
from symcert.symbolic.losses import Loss
from symcert.symbolic.point import Point

__all__ = ["certify_barrier", "BarrierResult", "DEFAULT_MAX_PIECES", "DEFAULT_MAX_SECONDS"]

#: Default caps: branch and bound ends "undecided" when either is reached (it never loops).
DEFAULT_MAX_PIECES, DEFAULT_MAX_SECONDS = 2000, 600.0


@dataclass(frozen=True)
class BarrierResult:
    """A certified enclosure ``lo <= barrier <= hi`` (exact ``Fraction`` endpoints).

    ``status`` is "proved" when ``hi - lo <= tol``, else "undecided" (a cap was reached; the
    enclosure is still rigorous). ``pieces`` is the partition of ``[0, 1]`` as
    ``(t0, t1, upper)``; ``witness`` the exact ``t`` whose lower bound gives ``lo``;
    ``maximiser`` an interval of ``t`` containing every maximiser of ``g``; ``samples`` the
    certified enclosures ``(t, lower, upper)`` of ``phi(t)`` computed on the way (for figures).
    """

    loss: Loss
    A: Point
    B: Point
    form: str
    lo: Fraction
    hi: Fraction
    tol: Fraction
    status: str
    exact: bool
    witness: Fraction
    pieces: tuple[tuple[Fraction, Fraction, Fraction], ...]
    maximiser: tuple[Fraction, Fraction]
    LA: tuple[Fraction, Fraction]
    LB: tuple[Fraction, Fraction]
    seconds: float
    evaluations: int
    samples: tuple[tuple[Fraction, Fraction, Fraction], ...] = ()

    @property
    def n_pieces(self) -> int:
        """The number of sub-intervals of the final partition."""
        return len(self.pieces)

    def summary(self, exact: bool = False) -> str:
        """One line for the terminal (:func:`symcert.text`): short decimals rounded outward
        (``exact=True``: exact endpoints)."""
        from symcert.printing import text

        return text(self, exact=exact)

    def _repr_markdown_(self) -> str:
        from symcert.printing import notebook

        return notebook(self)

    def certificate(self) -> Certificate:
        """The ``barrier`` certificate: statement, partition, witness, enclosures (JSON: ``to_dict``)."""
        q = _rational
        enclosures = {"barrier": (q(self.lo), q(self.hi)), "L(A)": tuple(map(q, self.LA))}
        enclosures["L(B)"] = tuple(map(q, self.LB))
        parameters = {
            "form": self.form,
            "witness": q(self.witness),
            "pieces": [[str(q(a)), str(q(b)), str(q(u))] for a, b, u in self.pieces],
        }
        return Certificate(
            "barrier",
            self.status,
            self.loss,
            self.A,
            self.B,
            None,
            enclosures,
            None,
            30,
            parameters,
            (barrier_note(self),),
        )


def barrier_note(result: BarrierResult) -> str:
    """The certificate's note: the enclosure, the maximiser's interval, the pieces and the time."""
    if result.exact:
        return "barrier = 0 exactly (B = A: the path is constant)"
    return (
        f"barrier ({result.form}) in [{float(result.lo):.6g}, {float(result.hi):.6g}] ({result.status}), "
        f"maximiser in [{float(result.maximiser[0]):.4g}, {float(result.maximiser[1]):.4g}], "
        f"{result.n_pieces} pieces, {result.seconds:.2f} s"
    )


def _rational(value: Fraction) -> sympy.Rational:
    return sympy.Rational(value.numerator, value.denominator)


def certify_barrier(
    loss: Loss,
    A: Point,
    B: Point,
    *,
    tol: Any = Fraction(1, 1000),
    form: str = "entezari",
    max_pieces: int = DEFAULT_MAX_PIECES,
    max_seconds: float = DEFAULT_MAX_SECONDS,
) -> BarrierResult:
    """A rigorous enclosure of the barrier between ``A`` and ``B`` of width at most ``tol`` (see module)."""
    if not isinstance(loss, Loss) or not isinstance(A, Point) or not isinstance(B, Point):
        raise SpecificationError(
            f"expected a Loss and two Points, got {type(loss).__name__}, "
            f"{type(A).__name__}, {type(B).__name__}"
        )
    if A.mlp != loss.mlp or B.mlp != loss.mlp:
        raise SpecificationError(
            "A and B must be points of the loss's network; build them with loss.mlp.point"
        )
    if form not in FORMS:
        raise SpecificationError(f"form must be one of {', '.join(FORMS)}, got {form!r}")
    tol = Fraction(str(tol)) if isinstance(tol, float) else Fraction(tol)
    if tol <= 0:
        raise SpecificationError(f"tol must be > 0, got {tol}")
    if isinstance(max_pieces, bool) or not isinstance(max_pieces, int) or max_pieces < 1:
        raise SpecificationError(f"max_pieces must be an integer >= 1, got {max_pieces!r}")
    start = time.perf_counter()
    bounds = BarrierBounds(loss, A, B, form)
    zero, one = Fraction(0), Fraction(1)
    if A == B:
        return BarrierResult(
            loss,
            A,
            B,
            form,
            zero,
            zero,
            tol,
            "proved",
            True,
            zero,
            ((zero, one, zero),),
            (zero, one),
            bounds.LA,
            bounds.LB,
            time.perf_counter() - start,
            0,
            ((zero, *bounds.LA), (one, *bounds.LB)),
        )
    # Branch and bound, with 7/8 of tol internally: each claimed piece bound gets a slack of tol/16 so
    # that a checker with its own arithmetic (slightly looser on wide boxes) still verifies it.
    inner, slack = tol * 7 / 8, tol / 16
    lo, witness = max((bounds.lower(t), t) for t in (zero, one))
    if form == "entezari" and lo < 0:
        lo, witness = zero, zero  # g(0) = L(A) - L(A) = 0 exactly
    heap = [(-bounds.upper(zero, one), zero, one)]
    while True:
        hi = -heap[0][0]
        if hi - lo <= inner or len(heap) >= max_pieces or time.perf_counter() - start > max_seconds:
            break
        _, t0, t1 = heapq.heappop(heap)
        m = (t0 + t1) / 2
        value = bounds.lower(m)
        if value > lo:
            lo, witness = value, m
        for a, b in ((t0, m), (m, t1)):
            heapq.heappush(heap, (-bounds.upper(a, b), a, b))
    hi = max(-u for u, _, _ in heap)
    claimed, status_ok = _claims(bounds, heap, hi + slack, slack, max_pieces, start, max_seconds)
    hi_claimed = max(u for _, _, u in claimed)
    above = [(a, b) for u, a, b in heap if -u >= lo]  # every maximiser lies in one of these
    maximiser = (min(a for a, _ in above), max(b for _, b in above))
    status = "proved" if status_ok and hi_claimed - lo <= tol else "undecided"
    return BarrierResult(
        loss,
        A,
        B,
        form,
        lo,
        hi_claimed,
        tol,
        status,
        False,
        witness,
        tuple(claimed),
        maximiser,
        bounds.LA,
        bounds.LB,
        time.perf_counter() - start,
        bounds.evaluations,
        tuple((t, *v) for t, v in sorted(bounds.samples.items())),
    )


def _claims(
    bounds: BarrierBounds,
    heap: list,
    ceiling: Fraction,
    slack: Fraction,
    max_pieces: int,
    start: float,
    max_seconds: float,
) -> tuple[list[tuple[Fraction, Fraction, Fraction]], bool]:
    """The claimed pieces: each bound is the larger of the float64 and the Arb-ball bound, plus ``slack``.

    A checker evaluates in Arb balls, looser than float64 intervals on wide pieces; a piece whose ball
    bound exceeds ``ceiling`` is split until it does not (False when a cap stops that first).
    """
    todo = sorted((a, b, -u) for u, a, b in heap)
    done: list[tuple[Fraction, Fraction, Fraction]] = []
    ok = True
    while todo:
        a, b, own = todo.pop(0)
        ball = bounds.upper(a, b, balls=True)
        claim = max(own, ball) + slack
        capped = len(todo) + len(done) + 2 > max_pieces or time.perf_counter() - start > max_seconds
        if claim <= ceiling or capped:
            ok = ok and claim <= ceiling
            done.append((a, b, claim))
            continue
        m = (a + b) / 2
        todo[:0] = [(a, m, bounds.upper(a, m)), (m, b, bounds.upper(m, b))]
    return sorted(done), ok
