"""Sphinx configuration of orgsim's documentation site (`make docs`).

Sphinx with MyST because the docstrings are numpydoc (autodoc + numpydoc read them as they
are) and myst-nb executes the notebooks during the build, so the tutorials show today's
outputs.  The site works offline: the furo theme ships its assets, no page loads MathJax
or anything else from the network, and ``site_checks`` fails the build if one does.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

import notebook_kernel  # noqa: E402  (needs the path above)

project = "orgsim"
author = "the orgsim authors"
copyright = "the orgsim authors"
release = version = __import__("orgsim").__version__

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "numpydoc",
    "reference_pages",
    "site_checks",
]

# The notebooks are run at the small size their tests use, on this interpreter's kernel.
notebook_kernel.prepare(HERE / "_build" / ".kernels")
nb_execution_mode = "force"
# A cell that raises stops its notebook and is reported as a warning with its traceback, which `make docs`
# (-W) turns into a failed build; every failing notebook is listed (--keep-going), not only the first.
nb_execution_raise_on_error = False
nb_execution_allow_errors = False
nb_execution_show_tb = True
nb_execution_timeout = 600  # seconds per cell; the first numba call compiles the engine
nb_merge_streams = True
nb_mime_priority_overrides = [("html", "text/latex", None)]  # a LaTeX repr would need MathJax: never render it

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

exclude_patterns = ["_build", "reference/_generated", "**/.ipynb_checkpoints", "Thumbs.db", ".DS_Store"]
root_doc = "index"

# Fail on what would mislead a reader: broken references, unknown targets (nitpicky below).
nitpicky = True
# Outside packages have no inventory offline (no intersphinx): their names are left as plain text.
nitpick_ignore_regex = [
    (r"py:.*", r"(pandas|pd|numpy|np|pydantic|os|pathlib|collections\.abc|typing)\..*"),
]
autodoc_typehints = "none"  # the numpydoc sections state every type; signatures stay readable
autodoc_member_order = "bysource"
numpydoc_show_class_members = False
numpydoc_xref_param_type = False

html_theme = "furo"
html_title = "orgsim"
html_static_path: list[str] = []
html_show_sourcelink = False
html_copy_source = False
smartquotes = False  # the command-line reference shows "--set" as typed, not with an en dash
