"""Sphinx extension: the build fails on an undocumented public name or a page that needs the network.

* Every name in ``orgsim.__all__`` has a docstring, and so has every public method and property its
  classes define (not those inherited from pydantic or ``Exception``): checked when the build starts.
* No built page loads a script, a stylesheet or an image from ``http(s)://``: the site works offline.
  Checked when the build ends, on every HTML file written.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from sphinx.errors import ExtensionError

import orgsim

REMOTE = re.compile(r"""<(script|link|img|iframe)\b[^>]*\b(src|href)\s*=\s*["']?(https?:)?//""", re.I)


def undocumented() -> list[str]:
    """Public names of orgsim (and their public members) with no docstring."""
    missing = []
    for name in orgsim.__all__:
        obj = getattr(orgsim, name)
        if not inspect.getdoc(obj):
            missing.append(f"orgsim.{name}")
        if inspect.isclass(obj) and not issubclass(obj, Exception):
            for member, value in vars(obj).items():
                if member.startswith("_") or not (inspect.isfunction(value) or isinstance(value, property)):
                    continue
                if not (value.__doc__ or "").strip():
                    missing.append(f"orgsim.{name}.{member}")
    return missing


def check_docstrings(app) -> None:
    """Stop the build, naming each public function, class, method or property without a docstring."""
    missing = undocumented()
    if missing:
        raise ExtensionError("public names without a docstring: " + ", ".join(missing))


def remote_loads(folder: Path) -> list[str]:
    """Each ``file: tag`` of the built HTML that loads something from the network."""
    found = []
    for page in sorted(folder.rglob("*.html")):
        for match in REMOTE.finditer(page.read_text(encoding="utf-8", errors="replace")):
            found.append(f"{page.relative_to(folder)}: {match.group(0)}")
    return found


def check_offline(app, exception) -> None:
    """After a successful HTML build: fail if any page would load from the network."""
    if exception is None and app.builder.format == "html":
        found = remote_loads(Path(app.outdir))
        if found:
            raise ExtensionError("pages that load from the network (the site must work offline):\n" + "\n".join(found))


def setup(app):
    app.connect("builder-inited", check_docstrings)
    app.connect("build-finished", check_offline)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
