"""Certified loss barriers along a segment: branch and bound over ``t``.

The barrier (Entezari et al. 2022) is ``sup_{t in [0, 1]} g(t)`` with
``g(t) = L((1 - t) A + t B) - ((1 - t) L(A) + t L(B))``; with ``form="midpoint"``
(Ainsworth et al. 2023) the chord is ``(L(A) + L(B)) / 2``. :func:`certify_barrier`
keeps a partition of ``[0, 1]`` into dyadic pieces, each with a rigorous upper bound of
``g`` (:class:`~symcert.numeric.barrier_bounds.BarrierBounds`: ``own``, and ``claim`` for the
certificate), and a witness ``t`` with a rigorous lower bound of ``g(t)``. A large problem starts from
16 equal pieces, the two beside an interior maximum of the point values halved (:func:`_first_partition`:
the point values only choose where to cut). Each round splits every
piece whose claim keeps ``hi - lo`` above ``tol`` (the largest first, at most ``_ROUND`` of them),
with one stacked pass for the new points and one for the new pieces, until ``hi - lo <= tol``, or
stops "undecided" at ``max_pieces`` pieces or ``max_seconds``. Each piece's certified claim is
moved halfway from its own claim to ``hi`` (room for the checker's looser balls).
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
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

import sympy

from symcert.display import Displayed
from symcert.errors import SpecificationError
from symcert.numeric.barrier_bounds import FORMS, BarrierBounds, PieceBound
from symcert.numeric.rounding import check_digits, outward_interval, pins_digits
from symcert.proofs.certificates import Certificate
from symcert.symbolic.losses import Loss
from symcert.symbolic.point import Point

__all__ = ["certify_barrier", "BarrierResult", "DEFAULT_MAX_PIECES", "DEFAULT_MAX_SECONDS"]

#: Default caps: branch and bound ends "undecided" when either is reached (it never loops).
DEFAULT_MAX_PIECES, DEFAULT_MAX_SECONDS = 2000, 600.0


@dataclass(frozen=True)
class BarrierResult(Displayed):
    """A certified enclosure ``lo <= barrier <= hi`` (exact ``Fraction`` endpoints).

    ``status`` is "proved" when ``hi - lo <= tol``, else "undecided" (a cap was reached; the
    enclosure is still rigorous). ``pieces`` is the partition of ``[0, 1]`` as
    ``(t0, t1, upper)``; ``witness`` the exact ``t`` whose lower bound gives ``lo``;
    ``maximiser`` an interval of ``t`` containing every maximiser of ``g``; ``samples`` the
    certified enclosures ``(t, lower, upper)`` of ``phi(t)`` computed on the way (for figures);
    ``dps`` the precision the checker is told to start from (higher after ``digits=``).
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
    dps: int = 30

    @property
    def n_pieces(self) -> int:
        """The number of sub-intervals of the final partition."""
        return len(self.pieces)

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
            self.dps,
            parameters,
            (barrier_note(self),),
        )


def barrier_note(result: BarrierResult) -> str:
    """The certificate's note: the enclosure, the maximiser's interval, the pieces and the time."""
    if result.exact:
        return "barrier = 0 exactly (B = A: the path is constant)"
    return (
        f"barrier ({result.form}) in {outward_interval(result.lo, result.hi, 6)} ({result.status}), "
        f"maximiser in {outward_interval(result.maximiser[0], result.maximiser[1], 4)}, "
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
    progress: Callable[[int, int | None, str], None] | None = None,
    digits: int | None = None,
) -> BarrierResult:
    """A rigorous enclosure of the barrier between ``A`` and ``B`` of width at most ``tol`` (see module).

    ``progress(pieces, max_pieces, note)``, when given, is called after every round of branch and
    bound (``note``: the current width of the enclosure against ``tol``); it only reports.
    ``digits`` asks for tight values: the branch and bound is run again in Arb balls only, with a
    tolerance under half a unit of the ``digits``-th significant digit (up to three times, doubling the
    precision, within ``max_seconds``), until the barrier and ``L(A)``, ``L(B)`` pin that many digits
    (:func:`symcert.numeric.rounding.pins_digits`); ``status`` still compares the width with ``tol``.
    """
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
    digits = check_digits(digits)
    start = time.perf_counter()
    first = BarrierBounds(loss, A, B, form)
    result = _certify(loss, A, B, form, tol, max_pieces, max_seconds, progress, first)
    if digits is None or result.exact:
        return result
    # Tight values on request: Arb balls only, and a tolerance under half a unit of the digits-th digit.
    dps = max(30, digits + 20)
    for _ in range(3):
        if _pins(result, digits) or time.perf_counter() - start > max_seconds:
            break
        size = max(abs(result.lo), abs(result.hi))
        narrower = min(tol, size / 10**digits / 4) if size else tol
        bounds = BarrierBounds(loss, A, B, form, dps=dps, float64=False)
        left = max(max_seconds - (time.perf_counter() - start), 1e-3)
        result = replace(
            _certify(loss, A, B, form, narrower, max_pieces, left, progress, bounds), dps=max(30, dps)
        )
        dps *= 2
    status = "proved" if result.hi - result.lo <= tol else "undecided"
    return replace(result, tol=tol, status=status, seconds=time.perf_counter() - start)


