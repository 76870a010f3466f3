"""Certify that a loss is not convex: five kinds of witness, each decided rigorously.

- ``chord``: ``L((A+B)/2) > (L(A) + L(B))/2``;
- ``curvature``: ``phi''(t0) < 0`` along ``phi(t) = L(A + t(B - A))``;
- ``hessian``: ``d^T H(M) d < 0`` at ``M = (A+B)/2`` for ``d = B - A``;
- ``orbit``: averaging ``A`` over the permutations of a hidden layer (all units
  equal: a width-1 network) gives a strictly larger loss;
- ``critical_pair`` (formerly ``critical``): ``A`` (a teacher point) and ``B = g(A)`` are
  critical points and the gradient is rigorously nonzero between them.

Each kind is declared, with its prover, in :mod:`symcert.proofs.kinds`.

>>> from symcert.symbolic.examples import default_example
>>> example = default_example()
>>> certificate = certify_nonconvexity(example.loss, example.teacher, element=example.element)
>>> certificate.status, certificate.kind
('proved', 'chord')
"""

from __future__ import annotations

from symcert.errors import SpecificationError
from symcert.numeric.contexts import check_dps
from symcert.numeric.engine.ladder import check_digits, wanting_digits
from symcert.proofs.certificates import Certificate
from symcert.proofs.convexity import prove_convexity
from symcert.proofs.kinds import NONCONVEXITY_KINDS, RENAMED, current_name, kind_of
from symcert.proofs.kinds.orbit import collapsed_network, orbit_mean
from symcert.symbolic.group import GroupElement, parse_element
from symcert.symbolic.losses import Loss
from symcert.symbolic.point import Point

__all__ = ["certify_nonconvexity", "KINDS", "orbit_mean", "collapsed_network"]

#: The kinds this module proves (barrier: :mod:`symcert.proofs.barrier`; unique_critical_point and
#: saddle: :mod:`symcert.proofs.saddle`).
KINDS = NONCONVEXITY_KINDS


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
    digits: int | None = None,
) -> Certificate:
    """A certificate that ``loss`` is not convex, from ``A`` and ``B = element(A)`` (or a given ``B``).

    ``kind`` is one of :data:`KINDS` (the old name ``critical`` still works, with a
    :class:`DeprecationWarning`). ``dps`` is the starting precision; it is
    doubled twice if the enclosure does not decide (the kind's ladder). ``t0`` (exact) is the
    segment parameter for ``curvature`` (default 1/2) and ``critical_pair``
    (default 1/4); ``layer`` the hidden layer averaged by ``orbit``. ``digits`` asks for tight values:
    the precision climbs (past the ladder if need be) until every enclosure that excludes 0 pins that
    many significant digits (:func:`symcert.numeric.rounding.pins_digits`), where the kind's enclosures
    come from the engine's ladder; see :func:`symcert.numeric.rounding.agreed_digits` for what was reached.
    """
    if not isinstance(loss, Loss):
        raise SpecificationError(f"loss must be a Loss, got {type(loss).__name__}")
    if isinstance(kind, str) and kind in RENAMED:
        kind = current_name(kind)
    if kind not in KINDS:
        raise SpecificationError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    spec = kind_of(kind)
    dps = check_dps(dps)
    digits = check_digits(digits)
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
    if spec.needs_B and B is None:
        raise SpecificationError(f"a {kind} certificate needs element= (B = element(A)) or B=")
    convexity = prove_convexity(loss)
    if convexity.status == "proved":
        note = "the loss is convex (prove_convexity): no certificate of non-convexity can exist"
        return Certificate(kind, "refuted", loss, A, B, element, {}, None, dps, {}, (note,))
    assert spec.certify is not None  # every kind of KINDS has its prover here
    with wanting_digits(digits):
        return spec.certify(loss, A, B, element, dps, t0, layer)


def _own_point(loss: Loss, point: object, name: str) -> Point:
    if not isinstance(point, Point):
        raise SpecificationError(
            f"{name} must be a Point (build it with MLP.point), got {type(point).__name__}"
        )
    if point.mlp != loss.mlp:
        raise SpecificationError(f"{name} belongs to {point.mlp.describe()}, not to the loss's network")
    return point
