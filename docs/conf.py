"""Sphinx configuration for symcert's documentation (built with ``-W`` in ``.ci/run``).

Build: ``python -m sphinx -W -b html docs docs/_build/html``.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(0, str(HERE.parent))

from symcert.version import __version__  # noqa: E402

project = "symcert"
author = "the symcert developers"
copyright = "2026, the symcert developers"
version = release = __version__

extensions = ["myst_nb", "sphinx.ext.autodoc", "sphinx.ext.napoleon", "symcert_docs"]
exclude_patterns = ["_build", "tutorial.py", "**.ipynb_checkpoints", "jupyter_execute"]
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb", ".rst": "restructuredtext"}

# The tutorial is stored without outputs: it runs, top to bottom, on a fresh kernel at every build,
# in a temporary folder, and any error fails the build.
nb_execution_mode = "force"
nb_execution_timeout = 600
nb_execution_raise_on_error = True
nb_execution_in_temp = True
nb_merge_streams = True

myst_enable_extensions = ["dollarmath"]
myst_heading_anchors = 3

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": False}

html_theme = "alabaster"
html_title = f"symcert {release}"
html_static_path: list[str] = []
