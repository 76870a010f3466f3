"""Type checking (issue 25): the strict modules are the public API's, the package says it is typed,
and the bugs mypy found stay fixed.

mypy itself runs in ``.ci/run`` (``python -m mypy``, settings in ``[tool.mypy]`` of pyproject.toml);
it is not run here, to keep the suite fast.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

import symcert

ROOT = Path(__file__).parent.parent


def _strict_modules() -> set[str]:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11 on
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    strict = [o for o in config["overrides"] if o.get("disallow_untyped_defs")]
    assert len(strict) == 1, "one strict block: the public API"
    return set(strict[0]["module"])


def test_every_public_name_is_defined_in_a_strictly_checked_module():
    strict = _strict_modules()
    loose = {}
    for name in symcert.__all__:
        value = getattr(symcert, name)
        defined = value.__name__ if inspect.ismodule(value) else getattr(value, "__module__", None)
        if not (isinstance(defined, str) and defined.startswith("symcert")):
            defined = symcert._MODULE_OF[name]  # a constant: where symcert/__init__.py takes it from
        if defined not in strict or symcert._MODULE_OF[name] not in strict:
            loose[name] = defined
    assert not loose, f"add these modules to the strict [[tool.mypy.overrides]] block: {loose}"


def test_type_checkers_see_every_public_name_where_it_is_defined():
    """``symcert/__init__.py`` imports its names lazily (``__getattr__``), which a type checker reads as
    ``Any``; its ``if TYPE_CHECKING:`` block imports each name from the module ``_SOURCES`` names."""
    tree = ast.parse((ROOT / "symcert" / "__init__.py").read_text(encoding="utf-8"))
    (block,) = [n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING"]
    seen = {}
    for node in block.body:
        assert isinstance(node, ast.ImportFrom), ast.unparse(node)
        seen[node.module] = {alias.name for alias in node.names}
    assert seen == {module: set(names) for module, names in symcert._SOURCES.items()}


def test_the_package_is_marked_typed():
    assert (ROOT / "symcert" / "py.typed").is_file()
    assert (ROOT / ".ci" / "run").read_text(encoding="utf-8").count("python -m mypy") == 1


# Bugs mypy found, pinned.


def test_a_hessian_without_finite_inverse_leaves_the_critical_point_undecided(monkeypatch):
    """``approximate_inverse`` returns None (a Hessian with inf or NaN entries); the Krawczyk test was
    then handed None (a TypeError), and now the result is "undecided"."""
    from symcert.proofs import critical_point
    from symcert.symbolic.saddle_example import saddle_example

    example = saddle_example()
    monkeypatch.setattr(critical_point, "approximate_inverse", lambda H: None)
    found = critical_point.certify_critical_point(example.loss, example.approx)
    assert found.status == "undecided" and found.margin is None
    assert "no finite inverse" in found.message


def test_a_translation_as_the_element_of_an_onnx_chord_is_a_one_line_error(tmp_path, capsys):
    """``prove --model F.onnx --element translate:...`` read ``element.group`` (an AttributeError)."""
    pytest.importorskip("onnx")
    from symcert.cli import main
    from tests.test_graph_chord import _write

    onnx_path, npz_path = _write(tmp_path)
    args = ["prove", "--model", str(onnx_path), "--data", str(npz_path), "--element", "translate:fc.bias:1"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "not a translation" in err and err.strip().count("\n") == 0


def test_the_graph_search_keeps_a_candidate_when_every_gap_is_nan(monkeypatch):
    """With every float64 gap NaN (an overflow) the search returned None as the element."""
    pytest.importorskip("onnx")
    from symcert.models.onnx_import import load_onnx
    from symcert.numeric.graph import GraphLoss
    from symcert.proofs import graph_chord
    from tests.test_graph_chord import _fitted_data, _small_cnn

    model = load_onnx(_small_cnn("Tanh"))
    X, y = _fitted_data(model)
    monkeypatch.setattr(graph_chord, "float_loss", lambda loss, params: float("nan"))
    element, gap = graph_chord.best_graph_element(GraphLoss(model.graph, X, y, "mse"), model.params)
    assert element in graph_chord.candidate_elements(GraphLoss(model.graph, X, y, "mse"))
    assert gap == float("-inf")
