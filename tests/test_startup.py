"""Start-up loads only what is used: the checker and the light commands start without SymPy or a prover.

Each check runs in a fresh interpreter (the test session has imported everything already) and reads
``sys.modules`` after the import or the command.
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import pytest

import symcert

#: What must stay unloaded on the checker's side: SymPy, the provers and the printers.
PROVER_SIDE = ("sympy", "symcert.symbolic", "symcert.numeric", "symcert.proofs", "symcert.printing")


#: What checking a small MLP certificate defers: numpy (the float64 rungs), mpmath (the reference
#: arithmetic, asked for with ``--arithmetic mpmath``) and the checkers of kinds it is not.
DEFERRED = (
    "numpy",
    "mpmath",
    "symcert.checker.mp_engine",
    "symcert.checker.f64_engine",
    "symcert.checker.barrier",
    "symcert.checker.path",
    "symcert.checker.saddle",
    "symcert.checker.hessian",
)


def loaded_after(code: str, names: tuple[str, ...] = ()) -> dict[str, bool]:
    """Run ``code`` in a fresh interpreter: which of :data:`PROVER_SIDE`, the heavy libraries and
    ``names`` it loaded."""
    names = (*PROVER_SIDE, "scipy.optimize", "matplotlib", "flint", "mpmath", *names)
    report = f"import json, sys; print(json.dumps({{n: n in sys.modules for n in {names!r}}}))"
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\n{report}"], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.splitlines()[-1])


def command(*argv: str) -> str:
    """``symcert ARGV`` as a line of Python (the exit code is not the point here)."""
    return f"from symcert.cli import main\nmain({list(argv)!r})"


def test_import_symcert_checker_loads_no_sympy_and_no_prover():
    loaded = loaded_after("import symcert.checker")
    assert not any(loaded[name] for name in PROVER_SIDE), loaded


def test_import_symcert_loads_nothing_until_a_prover_name_is_touched():
    assert not any(loaded_after("import symcert").values())  # not even the checker
    light = "import symcert\nsymcert.__version__, symcert.check, symcert.SymcertError, symcert.write_json"
    assert not any(loaded_after(light)[name] for name in PROVER_SIDE)
    touched = loaded_after("import symcert\nsymcert.MLP")
    assert touched["sympy"] and touched["symcert.printing"]  # the printers come with the first prover name


def test_the_whole_public_api_loads_neither_scipy_optimize_nor_matplotlib():
    loaded = loaded_after("from symcert import *")
    assert loaded["symcert.printing"] and not loaded["scipy.optimize"] and not loaded["matplotlib"]


@pytest.mark.parametrize("argv", [("--version",), ("--help",), ("check", "--help")])
def test_light_commands_start_without_sympy(argv):
    loaded = loaded_after(command(*argv))
    assert not any(loaded.values()), loaded  # not even the checker's arithmetic (flint, mpmath)


def test_the_command_list_is_the_same_without_importing_the_commands():
    """``symcert --help`` lists each command with the purpose its own page states, from a table."""
    from symcert.cli import build_parser

    assert build_parser(()).format_help() == build_parser().format_help()


def test_checking_a_certificate_starts_without_sympy(tmp_path):
    example = symcert.default_example()
    path = tmp_path / "cert.json"
    symcert.write_json(
        symcert.certify_nonconvexity(example.loss, example.teacher, element=example.element), path
    )
    code = command("check", str(path)).replace("main(", "assert main(") + " == 0"
    loaded = loaded_after(code)
    assert not any(loaded[name] for name in PROVER_SIDE), loaded


def _small_chord(tmp_path) -> str:
    example = symcert.default_example()
    path = tmp_path / "chord.json"
    symcert.write_json(
        symcert.certify_nonconvexity(example.loss, example.teacher, element=example.element), path
    )
    return str(path)


def test_checking_a_small_chord_certificate_loads_no_numpy_and_no_mpmath(tmp_path):
    """A small certificate is decided by Arb alone (one attempt well under a second): nothing else loads."""
    path = _small_chord(tmp_path)
    loaded = loaded_after(command("check", path).replace("main(", "assert main(") + " == 0", DEFERRED)
    assert loaded["flint"], loaded  # the Arb rung ran
    assert not any(loaded[name] for name in DEFERRED), loaded
    reference = command("check", path, "--arithmetic", "mpmath").replace("main(", "assert main(")
    assert loaded_after(reference + " == 0")["mpmath"]  # the guard can fail: asking for mpmath loads it


def test_checking_a_small_barrier_certificate_loads_no_numpy_mpmath_or_saddle_checker(tmp_path):
    """The default barrier is on teacher data: Arb alone checks it, so the float64 rung (numpy) stays out."""
    from symcert.cli import main

    path = str(tmp_path / "barrier.json")
    assert main(["barrier", "--json", path, "--quiet"]) == 0
    code = command("check", path).replace("main(", "assert main(") + " == 0"
    loaded = loaded_after(code, (*DEFERRED, "symcert.checker.barrier_f64"))
    assert loaded["symcert.checker.barrier"], loaded
    unused = ("numpy", "mpmath", "symcert.checker.f64_engine", "symcert.checker.barrier_f64")
    unused += ("symcert.checker.saddle",)
    assert not any(loaded[name] for name in unused), loaded


def test_the_checkers_gate_to_the_float64_rung_agrees_with_the_rung():
    """``check`` decides not to load the float64 rung with copies of its constants: they must agree."""
    import importlib

    from symcert.checker import f64_engine

    check = importlib.import_module("symcert.checker.check")  # the package's ``check`` is the function
    assert check._F64_KINDS == f64_engine.KINDS
    assert check._F64_MIN_ARB_SECONDS == f64_engine.MIN_ARB_SECONDS


def test_names_resolve_on_first_access_and_dir_lists_the_public_api():
    assert symcert.Loss.__module__ == "symcert.symbolic.losses"
    assert set(symcert.__all__) <= set(dir(symcert))
    assert symcert.plot.__module__ == "symcert.printing.figures.plots"
    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        symcert.no_such_name  # noqa: B018


@pytest.mark.parametrize("old, new", [("gradient", "gradient_value"), ("hessian", "hessian_value")])
def test_former_names_warn_and_still_work(old, new):
    with pytest.warns(DeprecationWarning, match=f"symcert.{old} is deprecated; use symcert.{new}"):
        function = getattr(symcert, old)
    assert function is getattr(symcert, new)
    assert old not in symcert.__all__
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        getattr(symcert, new)  # the new name does not warn


def test_inertia_not_minimum_is_deprecated():
    from symcert.proofs.inertia import Inertia

    inertia = Inertia(1, 0, 2, (), None, None, (), "a saddle")
    with pytest.warns(DeprecationWarning, match="Inertia.not_minimum is deprecated"):
        assert inertia.not_minimum is True
