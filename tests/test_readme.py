"""The README is self-contained and true: every Python block runs alone, every console block prints
what it shows, it links nothing outside the repository, and its set-up commands are the ones CI uses."""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from symcert.cli import main

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
#: A fenced block, optionally after ``<!-- readme-test: shorten "OLD" "NEW" ... -->``: a slow example is
#: run with OLD replaced by NEW (say ``tol=1e-3`` by ``tol=1e-1``), shortened rather than skipped.
BLOCK = re.compile(r"(?:^<!-- readme-test: (.*?) -->\n)?^```(python|console)\n(.*?)^```", re.S | re.M)


def blocks(text: str, language: str) -> list[str]:
    """The ``language`` blocks of ``text``, each with its ``shorten`` replacements applied."""
    found = []
    for marker, kind, body in BLOCK.findall(text):
        if kind != language:
            continue
        words = shlex.split(marker)
        assert not words or (words[0] == "shorten" and len(words) % 2 == 1), f"bad marker {marker!r}"
        for old, new in zip(words[1::2], words[2::2]):
            assert old in body, f"the marker shortens {old!r}, which its block no longer holds"
            body = body.replace(old, new)
        found.append(body)
    return found


PYTHON_BLOCKS = blocks(README, "python")
CONSOLE_BLOCKS = blocks(README, "console")


def test_a_marked_block_is_shortened_not_skipped():
    marker = '<!-- readme-test: shorten "tol=1e-3" "tol=1e-1" -->\n'
    text = marker + "```python\nf(tol=1e-3)\n```\n```python\ng()\n```\n"
    assert blocks(text, "python") == ["f(tol=1e-1)\n", "g()\n"]
    with pytest.raises(AssertionError, match="no longer holds"):
        blocks(text.replace("f(tol=1e-3)", "f()"), "python")


