"""Align two networks: an exact group element ``g`` with ``g(B)`` close to ``A``, and its invariance proof.

Float64 finds the candidate (:mod:`symcert.numeric.matching`: weight matching as in
Ainsworth et al. 2023, or activation matching over data), with sign flips
wherever the activation makes them symmetries (odd: ``flip``; even: ``flip_in``;
sigmoid with biases: ``flip`` with its bias shift). The element returned is exact
(flips, then one permutation per hidden layer), ``g(B)`` is computed exactly, and
:func:`~symcert.proofs.invariance.prove_invariance` proves, factor by factor,
that ``g`` leaves the network (or a loss) unchanged, so ``g(B)`` computes the same
function as ``B``. The assignment is a local optimum of the matching objective,
not a certified global one; barriers are certified separately.

>>> from symcert import MLP, product, permutation, flip
>>> net = MLP((2, 3, 1), "tanh")
>>> A = net.random_point(1, denominator=97)
>>> B = product(flip(1, 2), permutation(1, (1, 2, 0)))(A)
>>> result = align(A, B)
>>> result.aligned == A, result.proof.status
(True, 'proved')
>>> print(result.element)
flip:1:1;perm:1:2,0,1
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from symcert.errors import SpecificationError
from symcert.numeric.matching import (
    Matching,
    activation_matching,
    apply_matching,
    centre_biases,
    objective,
    pre_activations,
    weight_matching,
)
from symcert.proofs.invariance import Proof, prove_invariance
from symcert.proofs.structural import prove_signed_permutation
from symcert.symbolic.data import Dataset
from symcert.symbolic.elements import GroupElement, flip, flip_in
from symcert.symbolic.group import SymmetryGroup
from symcert.symbolic.losses import Loss
from symcert.symbolic.network import MLP
from symcert.symbolic.permutations import Product, permutation, product
from symcert.symbolic.point import Point

__all__ = ["Alignment", "BarrierEstimates", "align"]

METHODS = ("weights", "activations")


@dataclass(frozen=True)
class BarrierEstimates:
    """Float64 estimates of the loss barrier on a grid of ``points`` values of t: evidence, not certified.

    ``sup_t L((1-t)A + tB) - ((1-t)L(A) + tL(B))`` sampled at ``t = k/(points-1)``,
    before (``A`` to ``B``) and after alignment (``A`` to ``g(B)``).
    """

    before: float
    after: float
    points: int


@dataclass(frozen=True)
class Alignment:
    """What :func:`align` found.

    ``element`` is an exact group element and ``aligned = element(B)`` is exact;
    ``proof`` proves that ``element`` leaves the target (by default the network's
    logits, whose equality gives equal outputs; or the output, or a loss)
    unchanged, so ``aligned`` computes the same function as ``B``.
    ``objective_before``/``objective_after`` are the float64 matching objective
    (weights: ``<A, B>`` and ``<A, g(B)>`` over weights and biases, with the biases
    after a sigmoid layer centred; activations: the sum over hidden layers of the
    matched inner products of pre-activations, averaged over the data); ``history``
    is its value at the identity, at the start and after each sweep (it never
    decreases), ``iterations`` the sweeps. The assignment is a local optimum of this
    objective, nothing more. ``barrier_before`` and ``barrier_after`` hold the
    certified barriers ``B(A, B)`` and ``B(A, g(B))`` once a barrier certifier fills
    them (:meth:`with_barriers`); :func:`align` leaves them None.
    """

    A: Point
    B: Point
    element: Product
    aligned: Point
    method: str
    objective_before: float
    objective_after: float
    history: tuple[float, ...]
    iterations: int
    converged: bool
    proof: Proof | None
    barrier_before: Any = None
    barrier_after: Any = None

    @property
    def distance_before(self) -> float:
        """``||A - B||`` in float64 (Euclidean, over all parameters)."""
        return _distance(self.A, self.B)

    @property
    def distance_after(self) -> float:
        """``||A - g(B)||`` in float64."""
        return _distance(self.A, self.aligned)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (stable keys; the aligned point's exact values as ``{"W1": ...}``)."""
        return {
            "element": str(self.element),
            "method": self.method,
            "objective_before": self.objective_before,
            "objective_after": self.objective_after,
            "history": list(self.history),
            "iterations": self.iterations,
            "converged": self.converged,
            "distance_before": self.distance_before,
            "distance_after": self.distance_after,
            "proof": None if self.proof is None else self.proof.status,
            "aligned": self.aligned.arrays(),
        }

    def with_barriers(self, before: Any, after: Any) -> Alignment:
        """A copy holding certified barriers (to be called by a barrier certifier, never with floats)."""
        return replace(self, barrier_before=before, barrier_after=after)

    def certify_barriers(self, loss: Loss, **options: Any) -> Alignment:
        """A copy holding the certified barriers ``B(A, B)`` and ``B(A, g(B))`` (``certify_barrier``).

        ``options`` go to ``certify_barrier`` (``tol``, ``form``, ``max_pieces``, ``max_seconds``).
        When ``g(B) == A`` exactly the aligned barrier is exactly 0 (the path is constant).
        """
        from symcert.proofs.barrier import certify_barrier

        before = certify_barrier(loss, self.A, self.B, **options)
        after = certify_barrier(loss, self.A, self.aligned, **options)
        return self.with_barriers(before, after)

    def estimate_barriers(self, loss: Loss, points: int = 25) -> BarrierEstimates:
        """Float64 barrier estimates on a grid of ``points`` values of t (evidence, not certified)."""
        from symcert.numeric.floats import FloatLoss

        if not isinstance(loss, Loss) or loss.mlp != self.A.mlp:
            raise SpecificationError(f"expected a Loss of the {self.A.mlp.describe()}, got {loss!r}")
        if isinstance(points, bool) or not isinstance(points, int) or points < 2:
            raise SpecificationError(f"points must be an integer >= 2, got {points!r}")
        compiled = FloatLoss(loss)
        a = _floats(self.A)

        def estimate(b: np.ndarray) -> float:
            ends = compiled.value(a), compiled.value(b)
            return max(
                compiled.value((1 - t) * a + t * b) - ((1 - t) * ends[0] + t * ends[1])
                for t in map(float, np.linspace(0.0, 1.0, points))
            )

        return BarrierEstimates(estimate(_floats(self.B)), estimate(_floats(self.aligned)), points)


