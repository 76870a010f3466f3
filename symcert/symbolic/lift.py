r"""Exact lifts (Brea et al. 2019): duplicate a hidden unit, splitting its outgoing weights.

``lift_values(mlp, theta, layer, unit, lam)`` maps a point of the narrow network to the
wider one whose hidden layer ``layer`` has one more unit: the new unit (appended last)
copies the incoming weights and bias of ``unit``; the outgoing column ``c`` of ``unit``
(column ``unit`` of ``W_{layer+1}``) becomes ``lam c`` for the old unit and
``(1 - lam) c`` for the new one. The map ``M`` is linear and exact (entries 0, 1, ``lam``,
``1 - lam``); ``lift_gradient`` is the matching map ``G`` on gradients:

.. math:: f_{\text{wide}}(x; M\theta) = f(x; \theta), \qquad
          \nabla L_{\text{wide}}(M\theta) = G\, \nabla L(\theta),

``G`` scaling the unit's incoming gradient by ``lam`` and ``1 - lam`` and copying its
outgoing gradient (both units see the same activation). Both are proved as exact
identities on the closed forms by :func:`prove_lift_identity`, for a generic input and
for the abstract activation ``sigma`` (so for every activation at once). A zero of the
narrow gradient is therefore a zero of the wide one, for every ``lam``: a line of
critical points ``lam -> M_lam theta``.

>>> from symcert import MLP
>>> net = MLP((1, 1, 1), "tanh")
>>> A = net.point(W1=[[2]], b1=[1], W2=[[3]], b2=[0])
>>> lift(A, 1, 0, "1/3")
Point(W1=[[2], [2]], b1=[1, 1], W2=[[1, 2]], b2=[0])
>>> prove_lift_identity(net, 1, 0, "1/3").status
'proved'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sympy

from symcert.errors import SpecificationError
from symcert.symbolic.exact import to_rational
from symcert.symbolic.network import MLP, forward
from symcert.symbolic.point import Point

__all__ = [
    "lift",
    "lift_values",
    "lift_gradient",
    "lifted_mlp",
    "lift_matrix",
    "line_direction",
    "LiftProof",
    "prove_lift_identity",
]


def lifted_mlp(mlp: MLP, layer: int) -> MLP:
    """The network with one more unit in hidden layer ``layer``."""
    widths = list(mlp.widths)
    widths[layer] += 1
    return MLP(widths, mlp.activation, bias=mlp.biases, output_activation=mlp.output_activation)


def check_lift(mlp: MLP, layer: object, unit: object, lam: object) -> sympy.Rational:
    """Validate ``layer`` (a hidden layer), ``unit`` (0-based) and return ``lam`` as a Rational."""
    if isinstance(layer, bool) or not isinstance(layer, int) or layer not in mlp.hidden_layers:
        raise SpecificationError(
            f"layer must be a hidden layer of {mlp.describe()} (1 to {mlp.depth - 1}), got {layer!r}"
        )
    if isinstance(unit, bool) or not isinstance(unit, int) or not 0 <= unit < mlp.widths[layer]:
        raise SpecificationError(
            f"unit must be a unit of hidden layer {layer} (0 to {mlp.widths[layer] - 1}), got {unit!r}"
        )
    return to_rational(lam, "lam")


def _split(
    mlp: MLP, values: Sequence[Any], layer: int, unit: int, first: Any, second: Any, incoming: bool
) -> tuple[Any, ...]:
    """The lift's pattern, with ``first``/``second`` multiplying incoming (or outgoing) entries."""
    layers = mlp.layers(values)
    out: list[Any] = []
    for l, lay in enumerate(layers, start=1):
        weights, biases = [list(r) for r in lay.weights], None if lay.biases is None else list(lay.biases)
        if l == layer:
            row = weights[unit]
            if incoming:
                weights[unit] = [first * v for v in row]
                weights.append([second * v for v in row])
            else:
                weights.append(list(row))
            if biases is not None:
                b = biases[unit]
                biases[unit] = first * b if incoming else b
                biases.append(second * b if incoming else b)
        elif l == layer + 1:
            for r in weights:
                c = r[unit]
                r[unit] = c if incoming else first * c
                r.append(c if incoming else second * c)
        out.extend(v for r in weights for v in r)
        if biases is not None:
            out.extend(biases)
    return tuple(out)


def lift_values(mlp: MLP, values: Sequence[Any], layer: int, unit: int, lam: Any) -> tuple[Any, ...]:
    """``M theta``: the lifted parameters (any number type supporting ``*`` by ``lam``)."""
    return _split(mlp, values, layer, unit, lam, 1 - lam, incoming=False)


def lift_gradient(mlp: MLP, grad: Sequence[Any], layer: int, unit: int, lam: Any) -> tuple[Any, ...]:
    """``G g``: the wide gradient at ``M theta`` from the narrow gradient ``g`` at ``theta``."""
    return _split(mlp, grad, layer, unit, lam, 1 - lam, incoming=True)


