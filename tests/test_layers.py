"""The layers of DESIGN.md, read from the source: imports only go down, and nothing leans on the checker.

Top to bottom: ``cli`` -> ``handouts``, ``batch`` -> ``build`` -> ``printing`` -> ``proofs``, ``models``
-> ``numeric`` -> ``symbolic`` -> ``display`` (the declared printer functions and the display mixin);
``limits``, ``errors`` and ``version`` sit below them all. Every ``import`` and ``from ... import``
counts, at module level or inside a function (a lazy import is still a dependency). ``symcert.checker``
stands alone: it imports only ``symcert.limits``, and only the public API, the command line, the pytest
plugin and ``build`` (which checks files) import it.

No import runs upward, lazy or not: :data:`ALLOWED` is empty. The results display themselves through
:class:`symcert.display.Displayed`, whose functions ``printing`` fills in from above. Nor is there a
circle: neither between layers nor among the checker's modules.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

import symcert

PACKAGE = Path(symcert.__file__).parent

#: Tiers from the bottom; a module may import its own subpackage and anything in a lower tier.
TIERS: tuple[tuple[str, ...], ...] = (
    ("limits", "errors", "version"),
    ("display",),
    ("symbolic",),
    ("numeric",),
    ("proofs", "models"),
    ("printing",),
    ("build",),
    ("handouts", "batch"),
    ("cli", "pytest_plugin"),
    ("_compat",),  # the deprecated shims, attached from the top (symcert/_compat.py)
    ("__init__", "__main__"),
)
#: Imports across one tier, by design: the loaders of trained models build on the provers.
SIDEWAYS = {("models", "proofs")}
#: The checker's own rule: what it may import, and who may import it (it runs on files: the
#: public ``check``, the command line's ``check`` and ``--check-coq``, ``build``'s Coq binding, and
#: ``batch``, which re-checks a finished result file before a resumed run keeps it; and the pytest
#: plugin, which checks certificate files as tests).
CHECKER_IMPORTS = ("limits",)
CHECKER_USERS = ("__init__", "__main__", "cli", "build", "batch", "pytest_plugin")
#: Upward imports allowed, as ``(source, target)`` pairs: none. A result's display methods are
#: inherited from :class:`symcert.display.Displayed`; ``printing`` registers its renderers into it.
ALLOWED: frozenset[tuple[str, str]] = frozenset()


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, e.g. "pkg.proofs.invariance"
    target: str  # the imported module, e.g. "pkg.printing"
    line: int
    function: str | None  # the innermost enclosing function, None at module level


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(root: Path, path: Path) -> list[Import]:
    """Every import in ``path``, with relative imports resolved and the enclosing function noted."""
    module = module_name(root, path)
    is_package = path.name == "__init__.py"
    found: list[Import] = []

    def visit(node: ast.AST, function: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else function
            if isinstance(child, ast.Import):
                found.extend(Import(module, alias.name, child.lineno, function) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = module.split(".")
                    base = base[: len(base) - child.level + (1 if is_package else 0)]
                    target = ".".join(base + ([child.module] if child.module else []))
                else:
                    target = child.module or ""
                # "from pkg import sub": the dependency is on the submodule when ``sub`` is one
                submodules = [f"{target}.{alias.name}" for alias in child.names]
                submodules = [name for name in submodules if _is_module(root, name)]
                targets = submodules if len(submodules) == len(child.names) else [target, *submodules]
                found.extend(Import(module, name, child.lineno, function) for name in targets)
            visit(child, inner)

    visit(ast.parse(path.read_text(encoding="utf-8")), None)
    return found


def _is_module(root: Path, dotted: str) -> bool:
    path = root.parent / Path(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def unit(root: Path, dotted: str) -> str:
    """The layer unit of a module: its subpackage (``proofs``), or the top-level module's name."""
    parts = dotted.split(".")
    if len(parts) == 1:
        return "__init__"
    return parts[1]


def tier(name: str) -> int:
    for rank, names in enumerate(TIERS):
        if name in names:
            return rank
    raise AssertionError(f"{name} is in no layer: add it to TIERS in tests/test_layers.py")


def violations(root: Path, allowed: frozenset[tuple[str, str]] = ALLOWED) -> list[str]:
    """The imports under ``root`` (a package directory) that break the layering, one line each."""
    out = []
    for path in sorted(root.rglob("*.py")):
        for imp in imports_of(root, path):
            if imp.target != root.name and not imp.target.startswith(root.name + "."):
                continue
            source, target = unit(root, imp.module), unit(root, imp.target)
            where = f"{path.relative_to(root.parent)}:{imp.line}: {imp.target}"
            if source == "checker" or target == "checker":
                if source == target:
                    continue
                if source == "checker" and target not in CHECKER_IMPORTS:
                    out.append(f"{where} (the checker imports only {', '.join(CHECKER_IMPORTS)})")
                elif target == "checker" and source not in CHECKER_USERS:
                    out.append(f"{where} ({source} may not import the checker)")
                continue
            if source == target or tier(target) < tier(source) or (source, target) in SIDEWAYS:
                continue
            if (source, target) in allowed:
                continue
            out.append(f"{where} ({source} is not above {target})")
    return out


