"""A barrier certificate as a Coq file: every piece's upper bound and the witness's lower bound.

The barrier (Entezari et al. 2022) of the segment from ``A`` to ``B`` is the sup over ``t`` in
``[0, 1]`` of ``gap(t) = L((1 - t) A + t B) - chord(t)``, with ``chord(t) = (1 - t) L(A) + t L(B)``
(``form`` entezari) or ``(L(A) + L(B)) / 2`` (``form`` midpoint). The file

1. defines the network, the loss, the points ``A`` and ``B`` and ``gap`` (for any activation);
2. proves, for each piece ``[t0, t1]`` of the certificate's partition of ``[0, 1]``,
   ``forall t, t0 <= t <= t1 -> gap t <= u`` with ``u`` the piece's bound, by ``interval``
   (bisection on ``t`` and Taylor models of ``gap``);
3. proves ``lo <= gap w`` at the witness ``w`` by ``interval`` (or exactly, by ``lra``, when
   ``lo = 0`` at an end of an entezari segment, where ``gap`` is exactly 0);
4. concludes ``barrier_bounds : (forall t, 0 <= t <= 1 -> gap t <= hi) /\\ lo <= gap w``, the
   certificate's enclosure ``lo <= barrier <= hi``, walking the pieces from 0 to 1;
5. for an entezari certificate with ``lo > 0`` also ``loss_not_convex``: convexity at ``t = w``
   gives ``gap w <= 0``.

Nothing is decided here: the bounds are the certificate's. The only numbers computed while
printing are mpmath values (evidence) that set the working precision ``interval`` is given.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import sympy

from symcert.errors import SpecificationError
from symcert.numeric.rounding import outward_interval
from symcert.numeric.values import loss_value
from symcert.printing.coq.chord import THEOREM, _extensionality, _section
from symcert.printing.coq.segment import _activation, _bits, _conclusion, _header, _teacher, _unfold
from symcert.printing.coq.syntax import Network, point_definition, real

if TYPE_CHECKING:
    from symcert.proofs.certificates import Certificate

__all__ = ["barrier_to_coq", "barrier_pieces", "gap_definition", "BARRIER_THEOREM", "proves_nonconvexity"]

#: The name of the theorem stating the certificate's enclosure.
BARRIER_THEOREM = "barrier_bounds"

#: Interval's options for a piece: Taylor models of this degree, bisection to this depth.
_DEGREE, _DEPTH = 6, 12
#: interval's default precision (IEEE doubles, its fast path); more bits only when a margin needs them.
_FAST_BITS = 53


def barrier_pieces(certificate: Certificate) -> list[tuple[sympy.Rational, sympy.Rational, sympy.Rational]]:
    """The certificate's partition ``(t0, t1, bound)``, checked to cover ``[0, 1]`` in order."""
    if "pieces" not in certificate.parameters or "witness" not in certificate.parameters:
        raise SpecificationError(
            "this barrier certificate records no partition of [0, 1] or no witness, so it has no Coq export; "
            "certify it with certify_barrier (or symcert barrier)"
        )
    pieces = [tuple(sympy.Rational(str(v)) for v in piece) for piece in certificate.parameters["pieces"]]
    ends = [sympy.Integer(0)] + [t1 for _, t1, _ in pieces]
    if not pieces or ends[-1] != 1 or any(t0 != end for (t0, _, _), end in zip(pieces, ends)):
        raise SpecificationError(
            "a barrier certificate's pieces must cover [0, 1] in order, each starting where the one before "
            "ends; this one does not, so it has no Coq export"
        )
    if any(t1 <= t0 for t0, t1, _ in pieces):
        raise SpecificationError("a barrier certificate's pieces must each have t0 < t1")
    return pieces


def proves_nonconvexity(certificate: Certificate) -> bool:
    """True when the enclosure shows non-convexity: an entezari barrier with ``lo > 0``."""
    return certificate.parameters["form"] == "entezari" and certificate.enclosures["barrier"][0] > 0


def gap_definition(network: Network, form: str) -> str:
    """``Definition gap (s : R -> R) (t : R) : R := ...`` (without ``s`` when the loss has no activation).

    >>> from symcert import MLP, Dataset, Loss
    >>> loss = Loss(MLP((1, 1, 1), "tanh"), Dataset([[1]], [[0]]), "mse")
    >>> print(gap_definition(Network(loss, None), "midpoint").splitlines()[-1])
      L s (comb (1 - t) A B) - ((L s A + L s B) / 2).
    """
    L = network.loss_at
    chord = (
        f"((1 - t) * {L('s', 'A')} + t * {L('s', 'B')})"
        if form == "entezari"
        else f"(({L('s', 'A')} + {L('s', 'B')}) / 2)"
    )
    binder = "(s : R -> R) " if network.uses_activation else ""
    what = "(1 - t) L(A) + t L(B)" if form == "entezari" else "(L(A) + L(B)) / 2"
    return "\n".join(
        [
            f"(* The loss along the segment, (1 - t) A + t B = comb (1 - t) A B, minus the chord {what}. *)",
            f"Definition gap {binder}(t : R) : R :=\n  {L('s', '(comb (1 - t) A B)')} - {chord}.",
        ]
    )


