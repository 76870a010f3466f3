"""The witness for a trained network: screen every swap (and sign flip) in float64, certify the best.

For a symmetry ``g`` of the loss, ``B = g(A)`` has ``L(B) = L(A)``, so the chord
certificate's margin is ``L((A + B)/2) - L(A)``. Swapping hidden units ``i, j`` of a
layer changes only their rows and columns, and the midpoint averages them: the two
units both compute ``s((z_i + z_j)/2)`` and feed ``(w_i + w_j)/2`` forward. A sign
flip of unit ``i`` (odd activations) zeroes it at the midpoint. The screen evaluates
these margins for all pairs in batched float64 (evidence only), then the best
candidates are certified rigorously by :func:`~symcert.proofs.nonconvexity.certify_nonconvexity`;
if none is proved, :func:`~symcert.proofs.witness.search_witness` looks near ``A``.

>>> import numpy as np
>>> from symcert import Dataset, Loss
>>> from symcert.models import network_from_arrays
>>> net, A = network_from_arrays([np.array([[1.0], [-0.5]]), np.array([[1.0, 2.0]])],
...                              [np.array([0.0, 0.25]), np.array([0.0])], "tanh")
>>> loss = Loss(net, Dataset([[1], [-1], [2]], [[0], [1], [0]]), "mse")
>>> [str(c.element) for c in screen(loss, A)][:1]
['swap:1:0,1']
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from symcert.proofs.certificates import Certificate
from symcert.proofs.nonconvexity import certify_nonconvexity
from symcert.proofs.witness import search_witness
from symcert.symbolic.group import GroupElement, flip, swap
from symcert.symbolic.losses import Loss
from symcert.symbolic.point import Point

__all__ = ["Candidate", "WitnessChoice", "screen", "best_witness"]


@dataclass(frozen=True)
class Candidate:
    """A group element and its float64 estimate of the chord margin ``L(mid) - L(A)``."""

    element: GroupElement
    margin: float


@dataclass(frozen=True)
class WitnessChoice:
    """The outcome: the certificate (or None), the elements screened and what was tried."""

    certificate: Certificate | None
    screened: int
    tried: tuple[Candidate, ...]
    message: str


def _activation(act: Any) -> Callable[[np.ndarray], np.ndarray]:
    return act.float64


def _floats(point: Point) -> list[tuple[np.ndarray, np.ndarray | None]]:
    from symcert.numeric.engine.layout import point_layout

    out = []
    for layer in point_layout(point).layers:
        W = np.array([float(v) for v in layer.W.num.ravel()]).reshape(layer.W.num.shape) / layer.W.den
        b = None if layer.b is None else np.array([float(v) for v in layer.b.num]) / layer.b.den
        out.append((W, b))
    return out


def _exact_float(x: Any, den: int) -> np.ndarray:
    return np.array([float(v) for v in x.ravel()]).reshape(x.shape) / den


def _loss_of_outputs(loss: Loss, Z: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Float loss (without decay) from output pre-activations ``Z`` (``... x N x m``)."""
    value, _ = loss.function.float64(Z, Y, loss.mlp.output_activation.name)
    return float(loss.scale) * value