def test_every_python_block_runs_alone_in_a_fresh_interpreter(tmp_path):
    assert len(PYTHON_BLOCKS) >= 6
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    runs = []
    for number, block in enumerate(PYTHON_BLOCKS):  # all at once: the time is mostly each start-up
        folder = tmp_path / f"block{number}"
        folder.mkdir()
        process = subprocess.Popen(
            [sys.executable, "-c", block],
            cwd=folder,
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        runs.append((number, block, process))
    outputs = []
    for number, block, process in runs:
        out, err = process.communicate(timeout=300)
        first = block.strip().splitlines()[0]
        assert process.returncode == 0, f"README python block {number} ({first}) failed:\n{err[-3000:]}"
        outputs.append(out)
    everything = "\n".join(outputs)
    assert "proved" in everything and "refuted" in everything
    assert any((tmp_path / f"block{n}" / "cert.json").exists() for n in range(len(PYTHON_BLOCKS)))


def _commands(block: str) -> list[tuple[str, list[str]]]:
    """``(command, expected lines)`` for each ``$ command`` of a console block."""
    found: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            found.append((line[2:], []))
        else:
            assert found, f"a console block must start with '$ ', got {line!r}"
            found[-1][1].append(line)
    return found


def _normal(line: str) -> str:
    return re.sub(r"\b\d+(\.\d+)? s\b", "N s", line.rstrip())


def _matches(expected: list[str], got: list[str]) -> bool:
    """``got`` equals ``expected``, where an expected line ``...`` stands for any number of lines."""
    if not expected:
        return not got
    if expected[0] == "...":
        return any(_matches(expected[1:], got[k:]) for k in range(len(got) + 1))
    return bool(got) and _normal(got[0]) == _normal(expected[0]) and _matches(expected[1:], got[1:])


@pytest.mark.parametrize("block", CONSOLE_BLOCKS, ids=[b.splitlines()[0][2:40] for b in CONSOLE_BLOCKS])
def test_console_blocks_print_what_they_show(block, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for command, expected in _commands(block):
        argv = shlex.split(command)
        assert argv[0] == "symcert", command
        stream = io.StringIO()  # stdout and stderr together, interleaved as in a terminal
        with contextlib.redirect_stdout(stream), contextlib.redirect_stderr(stream):
            main(argv[1:])
        got = stream.getvalue().rstrip("\n").splitlines()
        assert _matches(expected, got), (
            f"$ {command}\nshown:\n" + "\n".join(expected) + "\ngot:\n" + "\n".join(got)
        )


def test_the_matcher_is_strict():
    assert _matches(["a", "...", "d"], ["a", "b", "c", "d"])
    assert _matches(["took 0.25 s"], ["took 1.5 s"])
    assert not _matches(["a", "d"], ["a", "b", "d"])
    assert not _matches(["a"], ["a", "b"])
    assert not _matches(["in [4.14896, 4.14897]"], ["in [4.14896, 4.14898]"])


def _slug(heading: str) -> str:
    return re.sub(r"[^a-z0-9 -]", "", heading.lower()).replace(" ", "-")


def test_links_stay_inside_the_repository():
    assert not re.search(r"https?://|www\.", README), "the README links outside the repository"
    anchors = {_slug(h) for h in re.findall(r"^#+ (.*)$", README, re.M)}
    for target in re.findall(r"\]\(([^)]*)\)", README):
        if target.startswith("#"):
            assert target[1:] in anchors, target
        else:
            assert not target.startswith(("/", "..")) and (ROOT / target).exists(), target
    for path in re.findall(r"`((?:symcert|tests|benchmarks)/[\w/.-]+)`", README):
        assert (ROOT / path.rstrip("/")).exists(), path


def test_sections_have_an_obvious_place_for_each_subject():
    headings = re.findall(r"^## (.*)$", README, re.M)
    expected = [
        "Install",
        "First proof",
        "Command line",
        "Python",
        "Handouts",
        "Trained models",
        "Barriers",
        "Checking",
        "Coq",
        "Benchmarks",
        "Development",
    ]
    assert [h for h in headings if h in expected] == expected


def test_ci_runs_the_readme_test_command():
    command = "python -m pip install -q -e '.[test]' && python -m pytest -n auto --dist loadfile"
    assert command in README
    assert command in (ROOT / ".ci" / "run").read_text()
    assert "python -m pip install -e . && symcert prove" in README


#: ``print(...)  # -> OUTPUT`` (optionally ``; explanation``): the README's way to show a print's output.
SHOWN = re.compile(r"^(?P<indent>\s*)(?P<code>print\(.*?\))\s+# -> (?P<shown>.*?)(?:; .*)?$")


def instrumented(block: str) -> tuple[str, list[str]]:
    """``block`` with each ``print(...)  # -> OUTPUT`` line fenced by marker prints; the outputs shown."""
    lines, shown = [], []
    for line in block.splitlines():
        found = SHOWN.match(line)
        if not found:
            lines.append(line)
            continue
        indent, k = found.group("indent"), len(shown)
        lines += [f'{indent}print("<<<{k}")', f"{indent}{found.group('code')}", f'{indent}print(">>>{k}")']
        shown.append(found.group("shown").rstrip())
    return "\n".join(lines) + "\n", shown


def comment_mismatches(shown: list[str], out: str) -> list[str]:
    """The outputs in comments that differ from what the fenced prints wrote."""
    problems = []
    for k, expected in enumerate(shown):
        got = out.split(f"<<<{k}\n", 1)[-1].split(f">>>{k}\n", 1)[0].rstrip("\n")
        same = got.startswith(expected[:-3]) if expected.endswith("...") else got == expected
        if not same:
            problems.append(f"comment says {expected!r}, the code prints {got!r}")
    return problems


def test_the_comment_check_can_fail():
    code, shown = instrumented('x = 2\nprint(x + 1)   # -> 3; three\nprint("ab", x)  # -> ab ...\n')
    assert shown == ["3", "ab ..."] and 'print("<<<0")' in code
    assert comment_mismatches(shown, "<<<0\n3\n>>>0\n<<<1\nab 2\n>>>1\n") == []
    assert comment_mismatches(["8e-104"], "<<<0\n8e-50\n>>>0\n") == [
        "comment says '8e-104', the code prints '8e-50'"
    ]


def test_outputs_written_in_python_comments_are_what_the_code_prints(tmp_path):
    marked = [instrumented(block) for block in PYTHON_BLOCKS if "# -> " in block]
    assert sum(len(shown) for _, shown in marked) >= 10
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    runs = []
    for number, (code, shown) in enumerate(marked):
        folder = tmp_path / f"block{number}"
        folder.mkdir()
        process = subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=folder,
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        runs.append((shown, process))
    problems = []
    for shown, process in runs:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err[-2000:]
        problems += comment_mismatches(shown, out)
    assert problems == []
