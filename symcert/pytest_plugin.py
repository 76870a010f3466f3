"""A pytest plugin: certificate files are tests, checked by symcert's independent checker.

Installing symcert registers it (the ``pytest11`` entry point ``symcert``). pytest then collects
every file matching ``*.symcert.json`` (or the globs of the ini option ``symcert_certificates``)
as one test item, and checks it with :func:`symcert.checker.check`:

- an accepted certificate passes;
- a rejected one fails, with the checker's reasons;
- a malformed one (or one over the checker's budget) is an error, with the checker's one-line message.

Options: ``--symcert-coq`` also checks the Coq file beside each certificate (``NAME.v`` for
``NAME.symcert.json``) with the Coq binding (``coqc`` must be installed);
``--symcert-budget SECONDS`` (ini ``symcert_budget``) is the largest estimated checking time the
checker starts. Items are independent, so ``pytest -n auto`` (pytest-xdist) spreads them over workers.

For Python tests there is a fixture, ``symcert_check``, and an assertion, :func:`assert_certified`:

>>> from symcert import certify_nonconvexity, default_example
>>> example = default_example()
>>> certificate = certify_nonconvexity(example.loss, example.teacher, element=example.element, kind="chord")
>>> result = check_certificate(certificate)
>>> assert_certified(result)
>>> result.kind
'chord'

This module imports only pytest and the standard library when pytest loads it; the checker is
imported when the first certificate is checked.
"""

from __future__ import annotations

import fnmatch
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from symcert.checker import CheckResult

__all__ = ["DEFAULT_GLOBS", "CertificateRejected", "assert_certified", "check_certificate"]

#: The files collected when the ini option ``symcert_certificates`` is not set.
DEFAULT_GLOBS = ("*.symcert.json",)


class CertificateRejected(AssertionError):
    """The checker did not accept a certificate: the message lists its reasons."""


def check_certificate(source: Any, *, budget: float | None = None) -> CheckResult:
    """Check ``source`` with the independent checker and return its :class:`~symcert.checker.CheckResult`.

    ``source`` is a path to a certificate file, a record parsed from JSON (a dict), or a prover
    object with ``to_dict()`` (a :class:`~symcert.Certificate`, a barrier or saddle result): the
    object is written to JSON text and read back strictly, so the checker sees only what a file
    would hold. A malformed certificate raises
    :class:`~symcert.checker.CertificateFormatError`.
    """
    from symcert.checker import CertificateFormatError, check, loads
    from symcert.limits import MAX_CHECK_SECONDS

    limit = MAX_CHECK_SECONDS if budget is None else budget
    if isinstance(source, (str, os.PathLike)):
        return check(source, budget=limit)
    if isinstance(source, dict):
        return check(loads(json.dumps(source), "<record>"), budget=limit)
    to_dict = getattr(source, "to_dict", None)
    if callable(to_dict):
        return check(loads(json.dumps(to_dict()), f"<{type(source).__name__}>"), budget=limit)
    raise CertificateFormatError(
        "symcert_check needs a certificate file's path, a parsed record (dict) or a certificate "
        f"object with to_dict(), got {type(source).__name__}"
    )


def assert_certified(result: CheckResult) -> None:
    """Fail (``AssertionError``) unless the checker accepted ``result``, showing the checker's reasons."""
    if not getattr(result, "accepted", False):
        reasons = "\n".join(f"  {reason}" for reason in getattr(result, "reasons", ())) or "  (no reasons)"
        kind = getattr(result, "kind", "?")
        raise CertificateRejected(f"the checker did not accept this {kind} certificate:\n{reasons}")


@pytest.fixture
def symcert_check(request: pytest.FixtureRequest) -> Callable[..., CheckResult]:
    """``symcert_check(path_or_certificate)``: the checker's result, with the session's budget."""
    budget = _budget(request.config)
    return lambda source: check_certificate(source, budget=budget)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("symcert", "symcert certificates")
    group.addoption(
        "--symcert-coq",
        action="store_true",
        default=False,
        help="also check the Coq proof NAME.v beside each NAME.symcert.json (needs coqc)",
    )
    group.addoption(
        "--symcert-budget",
        type=float,
        default=None,
        metavar="SECONDS",
        help="largest estimated checking time per certificate (default: the checker's budget)",
    )
    parser.addini(
        "symcert_certificates",
        "globs of the certificate files pytest collects (default: *.symcert.json)",
        type="args",
        default=list(DEFAULT_GLOBS),
    )
    parser.addini("symcert_budget", "largest estimated checking time per certificate, in seconds")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    globs = parent.config.getini("symcert_certificates") or DEFAULT_GLOBS
    if any(fnmatch.fnmatch(file_path.name, glob) or file_path.match(glob) for glob in globs):
        return CertificateFile.from_parent(parent, path=file_path)
    return None


class CertificateFile(pytest.File):
    """One certificate file: it holds one item, the check."""

    def collect(self) -> Iterator[CertificateItem]:
        yield CertificateItem.from_parent(self, name=self.path.name)


class CertificateItem(pytest.Item):
    """The check of one certificate file (and of its Coq proof, with ``--symcert-coq``)."""

    def setup(self) -> None:
        # A malformed or over-budget file is an error, not a failure: it is found here.
        from symcert.checker import CertificateFormatError

        try:
            self.result = check_certificate(self.path, budget=_budget(self.config))
        except CertificateFormatError as error:
            raise MalformedCertificate(str(error)) from None

    def runtest(self) -> None:
        assert_certified(self.result)
        if self.config.getoption("symcert_coq"):
            self._check_coq()

    def _check_coq(self) -> None:
        from symcert.build.coq_binding import check_coq_binding

        proof = _coq_file(self.path)
        if not proof.is_file():
            raise CertificateRejected(f"--symcert-coq: no Coq file {proof.name} beside {self.path.name}")
        binding = check_coq_binding(self.path, proof)
        if not binding.accepted:
            reasons = "\n".join(f"  {reason}" for reason in binding.reasons)
            raise CertificateRejected(f"the Coq proof {proof.name} was not accepted:\n{reasons}")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, (CertificateRejected, MalformedCertificate)):
            return f"{self.path.name}: {excinfo.value}"
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"symcert certificate {self.path.name}"


class MalformedCertificate(Exception):
    """The certificate could not be read, or its estimated cost is over the budget."""


def _coq_file(certificate: Path) -> Path:
    name = certificate.name
    stem = name[: -len(".symcert.json")] if name.endswith(".symcert.json") else certificate.stem
    return certificate.with_name(stem + ".v")


def _budget(config: pytest.Config) -> float | None:
    value: float | None = config.getoption("symcert_budget")  # argparse's type=float
    if value is None:
        text = config.getini("symcert_budget")
        if text:
            try:
                value = float(text)
            except ValueError:
                raise pytest.UsageError(
                    f"ini option symcert_budget must be a number of seconds, got {text!r}"
                ) from None
    if value is not None and not value > 0:
        raise pytest.UsageError(f"the symcert budget must be a positive number of seconds, got {value}")
    return value
