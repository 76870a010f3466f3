"""The independent certificate checker.

It reads a certificate (JSON) strictly, rebuilds the network, data and loss
from the statement with its own small interval evaluator (mpmath ``iv``,
outward rounding), recomputes every claim, and accepts only what it re-proves.
It imports nothing from the prover: only ``mpmath`` and the standard library.
"""

from symcert.checker.check import CertificateFormatError, CheckResult, check

__all__ = ["CheckResult", "CertificateFormatError", "check"]