def align(
    A: Point,
    B: Point,
    *,
    data: Dataset | Any = None,
    method: str | None = None,
    max_iter: int = 100,
    seed: int = 0,
    init: str = "forward",
    target: MLP | Loss | None = None,
    prove: bool = True,
) -> Alignment:
    """Find an exact group element ``g`` with ``g(B)`` close to ``A``, and prove it a symmetry.

    ``method`` is ``"weights"`` (weight matching; the default without data) or
    ``"activations"`` (least-squares fit of pre-activations over ``data``, a
    :class:`Dataset` or an array of inputs of shape ``(n_points, input width)``;
    the default with data). Sign flips are used where the activation makes them
    symmetries; for ReLU only permutations. ``max_iter`` caps the sweeps of
    coordinate descent, whose layer order is drawn from ``seed``; it starts from a
    pass over the layers from the input (``init="forward"``, each layer matched on
    its incoming weights) or from the identity (``init="identity"``, as Ainsworth et
    al.). ``target`` is what the proof is about: the network (its output for every
    input), a :class:`Loss` on it, or by default the network's logits (the same
    network with the identity as output activation: equal logits give equal
    outputs whatever the output activation, and the closed form of a softmax
    output is much larger). ``prove=False`` skips the symbolic proof (large networks).
    The result is a local optimum of the matching objective.
    """
    mlp = _check_points(A, B)
    method = _check_method(method, data)
    target = _logits(mlp) if target is None else target
    if not (target in (mlp, _logits(mlp)) or (isinstance(target, Loss) and target.mlp == mlp)):
        raise SpecificationError(
            f"target must be the points' network {mlp.describe()} or a Loss on it, got {target!r}"
        )
    if init not in ("forward", "identity"):
        raise SpecificationError(f"init must be 'forward' or 'identity', got {init!r}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter < 1:
        raise SpecificationError(f"max_iter must be a positive integer, got {max_iter!r}")
    kinds = [layer.sign_kind for layer in SymmetryGroup.of(mlp).layers]
    centre = mlp.activation.complement and any(mlp.biases[1:])  # the biases a sigmoid flip shifts
    a, b = _layers(A), _layers(B)
    if method == "weights":
        if centre:
            a, b = centre_biases(a), centre_biases(b)
        found = weight_matching(a, b, kinds, max_iter=max_iter, seed=seed, init=init)
    else:
        xs = _inputs(data, mlp)
        act = mlp.activation
        ties = (centre_biases(a), centre_biases(b)) if centre else (a, b)  # weights break data ties
        found = activation_matching(pre_activations(a, xs, act), pre_activations(b, xs, act), kinds, ties)
    element = _element(found, kinds)
    aligned = element(B)
    after = found.history[-1]
    if method == "weights":  # the exact image, read back in float64, must give the objective found
        moved = _layers(aligned)
        after = objective(a, centre_biases(moved) if centre else moved)
        expected = apply_matching(b, found.sources, found.signs, kinds)
        if abs(after - objective(a, expected)) > 1e-9 * max(1.0, abs(after)):
            raise RuntimeError(f"internal error: the exact image under {element} does not match the matching")
    proof = None
    if prove:  # on the network function the structural argument is exact and costs no data
        proof = (
            prove_invariance(target, element)
            if isinstance(target, Loss)
            else prove_signed_permutation(target, element)
        )
    return Alignment(
        A,
        B,
        element,
        aligned,
        method,
        found.history[0],
        after,
        found.history,
        found.iterations,
        found.converged,
        proof,
    )


def _logits(mlp: MLP) -> MLP:
    """The network with the identity as output activation (its outputs are the logits)."""
    if mlp.output_activation.name == "identity":
        return mlp
    return MLP(mlp.widths, mlp.activation, bias=mlp.biases)


def _element(found: Matching, kinds: list[str | None]) -> Product:
    """Flips (at B's unit indices) first, then one permutation per hidden layer."""
    flips: list[GroupElement] = []
    perms: list[GroupElement] = []
    for l, (source, signs, kind) in enumerate(zip(found.sources, found.signs, kinds), start=1):
        make = {"flip": flip, "flip_in": flip_in}.get(kind or "")
        for i in np.flatnonzero(signs < 0):
            assert make is not None, "a sign was chosen where none is a symmetry"
            flips.append(make(l, int(source[i])))
        if np.any(source != np.arange(len(source))):
            perms.append(permutation(l, [int(s) for s in source]))
    return product(*flips, *perms)


def _check_points(A: object, B: object) -> MLP:
    for name, value in (("A", A), ("B", B)):
        if not isinstance(value, Point):
            raise SpecificationError(
                f"align needs two Points of the same network, got {type(value).__name__} for {name}; "
                "build them with MLP.point(...)"
            )
    assert isinstance(A, Point) and isinstance(B, Point)  # checked just above
    if A.mlp != B.mlp:
        raise SpecificationError(
            f"align needs two points of the same network, got the {A.mlp.describe()} "
            f"and the {B.mlp.describe()}"
        )
    return A.mlp


def _check_method(method: str | None, data: Any) -> str:
    method = method if method is not None else ("weights" if data is None else "activations")
    if method not in METHODS:
        raise SpecificationError(f"method must be 'weights' or 'activations', got {method!r}")
    if method == "activations" and data is None:
        raise SpecificationError(
            "activation matching needs data: pass data=Dataset or an array of inputs, or method='weights'"
        )
    return method


def _inputs(data: Any, mlp: MLP) -> np.ndarray:
    raw = [[float(v) for v in x] for x in data.xs] if isinstance(data, Dataset) else data
    try:
        xs = np.asarray(raw, dtype=float)
    except (TypeError, ValueError):
        raise SpecificationError(
            f"data must be a Dataset or numbers of shape (n_points, {mlp.widths[0]}), "
            f"got {type(data).__name__}"
        ) from None
    if xs.ndim != 2 or xs.shape[1] != mlp.widths[0] or xs.shape[0] < 2:
        raise SpecificationError(
            f"data must have shape (n_points, {mlp.widths[0]}) with at least 2 points for the "
            f"{mlp.describe()}, got shape {xs.shape}"
        )
    if not np.all(np.isfinite(xs)):
        raise SpecificationError("data must be finite, got NaN or infinity")
    return xs


def _floats(point: Point) -> np.ndarray:
    """The values in float64 (Python's int division is correctly rounded, and much faster than float())."""
    try:
        return np.array([v.p / v.q for v in point.values])
    except OverflowError:
        raise SpecificationError(
            "a parameter is too large for float64 matching; rescale the networks"
        ) from None


def _layers(point: Point) -> list[tuple[np.ndarray, np.ndarray | None]]:
    mlp, flat = point.mlp, _floats(point)
    out, position = [], 0
    for l in range(1, mlp.depth + 1):
        rows, cols = mlp.widths[l], mlp.widths[l - 1]
        w = flat[position : position + rows * cols].reshape(rows, cols)
        position += rows * cols
        b = None
        if mlp.has_bias(l):
            b, position = flat[position : position + rows], position + rows
        out.append((w, b))
    return out


def _distance(A: Point, B: Point) -> float:
    return float(np.linalg.norm(_floats(A) - _floats(B)))