def lift(point: Point, layer: int, unit: int, lam: object) -> Point:
    """The lifted point ``M_lam theta`` of the wider network (exact rationals)."""
    lam_r = check_lift(point.mlp, layer, unit, lam)
    wide = lifted_mlp(point.mlp, layer)
    return Point(wide, lift_values(point.mlp, point.values, layer, unit, lam_r))


def lift_matrix(mlp: MLP, layer: int, unit: int, lam: object) -> sympy.Matrix:
    """The exact matrix ``M`` (wide x narrow) of the lift."""
    lam_r = check_lift(mlp, layer, unit, lam)
    n = mlp.n_parameters
    columns = [
        lift_values(mlp, [sympy.Integer(int(i == j)) for j in range(n)], layer, unit, lam_r) for i in range(n)
    ]
    return sympy.Matrix(columns).T


def line_direction(mlp: MLP, values: Sequence[Any], layer: int, unit: int) -> tuple[Any, ...]:
    """``d/dlam M_lam theta``: the outgoing column ``c`` on the old unit, ``-c`` on the new one."""
    zero = [v * 0 for v in values]
    layers = mlp.layers(values)
    column = [row[unit] for row in layers[layer].weights]
    wide = list(lift_values(mlp, zero, layer, unit, 0))
    wide_mlp = lifted_mlp(mlp, layer)
    n_new = wide_mlp.widths[layer]
    sep = "" if wide_mlp.widths[layer + 1] < 10 and n_new < 10 else "_"  # as in MLP.parameter_names
    for r, c in enumerate(column):
        wide[wide_mlp.index[f"W{layer + 1}_{r + 1}{sep}{unit + 1}"]] = c
        wide[wide_mlp.index[f"W{layer + 1}_{r + 1}{sep}{n_new}"]] = -c
    return tuple(wide)


@dataclass(frozen=True)
class LiftProof:
    """The exact identities ``f_wide(x; M theta) = f(x; theta)`` and ``grad f_wide(M theta) = G grad f``.

    ``status`` is "proved" when both differences expand to 0 for symbolic input, parameters and
    the abstract activation; ``steps`` says what was checked.
    """

    mlp: MLP
    layer: int
    unit: int
    lam: sympy.Rational
    status: str
    steps: tuple[str, ...]

    @property
    def holds(self) -> bool:
        return self.status == "proved"


SIGMA = sympy.Function("sigma")


def prove_lift_identity(mlp: MLP, layer: int, unit: int, lam: object, *, concrete: bool = False) -> LiftProof:
    """Prove the lift identities exactly, on the closed form of the network's output.

    The input ``x`` and the narrow parameters are symbols; the hidden activation is the abstract
    ``sigma`` (or, with ``concrete=True``, the network's own SymPy activation). Each output's
    difference, and each entry of ``grad_wide f(M theta) - G grad f(theta)``, must expand to 0.
    The loss identities follow by the chain rule for every per-point loss without weight decay.
    """
    lam_r = check_lift(mlp, layer, unit, lam)
    wide = lifted_mlp(mlp, layer)
    x = [sympy.Symbol(f"x{i + 1}", real=True) for i in range(mlp.widths[0])]
    hidden = mlp.activation.sympy if concrete else SIGMA
    narrow_out = forward(mlp, mlp.symbols, x, hidden, list)
    image = lift_values(mlp, mlp.symbols, layer, unit, lam_r)
    wide_sub = dict(zip(wide.symbols, image))
    wide_out = forward(wide, wide.symbols, x, hidden, list)
    steps = []
    ok = True
    for k, (fw, fn) in enumerate(zip(wide_out, narrow_out)):
        same = sympy.expand(fw.subs(wide_sub, simultaneous=True) - fn) == 0
        ok &= same
        grads_n = [sympy.diff(fn, s) for s in mlp.symbols]
        mapped = lift_gradient(mlp, grads_n, layer, unit, lam_r)
        for s, g in zip(wide.symbols, mapped):
            d = sympy.diff(fw, s).subs(wide_sub, simultaneous=True).doit()
            if sympy.expand(d - g) != 0:
                ok = False
                steps.append(f"output {k + 1}: d/d{s} differs from G grad f")
        steps.append(
            f"output {k + 1}: f_wide(x; M theta) - f(x; theta) expands to 0"
            if same
            else f"output {k + 1}: f_wide(x; M theta) - f(x; theta) does not expand to 0"
        )
    act = mlp.activation.label if concrete else "the abstract activation sigma"
    steps.append(
        f"every entry of grad f_wide(M theta) - G grad f(theta) expands to 0 (generic x, {act})"
        if ok
        else "the gradient identity fails"
    )
    steps.append("chain rule: L = sum_i loss(f(x_i), y_i) (no weight decay) inherits both identities")
    return LiftProof(mlp, layer, unit, lam_r, "proved" if ok else "refuted", tuple(steps))