def _gap(network: Network, activation: str, t: str) -> str:
    return f"gap {activation} {t}" if network.uses_activation else f"gap {t}"


def barrier_to_coq(certificate: Certificate) -> str:
    """The Coq file of a proved barrier certificate (see the module docstring for its layout)."""
    loss, A, B = certificate.loss, certificate.A, certificate.B
    assert B is not None  # a barrier certificate has its B
    if A == B:
        raise SpecificationError(
            "this barrier certificate has B = A: the barrier is 0 exactly, with nothing for Coq to prove"
        )
    pieces = barrier_pieces(certificate)
    form, w = certificate.parameters["form"], sympy.Rational(str(certificate.parameters["witness"]))
    low, high = certificate.enclosures["barrier"]
    teacher_name, teacher_points = _teacher(certificate)
    network = Network(loss, teacher_name)
    act, sigma, evaluation = _activation(network, None)
    nonconvex = proves_nonconvexity(certificate)
    chord = "(1 - t) L(A) + t L(B)" if form == "entezari" else "(L(A) + L(B))/2"
    out = [
        _header(
            certificate,
            [
                f"has a loss barrier in {outward_interval(low, high, 8)} between A and B:",
                f"gap(t) = L((1 - t) A + t B) - ({chord}) is at most hi on [0, 1]",
                f"(one interval proof for each of the certificate's {len(pieces)} pieces) and at least lo",
                "at the witness t = w"
                + (", so the loss is not convex (convexity gives gap <= 0)." if nonconvex else "."),
            ],
        ),
        network.record(),
    ]
    points = [
        point_definition("A", A, "The point A."),
        *teacher_points,
        point_definition("B", B, "The point B."),
    ]
    out.append("(** * The points *)\n" + "\n\n".join(points))
    out.append(_section(network, None, False))
    if act is not None:
        out.append("(** * The activation *)\n" + act.text)
        if act.equation:
            out.append(_extensionality(network))
    out.append(_gap_block(network, act, form))
    out.append(
        "\n".join(
            [
                "(** * The enclosure *)",
                f"Definition lo : R := {real(low)}.",
                f"Definition hi : R := {real(high)}.",
                f"Definition w : R := {real(w)}.",
            ]
        )
    )
    used = ["comb", "A", "B"] + (["T"] if teacher_name == "T" else [])
    unfold = f"gap, {_unfold(network, act)}, {', '.join(used)}"
    out.append(_piece_lemmas(certificate, network, evaluation, pieces, unfold))
    out.append(_lower_lemma(certificate, network, evaluation, unfold, form, low, w))
    out.append(_bounds_theorem(network, act, sigma, pieces))
    if nonconvex:
        out.append(
            _conclusion(
                network,
                sigma,
                [
                    "  intro convexity.",
                    "  destruct barrier_bounds as [_ above].",
                    "  pose proof (convexity B A w ltac:(unfold w; lra)) as below.",
                    "  unfold gap in above. replace (comb w B A) with (comb (1 - w) A B) in below.",
                    "  - unfold lo in above. lra.",
                    "  - apply params_eq; unfold comb; cbn; ring.",
                ],
            ).replace(
                f"Theorem {THEOREM}",
                f"(* Convexity at t = w puts the loss below the chord. *)\nTheorem {THEOREM}",
            )
        )
    return "\n\n".join(out) + "\n"


def _gap_block(network: Network, act, form: str) -> str:
    lines = ["(** * The gap along the segment *)", gap_definition(network, form)]
    if act is not None and act.equation:
        lines += [
            "",
            f"Lemma gap_ext : forall t, gap {act.name} t = gap {act.evaluation} t.",
            f"Proof. intro t. unfold gap. rewrite !(loss_ext {act.name} {act.evaluation} {act.equation}). "
            "reflexivity. Qed.",
        ]
    return "\n".join(lines)


