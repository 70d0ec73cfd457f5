"""The kernel the docs build runs the notebooks on: this interpreter, at the tests' small size.

Like ``tests/examples/test_notebooks.py``: a ``python3`` kernel spec pointing at ``sys.executable`` goes
first on the Jupyter path, so a ``python3`` kernel installed elsewhere (``~/.local/share/jupyter``, another
venv) is never picked up, and ``ORGSIM_NOTEBOOK_SMALL=1`` (each notebook's parameters cell reads it) makes
the runs tiny unless the caller set it already (``ORGSIM_NOTEBOOK_SMALL=0 make docs`` runs full size).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def prepare(folder: Path) -> None:
    """Write the kernel spec under *folder* and set the environment the kernels inherit."""
    spec = folder / "kernels" / "python3"
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                # errors only: the kernel's note that it talks over local TCP would read as a build warning
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}", "--log-level=ERROR"],
                "display_name": "Python 3 (orgsim docs)",
                "language": "python",
            }
        ),
        encoding="utf-8",
    )
    os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(folder), os.environ.get("JUPYTER_PATH")]))
    os.environ.setdefault("ORGSIM_NOTEBOOK_SMALL", "1")
    os.environ.pop("MPLBACKEND", None)  # figures must render inline
