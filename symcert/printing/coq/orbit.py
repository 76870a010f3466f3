"""An orbit certificate as a Coq file: finite Jensen over the orbit of ``A`` under a layer's permutations.

The file proves once, by induction over a list, the finite Jensen inequality
for the definition of convexity used: ``F(average p l) <= (F p + total F l) / (1 + length l)``,
where ``average`` folds ``comb`` over the list with weights ``1/k``. The orbit of
``A`` under the ``n!`` permutations of the layer's units is written out point by
point (``G2, ..., Gm``; ``A`` itself is the first); ``L(G_k) = L(A)`` is proved by
``ring`` for an abstract activation (the units are only reordered); the mean of
the orbit is the explicit point ``Mean`` (``average A [G2; ...] = Mean``, exactly),
and ``interval`` proves ``L(Mean) > L(A)``, which Jensen forbids.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import sympy

from symcert.printing.coq.chord import _extensionality, _section
from symcert.printing.coq.segment import (
    _activation,
    _bits,
    _conclusion,
    _ext_rewrite,
    _header,
    _teacher,
    _unfold,
)
from symcert.printing.coq.syntax import Network, point_definition
from symcert.proofs.nonconvexity import orbit_mean
from symcert.symbolic.point import Point

if TYPE_CHECKING:
    from symcert.proofs.certificates import Certificate

__all__ = ["orbit_to_coq", "orbit_points", "JENSEN"]

#: The finite Jensen inequality, proved once by induction over a list.
JENSEN = """(* Finite Jensen: averaging a list of points with comb, a convex F stays below the average of
   its values. average p [q1; ...; qk] = comb (1/(k+1)) p (average q1 [q2; ...; qk]). *)
Fixpoint total (F : params -> R) (l : list params) : R :=
  match l with nil => 0 | cons q r => F q + total F r end.

Fixpoint average (p : params) (l : list params) : params :=
  match l with
  | nil => p
  | cons q r => comb (1 / INR (S (length l))) p (average q r)
  end.

Lemma jensen : forall F, convex F -> forall (l : list params) (p : params),
  F (average p l) <= (F p + total F l) / INR (S (length l)).
Proof.
  intros F convexity l. induction l as [| q r IH]; intro p.
  - cbn [average total length INR]. lra.
  - cbn [average total length]. rewrite (S_INR (S (length r))).
    set (k := INR (S (length r))).
    assert (Hk : 0 < k) by (apply lt_0_INR; lia).
    assert (Ht : 0 <= 1 / (k + 1) <= 1).
    { split; [apply Rlt_le; apply Rdiv_lt_0_compat; lra |].
      apply (Rmult_le_reg_r (k + 1)); [lra |]. field_simplify; lra. }
    pose proof (convexity p (average q r) (1 / (k + 1)) Ht) as C.
    pose proof (IH q) as Hq. fold k in Hq.
    assert (Hs : F (average q r) * k <= F q + total F r).
    { apply (Rmult_le_compat_r k) in Hq; [| lra]. unfold Rdiv in Hq.
      rewrite Rmult_assoc, Rinv_l in Hq; lra. }
    apply Rle_trans with (1 := C).
    replace (1 / (k + 1) * F p + (1 - 1 / (k + 1)) * F (average q r))
      with ((F p + F (average q r) * k) / (k + 1)) by (field; lra).
    unfold Rdiv. apply Rmult_le_compat_r; [apply Rlt_le, Rinv_0_lt_compat; lra | lra].
Qed."""


def orbit_points(A: Point, layer: int) -> list[Point]:
    """``A`` under every permutation of hidden layer ``layer``'s units, the identity first."""
    mlp = A.mlp
    n = mlp.widths[layer]
    out = []
    for order in itertools.permutations(range(n)):
        layers = A.layers
        here, after = layers[layer - 1], layers[layer]
        weights = tuple(here.weights[j] for j in order)
        biases = None if here.biases is None else tuple(here.biases[j] for j in order)
        after_weights = tuple(tuple(row[j] for j in order) for row in after.weights)
        layers[layer - 1] = type(here)(weights, biases)
        layers[layer] = type(after)(after_weights, after.biases)
        out.append(Point(mlp, mlp.flatten(layers)))
    return out


