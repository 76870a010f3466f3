"""The independent certificate checker.

It reads a certificate (JSON) strictly, rebuilds the network, data and loss
from the statement, estimates the cost before any arithmetic, recomputes every
claim with its own arithmetic (python-flint's Arb balls batched over the data
points, or mpmath intervals as the reference), and accepts only what it
re-proves. It imports nothing from the prover: only python-flint, mpmath, the
standard library and the constants of :mod:`symcert.limits` (and, for saddles, numpy to pick
approximate inverses and eigenbases, which any matrix would do soundly: numpy is not trusted).
"""

from symcert.checker.check import CertificateBudgetError, CertificateFormatError, CheckResult, check
from symcert.checker.reading import loads

__all__ = ["CheckResult", "CertificateFormatError", "CertificateBudgetError", "check", "loads"]
