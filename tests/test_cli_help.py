"""Every command's --help teaches: a one-line purpose, examples that parse, and what it prints."""

from __future__ import annotations

import argparse
import shlex

import pytest

from symcert.cli import build_parser, main


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


@pytest.mark.parametrize("name", sorted(_commands()))
def test_help_has_purpose_examples_and_output(capsys, name):
    assert main([name, "--help"]) == 0
    page = capsys.readouterr().out
    purpose = page.split("\n\n")[1]
    assert "\n" not in purpose and purpose.endswith(".") and len(purpose) <= 88, purpose
    examples = page.split("examples:\n")[1].split("\n\n")[0].splitlines()
    assert examples and all(line.startswith("  # ") for line in examples[::2])
    assert all(line.startswith(f"  symcert {name}") or "&& symcert" in line for line in examples[1::2])
    prints = page.split("prints:\n")[1]
    assert "Exit code" in prints
    assert max(len(line) for line in page.splitlines()) <= 100


@pytest.mark.parametrize("name", sorted(_commands()))
def test_every_example_in_a_help_page_parses(name):
    parser = build_parser()
    page = _commands()[name].epilog
    commands = [line.strip() for line in page.split("examples:\n")[1].split("\n\n")[0].splitlines()[1::2]]
    for line in commands:
        for command in line.split("&&"):
            argv = shlex.split(command)
            assert argv[0] == "symcert"
            parser.parse_args(argv[1:])  # a wrong flag exits with status 2 and fails the test


def test_top_level_help_lists_every_command_with_its_purpose(capsys):
    assert main(["--help"]) == 0
    page = capsys.readouterr().out
    for name in _commands():
        assert f"\n    {name}" in page
    assert "--version" in page and "symcert COMMAND --help" in page
