"""The ``barrier`` kind: an enclosure of the loss barrier along a segment (Entezari et al. 2022).

Branch and bound over ``t`` (:func:`symcert.proofs.barrier.certify_barrier`): every piece of
a partition of ``[0, 1]`` bounds the barrier above, a witness ``t`` bounds it below. It shows
non-convexity when the enclosure is ``> 0`` (entezari form). Its Coq export proves every piece's bound
and the witness's (:mod:`symcert.printing.coq.barrier`) for small networks and few pieces.
"""

from __future__ import annotations

from dataclasses import dataclass

from symcert.proofs.kinds.base import CertificateKind, Parameter

__all__ = ["KIND", "BarrierKind"]


@dataclass(frozen=True)
class BarrierKind(CertificateKind):
    """The barrier kind: its Coq export stops at ``coq_max_pieces`` pieces (one ``interval`` proof each)."""

    coq_max_pieces: int = 16


KIND = BarrierKind(
    "barrier",
    "barrier",
    "in",
    "sup_t L((1-t)A + tB) - chord(t) lies in the enclosure: each piece of [0, 1] bounds it above, "
    "the witness below",
    "a positive loss barrier",
    (
        Parameter(
            "form", "the chord: entezari ((1-t)L(A) + tL(B)) or midpoint", {"enum": ["entezari", "midpoint"]}
        ),
        Parameter("witness", "the exact t whose certified value bounds the barrier below"),
        Parameter(
            "pieces",
            "the partition of [0, 1]: triples [t0, t1, upper bound on the piece]",
            {"type": "array", "items": {"type": "array", "minItems": 3, "maxItems": 3}},
        ),
    ),
    ("L(A)", "L(B)", "barrier"),
    coq_limit=100,
)
