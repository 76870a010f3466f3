"""Check Coq files with a real ``coqc``, and read the axioms the final theorem depends on.

:func:`check_coq` compiles a file in a scratch directory, with ``Print
Assumptions`` of its final theorem appended, and returns a :class:`CoqResult`:
whether ``coqc`` accepted the file, its messages, the time it took, and the
axioms the theorem rests on. A file ``coqc`` rejects is a result with
``accepted`` False, not an exception; a missing ``coqc`` raises
:class:`~symcert.errors.CoqError`.

The axioms of a proof by the ``interval`` tactic are those of Coq's classical
reals (``ClassicalDedekindReals``, functional extensionality), excluded middle
(``Classical_Prop.classic``, used by the Coquelicot library under Interval)
and the specifications of Coq's primitive integers and floats (``PrimInt63``,
``Uint63``, ``PrimFloat``, ``FloatAxioms``), which ``interval`` computes with.
``Print Assumptions`` walks through all of Interval and takes about 5 s, so
it can be turned off (``assumptions=False``). All are in Coq's standard
library; :attr:`CoqResult.user_axioms` lists any other, by fully qualified
name (see :mod:`symcert.build.coq_screen`). Before ``coqc`` runs, the text is
screened: a file that declares modules, axioms or top-level variables, or
admits anything, is refused (:attr:`CoqResult.problems`).

With ``statement`` (the text of a file from :func:`~symcert.printing.coq.statement.statement_to_coq`),
the file is compiled as the module :data:`PROOF_MODULE`, then the statement file is compiled against
it: the kernel decides whether the theorem has the type the certificate states
(:attr:`CoqResult.mismatch` says why not), and ``Print Assumptions`` runs there.

>>> parse_assumptions("Axioms:\\nUint63.add_spec\\n  : forall x y : int, True\\nfoo : 1 = 2\\n")
('Uint63.add_spec', 'foo')
>>> parse_assumptions("Closed under the global context\\n")
()
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from symcert.build.coq_screen import (
    allowed_axioms,
    assumption_commands,
    module_listing,
    screen_source,
    trusted_axioms,
)
from symcert.errors import CoqError
from symcert.limits import MAX_FILE_BYTES

__all__ = [
    "CoqResult",
    "PROOF_MODULE",
    "STANDARD_AXIOM_MODULES",
    "check_coq",
    "coqc_available",
    "parse_assumptions",
    "read_coq_text",
]

#: Seconds one ``coqc`` run may take before it is stopped.
TIMEOUT = 300.0

#: The standard-library modules whose axioms a proof by ``interval`` may rest on.
STANDARD_AXIOM_MODULES = (
    "ClassicalDedekindReals",
    "FunctionalExtensionality",
    "Classical_Prop",
    "PrimInt63",
    "Uint63",
    "PrimFloat",
    "FloatAxioms",
)

#: The qualified name under which a proof checked against a statement is compiled (``-Q . Symcert``).
PROOF_MODULE = "Symcert.symcert_proof"
_LIBRARY, _PROOF = PROOF_MODULE.split(".")
#: The constant of the statement file whose type is the certificate's statement.
_PROVED = "symcert_statement_proved"

_INSTALL = "install Coq and the Interval library (Debian: apt-get install coq libcoq-interval)"


@dataclass(frozen=True)
class CoqResult:
    """What ``coqc`` said about one file.

    ``returncode`` is None when the run was stopped after ``timeout`` seconds;
    ``axioms`` are the names ``Print Assumptions`` listed for ``theorem`` (empty
    when the file was rejected or the theorem depends on no axiom).
    """

    returncode: int | None
    stdout: str
    stderr: str
    seconds: float
    theorem: str
    axioms: tuple[str, ...]
    problems: tuple[str, ...] = ()
    user_axioms: tuple[str, ...] = ()
    mismatch: str = ""

    @property
    def accepted(self) -> bool:
        """True when the file passed the screen, ``coqc`` checked all of it (the final theorem
        included) and every axiom collected resolves to an allowed standard-library name."""
        return self.returncode == 0 and not self.problems and not self.user_axioms and not self.mismatch

    @property
    def error(self) -> str:
        """Why the file is not accepted (empty when accepted)."""
        if self.problems:
            return "; ".join(self.problems)
        if self.mismatch:
            return self.mismatch
        if self.returncode == 0 and self.user_axioms:
            return f"the proof rests on axioms outside Coq's standard library: {', '.join(self.user_axioms)}"
        if self.returncode is None:
            return f"coqc did not finish within the time limit ({self.seconds:.0f} s)"
        if self.accepted:
            return ""
        text = (self.stderr + "\n" + self.stdout).strip()
        start = text.find("Error")
        if start >= 0:
            start = max(0, text.rfind("File ", 0, start))
        return text[max(0, start) :][:2000]


def coqc_available(coqc: str = "coqc") -> bool:
    """True when ``coqc`` is on the ``PATH``.

    >>> isinstance(coqc_available(), bool)
    True
    """
    return shutil.which(coqc) is not None


def check_coq(
    text_or_path: str | os.PathLike[str],
    *,
    theorem: str = "loss_not_convex",
    assumptions: bool = True,
    timeout: float = TIMEOUT,
    coqc: str = "coqc",
    statement: str | None = None,
) -> CoqResult:
    """Compile a Coq file with ``coqc`` and collect ``Print Assumptions theorem``.

    ``text_or_path`` is the text of the file, or a path (``pathlib.Path``) to
    read it from. With ``assumptions=False`` the axioms are not collected
    (``axioms`` is empty), which saves about 5 s. The file is compiled in a scratch directory, so nothing is
    written next to it. With ``statement``, the text of a statement file that ``Require``-s
    :data:`PROOF_MODULE`, that file is compiled next and decides whether ``theorem`` is the theorem
    stated (see the module docstring). Raises :class:`~symcert.errors.CoqError` when ``coqc``
    is not installed.
    """
    if isinstance(text_or_path, os.PathLike):
        text = read_coq_text(text_or_path)
    elif isinstance(text_or_path, str):
        text = text_or_path
    else:
        raise TypeError(f"check_coq needs the text of a Coq file or a pathlib.Path, got {text_or_path!r}")
    program = shutil.which(coqc)
    if program is None:
        raise CoqError(f"cannot check Coq proofs: {coqc!r} is not on the PATH; {_INSTALL}")
    if not re.fullmatch(r"[A-Za-z_][\w']*", theorem):
        raise CoqError(f"theorem must be a Coq identifier such as loss_not_convex, got {theorem!r}")
    problems = screen_source(text)
    if problems:
        return CoqResult(1, "", "", 0.0, theorem, (), problems)
    allowed = _allowed(program, timeout) if assumptions else frozenset()
    target = _PROVED if statement is not None else theorem
    commands = "\n\n" + assumption_commands(target, allowed) if assumptions else "\n"
    with tempfile.TemporaryDirectory(prefix="symcert-coq-") as folder:
        if statement is None:
            done, seconds = _compile(program, folder, "symcert_proof", text.rstrip() + commands, timeout)
            if done is None:
                return CoqResult(None, "", "", seconds, theorem, ())
        else:
            done, seconds = _compile(program, folder, _PROOF, text.rstrip() + "\n", timeout)
            if done is None or done.returncode != 0:
                stdout, stderr = (done.stdout, done.stderr) if done else ("", "")
                return CoqResult(done.returncode if done else None, stdout, stderr, seconds, theorem, ())
            done, more = _compile(
                program, folder, "symcert_statement", statement.rstrip() + commands, timeout
            )
            seconds += more
            if done is None:
                return CoqResult(None, "", "", seconds, theorem, ())
            if done.returncode != 0:
                return CoqResult(
                    done.returncode,
                    done.stdout,
                    done.stderr,
                    seconds,
                    theorem,
                    (),
                    mismatch=_mismatch(theorem, done),
                )
    axioms = parse_assumptions(done.stdout.split("No object of basename symcert_marker_0")[0])
    axioms = axioms if done.returncode == 0 else ()
    untrusted = trusted_axioms(done.stdout, axioms, allowed) if axioms else ()
    return CoqResult(done.returncode, done.stdout, done.stderr, seconds, theorem, axioms, (), untrusted)


def _compile(
    program: str, folder: str, stem: str, source: str, timeout: float
) -> tuple[subprocess.CompletedProcess | None, float]:
    """Write ``stem.v`` in ``folder`` and compile it there (logical root ``Symcert``): the process
    (None when stopped after ``timeout`` seconds) and the seconds it took."""
    path = Path(folder) / f"{stem}.v"
    path.write_text(source, encoding="utf-8")
    start = time.perf_counter()
    try:
        done = subprocess.run(
            [program, "-q", "-Q", ".", _LIBRARY, path.name],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None, timeout
    return done, time.perf_counter() - start


def _mismatch(theorem: str, done: subprocess.CompletedProcess) -> str:
    """Why the statement file failed, in one line: Coq's error, its blanks collapsed."""
    text = (done.stderr + "\n" + done.stdout).strip()
    start = text.find("Error:")
    said = " ".join(text[start + len("Error:") :].split()) if start >= 0 else " ".join(text.split())
    return (
        f"the theorem {theorem} does not prove the statement regenerated from the certificate "
        f"(the kernel says: {said[:400]})"
    )


