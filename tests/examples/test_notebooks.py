"""Every notebook in notebooks/ runs top to bottom on a real Jupyter kernel, and is committed clean.

The notebooks run at their small size (``ORGSIM_NOTEBOOK_SMALL=1``, read by
each notebook's parameters cell), so together they take a minute or two.
The kernel is this test's own interpreter: a kernel spec pointing at
``sys.executable`` is put first on the Jupyter path, so a ``python3`` kernel
installed elsewhere (``~/.local/share/jupyter``, another venv) is never
picked up by mistake.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
CELL_TIMEOUT = 600  # seconds; the first numba call may compile the engine


@pytest.fixture
def kernel_env(tmp_path, monkeypatch):
    """A `python3` kernel spec for this interpreter, first on the Jupyter path; small notebook sizes."""
    spec = tmp_path / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Python 3 (orgsim tests)",
                "language": "python",
            }
        )
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    monkeypatch.setenv("ORGSIM_NOTEBOOK_SMALL", "1")
    monkeypatch.delenv("MPLBACKEND", raising=False)  # figures must render inline
    return tmp_path


def test_the_notebooks_are_there():
    names = [p.name for p in NOTEBOOKS]
    assert len(names) >= 5, names
    for name in names:
        assert name[:2].isdigit() and name[2] == "_", f"{name}: notebooks are named NN_topic.ipynb so they sort"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path, kernel_env):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=CELL_TIMEOUT,
        allow_errors=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()  # raises CellExecutionError, naming the cell, on the first error
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    figures = [o for o in outputs if "image/png" in o.get("data", {})]
    assert figures, f"{path.name}: ran, but showed no figure"
    stderr = [o["text"] for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stderr"]
    tracebacks = [text for text in stderr if "Traceback" in text]
    assert not tracebacks, f"{path.name}: a traceback was printed:\n{tracebacks[0]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_clean(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = [
        k
        for k, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
    ]
    assert not dirty, f"{path.name}: cells {dirty} have outputs or execution counts; clear them before committing"
    assert "widgets" not in nb.metadata, f"{path.name}: widget state is stored in the metadata"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_starts_with_a_parameters_cell(path):
    nb = nbformat.read(path, as_version=4)
    first = next(cell for cell in nb.cells if cell.cell_type == "code")
    assert "ORGSIM_NOTEBOOK_SMALL" in first.source, (
        f"{path.name}: the first code cell should be the parameters cell, sized by ORGSIM_NOTEBOOK_SMALL"
    )
