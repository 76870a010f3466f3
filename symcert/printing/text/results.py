"""Plain-text accounts of the smaller results: gradient identities, convexity, barriers, groups,
certified critical points and the permutation saddles lifted from them.

>>> from symcert import MLP
>>> print(group_to_text(MLP((1, 2, 1), "tanh").symmetry_group()).splitlines()[3])
  order of the discrete group: 8
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from symcert.numeric.rounding import outward_interval
from symcert.proofs.generation import flip_reason, generation_argument

if TYPE_CHECKING:
    from symcert.proofs.barrier import BarrierResult
    from symcert.proofs.convexity import ConvexityProof
    from symcert.proofs.gradient import GradientProof
    from symcert.symbolic.generic import PermutationLemma
    from symcert.symbolic.group import SymmetryGroup

__all__ = [
    "barrier_to_text",
    "convexity_to_text",
    "gradient_proof_to_text",
    "group_to_text",
    "permutation_lemma_to_text",
    "critical_point_to_text",
    "saddle_to_text",
]


def gradient_proof_to_text(proof: GradientProof) -> str:
    """The claim, each step, the verdict of each unit, the verdict."""
    lines = [f"Claim: {proof.claim}"]
    for number, step in enumerate(proof.steps, start=1):
        lines.append(f"  {number}. {step.name}: {step.text}")
    for part in proof.parts:
        lines.append(f"  - unit {part.unit}: {part.status.upper()}")
    lines.append(f"Verdict: {proof.status.upper()}")
    return "\n".join(lines)


def convexity_to_text(proof: ConvexityProof) -> str:
    """The Gram-matrix argument step by step, or the reason it does not apply."""
    lines = [f"Claim: the {proof.loss.describe()} is convex."]
    for number, step in enumerate(proof.steps, start=1):
        lines.append(f"  {number}. {step.name}: {step.text}")
    if not proof.proved:
        lines.append(f"  Not proved: {proof.reason}")
    lines.append(f"Verdict: {proof.status.upper()}")
    return "\n".join(lines)


def barrier_to_text(result: BarrierResult, exact: bool = False, digits: int | None = None) -> str:
    """One line for the terminal: the certified enclosure of the barrier and where it is attained.

    Decimals rounded outward (the printed intervals contain the exact ones): 6 significant digits, or
    ``digits`` with their trailing zeros; ``exact=True`` prints the exact endpoints.
    """
    if result.exact:
        return "barrier = 0 exactly (B = A: the path is constant)"
    if exact:
        barrier, where = f"[{result.lo}, {result.hi}]", f"[{result.maximiser[0]}, {result.maximiser[1]}]"
    else:
        barrier = outward_interval(result.lo, result.hi, digits or 6, bool(digits))
        where = outward_interval(*result.maximiser, digits=4)
    return (
        f"barrier ({result.form}) in {barrier} ({result.status}), maximiser in {where}, "
        f"{result.n_pieces} pieces, {result.seconds:.2f} s"
    )


def group_to_text(group: SymmetryGroup, argument: bool = True) -> str:
    """The group layer by layer (order, sign flips and why), its generators, the elements acting
    across layers and the continuous families; then, with ``argument``, why these generate it."""
    lines = [f"Symmetry group of the {group.mlp.describe()}"]
    if not group.layers:
        lines.append("  no hidden layer: the group is trivial (order 1)")
    for layer in group.layers:
        kind = "signed permutations" if layer.flips else "permutations"
        formula = f"{layer.width}! * 2^{layer.width}" if layer.flips else f"{layer.width}!"
        lines.append(
            f"  hidden layer {layer.layer}: {layer.width} units, {kind}, order {formula} = {layer.order}"
        )
        flips = f"yes, {layer.sign_kind}" if layer.flips else "no"
        lines.append(f"    sign flips: {flips} ({flip_reason(layer, group.mlp.activation.name)})")
    lines.append(f"  order of the discrete group: {group.order}")
    lines.append(f"  generators: {', '.join(str(g) for g in group.generators) or 'none'}")
    for element in group.cross_layer:
        lines.append(f"  sign across layers: {element} (a product of the generators; the order is unchanged)")
    for family in group.continuous:
        degree = "" if family.degree is None else f", degree {family.degree}"
        lines.append(f"  continuous: {family.description} (dimension {family.dimension}{degree})")
    if not group.continuous:
        lines.append("  continuous families: none")
    if argument:
        lines.append("  " + generation_argument(group))
    return "\n".join(lines)


def permutation_lemma_to_text(lemma: PermutationLemma) -> str:
    """The statement and the derivation steps."""
    lines = [f"Lemma: {lemma.statement}"]
    lines += [f"  {number}. {text}: {expr}" for number, (text, expr) in enumerate(lemma.steps, start=1)]
    return "\n".join(lines)


def _num(value: Any, digits: int = 6) -> str:
    return f"{float(value):.{digits}g}"


def _outward(lo: Any, hi: Any, digits: int = 7) -> str:
    """``[lo, hi]`` in decimals rounded outward (the printed interval contains the exact one)."""
    from decimal import ROUND_CEILING, ROUND_FLOOR, Context, Decimal

    def shown(value: Any, rounding: str) -> str:
        exact = Context(prec=60, rounding=rounding).divide(Decimal(value.numerator), value.denominator)
        return f"{Context(prec=digits, rounding=rounding).plus(exact):g}"

    return f"[{shown(lo, ROUND_FLOOR)}, {shown(hi, ROUND_CEILING)}]"


def _pair(bounds: Any, digits: int) -> str:
    lo, hi = bounds
    return _outward(lo, hi, digits)


def critical_point_to_text(found: Any, digits: int | None = None) -> str:
    """A certified critical point, for the terminal (with ``digits``: each coordinate's enclosure to
    that many significant digits, rounded outward)."""
    names = found.loss.mlp.parameter_names
    lines = [f"Critical point of the {found.loss.mlp.describe()}: {found.message}"]
    if found.proved and digits is not None:
        from symcert.numeric.rounding import decimal_up

        radius = decimal_up(found.radius, 3)  # exact: a tight radius underflows a float
        lines.append(f"  box: centre +- {radius} (exact dyadic endpoints); the critical point:")
        lines.extend(
            f"    {n} in {_outward(lo, hi, digits)}" for n, lo, hi in zip(names, found.lower, found.upper)
        )
    elif found.proved:
        lines.append(f"  box: centre +- {_num(found.radius, 3)} (exact dyadic endpoints), centre:")
        lines.extend(f"    {n} = {_num(v, 12)}" for n, v in zip(names, found.center.values))
    if found.eigenvalues:
        shown = ", ".join(_num(v, 4) for v in found.eigenvalues[:8])
        more = ", ..." if len(found.eigenvalues) > 8 else ""
        lines.append(f"  Hessian eigenvalues at the centre (float64 evidence): {shown}{more}")
    return "\n".join(lines)


_EIGENVALUES = (("lambda_min", "lambda_min"), ("lambda_min_positive", "smallest positive"))


def _eigenvalue_lines(result: Any, digits: int) -> list[str]:
    """The certified eigenvalues: what the certificate states (re-proved by ``symcert check``), then
    the prover's own enclosures, which are tighter (the claims leave the checker room)."""
    inertia = result.inertia
    claims = result.claims if hasattr(result, "claims") else {}
    stated = [f"{label} in {_pair(claims[k], digits)}" for k, label in _EIGENVALUES if k in claims]
    own = [
        f"{label} in {_pair(getattr(inertia, k), digits)}"
        for k, label in _EIGENVALUES
        if getattr(inertia, k) is not None
    ]
    lines = []
    if stated:
        lines.append(
            "   Hessian eigenvalues at the lifted point (certified; as the certificate states them, "
            f"re-proved by symcert check): {'; '.join(stated)}"
        )
    if own:
        where = "the prover's own enclosures, tighter"
        if not stated:
            where = "the prover's enclosures, not in the certificate"
        lines.append(f"   ({where}: {'; '.join(own)})")
    return lines


