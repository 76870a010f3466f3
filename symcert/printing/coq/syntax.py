"""Coq syntax for the pieces every exported file shares: numbers, points, the network and the loss.

Names follow the handout's notation: the parameter record has one field per
parameter (``W1_21``, ``b2_1``, as in :attr:`MLP.parameter_names
<symcert.symbolic.network.MLP.parameter_names>`); layer ``l`` has
pre-activations ``z{l}_{j}`` and, when hidden, activations ``h{l}_{j}``; the
outputs are ``f{k}``; the inputs ``x1, x2, ...``. Inside the section ``Loss``
the activation is a variable ``s``, so the definitions hold for every
activation and the symmetry lemmas close by ``ring``.

>>> import sympy
>>> real(sympy.Rational(-3, 2)), real(sympy.Integer(2)), real(sympy.Integer(-1))
('(-3/2)', '2', '(-1)')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sympy

if TYPE_CHECKING:
    from symcert.symbolic.losses import Loss
    from symcert.symbolic.network import MLP
    from symcert.symbolic.point import Point

__all__ = ["Network", "real", "point_definition", "CONVEXITY"]

#: The definition of convexity every exported file states (over its ``params`` and ``comb``).
CONVEXITY = """(* F is convex: it lies below its chords, for all points p, q and all t in [0, 1]. *)
Definition convex (F : params -> R) : Prop :=
  forall (p q : params) (t : R), 0 <= t <= 1 ->
    F (comb t p q) <= t * F p + (1 - t) * F q."""


def real(value: sympy.Rational) -> str:
    """An exact rational as a Coq real literal, parenthesised unless it is a natural number."""
    value = sympy.Rational(value)
    text = str(value.p) if value.q == 1 else f"{value.p}/{value.q}"
    return text if value >= 0 and value.q == 1 else f"({text})"


def _bare(value: sympy.Rational) -> str:
    """A rational without the outer parentheses (for record fields and sums)."""
    text = real(value)
    return text[1:-1] if text.startswith("(") else text


def point_definition(name: str, point: Point, comment: str) -> str:
    """``Definition name : params := {| W1_11 := ...; ... |}.`` with a comment above."""
    fields = [f"{key} := {_bare(v)}" for key, v in zip(point.mlp.parameter_names, point.values)]
    return f"(* {comment} *)\nDefinition {name} : params :=\n  {{| " + ";\n     ".join(fields) + " |}."


@dataclass(frozen=True)
class Network:
    """The Coq names and definitions of one network and its loss."""

    loss: Loss
    teacher: str | None  # the point whose outputs are the targets, when the data are teacher data

    @property
    def mlp(self) -> MLP:
        return self.loss.mlp

    @property
    def fields(self) -> tuple[str, ...]:
        return self.mlp.parameter_names

    @property
    def inputs(self) -> tuple[str, ...]:
        return tuple(f"x{k}" for k in range(1, self.mlp.widths[0] + 1))

    @property
    def uses_activation(self) -> bool:
        """False for networks without hidden layers: the loss does not depend on ``s``."""
        return bool(self.mlp.hidden_layers)

    def z(self, l: int, j: int) -> str:
        return f"z{l}_{j + 1}"

    def h(self, l: int, j: int) -> str:
        return f"h{l}_{j + 1}"

    def f(self, k: int) -> str:
        return f"f{k + 1}"

    def loss_at(self, activation: str, point: str) -> str:
        """``L s p``, or ``L p`` when the loss does not depend on the activation."""
        return f"L {activation} {point}" if self.uses_activation else f"L {point}"

    def functions(self) -> list[str]:
        """Every defined name of the network and loss, outermost first (the order to unfold in)."""
        depth = self.mlp.depth
        names = ["L"] + [self.f(k) for k in range(self.mlp.widths[-1])]
        for l in range(depth, 0, -1):
            if l < depth:
                names += [self.h(l, j) for j in range(self.mlp.widths[l])]
            names += [self.z(l, j) for j in range(self.mlp.widths[l])]
        return names

    def record(self) -> str:
        """The parameter record, the coordinate-reduction tactic, convex combinations and convexity."""
        mlp = self.mlp
        fields = ";\n  ".join(f"{name} : R" for name in self.fields)
        combination = ";\n     ".join(f"{n} := t * {n} p + (1 - t) * {n} q" for n in self.fields)
        return "\n".join(
            [
                f"(* The {mlp.n_parameters} parameters of the {mlp.describe().split(' (')[0]}: W{{l}}_{{jk}}"
                " is the weight from unit k",
                "   of layer l-1 to unit j of layer l, b{l}_{j} the bias of unit j of layer l. *)",
                f"Record params : Type := mkparams {{\n  {fields} }}.",
                "",
                "(* Reduces the coordinates of explicit points, and nothing else. *)",
                f"Ltac coordinates := cbn [{' '.join(self.fields)}].",
                "",
                "(* Two points are equal when their coordinates are. *)",
                "Lemma params_eq : forall p q : params,",
                "  " + " ->\n  ".join(f"{n} p = {n} q" for n in self.fields) + " ->",
                "  p = q.",
                "Proof. intros [] []; cbn; intros; subst; reflexivity. Qed.",
                "",
                "(* The convex combination t p + (1 - t) q, coordinate by coordinate. *)",
                "Definition comb (t : R) (p q : params) : params :=",
                f"  {{| {combination} |}}.",
                "",
                CONVEXITY,
            ]
        )

    def layers(self) -> str:
        """The definitions of ``z``, ``h`` and ``f``, layer by layer (inside the section)."""
        mlp = self.mlp
        names = mlp.layers(self.fields)
        binders = f"(p : params) ({' '.join(self.inputs)} : R)"
        blocks = []
        for l, layer in enumerate(names, start=1):
            hidden = l < mlp.depth
            previous = (
                list(self.inputs)
                if l == 1
                else [self.call(self.h(l - 1, k)) for k in range(len(layer.weights[0]))]
            )
            role = "hidden" if hidden else "output"
            bias = f" + b{l}_j" if mlp.has_bias(l) else ""
            lines = [f"(* Layer {l} ({role}): z{l}_j = sum_k W{l}_jk a_k{bias}"]
            lines[0] += f", a = {'x' if l == 1 else f'h{l - 1}'}" + (
                f"; h{l}_j = s(z{l}_j). *)" if hidden else ". *)"
            )
            for j, row in enumerate(layer.weights):
                terms = [f"{w} p * {a}" for w, a in zip(row, previous)]
                if layer.biases is not None:
                    terms.append(f"{layer.biases[j]} p")
                lines.append(f"Definition {self.z(l, j)} {binders} : R :=\n  " + " + ".join(terms) + ".")
                if hidden:
                    lines.append(f"Definition {self.h(l, j)} {binders} : R := s ({self.call(self.z(l, j))}).")
            blocks.append("\n".join(lines))
        blocks.append(self._outputs(binders))
        return "\n\n".join(blocks)

    def call(self, name: str, point: str = "p", xs: Sequence[str] | None = None) -> str:
        """``name point x1 x2 ...``."""
        return " ".join([name, point, *(self.inputs if xs is None else xs)])

    def _outputs(self, binders: str) -> str:
        mlp, depth = self.mlp, self.mlp.depth
        out = mlp.output_activation.name
        zs = [self.call(self.z(depth, k)) for k in range(mlp.widths[-1])]
        if out == "identity":
            lines = ["(* The outputs f_k = z_k (identity output). *)"]
            bodies = zs
        elif out == "sigmoid":
            lines = ["(* The outputs f_k = 1 / (1 + exp(-z_k)) (sigmoid output). *)"]
            bodies = [f"/ (1 + exp (- {z}))" for z in zs]
        else:
            total = " + ".join(f"exp ({z})" for z in zs)
            lines = ["(* The outputs f_k = exp(z_k) / sum_j exp(z_j) (softmax output). *)"]
            bodies = [f"exp ({z}) / ({total})" for z in zs]
        for k, body in enumerate(bodies):
            lines.append(f"Definition {self.f(k)} {binders} : R := {body}.")
        return "\n".join(lines)

    def loss_definition(self) -> str:
        """``Definition L (p : params) : R := ...`` with a comment stating the formula and the data."""
        loss, mlp, data = self.loss, self.mlp, self.loss.data
        depth, m = mlp.depth, mlp.widths[-1]
        terms = []
        for x, y in zip(data.xs, data.ys):
            xs = [real(v) for v in x]
            targets = [
                self.call(self.f(k), self.teacher, xs) if self.teacher else real(y[k]) for k in range(m)
            ]
            f = [self.call(self.f(k), "p", xs) for k in range(m)]
            z = [self.call(self.z(depth, k), "p", xs) for k in range(m)]
            terms += loss.function.coq_terms(f, z, targets)
        body = f"{real(loss.scale)} * (\n     " + "\n   + ".join(terms) + ")"
        if loss.weight_decay:
            squares = " + ".join(
                f"{name} p ^ 2" for i, name in enumerate(self.fields) if i in loss.weight_indices
            )
            body += f"\n  + {real(loss.weight_decay)} * ({squares})"
        denominator = loss.function.denominator(data.n_points, m)
        mean = "" if denominator is None else f"1/{denominator} "
        formula = f"L(p) = {mean}{loss.function.coq_formula}"
        if loss.factor != 1:
            formula = formula.replace("L(p) = ", f"L(p) = {loss.factor} * ", 1)
        if loss.weight_decay:
            formula += f" + {loss.weight_decay} sum (weights)^2"
        source = (
            f"the targets are the teacher's own outputs y_i = f(x_i; {self.teacher}), exact, never rounded"
            if self.teacher
            else "exact rational targets"
        )
        return "\n".join(
            [
                f"(* The {loss.kind} loss on {data.n_points} data points ({source}):",
                f"   {formula}. *)",
                f"Definition L (p : params) : R :=\n  {body}.",
            ]
        )
