"""The ``path`` kind: ``L <= level`` along a whole connecting path, with an enclosure of its sup.

:func:`symcert.proofs.path.certify_path` proves it: along a chain of points (or of quadratic
Bezier curves), each segment is either an exact move of Şimşek et al. (2021), along which the
network function is unchanged, or a partition of ``[0, 1]`` whose pieces bound the loss above.
A witness point bounds the sup below. It shows mode connectivity, not non-convexity; it has no
Coq export.
"""

from __future__ import annotations

from symcert.proofs.kinds.base import INTEGER, CertificateKind, Parameter

__all__ = ["KIND"]

KIND = CertificateKind(
    "path",
    "sup",
    "in",
    "L <= the upper end of sup along the whole path parameters.chain: each exact move keeps the network "
    "function unchanged, each other segment's pieces bound L above; the witness bounds sup L below",
    "a certified connecting path",
    (
        Parameter(
            "curve", "chain (straight segments) or bezier (quadratic curves)", {"enum": ["chain", "bezier"]}
        ),
        Parameter(
            "chain",
            "the points P0 = A, ..., Pk = B (objects W1, b1, ...)",
            {"type": "array", "minItems": 2, "items": {"type": "object"}},
        ),
        Parameter(
            "segments",
            "per segment: a move {move: rotate, layer, unit} or {move: shift, layer, units: [i, j]}, or "
            "{pieces: [[t0, t1, upper bound of L]], control (bezier)}",
            {"type": "array", "minItems": 1, "items": {"type": "object"}},
        ),
        Parameter(
            "witness",
            "{segment, t}: the point whose certified value bounds sup L below",
            {"type": "object", "properties": {"segment": INTEGER}},
        ),
    ),
    ("L(A)", "L(B)", "sup"),
)