def read_coq_text(path: str | os.PathLike[str]) -> str:
    """The text of a Coq file: a regular UTF-8 file of bounded size, else :class:`CoqError` in one line."""
    file = Path(path)
    try:
        info = os.stat(file)
        if not stat.S_ISREG(info.st_mode):
            raise CoqError(f"{file} is not a regular file")
        if info.st_size > MAX_FILE_BYTES:
            raise CoqError(f"{file} is larger than {MAX_FILE_BYTES} bytes")
        with open(file, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
        return data.decode("utf-8")
    except OSError as error:
        raise CoqError(f"cannot read {file}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise CoqError(f"{file} is not UTF-8 text") from None


@functools.lru_cache(maxsize=4)
def _allowed(program: str, timeout: float) -> frozenset[str]:
    """The allowed axioms' full names, listed from the installed library (once per process)."""
    with tempfile.TemporaryDirectory(prefix="symcert-coq-") as folder:
        path = Path(folder) / "symcert_allowed.v"
        path.write_text(module_listing(), encoding="utf-8")
        try:
            done = subprocess.run(
                [program, "-q", path.name], cwd=folder, capture_output=True, text=True, timeout=timeout
            )
        except subprocess.TimeoutExpired:
            raise CoqError("coqc did not list the standard library's axioms in time") from None
    if done.returncode != 0:
        raise CoqError(
            f"cannot list the standard library's axioms with coqc: {_text(done.stderr)[:200]}; {_INSTALL}"
        )
    return allowed_axioms(done.stdout)


def parse_assumptions(output: str) -> tuple[str, ...]:
    """The axiom names in the output of ``Print Assumptions`` (one per unindented line after ``Axioms:``)."""
    names: list[str] = []
    reading = False
    for line in output.splitlines():
        if line.strip() == "Axioms:":
            reading = True
            continue
        if not reading or not line or line[0].isspace():
            continue
        match = re.match(r"([A-Za-z_][\w.']*)\s*(?::|$)", line)
        if match is None:
            reading = False
            continue
        names.append(match.group(1))
    return tuple(names)


def _text(output: bytes | str | None) -> str:
    if output is None:
        return ""
    return output if isinstance(output, str) else output.decode("utf-8", "replace")
