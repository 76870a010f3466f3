"""The documentation site: a page per command, each quoting the command's own ``--help``.

The site itself is built by ``.ci/run`` with ``sphinx -W`` (warnings are errors), which also runs the
tutorial notebook; these tests check what the build cannot see: that no command lacks its page.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from symcert.cli import build_parser

DOCS = Path(__file__).parent.parent / "docs"
sys.path.insert(0, str(DOCS / "_ext"))

from symcert_docs import command_help  # noqa: E402


def _commands() -> list[str]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return list(action.choices)


def test_every_command_has_a_page_in_the_commands_index() -> None:
    index = (DOCS / "commands" / "index.md").read_text(encoding="utf-8")
    listed = re.search(r"```\{toctree\}\n(?::.*\n)*\n(.*?)```", index, re.S).group(1).split()
    assert listed == _commands()
    for name in _commands():
        page = (DOCS / "commands" / f"{name}.md").read_text(encoding="utf-8")
        assert f"```{{symcert-help}} {name}\n```" in page, name


def test_a_page_quotes_the_commands_help() -> None:
    text = command_help("check")
    assert text.startswith("usage: symcert check")
    assert "--budget" in text


def test_the_site_is_built_with_warnings_as_errors_in_ci() -> None:
    run = (DOCS.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert "python -m sphinx -W --keep-going -q -b html docs docs/_build/html" in run
