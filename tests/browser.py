"""The real browser the browser tests drive: Debian's chromium, and the flags that keep it local and quiet.

Outside CI, where no Chromium may be installed, a browser test module is skipped with that reason; under
CI=true (where `make test` installs Debian's chromium) it must run.
"""

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]


def require_chromium() -> None:
    """Skip the calling module when no Chromium is installed, except under CI, where its absence is a failure."""
    if CHROMIUM is None and os.environ.get("CI") != "true":
        pytest.skip("no Chromium on this machine (CI installs Debian's chromium)", allow_module_level=True)