def _piece_lemmas(certificate, network: Network, evaluation: str, pieces, unfold: str) -> str:
    lines = [
        "(* Each piece's bound, re-proved by interval (bisection on t, Taylor models of gap) for a short",
        "   dyadic at most the bound (long numerals overflow interval's fast floats), then lra. *)",
    ]
    scale = _scale(certificate)
    for k, ((t0, t1, bound), margin) in enumerate(zip(pieces, _piece_margins(certificate, pieces)), start=1):
        bits = _bits(margin, scale) if margin > 0 else _FAST_BITS  # a false bound fails at any precision
        short = _dyadic(bound, bits + 8, down=True)
        options = f"i_bisect t, i_taylor t, i_degree {_DEGREE}, i_depth {_DEPTH}"
        if bits > _FAST_BITS:
            options += f", i_prec {bits}"
        lines += [
            f"Lemma piece_{k} : forall t, {real(t0)} <= t <= {real(t1)} -> "
            f"{_gap(network, evaluation, 't')} <= {real(bound)}.",
            f"Proof.\n  intros t Ht. apply (Rle_trans _ {real(short)}); [| lra].\n"
            f"  unfold {unfold}; coordinates.\n  interval with ({options}).\nQed.",
        ]
    return "\n".join(lines)


def _lower_lemma(certificate, network: Network, evaluation: str, unfold: str, form: str, low, w) -> str:
    claim = f"lo <= {_gap(network, evaluation, 'w')}"
    if form == "entezari" and low == 0 and w in (0, 1):
        end = "A" if w == 0 else "B"
        proof = (
            f"  unfold lo, gap, w. replace (comb (1 - {real(w)}) A B) with {end}; [lra |].\n"
            "  apply params_eq; unfold comb, A, B; coordinates; lra."
        )
        comment = f"(* At t = {w} the segment is at {end}: gap is exactly 0. *)"
    else:
        margin = _gap_value(certificate, w, 60) - low
        bits = max(_bits(margin, _scale(certificate)), 60) if margin > 0 else 200
        short = _dyadic(low, bits, down=False)
        precision = f" with (i_prec {bits})" if bits > _FAST_BITS else ""
        proof = (
            f"  apply (Rle_trans _ {real(short)}); [unfold lo; lra |].\n"
            f"  unfold w, {unfold}; coordinates.\n  interval{precision}."
        )
        comment = f"(* The witness's lower bound, re-proved by interval at {max(bits, _FAST_BITS)} bits. *)"
    return "\n".join([comment, f"Lemma witness_lower : {claim}.", f"Proof.\n{proof}\nQed."])


def _dyadic(value: sympy.Rational, bits: int, *, down: bool) -> sympy.Rational:
    """``value`` rounded to a multiple of ``2^-bits``: down (at most ``value``) or up (at least)."""
    scaled = value * 2**bits
    whole = math.floor(scaled) if down else math.ceil(scaled)
    return sympy.Rational(whole, 2**bits)


def _gap_value(certificate, t: sympy.Rational, dps: int = 30) -> sympy.Rational:
    """``gap(t)`` from mpmath at ``dps`` digits, as a rational: evidence to choose a precision, not proof."""
    loss, A, B = certificate.loss, certificate.A, certificate.B
    value = sympy.Rational(str(loss_value(loss, A.interpolate(B, t), dps=dps)))
    LA, LB = (sympy.Rational(str(loss_value(loss, p, dps=dps))) for p in (A, B))
    chord = (1 - t) * LA + t * LB if certificate.parameters["form"] == "entezari" else (LA + LB) / 2
    return value - chord


def _piece_margins(certificate, pieces) -> list[sympy.Rational]:
    """How far each piece's bound lies above ``gap`` sampled at 9 points of the piece (evidence only)."""
    return [
        bound - max(_gap_value(certificate, t0 + (t1 - t0) * sympy.Rational(k, 8)) for k in range(9))
        for t0, t1, bound in pieces
    ]


def _scale(certificate) -> sympy.Rational:
    return max([sympy.Integer(1)] + [abs(v) for pair in certificate.enclosures.values() for v in pair])


def _bounds_theorem(network: Network, act, sigma: str, pieces) -> str:
    steps = []
    for k, (_, t1, _) in enumerate(pieces, start=1):
        close = f"eapply Rle_trans; [apply piece_{k}; lra | unfold hi; lra]"
        if k < len(pieces):
            steps.append(f"  destruct (Rle_lt_dec t {real(t1)}); [{close} |].")
        else:
            steps.append(f"  {close}.")
    rewrite = " rewrite gap_ext." if act is not None and act.equation else ""
    lower = "rewrite gap_ext; " if rewrite else ""
    return "\n".join(
        [
            "(** * The barrier lies in [lo, hi] *)",
            f"Theorem {BARRIER_THEOREM} :",
            f"  (forall t, 0 <= t <= 1 -> {_gap(network, sigma, 't')} <= hi) /\\",
            f"  lo <= {_gap(network, sigma, 'w')}.",
            "Proof.",
            f"  split; [| {lower}exact witness_lower].",
            f"  intros t Ht.{rewrite}",
            *steps,
            "Qed.",
        ]
    )
