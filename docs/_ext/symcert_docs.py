"""Sphinx extension for symcert's documentation: a command's ``--help`` as the page shows it.

``.. symcert-help:: prove`` (or ```{symcert-help} prove``` in MyST) inserts the text that
``symcert prove --help`` prints, at 100 columns; with no argument, ``symcert --help``. The pages
quote the parser itself, so they cannot drift from the command line.
"""

from __future__ import annotations

import os

from docutils import nodes
from docutils.parsers.rst import Directive
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

COLUMNS = "100"


def command_help(name: str | None) -> str:
    """The ``--help`` text of ``symcert NAME`` (of ``symcert`` itself when ``name`` is None)."""
    import argparse

    from symcert.cli import build_parser

    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = COLUMNS  # argparse wraps to the terminal's width
    try:
        parser = build_parser()
        if name is None:
            return parser.format_help()
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                if name not in action.choices:
                    raise ExtensionError(
                        f"symcert-help: no command {name!r}; the commands are {', '.join(action.choices)}"
                    )
                return action.choices[name].format_help()
        raise ExtensionError("symcert-help: the parser has no commands")
    finally:
        if saved is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = saved


class SymcertHelp(Directive):
    optional_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        name = self.arguments[0] if self.arguments else None
        text = command_help(name)
        block = nodes.literal_block(text, text)
        block["language"] = "text"
        return [block]


def setup(app: Sphinx) -> dict[str, object]:
    app.add_directive("symcert-help", SymcertHelp)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
