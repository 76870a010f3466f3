"""docs/tutorial.ipynb runs top to bottom on a fresh kernel, with no error, no warning, no stderr output.

The kernel is this interpreter (a kernelspec written for the test), so it sees the same symcert.
Warnings are errors in the kernel (a first cell is injected, not stored in the notebook).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
jupytext = pytest.importorskip("jupytext")

DOCS = Path(__file__).resolve().parent.parent / "docs"
NOTEBOOK, SCRIPT = DOCS / "tutorial.ipynb", DOCS / "tutorial.py"

_STRICT = """\
import warnings
warnings.simplefilter("error")
"""


@pytest.fixture
def kernel_here(tmp_path, monkeypatch):
    """A ``python3`` kernelspec that runs this interpreter, found first on JUPYTER_PATH."""
    spec = tmp_path / "kernels" / "python3"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "Python 3", "language": "python"})
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # debugpy's note on frozen modules is stderr
    return "python3"


def test_stored_without_outputs_and_paired_with_the_script():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(not cell.outputs and cell.execution_count is None for cell in code)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    paired = jupytext.read(SCRIPT)
    assert [c.source for c in paired.cells] == [c.source for c in notebook.cells]  # the .py is the same story


def test_notebook_runs_clean(kernel_here, tmp_path):
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    notebook.cells.insert(0, nbformat.v4.new_code_cell(_STRICT))
    notebook.cells.append(
        nbformat.v4.new_code_cell("warnings.resetwarnings()")
    )  # before the kernel shuts down
    client = nbclient.NotebookClient(
        notebook, kernel_name=kernel_here, timeout=300, resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError on any error (a warning is an error here)
    stderr = [
        (k, output.get("text", ""))
        for k, cell in enumerate(notebook.cells)
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "stream" and output.name == "stderr"
    ]
    assert stderr == []
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    latex = [o for o in outputs if "text/latex" in o.get("data", {})]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(latex) >= 8 and len(images) >= 7  # proofs and certificates as LaTeX, the plots as figures
    text = "".join(o.get("text", "") for o in outputs)
    assert "independent checker: True" in text and "status: proved | independent checker: True" in text
    assert "non-convexity certificate: refuted" in text
    assert "sup L = L(A) = 0 exactly" in text and "sup L in [4.14896, 4.14897] (proved)" in text  # connect
    assert "saddle of index 1 | independent checker: True" in text and "lambda_min in [-0.00926" in text
