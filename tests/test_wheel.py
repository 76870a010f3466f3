"""A release that installs: ``python -m build`` makes a wheel and an sdist, and the wheel, installed
into a fresh virtual environment, runs ``symcert prove`` and ``symcert check``.

The venv sees the test environment's site-packages (``--system-site-packages``) for symcert's
dependencies, and gets symcert itself only from the wheel (``--no-deps --no-index``); the commands run
outside the checkout, and the test asserts that the symcert they import is the installed one.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
SKIP = shutil.ignore_patterns(".git", "__pycache__", "*.egg-info", "build", "dist", ".venv", "*.pyc")


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source") / "symcert"
    shutil.copytree(ROOT, source, ignore=SKIP)  # the working tree, so building writes nothing here
    out = source.parent / "dist"
    done = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return out


def test_build_makes_a_wheel_and_an_sdist(dist: Path) -> None:
    (wheel,) = dist.glob("symcert-*.whl")
    (sdist,) = dist.glob("symcert-*.tar.gz")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        points = archive.read(entry_points).decode()
    assert "symcert/checker/check.py" in names and "symcert/cli/__init__.py" in names
    assert "symcert/py.typed" in names  # PEP 561: type checkers read the installed package's hints
    assert "symcert = symcert.cli:main" in points and "symcert = symcert.pytest_plugin" in points
    with tarfile.open(sdist) as archive:
        members = {Path(*Path(name).parts[1:]).as_posix() for name in archive.getnames()}
    assert {"pyproject.toml", "README.md", "symcert/__init__.py"} <= members


def test_the_wheel_installs_and_proves_and_checks(dist: Path, tmp_path: Path) -> None:
    (wheel,) = dist.glob("symcert-*.whl")
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(system_site_packages=True, with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    work = tmp_path / "work"
    work.mkdir()

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(args, cwd=work, capture_output=True, text=True, timeout=300)

    where = run(str(python), "-c", "import symcert; print(symcert.__file__)")
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(env_dir), where.stdout  # not the checkout
    symcert = str(env_dir / "bin" / "symcert")
    proved = run(symcert, "prove", "--json", "cert.json")
    assert proved.returncode == 0, proved.stdout + proved.stderr
    assert "Verdict: PROVED" in proved.stdout
    checked = run(symcert, "check", "cert.json")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "ACCEPTED: chord certificate cert.json" in checked.stdout
