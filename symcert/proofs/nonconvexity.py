"""Certify that a loss is not convex: five kinds of witness, each decided rigorously.

- ``chord``: ``L((A+B)/2) > (L(A) + L(B))/2``;
- ``curvature``: ``phi''(t0) < 0`` along ``phi(t) = L(A + t(B - A))``;
- ``hessian``: ``d^T H(M) d < 0`` at ``M = (A+B)/2`` for ``d = B - A``;
- ``orbit``: averaging ``A`` over the permutations of a hidden layer (all units
  equal: a width-1 network) gives a strictly larger loss;
- ``critical``: ``A`` (a teacher point) and ``B = g(A)`` are critical points and
  the gradient is rigorously nonzero between them.

>>> from symcert.symbolic.examples import default_example
>>> example = default_example()
>>> certificate = certify_nonconvexity(example.loss, example.teacher, element=example.element)
>>> certificate.status, certificate.kind
('proved', 'chord')
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

import sympy

from symcert.errors import SpecificationError
from symcert.numeric.contexts import check_dps
from symcert.numeric.engine.api import combine, losses_bounds, point_layout
from symcert.numeric.engine.ladder import decide_on_rungs
from symcert.proofs.certificates import CLAIMS, Certificate
from symcert.proofs.convexity import prove_convexity
from symcert.symbolic.group import GroupElement, parse_element
from symcert.symbolic.losses import Loss
from symcert.symbolic.network import MLP
from symcert.symbolic.point import Point

__all__ = ["certify_nonconvexity", "KINDS", "orbit_mean", "collapsed_network"]

# barriers: symcert.proofs.barrier; critical_point and saddle: symcert.proofs.saddle
KINDS = tuple(kind for kind in CLAIMS if kind not in ("barrier", "critical_point", "saddle"))


def _ladder(dps: int) -> tuple[int, ...]:
    return (dps, 2 * dps, 4 * dps)


def certify_nonconvexity(
    loss: Loss,
    A: Point,
    *,
    element: GroupElement | str | None = None,
    B: Point | None = None,
    kind: str = "chord",
    dps: int = 50,
    t0: object = None,
    layer: int = 1,
) -> Certificate:
    """A certificate that ``loss`` is not convex, from ``A`` and ``B = element(A)`` (or a given ``B``).

    ``kind`` is one of :data:`KINDS`. ``dps`` is the starting precision; it is
    doubled twice if the enclosure does not decide. ``t0`` (exact) is the
    segment parameter for ``curvature`` (default 1/2) and ``critical``
    (default 1/4); ``layer`` the hidden layer averaged by ``orbit``.
    """
    if not isinstance(loss, Loss):
        raise SpecificationError(f"loss must be a Loss, got {type(loss).__name__}")
    if kind not in KINDS:
        raise SpecificationError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    dps = check_dps(dps)
    A = _own_point(loss, A, "A")
    if isinstance(element, str):
        element = parse_element(element)
    if element is not None and not isinstance(element, GroupElement):
        raise SpecificationError(f"element must be a group element such as swap(1, 0, 1), got {element!r}")
    if element is not None:
        image = element(A)
        if B is not None and _own_point(loss, B, "B") != image:
            raise SpecificationError(f"B is not the image of A under {element}; give one of them")
        B = image
    elif B is not None:
        B = _own_point(loss, B, "B")
    if kind != "orbit" and B is None:
        raise SpecificationError(f"a {kind} certificate needs element= (B = element(A)) or B=")
    convexity = prove_convexity(loss)
    if convexity.status == "proved":
        note = "the loss is convex (prove_convexity): no certificate of non-convexity can exist"
        return Certificate(kind, "refuted", loss, A, B, element, {}, None, dps, {}, (note,))
    return _KINDS[kind](loss, A, B, element, dps, t0, layer)


def _own_point(loss: Loss, point: object, name: str) -> Point:
    if not isinstance(point, Point):
        raise SpecificationError(
            f"{name} must be a Point (build it with MLP.point), got {type(point).__name__}"
        )
    if point.mlp != loss.mlp:
        raise SpecificationError(f"{name} belongs to {point.mlp.describe()}, not to the loss's network")
    return point


def _chord(loss, A, B, element, dps, t0, layer) -> Certificate:
    la, lb = point_layout(A), point_layout(B)
    lm = combine(la, lb, Fraction(1, 2))  # the exact midpoint, in integers

    def compute(bk) -> dict:
        LA, LB, LM = losses_bounds(bk, loss, [la, lb, lm])  # one batched pass in float64
        barrier = (LM[0] - (LA[1] + LB[1]) / 2, LM[1] - (LA[0] + LB[0]) / 2)
        return {"L(A)": LA, "L(B)": LB, "L(M)": LM, "barrier": barrier}

    decision, enclosures = decide_on_rungs(compute, "barrier", ">", _ladder(dps))
    notes = (f"M = (A + B)/2 exactly; {decision.describe('barrier')}",)
    return Certificate(
        "chord", decision.status, loss, A, B, element, enclosures, decision, decision.dps, {}, notes
    )


def orbit_mean(A: Point, layer: int) -> Point:
    """The average of ``A`` over all permutations of hidden layer ``layer``: every unit equal.

    Each unit gets the mean incoming row and bias; each outgoing column becomes the mean column.

    >>> from symcert import MLP
    >>> net = MLP((1, 2, 1))
    >>> orbit_mean(net.point(W1=[[1], [3]], b1=[0, 2], W2=[[4, 0]], b2=[5]), 1)
    Point(W1=[[2], [2]], b1=[1, 1], W2=[[2, 2]], b2=[5])
    """
    mlp = A.mlp
    if layer not in mlp.hidden_layers:
        raise SpecificationError(f"layer must be a hidden layer of {mlp.describe()}, got {layer!r}")
    layers = A.layers
    here, after = layers[layer - 1], layers[layer]
    n = mlp.widths[layer]
    row = [sum(col, sympy.Integer(0)) / n for col in zip(*here.weights)]
    weights = tuple(tuple(row) for _ in range(n))
    biases = None if here.biases is None else (sum(here.biases, sympy.Integer(0)) / n,) * n
    after_weights = tuple((sum(r, sympy.Integer(0)) / n,) * n for r in after.weights)
    layers[layer - 1] = type(here)(weights, biases)
    layers[layer] = type(after)(after_weights, after.biases)
    return Point(mlp, mlp.flatten(layers))


def collapsed_network(A: Point, layer: int) -> tuple[MLP, Point, bool]:
    """The width-1 network that the orbit mean computes, its point, and an exact check of the collapse.

    The check compares the closed-form outputs (symbolic input) of the averaged
    wide network and of the narrow one: SymPy collects the ``n`` identical unit
    terms into one, so the two expressions are identical.
    """
    mean = orbit_mean(A, layer)
    mlp = mean.mlp
    widths = list(mlp.widths)
    n, widths[layer] = widths[layer], 1
    narrow = MLP(widths, mlp.activation, bias=mlp.bias, output_activation=mlp.output_activation)
    layers = mean.layers
    here, after = layers[layer - 1], layers[layer]
    layers[layer - 1] = type(here)(here.weights[:1], None if here.biases is None else here.biases[:1])
    layers[layer] = type(after)(tuple((n * r[0],) for r in after.weights), after.biases)
    point = Point(narrow, narrow.flatten(layers))
    x = [sympy.Symbol(f"x{k + 1}", real=True) for k in range(mlp.widths[0])]
    same = all(sympy.expand(a - b) == 0 for a, b in zip(mlp.output(x, mean), narrow.output(x, point)))
    return narrow, point, same


def _orbit(loss, A, B, element, dps, t0, layer) -> Certificate:
    mean = orbit_mean(A, layer)
    narrow, _, collapses = collapsed_network(A, layer)
    la, lmean = point_layout(A), point_layout(mean)

    def compute(bk) -> dict:
        LA, LM = losses_bounds(bk, loss, [la, lmean])
        return {"L(A)": LA, "L(mean)": LM, "gap": (LM[0] - LA[1], LM[1] - LA[0])}

    decision, enclosures = decide_on_rungs(compute, "gap", ">", _ladder(dps))
    notes = (
        f"the mean of A over the {loss.mlp.widths[layer]}! permutations of layer {layer} makes every unit "
        f"equal; the network then computes the same function as the {narrow.describe()}"
        + (" (checked exactly on the closed forms)" if collapses else " (collapse NOT confirmed)"),
        "convexity would give L(mean) <= average of L(gA) over the group = L(A) (permutation invariance)",
        decision.describe("L(mean) - L(A)"),
    )
    return Certificate(
        "orbit",
        decision.status,
        loss,
        A,
        B,
        element,
        enclosures,
        decision,
        decision.dps,
        {"layer": layer},
        notes,
    )


def _segment_kind(kind: str) -> Callable[..., Certificate]:
    def run(loss, A, B, element, dps, t0, layer) -> Certificate:
        from symcert.proofs.segment_kinds import certify_on_segment

        return certify_on_segment(kind, loss, A, B, element, dps, t0, _ladder(dps))

    return run


_KINDS: dict[str, Callable[..., Certificate]] = {
    "chord": _chord,
    "orbit": _orbit,
    "curvature": _segment_kind("curvature"),
    "hessian": _segment_kind("hessian"),
    "critical": _segment_kind("critical"),
}
