"""The ``orbit`` kind (the seed's argument): averaging ``A`` over a layer's permutations hurts.

The mean of ``A`` over the ``n!`` permutations of a hidden layer makes every unit equal, so
the network collapses to width 1 there; convexity would give ``L(mean) <= L(A)``.
"""

from __future__ import annotations

import sympy

from symcert.errors import SpecificationError
from symcert.numeric.engine.api import losses_bounds, point_layout
from symcert.numeric.engine.ladder import decide_on_rungs
from symcert.proofs.certificates import Certificate
from symcert.proofs.kinds.base import INTEGER, LayerAverageKind, Parameter
from symcert.symbolic.network import MLP
from symcert.symbolic.point import Point

__all__ = ["KIND", "certify", "orbit_mean", "collapsed_network"]


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
    narrow = MLP(widths, mlp.activation, bias=mlp.biases, output_activation=mlp.output_activation)
    layers = mean.layers
    here, after = layers[layer - 1], layers[layer]
    layers[layer - 1] = type(here)(here.weights[:1], None if here.biases is None else here.biases[:1])
    layers[layer] = type(after)(tuple((n * r[0],) for r in after.weights), after.biases)
    point = Point(narrow, narrow.flatten(layers))
    x = [sympy.Symbol(f"x{k + 1}", real=True) for k in range(mlp.widths[0])]
    same = all(sympy.expand(a - b) == 0 for a, b in zip(mlp.output(x, mean), narrow.output(x, point)))
    return narrow, point, same


def certify(loss, A, B, element, dps, t0, layer) -> Certificate:
    """The orbit certificate (see :func:`symcert.certify_nonconvexity`)."""
    mean = orbit_mean(A, layer)
    narrow, _, collapses = collapsed_network(A, layer)
    la, lmean = point_layout(A), point_layout(mean)

    def compute(bk) -> dict:
        LA, LM = losses_bounds(bk, loss, [la, lmean])
        return {"L(A)": LA, "L(mean)": LM, "gap": (LM[0] - LA[1], LM[1] - LA[0])}

    decision, enclosures = decide_on_rungs(compute, "gap", ">", KIND.ladder(dps))
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


KIND = LayerAverageKind(
    "orbit",
    "gap",
    ">",
    "L(mean of A over the layer's permutations) - L(A) > 0: averaging the orbit hurts",
    "averaging over the permutations of a layer",
    (Parameter("layer", "the hidden layer averaged (1-based)", INTEGER, default=1),),
    ("L(A)", "L(mean)", "gap"),
    needs_B=False,
    coq_limit=1200,
    certify=certify,
)
