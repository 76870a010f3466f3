"""``symcert prove --coq OUT.v [--check-coq]``: the chord certificate as a Coq proof."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from symcert.build.coq import check_coq
from symcert.errors import SpecificationError
from symcert.proofs.certificates import Certificate
from symcert.proofs.coq import EXPORTED_KINDS

__all__ = ["write_coq"]


def write_coq(certificates: Sequence[Certificate], path: str, check: bool) -> bool:
    """Write the Coq file of the first proved exportable certificate; with ``check``, run coqc on it.

    Returns False when coqc rejects the file (True otherwise).
    """
    chosen = next((c for c in certificates if c.proved and c.kind in EXPORTED_KINDS), None)
    if chosen is None:
        raise SpecificationError(
            f"--coq exports proved {' or '.join(EXPORTED_KINDS)} certificates; "
            "run with --kind chord (or --kind all)"
        )
    target = Path(path)
    try:
        target.write_text(chosen.to_coq(), encoding="utf-8")
    except OSError as error:
        raise SpecificationError(f"cannot write {target}: {error.strerror}") from None
    print(f"Coq proof written to {target} (check: coqc {target})")
    if not check:
        return True
    result = check_coq(target)
    if result.accepted:
        axioms = ", ".join(result.axioms) or "none"
        print(f"coqc accepted {target} in {result.seconds:.1f} s; axioms: {axioms}")
        return True
    print(f"coqc REJECTED {target}: {result.error}")
    return False
