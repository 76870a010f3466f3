"""The prover does not lean on the checker: no module of the prover's layers imports ``symcert.checker``.

(The checker's own independence, importing nothing from the prover, is tested in ``test_checker.py``.)
Only the top-level API, the command line and ``build`` (which runs the checker on files) may import it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import symcert

PACKAGE = Path(symcert.__file__).parent
PROVER_LAYERS = ("symbolic", "numeric", "proofs", "models", "handouts")


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("layer", PROVER_LAYERS)
def test_prover_layers_do_not_import_the_checker(layer):
    offenders = [
        f"{path.relative_to(PACKAGE)}: {name}"
        for path in sorted((PACKAGE / layer).rglob("*.py"))
        for name in _imports(path)
        if name == "symcert.checker" or name.startswith("symcert.checker.")
    ]
    assert offenders == []
