"""Float64 matching of hidden units between two networks: candidates for alignment, never proof.

A network is a list of layers ``(W, b)`` (float arrays, ``b`` None without
biases). Each hidden layer ``l`` gets a signed permutation ``(source, signs)``:
unit ``i`` of the aligned network is ``signs[i]`` times unit ``source[i]`` of B.
``kinds[l]`` says which sign acts: ``"flip"`` (the unit's row, bias and outgoing
column; odd activations, and the sigmoid once its next biases are centred, see
:func:`centre_biases`), ``"flip_in"`` (row and bias only; even activations) or
None (permutations only). Every such map is orthogonal on the parameters, so
maximising ``<A, g(B)>`` minimises ``||A - g(B)||`` over the candidates.

Weight matching (Ainsworth et al. 2023) solves one linear assignment per hidden
layer (:func:`scipy.optimize.linear_sum_assignment`) with the other layers fixed,
in coordinate descent over the layers in a seeded random order, until a sweep
no longer improves the objective: a local optimum. For each pair ``(i, j)`` the
better of the two signs is taken, when a sign acts. Activation matching pairs
units by the inner products of their pre-activations over data, on which every
sign element acts as a sign (the least-squares fit, as in their activation matching).

>>> rng = np.random.default_rng(0)
>>> A = [(rng.normal(size=(4, 2)), rng.normal(size=4)), (rng.normal(size=(1, 4)), rng.normal(size=1))]
>>> source, signs = np.array([2, 0, 3, 1]), np.array([1.0, -1.0, -1.0, 1.0])
>>> B = [(A[0][0][source] * signs[:, None], A[0][1][source] * signs), (A[1][0][:, source] * signs, A[1][1])]
>>> found = weight_matching(A, B, ["flip"], seed=0)
>>> [int(i) for i in np.argsort(found.sources[0])] == list(source), found.converged
(True, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from symcert.symbolic.activations import Activation

__all__ = [
    "Matching",
    "weight_matching",
    "activation_matching",
    "apply_matching",
    "centre_biases",
    "objective",
    "pre_activations",
]

Layers = Sequence[tuple[np.ndarray, np.ndarray | None]]


@dataclass(frozen=True)
class Matching:
    """Signed permutations per hidden layer and the objective's history (one value per sweep)."""

    sources: tuple[np.ndarray, ...]
    signs: tuple[np.ndarray, ...]
    history: tuple[float, ...]
    iterations: int
    converged: bool


def centre_biases(layers: Layers) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """Replace ``b_l`` by ``b_l + W_l 1/2`` after every hidden layer (sigmoid coordinates).

    With ``s(u) = 1/2 + tanh(u/2)/2``, ``W s(u) + b = (W/2) tanh(u/2) + (b + W 1/2)``: in
    these coordinates a sigmoid flip (row, bias and column negated, ``b += column``)
    negates the row, bias and column and leaves the centred bias unchanged.
    """
    out = [layers[0]]
    for w, b in layers[1:]:
        out.append((w, None if b is None else b + 0.5 * w.sum(axis=1)))
    return out


def apply_matching(
    layers: Layers, sources: Sequence[np.ndarray], signs: Sequence[np.ndarray], kinds: Sequence[str | None]
) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """The layers of B moved by the signed permutations (in centred coordinates for the sigmoid)."""
    out = []
    hidden = len(layers) - 1
    for l, (w, b) in enumerate(layers):
        if l < hidden:
            w, b = w[sources[l]] * signs[l][:, None], None if b is None else b[sources[l]] * signs[l]
        if l > 0:
            column = signs[l - 1] if kinds[l - 1] == "flip" else 1.0
            w = w[:, sources[l - 1]] * column
        out.append((w, b))
    return out


def objective(a: Layers, b: Layers) -> float:
    """The matching objective ``<A, B>``: the sum over layers of ``<W_A, W_B> + <b_A, b_B>``."""
    total = 0.0
    for (wa, ba), (wb, bb) in zip(a, b):
        total += float(np.vdot(wa, wb)) + (0.0 if ba is None or bb is None else float(np.dot(ba, bb)))
    return total