def test_every_import_goes_down_a_layer():
    assert violations(PACKAGE) == []


def test_every_subpackage_has_a_layer():
    for path in PACKAGE.iterdir():
        if path.name.startswith(("_", ".")) and path.name not in ("__init__.py", "__main__.py"):
            continue
        if (path.is_dir() and (path / "__init__.py").exists()) or path.suffix == ".py":
            name = path.stem if path.suffix == ".py" else path.name
            assert name == "checker" or tier(name) >= 0


def test_no_upward_import_is_allowed():
    """Not even a lazy one inside ``to_latex()``: the display methods come from below."""
    assert ALLOWED == frozenset()


def graph(root: Path, node=lambda root, dotted: unit(root, dotted)) -> dict[str, set[str]]:
    """Who imports whom under ``root``: by layer unit (default), or by any ``node`` of a module's name."""
    edges: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*.py")):
        for imp in imports_of(root, path):
            if imp.target == root.name or imp.target.startswith(root.name + "."):
                source, target = node(root, imp.module), node(root, imp.target)
                if source != target:
                    edges.setdefault(source, set()).add(target)
    return edges


def circle(edges: dict[str, set[str]]) -> list[str]:
    """One circle of ``edges`` (its nodes, the first repeated at the end), or [] when there is none."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        path.pop()
        return []

    for start in sorted(edges):
        if start not in state and (found := visit(start)):
            return found
    return []


def test_no_import_circle_between_layers():
    assert circle(graph(PACKAGE)) == []


def test_no_import_circle_in_the_checker():
    """``statement`` and the kinds it reads import each other no more, lazily or not."""
    checker = {
        source: {target for target in targets if target.startswith("symcert.checker")}
        for source, targets in graph(PACKAGE, node=lambda root, dotted: dotted).items()
        if source.startswith("symcert.checker")
    }
    checker = {
        k: {t for t in v if t != "symcert.checker"} for k, v in checker.items() if k != "symcert.checker"
    }
    assert circle(checker) == []


# -- the test itself catches what it should, on a synthetic package ------------------------------


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "pkg"
    for name, text in {"__init__.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for directory in [p for p in root.rglob("*") if p.is_dir()]:
        (directory / "__init__.py").touch()
    return root


CLEAN = {
    "symbolic/a.py": "import sympy\nfrom pkg.errors import E\n",
    "errors.py": "class E(Exception): ...\n",
    "proofs/b.py": "from pkg.symbolic import a\nfrom pkg.numeric.c import f\n",
    "numeric/c.py": "from .d import g\nfrom ..symbolic.a import sympy\n",
    "numeric/d.py": "g = 1\n",
    "printing/p.py": "from pkg.proofs.b import a\n",
    "checker/k.py": "from pkg.limits import X\n",
    "limits.py": "X = 1\n",
    "build/w.py": "from pkg.checker import k\n",
}


def test_a_clean_synthetic_tree_passes(tmp_path):
    assert violations(_tree(tmp_path, CLEAN)) == []


@pytest.mark.parametrize(
    "name, text, expected",
    [
        ("symbolic/a.py", "def f():\n    from pkg.numeric.c import g\n", "symbolic is not above numeric"),
        ("symbolic/a.py", "import pkg.proofs.b\n", "symbolic is not above proofs"),
        ("numeric/c.py", "from ..proofs import b\n", "numeric is not above proofs"),
        ("numeric/d.py", "from pkg import printing\n", "numeric is not above printing"),
        ("proofs/b.py", "def save(self):\n    from pkg.build import w\n", "proofs is not above build"),
        ("proofs/b.py", "def helper():\n    from pkg.printing import p\n", "proofs is not above printing"),
        ("proofs/b.py", "from pkg.printing import p\n", "proofs is not above printing"),
        ("printing/p.py", "from pkg.checker.k import X\n", "printing may not import the checker"),
        ("checker/k.py", "from pkg.symbolic.a import sympy\n", "the checker imports only limits"),
        ("errors.py", "from pkg.symbolic import a\n", "errors is not above symbolic"),
        ("proofs/b.py", "from pkg import f\n", "proofs is not above __init__"),
    ],
)
def test_a_planted_upward_import_fails(tmp_path, name, text, expected):
    root = _tree(tmp_path, {**CLEAN, name: CLEAN.get(name, "") + text})
    found = violations(root)
    assert len(found) == 1 and expected in found[0], found


def test_a_delegation_inside_a_display_method_is_upward_too(tmp_path):
    text = "class R:\n    def to_latex(self):\n        from pkg.printing import p\n        return p\n"
    found = violations(_tree(tmp_path, {**CLEAN, "proofs/r.py": text}))
    assert len(found) == 1 and "proofs is not above printing" in found[0], found


def test_a_planted_circle_is_found(tmp_path):
    root = _tree(
        tmp_path,
        {**CLEAN, "models/m.py": "from pkg.proofs import b\n", "proofs/e.py": "import pkg.models.m\n"},
    )
    assert circle(graph(root)) == ["models", "proofs", "models"]
    assert circle(graph(_tree(tmp_path / "clean", CLEAN))) == []