def saddle_to_text(result: Any, digits: int | None = None) -> str:
    """The whole argument, for the terminal (enclosures with ``digits`` significant digits, default 7,
    rounded outward; the eigenvalues as the certificate states them, then the prover's own)."""
    narrow, inertia = result.narrow, result.inertia
    shown = digits or 7
    lines = [
        f"Permutation saddle: {narrow.loss.mlp.describe()} lifted at layer {result.layer}, "
        f"unit {result.unit}, lam = {result.lam}",
        "1. " + critical_point_to_text(narrow, digits).replace("\n", "\n   "),
    ]
    if getattr(result, "loss_value", None) is not None:
        lines.append(
            "   L at the critical point (= L_wide at the lifted point) in "
            f"{_pair(result.loss_value, shown)} "
            "(the prover's enclosure over the box; the certificate does not state it)"
        )
    if result.proof is not None:
        lines.append("2. lift identity (exact, SymPy): " + "; ".join(result.proof.steps[-2:]))
    else:
        lines.append("2. lift identity: the exact identity of symcert.prove_lift_identity (not re-run here)")
    lines.append(
        f"   the lifted point is a critical point of the {result.wide_loss.mlp.describe()}, on a line of "
        "critical points (one exactly flat direction)"
    )
    if inertia is not None:
        if inertia.decided:
            lines.append(
                f"3. inertia over the lifted box (Sylvester + Gershgorin): {inertia.negative} negative, "
                f"{inertia.zero} zero (the line), {inertia.positive} positive"
            )
        else:
            lines.append("3. inertia over the lifted box: undecided (a Gershgorin disc contains 0)")
        lines.extend(_eigenvalue_lines(result, shown))
        if inertia.dHd is not None:
            lines.append(
                f"   negative direction d (rational): d^T H d in {_pair(inertia.dHd, 6)} "
                "over the whole lifted box"
            )
    lines.append(f"Verdict: {result.verdict} ({result.status})")
    return "\n".join(lines)
