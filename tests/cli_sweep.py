"""Bad invocations of every command: each must exit 2 with one line on stderr, no traceback, nothing written.

The table :data:`BAD` is the sweep that ``tests/test_input_corpus.py`` runs under pytest; run this file
as a script (``python tests/cli_sweep.py``) for the sweep's numbers: invocations tried, tracebacks,
hangs and other failures. Each invocation runs in-process (``symcert.cli.main``) in a fresh workspace
made by :func:`workspace`; ``{name}`` in an argument is replaced by the workspace's file of that name.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import sys
import time
from pathlib import Path

import numpy as np

# Paths that no command may read or write as the file it names.
BAD_INPUTS = ("{dir}", "/dev/zero", "{fifo}", "{missing}", "{binary}", "{sparse}")
BAD_OUTPUTS = ("{dir}", "{missing_dir}/out.x", "{file}/out.x")


def _outputs(command: list[str], flag: str, suffix: str) -> list[list[str]]:
    out = []
    for path in BAD_OUTPUTS:
        out.append([*command, flag, path.replace(".x", suffix)])
    return out


def _inputs(command: list[str], flag: str | None, tail: list[str] = ()) -> list[list[str]]:
    return [[*command, *([flag] if flag else []), path, *tail] for path in BAD_INPUTS]


_MODEL = ["--model", "{model}", "--data", "{model_data}", "--activation", "tanh"]
_PAIR = ["--model", "{model}", "--model", "{model}", "--data", "{model_data}", "--activation", "tanh"]

BAD: list[list[str]] = [
    # the top level
    ["--version", "extra"],
    ["--version", "prove"],
    ["--bogus"],
    ["nocommand"],
    # group
    *[["group", "--widths", w] for w in ("x", "1", "1,0,1", "", "1,,1", "1;2", "1,5000,1", "-1,2", "1.5,2")],
    ["group", "--activation", "bogus"],
    ["group", "--activation", "leaky_relu:abc"],
    ["group", "--activation", "leaky_relu:1/0"],
    ["group", "--activation", "leaky_relu:-1"],
    ["group", "--output-activation", "bogus"],
    ["group", "extra"],
    # invariance
    *[["invariance", "--weight-decay", v] for v in ("-1", "nan", "inf", "1/0", "abc", "1e99999", "")],
    *[["invariance", "--loss", "mse", "--weight-decay", v] for v in ("-1", "-1/2", "nan")],
    *[
        ["invariance", "--element", e]
        for e in (
            "swap:9:0,1",
            "flip:1:5",
            "rescale:1:0:0",
            "rescale:1:0:-1",
            "rescale:1:0:abc",
            "foo",
            "swap:1",
            "",
            "swap:1:0,7",
            "flip:2:0",
            "rescale:1:0:1/0",
        )
    ],
    ["invariance", "--activation", "relu", "--element", "rescale:1:0:0"],
    ["invariance", "--loss", "bogus"],
    # prove: options
    *[["prove", "--dps", v] for v in ("4", "2501", "abc", "-5", "1e3", "")],
    *[["prove", "--seed", v] for v in ("-1", "abc", "1e3")],
    ["prove", "--kind", "bogus"],
    ["prove", "--weight-decay", "-1"],
    ["prove", "--weight-decay", "nan"],
    ["prove", "--element", "swap:1:0,5"],
    ["prove", "--widths", "1,4096,4096,4096,1"],
    ["prove", "--widths", "1,4096,4096,1"],
    ["prove", "--widths", "64,4096,4096,10", "--kind", "all"],
    ["prove", "--pdf", "{tmp}/x.pdf"],
    ["prove", "--check-coq"],
    ["prove", "--plot", "{tmp}/x.txt"],
    ["prove", "--plot", "{dir_png}"],
    # prove: outputs
    *_outputs(["prove"], "--json", ".json"),
    *_outputs(["prove", "--kind", "all"], "--json", ".json"),
    *_outputs(["prove"], "--latex", ".tex"),
    *_outputs(["prove", "--latex", "{tmp}/ok.tex"], "--pdf", ".pdf"),
    *_outputs(["prove"], "--coq", ".v"),
    *_outputs(["prove"], "--plot", ".png"),
    ["prove", "--json", ""],
    # prove: inputs
    *_inputs(["prove", "--point", "{point}"], "--data"),
    *_inputs(["prove", "--data", "{data}"], "--point"),
    ["prove", "--data", "{data}"],
    *_inputs(["prove", "--data", "{model_data}", "--activation", "tanh"], "--model"),
    *_inputs(["prove", "--model", "{model}", "--activation", "tanh"], "--data"),
    ["prove", "--model", "{pickle}", "--data", "{model_data}", "--activation", "tanh"],
    ["prove", *_MODEL, "--coq", "{tmp}/x.v"],
    ["prove", *_MODEL, "--plot", "{tmp}/x.png"],
    ["prove", *_MODEL, "--kind", "all"],
    ["prove", *_MODEL, "--point", "{point}"],
    ["prove", "--model", "{model}", "--activation", "tanh"],
    ["prove", "--model", "{model}", "--data", "{model_data}"],  # the file does not name its activation
    ["prove", "--model", "{model_tanh}", "--data", "{model_data}", "--activation", "relu"],
    ["prove", "--model", "{model_tanh_json}", "--data", "{model_data}", "--activation", "relu"],
    ["prove", "--model", "{model_tanh_st}", "--data", "{model_data}", "--activation", "relu"],
    ["prove", "--model", "{model_bad_activation}", "--data", "{model_data}"],
    ["prove", *_MODEL, "--element", "swap:1:0,9"],
    ["prove", *_MODEL, "--weight-decay", "-1"],
    *_outputs(["prove", *_MODEL], "--json", ".json"),
    # check
    *_inputs(["check"], None),
    *_inputs(["check", "{cert}"], "--coq"),
    *[["check", "{cert}", "--budget", v] for v in ("0", "-1", "nan", "inf", "abc", "1e8")],
    ["check", "{cert}", "--arithmetic", "float"],
    ["check", "{cert_huge_dps}"],
    ["check", "{cert_string_dps}"],
    ["check"],
    # handout
    ["handout", "bogus"],
    *_inputs(["handout", "permutation", "-o", "{tmp}/class"], "--students"),
    ["handout", "permutation", "--students", "{bad_roster}", "-o", "{tmp}/class"],
    ["handout", "permutation", "--students", "{roster}", "-o", "{file}"],
    ["handout", "permutation", "--students", "{roster}", "-o", "{file}/sub"],
    ["handout", "permutation", "-o", "{file}"],
    ["handout", "permutation", "-o", "{file}/sub"],
    *[["handout", "permutation", "--seed", v] for v in ("-1", "abc", "1e3")],
    *[["handout", "permutation", "--students", "{roster}", "--workers", v] for v in ("0", "999", "x")],
    ["handout", "sign_flips", "--seed", "1"],
    # barrier
    *_outputs(["barrier"], "--json", ".json"),
    *_outputs(["barrier", "--align"], "--json", ".json"),
    *_outputs(["barrier"], "--latex", ".tex"),
    *_outputs(["barrier"], "--plot", ".png"),
    *[["barrier", "--max-seconds", v] for v in ("nan", "-1", "0", "inf", "abc", "")],
    *[["barrier", "--max-pieces", v] for v in ("0", "-1", "abc", "1.5")],
    *[["barrier", "--tol", v] for v in ("0", "-1", "abc", "nan", "1/0")],
    ["barrier", "--form", "bogus"],
    ["barrier", "--pdf", "{tmp}/x.pdf"],
    ["barrier", "--point", "{point}"],
    ["barrier", "--point", "{point}", "--point", "{point}", "--point", "{point}"],
    *_inputs(["barrier", "--point", "{point}"], "--point"),
    ["barrier", "--data", "{data}"],
    *_inputs(["barrier", "--point", "{point}", "--point", "{point}"], "--data"),
    ["barrier", "--model", "{model}", "--data", "{model_data}", "--activation", "tanh"],
    ["barrier", *_PAIR, "--point", "{point}"],
    ["barrier", "--model", "{model}", "--model", "{model}", "--activation", "tanh"],
    ["barrier", "--model", "{model}", "--model", "{model}", "--data", "{model_data}"],
    [
        "barrier",
        "--model",
        "{model_tanh}",
        "--model",
        "{model_tanh}",
        "--data",
        "{model_data}",
        "--activation",
        "relu",
    ],
    [
        "barrier",
        "--model",
        "{model}",
        "--model",
        "{model_wide}",
        "--data",
        "{model_data}",
        "--activation",
        "tanh",
    ],
    *_inputs(["barrier", "--data", "{model_data}", "--activation", "tanh", "--model", "{model}"], "--model"),
    ["barrier", "--manifest", "{manifest}"],
    ["barrier", "--out", "{tmp}/results"],
    *_inputs(["barrier", "--out", "{tmp}/results"], "--manifest"),
    ["barrier", "--manifest", "{manifest}", "--out", "{file}"],
    ["barrier", "--manifest", "{manifest}", "--out", "{tmp}/results", "--align"],
    ["barrier", "--manifest", "{manifest}", "--out", "{tmp}/results", "--workers", "0"],
    ["barrier", "--max-seconds", "0.000001", "--align", "--max-pieces", "abc"],
    # example
    ["example", "bogus"],
    *_outputs(["example", "digits"], "--json", ".json"),
    *_outputs(["example", "digits"], "--latex", ".tex"),
    *[["example", "digits", "--samples", v] for v in ("0", "5000", "-1", "abc")],
    *[["example", "digits", "--hidden", v] for v in ("0", "1000", "abc")],
    *[["example", "digits", "--max-iter", v] for v in ("0", "100000")],
    ["example", "digits", "--seed", "-1"],
    ["example", "digits", "--pdf", "{tmp}/x.pdf"],
    *_outputs(["example", "cnn"], "--json", ".json"),
    *[["example", "cnn", "--channels", v] for v in ("4", "0,4", "4,33", "a,b", "4,8,8")],
    *[["example", "cnn", "--epochs", v] for v in ("0", "100000", "abc")],
    ["example", "cnn", "--activation", "sigmoid"],
    ["example", "cnn", "--hidden", "4"],
    ["example", "cnn", "--max-iter", "4"],
    ["example", "cnn", "--digits", "8"],
    ["example", "digits", "--channels", "4,8"],
    ["example", "digits", "--activation", "tanh"],
    # saddle
    *_outputs(["saddle"], "--json", ".json"),
    *_outputs(["saddle"], "--latex", ".tex"),
    *[["saddle", "--lift", v] for v in ("x", "1:0", "9:0:1/2", "1:9:1/2", "1:0:1/0", "0:0:1/2")],
    ["saddle", "--point", "{point}"],
    ["saddle", "--widths", "1,1,1"],
    ["saddle", "--pdf", "{tmp}/x.pdf"],
    ["saddle", "--seed", "abc"],
    ["saddle", "--loss", "bogus"],
    *_inputs(["saddle"], "--data"),
    *_inputs(["saddle", "--data", "{saddle_data}"], "--point"),
    *_inputs(["saddle", "--data", "{model_data}", "--activation", "tanh"], "--model"),
    *_inputs(["saddle", "--model", "{model}", "--activation", "tanh"], "--data"),
    ["saddle", "--model", "{pickle}", "--data", "{model_data}", "--activation", "tanh"],
    ["saddle", "--model", "{model}", "--data", "{model_data}"],  # the file does not name its activation
    ["saddle", "--model", "{model_tanh}", "--data", "{model_data}", "--activation", "relu"],
    ["saddle", "--digits", "0"],
    ["saddle", "--newton-steps", "0"],
    ["saddle", "--framework", "sklearn"],
    # grade
    *_inputs(["grade"], None, ["{answers}"]),
    *_inputs(["grade", "{key}"], None),
    *_outputs(["grade", "{key}", "{answers}"], "-o", ".csv"),
    ["grade", "{data}", "{answers}"],
    ["grade", "{key}", "{bad_roster}"],
    ["grade", "{key}"],
]


def workspace(root: Path) -> dict[str, str]:
    """Good and bad files for :data:`BAD`, made in ``root``; their names for ``str.format``."""
    from symcert import certify_nonconvexity, default_example, write_json

    root.mkdir(parents=True, exist_ok=True)
    (root / "dir").mkdir()
    (root / "dir.png").mkdir()
    os.mkfifo(root / "fifo.json")
    (root / "binary.json").write_bytes(bytes(range(256)) * 8)
    with open(root / "sparse.csv", "wb") as handle:  # 100 GB, none of it on disk
        handle.truncate(100 * 10**9)
    (root / "file").write_text("a plain file\n")
    (root / "data.csv").write_text("x1,y1\n0,0\n1,1\n-1,1\n")
    (root / "saddle.csv").write_text("x1,y1\n-2,1\n-1,0\n0,1\n1,0\n2,1\n3,0\n")
    (root / "point.json").write_text(
        '{"W1": [["1"], ["-2"]], "b1": ["0", "1/2"], "W2": [["1", "3"]], "b2": ["0"]}'
    )
    weights = {
        "W1": np.array([[0.5], [-1.25]]),
        "b1": np.array([0.0, 0.5]),
        "W2": np.array([[1.0, 0.75]]),
        "b2": np.array([0.25]),
    }
    np.savez(root / "model.npz", **weights)
    np.savez(root / "model_tanh.npz", activation=np.array("tanh"), **weights)
    np.savez(root / "model_bad_activation.npz", activation=np.array("swish"), **weights)
    np.savez(root / "model_wide.npz", W1=np.ones((3, 1)), b1=np.zeros(3), W2=np.ones((1, 3)), b2=np.zeros(1))
    record = {k: np.asarray(v).tolist() for k, v in weights.items()}
    (root / "model_tanh.json").write_text(json.dumps({"activation": "tanh", **record}))
    from safetensors.numpy import save_file

    tensors = {
        "0.weight": weights["W1"],
        "0.bias": weights["b1"],
        "2.weight": weights["W2"],
        "2.bias": weights["b2"],
    }
    save_file(tensors, str(root / "model_tanh.safetensors"), metadata={"activation": "tanh"})
    (root / "model_data.csv").write_text("x1,y1\n0,0.1\n1,0.5\n-1,-0.25\n")
    (root / "model.pt").write_bytes(b"\x80\x04not really a pickle")
    example = default_example()
    certificate = certify_nonconvexity(example.loss, example.teacher, element=example.element)
    write_json(certificate, root / "cert.json")
    record = json.loads((root / "cert.json").read_text())
    text = json.dumps(record)
    (root / "cert_huge_dps.json").write_text(text.replace(f'"dps": {record["dps"]}', '"dps": ' + "9" * 40))
    (root / "cert_string_dps.json").write_text(text.replace(f'"dps": {record["dps"]}', '"dps": "50"'))
    (root / "roster.csv").write_text("student\nAda\nBob\n")
    (root / "bad_roster.csv").write_text("name,age\nAda,3\n")
    (root / "answers.csv").write_text("student,e1\nAda,3/4\n")
    (root / "key.json").write_text(
        json.dumps(
            {
                "schema": "symcert-grading-key",
                "version": 1,
                "title": "t",
                "exercises": {"e1": {"kind": "exact", "value": "3/4", "points": 1}},
            }
        )
    )
    (root / "manifest.csv").write_text("name,model_a,model_b,data\np,model.npz,model.npz,model_data.csv\n")
    names = {}
    names.update(
        tmp=str(root),
        dir=str(root / "dir"),
        dir_png=str(root / "dir.png"),
        fifo=str(root / "fifo.json"),
        missing=str(root / "absent.json"),
        missing_dir=str(root / "no" / "such"),
        binary=str(root / "binary.json"),
        sparse=str(root / "sparse.csv"),
        file=str(root / "file"),
        data=str(root / "data.csv"),
        saddle_data=str(root / "saddle.csv"),
        point=str(root / "point.json"),
        model=str(root / "model.npz"),
        model_tanh=str(root / "model_tanh.npz"),
        model_tanh_json=str(root / "model_tanh.json"),
        model_tanh_st=str(root / "model_tanh.safetensors"),
        model_wide=str(root / "model_wide.npz"),
        model_bad_activation=str(root / "model_bad_activation.npz"),
        model_data=str(root / "model_data.csv"),
        pickle=str(root / "model.pt"),
        cert=str(root / "cert.json"),
        cert_huge_dps=str(root / "cert_huge_dps.json"),
        cert_string_dps=str(root / "cert_string_dps.json"),
        roster=str(root / "roster.csv"),
        bad_roster=str(root / "bad_roster.csv"),
        answers=str(root / "answers.csv"),
        key=str(root / "key.json"),
        manifest=str(root / "manifest.csv"),
    )
    return names


def _listing(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


class Hang(Exception):
    """The invocation ran past its time limit."""


def _alarm(signum, frame):
    raise Hang


@contextlib.contextmanager
def memory_cap(extra: int = 4 * 2**30):
    """Cap this process's address space at its current size plus ``extra`` bytes, for the block.

    An unbounded read then ends in MemoryError (which the command line reports in one line, and
    :func:`problems` flags) instead of in the kernel's OOM killer.
    """
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    size = int(Path("/proc/self/statm").read_text().split()[0]) * resource.getpagesize()
    cap = size + extra if hard == resource.RLIM_INFINITY else min(size + extra, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def run(argv: list[str], root: Path, names: dict[str, str], seconds: int = 30) -> dict:
    """Run one invocation in ``root``; what happened (code, stderr lines, traceback, hang, files written)."""
    from symcert.cli import main

    argv = [a.format(**names) for a in argv]
    before = _listing(root)
    out, err = io.StringIO(), io.StringIO()
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(seconds)
    here = os.getcwd()
    os.chdir(root)
    outcome = {"argv": argv, "code": None, "traceback": None, "hang": False}
    start = time.perf_counter()
    try:
        with memory_cap(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            outcome["code"] = main(argv)
    except Hang:
        outcome["hang"] = True
    except SystemExit as stop:
        outcome["code"] = stop.code
    except BaseException as error:
        outcome["traceback"] = f"{type(error).__name__}: {str(error)[:120]}"
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        os.chdir(here)
    outcome["seconds"] = time.perf_counter() - start
    outcome["stderr"] = err.getvalue().strip().splitlines()
    outcome["stdout"] = out.getvalue()
    outcome["written"] = sorted(_listing(root) - before)
    for path in outcome["written"]:  # leave the workspace as it was for the next invocation
        target = root / path
        if target.is_dir():
            import shutil

            shutil.rmtree(target, ignore_errors=True)
        else:
            target.unlink(missing_ok=True)
    return outcome


def problems(outcome: dict) -> list[str]:
    """What is wrong with an outcome (empty when it is a clean refusal)."""
    found = []
    if outcome["hang"]:
        found.append("hang")
    if outcome["traceback"]:
        found.append(f"traceback {outcome['traceback']}")
    if "Traceback" in "\n".join(outcome["stderr"]) + outcome["stdout"]:
        found.append("traceback printed")
    if not outcome["hang"] and outcome["code"] != 2:
        found.append(f"exit {outcome['code']}")
    lines = outcome["stderr"]
    if len(lines) != 1 or not lines[0].startswith("symcert: error:"):
        found.append(f"{len(lines)} stderr lines: {' | '.join(line[:80] for line in lines[:3])}")
    if any("needs more memory than is available" in line or "too deeply nested" in line for line in lines):
        found.append("memory exhausted (an unbounded read)")
    if outcome["written"]:
        found.append(f"wrote {outcome['written'][:3]}")
    return found


def sweep(root: Path, seconds: int = 30) -> None:
    names = workspace(root)
    counts = {"tried": 0, "clean": 0, "traceback": 0, "hang": 0, "other": 0}  # hang: also unbounded memory
    for argv in BAD:
        outcome = run(argv, root, names, seconds)
        found = problems(outcome)
        counts["tried"] += 1
        if outcome["hang"] or any("memory" in f for f in found):
            counts["hang"] += 1
        elif outcome["traceback"] or any("traceback" in f for f in found):
            counts["traceback"] += 1
        elif found:
            counts["other"] += 1
        else:
            counts["clean"] += 1
        if os.environ.get("SWEEP_SHOW"):
            print(f"{' '.join(argv)[:70]:70} -> {' | '.join(outcome['stderr'])[:150]}")
        if found:
            print(f"{outcome['seconds']:6.1f} s  {' '.join(argv)[:110]}\n          {'; '.join(found)[:300]}")
        sys.stdout.flush()
    print(counts)


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        sweep(Path(folder) / "w", int(sys.argv[1]) if len(sys.argv) > 1 else 30)