def orbit_to_coq(certificate: Certificate) -> str:
    """The Coq file of a proved orbit certificate (see the module docstring)."""
    loss, A = certificate.loss, certificate.A
    layer = certificate.parameters.get("layer", 1)
    teacher_name, teacher_points = _teacher(certificate)
    network = Network(loss, teacher_name)
    act, sigma, evaluation = _activation(network, None)
    L = network.loss_at
    orbit = orbit_points(A, layer)[1:]
    names = [f"G{k}" for k in range(2, len(orbit) + 2)]
    mean = orbit_mean(A, layer)
    n = loss.mlp.widths[layer]
    out = [
        _header(
            certificate,
            [
                f"is not convex. Orbit certificate: A's orbit under the {n}! permutations of hidden layer "
                f"{layer}",
                "   has the same loss everywhere, so a convex loss would be at most L(A) at the orbit's mean",
                "   (finite Jensen); but L(mean) > L(A).",
            ],
        ),
        network.record(),
        JENSEN,
    ]
    points = [point_definition("A", A, "The point A."), *teacher_points]
    points += [
        point_definition(name, point, f"The image of A under permutation {k + 2} of layer {layer}'s units.")
        for k, (name, point) in enumerate(zip(names, orbit))
    ]
    out.append("(** * The points: A and its orbit *)\n" + "\n\n".join(points))
    unfold = ", ".join(network.functions())
    lemmas = [
        f"Lemma loss_{name} : L {name} = L A.\nProof. unfold {unfold}, {name}, A; coordinates. ring. Qed."
        for name in names
    ]
    section = _section(network, None, False)
    out.append(
        section[: -len("End Loss.")]
        + "(* Permuting the units of a layer only reorders the terms of the loss. *)\n"
        + "\n".join(lemmas)
        + "\n\nEnd Loss."
    )
    if act is not None:
        out.append("(** * The activation *)\n" + act.text)
        if act.equation:
            out.append(_extensionality(network))
    listing = " (".join(f"cons {name}" for name in names) + " nil" + ")" * (len(names) - 1)
    coq_list = listing if names else "nil"
    out.append(
        "\n".join(
            [
                "(** * The mean of the orbit *)",
                point_definition(
                    "Mean", mean, "The mean of the orbit: every unit of the layer equal, exactly."
                ),
                f"Definition orbit : list params := {coq_list}.",
                "Lemma mean_average : average A orbit = Mean.",
                "(* cbn reduces each coordinate of the nested combinations as it goes (unfolding comb first",
                "   would copy every inner point once per coordinate, exponentially). *)",
                f"Proof.\n  apply params_eq; unfold orbit, Mean, A{''.join(', ' + name for name in names)};\n"
                f"  cbn [average length INR comb {' '.join(network.fields)}]; lra.\nQed.",
            ]
        )
    )
    low, high = certificate.enclosures["gap"]
    scale = max([sympy.Integer(1)] + [abs(v) for pair in certificate.enclosures.values() for v in pair])
    bits = _bits(low, scale)
    used = ["Mean", "A"] + (["T"] if teacher_name == "T" else [])
    out.append(
        "\n".join(
            [
                "(** * Averaging the orbit raises the loss *)",
                f"(* symcert enclosed L(mean) - L(A) in [{sympy.Float(low, 12)}, {sympy.Float(high, 12)}];"
                f" interval re-proves the sign at {bits} bits. *)",
                f"Lemma margin : 0 < {L(evaluation, 'Mean')} - {L(evaluation, 'A')}.",
                f"Proof.\n  unfold {_unfold(network, act)}, {', '.join(used)}; coordinates.\n"
                f"  interval with (i_prec {bits}).\nQed.",
                "",
                f"Lemma gap : {L(sigma, 'A')} < {L(sigma, 'Mean')}.",
                f"Proof.\n  {_ext_rewrite(act, sigma)}pose proof margin. lra.\nQed.",
            ]
        )
    )
    with_sigma = f" {sigma}" if sigma else ""
    loss_term = f"(L {sigma})" if network.uses_activation else "L"
    rewrites = ", ".join(f"(loss_{name}{with_sigma})" for name in names)
    out.append(
        _conclusion(
            network,
            sigma,
            [
                "  intro convexity.",
                f"  pose proof (jensen {loss_term} convexity orbit A) as below.",
                "  rewrite mean_average in below.",
                "  unfold orbit in below; cbn [total length INR] in below.",
                *([f"  rewrite {rewrites} in below."] if names else []),
                "  pose proof gap. lra.",
            ],
        )
    )
    return "\n\n".join(out) + "\n"
