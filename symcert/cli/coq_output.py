"""``symcert prove --coq OUT.v [--check-coq]`` (and ``barrier --coq``): the certificate as a Coq proof."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from symcert.build.coq import PROOF_MODULE, check_coq
from symcert.errors import SpecificationError
from symcert.printing.coq import EXPORTED_KINDS, coq_refusal
from symcert.printing.coq.limits import MAX_BARRIER_PIECES
from symcert.printing.coq.statement import statement_to_coq
from symcert.proofs.certificates import Certificate
from symcert.symbolic.losses import Loss

if TYPE_CHECKING:
    from symcert.proofs.barrier import BarrierResult

__all__ = ["axioms_text", "write_coq", "refuse_coq", "write_barrier_coq", "COQ_PIECES"]

#: With ``barrier --coq``, branch and bound stops at the most pieces the Coq export holds.
COQ_PIECES = MAX_BARRIER_PIECES


def refuse_coq(loss: Loss, kinds: Sequence[str]) -> None:
    """Raise (before any proving) when none of ``kinds`` can be exported to Coq for ``loss``."""
    reasons = [coq_refusal(loss, kind) for kind in kinds]
    if all(reasons):
        raise SpecificationError(f"--coq: {reasons[0]}")


def axioms_text(axioms: Sequence[str]) -> str:
    """The axioms a Coq proof rests on (``Print Assumptions``), sorted, one per line.

    >>> print(axioms_text(["Classical_Prop.classic", "ClassicalDedekindReals.sig_forall_dec"]))
    Axioms (Print Assumptions loss_not_convex), 2:
      ClassicalDedekindReals.sig_forall_dec
      Classical_Prop.classic
    >>> print(axioms_text([]))
    Axioms (Print Assumptions loss_not_convex): none (closed under the global context)
    """
    if not axioms:
        return "Axioms (Print Assumptions loss_not_convex): none (closed under the global context)"
    head = f"Axioms (Print Assumptions loss_not_convex), {len(axioms)}:"
    return "\n".join([head, *(f"  {axiom}" for axiom in sorted(axioms))])


def write_coq(certificates: Sequence[Certificate], path: str, check: bool) -> bool:
    """Write the Coq file of the first proved exportable certificate; with ``check``, run coqc on it.

    Returns False when coqc rejects the file (True otherwise).
    """
    chosen = next(
        (
            c
            for c in certificates
            if c.proved
            and c.kind in EXPORTED_KINDS
            and not coq_refusal(c.loss, c.kind, c.parameters.get("layer", 1))
            and (c.spec.parameter("h") is None or "h" in c.parameters)  # a reduction needs its step h
        ),
        None,
    )
    if chosen is None:
        raise SpecificationError(
            "--coq exports a proved certificate, and none was proved (or none records what its export "
            "needs, such as the chord step h of a curvature certificate); check the JSON with symcert check"
        )
    target = Path(path)
    try:
        target.write_text(chosen.to_coq(), encoding="utf-8")
    except OSError as error:
        raise SpecificationError(f"cannot write {target}: {error.strerror}") from None
    print(f"Coq proof written to {target} (check: coqc {target})")
    if not check:
        return True
    # the kernel also checks the theorem against the statement regenerated from the certificate
    result = check_coq(target, statement=statement_to_coq(chosen, PROOF_MODULE))
    if result.accepted:
        print(f"coqc accepted {target} in {result.seconds:.1f} s")
        print(axioms_text(result.axioms))
        return True
    print(f"coqc REJECTED {target}: {result.error}")
    return False


def write_barrier_coq(result: BarrierResult, path: str, check: bool) -> bool:
    """``barrier --coq OUT.v [--check-coq]``: the Coq proof of a barrier; False when it cannot be had."""
    if result.status != "proved":
        print(
            f"Coq proof not written: the barrier was not certified within {result.n_pieces} pieces (with "
            f"--coq at most {COQ_PIECES}, what coqc checks within about 60 s); give a larger --tol",
            file=sys.stderr,
        )
        return False
    if result.exact:
        print("Coq proof not written: B = A, so the barrier is 0 exactly", file=sys.stderr)
        return False
    return write_coq([result.certificate()], path, check)