def screen(
    loss: Loss,
    A: Point,
    chunk: int = 64,
    progress: Callable[[int, int | None, str], None] | None = None,
) -> list[Candidate]:
    """Every swap of two hidden units (and every sign flip, for odd activations), best margin first.

    Float64 only: a ranking, not a proof. ``progress(screened, candidates, note)``, when given, is
    called after each batch of candidates.
    """
    from symcert.numeric.engine.layout import data_layout

    mlp = loss.mlp
    sigma = _activation(mlp.activation)
    layers = _floats(A)
    dl = data_layout(loss.data)
    X = _exact_float(dl.X.num, dl.X.den)
    if dl.Y is None:
        raise NotImplementedError("screening teacher data sets is not supported; use certify_nonconvexity")
    Y = _exact_float(dl.Y.num, dl.Y.den)
    decay = float(loss.weight_decay)
    Zs, H = [], X
    for W, b in layers:
        Z = H @ W.T + (0 if b is None else b)
        Zs.append(Z)
        H = sigma(Z)
    base = float(_loss_of_outputs(loss, Zs[-1], Y))

    def finish(Z_next: np.ndarray, l: int) -> np.ndarray:
        for W, b in layers[l + 2 :]:
            Z_next = sigma(Z_next) @ W.T + (0 if b is None else b)
        return _loss_of_outputs(loss, Z_next, Y)

    widths = [W.shape[0] for W, _ in layers[:-1]]
    total = sum(h * (h - 1) // 2 + (h if mlp.activation.odd else 0) for h in widths)
    tell = progress or (lambda _done, _total, _note: None)
    found: list[Candidate] = []
    tell(0, total, "")
    for l in range(len(layers) - 1):  # hidden layer l + 1
        W, b = layers[l]
        V = layers[l + 1][0]
        Z, Hl, Znext = Zs[l], sigma(Zs[l]), Zs[l + 1]
        h = W.shape[0]
        pairs = [(i, j) for i in range(h) for j in range(i + 1, h)]
        for start in range(0, len(pairs), chunk):
            part = np.array(pairs[start : start + chunk])
            i, j = part[:, 0], part[:, 1]
            mid = sigma((Z[:, i] + Z[:, j]) / 2).T[:, :, None]  # pairs x N x 1
            wi, wj = V[:, i].T[:, None, :], V[:, j].T[:, None, :]  # pairs x 1 x m
            Zp = Znext[None] - Hl[:, i].T[:, :, None] * wi - Hl[:, j].T[:, :, None] * wj + mid * (wi + wj)
            values = finish(Zp, l)
            if decay:
                values = values - decay * (
                    ((W[i] - W[j]) ** 2).sum(axis=1) / 2 + ((V[:, i] - V[:, j]) ** 2).sum(axis=0) / 2
                )
            found += [
                Candidate(swap(l + 1, int(a), int(c)), float(v) - base) for (a, c), v in zip(part, values)
            ]
            tell(len(found), total, f"layer {l + 1}")
        if mlp.activation.odd:
            for unit in range(h):
                Zp = Znext - np.outer(Hl[:, unit], V[:, unit])
                value = float(finish(Zp, l))
                if decay:
                    value -= decay * ((W[unit] ** 2).sum() + (V[:, unit] ** 2).sum())
                found.append(Candidate(flip(l + 1, unit), value - base))
            tell(len(found), total, f"layer {l + 1}")
    found.sort(key=lambda c: -c.margin)
    return found


def best_witness(
    loss: Loss,
    A: Point,
    *,
    kind: str = "chord",
    dps: int = 50,
    attempts: int = 3,
    progress: Callable[[str], None] | None = None,
    screening: Callable[[int, int | None, str], None] | None = None,
    digits: int | None = None,
) -> WitnessChoice:
    """Screen, then certify the best candidates rigorously; fall back to ``search_witness``.

    ``progress(text)`` receives a line per step; ``screening`` is :func:`screen`'s ``progress``;
    ``digits`` is :func:`~symcert.proofs.nonconvexity.certify_nonconvexity`'s.
    """
    say = progress or (lambda _text: None)
    start = time.perf_counter()
    candidates = screen(loss, A, progress=screening)
    say(f"screened {len(candidates)} symmetries in float64 ({time.perf_counter() - start:.1f} s)")
    tried: list[Candidate] = []
    for candidate in candidates[:attempts]:
        if candidate.margin <= 0 and tried:
            break
        say(f"certifying {kind} for {candidate.element} (float margin {candidate.margin:.3g}) ...")
        certificate = certify_nonconvexity(
            loss, A, element=candidate.element, kind=kind, dps=dps, digits=digits
        )
        tried.append(candidate)
        say(f"{certificate.status} ({time.perf_counter() - start:.1f} s)")
        if certificate.proved:
            message = _chosen(candidate, len(candidates))
            return WitnessChoice(certificate, len(candidates), tuple(tried), message)
    say("no screened symmetry proved it; searching for a witness near A ...")
    result = search_witness(loss, dps=dps)
    note = refuted_note(kind, [c.element for c in tried])
    return WitnessChoice(result.certificate, len(candidates), tuple(tried), f"{note}\n{result.message}")


def _chosen(candidate: Candidate, screened: int) -> str:
    return (
        f"Witness: {candidate.element}, the best of {screened} symmetries screened in float64 "
        f"(estimated margin L(mid) - L(A) = {candidate.margin:.6g}), certified rigorously."
    )


def refuted_note(kind: str, elements: list[GroupElement]) -> str:
    """What a refuted witness means, and what to try next."""
    shown = ", ".join(map(str, elements)) or "the given element"
    return (
        f"The {kind} inequality is refuted at {shown}: this witness does not show non-convexity, and it "
        "does not show convexity either (another pair, another point or another kind may still work). "
        "Try: omit --element to screen every swap, --kind curvature or hessian, or a point off the minimum."
    )
