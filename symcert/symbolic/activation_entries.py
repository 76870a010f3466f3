r"""One entry per hidden activation: every fact and every form of it, in one place.

An entry states the local facts (odd, even, complement, homogeneity degree, polynomial, piecewise
linear, smooth) and the forms each layer of symcert uses:

- ``_sympy``: exact (SymPy); ``_mp``: mpmath numbers; ``_iv``: a tight mpmath interval enclosure;
- ``_float``, ``_dfloat``: float64 numpy value and derivative (search and screening, never proof);
- ``_jets``: the value and first two derivatives on the rigorous engine's arithmetic ``bk`` (a
  backend of :mod:`symcert.numeric.engine.backends`, used through its elementary functions only);
- ``latex``: the name in mathematics; ``coq``: the Coq definition, evaluation form and fact proofs.

Adding an activation means adding one entry here and its cases to
``tests/test_activation_entries.py``, which checks every form against the exact one and every
declared fact. ``{slope}`` in a Coq form stands for the leaky ReLU's slope as a Coq real.

>>> sorted(ENTRIES)[:3]
['cube', 'identity', 'leaky_relu']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import sympy

__all__ = ["CoqForm", "ENTRIES"]


@dataclass(frozen=True)
class CoqForm:
    """An activation in Coq: its name, a comment, its definition (None: Coq's own), an evaluation
    form for the ``interval`` tactic as ``(name, body, proof of equality)`` (None: the definition is
    evaluated as is), and the proof of each fact it has (``odd``, ``complement``, ``homogeneous``)."""

    name: str
    comment: str
    definition: str | None
    evaluation: tuple[str, str, str] | None = None
    facts: dict[str, str] = field(default_factory=dict)


_EXP_POS = "assert (0 < exp u) by apply exp_pos."


def _sigmoid_float(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # no overflow for large |z|


def _relu_iv(ctx: Any, u: Any, _slope: Any) -> Any:
    lower = u.a if u.a > 0 else ctx.mpf(0)
    upper = u.b if u.b > 0 else ctx.mpf(0)
    return ctx.mpf([lower, upper])


def _leaky_iv(ctx: Any, u: Any, slope: sympy.Rational) -> Any:
    # Increasing, so the image of [a, b] is [s(a), s(b)], each endpoint enclosed outward.
    scale = ctx.mpf(slope.p) / slope.q

    def at(endpoint: Any) -> Any:
        return endpoint if endpoint > 0 else scale * endpoint

    return ctx.mpf([at(u.a).a, at(u.b).b])


def _tanh_iv(ctx: Any, u: Any, _slope: Any) -> Any:
    # mpmath.iv has no tanh; this form is increasing in u and uses u once: tight.
    return 1 - 2 / (ctx.exp(2 * u) + 1)


def _tanh_jets(bk: Any, z: Any, order: int, _slope: Any) -> tuple:
    s = bk.tanh(z)
    d1 = 1 - bk.square(s)
    return s, d1, (s * d1) * (-2) if order == 2 else None


def _sigmoid_jets(bk: Any, z: Any, order: int, _slope: Any) -> tuple:
    s = bk.sigmoid(z)
    d1 = s * (1 - s)
    return s, d1, d1 * (1 - s * 2) if order == 2 else None


def _softplus_jets(bk: Any, z: Any, order: int, _slope: Any) -> tuple:
    d1 = bk.sigmoid(z)
    return bk.softplus(z), d1, d1 * (1 - d1)


def _cube_jets(bk: Any, z: Any, order: int, _slope: Any) -> tuple:
    sq = bk.square(z)
    return sq * z, sq * 3, z * 6


def _leaky_jets(bk: Any, z: Any, order: int, slope: sympy.Rational) -> tuple:
    return bk.leaky_relu(z, Fraction(int(slope.p), int(slope.q))), None, None


_RMAX_HOMOGENEOUS = "intros a u Ha. rewrite !{name}_equation. unfold {name}_e.\n" + (
    "  rewrite Rabs_mult, (Rabs_pos_eq a) by lra. field."
)

#: The entries, by name (the order is the order of :data:`~symcert.symbolic.activations.ACTIVATION_NAMES`).
ENTRIES: dict[str, dict[str, Any]] = {
    "identity": dict(
        odd=True,
        homogeneity=1,
        polynomial=True,
        latex=r"\mathrm{id}",
        _sympy=lambda u, _s: u,
        _mp=lambda ctx, u, _s: u,
        _iv=lambda ctx, u, _s: u,
        _float=lambda z, _s: z,
        _dfloat=lambda z, a, _s: np.ones_like(z),
        _jets=lambda bk, z, order, _s: (z, 1, 0),
        coq=CoqForm(
            "id_act",
            "The identity activation (a linear network).",
            "u",
            facts={"odd": "intro u. reflexivity.", "homogeneous": "intros a u Ha. reflexivity."},
        ),
    ),
    "tanh": dict(
        odd=True,
        latex=r"\tanh",
        _sympy=lambda u, _s: sympy.tanh(u),
        _mp=lambda ctx, u, _s: ctx.tanh(u),
        _iv=_tanh_iv,
        _float=lambda z, _s: np.tanh(z),
        _dfloat=lambda z, a, _s: 1.0 - a * a,
        _jets=_tanh_jets,
        coq=CoqForm(
            "tanh",
            "tanh is Coq's own tanh u = sinh u / cosh u (Reals).",
            None,
            (
                "tanh_e",
                "1 - 2 / (exp (2 * u) + 1)",
                "intro u. unfold tanh_e, tanh, sinh, cosh.\n  replace (2 * u) with (u + u) by ring."
                f"\n  rewrite exp_plus, exp_Ropp. {_EXP_POS}\n  field. split; nra.",
            ),
            {
                "odd": "intro u. unfold tanh, sinh, cosh. rewrite Ropp_involutive.\n"
                f"  {_EXP_POS} assert (0 < exp (- u)) by apply exp_pos.\n  field. lra.",
            },
        ),
    ),
    "sigmoid": dict(
        complement=True,
        latex=r"\operatorname{sigmoid}",
        _sympy=lambda u, _s: 1 / (1 + sympy.exp(-u)),
        _mp=lambda ctx, u, _s: 1 / (1 + ctx.exp(-u)),
        _iv=lambda ctx, u, _s: 1 / (1 + ctx.exp(-u)),
        _float=lambda z, _s: _sigmoid_float(z),
        _dfloat=lambda z, a, _s: a * (1.0 - a),
        _jets=_sigmoid_jets,
        coq=CoqForm(
            "sigmoid",
            "The logistic sigmoid.",
            "/ (1 + exp (- u))",
            facts={
                "complement": "intro u. unfold sigmoid. rewrite Ropp_involutive, exp_Ropp.\n"
                f"  {_EXP_POS}\n  field. split; lra.",
            },
        ),
    ),
    "relu": dict(
        homogeneity=1,
        piecewise_linear=True,
        smooth=False,
        latex=r"\operatorname{relu}",
        _sympy=lambda u, _s: sympy.Max(0, u),
        _mp=lambda ctx, u, _s: u if u > 0 else ctx.zero,
        _iv=_relu_iv,
        _float=lambda z, _s: np.maximum(z, 0.0),
        _dfloat=lambda z, a, _s: (z > 0).astype(float),
        _jets=lambda bk, z, order, _s: (bk.relu(z), None, None),
        coq=CoqForm(
            "relu",
            "ReLU, written with Rmax; interval evaluates it as (u + |u|)/2.",
            "Rmax 0 u",
            (
                "relu_e",
                "(u + Rabs u) / 2",
                "intro u. unfold relu, relu_e, Rmax.\n"
                "  destruct (Rle_dec 0 u); unfold Rabs; destruct (Rcase_abs u); lra.",
            ),
            {"homogeneous": _RMAX_HOMOGENEOUS.format(name="relu")},
        ),
    ),
    "leaky_relu": dict(
        homogeneity=1,
        piecewise_linear=True,
        smooth=False,
        latex=r"\operatorname{leaky\_relu}",
        _sympy=lambda u, slope: sympy.Max(u, slope * u),
        _mp=lambda ctx, u, slope: u if u > 0 else ctx.mpf(slope.p) / slope.q * u,
        _iv=_leaky_iv,
        _float=lambda z, slope: np.where(z > 0, z, float(slope) * z),
        _dfloat=lambda z, a, slope: np.where(z > 0, 1.0, float(slope)),
        _jets=_leaky_jets,
        coq=CoqForm(
            "leaky_relu",
            "The leaky ReLU with slope {slope_text}, written with Rmax; interval evaluates it through Rabs.",
            "Rmax u ({slope} * u)",
            (
                "leaky_relu_e",
                "((1 + {slope}) * u + (1 - {slope}) * Rabs u) / 2",
                "intro u. unfold leaky_relu, leaky_relu_e, Rmax.\n"
                "  destruct (Rle_dec u ({slope} * u)); unfold Rabs; destruct (Rcase_abs u); lra.",
            ),
            {"homogeneous": _RMAX_HOMOGENEOUS.format(name="leaky_relu")},
        ),
    ),
    "softplus": dict(
        latex=r"\operatorname{softplus}",
        _sympy=lambda u, _s: sympy.log(1 + sympy.exp(u)),
        _mp=lambda ctx, u, _s: ctx.log(1 + ctx.exp(u)),
        _iv=lambda ctx, u, _s: ctx.log(1 + ctx.exp(u)),
        _float=lambda z, _s: np.logaddexp(0.0, z),
        _dfloat=lambda z, a, _s: _sigmoid_float(z),
        _jets=_softplus_jets,
        coq=CoqForm("softplus", "Softplus.", "ln (1 + exp u)"),
    ),
    "square": dict(
        even=True,
        homogeneity=2,
        polynomial=True,
        latex=r"\operatorname{square}",
        _sympy=lambda u, _s: u**2,
        _mp=lambda ctx, u, _s: u * u,
        _iv=lambda ctx, u, _s: u**2,  # mpmath's even power is tight (never below 0)
        _float=lambda z, _s: z * z,
        _dfloat=lambda z, a, _s: 2.0 * z,
        _jets=lambda bk, z, order, _s: (bk.square(z), z * 2, 2),
        coq=CoqForm("square", "The square activation.", "u ^ 2"),
    ),
    "cube": dict(
        odd=True,
        homogeneity=3,
        polynomial=True,
        latex=r"\operatorname{cube}",
        _sympy=lambda u, _s: u**3,
        _mp=lambda ctx, u, _s: u * u * u,
        _iv=lambda ctx, u, _s: u**3,
        _float=lambda z, _s: z**3,
        _dfloat=lambda z, a, _s: 3.0 * z * z,
        _jets=_cube_jets,
        coq=CoqForm("cube", "The cube activation.", "u ^ 3", facts={"odd": "intro u. unfold cube. ring."}),
    ),
}
