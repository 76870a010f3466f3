"""docs/tutorial.ipynb runs top to bottom on a fresh kernel, with no error, no warning, no stderr output.

The kernel is this interpreter (a kernelspec written for the test), so it sees the same symcert.
Warnings are errors in the kernel (a first cell is injected, not stored in the notebook).
"""

from __future__ import annotations

import json
import math
import sys
from fractions import Fraction
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


@pytest.fixture(scope="module")
def kernel_here(tmp_path_factory):
    """A ``python3`` kernelspec that runs this interpreter, found first on JUPYTER_PATH."""
    root = tmp_path_factory.mktemp("jupyter")
    spec = root / "kernels" / "python3"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "Python 3", "language": "python"})
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUPYTER_PATH", str(root))
        patch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # debugpy's note on frozen modules is stderr
        yield "python3"


def _answers() -> dict[str, tuple[str, str]]:
    """Each exercise's right and wrong answer, found a second way (not from the notebook's key)."""
    from symcert import default_example

    example = default_example()
    A = example.teacher.arrays()
    B = example.element(example.teacher).arrays()
    M = example.teacher.midpoint(example.element(example.teacher))
    value = example.loss.expr.xreplace(M.as_dict()).evalf(30)  # a float is fine for a right answer
    m_v = (Fraction(A["W2"][0][0]) + Fraction(B["W2"][0][0])) / 2
    return {
        "answer_order": (str(math.factorial(3) * 2**3), "47"),
        "answer_M_v": (f'"{m_v}"', f'"{-m_v}"'),
        "answer_L_M": (f"{float(value):.3f}", f"{float(value) + 0.01:.3f}"),
        "answer_sign": ('"+"', '"-"'),
    }


def _with_answers(notebook):
    """After each exercise's check, the same check with a wrong and then with a right answer."""
    cells = []
    answers = _answers()
    for k, cell in enumerate(notebook.cells):
        cells.append(cell)
        previous = notebook.cells[k - 1].source if k else ""
        name = previous.split(" = ")[0]
        if cell.cell_type == "code" and name in answers and "check_answer(" in cell.source:
            right, wrong = answers.pop(name)
            for answer in (wrong, right):
                cells.append(nbformat.v4.new_code_cell(f"{name} = {answer}\n{cell.source}"))
    assert answers == {}, f"exercises not found in the notebook: {sorted(answers)}"
    notebook.cells = cells
    return notebook


@pytest.fixture(scope="module")
def executed(kernel_here, tmp_path_factory):
    """The tutorial run once on a fresh kernel, warnings as errors, with the answers injected."""
    notebook = _with_answers(nbformat.read(NOTEBOOK, as_version=4))
    notebook.cells.insert(0, nbformat.v4.new_code_cell(_STRICT))
    notebook.cells.append(
        nbformat.v4.new_code_cell("warnings.resetwarnings()")
    )  # before the kernel shuts down
    path = tmp_path_factory.mktemp("run")
    client = nbclient.NotebookClient(
        notebook, kernel_name=kernel_here, timeout=300, resources={"metadata": {"path": str(path)}}
    )
    client.execute()  # raises CellExecutionError on any error (a warning is an error here)
    return notebook


def test_stored_without_outputs_and_paired_with_the_script():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(not cell.outputs and cell.execution_count is None for cell in code)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    paired = jupytext.read(SCRIPT)
    assert [c.source for c in paired.cells] == [c.source for c in notebook.cells]  # the .py is the same story


def test_notebook_runs_clean(executed):
    notebook = executed
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
    assert "P_conv1: 3 channels, order 384" in text and "bn1 (BatchNorm(epsilon=1e-05)) commutes" in text
    assert "CNN chord: proved | independent checker: True" in text  # the channels of a CNN


def _printed(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def test_exercises_are_checked_in_the_notebook_with_the_grading_rules(executed):
    """The stored notebook has no answers yet; a wrong answer is reported incorrect (with its hint and
    the tolerance used), a right one correct."""
    checks = [cell for cell in executed.cells if cell.cell_type == "code" and "check_answer(" in cell.source]
    assert len(checks) == 3 * 4  # each exercise: as stored, wrong, right
    for stored, wrong, right in zip(checks[0::3], checks[1::3], checks[2::3]):
        name = _printed(stored).split(":")[0]
        assert _printed(stored) == f"{name}: no answer yet (set your answer in the cell above and run it)\n"
        assert _printed(wrong).startswith(f"{name}: incorrect (") and "Hint: " in _printed(wrong), name
        assert _printed(right).startswith(f"{name}: correct ("), (name, _printed(right))
    lines = [_printed(cell) for cell in checks]
    assert "L_M: correct (within 1/1000 of the certified enclosure)\n" in lines
    assert "order: correct (graded exactly, tolerance 0)\n" in lines