def _best_signs(plus: np.ndarray, minus: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    if minus is None:
        return plus, np.ones_like(plus)
    return np.maximum(plus, minus), np.where(minus > plus, -1.0, 1.0)


def _assign(score: np.ndarray, sign: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from scipy.optimize import linear_sum_assignment  # 0.6 s to import: only when aligning

    rows, cols = linear_sum_assignment(score, maximize=True)
    return cols, sign[rows, cols]


def weight_matching(
    a: Layers,
    b: Layers,
    kinds: Sequence[str | None],
    *,
    max_iter: int = 100,
    seed: int = 0,
    init: str = "forward",
) -> Matching:
    """Coordinate descent over hidden layers on ``<A, g(B)>`` (weights and biases), seeded.

    ``init="identity"`` starts from the identity, as Ainsworth et al. do;
    ``init="forward"`` (default) first assigns the layers in order from the
    input, each on its incoming weights and biases given the layers before it
    (which recovers ``g`` exactly when ``B = g(A)`` and the units of each layer of ``A``
    have distinct incoming weights and biases, up to the sign that acts),
    and keeps that start only if it beats the identity. A layer's new assignment is
    kept only if the objective does not decrease, so the history (the objective at
    the identity, after the start, then after each sweep) never decreases; it stops
    after a sweep without improvement or ``max_iter`` sweeps.
    """
    if init not in ("forward", "identity"):
        raise ValueError(f"init must be 'forward' or 'identity', got {init!r}")
    hidden = len(a) - 1
    sources = [np.arange(a[l][0].shape[0]) for l in range(hidden)]
    signs = [np.ones(a[l][0].shape[0]) for l in range(hidden)]
    rng = np.random.default_rng(seed)
    current = objective(a, apply_matching(b, sources, signs, kinds))
    history = [current]
    if init == "forward":
        trial_sources, trial_signs = list(sources), list(signs)
        for l in range(hidden):
            trial_sources[l], trial_signs[l] = _solve_layer(a, b, trial_sources, trial_signs, kinds, l, False)
        value = objective(a, apply_matching(b, trial_sources, trial_signs, kinds))
        if value >= current:
            sources, signs, current = trial_sources, trial_signs, value
    history.append(current)
    converged, sweeps = hidden == 0, 0
    while not converged and sweeps < max_iter:
        sweeps += 1
        start = current
        for l in rng.permutation(hidden):
            candidate = _solve_layer(a, b, sources, signs, kinds, int(l))
            trial_sources, trial_signs = list(sources), list(signs)
            trial_sources[l], trial_signs[l] = candidate
            value = objective(a, apply_matching(b, trial_sources, trial_signs, kinds))
            if value >= current:
                sources, signs, current = trial_sources, trial_signs, value
        history.append(current)
        converged = current <= start + 1e-12 * max(1.0, abs(start))
    return Matching(tuple(sources), tuple(signs), tuple(history), sweeps, converged)


def _solve_layer(a, b, sources, signs, kinds, l, outgoing=True):
    return _assign(*_best_signs(*_layer_scores(a, b, sources, signs, kinds, l, outgoing)))


def _layer_scores(a, b, sources, signs, kinds, l, outgoing=True):
    """Weight similarity of layer ``l``'s units (unsigned, and signed when a sign acts)."""
    (wa, ba), (wb, bb) = a[l], b[l]
    if l > 0:
        column = signs[l - 1] if kinds[l - 1] == "flip" else 1.0
        wb = wb[:, sources[l - 1]] * column
    inward = wa @ wb.T + (0.0 if ba is None else np.outer(ba, bb))
    wa_next, wb_next = a[l + 1][0], b[l + 1][0]
    if l + 1 < len(a) - 1:
        wb_next = wb_next[sources[l + 1]] * signs[l + 1][:, None]
    outward = wa_next.T @ wb_next if outgoing else np.zeros_like(inward)
    kind = kinds[l]
    minus = {"flip": -(inward + outward), "flip_in": outward - inward}.get(kind) if kind else None
    return inward + outward, minus


def pre_activations(layers: Layers, xs: np.ndarray, activation: Activation) -> list[np.ndarray]:
    """The pre-activations ``z_l`` of every hidden layer over the inputs ``xs`` (float64)."""
    out, a = [], xs
    for w, b in layers[:-1]:
        z = a @ w.T + (0.0 if b is None else b)
        out.append(z)
        a = activation.float64(z)
    return out


def activation_matching(
    za: Sequence[np.ndarray],
    zb: Sequence[np.ndarray],
    kinds: Sequence[str | None],
    weights: tuple[Layers, Layers] | None = None,
) -> Matching:
    """Pair units layer by layer by the least-squares fit of their pre-activations over the data.

    As in Ainsworth et al. (2023, activation matching), each layer maximises
    ``<Z_A, Z_B P^T>``, that is minimises ``||Z_A - Z_B P^T||^2``, but on
    pre-activations, where every sign element acts as a sign (the better of
    ``+-<z_i, z_j>`` per pair). Layers are independent: one assignment each. The
    objective is the sum over hidden layers of the matched inner products, divided
    by the number of points: before (unit ``i`` with ``i``) and after.

    The data cannot tell apart units whose pre-activations coincide on it (a unit
    with zero incoming weights is the same with either sign). Given ``weights``
    (the layers of A and B), such ties are broken by the weights: a second pass
    adds the weight similarity, scaled far below the activation scores' spread.
    """
    grams = [a.T @ b / a.shape[0] for a, b in zip(za, zb)]
    sources, signs = _assign_layers(grams, kinds)
    if weights is not None:
        a_layers, b_layers = weights
        tied = []
        for l, gram in enumerate(grams):
            plus_w, minus_w = _layer_scores(a_layers, b_layers, sources, signs, kinds, l)
            size = max(float(np.max(np.abs(plus_w))), 1e-300)
            eps = 1e-9 * max(float(np.max(np.abs(gram))), 1e-300) / size
            tied.append((gram + eps * plus_w, None if minus_w is None else -gram + eps * minus_w))
        sources, signs = _assign_layers(tied, kinds)
    before = sum(float(np.trace(gram)) for gram in grams)
    after = sum(
        float(np.sum(chosen * gram[np.arange(len(source)), source]))
        for gram, source, chosen in zip(grams, sources, signs)
    )
    return Matching(tuple(sources), tuple(signs), (before, after), 1, True)


def _assign_layers(scores, kinds):
    """One assignment per layer; ``scores[l]`` is a Gram matrix or a pair (unsigned, signed)."""
    sources, signs = [], []
    for l, score in enumerate(scores):
        plus, minus = score if isinstance(score, tuple) else (score, -score if kinds[l] else None)
        source, chosen = _assign(*_best_signs(plus, minus if kinds[l] else None))
        sources.append(source)
        signs.append(chosen)
    return sources, signs