def _pins(result: BarrierResult, digits: int) -> bool:
    """True when the barrier and both end values pin ``digits`` significant digits (0-containing ones
    have none to pin and are not waited for)."""
    found = {"barrier": (result.lo, result.hi), "L(A)": result.LA, "L(B)": result.LB}
    return all(pins_digits(lo, hi, digits) for lo, hi in found.values() if not lo <= 0 <= hi)


def _certify(
    loss: Loss,
    A: Point,
    B: Point,
    form: str,
    tol: Fraction,
    max_pieces: int,
    max_seconds: float,
    progress: Callable[[int, int | None, str], None] | None,
    bounds: BarrierBounds,
) -> BarrierResult:
    """Branch and bound on ``bounds`` until the enclosure is ``tol`` wide or a cap is reached."""
    start = time.perf_counter()
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
    lo, witness = max((bounds.lower(t), t) for t in (zero, one))
    if form == "entezari" and lo < 0:
        lo, witness = zero, zero  # g(0) = L(A) - L(A) = 0 exactly
    heap = [_entry(p) for p in bounds.pieces(_first_partition(bounds, max_pieces))]
    heapq.heapify(heap)  # the first partition has many pieces: heap[0] must be the largest claim
    lo, witness = max([(lo, witness)] + [(bounds.lower(t), t) for t in bounds.samples])
    status = "undecided"
    while True:
        if progress is not None:
            progress(len(heap), max_pieces, f"width {float(-heap[0][0] - lo):.3g}, tol {float(tol):.3g}")
        if -heap[0][0] - lo <= tol:
            status = "proved"
            break
        if len(heap) >= max_pieces or time.perf_counter() - start > max_seconds:
            break
        # One round: split every piece that keeps the enclosure wider than tol (the largest first,
        # up to the cap), with one stacked pass for the new points and one for the new pieces.
        batch: list[tuple[Fraction, ...]] = []
        while heap and -heap[0][0] - lo > tol and len(heap) + 2 * len(batch) < max_pieces:
            batch.append(heapq.heappop(heap))
            if len(batch) >= _ROUND:
                break
        if not batch:
            break
        cuts = [[e[2], (e[2] + e[3]) / 2, e[3]] for e in batch]
        mids = [t for ends in cuts for t in ends[1:-1]]
        bounds.jets(mids)
        lo, witness = max([(lo, witness)] + [(bounds.lower(m), m) for m in mids])
        children = [(a, b) for ends in cuts for a, b in itertools.pairwise(ends)]
        for p in bounds.pieces(children):
            heapq.heappush(heap, _entry(p))
    hi = max(-c for c, *_ in heap)
    # Each piece claims halfway between its own claim and hi (a margin for the checker's looser balls).
    pieces = sorted((t0, t1, (hi - c) / 2) for c, _, t0, t1, _ in heap)
    above = [(t0, t1) for _, _, t0, t1, own in heap if own >= lo]  # every maximiser lies in one of these
    maximiser = (min(a for a, _ in above), max(b for _, b in above)) if above else (witness, witness)
    return BarrierResult(
        loss,
        A,
        B,
        form,
        lo,
        hi,
        tol,
        status,
        False,
        witness,
        tuple(pieces),
        maximiser,
        bounds.LA,
        bounds.LB,
        time.perf_counter() - start,
        bounds.evaluations,
        tuple((t, *v) for t, v in bounds.samples.items()),
    )


def _first_partition(bounds: BarrierBounds, max_pieces: int) -> list[tuple[Fraction, Fraction]]:
    """The first partition: ``[0, 1]``, or for a large problem (``BarrierBounds.large``) ``_FIRST_SPLIT``
    equal pieces, the two beside the grid point of largest ``g`` halved when it is interior (the coarse
    levels decide nothing at a useful tol and cost a stacked box pass each; the maximum is likeliest there,
    where pieces must be narrowest).
    The point values only choose the partition: every piece is then bounded rigorously."""
    parts = _FIRST_SPLIT
    if not bounds.large or max_pieces < parts + 2:
        return [(Fraction(0), Fraction(1))]
    cuts = [Fraction(k, parts) for k in range(parts + 1)]
    bounds.jets(cuts)
    best = max(range(parts + 1), key=lambda k: bounds.centre(cuts[k]))
    if 0 < best < parts:  # an interior maximum: halve the two pieces beside it
        cuts[best : best + 1] = [
            (cuts[best - 1] + cuts[best]) / 2,
            cuts[best],
            (cuts[best] + cuts[best + 1]) / 2,
        ]
        bounds.jets(cuts)
    return list(itertools.pairwise(cuts))


#: Pieces split in one round of branch and bound (their new points and children go in stacked passes).
_ROUND = 16
#: Pieces of the first split of a large problem (``BarrierBounds.large``); later splits halve.
_FIRST_SPLIT = 16


def _entry(piece: PieceBound) -> tuple[Fraction, ...]:
    """A heap entry: the largest claim first (ties: the wider piece first)."""
    return (-piece.claim, piece.t0 - piece.t1, piece.t0, piece.t1, piece.own)
