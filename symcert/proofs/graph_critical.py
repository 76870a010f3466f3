r"""A unique critical point of a layer graph's loss in a small box (Krawczyk), from the graph's jets.

:func:`certify_graph_critical_point` refines an approximation by Newton's method in float64 (the
gradient and Hessian from :func:`~symcert.numeric.graph.hessian.float_gradient_hessian`; evidence),
takes the final float vector ``c`` as the exact centre of the box ``X = c + [-r, r]^n`` over the
trainable parameters (:func:`~symcert.numeric.graph.hessian.trainable`: all but a batch norm's
running statistics, which stay fixed), and runs Krawczyk's test (:mod:`symcert.numeric.krawczyk`)
with a rigorous enclosure of ``grad L(c)`` and of the Hessian over ``X``
(:func:`~symcert.numeric.graph.hessian.hessian_enclosure`: second-order jets with the parameters as
boxes, polarisation), verified float64 first, then Arb for small graphs. ``K(X)`` inside ``X``
proves that ``grad L`` has exactly one zero in ``X``: "proved". Only smooth layers: ReLU, leaky ReLU
and max pooling are refused in one line (a kink has no Hessian). A singular Hessian at ``c`` gives
"not isolated"; a point Newton cannot bring near a critical point is refused.

>>> from symcert.numeric.graph import GraphLoss
>>> from symcert.symbolic.graph import Activation, Dense, Graph, Node
>>> g = Graph((1,), [Node("fc1", Dense(1)), Node("t", Activation("tanh")), Node("fc2", Dense(1))])
>>> loss = GraphLoss(g, [[-2], [-1], [0], [1], [2], [3]], [[-1], [-1], [0], [1], [2], [2]], "mse")
>>> approx = {"fc1.weight": [[0.798]], "fc1.bias": [-0.399], "fc2.weight": [[1.633]], "fc2.bias": [0.5]}
>>> found = certify_graph_critical_point(loss, approx, max_move=None)
>>> found.status, found.radius < 2**-20, found.to_dict()["kind"]
('proved', True, 'unique_critical_point')
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from symcert.errors import SpecificationError
from symcert.numeric.engine.backends import ArbBackend, F64Backend
from symcert.numeric.graph import GraphLoss
from symcert.numeric.graph.hessian import (
    Coordinate,
    coordinates,
    flat_values,
    float_gradient,
    float_gradient_hessian,
    gradient_enclosure,
    hessian_enclosure,
    trainable,
    with_values,
)
from symcert.numeric.graph.jets import refuse_unsupported
from symcert.numeric.krawczyk import approximate_inverse, krawczyk_margin
from symcert.proofs.kinds.unique_critical_point import KIND
from symcert.symbolic.exact import format_rational
from symcert.symbolic.graph import Activation, graph_to_dict, params_to_dict

__all__ = ["GraphCriticalPoint", "certify_graph_critical_point", "KINK_REFUSAL", "MAX_PARAMETERS"]

#: Newton may move the approximation by at most this (relative to ``1 + |x|_inf``).
MOVE_TOLERANCE = 1e-2
#: Relative size of the smallest Hessian eigenvalue below which the point is "not isolated".
NOT_ISOLATED = 1e-9
#: Most coordinates (n (n + 1) / 2 jets per Hessian), and most for the Arb rung.
MAX_PARAMETERS, ARB_PARAMETERS = 400, 40
#: The one-line refusal of a kink.
KINK_REFUSAL = (
    "a unique critical point needs a smooth loss: {what} has a kink where the Hessian does not exist; "
    "use a smooth activation (tanh, sigmoid, softplus) and average pooling"
)


@dataclass(frozen=True)
class GraphCriticalPoint:
    """The outcome of :func:`certify_graph_critical_point`.

    ``status``: "proved" (``grad L`` has exactly one zero in ``center + [-radius, radius]`` on every
    coordinate of ``variables``), "not isolated" or "undecided"; ``margin`` the Krawczyk margin (an exact
    upper bound, negative when proved); ``eigenvalues`` float64 evidence of the Hessian at the centre;
    ``moved``: how far Newton moved the approximation (largest coordinate change).
    """

    status: str
    loss: GraphLoss
    center: dict[str, np.ndarray]
    variables: tuple[str, ...]
    radius: Fraction
    margin: Fraction | None
    rung: str
    newton_steps: int
    gradient_norm: float
    eigenvalues: tuple[float, ...]
    moved: float
    notes: tuple[str, ...] = field(default=())
    kind: str = "unique_critical_point"
    dps: int = 30

    @property
    def proved(self) -> bool:
        return self.status == "proved"

    @property
    def claim(self) -> str:
        return KIND.claim

    @property
    def enclosures(self) -> dict[str, tuple[Fraction, Fraction]]:
        """``margin`` in ``[-r, 0]`` when proved (the claim; the checker recomputes it), else nothing."""
        return {"margin": (-self.radius, Fraction(0))} if self.proved else {}

    def describe(self) -> str:
        """One line for people."""
        n = len(coordinates(self.loss.graph, self.variables))
        if self.proved:
            return (
                f"proved: grad L has exactly one zero in the box centre +- {float(self.radius):.3g} over the "
                f"{n} trainable parameters (Krawczyk, {self.rung}, margin {float(self.margin or 0):.3g}; "
                f"{self.newton_steps} Newton steps, moved {self.moved:.3g})"
            )
        return f"{self.status}: " + (self.notes[-1] if self.notes else "")

    def to_dict(self) -> dict[str, Any]:
        """The certificate as JSON-ready data (exact rationals as strings), the graph under ``network``."""
        from symcert.version import __version__

        loss = self.loss
        record: dict[str, Any] = {"kind": loss.kind, "weight_decay": "0"}
        if loss.factor != 1:
            record["factor"] = str(loss.factor)
        strings = np.vectorize(str, otypes=[object])
        return {
            "schema": "symcert-certificate",
            "version": 1,
            "kind": self.kind,
            "status": self.status,
            "network": {"graph": graph_to_dict(loss.graph), "output_activation": loss.output},
            "loss": record,
            "data": {"xs": strings(loss.X).tolist(), "ys": strings(loss.Y).tolist()},
            "points": {"A": params_to_dict(self.center)},
            "element": None,
            "parameters": {"radius": format_rational(self.radius), "variables": list(self.variables)},
            "claim": KIND.claim_record(),
            "enclosures": {
                k: [format_rational(lo), format_rational(hi)] for k, (lo, hi) in self.enclosures.items()
            },
            "dps": self.dps,
            "notes": list(self.notes),
            "prover": {"name": "symcert", "version": __version__, "rung": self.rung},
        }

    def to_json(self) -> str:
        """The JSON text of :meth:`to_dict`."""
        return json.dumps(self.to_dict(), indent=2) + "\n"


def refuse_kinks(loss: GraphLoss) -> None:
    """One line for a graph with ReLU, leaky ReLU or max pooling (no Hessian at a kink)."""
    refuse_unsupported(loss)  # max pooling
    for node in loss.graph.nodes:
        if isinstance(node.layer, Activation) and node.layer.function.name in ("relu", "leaky_relu"):
            raise SpecificationError(
                KINK_REFUSAL.format(what=f"{node.layer.function.name} (node {node.name})")
            )


def _floats(P: Mapping[str, np.ndarray], coords: list[Coordinate]) -> np.ndarray:
    return np.array([float(v) for v in flat_values(P, coords)])


def _exact_point(
    P: Mapping[str, np.ndarray], coords: list[Coordinate], x: np.ndarray
) -> dict[str, np.ndarray]:
    return with_values(P, coords, [Fraction(float(v)) for v in x])


def _converged(g: np.ndarray, value: float) -> bool:
    return float(np.max(np.abs(g), initial=0.0)) <= 1e-12 * (1.0 + abs(value))


def _newton(
    loss: GraphLoss, P: dict, coords: list[Coordinate], steps: int
) -> tuple[dict, int, float, np.ndarray, float]:
    """Damped Newton (Levenberg-Marquardt) on ``grad L`` in float64: the step solves
    ``(H + mu I) delta = -g``, with ``mu`` raised until the loss decreases (or, once the loss no longer
    moves in float64, ``|grad L|`` does) and lowered after each success; ``mu = 0`` near a nondegenerate
    minimum is Newton's step. It stops at ``|grad L|_inf <= 1e-12 (1 + |L|)``. The Hessian (the costly
    part) is refreshed only when a step contracts ``|grad L|`` less than fourfold, and at the final point
    if that moved by more than ``1e-8 (1 + |x|_inf)`` since (any matrix is sound for Y, a near one works)."""
    x = _floats(P, coords)
    value, g, H = float_gradient_hessian(loss, P, coords)
    used, mu, fresh, at = 0, 0.0, True, x.copy()
    for _ in range(steps):
        if not (np.all(np.isfinite(g)) and np.all(np.isfinite(H))) or _converged(g, value):
            break
        lowest = float(np.min(np.linalg.eigvalsh(0.5 * (H + H.T))))
        mu = max(mu, -1.5 * lowest if lowest <= 0 else 0.0)
        top = 1e-6 * max(1.0, float(np.max(np.abs(H))))
        for _ in range(30):
            delta = -np.linalg.lstsq(H + mu * np.eye(len(x)), g, rcond=1e-13)[0]
            trial = _exact_point(P, coords, x + delta)
            t_value, t_g = float_gradient(loss, trial, coords)
            flat = t_value - value <= 1e-13 * (1.0 + abs(value))  # no increase beyond float64 noise
            smaller = bool(np.linalg.norm(t_g) < np.linalg.norm(g))
            if np.all(np.isfinite(t_g)) and (t_value < value or (flat and smaller)):
                break
            mu = max(4.0 * mu, top)
        else:
            if fresh:
                break
            _, _, H = float_gradient_hessian(loss, P, coords)  # a stale Hessian: refresh it, try again
            fresh, mu, at = True, 0.0, x.copy()
            continue
        slow = bool(np.linalg.norm(t_g) > np.linalg.norm(g) / 4)
        x, P, value, g, used, mu, fresh = x + delta, trial, t_value, t_g, used + 1, mu / 8, False
        if slow and not _converged(g, value):  # little progress from this Hessian: refresh it
            _, _, H = float_gradient_hessian(loss, P, coords)
            fresh, at = True, x.copy()
    if float(np.max(np.abs(x - at), initial=0.0)) > 1e-8 * (1.0 + float(np.max(np.abs(x), initial=0.0))):
        _, _, H = float_gradient_hessian(loss, P, coords)  # Y and the evidence from the final point
    return P, used, float(np.linalg.norm(g)), H, value


def certify_graph_critical_point(
    loss: GraphLoss,
    approx: Mapping[str, Any],
    *,
    radius: Any = None,
    newton_steps: int = 20,
    max_move: float | None = MOVE_TOLERANCE,
) -> GraphCriticalPoint:
    """Prove that ``grad L`` has exactly one zero in a small box near ``approx`` (refined first).

    ``approx`` holds the graph's parameters by name (floats or exact; a model's ``params``). ``radius``
    (exact, optional) fixes the box's half-width; by default it is chosen from the Newton step and
    enlarged until the test decides. ``max_move`` is how far Newton may move the approximation, relative
    to ``1 + |approx|_inf`` (None: any distance; the certified centre is Newton's, ``moved`` says how far).
    """
    refuse_kinks(loss)
    graph = loss.graph
    try:
        floats = {k: np.asarray(v, dtype=float) for k, v in approx.items()}
    except (TypeError, ValueError):
        raise SpecificationError("the approximation's parameters must be numbers") from None
    P0 = graph.check_parameters({k: np.vectorize(Fraction, otypes=[object])(v) for k, v in floats.items()})
    variables = trainable(graph)
    coords = coordinates(graph, variables)
    if len(coords) > MAX_PARAMETERS:
        raise SpecificationError(
            f"the {graph.describe()} has {len(coords)} trainable parameters; a unique critical point is "
            f"certified for at most {MAX_PARAMETERS} (one jet per pair of them)"
        )
    x0 = _floats(P0, coords)
    P, steps, gnorm, H, value = _newton(loss, P0, coords, newton_steps)
    x = _floats(P, coords)
    moved = float(np.max(np.abs(x - x0), initial=0.0))
    scale = 1.0 + float(np.max(np.abs(x0), initial=0.0))
    if gnorm > 1e-6 * (1.0 + abs(value)) or (max_move is not None and moved > max_move * scale):
        raise SpecificationError(
            f"the approximation is not near a critical point of the loss: {steps} Newton steps reached "
            f"|grad L| = {gnorm:.3g} and moved the point by {moved:.3g}"
            + (f" (allowed {max_move * scale:.3g})" if max_move is not None else "")
            + "; train further (or allow Newton to move the point farther)"
        )
    eig = np.linalg.eigvalsh(0.5 * (H + H.T))
    evidence = tuple(float(v) for v in eig)
    top = float(np.max(np.abs(eig), initial=0.0))

    def outcome(
        status: str, r: Fraction, margin: Fraction | None, rung: str, notes: tuple[str, ...]
    ) -> GraphCriticalPoint:
        return GraphCriticalPoint(
            status, loss, P, variables, r, margin, rung, steps, gnorm, evidence, moved, notes
        )

    if top == 0.0 or float(np.min(np.abs(eig))) <= NOT_ISOLATED * top:
        why = (
            f"the Hessian at the approximate critical point is singular (smallest |eigenvalue| "
            f"{float(np.min(np.abs(eig))):.3g} of {top:.3g}): no box holds a unique critical point"
        )
        return outcome("not isolated", Fraction(0), None, "float64", (why,))
    Y = approximate_inverse(H)
    if Y is None:
        why = "the float64 Hessian has no finite inverse: the Krawczyk test has no preconditioner"
        return outcome("undecided", Fraction(0), None, "float64", (why,))
    first = gradient_enclosure(F64Backend(), loss, P, coords)
    radii = _radii(radius, Y, np.array([float(lo) / 2 + float(hi) / 2 for lo, hi in first]), x)
    margin: Fraction | None = None
    notes: list[str] = []
    for bk in (F64Backend(), ArbBackend(30)):
        if bk.name == "arb" and len(coords) > ARB_PARAMETERS:
            notes.append(f"the Arb rung is skipped above {ARB_PARAMETERS} parameters")
            break
        try:
            g = _balls(first if bk.name == "float64" else gradient_enclosure(bk, loss, P, coords))
        except ArithmeticError:
            continue
        tested = 0
        for top in sorted({min(k, len(radii) - 1) for k in (2, 3, 4)}):
            try:  # one enclosure over the box of radius radii[top] serves every smaller box too
                J = _ball_matrix(*hessian_enclosure(bk, loss, P, coords, radii[top]))
            except ArithmeticError:
                continue
            for r in radii[tested : top + 1]:
                margin = krawczyk_margin(g, J, Y, r)
                if margin < 0:
                    rung = bk.name
                    notes.append(
                        f"Krawczyk on {rung}: K(X) inside X = c + [-r, r]^{len(coords)}, r = {float(r):.3g}, "
                        f"margin {float(margin):.3g} (the Hessian enclosed over the box of radius "
                        f"{float(radii[top]):.3g}, which contains X); batch norms' running statistics fixed"
                    )
                    return outcome("proved", r, margin, rung, tuple(notes))
            tested = top + 1
    notes.append(
        "the Krawczyk test did not pass for any radius tried (the Hessian enclosure is too wide or "
        "nearly singular)"
    )
    return outcome("undecided", radii[-1], margin, "arb", tuple(notes))


def _radii(radius: Any, Y: np.ndarray, g: np.ndarray, x: np.ndarray) -> list[Fraction]:
    """The radius given, or dyadic radii from ``4 |Y g|`` up by factors of 16 (five of them)."""
    if radius is not None:
        try:
            fixed = Fraction(radius.strip() if isinstance(radius, str) else radius)
        except (TypeError, ValueError, ZeroDivisionError):
            raise SpecificationError(
                f"radius must be an exact number > 0 such as 1/1000000, got {radius!r}"
            ) from None
        if fixed <= 0:
            raise SpecificationError(f"radius must be > 0, got {fixed}")
        return [fixed]
    base = 4.0 * float(np.max(np.abs(Y @ g), initial=0.0))
    base = max(base, 2.0**-44 * (1.0 + float(np.max(np.abs(x), initial=0.0))))
    return [Fraction(2) ** int(np.ceil(np.log2(base * 16.0**k))) for k in range(5)]


def _balls(bounds: list[tuple[Fraction, Fraction]]) -> list[Any]:
    from flint import arb, fmpq

    def ball(lo: Fraction, hi: Fraction) -> Any:
        return arb.union(arb(fmpq(lo.numerator, lo.denominator)), arb(fmpq(hi.numerator, hi.denominator)))

    return [ball(lo, hi) for lo, hi in bounds]


def _ball_matrix(lo: list[list[Fraction]], hi: list[list[Fraction]]) -> Any:
    from flint import arb_mat

    n = len(lo)
    return arb_mat(n, n, [b for rl, rh in zip(lo, hi) for b in _balls(list(zip(rl, rh)))])
