"""Sphinx extension: write the generated reference fragments before the build reads any page.

The scenario format, the metrics and the command line are written from the code (the schema, ``MEANINGS``
and ``KINDS`` with a real run, the argparse parser) into ``reference/_generated/``, which the reference
pages include; the fragments are not committed, so they cannot drift.  A file is rewritten only when its
text changes, so an unchanged build stays incremental.
"""

from __future__ import annotations

import os
from pathlib import Path

import cli_reference
import metric_table
import scenario_fields

FRAGMENTS = {"scenario.md": scenario_fields.markdown, "metrics.md": metric_table.markdown, "cli.md": cli_reference.markdown}


def write(app) -> None:
    """Write every fragment under the source folder's ``reference/_generated``."""
    folder = Path(app.srcdir) / "reference" / "_generated"
    folder.mkdir(parents=True, exist_ok=True)
    for name, make in FRAGMENTS.items():
        text = "<!-- written by docs/_ext/reference_pages.py during the build: edit the code, not this -->\n" + make()
        path = folder / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            fresh = path.with_suffix(f".{os.getpid()}.tmp")  # whole or not at all: another build may be reading it
            fresh.write_text(text, encoding="utf-8")
            os.replace(fresh, path)


def setup(app):
    app.connect("builder-inited", write)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
